/*
 * cc_ground.c - the grounding check of an LLM answer against the chunks it
 * was given, and the answer without its citation markers (cc_answer.h).
 *
 * The answer comes from an LLM and is treated as hostile: all scans are
 * bounded and linear (a citation group is at most CC_CITE_MAX bytes), and
 * nothing reads past its end.
 */
#include <stdint.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_answer.h"
#include "cc_bytes.h"
#include "cc_cite.h"
#include "cc_sent.h"
#include "cc_tok.h"

#define CC_TOKF          (CC_TOK_STEM | CC_TOK_NOSTOP)

/* ---- term sets ---------------------------------------------------------- */

typedef struct cc_termset_t {
    apr_pool_t *p;
    apr_hash_t *h;
    unsigned    n;       /* distinct terms added */
} cc_termset_t;

static int cc_termset_cb(void *baton, const char *term, size_t len,
                         uint32_t pos, size_t start, size_t end)
{
    cc_termset_t *ts = baton;

    if (len == 0) {
        return 0;
    }
    if (!apr_hash_get(ts->h, term, (apr_ssize_t)len)) {
        apr_hash_set(ts->h, apr_pstrmemdup(ts->p, term, len),
                     (apr_ssize_t)len, ts);
        ts->n++;
    }
    return 0;
}

static void cc_termset_add(cc_termset_t *ts, const char *t, size_t len)
{
    if (t && len) {
        cc_tok_each(t, len, CC_TOKF, cc_termset_cb, ts);
    }
}

/* ---- grounding ---------------------------------------------------------- */

typedef struct cc_ref_t {
    size_t pos;       /* byte offset of the group in the answer */
    int    idx;       /* 0-based source index */
} cc_ref_t;

int cc_answer_supported(apr_pool_t *p, const char *answer,
                        const cc_source_t *src, int nsrc, double min_overlap,
                        int *cited, const char **reason)
{
    apr_pool_t *tmp = NULL;
    apr_array_header_t *refs;
    apr_array_header_t *sents;
    cc_termset_t **srcterms;
    cc_termset_t st;
    const char *why = NULL;
    char *blank;
    int *first;       /* per sentence: first own ref, or -1 */
    int *count;       /* per sentence: number of own refs */
    int *near;        /* per sentence: the sentence whose refs it uses */
    int *stamp;       /* per source: last sentence that marked it */
    int *list;        /* the distinct sources of one sentence */
    int *all;         /* the distinct sources of the whole answer */
    int nall = 0;
    int unknown = 0;
    size_t len;
    size_t i;
    int k;

    if (reason) {
        *reason = NULL;
    }
    if (!src || nsrc < 0) {
        nsrc = 0;
    }
    if (cited) {
        for (k = 0; k < nsrc; k++) {
            cited[k] = 0;
        }
    }
    if (!(min_overlap >= 0.0)) {
        min_overlap = 0.0;
    }
    if (min_overlap > 1.0) {
        min_overlap = 1.0;
    }
    len = answer ? strlen(answer) : 0;
    i = 0;
    while (i < len && cc_is_space((unsigned char)answer[i])) {
        i++;
    }
    if (i == len) {
        why = "empty";
        goto out;
    }
    if (strstr(answer, "NO_ANSWER")) {
        why = "no_answer";
        goto out;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        why = "empty";
        goto out;
    }

    /* The citations, and a copy of the answer with them blanked out so
     * "[S1]" never counts as the term "s1". */
    blank = apr_pstrmemdup(tmp, answer, len);
    refs = apr_array_make(tmp, 8, sizeof(cc_ref_t));
    stamp = apr_pcalloc(tmp, sizeof(int) * ((size_t)nsrc + 1));
    all = apr_palloc(tmp, sizeof(int) * ((size_t)nsrc + 1));
    for (i = 0; i < len; ) {
        size_t n = answer[i] == '[' ? cc_cite_len(answer + i, len - i) : 0;
        size_t at = 0;
        long num;

        if (n == 0) {
            i++;
            continue;
        }
        while (cc_cite_next(answer + i, n, &at, &num)) {
            cc_ref_t *r;

            if (num < 1 || num > nsrc) {
                unknown = 1;
                continue;
            }
            r = apr_array_push(refs);
            r->pos = i;
            r->idx = (int)num - 1;
            if (!stamp[r->idx]) {
                stamp[r->idx] = 1;
                all[nall++] = r->idx;
                if (cited) {
                    cited[r->idx] = 1;
                }
            }
        }
        memset(blank + i, ' ', n);
        i += n;
    }
    if (!cc_sent_any_term(blank, len)) {
        why = "empty";
        goto out;
    }
    if (unknown) {
        why = "unknown_citation";
        goto out;
    }
    if (refs->nelts == 0) {
        why = "no_citation";
        goto out;
    }

    /* Each sentence's own citations (refs and sentences are both in
     * order), then the nearest cited sentence in the same paragraph for
     * those without: the following one wins a tie. */
    sents = cc_sent_split(tmp, answer, len, 1);
    first = apr_palloc(tmp, sizeof(int) * ((size_t)sents->nelts + 1));
    count = apr_pcalloc(tmp, sizeof(int) * ((size_t)sents->nelts + 1));
    near = apr_palloc(tmp, sizeof(int) * ((size_t)sents->nelts + 1));
    {
        int r = 0;
        int prev = -1;

        for (k = 0; k < sents->nelts; k++) {
            const cc_sent_t *s = &APR_ARRAY_IDX(sents, k, cc_sent_t);

            while (r < refs->nelts
                   && APR_ARRAY_IDX(refs, r, cc_ref_t).pos < s->s) {
                r++;
            }
            first[k] = -1;
            while (r < refs->nelts
                   && APR_ARRAY_IDX(refs, r, cc_ref_t).pos < s->e) {
                if (first[k] < 0) {
                    first[k] = r;
                }
                count[k]++;
                r++;
            }
            if (count[k]) {
                prev = k;
            }
            else if (prev >= 0 && APR_ARRAY_IDX(sents, prev, cc_sent_t).para
                                  != s->para) {
                prev = -1;
            }
            near[k] = count[k] ? k : prev;
        }
        prev = -1;
        for (k = sents->nelts - 1; k >= 0; k--) {
            const cc_sent_t *s = &APR_ARRAY_IDX(sents, k, cc_sent_t);

            if (count[k]) {
                prev = k;
                continue;
            }
            if (prev >= 0 && APR_ARRAY_IDX(sents, prev, cc_sent_t).para
                             != s->para) {
                prev = -1;
            }
            if (prev >= 0 && (near[k] < 0 || prev - k <= k - near[k])) {
                near[k] = prev;
            }
        }
    }

    /* Term sets of the sources, title included, built when first cited. */
    srcterms = apr_pcalloc(tmp, sizeof(*srcterms) * ((size_t)nsrc + 1));
    list = apr_palloc(tmp, sizeof(int) * ((size_t)nsrc + 1));
    memset(stamp, 0, sizeof(int) * ((size_t)nsrc + 1));
    st.p = tmp;
    st.h = apr_hash_make(tmp);
    for (k = 0; k < sents->nelts && !why; k++) {
        const cc_sent_t *s = &APR_ARRAY_IDX(sents, k, cc_sent_t);
        const int *use;
        int nuse = 0;
        unsigned present = 0;
        apr_hash_index_t *hi;
        int r;

        apr_hash_clear(st.h);
        st.n = 0;
        cc_termset_add(&st, blank + s->s, s->e - s->s);
        if (st.n < 3) {
            continue;
        }
        if (near[k] >= 0) {
            int n0 = first[near[k]];

            for (r = n0; r < n0 + count[near[k]]; r++) {
                int idx = APR_ARRAY_IDX(refs, r, cc_ref_t).idx;

                if (stamp[idx] != k + 1) {
                    stamp[idx] = k + 1;
                    list[nuse++] = idx;
                }
            }
            use = list;
        }
        else {
            use = all;
            nuse = nall;
        }
        for (r = 0; r < nuse; r++) {
            int idx = use[r];

            if (!srcterms[idx]) {
                cc_termset_t *ts = apr_palloc(tmp, sizeof(*ts));

                ts->p = tmp;
                ts->h = apr_hash_make(tmp);
                ts->n = 0;
                if (src[idx].title) {
                    cc_termset_add(ts, src[idx].title, strlen(src[idx].title));
                }
                cc_termset_add(ts, src[idx].text, cc_source_len(&src[idx]));
                srcterms[idx] = ts;
            }
        }
        for (hi = apr_hash_first(tmp, st.h); hi; hi = apr_hash_next(hi)) {
            const void *key;
            apr_ssize_t klen;

            apr_hash_this(hi, &key, &klen, NULL);
            for (r = 0; r < nuse; r++) {
                if (apr_hash_get(srcterms[use[r]]->h, key, klen)) {
                    present++;
                    break;
                }
            }
        }
        if ((double)present < min_overlap * (double)st.n) {
            why = "unsupported_sentence";
        }
    }

out:
    if (tmp) {
        apr_pool_destroy(tmp);
    }
    if (why && reason) {
        *reason = why;
    }
    return why == NULL;
}

/* ---- citation stripping ------------------------------------------------- */

char *cc_answer_strip_citations(apr_pool_t *p, const char *answer)
{
    size_t len;
    size_t i;
    size_t o = 0;
    size_t m = 0;
    char *mid;
    char *out;
    int space = 0;
    int nl = 0;

    if (!answer) {
        return apr_pstrdup(p, "");
    }
    len = strlen(answer);
    mid = apr_palloc(p, len + 1);
    out = apr_palloc(p, len + 1);

    /* 1: every citation group becomes one space. */
    for (i = 0; i < len; ) {
        size_t n = answer[i] == '[' ? cc_cite_len(answer + i, len - i) : 0;

        if (n) {
            mid[m++] = ' ';
            i += n;
        }
        else {
            mid[m++] = answer[i++];
        }
    }

    /* 2: tidy: runs of blanks become one space, none before closing
     * punctuation or after an opening bracket, at most one empty line,
     * brackets left empty by a removed citation go too. */
    for (i = 0; i < m; i++) {
        unsigned char c = (unsigned char)mid[i];

        if (c == '\n') {
            space = 0;
            while (o > 0 && out[o - 1] == ' ') {
                o--;
            }
            if (o > 0 && nl < 2) {
                out[o++] = '\n';
            }
            nl++;
            continue;
        }
        if (c < 0x20 || c == 0x7f || c == ' ') {
            space = 1;
            continue;
        }
        if (c == '(' || c == '[') {
            size_t j = i + 1;

            while (j < m && (mid[j] == ' ' || mid[j] == '\t')) {
                j++;
            }
            if (j < m && mid[j] == (c == '(' ? ')' : ']')) {
                space = 1;
                i = j;
                continue;
            }
        }
        if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!'
            || c == '?' || c == ')' || c == ']') {
            space = 0;
        }
        if (space && o > 0 && out[o - 1] != '\n' && out[o - 1] != '('
            && out[o - 1] != '[') {
            out[o++] = ' ';
        }
        space = 0;
        nl = 0;
        out[o++] = (char)c;
    }
    while (o > 0 && cc_is_space((unsigned char)out[o - 1])) {
        o--;
    }
    out[o] = '\0';
    return out;
}

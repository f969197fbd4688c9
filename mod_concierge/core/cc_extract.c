/*
 * cc_extract.c - the extractive answer: whole sentences taken from the
 * retrieved chunks, chosen by the query terms they hold and, for a price,
 * opening-hours or where question, by the kind of fact they carry
 * (cc_answer.h).
 *
 * The sources' text comes from the knowledge base and their sentence
 * tables possibly from a damaged image: every table field is read once
 * and checked before use, and nothing reads past a text's length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_answer.h"
#include "cc_buf.h"
#include "cc_bytes.h"
#include "cc_sent.h"
#include "cc_tok.h"

#define CC_TOKF          (CC_TOK_STEM | CC_TOK_NOSTOP)
#define CC_SENT_MAX      400           /* bytes per extracted sentence */
#define CC_QTERMS_MAX    64            /* query terms used (one bit each) */
#define CC_EXTRACT_MAX   16            /* cap on max_sentences */
#define CC_ELLIPSIS      "\xe2\x80\xa6"

/* What a candidate sentence is in its text. */
#define CC_C_ITEM        0x1u          /* starts a list item / table row */
#define CC_C_BARE        0x2u          /* ... and has no end punctuation */
#define CC_C_LEAD        0x4u          /* ends in ':' just before a list */
#define CC_C_SKIP        0x8u          /* a table header row */
#define CC_C_ROW         0x10u         /* a table row */
#define CC_C_LIST        0x20u         /* inside a list (item or not) */

/* ---- small helpers ------------------------------------------------------ */

static int cc_in_list(const char *const *l, const char *w, size_t n)
{
    if (n == 0) {
        return 0;
    }
    for (; *l; l++) {
        if ((*l)[0] == w[0] && strncmp(*l, w, n) == 0 && (*l)[n] == '\0') {
            return 1;
        }
    }
    return 0;
}

static int cc_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int cc_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

/* ---- candidates --------------------------------------------------------- */

typedef struct cc_cand_t {
    int         src;      /* source rank */
    uint32_t    pos;      /* sentence ordinal within its source */
    size_t      s, e;     /* the sentence's bytes in the source text */
    const char *text;     /* cleaned, once needed (NULL before) */
    size_t      len;
    uint64_t    mask;     /* query terms present (with a fragment's context) */
    uint64_t    own;      /* query terms in its own words */
    const unsigned char *terms;   /* its term hashes, 8 bytes each */
    uint32_t    nterms;
    double      qs;       /* weight of the query terms it holds */
    double      score;
    unsigned    role;     /* CC_C_* */
    unsigned    fact;     /* CC_FACT_* facts it carries (its table's flags) */
    int         grp;      /* its list: index of the list's first member */
    int         lead;     /* a list member's lead-in candidate, or -1 */
    int         sel;      /* a list member picked for the answer */
} cc_cand_t;

/* The query's first CC_QTERMS_MAX distinct terms by hash: open addressing
 * in twice as many slots, so a probe always ends. */
#define CC_QSLOTS (2 * CC_QTERMS_MAX)

typedef struct cc_qhash_t {
    uint64_t      key[CC_QSLOTS];
    unsigned char bit[CC_QSLOTS];   /* bit index + 1; 0 = empty */
    unsigned      n;
} cc_qhash_t;

static unsigned cc_qslot(uint64_t h)
{
    return (unsigned)(h ^ (h >> 29) ^ (h >> 47)) & (CC_QSLOTS - 1);
}

static void cc_qhash_add(cc_qhash_t *q, uint64_t h)
{
    unsigned s;

    if (q->n >= CC_QTERMS_MAX) {
        return;
    }
    for (s = cc_qslot(h); q->bit[s]; s = (s + 1) & (CC_QSLOTS - 1)) {
        if (q->key[s] == h) {
            return;
        }
    }
    q->key[s] = h;
    q->bit[s] = (unsigned char)++q->n;
}

static int cc_qhash_cb(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    cc_qhash_t *q = baton;

    if (q->n >= CC_QTERMS_MAX) {
        return 1;
    }
    if (len > 0) {
        cc_qhash_add(q, cc_fnv1a64(term, len));
    }
    return 0;
}

/* The query-term bit of term hash h, or 0. */
static uint64_t cc_qhash_bit(const cc_qhash_t *q, uint64_t h)
{
    unsigned s;

    for (s = cc_qslot(h); q->bit[s]; s = (s + 1) & (CC_QSLOTS - 1)) {
        if (q->key[s] == h) {
            return (uint64_t)1 << (q->bit[s] - 1);
        }
    }
    return 0;
}

/* The query terms in a title (cc_tok over it). */
typedef struct cc_tmask_t {
    const cc_qhash_t *q;
    uint64_t          mask;
} cc_tmask_t;

static int cc_tmask_cb(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    cc_tmask_t *m = baton;

    if (len > 0) {
        m->mask |= cc_qhash_bit(m->q, cc_fnv1a64(term, len));
    }
    return 0;
}

/* The query terms in a section title (0 without title or query). */
static uint64_t cc_title_mask(const cc_qhash_t *q, const char *title)
{
    cc_tmask_t tm;

    if (!q->n || !title || !*title) {
        return 0;
    }
    tm.q = q;
    tm.mask = 0;
    cc_tok_each(title, strlen(title), CC_TOKF, cc_tmask_cb, &tm);
    return tm.mask;
}

/* Every sentence of source i that has a term, with the query terms it
 * holds, from its sentence table b[0..blen) (text of tlen bytes).  Each
 * field is read once and checked before use, so even a table that fails
 * or changes after cc_sent_check only ends the walk early. */
static void cc_cands_add(apr_array_header_t *cands, const cc_qhash_t *q,
                         int i, const unsigned char *b, size_t blen,
                         size_t tlen)
{
    const unsigned char *r = b + CC_SENTS_HDR;
    const unsigned char *h;
    uint32_t nsent, nterms, k, used = 0;

    if (blen < CC_SENTS_HDR) {
        return;
    }
    nsent = cc_ld32(b + 4);
    nterms = cc_ld32(b + 8);
    if ((uint64_t)blen < CC_SENTS_HDR + (uint64_t)nsent * CC_SENTS_REC
                         + (uint64_t)nterms * 8u) {
        return;
    }
    h = r + (size_t)nsent * CC_SENTS_REC;
    for (k = 0; k < nsent; k++, r += CC_SENTS_REC) {
        uint32_t s = cc_ld32(r), e = cc_ld32(r + 4);
        uint32_t cnt = cc_ld32(r + 8), fl = cc_ld32(r + 12), j;
        const unsigned char *t = h + (size_t)used * 8u;
        uint64_t mask = 0;
        cc_cand_t *c;

        if (s >= e || e > tlen || cnt > nterms - used) {
            return;
        }
        used += cnt;
        if ((fl & CC_SENT_HEADING) || !(fl & CC_SENT_ANY)) {
            continue;
        }
        if (q->n) {
            for (j = 0; j < cnt; j++) {
                mask |= cc_qhash_bit(q, cc_ld64(t + (size_t)j * 8u));
            }
        }
        c = apr_array_push(cands);
        memset(c, 0, sizeof(*c));
        c->src = i;
        c->pos = k;
        c->s = s;
        c->e = e;
        c->mask = mask;
        c->own = mask;
        c->terms = t;
        c->nterms = cnt;
        c->fact = (fl >> CC_SENT_FACT_SHIFT)
                  & (CC_FACT_PRICE | CC_FACT_HOURS | CC_FACT_WHERE);
        c->grp = -1;
        c->lead = -1;
    }
}

/* Only white space in t[a..b)?  *blank is set when it holds an empty
 * line. */
static int cc_gap(const char *t, size_t a, size_t b, int *blank)
{
    int nl = 0;

    *blank = 0;
    for (; a < b; a++) {
        unsigned char c = (unsigned char)t[a];

        if (c == '\n') {
            if (++nl > 1) {
                *blank = 1;
            }
        }
        else if (c != ' ' && c != '\t' && c != '\r') {
            return 0;
        }
    }
    return 1;
}

/* Does the sentence t[s..e) end with terminal punctuation ('.', '!', '?',
 * maybe before a closing quote or bracket)? */
static int cc_closed(const char *t, size_t s, size_t e)
{
    while (e > s && (t[e - 1] == '"' || t[e - 1] == '\'' || t[e - 1] == ')'
                     || t[e - 1] == ']' || t[e - 1] == '*'
                     || t[e - 1] == '_')) {
        e--;
    }
    return e > s && cc_sent_is_end((unsigned char)t[e - 1]);
}

/* The Markdown kind (CC_LINE_*) of the line holding byte s of t[0..tlen),
 * looking back no further than floor (the previous sentence's start):
 * when that line started before floor, *kind is left as it is (the kind
 * of the previous sentence's line).  *at_start: s is where the line's
 * markup starts.  Over a text's sentences in order, every byte is looked
 * at once. */
static void cc_line_of(const char *t, size_t tlen, size_t s, size_t floor,
                       int *kind, int *at_start)
{
    size_t ls = floor, mlen;
    const char *nl;

    /* the last line break in t[floor..s) (memchr: lines are long) */
    while (ls < s && (nl = memchr(t + ls, '\n', s - ls)) != NULL) {
        ls = (size_t)(nl - t) + 1;
    }
    if (ls == floor && floor > 0 && t[floor - 1] != '\n') {
        *at_start = 0;
        return;
    }
    while (ls < s && (t[ls] == ' ' || t[ls] == '\t')) {
        ls++;
    }
    *at_start = ls == s;
    *kind = cc_sent_line_kind(t + ls, tlen - ls, &mlen);
}

/* Is the line after the table row ending at t[e] a header separator
 * ("|---|:--|")? */
static int cc_table_header(const char *t, size_t tlen, size_t e)
{
    int dash = 0;

    while (e < tlen && t[e] != '\n') {
        e++;
    }
    if (e < tlen) {
        e++;
    }
    while (e < tlen && (t[e] == ' ' || t[e] == '\t')) {
        e++;
    }
    if (e >= tlen || t[e] != '|') {
        return 0;
    }
    for (; e < tlen && t[e] != '\n'; e++) {
        if (t[e] == '-') {
            dash = 1;
        }
        else if (t[e] != '|' && t[e] != ':' && t[e] != ' ' && t[e] != '\t'
                 && t[e] != '\r') {
            return 0;
        }
    }
    return dash;
}

/* The list structure of one source's candidates cands[from..]: list
 * items, those without end punctuation (fragments, rendered with their
 * context), the lead-in sentence ending in ':' before a list, table
 * header rows.  A list is a run of item lines without an empty line.
 * Returns 1 when the source has a fragment. */
static int cc_cands_shape(apr_array_header_t *cands, int from,
                          const char *t, size_t tlen)
{
    cc_cand_t *cs = (cc_cand_t *)cands->elts;
    int j, bare = 0, kind = CC_LINE_PLAIN;

    for (j = from; j < cands->nelts; j++) {
        cc_cand_t *c = &cs[j];
        cc_cand_t *p = j > from ? &cs[j - 1] : NULL;
        int at, blank;

        cc_line_of(t, tlen, c->s, p ? p->s : 0, &kind, &at);

        if (kind != CC_LINE_ITEM && kind != CC_LINE_TABLE) {
            continue;
        }
        c->role |= CC_C_LIST;
        if (at && kind == CC_LINE_TABLE) {
            c->role |= CC_C_ITEM | CC_C_ROW | CC_C_BARE;
            if (cc_table_header(t, tlen, c->e)) {
                c->role |= CC_C_SKIP;
            }
        }
        else if (at) {
            c->role |= CC_C_ITEM;
            if (!cc_closed(t, c->s, c->e)) {
                c->role |= CC_C_BARE;
            }
        }
        bare |= (c->role & CC_C_BARE) != 0;
        if (p && (p->role & CC_C_LIST) && cc_gap(t, p->e, c->s, &blank)
            && !blank) {
            c->grp = p->grp;
            c->lead = p->lead;
            continue;
        }
        c->grp = j;
        if (p && !(p->role & CC_C_LIST) && t[p->e - 1] == ':'
            && cc_gap(t, p->e, c->s, &blank)) {
            c->lead = j - 1;
            p->role |= CC_C_LEAD;
            p->grp = j;
        }
    }
    return bare;
}

/* Are all the members of list g fragments (so that its lead-in can stand
 * for the whole list)? */
static int cc_list_bare(const cc_cand_t *cs, int n, int g)
{
    int j;

    for (j = g; j < n && cs[j].grp == g && !(cs[j].role & CC_C_LEAD);
         j++) {
        if (!(cs[j].role & CC_C_BARE) || (cs[j].role & CC_C_SKIP)) {
            return 0;
        }
    }
    return j > g;
}

/* The candidate's cleaned text, made on first use. */
static void cc_cand_clean(apr_pool_t *tmp, const cc_source_t *src,
                          cc_cand_t *c)
{
    if (!c->text) {
        c->text = cc_sent_clean(tmp, src[c->src].text, c->s, c->e, &c->len);
    }
}

static int cc_cand_by_score(const void *a, const void *b)
{
    const cc_cand_t *x = *(const cc_cand_t *const *)a;
    const cc_cand_t *y = *(const cc_cand_t *const *)b;

    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    if (x->src != y->src) {
        return x->src < y->src ? -1 : 1;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}


static int cc_popcount64(uint64_t v)
{
    int n = 0;

    while (v) {
        v &= v - 1;
        n++;
    }
    return n;
}

/* The number of term hashes two sentences share (both ascending). */
static int cc_shared_terms(const cc_cand_t *a, const cc_cand_t *b)
{
    uint32_t i = 0, j = 0;
    int n = 0;

    while (i < a->nterms && j < b->nterms) {
        uint64_t x = cc_ld64(a->terms + (size_t)i * 8u);
        uint64_t y = cc_ld64(b->terms + (size_t)j * 8u);

        if (x == y) {
            n++;
            i++;
            j++;
        }
        else if (x < y) {
            i++;
        }
        else {
            j++;
        }
    }
    return n;
}

/* ---- output ------------------------------------------------------------- */

/* Append one extracted sentence: cut to CC_SENT_MAX bytes at a word
 * boundary with an ellipsis, given a final '.' when it has no terminal
 * punctuation (list items, table rows). */
static void cc_emit_sentence(cc_buf_t *b, const char *t, size_t n)
{
    if (b->n > 0) {
        cc_buf_add(b, " ", 1);
    }
    if (n > CC_SENT_MAX) {
        size_t room = CC_SENT_MAX - (sizeof(CC_ELLIPSIS) - 1);
        size_t cut = room;

        while (cut > 0 && t[cut] != ' ') {
            cut--;
        }
        if (cut == 0) {
            cut = room;
            while (cut > 0 && ((unsigned char)t[cut] & 0xc0) == 0x80) {
                cut--;
            }
        }
        while (cut > 0 && (t[cut - 1] == ' ' || t[cut - 1] == ','
                           || t[cut - 1] == ';' || t[cut - 1] == ':')) {
            cut--;
        }
        cc_buf_add(b, t, cut);
        cc_buf_str(b, CC_ELLIPSIS);
        return;
    }
    cc_buf_add(b, t, n);
    if (n > 0) {
        unsigned char last = (unsigned char)t[n - 1];
        int closed = cc_sent_is_end(last) || last == ':' || last == ';';

        if (!closed && (last == '"' || last == '\'' || last == ')')
            && n > 1) {
            closed = cc_sent_is_end((unsigned char)t[n - 2]);
        }
        if (!closed && n >= 3 && memcmp(t + n - 3, CC_ELLIPSIS, 3) == 0) {
            closed = 1;
        }
        if (!closed) {
            cc_buf_add(b, ".", 1);
        }
    }
}

static const char *const cc_proper[] = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "january", "february", "march", "april", "june", "july",
    "august", "september", "october", "november", "december", NULL
};

/* Append the list item t[0..n) after its context: a table row's first
 * cell followed by ": ", the others joined by ", "; trailing ",;:"
 * dropped; the first letter lower-cased when it starts an ordinary
 * capitalised word ("Forehead lines" but not "Monday", "NHS", "Dr
 * Hassan"). */
static void cc_add_item(cc_buf_t *b, const char *t, size_t n, int row,
                        int lower)
{
    size_t w = 0, i;
    int cells = 0;

    while (n > 0 && (t[n - 1] == ',' || t[n - 1] == ';' || t[n - 1] == ':'
                     || t[n - 1] == ' ')) {
        n--;
    }
    while (w < n && cc_alpha((unsigned char)t[w])) {
        w++;
    }
    if (lower && w > 0 && cc_upper((unsigned char)t[0])) {
        char fold[16];
        size_t k;
        int ok = w < sizeof(fold) && !(w == 1 && t[0] == 'I');

        for (k = 1; ok && k < w; k++) {
            ok = !cc_upper((unsigned char)t[k]);
        }
        if (ok && w + 1 < n && t[w] == ' ') {
            ok = !cc_upper((unsigned char)t[w + 1]);
        }
        for (k = 0; ok && k < w; k++) {
            fold[k] = (char)((unsigned char)t[k] | 0x20);
        }
        if (ok && !cc_in_list(cc_proper, fold, w)) {
            cc_buf_add(b, fold, 1);
            t++;
            n--;
        }
    }
    if (!row) {
        cc_buf_add(b, t, n);
        return;
    }
    for (i = 0; i < n; i++) {
        if (t[i] == '|') {
            while (b->n > 0 && b->d[b->n - 1] == ' ') {
                b->n--;
            }
            cc_buf_add(b, cells++ ? "," : ":", 1);
        }
        else {
            cc_buf_add(b, t + i, 1);
        }
    }
}

/* One answer sentence made of list g's picked members (every member
 * when its lead-in was picked) after their context: the lead-in
 * ("The three most common areas are: forehead lines.") or, when it has
 * no lead-in or the title holds more of the query's terms, the section
 * title ("Anti-wrinkle injection prices, one area: £180.";
 * "Opening hours: Monday: 9am to 6pm; Tuesday: ...").  Only the words of
 * the source, joined by ", ", ": " and "; ". */
static void cc_emit_list(cc_buf_t *out, cc_buf_t *ub, apr_pool_t *tmp,
                         const cc_source_t *src, cc_cand_t *cs, int n,
                         int g, uint64_t tmask)
{
    const cc_cand_t *first = &cs[g];
    const char *title = src[first->src].title;
    int lead = first->lead;
    int all = lead >= 0 && cs[lead].sel;
    int count = 0, j, k = 0;

    for (j = g; j < n && cs[j].grp == g && !(cs[j].role & CC_C_LEAD); j++) {
        if (cs[j].sel || (all && (cs[j].role & CC_C_BARE))) {
            count++;
        }
    }
    ub->n = 0;
    if (lead >= 0 && (!title || !*title
                      || cc_popcount64(cs[lead].mask)
                         >= cc_popcount64(tmask))) {
        cc_cand_clean(tmp, src, &cs[lead]);
        cc_buf_add(ub, cs[lead].text, cs[lead].len);
        cc_buf_add(ub, " ", 1);
    }
    else if (title && *title) {
        cc_buf_str(ub, title);
        cc_buf_str(ub, count > 1 ? ": " : ", ");
    }
    for (j = g; j < n && cs[j].grp == g && !(cs[j].role & CC_C_LEAD); j++) {
        if (!(cs[j].sel || (all && (cs[j].role & CC_C_BARE)))) {
            continue;
        }
        cc_cand_clean(tmp, src, &cs[j]);
        if (k++ > 0) {
            cc_buf_add(ub, "; ", 2);
        }
        cc_add_item(ub, cs[j].text, cs[j].len,
                    (cs[j].role & CC_C_ROW) != 0, ub->n > 0);
    }
    if (!ub->oom) {
        cc_emit_sentence(out, ub->d, ub->n);
    }
}

/* ---- choosing ----------------------------------------------------------- */

/* The answer's units: a sentence, or a list (by its first member) whose
 * picked members make one sentence. */
typedef struct cc_unit_t {
    cc_cand_t *c;
    int        list;
} cc_unit_t;

typedef struct cc_picks_t {
    cc_unit_t   u[CC_EXTRACT_MAX];
    int         n, max;
    apr_hash_t *seen;
} cc_picks_t;

static int cc_unit_by_place(const void *a, const void *b)
{
    const cc_unit_t *x = a;
    const cc_unit_t *y = b;

    if (x->c->src != y->c->src) {
        return x->c->src < y->c->src ? -1 : 1;
    }
    return (x->c->pos > y->c->pos) - (x->c->pos < y->c->pos);
}

/* Take candidate c into the answer if it can stand there: a table header
 * never, a lead-in only for a list of fragments (it brings the list), a
 * fragment as a member of its list's sentence (joining a list already
 * taken costs no sentence), any other sentence once.  1 when taken. */
static int cc_pick(cc_picks_t *pk, apr_pool_t *tmp, const cc_source_t *src,
                   cc_cand_t *cs, int n, cc_cand_t *c)
{
    int u;

    if (c->role & CC_C_SKIP) {
        return 0;
    }
    if ((c->role & CC_C_LEAD) && !cc_list_bare(cs, n, c->grp)) {
        return 0;
    }
    if (c->grp >= 0 && (c->role & (CC_C_LEAD | CC_C_BARE))) {
        for (u = 0; u < pk->n; u++) {
            if (pk->u[u].list && pk->u[u].c->grp == c->grp) {
                c->sel = 1;
                return 1;
            }
        }
        if (pk->n >= pk->max) {
            return 0;
        }
        c->sel = 1;
        pk->u[pk->n].c = &cs[c->grp];
        pk->u[pk->n++].list = 1;
        return 1;
    }
    if (pk->n >= pk->max) {
        return 0;
    }
    cc_cand_clean(tmp, src, c);
    if (c->len == 0 || apr_hash_get(pk->seen, c->text, (apr_ssize_t)c->len)) {
        return 0;
    }
    apr_hash_set(pk->seen, c->text, (apr_ssize_t)c->len, c);
    pk->u[pk->n].c = c;
    pk->u[pk->n++].list = 0;
    return 1;
}

/* A price, hours or where question: the sentences carrying that kind of
 * fact, ranked by the weight of the question's terms they hold (a list
 * fragment's include its context's, which it is shown with), plus half
 * the weight of those only in their section title, plus, when their own
 * words hold none, 0.5 for each term (up to 3) they share with their
 * source's best sentence without the fact (the bridge: "Each of forehead
 * lines ... counts as one area" for "One area: £180"), with the usual 10%
 * discount per source rank.  The best one comes with its bridge when the
 * bridge holds more of the question; the others must score 60% of it and
 * hold a term of the question, in their own words when the best one does
 * ("Underarms: £65" does not bring the rest of its price list), else at
 * least in their title or context ("Opening hours" brings every day's
 * line).  Nothing is taken when no such sentence relates to the
 * question. */
static void cc_pick_facts(cc_picks_t *pk, apr_pool_t *tmp,
                          const cc_source_t *src, int nsrc, cc_cand_t *cs,
                          int n, unsigned kind, const uint64_t *tmask,
                          const double *wt, cc_cand_t **order)
{
    int *bridge = apr_palloc(tmp, sizeof(int) * (size_t)nsrc);
    double best = 0.0;
    int i, m = 0;

    for (i = 0; i < nsrc; i++) {
        bridge[i] = -1;
    }
    for (i = 0; i < n; i++) {
        cc_cand_t *c = &cs[i];
        int *b = &bridge[c->src];

        if (!(c->fact & kind) && c->qs > 0.0
            && !(c->role & (CC_C_SKIP | CC_C_LEAD))
            && (*b < 0 || c->qs > cs[*b].qs)) {
            *b = i;
        }
    }
    for (i = 0; i < n; i++) {
        cc_cand_t *c = &cs[i];
        double sh = 0.0;
        uint64_t tb;
        int k;

        c->score = 0.0;
        if (!(c->fact & kind) || (c->role & CC_C_SKIP)) {
            continue;
        }
        if (bridge[c->src] >= 0 && c->own == 0) {
            k = cc_shared_terms(c, &cs[bridge[c->src]]);
            sh = 0.5 * (double)(k > 3 ? 3 : k);
        }
        for (tb = tmask[c->src] & ~c->mask, k = 0; tb; tb >>= 1, k++) {
            if (tb & 1u) {
                sh += 0.5 * wt[k];
            }
        }
        c->score = (c->qs + sh) / (1.0 + 0.1 * (double)c->src);
        if (c->score > best) {
            best = c->score;
        }
    }
    if (best <= 0.0) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (cs[i].score > 0.0 && cs[i].score >= 0.6 * best) {
            order[m++] = &cs[i];
        }
    }
    qsort(order, (size_t)m, sizeof(*order), cc_cand_by_score);
    for (i = 0; i < m; i++) {
        int b = bridge[order[i]->src];

        if (i > 0 && ((order[i]->mask | tmask[order[i]->src]) == 0
                      || (order[i]->own == 0 && order[0]->own != 0))) {
            continue;
        }
        if (!cc_pick(pk, tmp, src, cs, n, order[i]) || i > 0 || b < 0) {
            continue;
        }
        if (cs[b].qs > order[0]->qs
            && cc_shared_terms(order[0], &cs[b]) > 0) {
            cc_pick(pk, tmp, src, cs, n, &cs[b]);
        }
    }
}

char *cc_answer_extract(apr_pool_t *p, const char *query,
                        const cc_source_t *src, int nsrc, int max_sentences,
                        int *used)
{
    apr_pool_t *tmp = NULL;
    apr_array_header_t *cands;
    cc_qhash_t qh;
    cc_cand_t **order;
    cc_cand_t *cs;
    cc_picks_t pk;
    cc_buf_t out = { NULL, 0, 0, 0 };
    cc_buf_t ub = { NULL, 0, 0, 0 };
    unsigned df[CC_QTERMS_MAX];
    double wt[CC_QTERMS_MAX] = { 0 };
    uint64_t *tmask;
    double best = 0.0;
    unsigned kind = 0;
    int i, n;
    char *res;

    if (!src || nsrc < 0) {
        nsrc = 0;
    }
    if (used) {
        for (i = 0; i < nsrc; i++) {
            used[i] = 0;
        }
    }
    if (max_sentences < 1) {
        max_sentences = 1;
    }
    if (max_sentences > CC_EXTRACT_MAX) {
        max_sentences = CC_EXTRACT_MAX;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return apr_pstrdup(p, "");
    }

    memset(&qh, 0, sizeof(qh));
    if (query) {
        cc_tok_each(query, strlen(query), CC_TOKF, cc_qhash_cb, &qh);
        kind = cc_sent_asks(query, strlen(query));
    }

    /* Every sentence of every source is a candidate, read from the
     * source's sentence table (made here when it has none or a bad one),
     * with its place in the text's lists. */
    cands = apr_array_make(tmp, 64, sizeof(cc_cand_t));
    tmask = apr_pcalloc(tmp, sizeof(*tmask) * (size_t)(nsrc + 1));
    for (i = 0; i < nsrc; i++) {
        size_t len = cc_source_len(&src[i]);
        const void *b = src[i].sents;
        size_t blen = src[i].sents_len;
        int from = cands->nelts, need, k;

        if (len == 0) {
            continue;
        }
        if (!b || cc_sent_check(b, blen, len) != 0) {
            if (cc_sent_analyse(&b, &blen, tmp, src[i].text, len)
                != APR_SUCCESS) {
                continue;
            }
        }
        cc_cands_add(cands, &qh, i, b, blen, len);
        /* The title's query terms count for fragments (shown with it)
         * and for the sentences with the asked fact. */
        need = cc_cands_shape(cands, from, src[i].text, len);
        for (k = from; kind && !need && k < cands->nelts; k++) {
            need = (APR_ARRAY_IDX(cands, k, cc_cand_t).fact & kind) != 0;
        }
        if (need) {
            tmask[i] = cc_title_mask(&qh, src[i].title);
        }
    }
    n = cands->nelts;
    if (n == 0) {
        apr_pool_destroy(tmp);
        return apr_pstrdup(p, "");
    }
    cs = (cc_cand_t *)cands->elts;

    /* A list fragment is shown with its context (lead-in or title), so it
     * holds the context's query terms too. */
    for (i = 0; i < n; i++) {
        cc_cand_t *c = &cs[i];

        if ((c->role & CC_C_BARE) && c->grp >= 0) {
            c->mask |= tmask[c->src] | (c->lead >= 0 ? cs[c->lead].mask : 0);
        }
    }

    /* Rarer query terms weigh more (between 1 and 2); a lower-ranked source
     * is discounted by 10% per rank. */
    memset(df, 0, sizeof(df));
    for (i = 0; i < n; i++) {
        uint64_t m = cs[i].mask;
        unsigned b;

        for (b = 0; b < qh.n; b++) {
            if (m & ((uint64_t)1 << b)) {
                df[b]++;
            }
        }
    }
    for (i = 0; i < (int)qh.n; i++) {
        wt[i] = 2.0 * (double)n / ((double)n + (double)df[i]);
    }
    for (i = 0; i < n; i++) {
        cc_cand_t *c = &cs[i];
        double s = 0.0;
        unsigned b;

        for (b = 0; b < qh.n; b++) {
            if (c->mask & ((uint64_t)1 << b)) {
                s += wt[b];
            }
        }
        c->qs = s;
        c->score = s / (1.0 + 0.1 * (double)c->src);
        if (c->score > best) {
            best = c->score;
        }
    }

    order = apr_palloc(tmp, sizeof(*order) * (size_t)n);
    pk.n = 0;
    pk.max = max_sentences;
    pk.seen = apr_hash_make(tmp);
    if (kind) {
        cc_pick_facts(&pk, tmp, src, nsrc, cs, n, kind, tmask, wt, order);
        if (pk.n == 0) {
            for (i = 0; i < n; i++) {
                cs[i].score = cs[i].qs / (1.0 + 0.1 * (double)cs[i].src);
            }
        }
    }
    if (pk.n == 0 && best > 0.0) {
        int m = 0;

        for (i = 0; i < n; i++) {
            /* Keep sentences with at least 60% of the best score ... */
            if (cs[i].score >= 0.6 * best) {
                order[m++] = &cs[i];
            }
        }
        qsort(order, (size_t)m, sizeof(*order), cc_cand_by_score);
        for (i = 0; i < m; i++) {
            /* ... and more than half as many query terms as the best. */
            if (i > 0 && 2 * cc_popcount64(order[i]->mask)
                         <= cc_popcount64(order[0]->mask)) {
                continue;
            }
            cc_pick(&pk, tmp, src, cs, n, order[i]);
        }
    }
    /* Nothing overlaps: the first sentence carrying the asked fact (in
     * the best source that has one), else the first sentence of the best
     * source that can stand alone (candidates are in source order). */
    for (i = 0; kind && i < n && pk.n == 0; i++) {
        if (cs[i].fact & kind) {
            cc_pick(&pk, tmp, src, cs, n, &cs[i]);
        }
    }
    for (i = 0; i < n && pk.n == 0; i++) {
        cc_pick(&pk, tmp, src, cs, n, &cs[i]);
    }
    qsort(pk.u, (size_t)pk.n, sizeof(pk.u[0]), cc_unit_by_place);

    for (i = 0; i < pk.n; i++) {
        cc_cand_t *c = pk.u[i].c;

        if (pk.u[i].list) {
            cc_emit_list(&out, &ub, tmp, src, cs, n, c->grp,
                         tmask[c->src]);
        }
        else {
            cc_emit_sentence(&out, c->text, c->len);
        }
        if (used) {
            used[c->src] = 1;
        }
    }
    res = apr_pstrmemdup(p, out.d ? out.d : "", out.oom ? 0 : out.n);
    free(out.d);
    free(ub.d);
    apr_pool_destroy(tmp);
    return res;
}

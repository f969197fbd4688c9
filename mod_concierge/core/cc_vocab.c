/*
 * cc_vocab.c - the medical vocabulary image: build, attach (validate),
 * look up, and the class guessed from a term's ending.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_vocab.h"
#include "cc_tok.h"

const char *const cc_vocab_class_names[CC_VOCAB_NCLASSES] = {
    "other", "drug", "condition", "procedure"
};

/* A prefilter built at attach: one bit per hash of every term (2^20 bits,
 * 128 KiB, stays in cache), so most words of a message - not medical -
 * are rejected without the binary search's cache misses. */
#define VB_FILTER_BITS 20

struct cc_vocab_t {
    const cc_vocab_hdr_t   *hdr;
    const cc_vocab_entry_t *ent;
    const char             *str;
    uint32_t                count;
    uint64_t               *filter;
};

static uint32_t vb_hash(const char *w, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)w[i];
        h *= 16777619u;
    }
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h & ((1u << VB_FILTER_BITS) - 1u);
}

uint64_t cc_fnv64(uint64_t h, const void *b, size_t n)
{
    const unsigned char *s = b;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Endings, English and German (folded: "amie" is "ämie").  The longest
 * matching ending wins; the stem before it must keep 2+ letters. */
static const struct { const char *suf; cc_vocab_class_e cls; } suffixes[] = {
    /* procedures */
    {"ectomy", CC_VOCAB_PROCEDURE}, {"plasty", CC_VOCAB_PROCEDURE},
    {"otomy", CC_VOCAB_PROCEDURE}, {"ostomy", CC_VOCAB_PROCEDURE},
    {"scopy", CC_VOCAB_PROCEDURE}, {"pexy", CC_VOCAB_PROCEDURE},
    {"ektomie", CC_VOCAB_PROCEDURE}, {"plastik", CC_VOCAB_PROCEDURE},
    {"otomie", CC_VOCAB_PROCEDURE}, {"ostomie", CC_VOCAB_PROCEDURE},
    {"skopie", CC_VOCAB_PROCEDURE}, {"pexie", CC_VOCAB_PROCEDURE},
    {"graphy", CC_VOCAB_PROCEDURE}, {"centesis", CC_VOCAB_PROCEDURE},
    /* drugs */
    {"mab", CC_VOCAB_DRUG}, {"nib", CC_VOCAB_DRUG}, {"pril", CC_VOCAB_DRUG},
    {"olol", CC_VOCAB_DRUG}, {"sartan", CC_VOCAB_DRUG},
    {"statin", CC_VOCAB_DRUG}, {"azole", CC_VOCAB_DRUG},
    {"cillin", CC_VOCAB_DRUG}, {"mycin", CC_VOCAB_DRUG},
    {"micin", CC_VOCAB_DRUG}, {"cycline", CC_VOCAB_DRUG},
    {"cyclin", CC_VOCAB_DRUG}, {"floxacin", CC_VOCAB_DRUG},
    {"oxacin", CC_VOCAB_DRUG}, {"prazole", CC_VOCAB_DRUG},
    {"tidine", CC_VOCAB_DRUG}, {"pine", CC_VOCAB_DRUG},
    {"pam", CC_VOCAB_DRUG}, {"lam", CC_VOCAB_DRUG}, {"done", CC_VOCAB_DRUG},
    {"parin", CC_VOCAB_DRUG}, {"farin", CC_VOCAB_DRUG},
    {"xaban", CC_VOCAB_DRUG}, {"gatran", CC_VOCAB_DRUG},
    {"tide", CC_VOCAB_DRUG}, {"glutide", CC_VOCAB_DRUG},
    {"gliptin", CC_VOCAB_DRUG}, {"flozin", CC_VOCAB_DRUG},
    {"formin", CC_VOCAB_DRUG}, {"triptan", CC_VOCAB_DRUG},
    {"setron", CC_VOCAB_DRUG}, {"lukast", CC_VOCAB_DRUG},
    {"sone", CC_VOCAB_DRUG}, {"solon", CC_VOCAB_DRUG},
    {"olone", CC_VOCAB_DRUG}, {"vir", CC_VOCAB_DRUG},
    {"oxetine", CC_VOCAB_DRUG}, {"traline", CC_VOCAB_DRUG},
    {"triptyline", CC_VOCAB_DRUG}, {"mide", CC_VOCAB_DRUG},
    {"thiazide", CC_VOCAB_DRUG}, {"profen", CC_VOCAB_DRUG},
    {"dronate", CC_VOCAB_DRUG}, {"retinoin", CC_VOCAB_DRUG},
    {"afil", CC_VOCAB_DRUG}, {"barbital", CC_VOCAB_DRUG},
    {"caine", CC_VOCAB_DRUG}, {"kain", CC_VOCAB_DRUG},
    {"dipin", CC_VOCAB_DRUG}, {"azepam", CC_VOCAB_DRUG},
    {"zolam", CC_VOCAB_DRUG}, {"umab", CC_VOCAB_DRUG},
    {"limus", CC_VOCAB_DRUG}, {"cept", CC_VOCAB_DRUG},
    {"triptan", CC_VOCAB_DRUG}, {"oxin", CC_VOCAB_DRUG},
    /* conditions */
    {"itis", CC_VOCAB_CONDITION}, {"osis", CC_VOCAB_CONDITION},
    {"oses", CC_VOCAB_CONDITION}, {"iasis", CC_VOCAB_CONDITION},
    {"emia", CC_VOCAB_CONDITION}, {"aemia", CC_VOCAB_CONDITION},
    {"amie", CC_VOCAB_CONDITION}, {"oma", CC_VOCAB_CONDITION},
    {"omas", CC_VOCAB_CONDITION}, {"pathy", CC_VOCAB_CONDITION},
    {"pathie", CC_VOCAB_CONDITION}, {"algia", CC_VOCAB_CONDITION},
    {"algie", CC_VOCAB_CONDITION}, {"plegia", CC_VOCAB_CONDITION},
    {"plegie", CC_VOCAB_CONDITION}, {"trophy", CC_VOCAB_CONDITION},
    {"trophie", CC_VOCAB_CONDITION}, {"ism", CC_VOCAB_CONDITION},
    {"ismus", CC_VOCAB_CONDITION}, {"ia", CC_VOCAB_CONDITION},
    {"ose", CC_VOCAB_CONDITION}, {"rrhea", CC_VOCAB_CONDITION},
    {"rrhoea", CC_VOCAB_CONDITION}, {"uria", CC_VOCAB_CONDITION},
    {"megaly", CC_VOCAB_CONDITION}, {"penia", CC_VOCAB_CONDITION},
    {"cele", CC_VOCAB_CONDITION}, {"itides", CC_VOCAB_CONDITION},
    {"ectasis", CC_VOCAB_CONDITION}, {"sclerosis", CC_VOCAB_CONDITION},
    {"syndrom", CC_VOCAB_CONDITION},
};

cc_vocab_class_e cc_vocab_guess_class(const char *w, size_t n)
{
    size_t i, best = 0;
    cc_vocab_class_e cls = CC_VOCAB_OTHER;

    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t sl = strlen(suffixes[i].suf);

        if (sl > best && n >= sl + 2
            && memcmp(w + n - sl, suffixes[i].suf, sl) == 0) {
            best = sl;
            cls = suffixes[i].cls;
        }
    }
    return cls;
}

static int term_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);

    if (c != 0) {
        return c;
    }
    return (an > bn) - (an < bn);
}

typedef struct vb_item_t {
    const char *s;
    size_t      n;
    uint8_t     langs;
} vb_item_t;

static int item_cmp(const void *a, const void *b)
{
    const vb_item_t *x = a, *y = b;

    return term_cmp(x->s, x->n, y->s, y->n);
}

apr_status_t cc_vocab_build(void **img, size_t *len, apr_pool_t *p,
                            const char *const *terms, const uint8_t *langs,
                            size_t n)
{
    vb_item_t *it;
    size_t i, k = 0, strbytes = 0, total;
    cc_vocab_hdr_t *h;
    cc_vocab_entry_t *e;
    char *base, *str;
    uint32_t off = 0;

    *img = NULL;
    *len = 0;
    it = malloc((n ? n : 1) * sizeof(*it));
    if (!it) {
        return APR_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        size_t l = strlen(terms[i]);

        if (l == 0 || l > CC_TOK_MAX) {
            continue;
        }
        it[k].s = terms[i];
        it[k].n = l;
        it[k].langs = langs ? langs[i] : CC_VOCAB_LANG_EN;
        k++;
    }
    qsort(it, k, sizeof(*it), item_cmp);
    /* Unique, merging language bits. */
    if (k > 0) {
        size_t w = 0;

        for (i = 1; i < k; i++) {
            if (item_cmp(&it[w], &it[i]) == 0) {
                it[w].langs |= it[i].langs;
            }
            else {
                it[++w] = it[i];
            }
        }
        k = w + 1;
    }
    for (i = 0; i < k; i++) {
        strbytes += it[i].n;
    }
    if (strbytes > UINT32_MAX || k > UINT32_MAX / 2) {
        free(it);
        return APR_EINVAL;
    }
    total = sizeof(*h) + k * sizeof(*e) + strbytes;
    base = apr_pcalloc(p, total);
    h = (cc_vocab_hdr_t *)base;
    e = (cc_vocab_entry_t *)(base + sizeof(*h));
    str = base + sizeof(*h) + k * sizeof(*e);
    memcpy(h->magic, CC_VOCAB_MAGIC, 8);
    h->version = CC_VOCAB_VERSION;
    h->count = (uint32_t)k;
    h->strings_len = (uint32_t)strbytes;
    h->hdr_size = (uint32_t)sizeof(*h);
    h->total = total;
    for (i = 0; i < k; i++) {
        e[i].off = off;
        e[i].len = (uint8_t)it[i].n;
        e[i].cls = (uint8_t)cc_vocab_guess_class(it[i].s, it[i].n);
        e[i].langs = it[i].langs;
        memcpy(str + off, it[i].s, it[i].n);
        off += (uint32_t)it[i].n;
        h->nclass[e[i].cls]++;
    }
    free(it);
    h->checksum = cc_fnv64(CC_FNV64_INIT, base + sizeof(*h),
                           total - sizeof(*h));
    *img = base;
    *len = total;
    return APR_SUCCESS;
}

cc_vocab_t *cc_vocab_attach(apr_pool_t *p, const void *img, size_t len,
                            cc_problem_t *prob)
{
    const cc_vocab_hdr_t *h = img;
    const cc_vocab_entry_t *e;
    const char *str;
    cc_vocab_t *v;
    uint64_t need;
    uint32_t i;

    if (!img || len < sizeof(*h) || ((uintptr_t)img & 7u) != 0) {
        cc_problem_set(prob, 500, "invalid_vocab",
                       "vocabulary image too short or misaligned");
        return NULL;
    }
    if (memcmp(h->magic, CC_VOCAB_MAGIC, 8) != 0
        || h->version != CC_VOCAB_VERSION || h->hdr_size != sizeof(*h)) {
        cc_problem_set(prob, 500, "invalid_vocab",
                       "vocabulary image: wrong magic or version");
        return NULL;
    }
    need = (uint64_t)sizeof(*h) + (uint64_t)h->count * sizeof(*e)
           + h->strings_len;
    if (h->total != len || need != len) {
        cc_problem_set(prob, 500, "invalid_vocab",
                       "vocabulary image: size %zu, header says %llu",
                       len, (unsigned long long)h->total);
        return NULL;
    }
    if (cc_fnv64(CC_FNV64_INIT, (const char *)img + sizeof(*h),
                 len - sizeof(*h)) != h->checksum) {
        cc_problem_set(prob, 500, "invalid_vocab",
                       "vocabulary image: checksum mismatch");
        return NULL;
    }
    e = (const cc_vocab_entry_t *)((const char *)img + sizeof(*h));
    str = (const char *)(e + h->count);
    for (i = 0; i < h->count; i++) {
        if (e[i].len == 0 || e[i].len > CC_TOK_MAX
            || (uint64_t)e[i].off + e[i].len > h->strings_len
            || e[i].cls >= CC_VOCAB_NCLASSES
            || (i > 0 && term_cmp(str + e[i - 1].off, e[i - 1].len,
                                  str + e[i].off, e[i].len) >= 0)) {
            cc_problem_set(prob, 500, "invalid_vocab",
                           "vocabulary image: entry %u out of bounds or "
                           "order", i);
            return NULL;
        }
    }
    v = apr_pcalloc(p, sizeof(*v));
    v->hdr = h;
    v->ent = e;
    v->str = str;
    v->count = h->count;
    v->filter = apr_pcalloc(p, ((size_t)1 << VB_FILTER_BITS) / 8);
    for (i = 0; i < h->count; i++) {
        uint32_t b = vb_hash(str + e[i].off, e[i].len);

        v->filter[b >> 6] |= (uint64_t)1 << (b & 63u);
    }
    return v;
}

uint32_t cc_vocab_count(const cc_vocab_t *v)
{
    return v ? v->count : 0;
}

uint64_t cc_vocab_checksum(const cc_vocab_t *v)
{
    return v ? v->hdr->checksum : 0;
}

int cc_vocab_lookup(const cc_vocab_t *v, const char *w, size_t n,
                    cc_vocab_class_e *cls)
{
    uint32_t lo = 0, hi;

    if (!v || !w || n == 0 || n > CC_TOK_MAX) {
        return 0;
    }
    {
        uint32_t b = vb_hash(w, n);

        if (!(v->filter[b >> 6] & ((uint64_t)1 << (b & 63u)))) {
            return 0;
        }
    }
    hi = v->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const cc_vocab_entry_t *e = &v->ent[mid];
        int c = term_cmp(v->str + e->off, e->len, w, n);

        if (c == 0) {
            if (cls) {
                *cls = (cc_vocab_class_e)e->cls;
            }
            return 1;
        }
        if (c < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return 0;
}

/*
 * vocab_build.c - build the medical vocabulary image (build/risk-vocab.bin).
 *
 *   vocab_build <out.bin> --common <wordlist> [--common ...]
 *               --exclude <list> <source>:<en|de> [...]
 *
 * Sources are hunspell .dic files (first line a count, "word/FLAGS") or
 * plain word lists, one entry a line.  Each entry is folded like the chat
 * tokenizer (cc_tok: lower case, accents folded, apostrophes dropped);
 * entries that fold to more than one term, hold a digit, are shorter
 * than 4 letters or are written all in capitals (acronyms) are skipped.
 * A term that is also an everyday word (a --common list, folded the same
 * way) is dropped unless its ending is a strong medical one ("-itis",
 * "-ectomy", "-statin"...); a term in the --exclude list (the clinic's own
 * treatment words, everyday words the medical lists contain) is dropped
 * always.  See docs/VOCABULARY.md for the sources and their licences.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_tok.h"
#include "cc_vocab.h"

static const char *const strong[] = {
    "itis", "osis", "iasis", "emia", "aemia", "pathy", "algia", "plegia",
    "ectomy", "plasty", "otomy", "ostomy", "scopy", "statin", "cillin",
    "mycin", "cycline", "floxacin", "prazole", "sartan", "olol", "pril",
    "parin", "xaban", "gatran", "gliptin", "flozin", "triptan", "lukast",
    NULL
};

typedef struct fold_t {
    char term[CC_TOK_MAX + 1];
    size_t len;
    int nterms;
} fold_t;

static int fold_cb(void *baton, const char *term, size_t len, uint32_t pos,
                   size_t start, size_t end)
{
    fold_t *f = baton;

    f->nterms++;
    if (f->nterms == 1) {
        memcpy(f->term, term, len);
        f->term[len] = '\0';
        f->len = len;
    }
    return f->nterms > 1;
}

/* Fold one entry; NULL when it is not a single alphabetic term. */
static const char *fold(apr_pool_t *p, const char *s, size_t n)
{
    fold_t f;
    size_t i;

    memset(&f, 0, sizeof(f));
    cc_tok_each(s, n, 0, fold_cb, &f);
    if (f.nterms != 1) {
        return NULL;
    }
    for (i = 0; i < f.len; i++) {
        if (f.term[i] >= '0' && f.term[i] <= '9') {
            return NULL;
        }
    }
    return apr_pstrmemdup(p, f.term, f.len);
}

static char *slurp(apr_pool_t *p, const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    long n;
    char *buf;

    if (!fp) {
        fprintf(stderr, "vocab_build: cannot open %s\n", path);
        exit(2);
    }
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = apr_palloc(p, (apr_size_t)n + 1);
    if (n < 0 || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "vocab_build: cannot read %s\n", path);
        exit(2);
    }
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* Calls fn(entry, n) for each usable line: comments, indented lines (the
 * en_med header), a leading count and "/FLAGS" tails removed. */
typedef void line_fn(void *baton, const char *s, size_t n);

static void each_line(char *buf, size_t len, line_fn *fn, void *baton)
{
    size_t pos = 0;
    int first = 1;

    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos, k;

        pos += n + 1;
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        if (n == 0 || s[0] == '#' || s[0] == ' ' || s[0] == '\t') {
            first = 0;
            continue;
        }
        for (k = 0; k < n; k++) {
            if (s[k] == '/' || s[k] == '\t') {
                n = k;
                break;
            }
        }
        if (first) {
            first = 0;
            if (strspn(s, "0123456789") == n) {
                continue;
            }
        }
        if (n == 0 || memchr(s, ' ', n)) {
            continue;
        }
        fn(baton, s, n);
    }
}

typedef struct ctx_t {
    apr_pool_t *p;
    apr_hash_t *common, *exclude, *seen;
    apr_array_header_t *terms;
    apr_array_header_t *langs;
    uint8_t lang;
    int read, kept, dropped_common, dropped_excl, skipped;
} ctx_t;

static void add_set(void *baton, const char *s, size_t n)
{
    ctx_t *c = baton;
    const char *f = fold(c->p, s, n);

    if (f) {
        apr_hash_set(c->common, f, APR_HASH_KEY_STRING, "");
    }
}

static void add_excl(void *baton, const char *s, size_t n)
{
    ctx_t *c = baton;
    const char *f = fold(c->p, s, n);

    if (f) {
        apr_hash_set(c->exclude, f, APR_HASH_KEY_STRING, "");
    }
}

static int is_strong(const char *w, size_t n)
{
    int i;

    for (i = 0; strong[i]; i++) {
        size_t sl = strlen(strong[i]);

        if (n >= sl + 3 && memcmp(w + n - sl, strong[i], sl) == 0) {
            return 1;
        }
    }
    return 0;
}

static void add_source(void *baton, const char *s, size_t n)
{
    ctx_t *c = baton;
    const char *f;
    size_t k, fl;
    int lower = 0;

    c->read++;
    for (k = 0; k < n; k++) {
        if ((s[k] >= 'a' && s[k] <= 'z') || (unsigned char)s[k] >= 0x80) {
            lower = 1;
            break;
        }
    }
    f = lower ? fold(c->p, s, n) : NULL;
    fl = f ? strlen(f) : 0;
    if (!f || fl < 4) {
        c->skipped++;
        return;
    }
    if (apr_hash_get(c->exclude, f, APR_HASH_KEY_STRING)) {
        c->dropped_excl++;
        return;
    }
    if (apr_hash_get(c->common, f, APR_HASH_KEY_STRING)
        && !is_strong(f, fl)) {
        c->dropped_common++;
        return;
    }
    c->kept++;
    APR_ARRAY_PUSH(c->terms, const char *) = f;
    APR_ARRAY_PUSH(c->langs, uint8_t) = c->lang;
}

static void usage(void)
{
    fprintf(stderr, "usage: vocab_build <out.bin> --common <list> "
            "[--common <list>] --exclude <list> <source>:<en|de> ...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    ctx_t c;
    int i, nsrc = 0;
    void *img;
    size_t len;
    FILE *fp;
    const cc_vocab_hdr_t *h;

    if (argc < 3) {
        usage();
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.common = apr_hash_make(p);
    c.exclude = apr_hash_make(p);
    c.terms = apr_array_make(p, 65536, sizeof(const char *));
    c.langs = apr_array_make(p, 65536, sizeof(uint8_t));
    /* Lists first, sources after (order of arguments is free). */
    for (i = 2; i < argc; i++) {
        size_t n;
        char *buf;

        if ((strcmp(argv[i], "--common") == 0
             || strcmp(argv[i], "--exclude") == 0) && i + 1 < argc) {
            buf = slurp(p, argv[i + 1], &n);
            each_line(buf, n, argv[i][2] == 'c' ? add_set : add_excl, &c);
            i++;
        }
    }
    for (i = 2; i < argc; i++) {
        char *colon, *buf;
        size_t n;

        if (strncmp(argv[i], "--", 2) == 0) {
            i++;
            continue;
        }
        colon = strrchr(argv[i], ':');
        if (!colon) {
            usage();
        }
        *colon = '\0';
        c.lang = strcmp(colon + 1, "de") == 0 ? CC_VOCAB_LANG_DE
                                               : CC_VOCAB_LANG_EN;
        buf = slurp(p, argv[i], &n);
        each_line(buf, n, add_source, &c);
        nsrc++;
    }
    if (nsrc == 0 || apr_hash_count(c.common) == 0) {
        usage();
    }
    if (cc_vocab_build(&img, &len, p, (const char *const *)c.terms->elts,
                       (const uint8_t *)c.langs->elts,
                       (size_t)c.terms->nelts) != APR_SUCCESS) {
        fprintf(stderr, "vocab_build: build failed\n");
        return 2;
    }
    fp = fopen(argv[1], "wb");
    if (!fp || fwrite(img, 1, len, fp) != len || fclose(fp) != 0) {
        fprintf(stderr, "vocab_build: cannot write %s\n", argv[1]);
        return 2;
    }
    h = img;
    printf("vocab_build: %s: %u terms (drug %u, condition %u, procedure %u, "
           "other %u), %zu bytes; %d entries read, %d dropped as everyday "
           "words, %d excluded, %d skipped\n", argv[1], h->count,
           h->nclass[CC_VOCAB_DRUG], h->nclass[CC_VOCAB_CONDITION],
           h->nclass[CC_VOCAB_PROCEDURE], h->nclass[CC_VOCAB_OTHER], len,
           c.read, c.dropped_common, c.dropped_excl, c.skipped);
    apr_pool_destroy(p);
    return 0;
}

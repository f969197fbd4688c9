/* Unit tests: cc_index at size: the chunk limit, a generated 10,000-chunk
 * index and a 70,000-chunk one (sparse accumulator), ranked as a
 * brute-force BM25F ranks them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_index.h"
#include "cc_tok.h"
#include "corpus.h"
#include "suites.h"

START_TEST(test_too_many_chunks)
{
    apr_pool_t *p = corpus_pool();
    cc_index_builder_t *b = cc_index_builder_create(p, NULL);
    cc_index_stats_t st;
    cc_problem_t prob;
    void *img;
    size_t len;
    uint32_t i;

    for (i = 0; i < 1000000u; i++) {
        cc_index_builder_add(b, "", "", "", 0);
    }
    ck_assert_int_eq(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_int_eq(cc_index_stats(img, len, &st), 0);
    ck_assert_uint_eq(st.nchunks, 1000000u);
    cc_index_builder_add(b, "", "", "", 0);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_ne(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_ptr_null(img);
    ck_assert_int_eq(prob.status, 413);
    ck_assert_str_eq(prob.code, "knowledge_too_large");
    apr_pool_destroy(p);
}
END_TEST

/* ---- a generated 10,000-chunk index ------------------------------------ */

#define GEN_VOCAB 3000

typedef struct gen_t {
    apr_pool_t *p;
    char      **vocab;
    char      **ids, **titles, **texts;
    size_t     *lens;
    int         n;
} gen_t;

/* "zz" + 4 consonants: untouched by the stemmer, unique per chunk. */
static void marker(char out[8], int i)
{
    static const char cons[] = "bcdfghjklmnpqrtvwxz";
    int k;

    out[0] = 'z';
    out[1] = 'z';
    for (k = 0; k < 4; k++) {
        out[2 + k] = cons[i % 19];
        i /= 19;
    }
    out[6] = '\0';
}

static const char *gen_word(gen_t *g, uint32_t *seed)
{
    /* Skewed towards the front of the vocabulary (Zipf-like). */
    uint32_t a = corpus_lcg(seed) % GEN_VOCAB;
    uint32_t b = corpus_lcg(seed) % GEN_VOCAB;

    return g->vocab[(uint64_t)a * b / GEN_VOCAB];
}

static void gen_corpus(gen_t *g, apr_pool_t *p, int n, size_t body)
{
    static const char cons[] = "bdfgklmnprtv", vow[] = "aeiou";
    uint32_t seed = 99;
    int i;

    g->p = p;
    g->n = n;
    g->vocab = apr_palloc(p, GEN_VOCAB * sizeof(char *));
    for (i = 0; i < GEN_VOCAB; i++) {
        char w[16];
        int syl = 2 + (int)(corpus_lcg(&seed) % 3), k, at = 0;

        for (k = 0; k < syl; k++) {
            w[at++] = cons[corpus_lcg(&seed) % 12];
            w[at++] = vow[corpus_lcg(&seed) % 5];
        }
        w[at] = '\0';
        g->vocab[i] = apr_pstrdup(p, w);
    }
    g->ids = apr_palloc(p, (size_t)n * sizeof(char *));
    g->titles = apr_palloc(p, (size_t)n * sizeof(char *));
    g->texts = apr_palloc(p, (size_t)n * sizeof(char *));
    g->lens = apr_palloc(p, (size_t)n * sizeof(size_t));
    for (i = 0; i < n; i++) {
        char *t = apr_palloc(p, body + 64), m[8];
        size_t tl = 0;
        int words = 0, mpos = (int)(corpus_lcg(&seed) % (body / 30 + 1));

        g->ids[i] = apr_psprintf(p, "gen-%d#%d", i / 10, i % 10);
        g->titles[i] = apr_pstrcat(p, gen_word(g, &seed), " ",
                                   gen_word(g, &seed), NULL);
        marker(m, i);
        while (tl < body) {
            const char *w = words == mpos ? m : gen_word(g, &seed);
            size_t wl = strlen(w);

            memcpy(t + tl, w, wl);
            tl += wl;
            t[tl++] = (corpus_lcg(&seed) % 12 == 0) ? '.' : ' ';
            if (t[tl - 1] == '.') {
                t[tl++] = ' ';
            }
            words++;
        }
        t[tl] = '\0';
        g->texts[i] = t;
        g->lens[i] = tl;
    }
}

static void *gen_build(gen_t *g, size_t *len, double *ms)
{
    struct timespec t0, t1;
    cc_index_builder_t *b;
    cc_index_params_t pr;
    cc_problem_t prob;
    void *img = NULL;
    int i;

    /* BM25F alone, so that bf_compare can recompute every score. */
    cc_index_params_default(&pr);
    pr.coverage_weight = 0.0;
    pr.pair_weight = 0.0;
    pr.title_rank_weight = 0.0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    b = cc_index_builder_create(g->p, &pr);
    for (i = 0; i < g->n; i++) {
        cc_index_builder_add(b, g->ids[i], g->titles[i], g->texts[i],
                             g->lens[i]);
    }
    ck_assert_int_eq(cc_index_build(&img, len, b, g->p, &prob), APR_SUCCESS);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3
          + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return img;
}

/* Brute-force BM25F over the generated corpus, for comparison. */
typedef struct bf_t {
    apr_array_header_t **body, **title;     /* char * terms per chunk */
    double               avg;
} bf_t;

static void bf_prepare(bf_t *bf, const gen_t *g)
{
    double sum = 0.0;
    int i;

    bf->body = apr_palloc(g->p, (size_t)g->n * sizeof(*bf->body));
    bf->title = apr_palloc(g->p, (size_t)g->n * sizeof(*bf->title));
    for (i = 0; i < g->n; i++) {
        bf->body[i] = cc_tok_terms(g->p, g->texts[i], g->lens[i],
                                   CC_TOK_STEM | CC_TOK_NOSTOP);
        bf->title[i] = cc_tok_terms(g->p, g->titles[i],
                                    strlen(g->titles[i]),
                                    CC_TOK_STEM | CC_TOK_NOSTOP);
        sum += bf->body[i]->nelts + 2.0 * bf->title[i]->nelts;
    }
    bf->avg = sum / g->n;
}

static int count_term(const apr_array_header_t *a, const char *t)
{
    int i, c = 0;

    for (i = 0; i < a->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(a, i, const char *), t) == 0) {
            c++;
        }
    }
    return c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Compare the index's top 10 with brute force. */
static void bf_compare(const bf_t *bf, const gen_t *g, const void *img,
                       size_t len, const char *query, apr_pool_t *p)
{
    cc_index_params_t pr;
    apr_array_header_t *qt = cc_tok_terms(p, query, strlen(query),
                                          CC_TOK_STEM | CC_TOK_NOSTOP);
    double *score = apr_pcalloc(p, (size_t)g->n * sizeof(double));
    double *sorted = apr_palloc(p, (size_t)g->n * sizeof(double));
    int *tfb = apr_palloc(p, (size_t)g->n * sizeof(int));
    int *tft = apr_palloc(p, (size_t)g->n * sizeof(int));
    cc_hit_t hits[10];
    int i, j, n, nz = 0;

    cc_index_params_default(&pr);
    qsort(qt->elts, (size_t)qt->nelts, sizeof(char *), cmp_str);
    for (j = 0; j < qt->nelts; j++) {
        const char *t = APR_ARRAY_IDX(qt, j, const char *);
        int df = 0;

        if (j > 0 && strcmp(t, APR_ARRAY_IDX(qt, j - 1, const char *)) == 0) {
            continue;
        }
        for (i = 0; i < g->n; i++) {
            tfb[i] = count_term(bf->body[i], t);
            tft[i] = count_term(bf->title[i], t);
            df += (tfb[i] + tft[i]) > 0;
        }
        for (i = 0; i < g->n; i++) {
            double dl = bf->body[i]->nelts + 2.0 * bf->title[i]->nelts;

            if (tfb[i] + tft[i] > 0) {
                score[i] += corpus_idf(g->n, df)
                            * corpus_sat(&pr, tfb[i] + 2.0 * tft[i], dl,
                                         bf->avg);
            }
        }
    }
    for (i = 0; i < g->n; i++) {
        if (score[i] > 0) {
            sorted[nz++] = score[i];
        }
    }
    qsort(sorted, (size_t)nz, sizeof(double), cmp_desc);
    n = cc_index_search(img, len, query, strlen(query), hits, 10, p);
    ck_assert_int_eq(n, nz < 10 ? nz : 10);
    for (i = 0; i < n; i++) {
        ck_assert_msg(fabs(hits[i].score - sorted[i]) < 1e-9,
                      "'%s' rank %d: %.17g vs %.17g", query, i, hits[i].score,
                      sorted[i]);
        ck_assert_msg(fabs(score[hits[i].chunk] - hits[i].score) < 1e-9,
                      "'%s' rank %d: chunk %u", query, i, hits[i].chunk);
    }
}

START_TEST(test_generated_10k)
{
    apr_pool_t *p = corpus_pool();
    apr_pool_t *scratch = corpus_pool();
    gen_t g;
    bf_t bf;
    size_t len;
    void *img;
    double build_ms;
    uint32_t seed = 4242;
    cc_index_stats_t st;
    int i;

    gen_corpus(&g, p, 10000, 500);
    img = gen_build(&g, &len, &build_ms);
    ck_assert_int_eq(cc_index_check(img, len), 0);
    ck_assert_int_eq(cc_index_stats(img, len, &st), 0);
    ck_assert_uint_eq(st.nchunks, 10000);

    /* Every 37th chunk is found by its marker, first. */
    for (i = 0; i < g.n; i += 37) {
        char m[8];
        cc_hit_t hits[3];
        int n;

        marker(m, i);
        n = cc_index_search(img, len, m, strlen(m), hits, 3, scratch);
        ck_assert_int_eq(n, 1);
        ck_assert_uint_eq(hits[0].chunk, (uint32_t)i);
        ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), g.ids[i]);
        apr_pool_clear(scratch);
    }

    /* Ranking identical to brute force on a few queries. */
    bf_prepare(&bf, &g);
    for (i = 0; i < 6; i++) {
        char m[8];
        const char *q;

        marker(m, (int)(corpus_lcg(&seed) % 10000));
        q = apr_pstrcat(scratch, gen_word(&g, &seed), " ",
                        gen_word(&g, &seed), " ", gen_word(&g, &seed), " ",
                        gen_word(&g, &seed), " ", gen_word(&g, &seed),
                        i & 1 ? " " : "", i & 1 ? m : "", NULL);
        bf_compare(&bf, &g, img, len, q, scratch);
        apr_pool_clear(scratch);
    }

    /* Its speed (build time, search latency) is measured by make bench
     * (bench/bench_index.c), not here. */
    apr_pool_destroy(scratch);
    apr_pool_destroy(p);
}
END_TEST

/* More than 65,536 chunks and rare terms: the sparse accumulator. */
START_TEST(test_generated_sparse)
{
    apr_pool_t *p = corpus_pool();
    apr_pool_t *scratch = corpus_pool();
    gen_t g;
    bf_t bf;
    size_t len;
    void *img;
    double build_ms;
    uint32_t seed = 777;
    int i;

    gen_corpus(&g, p, 70000, 24);
    img = gen_build(&g, &len, &build_ms);
    ck_assert_int_eq(cc_index_check(img, len), 0);
    for (i = 0; i < g.n; i += 997) {
        char m[8];
        cc_hit_t hits[3];

        marker(m, i);
        ck_assert_int_eq(cc_index_search(img, len, m, strlen(m), hits, 3,
                                         scratch), 1);
        ck_assert_uint_eq(hits[0].chunk, (uint32_t)i);
        apr_pool_clear(scratch);
    }
    bf_prepare(&bf, &g);
    for (i = 0; i < 3; i++) {
        char m[8];
        const char *q;

        marker(m, (int)(corpus_lcg(&seed) % 70000));
        /* Rare words from the tail of the vocabulary keep the walk small. */
        q = apr_pstrcat(scratch, m, " ", g.vocab[GEN_VOCAB - 1 - i], " ",
                        g.vocab[GEN_VOCAB - 10 - i], NULL);
        bf_compare(&bf, &g, img, len, q, scratch);
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_index_big(void)
{
    Suite *s = suite_create("index_big");
    TCase *big = tcase_create("index_big");

    tcase_set_timeout(big, 600);
    tcase_add_test(big, test_too_many_chunks);
    tcase_add_test(big, test_generated_10k);
    tcase_add_test(big, test_generated_sparse);
    suite_add_tcase(s, big);
    return s;
}

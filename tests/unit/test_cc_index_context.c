/* test_cc_index_context.c - context_weight: in the grounding coverage, a
 * missing word the knowledge uses elsewhere weighs context_weight of its
 * idf, one it never uses all of it; the ranking is not affected. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include "cc_index.h"
#include "corpus.h"
#include "suites.h"

static const corpus_doc_t ctx_docs[] = {
    { "c0", "", "sauna peel skin" },
    { "c1", "", "husband parking" },
    { "c2", "", "skin cream" },
    { "c3", "", "opening hours" },
    { "c4", "", "acne treatment" },
};

#define CTX_SYN "acne = zits\n"

/* The question's coverage alone (title_cover_weight 0) at weight w. */
static void *ctx_index(apr_pool_t *p, double w, size_t *len)
{
    cc_index_params_t pr;

    cc_index_params_default(&pr);
    pr.title_cover_weight = 0.0;
    pr.context_weight = w;
    return corpus_index(p, ctx_docs, 5, &pr, CTX_SYN, len);
}

static double ctx_cov(const void *img, size_t len, const char *q, uint32_t c,
                      apr_pool_t *p)
{
    return cc_index_coverage(img, len, q, strlen(q), c, p);
}

START_TEST(test_context_weight)
{
    apr_pool_t *p = corpus_pool();
    cc_index_params_t pr;
    size_t l1, lh;
    double n = 5.0, s = corpus_idf(n, 1.0), h = corpus_idf(n, 1.0);
    double unknown = log(1.0 + (n + 0.5) / 0.5);
    void *one = ctx_index(p, 1.0, &l1), *half = ctx_index(p, 0.5, &lh);

    cc_index_params_default(&pr);
    ck_assert_double_eq(pr.context_weight, 1.0);
    /* "husband" is in c1, not c0: context, half its weight at 0.5. */
    ck_assert_double_eq_tol(ctx_cov(one, l1, "sauna husband", 0, p),
                            s / (s + h), 1e-12);
    ck_assert_double_eq_tol(ctx_cov(half, lh, "sauna husband", 0, p),
                            s / (s + 0.5 * h), 1e-12);
    /* A word the knowledge never uses weighs in whole either way. */
    ck_assert_double_eq_tol(ctx_cov(half, lh, "sauna xylophone", 0, p),
                            s / (s + unknown), 1e-12);
    ck_assert_double_eq_tol(ctx_cov(half, lh, "sauna xylophone", 0, p),
                            ctx_cov(one, l1, "sauna xylophone", 0, p),
                            1e-12);
    /* Reached through a synonym ("zits": acne, in c4), the knowledge has
     * it: context for c0. */
    ck_assert_double_eq_tol(ctx_cov(half, lh, "sauna zits", 0, p),
                            s / (s + 0.5 * unknown), 1e-12);
    /* Held, it counts whole; every word held is 1 at any weight. */
    ck_assert_double_eq_tol(ctx_cov(half, lh, "husband parking", 1, p), 1.0,
                            1e-12);
    /* Weight 0: only words the knowledge never uses count against. */
    {
        size_t l0;
        void *zero = ctx_index(p, 0.0, &l0);

        ck_assert_double_eq_tol(ctx_cov(zero, l0, "sauna husband", 0, p),
                                1.0, 1e-12);
        ck_assert_double_eq_tol(ctx_cov(zero, l0,
                                        "sauna husband xylophone", 0, p),
                                s / (s + unknown), 1e-12);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Out of 0..1 (or NaN) at build time: the default, 1.0. */
START_TEST(test_context_weight_range)
{
    apr_pool_t *p = corpus_pool();
    static const double bad[] = { -0.5, 1.5, 1e300 };
    size_t l1, lb, k;
    void *one = ctx_index(p, 1.0, &l1);

    for (k = 0; k <= sizeof(bad) / sizeof(bad[0]); k++) {
        void *b = ctx_index(p, k < sizeof(bad) / sizeof(bad[0]) ? bad[k]
                               : NAN, &lb);
        uint32_t c;

        for (c = 0; c < 5; c++) {
            ck_assert_double_eq_tol(ctx_cov(b, lb, "sauna husband", c, p),
                                    ctx_cov(one, l1, "sauna husband", c, p),
                                    1e-12);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

/* The re-rank's coverage counts every missing word alike: search returns
 * the same chunks and scores at any context_weight. */
START_TEST(test_context_weight_ranking)
{
    apr_pool_t *p = corpus_pool();
    static const char *const qs[] = {
        "sauna husband", "skin husband cream", "sauna zits skin",
        "parking skin xylophone",
    };
    size_t l1, lh, k;
    void *one = ctx_index(p, 1.0, &l1), *half = ctx_index(p, 0.3, &lh);

    for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
        cc_hit_t a[5], b[5];
        int na = cc_index_search(one, l1, qs[k], strlen(qs[k]), a, 5, p);
        int nb = cc_index_search(half, lh, qs[k], strlen(qs[k]), b, 5, p);
        int i;

        ck_assert_int_gt(na, 0);
        ck_assert_int_eq(na, nb);
        for (i = 0; i < na; i++) {
            ck_assert_uint_eq(a[i].chunk, b[i].chunk);
            ck_assert_double_eq_tol(a[i].score, b[i].score, 1e-12);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_index_context(void)
{
    Suite *s = suite_create("index_context");
    TCase *tc = tcase_create("index_context");

    tcase_add_test(tc, test_context_weight);
    tcase_add_test(tc, test_context_weight_range);
    tcase_add_test(tc, test_context_weight_ranking);
    suite_add_tcase(s, tc);
    return s;
}

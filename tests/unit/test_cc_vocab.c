/* Unit tests: cc_vocab (build and lookup, the class guessed from endings,
 * attach refusing short, truncated, corrupted and wrong-magic images,
 * arbitrary bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include "cc_vocab.h"
#include "corpus.h"
#include "suites.h"

static const char *const terms[] = {
    "warfarin", "adalimumab", "psoriasis", "appendectomy", "lupus",
    "keloid", "atorvastatin", "psoriasis", "myasthenia", "blepharitis",
};
static const uint8_t langs[] = {
    CC_VOCAB_LANG_EN, CC_VOCAB_LANG_EN, CC_VOCAB_LANG_EN, CC_VOCAB_LANG_EN,
    CC_VOCAB_LANG_EN, CC_VOCAB_LANG_EN, CC_VOCAB_LANG_EN, CC_VOCAB_LANG_DE,
    CC_VOCAB_LANG_EN, CC_VOCAB_LANG_EN,
};

static void *build(apr_pool_t *p, size_t *len)
{
    void *img = NULL;

    ck_assert_int_eq(cc_vocab_build(&img, len, p, terms, langs,
                                    sizeof(terms) / sizeof(terms[0])),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(img);
    return img;
}

START_TEST(test_vocab_lookup)
{
    apr_pool_t *p = corpus_pool();
    size_t len;
    void *img = build(p, &len);
    cc_problem_t prob;
    cc_vocab_t *v;
    cc_vocab_class_e cls;
    static const struct {
        const char *w;
        int found;
        cc_vocab_class_e cls;
    } cases[] = {
        {"warfarin", 1, CC_VOCAB_DRUG},
        {"adalimumab", 1, CC_VOCAB_DRUG},
        {"atorvastatin", 1, CC_VOCAB_DRUG},
        {"psoriasis", 1, CC_VOCAB_CONDITION},
        {"blepharitis", 1, CC_VOCAB_CONDITION},
        {"myasthenia", 1, CC_VOCAB_CONDITION},
        {"appendectomy", 1, CC_VOCAB_PROCEDURE},
        {"lupus", 1, CC_VOCAB_OTHER},
        {"keloid", 1, CC_VOCAB_OTHER},
        {"warfari", 0, CC_VOCAB_OTHER},
        {"warfarins", 0, CC_VOCAB_OTHER},
        {"botox", 0, CC_VOCAB_OTHER},
        {"", 0, CC_VOCAB_OTHER},
    };
    size_t i;

    memset(&prob, 0, sizeof(prob));
    v = cc_vocab_attach(p, img, len, &prob);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(cc_vocab_count(v), 9);    /* one duplicate merged */
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int f = cc_vocab_lookup(v, cases[i].w, strlen(cases[i].w), &cls);

        ck_assert_msg(f == cases[i].found, "%s", cases[i].w);
        if (f) {
            ck_assert_msg(cls == cases[i].cls, "%s: class %d", cases[i].w,
                          (int)cls);
        }
    }
    ck_assert_int_eq(cc_vocab_lookup(NULL, "lupus", 5, NULL), 0);
    ck_assert_int_eq(cc_vocab_lookup(v, "lupus", 5, NULL), 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_vocab_guess)
{
    static const struct {
        const char *w;
        cc_vocab_class_e cls;
    } cases[] = {
        {"infliximab", CC_VOCAB_DRUG}, {"imatinib", CC_VOCAB_DRUG},
        {"lisinopril", CC_VOCAB_DRUG}, {"propranolol", CC_VOCAB_DRUG},
        {"losartan", CC_VOCAB_DRUG}, {"omeprazole", CC_VOCAB_DRUG},
        {"apixaban", CC_VOCAB_DRUG}, {"semaglutide", CC_VOCAB_DRUG},
        {"empagliflozin", CC_VOCAB_DRUG}, {"metformin", CC_VOCAB_DRUG},
        {"sumatriptan", CC_VOCAB_DRUG}, {"prednisolone", CC_VOCAB_DRUG},
        {"doxycycline", CC_VOCAB_DRUG}, {"diazepam", CC_VOCAB_DRUG},
        {"dermatitis", CC_VOCAB_CONDITION}, {"fibrosis", CC_VOCAB_CONDITION},
        {"anaemia", CC_VOCAB_CONDITION}, {"melanoma", CC_VOCAB_CONDITION},
        {"neuropathy", CC_VOCAB_CONDITION}, {"fibromyalgia",
                                             CC_VOCAB_CONDITION},
        {"hemiplegia", CC_VOCAB_CONDITION}, {"arthrose", CC_VOCAB_CONDITION},
        {"tonsillectomy", CC_VOCAB_PROCEDURE},
        {"abdominoplasty", CC_VOCAB_PROCEDURE},
        {"colonoscopy", CC_VOCAB_PROCEDURE},
        {"tracheostomy", CC_VOCAB_PROCEDURE},
        {"appendektomie", CC_VOCAB_PROCEDURE},
        {"lupus", CC_VOCAB_OTHER}, {"mab", CC_VOCAB_OTHER},
        {"", CC_VOCAB_OTHER},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(cc_vocab_guess_class(cases[i].w, strlen(cases[i].w))
                      == cases[i].cls, "%s", cases[i].w);
    }
}
END_TEST

START_TEST(test_vocab_refuses)
{
    apr_pool_t *p = corpus_pool();
    size_t len, i;
    char *img = build(p, &len), *copy;
    cc_problem_t prob;

    copy = apr_palloc(p, len);
    /* Too short, NULL, every truncation. */
    ck_assert_ptr_null(cc_vocab_attach(p, NULL, 0, NULL));
    for (i = 0; i < len; i++) {
        memcpy(copy, img, i);
        ck_assert_ptr_null(cc_vocab_attach(p, copy, i, NULL));
    }
    /* Wrong magic, wrong version. */
    memcpy(copy, img, len);
    copy[0] ^= 1;
    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_vocab_attach(p, copy, len, &prob));
    ck_assert_str_eq(prob.code, "invalid_vocab");
    memcpy(copy, img, len);
    ((cc_vocab_hdr_t *)copy)->version++;
    ck_assert_ptr_null(cc_vocab_attach(p, copy, len, NULL));
    /* Any flipped byte after the header: checksum. */
    for (i = sizeof(cc_vocab_hdr_t); i < len; i++) {
        memcpy(copy, img, len);
        copy[i] ^= 0x40;
        ck_assert_msg(cc_vocab_attach(p, copy, len, NULL) == NULL,
                      "byte %zu", i);
    }
    /* A header claiming more entries than the image holds. */
    memcpy(copy, img, len);
    ((cc_vocab_hdr_t *)copy)->count += 1000;
    ck_assert_ptr_null(cc_vocab_attach(p, copy, len, NULL));
    /* The untouched image still attaches. */
    ck_assert_ptr_nonnull(cc_vocab_attach(p, img, len, NULL));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_vocab_garbage)
{
    apr_pool_t *p = corpus_pool();
    uint32_t s = 12345;
    int round;
    size_t len, i;
    char *img = build(p, &len);
    uint64_t *buf = apr_palloc(p, 4096);
    cc_vocab_t *v = cc_vocab_attach(p, img, len, NULL);

    ck_assert_ptr_nonnull(v);
    for (round = 0; round < 2000; round++) {
        size_t n = (size_t)(s % 4096);
        unsigned char *b = (unsigned char *)buf;

        for (i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            b[i] = (unsigned char)(s >> 16);
        }
        if (n >= sizeof(cc_vocab_hdr_t) && round % 2) {
            memcpy(b, CC_VOCAB_MAGIC, 8);
        }
        ck_assert_ptr_null(cc_vocab_attach(p, buf, n, NULL));
        (void)cc_vocab_lookup(v, (const char *)b, n % 64, NULL);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_vocab(void)
{
    Suite *s = suite_create("vocab");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_vocab_lookup);
    tcase_add_test(tc, test_vocab_guess);
    tcase_add_test(tc, test_vocab_refuses);
    tcase_add_test(tc, test_vocab_garbage);
    suite_add_tcase(s, tc);
    return s;
}

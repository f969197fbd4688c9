/* Unit tests: cc_index on damaged images (cc_index_check refuses them;
 * search, the accessors and an extractive answer on them stay within the
 * image). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include "cc_answer.h"
#include "cc_index.h"
#include "corpus.h"
#include "suites.h"


/* ---- check and damaged images ------------------------------------------ */

START_TEST(test_check_rejects)
{
    apr_pool_t *p = corpus_pool();
    size_t len, i;
    void *img = corpus_clinic_index(p, NULL, CORPUS_SYNONYMS, &len);
    unsigned char *buf = malloc(len + 8);
    uint32_t v;

    ck_assert_ptr_nonnull(buf);
    ck_assert(memcmp(img, "CCIX", 4) == 0);
    ck_assert_int_ne(cc_index_check(NULL, len), 0);
    ck_assert_int_ne(cc_index_check(img, 0), 0);

    memcpy(buf, img, len);
    buf[0] ^= 0x01;
    ck_assert_int_ne(cc_index_check(buf, len), 0);

    memcpy(buf, img, len);
    v = CC_INDEX_VERSION + 1;
    memcpy(buf + 4, &v, 4);
    ck_assert_int_ne(cc_index_check(buf, len), 0);

    memcpy(buf, img, len);
    ck_assert_int_eq(cc_index_check(buf, len), 0);
    ck_assert_int_ne(cc_index_check(buf, len - 1), 0);
    ck_assert_int_ne(cc_index_check(buf, len - 8), 0);
    ck_assert_int_ne(cc_index_check(buf, len / 2), 0);
    memset(buf + len, 0, 8);
    ck_assert_int_ne(cc_index_check(buf, len + 8), 0);

    /* Any single flipped byte is caught (header fields or checksum). */
    for (i = 0; i < len; i++) {
        memcpy(buf, img, len);
        buf[i] ^= 0x20;
        ck_assert_msg(cc_index_check(buf, len) != 0, "flip at %zu accepted",
                      i);
    }
    free(buf);
    apr_pool_destroy(p);
}
END_TEST

static const char *const fuzz_queries[] = {
    "open saturday", "cancel my appointment", "zits", "repeat prescription "
    "blood test results copy records", "clinic nurse patient portal doctor",
    "emergency",
};

/* Does [s, s + n) lie within [buf, buf + len)?  (Stray pointers into other
 * live allocations would escape ASan, so the test asserts this itself.) */
static int inside(const unsigned char *buf, size_t len, const char *s,
                  size_t n)
{
    uintptr_t b = (uintptr_t)buf, a = (uintptr_t)s;

    return a >= b && a - b <= len && n <= len - (a - b);
}

/* Search and read everything in a (possibly damaged) image of exactly len
 * bytes in its own allocation, so ASan sees any stray read. */
static void poke(const unsigned char *src, size_t len, uint32_t nchunks,
                 apr_pool_t *scratch)
{
    unsigned char *buf = malloc(len ? len : 1);
    cc_index_stats_t st;
    cc_hit_t hits[64];
    size_t q, tl, bl, sum = 0;
    uint32_t i;

    ck_assert_ptr_nonnull(buf);
    if (len) {
        memcpy(buf, src, len);
    }
    (void)cc_index_check(buf, len);
    (void)cc_index_stats(buf, len, &st);
    for (q = 0; q < sizeof(fuzz_queries) / sizeof(fuzz_queries[0]); q++) {
        int n = cc_index_search(buf, len, fuzz_queries[q],
                                strlen(fuzz_queries[q]), hits, 64, scratch);
        int k;

        ck_assert(n >= 0 && n <= 64);
        for (k = 0; k < n; k++) {
            sum += hits[k].chunk;
        }
        apr_pool_clear(scratch);
    }
    for (i = 0; i < nchunks + 2; i++) {
        const char *s = cc_index_chunk_id(buf, len, i);

        if (s) {
            ck_assert(inside(buf, len, s, strlen(s) + 1));
        }
        s = cc_index_chunk_title(buf, len, i);
        if (s) {
            ck_assert(inside(buf, len, s, strlen(s) + 1));
        }
        s = cc_index_chunk_text(buf, len, i, &tl);
        if (s) {
            size_t k;

            ck_assert(inside(buf, len, s, tl + 1));
            ck_assert(inside(buf, len, s, strlen(s) + 1));
            for (k = 0; k <= tl; k++) {
                sum += (unsigned char)s[k];
            }
        }
        /* The sentence table, and an extractive answer built on it from
         * this (maybe damaged) text and table. */
        {
            const void *tab = cc_index_chunk_sentences(buf, len, i, &bl);
            cc_source_t cs;

            if (tab) {
                ck_assert(inside(buf, len, tab, bl));
            }
            if (s) {
                memset(&cs, 0, sizeof(cs));
                cs.text = s;
                cs.len = tl;
                cs.sents = tab;
                cs.sents_len = tab ? bl : 0;
                ck_assert_ptr_nonnull(cc_answer_extract(
                    scratch, fuzz_queries[i % (sizeof(fuzz_queries)
                                               / sizeof(fuzz_queries[0]))],
                    &cs, 1, 3, NULL));
                apr_pool_clear(scratch);
            }
        }
    }
    (void)sum;
    free(buf);
}

START_TEST(test_damaged_images)
{
    apr_pool_t *p = corpus_pool();
    apr_pool_t *scratch = corpus_pool();
    static const corpus_doc_t other[] = {
        { "o1", "Other", "A different corpus about dentistry and teeth." },
        { "o2", "More", "Whitening, fillings and check-ups." },
    };
    size_t len, olen, l, i;
    const unsigned char *img = corpus_clinic_index(p, NULL, CORPUS_SYNONYMS
                                                   "flu = influenza, grippe\n",
                                                   &len);
    const unsigned char *oimg = corpus_index(p, other, 2, NULL, NULL, &olen);
    unsigned char *work = malloc(len);
    uint32_t seed = 20240601u;
    int trial;

    ck_assert_ptr_nonnull(work);
    poke(img, len, corpus_nclinic, scratch);

    /* 1000 trials of damage inside the sentence tables only, where the
     * header and the checksum do not see it: flipped bytes, overwritten
     * offsets, lengths, counts and term hashes. */
    for (trial = 0; trial < 1000; trial++) {
        int flips = 1 + (int)(corpus_lcg(&seed) % 4), f;
        uint32_t c = corpus_lcg(&seed) % corpus_nclinic;
        size_t blen;
        const unsigned char *tab = cc_index_chunk_sentences(img, len, c,
                                                            &blen);
        size_t base;

        ck_assert_ptr_nonnull(tab);
        base = (size_t)(tab - img);
        memcpy(work, img, len);
        for (f = 0; f < flips; f++) {
            uint32_t r = corpus_lcg(&seed);
            size_t at = base + corpus_lcg(&seed) % blen;

            if ((r & 3) == 0 && at + 4 <= base + blen) {
                uint32_t v = corpus_lcg(&seed);

                if (r & 4) {
                    v &= 0xFF;          /* plausible small values */
                }
                at = base + ((at - base) & ~(size_t)3);
                memcpy(work + at, &v, 4);
            }
            else {
                work[at] ^= (unsigned char)(1 + corpus_lcg(&seed) % 255);
            }
        }
        if (memcmp(work, img, len) != 0) {
            ck_assert_int_ne(cc_index_check(work, len), 0);
        }
        poke(work, len, corpus_nclinic, scratch);
    }

    /* 2000 trials of flipped bytes and overwritten fields: half in the
     * header and the first entries, half anywhere. */
    for (trial = 0; trial < 2000; trial++) {
        int flips = 1 + (int)(corpus_lcg(&seed) % 8), f;

        memcpy(work, img, len);
        for (f = 0; f < flips; f++) {
            uint32_t r = corpus_lcg(&seed);
            size_t span = (trial & 1) ? len : (len < 512 ? len : 512);
            size_t at = corpus_lcg(&seed) % span;

            if ((r & 3) == 0 && at + 4 <= len) {
                uint32_t v = corpus_lcg(&seed);

                if (r & 4) {
                    v &= 0xFFFF;        /* plausible small values */
                }
                at &= ~(size_t)3;
                memcpy(work + at, &v, 4);
            }
            else {
                work[at] ^= (unsigned char)(1 + corpus_lcg(&seed) % 255);
            }
        }
        if (memcmp(work, img, len) != 0) {
            ck_assert_int_ne(cc_index_check(work, len), 0);
        }
        poke(work, len, corpus_nclinic, scratch);
    }

    /* Truncated at every length (fine-grained near the start). */
    for (l = 0; l < len; l += (l < 1024 ? 1 : 7)) {
        ck_assert_int_ne(cc_index_check(img, l), 0);
        poke(img, l, corpus_nclinic, scratch);
    }

    /* Half-written: a prefix of another image over this one. */
    for (i = 0; i < 300; i++) {
        size_t cut = corpus_lcg(&seed) % (olen < len ? olen : len);

        memcpy(work, img, len);
        memcpy(work, oimg, cut);
        poke(work, len, corpus_nclinic, scratch);
        memcpy(work, oimg, olen < len ? olen : len);
        memcpy(work, img, cut);
        poke(work, olen < len ? olen : len, corpus_nclinic, scratch);
    }
    free(work);
    apr_pool_destroy(scratch);
    apr_pool_destroy(p);
}
END_TEST

/* Re-sign an image after damage, so that the checksums pass and only the
 * section checks can refuse it: the FNV-1a 64 of the bytes after the
 * header at offset 16, and of the header's own fields at 240 (the header
 * layout of cc_index_image.h, version 6). */
#define IX_CHECKSUM 16
#define IX_TCW      216     /* title_cover_weight, a double */
#define IX_TRW      224     /* title_rank_weight, a double */
#define IX_CXW      232     /* context_weight, a double */
#define IX_HDRSUM   240
#define IX_HDR      248

static uint64_t fnv64(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static void resign(unsigned char *img, size_t len)
{
    uint64_t h = fnv64(img + IX_HDR, len - IX_HDR);

    memcpy(img + IX_CHECKSUM, &h, 8);
    h = fnv64(img, IX_HDRSUM);
    memcpy(img + IX_HDRSUM, &h, 8);
}

START_TEST(test_check_sentences)
{
    apr_pool_t *p = corpus_pool();
    apr_pool_t *scratch = corpus_pool();
    size_t len, blen, tl, base, entry = 0, k;
    const unsigned char *img = corpus_clinic_index(p, NULL, CORPUS_SYNONYMS,
                                                   &len);
    const unsigned char *tab = cc_index_chunk_sentences(img, len, 3, &blen);
    unsigned char *w = malloc(len);
    uint32_t v, off;
    int kind;

    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(tab);
    ck_assert_ptr_nonnull(cc_index_chunk_text(img, len, 3, &tl));
    base = (size_t)(tab - img);
    /* The chunk entry: the only place holding (table offset, length). */
    off = (uint32_t)base;
    for (k = IX_HDR; k + 8 <= base; k += 4) {
        uint32_t a, b;

        memcpy(&a, img + k, 4);
        memcpy(&b, img + k + 4, 4);
        if (a == off && b == (uint32_t)blen) {
            ck_assert_uint_eq(entry, 0);
            entry = k;
        }
    }
    ck_assert_uint_ne(entry, 0);

    /* Re-signing an intact image keeps it valid. */
    memcpy(w, img, len);
    resign(w, len);
    ck_assert(memcmp(w, img, len) == 0);
    ck_assert_int_eq(cc_index_check(w, len), 0);

    for (kind = 0; kind < 10; kind++) {
        memcpy(w, img, len);
        switch (kind) {
        case 0: w[base] ^= 1; break;                    /* magic */
        case 1: w[base + 4] += 1; break;                /* nsent */
        case 2: w[base + 8] += 1; break;                /* nterms */
        case 3: w[base + 12] += 1; break;               /* text_len */
        case 4:                                         /* end past text */
            v = (uint32_t)tl + 1;
            memcpy(w + base + 16 + 4, &v, 4);
            break;
        case 5: w[base + 16 + 12] |= 0x80; break;       /* flags */
        case 6:                                         /* entry: offset */
            v = off + 8;
            memcpy(w + entry, &v, 4);
            break;
        case 7:                                         /* entry: length */
            v = (uint32_t)blen + 8;
            memcpy(w + entry + 4, &v, 4);
            break;
        case 8:                                         /* before section */
            v = IX_HDR;
            memcpy(w + entry, &v, 4);
            break;
        default:                                        /* past the end */
            v = (uint32_t)len;
            memcpy(w + entry, &v, 4);
            break;
        }
        resign(w, len);
        ck_assert_msg(cc_index_check(w, len) != 0, "damage %d accepted",
                      kind);
        poke(w, len, corpus_nclinic, scratch);
    }
    free(w);
    apr_pool_destroy(scratch);
    apr_pool_destroy(p);
}
END_TEST

/* A damaged title_rank_weight in a re-signed header: search ranks as an
 * image built without the title agreement factor, and never fails. */
START_TEST(test_damaged_title_rank)
{
    apr_pool_t *p = corpus_pool();
    cc_index_params_t pr;
    size_t len, l0, k;
    const unsigned char *img = corpus_clinic_index(p, NULL, CORPUS_SYNONYMS,
                                                   &len);
    const void *plain;
    unsigned char *w = malloc(len);
    static const double bad[] = { 0.0, -1.0, 1e300, 17.0 };
    static const char *const q = "what is your cancellation policy";
    double trw, nan_bits;

    ck_assert_ptr_nonnull(w);
    cc_index_params_default(&pr);
    pr.title_rank_weight = 0.0;
    plain = corpus_clinic_index(p, &pr, CORPUS_SYNONYMS, &l0);
    ck_assert_uint_eq(l0, len);
    memcpy(&trw, img + IX_TRW, 8);
    ck_assert_double_eq(trw, 1.0);     /* the default, as built */
    nan_bits = NAN;
    for (k = 0; k <= sizeof(bad) / sizeof(bad[0]); k++) {
        cc_hit_t a[8], b[8];
        int na, nb, i;

        memcpy(w, img, len);
        memcpy(w + IX_TRW, k < sizeof(bad) / sizeof(bad[0]) ? &bad[k]
               : &nan_bits, 8);
        resign(w, len);
        ck_assert_int_eq(cc_index_check(w, len), 0);
        na = cc_index_search(w, len, q, strlen(q), a, 8, p);
        nb = cc_index_search(plain, l0, q, strlen(q), b, 8, p);
        ck_assert_int_gt(na, 0);
        ck_assert_int_eq(na, nb);
        for (i = 0; i < na; i++) {
            ck_assert_uint_eq(a[i].chunk, b[i].chunk);
            ck_assert_double_eq_tol(a[i].score, b[i].score, 1e-9);
        }
    }
    free(w);
    apr_pool_destroy(p);
}
END_TEST

/* Each value of bad[] (then NaN) written as the double at off of img,
 * re-signed: the image still checks, and coverage of q stays within 0..1
 * and equals that of plain (the image the damaged value falls back to). */
static void damaged_double(const unsigned char *img, size_t len,
                           const void *plain, size_t l0, size_t off,
                           const double *bad, size_t nbad, const char *q,
                           apr_pool_t *p)
{
    unsigned char *w = malloc(len);
    double nan_bits = NAN;
    size_t k, c;

    ck_assert_ptr_nonnull(w);
    ck_assert_uint_eq(l0, len);
    for (k = 0; k <= nbad; k++) {
        memcpy(w, img, len);
        memcpy(w + off, k < nbad ? &bad[k] : &nan_bits, 8);
        resign(w, len);
        ck_assert_int_eq(cc_index_check(w, len), 0);
        for (c = 0; c < 8; c++) {
            double v = cc_index_coverage(w, len, q, strlen(q), (uint32_t)c,
                                         p);

            ck_assert(v >= 0.0 && v <= 1.0);
            ck_assert_double_eq_tol(v, cc_index_coverage(plain, l0, q,
                                                         strlen(q),
                                                         (uint32_t)c, p),
                                    1e-12);
        }
    }
    free(w);
}

/* A damaged weight in a re-signed header (cc_index_check does not judge
 * parameters): coverage stays within 0..1 and falls back to the
 * question's coverage alone. */
START_TEST(test_damaged_title_cover)
{
    apr_pool_t *p = corpus_pool();
    cc_index_params_t pr;
    size_t len, l0;
    const unsigned char *img = corpus_clinic_index(p, NULL, CORPUS_SYNONYMS,
                                                   &len);
    const void *plain;
    static const double bad[] = { 0.0, -1.0, 1e300, 17.0 };
    double tcw;

    cc_index_params_default(&pr);
    pr.title_cover_weight = 0.0;
    plain = corpus_clinic_index(p, &pr, CORPUS_SYNONYMS, &l0);
    memcpy(&tcw, img + IX_TCW, 8);
    ck_assert_double_eq(tcw, 0.4);     /* the default, as built */
    damaged_double(img, len, plain, l0, IX_TCW, bad,
                   sizeof(bad) / sizeof(bad[0]),
                   "can I cancel my appointment tomorrow", p);
    apr_pool_destroy(p);
}
END_TEST

/* A damaged context_weight in a re-signed header: coverage stays within
 * 0..1 and counts every missing word alike, as the default does. */
START_TEST(test_damaged_context_weight)
{
    apr_pool_t *p = corpus_pool();
    cc_index_params_t pr;
    size_t len, l0;
    const unsigned char *img;
    const void *plain;
    static const double bad[] = { -1.0, 1.5, 1e300 };
    double cxw;

    cc_index_params_default(&pr);
    pr.context_weight = 0.5;
    img = corpus_clinic_index(p, &pr, CORPUS_SYNONYMS, &len);
    plain = corpus_clinic_index(p, NULL, CORPUS_SYNONYMS, &l0);
    memcpy(&cxw, img + IX_CXW, 8);
    ck_assert_double_eq(cxw, 0.5);     /* as built */
    damaged_double(img, len, plain, l0, IX_CXW, bad,
                   sizeof(bad) / sizeof(bad[0]),
                   "can I cancel my acne appointment tomorrow", p);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_index_damage(void)
{
    Suite *s = suite_create("index_damage");
    TCase *tc = tcase_create("index_damage");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_check_rejects);
    tcase_add_test(tc, test_damaged_images);
    tcase_add_test(tc, test_check_sentences);
    tcase_add_test(tc, test_damaged_title_cover);
    tcase_add_test(tc, test_damaged_context_weight);
    tcase_add_test(tc, test_damaged_title_rank);
    suite_add_tcase(s, tc);
    return s;
}

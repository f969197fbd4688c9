/* Unit tests: cc_sent sentence tables (layout, check, damaged and random
 * tables, the knowledge base's own texts), through the answers built on
 * them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_answer.h"
#include "cc_chunk.h"
#include "cc_index.h"
#include "cc_sent.h"
#include "corpus.h"
#include "suites.h"


/* ---- sentence tables ---------------------------------------------------- */

/* Header and record fields of a table (the layout in cc_sent.h). */
static uint32_t tb32(const void *b, size_t at)
{
    uint32_t v;

    memcpy(&v, (const unsigned char *)b + at, 4);
    return v;
}

static void tb32_set(void *b, size_t at, uint32_t v)
{
    memcpy((unsigned char *)b + at, &v, 4);
}

/* The answer and used[] for src[0..n) as given and with every table
 * dropped (computed on the fly) must be the same. */
static void same_answer(apr_pool_t *p, const char *q, const cc_source_t *src,
                        int n, int max)
{
    cc_source_t fly[CC_ANSWER_MAX_SOURCES];
    int u1[CC_ANSWER_MAX_SOURCES], u2[CC_ANSWER_MAX_SOURCES];
    const char *a, *b;
    int k;

    ck_assert_int_le(n, CC_ANSWER_MAX_SOURCES);
    memcpy(fly, src, sizeof(*src) * (size_t)n);
    for (k = 0; k < n; k++) {
        fly[k].sents = NULL;
        fly[k].sents_len = 0;
    }
    a = cc_answer_extract(p, q, src, n, max, u1);
    b = cc_answer_extract(p, q, fly, n, max, u2);
    ck_assert_msg(strcmp(a, b) == 0, "query \"%s\": \"%s\" with tables, "
                  "\"%s\" without", q ? q : "(null)", a, b);
    for (k = 0; k < n; k++) {
        ck_assert_int_eq(u1[k], u2[k]);
    }
}

START_TEST(test_sents_layout)
{
    static const char text[] =
        "# Opening hours\n"
        "\n"
        "- Saturday: 9am to 4pm.\n"
        "- Sunday: closed.\n"
        "It is.\n"
        "\n"
        "| Day | Open |\n"
        "!!! ...\n"
        "Parking is free. Parking is free.";
    apr_pool_t *p = corpus_pool();
    const void *b = NULL;
    size_t blen = 0, len = sizeof(text) - 1, at;
    uint32_t nsent, nterms, k, sum = 0;

    ck_assert_int_eq(cc_sent_analyse(&b, &blen, p, text, len),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(cc_sent_check(b, blen, len), 0);
    ck_assert_uint_eq(tb32(b, 0), CC_SENTS_MAGIC);
    nsent = tb32(b, 4);
    nterms = tb32(b, 8);
    ck_assert_uint_eq(tb32(b, 12), len);
    ck_assert_uint_eq(blen, 16 + 16 * (size_t)nsent + 8 * (size_t)nterms);
    /* heading, 2 items, "It is.", table row, "!!!", "...", 2 x parking */
    ck_assert_uint_eq(nsent, 9);
    ck_assert_uint_eq(tb32(b, 16 + 12), CC_SENT_HEADING);
    ck_assert_uint_eq(tb32(b, 16 + 8), 0);
    /* "It is.": stop words only, so a term but no content term */
    at = 16 + 3 * 16;
    ck_assert_uint_eq(tb32(b, at + 12), CC_SENT_ANY);
    ck_assert_uint_eq(tb32(b, at + 8), 0);
    ck_assert(memcmp(text + tb32(b, at), "It is.", 6) == 0);
    ck_assert_uint_eq(tb32(b, at + 4) - tb32(b, at), 6);
    /* the facts: a time in the first item, "free" in the parking ones */
    ck_assert_uint_eq(tb32(b, 16 + 16 + 12), CC_SENT_ANY | CC_SENT_HOURS);
    ck_assert_uint_eq(tb32(b, 16 + 7 * 16 + 12), CC_SENT_ANY | CC_SENT_PRICE);
    /* "!!!" and "...": no term at all */
    ck_assert_uint_eq(tb32(b, 16 + 5 * 16 + 12), 0);
    ck_assert_uint_eq(tb32(b, 16 + 6 * 16 + 12), 0);
    /* the two parking sentences: the same two distinct terms */
    ck_assert_uint_eq(tb32(b, 16 + 7 * 16 + 8), 2);
    ck_assert_uint_eq(tb32(b, 16 + 8 * 16 + 8), 2);
    ck_assert(memcmp((const char *)b + 16 + 16 * 9 + 8 * (nterms - 4),
                     (const char *)b + 16 + 16 * 9 + 8 * (nterms - 2),
                     16) == 0);
    for (k = 0; k < nsent; k++) {
        sum += tb32(b, 16 + 16 * (size_t)k + 8);
    }
    ck_assert_uint_eq(sum, nterms);

    /* An empty text or none: a table without sentences. */
    ck_assert_int_eq(cc_sent_analyse(&b, &blen, p, "", 0), APR_SUCCESS);
    ck_assert_uint_eq(blen, 16);
    ck_assert_int_eq(cc_sent_check(b, blen, 0), 0);
    ck_assert_int_eq(cc_sent_analyse(&b, &blen, p, NULL, 5), APR_SUCCESS);
    ck_assert_uint_eq(blen, 16);
    ck_assert_int_eq(cc_sent_check(b, blen, 0), 0);
    ck_assert_int_ne(cc_sent_analyse(&b, &blen, NULL, text, len),
                     APR_SUCCESS);
    ck_assert_ptr_null(b);
    ck_assert_uint_eq(blen, 0);
    ck_assert_int_ne(cc_sent_analyse(NULL, &blen, p, text, len),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

/* Every kind of damage is refused by the check, and extract then answers
 * exactly as without a table. */
START_TEST(test_sents_check_rejects)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    const void *b;
    size_t blen;
    unsigned char *w;
    uint32_t v;
    int kind;

    corpus_sources(src);
    ck_assert_int_eq(cc_sent_analyse(&b, &blen, p, src[0].text,
                                     src[0].len), APR_SUCCESS);
    /* 5 sentences; the first two with at least 2 content terms each */
    ck_assert_uint_eq(tb32(b, 4), 5);
    ck_assert_uint_ge(tb32(b, 16 + 8), 2);
    ck_assert_uint_ge(tb32(b, 16 + 16 + 8), 2);
    w = apr_palloc(p, blen + 8);
    ck_assert_int_ne(cc_sent_check(NULL, blen, src[0].len), 0);
    ck_assert_int_ne(cc_sent_check(b, 15, src[0].len), 0);
    ck_assert_int_ne(cc_sent_check(b, blen - 8, src[0].len), 0);
    ck_assert_int_ne(cc_sent_check(b, blen, src[0].len - 1), 0);
    ck_assert_int_ne(cc_sent_check(b, blen, src[1].len), 0);
    memcpy(w, b, blen);
    memset(w + blen, 0, 8);
    ck_assert_int_ne(cc_sent_check(w, blen + 8, src[0].len), 0);

    for (kind = 0; kind < 14; kind++) {
        size_t r1 = 16 + 16, r2 = 16 + 2 * 16;          /* records 1, 2 */
        size_t terms = 16 + 16 * (size_t)tb32(b, 4);
        uint64_t h;

        memcpy(w, b, blen);
        switch (kind) {
        case 0:  tb32_set(w, 0, CC_SENTS_MAGIC ^ 1); break;
        case 1:  tb32_set(w, 4, tb32(w, 4) + 1); break;
        case 2:  tb32_set(w, 8, tb32(w, 8) - 1); break;
        case 3:  tb32_set(w, 12, tb32(w, 12) + 1); break;
        case 4:  tb32_set(w, r1, tb32(w, r1 + 4)); break;       /* empty */
        case 5:  tb32_set(w, r1 + 4, (uint32_t)src[0].len + 1); break;
        case 6:  tb32_set(w, r2, tb32(w, r1)); break;       /* overlap */
        case 7:  tb32_set(w, r1 + 12, 0x40u | CC_SENT_ANY); break;
        case 8:  tb32_set(w, r1 + 12, CC_SENT_HEADING); break;  /* terms */
        case 9:  tb32_set(w, r1 + 12, 0); break;   /* no term but terms */
        case 10: tb32_set(w, r1 + 8, tb32(w, r1 + 8) + 1); break;
        case 11: tb32_set(w, r1 + 8, 0xFFFFFFFFu); break;
        case 12:                /* a repeated term (in sentence 0) */
            memcpy(&h, w + terms, 8);
            memcpy(w + terms + 8, &h, 8);
            break;
        default:                            /* out of order */
            memcpy(&h, w + terms, 8);
            memcpy(w + terms, w + terms + 8, 8);
            memcpy(w + terms + 8, &h, 8);
            break;
        }
        ck_assert_msg(cc_sent_check(w, blen, src[0].len) != 0,
                      "damage %d accepted", kind);
        src[0].sents = w;
        src[0].sents_len = blen;
        same_answer(p, "When are you open on Saturday?", src, 3, 2);
        same_answer(p, "dermatology Thursday", src, 1, 1);
    }
    /* A table of another text is not used. */
    src[0].sents = b;
    src[0].sents_len = blen;
    src[1].sents = b;
    src[1].sents_len = blen;
    same_answer(p, "Where can I park my car?", src, 3, 3);
    v = tb32(b, 12);
    ck_assert_uint_eq(v, src[0].len);
    apr_pool_destroy(p);
}
END_TEST

/* Random damage to a table: never a read outside it (ASan), an answer
 * every time, and the on-the-fly answer whenever the check refuses it. */
START_TEST(test_sents_damaged)
{
    static const char *const queries[] = {
        "When are you open on Saturday?", "car park free", "peel SPF",
        "xylophone", "",
    };
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    const void *b[3];
    size_t blen[3];
    uint32_t seed = 20240612u;
    int trial, k;

    corpus_sources(src);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(cc_sent_analyse(&b[k], &blen[k], p, src[k].text,
                                         src[k].len), APR_SUCCESS);
    }
    for (trial = 0; trial < 3000; trial++) {
        apr_pool_t *q = NULL;
        unsigned char *w[3];
        int flips = 1 + (int)(corpus_lcg(&seed) % 4), f, bad = 0;
        const char *qs = queries[trial % 5];

        apr_pool_create(&q, p);
        for (k = 0; k < 3; k++) {
            /* each in its own allocation of exactly its size */
            w[k] = malloc(blen[k]);
            ck_assert_ptr_nonnull(w[k]);
            memcpy(w[k], b[k], blen[k]);
        }
        for (f = 0; f < flips; f++) {
            int s = (int)(corpus_lcg(&seed) % 3);
            uint32_t r = corpus_lcg(&seed);
            size_t span = (r & 1) || blen[s] < 64 ? blen[s] : 64;
            size_t at = corpus_lcg(&seed) % span;

            if ((r & 6) == 0 && at + 4 <= blen[s]) {
                uint32_t v = corpus_lcg(&seed);

                if (r & 8) {
                    v &= 0xFF;          /* plausible small values */
                }
                at &= ~(size_t)3;
                memcpy(w[s] + at, &v, 4);
            }
            else {
                w[s][at] ^= (unsigned char)(1 + corpus_lcg(&seed) % 255);
            }
        }
        for (k = 0; k < 3; k++) {
            src[k].sents = w[k];
            src[k].sents_len = blen[k];
            bad += cc_sent_check(w[k], blen[k], src[k].len) != 0;
        }
        if (bad == 3) {
            same_answer(q, qs, src, 3, 3);
        }
        else {
            ck_assert_ptr_nonnull(cc_answer_extract(q, qs, src, 3, 3, NULL));
        }
        /* the same table given a shorter length */
        src[0].sents_len = corpus_lcg(&seed) % (blen[0] + 1);
        ck_assert_ptr_nonnull(cc_answer_extract(q, qs, src, 3, 2, NULL));
        for (k = 0; k < 3; k++) {
            free(w[k]);
        }
        apr_pool_destroy(q);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Random texts: the table always passes the check and changes no answer. */
START_TEST(test_sents_random)
{
    static const char *const frag[] = {
        " ", ".", "!", "?", "\n", "\n\n", "- ", "* ", "# ", "## ", "| ",
        "1. ", "> ", "e.g.", "a.m.", "Dr.", "J.", "2.5", "open", "Saturday",
        "car park", "parking", "peel", "the", "and", "is", "\xff",
        "\xc3\xa9", "\xe2\x80\x9d", "\xe2\x80\xa6", "\t", "\"", ")", "(",
        "9am", "\xc2\xa3" "250", "  ", "Opening", "hours", "free",
    };
    static const char *const queries[] = {
        "open on Saturday", "car parking free", "the", "peel 9am hours",
        "\xc2\xa3" "250 Dr", NULL,
    };
    size_t nfrag = sizeof(frag) / sizeof(frag[0]);
    apr_pool_t *p = corpus_pool();
    char buf[3][600];
    uint32_t seed = 20240613u;
    int iter;

    for (iter = 0; iter < 3000; iter++) {
        apr_pool_t *q = NULL;
        cc_source_t src[3];
        int k;

        apr_pool_create(&q, p);
        memset(src, 0, sizeof(src));
        for (k = 0; k < 3; k++) {
            size_t n = 0, parts = corpus_lcg(&seed) % 80, j;

            for (j = 0; j < parts && n < sizeof(buf[k]) - 20; j++) {
                uint32_t r = corpus_lcg(&seed);

                if (r % 9 == 0) {
                    buf[k][n++] = (char)(1 + (r >> 8) % 255);
                }
                else {
                    const char *f = frag[(r >> 3) % nfrag];

                    memcpy(buf[k] + n, f, strlen(f));
                    n += strlen(f);
                }
            }
            buf[k][n] = '\0';
            src[k].text = buf[k];
            src[k].len = n;
            ck_assert_int_eq(cc_sent_analyse(&src[k].sents,
                                             &src[k].sents_len, q,
                                             buf[k], n), APR_SUCCESS);
            ck_assert_int_eq(cc_sent_check(src[k].sents,
                                           src[k].sents_len, n), 0);
        }
        same_answer(q, queries[iter % 6], src, 3, 1 + iter % 4);
        same_answer(q, buf[iter % 3], src, 3, 3);
        apr_pool_destroy(q);
    }
    apr_pool_destroy(p);
}
END_TEST


/* The sample knowledge (every .md file of knowledge/, chunked and indexed
 * as the module does) against the labelled questions: for every chunk alone
 * and for the top hits together, the answer with the index's sentence
 * tables is the answer computed without them. */
START_TEST(test_sents_knowledge)
{
    apr_pool_t *p = corpus_pool();
    cc_index_builder_t *b = cc_index_builder_create(p, NULL);
    apr_array_header_t *qs = apr_array_make(p, 256, sizeof(char *)), *kb;
    const char *root = NULL;
    cc_problem_t prob;
    void *img = NULL;
    size_t len, n;
    uint32_t nchunks = 0, c;
    char *tsv, *line, *save = NULL;
    int qi, compared = 0;

    kb = corpus_knowledge(p, &root);
    for (c = 0; c < (uint32_t)kb->nelts; c++) {
        const cc_chunk_t *k = &APR_ARRAY_IDX(kb, c, cc_chunk_t);

        cc_index_builder_add(b, apr_psprintf(p, "kb#%u", c), k->title,
                             k->text, k->len);
        nchunks++;
    }
    ck_assert_uint_gt(nchunks, 50);
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_int_eq(cc_index_check(img, len), 0);

    tsv = corpus_slurp(p, apr_pstrcat(p, root, "/tests/eval/retrieval.tsv", NULL),
                &n);
    ck_assert_msg(tsv != NULL, "tests/eval/retrieval.tsv not found");
    for (line = apr_strtok(tsv, "\n", &save); line;
         line = apr_strtok(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');

        if (tab && line[0] != '#') {
            *tab = '\0';
            APR_ARRAY_PUSH(qs, char *) = line;
        }
    }
    ck_assert_int_gt(qs->nelts, 100);

    for (qi = 0; qi < qs->nelts; qi++) {
        const char *q = APR_ARRAY_IDX(qs, qi, char *);
        apr_pool_t *s = NULL;
        cc_source_t src[3];
        cc_hit_t hits[3];
        int nh, k;

        apr_pool_create(&s, p);
        for (c = 0; c < nchunks; c++) {
            memset(src, 0, sizeof(src[0]));
            src[0].text = cc_index_chunk_text(img, len, c, &src[0].len);
            src[0].sents = cc_index_chunk_sentences(img, len, c,
                                                    &src[0].sents_len);
            ck_assert_ptr_nonnull(src[0].sents);
            same_answer(s, q, src, 1, 3);
            compared++;
        }
        nh = cc_index_search(img, len, q, strlen(q), hits, 3, s);
        for (k = 0; k < nh; k++) {
            memset(&src[k], 0, sizeof(src[k]));
            src[k].text = cc_index_chunk_text(img, len, hits[k].chunk,
                                              &src[k].len);
            src[k].sents = cc_index_chunk_sentences(img, len, hits[k].chunk,
                                                    &src[k].sents_len);
        }
        same_answer(s, q, src, nh, 1);
        same_answer(s, q, src, nh, 3);
        apr_pool_destroy(s);
    }
    ck_assert_int_gt(compared, 10000);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_sent(void)
{
    Suite *s = suite_create("sent");
    TCase *tc = tcase_create("sentences");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sents_layout);
    tcase_add_test(tc, test_sents_check_rejects);
    tcase_add_test(tc, test_sents_damaged);
    tcase_add_test(tc, test_sents_random);
    tcase_add_test(tc, test_sents_knowledge);
    suite_add_tcase(s, tc);
    return s;
}

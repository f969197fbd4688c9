/* Unit tests: cc_index (build, check, BM25F search, synonyms, sentence
 * tables, damaged images, a generated 10,000-chunk index). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_answer.h"
#include "cc_sent.h"
#include "cc_index.h"
#include "cc_tok.h"
#include "suites.h"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

typedef struct doc_t {
    const char *id;
    const char *title;
    const char *text;
} doc_t;

/* Build an index of docs; returns the image (in p). */
static void *build(apr_pool_t *p, const doc_t *docs, size_t n,
                   const cc_index_params_t *params, const char *synonyms,
                   size_t *len)
{
    cc_index_builder_t *b = cc_index_builder_create(p, params);
    cc_problem_t prob;
    void *img = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        cc_index_builder_add(b, docs[i].id, docs[i].title, docs[i].text,
                             strlen(docs[i].text));
    }
    if (synonyms) {
        cc_index_builder_synonyms(b, synonyms, strlen(synonyms));
    }
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_index_build(&img, len, b, p, &prob), APR_SUCCESS);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(((uintptr_t)img) & 7u, 0);
    ck_assert_int_eq(*len & 7u, 0);
    ck_assert_int_eq(cc_index_check(img, *len), 0);
    return img;
}

/* ---- the clinic corpus ------------------------------------------------- */

static const doc_t clinic[] = {
    { "hours#0", "Opening hours",
      "The clinic is open Monday to Friday from 8am to 6pm and Saturday "
      "mornings from 9am to 12pm. We are closed on Sundays and bank "
      "holidays." },
    { "parking#0", "Parking",
      "Free parking is available behind the building. Disabled bays are "
      "next to the main entrance. Bicycle racks are by the pharmacy." },
    { "appointments#0", "Booking an appointment",
      "Book an appointment online through the patient portal or call "
      "reception. Routine appointments can be booked up to four weeks "
      "ahead." },
    { "cancel#0", "Cancelling or rescheduling",
      "Please cancel at least 24 hours before your appointment so another "
      "patient can use the slot. Missed appointments may incur a fee." },
    { "prescriptions#0", "Repeat prescriptions",
      "Request repeat prescriptions through the portal or the pharmacy. "
      "Allow two working days for the doctor to sign the prescription." },
    { "vaccines#0", "Travel vaccinations",
      "Travel vaccinations such as hepatitis A, typhoid and yellow fever "
      "should be arranged six to eight weeks before departure." },
    { "flu#0", "Flu vaccine",
      "The seasonal flu jab is offered every autumn to patients over 65, "
      "pregnant women and people with long-term conditions." },
    { "acne#0", "Acne care",
      "Our dermatology nurse can advise on skin treatment plans, topical "
      "creams and when a referral is needed." },
    { "results#0", "Test results",
      "Blood test results are usually ready within five working days. You "
      "can view them in the patient portal once a doctor has reviewed "
      "them." },
    { "records#0", "Medical records",
      "You have the right to request a copy of your medical records. Submit "
      "a subject access request form at reception." },
    { "emergency#0", "Emergencies",
      "In an emergency call 999 or go to the nearest accident and "
      "emergency department. For urgent advice out of hours call 111." },
    { "physio#0", "Physiotherapy",
      "Physiotherapy sessions help with back pain, sports injuries and "
      "recovery after surgery. Self-referral is possible." },
    { "fitfly#0", "Fit to fly letters",
      "Doctors can write fit to fly letters for a private fee. Allow ten "
      "working days." },
    { "children#0", "Children's clinic",
      "Baby checks and childhood immunisations take place on Tuesday "
      "afternoons with the practice nurse." },
    { "contact#0", "Contact us",
      "Phone reception on 01234 567890 or email the practice. Reception "
      "lines are busiest before 10am." },
};
#define NCLINIC (sizeof(clinic) / sizeof(clinic[0]))

#define SYNONYMS "acne = zits, spots, pimples\n"

typedef struct query_case_t {
    const char *query;
    const char *top;
} query_case_t;

static const query_case_t clinic_queries[] = {
    { "when are you open on saturday", "hours#0" },
    { "where can I park my car", "parking#0" },
    { "how do I cancel my appointment", "cancel#0" },
    { "book an appointment online", "appointments#0" },
    { "repeat prescription", "prescriptions#0" },
    { "yellow fever vaccination before travel", "vaccines#0" },
    { "flu jab", "flu#0" },
    { "blood test results", "results#0" },
    { "copy of my medical records", "records#0" },
    { "back pain", "physio#0" },
    { "Emergency!", "emergency#0" },
    { "baby immunisations", "children#0" },
    { "phone number for reception", "contact#0" },
    { "FIT TO FLY letter", "fitfly#0" },
    { "acne", "acne#0" },
};

START_TEST(test_clinic_top1)
{
    const query_case_t *c = &clinic_queries[_i];
    apr_pool_t *p = new_pool();
    size_t len;
    void *img = build(p, clinic, NCLINIC, NULL, SYNONYMS, &len);
    cc_hit_t hits[5];
    int n, i;

    n = cc_index_search(img, len, c->query, strlen(c->query), hits, 5, p);
    ck_assert_msg(n > 0, "'%s': no hit", c->query);
    ck_assert_msg(strcmp(cc_index_chunk_id(img, len, hits[0].chunk), c->top)
                  == 0, "'%s': top is %s, want %s", c->query,
                  cc_index_chunk_id(img, len, hits[0].chunk), c->top);
    for (i = 1; i < n; i++) {
        ck_assert(hits[i].score <= hits[i - 1].score);
        ck_assert(hits[i].score > 0.0);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- BM25F arithmetic against hand-computed scores --------------------- */

static const doc_t toy[] = {
    { "d0", "cat", "cat dog cat" },
    { "d1", "", "dog fish" },
    { "d2", "bird", "fish" },
};

static double idf(double n, double df)
{
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

static double sat(const cc_index_params_t *pr, double tf, double dl,
                  double avg)
{
    return tf * (pr->k1 + 1.0)
           / (tf + pr->k1 * (1.0 - pr->b + pr->b * dl / avg));
}

START_TEST(test_bm25_math)
{
    apr_pool_t *p = new_pool();
    cc_index_params_t pr;
    cc_index_stats_t st;
    cc_hit_t hits[8];
    size_t len;
    void *img;
    double avg, s0, s1, s2, tw;
    int n, round;

    for (round = 0; round < 3; round++) {
        cc_index_params_default(&pr);
        if (round == 1) {
            pr.k1 = 2.0;
            pr.b = 0.5;
            pr.title_weight = 1.0;
        }
        else if (round == 2) {
            pr.title_weight = 0.0;
        }
        tw = pr.title_weight;
        img = build(p, toy, 3, &pr, "kitten = cat\n", &len);
        /* Term counts: d0 body 3 (cat x2, dog), title 1 (cat); d1 body 2;
         * d2 body 1, title 1 (bird). */
        avg = ((3 + tw) + 2 + (1 + tw)) / 3.0;
        ck_assert_int_eq(cc_index_stats(img, len, &st), 0);
        ck_assert_uint_eq(st.nchunks, 3);
        ck_assert_uint_eq(st.nterms, 4);
        ck_assert_uint_eq(st.nsynonym_groups, 1);
        ck_assert(fabs(st.avg_len - avg) < 1e-12);

        /* "cat dog": cat df 1, dog df 2. */
        s0 = idf(3, 1) * sat(&pr, 2 + tw, 3 + tw, avg)
             + idf(3, 2) * sat(&pr, 1, 3 + tw, avg);
        s1 = idf(3, 2) * sat(&pr, 1, 2, avg);
        n = cc_index_search(img, len, "cat dog", 7, hits, 8, p);
        ck_assert_int_eq(n, 2);
        ck_assert_uint_eq(hits[0].chunk, 0);
        ck_assert_uint_eq(hits[1].chunk, 1);
        ck_assert_msg(fabs(hits[0].score - s0) < 1e-9, "%.17g vs %.17g",
                      hits[0].score, s0);
        ck_assert_msg(fabs(hits[1].score - s1) < 1e-9, "%.17g vs %.17g",
                      hits[1].score, s1);

        /* Duplicated query terms count once. */
        n = cc_index_search(img, len, "dog cats Dog cat", 16, hits, 8, p);
        ck_assert_int_eq(n, 2);
        ck_assert(fabs(hits[0].score - s0) < 1e-9);

        /* "fish bird": fish df 2 (bodies), bird df 1 (title only). */
        s2 = idf(3, 2) * sat(&pr, 1, 1 + tw, avg)
             + (tw > 0 ? idf(3, 1) * sat(&pr, tw, 1 + tw, avg) : 0.0);
        s1 = idf(3, 2) * sat(&pr, 1, 2, avg);
        n = cc_index_search(img, len, "fish bird", 9, hits, 8, p);
        ck_assert_int_eq(n, 2);
        if (s2 > s1) {
            ck_assert_uint_eq(hits[0].chunk, 2);
            ck_assert(fabs(hits[0].score - s2) < 1e-9);
            ck_assert(fabs(hits[1].score - s1) < 1e-9);
        }
        else {
            ck_assert_uint_eq(hits[0].chunk, 1);
            ck_assert(fabs(hits[0].score - s1) < 1e-9);
            ck_assert(fabs(hits[1].score - s2) < 1e-9);
        }

        /* A title-only term: no score when the title field is off. */
        n = cc_index_search(img, len, "bird", 4, hits, 8, p);
        ck_assert_int_eq(n, tw > 0 ? 1 : 0);

        /* Expansion: "kitten" searches "cat" at synonym_weight. */
        n = cc_index_search(img, len, "kitten", 6, hits, 8, p);
        ck_assert_int_eq(n, 1);
        ck_assert_uint_eq(hits[0].chunk, 0);
        ck_assert(fabs(hits[0].score - pr.synonym_weight * idf(3, 1)
                       * sat(&pr, 2 + tw, 3 + tw, avg)) < 1e-9);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- title weighting --------------------------------------------------- */

static const doc_t titled[] = {
    { "a", "Parking",
      "Spaces are behind the building near the gate, parking is free." },
    { "b", "Visitors",
      "Parking and more parking near the building gate for visitors." },
    { "c", "Pharmacy", "The pharmacy is next door." },
    { "d", "Opening hours", "Open from nine to five." },
};

START_TEST(test_title_weight)
{
    apr_pool_t *p = new_pool();
    cc_index_params_t pr;
    cc_hit_t hits[4];
    size_t len;
    void *img;
    int n;

    cc_index_params_default(&pr);
    pr.title_weight = 0.0;
    img = build(p, titled, 4, &pr, NULL, &len);
    n = cc_index_search(img, len, "parking", 7, hits, 4, p);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), "b");

    cc_index_params_default(&pr);
    img = build(p, titled, 4, &pr, NULL, &len);
    n = cc_index_search(img, len, "parking", 7, hits, 4, p);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), "a");

    /* A title-only match ranks only with the title field on. */
    n = cc_index_search(img, len, "opening", 7, hits, 4, p);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), "d");
    apr_pool_destroy(p);
}
END_TEST

/* ---- synonyms ---------------------------------------------------------- */

START_TEST(test_synonyms)
{
    apr_pool_t *p = new_pool();
    cc_index_params_t pr;
    cc_hit_t hits[5];
    size_t len;
    void *img;
    double acne, zits, both;
    int n;

    /* Without the synonym line nothing mentions zits. */
    img = build(p, clinic, NCLINIC, NULL, NULL, &len);
    ck_assert_int_eq(cc_index_search(img, len, "zits", 4, hits, 5, p), 0);
    ck_assert_int_eq(cc_index_search(img, len, "pimples on my face", 18,
                                     hits, 5, p), 0);

    img = build(p, clinic, NCLINIC, NULL,
                "# skin\r\n" SYNONYMS "\nflu = influenza\n", &len);
    n = cc_index_search(img, len, "zits", 4, hits, 5, p);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), "acne#0");
    zits = hits[0].score;
    n = cc_index_search(img, len, "Pimples", 7, hits, 5, p);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), "acne#0");
    n = cc_index_search(img, len, "acne", 4, hits, 5, p);
    ck_assert_int_eq(n, 1);
    acne = hits[0].score;
    ck_assert(fabs(zits - 0.6 * acne) < 1e-12);
    /* A term already in the query is not added again by expansion. */
    n = cc_index_search(img, len, "acne zits spots", 15, hits, 5, p);
    ck_assert_int_eq(n, 1);
    both = hits[0].score;
    ck_assert(fabs(both - acne) < 1e-12);
    n = cc_index_search(img, len, "influenza", 9, hits, 5, p);
    ck_assert_int_ge(n, 1);
    ck_assert_str_eq(cc_index_chunk_id(img, len, hits[0].chunk), "flu#0");

    /* synonym_weight 0 disables expansion. */
    cc_index_params_default(&pr);
    pr.synonym_weight = 0.0;
    img = build(p, clinic, NCLINIC, &pr, SYNONYMS, &len);
    ck_assert_int_eq(cc_index_search(img, len, "zits", 4, hits, 5, p), 0);
    apr_pool_destroy(p);
}
END_TEST

typedef struct syn_case_t {
    const char *text;
    int         malformed;
    uint32_t    groups;
} syn_case_t;

static const syn_case_t syn_cases[] = {
    { "", 0, 0 },
    { "acne = zits, spots, pimples", 0, 1 },
    { "acne = zits\nflu = influenza\r\n", 0, 2 },
    { "# only a comment\n\n   \n", 0, 0 },
    { "acne = zits # trailing comment", 0, 1 },
    { "GP = general practitioner, family doctor", 0, 1 },
    { "bad line", 1, 0 },
    { "= zits", 1, 0 },
    { "acne =", 1, 0 },
    { "acne = ,,", 1, 0 },
    { "the = a", 1, 0 },
    { "acne = acne", 1, 0 },
    { "a = b = c", 1, 0 },
    { "acne = zits\nbad\n= x\nflu = influenza\n", 2, 2 },
};

START_TEST(test_synonym_lines)
{
    const syn_case_t *c = &syn_cases[_i];
    apr_pool_t *p = new_pool();
    cc_index_builder_t *b = cc_index_builder_create(p, NULL);
    cc_index_stats_t st;
    cc_problem_t prob;
    void *img;
    size_t len;

    cc_index_builder_add(b, "x", "t", "acne zits general", 17);
    ck_assert_int_eq(cc_index_builder_synonyms(b, c->text, strlen(c->text)),
                     c->malformed);
    ck_assert_int_eq(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_int_eq(cc_index_check(img, len), 0);
    ck_assert_int_eq(cc_index_stats(img, len, &st), 0);
    ck_assert_uint_eq(st.nsynonym_groups, c->groups);
    apr_pool_destroy(p);
}
END_TEST

/* ---- round trip, empty queries, k -------------------------------------- */

START_TEST(test_round_trip)
{
    static const char text2[] = "line one\r\nline two\0after NUL\ttab";
    apr_pool_t *p = new_pool();
    cc_index_builder_t *b = cc_index_builder_create(p, NULL);
    cc_problem_t prob;
    const char *s;
    size_t len, tl;
    void *img;
    uint32_t i;

    cc_index_builder_add(b, "doc-slug#0", "Café ☕ — Opening *hours*",
                         "  leading and trailing spaces kept  ", 36);
    cc_index_builder_add(b, "", "", "", 0);
    cc_index_builder_add(b, "doc-slug#2", "Title", text2, sizeof(text2) - 1);
    cc_index_builder_add(b, NULL, NULL, NULL, 5);
    ck_assert_int_eq(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_int_eq(cc_index_check(img, len), 0);

    ck_assert_str_eq(cc_index_chunk_id(img, len, 0), "doc-slug#0");
    ck_assert_str_eq(cc_index_chunk_title(img, len, 0),
                     "Café ☕ — Opening *hours*");
    s = cc_index_chunk_text(img, len, 0, &tl);
    ck_assert_uint_eq(tl, 36);
    ck_assert(memcmp(s, "  leading and trailing spaces kept  ", 36) == 0);
    ck_assert_str_eq(cc_index_chunk_id(img, len, 1), "");
    ck_assert_str_eq(cc_index_chunk_title(img, len, 1), "");
    s = cc_index_chunk_text(img, len, 1, &tl);
    ck_assert_uint_eq(tl, 0);
    ck_assert_str_eq(s, "");
    s = cc_index_chunk_text(img, len, 2, &tl);
    ck_assert_uint_eq(tl, sizeof(text2) - 1);
    ck_assert(memcmp(s, text2, sizeof(text2)) == 0);
    ck_assert_str_eq(cc_index_chunk_id(img, len, 3), "");
    s = cc_index_chunk_text(img, len, 3, &tl);
    ck_assert_uint_eq(tl, 0);
    ck_assert_ptr_null(cc_index_chunk_id(img, len, 4));
    ck_assert_ptr_null(cc_index_chunk_title(img, len, UINT32_MAX));
    tl = 99;
    ck_assert_ptr_null(cc_index_chunk_text(img, len, 4, &tl));
    ck_assert_uint_eq(tl, 0);
    ck_assert_ptr_null(cc_index_chunk_id(NULL, len, 0));
    ck_assert_ptr_null(cc_index_chunk_id(img, 10, 0));

    /* The clinic corpus too. */
    img = build(p, clinic, NCLINIC, NULL, NULL, &len);
    for (i = 0; i < NCLINIC; i++) {
        ck_assert_str_eq(cc_index_chunk_id(img, len, i), clinic[i].id);
        ck_assert_str_eq(cc_index_chunk_title(img, len, i), clinic[i].title);
        ck_assert_str_eq(cc_index_chunk_text(img, len, i, NULL),
                         clinic[i].text);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Each chunk's sentence table is cc_sent_analyse of its text, byte for
 * byte, and gives the answers the text gives without it. */
START_TEST(test_sentences)
{
    static const doc_t md[] = {
        { "md#0", "Aftercare",
          "## Aftercare\n\n* Apply SPF 30 every day.\n* Leave make-up off "
          "for 24 hours.\n\n| Day | Open |\n| Sat | 9am |\n\nDr. Patel "
          "sees patients at 9 a.m. on Thursdays. Is it? Yes!" },
        { "md#1", "Empty", "" },
        { "md#2", "Stop words", "It is. And the? \xff\xfe" },
    };
    apr_pool_t *p = new_pool();
    size_t len, blen, tl, want_len;
    const void *tab;
    const void *want;
    void *img;
    uint32_t i;

    img = build(p, md, 3, NULL, NULL, &len);
    for (i = 0; i < 3; i++) {
        cc_source_t src;
        const char *text = cc_index_chunk_text(img, len, i, &tl);

        tab = cc_index_chunk_sentences(img, len, i, &blen);
        ck_assert_ptr_nonnull(tab);
        ck_assert_int_eq(((uintptr_t)tab - (uintptr_t)img) & 7u, 0);
        ck_assert_int_eq(cc_sent_analyse(&want, &want_len, p, text, tl),
                         APR_SUCCESS);
        ck_assert_uint_eq(blen, want_len);
        ck_assert(memcmp(tab, want, blen) == 0);
        ck_assert_int_eq(cc_sent_check(tab, blen, tl), 0);
        memset(&src, 0, sizeof(src));
        src.text = text;
        src.len = tl;
        src.sents = tab;
        src.sents_len = blen;
        ck_assert_str_eq(cc_answer_extract(p, "SPF make-up Thursday", &src,
                                           1, 3, NULL),
                         i == 0 ? "Leave make-up off for 24 hours."
                         : i == 1 ? "" : "It is.");
        ck_assert_str_eq(cc_answer_extract(p, "Is Dr. Patel in on Thursdays?",
                                           &src, 1, 3, NULL),
                         i == 0 ? "Dr. Patel sees patients at 9 a.m. on "
                                  "Thursdays."
                         : i == 1 ? "" : "It is.");
    }
    blen = 99;
    ck_assert_ptr_null(cc_index_chunk_sentences(img, len, 3, &blen));
    ck_assert_uint_eq(blen, 0);
    ck_assert_ptr_null(cc_index_chunk_sentences(img, len, UINT32_MAX, NULL));
    ck_assert_ptr_null(cc_index_chunk_sentences(NULL, len, 0, &blen));
    ck_assert_ptr_null(cc_index_chunk_sentences(img, 10, 0, &blen));

    img = build(p, clinic, NCLINIC, NULL, NULL, &len);
    for (i = 0; i < NCLINIC; i++) {
        tab = cc_index_chunk_sentences(img, len, i, &blen);
        ck_assert_int_eq(cc_sent_analyse(&want, &want_len, p,
                                           clinic[i].text,
                                           strlen(clinic[i].text)),
                         APR_SUCCESS);
        ck_assert_uint_eq(blen, want_len);
        ck_assert(memcmp(tab, want, blen) == 0);
    }
    apr_pool_destroy(p);
}
END_TEST

static const char *const empty_queries[] = {
    "", "   ", "the and of", "What is it? Is it the one?", "!!! ... ---",
    "\xff\xfe\x80", "xylophone", "a an the",
};

START_TEST(test_empty_queries)
{
    apr_pool_t *p = new_pool();
    cc_hit_t hits[4];
    size_t len;
    void *img = build(p, clinic, NCLINIC, NULL, SYNONYMS, &len);

    ck_assert_int_eq(cc_index_search(img, len, empty_queries[_i],
                                     strlen(empty_queries[_i]), hits, 4, p),
                     0);
    ck_assert_int_eq(cc_index_search(img, len, NULL, 5, hits, 4, p), 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_k_bounds)
{
    apr_pool_t *p = new_pool();
    cc_index_builder_t *b = cc_index_builder_create(p, NULL);
    cc_problem_t prob;
    cc_hit_t hits[64 + 8];
    size_t len;
    void *img;
    int i, n;

    for (i = 0; i < 100; i++) {
        char id[16], text[128];
        int k, tl = 0;

        snprintf(id, sizeof(id), "c%d", i);
        /* chunk i mentions "clinic" (i % 7 + 1) times among filler. */
        for (k = 0; k <= i % 7; k++) {
            tl += snprintf(text + tl, sizeof(text) - (size_t)tl, "clinic ");
        }
        snprintf(text + tl, sizeof(text) - (size_t)tl, "filler words");
        cc_index_builder_add(b, id, "", text, strlen(text));
    }
    ck_assert_int_eq(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_int_eq(cc_index_search(img, len, "clinic", 6, hits, 0, p), 0);
    ck_assert_int_eq(cc_index_search(img, len, "clinic", 6, hits, -3, p), 0);
    ck_assert_int_eq(cc_index_search(img, len, "clinic", 6, NULL, 5, p), 0);
    n = cc_index_search(img, len, "clinic", 6, hits, 1, p);
    ck_assert_int_eq(n, 1);
    ck_assert_uint_eq(hits[0].chunk, 6);    /* 7 mentions, first in order */
    n = cc_index_search(img, len, "clinic", 6, hits, 5, p);
    ck_assert_int_eq(n, 5);
    for (i = 1; i < n; i++) {
        ck_assert(hits[i].score < hits[i - 1].score
                  || (hits[i].score == hits[i - 1].score
                      && hits[i].chunk > hits[i - 1].chunk));
    }
    hits[64].chunk = 12345;
    n = cc_index_search(img, len, "clinic", 6, hits, 64, p);
    ck_assert_int_eq(n, 64);
    n = cc_index_search(img, len, "clinic", 6, hits, 1000, p);
    ck_assert_int_eq(n, 64);
    ck_assert_uint_eq(hits[64].chunk, 12345);
    for (i = 1; i < n; i++) {
        ck_assert(hits[i].score <= hits[i - 1].score);
    }
    n = cc_index_search(img, len, "filler", 6, hits, 64, p);
    ck_assert_int_eq(n, 64);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_empty_index)
{
    apr_pool_t *p = new_pool();
    cc_index_builder_t *b = cc_index_builder_create(p, NULL);
    cc_index_stats_t st;
    cc_problem_t prob;
    cc_hit_t hits[4];
    void *img;
    size_t len;

    ck_assert_int_eq(cc_index_build(&img, &len, b, p, &prob), APR_SUCCESS);
    ck_assert_int_eq(cc_index_check(img, len), 0);
    ck_assert_int_eq(cc_index_stats(img, len, &st), 0);
    ck_assert_uint_eq(st.nchunks, 0);
    ck_assert_uint_eq(st.nterms, 0);
    ck_assert_int_eq(cc_index_search(img, len, "clinic", 6, hits, 4, p), 0);
    ck_assert_ptr_null(cc_index_chunk_id(img, len, 0));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_too_many_chunks)
{
    apr_pool_t *p = new_pool();
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

/* ---- check and damaged images ------------------------------------------ */

START_TEST(test_check_rejects)
{
    apr_pool_t *p = new_pool();
    size_t len, i;
    void *img = build(p, clinic, NCLINIC, NULL, SYNONYMS, &len);
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
    apr_pool_t *p = new_pool();
    apr_pool_t *scratch = new_pool();
    static const doc_t other[] = {
        { "o1", "Other", "A different corpus about dentistry and teeth." },
        { "o2", "More", "Whitening, fillings and check-ups." },
    };
    size_t len, olen, l, i;
    const unsigned char *img = build(p, clinic, NCLINIC, NULL,
                                     SYNONYMS "flu = influenza, grippe\n",
                                     &len);
    const unsigned char *oimg = build(p, other, 2, NULL, NULL, &olen);
    unsigned char *work = malloc(len);
    uint32_t seed = 20240601u;
    int trial;

    ck_assert_ptr_nonnull(work);
    poke(img, len, NCLINIC, scratch);

    /* 1000 trials of damage inside the sentence tables only, where the
     * header and the checksum do not see it: flipped bytes, overwritten
     * offsets, lengths, counts and term hashes. */
    for (trial = 0; trial < 1000; trial++) {
        int flips = 1 + (int)(lcg(&seed) % 4), f;
        uint32_t c = lcg(&seed) % NCLINIC;
        size_t blen;
        const unsigned char *tab = cc_index_chunk_sentences(img, len, c,
                                                            &blen);
        size_t base;

        ck_assert_ptr_nonnull(tab);
        base = (size_t)(tab - img);
        memcpy(work, img, len);
        for (f = 0; f < flips; f++) {
            uint32_t r = lcg(&seed);
            size_t at = base + lcg(&seed) % blen;

            if ((r & 3) == 0 && at + 4 <= base + blen) {
                uint32_t v = lcg(&seed);

                if (r & 4) {
                    v &= 0xFF;          /* plausible small values */
                }
                at = base + ((at - base) & ~(size_t)3);
                memcpy(work + at, &v, 4);
            }
            else {
                work[at] ^= (unsigned char)(1 + lcg(&seed) % 255);
            }
        }
        if (memcmp(work, img, len) != 0) {
            ck_assert_int_ne(cc_index_check(work, len), 0);
        }
        poke(work, len, NCLINIC, scratch);
    }

    /* 2000 trials of flipped bytes and overwritten fields: half in the
     * header and the first entries, half anywhere. */
    for (trial = 0; trial < 2000; trial++) {
        int flips = 1 + (int)(lcg(&seed) % 8), f;

        memcpy(work, img, len);
        for (f = 0; f < flips; f++) {
            uint32_t r = lcg(&seed);
            size_t span = (trial & 1) ? len : (len < 512 ? len : 512);
            size_t at = lcg(&seed) % span;

            if ((r & 3) == 0 && at + 4 <= len) {
                uint32_t v = lcg(&seed);

                if (r & 4) {
                    v &= 0xFFFF;        /* plausible small values */
                }
                at &= ~(size_t)3;
                memcpy(work + at, &v, 4);
            }
            else {
                work[at] ^= (unsigned char)(1 + lcg(&seed) % 255);
            }
        }
        if (memcmp(work, img, len) != 0) {
            ck_assert_int_ne(cc_index_check(work, len), 0);
        }
        poke(work, len, NCLINIC, scratch);
    }

    /* Truncated at every length (fine-grained near the start). */
    for (l = 0; l < len; l += (l < 1024 ? 1 : 7)) {
        ck_assert_int_ne(cc_index_check(img, l), 0);
        poke(img, l, NCLINIC, scratch);
    }

    /* Half-written: a prefix of another image over this one. */
    for (i = 0; i < 300; i++) {
        size_t cut = lcg(&seed) % (olen < len ? olen : len);

        memcpy(work, img, len);
        memcpy(work, oimg, cut);
        poke(work, len, NCLINIC, scratch);
        memcpy(work, oimg, olen < len ? olen : len);
        memcpy(work, img, cut);
        poke(work, olen < len ? olen : len, NCLINIC, scratch);
    }
    free(work);
    apr_pool_destroy(scratch);
    apr_pool_destroy(p);
}
END_TEST

/* Re-sign an image after damage, so that the checksums pass and only the
 * section checks can refuse it: the FNV-1a 64 of the bytes after the
 * header at offset 16, and of the header's own fields at 184 (the header
 * layout of cc_index.c, version 2). */
#define IX_CHECKSUM 16
#define IX_HDRSUM   184
#define IX_HDR      192

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
    apr_pool_t *p = new_pool();
    apr_pool_t *scratch = new_pool();
    size_t len, blen, tl, base, entry = 0, k;
    const unsigned char *img = build(p, clinic, NCLINIC, NULL, SYNONYMS,
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
        poke(w, len, NCLINIC, scratch);
    }
    free(w);
    apr_pool_destroy(scratch);
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
    uint32_t a = lcg(seed) % GEN_VOCAB, b = lcg(seed) % GEN_VOCAB;

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
        int syl = 2 + (int)(lcg(&seed) % 3), k, at = 0;

        for (k = 0; k < syl; k++) {
            w[at++] = cons[lcg(&seed) % 12];
            w[at++] = vow[lcg(&seed) % 5];
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
        int words = 0, mpos = (int)(lcg(&seed) % (body / 30 + 1));

        g->ids[i] = apr_psprintf(p, "gen-%d#%d", i / 10, i % 10);
        g->titles[i] = apr_pstrcat(p, gen_word(g, &seed), " ",
                                   gen_word(g, &seed), NULL);
        marker(m, i);
        while (tl < body) {
            const char *w = words == mpos ? m : gen_word(g, &seed);
            size_t wl = strlen(w);

            memcpy(t + tl, w, wl);
            tl += wl;
            t[tl++] = (lcg(&seed) % 12 == 0) ? '.' : ' ';
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
    cc_problem_t prob;
    void *img = NULL;
    int i;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    b = cc_index_builder_create(g->p, NULL);
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
                score[i] += idf(g->n, df)
                            * sat(&pr, tfb[i] + 2.0 * tft[i], dl, bf->avg);
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

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

START_TEST(test_generated_10k)
{
    apr_pool_t *p = new_pool();
    apr_pool_t *scratch = new_pool();
    gen_t g;
    bf_t bf;
    size_t len;
    void *img;
    double build_ms, lat[1000], cpu[1000];
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

        marker(m, (int)(lcg(&seed) % 10000));
        q = apr_pstrcat(scratch, gen_word(&g, &seed), " ",
                        gen_word(&g, &seed), " ", gen_word(&g, &seed), " ",
                        gen_word(&g, &seed), " ", gen_word(&g, &seed),
                        i & 1 ? " " : "", i & 1 ? m : "", NULL);
        bf_compare(&bf, &g, img, len, q, scratch);
        apr_pool_clear(scratch);
    }

    /* Timing: 1000 queries of 5-10 words. */
    for (i = 0; i < 1000; i++) {
        struct timespec t0, t1, c0, c1;
        char q[256];
        int w, nw = 5 + (int)(lcg(&seed) % 6), at = 0;
        cc_hit_t hits[10];

        for (w = 0; w < nw; w++) {
            at += snprintf(q + at, sizeof(q) - (size_t)at, "%s%s",
                           w ? " " : "", gen_word(&g, &seed));
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        (void)cc_index_search(img, len, q, (size_t)at, hits, 10, scratch);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        lat[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6
                 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        cpu[i] = (double)(c1.tv_sec - c0.tv_sec) * 1e6
                 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e3;
        apr_pool_clear(scratch);
    }
    qsort(lat, 1000, sizeof(double), cmp_dbl);
    qsort(cpu, 1000, sizeof(double), cmp_dbl);
    fprintf(stderr, "index 10k: build %.1f ms, image %.1f MB, %u terms; "
            "search wall p50 %.1f us, p99 %.1f us, max %.1f us; "
            "cpu p50 %.1f us, p99 %.1f us\n", build_ms,
            (double)len / 1048576.0, st.nterms, lat[500], lat[990], lat[999],
            cpu[500], cpu[990]);
    apr_pool_destroy(scratch);
    apr_pool_destroy(p);
}
END_TEST

/* More than 65,536 chunks and rare terms: the sparse accumulator. */
START_TEST(test_generated_sparse)
{
    apr_pool_t *p = new_pool();
    apr_pool_t *scratch = new_pool();
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

        marker(m, (int)(lcg(&seed) % 70000));
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

Suite *suite_index(void)
{
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("index");
    TCase *big = tcase_create("index_big");

    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_clinic_top1, 0,
                        (int)(sizeof(clinic_queries)
                              / sizeof(clinic_queries[0])));
    tcase_add_test(tc, test_bm25_math);
    tcase_add_test(tc, test_title_weight);
    tcase_add_test(tc, test_synonyms);
    tcase_add_loop_test(tc, test_synonym_lines, 0,
                        (int)(sizeof(syn_cases) / sizeof(syn_cases[0])));
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_sentences);
    tcase_add_loop_test(tc, test_empty_queries, 0,
                        (int)(sizeof(empty_queries)
                              / sizeof(empty_queries[0])));
    tcase_add_test(tc, test_k_bounds);
    tcase_add_test(tc, test_empty_index);
    tcase_add_test(tc, test_check_rejects);
    tcase_add_test(tc, test_damaged_images);
    tcase_add_test(tc, test_check_sentences);
    suite_add_tcase(s, tc);

    tcase_set_timeout(big, 600);
    tcase_add_test(big, test_too_many_chunks);
    tcase_add_test(big, test_generated_10k);
    tcase_add_test(big, test_generated_sparse);
    suite_add_tcase(s, big);
    return s;
}

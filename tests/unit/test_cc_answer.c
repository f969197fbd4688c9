/* Unit tests: cc_answer (the extractive answer, the grounding check,
 * citation stripping, random and huge answers).  The LLM wire format is in
 * test_cc_llmwire.c, sentence tables in test_cc_sent.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_answer.h"
#include "cc_chunk.h"
#include "cc_sent.h"
#include "corpus.h"
#include "suites.h"


/* ---- extractive answers ------------------------------------------------- */

static const struct {
    const char *query;
    int         max;
    const char *want;       /* the whole answer */
    int         used[3];
} extract_cases[] = {
    { "When are you open on Saturday?", 1,
      "Saturday: 9am to 4pm.", { 1, 0, 0 } },
    { "Where can I park my car?", 2,
      "We do not have our own car park. The nearest is the Prince Street "
      "multi-storey car park, a three-minute walk from the clinic, which is "
      "open 24 hours and costs \xc2\xa3" "2.80 per hour.", { 0, 1, 0 } },
    { "Can I wear make-up after my peel?", 3,
      "Leave make-up off for 24 hours.", { 0, 0, 1 } },
    { "Is there free blue badge parking?", 1,
      "Blue badge holders can park free for up to 3 hours on Quayside Walk, "
      "e.g. in the two bays outside our entrance.", { 0, 1, 0 } },
    { "dermatology on Thursday", 1,
      "Dr. Patel runs the dermatology clinic until 7 p.m. on Thursdays.",
      { 1, 0, 0 } },
    { "How long should I wait before swimming or using a sauna after a "
      "chemical peel?", 2,
      "Avoid swimming pools, saunas and hot baths for 48 hours.",
      { 0, 0, 1 } },
    /* nothing overlaps: the first sentence of the best source */
    { "xylophone", 3,
      "Monday to Friday: 9am to 6pm, and until 8pm on Wednesdays and "
      "Thursdays.", { 1, 0, 0 } },
    { "", 2,
      "Monday to Friday: 9am to 6pm, and until 8pm on Wednesdays and "
      "Thursdays.", { 1, 0, 0 } },
    { NULL, 0,
      "Monday to Friday: 9am to 6pm, and until 8pm on Wednesdays and "
      "Thursdays.", { 1, 0, 0 } },
};

START_TEST(test_extract_table)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    int used[3] = { 7, 7, 7 };
    char *a;
    int k;

    corpus_sources(src);
    a = cc_answer_extract(p, extract_cases[_i].query, src, 3,
                          extract_cases[_i].max, used);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a, extract_cases[_i].want);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(used[k], extract_cases[_i].used[k]);
    }
    /* used may be NULL */
    ck_assert_str_eq(cc_answer_extract(p, extract_cases[_i].query, src, 3,
                                       extract_cases[_i].max, NULL),
                     extract_cases[_i].want);
    apr_pool_destroy(p);
}
END_TEST

/* Number of sentences in an extractive answer built from the sources
 * above: each ends with ". " or the end, abbreviations aside. */
static int count_sentences(const char *a)
{
    const char *s = a;
    int n = 0;

    for (; *a; a++) {
        if (*a != '.' || (a[1] != ' ' && a[1] != '\0')) {
            continue;
        }
        if (a - s >= 3 && (strncmp(a - 3, "e.g", 3) == 0
                           || strncmp(a - 3, "p.m", 3) == 0
                           || strncmp(a - 3, " Dr", 3) == 0)) {
            continue;
        }
        n++;
    }
    return n;
}

START_TEST(test_extract_max_sentences)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    int used[3];
    int max;

    corpus_sources(src);
    for (max = -1; max <= 5; max++) {
        char *a = cc_answer_extract(p, "how many hours", src, 3, max, used);
        int n = count_sentences(a);

        ck_assert_int_ge(n, 1);
        ck_assert_int_le(n, max < 1 ? 1 : max);
    }
    /* "hours" as a duration ("how many") is in four sentences: all of
     * them with room */
    ck_assert_int_eq(count_sentences(cc_answer_extract(p, "how many hours",
                                                       src, 3, 5, used)), 4);
    ck_assert_int_eq(used[0], 0);
    ck_assert_int_eq(used[1], 1);
    ck_assert_int_eq(used[2], 1);
    /* "hours" alone asks for the opening hours: the sentences with times
     * and days of the source titled "Opening hours" */
    ck_assert_str_eq(cc_answer_extract(p, "hours", src, 3, 5, used),
                     "Monday to Friday: 9am to 6pm, and until 8pm on "
                     "Wednesdays and Thursdays. Saturday: 9am to 4pm. "
                     "Sunday: closed. Dr. Patel runs the dermatology clinic "
                     "until 7 p.m. on Thursdays.");
    ck_assert_int_eq(used[0], 1);
    ck_assert_int_eq(used[1], 0);
    ck_assert_int_eq(used[2], 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_extract_markup_and_order)
{
    apr_pool_t *p = corpus_pool();
    static const char md[] =
        "## Peel aftercare\n"
        "1. Apply SPF 50 daily.\n"
        "2) Keep the peeled skin moisturised.\n"
        "| Day | Peel care |\n"
        "|-----|------|\n"
        "> Quoted: call us if the peel blisters.\n"
        "+ Do not pick peeling skin.";
    cc_source_t src[2];
    int used[2];
    char *a;

    memset(src, 0, sizeof(src));
    src[0].title = "Unrelated";
    src[0].text = "We sell peel kits.";
    src[0].len = strlen(src[0].text);
    src[1].title = "Aftercare";
    src[1].text = md;
    src[1].len = sizeof(md) - 1;
    /* the better-ranked source comes first; within a source, in order;
     * a table's header row is a heading, never an answer */
    a = cc_answer_extract(p, "peel", src, 2, 8, used);
    ck_assert_str_eq(a, "We sell peel kits. Keep the peeled skin moisturised. "
                        "Quoted: call us if the peel "
                        "blisters. Do not pick peeling skin.");
    ck_assert_int_eq(used[0], 1);
    ck_assert_int_eq(used[1], 1);
    /* markup never leaks, headings are not answers */
    a = cc_answer_extract(p, "SPF aftercare", src, 2, 1, used);
    ck_assert_str_eq(a, "Apply SPF 50 daily.");
    ck_assert_int_eq(used[0], 0);
    ck_assert_int_eq(used[1], 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_extract_duplicates_and_long)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[2];
    char *longtext = apr_palloc(p, 2000);
    size_t n = 0;
    char *a;
    int i;

    for (i = 0; n < 1500; i++) {
        n += (size_t)apr_snprintf(longtext + n, 2000 - n, "parking%d ", i);
    }
    longtext[n - 1] = '.';
    memset(src, 0, sizeof(src));
    src[0].text = "Parking is free. Parking is free.";
    src[1].text = "Parking is free.";       /* len 0: measured */
    src[0].len = strlen(src[0].text);
    a = cc_answer_extract(p, "parking free", src, 2, 3, NULL);
    ck_assert_str_eq(a, "Parking is free.");

    src[0].text = longtext;
    src[0].len = n;
    a = cc_answer_extract(p, "parking7", src, 1, 1, NULL);
    ck_assert_uint_le(strlen(a), 400);
    ck_assert_uint_gt(strlen(a), 350);
    ck_assert_str_eq(a + strlen(a) - 3, "\xe2\x80\xa6");
    ck_assert(strncmp(a, "parking0 parking1 ", 18) == 0);
    ck_assert(a[strlen(a) - 4] != ' ');

    /* no sources, empty sources: "" and never NULL */
    ck_assert_str_eq(cc_answer_extract(p, "x", NULL, 0, 2, NULL), "");
    ck_assert_str_eq(cc_answer_extract(p, "x", src, -3, 2, NULL), "");
    src[0].text = NULL;
    src[0].len = 0;
    src[1].text = "  \n\n - \n";
    ck_assert_str_eq(cc_answer_extract(p, "x", src, 2, 2, NULL), "");
    apr_pool_destroy(p);
}
END_TEST


/* ---- grounding ---------------------------------------------------------- */

static const struct {
    const char *answer;
    int         ok;
    const char *reason;     /* when !ok */
    int         cited[3];
} ground_cases[] = {
    { "We are open on Saturday from 9am to 4pm [S1].", 1, NULL, { 1, 0, 0 } },
    { "The nearest car park is on Prince Street and costs \xc2\xa3" "2.80 per "
      "hour [S2].", 1, NULL, { 0, 1, 0 } },
    { "Yes. We are open on Saturday from 9am to 4pm [S1]. Thanks!", 1, NULL,
      { 1, 0, 0 } },
    { "We are open on Saturday from 9am to 4pm [S1]. Also [S4].", 0,
      "unknown_citation", { 1, 0, 0 } },
    { "We are open on Saturday [S0].", 0, "unknown_citation", { 0, 0, 0 } },
    { "We are open on Saturday [S999999999999].", 0, "unknown_citation",
      { 0, 0, 0 } },
    { "We are open on Saturday [S2, S9].", 0, "unknown_citation",
      { 0, 1, 0 } },
    { "We are open on Saturday from 9am to 4pm.", 0, "no_citation",
      { 0, 0, 0 } },
    { "We are open on Saturday from 9am to 4pm [S1", 0, "no_citation",
      { 0, 0, 0 } },
    { "We are open on Saturday from 9am to 4pm (source 1).", 0,
      "no_citation", { 0, 0, 0 } },
    { "NO_ANSWER", 0, "no_answer", { 0, 0, 0 } },
    { "  NO_ANSWER.\n", 0, "no_answer", { 0, 0, 0 } },
    { "", 0, "empty", { 0, 0, 0 } },
    { " \n\t ", 0, "empty", { 0, 0, 0 } },
    { "[S1]", 0, "empty", { 1, 0, 0 } },
    { "Take 400mg ibuprofen twice daily [S1].", 0, "unsupported_sentence",
      { 1, 0, 0 } },
    { "We are open on Saturday from 9am to 4pm [S1]. Take 400mg ibuprofen "
      "twice daily [S1].", 0, "unsupported_sentence", { 1, 0, 0 } },
    { "Apply SPF 30 every day and park at the Prince Street car park "
      "[S2][S3].", 1, NULL, { 0, 1, 1 } },
    { "Apply SPF 30 every day and park at the Prince Street car park "
      "[S2, S3].", 1, NULL, { 0, 1, 1 } },
    { "Apply SPF 30 every day and park at the Prince Street car park "
      "[S3].", 0, "unsupported_sentence", { 0, 0, 1 } },
    /* a citation written after the full stop belongs to that sentence */
    { "We are open on Saturday from 9am to 4pm. [S1] The nearest car park "
      "is on Prince Street. [S2]", 1, NULL, { 1, 1, 0 } },
    /* an uncited sentence takes the nearest cited one in its paragraph */
    { "The nearest car park is on Prince Street [S2]. It costs \xc2\xa3"
      "2.80 per hour and is open 24 hours.", 1, NULL, { 0, 1, 0 } },
    { "We are open on Saturday from 9am to 4pm [S1]. The car park costs "
      "\xc2\xa3" "2.80 per hour.", 0, "unsupported_sentence", { 1, 0, 0 } },
    { "The car park costs \xc2\xa3" "2.80 per hour. We are open on Saturday "
      "from 9am to 4pm [S1]. The car park is in Prince Street [S2].", 0,
      "unsupported_sentence", { 1, 1, 0 } },
    /* ... and otherwise all cited sources */
    { "We are open on Saturday from 9am to 4pm [S1].\n\nThe car park costs "
      "\xc2\xa3" "2.80 per hour.", 0, "unsupported_sentence", { 1, 0, 0 } },
    { "Apply SPF 30 every day for four weeks.\n\nThe nearest car park is on "
      "Prince Street [S2]. Leave make-up off for 24 hours [S3].", 1, NULL,
      { 0, 1, 1 } },
    /* odd but valid citation spellings */
    { "We are open on Saturday from 9am to 4pm [[S1]].", 1, NULL,
      { 1, 0, 0 } },
    { "We are open on Saturday from 9am to 4pm [s1].", 1, NULL, { 1, 0, 0 } },
    { "- Saturday: 9am to 4pm [S1]\n- Sunday: closed [S1]", 1, NULL,
      { 1, 0, 0 } },
    { "Dr. Patel runs the dermatology clinic until 7 p.m. on Thursdays "
      "[S1].", 1, NULL, { 1, 0, 0 } },
};

START_TEST(test_grounding_table)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    int cited[3] = { 9, 9, 9 };
    const char *reason = "unset";
    int ok;
    int k;

    corpus_sources(src);
    ok = cc_answer_supported(p, ground_cases[_i].answer, src, 3, 0.6, cited,
                             &reason);
    ck_assert_msg(ok == ground_cases[_i].ok, "case %d \"%s\": got %d (%s)",
                  _i, ground_cases[_i].answer, ok, reason ? reason : "-");
    if (ok) {
        ck_assert_ptr_null(reason);
    }
    else {
        ck_assert_ptr_nonnull(reason);
        ck_assert_str_eq(reason, ground_cases[_i].reason);
    }
    for (k = 0; k < 3; k++) {
        ck_assert_msg(cited[k] == ground_cases[_i].cited[k],
                      "case %d: cited[%d] = %d", _i, k, cited[k]);
    }
    /* cited and reason may be NULL */
    ck_assert_int_eq(cc_answer_supported(p, ground_cases[_i].answer, src, 3,
                                         0.6, NULL, NULL),
                     ground_cases[_i].ok);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_grounding_edges)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    const char *reason = NULL;

    corpus_sources(src);
    ck_assert_int_eq(cc_answer_supported(p, NULL, src, 3, 0.6, NULL,
                                         &reason), 0);
    ck_assert_str_eq(reason, "empty");
    /* no sources: every citation is unknown */
    ck_assert_int_eq(cc_answer_supported(p, "Open on Saturday [S1].", NULL,
                                         0, 0.6, NULL, &reason), 0);
    ck_assert_str_eq(reason, "unknown_citation");
    /* min_overlap 0 accepts anything cited; 1 needs every term */
    ck_assert_int_eq(cc_answer_supported(p, "Take 400mg ibuprofen twice "
                                         "daily [S1].", src, 3, 0.0, NULL,
                                         NULL), 1);
    ck_assert_int_eq(cc_answer_supported(p, "We are open on Saturday from "
                                         "9am to 4pm, lovely [S1].", src, 3,
                                         1.0, NULL, NULL), 0);
    ck_assert_int_eq(cc_answer_supported(p, "We are open on Saturday from "
                                         "9am to 4pm, lovely [S1].", src, 3,
                                         0.6, NULL, NULL), 1);
    ck_assert_int_eq(cc_answer_supported(p, "We are open on Saturday from "
                                         "9am to 4pm [S1].", src, 3, 7.0,
                                         NULL, NULL), 1);
    apr_pool_destroy(p);
}
END_TEST

/* ---- citation stripping ------------------------------------------------- */

static const struct {
    const char *in;
    const char *out;
} strip_cases[] = {
    { "We are open [S1].", "We are open." },
    { "Open 9am to 4pm [S1][S2]. Closed Sundays [S1, S3].",
      "Open 9am to 4pm. Closed Sundays." },
    { "Parking is free ([S2]).", "Parking is free." },
    { "[[S1]] Yes", "Yes" },
    { "Text [S1", "Text [S1" },
    { "See [S999999999999] and [S0] here", "See and here" },
    { "A  \t b\n\n\n\nc [S1]\n", "A b\n\nc" },
    { "  line one [S1]  \nline two", "line one\nline two" },
    { "Keep [brackets] and (parens) [S1]", "Keep [brackets] and (parens)" },
    { "", "" },
    { "[S1][S2]", "" },
};

START_TEST(test_strip_table)
{
    apr_pool_t *p = corpus_pool();

    ck_assert_str_eq(cc_answer_strip_citations(p, strip_cases[_i].in),
                     strip_cases[_i].out);
    ck_assert_str_eq(cc_answer_strip_citations(p, NULL), "");
    apr_pool_destroy(p);
}
END_TEST

/* ---- fuzz-ish ----------------------------------------------------------- */

START_TEST(test_random_answers)
{
    static const char *const frag[] = {
        "[S", "[", "]", "1", "0", "3", "4", "999999999999", ",", " ", ".",
        "!", "?", "\n", "\n\n", "- ", "* ", "# ", "| ", "1. ", "e.g.",
        "a.m.", "Dr.", "2.5", "open", "Saturday", "car park", "peel",
        "\xff", "\xc3\xa9", "\xe2\x80\x9d", "\xe2\x80\xa6", "[S1]",
        "[S1, S2]", "[S2][S3]", "S", "s", ";", "\t", "\"", ")", "(",
        "NO_ANSWER", "9am", "\xc2\xa3", "[[", "]]", "  ",
    };
    size_t nfrag = sizeof(frag) / sizeof(frag[0]);
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    char buf[1200];
    uint32_t seed = 20240611u;
    int iter;

    corpus_sources(src);
    for (iter = 0; iter < 5000; iter++) {
        apr_pool_t *q = NULL;
        size_t n = 0;
        size_t parts = corpus_lcg(&seed) % 60;
        size_t k;
        int cited[3];
        const char *reason = NULL;
        char *s;
        int ok;
        cc_source_t fsrc;

        for (k = 0; k < parts && n < sizeof(buf) - 40; k++) {
            uint32_t r = corpus_lcg(&seed);

            if (r % 5 == 0) {
                buf[n++] = (char)(1 + (r >> 8) % 255);     /* any byte */
            }
            else {
                const char *f = frag[(r >> 3) % nfrag];
                size_t fl = strlen(f);

                memcpy(buf + n, f, fl);
                n += fl;
            }
        }
        buf[n] = '\0';
        apr_pool_create(&q, p);
        ok = cc_answer_supported(q, buf, src, 3, 0.6, cited, &reason);
        ck_assert(ok == 0 || ok == 1);
        ck_assert(ok || reason != NULL);
        s = cc_answer_strip_citations(q, buf);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_le(strlen(s), n);
        /* the same bytes as a source and as a query */
        memset(&fsrc, 0, sizeof(fsrc));
        fsrc.text = buf;
        fsrc.len = n;
        ck_assert_ptr_nonnull(cc_answer_extract(q, buf, &fsrc, 1, 3, NULL));
        ck_assert_ptr_nonnull(cc_answer_extract(q, buf, src, 3, 2, NULL));
        cc_llm_parse(q, buf, n, NULL);
        apr_pool_destroy(q);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_huge_answer)
{
    apr_pool_t *p = corpus_pool();
    cc_source_t src[3];
    size_t n = 256 * 1024;
    char *a = apr_palloc(p, n + 1);
    size_t i;

    corpus_sources(src);
    for (i = 0; i < n; i++) {
        a[i] = "[S1]. x"[i % 7];
    }
    a[n] = '\0';
    ck_assert_int_eq(cc_answer_supported(p, a, src, 3, 0.6, NULL, NULL), 1);
    for (i = 0; i < n; i++) {
        a[i] = "open Saturday 9am car [S1] "[i % 27];
    }
    ck_assert_int_eq(cc_answer_supported(p, a, src, 3, 0.6, NULL, NULL), 1);
    memset(a, '[', n);
    ck_assert_int_eq(cc_answer_supported(p, a, src, 3, 0.6, NULL, NULL), 0);
    ck_assert_str_eq(cc_answer_strip_citations(p, a), a);
    apr_pool_destroy(p);
}
END_TEST

/* The question's kind, from cue words in English, Spanish, French and
 * German: the sentence with the asked fact wins over one holding as many
 * of the question's terms (which plain overlap would take, being first). */
static const struct {
    const char *query;
    const char *want;       /* the whole answer (max 1) */
} kind_cases[] = {
#define KC_LIP   "Lip filler adds volume to the lips with a soft gel."
#define KC_PRICE "Lip filler costs \xc2\xa3" "200 for 1ml."
#define KC_SAT   "Evening patients meet two practitioners."
#define KC_HOURS "Evening patients are seen from 5pm to 8pm."
#define KC_STAFF "The clinic has friendly staff in every room."
#define KC_WHERE "The clinic is at 18 Quayside Walk, Bristol BS1 4QA."
    { "lip filler", KC_LIP },
    { "lip filler: how much?", KC_PRICE },
    { "lip filler price", KC_PRICE },
    { "lip filler fee", KC_PRICE },
    { "lip filler \xc2\xa3", KC_PRICE },
    { "\xc2\xbf" "Cu\xc3\xa1" "nto lip filler?", KC_PRICE },
    { "Combien lip filler ?", KC_PRICE },
    { "Lip filler, wie viel?", KC_PRICE },
    { "Was kostet lip filler?", KC_PRICE },
    { "evening patients", KC_SAT },
    { "Evening patients: what time?", KC_HOURS },
    { "evening patients hours", KC_HOURS },
    { "how many evening patients hours", KC_SAT },
    { "When are you open for evening patients?", KC_HOURS },
    { "\xc2\xbf" "Horario evening patients?", KC_HOURS },
    { "Evening patients : horaires ?", KC_HOURS },
    { "Evening patients \xc3\x96" "ffnungszeiten?", KC_HOURS },
    /* no term in common: the first sentence with the asked fact */
    { "How much?", KC_PRICE },
    { "Where are you located?", KC_WHERE },
    /* a day name asks for hours in a short question only */
    { "Saturday evening?", KC_HOURS },
    { "evening patients on Saturday", KC_SAT },
    { "S\xc3\xa1" "bado evening?", KC_HOURS },
    { "clinic", KC_STAFF },
    { "Where is the clinic?", KC_WHERE },
    { "clinic address", KC_WHERE },
    { "How do I get to the clinic?", KC_WHERE },
    { "\xc2\xbf" "D\xc3\xb3" "nde est\xc3\xa1 la clinic?", KC_WHERE },
    { "O\xc3\xb9 est la clinic ?", KC_WHERE },
    { "Wo ist die clinic?", KC_WHERE },
};

START_TEST(test_extract_kinds)
{
    static const char text[] = KC_LIP " " KC_PRICE "\n\n" KC_SAT " "
                               KC_HOURS "\n\n" KC_STAFF " " KC_WHERE;
    apr_pool_t *p = corpus_pool();
    cc_source_t src[1];

    memset(src, 0, sizeof(src));
    src[0].title = "Clinic";
    src[0].text = text;
    src[0].len = sizeof(text) - 1;
    ck_assert_str_eq(cc_answer_extract(p, kind_cases[_i].query, src, 1, 1,
                                       NULL), kind_cases[_i].want);
    apr_pool_destroy(p);
}
END_TEST

/* List items and table rows that are fragments are shown with their
 * lead-in or section title, joined by ", " ": " "; "; a lead-in brings
 * its whole list; a header row is never an answer. */
START_TEST(test_extract_fragments)
{
    static const char areas[] =
        "The three most common areas are:\n\n"
        "- forehead lines\n"
        "- frown lines between the eyebrows\n"
        "- crow's feet at the sides of the eyes\n\n"
        "We also treat smaller areas.";
    static const char prices[] =
        "- One area: \xc2\xa3" "180\n"
        "- Two areas: \xc2\xa3" "250\n"
        "- Monday: closed\n\n"
        "Each of forehead lines, frown lines and crow's feet counts as one "
        "area.";
    static const char table[] =
        "| Area | Price |\n"
        "|------|-------|\n"
        "| Upper lip | \xc2\xa3" "45 |\n"
        "| Underarms | \xc2\xa3" "65 |";
    apr_pool_t *p = corpus_pool();
    cc_source_t src[2];
    int used[2];

    memset(src, 0, sizeof(src));
    src[0].title = "Treatment areas";
    src[0].text = areas;
    src[1].title = "Prices";
    src[1].text = prices;
    /* the lead-in brings its list; the fragment alone never */
    ck_assert_str_eq(cc_answer_extract(p, "most common areas", src, 1, 3,
                                       used),
                     "The three most common areas are: forehead lines; frown "
                     "lines between the eyebrows; crow's feet at the sides "
                     "of the eyes.");
    ck_assert_str_eq(cc_answer_extract(p, "frown lines", src, 1, 1, used),
                     "The three most common areas are: frown lines between "
                     "the eyebrows.");
    /* the price item with its title, through the sentence naming the
     * area; a day name keeps its capital */
    ck_assert_str_eq(cc_answer_extract(p, "How much for the forehead?",
                                       src + 1, 1, 3, used),
                     "Prices, one area: \xc2\xa3" "180. Each of forehead "
                     "lines, frown lines and crow's feet counts as one "
                     "area.");
    ck_assert_str_eq(cc_answer_extract(p, "When are you open on Monday?",
                                       src + 1, 1, 3, used),
                     "Prices, Monday: closed.");
    ck_assert_int_eq(used[0], 1);
    /* table rows: cells joined, the header row never alone */
    src[0].title = "Laser prices";
    src[0].text = table;
    ck_assert_str_eq(cc_answer_extract(p, "How much are underarms?", src, 1,
                                       3, used),
                     "Laser prices, underarms: \xc2\xa3" "65.");
    ck_assert_str_eq(cc_answer_extract(p, "area", src, 1, 3, used),
                     "Laser prices, upper lip: \xc2\xa3" "45.");
    apr_pool_destroy(p);
}
END_TEST

/* ---- the knowledge base, section by section ---------------------------- */

/* For every section of knowledge/ (chunked as the module does), one
 * question of each kind the section can answer: its price ('P'), opening
 * hours or times ('H'), where it is or how to get there ('W'), and a
 * general one ('G'), with a fact the answer must hold.  The extractor gets
 * the section as its best source and the two sections after it (in file
 * order, wrapping) as distractors, as retrieval would give them. */
static const struct {
    const char *section;    /* the section's title */
    char        kind;
    const char *q;
    const char *want;       /* must appear in the answer */
} kb_cases[] = {
    { "About Harbour Skin Clinic",
      'G', "What is Harbour Skin Clinic?",
      "independent aesthetic and dermatology clinic" },
    { "About Harbour Skin Clinic",
      'W', "Where is the clinic?",
      "harbourside" },
    { "Welcome to Harbour Skin Clinic",
      'G', "When did the clinic open?",
      "2016" },
    { "Our team of practitioners",
      'G', "Who is the laser therapist?",
      "Jake Morgan" },
    { "Regulation, qualifications and insurance",
      'G', "Is the clinic registered with the CQC?",
      "Care Quality Commission" },
    { "Contact details",
      'G', "What is your email address?",
      "hello@harbourskinclinic.co.uk" },
    { "Contact details",
      'W', "What is your postal address?",
      "BS1 4QA" },
    { "Treatments we do not offer",
      'G', "Do you do thread lifts?",
      "thread lifts" },
    { "Aftercare and support",
      'G', "What support is there after my treatment?",
      "Support after your treatment" },
    { "Aftercare hotline",
      'G', "What is the aftercare line number?",
      "07700 900456" },
    { "Aftercare hotline",
      'H', "What time is the aftercare line answered?",
      "8am to 10pm" },
    { "Urgent problems outside aftercare line hours",
      'G', "What if I have difficulty breathing after treatment?",
      "999" },
    { "Urgent problems outside aftercare line hours",
      'H', "Who do I call between 10pm and 8am?",
      "NHS 111" },
    { "Free review appointments",
      'G', "Do injectable treatments include a review appointment?",
      "two weeks" },
    { "Free review appointments",
      'P', "How much does a review appointment cost?",
      "free" },
    { "If you are unhappy with your results",
      'G', "What if I am unhappy with my results?",
      "four weeks" },
    { "Feeling unwell before your appointment",
      'G', "What if I have a cold sore before my appointment?",
      "contact us before your appointment" },
    { "Booking and payment",
      'G', "How do I book and pay?",
      "How to book" },
    { "Booking through the online chat",
      'G', "Can I book through the online chat?",
      "online chat" },
    { "Booking by phone or in person",
      'G', "Can I book by phone?",
      "0117 496 0123" },
    { "Information we need when you book",
      'G', "What information do you need when I book?",
      "date of birth" },
    { "Medical history form",
      'G', "Do I have to fill in the medical history form before my first "
      "appointment?",
      "24 hours" },
    { "Booking deposits",
      'G', "Do I need to pay a deposit?",
      "deposit" },
    { "Booking deposits",
      'P', "How much is the deposit for a treatment?",
      "\xc2\xa3" "25" },
    { "Appointment confirmations and reminders",
      'G', "When do you send a text reminder?",
      "three days before" },
    { "Booking for someone else",
      'G', "Can I book for my husband?",
      "on behalf of another adult" },
    { "Payment methods we accept",
      'G', "Do you accept American Express?",
      "American Express" },
    { "When payment is taken",
      'G', "When do I pay the balance?",
      "remaining balance" },
    { "Treatment courses and packages",
      'G', "How long are courses valid?",
      "12 months" },
    { "Treatment courses and packages",
      'P', "How much is a course of three microneedling sessions?",
      "\xc2\xa3" "480" },
    { "Finance and payment plans",
      'G', "Do you offer Klarna?",
      "Klarna" },
    { "Receipts and invoices",
      'G', "Can I get a VAT invoice?",
      "invoice" },
    { "Health insurance claims",
      'G', "Will my insurer cover a dermatologist appointment?",
      "insurance" },
    { "Gift vouchers",
      'G', "Can I buy a gift voucher?",
      "voucher" },
    { "Gift vouchers",
      'P', "How much can a gift voucher be for?",
      "\xc2\xa3" "25 to \xc2\xa3" "500" },
    { "Using a gift voucher",
      'G', "How long is a gift voucher valid?",
      "12 months" },
    { "Refer a friend",
      'G', "Do you have a refer a friend scheme?",
      "friend" },
    { "Refer a friend",
      'P', "How much do I get for referring a friend?",
      "\xc2\xa3" "20" },
    { "Discounts for NHS staff, emergency services and students",
      'G', "Do NHS staff get a discount?",
      "10 percent" },
    { "Consultations",
      'G', "What types of consultation are there?",
      "consultation" },
    { "Types of consultation we offer",
      'G', "Which consultations do you offer?",
      "consultation" },
    { "Types of consultation we offer",
      'P', "How much is a skin consultation?",
      "\xc2\xa3" "60" },
    { "Aesthetic consultation for injectables",
      'G', "Do I need a consultation before anti-wrinkle injections?",
      "aesthetic consultation" },
    { "Aesthetic consultation for injectables",
      'P', "What is the cost of an aesthetic consultation?",
      "\xc2\xa3" "50" },
    { "What happens at an aesthetic consultation",
      'G', "What will my practitioner ask at the aesthetic consultation?",
      "medical history" },
    { "Cooling-off period before first injectable treatment",
      'G', "Can I have filler on the same day as my consultation?",
      "do not treat on the same day" },
    { "Skin consultation with a skin therapist",
      'G', "Which skin therapist does skin consultations?",
      "Priya Patel" },
    { "Skin consultation with a skin therapist",
      'P', "How much does a skin consultation with the skin therapist cost?",
      "\xc2\xa3" "60" },
    { "Consultant dermatologist appointments",
      'G', "Does the dermatologist treat rosacea?",
      "rosacea" },
    { "Consultant dermatologist appointments",
      'P', "How much is a follow-up dermatologist appointment?",
      "\xc2\xa3" "120" },
    { "Consultant dermatologist appointments",
      'H', "Which days does the dermatologist clinic run?",
      "Tuesdays and Thursdays" },
    { "Mole and skin checks",
      'G', "Can you check a mole that has changed?",
      "mole" },
    { "Mole and skin checks",
      'P', "How much is a full-body skin check?",
      "\xc2\xa3" "220" },
    { "Free video consultation",
      'G', "Can I have a video consultation?",
      "Video consultations" },
    { "Free video consultation",
      'P', "What does a video consultation cost?",
      "free" },
    { "Free video consultation",
      'H', "Which days do video consultations run?",
      "Monday to Friday" },
    { "Preparing for your consultation",
      'G', "What should I bring to my consultation?",
      "medicines" },
    { "Frequently asked questions",
      'G', "Do you have frequently asked questions?",
      "questions" },
    { "Do you treat men?",
      'G', "Do you treat men?",
      "men" },
    { "Can I wear make-up to my appointment?",
      'G', "Can I wear make-up to my appointment?",
      "make-up" },
    { "Do injections hurt, and is numbing cream available?",
      'G', "Do injections hurt?",
      "scratch" },
    { "Can I have more than one treatment on the same day?",
      'G', "Can I have filler and anti-wrinkle injections at the same "
      "appointment?",
      "same appointment" },
    { "Do you offer NHS treatment?",
      'G', "Can I get treatment on the NHS?",
      "see your GP" },
    { "Do I need a GP referral?",
      'G', "Do I need a referral from my GP?",
      "referral" },
    { "Do you sell skincare products?",
      'G', "Do you sell skincare products?",
      "skincare" },
    { "Can I have treatment while pregnant or breastfeeding?",
      'G', "Can I have laser hair removal while pregnant?",
      "pregnan" },
    { "How far ahead should I book before a wedding or event?",
      'G', "How far ahead should I book before my wedding?",
      "weeks" },
    { "How soon can I get an appointment?",
      'G', "Can I book an appointment within a week?",
      "within a week" },
    { "Can I choose which practitioner I see?",
      'G', "Can I choose my practitioner?",
      "practitioner" },
    { "Which injectable products do you use?",
      'G', "Which filler products do you use?",
      "hyaluronic acid fillers" },
    { "Can I have treatment before a holiday or a flight?",
      'G', "Can I fly after treatment?",
      "Flying" },
    { "Do you offer home visits?",
      'G', "Do you do home visits?",
      "home" },
    { "Can I get help in another language?",
      'G', "Can I have an interpreter?",
      "interpreter" },
    { "Can I get help in another language?",
      'P', "Does an interpreter cost extra?",
      "free of charge" },
    { "Do you have appointments for nervous patients?",
      'G', "I feel anxious, can I have a longer appointment?",
      "anxious" },
    { "Can I see before and after photos?",
      'G', "Can I see before and after photos?",
      "photographs" },
    { "Will people be able to tell I've had treatment?",
      'G', "Will my result look natural?",
      "natural" },
    { "Is there a caf\xc3\xa9" " near the clinic?",
      'G', "Is there a caf\xc3\xa9" " near the clinic?",
      "Quayside Bakery" },
    { "Is there a caf\xc3\xa9" " near the clinic?",
      'W', "Where are the caf\xc3\xa9" "s near the clinic?",
      "harbourside" },
    { "Do you treat hair loss?",
      'G', "Do you treat hair loss?",
      "hair" },
    { "Can I use my phone during treatment?",
      'G', "Can I use my phone during treatment?",
      "phone" },
    { "Can I drive after my treatment?",
      'G', "Can I drive after my treatment?",
      "drive" },
    { "Injectable treatments",
      'G', "Who carries out injectable treatments?",
      "doctors and nurse prescriber" },
    { "Anti-wrinkle injections explained",
      'G', "What are anti-wrinkle injections?",
      "botulinum toxin" },
    { "Treatment areas for anti-wrinkle injections",
      'G', "Which areas can anti-wrinkle injections treat?",
      "forehead lines" },
    { "Anti-wrinkle injection prices",
      'G', "What counts as one area for anti-wrinkle injections?",
      "one area" },
    { "Anti-wrinkle injection prices",
      'P', "How much is botox for the forehead?",
      "\xc2\xa3" "180" },
    { "How long anti-wrinkle results last",
      'G', "How long do anti-wrinkle results last?",
      "three to four months" },
    { "Preparing for anti-wrinkle injections",
      'G', "Can I drink alcohol before anti-wrinkle injections?",
      "alcohol" },
    { "Aftercare following anti-wrinkle injections",
      'G', "Can I lie down after anti-wrinkle injections?",
      "four hours" },
    { "Two-week review and top-up appointments",
      'G', "Is there a review after anti-wrinkle injections?",
      "two weeks" },
    { "Two-week review and top-up appointments",
      'P', "Do I pay for a top-up at the review?",
      "free" },
    { "When we may not be able to treat with injectables",
      'G', "Can I have injectables if I have a bleeding problem?",
      "bleeding problem" },
    { "Jaw slimming and teeth grinding treatment",
      'G', "Can you treat teeth grinding?",
      "grinding" },
    { "Jaw slimming and teeth grinding treatment",
      'P', "How much is jaw slimming?",
      "\xc2\xa3" "300" },
    { "Treatment for excessive underarm sweating",
      'G', "Can you treat excessive underarm sweating?",
      "sweating" },
    { "Treatment for excessive underarm sweating",
      'P', "What does treatment for underarm sweating cost?",
      "\xc2\xa3" "395" },
    { "Dermal fillers explained",
      'G', "What are dermal fillers made of?",
      "hyaluronic acid" },
    { "Lip filler",
      'G', "How long does lip filler last?",
      "six to nine months" },
    { "Lip filler",
      'P', "How much does lip filler cost?",
      "\xc2\xa3" "200" },
    { "Cheek filler",
      'G', "How many ml of cheek filler do most patients need?",
      "1ml to 2ml" },
    { "Cheek filler",
      'P', "How much is cheek filler?",
      "\xc2\xa3" "280" },
    { "Tear trough filler for under-eye hollows",
      'G', "Which doctor carries out tear trough filler?",
      "Dr Tom Ellis" },
    { "Tear trough filler for under-eye hollows",
      'P', "What is the price of tear trough filler?",
      "\xc2\xa3" "350" },
    { "Chin and jawline filler",
      'G', "Who carries out jawline treatments?",
      "Dr Tom Ellis" },
    { "Chin and jawline filler",
      'P', "How much is jawline filler?",
      "\xc2\xa3" "450" },
    { "Smile line and marionette line filler",
      'G', "Can filler soften marionette lines?",
      "marionette" },
    { "Smile line and marionette line filler",
      'P', "How much does marionette line filler cost?",
      "\xc2\xa3" "280" },
    { "Swelling and bruising after fillers",
      'G', "How long does bruising last after filler?",
      "week" },
    { "Aftercare following dermal fillers",
      'G', "Can I do strenuous exercise after fillers?",
      "24 hours" },
    { "Dissolving filler",
      'G', "Can you dissolve filler from another clinic?",
      "hyaluronidase" },
    { "Dissolving filler",
      'P', "How much does dissolving filler cost?",
      "\xc2\xa3" "150" },
    { "Laser hair removal",
      'G', "Who carries out laser hair removal?",
      "Jake Morgan" },
    { "How laser hair removal works",
      'G', "How does laser hair removal work?",
      "follicle" },
    { "Laser hair removal areas and prices",
      'G', "Which areas can you treat with laser hair removal?",
      "full face: \xc2\xa3" "95" },
    { "Laser hair removal areas and prices",
      'P', "How much is laser hair removal for the underarms?",
      "\xc2\xa3" "65" },
    { "Courses of laser hair removal",
      'G', "How many laser sessions will I need?",
      "six to eight sessions" },
    { "Laser patch test",
      'G', "Do I need a patch test before laser?",
      "patch test" },
    { "Laser patch test",
      'P', "Is the laser patch test free?",
      "free" },
    { "Shaving before laser hair removal",
      'G', "When should I shave the area before my session?",
      "shave" },
    { "Sun exposure and tanning around laser treatment",
      'G', "Can I have laser if I have a tan?",
      "tan" },
    { "What a laser session feels like",
      'G', "What does each laser pulse feel like?",
      "warm snap" },
    { "Laser hair removal aftercare",
      'G', "Can I use deodorant after underarm laser?",
      "deodorant" },
    { "Skin tones and hair colours we can treat",
      'G', "Can laser remove grey hair?",
      "grey" },
    { "What to wear to a laser appointment",
      'G', "What should I wear to my laser appointment?",
      "loose" },
    { "Laser hair removal for men",
      'G', "Do you do laser hair removal for men?",
      "men" },
    { "Laser hair removal for men",
      'P', "How much is laser for the back?",
      "\xc2\xa3" "180" },
    { "Clinic policies",
      'G', "What are your clinic policies?",
      "policies" },
    { "Cancellation policy",
      'G', "How much notice do I need to give to cancel?",
      "48 hours" },
    { "Late cancellations and missed appointments",
      'G', "What happens if I miss my appointment?",
      "deposit" },
    { "Rescheduling an appointment",
      'G', "How many times can I reschedule an appointment?",
      "twice" },
    { "If we need to cancel your appointment",
      'G', "What happens if the clinic cancels my appointment?",
      "refund" },
    { "Refund policy",
      'G', "Can I get a refund on my consultation fee?",
      "refund" },
    { "Refunds for unused course sessions",
      'G', "Can I get a refund for unused course sessions?",
      "refund" },
    { "Returning skincare products",
      'G', "Can I return skincare products?",
      "14 days" },
    { "Age policy",
      'G', "How old do I have to be for lip filler?",
      "18" },
    { "Photo ID and age checks",
      'G', "Do you accept a driving licence as ID?",
      "passport" },
    { "Parental consent for under-18s",
      'G', "Does a 16 year old need parental consent for laser?",
      "consent" },
    { "Chaperones",
      'G', "Can I have a chaperone?",
      "chaperone" },
    { "Chaperones",
      'P', "Is there a charge for a chaperone?",
      "free of charge" },
    { "Clinical photographs",
      'G', "Will you use my photographs on social media?",
      "consent" },
    { "Privacy and your personal data",
      'G', "Do you store my card number?",
      "card number" },
    { "How long we keep your records",
      'G', "How long do you keep chat messages?",
      "90 days" },
    { "Your data protection rights",
      'G', "Can I ask for a copy of my data?",
      "copy" },
    { "Contacting our data protection officer",
      'G', "Who is your data protection officer?",
      "Rachel Green" },
    { "The online chat assistant and your messages",
      'G', "Is the chat assistant a person?",
      "not a person" },
    { "Complaints procedure",
      'G', "How do I make a complaint?",
      "complain" },
    { "Taking a complaint further",
      'G', "Can I take my complaint further?",
      "ISCAS" },
    { "Skin treatments",
      'G', "How are skin treatments planned?",
      "skin consultation" },
    { "Chemical peels at Harbour Skin Clinic",
      'G', "What is a chemical peel?",
      "acids" },
    { "Superficial chemical peels",
      'G', "Can I go back to work after a superficial peel?",
      "work" },
    { "Superficial chemical peels",
      'P', "How much is a superficial peel?",
      "\xc2\xa3" "85" },
    { "Medium-depth chemical peels",
      'G', "How many days will my skin peel visibly after a medium-depth "
      "peel?",
      "five to seven days" },
    { "Medium-depth chemical peels",
      'P', "How much does a medium-depth peel cost?",
      "\xc2\xa3" "180" },
    { "Preparing for a chemical peel",
      'G', "When should I stop retinoids before a peel?",
      "five to seven days" },
    { "Aftercare following a chemical peel",
      'G', "How long should I apply SPF every day?",
      "SPF" },
    { "Peeling skin and other appointments",
      'G', "My skin is still peeling, can I have my facial?",
      "peeling" },
    { "Acne treatment plans",
      'G', "How long do acne treatment plans last?",
      "12 weeks" },
    { "The 12-week clear skin programme",
      'G', "What does the clear skin programme include?",
      "acne facials" },
    { "The 12-week clear skin programme",
      'P', "How much is the clear skin programme?",
      "\xc2\xa3" "495" },
    { "Acne facials with extractions",
      'G', "Does an acne facial include extraction of blackheads?",
      "extraction" },
    { "Acne facials with extractions",
      'P', "How much is an acne facial?",
      "\xc2\xa3" "75" },
    { "LED light therapy",
      'G', "What is LED light therapy?",
      "light" },
    { "LED light therapy",
      'P', "How much is an LED session?",
      "\xc2\xa3" "40" },
    { "Acne scarring treatments",
      'G', "How do you treat acne scars?",
      "microneedling" },
    { "Microneedling",
      'G', "What is microneedling?",
      "needles" },
    { "Microneedling",
      'P', "How much is microneedling?",
      "\xc2\xa3" "180" },
    { "Microneedling aftercare",
      'G', "Can I wear make-up after microneedling?",
      "24 hours" },
    { "Rosacea and facial redness",
      'G', "Can you treat rosacea?",
      "Rosacea" },
    { "Pigmentation and melasma",
      'G', "Can you treat melasma?",
      "elasma" },
    { "Harbour signature facial",
      'G', "What is the signature facial?",
      "facial" },
    { "Harbour signature facial",
      'P', "How much is the signature facial?",
      "\xc2\xa3" "75" },
    { "Visiting the clinic",
      'G', "What do I need to know about visiting the clinic?",
      "finding us" },
    { "Clinic address and how to find us",
      'G', "How do I find the entrance?",
      "entrance" },
    { "Clinic address and how to find us",
      'W', "What is your address?",
      "BS1 4QA" },
    { "Opening hours",
      'G', "What are your opening hours?",
      "9am to 6pm" },
    { "Opening hours",
      'H', "When are you open on Saturday?",
      "9am to 4pm" },
    { "Opening hours",
      'W', "Where do I find your opening hours?",
      "9am" },
    { "Late evening appointments",
      'G', "Do you have evening appointments?",
      "8pm" },
    { "Late evening appointments",
      'H', "What time are you open until on Thursdays?",
      "8pm" },
    { "Saturday appointments",
      'G', "Are dermatologist appointments available on Saturdays?",
      "Saturdays" },
    { "Saturday appointments",
      'H', "What are your Saturday hours?",
      "9am to 4pm" },
    { "Bank holiday and Christmas opening",
      'G', "Are you open on bank holidays?",
      "bank holidays" },
    { "Bank holiday and Christmas opening",
      'H', "What time do you close on Christmas Eve?",
      "1pm" },
    { "Phone line hours",
      'G', "What is your phone number?",
      "0117 496 0123" },
    { "Phone line hours",
      'H', "What are your phone line hours?",
      "9am to 5:30pm" },
    { "Car parking near the clinic",
      'G', "Is there a car park near the clinic?",
      "Prince Street" },
    { "Car parking near the clinic",
      'P', "How much does parking cost?",
      "\xc2\xa3" "2.80" },
    { "Car parking near the clinic",
      'H', "Is the car park open at night?",
      "24 hours" },
    { "Car parking near the clinic",
      'W', "Where can I park my car?",
      "Prince Street" },
    { "Blue badge parking",
      'G', "Do you have blue badge parking?",
      "blue badge" },
    { "Blue badge parking",
      'P', "Is blue badge parking free?",
      "free of charge" },
    { "Blue badge parking",
      'W', "Where are the blue badge bays?",
      "Quayside Walk" },
    { "Cycling to the clinic",
      'G', "Can I cycle to the clinic?",
      "cycle" },
    { "Cycling to the clinic",
      'W', "Where are the cycle stands?",
      "Quayside House" },
    { "Getting here by train",
      'G', "How far is Temple Meads station from the clinic?",
      "Temple Meads" },
    { "Getting here by train",
      'W', "How do I get to the clinic from Temple Meads station?",
      "Prince Street Bridge" },
    { "Getting here by bus",
      'G', "Which bus stops are near the clinic?",
      "Prince Street" },
    { "Getting here by bus",
      'W', "Where is the nearest bus stop?",
      "Prince Street" },
    { "Harbour ferry",
      'G', "Can I take the harbour ferry?",
      "ferry" },
    { "Harbour ferry",
      'W', "Where does the ferry stop?",
      "Prince Street Bridge" },
    { "Step-free access and lift",
      'G', "Is there a lift?",
      "lift" },
    { "Step-free access and lift",
      'W', "Where is the clinic, which floor?",
      "first floor" },
    { "Accessible facilities inside the clinic",
      'G', "Do you have an accessible toilet?",
      "accessible toilet" },
    { "Assistance dogs and pets",
      'G', "Can I bring my assistance dog?",
      "assistance dogs" },
    { "Bringing children or a companion",
      'G', "Can I bring my children?",
      "child" },
    { "Arriving for your appointment",
      'G', "How early should I arrive for my appointment?",
      "ten minutes" },
    { "Running late for your appointment",
      'G', "What happens if I arrive late for my appointment?",
      "15 minutes" },
    { "Wi-Fi and the waiting area",
      'G', "Do you have Wi-Fi?",
      "Wi-Fi" },
};

#define KB_MAX_CHUNKS 256

typedef struct kb_t {
    cc_chunk_t c[KB_MAX_CHUNKS];
    int        n;
} kb_t;

static int kb_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every section of the knowledge files (.md), in file name order. */
static void kb_load(apr_pool_t *p, kb_t *kb)
{
    static const char *const roots[] = { ".", "..", "../.." };
    const char *names[64];
    const char *root = NULL;
    DIR *d = NULL;
    struct dirent *e;
    size_t i, nn = 0;

    for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !d; i++) {
        d = opendir(apr_pstrcat(p, roots[i], "/knowledge", NULL));
        root = roots[i];
    }
    ck_assert_msg(d != NULL, "knowledge/ not found");
    while ((e = readdir(d)) != NULL && nn < 64) {
        size_t n = strlen(e->d_name);

        if (n > 3 && strcmp(e->d_name + n - 3, ".md") == 0) {
            names[nn++] = apr_pstrdup(p, e->d_name);
        }
    }
    closedir(d);
    qsort(names, nn, sizeof(names[0]), kb_cmp_names);
    kb->n = 0;
    for (i = 0; i < nn; i++) {
        apr_array_header_t *ch;
        size_t len;
        char *md = corpus_slurp(p, apr_pstrcat(p, root, "/knowledge/",
                                               names[i], NULL), &len);
        int j;

        ck_assert_ptr_nonnull(md);
        ch = cc_chunk_markdown(p, names[i], md, len, 1200);
        for (j = 0; j < ch->nelts; j++) {
            ck_assert_int_lt(kb->n, KB_MAX_CHUNKS);
            kb->c[kb->n++] = APR_ARRAY_IDX(ch, j, cc_chunk_t);
        }
    }
    ck_assert_int_gt(kb->n, 100);
}

/* What a section can answer, from its text: 'P' a price (a "£"), 'H' a
 * time of day ("9am", "5:30pm"), 'W' an address or way there (a street,
 * bridge, station or the postcode). */
static int kb_can(const cc_chunk_t *c, char kind)
{
    const char *t = c->text;
    size_t i;

    switch (kind) {
    case 'P':
        return strstr(t, "\xc2\xa3") != NULL;
    case 'H':
        for (i = 1; t[i] && t[i + 1]; i++) {
            if ((t[i] == 'a' || t[i] == 'p') && t[i + 1] == 'm'
                && (t[i - 1] >= '0' && t[i - 1] <= '9')) {
                return 1;
            }
        }
        return 0;
    case 'W':
        return strstr(t, "BS1 ") || strstr(t, " Street") || strstr(t, " Walk")
               || strstr(t, " Bridge") || strstr(t, "station");
    default:
        return 1;
    }
}

/* The shape every extractive answer must have: at most three sentences
 * (as cc_sent_split counts them), no Markdown, no sentence that is a
 * section title alone, and no fragment (fewer than four words without a
 * digit or an amount). */
static void kb_check_shape(apr_pool_t *p, const kb_t *kb, const char *q,
                           const char *a)
{
    apr_array_header_t *ss = cc_sent_split(p, a, strlen(a), 0);
    int i, k;

    ck_assert_msg(*a != '\0', "%s: empty answer", q);
    ck_assert_msg(ss->nelts <= 3, "%s: %d sentences: %s", q, ss->nelts, a);
    ck_assert_msg(!strstr(a, "**") && !strstr(a, "##") && !strchr(a, '|')
                  && !strchr(a, '`') && !strchr(a, '\n')
                  && strncmp(a, "- ", 2) != 0 && strncmp(a, "* ", 2) != 0,
                  "%s: markup in %s", q, a);
    for (i = 0; i < ss->nelts; i++) {
        const cc_sent_t *st = &APR_ARRAY_IDX(ss, i, cc_sent_t);
        size_t n = st->e - st->s, j;
        const char *t = a + st->s;
        int words = 1, fact = 0;

        while (n > 0 && (t[n - 1] == '.' || t[n - 1] == ':')) {
            n--;
        }
        for (k = 0; k < kb->n; k++) {
            ck_assert_msg(strlen(kb->c[k].title) != n
                          || strncasecmp(kb->c[k].title, t, n) != 0,
                          "%s: a heading alone: %s", q, a);
        }
        for (j = 0; j < n; j++) {
            words += t[j] == ' ';
            fact |= (t[j] >= '0' && t[j] <= '9')
                    || (unsigned char)t[j] == 0xa3;
        }
        ck_assert_msg(words >= 4 || fact, "%s: a fragment: \"%.*s\" in %s",
                      q, (int)n, t, a);
    }
}

START_TEST(test_extract_knowledge)
{
    apr_pool_t *p = corpus_pool();
    kb_t *kb = apr_palloc(p, sizeof(*kb));
    cc_source_t src[3];
    int used[3] = { 0, 0, 0 };
    int k, j;
    char *a;

    kb_load(p, kb);
    for (k = 0; k < kb->n; k++) {
        if (strcmp(kb->c[k].title, kb_cases[_i].section) == 0) {
            break;
        }
    }
    ck_assert_msg(k < kb->n, "no section \"%s\"", kb_cases[_i].section);
    memset(src, 0, sizeof(src));
    for (j = 0; j < 3; j++) {
        const cc_chunk_t *c = &kb->c[(k + j) % kb->n];

        src[j].id = c->title;
        src[j].title = c->title;
        src[j].text = c->text;
        src[j].len = c->len;
        src[j].score = 3.0 - j;
    }
    a = cc_answer_extract(p, kb_cases[_i].q, src, 3, 3, used);
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(strstr(a, kb_cases[_i].want) != NULL,
                  "[%s] %s: \"%s\" not in: %s", kb_cases[_i].section,
                  kb_cases[_i].q, kb_cases[_i].want, a);
    ck_assert_int_eq(used[0] + used[1] + used[2] >= 1, 1);
    kb_check_shape(p, kb, kb_cases[_i].q, a);
    apr_pool_destroy(p);
}
END_TEST

/* The table covers every section, with every kind of question the
 * section can answer. */
START_TEST(test_extract_knowledge_coverage)
{
    static const char kinds[] = "GPHW";
    apr_pool_t *p = corpus_pool();
    kb_t *kb = apr_palloc(p, sizeof(*kb));
    size_t i, k;
    int s;

    kb_load(p, kb);
    for (s = 0; s < kb->n; s++) {
        for (k = 0; kinds[k]; k++) {
            int found = 0;

            if (!kb_can(&kb->c[s], kinds[k])) {
                continue;
            }
            for (i = 0; i < sizeof(kb_cases) / sizeof(kb_cases[0]); i++) {
                found |= kb_cases[i].kind == kinds[k]
                         && strcmp(kb_cases[i].section, kb->c[s].title) == 0;
            }
            ck_assert_msg(found, "no '%c' question for \"%s\"", kinds[k],
                          kb->c[s].title);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_answer(void)
{
    Suite *s = suite_create("answer");
    TCase *tc;

    tc = tcase_create("extract");
    tcase_add_loop_test(tc, test_extract_table, 0,
                        (int)(sizeof(extract_cases)
                              / sizeof(extract_cases[0])));
    tcase_add_test(tc, test_extract_max_sentences);
    tcase_add_test(tc, test_extract_markup_and_order);
    tcase_add_test(tc, test_extract_duplicates_and_long);
    tcase_add_loop_test(tc, test_extract_kinds, 0,
                        (int)(sizeof(kind_cases) / sizeof(kind_cases[0])));
    tcase_add_test(tc, test_extract_fragments);
    suite_add_tcase(s, tc);

    tc = tcase_create("knowledge");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_extract_knowledge, 0,
                        (int)(sizeof(kb_cases) / sizeof(kb_cases[0])));
    tcase_add_test(tc, test_extract_knowledge_coverage);
    suite_add_tcase(s, tc);

    tc = tcase_create("grounding");
    tcase_add_loop_test(tc, test_grounding_table, 0,
                        (int)(sizeof(ground_cases) / sizeof(ground_cases[0])));
    tcase_add_test(tc, test_grounding_edges);
    tcase_add_loop_test(tc, test_strip_table, 0,
                        (int)(sizeof(strip_cases) / sizeof(strip_cases[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_random_answers);
    tcase_add_test(tc, test_huge_answer);
    suite_add_tcase(s, tc);

    return s;
}

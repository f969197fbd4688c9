/* Unit tests: cc_answer (the extractive answer, the grounding check,
 * citation stripping, random and huge answers).  The LLM wire format is in
 * test_cc_llmwire.c, sentence tables in test_cc_sent.c, the extractive
 * answer over every section of knowledge/ in test_cc_answer_kb.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_answer.h"
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

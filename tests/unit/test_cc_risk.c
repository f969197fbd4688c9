/* Unit tests: cc_risk (rule compilation and errors, words, prefixes, typo
 * tolerance, phrases with "~", "..", "#" and alternatives, negation scope,
 * hedges, unless, languages, French elision, medical advice in replies,
 * robustness against arbitrary bytes, the shipped conf/risk-rules.txt,
 * threads; the timing is in bench/bench_core.c). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_risk.h"
#include "risktest.h"
#include "suites.h"
#include "corpus.h"

#define P   (1u << CC_RISK_PREGNANCY)
#define A   (1u << CC_RISK_ALLERGY)
#define C   (1u << CC_RISK_CHRONIC)
#define M   (1u << CC_RISK_MEDICATION)
#define MI  (1u << CC_RISK_MINOR)
#define R   (1u << CC_RISK_RECENT_PROCEDURE)
#define MH  (1u << CC_RISK_MENTAL_HEALTH)
#define E   (1u << CC_RISK_EMERGENCY)
#define MA  (1u << CC_RISK_MEDICAL_ADVICE)

/* A small ruleset exercising every feature of the engine. */
static const char mini_rules[] =
    "# mini rules for the unit tests\n"
    "\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health en negator not\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health en negator no\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health en negator never\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health en negator dont\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health es negator no\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health fr negator ne\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health fr negator n\n"
    "pregnancy,allergy,chronic,medication,minor,recent_procedure,"
    "mental_health fr negator pas\n"
    "chronic en negator without\n"
    "* en negator ! not sure\n"
    "* en negator ! not ~ sure\n"
    "pregnancy * word pregnan*\n"
    "pregnancy en word pregnant\n"
    "pregnancy fr word enceinte\n"
    "pregnancy es word embaraz*\n"
    "pregnancy en phrase expecting a baby\n"
    "pregnancy en phrase bun in the oven\n"
    "   allergy    *   word   allerg*   \r\n"
    "allergy en word allergic\n"
    "chronic * word diabet*\n"
    "chronic en word diabetes\n"
    "chronic en phrase my sugar levels\n"
    "chronic en word =cancer\n"
    "medication en word warfarin\n"
    "medication en phrase on ~ tablets\n"
    "minor en phrase my #1-17 year old\n"
    "minor en word #1-17yo\n"
    "recent_procedure en phrase had ~ botox ~ last week\n"
    "recent_procedure en phrase botox|filler* .. yesterday\n"
    "mental_health en word depression\n"
    "emergency en phrase cant breathe\n"
    "emergency en phrase not able to breathe\n"
    "emergency es phrase no puedo respirar\n"
    "emergency fr phrase ne peux pas respirer\n"
    "emergency en word seizure\n"
    "medical_advice en word #mg\n"
    "medical_advice en phrase # mg\n"
    "medical_advice en phrase you should stop\n"
    "medical_advice en phrase stop ~ warfarin\n"
    "allergy en unless allergy testing\n"
    "* en unless gift voucher\n";

static cc_ruleset_t *mini(apr_pool_t *p, const char *langs)
{
    cc_problem_t prob;
    cc_ruleset_t *rs;

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, mini_rules, sizeof(mini_rules) - 1, langs, &prob);
    ck_assert_msg(rs != NULL, "mini rules: %s", prob.message);
    return rs;
}

static unsigned check(const cc_ruleset_t *rs, apr_pool_t *p,
                      const char *text, size_t len, cc_risk_result_t *res)
{
    cc_risk_check(rs, text, len, p, res);
    ck_assert_ptr_nonnull(res->matches);
    ck_assert_int_eq(res->risk, res->categories != 0);
    ck_assert_int_eq(res->emergency, (res->categories & E) != 0);
    return res->categories;
}

typedef struct risk_case_t {
    const char *text;
    unsigned    want;
} risk_case_t;

static void run_cases(const cc_ruleset_t *rs, const risk_case_t *cases,
                      size_t n)
{
    apr_pool_t *p = corpus_pool();
    size_t i;

    for (i = 0; i < n; i++) {
        cc_risk_result_t res;
        unsigned got = check(rs, p, cases[i].text, strlen(cases[i].text),
                             &res);
        char g[256], w[256];

        risktest_names(got, g, sizeof(g));
        risktest_names(cases[i].want, w, sizeof(w));
        ck_assert_msg(got == cases[i].want, "\"%s\": got [%s] want [%s]",
                      cases[i].text, g, w);
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}

/* ---- the engine, on the mini rules -------------------------------------- */

static const risk_case_t mini_cases[] = {
    /* words, prefixes, case and accents */
    { "I am pregnant", P },
    { "PREGNANCY and skin", P },
    { "is botox ok?", 0 },
    { "", 0 },
    { "je suis ALLERGIQUE aux noix", A },
    { "Je suis enceinte", P },
    { "estoy embarazada", P },
    /* typos: distance 1 from 5 letters, same first letter */
    { "im pregant can i still get botox", P },
    { "pregnent", P },
    { "I'm alergic to latex", A },
    { "I have diabetis", C },
    { "on warfrin since may", M },
    { "pregnanr", P },                      /* the prefix "pregnan*" */
    { "cancer treatment", C },
    { "I want to cancel my appointment", 0 },   /* "=cancer": exact */
    { "fregnant", 0 },                      /* first letter differs */
    /* phrases, "~" gaps (up to 3), "#" numbers */
    { "my sugar levels are all over", C },
    { "my sugar is fine", 0 },
    { "we are expecting a baby in june", P },
    { "bun in the oven!", P },
    { "i am on blood thinning tablets", M },        /* ~ skips 2 */
    { "on my very own tablets", M },                /* ~ skips 3 */
    { "on my very own special tablets", 0 },        /* 4 is too many */
    { "had botox last week", R },
    { "had my botox done last week", R },
    { "had a b c d botox last week", 0 },
    { "my 15 year old wants filler", MI },
    { "my 25 year old wants filler", 0 },
    { "my 17 year old", MI },
    { "my 18 year old", 0 },
    { "my 15yo son", MI },
    { "my 15 yo son", 0 },
    /* alternatives and ".." (up to 8 terms, same sentence) */
    { "botox yesterday", R },
    { "fillers at a b c d e f g yesterday", R },
    { "filler a b c d e f g h yesterday", R },
    { "filler a b c d e f g h i yesterday", 0 },
    { "filler. yesterday", 0 },
    { "peel yesterday", 0 },
    /* negation before the term */
    { "I'm not pregnant", 0 },
    { "I don't have diabetes", 0 },
    { "never had botox last week", 0 },
    { "not on any tablets", 0 },
    { "no allergies", 0 },
    { "not at all really pregnant", 0 },            /* 4th term: in scope */
    { "not at all really truly pregnant", P },      /* 5th: out of scope */
    /* hedges are not negation */
    { "I'm not sure if I'm pregnant", P },
    { "not sure pregnant", P },
    { "not really sure, pregnant maybe", P },
    /* clause and sentence breaks end the scope */
    { "no, but I am pregnant", P },
    { "No, pregnant", P },                  /* comma right after it */
    { "not diabetic. pregnant", P },
    { "not diabetic; pregnant", P },
    { "not diabetic and pregnant", P },
    { "not diabetic, pregnant", 0 },        /* a list goes on */
    { "no allergies I'm pregnant", P },     /* a new subject */
    { "not pregnant or currently on any warfarin", 0 },  /* "or" list */
    { "not pregnant and currently on warfarin", M },
    /* a negator's categories */
    { "without diabetes", 0 },
    { "without pregnancy", P },
    /* emergencies are never negated */
    { "I'm not able to breathe", E },
    { "I can't breathe", E },
    { "no puedo respirar", E },
    { "je ne peux pas respirer", E },
    { "I cant breate", E },                 /* typo in an emergency */
    { "no seizure", E },
    { "having seizures", E },
    /* languages and negators */
    { "no estoy embarazada", 0 },
    { "je ne suis pas enceinte", 0 },
    { "je n'ai pas d'allergie", 0 },        /* elision split */
    { "j'ai une allergie", A },
    { "l\xe2\x80\x99" "allergie au latex", A },
    /* unless: its own categories, its clause (cut at commas) */
    { "Do you offer allergy testing?", 0 },
    { "I'm allergic to nuts, do you offer allergy testing?", A },
    { "Do you offer allergy testing? I'm allergic to nuts", A },
    { "allergy testing and I am allergic", A },
    { "allergy testing for pregnant women", P },
    { "gift voucher for my pregnant diabetic sister", 0 },
    { "gift voucher I cant breathe", E },   /* never excused */
    /* multi-sentence: risk in the third sentence */
    { "Hi there. I'd like to book a facial next month. Also I have "
      "epilepsy and diabetes, is that ok?", C },
    /* medical advice in generated replies */
    { "Take 400mg of ibuprofen twice a day.", MA },
    { "Take 2.5 mg daily", MA },
    { "You should stop your warfarin before treatment.", MA | M },
    { "Our peel costs \xc2\xa3" "90.", 0 },
    { "Please arrive 10 minutes early.", 0 },
};

START_TEST(test_risk_mini_table)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = mini(p, NULL);

    run_cases(rs, mini_cases, sizeof(mini_cases) / sizeof(mini_cases[0]));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_risk_matches)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = mini(p, NULL);
    cc_risk_result_t res;
    const char *t = "I'm not pregnant. Im pregant!";
    int i, neg = 0, fz = 0;

    check(rs, p, t, strlen(t), &res);
    ck_assert_int_eq(res.risk, 1);
    ck_assert_uint_eq(res.categories, P);
    ck_assert_int_ge(res.matches->nelts, 2);
    for (i = 0; i < res.matches->nelts; i++) {
        const cc_risk_match_t *m = &APR_ARRAY_IDX(res.matches, i,
                                                  cc_risk_match_t);

        ck_assert_int_eq(m->category, CC_RISK_PREGNANCY);
        ck_assert_ptr_nonnull(m->rule);
        ck_assert_uint_lt(m->start, m->end);
        ck_assert_uint_le(m->end, strlen(t));
        if (m->negated) {
            neg++;
            ck_assert_uint_eq(m->start, 8);
            ck_assert_uint_eq(m->end, 16);
            ck_assert_int_eq(m->fuzzy, 0);
        }
        else {
            fz++;
            ck_assert_uint_eq(m->start, 21);
            ck_assert_uint_eq(m->end, 28);
            ck_assert_int_eq(m->fuzzy, 1);
        }
    }
    ck_assert_int_ge(neg, 1);
    ck_assert_int_ge(fz, 1);

    /* a phrase spans its first to its last term; rule as written */
    t = "Well, we're expecting   a baby!";
    check(rs, p, t, strlen(t), &res);
    ck_assert_int_eq(res.matches->nelts, 1);
    {
        const cc_risk_match_t *m = &APR_ARRAY_IDX(res.matches, 0,
                                                  cc_risk_match_t);

        ck_assert_str_eq(m->rule, "expecting a baby");
        ck_assert_uint_eq(m->start, 12);
        ck_assert_uint_eq(m->end, 30);
    }

    /* excused matches are reported, negated */
    t = "gift voucher for a pregnant friend";
    check(rs, p, t, strlen(t), &res);
    ck_assert_int_eq(res.risk, 0);
    ck_assert_int_ge(res.matches->nelts, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(res.matches, 0, cc_risk_match_t).negated,
                     1);
    apr_pool_destroy(p);
}
END_TEST

/* The typo thresholds at their exact letter lengths: words tolerate one
 * edit from 5 letters and two from 9, prefixes one from 7 letters (the
 * matcher looks up typos of a rule's first term from 5 letters only, so
 * the 4-letter bound shows on a later term). */
static const char typo_rules[] =
    "chronic en word mole\n"           /* 4 letters: exact */
    "chronic en phrase dark spot\n"    /* ... also after a first term */
    "chronic en word lupus\n"          /* 5: one edit */
    "chronic en word steroids\n"       /* 8: one edit */
    "chronic en word melatonin\n"      /* 9: two edits */
    "chronic en word insuli*\n"        /* prefix of 6: exact */
    "chronic en word metform*\n";      /* prefix of 7: one edit */

static const risk_case_t typo_cases[] = {
    { "a mole", C },
    { "a mile", 0 },
    { "dark spot", C },
    { "dark spit", 0 },
    { "lupus", C },
    { "lupas", C },
    { "lopas", 0 },
    { "staroids", C },
    { "staroyds", 0 },
    { "melatonin", C },
    { "malatonin", C },
    { "malatonen", C },
    { "malatanen", 0 },
    { "insulin", C },
    { "insylin", 0 },
    { "metformin", C },
    { "metfromin", C },
    { "metfarn", 0 },
};

START_TEST(test_risk_typo_thresholds)
{
    apr_pool_t *p = corpus_pool();
    cc_problem_t prob;
    cc_ruleset_t *rs;

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, typo_rules, sizeof(typo_rules) - 1, "en", &prob);
    ck_assert_msg(rs != NULL, "typo rules: %s", prob.message);
    run_cases(rs, typo_cases, sizeof(typo_cases) / sizeof(typo_cases[0]));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_risk_langs)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *all = mini(p, NULL);
    cc_ruleset_t *en = mini(p, "en");
    cc_ruleset_t *esfr = mini(p, " es , fr ");
    cc_risk_result_t res;

    ck_assert_int_gt(cc_risk_count(all), cc_risk_count(en));
    ck_assert_int_gt(cc_risk_count(all), cc_risk_count(esfr));
    ck_assert_int_gt(cc_risk_count(en), 0);
    /* es rule dropped; "pregnan*" (lang *) kept */
    ck_assert_uint_eq(check(en, p, "estoy embarazada", 16, &res), 0);
    ck_assert_uint_eq(check(en, p, "pregnant", 8, &res), P);
    ck_assert_uint_eq(check(esfr, p, "estoy embarazada", 16, &res), P);
    ck_assert_uint_eq(check(esfr, p, "je suis enceinte", 16, &res), P);
    ck_assert_uint_eq(check(esfr, p, "pregnant", 8, &res), P);
    ck_assert_uint_eq(check(esfr, p, "diabetes", 8, &res), C);
    ck_assert_uint_eq(check(esfr, p, "warfarin", 8, &res), 0);
    apr_pool_destroy(p);
}
END_TEST

/* ---- compile errors ----------------------------------------------------- */

static const struct {
    const char *text;
    int         line;
    const char *what;
} bad_rules[] = {
    { "pregnancy en word ok\nbogus en word x\n", 2, "unknown category" },
    { "pregnancy en wrod x", 1, "unknown kind" },
    { "pregnancy en word", 1, "empty pattern" },
    { "pregnancy en word   \t ", 1, "empty pattern" },
    { "pregnancy en", 1, "missing" },
    { "# c\n\npregnancy en word x\npregnancy xx word x\n", 4,
      "unknown language" },
    { "pregnancy EN word x", 1, "unknown language" },
    { "pregnancy en word two words", 1, "one term" },
    { "* en word x", 1, "only for negator and unless" },
    { "pregnancy,allergy en phrase x y", 1, "exactly one category" },
    { "pregnancy,,allergy en unless x", 1, "unknown category" },
    { "pregnancy en phrase ~ x", 1, "gap before" },
    { "pregnancy en phrase x ~", 1, "gap after" },
    { "pregnancy en phrase x ~ .. y", 1, "two gaps" },
    { "pregnancy en phrase a .. b .. c", 1, "too many gaps" },
    { "pregnancy en phrase a ~ b ~ c ~ d ~ e ~ f", 1, "too many gaps" },
    { "pregnancy en phrase #5-2 x", 1, "lo > hi" },
    { "pregnancy en phrase #5- x", 1, "number range" },
    { "pregnancy en phrase #m1 x", 1, "number term" },
    { "pregnancy en word !x", 1, "'!'" },
    { "pregnancy en word ...", 1, "empty term" },
    { "pregnancy en word ()", 1, "empty term" },
    { "pregnancy en phrase a| b", 1, "empty alternative" },
    { "pregnancy en phrase a||b", 1, "empty alternative" },
    { "pregnancy en phrase a|b-c", 1, "one term" },
    { "pregnancy en word pre*gnant", 1, "'*'" },
    { "pregnancy en phrase a b c d e f g h i j k l m", 1, "too many terms" },
    { "pregnancy en word x\r\npregnancy en phrase\r\n", 2, "empty pattern" },
};

START_TEST(test_risk_compile_errors)
{
    apr_pool_t *p = corpus_pool();
    size_t i;

    for (i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
        cc_problem_t prob;
        char want[32];
        cc_ruleset_t *rs;

        memset(&prob, 0, sizeof(prob));
        rs = cc_risk_compile(p, bad_rules[i].text, strlen(bad_rules[i].text),
                             NULL, &prob);
        ck_assert_msg(rs == NULL, "compiled: %s", bad_rules[i].text);
        ck_assert_int_eq(prob.status, 400);
        ck_assert_str_eq(prob.code, "invalid_rules");
        apr_snprintf(want, sizeof(want), "line %d:", bad_rules[i].line);
        ck_assert_msg(strncmp(prob.message, want, strlen(want)) == 0,
                      "%s: message \"%s\", want \"%s\"", bad_rules[i].text,
                      prob.message, want);
        ck_assert_msg(strstr(prob.message, bad_rules[i].what) != NULL,
                      "%s: message \"%s\" lacks \"%s\"", bad_rules[i].text,
                      prob.message, bad_rules[i].what);
    }
    /* a NULL problem is fine; NULL text only when empty */
    ck_assert_ptr_null(cc_risk_compile(p, "x", 1, NULL, NULL));
    ck_assert_ptr_null(cc_risk_compile(p, NULL, 5, NULL, NULL));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_risk_compile_ok)
{
    apr_pool_t *p = corpus_pool();
    cc_problem_t prob;
    cc_ruleset_t *rs;
    cc_risk_result_t res;
    static const char odd[] =
        "  # indented comment\n"
        "\t\n"
        "pregnancy en word x # not a comment: two terms would fail\n";
    static const char ok[] =
        "minor en phrase i am #10-17|#1-17yo\n"
        "minor en word #16\n"
        "medical_advice en phrase # mg|ml\n"
        "allergy,pregnancy en unless =allergy test*|testing\n"
        "emergency en phrase a&e\n"
        "pregnancy en phrase breast-feeding";

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, "", 0, NULL, &prob);
    ck_assert_ptr_nonnull(rs);
    ck_assert_int_eq(cc_risk_count(rs), 0);
    ck_assert_uint_eq(check(rs, p, "pregnant", 8, &res), 0);
    ck_assert_ptr_nonnull(cc_risk_compile(p, NULL, 0, NULL, &prob));
    ck_assert_ptr_null(cc_risk_compile(p, odd, sizeof(odd) - 1, NULL, &prob));
    ck_assert_str_eq(prob.message, "line 3: a word pattern is one term "
                     "(use phrase)");
    rs = cc_risk_compile(p, ok, sizeof(ok) - 1, NULL, &prob);
    ck_assert_msg(rs != NULL, "%s", prob.message);
    ck_assert_int_eq(cc_risk_count(rs), 6);
    ck_assert_uint_eq(check(rs, p, "I am 16 btw", 11, &res), MI);
    ck_assert_uint_eq(check(rs, p, "i am 9yo", 8, &res), MI);
    ck_assert_uint_eq(check(rs, p, "i am 19yo", 9, &res), 0);
    ck_assert_uint_eq(check(rs, p, "i am 9", 6, &res), 0);
    ck_assert_uint_eq(check(rs, p, "i am 12yo", 9, &res), MI);
    ck_assert_uint_eq(check(rs, p, "16", 2, &res), MI);
    ck_assert_uint_eq(check(rs, p, "16.5", 4, &res), MI);
    ck_assert_uint_eq(check(rs, p, "17", 2, &res), 0);
    ck_assert_uint_eq(check(rs, p, "5 ml", 4, &res), MA);
    ck_assert_uint_eq(check(rs, p, "go to A&E now", 13, &res), E);
    ck_assert_uint_eq(check(rs, p, "breastfeeding", 13, &res), 0);
    ck_assert_uint_eq(check(rs, p, "breast feeding", 14, &res), P);
    apr_pool_destroy(p);
}
END_TEST

/* ---- robustness ----------------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* What any input must give: matches inside the bytes read (the first
 * 16 KiB), known categories and rules, the counted categories exactly
 * those of the matches not negated, and the same answer the second time. */
static void check_invariants(const cc_ruleset_t *rs, apr_pool_t *p,
                             const char *text, size_t len)
{
    cc_risk_result_t res, again;
    const cc_risk_match_t *m;
    unsigned counted = 0;
    size_t read = len < 16384 ? len : 16384;
    int i;

    check(rs, p, text, len, &res);
    m = (const cc_risk_match_t *)res.matches->elts;
    for (i = 0; i < res.matches->nelts; i++) {
        ck_assert_int_ge(m[i].category, 0);
        ck_assert_int_lt(m[i].category, CC_RISK_NCATEGORIES);
        ck_assert_ptr_nonnull(m[i].rule);
        ck_assert_uint_lt(m[i].start, m[i].end);
        ck_assert_uint_le(m[i].end, read);
        ck_assert(m[i].negated == 0 || m[i].negated == 1);
        ck_assert(m[i].negated == 0 || m[i].category != CC_RISK_EMERGENCY);
        if (!m[i].negated) {
            counted |= 1u << m[i].category;
        }
    }
    ck_assert_uint_eq(res.categories, counted);
    ck_assert_uint_eq(check(rs, p, text, len, &again), res.categories);
    ck_assert_int_eq(again.matches->nelts, res.matches->nelts);
}

START_TEST(test_risk_garbage)
{
    apr_pool_t *rp = corpus_pool();
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = risktest_shipped(rp, NULL);
    cc_risk_result_t res;
    static const char soup[] = "pregnant not  ~#|*..,;'\xc3\xa9";
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char all[512];
    char *big;
    size_t i, n;
    int round;

    /* empty, NULL and no ruleset */
    ck_assert_uint_eq(check(rs, p, "", 0, &res), 0);
    ck_assert_uint_eq(check(rs, p, NULL, 0, &res), 0);
    ck_assert_uint_eq(check(rs, p, NULL, 10, &res), 0);
    ck_assert_uint_eq(check(NULL, p, "pregnant", 8, &res), 0);
    cc_risk_check(rs, "pregnant", 8, NULL, &res);
    ck_assert_int_eq(res.risk, 0);
    ck_assert_ptr_null(res.matches);
    cc_risk_check(rs, "pregnant", 8, p, NULL);

    /* every byte value, twice */
    for (i = 0; i < sizeof(all); i++) {
        all[i] = (char)(i & 0xff);
    }
    check_invariants(rs, p, all, sizeof(all));

    /* NUL inside: a separator, never the end */
    ck_assert_uint_eq(check(rs, p, "preg\0nant", 9, &res), 0);
    ck_assert_uint_eq(check(rs, p, "hello\0I am pregnant", 19, &res), P);

    /* random bytes, random letters, random words */
    big = apr_palloc(p, 64 * 1024);
    for (round = 0; round < 40; round++) {
        n = (size_t)(xorshift(&seed) % (64 * 1024));
        for (i = 0; i < n; i++) {
            uint64_t r = xorshift(&seed);

            switch (round % 3) {
            case 0:
                big[i] = (char)(r & 0xff);
                break;
            case 1:
                big[i] = (r % 7 == 0) ? ' ' : (char)('a' + r % 26);
                break;
            default:
                big[i] = soup[r % (sizeof(soup) - 1)];
                break;
            }
        }
        check_invariants(rs, p, big, n);
    }

    /* at most the first 16 KiB are read */
    memset(big, ' ', 20000);
    memcpy(big + 19000, "pregnant", 8);
    ck_assert_uint_eq(check(rs, p, big, 20000, &res), 0);
    memcpy(big + 100, "pregnant", 8);
    ck_assert_uint_eq(check(rs, p, big, 20000, &res), P);

    /* one long sentence of pattern heads: bounded backtracking */
    for (i = 0; i + 7 < 16384; i += 7) {
        memcpy(big + i, "filler ", 7);
    }
    check_invariants(rs, p, big, i);
    for (i = 0; i + 4 < 16384; i += 4) {
        memcpy(big + i, "not ", 4);
    }
    check_invariants(rs, p, big, i);
    apr_pool_destroy(p);
    apr_pool_destroy(rp);
}
END_TEST

/* ---- the shipped rules ----------------------------------------------------- */

static const risk_case_t shipped_cases[] = {
    /* pregnancy and breastfeeding */
    { "Hi, I'm 14 weeks pregnant, is lip filler safe?", P },
    { "im pregnent can i still get botox", P },
    { "We're trying for a baby at the moment, can I still have botox?", P },
    { "I've got a bun in the oven!", P },
    { "Still nursing my little one, is a peel safe?", P },
    { "I'm not pregnant", 0 },
    { "not sure if i'm pregnant, should i cancel my appointment", P },
    { "no allergies but I am breastfeeding", P },
    /* allergy */
    { "I have a severe nut allergy", A },
    { "I'm alergic to lidocaine", A },
    { "Do you offer allergy testing?", 0 },
    { "No known allergies", 0 },
    /* chronic */
    { "my sugar levels have been high lately", C },
    { "I have epilepsey, is laser ok?", C },
    { "I get keloid scars", C },
    { "I dont have diabetes or any heart problems", 0 },
    { "Can you check my blood pressure while I'm there?", 0 },
    /* medication */
    { "I'm on warfarin", M },
    { "I finished roaccutane 2 months ago", M },
    { "I'm on tablets for my thyroid", M | C },
    { "I'm not on any medication", 0 },
    /* minor */
    { "my 15 year old wants filler", MI },
    { "im 16 can i book botox", MI },
    { "for my daughter she is 14", MI },
    { "I'm 16 weeks pregnant", P },
    /* recent procedure */
    { "I had botox 3 days ago and want filler too", R },
    { "had a chemical peel last week, can I have microneedling?", R },
    { "my skin is still peeling from the laser", R },
    { "I'm sunburnt from my holiday, can I still have laser?", R },
    { "can I have botox on saturday?", 0 },
    /* mental health */
    { "I suffer from depression and anxiety", MH },
    { "I think I have body dysmorphia", MH },
    /* emergency */
    { "I can't breathe and my throat is swelling", E },
    { "my vision went blurry after the filler", E },
    { "my lip has gone white and blotchy since the filler", E | R },
    { "I want to end it all", E | MH },
    { "I'm not able to breathe", E },
    { "no puedo respirar", E },
    { "je ne peux pas respirer", E },
    /* Spanish and French */
    { "estoy embarazada de 3 meses", P },
    { "no estoy embarazada", 0 },
    { "soy al\xc3\xa9rgica a la penicilina", A },
    { "je ne suis pas enceinte", 0 },
    { "je prends un anticoagulant", M },
    { "j'ai du diab\xc3\xa8te", C },
    /* benign, with risk-like words nearby */
    { "Do you take card payments?", 0 },
    { "What time do you close on Saturday?", 0 },
    { "I'd like to cancel my appointment on Friday", 0 },
    { "Is it for a special occasion? I want to look nice", 0 },
    { "Do you do gift vouchers? It's for my mum's birthday", 0 },
    { "how far are you from the station", 0 },
    { "how long is a chemical peel appointment", 0 },
    { "Does lip filler hurt?", 0 },
    { "How long does swelling last after lip filler?", 0 },
    /* a long message, the risk in its third sentence */
    { "Hello! I'm getting married in August and wanted to plan my skin "
      "treatments. Could you tell me what you'd recommend and how far in "
      "advance to start? I should mention I'm on roaccutane at the moment. "
      "Thanks so much.", M },
    /* replies: medical advice versus clinic information */
    { "Take 400mg of ibuprofen before you come in.", MA | M },
    { "You should stop your warfarin before treatment.", MA | M },
    { "It sounds like you have an infection.", MA },
    { "Our peel costs \xc2\xa3" "90 and takes 30 minutes.", 0 },
    { "Please arrive 10 minutes early for your appointment.", 0 },
    { "We cannot give medical advice; please speak with our clinicians.",
      0 },
};

/* Every shipped line also fits the risk_rules table (sql/004_safety.sql):
 * scripts/seed.sh inserts them as they are, and one bad row fails the
 * whole seed. */
START_TEST(test_risk_shipped_fits_db)
{
    apr_pool_t *p = corpus_pool();
    size_t len = 0;
    char *text = risktest_shipped_text(p, &len);
    char *line, *last = NULL;
    int n = 0, lineno = 0;

    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char *f[4], *q = line, *pat;
        int k;

        lineno++;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        if (*q == '#' || *q == '\0') {
            continue;
        }
        for (k = 0; k < 3; k++) {
            f[k] = q;
            q += strcspn(q, " \t");
            ck_assert_msg(*q, "line %d: too few fields", lineno);
            *q++ = '\0';
            q += strspn(q, " \t");
        }
        pat = q;
        ck_assert_msg(strlen(f[0]) <= 200
                      && strspn(f[0], "abcdefghijklmnopqrstuvwxyz_,*")
                         == strlen(f[0]),
                      "line %d: category '%s'", lineno, f[0]);
        ck_assert_msg(strlen(pat) >= 1 && strlen(pat) <= 200,
                      "line %d: pattern of %zu bytes (at most 200)", lineno,
                      strlen(pat));
        /* the table's CHECK (sql/008_risk_languages.sql) is CC_RISK_LANGS */
        ck_assert_msg(cc_risk_lang_known(f[1], strlen(f[1]))
                      || strcmp(f[1], "*") == 0,
                      "line %d: lang '%s'", lineno, f[1]);
        ck_assert_msg(strcmp(f[2], "word") == 0 || strcmp(f[2], "phrase") == 0
                      || strcmp(f[2], "negator") == 0
                      || strcmp(f[2], "unless") == 0
                      || strcmp(f[2], "other") == 0
                      || strcmp(f[2], "self") == 0
                      || strcmp(f[2], "treated") == 0
                      || strcmp(f[2], "past") == 0
                      || strcmp(f[2], "clause") == 0
                      || strcmp(f[2], "list") == 0
                      || strcmp(f[2], "subject") == 0,
                      "line %d: kind '%s' (sql/009_risk_context.sql)",
                      lineno, f[2]);
        n++;
    }
    ck_assert_int_ge(n, 250);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_risk_shipped)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = risktest_shipped(p, NULL);

    ck_assert_int_ge(cc_risk_count(rs), 250);
    run_cases(rs, shipped_cases,
              sizeof(shipped_cases) / sizeof(shipped_cases[0]));
    apr_pool_destroy(p);
}
END_TEST

/* ---- threads and timing ---------------------------------------------------- */

typedef struct thread_arg_t {
    const cc_ruleset_t *rs;
    int                 bad;
} thread_arg_t;

static void *thread_main(void *arg)
{
    thread_arg_t *ta = arg;
    apr_pool_t *p = NULL;
    int round;
    size_t i;

    if (apr_pool_create_unmanaged(&p) != APR_SUCCESS) {
        ta->bad++;
        return NULL;
    }
    for (round = 0; round < 50; round++) {
        for (i = 0; i < sizeof(mini_cases) / sizeof(mini_cases[0]); i++) {
            cc_risk_result_t res;

            cc_risk_check(ta->rs, mini_cases[i].text,
                          strlen(mini_cases[i].text), p, &res);
            if (res.categories != mini_cases[i].want) {
                ta->bad++;
            }
            apr_pool_clear(p);
        }
    }
    apr_pool_destroy(p);
    return NULL;
}

START_TEST(test_risk_threads)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = mini(p, NULL);
    pthread_t th[8];
    thread_arg_t args[8];
    int i;

    for (i = 0; i < 8; i++) {
        args[i].rs = rs;
        args[i].bad = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, thread_main, &args[i]),
                         0);
    }
    for (i = 0; i < 8; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(args[i].bad, 0);
    }
    apr_pool_destroy(p);
}
END_TEST



Suite *suite_risk(void)
{
    Suite *s = suite_create("risk");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_risk_mini_table);
    tcase_add_test(tc, test_risk_matches);
    tcase_add_test(tc, test_risk_langs);
    tcase_add_test(tc, test_risk_typo_thresholds);
    tcase_add_test(tc, test_risk_compile_errors);
    tcase_add_test(tc, test_risk_compile_ok);
    tcase_add_test(tc, test_risk_garbage);
    tcase_add_test(tc, test_risk_shipped_fits_db);
    tcase_add_test(tc, test_risk_shipped);
    tcase_add_test(tc, test_risk_threads);
    suite_add_tcase(s, tc);
    return s;
}

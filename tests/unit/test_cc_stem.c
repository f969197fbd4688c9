/* Unit tests: cc_stem_english (Porter2 / Snowball English stemmer). */
#include <string.h>
#include "cc_tok.h"
#include "suites.h"

typedef struct stem_case_t {
    const char *word;
    const char *stem;
} stem_case_t;

/* Pairs as in the published Porter2 vocabulary / output (snowballstem.org),
 * covering the exceptional forms, Step 0 .. Step 5, R1/R2 with the
 * gener/commun/arsen prefixes and the y -> Y marking. */
static const stem_case_t stem_cases[] = {
    { "consign", "consign" }, { "consigned", "consign" },
    { "consigning", "consign" }, { "consignment", "consign" },
    { "consist", "consist" }, { "consisted", "consist" },
    { "consistency", "consist" }, { "consistent", "consist" },
    { "consistently", "consist" }, { "consisting", "consist" },
    { "consists", "consist" }, { "consolation", "consol" },
    { "consolations", "consol" }, { "consolatory", "consolatori" },
    { "console", "consol" }, { "consoled", "consol" },
    { "consoles", "consol" }, { "consolidate", "consolid" },
    { "consolidated", "consolid" }, { "consolidating", "consolid" },
    { "consoling", "consol" }, { "consolingly", "consol" },
    { "consols", "consol" }, { "consonant", "conson" },
    { "consort", "consort" }, { "consorted", "consort" },
    { "consorting", "consort" }, { "conspicuous", "conspicu" },
    { "conspicuously", "conspicu" }, { "conspiracy", "conspiraci" },
    { "conspirator", "conspir" }, { "conspirators", "conspir" },
    { "conspire", "conspir" }, { "conspired", "conspir" },
    { "conspiring", "conspir" }, { "constable", "constabl" },
    { "constables", "constabl" }, { "constance", "constanc" },
    { "constancy", "constanc" }, { "constant", "constant" },
    { "knack", "knack" }, { "knackeries", "knackeri" }, { "knacks", "knack" },
    { "knag", "knag" }, { "knave", "knave" }, { "knaves", "knave" },
    { "knavish", "knavish" }, { "kneaded", "knead" }, { "kneading", "knead" },
    { "knee", "knee" }, { "kneel", "kneel" }, { "kneeled", "kneel" },
    { "kneeling", "kneel" }, { "kneels", "kneel" }, { "knees", "knee" },
    { "knell", "knell" }, { "knelt", "knelt" }, { "knew", "knew" },
    { "knick", "knick" }, { "knif", "knif" }, { "knife", "knife" },
    { "knight", "knight" }, { "knightly", "knight" }, { "knights", "knight" },
    { "knit", "knit" }, { "knits", "knit" }, { "knitted", "knit" },
    { "knitting", "knit" }, { "knives", "knive" }, { "knob", "knob" },
    { "knobs", "knob" }, { "knock", "knock" }, { "knocked", "knock" },
    { "knocker", "knocker" }, { "knockers", "knocker" },
    { "knocking", "knock" }, { "knocks", "knock" }, { "knot", "knot" },
    { "knots", "knot" }, { "generously", "generous" },
    { "abruptness", "abrupt" }, { "treatments", "treatment" },
    { "injections", "inject" }, { "fillers", "filler" },
    { "appointments", "appoint" }, { "appointment", "appoint" },
    { "cancellation", "cancel" }, { "cancelled", "cancel" },
    { "bleeding", "bleed" }, { "caresses", "caress" }, { "ponies", "poni" },
    { "ties", "tie" }, { "cries", "cri" }, { "happy", "happi" },
    { "skies", "sky" }, { "dying", "die" }, { "lying", "lie" },
    { "tying", "tie" }, { "news", "news" }, { "sky", "sky" },
    { "skis", "ski" }, { "idly", "idl" }, { "gently", "gentl" },
    { "ugly", "ugli" }, { "early", "earli" }, { "only", "onli" },
    { "singly", "singl" }, { "howe", "howe" }, { "atlas", "atlas" },
    { "cosmos", "cosmos" }, { "bias", "bias" }, { "andes", "andes" },
    { "inning", "inning" }, { "innings", "inning" }, { "outing", "outing" },
    { "outings", "outing" }, { "canning", "canning" },
    { "cannings", "canning" }, { "herring", "herring" },
    { "herrings", "herring" }, { "earring", "earring" },
    { "earrings", "earring" }, { "proceed", "proceed" },
    { "proceeded", "proceed" }, { "proceeding", "proceed" },
    { "exceed", "exceed" }, { "exceeded", "exceed" }, { "succeed", "succeed" },
    { "succeeded", "succeed" }, { "generate", "generat" },
    { "generated", "generat" }, { "generation", "generat" },
    { "generations", "generat" }, { "general", "general" },
    { "generally", "general" }, { "generic", "generic" },
    { "communism", "communism" }, { "community", "communiti" },
    { "communication", "communic" }, { "communications", "communic" },
    { "arsenal", "arsenal" }, { "arsenic", "arsenic" }, { "youth", "youth" },
    { "yelled", "yell" }, { "sayings", "say" }, { "boy", "boy" },
    { "boys", "boy" }, { "toy", "toy" }, { "toying", "toy" },
    { "obeying", "obey" }, { "cry", "cri" }, { "crying", "cri" },
    { "by", "by" }, { "say", "say" }, { "played", "play" },
    { "relational", "relat" }, { "conditional", "condit" },
    { "rational", "ration" }, { "hesitancy", "hesit" },
    { "digitizer", "digit" }, { "radically", "radic" },
    { "differently", "differ" }, { "analogously", "analog" },
    { "predication", "predic" }, { "operator", "oper" },
    { "feudalism", "feudal" }, { "decisiveness", "decis" },
    { "hopefulness", "hope" }, { "callousness", "callous" },
    { "formality", "formal" }, { "sensitivity", "sensit" },
    { "sensibility", "sensibl" }, { "triplicate", "triplic" },
    { "formative", "format" }, { "formalize", "formal" },
    { "electricity", "electr" }, { "electrical", "electr" },
    { "hopeful", "hope" }, { "goodness", "good" }, { "revival", "reviv" },
    { "allowance", "allow" }, { "inference", "infer" },
    { "airliner", "airlin" }, { "gyroscopic", "gyroscop" },
    { "adjustable", "adjust" }, { "defensible", "defens" },
    { "irritant", "irrit" }, { "replacement", "replac" },
    { "adjustment", "adjust" }, { "dependent", "depend" },
    { "adoption", "adopt" }, { "activate", "activ" },
    { "effective", "effect" }, { "bowdlerize", "bowdler" },
    { "hoped", "hope" }, { "hoping", "hope" }, { "hopping", "hop" },
    { "filing", "file" }, { "filling", "fill" }, { "agreed", "agre" },
    { "feed", "feed" }, { "luxuriated", "luxuri" },
    { "luxuriating", "luxuri" }, { "fizzed", "fizz" }, { "fizzing", "fizz" },
    { "failing", "fail" }, { "failed", "fail" }, { "sized", "size" },
    { "sizing", "size" }, { "controlling", "control" },
    { "controlled", "control" }, { "rolling", "roll" },
    { "medication", "medic" }, { "medications", "medic" },
    { "pregnancy", "pregnanc" }, { "pregnant", "pregnant" },
    { "allergies", "allergi" }, { "allergic", "allerg" },
    { "antibiotics", "antibiot" }, { "vaccination", "vaccin" },
    { "vaccinations", "vaccin" }, { "surgery", "surgeri" },
    { "surgeries", "surgeri" }, { "prescription", "prescript" },
    { "prescriptions", "prescript" }, { "dosage", "dosag" },
    { "dosages", "dosag" }, { "symptoms", "symptom" },
    { "physiotherapy", "physiotherapi" }, { "pharmacy", "pharmaci" },
    { "pharmacies", "pharmaci" }, { "anaesthetic", "anaesthet" },
    { "painkillers", "painkil" }, { "patient's", "patient" },
    { "patients'", "patient" }, { "'tis", "tis" }, { "a", "a" },
    { "is", "is" }, { "at", "at" },
};

static void check_stem(const char *word, const char *want)
{
    char buf[CC_TOK_MAX + 8];
    size_t len = strlen(word), n;

    ck_assert_uint_lt(len, CC_TOK_MAX);
    memset(buf, 'Z', sizeof(buf));
    memcpy(buf, word, len);
    n = cc_stem_english(buf, len);
    ck_assert_msg(n == strlen(want) && memcmp(buf, want, n) == 0
                  && buf[n] == '\0',
                  "stem(\"%s\") = \"%.*s\" (%zu), want \"%s\"", word,
                  (int)n, buf, n, want);
}

START_TEST(test_stem_vocabulary)
{
    size_t i;

    ck_assert_uint_ge(sizeof(stem_cases) / sizeof(stem_cases[0]), 120);
    for (i = 0; i < sizeof(stem_cases) / sizeof(stem_cases[0]); i++) {
        check_stem(stem_cases[i].word, stem_cases[i].stem);
    }
}
END_TEST

/* Each rule of the description, one word apiece. */
START_TEST(test_stem_rules)
{
    static const stem_case_t rules[] = {
        /* Step 1a */
        { "gas", "gas" }, { "this", "this" }, { "gaps", "gap" },
        { "kiwis", "kiwi" }, { "us", "us" }, { "bus", "bus" },
        { "press", "press" }, { "tied", "tie" }, { "cried", "cri" },
        /* Step 1b */
        { "luxuriated", "luxuri" }, { "hopped", "hop" },
        { "hoped", "hope" }, { "bled", "bled" }, { "guaranteed", "guarante" },
        { "speed", "speed" }, { "troubled", "troubl" },
        { "sized", "size" }, { "fizzed", "fizz" },
        /* Step 1c */
        { "cry", "cri" }, { "by", "by" }, { "say", "say" },
        /* Step 2 .. 4 */
        { "sensational", "sensat" }, { "fulness", "ful" },
        { "conditional", "condit" }, { "logical", "logic" },
        { "archaeology", "archaeolog" }, { "cheaply", "cheapli" },
        { "brightly", "bright" }, { "nation", "nation" },
        /* Step 5 */
        { "rate", "rate" }, { "hope", "hope" }, { "controll", "control" },
        /* y handling */
        { "yes", "yes" }, { "yelling", "yell" }, { "toys", "toy" },
        { "sayings", "say" }, { "enjoying", "enjoy" },
    };
    size_t i;

    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        check_stem(rules[i].word, rules[i].stem);
    }
}
END_TEST

START_TEST(test_stem_unchanged)
{
    /* non-ASCII, digits, upper case, punctuation, very short words */
    static const char *const same[] = {
        "", "a", "is", "by", "covid19", "b12", "24h", "caf\xc3\xa9s",
        "Running", "RUNNING", "run-ning", "runn ing", "\xce\xb1\xce\xb2"
    };
    size_t i;

    for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        check_stem(same[i], same[i]);
    }
}
END_TEST

START_TEST(test_stem_apostrophes)
{
    check_stem("patient's", "patient");
    check_stem("patients'", "patient");
    check_stem("patients's'", "patient");
    check_stem("'tis", "tis");
    check_stem("don't", "don't");
    check_stem("'", "'");
}
END_TEST

/* A word of exactly the buffer size, and the result is never longer than
 * the input (the stemmer works in place). */
START_TEST(test_stem_never_grows)
{
    static const char *const parts[] = {
        "a", "e", "i", "o", "u", "y", "b", "l", "s", "t", "ed", "ing",
        "ly", "at", "iz", "bl", "ies", "eed", "ation", "ness", "li", "'"
    };
    char buf[CC_TOK_MAX + 8], copy[CC_TOK_MAX + 8];
    uint32_t seed = 12345;
    int k;

    for (k = 0; k < 20000; k++) {
        size_t len = 0, n;

        while (1) {
            const char *p;
            size_t pl;

            seed = seed * 1103515245u + 12345u;
            p = parts[(seed >> 16) % (sizeof(parts) / sizeof(parts[0]))];
            pl = strlen(p);
            if (len + pl >= CC_TOK_MAX || ((seed >> 8) & 7) == 0) {
                break;
            }
            memcpy(buf + len, p, pl);
            len += pl;
        }
        memcpy(copy, buf, len);
        copy[len] = '\0';
        n = cc_stem_english(buf, len);
        ck_assert_msg(n <= len, "\"%s\" grew to %zu", copy, n);
        ck_assert_uint_eq(strlen(buf), n);
    }
    memset(buf, 'a', CC_TOK_MAX - 1);
    memcpy(buf + CC_TOK_MAX - 1 - 3, "ing", 3);
    ck_assert_uint_eq(cc_stem_english(buf, CC_TOK_MAX - 1), CC_TOK_MAX - 4);
    ck_assert_uint_eq(cc_stem_english(NULL, 0), 0);
}
END_TEST

Suite *suite_stem(void)
{
    Suite *s = suite_create("stem");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_stem_vocabulary);
    tcase_add_test(tc, test_stem_rules);
    tcase_add_test(tc, test_stem_unchanged);
    tcase_add_test(tc, test_stem_apostrophes);
    tcase_add_test(tc, test_stem_never_grows);
    suite_add_tcase(s, tc);
    return s;
}

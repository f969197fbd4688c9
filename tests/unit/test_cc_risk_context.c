/* Unit tests: cc_risk's context kinds - who a risk is about (other, self,
 * treated) and when (past) - and the clause, list and subject words of
 * every supported language.  First on small rulesets that show each scope
 * rule alone, then on the shipped conf/risk-rules.txt by class: third
 * party, past and resolved, numeric ages, school years, with attacks
 * (a third party used to hide the writer's own risk) and emergencies,
 * which are never excused. */
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

typedef struct ctx_case_t {
    const char *text;
    unsigned    want;
} ctx_case_t;

static cc_ruleset_t *compile_or_fail(apr_pool_t *p, const char *text)
{
    cc_problem_t prob;
    cc_ruleset_t *rs;

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, text, strlen(text), NULL, &prob);
    ck_assert_msg(rs != NULL, "rules: %s", prob.message);
    return rs;
}

/* Every case gives exactly its categories; an excused match is still
 * reported, negated, and an emergency match never is. */
static void run(const cc_ruleset_t *rs, const ctx_case_t *cases, size_t n)
{
    apr_pool_t *p = corpus_pool();
    const char *first = NULL;
    size_t i;
    int bad = 0;

    for (i = 0; i < n; i++) {
        cc_risk_result_t res;
        char g[256], w[256];
        int k;

        cc_risk_check(rs, cases[i].text, strlen(cases[i].text), p, &res);
        if (res.categories != cases[i].want) {
            risktest_names(res.categories, g, sizeof(g));
            risktest_names(cases[i].want, w, sizeof(w));
            fprintf(stderr, "risk_context: \"%s\": got [%s] want [%s]\n",
                    cases[i].text, g, w);
            if (!bad++) {
                first = cases[i].text;
            }
        }
        ck_assert_int_eq(res.risk, res.categories != 0);
        ck_assert_int_eq(res.emergency, (res.categories & E) != 0);
        for (k = 0; k < res.matches->nelts; k++) {
            const cc_risk_match_t *m = &APR_ARRAY_IDX(res.matches, k,
                                                      cc_risk_match_t);

            ck_assert(m->negated == 0 || m->category != CC_RISK_EMERGENCY);
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    ck_assert_msg(bad == 0, "%d of %zu cases wrong, the first \"%s\"", bad,
                  n, first ? first : "");
}

#define RUN(rs, cases) run((rs), (cases), sizeof(cases) / sizeof(cases[0]))

/* ---- the scope rules, one at a time ------------------------------------- */

#define PATIENT "pregnancy,allergy,chronic,medication,minor," \
                "recent_procedure,mental_health"

static const char ctx_rules[] =
    PATIENT " en negator not\n"
    PATIENT " en other my husband|friend|daughter\n"
    PATIENT " en other my pregnant friend\n"
    PATIENT " en other + she|he\n"
    "* en self i|im|me\n"
    "* en treated for|treat ~ her|him\n"
    "* en treated so am i\n"
    "recent_procedure,medication en past years ago\n"
    "chronic,mental_health en past fully recovered\n"
    "* en past ! # weeks ago\n"
    "* en past ! still\n"
    "pregnancy en word pregnant\n"
    "chronic en word diabetic\n"
    "medication en word warfarin\n"
    "minor en phrase shes #1-17\n"
    "recent_procedure en word surgery\n"
    "mental_health en phrase eating disorder\n"
    "allergy en word allergic\n"
    "emergency en phrase cant breathe\n";

static const ctx_case_t ctx_cases[] = {
    /* other: from its first term to the end of its clause */
    { "my husband is on warfarin", 0 },
    { "my husband, who is on warfarin", 0 },            /* commas go on */
    { "my pregnant friend is coming", 0 },      /* inside the marker */
    { "warfarin, my husband", M },              /* before: not excused */
    { "my husband is fine. warfarin", M },      /* a new sentence */
    { "my husband is fine but on warfarin", M },    /* a new clause */
    { "my husband is fine. warfarin and such", M },
    /* "+": a pronoun opening the next clause carries the scope on */
    { "my husband is here and he is diabetic", 0 },
    { "my husband is here but he is diabetic", 0 },
    { "my husband is here and is diabetic", C },
    { "my husband is here. he is diabetic", C },    /* not past a sentence */
    { "he is diabetic", C },                    /* a pronoun opens none */
    /* self: the writer again ends the scope */
    { "my friend and I are pregnant", P },
    { "my friend and me: pregnant", P },
    { "my husband is on warfarin, im pregnant", P },
    /* treated anywhere: the third party is the patient */
    { "my daughter, shes 15, is it ok for her", MI },
    { "can you treat him? my husband is diabetic", C },
    { "my friend is pregnant and so am i", P },
    /* a negated marker opens nothing */
    { "not my husband, warfarin", M },
    /* emergencies are never excused */
    { "my husband cant breathe", E },
    /* ... and in an emergency's sentence, what is said of the person in
     * danger is not excused either */
    { "my friend is allergic and cant breathe", A | E },
    /* past: its clause, its categories */
    { "surgery years ago", 0 },
    { "surgery years ago. warfarin", M },
    { "surgery years ago but warfarin", M },    /* another clause */
    { "years ago I had surgery", 0 },           /* "I" is no break... */
    { "years ago, i had surgery", R },          /* ...Polish "i" is */
    { "eating disorder years ago", MH },        /* a time: not for MH */
    { "eating disorder years ago, fully recovered", 0 },
    { "allergic years ago, fully recovered", A },   /* never allergies */
    { "diabetic years ago", C },
    /* "!": a recent time cancels the past markers of its clause */
    { "surgery 3 weeks ago, another years ago", R },
    { "warfarin years ago, still", M },
    { "warfarin years ago but still fine", M },     /* its sentence */
    { "warfarin years ago. still fine", 0 },
    /* a negated past marker counts for nothing */
    { "eating disorder, not fully recovered", MH },
    { "eating disorder, fully recovered", 0 },
};

START_TEST(test_ctx_scopes)
{
    apr_pool_t *p = corpus_pool();

    RUN(compile_or_fail(p, ctx_rules), ctx_cases);
    apr_pool_destroy(p);
}
END_TEST

/* Excused matches are reported, negated, with their span. */
START_TEST(test_ctx_reported)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = compile_or_fail(p, ctx_rules);
    cc_risk_result_t res;
    const char *t = "my husband is on warfarin";
    const cc_risk_match_t *m;

    cc_risk_check(rs, t, strlen(t), p, &res);
    ck_assert_int_eq(res.risk, 0);
    ck_assert_int_eq(res.matches->nelts, 1);
    m = &APR_ARRAY_IDX(res.matches, 0, cc_risk_match_t);
    ck_assert_int_eq(m->category, CC_RISK_MEDICATION);
    ck_assert_int_eq(m->negated, 1);
    ck_assert_uint_eq(m->start, 17);
    ck_assert_uint_eq(m->end, 25);
    ck_assert_str_eq(m->rule, "warfarin");
    apr_pool_destroy(p);
}
END_TEST

/* ---- compiling the new kinds -------------------------------------------- */

START_TEST(test_ctx_compile)
{
    apr_pool_t *p = corpus_pool();
    static const struct {
        const char *text;
        const char *what;
    } bad[] = {
        { "pregnancy en other + ! she", "'!'" },
        { "pregnancy en treated ! so am i", "'!'" },
        { "pregnancy en negator + not", "'+'" },
        { "* en self + i", "'+'" },
        { "* en phrase past", "only for negator and unless" },
        { "pregnancy en others my friend", "unknown kind" },
        { "pregnancy en past", "empty pattern" },
        { "pregnancy en other ~ friend", "gap before" },
        { "pregnancy en clause und", "category '*'" },
        { "* de clause und aber", "one term" },
        { "* de list ode*", "letters only" },
        { "* de subject #5", "letters only" },
        { "* de clause ueberhauptnichtsowas", "letters only" },
    };
    static const char ok[] =
        "* en other my friend\n"
        "pregnancy,minor de other + sie\n"
        "* pl self ja\n"
        "* nl treated ook\n"
        "recent_procedure it past anni fa\n"
        "* pt past ! ontem\n"
        "chronic en past + all normal\n"
        "emergency en other my friend\n"   /* compiles; never excuses */
        "* de clause und|aber\n"
        "* it list oppure\n"
        "* pl subject moja\n";
    cc_problem_t prob;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&prob, 0, sizeof(prob));
        ck_assert_msg(cc_risk_compile(p, bad[i].text, strlen(bad[i].text),
                                      NULL, &prob) == NULL,
                      "compiled: %s", bad[i].text);
        ck_assert_msg(strstr(prob.message, bad[i].what) != NULL,
                      "%s: \"%s\" lacks \"%s\"", bad[i].text, prob.message,
                      bad[i].what);
    }
    ck_assert_int_eq(cc_risk_count(compile_or_fail(p, ok)), 11);
    apr_pool_destroy(p);
}
END_TEST

/* ---- clause, list and subject words in every language ------------------- */

static const char word_rules[] =
    PATIENT " * negator nicht|non|nao|niet|nie|not\n"
    "medication * word warfarin\n";

static const ctx_case_t word_cases[] = {
    { "nicht x warfarin", 0 },
    /* a clause-break word ends a negator's scope */
    { "nicht x aber warfarin", M },
    { "nicht x und warfarin", M },
    { "nicht x weil warfarin", M },
    { "non x ma warfarin", M },
    { "non x perche warfarin", M },
    { "non x e warfarin", M },
    { "nao x mas warfarin", M },
    { "nao x porque warfarin", M },
    { "niet x maar warfarin", M },
    { "niet x omdat warfarin", M },
    { "niet x en warfarin", M },
    { "nie x ale warfarin", M },
    { "nie x bo warfarin", M },
    { "nie x i warfarin", M },
    /* a subject word starts a new statement */
    { "nicht x ich warfarin", M },
    { "nicht x mein warfarin", M },
    { "non x io warfarin", M },
    { "non x mia warfarin", M },
    { "nao x eu warfarin", M },
    { "nao x minha warfarin", M },
    { "niet x ik warfarin", M },
    { "niet x mijn warfarin", M },
    { "nie x ja warfarin", M },
    { "nie x moja warfarin", M },
    /* a list word lets the scope go on past 4 terms */
    { "nicht a b c d warfarin", M },
    { "nicht a b c oder d warfarin", 0 },
    { "nao a b c ou d warfarin", 0 },
    { "nie a b c lub d warfarin", 0 },
    { "nie a b c albo d warfarin", 0 },
    /* "on" is English too: it must not end "not on warfarin" */
    { "not on warfarin", 0 },
};

START_TEST(test_ctx_words)
{
    apr_pool_t *p = corpus_pool();

    RUN(compile_or_fail(p, word_rules), word_cases);
    apr_pool_destroy(p);
}
END_TEST

/* The same lists, extended by data: clause, list and subject rules. */
static const char data_word_rules[] =
    PATIENT " * negator nicht|not\n"
    "medication * word warfarin\n"
    "* de clause trotzdem|allerdings\n"
    "* en list plus\n"
    "* en subject mine\n";

static const ctx_case_t data_word_cases[] = {
    { "nicht x trotzdem warfarin", M },
    { "nicht x allerdings warfarin", M },
    { "not a b c plus d warfarin", 0 },
    { "not a b c d warfarin", M },
    { "not x mine warfarin", M },
    { "not x warfarin", 0 },
    /* words no rule names keep the engine's own flags only */
    { "nicht x schon warfarin", 0 },
};

START_TEST(test_ctx_data_words)
{
    apr_pool_t *p = corpus_pool();

    RUN(compile_or_fail(p, data_word_rules), data_word_cases);
    apr_pool_destroy(p);
}
END_TEST

/* ---- the shipped rules, by class ---------------------------------------- */

/* a. Third parties: excused when not the patient and not in danger. */
static const ctx_case_t third_cases[] = {
    /* French "du" is no German "du" (a self marker); "je voudrais" is
     * not "elle voudrait"; a negated treated marker says nothing */
    { "mon mari a du diabete", 0 },
    { "mon mari prend du Kardegic, il veut pas de botox, mais moi je "
      "voudrais un rdv", 0 },
    { "my sister is pregnant and she doesnt want botox", 0 },
    { "my sister is pregnant and she wants botox", P },
    /* someone else in danger now: the emergency, and what the rules saw
     * of that person in the emergency's sentence - not in another one */
    { "my 4 year old has just eaten some of my tablets", M | MI | E },
    { "o meu filho de 3 anos bebeu o acido do kit de peeling", MI | E },
    { "my mum is on warfarin. I have chest pain and cant breathe", E },
    /* someone else, not to be treated: benign */
    { "my husband is on warfarin but the filler is for me", 0 },
    { "my mum has diabetes, can she wait in reception", 0 },
    { "my friend is pregnant so she can't come", 0 },
    { "can my pregnant friend come with me to my appointment?", 0 },
    { "can my husband wait in reception, hes diabetic and needs to sit "
      "down", 0 },
    { "my 14 year old daughter will be with me, is there somewhere she "
      "can wait?", 0 },
    { "is it ok to come in with my 10 year old, i cant get childcare", 0 },
    { "my husband is diabetic and he will drive me home", 0 },
    /* (the words of other languages the shipped rules know today: the
     * "*" rules diabet*, epilep*, roaccutan*, warfarin, pregnan*) */
    { "mi marido es diabetico pero el tratamiento es para mi", 0 },
    { "mi madre tiene diabetes, puede esperar en la recepcion?", 0 },
    { "ma soeur est epileptique, elle ne viendra pas", 0 },
    { "mon mari est diabetique et il conduit", 0 },
    { "mein Mann ist Diabetiker und nimmt Warfarin, die Behandlung ist "
      "fuer mich", 0 },
    { "mio marito e diabetico e prende warfarin, il trattamento e per me",
      0 },
    { "minha mae e diabetica, ela pode esperar na recepcao?", 0 },
    { "mijn man heeft diabetes, hij wacht buiten", 0 },
    { "moja mama ma epilepsje, poczeka w recepcji", 0 },
    { "my partner's on warfarin, I'm not", 0 },
    { "hubby has diabetes, can he sit in reception", 0 },
    { "My mother-in-law has epilepsy, is your laser safe for people in "
      "the waiting room?", 0 },
    { "la mia ragazza e diabetica, aspetta fuori", 0 },
    { "my mum is ill and diabetic, she'll wait in the car", 0 },
    { "my husband was diagnosed with diabetes, he will wait outside", 0 },
    { "meine Mutter kommt auch mit, sie ist Diabetikerin", 0 },
    /* the person to be treated: stays */
    { "can I book my daughter in, she's 15", MI },
    { "my son has diabetes, can you treat him", C },
    { "for my wife: she's breastfeeding", P },
    { "my 15 year old wants lip filler", MI },
    { "my son is 14 and has really bad acne, can you help him", MI },
    { "can my 16 year old have a facial with me for her birthday", MI },
    { "my teenage daughter (15) wants her upper lip lasered", MI },
    { "mi hija tiene 15 anos y quiere rellenos de labios", MI },
    { "ma fille a 16 ans et veut des injections dans les levres", MI },
    { "meine Tochter ist 15 und moechte Lippen aufspritzen", MI },
    { "mia figlia ha 15 anni e vuole il filler", MI },
    { "minha filha tem 15 anos e quer preenchimento", MI },
    { "mijn dochter is 15 en wil lipfiller", MI },
    { "moja corka ma 15 lat i chce wypelniacz", MI },
    { "quiero reservar para mi hija de 15 anos", MI },
    { "mi hijo tiene 16 anos, puede hacerse laser?", MI },
    { "mon fils a 16 ans, vous pouvez lui faire du laser ?", MI },
    { "meine Tochter ist 15, koennt ihr sie behandeln?", MI },
    { "mia figlia ha 15 anni, potete farle il laser?", MI },
    { "minha filha tem 15 anos, podem fazer laser nela?", MI },
    { "mijn dochter is 15, kunnen jullie haar behandelen?", MI },
    { "moja corka ma 15 lat, czy mozecie jej zrobic laser?", MI },
    { "my daughter is 16 and has acne, what do you recommend?", MI },
    { "can I bring my 15 year old for a consultation", MI },
    { "can my 15 year old come in for laser", MI },
    { "my grandson has terrible acne, he's 14, can you do anything", MI },
    { "buying a voucher for my daughter's 16th, what can she have done",
      MI },
    { "my son is 15, is he too young for laser?", MI },
    { "Is it okay if my 16yo gets lip filler?", MI },
    { "how much would it be for my 15yo", MI },
    { "I'm booking for my mum, she's on warfarin", M },
    { "appointment for my dad please, he takes warfarin", M },
    { "my husband would like botox, he's on warfarin", M },
    { "is it safe for my pregnant wife to have botox", P },
    { "what is the minimum age for lip filler? asking for my daughter "
      "who is 21", 0 },
    /* a parent's consent: the writer is the young patient */
    { "my parents are fine with it, 16 years old", MI },
    { "my mum says it's ok, 15 years old", MI },
    /* attacks: a third party used to hide the writer's own risk */
    { "my 4 month old is still breastfed, can I have a peel", P },
    { "my son is 4 months and still breastfeeding", P },
    { "my friend and I are both pregnant", P },
    { "not me but I'm also on warfarin", M },
    { "my friend is pregnant and so am I", P },
    { "my sister is pregnant, me too", P },
    { "me and my friend are pregnant, can we book", P },
    { "my husband is on warfarin, I am pregnant", P },
    { "my husband is on warfarin and I'm diabetic", C },
    { "asking for a friend, she is pregnant", P },
    { "my friend recommended you - pregnant, any slots?", P },
    { "mi amiga os recomendo, embarazada de 3 meses", P },
    { "my sister is pregnant too", P },
    { "mi amiga y yo estamos embarazadas", P },
    { "mi marido es diabetico, yo tambien", C },
    { "mi marido toma warfarin y yo soy diabetica", C },
    { "mon mari est diabetique et moi aussi", C },
    { "mein Mann ist Diabetiker, ich auch", C },
    { "mio marito e diabetico, anche io", C },
    { "minha amiga esta pregnant e eu tambem", P },
    { "mijn man heeft diabetes en ik ook", C },
    { "moja mama ma epilepsje, ja tez", C },
    { "moja mama ma epilepsje i ja tez", C },
    /* anyone in danger now: never excused as a third party, and an
     * emergency match is never excused at all */
    { "my 4 year old just swallowed some of my tablets", MI | M | E },
    { "ma fille de 3 ans a avale plusieurs comprimes de warfarin",
      MI | M | E },
    /* "too" and "wants" need a predicate or a treatment */
    { "my dad has parkinsons and is coming along, does he need to sign "
      "in too", 0 },
    { "my niece is 14 and wants to watch me get my lips done", 0 },
    { "my friend is pregnant and wants to give me a voucher", 0 },
    { "my friend collapsed in your waiting room and isnt responding", E },
    { "my husband can't breathe after the filler", E },
    { "mi marido no puede respirar", E },
    /* a pronoun with a verb of having or taking is someone else, in
     * every language; the writer's own risk in the next clause stays */
    { "she has lupus but she is not coming", 0 },
    { "my twin has lupus and is jealous of my skin", 0 },
    { "elle a une sclerose en plaques", 0 },
    { "ele tem pressao alta e toma losartana", 0 },
    { "er nimmt Marcumar", 0 },
    { "she has eczema and i am pregnant", P },
    { "partner is having chemo so i need a morning slot", 0 },
};

/* b. Past and resolved history. */
static const ctx_case_t past_cases[] = {
    { "had a C-section 6 years ago", 0 },
    { "stopped roaccutane in 2019", 0 },
    { "used to have an eating disorder years ago, fully recovered", 0 },
    { "is the clinic on the ground floor? i struggle with stairs after "
      "knee surgery years ago", 0 },
    { "took roaccutane years ago", 0 },
    { "I was on roaccutane as a teenager", 0 },
    { "I had cancer as a child, all clear now", 0 },
    { "I had depression, fully recovered now", 0 },
    /* a resolution whose own clause names nothing closes the sentence
     * about the clause before it (rk_resolved_back) ... */
    { "I had depression but I'm fully recovered", 0 },
    { "childhood asthma but grew out of it", 0 },
    /* ... not when its own clause names a risk of its categories, and
     * never into another sentence */
    { "I have epilepsy, but my eczema cleared up", C },
    /* a normal result ("past +"): chronic only, and a recent time does
     * not cancel it; never a condition named in the same clause of
     * another category */
    { "bloods checked last week, thyroid and iron all normal", 0 },
    { "me hice analitica la semana pasada y todo normal, tiroides y glucosa", 0 },
    { "thyroid all normal but I'm pregnant", P },
    { "I have a thyroid problem, bloods otherwise all normal", C },
    { "I have lupus but my depression is fully recovered", C },
    { "I had depression. Fully recovered from the knee op", MH },
    { "tome roaccutan hace 5 anos", 0 },
    { "j'ai pris du roaccutane il y a 6 ans", 0 },
    { "ich hatte vor 6 Jahren eine Operation", 0 },
    { "Stopped accutane 3 years ago", 0 },
    { "I was on isotretinoin in 2018", 0 },
    { "deje el roacutan hace 3 anos", 0 },
    { "j'ai arrete le roaccutane il y a 4 ans", 0 },
    { "ho preso isotretinoina 5 anni fa", 0 },
    { "tomei roacutan ha 5 anos", 0 },
    { "ik heb 5 jaar geleden roaccutane gebruikt", 0 },
    { "bralam roaccutane 5 lat temu", 0 },
    { "my eczema cleared up, had depression years ago, fully recovered", 0 },
    /* recent, or not resolved: stays */
    { "surgery 3 weeks ago", R },
    { "I finished roaccutane 2 months ago", M },
    { "finished roaccutane 2 months ago, can i have a peel", M },
    { "had surgery 3 weeks ago, c-section years ago", R },
    { "stopped roaccutane years ago but back on it recently", M },
    { "diagnosed with diabetes years ago", C },
    /* a past anaphylaxis is an allergy to ask about, not an emergency now */
    { "had anaphylaxis to local anaesthetic in 2019 at the dentist", A },
    { "allergic to penicillin since I was a child", A },
    { "had an eating disorder years ago", MH },
    { "I'm not fully recovered from my eating disorder", MH },
    { "I still have diabetes, diagnosed years ago", C },
    { "on warfarin since 2019", M },
    { "stopped roaccutane 3 months ago", M },
    { "finished accutane last year", M },
    { "stopped roaccutane in 2025", M },
    { "I've been on warfarin for years", M },
    { "I was diagnosed with depression years ago", MH },
    { "tomo roacutan ha 5 anos", M },
    { "nehme seit Jahren Roaccutan", M },
    /* "since" a time, and a present-tense use, are current */
    { "I take apixaban since a clot in my leg two years ago", M },
    { "I take roaccutane, started years ago", M },
    { "stopped roaccutane in 2020 and skin's been clear since", 0 },
    { "tomo roaccutan desde hace 5 anos", M },
    /* a negated recent time is no recent time */
    { "took roaccutane years ago, never again", 0 },
    /* until a year, and fine since, are over */
    { "was on the pill until 2015, nothing since", 0 },
    { "meine letzte Schwangerschaft ist 7 Jahre her", 0 },
    /* "no longer" about living is no resolution */
    { "ich will nicht mehr leben", MH | E },
    { "ik wil niet meer leven", MH | E },
    { "ya no quiero vivir", MH | E },
    { "i no longer want to live", MH | E },
    { "juz nie chce zyc", MH | E },
};

/* c. Numeric ages and school years. */
static const ctx_case_t minor_cases[] = {
    { "im 16 can i book botox", MI },
    { "I'm 16 y/o", MI },
    { "16yo here, how much is filler", MI },
    { "aged 15, is laser ok", MI },
    { "tengo 15 anos", MI },
    { "tengo 15 años y quiero botox", MI },
    { "j'ai 15 ans", MI },
    { "ich bin 15 Jahre alt", MI },
    { "ich bin 15", MI },
    { "ho 15 anni", MI },
    { "tenho 15 anos", MI },
    { "ik ben 15 jaar", MI },
    { "mam 15 lat", MI },
    { "I'm 25", 0 },
    { "I'm 18 and want botox", 0 },
    { "tengo 25 anos", 0 },
    { "ich bin 30 Jahre alt", 0 },
    { "hace 15 anos tuve un bebe", 0 },
    { "il y a 15 ans", 0 },
    { "I'm in year 10", MI },
    { "im in sixth form", MI },
    { "doing my GCSEs next summer", MI },
    { "I'm in 10th grade", MI },
    { "I'm in high school", MI },
    { "estoy en la ESO", MI },
    { "estoy en bachillerato", MI },
    { "je suis en seconde", MI },
    { "je suis au lycee", MI },
    { "ich gehe aufs Gymnasium", MI },
    { "ich bin in der 10. Klasse", MI },
    { "vado al liceo", MI },
    { "faccio le scuole medie", MI },
    { "estou no ensino medio", MI },
    { "ik zit op de middelbare school", MI },
    { "ik zit op het vwo", MI },
    { "chodze do liceum", MI },
    { "I'm 16 weeks pregnant", P },
    { "tengo 15 minutos", 0 },
    /* ages in words, and their "ago" forms */
    { "mia nipote ha quattordici anni e vuole le labbra", MI },
    { "ho fatto il botox quindici anni fa", 0 },
    { "mi hija tiene quince anos y quiere botox", MI },
    { "hace quince anos tuve un bebe", 0 },
    { "ma fille quatorze ans veut du laser", MI },
    { "il y a quinze ans", 0 },
    { "sie ist vierzehn und will Laser", MI },
    { "vor funfzehn Jahren", 0 },
    { "minha filha tem quinze anos e quer botox", MI },
    { "ze is veertien", MI },
    { "dat was vijftien jaar geleden", 0 },
    { "corka ma czternascie lat i chce botoks", MI },
    { "pietnascie lat temu", 0 },
};


/* d. Nobody in particular: a generic person, an informational or policy
 * question, equipment, figurative use, a date; and what must stay risky
 * (the writer, "what is this", a scope only forward, "woman"). */
static const ctx_case_t nobody_cases[] = {
    { "whats your policy if someone is on blood thinners", 0 },
    { "do you do treatments for people with diabetes in general?", 0 },
    { "why do some people get keloid scars", 0 },
    { "why can't pregnant women have botox, is it a precaution?", 0 },
    { "are pregnant women allowed any treatments at yours", 0 },
    { "what is anaphylaxis, your form mentions it", 0 },
    { "what is body dysmorphic disorder?", 0 },
    { "do you use latex free gloves as standard", 0 },
    { "haceis tratamientos a embarazadas?", 0 },
    { "que protocolo teneis si a alguien le da una reaccion alergica?", 0 },
    { "traitez-vous les femmes enceintes ?", 0 },
    { "Behandelt ihr auch Schwangere?", 0 },
    { "trattate anche le donne incinte?", 0 },
    { "atendem gravidas?", 0 },
    { "behandelen jullie zwangere vrouwen?", 0 },
    { "czy kobiety w ciąży mogą mieć botoks?", 0 },
    { "im allergic to mornings, any afternoon slots", 0 },
    { "my bank account is depressed after christmas", 0 },
    { "vos prix m'ont donné une crise cardiaque", 0 },
    { "is there availability on Saturday the 14th", 0 },
    /* still risky */
    { "im pregnant, do you treat pregnant women?", P },
    { "what is this rash on my arm, im allergic to penicillin", A },
    { "allergic to latex need latex free gloves", A },
    { "im a woman with diabetes", C },
    { "people say im depressed", MH },
    { "ich bin schwanger, behandelt ihr Schwangere?", P },
    { "jestem kobietą w ciąży", P },
    { "someone gave me filler and i cant breathe", E },
    { "anyone know if im ok for filler, im 16", MI },
    { "what is the best cream for my eczema", C },
    { "people with diabetes like me, can we have filler", C },
    { "anyone else get a rash after filler?", A },
    { "what is anaphylaxis? i think i had it after my filler", A },
};

START_TEST(test_ctx_shipped_third_party)
{
    apr_pool_t *p = corpus_pool();

    RUN(risktest_shipped(p, NULL), third_cases);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_ctx_shipped_past)
{
    apr_pool_t *p = corpus_pool();

    RUN(risktest_shipped(p, NULL), past_cases);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_ctx_shipped_nobody)
{
    apr_pool_t *p = corpus_pool();

    RUN(risktest_shipped(p, NULL), nobody_cases);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_ctx_shipped_minor)
{
    apr_pool_t *p = corpus_pool();

    RUN(risktest_shipped(p, NULL), minor_cases);
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_risk_context(void)
{
    Suite *s = suite_create("risk_context");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ctx_scopes);
    tcase_add_test(tc, test_ctx_reported);
    tcase_add_test(tc, test_ctx_compile);
    tcase_add_test(tc, test_ctx_words);
    tcase_add_test(tc, test_ctx_data_words);
    tcase_add_test(tc, test_ctx_shipped_third_party);
    tcase_add_test(tc, test_ctx_shipped_past);
    tcase_add_test(tc, test_ctx_shipped_minor);
    tcase_add_test(tc, test_ctx_shipped_nobody);
    suite_add_tcase(s, tc);
    return s;
}

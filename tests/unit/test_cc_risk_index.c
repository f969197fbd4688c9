/* Unit tests: the risk matcher's indexes change no decision.
 * cc_risk_check (first-term hash, typo candidates, sentence signature)
 * is held to cc_risk_check_naive (every rule tried at every term) on
 * every message of the labelled risk sets (tests/eval/risk*.tsv), every
 * other one as written and the rest with typos, on the knowledge base
 * (what replies are made
 * of) and on small rulesets built to reach the signature's corner cases:
 * one-letter words and prefixes, two-byte prefixes, numbers, bytes
 * outside a-z, typos in the second letter, plurals of typo-tolerant
 * words, gaps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_chunk.h"
#include "cc_risk.h"
#include "corpus.h"
#include "risktest.h"
#include "suites.h"

/* One line per match, sorted: the order of the matches is not part of
 * the contract. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *describe(apr_pool_t *p, const cc_risk_result_t *res)
{
    const char **v = apr_palloc(p, sizeof(char *)
                                   * ((size_t)res->matches->nelts + 1));
    char *s;
    int i;

    for (i = 0; i < res->matches->nelts; i++) {
        const cc_risk_match_t *m = &APR_ARRAY_IDX(res->matches, i,
                                                  cc_risk_match_t);

        v[i] = apr_psprintf(p, "%d %" APR_SIZE_T_FMT "-%" APR_SIZE_T_FMT
                            " neg=%d fz=%d %s", m->category,
                            m->start, m->end, m->negated, m->fuzzy,
                            m->rule);
    }
    qsort(v, (size_t)res->matches->nelts, sizeof(char *), cmp_str);
    s = apr_psprintf(p, "risk=%d emergency=%d cats=%x\n", res->risk,
                     res->emergency, res->categories);
    for (i = 0; i < res->matches->nelts; i++) {
        s = apr_pstrcat(p, s, "  ", v[i], "\n", NULL);
    }
    return s;
}

typedef struct agree_t {
    int texts, matches, fuzzy;
} agree_t;

/* The indexed and the naive check agree on text[0..len). */
static void agree(const cc_ruleset_t *rs, const char *text, size_t len,
                  apr_pool_t *p, agree_t *n)
{
    cc_risk_result_t a, b;
    const char *da, *db;

    cc_risk_check(rs, text, len, p, &a);
    cc_risk_check_naive(rs, text, len, p, &b);
    da = describe(p, &a);
    db = describe(p, &b);
    ck_assert_msg(strcmp(da, db) == 0,
                  "indexed and naive checks differ on \"%.*s\":\n"
                  "indexed %s\nnaive %s", (int)len, text, da, db);
    n->texts++;
    n->matches += a.matches->nelts;
    if (a.matches->nelts) {
        int i;

        for (i = 0; i < a.matches->nelts; i++) {
            n->fuzzy += APR_ARRAY_IDX(a.matches, i, cc_risk_match_t).fuzzy;
        }
    }
}

/* Up to three typos (a letter dropped, swapped with the next, replaced
 * or added) in a copy of s[0..len), never in the first byte. */
static char *typos(apr_pool_t *p, const char *s, size_t len, uint32_t *seed,
                   size_t *out)
{
    char *b = apr_palloc(p, len + 4);
    size_t n = len, k, edits = 1 + corpus_lcg(seed) % 3;

    memcpy(b, s, len);
    for (k = 0; k < edits && n >= 3; k++) {
        size_t i = 1 + corpus_lcg(seed) % (n - 2);
        char c = (char)('a' + corpus_lcg(seed) % 26);

        switch (corpus_lcg(seed) % 4) {
        case 0:
            memmove(b + i, b + i + 1, n - i - 1);
            n--;
            break;
        case 1: {
            char t = b[i];

            b[i] = b[i + 1];
            b[i + 1] = t;
            break;
        }
        case 2:
            b[i] = c;
            break;
        default:
            memmove(b + i + 1, b + i, n - i);
            b[i] = c;
            n++;
            break;
        }
    }
    *out = n;
    return b;
}

/* The message column of every labelled risk set under tests/eval. */
static apr_array_header_t *eval_messages(apr_pool_t *p)
{
    static const char *const dirs[] = {
        "tests/eval", "../tests/eval", "../../tests/eval"
    };
    apr_array_header_t *msgs = apr_array_make(p, 2048, sizeof(char *));
    apr_array_header_t *names = apr_array_make(p, 8, sizeof(char *));
    apr_dir_t *d = NULL;
    apr_finfo_t fi;
    const char *dir = NULL;
    size_t i;
    int f;

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !dir; i++) {
        if (apr_dir_open(&d, dirs[i], p) == APR_SUCCESS) {
            dir = dirs[i];
        }
    }
    ck_assert_msg(dir != NULL, "tests/eval not found");
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        size_t nl = strlen(fi.name);

        if (strncmp(fi.name, "risk", 4) == 0 && nl > 4
            && strcmp(fi.name + nl - 4, ".tsv") == 0) {
            APR_ARRAY_PUSH(names, char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    qsort(names->elts, (size_t)names->nelts, sizeof(char *), cmp_str);
    ck_assert_msg(names->nelts >= 4, "only %d risk sets in %s",
                  names->nelts, dir);
    for (f = 0; f < names->nelts; f++) {
        const char *path = apr_pstrcat(p, dir, "/",
                                       APR_ARRAY_IDX(names, f, char *),
                                       NULL);
        size_t len = 0;
        char *text = corpus_slurp(p, path, &len);
        char *s, *e;

        ck_assert_msg(text != NULL, "%s: cannot read", path);
        for (s = text; s < text + len; s = e + 1) {
            char *tab;

            e = memchr(s, '\n', (size_t)(text + len - s));
            if (!e) {
                e = text + len;
            }
            *e = '\0';
            tab = strchr(s, '\t');
            if (tab) {
                *tab = '\0';
            }
            if (*s && *s != '#') {
                APR_ARRAY_PUSH(msgs, char *) = s;
            }
        }
    }
    return msgs;
}

START_TEST(test_index_eval_sets)
{
    apr_pool_t *p = corpus_pool(), *sp;
    const cc_ruleset_t *rs = risktest_shipped(p, NULL);
    apr_array_header_t *msgs = eval_messages(p);
    agree_t n = { 0, 0, 0 };
    uint32_t seed = 20261207u;
    int i;

    /* Each message as written or (every other one) with typos: the sets
     * hold some 8,000 messages, and the reference tries every rule at
     * every term, so both forms of every message would cost minutes
     * under the sanitizers. */
    apr_pool_create(&sp, p);
    for (i = 0; i < msgs->nelts; i++) {
        const char *m = APR_ARRAY_IDX(msgs, i, char *);
        size_t len = strlen(m), tl;

        if (i % 2 == 0) {
            agree(rs, m, len, sp, &n);
        }
        else {
            const char *t = typos(sp, m, len, &seed, &tl);

            agree(rs, t, tl, sp, &n);
        }
        apr_pool_clear(sp);
    }
    ck_assert_int_ge(n.texts, 4000);
    /* not vacuous: the sets match thousands of rules, some by a typo */
    ck_assert_int_ge(n.matches, 3000);
    ck_assert_int_ge(n.fuzzy, 100);
}
END_TEST

START_TEST(test_index_knowledge)
{
    apr_pool_t *p = corpus_pool(), *sp;
    const cc_ruleset_t *rs = risktest_shipped(p, NULL);
    apr_array_header_t *chunks = corpus_knowledge(p, NULL);
    agree_t n = { 0, 0, 0 };
    int i;

    apr_pool_create(&sp, p);
    for (i = 0; i < chunks->nelts; i++) {
        const cc_chunk_t *c = &APR_ARRAY_IDX(chunks, i, cc_chunk_t);

        agree(rs, c->text, strlen(c->text), sp, &n);
        apr_pool_clear(sp);
    }
    ck_assert_int_ge(n.texts, 20);
}
END_TEST

/* Small rulesets for what the shipped rules may not hold. */
static const char *const corner_rules =
    "pregnancy * word a*\n"
    "pregnancy * phrase i ~ a*\n"
    "allergy * phrase my ab* ~ x\n"
    "allergy * word allergic\n"
    "chronic * phrase on # mg\n"
    "chronic * phrase #mg ~ daily|=twice\n"
    "chronic * phrase age #10-17yo\n"
    "medication * word warfarin\n"
    "medication * phrase taking ~ roaccutane|isotretinoin*\n"
    "medication * phrase 2nd dose\n"
    "medication * phrase a&e .. now\n"
    "minor * phrase im # years old\n"
    "mental_health * phrase self harm*\n"
    "mental_health * word depression\n"
    "emergency * phrase cant breathe\n"
    "emergency * phrase anaphyla* .. lips|tongue ~ swell*\n"
    "recent_procedure * phrase had ~ botox|filler* .. week|weeks ~ ago\n"
    "* * negator not\n"
    "* * negator ! not sure\n"
    "pregnancy,allergy * unless allergy testing\n"
    "pregnancy * other my sister|friend\n"
    "* * self i\n"
    "pregnancy * past years ago\n"
    "* * clause aber\n";

START_TEST(test_index_corners)
{
    static const char *const texts[] = {
        "a", "A b c", "i a", "i am", "i x a", "my abc x", "my ab y x",
        "my a x", "on 20 mg", "on 20mg", "400mg twice", "400mg twise",
        "400mg daily", "400mg dayly", "15yo", "age 15yo", "age 18yo", "im 15 years old",
        "I'm 15 years old.", "warfarin", "warfrin", "wrafarin",
        "warfarins", "wafarin", "warfarinn", "taking roacutane",
        "taking isotretinoni", "taking isotretinoin-based pills",
        "taking the new   roaccutane", "2nd dose", "2ND DOSE tomorrow",
        "a&e now", "A & E right now", "a and e now", "self harm",
        "self-harming", "selfharm", "depresion", "depressoin",
        "deppression", "edpression", "cant breathe", "can't breathe",
        "cnat breathe", "anaphylaxis, my lips are swelling",
        "anaphylactic. lips swell", "had botox 2 weeks ago",
        "had filler last week ago", "I'm not pregnant", "not sure if a",
        "my sister is pregnant and i am allergic",
        "allergic years ago", "allergic, aber not now",
        "Ich bin allergisch aber nicht schwanger", "l'allergie",
        "j'ai une allergie", "\xc3\xa9" "t" "\xc3\xa9" " allergic", "x\xe2\x80\xa6" "a",
        "", " ", "...", "1 2 3 4 5", "zzzz zzzzz zzzzzz",
    };
    apr_pool_t *p = corpus_pool(), *sp;
    cc_problem_t prob;
    const cc_ruleset_t *rs;
    agree_t n = { 0, 0, 0 };
    uint32_t seed = 7u;
    size_t i;
    int k;

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, corner_rules, strlen(corner_rules), NULL,
                         &prob);
    ck_assert_msg(rs != NULL, "rules: %s", prob.message);
    apr_pool_create(&sp, p);
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t len = strlen(texts[i]);

        agree(rs, texts[i], len, sp, &n);
        for (k = 0; k < 20 && len > 0; k++) {
            size_t tl;
            const char *t = typos(sp, texts[i], len, &seed, &tl);

            agree(rs, t, tl, sp, &n);
        }
        apr_pool_clear(sp);
    }
    ck_assert_int_ge(n.matches, 50);
    ck_assert_int_ge(n.fuzzy, 5);
}
END_TEST

Suite *suite_risk_index(void)
{
    Suite *s = suite_create("risk_index");
    TCase *tc = tcase_create("index");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_index_eval_sets);
    tcase_add_test(tc, test_index_knowledge);
    tcase_add_test(tc, test_index_corners);
    suite_add_tcase(s, tc);
    return s;
}

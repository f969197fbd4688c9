/*
 * eval_risk.c - clinical-safety risk detection over a labelled set of
 * patient messages.
 *
 *   eval_risk <rules file> [--langs en,es,fr] [--vocab risk-vocab.bin]
 *             [--model risk-model.bin] [--quiet] <set.tsv> [<set.tsv> ...]
 *
 * The rules file is compiled with cc_risk_compile (languages filtered by
 * --langs, all when absent).  With --vocab and/or --model every message
 * goes through cc_risk_assess (rules + medical vocabulary + classifier)
 * instead of cc_risk_check alone.  Each set is scored and reported on its
 * own.  A set holds one message per line:
 *
 *   message<TAB>label<TAB>categories[<TAB>lang[<TAB>class]]
 *
 * label "risky" or "benign"; categories a comma list of pregnancy, allergy,
 * chronic, medication, minor, recent_procedure, mental_health, emergency
 * (at least one for a risky message, none for a benign one; the third
 * field may be empty or absent for benign).  Blank lines and lines
 * starting with '#' are skipped.  lang (ISO 639-1) and class (a
 * free-form name for the kind of message, e.g. "stroke-lay" or
 * "policy-question") are optional; figures are grouped by them.
 *
 * Every message goes through cc_risk_check once for scoring:
 *
 *   recall           risky messages flagged risky at all
 *   false positives  benign messages flagged risky
 *   emergency recall messages labelled emergency that come back with the
 *                    emergency flag (or the emergency category bit)
 *   per category     messages labelled with c that come back with c
 *
 * each with its n and 95% Wilson interval, then per language (recall,
 * emergency recall, false positives) and per class (misses and false
 * positives grouped by the class column),
 * followed by the misses (labelled risky, flagged benign), the category
 * misses (flagged risky but missing a labelled category) and the false
 * positives, each with the message, what was expected and what came back
 * (the counted matches: category, source, rule or score, matched text).
 *
 * Timing: CPU time of the check (cc_risk_check, or cc_risk_assess with
 * --vocab/--model) (CLOCK_THREAD_CPUTIME_ID, pool
 * clearing outside the timed region) over EV_TIMING_PASSES further passes
 * of the whole set; mean and p99 per message in microseconds.
 *
 * Final line, one per set:
 *   eval-risk: recall <x> (target 0.98), false positives <y> (target <=
 *   0.05), emergency recall <z> (target 1.0)
 * Exit status: 0 when every target is met on every set, 1 when one is
 * missed, 2 on a
 * usage, input or rules error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include "cc_risk.h"
#include "cc_riskml.h"
#include "cc_vocab.h"
#include "eval_util.h"
#include "cc_problem.h"

#define EV_TARGET_RECALL_PCT   98   /* recall >= 0.98 */
#define EV_TARGET_FP_PCT        5   /* false positives <= 0.05 */
#define EV_TIMING_PASSES       10
#define EV_NCATS               8    /* patient categories, medical_advice
                                       excluded */

/* Names as written in risk.tsv, indexed by cc_risk_category_e. */
static const char *const ev_cat_names[CC_RISK_NCATEGORIES] = {
    [CC_RISK_PREGNANCY]        = "pregnancy",
    [CC_RISK_ALLERGY]          = "allergy",
    [CC_RISK_CHRONIC]          = "chronic",
    [CC_RISK_MEDICATION]       = "medication",
    [CC_RISK_MINOR]            = "minor",
    [CC_RISK_RECENT_PROCEDURE] = "recent_procedure",
    [CC_RISK_MENTAL_HEALTH]    = "mental_health",
    [CC_RISK_EMERGENCY]        = "emergency",
    [CC_RISK_MEDICAL_ADVICE]   = "medical_advice",
};

_Static_assert(CC_RISK_EMERGENCY == EV_NCATS - 1,
               "patient categories must be the first EV_NCATS");

typedef struct ev_msg_t {
    const char *text;
    size_t      len;
    int         line;
    int         risky;          /* expected */
    unsigned    cats;           /* expected, bit per cc_risk_category_e */
    const char *lang;           /* "" when absent */
    const char *cls;            /* "" when absent */
    int         got_risk;
    int         got_emergency;
    unsigned    got_cats;
    unsigned    got_src;        /* bit per cc_risk_source_e counted */
    const char *got_detail;     /* counted matches, for the report */
    double      max_us;         /* slowest timed check */
} ev_msg_t;

/* The layers every message goes through. */
typedef struct ev_gate_t {
    const cc_ruleset_t *rs;
    const cc_vocab_t   *vocab;
    const cc_riskml_t  *model;
} ev_gate_t;

static void gate_check(const ev_gate_t *g, const char *text, size_t len,
                       apr_pool_t *p, cc_risk_result_t *res)
{
    if (g->vocab || g->model) {
        cc_risk_assess(g->rs, g->vocab, g->model, text, len, p, res);
    }
    else {
        cc_risk_check(g->rs, text, len, p, res);
    }
}

static const char *cats_str(apr_pool_t *p, unsigned bits)
{
    const char *s = "";
    int c;

    for (c = 0; c < CC_RISK_NCATEGORIES; c++) {
        if (bits & (1u << c)) {
            s = *s ? apr_pstrcat(p, s, ",", ev_cat_names[c], NULL)
                   : ev_cat_names[c];
        }
    }
    return s;
}

static apr_array_header_t *load_messages(apr_pool_t *p, const char *path)
{
    apr_array_header_t *ls = ev_load_labelled(p, "eval_risk", path);
    apr_array_header_t *ms = apr_array_make(p, ls->nelts, sizeof(ev_msg_t));
    int i;

    for (i = 0; i < ls->nelts; i++) {
        const ev_labelled_t *l = &APR_ARRAY_IDX(ls, i, ev_labelled_t);
        ev_msg_t *m = apr_array_push(ms);

        memset(m, 0, sizeof(*m));
        m->text = l->text;
        m->len = l->len;
        m->line = l->line;
        m->risky = l->risky;
        m->cats = l->cats;
        m->lang = l->lang;
        m->cls = l->cls;
    }
    return ms;
}

/* --quiet: no per-message listings (a held-out set: report its figures,
 * do not read its misses). */
static int ev_quiet;
#define LISTF(...) do { if (!ev_quiet) { printf(__VA_ARGS__); } } while (0)

static const char *const src_tag[] = { "rule", "vocab", "clf" };

/* The counted matches as `category [source] "rule" 'matched text'; ...`. */
static const char *describe(apr_pool_t *p, const ev_msg_t *m,
                            const cc_risk_result_t *res, int *bad_span,
                            unsigned *srcs)
{
    const char *s = "";
    int i;

    if (!res->matches) {
        return s;
    }
    for (i = 0; i < res->matches->nelts; i++) {
        const cc_risk_match_t *x =
            &APR_ARRAY_IDX(res->matches, i, cc_risk_match_t);
        const char *frag, *cat, *how;

        if (x->negated) {
            continue;
        }
        if (x->start > x->end || x->end > m->len) {
            (*bad_span)++;
            frag = "?";
        }
        else if (x->source == CC_RISK_SRC_CLASSIFIER) {
            frag = "";
        }
        else {
            frag = apr_pstrmemdup(p, m->text + x->start, x->end - x->start);
        }
        if ((unsigned)x->source <= CC_RISK_SRC_CLASSIFIER) {
            *srcs |= 1u << x->source;
        }
        cat = ((unsigned)x->category < CC_RISK_NCATEGORIES)
              ? ev_cat_names[x->category] : "?";
        how = x->source == CC_RISK_SRC_CLASSIFIER
              ? apr_psprintf(p, "[clf p=%.2f]", x->score)
              : apr_psprintf(p, "[%s] \"%s\"%s '%s'",
                             (unsigned)x->source <= CC_RISK_SRC_CLASSIFIER
                             ? src_tag[x->source] : "?",
                             x->rule ? x->rule : "",
                             x->fuzzy ? " (fuzzy)" : "", frag);
        s = apr_psprintf(p, "%s%s%s %s", s, *s ? "; " : "", cat, how);
    }
    return s;
}

static double ts_us(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e6
           + (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double ratio(int n, int d)
{
    return d > 0 ? (double)n / (double)d : 0.0;
}

/* "0.950 (38/40, 95% CI 0.83-0.99)": the Wilson score interval. */
static const char *wilson(apr_pool_t *p, int k, int n)
{
    const double z = 1.959964;
    double ph, den, ctr, half;

    if (n <= 0) {
        return "-     (0/0)";
    }
    ph = (double)k / n;
    den = 1.0 + z * z / n;
    ctr = (ph + z * z / (2.0 * n)) / den;
    half = z * sqrt(ph * (1.0 - ph) / n + z * z / (4.0 * n * (double)n))
           / den;
    return apr_psprintf(p, "%.3f (%d/%d, CI %.2f-%.2f)", ph, k, n,
                        ctr - half < 0 ? 0.0 : ctr - half,
                        ctr + half > 1 ? 1.0 : ctr + half);
}

/* Distinct values of a column, in order of first appearance. */
static apr_array_header_t *distinct(apr_pool_t *p,
                                    const apr_array_header_t *ms, int cls)
{
    apr_array_header_t *v = apr_array_make(p, 8, sizeof(const char *));
    int i, k;

    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);
        const char *x = cls ? m->cls : m->lang;
        int seen = 0;

        for (k = 0; k < v->nelts && !seen; k++) {
            seen = strcmp(APR_ARRAY_IDX(v, k, const char *), x) == 0;
        }
        if (!seen) {
            APR_ARRAY_PUSH(v, const char *) = x;
        }
    }
    return v;
}

typedef struct ev_tally_t {
    int n_risky, caught, n_benign, fp, n_emerg, caught_emerg;
} ev_tally_t;

static void tally(ev_tally_t *t, const ev_msg_t *m)
{
    if (m->risky) {
        t->n_risky++;
        t->caught += m->got_risk;
        if (m->cats & (1u << CC_RISK_EMERGENCY)) {
            t->n_emerg++;
            t->caught_emerg += m->got_emergency;
        }
    }
    else {
        t->n_benign++;
        t->fp += m->got_risk;
    }
}

/* The tally of the messages whose language (cls 0) or class (cls 1) is
 * want. */
static void tally_where(ev_tally_t *t, const apr_array_header_t *ms,
                        int cls, const char *want)
{
    int i;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);

        if (strcmp(cls ? m->cls : m->lang, want) == 0) {
            tally(t, m);
        }
    }
}

/* Score, time and report one set; returns 1 when every target is met. */
static int run_set(apr_pool_t *pool, const ev_gate_t *g, const char *path,
                   const char *langs, const char *rules_path)
{
    apr_pool_t *scratch;
    apr_array_header_t *ms, *vals;
    int i, pass, c, v;
    ev_tally_t all;
    int bad_span = 0, inconsistent = 0;
    int cat_n[EV_NCATS] = {0}, cat_hit[EV_NCATS] = {0};
    int cat_extra[EV_NCATS] = {0};
    int n_miss = 0, n_catmiss = 0;
    int by_src[3] = {0}, only_src[3] = {0};
    double *samples, sum = 0.0, p99, mean;
    size_t nsamples, k;
    const ev_msg_t *slowest = NULL;
    int ok;

    memset(&all, 0, sizeof(all));
    apr_pool_create(&scratch, pool);
    ms = load_messages(pool, path);

    /* Scoring pass. */
    for (i = 0; i < ms->nelts; i++) {
        ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);
        cc_risk_result_t res;
        unsigned patient;

        apr_pool_clear(scratch);
        memset(&res, 0, sizeof(res));
        gate_check(g, m->text, m->len, scratch, &res);
        patient = res.categories & ((1u << EV_NCATS) - 1);
        m->got_cats = res.categories;
        m->got_emergency = res.emergency
                           || (res.categories & (1u << CC_RISK_EMERGENCY));
        m->got_risk = res.risk || patient != 0 || m->got_emergency;
        if ((res.risk != 0) != (patient != 0)) {
            inconsistent++;     /* e.g. risk from medical_advice only */
        }
        m->got_detail = describe(pool, m, &res, &bad_span, &m->got_src);
        tally(&all, m);
        if (m->got_risk) {
            for (c = 0; c < 3; c++) {
                if (m->got_src & (1u << c)) {
                    by_src[c]++;
                    if (m->got_src == (1u << c)) {
                        only_src[c]++;
                    }
                }
            }
        }
        for (c = 0; c < EV_NCATS; c++) {
            unsigned bit = 1u << c;
            int got = (c == CC_RISK_EMERGENCY) ? m->got_emergency
                                               : (m->got_cats & bit) != 0;

            if (m->cats & bit) {
                cat_n[c]++;
                if (got) {
                    cat_hit[c]++;
                }
            }
            else if (got) {
                cat_extra[c]++;
            }
        }
    }

    /* Timing passes. */
    nsamples = (size_t)ms->nelts * EV_TIMING_PASSES;
    samples = malloc(nsamples * sizeof(*samples));
    if (!samples) {
        fprintf(stderr, "eval_risk: out of memory\n");
        exit(2);
    }
    k = 0;
    for (pass = 0; pass < EV_TIMING_PASSES; pass++) {
        for (i = 0; i < ms->nelts; i++) {
            ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);
            cc_risk_result_t res;
            struct timespec t0, t1;
            double us;

            apr_pool_clear(scratch);
            memset(&res, 0, sizeof(res));
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
            gate_check(g, m->text, m->len, scratch, &res);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
            us = ts_us(&t0, &t1);
            samples[k++] = us;
            sum += us;
            if (us > m->max_us) {
                m->max_us = us;
            }
            if (!slowest || m->max_us > slowest->max_us) {
                slowest = m;
            }
        }
    }
    qsort(samples, nsamples, sizeof(*samples), cmp_double);
    mean = sum / (double)nsamples;
    k = (nsamples * 99 + 99) / 100;     /* ceil(0.99 n), nearest rank */
    p99 = samples[k > 0 ? k - 1 : 0];

    /* Report. */
    printf("eval-risk: %d rules from %s (langs %s)%s%s, %d messages from "
           "%s (%d risky, %d benign)\n\n", cc_risk_count(g->rs), rules_path,
           langs ? langs : "all", g->vocab ? " + vocabulary" : "",
           g->model ? " + classifier" : "", ms->nelts, path, all.n_risky,
           all.n_benign);

    LISTF("MISSES (labelled risky, flagged benign)\n");
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);

        if (m->risky && !m->got_risk) {
            n_miss++;
            LISTF("  line %d%s%s%s%s: %s\n    expected: risky %s\n    "
                   "got:      benign\n", m->line, *m->lang ? " " : "",
                   m->lang, *m->cls ? " " : "", m->cls, m->text,
                   cats_str(pool, m->cats));
        }
    }
    if (!n_miss) {
        LISTF("  (none)\n");
    }

    LISTF("\nCATEGORY MISSES (flagged risky, a labelled category not "
           "flagged)\n");
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);
        unsigned got = m->got_cats
                       | (m->got_emergency ? 1u << CC_RISK_EMERGENCY : 0);
        unsigned missing = m->cats & ~got;

        if (m->risky && m->got_risk && missing) {
            n_catmiss++;
            LISTF("  line %d: %s\n    expected: risky %s\n    got:      "
                   "risky %s (missing %s)\n    matches:  %s\n", m->line,
                   m->text, cats_str(pool, m->cats), cats_str(pool, got),
                   cats_str(pool, missing), m->got_detail);
        }
    }
    if (!n_catmiss) {
        LISTF("  (none)\n");
    }

    LISTF("\nFALSE POSITIVES (labelled benign, flagged risky)\n");
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);

        if (!m->risky && m->got_risk) {
            LISTF("  line %d%s%s%s%s: %s\n    expected: benign\n    got:  "
                   "    risky %s\n    matches:  %s\n", m->line,
                   *m->lang ? " " : "", m->lang, *m->cls ? " " : "",
                   m->cls, m->text,
                   cats_str(pool, m->got_cats
                            | (m->got_emergency
                               ? 1u << CC_RISK_EMERGENCY : 0)),
                   m->got_detail);
        }
    }
    if (!all.fp) {
        LISTF("  (none)\n");
    }

    printf("\nPER CATEGORY (recall on messages labelled with it; 'also' = "
           "flagged on messages not labelled with it)\n");
    for (c = 0; c < EV_NCATS; c++) {
        printf("  %-17s %-34s also %d\n", ev_cat_names[c],
               wilson(pool, cat_hit[c], cat_n[c]), cat_extra[c]);
    }

    vals = distinct(pool, ms, 0);
    if (vals->nelts > 1 || *APR_ARRAY_IDX(vals, 0, const char *)) {
        printf("\nPER LANGUAGE (recall, emergency recall, false positives; "
               "95%% Wilson intervals)\n");
        for (v = 0; v < vals->nelts; v++) {
            const char *want = APR_ARRAY_IDX(vals, v, const char *);
            ev_tally_t t;

            tally_where(&t, ms, 0, want);
            printf("  %-4s recall %-30s emergency %-30s FP %s\n",
                   *want ? want : "-", wilson(pool, t.caught, t.n_risky),
                   wilson(pool, t.caught_emerg, t.n_emerg),
                   wilson(pool, t.fp, t.n_benign));
        }
    }

    vals = distinct(pool, ms, 1);
    if (vals->nelts > 1 || *APR_ARRAY_IDX(vals, 0, const char *)) {
        printf("\nPER CLASS (risky: recall and misses; benign: false "
               "positives)\n");
        for (v = 0; v < vals->nelts; v++) {
            const char *want = APR_ARRAY_IDX(vals, v, const char *);
            ev_tally_t t;

            tally_where(&t, ms, 1, want);
            printf("  %-28s", *want ? want : "-");
            if (t.n_risky) {
                printf(" recall %-30s misses %d", wilson(pool, t.caught,
                                                         t.n_risky),
                       t.n_risky - t.caught);
            }
            if (t.n_emerg) {
                printf("  emergency %d/%d", t.caught_emerg, t.n_emerg);
            }
            if (t.n_benign) {
                printf(" FP %-30s", wilson(pool, t.fp, t.n_benign));
            }
            printf("\n");
        }
    }

    if (g->vocab || g->model) {
        printf("\nSOURCES (messages flagged with a counted match from each "
               "layer; 'alone' = no other layer flagged it)\n");
        for (c = 0; c < 3; c++) {
            printf("  %-6s %d (alone %d)\n", src_tag[c], by_src[c],
                   only_src[c]);
        }
    }

    printf("\nrecall on risky        %s\n",
           wilson(pool, all.caught, all.n_risky));
    printf("false positive rate    %s\n", wilson(pool, all.fp, all.n_benign));
    printf("emergency recall       %s\n",
           wilson(pool, all.caught_emerg, all.n_emerg));
    printf("category misses        %d\n", n_catmiss);
    printf("check time (CPU)       mean %.2f us, p99 %.2f us, max %.2f us "
           "over %zu checks (%d passes)\n", mean, p99,
           samples[nsamples - 1], nsamples, EV_TIMING_PASSES);
    if (slowest) {
        printf("slowest message        line %d (%zu bytes, %.2f us)\n",
               slowest->line, slowest->len, slowest->max_us);
    }
    if (inconsistent) {
        printf("note: %d message(s) where result.risk disagrees with the "
               "patient category bits (medical_advice?)\n", inconsistent);
    }
    if (bad_span) {
        printf("warning: %d match span(s) outside the input\n", bad_span);
    }
    free(samples);

    ok = all.n_risky > 0 && all.n_benign > 0
         && all.caught * 100 >= EV_TARGET_RECALL_PCT * all.n_risky
         && all.fp * 100 <= EV_TARGET_FP_PCT * all.n_benign
         && all.caught_emerg == all.n_emerg;
    printf("eval-risk: %s: recall %.3f (target 0.98), false positives %.3f "
           "(target <= 0.05), emergency recall %.3f (target 1.0)\n", path,
           ratio(all.caught, all.n_risky), ratio(all.fp, all.n_benign),
           ratio(all.caught_emerg, all.n_emerg));
    apr_pool_destroy(scratch);
    return ok;
}

static void usage(void)
{
    fprintf(stderr, "usage: eval_risk <rules file> [--langs en,es,fr] "
            "[--vocab risk-vocab.bin] [--model risk-model.bin] [--quiet] "
            "<set.tsv> [<set.tsv> ...]\n");
    exit(2);
}

static void *load_image(apr_pool_t *p, const char *path, size_t *len)
{
    /* ev_read_file allocates from the pool: 8-byte aligned. */
    return ev_read_file(p, "eval_risk", path, len);
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    const char *rules_path, *langs = NULL, *vocab_path = NULL;
    const char *model_path = NULL;
    apr_array_header_t *sets;
    char *rules;
    size_t rules_len;
    cc_problem_t prob;
    ev_gate_t g;
    int a, ok = 1;

    if (argc < 3) {
        usage();
    }
    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "eval_risk: apr_initialize failed\n");
        return 2;
    }
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    rules_path = argv[1];
    sets = apr_array_make(pool, 4, sizeof(const char *));
    for (a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--langs") == 0 && a + 1 < argc) {
            langs = argv[++a];
        }
        else if (strncmp(argv[a], "--langs=", 8) == 0) {
            langs = argv[a] + 8;
        }
        else if (strcmp(argv[a], "--quiet") == 0) {
            ev_quiet = 1;
        }
        else if (strcmp(argv[a], "--vocab") == 0 && a + 1 < argc) {
            vocab_path = argv[++a];
        }
        else if (strcmp(argv[a], "--model") == 0 && a + 1 < argc) {
            model_path = argv[++a];
        }
        else if (strncmp(argv[a], "--", 2) == 0) {
            usage();
        }
        else {
            APR_ARRAY_PUSH(sets, const char *) = argv[a];
        }
    }
    if (sets->nelts == 0 || (langs && *langs == '\0')) {
        usage();
    }

    memset(&g, 0, sizeof(g));
    memset(&prob, 0, sizeof(prob));
    rules = ev_read_file(pool, "eval_risk", rules_path, &rules_len);
    g.rs = cc_risk_compile(pool, rules, rules_len, langs, &prob);
    if (!g.rs) {
        fprintf(stderr, "eval_risk: %s: %s: %s\n", rules_path,
                prob.code[0] ? prob.code : "error",
                prob.message[0] ? prob.message : "compile failed");
        return 2;
    }
    if (vocab_path) {
        size_t n;
        void *img = load_image(pool, vocab_path, &n);

        g.vocab = cc_vocab_attach(pool, img, n, &prob);
        if (!g.vocab) {
            fprintf(stderr, "eval_risk: %s: %s\n", vocab_path,
                    prob.message);
            return 2;
        }
    }
    if (model_path) {
        size_t n;
        void *img = load_image(pool, model_path, &n);

        g.model = cc_riskml_attach(pool, img, n, &prob);
        if (!g.model) {
            fprintf(stderr, "eval_risk: %s: %s\n", model_path,
                    prob.message);
            return 2;
        }
        if (g.vocab && cc_riskml_header(g.model)->vocab_checksum
                       != cc_vocab_checksum(g.vocab)) {
            fprintf(stderr, "eval_risk: warning: %s was trained with "
                    "another vocabulary than %s\n", model_path, vocab_path);
        }
    }
    for (a = 0; a < sets->nelts; a++) {
        if (a > 0) {
            printf("\n========================================\n\n");
        }
        ok &= run_set(pool, &g, APR_ARRAY_IDX(sets, a, const char *), langs,
                      rules_path);
    }
    apr_pool_destroy(pool);
    return ok ? 0 : 1;
}

/*
 * eval_risk.c - clinical-safety risk detection over a labelled set of
 * patient messages.
 *
 *   eval_risk <rules file> <risk.tsv> [--langs en,es,fr]
 *
 * The rules file is compiled with cc_risk_compile (languages filtered by
 * --langs, all when absent).  risk.tsv holds one message per line:
 *
 *   message<TAB>label<TAB>categories
 *
 * label "risky" or "benign"; categories a comma list of pregnancy, allergy,
 * chronic, medication, minor, recent_procedure, mental_health, emergency
 * (at least one for a risky message, none for a benign one; the third
 * field may be empty or absent for benign).  Blank lines and lines
 * starting with '#' are skipped.
 *
 * Every message goes through cc_risk_check once for scoring:
 *
 *   recall           risky messages flagged risky at all
 *   false positives  benign messages flagged risky
 *   emergency recall messages labelled emergency that come back with the
 *                    emergency flag (or the emergency category bit)
 *   per category     messages labelled with c that come back with c
 *
 * followed by the misses (labelled risky, flagged benign), the category
 * misses (flagged risky but missing a labelled category) and the false
 * positives, each with the message, what was expected and what came back
 * (the counted matches: category, rule, matched text).
 *
 * Timing: CPU time of cc_risk_check alone (CLOCK_THREAD_CPUTIME_ID, pool
 * clearing outside the timed region) over EV_TIMING_PASSES further passes
 * of the whole set; mean and p99 per message in microseconds.
 *
 * Final line:
 *   eval-risk: recall <x> (target 0.98), false positives <y> (target <=
 *   0.05), emergency recall <z> (target 1.0)
 * Exit status: 0 when every target is met, 1 when one is missed, 2 on a
 * usage, input or rules error.
 */
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
    int         got_risk;
    int         got_emergency;
    unsigned    got_cats;
    const char *got_detail;     /* counted matches, for the report */
    double      max_us;         /* slowest timed check */
} ev_msg_t;




static int cat_index(const char *name, size_t n)
{
    int c;

    for (c = 0; c < EV_NCATS; c++) {
        if (strlen(ev_cat_names[c]) == n
            && memcmp(ev_cat_names[c], name, n) == 0) {
            return c;
        }
    }
    return -1;
}

/* "a,b,c" -> bits; -1 on an unknown name. */
static long parse_cats(const char *s)
{
    unsigned bits = 0;

    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        int c;

        while (n > 0 && s[0] == ' ') {
            s++;
            n--;
        }
        while (n > 0 && s[n - 1] == ' ') {
            n--;
        }
        if (n > 0) {
            c = cat_index(s, n);
            if (c < 0) {
                return -1;
            }
            bits |= 1u << c;
        }
        if (!e) {
            break;
        }
        s = e + 1;
    }
    return (long)bits;
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
    apr_array_header_t *ms = apr_array_make(p, 512, sizeof(ev_msg_t));
    size_t len, pos = 0;
    char *buf = ev_read_file(p, "eval_risk", path, &len);
    int line = 0, bad = 0;

    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        char *t1, *t2, *msg, *label, *cats;
        ev_msg_t *m;
        long bits;
        int risky;

        line++;
        if (nl) {
            *nl = '\0';
            pos = (size_t)(nl - buf) + 1;
        }
        else {
            pos = len;
        }
        if (nl && nl > s && nl[-1] == '\r') {
            nl[-1] = '\0';
        }
        {
            const char *f = s;

            while (*f == ' ' || *f == '\t') {
                f++;
            }
            if (*f == '\0' || *f == '#') {
                continue;
            }
        }
        t1 = strchr(s, '\t');
        t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t1 || (t2 && strchr(t2 + 1, '\t'))) {
            fprintf(stderr, "%s:%d: expected message<TAB>label<TAB>"
                    "categories\n", path, line);
            bad++;
            continue;
        }
        *t1 = '\0';
        if (t2) {
            *t2 = '\0';
        }
        msg = ev_trim(s);
        label = ev_trim(t1 + 1);
        cats = t2 ? ev_trim(t2 + 1) : t1 + 1 + strlen(t1 + 1);
        if (strcmp(label, "risky") == 0) {
            risky = 1;
        }
        else if (strcmp(label, "benign") == 0) {
            risky = 0;
        }
        else {
            fprintf(stderr, "%s:%d: label must be risky or benign, not "
                    "\"%s\"\n", path, line, label);
            bad++;
            continue;
        }
        bits = parse_cats(cats);
        if (bits < 0) {
            fprintf(stderr, "%s:%d: unknown category in \"%s\"\n",
                    path, line, cats);
            bad++;
            continue;
        }
        if (*msg == '\0' || (risky && bits == 0) || (!risky && bits != 0)) {
            fprintf(stderr, "%s:%d: empty message, risky without a "
                    "category or benign with one\n", path, line);
            bad++;
            continue;
        }
        m = apr_array_push(ms);
        memset(m, 0, sizeof(*m));
        m->text = msg;
        m->len = strlen(msg);
        m->line = line;
        m->risky = risky;
        m->cats = (unsigned)bits;
    }
    if (bad) {
        exit(2);
    }
    if (ms->nelts == 0) {
        fprintf(stderr, "eval_risk: %s: no messages\n", path);
        exit(2);
    }
    return ms;
}

/* The counted matches as `category "rule" 'matched text'; ...`. */
static const char *describe(apr_pool_t *p, const ev_msg_t *m,
                            const cc_risk_result_t *res, int *bad_span)
{
    const char *s = "";
    int i;

    if (!res->matches) {
        return s;
    }
    for (i = 0; i < res->matches->nelts; i++) {
        const cc_risk_match_t *x =
            &APR_ARRAY_IDX(res->matches, i, cc_risk_match_t);
        const char *frag, *cat;

        if (x->negated) {
            continue;
        }
        if (x->start > x->end || x->end > m->len) {
            (*bad_span)++;
            frag = "?";
        }
        else {
            frag = apr_pstrmemdup(p, m->text + x->start, x->end - x->start);
        }
        cat = ((unsigned)x->category < CC_RISK_NCATEGORIES)
              ? ev_cat_names[x->category] : "?";
        s = apr_psprintf(p, "%s%s%s \"%s\"%s '%s'", s, *s ? "; " : "",
                         cat, x->rule ? x->rule : "",
                         x->fuzzy ? " (fuzzy)" : "", frag);
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

static void usage(void)
{
    fprintf(stderr, "usage: eval_risk <rules file> <risk.tsv> "
            "[--langs en,es,fr]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    apr_pool_t *pool, *scratch;
    const char *rules_path, *tsv_path, *langs = NULL;
    char *rules;
    size_t rules_len;
    cc_problem_t prob;
    cc_ruleset_t *rs;
    apr_array_header_t *ms;
    int i, pass, c;
    int n_risky = 0, n_benign = 0, caught = 0, fp = 0;
    int n_emerg = 0, caught_emerg = 0, bad_span = 0, inconsistent = 0;
    int cat_n[EV_NCATS] = {0}, cat_hit[EV_NCATS] = {0};
    int cat_extra[EV_NCATS] = {0};
    int n_miss = 0, n_catmiss = 0;
    double *samples, sum = 0.0, p99, mean;
    size_t nsamples, k;
    const ev_msg_t *slowest = NULL;
    int ok;

    if (argc == 5 && strcmp(argv[3], "--langs") == 0) {
        langs = argv[4];
    }
    else if (argc == 4 && strncmp(argv[3], "--langs=", 8) == 0) {
        langs = argv[3] + 8;
    }
    else if (argc != 3) {
        usage();
    }
    if (langs && *langs == '\0') {
        usage();
    }
    rules_path = argv[1];
    tsv_path = argv[2];

    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "eval_risk: apr_initialize failed\n");
        return 2;
    }
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    apr_pool_create(&scratch, pool);

    rules = ev_read_file(pool, "eval_risk", rules_path, &rules_len);
    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(pool, rules, rules_len, langs, &prob);
    if (!rs) {
        fprintf(stderr, "eval_risk: %s: %s: %s\n", rules_path,
                prob.code[0] ? prob.code : "error",
                prob.message[0] ? prob.message : "compile failed");
        return 2;
    }
    ms = load_messages(pool, tsv_path);

    /* Scoring pass. */
    for (i = 0; i < ms->nelts; i++) {
        ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);
        cc_risk_result_t res;
        unsigned patient;

        apr_pool_clear(scratch);
        memset(&res, 0, sizeof(res));
        cc_risk_check(rs, m->text, m->len, scratch, &res);
        patient = res.categories & ((1u << EV_NCATS) - 1);
        m->got_cats = res.categories;
        m->got_emergency = res.emergency
                           || (res.categories & (1u << CC_RISK_EMERGENCY));
        m->got_risk = res.risk || patient != 0 || m->got_emergency;
        if ((res.risk != 0) != (patient != 0)) {
            inconsistent++;     /* e.g. risk from medical_advice only */
        }
        m->got_detail = describe(pool, m, &res, &bad_span);

        if (m->risky) {
            n_risky++;
            if (m->got_risk) {
                caught++;
            }
            if (m->cats & (1u << CC_RISK_EMERGENCY)) {
                n_emerg++;
                if (m->got_emergency) {
                    caught_emerg++;
                }
            }
        }
        else {
            n_benign++;
            if (m->got_risk) {
                fp++;
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
        return 2;
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
            cc_risk_check(rs, m->text, m->len, scratch, &res);
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
    printf("eval-risk: %d rules from %s (langs %s), %d messages from %s "
           "(%d risky, %d benign)\n\n", cc_risk_count(rs), rules_path,
           langs ? langs : "all", ms->nelts, tsv_path, n_risky, n_benign);

    printf("MISSES (labelled risky, flagged benign)\n");
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);

        if (m->risky && !m->got_risk) {
            n_miss++;
            printf("  line %d: %s\n    expected: risky %s\n    got:      "
                   "benign\n", m->line, m->text, cats_str(pool, m->cats));
        }
    }
    if (!n_miss) {
        printf("  (none)\n");
    }

    printf("\nCATEGORY MISSES (flagged risky, a labelled category not "
           "flagged)\n");
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);
        unsigned got = m->got_cats
                       | (m->got_emergency ? 1u << CC_RISK_EMERGENCY : 0);
        unsigned missing = m->cats & ~got;

        if (m->risky && m->got_risk && missing) {
            n_catmiss++;
            printf("  line %d: %s\n    expected: risky %s\n    got:      "
                   "risky %s (missing %s)\n    matches:  %s\n", m->line,
                   m->text, cats_str(pool, m->cats), cats_str(pool, got),
                   cats_str(pool, missing), m->got_detail);
        }
    }
    if (!n_catmiss) {
        printf("  (none)\n");
    }

    printf("\nFALSE POSITIVES (labelled benign, flagged risky)\n");
    for (i = 0; i < ms->nelts; i++) {
        const ev_msg_t *m = &APR_ARRAY_IDX(ms, i, ev_msg_t);

        if (!m->risky && m->got_risk) {
            printf("  line %d: %s\n    expected: benign\n    got:      "
                   "risky %s\n    matches:  %s\n", m->line, m->text,
                   cats_str(pool, m->got_cats
                            | (m->got_emergency
                               ? 1u << CC_RISK_EMERGENCY : 0)),
                   m->got_detail);
        }
    }
    if (!fp) {
        printf("  (none)\n");
    }

    printf("\nPER CATEGORY (recall on messages labelled with it; 'also' = "
           "flagged on messages not labelled with it)\n");
    for (c = 0; c < EV_NCATS; c++) {
        printf("  %-17s %.3f  (%3d/%3d)  also %d\n", ev_cat_names[c],
               ratio(cat_hit[c], cat_n[c]), cat_hit[c], cat_n[c],
               cat_extra[c]);
    }

    printf("\nrecall on risky        %.3f  (%d/%d)\n",
           ratio(caught, n_risky), caught, n_risky);
    printf("false positive rate    %.3f  (%d/%d)\n",
           ratio(fp, n_benign), fp, n_benign);
    printf("emergency recall       %.3f  (%d/%d)\n",
           ratio(caught_emerg, n_emerg), caught_emerg, n_emerg);
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

    ok = n_risky > 0 && n_benign > 0
         && caught * 100 >= EV_TARGET_RECALL_PCT * n_risky
         && fp * 100 <= EV_TARGET_FP_PCT * n_benign
         && caught_emerg == n_emerg;
    printf("eval-risk: recall %.3f (target 0.98), false positives %.3f "
           "(target <= 0.05), emergency recall %.3f (target 1.0)\n",
           ratio(caught, n_risky), ratio(fp, n_benign),
           ratio(caught_emerg, n_emerg));
    apr_pool_destroy(pool);
    return ok ? 0 : 1;
}

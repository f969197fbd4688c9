/*
 * eval_answer.c - does the chat answer what the knowledge base answers, and
 * refuse what it does not?  The chat's own decision, in process:
 *
 *   eval_answer <knowledge dir> [options] <set.tsv>...
 *     --rules FILE         screen every question with these risk rules
 *                          first (a risky question is escalated, not
 *                          answered), as POST /api/chat does
 *     --vocab F --model F  ... and with the gate's vocabulary and
 *                          classifier (cc_risk_assess), as the module does
 *     --min-score X        ConciergeGroundingMinScore (default 3.0)
 *     --min-coverage X     ConciergeGroundingMinCoverage (default 0.50)
 *     --quiet              no per-question failure lists (held-out sets:
 *                          report the figure, do not read the misses)
 *     --why                with each miss, the top hits (score, coverage)
 *                          and where the expected section ranks (tuning)
 *     --set NAME=X         an index parameter other than its default
 *                          (k1, b, title_weight, synonym_weight,
 *                          coverage_weight, pair_weight,
 *                          title_cover_weight, title_rank_weight,
 *                          context_weight), to
 *                          measure a choice before it becomes the default
 *     --cv K               instead of the report: the out-of-fold figures
 *                          of choosing the grounding decision on the sets
 *                          given (below)
 *     --cv-max-unans X     with --cv: choose by right source first among
 *                          the decisions answering at most X of the
 *                          unanswerable questions (the target is 0.03),
 *                          instead of by the difference of the two
 *
 * The knowledge is chunked and indexed as the module does (eval_kb.h: the
 * shipped BM25 parameters, title field and synonyms.txt).  A question is
 * answered when at least one of its top MC_CHAT_K hits clears both
 * grounding thresholds (score >= min-score, scanning stops at the first
 * hit below it; coverage >= min-coverage); the first such hit is the
 * source the answer leads with.
 *
 * Set files, one question per line (TAB-separated; '#' lines skipped):
 *   answerable    question  heading  kind  [qtype]
 *                 (kind direct|paraphrase; heading: the section's title)
 *   unanswerable  question  -  class
 *
 * Reported per file, each with n and a 95% Wilson interval:
 *   answerable:   answered; right source first (the first grounding
 *                 source is the expected section); recall@1 of the
 *                 paraphrases (top hit, thresholds aside); escalated
 *   unanswerable: answered, overall and per class
 * and a final line per file with the targets:
 *   answerable answered >= 0.95, right source first >= 0.90, paraphrase
 *   recall@1 >= 0.90; unanswerable answered <= 0.03.
 * Exit status 0 when every file meets its targets, 1 when one misses, 2 on
 * a usage or input error.
 *
 * --cv K: the grounding decision (title_cover_weight in {0, 0.2, 0.3,
 * 0.4}; min coverage such that coverage * (1 + title_cover_weight) >= t,
 * t in 0.40, 0.45, ..., 0.95; min score as given) is chosen K times, each
 * time on all questions but one fold (every K-th answerable and every K-th
 * unanswerable question of the sets, in file order), by right source first
 * minus unanswerable answered (both as rates), and counted on the fold
 * left out.  The sum over the folds is what the procedure would score on
 * questions it was not chosen on; the choice on all questions is what
 * ships.  Nothing else is fitted here: the ranking is the shipped one.
 * With --set title_cover_weight=0 only the threshold is chosen (the
 * decision as it was before the title match), for comparison; other --set
 * parameters (title_rank_weight=0: the ranking before the title agreement
 * factor) apply to every choice.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_index.h"
#include "cc_risk.h"
#include "cc_vocab.h"
#include "cc_riskml.h"
#include "cc_problem.h"
#include "eval_kb.h"
#include "eval_util.h"

#define PROG      "eval_answer"
#define EV_K      3             /* MC_CHAT_K: hits the chat considers */
#define EV_MAXCLS 16

/* The risk gate's learned layers (--vocab, --model); NULL: rules only. */
static const cc_vocab_t  *ev_vocab;
static const cc_riskml_t *ev_model;

typedef struct ev_q_t {
    const char *q, *heading, *kind, *cls;
    int         line;
    int         answerable;
} ev_q_t;

typedef struct ev_tally_t {
    int n, answered, right, escalated, para, para_r1;
} ev_tally_t;

static void wilson(int k, int n, double *lo, double *hi)
{
    double z = 1.96, p, d, c, w;

    if (n == 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    p = (double)k / n;
    d = 1.0 + z * z / n;
    c = (p + z * z / (2.0 * n)) / d;
    w = z * sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / d;
    *lo = c - w < 0.0 ? 0.0 : c - w;
    *hi = c + w > 1.0 ? 1.0 : c + w;
}

static void print_rate(const char *what, int k, int n)
{
    double lo, hi;

    wilson(k, n, &lo, &hi);
    printf("  %-34s %4d / %-4d %.3f  [%.3f, %.3f]\n", what, k, n,
           n ? (double)k / n : 0.0, lo, hi);
}

/* --why: the top hits of a miss and the expected section's place among
 * the best 16 (for reading tuning misses; never with --quiet). */
static void print_why(const void *img, size_t imglen, const ev_q_t *q,
                      apr_pool_t *scratch)
{
    cc_hit_t hits[16];
    size_t qlen = strlen(q->q);
    int n = cc_index_search(img, imglen, q->q, qlen, hits, 16, scratch);
    int h, found = 0;

    for (h = 0; h < n; h++) {
        const char *t = cc_index_chunk_title(img, imglen, hits[h].chunk);
        int exp = q->answerable && t && strcmp(t, q->heading) == 0;

        if (h < 3 || exp) {
            printf("       %2d %6.2f cov %.2f %s%s\n", h + 1, hits[h].score,
                   cc_index_coverage(img, imglen, q->q, qlen, hits[h].chunk,
                                     scratch), t ? t : "?", exp ? "  <=" : "");
        }
        found |= exp;
    }
    if (q->answerable && !found) {
        printf("       expected section not among the best %d\n", n);
    }
}

/* "--set NAME=X": 0 when NAME is a parameter. */
static int set_param(cc_index_params_t *pr, const char *arg)
{
    static const struct {
        const char *name;
        size_t      off;
    } names[] = {
        { "k1", offsetof(cc_index_params_t, k1) },
        { "b", offsetof(cc_index_params_t, b) },
        { "title_weight", offsetof(cc_index_params_t, title_weight) },
        { "synonym_weight", offsetof(cc_index_params_t, synonym_weight) },
        { "coverage_weight", offsetof(cc_index_params_t, coverage_weight) },
        { "pair_weight", offsetof(cc_index_params_t, pair_weight) },
        { "title_cover_weight",
          offsetof(cc_index_params_t, title_cover_weight) },
        { "title_rank_weight",
          offsetof(cc_index_params_t, title_rank_weight) },
        { "context_weight", offsetof(cc_index_params_t, context_weight) },
    };
    const char *eq = strchr(arg, '=');
    size_t i;

    for (i = 0; eq && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == (size_t)(eq - arg)
            && strncmp(names[i].name, arg, (size_t)(eq - arg)) == 0) {
            *(double *)(void *)((char *)pr + names[i].off) = atof(eq + 1);
            return 0;
        }
    }
    return -1;
}

static apr_array_header_t *load_set(apr_pool_t *p, const char *path)
{
    apr_array_header_t *qs = apr_array_make(p, 256, sizeof(ev_q_t));
    size_t len;
    char *buf = ev_read_file(p, PROG, path, &len), *s, *last = NULL;
    int line = 0, bad = 0;

    for (s = buf; s && *s; s = last) {
        char *nl = strchr(s, '\n'), *f[5];
        int nf = 0;
        ev_q_t *q;

        line++;
        last = nl ? nl + 1 : NULL;
        if (nl) {
            *nl = '\0';
        }
        if (*ev_trim(s) == '\0' || *s == '#') {
            continue;
        }
        f[nf++] = s;
        while (nf < 5 && (s = strchr(s, '\t')) != NULL) {
            *s++ = '\0';
            f[nf++] = s;
        }
        if (nf < 3) {
            fprintf(stderr, "%s:%d: expected question<TAB>heading<TAB>kind"
                    " or question<TAB>-<TAB>class\n", path, line);
            bad++;
            continue;
        }
        q = apr_array_push(qs);
        q->q = ev_trim(f[0]);
        q->heading = ev_trim(f[1]);
        q->answerable = strcmp(q->heading, "-") != 0;
        q->kind = q->answerable ? ev_trim(f[2]) : "";
        q->cls = q->answerable ? (nf > 3 ? ev_trim(f[3]) : "") : ev_trim(f[2]);
        q->line = line;
    }
    if (bad) {
        exit(2);
    }
    return qs;
}

/* ---- --cv ------------------------------------------------------------- */

#define CV_NB 4
#define CV_NT 12
static const double cv_beta[CV_NB] = { 0.0, 0.2, 0.3, 0.4 };

/* --cv-max-unans X: choose by right source first subject to unanswerable
 * answered <= X (on the folds chosen on); < 0: the difference. */
static double cv_max_unans = -1.0;

typedef struct cv_q_t {
    const ev_q_t *q;
    int           fold, escalated;
} cv_q_t;

/* counts[b][t][fold]: right, answered (answerable), answered (not). */
typedef int cv_counts_t[CV_NB][CV_NT][3];

static double cv_obj(cv_counts_t *cnt, int b, int t, int k, int hold,
                     const int *na, const int *nu)
{
    int f, r = 0, u = 0, a = 0, n = 0;

    for (f = 0; f < k; f++) {
        if (f == hold) {
            continue;
        }
        r += cnt[f][b][t][0];
        u += cnt[f][b][t][2];
        a += na[f];
        n += nu[f];
    }
    if (cv_max_unans >= 0.0) {
        /* Constrained: the most right answers among the decisions that
         * answer at most cv_max_unans of the unanswerable questions
         * (those that answer more rank below, fewest first). */
        double ur = n ? (double)u / n : 0.0;

        return ur <= cv_max_unans + 1e-12 ? (a ? (double)r / a : 0.0)
                                          : -ur;
    }
    return (a ? (double)r / a : 0.0) - (n ? (double)u / n : 0.0);
}

static int run_cv(apr_pool_t *pool, apr_pool_t *scratch, int k, int nb,
                  const apr_array_header_t *chunks, const char *syn,
                  size_t synlen, cc_ruleset_t *rs, double min_score,
                  const cc_index_params_t *base,
                  const apr_array_header_t *files)
{
    apr_array_header_t *all = apr_array_make(pool, 512, sizeof(cv_q_t));
    cv_counts_t *cnt = apr_pcalloc(pool, (size_t)k * sizeof(*cnt));
    int *na = apr_pcalloc(pool, (size_t)k * sizeof(int));
    int *nu = apr_pcalloc(pool, (size_t)k * sizeof(int));
    int tot[3] = { 0, 0, 0 }, i, j, b, t, hold, ia = 0, iu = 0;

    for (i = 0; i < files->nelts; i++) {
        apr_array_header_t *qs = load_set(pool, APR_ARRAY_IDX(files, i,
                                                              const char *));

        for (j = 0; j < qs->nelts; j++) {
            cv_q_t *c = apr_array_push(all);

            c->q = &APR_ARRAY_IDX(qs, j, ev_q_t);
            c->fold = c->q->answerable ? ia++ % k : iu++ % k;
            (c->q->answerable ? na : nu)[c->fold]++;
            c->escalated = 0;
            if (rs) {
                cc_risk_result_t res;

                memset(&res, 0, sizeof(res));
                apr_pool_clear(scratch);
                cc_risk_assess(rs, ev_vocab, ev_model, c->q->q, strlen(c->q->q),
                               scratch, &res);
                c->escalated = res.risk;
            }
        }
    }
    for (b = 0; b < nb; b++) {
        cc_index_params_t pr;
        void *img;
        size_t imglen;
        int malformed;

        pr = *base;
        pr.title_cover_weight = nb > 1 ? cv_beta[b] : base->title_cover_weight;
        ev_build_index(&img, &imglen, pool, chunks, &pr, syn, synlen,
                       &malformed);
        for (j = 0; j < all->nelts; j++) {
            const cv_q_t *c = &APR_ARRAY_IDX(all, j, cv_q_t);
            size_t qlen = strlen(c->q->q);
            cc_hit_t hits[EV_K];
            double cov[EV_K];
            int n, h;

            apr_pool_clear(scratch);
            n = c->escalated ? 0 : cc_index_search(img, imglen, c->q->q,
                                                   qlen, hits, EV_K,
                                                   scratch);
            for (h = 0; h < n; h++) {
                cov[h] = cc_index_coverage(img, imglen, c->q->q, qlen,
                                           hits[h].chunk, scratch);
            }
            for (t = 0; t < CV_NT; t++) {
                double th = (0.40 + 0.05 * t) / (1.0 + cv_beta[b]);
                const char *first = NULL;

                for (h = 0; h < n && hits[h].score >= min_score; h++) {
                    if (cov[h] >= th - 1e-9) {
                        first = cc_index_chunk_title(img, imglen,
                                                     hits[h].chunk);
                        break;
                    }
                }
                if (!first) {
                    continue;
                }
                if (!c->q->answerable) {
                    cnt[c->fold][b][t][2]++;
                    continue;
                }
                cnt[c->fold][b][t][1]++;
                cnt[c->fold][b][t][0] += strcmp(first, c->q->heading) == 0;
            }
        }
    }
    printf("out-of-fold choice of the grounding decision, %d folds "
           "(score >= %.2f):\n", k, min_score);
    for (hold = -1; hold < k; hold++) {
        double best = -1e9;
        int bb = 0, bt = 0;

        for (b = 0; b < nb; b++) {
            for (t = 0; t < CV_NT; t++) {
                double o = cv_obj(cnt, b, t, k, hold, na, nu);

                if (o > best + 1e-12) {
                    best = o;
                    bb = b;
                    bt = t;
                }
            }
        }
        if (hold < 0) {
            printf("  chosen on all: title_cover_weight %.1f, min coverage "
                   "%.3f\n", cv_beta[bb], (0.40 + 0.05 * bt)
                   / (1.0 + cv_beta[bb]));
            continue;
        }
        printf("  fold %d: title_cover_weight %.1f, min coverage %.3f\n",
               hold, cv_beta[bb], (0.40 + 0.05 * bt) / (1.0 + cv_beta[bb]));
        for (i = 0; i < 3; i++) {
            tot[i] += cnt[hold][bb][bt][i];
        }
    }
    ia = iu = 0;
    for (i = 0; i < k; i++) {
        ia += na[i];
        iu += nu[i];
    }
    printf("eval-answer out-of-fold: answered %.3f, right source first "
           "%.3f (%d answerable); unanswerable answered %.3f (%d)\n",
           ia ? (double)tot[1] / ia : 0.0, ia ? (double)tot[0] / ia : 0.0,
           ia, iu ? (double)tot[2] / iu : 0.0, iu);
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool, *scratch;
    const char *dir = NULL, *rules_path = NULL, *vocab_path = NULL;
    const char *model_path = NULL;
    apr_array_header_t *chunks, *files;
    cc_ruleset_t *rs = NULL;
    cc_index_params_t params;
    void *img;
    size_t imglen, synlen = 0;
    char *syn;
    double min_score = 3.0, min_cov = 0.50;
    int quiet = 0, why = 0, cv = 0, ndocs, malformed, i, failed = 0;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    apr_pool_create(&scratch, pool);
    files = apr_array_make(pool, 4, sizeof(char *));
    cc_index_params_default(&params);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
            rules_path = argv[++i];
        }
        else if (strcmp(argv[i], "--vocab") == 0 && i + 1 < argc) {
            vocab_path = argv[++i];
        }
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            model_path = argv[++i];
        }
        else if (strcmp(argv[i], "--min-score") == 0 && i + 1 < argc) {
            min_score = atof(argv[++i]);
        }
        else if (strcmp(argv[i], "--min-coverage") == 0 && i + 1 < argc) {
            min_cov = atof(argv[++i]);
        }
        else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        }
        else if (strcmp(argv[i], "--cv-max-unans") == 0 && i + 1 < argc) {
            cv_max_unans = atof(argv[++i]);
        }
        else if (strcmp(argv[i], "--why") == 0) {
            why = 1;
        }
        else if (strcmp(argv[i], "--cv") == 0 && i + 1 < argc) {
            cv = (int)strtol(argv[++i], NULL, 10);
            if (cv < 2 || cv > 20) {
                fprintf(stderr, "%s: --cv takes 2..20 folds\n", PROG);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (set_param(&params, argv[++i]) != 0) {
                fprintf(stderr, "%s: --set %s: unknown parameter\n", PROG,
                        argv[i]);
                return 2;
            }
        }
        else if (argv[i][0] == '-') {
            dir = NULL;
            break;
        }
        else if (!dir) {
            dir = argv[i];
        }
        else {
            APR_ARRAY_PUSH(files, const char *) = argv[i];
        }
    }
    if (!dir || files->nelts == 0) {
        fprintf(stderr, "usage: %s <knowledge dir> [--rules FILE] "
                "[--vocab F] [--model F] [--min-score X] [--min-coverage X] [--set NAME=X] [--cv K] [--cv-max-unans X] "
                "[--quiet] [--why] <set.tsv>...\n",
                PROG);
        return 2;
    }
    if (vocab_path || model_path) {
        cc_problem_t prob;
        size_t n;
        char *blob;

        memset(&prob, 0, sizeof(prob));
        if (vocab_path) {
            blob = ev_read_file(pool, PROG, vocab_path, &n);
            if (!(ev_vocab = cc_vocab_attach(pool, blob, n, &prob))) {
                fprintf(stderr, "%s: %s: %s\n", PROG, vocab_path,
                        prob.message);
                return 2;
            }
        }
        if (model_path) {
            blob = ev_read_file(pool, PROG, model_path, &n);
            if (!(ev_model = cc_riskml_attach(pool, blob, n, &prob))) {
                fprintf(stderr, "%s: %s: %s\n", PROG, model_path,
                        prob.message);
                return 2;
            }
        }
    }
    if (rules_path) {
        size_t rlen;
        char *text = ev_read_file(pool, PROG, rules_path, &rlen);
        cc_problem_t prob;

        memset(&prob, 0, sizeof(prob));
        rs = cc_risk_compile(pool, text, rlen, NULL, &prob);
        if (!rs) {
            fprintf(stderr, "%s: %s: %s\n", PROG, rules_path, prob.message);
            return 2;
        }
    }
    chunks = ev_load_chunks(pool, dir, &ndocs);
    syn = apr_pstrcat(pool, dir, "/synonyms.txt", NULL);
    syn = ev_read_file(pool, PROG, syn, &synlen);
    if (cv) {
        return run_cv(pool, scratch, cv, params.title_cover_weight > 0.0
                      ? CV_NB : 1, chunks, syn, synlen, rs, min_score,
                      &params, files);
    }
    ev_build_index(&img, &imglen, pool, chunks, &params, syn, synlen,
                   &malformed);
    printf("knowledge: %d files, %d chunks; thresholds: score >= %.2f, "
           "coverage >= %.2f; risk rules: %s\n", ndocs, chunks->nelts,
           min_score, min_cov, rules_path ? rules_path : "none");

    for (i = 0; i < files->nelts; i++) {
        const char *path = APR_ARRAY_IDX(files, i, const char *);
        apr_array_header_t *qs = load_set(pool, path);
        ev_tally_t ans, un;
        const char *cls[EV_MAXCLS];
        int cls_n[EV_MAXCLS] = { 0 }, cls_a[EV_MAXCLS] = { 0 }, ncls = 0;
        int j, ok = 1;

        memset(&ans, 0, sizeof(ans));
        memset(&un, 0, sizeof(un));
        printf("\n== %s (%d questions)\n", path, qs->nelts);
        for (j = 0; j < qs->nelts; j++) {
            const ev_q_t *q = &APR_ARRAY_IDX(qs, j, ev_q_t);
            size_t qlen = strlen(q->q);
            cc_hit_t hits[EV_K];
            const char *first = NULL, *top = NULL;
            int n, h, escalated = 0, c;

            apr_pool_clear(scratch);
            if (rs) {
                cc_risk_result_t res;

                memset(&res, 0, sizeof(res));
                cc_risk_assess(rs, ev_vocab, ev_model, q->q, qlen, scratch, &res);
                escalated = res.risk;
            }
            n = escalated ? 0 : cc_index_search(img, imglen, q->q, qlen,
                                                hits, EV_K, scratch);
            for (h = 0; h < n; h++) {
                const char *title = cc_index_chunk_title(img, imglen,
                                                         hits[h].chunk);

                if (h == 0) {
                    top = title;
                }
                if (hits[h].score < min_score) {
                    break;
                }
                if (cc_index_coverage(img, imglen, q->q, qlen, hits[h].chunk,
                                      scratch) >= min_cov) {
                    first = title;
                    break;
                }
            }
            if (q->answerable) {
                int right = first && strcmp(first, q->heading) == 0;
                int para = strcmp(q->kind, "paraphrase") == 0;

                ans.n++;
                ans.answered += first != NULL;
                ans.right += right;
                ans.escalated += escalated;
                if (para) {
                    ans.para++;
                    ans.para_r1 += top && strcmp(top, q->heading) == 0;
                }
                if (!right && !quiet) {
                    printf("  MISS %s:%d %s\n       expected \"%s\", %s%s%s\n",
                           path, q->line, q->q, q->heading,
                           escalated ? "escalated by the risk rules"
                           : first ? "answered from \"" : "no answer",
                           first && !escalated ? first : "",
                           first && !escalated ? "\"" : "");
                    if (why && !escalated) {
                        print_why(img, imglen, q, scratch);
                    }
                }
                continue;
            }
            un.n++;
            un.answered += first != NULL;
            un.escalated += escalated;
            for (c = 0; c < ncls && strcmp(cls[c], q->cls) != 0; c++) {
            }
            if (c == ncls && ncls < EV_MAXCLS) {
                cls[ncls++] = q->cls;
            }
            if (c < ncls) {
                cls_n[c]++;
                cls_a[c] += first != NULL;
            }
            if (first && !quiet) {
                printf("  ANSWERED %s:%d [%s] %s\n       from \"%s\"\n", path,
                       q->line, q->cls, q->q, first);
                if (why) {
                    print_why(img, imglen, q, scratch);
                }
            }
        }
        if (ans.n) {
            printf(" answerable\n");
            print_rate("answered", ans.answered, ans.n);
            print_rate("right source first", ans.right, ans.n);
            print_rate("paraphrase recall@1 (top hit)", ans.para_r1,
                       ans.para);
            print_rate("escalated by the risk rules", ans.escalated, ans.n);
            ok &= ans.answered * 100 >= ans.n * 95
                  && ans.right * 100 >= ans.n * 90
                  && ans.para_r1 * 100 >= ans.para * 90;
        }
        if (un.n) {
            int c;

            printf(" unanswerable\n");
            print_rate("answered (should refuse)", un.answered, un.n);
            print_rate("escalated by the risk rules", un.escalated, un.n);
            for (c = 0; c < ncls; c++) {
                print_rate(apr_psprintf(pool, "answered, %s", cls[c]),
                           cls_a[c], cls_n[c]);
            }
            ok &= un.answered * 100 <= un.n * 3;
        }
        printf("eval-answer %s:", path);
        if (ans.n) {
            printf(" answered %.3f (target 0.95), right source first %.3f "
                   "(0.90), paraphrase recall@1 %.3f (0.90);",
                   (double)ans.answered / ans.n, (double)ans.right / ans.n,
                   ans.para ? (double)ans.para_r1 / ans.para : 0.0);
        }
        if (un.n) {
            printf(" unanswerable answered %.3f (target <= 0.03);",
                   (double)un.answered / un.n);
        }
        printf(" %s\n", ok ? "met" : "MISSED");
        failed |= !ok;
    }
    return failed ? 1 : 0;
}

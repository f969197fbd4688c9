/*
 * riskml_train.c - train the risk classifier (build/risk-model.bin).
 *
 *   riskml_train <out.bin> --concepts conf/risk-lexicon
 *                [--vocab risk-vocab.bin] [--bits N]
 *                [--epochs N] [--folds K] [--fp-budget X] <set.tsv> ...
 *
 * --concepts DIR: the concept lexicon, DIR/concepts.txt (the concepts in
 * order) and DIR/<lang>.txt for "all" and each of CC_RISK_LANGS;
 * compiled (cc_risk_lex_compile) and written into the image with the
 * weights.  Required with concept features (the default).
 *
 * Each set is message<TAB>label<TAB>categories[<TAB>lang[<TAB>class]]
 * (tests/eval/risk.tsv's format).  Refuses any file whose name contains
 * "heldout": held-out sets are for the final evaluation only.
 *
 * Prints the cross-validated (out-of-fold) figures of the classifier
 * alone at the chosen thresholds: recall, false positives, emergency
 * recall, per output and per language.  Deterministic (fixed seed).
 *
 * --rules conf/risk-rules.txt: also the whole gate out of fold: every
 * message through cc_risk_assess's combination (rules, vocabulary, the
 * classifier's OUT-OF-FOLD probabilities), beside the rules alone and
 * the rules with the vocabulary (the rules are in-sample on any set they
 * were written from; only the classifier's share is out of fold).
 * --budget-with-rules X then re-chooses the p(risky) threshold so that
 * the classifier adds at most X false positives (a fraction of the
 * benign messages) to what the rules and the vocabulary flag, out of
 * fold.  --veto chooses the veto threshold (cc_riskml.h).
 *
 * --questions FILE (repeatable, with --rules): clinic questions in
 * eval_answer's formats as benign training-only examples (weight
 * --questions-weight X, default 1): they teach the risky and category
 * outputs, never the emergency output, are never scored out of fold and
 * never choose a threshold (load_questions below).  The build does not
 * use it (Makefile, RISK_QUESTIONS: why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_risk.h"
#include "cc_riskml.h"
#include "cc_riskml_int.h"
#include "cc_vocab.h"
#include "cc_risk_cues.h"
#include "eval_util.h"

typedef struct tr_msg_t {
    cc_riskml_example_t ex;
    const char *lang;
    const char *set;             /* the file it came from */
} tr_msg_t;

static int out_index(const char *s, size_t n)
{
    int o;

    for (o = 1; o < CC_RISKML_NOUT; o++) {
        if (strlen(cc_riskml_out_names[o]) == n
            && memcmp(cc_riskml_out_names[o], s, n) == 0) {
            return o;
        }
    }
    return -1;
}

/* The messages of path (ev_load_labelled) as training examples: the risky
 * output, and each category's output (the outputs after "risky" are named
 * as the categories are). */
static void load(apr_pool_t *p, const char *path, apr_array_header_t *ms)
{
    apr_array_header_t *ls = ev_load_labelled(p, "riskml_train", path);
    int i, c;

    for (i = 0; i < ls->nelts; i++) {
        const ev_labelled_t *l = &APR_ARRAY_IDX(ls, i, ev_labelled_t);
        tr_msg_t *m = apr_array_push(ms);

        memset(m, 0, sizeof(*m));
        m->ex.text = l->text;
        m->ex.len = l->len;
        m->lang = *l->lang ? l->lang : "?";
        m->set = path;
        m->ex.labels = l->risky ? 1u << CC_RISKML_RISKY : 0;
        for (c = 0; c < CC_RISK_NCATEGORIES; c++) {
            const char *name = cc_risk_category_names[c];
            int o = (l->cats & (1u << c)) ? out_index(name, strlen(name)) : -1;

            if (o > 0) {
                m->ex.labels |= 1u << o;
            }
        }
    }
}

/* --questions FILE: questions patients ask about the clinic, in
 * eval_answer's formats (answerable "question TAB heading TAB kind",
 * unanswerable "question TAB - TAB class"), as benign examples that teach
 * the weights and nothing else (CC_RISKML_TRAIN_QUESTION): never scored
 * out of fold, never counted when a threshold is chosen, so the
 * thresholds keep the trade-off they had on the labelled patient
 * messages.  Left out:
 * unanswerable "medical-absent" questions (a question about an absent
 * condition may disclose it), every question the rules flag (the rules
 * have the last word on those; they are taught neither way) and every
 * question with a word of the medical vocabulary or a have / take /
 * allergy / child / age / school / recent / sudden / someone-else cue
 * (q_discloses: "I have melasma ... what should I put on it?" is a
 * question too). */
static int q_discloses(const char *s, const cc_vocab_t *vocab)
{
    cc_cue_term_t t[64];
    size_t n = cc_risk_cue_terms(s, strlen(s), vocab, NULL, t, 64), i;

    for (i = 0; i < n; i++) {
        if (t[i].vcls >= 0
            || (t[i].cue & (CC_CUE_HAVE | CC_CUE_TAKE | CC_CUE_ALLERGY
                            | CC_CUE_CHILD | CC_CUE_AGE | CC_CUE_SCHOOL
                            | CC_CUE_RECENT | CC_CUE_SUDDEN | CC_CUE_OTHER))) {
            return 1;
        }
    }
    return 0;
}

static int load_questions(apr_pool_t *p, const char *path,
                          apr_array_header_t *ms, const cc_ruleset_t *rs,
                          const cc_vocab_t *vocab, float weight)
{
    size_t len, pos = 0;
    char *buf = ev_read_file(p, "riskml_train", path, &len);
    apr_pool_t *sp;
    int added = 0, flagged = 0;

    apr_pool_create(&sp, p);
    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        char *t1, *t2;
        cc_risk_result_t r;
        tr_msg_t *m;

        if (nl) {
            *nl = '\0';
            pos = (size_t)(nl - buf) + 1;
        }
        else {
            pos = len;
        }
        if (*s == '#' || *s == '\0') {
            continue;
        }
        t1 = strchr(s, '\t');
        if (!t1) {
            continue;
        }
        *t1 = '\0';
        t2 = strchr(t1 + 1, '\t');
        if (t2 && strncmp(t2 + 1, "medical-absent", 14) == 0) {
            continue;
        }
        s = ev_trim(s);
        if (*s == '\0') {
            continue;
        }
        memset(&r, 0, sizeof(r));
        cc_risk_check(rs, s, strlen(s), sp, &r);
        apr_pool_clear(sp);
        if (r.risk || q_discloses(s, vocab)) {
            flagged++;
            continue;
        }
        m = apr_array_push(ms);
        memset(m, 0, sizeof(*m));
        m->ex.text = s;
        m->ex.len = strlen(s);
        m->ex.labels = 0;
        m->ex.train_only = CC_RISKML_TRAIN_QUESTION;
        m->ex.weight = weight;
        m->lang = "q";
        m->set = path;
        added++;
    }
    apr_pool_destroy(sp);
    printf("riskml_train: %d benign questions from %s (%d left out: the "
           "rules flag them or they name something medical)\n", added, path,
           flagged);
    return added;
}

/* Rules file lines "<cats> <lang> word|phrase <pattern>" as short
 * training-only positives: each term's first (and, as a second example,
 * last) alternative, '*' '=' removed, "~" and "#..." dropped.  Lines of
 * medical_advice or "*" alone, negators and unless lines are skipped. */
static void load_lexicon(apr_pool_t *p, const char *path,
                         apr_array_header_t *ms)
{
    size_t len, pos = 0;
    char *buf = ev_read_file(p, "riskml_train", path, &len);
    int added = 0;

    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        char *cats, *lang, *kind, *pat, *save = NULL;
        unsigned labels = 0;
        int v;

        if (nl) {
            *nl = '\0';
            pos = (size_t)(nl - buf) + 1;
        }
        else {
            pos = len;
        }
        s = ev_trim(s);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        cats = apr_strtok(s, " \t", &save);
        lang = apr_strtok(NULL, " \t", &save);
        kind = apr_strtok(NULL, " \t", &save);
        pat = save ? ev_trim(save) : NULL;
        if (!cats || !lang || !kind || !pat || !*pat
            || (strcmp(kind, "word") != 0 && strcmp(kind, "phrase") != 0)) {
            continue;
        }
        {
            char *cs = NULL, *c = apr_strtok(apr_pstrdup(p, cats), ",", &cs);

            for (; c; c = apr_strtok(NULL, ",", &cs)) {
                int o = out_index(c, strlen(c));

                if (o > 0) {
                    labels |= 1u << o;
                }
            }
        }
        if (!labels) {
            continue;
        }
        labels |= 1u << CC_RISKML_RISKY;
        for (v = 0; v < 2; v++) {
            char *out = apr_palloc(p, strlen(pat) + 1), *o2 = out;
            const char *q = pat;
            tr_msg_t *m;

            while (*q) {
                const char *e = q + strcspn(q, " ");
                const char *a = q, *b;
                size_t an;

                if (*q == '~' || *q == '#') {
                    q = *e ? e + 1 : e;
                    continue;
                }
                /* pick the first or the last '|' alternative */
                if (v == 1) {
                    for (b = q; b < e; b++) {
                        if (*b == '|') {
                            a = b + 1;
                        }
                    }
                }
                b = a;
                while (b < e && *b != '|') {
                    b++;
                }
                an = (size_t)(b - a);
                if (o2 != out) {
                    *o2++ = ' ';
                }
                for (; an > 0; an--, a++) {
                    if (*a != '*' && *a != '=') {
                        *o2++ = *a;
                    }
                }
                q = *e ? e + 1 : e;
            }
            *o2 = '\0';
            if (v == 1 && !strchr(pat, '|')) {
                break;
            }
            if (*out == '\0') {
                continue;
            }
            m = apr_array_push(ms);
            memset(m, 0, sizeof(*m));
            m->ex.text = out;
            m->ex.len = strlen(out);
            m->ex.labels = labels;
            m->ex.train_only = CC_RISKML_TRAIN_LEXICON;
            m->lang = "lex";
            added++;
        }
    }
    printf("riskml_train: %d lexicon examples from %s\n", added, path);
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

typedef struct tr_fig_t {
    size_t nr, nb, tp, fp, ne, te;
} tr_fig_t;

/* The gate over every scored message: layer 0 rules alone, 1 rules and
 * vocabulary, 2 all three with the out-of-fold probabilities. */
static void gate_figures(apr_pool_t *p, const cc_ruleset_t *rs,
                         const cc_vocab_t *vocab, const cc_riskml_hdr_t *h,
                         const apr_array_header_t *ms, const float *oof,
                         int layer, const char *lang, tr_fig_t *f,
                         int verbose)
{
    apr_pool_t *sp;
    int i;

    memset(f, 0, sizeof(*f));
    apr_pool_create(&sp, p);
    for (i = 0; i < ms->nelts; i++) {
        const tr_msg_t *m = &APR_ARRAY_IDX(ms, i, tr_msg_t);
        cc_risk_result_t r;
        int risky = (m->ex.labels & 1u) != 0;

        if (m->ex.train_only
            || (lang && strcmp(m->lang, lang) != 0
                && strcmp(m->set, lang) != 0)) {
            continue;
        }
        memset(&r, 0, sizeof(r));
        cc_risk_assess_probs(rs, layer >= 1 ? vocab : NULL, h,
                             layer >= 2 ? &oof[(size_t)i * CC_RISKML_NOUT]
                                        : NULL,
                             m->ex.text, m->ex.len, sp, &r);
        if (risky) {
            f->nr++;
            f->tp += r.risk != 0;
            if (verbose && !r.risk) {
                printf("      miss [%s] %.120s\n", m->lang, m->ex.text);
            }
            if (verbose > 1 && layer == 0) {
                printf("      P risky emerg=%d rules=%d remerg=%d p=%.4f pe=%.4f\n",
                       (m->ex.labels >> CC_RISKML_EMERGENCY) & 1, r.risk,
                       r.emergency, oof[(size_t)i * CC_RISKML_NOUT],
                       oof[(size_t)i * CC_RISKML_NOUT + 1]);
            }
        }
        else {
            f->nb++;
            f->fp += r.risk != 0;
            if (verbose && r.risk) {
                printf("      FP   [%s] %.120s", m->lang, m->ex.text);
                if (layer >= 2) {
                    printf("  (p risky %.2f, emergency %.2f)",
                           oof[(size_t)i * CC_RISKML_NOUT],
                           oof[(size_t)i * CC_RISKML_NOUT + 1]);
                }
                printf("\n");
            }
            if (verbose > 1 && layer == 0) {
                printf("      P benign emerg=0 rules=%d remerg=%d p=%.4f pe=%.4f\n",
                       r.risk, r.emergency, oof[(size_t)i * CC_RISKML_NOUT],
                       oof[(size_t)i * CC_RISKML_NOUT + 1]);
            }
        }
        if (m->ex.labels & (1u << CC_RISKML_EMERGENCY)) {
            f->ne++;
            f->te += r.emergency != 0;
            if (verbose && !r.emergency) {
                printf("      emergency missed [%s] %.120s", m->lang,
                       m->ex.text);
                if (layer >= 2) {
                    printf("  (p risky %.2f, emergency %.2f)",
                           oof[(size_t)i * CC_RISKML_NOUT],
                           oof[(size_t)i * CC_RISKML_NOUT + 1]);
                }
                printf("\n");
            }
        }
        apr_pool_clear(sp);
    }
    apr_pool_destroy(sp);
}

static void print_fig(const char *what, const tr_fig_t *f)
{
    printf("    %-24s recall %.3f (%zu/%zu)  FP %.3f (%zu/%zu)  "
           "emergency %.3f (%zu/%zu)\n", what,
           f->nr ? (double)f->tp / f->nr : 0.0, f->tp, f->nr,
           f->nb ? (double)f->fp / f->nb : 0.0, f->fp, f->nb,
           f->ne ? (double)f->te / f->ne : 0.0, f->te, f->ne);
}

/* The concept lexicon of dir, compiled into opts (exits on an error). */
static void load_concepts(apr_pool_t *p, const char *dir,
                          cc_riskml_opts_t *opts)
{
    static const char *const files[] = {
        "all", "en", "es", "fr", "de", "it", "pt", "nl", "pl"
    };
    cc_risk_lex_src_t src[sizeof(files) / sizeof(files[0])];
    cc_problem_t prob;
    const char *cpath = apr_pstrcat(p, dir, "/concepts.txt", NULL);
    char *ct;
    size_t cl, i, nform = 0;
    void *sec;
    size_t sl;
    cc_risk_lex_t lx;
    const char *why;

    memset(&prob, 0, sizeof(prob));
    ct = ev_read_file(p, "riskml_train", cpath, &cl);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        src[i].name = apr_pstrcat(p, dir, "/", files[i], ".txt", NULL);
        src[i].text = ev_read_file(p, "riskml_train", src[i].name,
                                   &src[i].len);
    }
    if (cc_risk_lex_compile(&sec, &sl, p, ct, cl, src, i, &prob)
        != APR_SUCCESS) {
        fprintf(stderr, "riskml_train: %s\n", prob.message);
        exit(2);
    }
    if (cc_risk_lex_view(&lx, sec, sl, &why)) {
        nform = lx.hdr->nstems;
    }
    printf("lexicon %s: %d concepts, %zu forms in %zu files, %zu bytes\n",
           dir, cc_risk_concept_count(&lx), nform, i, sl);
    opts->lexicon = sec;
    opts->lexicon_len = sl;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    apr_array_header_t *ms, *langs;
    cc_vocab_t *vocab = NULL;
    cc_riskml_opts_t opts;
    cc_riskml_cv_t cv;
    cc_problem_t prob;
    cc_riskml_example_t *ex;
    const cc_riskml_hdr_t *h;
    void *img;
    size_t len, i, n;
    int a, o, nsets = 0;
    double lang_weight = 1.0, budget_rules = -1.0, veto_budget = -1.0;
    double q_weight = 1.0;
    const char *rules_path = NULL, *dump_path = NULL;
    apr_array_header_t *qpaths;
    cc_ruleset_t *rs = NULL;
    int verbose = 0;
    FILE *fp;
    struct timespec t0, t1;

    if (argc < 3) {
        fprintf(stderr, "usage: riskml_train <out.bin> [--concepts DIR] "
                "[--vocab FILE] "
                "[--bits N] [--epochs N] [--folds K] [--lr X] [--l2 X] "
                "[--lexicon rules.txt] [--features MASK] [--char-weight X] [--fp-budget X] "
                "<set.tsv> ...\n");
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    memset(&opts, 0, sizeof(opts));
    memset(&prob, 0, sizeof(prob));
    ms = apr_array_make(p, 1024, sizeof(tr_msg_t));
    qpaths = apr_array_make(p, 4, sizeof(const char *));
    for (a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--concepts") == 0 && a + 1 < argc) {
            load_concepts(p, argv[++a], &opts);
        }
        else if (strcmp(argv[a], "--vocab") == 0 && a + 1 < argc) {
            size_t vl;
            char *vi = ev_read_file(p, "riskml_train", argv[++a], &vl);

            vocab = cc_vocab_attach(p, vi, vl, &prob);
            if (!vocab) {
                fprintf(stderr, "riskml_train: %s: %s\n", argv[a],
                        prob.message);
                return 2;
            }
        }
        else if (strcmp(argv[a], "--bits") == 0 && a + 1 < argc) {
            opts.bits = (unsigned)strtoul(argv[++a], NULL, 10);
        }
        else if (strcmp(argv[a], "--epochs") == 0 && a + 1 < argc) {
            opts.epochs = (int)strtol(argv[++a], NULL, 10);
        }
        else if (strcmp(argv[a], "--folds") == 0 && a + 1 < argc) {
            opts.folds = (int)strtol(argv[++a], NULL, 10);
        }
        else if (strcmp(argv[a], "--features") == 0 && a + 1 < argc) {
            opts.features = (unsigned)strtoul(argv[++a], NULL, 0);
        }
        else if (strcmp(argv[a], "--char-min") == 0 && a + 1 < argc) {
            opts.char_min = (unsigned)strtoul(argv[++a], NULL, 10);
        }
        else if (strcmp(argv[a], "--char-max") == 0 && a + 1 < argc) {
            opts.char_max = (unsigned)strtoul(argv[++a], NULL, 10);
        }
        else if (strcmp(argv[a], "--char-weight") == 0 && a + 1 < argc) {
            opts.char_weight = (float)strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--lexicon") == 0 && a + 1 < argc) {
            load_lexicon(p, argv[++a], ms);
        }
        else if (strcmp(argv[a], "--lr") == 0 && a + 1 < argc) {
            opts.lr = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--l2") == 0 && a + 1 < argc) {
            opts.l2 = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--emergency-fp-budget") == 0
                 && a + 1 < argc) {
            opts.emergency_fp_budget = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--lang-weight") == 0 && a + 1 < argc) {
            lang_weight = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--average") == 0) {
            opts.average = 1;
        }
        else if (strcmp(argv[a], "--lexicon-weight") == 0 && a + 1 < argc) {
            opts.lexicon_weight = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--emergency-floor") == 0
                 && a + 1 < argc) {
            opts.emergency_floor = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--rules") == 0 && a + 1 < argc) {
            rules_path = argv[++a];
        }
        else if (strcmp(argv[a], "--budget-with-rules") == 0
                 && a + 1 < argc) {
            budget_rules = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--emergency-alone-budget") == 0
                 && a + 1 < argc) {
            opts.emergency_alone_budget = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--bag") == 0 && a + 1 < argc) {
            opts.bag = (int)strtol(argv[++a], NULL, 10);
        }
        else if (strcmp(argv[a], "--no-escalate-risky") == 0) {
            opts.no_escalate_risky = 1;
        }
        else if (strcmp(argv[a], "--veto") == 0) {
            opts.veto = 1;
        }
        else if (strcmp(argv[a], "--veto-budget") == 0 && a + 1 < argc) {
            veto_budget = strtod(argv[++a], NULL);
            opts.veto = 1;
        }
        else if (strcmp(argv[a], "--questions") == 0 && a + 1 < argc) {
            if (strstr(argv[a + 1], "heldout")) {
                fprintf(stderr, "riskml_train: refusing %s: held-out sets "
                        "are never trained on\n", argv[a + 1]);
                return 2;
            }
            *(const char **)apr_array_push(qpaths) = argv[++a];
        }
        else if (strcmp(argv[a], "--questions-weight") == 0 && a + 1 < argc) {
            q_weight = strtod(argv[++a], NULL);
        }
        else if (strcmp(argv[a], "--dump-oof") == 0 && a + 1 < argc) {
            dump_path = argv[++a];
        }
        else if (strcmp(argv[a], "--verbose") == 0) {
            verbose++;
        }
        else if (strcmp(argv[a], "--fp-budget") == 0 && a + 1 < argc) {
            opts.fp_budget = strtod(argv[++a], NULL);
        }
        else if (strstr(argv[a], "heldout")) {
            fprintf(stderr, "riskml_train: refusing %s: held-out sets are "
                    "never trained on\n", argv[a]);
            return 2;
        }
        else {
            load(p, argv[a], ms);
            nsets++;
        }
    }
    if (rules_path) {
        size_t rl;
        char *rt = ev_read_file(p, "riskml_train", rules_path, &rl);

        rs = cc_risk_compile(p, rt, rl, NULL, &prob);
        if (!rs) {
            fprintf(stderr, "riskml_train: %s: %s\n", rules_path,
                    prob.message);
            return 2;
        }
    }
    if (qpaths->nelts > 0 && !rs) {
        fprintf(stderr, "riskml_train: --questions needs --rules\n");
        return 2;
    }
    for (a = 0; a < qpaths->nelts; a++) {
        load_questions(p, APR_ARRAY_IDX(qpaths, a, const char *), ms, rs,
                       vocab, (float)q_weight);
    }
    n = (size_t)ms->nelts;
    if (nsets == 0 || n < 10) {
        fprintf(stderr, "riskml_train: no training data\n");
        return 2;
    }
    ex = apr_palloc(p, n * sizeof(*ex));
    for (i = 0; i < n; i++) {
        const tr_msg_t *m = &APR_ARRAY_IDX(ms, i, tr_msg_t);

        ex[i] = m->ex;
        /* Messages in a language other than English (or unmarked) count
         * lang_weight times: they are the minority of the data.  A clinic
         * question keeps its --questions-weight. */
        if (m->ex.train_only != CC_RISKML_TRAIN_QUESTION) {
            ex[i].weight = (strcmp(m->lang, "en") != 0
                            && strcmp(m->lang, "?") != 0
                            && strcmp(m->lang, "lex") != 0)
                           ? (float)lang_weight : 1.0f;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cc_riskml_train(&img, &len, p, ex, n, vocab, &opts, &cv)
        != APR_SUCCESS) {
        fprintf(stderr, "riskml_train: training failed%s\n",
                opts.lexicon ? "" : " (concept features need --concepts)");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (dump_path) {
        /* set, lang, labels, then the out-of-fold probabilities. */
        FILE *df = fopen(dump_path, "w");

        for (i = 0; df && i < n; i++) {
            const tr_msg_t *m = &APR_ARRAY_IDX(ms, i, tr_msg_t);

            fprintf(df, "%s\t%s\t%u", m->set, m->lang, m->ex.labels);
            for (o = 0; o < CC_RISKML_NOUT; o++) {
                fprintf(df, "\t%.5f", cv.oof[i * CC_RISKML_NOUT + o]);
            }
            fprintf(df, "\n");
        }
        if (!df || fclose(df) != 0) {
            fprintf(stderr, "riskml_train: cannot write %s\n", dump_path);
            return 2;
        }
    }
    if (rs && budget_rules >= 0.0) {
        /* With the rules present: first the lowest escalation threshold
         * at which p(emergency) alone adds at most half the budget of
         * the benign messages to the rules' and the vocabulary's false
         * positives; then the lowest p(risky) at which the classifier
         * alone makes a message risky, within the whole budget.  Out of
         * fold.  The emergency thresholds do not move. */
        cc_riskml_hdr_t *hw = img;
        tr_fig_t base, f;
        float e0 = hw->emergency_escalate;
        int g;

        gate_figures(p, rs, vocab, hw, ms, cv.oof, 1, NULL, &base, 0);
        hw->risky_alone = 0.99f;
        for (g = (int)(e0 * 100.0f + 0.5f);
             g <= (int)(hw->threshold[CC_RISKML_EMERGENCY] * 100.0f + 0.5f);
             g++) {
            hw->emergency_escalate = (float)g / 100.0f;
            gate_figures(p, rs, vocab, hw, ms, cv.oof, 2, NULL, &f, 0);
            if ((double)f.fp <= (double)base.fp
                                 + budget_rules / 2.0 * (double)f.nb) {
                break;
            }
        }
        for (g = 2; g <= 99; g++) {
            hw->risky_alone = (float)g / 100.0f;
            if (hw->risky_alone <= hw->veto) {
                continue;
            }
            gate_figures(p, rs, vocab, hw, ms, cv.oof, 2, NULL, &f, 0);
            if ((double)f.fp <= (double)base.fp
                                 + budget_rules * (double)f.nb) {
                break;
            }
        }
        printf("riskml_train: with the rules, within %.3f added false "
               "positives out of fold: escalation %.2f (was %.2f), "
               "p(risky) alone %.2f\n", budget_rules,
               hw->emergency_escalate, e0, hw->risky_alone);
    }
    if (rs && veto_budget >= 0.0) {
        /* With the rules present: the highest veto threshold (0.01 grid,
         * below the p(risky) an emergency needs) at which the whole gate,
         * out of fold, loses at most veto_budget of the risky messages and
         * no emergency against the veto chosen below every risky message.
         * What the veto buys is benign messages the rules flagged from a
         * word out of its context ("my mum is on warfarin"). */
        cc_riskml_hdr_t *hw = img;
        tr_fig_t base, f;
        float v0 = hw->veto, best = hw->veto;
        int g;

        gate_figures(p, rs, vocab, hw, ms, cv.oof, 2, NULL, &base, 0);
        for (g = (int)(v0 * 100.0f + 0.5f) + 1;
             (float)g / 100.0f < hw->threshold[CC_RISKML_RISKY]; g++) {
            hw->veto = (float)g / 100.0f;
            gate_figures(p, rs, vocab, hw, ms, cv.oof, 2, NULL, &f, 0);
            if (f.te < base.te
                || (double)(base.tp - f.tp) > veto_budget * (double)f.nr) {
                break;
            }
            best = hw->veto;
        }
        hw->veto = best;
        gate_figures(p, rs, vocab, hw, ms, cv.oof, 2, NULL, &f, 0);
        printf("riskml_train: veto within %.3f of the risky messages out of "
               "fold: below %.2f (was %.2f): recall %zu -> %zu of %zu, "
               "false positives %zu -> %zu of %zu\n", veto_budget,
               hw->veto, v0, base.tp, f.tp, f.nr, base.fp, f.fp, f.nb);
    }
    fp = fopen(argv[1], "wb");
    if (!fp || fwrite(img, 1, len, fp) != len || fclose(fp) != 0) {
        fprintf(stderr, "riskml_train: cannot write %s\n", argv[1]);
        return 2;
    }
    h = img;

    printf("riskml_train: %s: %zu messages from %d set(s), 2^%u buckets, "
           "%zu bytes, %.1f s, digest %016llx, vocab %s\n", argv[1], n,
           nsets, h->bits, len,
           (double)(t1.tv_sec - t0.tv_sec)
           + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (unsigned long long)h->train_digest,
           vocab ? "yes" : "no");
    printf("  thresholds:");
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        printf(" %s %.2f", cc_riskml_out_names[o], h->threshold[o]);
    }
    printf(" (emergency escalates to risky from %.2f with p(risky) from "
           "%.2f; veto below %.2f; emergency alone from %.2f)\n",
           h->emergency_escalate, h->escalate_risky, h->veto,
           h->emergency_alone);

    /* Ranking quality per output (AUC, out of fold). */
    printf("  out-of-fold AUC:");
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        double num = 0, den = 0;
        size_t j;

        for (i = 0; i < n; i++) {
            if (!(ex[i].labels & (1u << o)) || ex[i].train_only) {
                continue;
            }
            for (j = 0; j < n; j++) {
                float a1 = cv.oof[i * CC_RISKML_NOUT + o];
                float b1 = cv.oof[j * CC_RISKML_NOUT + o];

                if ((ex[j].labels & (1u << o)) || ex[j].train_only) {
                    continue;
                }
                den += 1;
                num += a1 > b1 ? 1.0 : a1 == b1 ? 0.5 : 0.0;
            }
        }
        printf(" %s %.3f", cc_riskml_out_names[o], den ? num / den : 0.0);
    }
    printf("\n");

    /* Out-of-fold figures, classifier alone, as cc_risk_assess uses it. */
    langs = apr_array_make(p, 8, sizeof(const char *));
    for (i = 0; i < n; i++) {
        const char *l = APR_ARRAY_IDX(ms, i, tr_msg_t).lang;
        int k, seen = APR_ARRAY_IDX(ms, i, tr_msg_t).ex.train_only;

        for (k = 0; k < langs->nelts; k++) {
            seen |= strcmp(APR_ARRAY_IDX(langs, k, const char *), l) == 0;
        }
        if (!seen) {
            APR_ARRAY_PUSH(langs, const char *) = l;
        }
    }
    printf("  cross-validated (%d folds, out of fold, classifier alone):\n",
           cv.folds);
    for (a = -1; a < langs->nelts; a++) {
        const char *want = a < 0 ? NULL : APR_ARRAY_IDX(langs, a,
                                                         const char *);
        size_t nr = 0, nb = 0, tp = 0, fpos = 0, ne = 0, te = 0;
        size_t cn[CC_RISKML_NOUT] = {0}, ch[CC_RISKML_NOUT] = {0};

        for (i = 0; i < n; i++) {
            const tr_msg_t *m = &APR_ARRAY_IDX(ms, i, tr_msg_t);
            const float *pr = &cv.oof[i * CC_RISKML_NOUT];
            float alone = h->risky_alone > 0.0f
                          ? h->risky_alone : h->threshold[CC_RISKML_RISKY];
            int flag = pr[CC_RISKML_RISKY] >= alone
                       || (pr[CC_RISKML_EMERGENCY] >= h->emergency_escalate
                           && pr[CC_RISKML_RISKY] >= h->escalate_risky);

            if (m->ex.train_only || (want && strcmp(m->lang, want) != 0)) {
                continue;
            }
            if (m->ex.labels & 1u) {
                nr++;
                tp += flag;
            }
            else {
                nb++;
                fpos += flag;
            }
            if (m->ex.labels & (1u << CC_RISKML_EMERGENCY)) {
                ne++;
                te += (pr[CC_RISKML_EMERGENCY]
                       >= h->threshold[CC_RISKML_EMERGENCY]
                       && pr[CC_RISKML_RISKY]
                          >= h->threshold[CC_RISKML_RISKY])
                      || (h->emergency_alone > 0.0f
                          && pr[CC_RISKML_EMERGENCY] >= h->emergency_alone);
            }
            for (o = CC_RISKML_EMERGENCY; o < CC_RISKML_NOUT; o++) {
                if (m->ex.labels & (1u << o)) {
                    cn[o]++;
                    ch[o] += flag && pr[o] >= h->threshold[o];
                }
            }
        }
        printf("    %-4s recall %.3f (%zu/%zu)  FP %.3f (%zu/%zu)  "
               "emergency %.3f (%zu/%zu)\n", want ? want : "all",
               ratio(tp, nr), tp, nr, ratio(fpos, nb), fpos, nb,
               ratio(te, ne), te, ne);
        if (!want) {
            printf("         per output:");
            for (o = CC_RISKML_PREGNANCY; o < CC_RISKML_NOUT; o++) {
                printf(" %s %zu/%zu", cc_riskml_out_names[o], ch[o], cn[o]);
            }
            printf("\n");
        }
        if (a < 0 && langs->nelts == 1) {
            break;
        }
    }
    if (rs) {
        tr_fig_t f;

        printf("  the whole gate (rules IN-SAMPLE where written from the "
               "set; classifier OUT OF FOLD):\n");
        gate_figures(p, rs, vocab, h, ms, cv.oof, 0, NULL, &f,
                     verbose > 1 ? verbose : 0);
        print_fig("rules alone", &f);
        gate_figures(p, rs, vocab, h, ms, cv.oof, 1, NULL, &f, 0);
        print_fig("rules + vocabulary", &f);
        gate_figures(p, rs, vocab, h, ms, cv.oof, 2, NULL, &f, verbose);
        print_fig("rules + vocab + classifier", &f);
        for (a = 2; a < argc; a++) {
            if (strstr(argv[a], ".tsv")) {
                int l;

                for (l = 0; l < 3; l++) {
                    static const char *const nm[3] = {
                        "rules", "rules+vocab", "all three"
                    };

                    gate_figures(p, rs, vocab, h, ms, cv.oof, l, argv[a],
                                 &f, 0);
                    print_fig(apr_psprintf(p, "  %s, %s", nm[l],
                                           strrchr(argv[a], '/')
                                           ? strrchr(argv[a], '/') + 1
                                           : argv[a]), &f);
                }
            }
        }
        for (a = 0; a < langs->nelts; a++) {
            const char *l = APR_ARRAY_IDX(langs, a, const char *);

            gate_figures(p, rs, vocab, h, ms, cv.oof, 2, l, &f, 0);
            print_fig(apr_psprintf(p, "  all three, %s", l), &f);
        }
    }
    apr_pool_destroy(p);
    return 0;
}

/*
 * riskml_train.c - train the risk classifier (build/risk-model.bin).
 *
 *   riskml_train <out.bin> [--vocab risk-vocab.bin] [--bits N]
 *                [--epochs N] [--folds K] [--fp-budget X] <set.tsv> ...
 *
 * Each set is message<TAB>label<TAB>categories[<TAB>lang[<TAB>class]]
 * (tests/eval/risk.tsv's format).  Refuses any file whose name contains
 * "heldout": held-out sets are for the final evaluation only.
 *
 * Prints the cross-validated (out-of-fold) figures of the classifier
 * alone at the chosen thresholds: recall, false positives, emergency
 * recall, per output and per language.  Deterministic (fixed seed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_riskml.h"
#include "cc_vocab.h"
#include "eval_util.h"

typedef struct tr_msg_t {
    cc_riskml_example_t ex;
    const char *lang;
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

static void load(apr_pool_t *p, const char *path, apr_array_header_t *ms)
{
    size_t len, pos = 0;
    char *buf = ev_read_file(p, "riskml_train", path, &len);
    int line = 0;

    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        char *f[5] = {0};
        int nf = 0;
        tr_msg_t *m;
        char *c;

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
        if (*ev_trim(s) == '\0' || *ev_trim(s) == '#') {
            continue;
        }
        f[nf++] = s;
        while (nf < 5 && (c = strchr(f[nf - 1], '\t')) != NULL) {
            *c = '\0';
            f[nf++] = c + 1;
        }
        if (nf < 2) {
            fprintf(stderr, "%s:%d: expected message<TAB>label...\n", path,
                    line);
            exit(2);
        }
        m = apr_array_push(ms);
        memset(m, 0, sizeof(*m));
        m->ex.text = ev_trim(f[0]);
        m->ex.len = strlen(m->ex.text);
        m->lang = (nf >= 4 && *ev_trim(f[3])) ? ev_trim(f[3]) : "?";
        if (strcmp(ev_trim(f[1]), "risky") == 0) {
            m->ex.labels |= 1u << CC_RISKML_RISKY;
        }
        else if (strcmp(ev_trim(f[1]), "benign") != 0) {
            fprintf(stderr, "%s:%d: label must be risky or benign\n", path,
                    line);
            exit(2);
        }
        if (nf >= 3) {
            char *s2 = f[2];

            while (*s2) {
                char *e = strchr(s2, ',');
                size_t n2 = e ? (size_t)(e - s2) : strlen(s2);
                int o;

                while (n2 > 0 && *s2 == ' ') {
                    s2++;
                    n2--;
                }
                while (n2 > 0 && s2[n2 - 1] == ' ') {
                    n2--;
                }
                if (n2 > 0) {
                    o = out_index(s2, n2);
                    if (o < 0) {
                        fprintf(stderr, "%s:%d: unknown category\n", path,
                                line);
                        exit(2);
                    }
                    m->ex.labels |= 1u << o;
                }
                if (!e) {
                    break;
                }
                s2 = e + 1;
            }
        }
    }
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
            m->ex.train_only = 1;
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
    double lang_weight = 1.0;
    FILE *fp;
    struct timespec t0, t1;

    if (argc < 3) {
        fprintf(stderr, "usage: riskml_train <out.bin> [--vocab FILE] "
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
    for (a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--vocab") == 0 && a + 1 < argc) {
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
         * lang_weight times: they are the minority of the data. */
        ex[i].weight = (strcmp(m->lang, "en") != 0
                        && strcmp(m->lang, "?") != 0
                        && strcmp(m->lang, "lex") != 0)
                       ? (float)lang_weight : 1.0f;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cc_riskml_train(&img, &len, p, ex, n, vocab, &opts, &cv)
        != APR_SUCCESS) {
        fprintf(stderr, "riskml_train: training failed\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
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
    printf(" (emergency escalates to risky from %.2f)\n",
           h->emergency_escalate);

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
            int flag = pr[CC_RISKML_RISKY] >= h->threshold[CC_RISKML_RISKY]
                       || pr[CC_RISKML_EMERGENCY] >= h->emergency_escalate;

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
                te += pr[CC_RISKML_EMERGENCY]
                      >= h->threshold[CC_RISKML_EMERGENCY]
                      && pr[CC_RISKML_RISKY]
                         >= h->threshold[CC_RISKML_RISKY];
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
    apr_pool_destroy(p);
    return 0;
}

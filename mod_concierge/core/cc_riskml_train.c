/*
 * cc_riskml_train.c - training the risk classifier: AdaGrad logistic
 * regression per output over the hashed features, k-fold cross-validation
 * to choose the thresholds (leaning to recall), then a final fit on all
 * the examples.  Deterministic: fixed seed, fixed order of operations.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_riskml.h"

typedef struct tr_ex_t {
    cc_riskml_feat_t *f;
    size_t            n;
    unsigned          labels;
    int               train_only;
    float             weight;
} tr_ex_t;

typedef struct tr_ctx_t {
    const cc_riskml_hdr_t *cfg;
    tr_ex_t  *ex;
    size_t    n;
    float    *w;              /* 2^bits * NOUT */
    float    *g;              /* AdaGrad accumulators, same size */
    float     bias[CC_RISKML_NOUT], gb[CC_RISKML_NOUT];
    float     posw[CC_RISKML_NOUT], negw[CC_RISKML_NOUT];
    size_t    nw;
    double    lr, l2;
    float     lexw;             /* weight of a train_only example */
    int       epochs;
} tr_ctx_t;

static uint32_t xs32(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void shuffle(size_t *a, size_t n, uint32_t seed)
{
    uint32_t s = seed ? seed : 1u;
    size_t i;

    for (i = n; i > 1; i--) {
        size_t j = xs32(&s) % i, t = a[i - 1];

        a[i - 1] = a[j];
        a[j] = t;
    }
}

static void predict_ex(const tr_ctx_t *c, const tr_ex_t *e,
                       float p[CC_RISKML_NOUT])
{
    float z[CC_RISKML_NOUT];
    size_t i;
    int o;

    for (o = 0; o < CC_RISKML_NOUT; o++) {
        z[o] = c->bias[o];
    }
    for (i = 0; i < e->n; i++) {
        const float *row = c->w + (size_t)e->f[i].idx * CC_RISKML_NOUT;

        for (o = 0; o < CC_RISKML_NOUT; o++) {
            z[o] += e->f[i].val * row[o];
        }
    }
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        p[o] = 1.0f / (1.0f + expf(-z[o]));
    }
}


/* Fit on the examples listed in idx[0..m). */
static void fit(tr_ctx_t *c, const size_t *idx, size_t m, uint32_t seed)
{
    size_t *ord = malloc((m ? m : 1) * sizeof(*ord));
    size_t i, k, npos[CC_RISKML_NOUT] = {0};
    int ep, o;

    if (!ord) {
        abort();
    }
    memset(c->w, 0, c->nw * sizeof(float));
    memset(c->g, 0, c->nw * sizeof(float));
    for (i = 0; i < m; i++) {
        for (o = 0; o < CC_RISKML_NOUT; o++) {
            npos[o] += (c->ex[idx[i]].labels >> o) & 1u;
        }
    }
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        double pr = m ? (double)(npos[o] + 1) / (double)(m + 2) : 0.5;
        double r = npos[o] ? sqrt((double)(m - npos[o]) / (double)npos[o])
                           : 1.0;

        c->bias[o] = (float)log(pr / (1.0 - pr));
        c->gb[o] = 0.0f;
        c->posw[o] = (float)(r < 1.0 ? 1.0 : r > 4.0 ? 4.0 : r);
        r = r > 0.0 ? 1.0 / r : 1.0;
        c->negw[o] = (float)(r < 1.0 ? 1.0 : r > 4.0 ? 4.0 : r);
    }
    memcpy(ord, idx, m * sizeof(*ord));
    for (ep = 0; ep < c->epochs; ep++) {
        shuffle(ord, m, seed * 2654435761u + (uint32_t)ep + 1u);
        for (k = 0; k < m; k++) {
            const tr_ex_t *e = &c->ex[ord[k]];
            float p[CC_RISKML_NOUT], gr[CC_RISKML_NOUT];

            /* A clinic question teaches the risky and category outputs
             * only (neither the gradient nor the L2 step of the
             * emergency): what an emergency looks like is learned from
             * patient messages alone. */
            int skip = e->train_only == CC_RISKML_TRAIN_QUESTION
                       ? CC_RISKML_EMERGENCY : -1;

            predict_ex(c, e, p);
            for (o = 0; o < CC_RISKML_NOUT; o++) {
                int y = (e->labels >> o) & 1;

                if (o == skip) {
                    gr[o] = 0.0f;
                    continue;
                }
                gr[o] = (p[o] - (float)y) * (y ? c->posw[o] : c->negw[o])
                        * (e->train_only == CC_RISKML_TRAIN_LEXICON
                           ? c->lexw : 1.0f) * e->weight;
                c->gb[o] += gr[o] * gr[o];
                c->bias[o] -= (float)(c->lr * 0.1) * gr[o]
                              / sqrtf(c->gb[o] + 1e-6f);
            }
            for (i = 0; i < e->n; i++) {
                size_t base = (size_t)e->f[i].idx * CC_RISKML_NOUT;
                float v = e->f[i].val;

                for (o = 0; o < CC_RISKML_NOUT; o++) {
                    float *w = &c->w[base + o];
                    float gg = gr[o] * v + (float)c->l2 * *w;

                    if (gg == 0.0f || o == skip) {
                        continue;
                    }
                    c->g[base + o] += gg * gg;
                    *w -= (float)c->lr * gg / sqrtf(c->g[base + o] + 1e-6f);
                }
            }
        }
    }
    free(ord);
}

/* fit() bag times with different example orders and keep the mean of
 * the weights (still one linear model): less of the order's noise. */
static int fit_bag(tr_ctx_t *c, const size_t *idx, size_t m, uint32_t seed,
                   int bag)
{
    float *sw, sb[CC_RISKML_NOUT] = {0};
    size_t i;
    int b, o;

    if (bag <= 1) {
        fit(c, idx, m, seed);
        return 0;
    }
    sw = calloc(c->nw, sizeof(float));
    if (!sw) {
        return -1;
    }
    for (b = 0; b < bag; b++) {
        fit(c, idx, m, seed + (uint32_t)b * 7919u);
        for (i = 0; i < c->nw; i++) {
            sw[i] += c->w[i];
        }
        for (o = 0; o < CC_RISKML_NOUT; o++) {
            sb[o] += c->bias[o];
        }
    }
    for (i = 0; i < c->nw; i++) {
        c->w[i] = sw[i] / (float)bag;
    }
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        c->bias[o] = sb[o] / (float)bag;
    }
    free(sw);
    return 0;
}

/* Thresholds are searched on this grid. */
#define TR_GRID 99

static float th_fp_budget(const float *oof, const tr_ex_t *ex, size_t n,
                          int out, unsigned negmask, double budget,
                          float lo, float hi)
{
    size_t nneg = 0, i;
    int g;

    for (i = 0; i < n; i++) {
        nneg += (ex[i].labels & negmask) == 0 && !ex[i].train_only;
    }
    for (g = 1; g <= TR_GRID; g++) {
        float t = (float)g / 100.0f;
        size_t fp = 0;

        if (t < lo) {
            continue;
        }
        for (i = 0; i < n; i++) {
            if ((ex[i].labels & negmask) == 0 && !ex[i].train_only
                && oof[i * CC_RISKML_NOUT + out] >= t) {
                fp++;
            }
        }
        if ((double)fp <= budget * (double)nneg) {
            return t > hi ? hi : t;
        }
    }
    return hi;
}

static float th_f2(const float *oof, const tr_ex_t *ex, size_t n, int out,
                   float lo, float hi)
{
    float best_t = 0.5f;
    double best = -1.0;
    int g;

    for (g = 1; g <= TR_GRID; g++) {
        float t = (float)g / 100.0f;
        size_t tp = 0, fp = 0, fn = 0, i;
        double f2;

        if (t < lo || t > hi) {
            continue;
        }
        for (i = 0; i < n; i++) {
            int y = (ex[i].labels >> out) & 1;

            if (ex[i].train_only) {
                continue;
            }
            int yh = oof[i * CC_RISKML_NOUT + out] >= t;

            tp += y && yh;
            fp += !y && yh;
            fn += y && !yh;
        }
        f2 = tp ? 5.0 * tp / (5.0 * tp + 4.0 * fn + fp) : 0.0;
        if (f2 > best) {
            best = f2;
            best_t = t;
        }
    }
    return best_t;
}

apr_status_t cc_riskml_train(void **img, size_t *len, apr_pool_t *p,
                             const cc_riskml_example_t *ex, size_t n,
                             const cc_vocab_t *vocab,
                             const cc_riskml_opts_t *opts,
                             cc_riskml_cv_t *cv)
{
    cc_riskml_opts_t o;
    cc_riskml_hdr_t cfg, *h;
    tr_ctx_t c;
    cc_riskml_feat_t *fbuf;
    size_t i, total, *perm, *idx, ns = 0, nt = 0;
    float *oof, *acc = NULL, accb[CC_RISKML_NOUT] = {0};
    int fold, out;
    uint64_t dig = CC_FNV64_INIT;
    char *base;
    cc_risk_lex_t lex;
    const char *why = NULL;
    size_t wend;

    *img = NULL;
    *len = 0;
    if (!ex || n < 4) {
        return APR_EINVAL;
    }
    memset(&o, 0, sizeof(o));
    if (opts) {
        o = *opts;
    }
    o.bits = o.bits ? o.bits : 18;
    o.epochs = o.epochs > 0 ? o.epochs : 8;
    o.lr = o.lr > 0 ? o.lr : 0.5;
    o.l2 = o.l2 > 0 ? o.l2 : 5e-3;
    o.seed = o.seed ? o.seed : 20261207u;
    o.folds = o.folds >= 2 ? o.folds : 5;
    o.fp_budget = o.fp_budget > 0 ? o.fp_budget : 0.08;
    o.emergency_fp_budget = o.emergency_fp_budget > 0
                            ? o.emergency_fp_budget : 0.05;
    o.lexicon_weight = o.lexicon_weight > 0 && o.lexicon_weight <= 1
                       ? o.lexicon_weight : 0.5;
    o.emergency_floor = o.emergency_floor > 0 && o.emergency_floor < 1
                        ? o.emergency_floor : 0.25;
    if (o.bits < 10 || o.bits > 24) {
        return APR_EINVAL;
    }
    if ((size_t)o.folds > n) {
        o.folds = (int)n;
    }

    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.magic, CC_RISKML_MAGIC, 8);
    cfg.version = CC_RISKML_VERSION;
    cfg.hdr_size = sizeof(cfg);
    cfg.bits = o.bits;
    cfg.nout = CC_RISKML_NOUT;
    cfg.features = o.features ? (o.features & CC_RISKML_F_ALL)
                              : CC_RISKML_F_DEFAULT;
    cfg.char_min = o.char_min >= 2 && o.char_min <= 8 ? o.char_min : 3;
    cfg.char_max = o.char_max >= cfg.char_min && o.char_max <= 8
                   ? o.char_max : (cfg.char_min > 4 ? cfg.char_min : 4);
    cfg.char_weight = o.char_weight > 0.0f && o.char_weight <= 4.0f
                      ? o.char_weight : 0.5f;

    /* The concept lexicon travels in the image: checked now, used for
     * the features, copied after the weights. */
    memset(&lex, 0, sizeof(lex));
    if (cfg.features & CC_RISKML_F_CONCEPT) {
        if (!o.lexicon || o.lexicon_len == 0 || o.lexicon_len % 8 != 0
            || !cc_risk_lex_view(&lex, o.lexicon, o.lexicon_len, &why)) {
            return APR_EINVAL;
        }
    }
    else {
        o.lexicon_len = 0;
    }

    /* Features once. */
    memset(&c, 0, sizeof(c));
    c.cfg = &cfg;
    c.n = n;
    c.ex = apr_pcalloc(p, n * sizeof(*c.ex));
    fbuf = malloc(CC_RISKML_MAXFEAT * sizeof(*fbuf));
    if (!fbuf) {
        return APR_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        size_t k = cc_riskml_features(&cfg, vocab,
                                      o.lexicon_len ? &lex : NULL,
                                      ex[i].text, ex[i].len, fbuf,
                                      CC_RISKML_MAXFEAT);

        c.ex[i].f = apr_pmemdup(p, fbuf, (k ? k : 1) * sizeof(*fbuf));
        c.ex[i].n = k;
        c.ex[i].labels = ex[i].labels;
        c.ex[i].train_only = ex[i].train_only;
        c.ex[i].weight = ex[i].weight > 0.0f ? ex[i].weight : 1.0f;
        dig = cc_fnv64(dig, ex[i].text, ex[i].len);
        dig = cc_fnv64(dig, &ex[i].labels, sizeof(ex[i].labels));
        dig = cc_fnv64(dig, &ex[i].train_only, sizeof(ex[i].train_only));
        dig = cc_fnv64(dig, &c.ex[i].weight, sizeof(c.ex[i].weight));
    }
    free(fbuf);
    c.nw = ((size_t)1 << o.bits) * CC_RISKML_NOUT;
    c.g = malloc(c.nw * sizeof(float));
    c.w = malloc(c.nw * sizeof(float));
    if (!c.g || !c.w) {
        free(c.g);
        free(c.w);
        return APR_ENOMEM;
    }
    c.lr = o.lr;
    c.lexw = (float)o.lexicon_weight;
    c.l2 = o.l2;
    c.epochs = o.epochs;

    if (o.average) {
        acc = calloc(c.nw, sizeof(float));
        if (!acc) {
            free(c.g);
            free(c.w);
            return APR_ENOMEM;
        }
    }

    /* k-fold cross-validation: out-of-fold probabilities. */
    perm = apr_palloc(p, n * sizeof(*perm));
    idx = apr_palloc(p, n * sizeof(*idx));
    oof = apr_pcalloc(p, n * CC_RISKML_NOUT * sizeof(float));
    /* Folds over the scored examples alone, shuffled by the seed: adding
     * training-only examples (lexicon entries, clinic questions) does not
     * move a scored message to another fold, so out-of-fold figures with
     * and without them compare the same splits. */
    for (i = 0, ns = 0; i < n; i++) {
        if (!c.ex[i].train_only) {
            perm[ns++] = i;
        }
    }
    shuffle(perm, ns, o.seed);
    for (i = 0; i < n; i++) {
        if (c.ex[i].train_only) {
            perm[ns + nt++] = i;
        }
    }
    for (fold = 0; fold < o.folds; fold++) {
        size_t m = 0;

        for (i = 0; i < n; i++) {
            if (i >= ns || (int)(i % (size_t)o.folds) != fold) {
                idx[m++] = perm[i];
            }
        }
        if (fit_bag(&c, idx, m, o.seed + (uint32_t)fold, o.bag) != 0) {
            free(c.g);
            free(c.w);
            free(acc);
            return APR_ENOMEM;
        }
        if (acc) {
            for (i = 0; i < c.nw; i++) {
                acc[i] += c.w[i];
            }
            for (out = 0; out < CC_RISKML_NOUT; out++) {
                accb[out] += c.bias[out];
            }
        }
        for (i = 0; i < ns; i++) {
            if ((int)(i % (size_t)o.folds) == fold) {
                predict_ex(&c, &c.ex[perm[i]],
                           &oof[perm[i] * CC_RISKML_NOUT]);
            }
        }
    }

    /* Thresholds from the out-of-fold scores. */
    cfg.threshold[CC_RISKML_RISKY] =
        th_fp_budget(oof, c.ex, n, CC_RISKML_RISKY,
                     1u << CC_RISKML_RISKY, o.fp_budget, 0.02f, 0.99f);
    cfg.threshold[CC_RISKML_EMERGENCY] =
        th_fp_budget(oof, c.ex, n, CC_RISKML_EMERGENCY,
                     1u << CC_RISKML_EMERGENCY, o.emergency_fp_budget,
                     (float)o.emergency_floor, 0.98f);
    cfg.emergency_escalate =
        th_fp_budget(oof, c.ex, n, CC_RISKML_EMERGENCY,
                     1u << CC_RISKML_RISKY, o.fp_budget / 2.0, 0.05f,
                     cfg.threshold[CC_RISKML_EMERGENCY]);
    for (out = CC_RISKML_PREGNANCY; out < CC_RISKML_NOUT; out++) {
        cfg.threshold[out] = th_f2(oof, c.ex, n, out, 0.05f, 0.9f);
    }
    /* p(emergency) alone raises an emergency from the lowest threshold
     * (above the agreement one, never below 0.30) at which it raises at
     * most emergency_alone_budget of the benign messages out of fold. */
    if (o.emergency_alone_budget >= 0.0) {
        float lo = cfg.threshold[CC_RISKML_EMERGENCY] > 0.30f
                   ? cfg.threshold[CC_RISKML_EMERGENCY] : 0.30f;

        cfg.emergency_alone =
            th_fp_budget(oof, c.ex, n, CC_RISKML_EMERGENCY,
                         1u << CC_RISKML_RISKY,
                         o.emergency_alone_budget > 0.0
                         ? o.emergency_alone_budget : 0.01, lo, 0.99f);
    }
    /* Escalation by p(emergency) alone also needs p(risky) above half
     * the lowest out-of-fold p(risky) of a risky message it escalates. */
    if (!o.no_escalate_risky) {
        float lo = 1.0f;

        for (i = 0; i < n; i++) {
            const float *q = &oof[i * CC_RISKML_NOUT];

            if (!c.ex[i].train_only
                && (c.ex[i].labels & (1u << CC_RISKML_RISKY))
                && q[CC_RISKML_EMERGENCY] >= cfg.emergency_escalate
                && q[CC_RISKML_RISKY] < lo) {
                lo = q[CC_RISKML_RISKY];
            }
        }
        cfg.escalate_risky = floorf(lo * 50.0f) / 100.0f;
    }
    /* Veto: half the lowest out-of-fold p(risky) of any risky message,
     * on the 0.01 grid, so that it would have vetoed none of them. */
    if (o.veto) {
        float lo = 1.0f;

        for (i = 0; i < n; i++) {
            if (!c.ex[i].train_only
                && (c.ex[i].labels & (1u << CC_RISKML_RISKY))
                && oof[i * CC_RISKML_NOUT + CC_RISKML_RISKY] < lo) {
                lo = oof[i * CC_RISKML_NOUT + CC_RISKML_RISKY];
            }
        }
        cfg.veto = floorf(lo * 50.0f) / 100.0f;
        if (cfg.veto >= cfg.threshold[CC_RISKML_RISKY]) {
            cfg.veto = 0.0f;
        }
    }

    /* Final fit on everything. */
    for (i = 0; i < n; i++) {
        idx[i] = i;
    }
    if (fit_bag(&c, idx, n, o.seed ^ 0x5eedu, o.bag) != 0) {
        free(c.g);
        free(c.w);
        free(acc);
        return APR_ENOMEM;
    }
    if (acc) {
        /* Bagging for free: the mean of the fold models and the full
         * model is still one linear model. */
        float k1 = 1.0f / (float)(o.folds + 1);

        for (i = 0; i < c.nw; i++) {
            c.w[i] = (c.w[i] + acc[i]) * k1;
        }
        for (out = 0; out < CC_RISKML_NOUT; out++) {
            c.bias[out] = (c.bias[out] + accb[out]) * k1;
        }
        free(acc);
    }

    wend = sizeof(cfg) + c.nw * sizeof(float);
    total = wend + o.lexicon_len;
    base = apr_palloc(p, total);
    h = (cc_riskml_hdr_t *)base;
    *h = cfg;
    memcpy(h->bias, c.bias, sizeof(h->bias));
    h->ntrain = (uint32_t)n;
    h->train_digest = dig;
    h->vocab_checksum = cc_vocab_checksum(vocab);
    h->lex_offset = o.lexicon_len ? wend : 0;
    h->lex_size = o.lexicon_len;
    h->total = total;
    memcpy(base + sizeof(cfg), c.w, c.nw * sizeof(float));
    if (o.lexicon_len) {
        memcpy(base + wend, o.lexicon, o.lexicon_len);
    }
    h->checksum = cc_fnv64(CC_FNV64_INIT, base + sizeof(cfg),
                           total - sizeof(cfg));
    free(c.g);
    free(c.w);
    if (cv) {
        cv->oof = oof;
        cv->folds = o.folds;
    }
    *img = base;
    *len = total;
    return APR_SUCCESS;
}

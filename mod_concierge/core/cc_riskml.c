/*
 * cc_riskml.c - the risk classifier's features, image check and
 * inference (training is in cc_riskml_train.c).
 */
#include <math.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_riskml.h"
#include "cc_risk_cues.h"
#include "cc_riskml_int.h"
#include "cc_tok.h"

const char *const cc_riskml_out_names[CC_RISKML_NOUT] = {
    "risky", "emergency", "pregnancy", "allergy", "chronic", "medication",
    "minor", "recent_procedure", "mental_health"
};

struct cc_riskml_t {
    const cc_riskml_hdr_t *hdr;
    const float           *w;
    uint32_t               mask;
    int                    has_lex;
    cc_risk_lex_t          lex;     /* view into the image */
};

#define RM_MAXTERMS   CC_RISKML_MAXTERMS
#define RM_MAXBYTES   CC_RISKML_MAXBYTES
#define RM_NEG_SCOPE  4       /* terms after a negator */
#define RM_CUE_WINDOW 3       /* terms before a medical term */

/* Feature tags (first byte hashed). */
enum { T_UNI = 1, T_BI, T_CHAR, T_NEG, T_VOC, T_NUM, T_CTX, T_CON = 15 };

static inline uint32_t h_start(unsigned tag)
{
    return (2166136261u ^ tag) * 16777619u;
}

static inline uint32_t h_add(uint32_t h, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static inline uint32_t h_fin(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

typedef struct rm_out_t {
    cc_riskml_feat_t *f;
    size_t n, max;
    uint32_t mask;
    int sign;               /* CC_RISKML_F_SIGN */
} rm_out_t;

static inline void emit(rm_out_t *o, uint32_t h, float v)
{
    if (o->n < o->max) {
        uint32_t x = h_fin(h);

        o->f[o->n].idx = x & o->mask;
        /* The top bit (never part of the index: bits <= 24) is the sign. */
        o->f[o->n].val = (o->sign && (x & 0x80000000u)) ? -v : v;
        o->n++;
    }
}

static void emit_str(rm_out_t *o, unsigned tag, const char *s, size_t n,
                     float v)
{
    emit(o, h_add(h_start(tag), s, n), v);
}

size_t cc_riskml_features(const cc_riskml_hdr_t *cfg,
                          const cc_vocab_t *vocab, const cc_risk_lex_t *lex,
                          const char *text, size_t len,
                          cc_riskml_feat_t *out, size_t max)
{
    cc_cue_term_t terms[RM_MAXTERMS];
    size_t nt;

    if (len > RM_MAXBYTES) {
        len = RM_MAXBYTES;
    }
    nt = cc_risk_cue_terms(text, len,
                           (cfg->features & CC_RISKML_F_VOCAB) ? vocab
                                                                : NULL,
                           lex, terms, RM_MAXTERMS);
    return cc_riskml_features_terms(cfg, terms, nt, out, max);
}

size_t cc_riskml_features_terms(const cc_riskml_hdr_t *cfg,
                                const cc_cue_term_t *terms, size_t nt,
                                cc_riskml_feat_t *out, size_t max)
{
    rm_out_t o;
    unsigned fs = cfg->features;
    size_t i, j;
    unsigned allcue = 0;
    uint64_t con = 0;
    int neg_left = 0;
    double ss = 0.0;
    float inv;

    o.f = out;
    o.n = 0;
    o.max = max;
    o.mask = (1u << cfg->bits) - 1u;
    o.sign = (fs & CC_RISKML_F_SIGN) != 0;

    for (i = 0; i < nt; i++) {
        const cc_cue_term_t *t = &terms[i];

        if (t->brk || (t->cue & CC_CUE_CLAUSE)) {
            neg_left = 0;
        }
        if (fs & CC_RISKML_F_UNI) {
            emit_str(&o, T_UNI, t->s, t->n, 1.0f);
        }
        if ((fs & CC_RISKML_F_BI) && i > 0 && !t->brk) {
            uint32_t h = h_add(h_start(T_BI), terms[i - 1].s,
                               terms[i - 1].n);

            h = h_add(h, " ", 1);
            emit(&o, h_add(h, t->s, t->n), 1.0f);
        }
        if ((fs & CC_RISKML_F_XCHAR) && i > 0 && !t->brk
            && !t->digits && !terms[i - 1].digits) {
            /* Character 3..5-grams across the space between two words:
             * the end of one and the start of the next ("ng b" in
             * "swelling but", "e ver" in "face very"). */
            const cc_cue_term_t *q = &terms[i - 1];
            char b[12];
            size_t g;

            for (g = 3; g <= 5; g++) {
                size_t left;

                for (left = 1; left + 1 < g; left++) {
                    size_t right = g - 1 - left;

                    if (left > q->n || right > t->n) {
                        continue;
                    }
                    memcpy(b, q->s + q->n - left, left);
                    b[left] = ' ';
                    memcpy(b + left + 1, t->s, right);
                    emit(&o, h_add(h_start(T_CHAR + (unsigned)(g << 4)),
                                   b, g), cfg->char_weight);
                }
            }
        }
        if ((fs & CC_RISKML_F_NEG) && neg_left > 0) {
            emit_str(&o, T_NEG, t->s, t->n, 1.0f);
        }
        if ((fs & CC_RISKML_F_CHAR) && !t->digits && t->n >= 2) {
            char b[CC_TOK_MAX + 3];
            size_t bn = (size_t)t->n + 2, g;

            b[0] = '<';
            memcpy(b + 1, t->s, t->n);
            b[bn - 1] = '>';
            for (g = cfg->char_min; g <= cfg->char_max; g++) {
                for (j = 0; j + g <= bn; j++) {
                    if (g == bn) {
                        break;    /* the whole word is the unigram */
                    }
                    emit(&o, h_add(h_start(T_CHAR + (unsigned)(g << 4)),
                                   b + j, g), cfg->char_weight);
                }
            }
        }
        if ((fs & CC_RISKML_F_VOCAB) && t->vcls >= 0) {
            int cls = t->vcls;

            {
                unsigned cue = 0;
                char f[16];

                for (j = i; j > 0 && i - j < RM_CUE_WINDOW; j--) {
                    cue |= terms[j - 1].cue;
                    if (terms[j].brk) {
                        break;
                    }
                }
                emit_str(&o, T_VOC, "med", 3, 1.0f);
                f[0] = 'c';
                f[1] = (char)('0' + cls);
                emit_str(&o, T_VOC, f, 2, 1.0f);
                if (neg_left > 0) {
                    emit_str(&o, T_VOC, "neg", 3, 1.0f);
                }
                else {
                    if (cue & (CC_CUE_SELF | CC_CUE_TAKE | CC_CUE_HAVE)) {
                        f[0] = 'p';
                        emit_str(&o, T_VOC, f, 2, 1.0f);
                    }
                    if (cue & CC_CUE_TAKE) {
                        emit_str(&o, T_VOC, "take", 4, 1.0f);
                    }
                    if (cue & CC_CUE_HAVE) {
                        emit_str(&o, T_VOC, "have", 4, 1.0f);
                    }
                    if (cue & CC_CUE_ALLERGY) {
                        emit_str(&o, T_VOC, "allergy", 7, 1.0f);
                    }
                    if (cue & CC_CUE_OTHER) {
                        emit_str(&o, T_VOC, "other", 5, 1.0f);
                    }
                }
            }
        }
        if ((fs & CC_RISKML_F_NUM) && t->digits && t->n <= 3) {
            int v = 0, age = 0;

            for (j = 0; j < t->n; j++) {
                v = v * 10 + (t->s[j] - '0');
            }
            if (i > 0 && (terms[i - 1].cue & CC_CUE_AGE)) {
                age = 1;
            }
            if (i + 1 < nt && (terms[i + 1].cue & CC_CUE_AGE)) {
                age = 1;
            }
            if (i + 2 < nt && (terms[i + 2].cue & CC_CUE_AGE)
                && !terms[i + 1].digits) {
                age = 1;
            }
            if (v >= 10 && v <= 17) {
                emit_str(&o, T_NUM, "teen", 4, 1.0f);
            }
            if (age) {
                emit_str(&o, T_NUM, v < 18 ? "minor" : "adult", 5, 1.0f);
            }
        }
        if ((fs & CC_RISKML_F_CONCEPT) && t->concept >= 0) {
            char f[2];

            f[0] = (char)t->concept;
            f[1] = '!';
            emit_str(&o, T_CON, f, neg_left > 0 ? 2 : 1, 1.0f);
            if (neg_left == 0) {
                con |= (uint64_t)1 << (t->concept & 63);
            }
        }
        if (neg_left > 0) {
            neg_left--;
        }
        if (t->cue & CC_CUE_NEG) {
            neg_left = RM_NEG_SCOPE;
        }
        allcue |= t->cue;
    }
    if (fs & CC_RISKML_F_CTX) {
        static const struct { unsigned bit; const char *name; } ctx[] = {
            {CC_CUE_OTHER, "other"}, {CC_CUE_PAST, "past"},
            {CC_CUE_MODAL, "modal"}, {CC_CUE_NEG, "neg"},
            {CC_CUE_SELF, "self"}, {CC_CUE_TAKE, "take"},
            {CC_CUE_HAVE, "have"}, {CC_CUE_SCHOOL, "school"},
            {CC_CUE_CHILD, "child"}, {CC_CUE_RECENT, "recent"},
            {CC_CUE_SUDDEN, "sudden"},
        };

        for (i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++) {
            if (allcue & ctx[i].bit) {
                emit_str(&o, T_CTX, ctx[i].name, strlen(ctx[i].name), 1.0f);
            }
        }
        if ((allcue & CC_CUE_OTHER) && !(allcue & CC_CUE_SELF)) {
            emit_str(&o, T_CTX, "other-only", 10, 1.0f);
        }
    }
    if ((fs & CC_RISKML_F_CONCEPT) && con) {
        /* Pairs of concepts in the message ("head" + "severe", "mouth" +
         * "swell", "preg" + "thinner") and each with the message's
         * context (someone else, the past, today, suddenly, a child). */
        static const unsigned cbits[] = {
            CC_CUE_SELF, CC_CUE_OTHER, CC_CUE_PAST, CC_CUE_RECENT,
            CC_CUE_SUDDEN, CC_CUE_CHILD, CC_CUE_NEG
        };
        char f[3];
        int a, b;

        for (a = 0; a < 64; a++) {
            if (!((con >> a) & 1u)) {
                continue;
            }
            f[0] = (char)a;
            for (b = a + 1; b < 64; b++) {
                if ((con >> b) & 1u) {
                    f[1] = (char)b;
                    emit_str(&o, T_CON, f, 2, 1.0f);
                }
            }
            f[1] = '@';
            for (j = 0; j < sizeof(cbits) / sizeof(cbits[0]); j++) {
                if (allcue & cbits[j]) {
                    f[2] = (char)j;
                    emit_str(&o, T_CON, f, 3, 1.0f);
                }
            }
        }
    }
    for (i = 0; i < o.n; i++) {
        ss += (double)out[i].val * out[i].val;
    }
    inv = ss > 0.0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (i = 0; i < o.n; i++) {
        out[i].val *= inv;
    }
    return o.n;
}

cc_riskml_t *cc_riskml_attach(apr_pool_t *p, const void *img, size_t len,
                              cc_problem_t *prob)
{
    const cc_riskml_hdr_t *h = img;
    cc_riskml_t *m;
    uint64_t need;
    int o;
    cc_risk_lex_t lex;
    const char *why = NULL;

    if (!img || len < sizeof(*h) || ((uintptr_t)img & 3u) != 0) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image too short or misaligned");
        return NULL;
    }
    if (memcmp(h->magic, CC_RISKML_MAGIC, 8) != 0
        || h->version != CC_RISKML_VERSION || h->hdr_size != sizeof(*h)
        || h->nout != CC_RISKML_NOUT) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: wrong magic, version or outputs");
        return NULL;
    }
    if (h->bits < 10 || h->bits > 24 || h->char_min < 2
        || h->char_max > 8 || h->char_min > h->char_max
        || (h->features & ~CC_RISKML_F_ALL) != 0
        || !(h->char_weight >= 0.0f && h->char_weight <= 4.0f)) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: bad feature configuration");
        return NULL;
    }
    need = (uint64_t)sizeof(*h)
           + ((uint64_t)1 << h->bits) * CC_RISKML_NOUT * sizeof(float);
    /* The lexicon section: right after the weights, with concept
     * features; absent without them. */
    if ((h->features & CC_RISKML_F_CONCEPT)
        ? (h->lex_offset != need || h->lex_size == 0
           || h->lex_size > len || h->lex_size % 8 != 0)
        : (h->lex_offset != 0 || h->lex_size != 0)) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: lexicon section out of bounds");
        return NULL;
    }
    need += h->lex_size;
    if (h->total != len || need != len) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: size %zu, expected %llu", len,
                       (unsigned long long)need);
        return NULL;
    }
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        if (!(h->threshold[o] > 0.0f && h->threshold[o] < 1.0f)
            || !isfinite(h->bias[o])) {
            cc_problem_set(prob, 500, "invalid_model",
                           "model image: bad threshold or bias");
            return NULL;
        }
    }
    if (!(h->emergency_escalate > 0.0f && h->emergency_escalate < 1.0f)
        || !(h->veto >= 0.0f && h->veto < h->threshold[CC_RISKML_RISKY])
        || !(h->risky_alone == 0.0f
             || (h->risky_alone > h->veto && h->risky_alone < 1.0f))
        || !(h->escalate_risky >= 0.0f && h->escalate_risky < 1.0f)
        || !(h->emergency_alone == 0.0f
             || (h->emergency_alone >= h->threshold[CC_RISKML_EMERGENCY]
                 && h->emergency_alone < 1.0f))
        || h->reserved != 0.0f) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: bad escalation threshold");
        return NULL;
    }
    if (cc_fnv64(CC_FNV64_INIT, (const char *)img + sizeof(*h),
                 len - sizeof(*h)) != h->checksum) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: checksum mismatch");
        return NULL;
    }
    memset(&lex, 0, sizeof(lex));
    if (h->lex_size
        && !cc_risk_lex_view(&lex, (const char *)img + h->lex_offset,
                             (size_t)h->lex_size, &why)) {
        cc_problem_set(prob, 500, "invalid_model",
                       "model image: lexicon section: %s", why);
        return NULL;
    }
    m = apr_pcalloc(p, sizeof(*m));
    m->has_lex = h->lex_size != 0;
    m->lex = lex;
    m->hdr = h;
    m->w = (const float *)((const char *)img + sizeof(*h));
    m->mask = (1u << h->bits) - 1u;
    return m;
}

const cc_riskml_hdr_t *cc_riskml_header(const cc_riskml_t *m)
{
    return m ? m->hdr : NULL;
}

const cc_risk_lex_t *cc_riskml_lexicon(const cc_riskml_t *m)
{
    return m && m->has_lex ? &m->lex : NULL;
}

void cc_riskml_predict(const cc_riskml_t *m, const cc_vocab_t *vocab,
                       const char *text, size_t len,
                       float prob[CC_RISKML_NOUT])
{
    cc_cue_term_t terms[RM_MAXTERMS];
    size_t nt;

    if (len > RM_MAXBYTES) {
        len = RM_MAXBYTES;
    }
    nt = cc_risk_cue_terms(text, len,
                           (m->hdr->features & CC_RISKML_F_VOCAB) ? vocab
                                                                   : NULL,
                           cc_riskml_lexicon(m), terms, RM_MAXTERMS);
    cc_riskml_predict_terms(m, terms, nt, prob);
}

/* Four outputs at once.  Each lane does what the scalar loop did (one
 * rounded product, one rounded sum, features in the same order), so the
 * sums are bit for bit the same; they stay in registers instead of
 * going through memory for every feature. */
typedef float rm_v4 __attribute__((vector_size(16)));

#define RM_NV (CC_RISKML_NOUT / 4)      /* whole vectors of outputs */

void cc_riskml_predict_terms(const cc_riskml_t *m,
                             const cc_cue_term_t *terms, size_t nt,
                             float prob[CC_RISKML_NOUT])
{
    cc_riskml_feat_t f[CC_RISKML_MAXFEAT];
    float z[CC_RISKML_NOUT];
    rm_v4 zv[RM_NV > 0 ? RM_NV : 1];
    size_t n, i;
    int o, k;

    for (o = 0; o < CC_RISKML_NOUT; o++) {
        z[o] = m->hdr->bias[o];
    }
    for (k = 0; k < RM_NV; k++) {
        memcpy(&zv[k], &z[4 * k], sizeof(rm_v4));
    }
    n = cc_riskml_features_terms(m->hdr, terms, nt, f, CC_RISKML_MAXFEAT);
    for (i = 0; i < n; i++) {
        const float *row = m->w + (size_t)(f[i].idx & m->mask)
                                  * CC_RISKML_NOUT;
        const float val = f[i].val;
        const rm_v4 vv = { val, val, val, val };

        /* The rows are scattered over megabytes: ask for the one a few
         * features ahead while this one is summed. */
        if (i + 8 < n) {
            const float *ahead = m->w + (size_t)(f[i + 8].idx & m->mask)
                                        * CC_RISKML_NOUT;

            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + CC_RISKML_NOUT - 1);
        }
        for (k = 0; k < RM_NV; k++) {
            rm_v4 w;

            memcpy(&w, row + 4 * k, sizeof(w));
            zv[k] += vv * w;
        }
        for (o = 4 * RM_NV; o < CC_RISKML_NOUT; o++) {
            z[o] += val * row[o];
        }
    }
    for (k = 0; k < RM_NV; k++) {
        memcpy(&z[4 * k], &zv[k], sizeof(rm_v4));
    }
    for (o = 0; o < CC_RISKML_NOUT; o++) {
        prob[o] = 1.0f / (1.0f + expf(-z[o]));
    }
}

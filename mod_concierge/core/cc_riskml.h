/*
 * cc_riskml.h - the risk classifier: one-vs-rest logistic regression over
 * hashed features of a patient message.
 *
 * Features (all folded by cc_tok, so case and accents never matter), each
 * hashed into 2^bits buckets:
 *   - word unigrams and bigrams;
 *   - character 3..4-grams inside each word, boundary-marked ("<ana",
 *     "xis>"): they carry cognates across languages ("anafilaxia",
 *     "anaphylaxie") and misspellings ("pregant");
 *   - the word again, marked as negated, when a negator ("no", "pas",
 *     "kein", ...) precedes it in its clause;
 *   - vocabulary features (cc_vocab): a medical term is present, its class,
 *     and whether a patient cue ("I", "my", "taking", "on", "diagnosed",
 *     "tengo", "ich nehme", ...) comes just before it;
 *   - number features: a number 1..17 (or 18+) next to an age word;
 *   - context features of the whole message, language-independent through
 *     the cue lists (cc_risk_cues.c): about someone else ("my husband"),
 *     the past ("years ago", "hace", "geleden"), a modal question, a
 *     negation, first person, school and children (minors), "yesterday /
 *     today" and "suddenly" (onset);
 *   - concepts (cc_risk_concept, cc_risk_lexicon.h): word classes with one
 *     meaning across the eight languages, from the data files
 *     conf/risk-lexicon/<lang>.txt compiled into the image ("head": head,
 *     cabeza, tete, kopf, hoofd, glowa;
 *     "severe", "onset", "breath", "bleed", "swell", "preg", "thinner",
 *     ...): each concept, negated or not, every pair of concepts in the
 *     message ("head" + "severe") and each with the message context
 *     (self, someone else, the past, today, suddenly, a child, a
 *     negation).  What one language teaches, the others share.
 * Hashing is signed (a hash bit gives each feature the sign of its
 * value), so colliding features cancel on average instead of adding up.
 * The feature vector is L2-normalised, so long and short messages score
 * alike.
 *
 * Outputs (cc_riskml_out_e): risky, emergency and the seven patient
 * categories.  Thresholds are chosen by the trainer by k-fold
 * cross-validation on the training data only, leaning to recall; they
 * travel in the image with the weights.
 *
 * Image layout (host byte order; the trainer and the reader are the same
 * machine type):
 *
 *   +------------------------------+ 0
 *   | cc_riskml_hdr_t              |  magic "CCRISKM1", version, feature
 *   |                              |  config, thresholds, biases, digests,
 *   |                              |  FNV-1a 64 checksum of the weights
 *   +------------------------------+ sizeof(hdr) (a multiple of 8)
 *   | float w[2^bits][nout]        |  one row of nout weights per bucket
 *   +------------------------------+ lex_offset (a multiple of 8)
 *   | concept lexicon section      |  cc_risk_lexicon.h: the concepts and
 *   |                              |  their stems the model was trained
 *   |                              |  with (only with CC_RISKML_F_CONCEPT)
 *   +------------------------------+ total = lex_offset + lex_size
 */
#ifndef CC_RISKML_H
#define CC_RISKML_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"
#include "cc_vocab.h"
#include "cc_risk_lexicon.h"

#define CC_RISKML_MAGIC   "CCRISKM1"
#define CC_RISKML_VERSION 4u   /* 4: the concept lexicon in the image */

typedef enum {
    CC_RISKML_RISKY = 0,
    CC_RISKML_EMERGENCY,
    CC_RISKML_PREGNANCY,
    CC_RISKML_ALLERGY,
    CC_RISKML_CHRONIC,
    CC_RISKML_MEDICATION,
    CC_RISKML_MINOR,
    CC_RISKML_RECENT_PROCEDURE,
    CC_RISKML_MENTAL_HEALTH,
    CC_RISKML_NOUT
} cc_riskml_out_e;

extern const char *const cc_riskml_out_names[CC_RISKML_NOUT];

/* Feature groups (cc_riskml_hdr_t.features). */
#define CC_RISKML_F_UNI    0x01u
#define CC_RISKML_F_BI     0x02u
#define CC_RISKML_F_CHAR   0x04u
#define CC_RISKML_F_NEG    0x08u
#define CC_RISKML_F_VOCAB  0x10u
#define CC_RISKML_F_NUM    0x20u
#define CC_RISKML_F_CTX    0x40u   /* message context: someone else, the
                                      past, a question, a negation */
#define CC_RISKML_F_SIGN   0x80u   /* signed hashing: a hash bit gives
                                      each feature the sign of its value,
                                      so collisions cancel on average */
#define CC_RISKML_F_XCHAR  0x100u  /* character n-grams across a word
                                      boundary ("d w" in "bleed wont") */
#define CC_RISKML_F_CONCEPT 0x200u /* concepts across the languages
                                      (cc_risk_concept): each, negated,
                                      pairs in the message, and with the
                                      message context */
#define CC_RISKML_F_ALL    0x3ffu
#define CC_RISKML_F_DEFAULT 0x2ffu /* all but XCHAR (no measured gain) */

typedef struct cc_riskml_hdr_t {
    char     magic[8];
    uint32_t version;
    uint32_t hdr_size;          /* sizeof(cc_riskml_hdr_t) */
    uint32_t bits;              /* 2^bits buckets, 10..24 */
    uint32_t nout;              /* CC_RISKML_NOUT */
    uint32_t features;          /* CC_RISKML_F_* */
    uint32_t char_min, char_max;/* character n-gram sizes */
    float    char_weight;       /* value of one character n-gram */
    float    threshold[CC_RISKML_NOUT]; /* decision per output; an
                                   emergency needs p(emergency) and
                                   p(risky) above theirs */
    float    emergency_escalate;/* p(emergency) above this (and below the
                                   high threshold) still escalates: risky */
    float    bias[CC_RISKML_NOUT];
    uint32_t ntrain;            /* training messages */
    float    veto;              /* p(risky) below this, with p(emergency)
                                   below its escalation threshold, vetoes
                                   the rules' and the vocabulary's
                                   matches when none is an emergency;
                                   chosen out of fold below every risky
                                   training message; 0: never */
    float    risky_alone;       /* p(risky) at which the classifier alone
                                   makes a message risky (with the rules
                                   present; threshold[RISKY] is still the
                                   one an emergency needs); 0: the same as
                                   threshold[RISKY] */
    float    escalate_risky;    /* p(risky) that escalation by p(emergency)
                                   alone also needs: half the lowest
                                   out-of-fold p(risky) of a risky message
                                   escalated so; 0: none */
    float    emergency_alone;   /* p(emergency) at which the classifier
                                   raises an emergency without p(risky)
                                   (not on a question about nobody in
                                   particular); chosen out of fold within
                                   a budget of benign messages; 0: never */
    float    reserved;          /* 0 */
    uint64_t train_digest;      /* FNV-1a 64 of the training texts+labels */
    uint64_t vocab_checksum;    /* vocabulary trained with (0: none) */
    uint64_t lex_offset;        /* concept lexicon section (version 4): */
    uint64_t lex_size;          /* after the weights; 0 without concepts */
    uint64_t total;             /* image size in bytes */
    uint64_t checksum;          /* FNV-1a 64 of bytes [hdr_size, total):
                                   the weights and the lexicon */
} cc_riskml_hdr_t;

typedef struct cc_riskml_t cc_riskml_t;

/* Validate img[0..len) and return a handle borrowing it (img must stay
 * valid and 4-byte aligned).  NULL with prob set ("invalid_model") on a
 * wrong magic, version, size, configuration or checksum, or a lexicon
 * section out of bounds, unsorted or damaged (cc_risk_lex_view). */
cc_riskml_t *cc_riskml_attach(apr_pool_t *p, const void *img, size_t len,
                              cc_problem_t *prob);

const cc_riskml_hdr_t *cc_riskml_header(const cc_riskml_t *m);

/* The concept lexicon the model was trained with (in the image); NULL
 * for a model without concept features (or m NULL). */
const cc_risk_lex_t *cc_riskml_lexicon(const cc_riskml_t *m);

/* Probabilities for text[0..len) (any bytes; the first 4 KiB are read).
 * vocab may be NULL (vocabulary features absent).  Thread-safe, no
 * allocation, a few microseconds. */
void cc_riskml_predict(const cc_riskml_t *m, const cc_vocab_t *vocab,
                       const char *text, size_t len,
                       float prob[CC_RISKML_NOUT]);

/* ---- training (tools/riskml_train.c and the unit tests) ---- */

/* Training-only examples (cc_riskml_example_t.train_only; 0: a scored
 * message): a lexicon entry counts lexicon_weight; a clinic question
 * counts its weight and never trains the emergency output. */
#define CC_RISKML_TRAIN_LEXICON  1
#define CC_RISKML_TRAIN_QUESTION 2

typedef struct cc_riskml_example_t {
    const char *text;
    size_t      len;
    unsigned    labels;          /* bit per cc_riskml_out_e */
    int         train_only;      /* CC_RISKML_TRAIN_*: always in the
                                    training folds, never scored out of
                                    fold nor used to choose thresholds */
    float       weight;          /* of its gradient; 0 counts as 1 */
} cc_riskml_example_t;

typedef struct cc_riskml_opts_t {
    unsigned bits;               /* 0: 18 */
    int      epochs;             /* 0: 8 */
    double   lr;                 /* AdaGrad step, 0: 0.5 */
    double   l2;                 /* 0: 5e-3 (5-fold CV, 1e-6..1e-1) */
    uint32_t seed;               /* 0: 20261207 */
    int      folds;              /* cross-validation folds, 0: 5 */
    double   fp_budget;          /* benign flagged risky, out of fold,
                                    0: 0.08 */
    double   emergency_fp_budget;/* non-emergencies raised to emergency
                                    out of fold, 0: 0.05 */
    double   emergency_floor;    /* the emergency threshold never goes
                                    below this, 0: 0.25 */
    double   lexicon_weight;     /* of a train_only example, 0: 0.5 */
    int      average;            /* 1: the image holds the mean of the
                                    fold models and the full model */
    unsigned features;           /* CC_RISKML_F_*, 0: CC_RISKML_F_DEFAULT */
    float    char_weight;        /* 0: 0.5 */
    unsigned char_min, char_max; /* character n-gram sizes, 0: 3..4 */
    int      veto;               /* 1: choose the veto threshold (below
                                    every risky message's out-of-fold
                                    p(risky), halved); 0: no veto */
    int      no_escalate_risky;  /* 1: escalation needs no p(risky) */
    int      bag;                /* fits per model, weights averaged (each
                                    with its own example order), 0: 1 */
    double   emergency_alone_budget; /* benign messages p(emergency) alone
                                    may raise out of fold, 0: 0.01;
                                    negative: no emergency_alone */
    const void *lexicon;         /* compiled concept lexicon
                                    (cc_risk_lex_compile), copied into the
                                    image; required with
                                    CC_RISKML_F_CONCEPT */
    size_t   lexicon_len;
} cc_riskml_opts_t;

/* Out-of-fold predictions from the cross-validation (thresholds are
 * chosen from them); oof[i * CC_RISKML_NOUT + o] (0 for train_only
 * examples). */
typedef struct cc_riskml_cv_t {
    float   *oof;                /* allocated from p */
    int      folds;
} cc_riskml_cv_t;

/* Cross-validate (choosing the thresholds), then train on all n examples
 * and write the image (allocated from p), the lexicon of opts with it.
 * vocab may be NULL.  APR_EINVAL when concept features are asked for
 * without a valid lexicon.
 * Deterministic for the same examples, options and vocabulary.  cv may
 * be NULL. */
apr_status_t cc_riskml_train(void **img, size_t *len, apr_pool_t *p,
                             const cc_riskml_example_t *ex, size_t n,
                             const cc_vocab_t *vocab,
                             const cc_riskml_opts_t *opts,
                             cc_riskml_cv_t *cv);

/* Internal to the classifier and its trainer: the hashed feature vector
 * of a message.  Returns the number of features written (at most max),
 * L2-normalised values. */
typedef struct cc_riskml_feat_t {
    uint32_t idx;
    float    val;
} cc_riskml_feat_t;

size_t cc_riskml_features(const cc_riskml_hdr_t *cfg,
                          const cc_vocab_t *vocab, const cc_risk_lex_t *lex,
                          const char *text, size_t len,
                          cc_riskml_feat_t *out, size_t max);

#define CC_RISKML_MAXFEAT 4096

#endif

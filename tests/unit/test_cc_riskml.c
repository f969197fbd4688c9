/* Unit tests: cc_riskml (a tiny model trained here: determinism,
 * predictions, attach refusing truncated, corrupted and wrong-magic
 * images) and cc_risk_assess (rules, vocabulary and classifier combined;
 * sources; nothing clears a rule's emergency; arbitrary bytes; threads
 * sharing one ruleset, vocabulary and model). */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_risk.h"
#include "cc_risk_cues.h"
#include "cc_risk_lexicon.h"
#include "cc_riskml.h"
#include "cc_riskml_int.h"
#include "cc_vocab.h"
#include "corpus.h"
#include "suites.h"

#define RISKY (1u << CC_RISKML_RISKY)
#define EMERG (1u << CC_RISKML_EMERGENCY)
#define PREG  (1u << CC_RISKML_PREGNANCY)
#define MED   (1u << CC_RISKML_MEDICATION)
#define CHRON (1u << CC_RISKML_CHRONIC)

static const struct {
    const char *text;
    unsigned labels;
} train_set[] = {
    {"im pregnant can i have botox", RISKY | PREG},
    {"i am 12 weeks pregnant is filler ok", RISKY | PREG},
    {"estoy embarazada puedo hacerme botox", RISKY | PREG},
    {"je suis enceinte est ce possible", RISKY | PREG},
    {"we are expecting a baby, lip filler ok?", RISKY | PREG},
    {"pregnant with twins, can i get a peel", RISKY | PREG},
    {"i take warfarin every day", RISKY | MED},
    {"im on blood thinners, is that a problem", RISKY | MED},
    {"i take isotretinoin for acne", RISKY | MED},
    {"nehme blutverdunner seit jahren", RISKY | MED},
    {"i have lupus and psoriasis", RISKY | CHRON},
    {"diagnosed with diabetes last year", RISKY | CHRON},
    {"my face is drooping and i cant lift my arm", RISKY | EMERG},
    {"my lips are swelling and i cant breathe", RISKY | EMERG},
    {"skin turned white and purple after filler and it hurts",
     RISKY | EMERG},
    {"no puedo respirar, mi lengua se hincha", RISKY | EMERG},
    {"how much is lip filler", 0},
    {"what are your opening hours on saturday", 0},
    {"can i book botox for next tuesday", 0},
    {"do you do laser hair removal on legs", 0},
    {"cuanto cuesta el botox", 0},
    {"quels sont vos horaires", 0},
    {"is parking available near the clinic", 0},
    {"how long does a hydrafacial take", 0},
    {"can i pay by card", 0},
    {"what is the price of a chemical peel", 0},
    {"i would like to book a consultation", 0},
    {"do you offer gift vouchers", 0},
};
#define NTRAIN (sizeof(train_set) / sizeof(train_set[0]))

static const char *const vocab_terms[] = {
    "warfarin", "psoriasis", "appendectomy", "lupus", "isotretinoin",
    "methotrexate",
};

static cc_vocab_t *tiny_vocab(apr_pool_t *p)
{
    void *img;
    size_t len;
    cc_vocab_t *v;

    ck_assert_int_eq(cc_vocab_build(&img, &len, p, vocab_terms, NULL,
                                    sizeof(vocab_terms)
                                    / sizeof(vocab_terms[0])),
                     APR_SUCCESS);
    v = cc_vocab_attach(p, img, len, NULL);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* The shipped concept lexicon (conf/risk-lexicon), compiled. */
static void *shipped_lexicon(apr_pool_t *p, size_t *len)
{
    static const char *const roots[] = { "", "../", "../../" };
    static const char *const files[] = {
        "all", "en", "es", "fr", "de", "it", "pt", "nl", "pl"
    };
    cc_risk_lex_src_t src[sizeof(files) / sizeof(files[0])];
    cc_problem_t prob;
    const char *root = NULL;
    char *ct = NULL;
    size_t cl = 0, i;
    void *sec = NULL;

    for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !ct; i++) {
        root = roots[i];
        ct = corpus_slurp(p, apr_pstrcat(p, root,
                                         "conf/risk-lexicon/concepts.txt",
                                         NULL), &cl);
    }
    ck_assert_msg(ct != NULL, "conf/risk-lexicon/concepts.txt not found");
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        src[i].name = apr_pstrcat(p, root, "conf/risk-lexicon/", files[i],
                                  ".txt", NULL);
        src[i].text = corpus_slurp(p, src[i].name, &src[i].len);
        ck_assert_msg(src[i].text != NULL, "%s not found", src[i].name);
    }
    memset(&prob, 0, sizeof(prob));
    ck_assert_msg(cc_risk_lex_compile(&sec, len, p, ct, cl, src, i, &prob)
                  == APR_SUCCESS, "lexicon: %s", prob.message);
    return sec;
}

static void *tiny_model_img(apr_pool_t *p, const cc_vocab_t *v,
                            size_t *len)
{
    cc_riskml_example_t ex[NTRAIN];
    cc_riskml_opts_t o;
    void *img = NULL;
    size_t i;

    memset(ex, 0, sizeof(ex));
    for (i = 0; i < NTRAIN; i++) {
        ex[i].text = train_set[i].text;
        ex[i].len = strlen(train_set[i].text);
        ex[i].labels = train_set[i].labels;
        ex[i].train_only = 0;
    }
    memset(&o, 0, sizeof(o));
    o.bits = 12;
    o.folds = 4;
    o.epochs = 20;
    o.lexicon = shipped_lexicon(p, &o.lexicon_len);
    ck_assert_int_eq(cc_riskml_train(&img, len, p, ex, NTRAIN, v, &o, NULL),
                     APR_SUCCESS);
    return img;
}

START_TEST(test_riskml_train_predict)
{
    apr_pool_t *p = corpus_pool();
    cc_vocab_t *v = tiny_vocab(p);
    size_t len, len2, i;
    void *img = tiny_model_img(p, v, &len);
    void *img2 = tiny_model_img(p, v, &len2);
    cc_riskml_t *m = cc_riskml_attach(p, img, len, NULL);
    const cc_riskml_hdr_t *h;
    float pr[CC_RISKML_NOUT], pb[CC_RISKML_NOUT];
    double pos = 0, neg = 0;
    int npos = 0, nneg = 0, o;

    ck_assert_ptr_nonnull(m);
    /* Deterministic: the same data gives the same bytes. */
    ck_assert_uint_eq(len, len2);
    ck_assert_int_eq(memcmp(img, img2, len), 0);
    h = cc_riskml_header(m);
    ck_assert_uint_eq(h->bits, 12);
    ck_assert_uint_eq(h->ntrain, NTRAIN);
    ck_assert(h->vocab_checksum == cc_vocab_checksum(v));
    ck_assert(h->threshold[CC_RISKML_EMERGENCY] >= 0.25f);
    ck_assert(h->emergency_escalate <= h->threshold[CC_RISKML_EMERGENCY]);
    /* On its own training data it separates risky from benign. */
    for (i = 0; i < NTRAIN; i++) {
        cc_riskml_predict(m, v, train_set[i].text, strlen(train_set[i].text),
                          pr);
        for (o = 0; o < CC_RISKML_NOUT; o++) {
            ck_assert(pr[o] >= 0.0f && pr[o] <= 1.0f);
        }
        if (train_set[i].labels & RISKY) {
            pos += pr[CC_RISKML_RISKY];
            npos++;
        }
        else {
            neg += pr[CC_RISKML_RISKY];
            nneg++;
        }
    }
    ck_assert_msg(pos / npos > neg / nneg + 0.3, "risky %.2f benign %.2f",
                  pos / npos, neg / nneg);
    /* Character n-grams carry a misspelling. */
    cc_riskml_predict(m, v, "im pregant", 10, pr);
    cc_riskml_predict(m, v, "opening hours", 13, pb);
    ck_assert(pr[CC_RISKML_PREGNANCY] > pb[CC_RISKML_PREGNANCY]);
    /* Empty, NULL text. */
    cc_riskml_predict(m, v, "", 0, pr);
    cc_riskml_predict(m, NULL, NULL, 0, pr);
    ck_assert(pr[0] >= 0.0f && pr[0] <= 1.0f);
    /* Too few examples, bad options. */
    {
        cc_riskml_example_t one = {"x", 1, RISKY, 0};
        cc_riskml_opts_t o2;
        void *bad;
        size_t bl;

        ck_assert_int_ne(cc_riskml_train(&bad, &bl, p, &one, 1, NULL, NULL,
                                         NULL), APR_SUCCESS);
        memset(&o2, 0, sizeof(o2));
        o2.bits = 30;
        ck_assert_int_ne(cc_riskml_train(&bad, &bl, p, &one, 1, NULL, &o2,
                                         NULL), APR_SUCCESS);
    }
    /* Concept features need a lexicon; without them the image has
     * none. */
    {
        cc_riskml_example_t ex[NTRAIN];
        cc_riskml_opts_t o2;
        cc_riskml_t *m2;
        void *im;
        size_t il;

        memset(ex, 0, sizeof(ex));
        for (i = 0; i < NTRAIN; i++) {
            ex[i].text = train_set[i].text;
            ex[i].len = strlen(train_set[i].text);
            ex[i].labels = train_set[i].labels;
        }
        memset(&o2, 0, sizeof(o2));
        o2.bits = 10;
        o2.folds = 2;
        ck_assert_int_eq(cc_riskml_train(&im, &il, p, ex, NTRAIN, NULL, &o2,
                                         NULL), APR_EINVAL);
        o2.features = CC_RISKML_F_DEFAULT & ~CC_RISKML_F_CONCEPT;
        ck_assert_int_eq(cc_riskml_train(&im, &il, p, ex, NTRAIN, NULL, &o2,
                                         NULL), APR_SUCCESS);
        m2 = cc_riskml_attach(p, im, il, NULL);
        ck_assert_ptr_nonnull(m2);
        ck_assert_ptr_null(cc_riskml_lexicon(m2));
        ck_assert_uint_eq(cc_riskml_header(m2)->lex_size, 0);
        cc_riskml_predict(m2, NULL, "my face is drooping", 19, pr);
        ck_assert(pr[0] >= 0.0f && pr[0] <= 1.0f);
    }
    /* The image carries the lexicon it was trained with. */
    ck_assert_ptr_nonnull(cc_riskml_lexicon(m));
    ck_assert_uint_eq(h->lex_offset + h->lex_size, len);
    {
        size_t ll;
        void *lex = shipped_lexicon(p, &ll);

        ck_assert_uint_eq(h->lex_size, ll);
        ck_assert_int_eq(memcmp((char *)img + h->lex_offset, lex, ll), 0);
    }
    apr_pool_destroy(p);
}
END_TEST

/* Clinic questions (CC_RISKML_TRAIN_QUESTION) teach the risky and
 * category outputs that a question is benign, never the emergency output,
 * and are never scored out of fold.  The contrast: the same benign copies
 * of an emergency message as lexicon entries (CC_RISKML_TRAIN_LEXICON),
 * which train every output, pull p(emergency) down; as questions they
 * leave it alone.  Returns p(emergency) of that message. */
static float q_model(apr_pool_t *p, const cc_vocab_t *v, int kind,
                     cc_riskml_cv_t *cv)
{
    enum { NQ = 24 };
    static const char q[] = "my lips are swelling and i cant breathe";
    cc_riskml_example_t ex[NTRAIN + NQ];
    cc_riskml_opts_t o;
    cc_riskml_t *m;
    float pp[CC_RISKML_NOUT];
    void *img = NULL;
    size_t len, i, n = kind ? NTRAIN + NQ : NTRAIN;

    memset(ex, 0, sizeof(ex));
    for (i = 0; i < NTRAIN; i++) {
        ex[i].text = train_set[i].text;
        ex[i].len = strlen(train_set[i].text);
        ex[i].labels = train_set[i].labels;
    }
    for (; i < NTRAIN + NQ; i++) {
        ex[i].text = q;
        ex[i].len = sizeof(q) - 1;
        ex[i].labels = 0;
        ex[i].train_only = kind;
        ex[i].weight = 1.0f;
    }
    memset(&o, 0, sizeof(o));
    o.bits = 12;
    o.folds = 4;
    o.epochs = 20;
    o.lexicon_weight = 1.0;
    o.lexicon = shipped_lexicon(p, &o.lexicon_len);
    ck_assert_int_eq(cc_riskml_train(&img, &len, p, ex, n, v, &o, cv),
                     APR_SUCCESS);
    m = cc_riskml_attach(p, img, len, NULL);
    ck_assert_ptr_nonnull(m);
    cc_riskml_predict(m, v, q, sizeof(q) - 1, pp);
    if (cv && kind) {
        for (i = NTRAIN; i < n; i++) {
            int out;

            for (out = 0; out < CC_RISKML_NOUT; out++) {
                ck_assert(cv->oof[i * CC_RISKML_NOUT + out] == 0.0f);
            }
        }
    }
    return pp[CC_RISKML_EMERGENCY];
}

START_TEST(test_riskml_questions)
{
    apr_pool_t *p = corpus_pool();
    cc_vocab_t *v = tiny_vocab(p);
    cc_riskml_cv_t cv0, cv2;
    float e0, e1, e2;
    size_t i;

    memset(&cv0, 0, sizeof(cv0));
    memset(&cv2, 0, sizeof(cv2));
    e0 = q_model(p, v, 0, &cv0);
    e1 = q_model(p, v, CC_RISKML_TRAIN_LEXICON, NULL);
    e2 = q_model(p, v, CC_RISKML_TRAIN_QUESTION, &cv2);
    /* As lexicon entries the benign copies unteach the emergency; as
     * questions they do not. */
    ck_assert_msg(e1 < e0 - 0.2f, "lexicon copies: p(emergency) %.2f -> %.2f",
                  e0, e1);
    ck_assert_msg(e2 > e1 + 0.2f && e2 > e0 - 0.1f,
                  "question copies: p(emergency) %.2f, lexicon %.2f, none "
                  "%.2f", e2, e1, e0);
    /* Every scored message is scored out of fold, with or without the
     * questions (which join every fold's training data). */
    for (i = 0; i < NTRAIN; i++) {
        ck_assert(cv0.oof[i * CC_RISKML_NOUT] > 0.0f);
        ck_assert(cv2.oof[i * CC_RISKML_NOUT] > 0.0f);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_riskml_refuses)
{
    apr_pool_t *p = corpus_pool();
    size_t len, i;
    char *img = tiny_model_img(p, NULL, &len), *copy;
    cc_problem_t prob;
    cc_riskml_hdr_t *h;

    copy = apr_palloc(p, len);
    ck_assert_ptr_null(cc_riskml_attach(p, NULL, 0, NULL));
    /* Truncated anywhere. */
    for (i = 0; i < len; i += (i < 512 ? 1 : 4093)) {
        memcpy(copy, img, i);
        ck_assert_msg(cc_riskml_attach(p, copy, i, NULL) == NULL, "%zu", i);
    }
    ck_assert_ptr_null(cc_riskml_attach(p, img, len - 1, NULL));
    /* Wrong magic. */
    memcpy(copy, img, len);
    memcpy(copy, "CCVOCAB1", 8);
    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, &prob));
    ck_assert_str_eq(prob.code, "invalid_model");
    /* Header fields out of range. */
    h = (cc_riskml_hdr_t *)copy;
    memcpy(copy, img, len);
    h->bits = 40;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    memcpy(copy, img, len);
    h->threshold[CC_RISKML_RISKY] = NAN;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    memcpy(copy, img, len);
    h->nout = 3;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    /* An image of the previous layout (version 2: unsigned hashing, no
     * concept features) means other weights: refused. */
    memcpy(copy, img, len);
    h->version = CC_RISKML_VERSION - 1;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    memcpy(copy, img, len);
    h->features = CC_RISKML_F_ALL + 1;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    /* p(emergency) alone below the agreement threshold, or the reserved
     * field set. */
    memcpy(copy, img, len);
    h->emergency_alone = h->threshold[CC_RISKML_EMERGENCY] / 2.0f;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    memcpy(copy, img, len);
    h->reserved = 1.0f;
    ck_assert_ptr_null(cc_riskml_attach(p, copy, len, NULL));
    /* A corrupted weight: checksum. */
    for (i = sizeof(cc_riskml_hdr_t); i < len; i += 1021) {
        memcpy(copy, img, len);
        copy[i] ^= 0x10;
        ck_assert_msg(cc_riskml_attach(p, copy, len, NULL) == NULL, "%zu",
                      i);
    }
    ck_assert_ptr_nonnull(cc_riskml_attach(p, img, len, NULL));
    apr_pool_destroy(p);
}
END_TEST

/* Rewrite the checksum of an image whose bytes were changed, so that
 * only the lexicon checks stand between it and attach. */
static void reseal(char *img, size_t len)
{
    cc_riskml_hdr_t *h = (cc_riskml_hdr_t *)img;

    h->checksum = cc_fnv64(CC_FNV64_INIT, img + sizeof(*h),
                           len - sizeof(*h));
}

/* attach refuses a damaged lexicon section even under a valid checksum:
 * out of bounds, unsorted, unfolded, a concept or index out of range. */
START_TEST(test_riskml_lexicon_refuses)
{
    apr_pool_t *p = corpus_pool();
    size_t len, i;
    char *img = tiny_model_img(p, NULL, &len), *copy;
    cc_riskml_hdr_t *h;
    cc_risk_lex_hdr_t *lh;
    cc_risk_lex_stem_t *st;
    cc_problem_t prob;
    cc_risk_lex_t lx;
    const char *why;
    char *text;

    copy = apr_palloc(p, len);
    h = (cc_riskml_hdr_t *)copy;
#define RESET() (memcpy(copy, img, len), \
                 lh = (cc_risk_lex_hdr_t *)(copy + h->lex_offset), \
                 st = (cc_risk_lex_stem_t *)(copy + h->lex_offset \
                      + sizeof(*lh) + lh->nconcepts * CC_RISK_LEX_NAMELEN), \
                 text = (char *)(st + lh->nstems))
#define REFUSED(what) do { \
        reseal(copy, len); \
        memset(&prob, 0, sizeof(prob)); \
        ck_assert_msg(cc_riskml_attach(p, copy, len, &prob) == NULL, what); \
        ck_assert_str_eq(prob.code, "invalid_model"); \
    } while (0)

    RESET();
    reseal(copy, len);
    ck_assert_ptr_nonnull(cc_riskml_attach(p, copy, len, NULL));
    ck_assert(cc_risk_lex_view(&lx, copy + h->lex_offset, h->lex_size,
                               &why));
    ck_assert_uint_gt(lh->nstems, 800);
    /* The section's place and size in the model header. */
    RESET(); h->lex_offset += 8; REFUSED("offset");
    RESET(); h->lex_size -= 8; REFUSED("size");
    RESET(); h->lex_size = 0; h->lex_offset = 0; REFUSED("missing");
    /* Its own header. */
    RESET(); lh->magic[0] = 'X'; REFUSED("magic");
    RESET(); lh->nconcepts = 65; REFUSED("too many concepts");
    RESET(); lh->nstems++; REFUSED("count");
    RESET(); lh->textlen += 8; REFUSED("text length");
    RESET(); lh->size -= 8; REFUSED("section size");
    RESET(); lh->first[3]++; REFUSED("first-letter index");
    RESET(); lh->first[26]--; REFUSED("index end");
    RESET(); copy[h->lex_offset + sizeof(*lh) + CC_RISK_LEX_NAMELEN - 1] = 'x';
    REFUSED("name not terminated");
    /* The stems. */
    RESET(); st[5].off = lh->textlen; REFUSED("stem out of bounds");
    RESET(); st[5].len = 2; REFUSED("stem too short");
    RESET(); st[5].concept = (uint8_t)lh->nconcepts; REFUSED("concept");
    RESET(); st[5].exact = 2; REFUSED("exact");
    RESET(); text[st[5].off + 1] = 'A'; REFUSED("unfolded");
    RESET();
    {
        cc_risk_lex_stem_t t = st[10];

        st[10] = st[11];
        st[11] = t;
    }
    REFUSED("unsorted");
    RESET(); st[11] = st[10]; REFUSED("duplicate");
    /* Every byte of the section flipped, one at a time (sampled): refused
     * or, if still valid, harmless. */
    for (i = 0; i < h->lex_size; i += 7) {
        RESET();
        copy[h->lex_offset + i] ^= 0x40;
        reseal(copy, len);
        (void)cc_riskml_attach(p, copy, len, NULL);
    }
#undef RESET
#undef REFUSED
    apr_pool_destroy(p);
}
END_TEST

/* The lexicon's data files: what the compiler refuses. */
START_TEST(test_riskml_lexicon_compile)
{
    static const struct { const char *text, *why; } bad[] = {
        {"head kopf\nhead kopf\n", "twice"},
        {"head kopf*\nchest kopf*\n", "twice, other concept"},
        {"hed kopf\n", "unknown concept"},
        {"head ko\n", "too short"},
        {"head Kopf\n", "not folded"},
        {"head t\xc3\xaate\n", "not folded"},
        {"head\n", "no form"},
        {"head kopf schmerz\n", "two forms"},
    };
    apr_pool_t *p = corpus_pool();
    const char *concepts = "# comment\nhead\n\nchest\n";
    cc_risk_lex_src_t src;
    cc_problem_t prob;
    cc_risk_lex_t lx;
    const char *why;
    void *sec;
    size_t len, i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        src.name = "t.txt";
        src.text = bad[i].text;
        src.len = strlen(bad[i].text);
        memset(&prob, 0, sizeof(prob));
        ck_assert_msg(cc_risk_lex_compile(&sec, &len, p, concepts,
                                          strlen(concepts), &src, 1, &prob)
                      == APR_EINVAL, "%s", bad[i].why);
        ck_assert_str_eq(prob.code, "invalid_lexicon");
    }
    ck_assert_int_eq(cc_risk_lex_compile(&sec, &len, p, "", 0, NULL, 0,
                                         &prob), APR_EINVAL);
    ck_assert_int_eq(cc_risk_lex_compile(&sec, &len, p, "head\nhead\n", 10,
                                         NULL, 0, &prob), APR_EINVAL);
    /* A good one: sorted, indexed, stems and exact words. */
    src.text = "# c\nchest chest*  \r\nhead kopf*\nhead head\n"
               "head headache\n";
    src.len = strlen(src.text);
    ck_assert_int_eq(cc_risk_lex_compile(&sec, &len, p, concepts,
                                         strlen(concepts), &src, 1, &prob),
                     APR_SUCCESS);
    ck_assert_uint_eq(len % 8, 0);
    ck_assert(cc_risk_lex_view(&lx, sec, len, &why));
    ck_assert_int_eq(cc_risk_concept_count(&lx), 2);
    ck_assert_str_eq(cc_risk_concept_name(&lx, 1), "chest");
    ck_assert_int_eq(cc_risk_concept(&lx, "kopfschmerz", 11), 0);
    ck_assert_int_eq(cc_risk_concept(&lx, "head", 4), 0);
    ck_assert_int_eq(cc_risk_concept(&lx, "headache", 8), 0);
    ck_assert_int_eq(cc_risk_concept(&lx, "heads", 5), -1);
    ck_assert_int_eq(cc_risk_concept(&lx, "chesty", 6), 1);
    ck_assert_int_eq(cc_risk_concept(NULL, "chest", 5), -1);
    ck_assert_ptr_null(cc_risk_concept_name(NULL, 0));
    ck_assert(!cc_risk_lex_view(&lx, sec, len - 8, &why));
    apr_pool_destroy(p);
}
END_TEST

/* The concepts: one class per meaning across the eight languages, folded
 * words, stems matching their inflections, exact words only whole. */
START_TEST(test_riskml_concepts)
{
    static const struct { const char *w, *concept; } ok[] = {
        {"headache", "head"}, {"hoofdpijn", "head"}, {"glowy", "head"},
        {"kopf", "head"}, {"kopfschmerzen", "head"}, {"worst", "severe"},
        {"najgorszy", "severe"}, {"schlimmste", "severe"},
        {"insoportable", "severe"}, {"ergste", "severe"},
        {"breathe", "breath"}, {"respirar", "breath"}, {"oddychac", "breath"},
        {"pregnant", "preg"}, {"embarazada", "preg"}, {"schwanger", "preg"},
        {"zwanger", "preg"}, {"ciazy", "preg"}, {"enceinte", "preg"},
        {"breastfeeding", "feed"}, {"allaite", "feed"}, {"borstvoeding", "feed"},
        {"warfarin", "thinner"}, {"sintrom", "thinner"}, {"marcumar", "thinner"},
        {"swollen", "swell"}, {"hinchada", "swell"}, {"gonflee", "swell"},
        {"opuchniete", "swell"}, {"lepilepsie", "epilepsy"},
        {"epilepsia", "epilepsy"}, {"bleeding", "bleed"}, {"sangra", "bleed"},
        {"krwawi", "bleed"}, {"polknela", "swallow"}, {"ingoiato", "swallow"},
        {"suicidal", "suicide"}, {"zelfmoord", "suicide"},
    };
    static const char *const none[] = {
        "glowing", "botox", "the", "pa", "", "lipstick", "headphone",
        "para", "die", "appointment", "zzzz",
    };
    apr_pool_t *p = corpus_pool();
    size_t i, len;
    void *img = tiny_model_img(p, NULL, &len);
    cc_riskml_t *m = cc_riskml_attach(p, img, len, NULL);
    const cc_risk_lex_t *lx;

    /* Looked up in the model image, as cc_riskml_predict does. */
    ck_assert_ptr_nonnull(m);
    lx = cc_riskml_lexicon(m);
    ck_assert_ptr_nonnull(lx);
    ck_assert_int_eq(cc_risk_concept_count(lx), 36);
    ck_assert_ptr_null(cc_risk_concept_name(lx, -1));
    ck_assert_ptr_null(cc_risk_concept_name(lx, cc_risk_concept_count(lx)));
    ck_assert_str_eq(cc_risk_concept_name(lx, 0), "breath");
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int c = cc_risk_concept(lx, ok[i].w, strlen(ok[i].w));

        ck_assert_msg(c >= 0, "%s: no concept", ok[i].w);
        ck_assert_msg(strcmp(cc_risk_concept_name(lx, c), ok[i].concept)
                      == 0, "%s: %s, expected %s", ok[i].w,
                      cc_risk_concept_name(lx, c), ok[i].concept);
    }
    for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        int c = cc_risk_concept(lx, none[i], strlen(none[i]));

        ck_assert_msg(c < 0, "%s: %s", none[i],
                      cc_risk_concept_name(lx, c));
    }
    apr_pool_destroy(p);
}
END_TEST

static const char mini_rules[] =
    "pregnancy,medication,chronic en negator not\n"
    "pregnancy en word pregnant\n"
    "emergency en phrase cant breathe\n"
    "emergency en phrase face ~ drooping\n";

static int has_source(const cc_risk_result_t *r, cc_risk_source_e src,
                      cc_risk_category_e cat, int counted)
{
    int i;

    for (i = 0; r->matches && i < r->matches->nelts; i++) {
        const cc_risk_match_t *m = &APR_ARRAY_IDX(r->matches, i,
                                                  cc_risk_match_t);

        if (m->source == src && m->category == cat
            && m->negated == !counted) {
            return 1;
        }
    }
    return 0;
}

static void assess(const cc_ruleset_t *rs, const cc_vocab_t *v,
                   const cc_riskml_t *m, const char *text, apr_pool_t *p,
                   cc_risk_result_t *out)
{
    memset(out, 0xa5, sizeof(*out));
    cc_risk_assess(rs, v, m, text, strlen(text), p, out);
}

START_TEST(test_assess_combines)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = cc_risk_compile(p, mini_rules, strlen(mini_rules),
                                       NULL, NULL);
    cc_vocab_t *v = tiny_vocab(p);
    size_t len;
    void *img = tiny_model_img(p, v, &len);
    cc_riskml_t *m = cc_riskml_attach(p, img, len, NULL);
    cc_risk_result_t r, c;
    float pr[CC_RISKML_NOUT];
    const cc_riskml_hdr_t *h = cc_riskml_header(m);
    int i;

    ck_assert_ptr_nonnull(rs);
    ck_assert_ptr_nonnull(m);

    /* No extra layer: exactly cc_risk_check; rule matches are "rule". */
    assess(rs, NULL, NULL, "im pregnant", p, &r);
    memset(&c, 0, sizeof(c));
    cc_risk_check(rs, "im pregnant", 11, p, &c);
    ck_assert_int_eq(r.risk, c.risk);
    ck_assert_uint_eq(r.categories, c.categories);
    ck_assert_int_eq(r.matches->nelts, c.matches->nelts);
    ck_assert(has_source(&r, CC_RISK_SRC_RULE, CC_RISK_PREGNANCY, 1));
    for (i = 0; i < r.matches->nelts; i++) {
        ck_assert(APR_ARRAY_IDX(r.matches, i, cc_risk_match_t).score == 0.0);
    }

    /* Vocabulary: a medical term about the patient. */
    assess(rs, v, NULL, "I'm on warfarin, can I have filler?", p, &r);
    ck_assert_int_eq(r.risk, 1);
    ck_assert(r.categories & (1u << CC_RISK_MEDICATION));
    ck_assert(has_source(&r, CC_RISK_SRC_VOCABULARY, CC_RISK_MEDICATION, 1));
    assess(rs, v, NULL, "I was diagnosed with psoriasis", p, &r);
    ck_assert(has_source(&r, CC_RISK_SRC_VOCABULARY, CC_RISK_CHRONIC, 1));
    assess(rs, v, NULL, "i had an appendectomy last week", p, &r);
    ck_assert(has_source(&r, CC_RISK_SRC_VOCABULARY,
                         CC_RISK_RECENT_PROCEDURE, 1));
    /* ... not negated, not about someone else, not a service question,
     * not a bare mention. */
    assess(rs, v, NULL, "I'm not on warfarin", p, &r);
    ck_assert_int_eq(r.risk, 0);
    ck_assert(has_source(&r, CC_RISK_SRC_VOCABULARY, CC_RISK_MEDICATION, 0));
    assess(rs, v, NULL, "my partner is on warfarin", p, &r);
    ck_assert_int_eq(r.risk, 0);
    assess(rs, v, NULL, "do you treat psoriasis?", p, &r);
    ck_assert_int_eq(r.risk, 0);
    assess(rs, v, NULL, "is warfarin a problem for botox", p, &r);
    ck_assert_int_eq(r.risk, 0);

    /* Classifier: consistent with its own prediction and thresholds. */
    {
        /* general: a question about nobody in particular (no first
         * person): only the emergency output adds there. */
        static const struct {
            const char *text;
            int general;
        } msgs_g[] = {
            {"im pregnant can i have botox", 0}, {"estoy embarazada", 0},
            {"how much is lip filler", 1}, {"my lips are swelling", 0},
            {"i take warfarin every day", 0},
            {"what are your opening hours", 1},
        };
        size_t k;

        for (k = 0; k < sizeof(msgs_g) / sizeof(msgs_g[0]); k++) {
            const char *msg = msgs_g[k].text;
            int flagged, emerg;

            cc_riskml_predict(m, v, msg, strlen(msg), pr);
            emerg = pr[CC_RISKML_EMERGENCY]
                    >= h->threshold[CC_RISKML_EMERGENCY]
                    && pr[CC_RISKML_RISKY] >= h->threshold[CC_RISKML_RISKY];
            flagged = emerg
                      || (!msgs_g[k].general
                          && (pr[CC_RISKML_RISKY]
                              >= h->threshold[CC_RISKML_RISKY]
                              || (pr[CC_RISKML_EMERGENCY]
                                  >= h->emergency_escalate
                                  && pr[CC_RISKML_RISKY]
                                     >= h->escalate_risky)));
            assess(NULL, NULL, m, msg, p, &r);
            ck_assert_msg(r.risk == flagged, "%s", msg);
            if (r.risk) {
                int any = 0;

                for (i = 0; i < r.matches->nelts; i++) {
                    const cc_risk_match_t *x =
                        &APR_ARRAY_IDX(r.matches, i, cc_risk_match_t);

                    ck_assert_int_eq(x->source, CC_RISK_SRC_CLASSIFIER);
                    ck_assert(x->score > 0.0 && x->score <= 1.0);
                    ck_assert_uint_le(x->end, strlen(msg));
                    any = 1;
                }
                ck_assert(any);
                ck_assert(r.categories != 0);
            }
            /* An emergency needs p(emergency) and p(risky) above their
             * thresholds. */
            ck_assert_int_eq(r.emergency,
                             pr[CC_RISKML_EMERGENCY]
                             >= h->threshold[CC_RISKML_EMERGENCY]
                             && pr[CC_RISKML_RISKY]
                                >= h->threshold[CC_RISKML_RISKY]);
        }
        /* A training positive is flagged. */
        assess(NULL, NULL, m, "im pregnant can i have botox", p, &r);
        ck_assert_int_eq(r.risk, 1);
    }

    /* The classifier defers to a category the rules excused. */
    assess(rs, v, m, "im not pregnant", p, &r);
    ck_assert(!(r.categories & (1u << CC_RISK_PREGNANCY)));
    ck_assert(has_source(&r, CC_RISK_SRC_RULE, CC_RISK_PREGNANCY, 0));
    ck_assert(!has_source(&r, CC_RISK_SRC_CLASSIFIER, CC_RISK_PREGNANCY, 1));

    /* Nothing clears a rule's emergency, whatever the other layers say. */
    assess(rs, v, m, "my face is drooping", p, &r);
    ck_assert_int_eq(r.emergency, 1);
    ck_assert(has_source(&r, CC_RISK_SRC_RULE, CC_RISK_EMERGENCY, 1));
    assess(rs, v, m, "what are your opening hours? i cant breathe", p, &r);
    ck_assert_int_eq(r.emergency, 1);
    ck_assert_int_eq(r.risk, 1);

    /* NULL and empty inputs. */
    assess(rs, v, m, "", p, &r);
    ck_assert_int_eq(r.risk, 0);
    cc_risk_assess(rs, v, m, NULL, 10, p, &r);
    ck_assert_int_eq(r.risk, 0);
    cc_risk_assess(NULL, NULL, NULL, "x", 1, p, &r);
    ck_assert_int_eq(r.risk, 0);
    cc_risk_assess(rs, v, m, "x", 1, p, NULL);
    apr_pool_destroy(p);
}
END_TEST


/* The veto: with the classifier sure that a message is benign (p(risky)
 * below the image's veto threshold), a rule match that is not an
 * emergency is kept but not counted; an emergency never is; an image
 * with veto 0 vetoes nothing.  Images refuse a veto at or above the
 * risky threshold. */
static const char veto_rules[] =
    "pregnancy en word filler\n"
    "emergency en phrase cant breathe\n";

/* p(emergency) alone above emergency_alone raises an emergency, with
 * p(risky) low; not on a question about nobody in particular, and not
 * when emergency_alone is 0. */
START_TEST(test_assess_emergency_alone)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = cc_risk_compile(p, mini_rules, strlen(mini_rules),
                                       NULL, NULL);
    size_t len;
    cc_riskml_hdr_t h = *(cc_riskml_hdr_t *)tiny_model_img(p, NULL, &len);
    float pr[CC_RISKML_NOUT] = {0};
    cc_risk_result_t r;
    const char *own = "my husband is grey and clutching his chest";
    const char *general = "what is a vascular occlusion?";

    ck_assert_ptr_nonnull(rs);
    h.threshold[CC_RISKML_RISKY] = 0.6f;
    h.threshold[CC_RISKML_EMERGENCY] = 0.25f;
    h.emergency_alone = 0.4f;
    h.emergency_escalate = 0.2f;
    h.escalate_risky = 0.1f;
    h.risky_alone = 0.0f;
    h.veto = 0.0f;
    pr[CC_RISKML_RISKY] = 0.3f;
    pr[CC_RISKML_EMERGENCY] = 0.5f;
    memset(&r, 0, sizeof(r));
    cc_risk_assess_probs(rs, NULL, &h, pr, own, strlen(own), p, &r);
    ck_assert_int_eq(r.emergency, 1);
    ck_assert(has_source(&r, CC_RISK_SRC_CLASSIFIER, CC_RISK_EMERGENCY, 1));
    memset(&r, 0, sizeof(r));
    cc_risk_assess_probs(rs, NULL, &h, pr, general, strlen(general), p,
                         &r);
    ck_assert_int_eq(r.emergency, 0);
    h.emergency_alone = 0.0f;
    memset(&r, 0, sizeof(r));
    cc_risk_assess_probs(rs, NULL, &h, pr, own, strlen(own), p, &r);
    ck_assert_int_eq(r.emergency, 0);
    ck_assert_int_eq(r.risk, 1);      /* still escalated */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_assess_veto)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = cc_risk_compile(p, veto_rules, strlen(veto_rules),
                                       NULL, NULL);
    cc_vocab_t *v = tiny_vocab(p);
    size_t len;
    void *img = tiny_model_img(p, v, &len);
    void *img2 = apr_pmemdup(p, img, len);
    cc_riskml_hdr_t *h2 = img2;
    cc_riskml_t *m0, *m1;
    cc_risk_result_t r;
    float pr[CC_RISKML_NOUT];
    const char *benign = "how much is lip filler";

    ck_assert_ptr_nonnull(rs);
    m0 = cc_riskml_attach(p, img, len, NULL);
    ck_assert_ptr_nonnull(m0);
    ck_assert(cc_riskml_header(m0)->veto == 0.0f);
    cc_riskml_predict(m0, v, benign, strlen(benign), pr);
    ck_assert(pr[CC_RISKML_RISKY] < h2->threshold[CC_RISKML_RISKY]);
    ck_assert(pr[CC_RISKML_EMERGENCY] < h2->emergency_escalate);

    /* veto 0: the rule counts */
    assess(rs, v, m0, benign, p, &r);
    ck_assert_int_eq(r.risk, 1);
    ck_assert(has_source(&r, CC_RISK_SRC_RULE, CC_RISK_PREGNANCY, 1));

    /* veto just above this message's p(risky): vetoed, kept negated */
    h2->veto = pr[CC_RISKML_RISKY] + 0.001f;
    ck_assert(h2->veto < h2->threshold[CC_RISKML_RISKY]);
    m1 = cc_riskml_attach(p, img2, len, NULL);
    ck_assert_ptr_nonnull(m1);
    assess(rs, v, m1, benign, p, &r);
    ck_assert_int_eq(r.risk, 0);
    ck_assert_uint_eq(r.categories, 0);
    ck_assert(has_source(&r, CC_RISK_SRC_RULE, CC_RISK_PREGNANCY, 0));

    /* an emergency is never vetoed */
    assess(rs, v, m1, "how much is lip filler, i cant breathe", p, &r);
    ck_assert_int_eq(r.emergency, 1);
    ck_assert(has_source(&r, CC_RISK_SRC_RULE, CC_RISK_EMERGENCY, 1));

    /* a veto at the risky threshold is refused */
    h2->veto = h2->threshold[CC_RISKML_RISKY];
    ck_assert_ptr_null(cc_riskml_attach(p, img2, len, NULL));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_assess_garbage)
{
    apr_pool_t *p = corpus_pool(), *scratch;
    cc_ruleset_t *rs = cc_risk_compile(p, mini_rules, strlen(mini_rules),
                                       NULL, NULL);
    cc_vocab_t *v = tiny_vocab(p);
    size_t len, i;
    void *img = tiny_model_img(p, v, &len);
    cc_riskml_t *m = cc_riskml_attach(p, img, len, NULL);
    unsigned char *buf = malloc(20000);
    uint32_t s = 99;
    int round;

    ck_assert_ptr_nonnull(buf);
    apr_pool_create(&scratch, p);
    for (round = 0; round < 600; round++) {
        size_t n = round == 0 ? 20000 : (size_t)(s % 3000);
        cc_risk_result_t r;
        float pr[CC_RISKML_NOUT];
        int k;

        for (i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            /* Mostly letters, spaces and UTF-8 lead bytes. */
            buf[i] = (round % 3 == 0) ? (unsigned char)(s >> 16)
                     : (unsigned char)("aeiou wrfnp\xc3\xa9.,?'"[(s >> 16)
                                                                 % 17]);
        }
        apr_pool_clear(scratch);
        cc_risk_assess(rs, v, m, (const char *)buf, n, scratch, &r);
        for (k = 0; r.matches && k < r.matches->nelts; k++) {
            const cc_risk_match_t *x =
                &APR_ARRAY_IDX(r.matches, k, cc_risk_match_t);

            ck_assert_uint_le(x->start, x->end);
            ck_assert_uint_le(x->end, n);
        }
        cc_riskml_predict(m, v, (const char *)buf, n, pr);
        for (k = 0; k < CC_RISKML_NOUT; k++) {
            ck_assert(pr[k] >= 0.0f && pr[k] <= 1.0f);
        }
    }
    free(buf);
    apr_pool_destroy(p);
}
END_TEST

typedef struct th_arg_t {
    const cc_ruleset_t *rs;
    const cc_vocab_t   *v;
    const cc_riskml_t  *m;
    unsigned            want[NTRAIN];
    int                 bad;
} th_arg_t;

static void *th_main(void *arg)
{
    th_arg_t *a = arg;
    apr_pool_t *p = NULL;
    int round;
    size_t i;

    apr_pool_create(&p, NULL);
    for (round = 0; round < 50; round++) {
        for (i = 0; i < NTRAIN; i++) {
            cc_risk_result_t r;

            apr_pool_clear(p);
            cc_risk_assess(a->rs, a->v, a->m, train_set[i].text,
                           strlen(train_set[i].text), p, &r);
            if ((r.categories | (unsigned)r.risk << 16
                 | (unsigned)r.emergency << 17) != a->want[i]) {
                a->bad++;
            }
        }
    }
    apr_pool_destroy(p);
    return NULL;
}

/* One ruleset, vocabulary and model shared by eight threads give every
 * thread the single-threaded answers. */
START_TEST(test_assess_threads)
{
    apr_pool_t *p = corpus_pool();
    th_arg_t args[8];
    pthread_t th[8];
    cc_ruleset_t *rs = cc_risk_compile(p, mini_rules, strlen(mini_rules),
                                       NULL, NULL);
    cc_vocab_t *v = tiny_vocab(p);
    size_t len, i;
    void *img = tiny_model_img(p, v, &len);
    cc_riskml_t *m = cc_riskml_attach(p, img, len, NULL);
    unsigned want[NTRAIN];
    int k;

    for (i = 0; i < NTRAIN; i++) {
        cc_risk_result_t r;

        cc_risk_assess(rs, v, m, train_set[i].text,
                       strlen(train_set[i].text), p, &r);
        want[i] = r.categories | (unsigned)r.risk << 16
                  | (unsigned)r.emergency << 17;
    }
    for (k = 0; k < 8; k++) {
        args[k].rs = rs;
        args[k].v = v;
        args[k].m = m;
        memcpy(args[k].want, want, sizeof(want));
        args[k].bad = 0;
        ck_assert_int_eq(pthread_create(&th[k], NULL, th_main, &args[k]), 0);
    }
    for (k = 0; k < 8; k++) {
        ck_assert_int_eq(pthread_join(th[k], NULL), 0);
        ck_assert_int_eq(args[k].bad, 0);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_riskml(void)
{
    Suite *s = suite_create("riskml");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_riskml_train_predict);
    tcase_add_test(tc, test_riskml_refuses);
    tcase_add_test(tc, test_riskml_questions);
    tcase_add_test(tc, test_riskml_concepts);
    tcase_add_test(tc, test_riskml_lexicon_refuses);
    tcase_add_test(tc, test_riskml_lexicon_compile);
    tcase_add_test(tc, test_assess_combines);
    tcase_add_test(tc, test_assess_emergency_alone);
    tcase_add_test(tc, test_assess_veto);
    tcase_add_test(tc, test_assess_garbage);
    tcase_add_test(tc, test_assess_threads);
    suite_add_tcase(s, tc);
    return s;
}

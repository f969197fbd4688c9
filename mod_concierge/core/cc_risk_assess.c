/*
 * cc_risk_assess.c - the clinical-safety gate as one call: rules, then the
 * medical vocabulary, then the classifier (docs/INTERNALS.md, "Beyond the
 * rules").  Each layer adds to the result; the one exception is the
 * classifier's veto (off unless the image carries a veto threshold),
 * which never touches an emergency.  cc_risk_assess_probs runs the same
 * combination on given probabilities: the trainer scores its out-of-fold
 * predictions through it (tools/riskml_train.c --rules).
 */
#include <string.h>
#include "cc_risk.h"
#include "cc_risk_cues.h"
#include "cc_riskml.h"
#include "cc_riskml_int.h"
#include "cc_vocab.h"

#define AS_MAXTERMS    CC_RISKML_MAXTERMS
#define AS_MAXBYTES    CC_RISKML_MAXBYTES
#define AS_CUE_WINDOW  3      /* terms before a medical term */
#define AS_PAST_WINDOW 8      /* a past-time cue this close, either side */
#define AS_DEFER_P     0.5f   /* a classifier category where the rules
                                 excused all they saw */
#define AS_NEG_WINDOW  4      /* a negator or a modal ("can I", "do
                                 you") this close, same clause */

static const char *const vocab_rule[CC_VOCAB_NCLASSES] = {
    "vocabulary:other", "vocabulary:drug", "vocabulary:condition",
    "vocabulary:procedure"
};

static void add_match(cc_risk_result_t *out, cc_risk_category_e cat,
                      const char *rule, size_t start, size_t end,
                      int negated, cc_risk_source_e src, double score)
{
    cc_risk_match_t *m = apr_array_push(out->matches);

    memset(m, 0, sizeof(*m));
    m->category = cat;
    m->rule = rule;
    m->start = start;
    m->end = end;
    m->negated = negated;
    m->source = src;
    m->score = score;
    if (!negated) {
        out->categories |= 1u << cat;
        out->risk = 1;
        if (cat == CC_RISK_EMERGENCY) {
            out->emergency = 1;
        }
    }
}

/* Categories the rules matched and excused (negated, "unless", a third
 * party, the past) without also counting them: the rules read the context
 * and found no risk there.  Never the emergency category. */
static unsigned rule_excused(const cc_risk_result_t *out)
{
    unsigned ex = 0;
    int i;

    for (i = 0; out->matches && i < out->matches->nelts; i++) {
        const cc_risk_match_t *m = &APR_ARRAY_IDX(out->matches, i,
                                                  cc_risk_match_t);

        if (m->source == CC_RISK_SRC_RULE && m->negated
            && (unsigned)m->category < CC_RISK_EMERGENCY) {
            ex |= 1u << m->category;
        }
    }
    return ex & ~out->categories;
}

/* A past-time cue ("ago", "used to", "hace", "geleden") or a year
 * within AS_PAST_WINDOW terms either side of term i. */
static int past_near(const cc_cue_term_t *t, size_t n, size_t i)
{
    size_t lo = i > AS_PAST_WINDOW ? i - AS_PAST_WINDOW : 0;
    size_t hi = i + AS_PAST_WINDOW < n ? i + AS_PAST_WINDOW : n - 1;
    size_t j;

    for (j = lo; j <= hi; j++) {
        if (t[j].cue & CC_CUE_PAST) {
            return 1;
        }
        if (t[j].digits && t[j].n == 4
            && (memcmp(t[j].s, "19", 2) == 0 || memcmp(t[j].s, "20", 2) == 0)) {
            return 1;
        }
    }
    return 0;
}

/* A medical term from the vocabulary, in a sentence about the patient. */
static void vocab_layer(const cc_cue_term_t *t, size_t n,
                        cc_risk_result_t *out)
{
    unsigned excused = rule_excused(out);
    size_t i, j;

    for (i = 0; i < n; i++) {
        cc_vocab_class_e cls;
        unsigned cue = 0, before = 0;
        int negated = 0, modal = 0, other = 0;
        cc_risk_category_e cat;

        if (t[i].vcls < 0) {
            continue;
        }
        cls = (cc_vocab_class_e)t[i].vcls;
        /* Look back within the clause. */
        for (j = i; j > 0 && !t[j].brk; j--) {
            const cc_cue_term_t *b = &t[j - 1];
            size_t dist = i - (j - 1);

            if (b->cue & CC_CUE_CLAUSE) {
                break;
            }
            if (dist <= AS_CUE_WINDOW) {
                cue |= b->cue;
            }
            if (dist == 1) {
                before = b->cue;
            }
            if (b->cue & CC_CUE_NEG) {
                negated = 1;
            }
            if (b->cue & CC_CUE_MODAL) {
                modal = 1;
            }
            if (b->cue & CC_CUE_OTHER) {
                other = 1;
            }
            if (dist >= AS_NEG_WINDOW) {
                break;
            }
        }
        /* A question about the clinic's services ("can I have a
         * rhinoplasty", "do you treat psoriasis"), unless the word just
         * before says the patient takes or has it. */
        if (modal && !(before & (CC_CUE_TAKE | CC_CUE_ALLERGY))) {
            continue;
        }
        /* About someone else ("my partner is on warfarin"), or history
         * ("used to take sertraline ... 8 years ago"). */
        if (other || past_near(t, n, i)) {
            continue;
        }
        if (cue & CC_CUE_ALLERGY) {
            cat = CC_RISK_ALLERGY;
        }
        else if (cls == CC_VOCAB_DRUG) {
            if (!(cue & (CC_CUE_SELF | CC_CUE_TAKE | CC_CUE_HAVE))) {
                continue;
            }
            cat = CC_RISK_MEDICATION;
        }
        else if (cls == CC_VOCAB_CONDITION) {
            if (!(cue & (CC_CUE_SELF | CC_CUE_TAKE | CC_CUE_HAVE))) {
                continue;
            }
            cat = CC_RISK_CHRONIC;
        }
        else if (cls == CC_VOCAB_PROCEDURE) {
            if (!(cue & (CC_CUE_SELF | CC_CUE_HAVE))) {
                continue;
            }
            cat = CC_RISK_RECENT_PROCEDURE;
        }
        else if (cue & CC_CUE_TAKE) {
            cat = CC_RISK_MEDICATION;
        }
        else if (cue & CC_CUE_HAVE) {
            cat = CC_RISK_CHRONIC;
        }
        else {
            continue;     /* "my <anatomy>" is not a history */
        }
        /* As the classifier: a category the rules excused stays excused. */
        negated |= (excused >> cat) & 1u;
        add_match(out, cat, vocab_rule[cls], t[i].start, t[i].end, negated,
                  CC_RISK_SRC_VOCABULARY, 0.0);
    }
}

static const cc_risk_category_e out_cat[CC_RISKML_NOUT] = {
    [CC_RISKML_EMERGENCY]        = CC_RISK_EMERGENCY,
    [CC_RISKML_PREGNANCY]        = CC_RISK_PREGNANCY,
    [CC_RISKML_ALLERGY]          = CC_RISK_ALLERGY,
    [CC_RISKML_CHRONIC]          = CC_RISK_CHRONIC,
    [CC_RISKML_MEDICATION]       = CC_RISK_MEDICATION,
    [CC_RISKML_MINOR]            = CC_RISK_MINOR,
    [CC_RISKML_RECENT_PROCEDURE] = CC_RISK_RECENT_PROCEDURE,
    [CC_RISKML_MENTAL_HEALTH]    = CC_RISK_MENTAL_HEALTH,
};

static void classifier_layer(const cc_riskml_hdr_t *h, const float *pr,
                             int general, size_t len, cc_risk_result_t *out)
{
    size_t span = len > AS_MAXBYTES ? AS_MAXBYTES : len;
    unsigned excused;
    int o, best = -1, added = 0, escalate, deferred;

    /* An emergency needs both outputs: p(emergency) above its high
     * threshold and p(risky) above its own; or p(emergency) alone above
     * emergency_alone (not on a question about nobody in particular).
     * Below that, p(emergency) alone only escalates (below). */
    if ((pr[CC_RISKML_EMERGENCY] >= h->threshold[CC_RISKML_EMERGENCY]
         && pr[CC_RISKML_RISKY] >= h->threshold[CC_RISKML_RISKY])
        || (!general && h->emergency_alone > 0.0f
            && pr[CC_RISKML_EMERGENCY] >= h->emergency_alone)) {
        add_match(out, CC_RISK_EMERGENCY, "classifier", 0, span, 0,
                  CC_RISK_SRC_CLASSIFIER, pr[CC_RISKML_EMERGENCY]);
        added++;
    }
    /* p(emergency) alone escalates when p(risky) does not say the
     * message is plainly benign (below escalate_risky, chosen out of
     * fold under every risky message escalated so). */
    escalate = added || (pr[CC_RISKML_EMERGENCY] >= h->emergency_escalate
                         && pr[CC_RISKML_RISKY] >= h->escalate_risky);
    /* A question about nobody in particular adds only through the
     * emergency output, both probabilities above their thresholds
     * (general_question): p(emergency) alone does not escalate it. */
    if (general && !added) {
        return;
    }
    if (pr[CC_RISKML_RISKY] < (h->risky_alone > 0.0f
                               ? h->risky_alone
                               : h->threshold[CC_RISKML_RISKY])
        && !escalate) {
        return;
    }
    /* The classifier defers to the rules where they saw a category and
     * excused it from its context ("I'm not pregnant", "my husband is on
     * warfarin", "roaccutane in 2019"): it reads no such context.  Its
     * match is kept, marked negated.  An emergency is never excused. */
    excused = rule_excused(out);
    /* Where the rules excused everything they saw (a third party, the
     * past, a negation) and counted nothing, a category of the
     * classifier's must be more likely than not: "my father-in-law is on
     * Eliquis, the peel is for me" is not a recent procedure at 0.10. */
    deferred = excused != 0
               && (out->categories & ((1u << CC_RISK_EMERGENCY) - 1u)) == 0
               && !escalate;
    /* Where the rules or the vocabulary already counted a category, the
     * message is escalated whatever the classifier says; what it adds is
     * only a label staff read, so it must be more likely than not too
     * ("I'm pregnant, can I have anti-wrinkle injections?" is not also a
     * chronic condition at 0.40). */
    deferred |= (out->categories & ((1u << CC_RISK_EMERGENCY) - 1u)) != 0;
    for (o = CC_RISKML_PREGNANCY; o < CC_RISKML_NOUT; o++) {
        int ex = (excused >> out_cat[o]) & 1u;

        if (!ex && (best < 0 || pr[o] > pr[best])) {
            best = o;
        }
        if (pr[o] >= h->threshold[o]
            && (!deferred || pr[o] >= AS_DEFER_P)) {
            add_match(out, out_cat[o], "classifier", 0, span, ex,
                      CC_RISK_SRC_CLASSIFIER, pr[o]);
            added += !ex;
        }
    }
    if (!added && !escalate && excused
        && (deferred || (best >= 0 && pr[best] < h->threshold[best]))) {
        return;     /* every category it saw, the rules excused */
    }
    out->risk = 1;
    /* A risky result always names a category. */
    if (!added && (out->categories & ((1u << CC_RISK_EMERGENCY) - 1u)) == 0
        && best >= 0) {
        add_match(out, out_cat[best], "classifier", 0, span, 0,
                  CC_RISK_SRC_CLASSIFIER, pr[best]);
    }
}

/* A question about nobody in particular: a question ('?', or a first
 * word that asks: "do you", "what is", "why", "haceis", "behandelt")
 * with no first person, child, age, "today" or "suddenly" anywhere in
 * the message ("what is body dysmorphic disorder?", "do you treat
 * pregnant women?", "whats your policy if someone is on blood
 * thinners").  The vocabulary and the classifier's categories read no
 * such context, so they stay silent there: no vocabulary match, no
 * classifier category, no escalation by p(emergency) alone.  The rules
 * (which have their own "other" and "unless" forms for it) and the
 * classifier's emergency (both outputs above their thresholds) still
 * apply.  Out of fold this cost no recall on the tuning sets, with the
 * current rules nor with the older ones (docs/INTERNALS.md). */
static const char *const as_ask_words[] = {
    "what", "whats", "why", "how", "which", "is", "are", "do", "does",
    "can", "could", "would", "will", "should",
    "que", "cual", "por", "como", "haceis", "hacen", "puede", "pueden",
    "pourquoi", "quest", "quel", "quelle", "comment", "est", "faites",
    "pouvez", "acceptez",
    "was", "warum", "wieso", "wie", "welche", "behandelt", "macht",
    "bietet", "gibt", "darf", "kann", "konnen",
    "cosa", "perche", "quale", "fate", "trattate", "potete",
    "porque", "qual", "fazem", "tratam", "podem",
    "wat", "waarom", "hoe", "welke", "doen", "behandelen", "mag",
    "co", "dlaczego", "czym", "jak", "czy", "robicie",
    NULL
};

static int general_question(const char *text, size_t len,
                            const cc_cue_term_t *t, size_t n)
{
    const unsigned personal = CC_CUE_SELF | CC_CUE_CHILD | CC_CUE_AGE
                              | CC_CUE_RECENT | CC_CUE_SUDDEN;
    int ask = 0;
    size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (t[i].cue & personal) {
            return 0;
        }
    }
    if (memchr(text, '?', len) || memmem(text, len, "\xc2\xbf", 2)) {
        ask = 1;
    }
    for (i = 0; !ask && as_ask_words[i]; i++) {
        ask = strlen(as_ask_words[i]) == t[0].n
              && memcmp(as_ask_words[i], t[0].s, t[0].n) == 0;
    }
    return ask;
}

/* The classifier very sure that nothing is wrong (p(risky) below the
 * veto threshold, p(emergency) below its escalation threshold) vetoes
 * the rules' and the vocabulary's matches, unless one is an emergency:
 * they are kept, marked negated. */
static void veto_layer(const cc_riskml_hdr_t *h, const float *pr,
                       cc_risk_result_t *out)
{
    int i;

    if (!(h->veto > 0.0f) || out->emergency
        || (out->categories & (1u << CC_RISK_EMERGENCY))
        || pr[CC_RISKML_RISKY] >= h->veto
        || pr[CC_RISKML_EMERGENCY] >= h->emergency_escalate) {
        return;
    }
    for (i = 0; i < out->matches->nelts; i++) {
        cc_risk_match_t *m = &APR_ARRAY_IDX(out->matches, i,
                                            cc_risk_match_t);

        if (m->category != CC_RISK_MEDICAL_ADVICE) {
            m->negated = 1;
        }
    }
    out->categories &= 1u << CC_RISK_MEDICAL_ADVICE;
    out->risk = out->categories != 0;
}

static void assess(const cc_ruleset_t *rs, const struct cc_vocab_t *vocab,
                   const cc_riskml_t *model, const cc_riskml_hdr_t *h,
                   const float *given, const char *text, size_t len,
                   apr_pool_t *p, cc_risk_result_t *out)
{
    cc_risk_check(rs, text, len, p, out);
    if (!p || !text || len == 0) {
        return;
    }
    if (!out->matches) {
        out->matches = apr_array_make(p, 4, sizeof(cc_risk_match_t));
    }
    if (vocab || h) {
        cc_cue_term_t t[AS_MAXTERMS];
        size_t rd = len > AS_MAXBYTES ? AS_MAXBYTES : len;
        size_t n = cc_risk_cue_terms(text, rd, vocab,
                                     cc_riskml_lexicon(model), t,
                                     AS_MAXTERMS);
        int general = general_question(text, rd, t, n);
        float pr[CC_RISKML_NOUT];

        if (vocab && !general) {
            vocab_layer(t, n, out);
        }
        if (h) {
            if (given) {
                memcpy(pr, given, sizeof(pr));
            }
            else {
                cc_riskml_predict_terms(model, t, n, pr);
            }
            veto_layer(h, pr, out);
            classifier_layer(h, pr, general, len, out);
        }
    }
    out->emergency = out->emergency
                     || (out->categories & (1u << CC_RISK_EMERGENCY)) != 0;
}

void cc_risk_assess_probs(const cc_ruleset_t *rs,
                          const struct cc_vocab_t *vocab,
                          const cc_riskml_hdr_t *h, const float *pr,
                          const char *text, size_t len, apr_pool_t *p,
                          cc_risk_result_t *out)
{
    if (out) {
        assess(rs, vocab, NULL, pr ? h : NULL, pr, text, len, p, out);
    }
}

void cc_risk_assess(const cc_ruleset_t *rs, const struct cc_vocab_t *vocab,
                    const struct cc_riskml_t *model, const char *text,
                    size_t len, apr_pool_t *p, cc_risk_result_t *out)
{
    if (out) {
        assess(rs, vocab, model, model ? cc_riskml_header(model) : NULL,
               NULL, text, len, p, out);
    }
}

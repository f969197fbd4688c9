/*
 * cc_riskml_int.h - the classifier on a message already tokenised by
 * cc_risk_cue_terms (cc_risk_assess tokenises once for the vocabulary
 * layer and the classifier).  Internal to the core.
 */
#ifndef CC_RISKML_INT_H
#define CC_RISKML_INT_H

#include "cc_riskml.h"
#include "cc_risk_cues.h"

/* Terms read from a message (RM_MAXBYTES bytes, RM_MAXTERMS terms). */
#define CC_RISKML_MAXBYTES 4096
#define CC_RISKML_MAXTERMS 160

size_t cc_riskml_features_terms(const cc_riskml_hdr_t *cfg,
                                const cc_cue_term_t *terms, size_t nt,
                                cc_riskml_feat_t *out, size_t max);

void cc_riskml_predict_terms(const cc_riskml_t *m,
                             const cc_cue_term_t *terms, size_t nt,
                             float prob[CC_RISKML_NOUT]);

/* cc_risk_assess with the classifier's probabilities given (pr, read
 * under the thresholds of h) instead of computed: the trainer scores its
 * out-of-fold probabilities through the very same combination. */
#include "cc_risk.h"
void cc_risk_assess_probs(const cc_ruleset_t *rs,
                          const struct cc_vocab_t *vocab,
                          const cc_riskml_hdr_t *h, const float *pr,
                          const char *text, size_t len, apr_pool_t *p,
                          cc_risk_result_t *out);

#endif

/*
 * cc_risk.h - the clinical-safety risk engine.
 *
 * Rules are data (seeded from conf/risk-rules.txt into PostgreSQL, edited
 * by admins through the API), compiled once into an immutable ruleset that
 * every thread may use at the same time.  A message is normalised with the
 * chat tokenizer (cc_tok: case and accent folding, NOT stemmed: rules say
 * exactly which forms they match) and matched on word boundaries.
 *
 * Rule text format, one rule per line ('#' starts a comment):
 *
 *   <category> <lang> <kind> <pattern>
 *
 *   category  pregnancy | allergy | chronic | medication | minor |
 *             recent_procedure | mental_health | emergency |
 *             medical_advice   (the last is for checking generated replies)
 *   lang      one of CC_RISK_LANGS, or * (any language)
 *   kind      word    one term; typo-tolerant (edit distance 1 for terms of
 *                     5+ letters, 2 for 9+), and a trailing '*' makes it a
 *                     prefix ("pregnan*")
 *             phrase  a sequence of terms matched in order, consecutive
 *                     except that "~" between terms allows up to 3 other
 *                     terms ("my ~ year old"); "#" matches any number
 *                     term ("my # year old"); each term may end in '*'
 *             negator a term or phrase that negates what follows in its
 *                     clause ("not", "no", "never", "dont", "no tengo",
 *                     "pas") - scope: up to 4 terms, ended by sentence
 *                     punctuation or a clause break ("but", "pero", "mais")
 *             unless  a phrase that makes a match in the same clause benign
 *                     ("allergy testing", "do you offer") - applies to the
 *                     categories on the same line only; category "*" for all
 *             other   a third party ("my husband", "ma fille"): matches of
 *                     the line's categories from its first term to the end
 *                     of its clause are about someone else and excused;
 *                     "+ she|he|and": carries the scope into the next clause
 *             self    the writer ("i", "me", "ich", "estoy"): ends a
 *                     third-party scope; category "*"
 *             treated the third party is the patient, or the writer has it
 *                     too ("book my daughter in", "can she have", "so am
 *                     i"): anywhere in a message, no third-party scope
 *                     excuses the line's categories there
 *             past    long ago or resolved ("years ago", "in 2019", "fully
 *                     recovered"): excuses matches of the line's categories
 *                     in its clause; "! 3 weeks ago", "! still": a recent
 *                     time that cancels the past markers of its sentence
 *                     (scope rules: cc_risk_match.c)
 *             clause, list, subject
 *                     words (one term, letters, "a|b|c") added to the
 *                     engine's own clause-break words ("aber"), list words
 *                     ("oppure": a negator's scope goes on) and subject
 *                     words ("meiner": a negator's scope ends); category *
 *
 * Matching, per category, is "risky unless every match is negated or
 * excused"; when unsure for a patient's safety (a negator that might not
 * reach the term, a typo match of an emergency term), it escalates.  An
 * emergency match is never excused: not by an "unless", a third party nor
 * a past marker.
 */
#ifndef CC_RISK_H
#define CC_RISK_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_problem.h"

typedef enum {
    CC_RISK_PREGNANCY = 0,
    CC_RISK_ALLERGY,
    CC_RISK_CHRONIC,
    CC_RISK_MEDICATION,
    CC_RISK_MINOR,
    CC_RISK_RECENT_PROCEDURE,
    CC_RISK_MENTAL_HEALTH,
    CC_RISK_EMERGENCY,
    CC_RISK_MEDICAL_ADVICE,
    CC_RISK_NCATEGORIES
} cc_risk_category_e;

extern const char *const cc_risk_category_names[CC_RISK_NCATEGORIES];

/* The languages rules may be written for (ISO 639-1), in the form
 * ConciergeRiskLanguages takes. */
#define CC_RISK_LANGS "en,es,fr,de,it,pt,nl,pl"

/* s[0..n) is one of CC_RISK_LANGS. */
int cc_risk_lang_known(const char *s, size_t n);

typedef struct cc_ruleset_t cc_ruleset_t;

/* Compile rules text (format above) into p.  Returns NULL with prob set
 * (400 "invalid_rules", message naming the line and the problem) when a
 * line is malformed; nothing is partly compiled.  langs: comma-separated
 * languages to keep ("en,es,fr"), NULL for all. */
cc_ruleset_t *cc_risk_compile(apr_pool_t *p, const char *text, size_t len,
                              const char *langs, cc_problem_t *prob);

/* Number of rules compiled (for health and tests). */
int cc_risk_count(const cc_ruleset_t *rs);

/* Which layer produced a match (cc_risk_assess).  RULE is 0 so that a
 * zero-initialised match from cc_risk_check stays a rule match. */
typedef enum {
    CC_RISK_SRC_RULE = 0,
    CC_RISK_SRC_VOCABULARY,
    CC_RISK_SRC_CLASSIFIER
} cc_risk_source_e;

typedef struct cc_risk_match_t {
    cc_risk_category_e category;
    const char *rule;          /* the rule's pattern as written; for the
                                  other sources "vocabulary:<class>" or
                                  "classifier" */
    size_t      start, end;    /* byte span in the input (the classifier's
                                  span is the whole message read) */
    int         negated;       /* 1 when negated/excused (not counted) */
    int         fuzzy;         /* matched through typo tolerance */
    cc_risk_source_e source;
    double      score;         /* classifier probability; 0 otherwise */
} cc_risk_match_t;

typedef struct cc_risk_result_t {
    int      risk;                         /* any category counted */
    int      emergency;
    unsigned categories;                   /* bit per cc_risk_category_e */
    apr_array_header_t *matches;           /* cc_risk_match_t, all matches
                                              incl. negated ones */
} cc_risk_result_t;

/* Check text[0..len) (any bytes; at most the first 16 KiB are read).
 * Thread-safe on a shared ruleset; allocates only from p. */
void cc_risk_check(const cc_ruleset_t *rs, const char *text, size_t len,
                   apr_pool_t *p, cc_risk_result_t *out);

/* cc_risk_check without the ruleset's indexes (the first-term hash, the
 * typo candidates and the sentence signature): every rule is tried at
 * every term.  The same result, the matches possibly in another order;
 * hundreds of times slower.  The reference the unit tests hold the
 * indexed matcher to. */
void cc_risk_check_naive(const cc_ruleset_t *rs, const char *text,
                         size_t len, apr_pool_t *p, cc_risk_result_t *out);

/* The whole gate: the rules (cc_risk_check), then the medical vocabulary
 * (a medical term in a sentence about the patient - "I'm on", "taking",
 * "diagnosed with", "my <condition>" - not negated, not in a question
 * about the clinic's services), then the classifier (cc_riskml).  vocab
 * or model may be NULL: that layer is skipped.  The layers only add:
 * nothing clears an emergency, and nothing but the classifier's veto
 * (an image with a veto threshold, p(risky) below it: the rules' and the
 * vocabulary's non-emergency matches are kept, marked negated) clears a
 * category a rule raised; the classifier adds categories and the risky
 * flag above its thresholds, and an emergency only when p(emergency) and
 * p(risky) are both above theirs (p(emergency) alone above its escalation
 * threshold, with p(risky) above its floor, makes the message risky);
 * neither adds back a category the rules excused, and where the rules
 * excused all they saw the classifier's categories need p >= 0.5.  A
 * question about nobody in particular ("what is ...?", "do you treat
 * ...?", no first person, child, age, "today" or "suddenly") gets nothing
 * from the vocabulary and only the classifier's emergency.  Every counted
 * match carries its source; classifier matches carry their probability.
 * Thread-safe; allocates only from p. */
struct cc_vocab_t;
struct cc_riskml_t;
void cc_risk_assess(const cc_ruleset_t *rs, const struct cc_vocab_t *vocab,
                    const struct cc_riskml_t *model, const char *text,
                    size_t len, apr_pool_t *p, cc_risk_result_t *out);

#endif

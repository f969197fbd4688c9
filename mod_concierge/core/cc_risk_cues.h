/*
 * cc_risk_cues.h - the small closed word classes the risk layers beyond
 * the rules share (cc_riskml features, cc_risk_assess's vocabulary
 * layer): first person, "taking/on", "have/diagnosed", negators, age
 * words, clause breaks, service-question modals and allergy words, in
 * the languages of CC_RISK_LANGS, folded as cc_tok folds them.
 * Internal to the core.
 */
#ifndef CC_RISK_CUES_H
#define CC_RISK_CUES_H

#include <stddef.h>
#include <stdint.h>
#include "cc_tok.h"
#include "cc_risk_lexicon.h"

#define CC_CUE_SELF    0x01u   /* i, my, je, ich, mi, ik, moj ... */
#define CC_CUE_TAKE    0x02u   /* on, taking, prescribed, tomo, nehme ... */
#define CC_CUE_HAVE    0x04u   /* have, diagnosed, suffer, tengo, habe ... */
#define CC_CUE_NEG     0x08u   /* no, not, never, pas, kein, nie ... */
#define CC_CUE_AGE     0x10u   /* years, old, aged, anos, jahre, lat ... */
#define CC_CUE_CLAUSE  0x20u   /* but, pero, mais, aber, maar, ale ... */
#define CC_CUE_MODAL   0x40u   /* can, could, do, offer, puedo, kann ... */
#define CC_CUE_ALLERGY 0x80u   /* allergic, alergia, allergisch ... */
#define CC_CUE_OTHER  0x100u   /* partner, husband, mum, friend, marido ...
                                  (an adult who is not the patient) */
#define CC_CUE_PAST   0x200u   /* ago, used (to), resolved, hace, geleden,
                                  temu ... (history, not now) */
#define CC_CUE_SCHOOL 0x400u   /* school, gcse, lycee, schule, liceo ... */
#define CC_CUE_CHILD  0x800u   /* daughter, son, hija, fille, tochter ... */
#define CC_CUE_RECENT 0x1000u  /* yesterday, today, ayer, hier, gestern ... */
#define CC_CUE_SUDDEN 0x2000u  /* suddenly, de repente, soudain, opeens ... */

/* The CC_CUE_* bits of the folded word w[0..n) (0 for other words). */
unsigned cc_risk_cue(const char *w, size_t n);

/* A folded term of a message, with what the layers beyond the rules
 * need to know about it. */
typedef struct cc_cue_term_t {
    char     s[CC_TOK_MAX + 1];
    uint8_t  n;
    uint8_t  brk;             /* sentence or clause punctuation before it */
    uint8_t  digits;          /* all digits */
    int8_t   vcls;            /* cc_vocab_class_e when a medical term,
                                 -1 when not (or no vocabulary) */
    int8_t   concept;         /* cc_risk_concept, -1 for none (or no
                                 lexicon) */
    unsigned cue;             /* CC_CUE_* */
    size_t   start, end;      /* byte span in the input */
} cc_cue_term_t;

/* Tokenise text[0..len) with cc_tok (no stemming) into t[0..max); returns
 * the number of terms kept.  vocab (may be NULL) fills vcls: terms of 4+
 * letters, not digits, not cue words, looked up once here for every
 * layer.  lex (may be NULL: no concepts) fills concept: the model
 * image's lexicon (cc_riskml_lexicon). */
struct cc_vocab_t;
size_t cc_risk_cue_terms(const char *text, size_t len,
                         const struct cc_vocab_t *vocab,
                         const cc_risk_lex_t *lex, cc_cue_term_t *t,
                         size_t max);

#endif

/*
 * cc_risk_lexicon.h - the risk classifier's concept lexicon: word classes
 * with one meaning across the eight languages of CC_RISK_LANGS ("head":
 * head, cabeza, tete, kopf, testa, cabeca, hoofd, glowa).  The words are
 * data (conf/risk-lexicon/<lang>.txt, concepts.txt); the trainer compiles
 * them into a section of the model image (cc_riskml.h), so a model and the
 * lexicon it was trained with never drift apart.  Internal to the core.
 *
 * Section layout (host byte order, 4-byte aligned, offsets from the
 * section's start; no pointers):
 *
 *   +----------------------------------+ 0
 *   | cc_risk_lex_hdr_t                |  magic "CCRLEX01", counts,
 *   |                                  |  first[27]: stems of letter c are
 *   |                                  |  [first[c-'a'], first[c-'a'+1])
 *   +----------------------------------+ sizeof(hdr)
 *   | char name[nconcepts][16]         |  NUL-terminated concept names
 *   +----------------------------------+
 *   | cc_risk_lex_stem_t stem[nstems]  |  sorted by bytes, no duplicates
 *   +----------------------------------+
 *   | char text[textlen]               |  the stems' letters, a-z
 *   +----------------------------------+ size (a multiple of 8)
 */
#ifndef CC_RISK_LEXICON_H
#define CC_RISK_LEXICON_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"

#define CC_RISK_LEX_MAGIC    "CCRLEX01"
#define CC_RISK_LEX_MAXCON   64     /* concept bits in a uint64_t */
#define CC_RISK_LEX_NAMELEN  16
#define CC_RISK_LEX_MINSTEM  3
#define CC_RISK_LEX_MAXSTEM  32

typedef struct cc_risk_lex_hdr_t {
    char     magic[8];
    uint32_t nconcepts;
    uint32_t nstems;
    uint32_t textlen;
    uint32_t size;              /* of the whole section */
    uint32_t first[27];
    uint32_t reserved;          /* 0 */
} cc_risk_lex_hdr_t;

typedef struct cc_risk_lex_stem_t {
    uint32_t off;               /* into text */
    uint8_t  len;
    uint8_t  concept;
    uint8_t  exact;             /* 1: the whole word only */
    uint8_t  zero;
} cc_risk_lex_stem_t;

/* A validated view of a section (borrowed; small, held by value). */
typedef struct cc_risk_lex_t {
    const cc_risk_lex_hdr_t  *hdr;
    const char               *names;
    const cc_risk_lex_stem_t *stem;
    const char               *text;
} cc_risk_lex_t;

/* One source file of the lexicon (its name only labels errors). */
typedef struct cc_risk_lex_src_t {
    const char *name;
    const char *text;
    size_t      len;
} cc_risk_lex_src_t;

/* Compile the concept names (concepts[0..clen): one a line, '#'
 * comments) and the entries of src[0..nsrc) ("<concept> <form>[*]" a
 * line) into a section allocated from p.  APR_EINVAL with prob set
 * ("invalid_lexicon", file and line) on an unknown concept, a bad form
 * or a form given twice. */
apr_status_t cc_risk_lex_compile(void **sec, size_t *len, apr_pool_t *p,
                                 const char *concepts, size_t clen,
                                 const cc_risk_lex_src_t *src, size_t nsrc,
                                 cc_problem_t *prob);

/* Check sec[0..len) (4-byte aligned): magic, counts, every stem's bounds,
 * letters and concept, the order and the first-letter index.  Fills lx
 * and returns 1, or returns 0 with a reason in *why. */
int cc_risk_lex_view(cc_risk_lex_t *lx, const void *sec, size_t len,
                     const char **why);

/* The concept (0..cc_risk_concept_count(lx)-1) of the folded word w[0..n),
 * -1 for none or when lx is NULL.  A stem matches a word it begins (the
 * longest wins), an exact one only the whole word; a French elision
 * folded into the word ("lepilepsie") is tried without its first letter.
 * Binary search; no allocation. */
int cc_risk_concept(const cc_risk_lex_t *lx, const char *w, size_t n);
const char *cc_risk_concept_name(const cc_risk_lex_t *lx, int c);
int cc_risk_concept_count(const cc_risk_lex_t *lx);

#endif

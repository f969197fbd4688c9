/*
 * cc_tok.h - the text normaliser shared by indexing, querying, the
 * grounding check and (later) the risk engine.
 *
 * Input is any byte sequence.  Valid UTF-8 is decoded; invalid bytes are
 * treated as separators (never crash, never read past len).  Letters are
 * case-folded and accent-folded to ASCII where a base letter exists
 * (é->e, ß->ss, æ->ae, ø->o, ł->l, ñ->n, ç->c, ...; Latin-1 Supplement and
 * Latin Extended-A at least); other letters (Greek, Cyrillic, CJK, ...) are
 * lower-cased where simple and kept as UTF-8.  Terms are maximal runs of
 * letters and digits, with these kept as one term:
 *   - numbers with units or letters attached: "24h", "2ml", "10am", "3rd"
 *   - decimal numbers: "2.5" (a '.' or ',' between digits)
 *   - currency amounts: "£250", "$99", "€40" (the symbol kept as UTF-8,
 *     followed by the digits; "250" alone is a separate number term)
 *   - intra-word apostrophes are dropped ("don't" -> "dont",
 *     "patient's" -> "patients" before stemming)
 *   - hyphens split ("follow-up" -> "follow", "up")
 * Terms longer than CC_TOK_MAX bytes are truncated to CC_TOK_MAX.
 */
#ifndef CC_TOK_H
#define CC_TOK_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>

#define CC_TOK_MAX 48

#define CC_TOK_STEM   0x1   /* apply the English (Porter2/Snowball) stemmer
                               to alphabetic terms */
#define CC_TOK_NOSTOP 0x2   /* drop English stop words (checked before
                               stemming) */

/* Called for every term; term is NUL-terminated in a buffer owned by the
 * tokenizer (copy it to keep it).  pos counts terms emitted so far (stop
 * words that were dropped still advance pos), start/end are the byte
 * offsets of the term in the input.  Return nonzero to stop early. */
typedef int cc_tok_fn(void *baton, const char *term, size_t len,
                      uint32_t pos, size_t start, size_t end);

/* Tokenise text[0..len).  Returns the number of terms emitted. */
uint32_t cc_tok_each(const char *text, size_t len, int flags,
                     cc_tok_fn *fn, void *baton);

/* Convenience: every term as a char* copied into p. */
apr_array_header_t *cc_tok_terms(apr_pool_t *p, const char *text, size_t len,
                                 int flags);

/* English stop word?  w is a folded (lower-case ASCII) term. */
int cc_tok_stopword(const char *w, size_t len);

/* Porter2 (Snowball English) stemmer, in place on a lower-case ASCII word
 * of length len (< CC_TOK_MAX); returns the new length and NUL-terminates.
 * Words with non-ASCII bytes or digits are returned unchanged. */
size_t cc_stem_english(char *w, size_t len);

#endif

/*
 * cc_sent.h - sentences of knowledge text and of answers: the splitter,
 * the display cleaner, and the sentence table of a text (what
 * cc_answer_extract needs to know about each sentence, computed once at
 * index build time so that a chat request only hashes its query).
 *
 * Sentences: a sentence ends at '.', '!' or '?' (runs like "?!" or "..."
 * and closing quotes/brackets included) followed by white space or the
 * end, except after an abbreviation ("e.g.", "Dr.", "a.m.", ...) or a
 * single capital initial.  Blank lines end a sentence; a list item, a
 * heading or a table row starts one, and headings and table rows end at
 * their line's end.  A decimal such as "2.5" never ends a sentence because
 * its '.' is not followed by white space.
 */
#ifndef CC_SENT_H
#define CC_SENT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>

/* Sentence table of one text.  A flat, pointer-free blob (integers in host
 * byte order, read with memcpy: any address will do):
 *
 *   header     16 bytes      magic "CCST", nsent, nterms, text_len (u32)
 *   sentences  nsent x 16    start, end (byte range in the text, trailing
 *                            white space trimmed), nterms, flags (u32)
 *   terms      nterms x 8    per sentence in order: FNV-1a 64 hashes of
 *                            its distinct terms (cc_tok, stemmed, stop
 *                            words dropped) in the cleaned sentence (line
 *                            markup removed, white space collapsed),
 *                            ascending
 *
 * Sentences are in text order and do not overlap; flags are
 * CC_SENT_HEADING (a Markdown heading: never extracted, no terms),
 * CC_SENT_ANY (the cleaned sentence has at least one term, stop words
 * included; a sentence without it has no terms and no fact) and the kinds
 * of fact the sentence carries, cc_sent_facts of its bytes shifted by
 * CC_SENT_FACT_SHIFT (CC_SENT_PRICE, CC_SENT_HOURS, CC_SENT_WHERE).  The
 * table of a text is a pure function of its bytes. */
#define CC_SENTS_MAGIC   0x54534343u   /* "CCST" */
#define CC_SENTS_HDR     16            /* magic, nsent, nterms, text_len */
#define CC_SENTS_REC     16            /* start, end, nterms, flags */
#define CC_SENT_HEADING  0x1u
#define CC_SENT_ANY      0x2u
#define CC_SENT_FACT_SHIFT 2
#define CC_SENT_PRICE    0x4u          /* CC_FACT_PRICE << 2 */
#define CC_SENT_HOURS    0x8u          /* CC_FACT_HOURS << 2 */
#define CC_SENT_WHERE    0x10u         /* CC_FACT_WHERE << 2 */

/* The sentence table of text[0..len) into p.  APR_EINVAL when len does not
 * fit in 32 bits, APR_ENOMEM when out of memory (*blob NULL, *blen 0). */
apr_status_t cc_sent_analyse(const void **blob, size_t *blen, apr_pool_t *p,
                             const char *text, size_t len);

/* Is blob[0..blen) a well-formed sentence table of a text of text_len
 * bytes (every field checked: sizes, ranges in order within the text,
 * flags, term counts)?  0 when it is. */
int cc_sent_check(const void *blob, size_t blen, size_t text_len);

/* One sentence of a split text. */
typedef struct cc_sent_t {
    size_t s;         /* first byte */
    size_t e;         /* one past the last byte (trailing space trimmed) */
    int    para;      /* paragraph ordinal (blank lines separate) */
    int    heading;   /* a Markdown heading line */
} cc_sent_t;

/* Split t[0..len) into sentences (an array of cc_sent_t in p, in text
 * order).  With cites, citation groups written just after a sentence's
 * terminator on the same line ("Open at 9. [S1]") belong to it. */
apr_array_header_t *cc_sent_split(apr_pool_t *p, const char *t, size_t len,
                                  int cites);

/* The sentence t[s..e) for display: line-start markup ("- ", "* ", "1. ",
 * "#", "|", ">") removed, white space and control characters collapsed to
 * single spaces, table pipes at the ends dropped.  Returns a string in p
 * (maybe empty) and its length in *outlen. */
char *cc_sent_clean(apr_pool_t *p, const char *t, size_t s, size_t e,
                    size_t *outlen);

/* The Markdown markup at a line start t[0..n) (indentation already
 * skipped): CC_LINE_ITEM ("- ", "* ", "+ ", "1. ", "1) "), CC_LINE_HEAD
 * ("#".."######"), CC_LINE_TABLE ("|"), CC_LINE_QUOTE (">") or
 * CC_LINE_PLAIN; *mlen is the marker's length (a list marker's space
 * included, 0 for plain). */
enum { CC_LINE_PLAIN, CC_LINE_ITEM, CC_LINE_HEAD, CC_LINE_TABLE,
       CC_LINE_QUOTE };
int cc_sent_line_kind(const char *t, size_t n, size_t *mlen);

/* Does t[0..len) hold at least one term (cc_tok, stop words included)? */
int cc_sent_any_term(const char *t, size_t len);

/* Kinds of fact, as bits: what a question asks for and what a sentence
 * carries. */
#define CC_FACT_PRICE    0x1u   /* a currency amount ("£50", "€40", "$9"),
                                   "free" */
#define CC_FACT_HOURS    0x2u   /* a time of day ("9am", "5:30pm", "7 p.m.")
                                   or a day name ("Saturdays", "weekend") */
#define CC_FACT_WHERE    0x4u   /* a UK postcode or a place word ("street",
                                   "walk", "bridge", "floor", "entrance",
                                   "station", "park", "bus", ...) */

/* The kinds of fact the question q[0..n) asks for, from cue words in
 * English, Spanish, French and German (folded as cc_tok folds them):
 * a price ("how much", "cost", "price", "fee", "£", "cuánto", "cuesta",
 * "combien", "prix", "wie viel", "kostet", ...), opening hours ("open",
 * "closed", "what time", "hours" but not after "how long" / "how many",
 * "horario", "horaires", "Öffnungszeiten", ...; a day name when at most
 * one other content word comes with it: "Saturday?", "Saturday
 * appointments?", but "SPF make-up Thursday" asks about make-up), a place
 * ("where", "address", "how do I get", "parking", "dónde", "où",
 * "adresse", "wo", ...).  0 for any other question. */
unsigned cc_sent_asks(const char *q, size_t n);

/* The kinds of fact t[s..e) carries (CC_FACT_*). */
unsigned cc_sent_facts(const char *t, size_t s, size_t e);

/* Does c end a sentence ('.', '!' or '?')? */
static inline int cc_sent_is_end(unsigned char c)
{
    return c == '.' || c == '!' || c == '?';
}

#endif

/*
 * cc_answer.h - answers built only from retrieved chunks: the extractive
 * answer, the LLM prompt and response, and the grounding check that decides
 * whether an LLM answer is supported by the chunks it was given.
 *
 * Sources are labelled S1..Sn in the prompt; the LLM must cite them as
 * "[S1]", "[S2]" (a citation may list several: "[S1][S3]" or "[S1, S3]").
 */
#ifndef CC_ANSWER_H
#define CC_ANSWER_H

#include <stddef.h>
#include <apr_pools.h>
#include <jansson.h>
#include "cc_problem.h"

#define CC_ANSWER_MAX_SOURCES 8

typedef struct cc_source_t {
    const char *id;       /* chunk id */
    const char *title;    /* section title */
    const char *text;     /* chunk text */
    size_t      len;
    double      score;
    const void *sents;    /* optional: the text's sentence table
                             (cc_answer_analyse, e.g. from the index
                             image); NULL: extract computes it */
    size_t      sents_len;
} cc_source_t;

/* Sentence table of one text: what cc_answer_extract needs to know about
 * each of its sentences, computed once (at index build time) so that a chat
 * request only hashes its query.  A flat, pointer-free blob (integers in
 * host byte order, read with memcpy: any address will do):
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
 * CC_SENT_HEADING (a Markdown heading: never extracted, no terms) and
 * CC_SENT_ANY (the cleaned sentence has at least one term, stop words
 * included; a sentence without it has no terms).  The table of a text is a
 * pure function of its bytes. */
#define CC_SENTS_MAGIC   0x54534343u   /* "CCST" */
#define CC_SENT_HEADING  0x1u
#define CC_SENT_ANY      0x2u

/* The sentence table of text[0..len) into p.  APR_EINVAL when len does not
 * fit in 32 bits, APR_ENOMEM when out of memory (*blob NULL, *blen 0). */
apr_status_t cc_answer_analyse(const void **blob, size_t *blen, apr_pool_t *p,
                               const char *text, size_t len);

/* Is blob[0..blen) a well-formed sentence table of a text of text_len
 * bytes (every field checked: sizes, ranges in order within the text,
 * flags, term counts)?  0 when it is. */
int cc_answer_sents_check(const void *blob, size_t blen, size_t text_len);

/* Extractive answer: up to max_sentences sentences taken verbatim from the
 * sources, chosen by overlap with the query's terms (cc_tok, stemmed, stop
 * words dropped), favouring the best-ranked source, kept in source order
 * within a source, no duplicates, each at most 400 bytes (longer ones are
 * cut at a word boundary with "…").  Markdown markup at line starts
 * ("- ", "* ", "1. ", "#", "|") is removed.  used[i] is set to 1 for each
 * source a sentence came from (used may be NULL).  Never returns NULL: with
 * no overlapping sentence it returns the first sentence of the best source.
 * A source's sentence table (sents) is used when cc_answer_sents_check
 * accepts it for the source's text; otherwise (or when it is NULL) it is
 * computed here, with the same result.  Term matching compares 64-bit
 * hashes.  Only the sentences considered for output are cleaned. */
char *cc_answer_extract(apr_pool_t *p, const char *query,
                        const cc_source_t *src, int nsrc, int max_sentences,
                        int *used);

/* The OpenAI-compatible chat-completions request body:
 *   {"model": model, "temperature": 0, "max_tokens": 400,
 *    "messages": [{"role":"system","content": <rules>},
 *                 {"role":"user","content": <sources + question>}]}
 * The system message tells the model to answer only from the numbered
 * sources, to cite each statement as [Sn], never to give medical advice,
 * and to reply exactly "NO_ANSWER" when the sources do not answer.  The
 * user message lists each source as "[Sn] <title>\n<text>" then the
 * question.  Returns a new reference. */
json_t *cc_llm_request(const char *model, const char *question,
                       const cc_source_t *src, int nsrc);

/* The answer text of a chat-completions response (choices[0].message
 * .content), copied into p and trimmed, or NULL with prob set
 * ("llm_bad_response").  Bodies over 256 KiB are refused. */
const char *cc_llm_parse(apr_pool_t *p, const char *body, size_t len,
                         cc_problem_t *prob);

/* Grounding check.  The answer is supported when
 *   - it is not "NO_ANSWER" and is not empty,
 *   - it cites at least one source, and only S1..Snsrc,
 *   - every sentence with at least 3 content terms has at least
 *     min_overlap (0..1) of its content terms (stemmed, stop words
 *     dropped; numbers included) present in the union of the sources it
 *     cites — a sentence without its own citation takes the citations of
 *     the nearest cited sentence in its paragraph, else all cited sources.
 * Returns 1 when supported.  cited[i] (may be NULL) is set to 1 for each
 * cited source.  On 0, *reason (may be NULL) is a static string:
 * "no_answer", "empty", "no_citation", "unknown_citation",
 * "unsupported_sentence". */
int cc_answer_supported(apr_pool_t *p, const char *answer,
                        const cc_source_t *src, int nsrc, double min_overlap,
                        int *cited, const char **reason);

/* The answer without citation markers and with whitespace tidied. */
char *cc_answer_strip_citations(apr_pool_t *p, const char *answer);

#endif

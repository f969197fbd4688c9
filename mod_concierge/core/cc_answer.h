/*
 * cc_answer.h - answers built only from retrieved chunks: the extractive
 * answer (cc_extract.c), the LLM prompt and response (cc_llmwire.c), and
 * the grounding check that decides whether an LLM answer is supported by
 * the chunks it was given (cc_ground.c).
 *
 * Sources are labelled S1..Sn in the prompt; the LLM must cite them as
 * "[S1]", "[S2]" (a citation may list several: "[S1][S3]" or "[S1, S3]").
 */
#ifndef CC_ANSWER_H
#define CC_ANSWER_H

#include <stddef.h>
#include <string.h>
#include <apr_pools.h>
#include <jansson.h>
#include "cc_problem.h"
#include "cc_sent.h"

#define CC_ANSWER_MAX_SOURCES 8

typedef struct cc_source_t {
    const char *id;       /* chunk id */
    const char *title;    /* section title */
    const char *text;     /* chunk text */
    size_t      len;
    double      score;
    const void *sents;    /* optional: the text's sentence table
                             (cc_sent_analyse, e.g. from the index
                             image); NULL: extract computes it */
    size_t      sents_len;
} cc_source_t;

/* The length of a source's text: len, or strlen when len is 0. */
static inline size_t cc_source_len(const cc_source_t *s)
{
    if (!s->text) {
        return 0;
    }
    return s->len ? s->len : strlen(s->text);
}

/* Extractive answer: up to max_sentences whole sentences from the
 * sources (no duplicates, each at most 400 bytes: longer ones are cut at a
 * word boundary with "…"), in source order and text order within a
 * source.  used[i] is set to 1 for each source a sentence came from (used
 * may be NULL).  Never returns NULL.
 *
 * Choice.  Sentences are scored by the query's terms they hold (cc_tok,
 * stemmed, stop words dropped; rarer terms weigh more), a lower-ranked
 * source discounted by 10% per rank.  A question asking for a price, the
 * opening hours or a place (cc_sent_asks: cue words in English, Spanish,
 * French, German) prefers the sentences carrying that kind of fact
 * (cc_sent_facts: an amount, a time or day, a street or postcode), ranked
 * by the question's terms they hold, half of those in their section title,
 * and, for a fact sentence without the question's words, the words it
 * shares with its source's best sentence without the fact, which then
 * comes with it ("Anti-wrinkle injection prices, one area: £180. Each of
 * forehead lines, ... counts as one area, ...").  Any other question, or
 * one no such sentence relates to, keeps the overlap ranking: at least 60%
 * of the best score and more than half as many query terms.  With no
 * overlap at all: the first sentence carrying the asked fact (in the best
 * source that has one), else the first sentence of the best source.
 *
 * Whole sentences.  Markdown headings and table header rows are never
 * answers; line markup ("- ", "* ", "1. ", "#", "|", ">") is removed.  A
 * list item or table row without end punctuation is a fragment: it is
 * shown after its context, the lead-in sentence ending in ':' just before
 * the list or else the section title (whichever holds more of the query's
 * terms), and the picked items of one list make one sentence:
 * "<title>, <item>." or "<title>: <item>; <item>." or "<lead-in> <item>;
 * <item>." (the item's first letter lower-cased when it starts an
 * ordinary word; table cells joined by ": " then ", ").  A picked lead-in
 * brings its whole list of fragments.  Only the sources' words are used,
 * with joining punctuation.
 *
 * A source's sentence table (sents) is used when cc_sent_check accepts it
 * for the source's text; otherwise (or when it is NULL) it is computed
 * here, with the same result.  Term matching compares 64-bit hashes.
 * Only the sentences considered for output are cleaned. */
char *cc_answer_extract(apr_pool_t *p, const char *query,
                        const cc_source_t *src, int nsrc, int max_sentences,
                        int *used);

/* The OpenAI-compatible chat-completions request body:
 *   {"model": model, "temperature": 0, "max_completion_tokens": 400,
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
 * ("llm_bad_response"; "llm_truncated" when choices[0].finish_reason is
 * not "stop": cut off at max_completion_tokens, or no answer).  Bodies
 * over 256 KiB are refused. */
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

/*
 * cc_index.h - the retrieval index: built into one pointer-free image in
 * plain memory, searched in place (the same bytes live in shared memory in
 * the module, in a malloc'd buffer in tests, fuzzing and `make eval`).
 *
 * Ranking, in two stages:
 *
 *  1. BM25 (k1, b) over the chunk body plus the title as a separate field
 *     with its own weight (BM25F-style: title term frequencies are
 *     multiplied by title_weight before saturation), with query expansion
 *     through an admin-editable synonym list (a query term that appears in
 *     a synonym group also searches the group's other terms at a reduced
 *     weight).
 *
 *  2. Re-rank of the best CC_IX_RERANK (16) BM25 candidates:
 *       score = bm25 * coverage^coverage_weight
 *                    * (1 + pair_weight * pairs)
 *                    * (1 + title_rank_weight * agreement)
 *     coverage is cc_index_coverage (below), pairs the share of the
 *     question's adjacent term pairs ("lip filler", "gift voucher") that
 *     stand side by side in the chunk's title or text.  Why: BM25 lets a
 *     short section that repeats the common words of a question ("lip
 *     filler ... lip filler") beat the one that also holds its rare word
 *     ("dentist"); an answer must hold what is specific in the question,
 *     and words the patient wrote together are better evidence together.
 *     agreement is the harmonic mean of two idf-weighted shares: of the
 *     chunk title's terms that the question holds (the title match
 *     below), and of the question's terms that the title holds (each
 *     directly or through a synonym).  A section's parent or sibling
 *     shares words with the question too ("Clinic policies", "Late
 *     cancellations" for "the policy on cancelling"); the section whose
 *     title and the question hold each other ("Cancellation policy")
 *     says what was asked.  The coverage factor is at most 1, the pair
 *     factor at most 1 + pair_weight and the title factor at most
 *     1 + title_rank_weight, so a hit's score stays near the BM25 scale
 *     the grounding threshold (ConciergeGroundingMinScore) is written in.
 *     0 for a weight disables its factor.  (Image version 3 carries the
 *     first two weights and the pairs section, version 5
 *     title_rank_weight.)
 *
 * The question is read as a patient writes it (cc_index_search.c):
 *   - chatter ("u", "get", "actually", "dont", "want", "whos") is dropped
 *     on top of the tokenizer's stop words: it is no topic, and words the
 *     clinic never writes would otherwise weigh most in coverage;
 *   - a phrase synonym ("work out", "call off", "big day") is reached only
 *     by its words side by side (synonym file, cc_index_builder_synonyms);
 *   - a word addressed to the assistant's instructions ("ignore",
 *     "disregard", "prompt", "pretend", "verbatim", ...) makes the message
 *     a prompt injection: search finds nothing and coverage is 0, so the
 *     chat never grounds an answer on it;
 *   - a number the knowledge never writes ("20 mins", "3am") does not count
 *     against coverage;
 *   - a question left with no term that asks where the clinic is or when
 *     it opens (cc_sent_asks: "where are you?", "where is it") is searched
 *     as the clinic's words for that fact ("address", "opening hours");
 *     a price with nothing to price ("how much is it?") stays empty.
 *
 * The no-answer decision (api/chat.c, mirrored by tests/eval/eval_answer.c)
 * uses two of these signals: a source must score at least
 * ConciergeGroundingMinScore (the re-ranked score) and reach
 * ConciergeGroundingMinCoverage in cc_index_coverage:
 *     (coverage + title_cover_weight * title) / (1 + title_cover_weight)
 * coverage as above, title the idf-weighted share of the chunk title's
 * terms that the question holds (its own words or their synonyms; chatter
 * dropped).  Coverage counts a word the clinic never uses at the highest
 * idf, so a question whose specific words are absent from the knowledge
 * ("dysport", "mesotherapy", "fraxel") stays below the threshold however
 * well its common words match.  The title says what a section answers: a
 * question the section answers usually names it ("gift vouchers",
 * "cancellation policy"), one it cannot answer tends to share only words
 * of its body ("minoxidil ... hair growth" on the laser page).  On the
 * tuning half of make eval the blend (0.4, threshold 0.50) answers from
 * the right section more often at a lower rate of unanswerable questions
 * answered than coverage alone at any threshold, also out of fold
 * (eval_answer --cv).  The title share alone is not a ranking factor (as
 * one it gained nothing measurable); the agreement of both directions
 * above is.  (Image version 4 carries its weight.)
 *
 * context_weight (image version 6; default 1.0, which changes nothing)
 * splits the words a chunk lacks in that coverage: one the knowledge uses
 * elsewhere counts context_weight of its idf against the chunk, one the
 * knowledge never uses counts all of it.  A patient's words the clinic
 * writes in other sections are mostly context ("my husband", "calling");
 * a word it never writes may be what it cannot answer.  On the tuning sets
 * 0.75 gives more right answers than 1.0 at a strict threshold (about
 * 0.65, unanswerable answered near 0.03) and none at 0.50, where it only
 * trades refusals for answers; it is meant to change with the threshold
 * (docs/INTERNALS.md, fourth cycle).  It applies to the grounding figure
 * only: the re-rank's coverage counts every missing word alike.
 *
 * Image layout (all integers little-endian as the host writes them; every
 * reference is a byte offset from the image start; every read in search is
 * bounds-checked against len, so a damaged image can give a wrong result
 * but never a crash):
 *
 *   +-----------------------+ 0
 *   | header                | magic "CCIX", version (6), total length,
 *   |                       | checksum (FNV-1a 64 of bytes after header),
 *   |                       | params, counts, section offsets
 *   +-----------------------+
 *   | term dictionary       | sorted terms -> postings offset, df
 *   | postings              | (chunk, tf_body, tf_title) triples
 *   | chunk table           | id, title, text, sentence table
 *   |                       | offsets/lengths, lengths
 *   | synonym table         | trigger (word or phrase) -> group;
 *   |                       | group -> member terms
 *   | pairs                 | (hash of two adjacent terms, chunk)
 *   | sentence tables       | per chunk: cc_sent_analyse of its text
 *   | string heap           | ids, titles, texts, terms (NUL-terminated)
 *   +-----------------------+ len
 */
#ifndef CC_INDEX_H
#define CC_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"

#define CC_INDEX_MAGIC   0x58494343u   /* "CCIX" */
#define CC_INDEX_VERSION 6u

typedef struct cc_index_params_t {
    double k1;            /* default 1.2 */
    double b;             /* default 0.75 */
    double title_weight;  /* default 2.0; 0 disables the title field */
    double synonym_weight;/* weight of expanded terms, default 0.6;
                             0 disables expansion */
    double coverage_weight;/* exponent of the coverage factor that
                             re-ranks the best BM25 candidates, default
                             0.5; 0 ranks by BM25 alone */
    double pair_weight;   /* bonus of a candidate holding all of the
                             question's adjacent term pairs, default 0.5
                             (score * (1 + pair_weight * share)); 0
                             disables it */
    double title_cover_weight;/* weight of the title match in
                             cc_index_coverage, default 0.4 (below); 0
                             leaves the question's coverage alone */
    double title_rank_weight;/* bonus of a candidate whose title and the
                             question hold each other's terms, default
                             1.0 (score * (1 + title_rank_weight * F),
                             F the title agreement below); 0 disables
                             it */
    double context_weight;/* in cc_index_coverage, the weight of a
                             question word the knowledge uses but the
                             chunk lacks, against 1 for a word the
                             knowledge never uses (below); 0..1, default
                             1.0: every missing word alike.  (Image
                             version 6.) */
} cc_index_params_t;

void cc_index_params_default(cc_index_params_t *params);

typedef struct cc_index_builder_t cc_index_builder_t;

cc_index_builder_t *cc_index_builder_create(apr_pool_t *p,
                                            const cc_index_params_t *params);
/* Add one chunk.  id is the caller's stable identifier (e.g.
 * "doc-slug#3"), returned by search.  Strings are copied. */
void cc_index_builder_add(cc_index_builder_t *b, const char *id,
                          const char *title, const char *text, size_t len);
/* Synonym groups, one per line: "acne = zits, spots, pimples, breakouts".
 * Entries are comma-separated, tokenised like text (stemmed, stop words
 * dropped).  A one-word entry, left or right of '=', triggers the group
 * (a query holding it also searches the group's members) and is a member.
 * A phrase ("work out", "anti-wrinkle") triggers the group only with its
 * words adjacent in the query; the words of a phrase on the left (the
 * clinic's own term) are members, those of a phrase on the right (patient
 * words, often common ones) are not.  '#' starts a comment.  Malformed
 * lines are skipped and counted in the return value. */
int cc_index_builder_synonyms(cc_index_builder_t *b, const char *text,
                              size_t len);

/* Build the image into memory allocated from p (8-byte aligned).  Returns
 * APR_SUCCESS, or an error with prob set (e.g. too many chunks). */
apr_status_t cc_index_build(void **img, size_t *len, cc_index_builder_t *b,
                            apr_pool_t *p, cc_problem_t *prob);

/* Validate an image: magic, version, length fields, checksum, that every
 * section lies within len, and every chunk's sentence table (in its section,
 * cc_sent_check for the chunk's text length).  0 when usable. */
int cc_index_check(const void *img, size_t len);

typedef struct cc_index_stats_t {
    uint32_t nchunks, nterms, nsynonym_groups;
    double   avg_len;
    uint64_t checksum;
} cc_index_stats_t;
int cc_index_stats(const void *img, size_t len, cc_index_stats_t *st);

typedef struct cc_hit_t {
    uint32_t chunk;   /* index into the chunk table */
    double   score;
} cc_hit_t;

/* Top-k chunks for query (k <= 64), best first, by the re-ranked score
 * (above); returns how many were found (score > 0), 0 for a message with
 * a word addressed to the assistant.  scratch is for temporary allocation
 * (cleared by the caller); no allocation survives the call. */
int cc_index_search(const void *img, size_t len, const char *query,
                    size_t qlen, cc_hit_t *hits, int k, apr_pool_t *scratch);

/* How well chunk i grounds an answer to query, 0..1: the query's coverage
 * blended with the title match (above; title_cover_weight 0 gives the
 * coverage alone).  Coverage is the idf-weighted share of the query's
 * distinct terms (stemmed, stop words and chatter dropped) that occur in
 * the chunk, directly or through a synonym (of the term, or of a phrase
 * it is part of).  Terms the knowledge never uses weigh the most, so "who
 * won the football last night" scores low on an aftercare section that
 * only shares "last night"; a number the knowledge never uses weighs
 * nothing; with context_weight below 1 a missing word the knowledge uses
 * elsewhere weighs that much less (above).  0 for a message with a word
 * addressed to the assistant.  The coverage alone (without the title and
 * with every missing word alike) re-ranks search. */
double cc_index_coverage(const void *img, size_t len, const char *query,
                         size_t qlen, uint32_t chunk, apr_pool_t *scratch);

/* Accessors of chunk i; NULL when out of range or damaged. */
const char *cc_index_chunk_id(const void *img, size_t len, uint32_t i);
const char *cc_index_chunk_title(const void *img, size_t len, uint32_t i);
const char *cc_index_chunk_text(const void *img, size_t len, uint32_t i,
                                size_t *tlen);
/* The sentence table of chunk i's text (cc_sent_analyse; for
 * cc_source_t.sents) and its length in *blen; NULL (and *blen 0) when out
 * of range or when it does not lie within the image's sentence section.
 * Only its bounds are checked here: cc_answer_extract checks the content
 * (cc_index_check has validated all of it at attach). */
const void *cc_index_chunk_sentences(const void *img, size_t len, uint32_t i,
                                     size_t *blen);

#endif

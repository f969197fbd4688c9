/*
 * cc_chunk.h - split a knowledge document into sections and chunks.
 *
 * Markdown: every ATX heading ("#".."######" followed by a space) starts a
 * section whose title is the heading text as written (trimmed, trailing
 * '#'s removed).  Setext headings ("Title" over "===" or "---") count too.
 * Text before the first heading belongs to a section titled with the
 * document title.  Headings inside fenced code blocks (``` or ~~~) do not
 * count.  A section longer than max_chars is split into several chunks at
 * paragraph boundaries, else sentence boundaries, else hard at max_chars
 * (never inside a UTF-8 sequence); each keeps the section title.  Plain
 * text is a document without headings.  Empty sections produce no chunk.
 */
#ifndef CC_CHUNK_H
#define CC_CHUNK_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>

typedef struct cc_chunk_t {
    const char *title;     /* section heading as written (in p) */
    const char *text;      /* chunk body, trimmed, NUL-terminated (in p) */
    size_t      len;
    int         section;   /* section ordinal within the document, from 0 */
    int         part;      /* chunk ordinal within the section, from 0 */
} cc_chunk_t;

/* Returns an array of cc_chunk_t (by value).  doc_title may be NULL. */
apr_array_header_t *cc_chunk_markdown(apr_pool_t *p, const char *doc_title,
                                      const char *md, size_t len,
                                      size_t max_chars);

#endif

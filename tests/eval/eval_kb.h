/* eval_kb.h - the sample knowledge as make eval's programs load it: every
 * <dir>/NAME.md chunked like the module (cc_chunk_markdown, 1200 chars,
 * ids "<file-stem>#<n>") and built into a BM25 index image. */
#ifndef EVAL_KB_H
#define EVAL_KB_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_index.h"

#define EV_KB_MAX_CHARS 1200

typedef struct ev_chunk_t {
    const char *id;
    const char *doc;        /* file stem */
    const char *title;
    const char *text;
    size_t      len;
    int         section;
} ev_chunk_t;

/* The chunks (ev_chunk_t) of every *.md file of dir, files in name order;
 * *ndocs is the number of files.  Exits 2 when dir cannot be read. */
apr_array_header_t *ev_load_chunks(apr_pool_t *p, const char *dir, int *ndocs);

/* Build and check the index image of chunks with params and the synonym
 * text syn (may be NULL); *malformed counts skipped synonym lines.  Exits
 * 2 on failure. */
void ev_build_index(void **img, size_t *len, apr_pool_t *p,
                    const apr_array_header_t *chunks,
                    const cc_index_params_t *params,
                    const char *syn, size_t synlen, int *malformed);

#endif

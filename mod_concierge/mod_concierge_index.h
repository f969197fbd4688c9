/*
 * mod_concierge_index.h - the retrieval index in shared memory.
 */
#ifndef MOD_CONCIERGE_INDEX_H
#define MOD_CONCIERGE_INDEX_H

#include "mc_private.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

typedef struct mc_index_ref {
    const void   *img;
    apr_size_t    len;
    apr_uint32_t  slot;
    apr_uint32_t  generation;
    apr_int64_t   kversion;
} mc_index_ref;

typedef struct mc_hit {
    const char *id;
    const char *title;
    const char *text;
    apr_size_t  len;
    double      score;
    double      coverage;   /* cc_index_coverage of the query */
    const void *sents;      /* the text's sentence table (for
                               cc_source_t.sents), or NULL */
    apr_size_t  sents_len;
} mc_hit;

apr_status_t mc_index_pre_config(apr_pool_t *pconf);
apr_status_t mc_index_post_config(apr_pool_t *pconf, server_rec *s);
void mc_index_child_init(apr_pool_t *p, server_rec *s);
/* Rebuild from the database now (force: even if the version is the one
 * served).  Returns once the new generation is live on this host. */
apr_status_t mc_index_rebuild(request_rec *r, ap_dbd_t *dbd, int force);
/* A knowledge change, inside its transaction and after its statements
 * (the version bump first, so concurrent changes queue on its row lock and
 * each sees the one before): build the index image of the knowledge as
 * the transaction sees it, in private memory.  APR_SUCCESS with *out;
 * APR_ENOSPC when the image (*needed bytes) does not fit a slot
 * (*available bytes, ConciergeIndexSize): refuse the change; anything else
 * when the database failed. */
typedef struct mc_index_image mc_index_image;
apr_status_t mc_index_prepare(request_rec *r, ap_dbd_t *dbd,
                              mc_index_image **out, apr_size_t *needed,
                              apr_size_t *available);
/* After COMMIT: publish the prepared image on this host (unless a newer
 * version is live already) and free it. */
apr_status_t mc_index_install(request_rec *r, mc_index_image *im);
/* From a background thread (the warm-up at child start): build the index
 * when none is, or when the knowledge moved (at most once a second). */
void mc_index_warm(server_rec *s, apr_pool_t *p);
apr_status_t mc_index_acquire(request_rec *r, mc_index_ref *ref);
void mc_index_release(mc_index_ref *ref);
/* Search; hits are copied into r->pool (hits has room for k). */
apr_status_t mc_index_query(request_rec *r, const char *q, apr_size_t qlen,
                            int k, mc_hit *hits, int *nhits,
                            apr_uint32_t *generation);
/* The index's state; with r (holding no database connection), built
 * first if it is not yet. */
json_t *mc_index_health(request_rec *r);
#endif

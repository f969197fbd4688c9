/*
 * mod_concierge_ticker.h - background work in a thread of each child.
 */
#ifndef MOD_CONCIERGE_TICKER_H
#define MOD_CONCIERGE_TICKER_H

#include "mc_private.h"

typedef struct mc_ticker mc_ticker;
typedef void mc_tick_fn(apr_pool_t *p, server_rec *s, void *baton);
/* Run tick every `every` in a thread of this child until the child exits
 * (stopped in a pre-cleanup of p); NULL (logged) when the thread cannot
 * start. */
mc_ticker *mc_ticker_start(apr_pool_t *p, server_rec *s, const char *name,
                           apr_interval_time_t every, mc_tick_fn *tick,
                           void *baton);
#endif

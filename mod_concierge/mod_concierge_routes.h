/*
 * mod_concierge_routes.h - the route table, assembled at start-up from the
 * resources' own rows, and the dispatcher that runs a request through it.
 */
#ifndef MOD_CONCIERGE_ROUTES_H
#define MOD_CONCIERGE_ROUTES_H

#include "mc_private.h"
#include "mod_concierge_api.h"

/* Every resource (the generated list, ended by NULL). */
extern const mc_resource *const mc_resources[];

/* Assemble the route and statement tables from mc_resources (pre_config;
 * again on every restart).  APR_EINVAL, logged, when two routes share a
 * method and pattern or two statements a label. */
apr_status_t mc_routes_assemble(apr_pool_t *pconf, server_rec *s);

/* The assembled tables, valid after mc_routes_assemble. */
int mc_routes_count(void);
const mc_route *mc_routes_get(int i);
int mc_stmts_count(void);
const mc_stmt *mc_stmts_get(int i);

/* Labels "METHOD pattern" for metrics, plus "unmatched" at count. */
const char *const *mc_route_labels(apr_pool_t *p);

void mc_request_id_child_init(void);
int mc_dispatch(request_rec *r);
/* Route index of r for metrics (mc_routes_count() when none matches). */
int mc_route_index(request_rec *r);
/* r->notes key set when the request was refused as cross-site (audited
 * as auth.cross_site, not auth.forbidden). */
#define MC_NOTE_CROSS_SITE "concierge-cross-site"

#endif

/*
 * mod_concierge_webhdr.h - security and cache headers for what httpd
 * serves outside /api/ on a concierge site (the patient pages, the widget
 * script, hashed assets).
 */
#ifndef MOD_CONCIERGE_WEBHDR_H
#define MOD_CONCIERGE_WEBHDR_H

#include "mc_private.h"

/* The policies of every site, made once per (re)start. */
apr_status_t mc_webhdr_post_config(apr_pool_t *pconf, server_rec *s);
/* The fixups and insert_error_filter hooks. */
void mc_webhdr_register(apr_pool_t *p);

#endif

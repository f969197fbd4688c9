/*
 * mod_concierge_notify.h - staff notifications (webhook, e-mail) from the
 * outbox, delivered by a background thread of each child.
 */
#ifndef MOD_CONCIERGE_NOTIFY_H
#define MOD_CONCIERGE_NOTIFY_H

#include "mc_private.h"

apr_status_t mc_notify_check_config(apr_pool_t *pconf, server_rec *s);
void mc_notify_child_init(apr_pool_t *p, server_rec *s);
json_t *mc_notify_health(request_rec *r);

#endif

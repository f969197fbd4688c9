/*
 * mod_concierge_retention.h - the chat-log retention job
 * (ConciergeRetentionDays).
 */
#ifndef MOD_CONCIERGE_RETENTION_H
#define MOD_CONCIERGE_RETENTION_H

#include "mc_private.h"

/* Start the job's ticker in this child when s has ConciergeRetentionDays
 * set; nothing otherwise. */
void mc_retention_child_init(apr_pool_t *p, server_rec *s);
#endif

/*
 * mod_concierge_chatlog.h - the chat-log writer (turns waiting together are
 * stored in one statement).
 */
#ifndef MOD_CONCIERGE_CHATLOG_H
#define MOD_CONCIERGE_CHATLOG_H

#include "mc_private.h"

void mc_chatlog_child_init(apr_pool_t *p, server_rec *s);
/* Queue one turn (a JSON object text) and wait until it is stored. */
apr_status_t mc_chatlog_store(request_rec *r, const char *row);
#endif

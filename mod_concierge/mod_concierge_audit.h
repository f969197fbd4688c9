/*
 * mod_concierge_audit.h - the hash-chained audit log.
 */
#ifndef MOD_CONCIERGE_AUDIT_H
#define MOD_CONCIERGE_AUDIT_H

#include "mc_private.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

/* Append an entry inside the caller's transaction on dbd (the caller
 * commits).  detail: compact JSON text or NULL. */
apr_status_t mc_audit_append(request_rec *r, ap_dbd_t *dbd, const char *actor,
                             const char *action, const char *target,
                             const char *detail);
/* Seal staged entries (audit_pending) into the chain before reading it. */
void mc_audit_seal(request_rec *r, ap_dbd_t *dbd);
/* Append in its own transaction. */
apr_status_t mc_audit_append_tx(request_rec *r, const char *actor,
                                const char *action, const char *target,
                                const char *detail);
#endif

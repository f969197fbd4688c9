/*
 * mod_concierge_auth.h - the authn provider "concierge" (staff accounts in
 * PostgreSQL).
 */
#ifndef MOD_CONCIERGE_AUTH_H
#define MOD_CONCIERGE_AUTH_H

#include "mc_private.h"

void mc_auth_register(apr_pool_t *p);
void mc_auth_child_init(apr_pool_t *p, server_rec *s);
/* 1 while this process hears credential changes from PostgreSQL (a
 * cached staff credential then needs no database read). */
int mc_auth_listening(void);
/* The availability epoch: it moves whenever bookings or the clinic model
 * change (sql/014) and whenever the listener (re)connects.  Returns 1 while
 * the listener listens (only then may busy intervals be cached). */
int mc_avail_epoch(apr_uint32_t *epoch);

/* r->notes keys the provider sets for the rest of the request:
 *   MC_NOTE_ROLE          the account's role, read with the password (the
 *                         route's role check needs no second query)
 *   MC_NOTE_LOCKED_OUT    this failure locked the address or the account
 *                         (audited once, as auth.locked_out)
 *   MC_NOTE_UNKNOWN_USER  the typed name matches no account: the audit
 *                         does not keep it (often a mistyped password)
 *   MC_NOTE_ERROR_CODE    the JSON error code of httpd's own error answer
 */
#define MC_NOTE_ROLE          "concierge-role"
#define MC_NOTE_LOCKED_OUT    "concierge-locked-out"
#define MC_NOTE_UNKNOWN_USER  "concierge-unknown-user"
#define MC_NOTE_ERROR_CODE    "concierge-error-code"

/* 1 for a request to the API of a site that serves it (mod_concierge.c). */
int mc_is_api(const request_rec *r);
#endif

/*
 * mod_concierge_auth.h - the authn provider "concierge" (staff accounts in
 * PostgreSQL).
 */
#ifndef MOD_CONCIERGE_AUTH_H
#define MOD_CONCIERGE_AUTH_H

#include "mc_private.h"

void mc_auth_register(apr_pool_t *p);
#endif

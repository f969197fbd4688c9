/*
 * cc_gcal_int.h - what cc_gcal.c and cc_gcal_auth.c share; not for other
 * files.
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_GCAL_INT_H
#define CC_GCAL_INT_H

#include <stddef.h>
#include <jansson.h>
#include <apr_pools.h>
#include "cc_problem.h"

#define CC_GCAL_JSON_DEPTH      16

/* At most max bytes of s in p, every byte outside a conservative printable
 * set replaced by '?' (safe in a problem message and a log line). */
char *cc_gcal_sanitise(apr_pool_t *p, const char *s, size_t max);
/* Google's JSON reply body (at most max bytes) into *out, bound to p:
 * 1, or 0 with a 502 problem naming what. */
int cc_gcal_decode(json_t **out, apr_pool_t *p, const char *body,
                   size_t len, size_t max, const char *what,
                   cc_problem_t *prob);

#endif

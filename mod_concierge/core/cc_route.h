/*
 * cc_route.h - the path matcher behind the one route table.
 *
 * Patterns are literal segments and "{name}" parameters, e.g.
 * "/api/bookings/{id}/cancel".  A parameter matches exactly one non-empty
 * segment made only of [A-Za-z0-9._~-] (so "..", "%00", NUL, "/" and
 * anything an attacker could smuggle never reach a handler), at most
 * CC_ROUTE_PARAM_MAX bytes, and not "." or "..".
 */
#ifndef CC_ROUTE_H
#define CC_ROUTE_H

#include <apr_pools.h>

#define CC_ROUTE_MAX_PARAMS 4
#define CC_ROUTE_PARAM_MAX  128

typedef struct cc_route_params_t {
    int         n;
    const char *name[CC_ROUTE_MAX_PARAMS];   /* points into p */
    const char *value[CC_ROUTE_MAX_PARAMS];  /* copied into p */
} cc_route_params_t;

typedef enum {
    CC_ROUTE_NOMATCH = 0,   /* path does not fit the pattern */
    CC_ROUTE_MATCH   = 1,   /* fits; params filled */
    CC_ROUTE_BADPARAM = 2   /* fits in shape but a parameter value is not
                               allowed (bad characters, too long, "..") */
} cc_route_result_e;

/* Match path (already percent-decoded, as r->uri is) against pattern.
 * A trailing slash on path is not ignored: "/api/health/" does not match
 * "/api/health".  Names and values are copied into p when matched.
 * params may be NULL when the caller only needs the answer. */
cc_route_result_e cc_route_match(const char *pattern, const char *path,
                                 apr_pool_t *p, cc_route_params_t *params);

/* Value of a named parameter, or NULL. */
const char *cc_route_param(const cc_route_params_t *params, const char *name);

/* Do two patterns match the same paths?  Equal once every {name} is read
 * as one parameter: "/a/{id}" and "/a/{slug}" do, "/a/{id}" and "/a/b"
 * do not (the literal wins where both are declared).  The route table
 * refuses a second route with the same method and such a pattern. */
int cc_route_same(const char *a, const char *b);

#endif

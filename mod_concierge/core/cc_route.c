/*
 * cc_route.c - the path matcher behind the one route table.
 *
 * Pattern and path are walked together, one '/'-separated segment at a
 * time.  Nothing is allocated until the whole path is known to match, so a
 * miss costs no pool memory.
 */
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_route.h"

typedef struct cc_route_span_t {
    const char *ptr;
    size_t      len;
} cc_route_span_t;

/* Length of the segment starting at s (up to the next '/' or the end). */
static size_t cc_route_seglen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0' && s[n] != '/') {
        n++;
    }
    return n;
}

static int cc_route_is_param(const char *seg, size_t len)
{
    return len >= 3 && seg[0] == '{' && seg[len - 1] == '}';
}

static int cc_route_value_ok(const char *v, size_t len)
{
    size_t i;

    if (len == 0 || len > CC_ROUTE_PARAM_MAX) {
        return 0;
    }
    if (v[0] == '.' && (len == 1 || (len == 2 && v[1] == '.'))) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '~' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

cc_route_result_e cc_route_match(const char *pattern, const char *path,
                                 apr_pool_t *p, cc_route_params_t *params)
{
    cc_route_span_t names[CC_ROUTE_MAX_PARAMS];
    cc_route_span_t values[CC_ROUTE_MAX_PARAMS];
    const char *pp = pattern;
    const char *sp = path;
    int n = 0;
    int bad = 0;
    int i;

    if (params) {
        params->n = 0;
    }
    if (!pattern || !path || (params && !p)) {
        return CC_ROUTE_NOMATCH;
    }

    for (;;) {
        size_t plen = cc_route_seglen(pp);
        size_t slen = cc_route_seglen(sp);

        if (cc_route_is_param(pp, plen)) {
            if (slen == 0 || n >= CC_ROUTE_MAX_PARAMS) {
                return CC_ROUTE_NOMATCH;
            }
            names[n].ptr = pp + 1;
            names[n].len = plen - 2;
            values[n].ptr = sp;
            values[n].len = slen;
            n++;
            if (!cc_route_value_ok(sp, slen)) {
                bad = 1;
            }
        }
        else if (plen != slen || memcmp(pp, sp, plen) != 0) {
            return CC_ROUTE_NOMATCH;
        }
        pp += plen;
        sp += slen;
        if (*pp == '\0' || *sp == '\0') {
            if (*pp != *sp) {
                return CC_ROUTE_NOMATCH;    /* segment counts differ */
            }
            break;
        }
        pp++;                               /* both are at a '/' */
        sp++;
    }

    if (bad) {
        return CC_ROUTE_BADPARAM;
    }
    if (params) {
        for (i = 0; i < n; i++) {
            params->name[i] = apr_pstrmemdup(p, names[i].ptr, names[i].len);
            params->value[i] = apr_pstrmemdup(p, values[i].ptr,
                                              values[i].len);
        }
        params->n = n;
    }
    return CC_ROUTE_MATCH;
}

const char *cc_route_param(const cc_route_params_t *params, const char *name)
{
    int i;
    int n;

    if (!params || !name) {
        return NULL;
    }
    n = params->n;
    if (n > CC_ROUTE_MAX_PARAMS) {
        n = CC_ROUTE_MAX_PARAMS;
    }
    for (i = 0; i < n; i++) {
        if (params->name[i] && strcmp(params->name[i], name) == 0) {
            return params->value[i];
        }
    }
    return NULL;
}

int cc_route_same(const char *a, const char *b)
{
    if (!a || !b) {
        return 0;
    }
    while (*a && *b) {
        if (*a == '{' && *b == '{') {
            a = strchr(a, '}');
            b = strchr(b, '}');
            if (!a || !b) {
                return 0;
            }
        }
        else if (*a != *b) {
            return 0;
        }
        a++;
        b++;
    }
    return !*a && !*b;
}

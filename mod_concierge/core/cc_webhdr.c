/*
 * cc_webhdr.c - see cc_webhdr.h.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_webhdr.h"

static const char csp_base[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *cc_webhdr_csp(apr_pool_t *p, const char *const *frame_origins, int n)
{
    const char **o;
    apr_size_t len = sizeof(csp_base);
    char *out, *w;
    int i;

    if (!frame_origins || n <= 0) {
        return apr_pstrdup(p, csp_base);
    }
    o = apr_pmemdup(p, frame_origins, sizeof(*o) * (size_t)n);
    qsort(o, (size_t)n, sizeof(*o), str_cmp);
    for (i = 0; i < n; i++) {
        len += strlen(o[i]) + 1;
    }
    out = apr_palloc(p, len);
    memcpy(out, csp_base, sizeof(csp_base) - 1);
    w = out + sizeof(csp_base) - 1;
    for (i = 0; i < n; i++) {
        apr_size_t l = strlen(o[i]);

        if (!l || (i > 0 && !strcmp(o[i], o[i - 1]))) {
            continue;
        }
        *w++ = ' ';
        memcpy(w, o[i], l);
        w += l;
    }
    *w = '\0';
    return out;
}

int cc_webhdr_framed(const char *path)
{
    return path && !strncmp(path, "/embed", 6)
           && (path[6] == '\0' || path[6] == '/');
}

const char *cc_webhdr_cache(const char *path)
{
    return path && !strncmp(path, "/assets/", 8) && path[8]
           ? CC_WEBHDR_IMMUTABLE : CC_WEBHDR_REVALIDATE;
}

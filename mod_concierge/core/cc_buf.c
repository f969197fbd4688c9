/*
 * cc_buf.c - a growable malloc'd byte buffer (see cc_buf.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cc_buf.h"

void cc_buf_add(cc_buf_t *b, const char *s, size_t n)
{
    if (b->oom || n == 0) {
        return;
    }
    if (n > SIZE_MAX / 2 - b->n) {
        b->oom = 1;
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *d;

        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        d = realloc(b->d, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
    b->d[b->n] = '\0';
}

void cc_buf_str(cc_buf_t *b, const char *s)
{
    cc_buf_add(b, s, strlen(s));
}

/* ---- cc_limbuf --------------------------------------------------------- */

#define CC_LIMBUF_FIRST 8192

static apr_status_t cc_limbuf_free(void *data)
{
    cc_limbuf_t *b = data;

    free(b->d);
    b->d = NULL;
    b->n = b->cap = 0;
    return APR_SUCCESS;
}

cc_limbuf_t *cc_limbuf_init(apr_pool_t *p, size_t limit, size_t expect)
{
    cc_limbuf_t *b = apr_pcalloc(p, sizeof(*b));

    b->limit = limit;
    /* The first block: what the client announced, when it may send that
     * much; else a small one (a client may announce and not send: it then
     * holds no more than it announced, within the cap). */
    b->cap = (expect > 0 && expect <= limit) ? expect + 1
             : (limit < CC_LIMBUF_FIRST ? limit + 1 : CC_LIMBUF_FIRST);
    b->d = malloc(b->cap);
    if (!b->d) {
        b->cap = 0;
    }
    else {
        b->d[0] = '\0';
    }
    apr_pool_cleanup_register(p, b, cc_limbuf_free, apr_pool_cleanup_null);
    return b;
}

int cc_limbuf_add(cc_limbuf_t *b, const char *s, size_t n, int *oom)
{
    if (oom) {
        *oom = 0;
    }
    if (n > b->limit - b->n) {
        return -1;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : CC_LIMBUF_FIRST;
        char *d;

        while (cap < b->n + n + 1) {
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        }
        if (cap > b->limit + 1) {
            cap = b->limit + 1;
        }
        d = realloc(b->d, cap);
        if (!d) {
            if (oom) {
                *oom = 1;
            }
            return -1;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
    b->d[b->n] = '\0';
    return 0;
}

/*
 * cc_buf.h - a growable malloc'd byte buffer, always NUL-terminated once
 * something was added.  An allocation failure sets oom, which sticks: every
 * later add is a no-op, and the caller checks oom once at the end.  The
 * caller frees d.
 *
 *   cc_buf_t b = { NULL, 0, 0, 0 };
 *   cc_buf_str(&b, "Sources:\n");
 *   ...
 *   if (!b.oom) use(b.d, b.n);
 *   free(b.d);
 */
#ifndef CC_BUF_H
#define CC_BUF_H

#include <stddef.h>
#include <apr_pools.h>

typedef struct cc_buf_t {
    char  *d;
    size_t n;
    size_t cap;
    int    oom;
} cc_buf_t;

/* Append s[0..n). */
void cc_buf_add(cc_buf_t *b, const char *s, size_t n);

/* Append the string s. */
void cc_buf_str(cc_buf_t *b, const char *s);

/* A request body as it arrives: grows with the data, never past limit.
 * Why: a route's cap (12 MB for the knowledge upload) is what a body may
 * reach, not what most bodies are; allocating the cap for every request
 * made a 100-byte request cost the cap.  The bytes are malloc'd and
 * realloc'd (a grown buffer gives its old block back at once, so a body
 * near the cap peaks near the cap, not at twice it) and freed by a cleanup
 * of pool p, registered by cc_limbuf_init.  Always NUL-terminated.
 *
 *   cc_limbuf_t *b = cc_limbuf_init(r->pool, cap, content_length);
 *   while (data) if (cc_limbuf_add(b, data, n) != 0) -> 413
 *   use(b->d, b->n);     (valid while p lives)
 */
typedef struct cc_limbuf_t {
    char  *d;
    size_t n;
    size_t cap;       /* bytes allocated (room for n + 1) */
    size_t limit;     /* largest n allowed */
} cc_limbuf_t;

/* expect: bytes announced (Content-Length; 0 when unknown), taken as the
 * first size when it is within limit (then an honest body never grows),
 * else a small first block. */
cc_limbuf_t *cc_limbuf_init(apr_pool_t *p, size_t limit, size_t expect);
/* Append s[0..n): 0, or -1 (nothing added) when the body would pass its
 * limit or memory ran out (*oom set, when oom is not NULL). */
int cc_limbuf_add(cc_limbuf_t *b, const char *s, size_t n, int *oom);

#endif

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

#endif

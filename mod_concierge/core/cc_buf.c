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

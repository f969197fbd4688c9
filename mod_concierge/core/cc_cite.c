/*
 * cc_cite.c - citation groups in LLM answers (see cc_cite.h).  Every scan
 * is bounded by the group's length cap and never reads past n.
 */
#include <stddef.h>
#include "cc_bytes.h"
#include "cc_cite.h"

#define CC_CITE_DIGITS   6             /* "[S1234567]" is out of range */

/* Length of the citation group at t[0..n) ("[S1]", "[S1, S3]", "[s2;S4]"),
 * or 0 when t does not start with one. */
size_t cc_cite_len(const char *t, size_t n)
{
    size_t lim = n < CC_CITE_MAX ? n : CC_CITE_MAX;
    size_t i = 1;
    int refs = 0;

    if (lim < 4 || t[0] != '[') {
        return 0;
    }
    for (;;) {
        while (i < lim && (t[i] == ' ' || t[i] == '\t')) {
            i++;
        }
        if (i >= lim) {
            return 0;
        }
        if (t[i] == ']') {
            return refs ? i + 1 : 0;
        }
        if (refs && (t[i] == ',' || t[i] == ';')) {
            i++;
            while (i < lim && (t[i] == ' ' || t[i] == '\t')) {
                i++;
            }
            if (i >= lim) {
                return 0;
            }
        }
        if (t[i] != 'S' && t[i] != 's') {
            return 0;
        }
        i++;
        if (i >= lim || !cc_is_digit((unsigned char)t[i])) {
            return 0;
        }
        while (i < lim && cc_is_digit((unsigned char)t[i])) {
            i++;
        }
        refs++;
    }
}

/* The next source number in the group g[0..n) from *at: 1-based, or -1
 * when it is 0 or absurdly large.  Returns 0 when no reference is left. */
int cc_cite_next(const char *g, size_t n, size_t *at, long *num)
{
    size_t i = *at;

    while (i < n && g[i] != 'S' && g[i] != 's') {
        i++;
    }
    if (i >= n) {
        *at = n;
        return 0;
    }
    i++;
    {
        size_t digits = 0;
        long v = 0;

        while (i < n && cc_is_digit((unsigned char)g[i])) {
            if (digits < CC_CITE_DIGITS) {
                v = v * 10 + (g[i] - '0');
            }
            digits++;
            i++;
        }
        *num = (digits > CC_CITE_DIGITS || v == 0) ? -1 : v;
    }
    *at = i;
    return 1;
}

/*
 * cc_cite.h - citation groups in LLM answers: "[S1]", "[S1, S3]",
 * "[s2;S4]" (an 'S' or 's' and a source number, several separated by ','
 * or ';', blanks allowed).  A group is at most CC_CITE_MAX bytes, so every
 * scan is bounded however hostile the answer.
 */
#ifndef CC_CITE_H
#define CC_CITE_H

#include <stddef.h>

#define CC_CITE_MAX      256           /* longest citation group */

/* Length of the citation group at t[0..n), or 0 when t does not start
 * with one. */
size_t cc_cite_len(const char *t, size_t n);

/* The next source number in the group g[0..n) from *at (which it
 * advances): *num is 1-based, or -1 when it is 0 or absurdly large
 * (more than 6 digits).  Returns 0 when no reference is left. */
int cc_cite_next(const char *g, size_t n, size_t *at, long *num);

#endif

/* eval_util.h - file helpers shared by make eval's programs and bench_index
 * (test tools, not part of the module). */
#ifndef EVAL_UTIL_H
#define EVAL_UTIL_H

#include <stddef.h>
#include <apr_errno.h>
#include <apr_pools.h>

/* Print "<prog>: <what> <path>: <APR error>" and exit 2. */
void ev_die_apr(const char *prog, const char *what, const char *path,
                apr_status_t rv);
/* The whole file in p, NUL-terminated; exits 2 (naming prog) on failure. */
char *ev_read_file(apr_pool_t *p, const char *prog, const char *path,
                   size_t *len);
/* s without leading and trailing blanks (spaces, tabs, CR), in place. */
char *ev_trim(char *s);

#endif

/* eval_util.h - file helpers shared by make eval's programs and bench_index
 * (test tools, not part of the module). */
#ifndef EVAL_UTIL_H
#define EVAL_UTIL_H

#include <stddef.h>
#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>

/* Print "<prog>: <what> <path>: <APR error>" and exit 2. */
void ev_die_apr(const char *prog, const char *what, const char *path,
                apr_status_t rv);
/* The whole file in p, NUL-terminated; exits 2 (naming prog) on failure. */
char *ev_read_file(apr_pool_t *p, const char *prog, const char *path,
                   size_t *len);
/* s without leading and trailing blanks (spaces, tabs, CR), in place. */
char *ev_trim(char *s);

/* One message of a labelled risk set (tests/eval/README.md):
 *   message<TAB>label<TAB>categories[<TAB>lang[<TAB>class]]
 * label risky or benign; categories a comma list of the patient categories
 * of cc_risk.h (at least one for risky, none for benign). */
typedef struct ev_labelled_t {
    const char *text;
    size_t      len;
    int         line;
    int         risky;
    unsigned    cats;       /* bit per cc_risk_category_e */
    const char *lang;       /* "" when absent */
    const char *cls;        /* "" when absent */
} ev_labelled_t;

/* Every message of path (blank and '#' lines skipped), as ev_labelled_t;
 * a malformed line is reported (prog, path, line) and makes it exit 2, as
 * does a set without messages. */
apr_array_header_t *ev_load_labelled(apr_pool_t *p, const char *prog,
                                     const char *path);

#endif

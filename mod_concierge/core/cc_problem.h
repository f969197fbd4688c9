/*
 * cc_problem.h - the problem value core functions fill in when they refuse
 * something: a stable snake_case code and a human message.  The glue maps
 * it to an HTTP status and the JSON error envelope exactly once.
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_PROBLEM_H
#define CC_PROBLEM_H

#include <stddef.h>

typedef struct cc_problem_t {
    int  status;          /* suggested HTTP status, 0 when unset */
    char code[48];        /* snake_case, e.g. "invalid_json" */
    char message[256];    /* for the client; never holds request data verbatim
                             beyond short, escaped fragments */
} cc_problem_t;

/* Fill *prob (may be NULL: then nothing happens). Message is printf-style and
 * silently truncated to fit. */
void cc_problem_set(cc_problem_t *prob, int status, const char *code,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

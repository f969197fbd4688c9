/* cc_problem.c - fill a problem value. */
#include <stdarg.h>
#include <stdio.h>
#include <apr_strings.h>
#include "cc_problem.h"

void cc_problem_set(cc_problem_t *prob, int status, const char *code,
                    const char *fmt, ...)
{
    va_list ap;

    if (!prob) {
        return;
    }
    prob->status = status;
    apr_cpystrn(prob->code, code ? code : "error", sizeof(prob->code));
    va_start(ap, fmt);
    apr_vsnprintf(prob->message, sizeof(prob->message), fmt, ap);
    va_end(ap);
}

/* eval_util.c - see eval_util.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "eval_util.h"

void ev_die_apr(const char *prog, const char *what, const char *path,
                apr_status_t rv)
{
    char buf[256];

    fprintf(stderr, "%s: %s %s: %s\n", prog, what, path ? path : "",
            apr_strerror(rv, buf, sizeof(buf)));
    exit(2);
}

char *ev_read_file(apr_pool_t *p, const char *prog, const char *path,
                   size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t got = 0;
    char *buf;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        ev_die_apr(prog, "cannot open", path, rv);
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS) {
        ev_die_apr(prog, "cannot stat", path, rv);
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    if (fi.size > 0) {
        rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &got);
        if (rv != APR_SUCCESS && rv != APR_EOF) {
            ev_die_apr(prog, "cannot read", path, rv);
        }
    }
    buf[got] = '\0';
    apr_file_close(f);
    *len = got;
    return buf;
}

char *ev_trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t' || *s == '\r') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
        *--e = '\0';
    }
    return s;
}

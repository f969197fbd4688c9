/* eval_util.c - see eval_util.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "cc_risk.h"
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

/* The patient category named s[0..n) (medical_advice is not one), or -1. */
static int ev_cat_index(const char *s, size_t n)
{
    int c;

    for (c = 0; c < CC_RISK_MEDICAL_ADVICE; c++) {
        if (strlen(cc_risk_category_names[c]) == n
            && memcmp(cc_risk_category_names[c], s, n) == 0) {
            return c;
        }
    }
    return -1;
}

/* "a,b,c" -> bits; -1 on an unknown name. */
static long ev_parse_cats(const char *s)
{
    unsigned bits = 0;

    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        int c;

        while (n > 0 && s[0] == ' ') {
            s++;
            n--;
        }
        while (n > 0 && s[n - 1] == ' ') {
            n--;
        }
        if (n > 0) {
            if ((c = ev_cat_index(s, n)) < 0) {
                return -1;
            }
            bits |= 1u << c;
        }
        if (!e) {
            break;
        }
        s = e + 1;
    }
    return (long)bits;
}

apr_array_header_t *ev_load_labelled(apr_pool_t *p, const char *prog,
                                     const char *path)
{
    apr_array_header_t *ms = apr_array_make(p, 512, sizeof(ev_labelled_t));
    size_t len, pos = 0;
    char *buf = ev_read_file(p, prog, path, &len);
    int line = 0, bad = 0;

    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        char *f[6] = {0};
        char *msg, *label, *cats, *c;
        int nf = 0, risky;
        ev_labelled_t *m;
        long bits;

        line++;
        if (nl) {
            *nl = '\0';
            pos = (size_t)(nl - buf) + 1;
        }
        else {
            pos = len;
        }
        if (nl && nl > s && nl[-1] == '\r') {
            nl[-1] = '\0';
        }
        c = s + strspn(s, " \t");
        if (*c == '\0' || *c == '#') {
            continue;
        }
        f[nf++] = s;
        while (nf < 6 && (c = strchr(f[nf - 1], '\t')) != NULL) {
            *c = '\0';
            f[nf++] = c + 1;
        }
        if (nf < 2 || nf > 5) {
            fprintf(stderr, "%s: %s:%d: expected message<TAB>label<TAB>"
                    "categories[<TAB>lang[<TAB>class]]\n", prog, path, line);
            bad++;
            continue;
        }
        msg = ev_trim(f[0]);
        label = ev_trim(f[1]);
        cats = nf >= 3 ? ev_trim(f[2]) : f[1] + strlen(f[1]);
        if (strcmp(label, "risky") == 0 || strcmp(label, "benign") == 0) {
            risky = label[0] == 'r';
        }
        else {
            fprintf(stderr, "%s: %s:%d: label must be risky or benign, not "
                    "\"%s\"\n", prog, path, line, label);
            bad++;
            continue;
        }
        bits = ev_parse_cats(cats);
        if (bits < 0) {
            fprintf(stderr, "%s: %s:%d: unknown category in \"%s\"\n", prog,
                    path, line, cats);
            bad++;
            continue;
        }
        if (*msg == '\0' || (risky && bits == 0) || (!risky && bits != 0)) {
            fprintf(stderr, "%s: %s:%d: empty message, risky without a "
                    "category or benign with one\n", prog, path, line);
            bad++;
            continue;
        }
        m = apr_array_push(ms);
        m->text = msg;
        m->len = strlen(msg);
        m->line = line;
        m->risky = risky;
        m->cats = (unsigned)bits;
        m->lang = nf >= 4 ? ev_trim(f[3]) : "";
        m->cls = nf >= 5 ? ev_trim(f[4]) : "";
    }
    if (bad) {
        exit(2);
    }
    if (ms->nelts == 0) {
        fprintf(stderr, "%s: %s: no messages\n", prog, path);
        exit(2);
    }
    return ms;
}

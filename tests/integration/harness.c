/*
 * harness.c - see harness.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include "harness.h"

int it_port;
int it_port2;
char it_var[256];
static char it_top[1024];
const char *IT_ADMIN = "it-admin:it-admin-password-1";
const char *IT_STAFF = "it-staff:it-staff-password-1";
const char *IT_PROBE = "it-probe:it-probe-password-1";

static pid_t it_setup_pid;

/* A failed set-up still stops what it started (only in the process that
 * started it: Check's forked test processes exit too). */
static void at_exit_cleanup(void)
{
    if (getpid() == it_setup_pid && it_var[0]) {
        it_global_teardown();
    }
}

static void die(const char *what)
{
    fprintf(stderr, "harness: %s\n", what);
    exit(2);
}

static char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;

    if (vasprintf(&s, fmt, ap) < 0) {
        die("out of memory");
    }
    return s;
}

int it_sh(const char *fmt, ...)
{
    va_list ap;
    char *cmd, *full;
    int rc;

    va_start(ap, fmt);
    cmd = vfmt(fmt, ap);
    va_end(ap);
    if (asprintf(&full, "cd '%s' && %s", it_top, cmd) < 0) {
        die("out of memory");
    }
    rc = system(full);
    free(cmd);
    free(full);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

char *it_sh_out(const char *fmt, ...)
{
    va_list ap;
    char *cmd, *full, *out = NULL;
    size_t cap = 0;
    FILE *f;

    va_start(ap, fmt);
    cmd = vfmt(fmt, ap);
    va_end(ap);
    if (asprintf(&full, "cd '%s' && %s", it_top, cmd) < 0) {
        die("out of memory");
    }
    f = popen(full, "r");
    if (f) {
        FILE *m = open_memstream(&out, &cap);
        char buf[4096];
        size_t n;

        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            fwrite(buf, 1, n, m);
        }
        fclose(m);
        pclose(f);
    }
    free(cmd);
    free(full);
    return out ? out : strdup("");
}

/* Runs the SQL; *ok (when not NULL) says whether psql succeeded.  With
 * report, a failure is also written to stderr with its SQL. */
static char *sql_v(int *ok, int report, const char *fmt, va_list ap)
{
    char path[512], *sql, *out;
    size_t n;
    FILE *f;
    int fd, good;

    sql = vfmt(fmt, ap);
    snprintf(path, sizeof(path), "%s/it-sql.XXXXXX", it_var);
    fd = mkstemp(path);
    if (fd < 0) {
        die("no temporary file for SQL");
    }
    f = fdopen(fd, "w");
    if (!f) {
        die("no temporary file for SQL");
    }
    fputs(sql, f);
    fclose(f);
    out = it_sh_out("scripts/pg.sh psql -tAq -v ON_ERROR_STOP=1 < '%s' 2>&1 "
                    "|| echo IT-SQL-FAILED", path);
    unlink(path);
    n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) {
        out[--n] = '\0';
    }
    good = strstr(out, "IT-SQL-FAILED") == NULL;
    if (!good && report) {
        fprintf(stderr, "harness: SQL failed:\n%s\n%s\n", sql, out);
    }
    if (ok) {
        *ok = good;
    }
    free(sql);
    return out;
}

char *it_sql_try(int *ok, const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = sql_v(ok, 0, fmt, ap);
    va_end(ap);
    return out;
}

/* sql_v, asserting success. */
static char *sql_checked_v(const char *fmt, va_list ap)
{
    char *out;
    int ok;

    out = sql_v(&ok, 1, fmt, ap);
    ck_assert_msg(ok, "SQL failed: %s", out);
    return out;
}

char *it_sql(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = sql_checked_v(fmt, ap);
    va_end(ap);
    return out;
}

long it_sql_num(const char *fmt, ...)
{
    va_list ap;
    char *out, *end = NULL;
    long v;

    va_start(ap, fmt);
    out = sql_checked_v(fmt, ap);
    va_end(ap);
    v = strtol(out, &end, 10);
    ck_assert_msg(end != out && *end == '\0', "not a number: '%s'", out);
    free(out);
    return v;
}

void it_sql_exec(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    free(sql_checked_v(fmt, ap));
    va_end(ap);
}

static int free_port(void)
{
    char *s = it_sh_out("bash -c '. scripts/env.sh && free_port'");
    int p = (int)strtol(s, NULL, 10);

    free(s);
    if (p <= 0) {
        die("no free port");
    }
    return p;
}

void it_global_setup(void)
{
    const char *top = getenv("CC_TOP");
    char port[16];

    if (top) {
        snprintf(it_top, sizeof(it_top), "%s", top);
    }
    else if (!getcwd(it_top, sizeof(it_top))) {
        die("getcwd");
    }
    snprintf(it_var, sizeof(it_var), "/tmp/cc-it.XXXXXX");
    if (!mkdtemp(it_var)) {
        die("mkdtemp");
    }
    chmod(it_var, 0755);
    it_setup_pid = getpid();
    atexit(at_exit_cleanup);
    setenv("CC_VAR", it_var, 1);
    setenv("CC_TOP", it_top, 1);
    if (!getenv("CC_BUILD")) {
        char b[1100];

        snprintf(b, sizeof(b), "%s/build", it_top);
        setenv("CC_BUILD", b, 1);
    }
    setenv("CC_BCRYPT_COST", "4", 1);   /* fast logins in tests only */
    unsetenv("CONCIERGE_DB_PARAMS");
    it_port = free_port();
    snprintf(port, sizeof(port), "%d", it_port);
    setenv("CC_PORT", port, 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (it_sh("scripts/pg.sh start >/dev/null") != 0) {
        die("PostgreSQL did not start");
    }
    if (it_sh("scripts/seed.sh >/dev/null")
        || it_sh("echo it-admin-password-1 | scripts/user.sh it-admin admin "
                 ">/dev/null")
        || it_sh("echo it-staff-password-1 | scripts/user.sh it-staff staff "
                 ">/dev/null")
        || it_sh("echo it-probe-password-1 | scripts/user.sh it-probe staff "
                 ">/dev/null")) {
        die("could not create test users");
    }
}

void it_global_teardown(void)
{
    static int done;

    if (done++) {
        return;
    }
    it_sh("scripts/httpd.sh stop >/dev/null 2>&1");
    it_httpd2_stop();
    it_sh("scripts/pg.sh stop >/dev/null 2>&1");
    if (!getenv("CC_KEEP")) {
        it_sh("rm -rf '%s'", it_var);
    }
}

/* httpd.sh start returns when one child answers; wait until every child
 * process is up (each answers /api/admin/me with its pid), so tests that
 * need several processes get them. */
static void wait_all_children(int port, int want)
{
    int seen_n = 0, i;
    long seen[64];

    for (i = 0; i < 400 && seen_n < want && seen_n < 64; i++) {
        it_resp *r = it_req_at(port, "GET", "/api/admin/me", IT_PROBE, NULL,
                               NULL, -1, NULL);
        json_t *pid = r->json ? json_object_get(r->json, "server_pid") : NULL;

        if (r->status == 200 && json_is_integer(pid)) {
            long p = (long)json_integer_value(pid);
            int j, known = 0;

            for (j = 0; j < seen_n; j++) {
                known |= seen[j] == p;
            }
            if (!known) {
                seen[seen_n++] = p;
            }
        }
        else if (r->status == 401 || r->status == 403 || r->status == 429) {
            it_free(r);
            return;     /* this group's config changes auth: skip */
        }
        it_free(r);
    }
}

void it_httpd_start(const char *extra, int servers, int threads)
{
    char path[512], v[16];
    FILE *f;
    int tries;

    snprintf(path, sizeof(path), "%s/extra.conf", it_var);
    f = fopen(path, "w");
    if (!f) {
        die("cannot write extra.conf");
    }
    fputs("# written by the integration harness\n", f);
    /* Suites fail logins on purpose, all from 127.0.0.1: the lock-out
     * (tested on its own in the security suite, which sets it lower
     * below this line) must not lock them out of each other's tests. */
    fputs("ConciergeLoginLockout 1000 60\n", f);
    if (extra) {
        fputs(extra, f);
    }
    fclose(f);
    setenv("CC_EXTRA_CONF", path, 1);
    snprintf(v, sizeof(v), "%d", servers);
    setenv("CC_SERVERS", v, 1);
    snprintf(v, sizeof(v), "%d", threads);
    setenv("CC_THREADS", v, 1);
    it_sh("scripts/httpd.sh stop >/dev/null 2>&1");
    /* The port may have been taken since we chose it: choose again. */
    for (tries = 0;; tries++) {
        it_sh("rm -f '%s/httpd/error.log'", it_var);
        if (it_sh("scripts/httpd.sh start") == 0) {
            break;
        }
        if (tries == 3) {
            it_global_teardown();
            die("httpd did not start");
        }
        it_port = free_port();
        snprintf(v, sizeof(v), "%d", it_port);
        setenv("CC_PORT", v, 1);
    }
    wait_all_children(it_port, servers);
}

void it_httpd_stop(void)
{
    it_sh("scripts/httpd.sh stop >/dev/null 2>&1");
}

/* The second host: the same scripts/httpd.sh with CC_VAR, CC_PORT and
 * CC_EXTRA_CONF of its own; app_conninfo finds the database through the
 * pg/ link, and httpd.sh the first host's ConciergeSecret through the
 * secret link (hosts of one clinic share it). */
void it_httpd2_start(const char *extra, int servers, int threads)
{
    char var2[300], path[400];
    FILE *f;
    int tries;

    snprintf(var2, sizeof(var2), "%s/second", it_var);
    snprintf(path, sizeof(path), "%s/extra.conf", var2);
    it_httpd2_stop();
    if (it_sh("mkdir -p '%s/httpd' && ln -sfn '%s/pg' '%s/pg' && ln -sfn "
              "'%s/secret' '%s/secret'", var2, it_var, var2, it_var, var2)
        != 0 || !(f = fopen(path, "w"))) {
        die("cannot prepare the second httpd's folder");
    }
    fputs("# written by the integration harness (second httpd)\n", f);
    /* Suites fail logins on purpose, all from 127.0.0.1: the lock-out
     * (tested on its own in the security suite, which sets it lower
     * below this line) must not lock them out of each other's tests. */
    fputs("ConciergeLoginLockout 1000 60\n", f);
    if (extra) {
        fputs(extra, f);
    }
    fclose(f);
    for (tries = 0;; tries++) {
        it_port2 = free_port();
        it_sh("rm -f '%s/httpd/error.log'", var2);
        if (it_sh("CC_VAR='%s' CC_PORT=%d CC_EXTRA_CONF='%s' CC_SERVERS=%d "
                  "CC_THREADS=%d scripts/httpd.sh start", var2, it_port2,
                  path, servers, threads) == 0) {
            break;
        }
        if (tries == 3) {
            it_port2 = 0;
            it_global_teardown();
            die("the second httpd did not start");
        }
    }
    wait_all_children(it_port2, servers);
}

void it_httpd2_stop(void)
{
    if (it_var[0]) {
        it_sh("[ -d '%s/second' ] && CC_VAR='%s/second' scripts/httpd.sh "
              "stop >/dev/null 2>&1", it_var, it_var);
    }
    it_port2 = 0;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct buf_t {
    char  *p;
    size_t n;
} buf_t;

static size_t on_data(char *d, size_t sz, size_t nm, void *u)
{
    buf_t *b = u;
    size_t n = sz * nm;
    char *np = realloc(b->p, b->n + n + 1);

    if (!np) {
        return 0;
    }
    b->p = np;
    memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

it_resp *it_req(const char *method, const char *path, const char *auth,
                const char *ctype, const char *body, long len,
                const char *const *hdrs)
{
    return it_req_at(it_port, method, path, auth, ctype, body, len, hdrs);
}

const char *it_source_ip;

it_resp *it_req_at(int port, const char *method, const char *path,
                   const char *auth, const char *ctype, const char *body,
                   long len, const char *const *hdrs)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    it_resp *r = calloc(1, sizeof(*r));
    buf_t bb = { NULL, 0 }, hb = { NULL, 0 };
    char *url = NULL, ct[256];
    CURLcode rc;

    /* Any path length: tests send paths over httpd's limits on purpose. */
    if (asprintf(&url, "http://127.0.0.1:%d%s", port, path) < 0) {
        die("out of memory");
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);   /* send ../ verbatim */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    if (it_source_ip) {
        curl_easy_setopt(c, CURLOPT_INTERFACE, it_source_ip);
    }
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    if (auth) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, auth);
    }
    /* A bodyless POST/PUT/DELETE/PATCH goes out as the dashboard sends
     * it, with Content-Type: application/json (the cross-site rule wants
     * one); "" sends none. */
    if (!ctype && !body && strcmp(method, "GET") && strcmp(method, "HEAD")
        && strcmp(method, "OPTIONS")) {
        ctype = "application/json";
    }
    if (ctype && *ctype) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
        h = curl_slist_append(h, ct);
    }
    h = curl_slist_append(h, "Expect:");
    for (; hdrs && *hdrs; hdrs++) {
        h = curl_slist_append(h, *hdrs);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(len < 0 ? (long)strlen(body) : len));
    }
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        r->status = -(long)rc;
    }
    else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    }
    r->body = bb.p ? bb.p : strdup("");
    r->len = bb.n;
    r->headers = hb.p ? hb.p : strdup("");
    r->json = json_loadb(r->body, r->len, 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    return r;
}

const char *it_header(it_resp *r, const char *name)
{
    size_t nl = strlen(name);
    char *line = r->headers;

    while (line && *line) {
        char *eol = strstr(line, "\r\n");

        if (!strncasecmp(line, name, nl) && line[nl] == ':'
            && r->nhv < (int)(sizeof(r->hv) / sizeof(r->hv[0]))) {
            char *v = line + nl + 1;

            while (*v == ' ') {
                v++;
            }
            r->hv[r->nhv] = strndup(v, eol ? (size_t)(eol - v) : strlen(v));
            return r->hv[r->nhv++];
        }
        line = eol ? eol + 2 : NULL;
    }
    return NULL;
}

void it_free(it_resp *r)
{
    if (!r) {
        return;
    }
    while (r->nhv > 0) {
        free(r->hv[--r->nhv]);
    }
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    free(r);
}

void it_assert_error_at(it_resp *r, long status, const char *code,
                        const char *file, int line)
{
    json_t *err = r->json ? json_object_get(r->json, "error") : NULL;
    const char *rid_hdr, *rid, *got, *ct;

    ck_assert_msg(r->status == status, "%s:%d: status %ld, expected %ld; "
                  "body %s", file, line, r->status, status, r->body);
    ct = it_header(r, "Content-Type");
    ck_assert_msg(ct && !strncmp(ct, "application/json", 16),
                  "%s:%d: content type %s", file, line, ct ? ct : "(none)");
    ck_assert_msg(json_is_object(err), "%s:%d: no error object in %s", file,
                  line, r->body);
    got = json_string_value(json_object_get(err, "code"));
    ck_assert_msg(got && !strcmp(got, code), "%s:%d: code %s, expected %s",
                  file, line, got ? got : "(none)", code);
    ck_assert_msg(json_is_string(json_object_get(err, "message")),
                  "%s:%d: no message", file, line);
    rid = json_string_value(json_object_get(err, "request_id"));
    rid_hdr = it_header(r, "X-Request-Id");
    ck_assert_msg(rid && *rid && rid_hdr && !strcmp(rid, rid_hdr),
                  "%s:%d: request_id %s vs X-Request-Id %s", file, line,
                  rid ? rid : "(none)", rid_hdr ? rid_hdr : "(none)");
}

/* ---- error log ----------------------------------------------------------- */

static char *log_read_at(const char *sub)
{
    char path[512];
    FILE *f;
    char *out = NULL;
    size_t cap = 0;

    snprintf(path, sizeof(path), "%s%s/httpd/error.log", it_var, sub);
    f = fopen(path, "r");
    if (!f) {
        return strdup("");
    }
    {
        FILE *m = open_memstream(&out, &cap);
        char buf[4096];
        size_t n;

        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            fwrite(buf, 1, n, m);
        }
        fclose(m);
    }
    fclose(f);
    return out;
}

char *it_log_read(void)
{
    return log_read_at("");
}

char *it_log2_read(void)
{
    return log_read_at("/second");
}

static char *log_unexpected_in(char *log, const char *const *allowed)
{
    char *line, *save = NULL, *out = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&out, &cap);
    int bad = 0;

    for (line = strtok_r(log, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        const char *const *a;
        int ok = 1;

        if (strstr(line, ":warn]") || strstr(line, ":error]")
            || strstr(line, ":crit]") || strstr(line, ":alert]")
            || strstr(line, ":emerg]") || strstr(line, "AddressSanitizer")
            || strstr(line, "runtime error")) {
            ok = 0;
            for (a = allowed; a && *a; a++) {
                if (strstr(line, *a)) {
                    ok = 1;
                    break;
                }
            }
        }
        if (!ok) {
            fprintf(m, "%s\n", line);
            bad = 1;
        }
    }
    fclose(m);
    free(log);
    if (!bad) {
        free(out);
        return NULL;
    }
    return out;
}

char *it_log_unexpected(const char *const *allowed)
{
    return log_unexpected_in(it_log_read(), allowed);
}

char *it_log2_unexpected(const char *const *allowed)
{
    return log_unexpected_in(it_log2_read(), allowed);
}

/* ---- fake servers (tests/fakes) ---------------------------------------- */

/* A control request to a fake; the parsed JSON reply (asserted 200). */
json_t *it_fake_ctl(int port, const char *method, const char *path,
                      const char *body)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    buf_t b = { NULL, 0 };
    char url[256];
    long status = 0;
    CURLcode rc;
    json_t *j;

    ck_assert_msg(port > 0, "a fake server did not start (see its log in "
                  "%s)", it_var);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    ck_assert_msg(rc == CURLE_OK && status == 200, "fake :%d %s %s: curl %d, "
                  "status %ld, body %s", port, method, path, (int)rc, status,
                  b.p ? b.p : "");
    j = json_loads(b.p ? b.p : "", 0, NULL);
    ck_assert_msg(j != NULL, "fake %s %s: not JSON: %s", method, path, b.p);
    free(b.p);
    return j;
}


static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    int port = 0;

    if (f) {
        if (fscanf(f, "%d", &port) != 1) {
            port = 0;
        }
        fclose(f);
    }
    return port;
}

/* Start a fake (python3 argv...) with its output in logfile; wait for the
 * port files (NULL-terminated list) and fill ports[].  Returns the pid or
 * -1 (the tests then say the fake did not start). */
pid_t it_fake_spawn(const char *const *argv, const char *logfile,
                      const char *const *portfiles, int *ports)
{
    pid_t pid;
    int i, k, all;

    for (k = 0; portfiles[k]; k++) {
        unlink(portfiles[k]);
        ports[k] = 0;
    }
    pid = fork();
    if (pid == 0) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_RDONLY);

        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0) {
            dup2(nul, 0);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (i = 0; pid > 0 && i < 200; i++) {
        all = 1;
        for (k = 0; portfiles[k]; k++) {
            if (ports[k] <= 0) {
                ports[k] = read_port(portfiles[k]);
            }
            all &= ports[k] > 0;
        }
        if (all) {
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            break;
        }
        usleep(50 * 1000);
    }
    fprintf(stderr, "test_safety: %s did not start; see %s\n", argv[1],
            logfile);
    if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    for (k = 0; portfiles[k]; k++) {
        ports[k] = 0;
    }
    return -1;
}

void it_fake_stop(pid_t *pid)
{
    int i;

    if (*pid <= 0) {
        return;
    }
    kill(*pid, SIGTERM);
    for (i = 0; i < 50; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            break;
        }
        usleep(100 * 1000);
    }
    if (i == 50) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = -1;
}


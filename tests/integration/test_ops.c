/*
 * test_ops.c - operations surface: public and admin health, metrics shared
 * across worker processes, JSON for every error under /api/ (ours and
 * httpd's own), request ids in the error log, no secrets in replies.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include "harness.h"

#define OPS_HEALTH_ROUTE "route=\"GET /api/health\""

/* ---- helpers ------------------------------------------------------------- */

static const char *ops_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The PostgreSQL password of this run (it_var/pg/password). */
static char *ops_db_password(void)
{
    char path[512], buf[256] = "";
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/pg/password", it_var);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    ck_assert_msg(n >= 8, "database password too short to search for");
    return strdup(buf);
}

/* Neither the body nor the headers of r carry a secret. */
static void ops_assert_no_secret(it_resp *r, const char *what)
{
    char *pw = ops_db_password();

    ck_assert_msg(!strstr(r->body, pw) && !strstr(r->headers, pw),
                  "%s: reply holds the database password", what);
    ck_assert_msg(!strcasestr(r->body, "password=")
                  && !strcasestr(r->headers, "password="),
                  "%s: reply holds a conninfo password: %s", what, r->body);
    free(pw);
}

/* Value of one sample line "series value" in Prometheus text, or -1. */
static long long ops_metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *p = text;

    while ((p = strstr(p, series)) != NULL) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ') {
            return strtoll(p + n + 1, NULL, 10);
        }
        p += n;
    }
    return -1;
}

static char *ops_metrics_text(void)
{
    it_resp *r = it_get("/api/admin/metrics", IT_ADMIN);
    const char *ct = it_header(r, "Content-Type");
    char *t;

    ck_assert_msg(r->status == 200, "metrics: status %ld, body %.300s",
                  r->status, r->body);
    ck_assert_msg(ct && !strncmp(ct, "text/plain", 10),
                  "metrics content type %s", ct ? ct : "(none)");
    t = strdup(r->body);
    it_free(r);
    return t;
}

static int ops_is_hex_id(const char *s)
{
    size_t i, n = s ? strlen(s) : 0;

    if (n < 16 || n > 64) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!strchr("0123456789abcdefABCDEF-", s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The error-log line holding `needle`, malloc'd, or NULL. */
static char *ops_log_line_with(const char *needle, const char *tag)
{
    char *log = it_log_read(), *line, *save = NULL, *out = NULL;

    for (line = strtok_r(log, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, needle) && (!tag || strstr(line, tag))) {
            out = strdup(line);
            break;
        }
    }
    free(log);
    return out;
}

/* ---- group "ops" --------------------------------------------------------- */

START_TEST(ops_public_health)
{
    it_resp *r = it_get("/api/health", NULL);
    json_t *want = json_pack("{s:s, s:b, s:b, s:s}", "status", "ok",
                             "live", 1, "ready", 1, "database", "ok");
    const char *rid = it_header(r, "X-Request-Id");
    const char *ct = it_header(r, "Content-Type");

    ck_assert_msg(r->status == 200, "health: status %ld, body %s", r->status,
                  r->body);
    ck_assert_msg(ct && !strncmp(ct, "application/json", 16),
                  "health content type %s", ct ? ct : "(none)");
    ck_assert_msg(r->json && json_equal(r->json, want),
                  "health body is not exactly the readiness object: %s",
                  r->body);
    ck_assert_msg(ops_is_hex_id(rid), "bad X-Request-Id %s",
                  rid ? rid : "(none)");
    ck_assert_msg(!strcasestr(r->body, "password")
                  && !strcasestr(r->headers, "password"),
                  "health mentions a password: %s\n%s", r->headers, r->body);
    ck_assert_msg(!strstr(r->body, "version") && !strstr(r->body, "Apache"),
                  "public health discloses versions: %s", r->body);
    ops_assert_no_secret(r, "GET /api/health");
    json_decref(want);
    it_free(r);
}
END_TEST

START_TEST(ops_head_health)
{
    it_resp *r = it_req("HEAD", "/api/health", NULL, NULL, NULL, -1, NULL);
    const char *ct = it_header(r, "Content-Type");

    ck_assert_msg(r->status == 200, "HEAD health: status %ld", r->status);
    ck_assert_msg(r->len == 0, "HEAD health sent a body of %zu bytes",
                  r->len);
    ck_assert_msg(ct && !strncmp(ct, "application/json", 16),
                  "HEAD content type %s", ct ? ct : "(none)");
    ck_assert_msg(ops_is_hex_id(it_header(r, "X-Request-Id")),
                  "HEAD without a request id:\n%s", r->headers);
    it_free(r);
}
END_TEST

START_TEST(ops_admin_health)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *db, *shm, *rl, *srv;

    ck_assert_msg(r->status == 200 && json_is_object(r->json),
                  "admin health: status %ld, body %s", r->status, r->body);
    ck_assert_msg(ops_str(r->json, "status")
                  && !strcmp(ops_str(r->json, "status"), "ok"),
                  "status is not ok: %s", r->body);
    db = json_object_get(r->json, "database");
    ck_assert_msg(json_is_true(json_object_get(db, "ok")),
                  "database.ok is not true: %s", r->body);
    shm = json_object_get(r->json, "shared_memory");
    ck_assert_msg(json_is_true(json_object_get(shm, "attached")),
                  "shared memory not attached: %s", r->body);
    rl = json_object_get(shm, "rate_limiter");
    ck_assert_msg(json_integer_value(json_object_get(rl, "slots")) > 0,
                  "rate limiter has no slots: %s", r->body);
    srv = json_object_get(r->json, "server");
    ck_assert_msg(ops_str(srv, "mpm") && !strcmp(ops_str(srv, "mpm"),
                                                   "event"),
                  "mpm is not event: %s", r->body);
    ck_assert_msg(json_integer_value(json_object_get(srv, "processes")) == 2,
                  "processes is not 2: %s", r->body);
    ck_assert_msg(json_integer_value(json_object_get(srv,
                                     "threads_per_process")) == 8,
                  "threads_per_process is not 8: %s", r->body);
    ops_assert_no_secret(r, "GET /api/admin/health");
    ck_assert_msg(!strstr(r->body, "dbname=") && !strstr(r->body, "host="),
                  "admin health shows the conninfo: %s", r->body);
    it_free(r);

    /* Staff are not admins. */
    r = it_get("/api/admin/health", IT_STAFF);
    it_assert_error(r, 403, "forbidden");
    it_free(r);
}
END_TEST

START_TEST(ops_metrics_across_processes)
{
    static const char *const req_total =
        "concierge_requests_total{" OPS_HEALTH_ROUTE "}";
    static const char *const dur_count =
        "concierge_request_duration_seconds_count{" OPS_HEALTH_ROUTE "}";
    static const char *const inf_bucket =
        "concierge_request_duration_seconds_bucket{" OPS_HEALTH_ROUTE
        ",le=\"+Inf\"}";
    static const char *const err4 =
        "concierge_request_errors_total{" OPS_HEALTH_ROUTE ",class=\"4xx\"}";
    char *m1, *m2 = NULL;
    long long before, after = -1, e4_before, count, inf, prev = -1;
    int pids[2] = { 0, 0 }, npids = 0, i, tries;
    const char *p;

    /* Two worker processes answer (fresh connection per request). */
    for (i = 0; i < 100 && npids < 2; i++) {
        it_resp *me = it_get("/api/admin/me", IT_ADMIN);
        int pid = (int)json_integer_value(json_object_get(me->json,
                                                          "server_pid"));

        ck_assert_msg(me->status == 200 && pid > 0, "me: status %ld, %s",
                      me->status, me->body);
        if (npids == 0 || pids[0] != pid) {
            pids[npids++] = pid;
        }
        it_free(me);
    }
    ck_assert_msg(npids == 2, "100 connections all went to pid %d", pids[0]);

    m1 = ops_metrics_text();
    before = ops_metric(m1, req_total);
    e4_before = ops_metric(m1, err4);
    ck_assert_msg(before >= 0 && e4_before >= 0, "no health series in:\n%s",
                  m1);
    free(m1);

    for (i = 0; i < 40; i++) {
        it_resp *r = it_get("/api/health", NULL);

        ck_assert_msg(r->status == 200, "health %d: status %ld", i,
                      r->status);
        it_free(r);
    }
    /* Counted in log_transaction, just after each reply went out. */
    for (tries = 0; tries < 20; tries++) {
        free(m2);
        m2 = ops_metrics_text();
        after = ops_metric(m2, req_total);
        if (after - before >= 40) {
            break;
        }
        usleep(100 * 1000);
    }
    ck_assert_msg(after - before == 40, "requests_total went %lld -> %lld "
                  "for 40 requests", before, after);
    count = ops_metric(m2, dur_count);
    inf = ops_metric(m2, inf_bucket);
    ck_assert_msg(count == after, "histogram count %lld != requests %lld",
                  count, after);
    ck_assert_msg(inf == count, "+Inf bucket %lld != count %lld", inf, count);
    ck_assert_msg(ops_metric(m2, err4) == e4_before,
                  "health 4xx errors grew: %lld -> %lld", e4_before,
                  ops_metric(m2, err4));
    /* Buckets are cumulative. */
    for (p = m2; (p = strstr(p, "concierge_request_duration_seconds_bucket{"
                             OPS_HEALTH_ROUTE ",le=")) != NULL; p++) {
        const char *sp = strstr(p, "} ");
        long long v = sp ? strtoll(sp + 2, NULL, 10) : -1;

        ck_assert_msg(v >= prev, "buckets not cumulative near: %.120s", p);
        prev = v;
    }
    ck_assert_msg(prev == inf, "last bucket %lld is not +Inf %lld", prev,
                  inf);
    ck_assert_msg(strstr(m2, "# TYPE concierge_request_duration_seconds "
                         "histogram") != NULL, "no histogram TYPE line");
    free(m2);
}
END_TEST

START_TEST(ops_error_envelopes)
{
    it_resp *r;
    const char *allow;
    char path[3200];

    r = it_get("/api/nope", NULL);
    it_assert_error(r, 404, "not_found");
    it_free(r);

    r = it_req("POST", "/api/health", NULL, "application/json", "{}", -1,
               NULL);
    it_assert_error(r, 405, "method_not_allowed");
    allow = it_header(r, "Allow");
    ck_assert_msg(allow && !strcmp(allow, "GET"), "Allow: %s",
                  allow ? allow : "(none)");
    it_free(r);

    r = it_get("/api/health/", NULL);
    it_assert_error(r, 404, "not_found");
    it_free(r);

    /* An encoded NUL: httpd refuses it before the handler. */
    r = it_get("/api/admin/users/a%00b", IT_ADMIN);
    ck_assert_msg(r->status == 400 || r->status == 404,
                  "a%%00b: status %ld, body %s", r->status, r->body);
    it_assert_error(r, r->status, r->status == 400 ? "bad_request"
                                                   : "not_found");
    it_free(r);

    /* Traversal out of /api/ is normalised by httpd to /etc/passwd: not an
     * API path, so httpd's own 404; never the file. */
    r = it_get("/api/admin/users/../../../etc/passwd", IT_ADMIN);
    ck_assert_msg(r->status >= 400 && r->status < 500,
                  "traversal: status %ld", r->status);
    ck_assert_msg(!strstr(r->body, "root:") && !strstr(r->body, "/bin/"),
                  "traversal returned file contents: %s", r->body);
    it_free(r);
    /* Traversal that stays under /api/, and encoded slashes: JSON. */
    r = it_get("/api/admin/users/../../../api/etc/passwd", IT_ADMIN);
    it_assert_error(r, 404, "not_found");
    ck_assert_msg(!strstr(r->body, "root:"), "file contents: %s", r->body);
    it_free(r);
    r = it_get("/api/admin/users/..%2F..%2F..%2Fetc%2Fpasswd", IT_ADMIN);
    ck_assert_msg(r->status == 400 || r->status == 404,
                  "encoded traversal: status %ld", r->status);
    it_assert_error(r, r->status, r->status == 400 ? "bad_request"
                                                   : "not_found");
    ck_assert_msg(!strstr(r->body, "root:"), "file contents: %s", r->body);
    it_free(r);

    r = it_put_json("/api/admin/users/x%27%3BDROP", IT_ADMIN,
                    "{\"role\":\"staff\",\"password\":\"aaaaaaaaaaaaaa\"}");
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);

    memcpy(path, "/api/admin/users/", 17);
    memset(path + 17, 'a', 3000);
    path[3017] = '\0';
    r = it_put_json(path, IT_ADMIN,
                    "{\"role\":\"staff\",\"password\":\"aaaaaaaaaaaaaa\"}");
    ck_assert_msg(r->status == 400 || r->status == 414,
                  "3000-byte name: status %ld, body %s", r->status, r->body);
    it_assert_error(r, r->status, r->status == 400 ? "invalid_parameter"
                                                   : "uri_too_long");
    it_free(r);

    /* Nothing of the above created an account. */
    r = it_get("/api/admin/users", IT_ADMIN);
    ck_assert_msg(r->status == 200 && !strstr(r->body, "aaaaaaaaaa")
                  && !strstr(r->body, "DROP"),
                  "users: status %ld, %s", r->status, r->body);
    it_free(r);
}
END_TEST

START_TEST(ops_request_id_in_log)
{
    it_resp *r = it_get("/api/admin/me", "it-admin:wrong-password-123");
    char *rid, *line = NULL;
    int tries;

    it_assert_error(r, 401, "authentication_required");
    rid = strdup(it_header(r, "X-Request-Id"));
    it_free(r);
    for (tries = 0; tries < 20 && !line; tries++) {
        line = ops_log_line_with(rid, "AH01617");
        if (!line) {
            usleep(100 * 1000);
        }
    }
    ck_assert_msg(line != NULL, "no AH01617 line with request id %s "
                  "in:\n%.3000s", rid, it_log_read());
    ck_assert_msg(!strstr(line, "wrong-password-123"),
                  "the tried password is logged: %s", line);
    free(line);
    free(rid);
}
END_TEST

/* A graceful restart (logrotate does one every night) under load: patients
 * keep being answered - no failed request, none waits the 2.4 s the old
 * MPM settings (ServerLimit = StartServers) made them wait - and the
 * statements are prepared again without a warning (ops_log_clean, next). */
typedef struct ops_load {
    volatile int *stop;
    long          requests, failed;
    double        worst;
} ops_load;

static double ops_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *ops_load_worker(void *arg)
{
    ops_load *l = arg;

    while (!*l->stop) {
        double t0 = ops_now(), dt;
        it_resp *r = it_get("/api/health", NULL);

        dt = ops_now() - t0;
        l->requests++;
        l->failed += r->status != 200;
        if (dt > l->worst) {
            l->worst = dt;
        }
        it_free(r);
    }
    return NULL;
}

START_TEST(ops_graceful_restart)
{
    enum { N = 4 };
    static ops_load load[N];
    static volatile int stop;
    pthread_t th[N];
    long requests = 0, failed = 0;
    double worst = 0;
    char *log, *kids;
    int i, ok = 0;

    stop = 0;
    for (i = 0; i < N; i++) {
        memset(&load[i], 0, sizeof(load[i]));
        load[i].stop = &stop;
        ck_assert_int_eq(pthread_create(&th[i], NULL, ops_load_worker,
                                        &load[i]), 0);
    }
    usleep(500 * 1000);
    ck_assert_int_eq(it_sh("scripts/httpd.sh graceful"), 0);
    for (i = 0; i < 50 && !ok; i++) {
        const char *again;

        usleep(100 * 1000);
        log = it_log_read();
        /* AH00489 once at start, once more when the restart is done. */
        again = log ? strstr(log, "AH00489") : NULL;
        ok = again && strstr(again + 1, "AH00489");
        free(log);
    }
    usleep(1500 * 1000);
    stop = 1;
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        requests += load[i].requests;
        failed += load[i].failed;
        worst = load[i].worst > worst ? load[i].worst : worst;
    }
    ck_assert_msg(ok, "no graceful restart in the error log");
    fprintf(stderr, "ops_graceful_restart: %ld requests, longest wait "
            "%.2f s\n", requests, worst);
    ck_assert_msg(requests > 20 && failed == 0, "%ld of %ld requests failed "
                  "across the graceful restart", failed, requests);
    ck_assert_msg(worst < 1.8, "a request waited %.2f s across the graceful "
                  "restart", worst);
    kids = it_sh_out("pgrep -P \"$(cat '%s/httpd/httpd.pid')\" | wc -l",
                     it_var);
    ck_assert_msg(atoi(kids) >= 1, "no process after the restart: %s", kids);
    free(kids);
}
END_TEST

static int ops_count(const char *hay, const char *needle)
{
    int n = 0;

    while (hay && (hay = strstr(hay, needle))) {
        n++;
        hay++;
    }
    return n;
}

/* After a graceful restart (logrotate's nightly reload) the index and the
 * risk rules are built by each new process's warm-up thread, not by the
 * first patient.  The new processes start within about a second of the
 * restart (the MPM replaces the old ones as they finish); three seconds
 * after it, before any request, the first request finds both built at
 * least half a second earlier (one built by the request itself would be
 * a few milliseconds old). */
START_TEST(ops_warm_after_graceful)
{
    char *log, *kids;
    int before, i, done = 0;
    it_resp *r;
    json_t *ix, *rr;

    log = it_log_read();
    before = ops_count(log, "AH00489");
    free(log);
    ck_assert_int_eq(it_sh("scripts/httpd.sh graceful"), 0);
    for (i = 0; i < 100 && !done; i++) {
        usleep(100 * 1000);
        log = it_log_read();
        done = ops_count(log, "AH00489") > before;
        free(log);
    }
    ck_assert_msg(done, "no graceful restart in the error log");
    sleep(3);
    r = it_get("/api/admin/health", IT_ADMIN);
    ck_assert_int_eq(r->status, 200);
    ix = json_object_get(r->json, "index");
    rr = json_object_get(r->json, "risk_rules");
    ck_assert_msg(json_integer_value(json_object_get(ix, "generation")) >= 1
                  && json_integer_value(json_object_get(ix, "built_ago_ms"))
                     >= 500,
                  "index not built ahead of the first request: %s", r->body);
    ck_assert_msg(json_is_true(json_object_get(rr, "loaded"))
                  && json_integer_value(json_object_get(rr, "loaded_ago_ms"))
                     >= 500
                  && json_is_false(json_object_get(rr, "degraded")),
                  "risk rules not loaded ahead of the first request: %s",
                  r->body);
    /* A quiet host comes back with as many processes as it started with
     * (StartServers), not one. */
    kids = it_sh_out("pgrep -P \"$(cat '%s/httpd/httpd.pid')\" | wc -l",
                     it_var);
    ck_assert_msg(atoi(kids) == json_integer_value(json_object_get(
                      json_object_get(r->json, "server"), "processes")),
                  "%d processes after a quiet graceful restart, configured "
                  "%s", atoi(kids), r->body);
    free(kids);
    it_free(r);
}
END_TEST

/* Secrets from files (ConciergeSecretFile and the other ...File forms):
 * read when the configuration is, refused when others may read them or
 * when the value fails the directive's own check, never quoted. */
static int ops_conf_check(const char *var2, const char *directive,
                          const char *file, const char *content, int mode,
                          char **out)
{
    char conf[600], path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", var2, file);
    f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(content, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, (mode_t)mode), 0);
    snprintf(conf, sizeof(conf), "%s/%s.conf", var2, file);
    f = fopen(conf, "w");
    ck_assert(f != NULL);
    fprintf(f, "%s %s\n", directive, path);
    fclose(f);
    *out = it_sh_out("CC_VAR='%s' CC_EXTRA_CONF='%s' scripts/httpd.sh check "
                     "2>&1; echo \"rc=$?\"", var2, conf);
    return strstr(*out, "rc=0") != NULL;
}

START_TEST(ops_secret_files)
{
    static const char secret[] = "s3cret-from-a-file-0123456789-abcdefghij";
    char var2[400], *out;

    snprintf(var2, sizeof(var2), "%s/secretfiles", it_var);
    ck_assert(it_sh("mkdir -p '%s/httpd' && ln -sfn '%s/pg' '%s/pg'", var2,
                    it_var, var2) == 0);

    ck_assert_msg(ops_conf_check(var2, "ConciergeSecretFile", "ok",
                                 "s3cret-from-a-file-0123456789-abcdefghij\n",
                                 0600, &out), "0600 secret file refused: %s",
                  out);
    free(out);
    ck_assert_msg(ops_conf_check(var2, "ConciergeSecretFile", "group",
                                 "s3cret-from-a-file-0123456789-abcdefghij\n",
                                 0640, &out), "0640 secret file refused: %s",
                  out);
    free(out);
    ck_assert_msg(ops_conf_check(var2, "ConciergeLLMKeyFile", "llm",
                                 "gsk_fake_key_0123456789\n", 0600, &out),
                  "LLM key file refused: %s", out);
    free(out);

    ck_assert_msg(!ops_conf_check(var2, "ConciergeSecretFile", "world",
                                  "s3cret-from-a-file-0123456789-abcdefghij\n",
                                  0644, &out)
                  && strstr(out, "ConciergeSecretFile")
                  && strstr(out, "readable or writable by others")
                  && !strstr(out, secret),
                  "a world-readable secret file: %s", out);
    free(out);
    ck_assert_msg(!ops_conf_check(var2, "ConciergeSecretFile", "short",
                                  "too-short-s3cret\n", 0600, &out)
                  && strstr(out, "ConciergeSecretFile")
                  && strstr(out, "32..512")
                  && !strstr(out, "too-short-s3cret"),
                  "a secret file with a short secret: %s", out);
    free(out);
    ck_assert_msg(!ops_conf_check(var2, "ConciergeNotifyWebhookSecretFile",
                                  "twolines", "line-one-0123456789\nline-two\n",
                                  0600, &out)
                  && strstr(out, "one line") && !strstr(out, "line-two"),
                  "a two-line secret file: %s", out);
    free(out);
}
END_TEST

/* httpd -t with `text` as the extra configuration; 1 when it passes. */
static int ops_conf_text(const char *var2, const char *name,
                         const char *text, char **out)
{
    char conf[600];
    FILE *f;

    snprintf(conf, sizeof(conf), "%s/%s.conf", var2, name);
    f = fopen(conf, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
    *out = it_sh_out("CC_VAR='%s' CC_EXTRA_CONF='%s' scripts/httpd.sh check "
                     "2>&1; echo \"rc=$?\"", var2, conf);
    return strstr(*out, "rc=0") != NULL;
}

/* E-mail settings are checked when the configuration is (apachectl
 * configtest included), not at the first escalation: smtp:// to a real
 * host (STARTTLS) is accepted; a sender or EHLO name mail servers refuse,
 * a missing sender, a URL with a path and a token file others can read
 * are refused, naming the directive. */
START_TEST(ops_mail_config)
{
    char var2[400], text[2000], *out;
    const char *base = "ConciergeNotifySMTP smtp://smtp.office365.com:587\n"
                       "ConciergeNotifyTo team@clinic.example\n";

    snprintf(var2, sizeof(var2), "%s/mailconf", it_var);
    ck_assert(it_sh("mkdir -p '%s/httpd' && ln -sfn '%s/pg' '%s/pg'", var2,
                    it_var, var2) == 0);

    snprintf(text, sizeof(text), "%sConciergeNotifyFrom concierge@clinic."
             "example\nConciergeNotifySMTPHelo concierge.clinic.example\n"
             "ConciergeNotifySMTPUser concierge@clinic.example\n"
             "ConciergeNotifySMTPPassword pw\n", base);
    ck_assert_msg(ops_conf_text(var2, "ok", text, &out),
                  "smtp:// on 587 with STARTTLS refused: %s", out);
    free(out);

    /* No sender: the login's mailbox must be named. */
    snprintf(text, sizeof(text), "%sConciergeNotifySMTPHelo concierge."
             "clinic.example\n", base);
    ck_assert_msg(!ops_conf_text(var2, "nofrom", text, &out)
                  && strstr(out, "needs ConciergeNotifyFrom"),
                  "SMTP without ConciergeNotifyFrom: %s", out);
    free(out);
    /* ServerName 127.0.0.1 is no EHLO name, and none is set. */
    snprintf(text, sizeof(text), "%sConciergeNotifyFrom concierge@clinic."
             "example\n", base);
    ck_assert_msg(!ops_conf_text(var2, "nohelo", text, &out)
                  && strstr(out, "ConciergeNotifySMTPHelo"),
                  "SMTP without a fully qualified EHLO name: %s", out);
    free(out);
    ck_assert_msg(!ops_conf_text(var2, "badhelo",
                                 "ConciergeNotifySMTPHelo web01\n", &out)
                  && strstr(out, "not a fully qualified domain name"),
                  "EHLO web01: %s", out);
    free(out);
    ck_assert_msg(!ops_conf_text(var2, "badfrom",
                                 "ConciergeNotifyFrom concierge@localhost\n",
                                 &out)
                  && strstr(out, "ConciergeNotifyFrom")
                  && strstr(out, "fully qualified domain"),
                  "sender @localhost: %s", out);
    free(out);
    ck_assert_msg(!ops_conf_text(var2, "path",
                                 "ConciergeNotifySMTP smtp://mail.example."
                                 "org:587/web01\n", &out)
                  && strstr(out, "ConciergeNotifySMTP: must be smtps://"),
                  "an SMTP URL with a path: %s", out);
    free(out);
    ck_assert_msg(!ops_conf_text(var2, "creds",
                                 "ConciergeNotifySMTP smtp://u:secret-pw@mail"
                                 ".example.org:587\n", &out)
                  && !strstr(out, "secret-pw"),
                  "an SMTP URL with credentials: %s", out);
    free(out);
    /* The XOAUTH2 token file: others must not read it. */
    ck_assert_msg(!ops_conf_check(var2, "ConciergeNotifySMTPBearerFile",
                                  "token", "ya29.token\n", 0644, &out)
                  && strstr(out, "readable or writable by others"),
                  "a world-readable token file: %s", out);
    free(out);
}
END_TEST

/* scripts/user.sh (make user): the password comes from a prompt or stdin,
 * never the command line, where every user of the machine can read it. */
START_TEST(ops_user_password_not_argv)
{
    char *out;

    out = it_sh_out("scripts/user.sh it-argv staff argv-password-123 2>&1; "
                    "echo \"rc=$?\"");
    ck_assert_msg(strstr(out, "rc=2") && strstr(out, "never from the "
                  "command line"), "a password on the command line: %s", out);
    free(out);
    out = it_sh_out("PASSWORD=env-password-1234 scripts/user.sh it-argv "
                    "staff </dev/null 2>&1; echo \"rc=$?\"");
    ck_assert_msg(strstr(out, "rc=2"), "PASSWORD= (make user's old form): "
                  "%s", out);
    free(out);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM staff_users WHERE "
                                "username = 'it-argv'"), 0);
    out = it_sh_out("echo stdin-password-1234 | scripts/user.sh it-argv "
                    "staff 2>&1; echo \"rc=$?\"");
    ck_assert_msg(strstr(out, "rc=0"), "from stdin: %s", out);
    free(out);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM staff_users WHERE "
                                "username = 'it-argv' AND role = 'staff'"),
                     1);
}
END_TEST

/* scripts/concierge-admin against a PostgreSQL it did not start, as a
 * hospital's admin runs it: roles and database from a superuser, the
 * schema as the owner, the editable rules (no sample clinic), a folder of
 * knowledge in one transaction, a staff account from stdin, status. */
START_TEST(ops_admin_tool)
{
    char env[2048], appconn[256], *out, *port, *want_rules, *want_docs;

    port = it_sh_out("cat '%s/pg/port'", it_var);
    snprintf(appconn, sizeof(appconn), "host=127.0.0.1 port=%s "
             "dbname=it_admin user=it_admin_app "
             "password=app-password-0123456789", port);
    snprintf(env, sizeof(env),
             "CONCIERGE_ADMIN_CONF=/nonexistent "
             "CONCIERGE_DB_SUPER_PARAMS='host=%s/pg/sock port=%s "
             "user=postgres dbname=postgres' CONCIERGE_DB_NAME=it_admin "
             "CONCIERGE_DB_OWNER_ROLE=it_admin_owner "
             "CONCIERGE_DB_APP_ROLE=it_admin_app "
             "CONCIERGE_DB_PARAMS='host=127.0.0.1 port=%s dbname=it_admin "
             "user=it_admin_app password=app-password-0123456789' "
             "CONCIERGE_DB_OWNER_PARAMS='host=127.0.0.1 port=%s "
             "dbname=it_admin user=it_admin_owner "
             "password=owner-password-0123456789'", it_var, port, port, port);
    free(port);

    /* A clean start (an earlier run that failed half way). */
    it_sh("%s sh -c 'psql -X -q \"$CONCIERGE_DB_SUPER_PARAMS\" -c \"DROP "
          "DATABASE IF EXISTS it_admin\" -c \"DROP ROLE IF EXISTS "
          "it_admin_app\" -c \"DROP ROLE IF EXISTS it_admin_owner\"' "
          ">/dev/null 2>&1", env);
    /* Never a database of its own. */
    out = it_sh_out("CONCIERGE_ADMIN_CONF=/nonexistent "
                    "scripts/concierge-admin status 2>&1; echo \"rc=$?\"");
    ck_assert_msg(strstr(out, "rc=2") && strstr(out, "CONCIERGE_DB_PARAMS"),
                  "status without settings: %s", out);
    free(out);

    out = it_sh_out("printf 'owner-password-0123456789\\napp-password-"
                    "0123456789\\n' | %s scripts/concierge-admin create-db "
                    "2>&1 && %s scripts/concierge-admin migrate 2>&1 && %s "
                    "scripts/concierge-admin load-rules 2>&1 && %s "
                    "scripts/concierge-admin import-knowledge knowledge 2>&1 "
                    "&& echo admin-password-0123 | %s scripts/concierge-admin "
                    "user head-nurse admin 2>&1 && %s scripts/concierge-admin "
                    "load-rules 2>&1 && %s scripts/concierge-admin status "
                    "2>&1; echo \"rc=$?\"", env, env, env, env, env, env,
                    env);
    want_rules = it_sh_out("scripts/risk-rules.sh editable | wc -l");
    want_docs = it_sh_out("ls knowledge/*.md | wc -l");
    ck_assert_msg(strstr(out, "rc=0"), "the install failed: %s", out);
    ck_assert_msg(strstr(out, "nothing loaded"), "load-rules twice: %s", out);
    {
        char line[128];

        snprintf(line, sizeof(line), "editable risk rules enabled %s",
                 want_rules);
        ck_assert_msg(strstr(out, line), "status, want '%s': %s", line, out);
        snprintf(line, sizeof(line), "knowledge documents %s", want_docs);
        ck_assert_msg(strstr(out, line), "status, want '%s': %s", line, out);
        ck_assert_msg(strstr(out, "staff accounts (admins) 1 (1)"), "%s",
                      out);
    }
    free(out);
    free(want_rules);
    free(want_docs);
    /* No sample clinic: no services; the audit chain holds what the tool
     * did; the application role cannot change the audit log. */
    out = it_sh_out("psql -X -At \"%s\" -c \"SELECT (SELECT count(*) FROM "
                    "services) || ' ' || (SELECT count(*) FROM audit_log "
                    "WHERE actor = 'cli:concierge-admin')\" 2>&1", appconn);
    ck_assert_msg(!strncmp(out, "0 ", 2) && atoi(out + 2) >= 2,
                  "services, and the tool's audit entries: %s", out);
    free(out);
    out = it_sh_out("psql -X -At \"%s\" -c \"DELETE FROM audit_log\" 2>&1",
                    appconn);
    ck_assert_msg(strstr(out, "permission denied"), "the application role "
                  "may delete the audit log: %s", out);
    free(out);
    it_sh("%s sh -c 'psql -X -q \"$CONCIERGE_DB_SUPER_PARAMS\" -c \"DROP "
          "DATABASE it_admin\" -c \"DROP ROLE it_admin_app\" -c \"DROP ROLE "
          "it_admin_owner\"' >/dev/null 2>&1", env);
}
END_TEST

/* The API scoped to one virtual host, as conf/vhost.conf is meant to be
 * used: a second httpd with two name-based sites on one port, the
 * clinic's (vhost.conf included) and another with its own /api/ folder.
 * The other site's /api/ stays its own: its files are served, its 404s
 * are httpd's, nothing reaches the module; and no AH02653 for the two
 * sites sharing the main server's DBD configuration. */
START_TEST(ops_vhost_scoped)
{
    static const char *const other[] = { "Host: other.test", NULL };
    static const char *const clinic[] = { "Host: clinic.test", NULL };
    char site[400], extra[2000], *bad, *log;
    it_resp *r;

    snprintf(site, sizeof(site), "%s/othersite", it_var);
    ck_assert_int_eq(it_sh("mkdir -p '%s/api' && echo hello-from-the-"
                           "hospital-site > '%s/api/hello.txt'", site, site),
                     0);
    snprintf(extra, sizeof(extra),
             "<VirtualHost 127.0.0.1:${CC_PORT}>\n"
             " ServerName clinic.test\n"
             " Include \"${CC_TOP}/conf/vhost.conf\"\n"
             "</VirtualHost>\n"
             "<VirtualHost 127.0.0.1:${CC_PORT}>\n"
             " ServerName other.test\n"
             " DocumentRoot \"%s\"\n"
             " <Directory \"%s\">\n  Require all granted\n </Directory>\n"
             "</VirtualHost>\n", site, site);
    setenv("CC_SCOPED", "1", 1);
    it_httpd2_start(extra, 1, 8);
    unsetenv("CC_SCOPED");

    r = it_req_at(it_port2, "GET", "/api/health", NULL, NULL, NULL, -1,
                  clinic);
    ck_assert_msg(r->status == 200 && json_is_object(r->json),
                  "the clinic's site: %ld %s", r->status, r->body);
    it_free(r);
    r = it_req_at(it_port2, "GET", "/api/hello.txt", NULL, NULL, NULL, -1,
                  other);
    ck_assert_msg(r->status == 200 && strstr(r->body, "hello-from-the-"
                                             "hospital-site"),
                  "the other site's own /api/ file: %ld %s", r->status,
                  r->body);
    it_free(r);
    r = it_req_at(it_port2, "GET", "/api/health", NULL, NULL, NULL, -1,
                  other);
    ck_assert_msg(r->status == 404 && !json_is_object(r->json),
                  "the API answers on the other site: %ld %s", r->status,
                  r->body);
    it_free(r);
    r = it_req_at(it_port2, "GET", "/api/admin/me", "it-admin:wrong-password",
                  NULL, NULL, -1, other);
    ck_assert_msg(r->status == 404, "the staff API on the other site: %ld "
                  "%s", r->status, r->body);
    it_free(r);

    bad = it_log2_unexpected(NULL);
    log = it_log2_read();
    ck_assert_msg(bad == NULL, "second httpd's log: %.3000s", bad);
    ck_assert_msg(log && !strstr(log, "AH02653"), "%.2000s", log);
    free(log);
    it_httpd2_stop();
}
END_TEST

START_TEST(ops_log_clean)
{
    /* AH01617: the wrong password of ops_request_id_in_log. */
    static const char *const allowed[] = { "AH01617", NULL };
    char *bad = it_log_unexpected(allowed);
    char *log = it_log_read(), *pw = ops_db_password();

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
    ck_assert_msg(!strstr(log, pw), "the database password is in the log");
    free(log);
    free(pw);
}
END_TEST

/* ---- group "core_errors": httpd's own error answers as JSON -------------- */

START_TEST(core_errors_json)
{
    static const char *const chunked[] = { "Transfer-Encoding: chunked",
                                           NULL };
    it_resp *r;
    char *rid, *line, *body;
    const char *msg;
    size_t n = 5000;

    r = it_get("/api/test-boom", NULL);
    it_assert_error(r, 500, "internal_error");
    ck_assert_msg(!strcasestr(r->body, "<html"), "HTML in %s", r->body);
    rid = strdup(it_header(r, "X-Request-Id"));
    it_free(r);

    r = it_get("/api/test-denied", NULL);
    it_assert_error(r, 403, "forbidden");
    ck_assert_msg(!strcasestr(r->body, "<html"), "HTML in %s", r->body);
    it_free(r);

    /* 5000 bytes, chunked: LimitRequestBody 1000 (httpd) answers. */
    body = malloc(n + 1);
    memset(body, 'x', n);
    memcpy(body, "{\"role\":\"staff\",\"password\":\"", 29);
    memcpy(body + n - 2, "\"}", 3);
    r = it_req("PUT", "/api/admin/users/x", IT_ADMIN, "application/json",
               body, (long)n, chunked);
    it_assert_error(r, 413, "body_too_large");
    msg = json_string_value(json_object_get(json_object_get(r->json, "error"),
                                            "message"));
    ck_assert_msg(msg && !strstr(msg, "4096"), "the route cap answered, not "
                  "LimitRequestBody (was the body chunked?): %s", r->body);
    it_free(r);
    /* With Content-Length: the route's own cap (4 KiB) answers first. */
    r = it_req("PUT", "/api/admin/users/x", IT_ADMIN, "application/json",
               body, (long)n, NULL);
    it_assert_error(r, 413, "body_too_large");
    it_free(r);
    /* Under the route cap but over LimitRequestBody. */
    r = it_req("PUT", "/api/admin/users/x", IT_ADMIN, "application/json",
               body + 3000, (long)(n - 3000), NULL);
    it_assert_error(r, 413, "body_too_large");
    it_free(r);
    free(body);

    line = ops_log_line_with(rid, NULL);
    ck_assert_msg(line != NULL, "request id %s of the 500 is not in the "
                  "error log:\n%.3000s", rid, it_log_read());
    ck_assert_msg(strstr(line, "CC00003") && strstr(line, "500"),
                  "the 500's log line is not CC00003: %s", line);
    free(line);
    free(rid);
}
END_TEST

START_TEST(core_errors_log_clean)
{
    /* CC00003: our note for the answered 500 (Redirect 500).
     * AH01630: authz_core's "client denied by server configuration". */
    static const char *const allowed[] = { "CC00003", "AH01630", NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

static void ops_setup(void)
{
    /* A virtual host without DBD directives of its own (it shares the
     * main server's mod_dbd configuration; no connection reaches it):
     * ops_log_clean then also shows that the module's statements are
     * prepared once per database configuration, not once per vhost (each
     * label again was an AH02653 warning per vhost and start). */
    it_httpd_start("ConciergeRateLimit admin 100000/min\n"
                   "<VirtualHost 127.0.0.2:${CC_PORT}>\n"
                   " ServerName other-site.invalid\n"
                   "</VirtualHost>\n", 2, 8);
}

static void core_errors_setup(void)
{
    it_httpd_start("ConciergeRateLimit admin 100000/min\n"
                   "LoadModule alias_module "
                   "/usr/lib/apache2/modules/mod_alias.so\n"
                   "Redirect 500 /api/test-boom\n"
                   "<Location /api/test-denied>\n"
                   " Require all denied\n"
                   "</Location>\n"
                   "LimitRequestBody 1000\n", 2, 8);
}

Suite *it_suite_ops(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("ops");
    TCase *ce = tcase_create("core_errors");

    tcase_add_unchecked_fixture(tc, ops_setup, it_httpd_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ops_public_health);
    tcase_add_test(tc, ops_head_health);
    tcase_add_test(tc, ops_admin_health);
    tcase_add_test(tc, ops_metrics_across_processes);
    tcase_add_test(tc, ops_error_envelopes);
    tcase_add_test(tc, ops_request_id_in_log);
    tcase_add_test(tc, ops_graceful_restart);
    tcase_add_test(tc, ops_warm_after_graceful);
    tcase_add_test(tc, ops_secret_files);
    tcase_add_test(tc, ops_mail_config);
    tcase_add_test(tc, ops_user_password_not_argv);
    tcase_add_test(tc, ops_admin_tool);
    tcase_add_test(tc, ops_vhost_scoped);
    tcase_add_test(tc, ops_log_clean);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(ce, core_errors_setup, it_httpd_stop);
    tcase_set_timeout(ce, 120);
    tcase_add_test(ce, core_errors_json);
    tcase_add_test(ce, core_errors_log_clean);
    suite_add_tcase(s, ce);
    return s;
}

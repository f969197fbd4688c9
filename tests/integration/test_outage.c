/*
 * test_outage.c - PostgreSQL goes away and comes back: readiness turns 503
 * with a JSON body, authenticated routes answer 503 db_unavailable (Basic
 * auth needs the database), nothing crashes, and everything recovers
 * without restarting httpd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <sys/types.h>
#include <pthread.h>
#include "harness.h"

/* Requests sent while the database is down, to use up every pooled
 * connection (DBDMax 8 x 2 processes; a dead connection fails once, then is
 * dropped on its next acquire).  See the comment in the test. */
#define OUT_DRAIN 100

static long out_httpd_pid(void)
{
    char path[512], buf[32] = "";
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/httpd/httpd.pid", it_var);
    f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

static const char *out_code(it_resp *r)
{
    return json_string_value(json_object_get(json_object_get(r->json,
                                                             "error"),
                                             "code"));
}

/* Worker pids seen through /api/admin/me (up to 2). */
static int out_worker_pids(int pids[2], int tries)
{
    int n = 0, i;

    for (i = 0; i < tries && n < 2; i++) {
        it_resp *me = it_get("/api/admin/me", IT_STAFF);
        int pid = (int)json_integer_value(json_object_get(me->json,
                                                          "server_pid"));

        if (me->status == 200 && pid > 0 && (n == 0 || pids[0] != pid)) {
            pids[n++] = pid;
        }
        it_free(me);
    }
    return n;
}

START_TEST(outage_db_down_and_back)
{
    long pid_before, pid_after, drain_bad = 0;
    int workers[2] = { 0, 0 }, nworkers, rc_stop, rc_start, i;
    int recovered_health = 0, recovered_me = 0;
    it_resp *h, *down_health = NULL, *me_down, *audit_down, *put_down;
    char *log;

    pid_before = out_httpd_pid();
    ck_assert_msg(pid_before > 0 && kill((pid_t)pid_before, 0) == 0,
                  "httpd is not running (pid %ld)", pid_before);
    nworkers = out_worker_pids(workers, 16);
    ck_assert_msg(nworkers >= 1, "no worker answered /api/admin/me");

    h = it_get("/api/health", NULL);
    ck_assert_msg(h->status == 200, "health before the outage: %ld %s",
                  h->status, h->body);
    it_free(h);

    /* ---- outage: observe everything, then restart PostgreSQL before any
     * assertion, so a failure never leaves the database down. */
    rc_stop = it_sh("scripts/pg.sh stop >/dev/null 2>&1");
    for (i = 0; i < 50; i++) {
        it_resp *r = it_get("/api/health", NULL);

        if (r->status == 503) {
            down_health = r;
            break;
        }
        it_free(r);
        usleep(100 * 1000);
    }
    /* Use up every pooled connection while the server is down (the quiet
     * restart, where pooled connections come back without their prepared
     * statements, is outage_quiet_restart below). */
    for (i = 0; i < OUT_DRAIN; i++) {
        it_resp *r = it_get("/api/health", NULL);

        if (r->status != 503 && !drain_bad) {
            drain_bad = r->status;
        }
        it_free(r);
    }
    me_down = it_get("/api/admin/me", IT_ADMIN);
    audit_down = it_get("/api/admin/audit", IT_ADMIN);
    put_down = it_put_json("/api/admin/users/outage-user", IT_ADMIN,
                           "{\"role\":\"staff\",\"password\":"
                           "\"outage-password-1\"}");
    rc_start = it_sh("scripts/pg.sh start >/dev/null 2>&1");

    ck_assert_msg(rc_stop == 0, "pg.sh stop failed");
    ck_assert_msg(rc_start == 0, "pg.sh start failed");

    ck_assert_msg(down_health != NULL, "/api/health did not turn 503 "
                  "within 5 s of the database stopping");
    ck_assert_msg(json_is_object(down_health->json),
                  "503 health body is not JSON: %s", down_health->body);
    ck_assert_msg(out_code(down_health)
                  && !strcmp(out_code(down_health), "db_unavailable"),
                  "503 health error.code: %s", down_health->body);
    ck_assert_msg(json_is_false(json_object_get(down_health->json, "ready"))
                  && json_is_true(json_object_get(down_health->json, "live")),
                  "503 health is not live-but-not-ready: %s",
                  down_health->body);
    ck_assert_msg(it_header(down_health, "Retry-After") != NULL,
                  "503 health without Retry-After");
    it_assert_error(down_health, 503, "db_unavailable");
    ck_assert_msg(drain_bad == 0, "/api/health answered %ld while the "
                  "database was down", drain_bad);

    it_assert_error(me_down, 503, "db_unavailable");
    ck_assert_msg(it_header(me_down, "Retry-After") != NULL,
                  "503 me without Retry-After");

    ck_assert_msg(audit_down->status >= 500 && audit_down->status < 600,
                  "audit during the outage: status %ld, body %s",
                  audit_down->status, audit_down->body);
    it_assert_error(audit_down, audit_down->status,
                    out_code(audit_down) ? out_code(audit_down) : "(none)");
    ck_assert_msg(!strcmp(out_code(audit_down), "db_unavailable")
                  || !strcmp(out_code(audit_down), "db_error"),
                  "audit outage code %s", out_code(audit_down));

    it_assert_error(put_down, 503, "db_unavailable");
    it_free(down_health);
    it_free(me_down);
    it_free(audit_down);
    it_free(put_down);

    /* ---- recovery, without touching httpd. */
    for (i = 0; i < 150 && !(recovered_health && recovered_me); i++) {
        it_resp *r;

        if (!recovered_health) {
            r = it_get("/api/health", NULL);
            recovered_health = r->status == 200;
            it_free(r);
        }
        if (!recovered_me) {
            r = it_get("/api/admin/me", IT_ADMIN);
            recovered_me = r->status == 200;
            it_free(r);
        }
        if (!(recovered_health && recovered_me)) {
            usleep(100 * 1000);
        }
    }
    ck_assert_msg(recovered_health, "/api/health not 200 within 15 s");
    ck_assert_msg(recovered_me, "/api/admin/me not 200 within 15 s");

    /* Fully recovered: every request succeeds now, in both processes. */
    for (i = 0; i < 20; i++) {
        it_resp *r = it_get("/api/health", NULL);

        ck_assert_msg(r->status == 200, "health %d after recovery: %ld %s",
                      i, r->status, r->body);
        it_free(r);
        r = it_get("/api/admin/me", IT_STAFF);
        ck_assert_msg(r->status == 200, "me %d after recovery: %ld %s", i,
                      r->status, r->body);
        it_free(r);
    }

    /* The account written during the outage does not exist; the chain is
     * intact. */
    {
        it_resp *u = it_get("/api/admin/users", IT_ADMIN);
        it_resp *v = it_get("/api/admin/audit/verify", IT_ADMIN);

        ck_assert_msg(u->status == 200 && !strstr(u->body, "outage-user"),
                      "users after the outage: %ld %s", u->status, u->body);
        ck_assert_msg(v->status == 200
                      && json_is_true(json_object_get(v->json, "ok")),
                      "verify after the outage: %ld %s", v->status, v->body);
        it_free(u);
        it_free(v);
    }

    /* Nothing crashed: same parent, same workers. */
    pid_after = out_httpd_pid();
    ck_assert_msg(pid_after == pid_before && kill((pid_t)pid_after, 0) == 0,
                  "httpd pid %ld -> %ld", pid_before, pid_after);
    if (nworkers == 2) {
        int again[2] = { 0, 0 }, n = out_worker_pids(again, 16), k;

        for (k = 0; k < n; k++) {
            ck_assert_msg(again[k] == workers[0] || again[k] == workers[1],
                          "worker %d is new (before: %d, %d): a child died",
                          again[k], workers[0], workers[1]);
        }
    }
    log = it_log_read();
    ck_assert_msg(!strstr(log, "exit signal") && !strstr(log, "AH00052"),
                  "a child crashed:\n%.3000s", log);
    free(log);
}
END_TEST

static int out_count(const char *needle)
{
    char *log = it_log_read();
    const char *p = log;
    int n = 0;

    while (p && (p = strstr(p, needle))) {
        n++;
        p++;
    }
    free(log);
    return n;
}

/* The database down while no one is asking: the background threads of
 * every process (warm-up, outbox, booking sweep, chat-log writer) back
 * off together instead of each trying several times a second, which
 * filled the error log with two mod_dbd lines per attempt (about 16 a
 * second on this two-process server); and they resume on their own. */
START_TEST(outage_background_backoff)
{
    int before, during, i, ok = 0;
    it_resp *r;

    before = out_count("AH00629");
    ck_assert_int_eq(it_sh("scripts/pg.sh stop >/dev/null 2>&1"), 0);
    sleep(6);
    during = out_count("AH00629") - before;
    ck_assert_int_eq(it_sh("scripts/pg.sh start >/dev/null 2>&1"), 0);
    ck_assert_msg(during <= 20, "%d failed connection attempts logged in 6 "
                  "idle seconds", during);
    ck_assert_msg(out_count("CC00208") >= 1, "background work did not say "
                  "the database was down");
    /* Back: the warm-up and the outbox threads reconnect by themselves. */
    for (i = 0; i < 100 && !ok; i++) {
        usleep(100 * 1000);
        ok = out_count("CC00209") >= 1;
    }
    ck_assert_msg(ok, "background work did not reconnect within 10 s");
    for (i = 0; i < 50; i++) {
        r = it_get("/api/health", NULL);
        ok = r->status == 200;
        it_free(r);
        if (ok) {
            break;
        }
        usleep(100 * 1000);
    }
    ck_assert_msg(ok, "health did not recover");
}
END_TEST

/* A lock held on bookings (a migration, a hand-run UPDATE, a stuck
 * report): a request that needs the table is answered 503 within the
 * module's lock_timeout (3 s, scripts/httpd.sh), instead of holding its
 * worker and its connection for as long as the lock lasts; health answers
 * throughout; and the route works again by itself when the lock goes. */
static double out_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

START_TEST(outage_lock_bounded)
{
    char path[160];
    double t0, secs;
    long svc;
    it_resp *r;
    int i, ok = 0;

    svc = it_sql_num("SELECT min(id) FROM services WHERE active");
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&days=2", svc);
    r = it_get(path, NULL);
    ck_assert_msg(r->status == 200, "slots before: %ld %s", r->status,
                  r->body);
    it_free(r);
    /* The test's own session holds the lock for 8 s, in the background. */
    ck_assert_int_eq(it_sh("(echo 'BEGIN; LOCK TABLE bookings IN ACCESS "
                           "EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;' | "
                           "scripts/pg.sh psql -q >/dev/null 2>&1 &)"), 0);
    usleep(500 * 1000);
    /* A window no process has cached (slots keep busy intervals for a
     * moment while nothing changes): this one must ask the database. */
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&days=3", svc);
    t0 = out_now();
    r = it_get(path, NULL);
    secs = out_now() - t0;
    it_assert_error(r, 503, "db_unavailable");
    it_free(r);
    ck_assert_msg(secs >= 2.5 && secs < 5.0, "a request behind the lock was "
                  "answered after %.2f s (lock_timeout 3 s)", secs);
    t0 = out_now();
    r = it_get("/api/health", NULL);
    ck_assert_msg(r->status == 200 && out_now() - t0 < 1.0, "health while "
                  "bookings is locked: %ld after %.2f s", r->status,
                  out_now() - t0);
    it_free(r);
    /* The lock goes (8 s): the same request works, nothing restarted. */
    for (i = 0; i < 100 && !ok; i++) {
        r = it_get(path, NULL);
        ok = r->status == 200;
        it_free(r);
        if (!ok) {
            usleep(200 * 1000);
        }
    }
    ck_assert_msg(ok, "slots did not recover after the lock was released");
}
END_TEST

START_TEST(outage_log_clean)
{
    /* What the outage legitimately logs:
     *   AH00629  mod_dbd: Can't connect to pgsql
     *   AH00639  mod_dbd: DBD [pgsql] Error (a pooled connection that
     *            cannot be reset)
     *   AH02655  mod_dbd: Failed to acquire DBD connection from pool
     *   CC00201  database unavailable (a request found no connection)
     *   CC00203  our statement failed on a dead pooled connection
     *   CC00206  a reset connection had its statements prepared again
     *   CC00208  background work found the database down (once, then it
     *            backs off)
     *   AH00632  mod_dbd: a new connection could not prepare its statements
     *            (lock_timeout while bookings was locked)
     *   CC00301  the 503 answered behind that lock
     *   CC00003  our note for the 503s answered for the auth provider's 500
     *   CC01603  the credential listener lost its connection (at most once
     *            per 10 s per process; CC01604 is at notice level) */
    static const char *const allowed[] = {
        "AH00629", "AH00639", "AH02655", "CC00201", "CC00203", "CC00206",
        "CC00208", "AH00632", "CC00301", "CC00003", "CC01603", NULL
    };
    char *bad = it_log_unexpected(allowed);
    char path[512], pw[256] = "";
    char *log = it_log_read();
    FILE *f;

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
    snprintf(path, sizeof(path), "%s/pg/password", it_var);
    f = fopen(path, "r");
    if (f) {
        size_t n = fread(pw, 1, sizeof(pw) - 1, f);

        fclose(f);
        pw[n] = '\0';
        while (n > 0 && pw[n - 1] == '\n') {
            pw[--n] = '\0';
        }
    }
    ck_assert_msg(pw[0] && !strstr(log, pw),
                  "the database password is in the error log");
    free(log);
}
END_TEST

/* PostgreSQL restarts while httpd is idle: every pooled connection is
 * silently reconnected by the driver (PQreset) on its next use and has lost
 * its prepared statements.  The module prepares them again, so health and
 * staff logins recover by themselves; before that fix they stayed 503/401
 * until httpd restarted. */
START_TEST(outage_quiet_restart)
{
    int i, ok_run = 0, tries;
    it_resp *r;

    /* Every pooled connection in use at least once. */
    for (i = 0; i < 40; i++) {
        it_free(it_get("/api/health", NULL));
    }
    ck_assert_int_eq(it_sh("scripts/pg.sh stop >/dev/null 2>&1 && "
                           "scripts/pg.sh start >/dev/null 2>&1"), 0);
    /* A request that meets a dead connection may fail once per
     * connection; then 60 requests in a row must succeed. */
    for (tries = 0; tries < 400 && ok_run < 60; tries++) {
        r = it_get(tries % 2 ? "/api/health" : "/api/admin/me",
                   tries % 2 ? NULL : IT_ADMIN);
        if (r->status == 200) {
            ok_run++;
        }
        else {
            ck_assert_msg(r->status == 503, "after a quiet restart: %ld %s",
                          r->status, r->body);
            ok_run = 0;
        }
        it_free(r);
    }
    ck_assert_msg(ok_run >= 60, "health and logins did not recover after "
                  "PostgreSQL restarted under an idle httpd (%d tries)",
                  tries);
}
END_TEST

/* ---- the log during an outage under load -------------------------------- */

#define OUT_FLOOD_THREADS 8
#define OUT_FLOOD_EACH    100

static void *flood_run(void *arg)
{
    long *bad = arg;
    int i;

    for (i = 0; i < OUT_FLOOD_EACH; i++) {
        it_resp *r = i % 2 ? it_get("/api/services", NULL)
                           : it_get("/api/admin/me", IT_STAFF);

        if (r->status != 503 && !*bad) {
            *bad = r->status;
        }
        it_free(r);
    }
    return NULL;
}

static long count_lines(const char *s, const char *needle)
{
    long n = 0;

    while (s && (s = strstr(s, needle))) {
        n++;
        s += strlen(needle);
    }
    return n;
}

/* 800 requests that need the database while it is down: each is answered
 * 503, and the error log grows by a few lines per process and interval
 * (a probe per 250 ms reaches mod_dbd; our own lines carry the count of
 * those not logged), not by lines per request (224,523 lines for a 10 s
 * outage before). */
START_TEST(outage_log_not_flooded)
{
    pthread_t th[OUT_FLOOD_THREADS];
    long bad[OUT_FLOOD_THREADS] = { 0 };
    long before, after, ok = 0;
    char *log;
    int i, rc_stop, rc_start;
    double t0, secs;

    log = it_log_read();
    before = count_lines(log, "\n");
    free(log);
    rc_stop = it_sh("scripts/pg.sh stop >/dev/null 2>&1");
    t0 = out_now();
    for (i = 0; i < OUT_FLOOD_THREADS; i++) {
        pthread_create(&th[i], NULL, flood_run, &bad[i]);
    }
    for (i = 0; i < OUT_FLOOD_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    secs = out_now() - t0;
    rc_start = it_sh("scripts/pg.sh start >/dev/null 2>&1");
    ck_assert_msg(rc_stop == 0 && rc_start == 0, "pg.sh stop/start failed");
    log = it_log_read();
    after = count_lines(log, "\n");
    for (i = 0; i < OUT_FLOOD_THREADS; i++) {
        ck_assert_msg(bad[i] == 0, "a request during the outage got %ld, "
                      "not 503", bad[i]);
    }
    ck_assert_msg(after - before <= 40 + (long)(secs * 2 * 4 * 3),
                  "%ld error-log lines for %d requests in %.1f s of outage; "
                  "the last: %s", after - before,
                  OUT_FLOOD_THREADS * OUT_FLOOD_EACH, secs,
                  strlen(log) > 1500 ? log + strlen(log) - 1500 : log);
    ck_assert_msg(strstr(log, "more request") != NULL
                  || strstr(log, "more such answer") != NULL,
                  "no line says how many were not logged");
    free(log);
    /* And it comes back by itself. */
    for (i = 0; i < 100 && ok < 5; i++) {
        it_resp *r = it_get("/api/admin/me", IT_STAFF);

        ok = r->status == 200 ? ok + 1 : 0;
        it_free(r);
        usleep(100 * 1000);
    }
    ck_assert_msg(ok >= 5, "staff requests did not recover after the outage");
}
END_TEST

static void outage_setup(void)
{
    it_httpd_start("ConciergeHealthCache 0\n"
                   "ConciergeRateLimit browse 100000/min\n"
                   "ConciergeRateLimit admin 100000/min\n", 2, 8);
}

Suite *it_suite_outage(void)
{
    Suite *s = suite_create("outage");
    TCase *tc = tcase_create("outage");

    tcase_add_unchecked_fixture(tc, outage_setup, it_httpd_stop);
    tcase_set_timeout(tc, 120);
    /* First, while every pooled connection is sound: a connection made
     * while bookings is locked cannot prepare its statements either. */
    tcase_add_test(tc, outage_lock_bounded);
    tcase_add_test(tc, outage_db_down_and_back);
    tcase_add_test(tc, outage_log_not_flooded);
    tcase_add_test(tc, outage_quiet_restart);
    tcase_add_test(tc, outage_background_backoff);
    tcase_add_test(tc, outage_log_clean);
    suite_add_tcase(s, tc);
    return s;
}

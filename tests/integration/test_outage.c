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
#include <unistd.h>
#include <sys/types.h>
#include "harness.h"

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

/* During the outage, poll method/path until an answer other than 401
 * (within 5 s).  Why 401 at all: mod_authn_dbd runs its query as a
 * sequential apr_dbd select, and apr_dbd_pgsql reports a query on a pooled
 * connection that died with the server as "no rows", so the first request on
 * every stale pooled connection is refused as "user not found" (AH01618)
 * instead of failing as an outage.  *n401 counts those; a 2xx is never
 * acceptable while the database is down. */
static it_resp *out_poll_outage(const char *method, const char *path,
                                const char *body, int *n401, long *bad)
{
    int i;

    *n401 = 0;
    *bad = 0;
    for (i = 0; i < 50; i++) {
        it_resp *r = it_req(method, path, IT_ADMIN,
                            body ? "application/json" : NULL, body, -1,
                            NULL);

        if (r->status != 401) {
            return r;
        }
        (*n401)++;
        it_free(r);
        usleep(100 * 1000);
    }
    *bad = 401;
    return it_req(method, path, IT_ADMIN, body ? "application/json" : NULL,
                  body, -1, NULL);
}

/* After the restart: GET as IT_ADMIN, again while the answer is 401 or
 * 503 (each pooled connection that died with the old server fails its
 * first request, see out_poll_outage), for up to 5 s. */
static it_resp *out_get_settled(const char *path)
{
    int i;

    for (i = 0;; i++) {
        it_resp *r = it_get(path, IT_ADMIN);

        if ((r->status != 401 && r->status != 503) || i == 50) {
            return r;
        }
        it_free(r);
        usleep(100 * 1000);
    }
}

/* Worker pids seen through /api/admin/me (up to 2). */
static int out_worker_pids(int pids[2], int tries)
{
    int n = 0, i;

    for (i = 0; i < tries && n < 2; i++) {
        it_resp *me = it_get("/api/admin/me", IT_ADMIN);
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
    long pid_before, pid_after;
    int workers[2] = { 0, 0 }, nworkers, rc_stop, rc_start, i;
    it_resp *h, *down_health = NULL, *me_down, *audit_down, *put_down;
    int recovered_health = 0, recovered_me = 0, n401[3];
    long stuck[3];
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
    me_down = out_poll_outage("GET", "/api/admin/me", NULL, &n401[0],
                              &stuck[0]);
    audit_down = out_poll_outage("GET", "/api/admin/audit", NULL, &n401[1],
                                 &stuck[1]);
    put_down = out_poll_outage("PUT", "/api/admin/users/outage-user",
                               "{\"role\":\"staff\",\"password\":"
                               "\"outage-password-1\"}", &n401[2],
                               &stuck[2]);
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

    for (i = 0; i < 3; i++) {
        ck_assert_msg(stuck[i] == 0, "probe %d: still 401 after 5 s of "
                      "outage", i);
    }
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

    /* The account written during the outage does not exist; a write now
     * works and the chain is intact. */
    {
        it_resp *u = out_get_settled("/api/admin/users");
        it_resp *v = out_get_settled("/api/admin/audit/verify");

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
                  "a child crashed:\n%s", log);
    free(log);
}
END_TEST

START_TEST(outage_log_clean)
{
    /* What the outage legitimately logs:
     *   AH00629  mod_dbd: Can't connect to pgsql
     *   AH00639  mod_dbd: DBD [pgsql] Error (failed reconnect)
     *   AH01653  mod_authn_dbd: Failed to acquire database connection
     *   CC00203  our statement (cc_ping) failed on a dead pooled connection
     *   CC00003  our note for the 503s httpd answered for mod_authn_dbd
     *   AH01618  mod_authn_dbd: "user not found", the query on a pooled
     *            connection that died with the server (see out_poll_outage)
     *   CC00004  the auth.login_failed entry for that 401 could not be
     *            written (the database is down / the connection is dead) */
    static const char *const allowed[] = {
        "AH00629", "AH00639", "AH01653", "CC00203", "CC00003",
        "AH01618", "CC00004", NULL
    };
    char *bad = it_log_unexpected(allowed);
    char path[512], pw[256] = "";
    char *log = it_log_read();
    FILE *f;

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%s", bad);
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

static void outage_setup(void)
{
    it_httpd_start("ConciergeHealthCache 0\n", 2, 8);
}

Suite *it_suite_outage(void)
{
    Suite *s = suite_create("outage");
    TCase *tc = tcase_create("outage");

    tcase_add_unchecked_fixture(tc, outage_setup, it_httpd_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, outage_db_down_and_back);
    tcase_add_test(tc, outage_log_clean);
    suite_add_tcase(s, tc);
    return s;
}

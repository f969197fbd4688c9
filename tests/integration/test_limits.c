/*
 * test_limits.c - the rate limiter across worker processes, its headers
 * and metrics; and start-up validation of every Concierge* directive.
 *
 *   ratelimit  httpd with 4 processes and "ConciergeRateLimit admin 20/min"
 *   config     `scripts/httpd.sh check` with bad and good directive lines
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define RL_LIMIT     20
#define RL_ATTEMPTS  60
#define RL_THREADS   8     /* also the size of one warm-up burst */
#define RL_MAXPIDS   64

static const char *const limits_allowed_log[] = { NULL };

/* A staff account of its own for warming the worker processes up, so
 * neither it-staff's nor it-admin's bucket is touched by the warm-up. */
#define RL_PROBE "it-rl-probe:it-rl-probe-password-1"

static void ratelimit_setup(void)
{
    if (it_sh("echo it-rl-probe-password-1 | scripts/user.sh it-rl-probe "
              "staff >/dev/null")) {
        fprintf(stderr, "test_limits: could not create it-rl-probe\n");
        exit(2);
    }
    it_httpd_start("ConciergeRateLimit admin 20/min\n", 4, 8);
}

static void ratelimit_teardown(void)
{
    it_httpd_stop();
}

/* The value of one metrics sample line `name value` (name including its
 * labels); -1 when absent. */
static long long metric_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *p = text;

    while (p && *p) {
        if (!strncmp(p, name, n) && p[n] == ' ') {
            char *end = NULL;
            long long v = strtoll(p + n + 1, &end, 10);

            if (end != p + n + 1 && (*end == '\n' || *end == '\0')) {
                return v;
            }
            return -1;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

#define ADMIN_429S "concierge_ratelimit_rejections_total{class=\"admin\"}"

static long long admin_rejections(void)
{
    it_resp *r = it_get("/api/admin/metrics", IT_ADMIN);
    long long v;

    ck_assert_msg(r->status == 200, "GET /api/admin/metrics as admin: %ld %s",
                  r->status, r->body);
    v = metric_value(r->body, ADMIN_429S);
    ck_assert_msg(v >= 0, "no %s sample in the metrics:\n%s", ADMIN_429S,
                  r->body);
    it_free(r);
    return v;
}

/* ---- the bucket is shared by every worker process ----------------------- */

typedef struct rl_shared {
    atomic_int      attempts;
    atomic_int      ok, limited, other;
    atomic_long     other_status;
    pthread_mutex_t lock;
    int             pids[RL_MAXPIDS];
    int             npids;
    int             ok_without_pid;
} rl_shared;

static void note_pid(rl_shared *sh, it_resp *r)
{
    json_t *pid = r->json ? json_object_get(r->json, "server_pid") : NULL;
    int i, v;

    pthread_mutex_lock(&sh->lock);
    if (!json_is_integer(pid)) {
        sh->ok_without_pid++;
    }
    else {
        v = (int)json_integer_value(pid);
        for (i = 0; i < sh->npids && sh->pids[i] != v; i++) {
        }
        if (i == sh->npids && sh->npids < RL_MAXPIDS) {
            sh->pids[sh->npids++] = v;
        }
    }
    pthread_mutex_unlock(&sh->lock);
}

typedef struct rl_run {
    rl_shared  *sh;
    const char *auth;
    int         attempts;
} rl_run;

static void *rl_worker(void *arg)
{
    rl_run *run = arg;
    rl_shared *sh = run->sh;

    while (atomic_fetch_add(&sh->attempts, 1) < run->attempts) {
        it_resp *r = it_get("/api/admin/me", run->auth);

        if (r->status == 200) {
            atomic_fetch_add(&sh->ok, 1);
            note_pid(sh, r);
        }
        else if (r->status == 429) {
            atomic_fetch_add(&sh->limited, 1);
        }
        else {
            atomic_fetch_add(&sh->other, 1);
            atomic_store(&sh->other_status, r->status);
        }
        it_free(r);
    }
    return NULL;
}

/* `attempts` requests as `auth` from RL_THREADS threads at once. */
static void rl_burst(rl_shared *sh, const char *auth, int attempts)
{
    pthread_t th[RL_THREADS];
    rl_run run = { sh, auth, attempts };
    int i;

    for (i = 0; i < RL_THREADS; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, rl_worker, &run), 0);
    }
    for (i = 0; i < RL_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
}

START_TEST(ratelimit_across_processes)
{
    static rl_shared warm, sh;
    long long rejected, before;
    it_resp *r;
    int i, ok, limited;

    /* httpd.sh start returns once one child answers; the others may still
     * be opening their database pools.  Warm up (as a third user, within
     * its own 20 tokens) until several processes answer. */
    pthread_mutex_init(&warm.lock, NULL);
    for (i = 0; i < 2 && warm.npids < 3; i++) {
        if (i > 0) {
            usleep(500 * 1000);
        }
        atomic_store(&warm.attempts, 0);
        rl_burst(&warm, RL_PROBE, RL_THREADS);
    }
    ck_assert_msg(atomic_load(&warm.ok) == RL_THREADS * i, "warm-up: %d of %d "
                  "requests answered 200 (last other status %ld)",
                  atomic_load(&warm.ok), RL_THREADS * i,
                  atomic_load(&warm.other_status));
    pthread_mutex_destroy(&warm.lock);

    pthread_mutex_init(&sh.lock, NULL);
    before = admin_rejections();   /* the harness's own probes may count */
    rl_burst(&sh, IT_STAFF, RL_ATTEMPTS);
    ok = atomic_load(&sh.ok);
    limited = atomic_load(&sh.limited);
    ck_assert_msg(atomic_load(&sh.other) == 0, "%d of %d requests answered "
                  "neither 200 nor 429 (last status %ld)",
                  atomic_load(&sh.other), RL_ATTEMPTS,
                  atomic_load(&sh.other_status));
    ck_assert_msg(ok + limited == RL_ATTEMPTS, "ok %d + limited %d != %d",
                  ok, limited, RL_ATTEMPTS);
    /* 20 tokens, plus at most one refilled (one per 3 s) during the run. */
    ck_assert_msg(ok >= RL_LIMIT - 1 && ok <= RL_LIMIT + 1,
                  "%d of %d requests let through; the limit is %d per "
                  "minute across all processes (429: %d)", ok, RL_ATTEMPTS,
                  RL_LIMIT, limited);
    ck_assert_msg(sh.ok_without_pid == 0, "%d 200 replies had no server_pid",
                  sh.ok_without_pid);
    ck_assert_msg(sh.npids >= 2, "all %d admitted requests were answered by "
                  "one process (%d; %d answered the warm-up); the test did "
                  "not prove the bucket is shared across processes", ok,
                  sh.npids ? sh.pids[0] : 0, warm.npids);

    /* The admin class is keyed by user: another user is not limited. */
    r = it_get("/api/admin/me", IT_ADMIN);
    ck_assert_msg(r->status == 200, "admin after staff was limited: %ld %s",
                  r->status, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "user")),
                     "it-admin");
    it_free(r);

    /* Every 429 was counted once, whichever process refused it. */
    rejected = admin_rejections() - before;
    ck_assert_msg(rejected == limited, "%s is %lld, but %d requests were "
                  "refused with 429", ADMIN_429S, rejected, limited);
    pthread_mutex_destroy(&sh.lock);
}
END_TEST

/* ---- the 429 reply ------------------------------------------------------- */

START_TEST(ratelimit_429_reply)
{
    long long before = admin_rejections(), after;
    const char *ra, *rl, *pol;
    it_resp *r = NULL;
    char *end = NULL;
    long secs;
    int i, n429 = 0;

    /* it-staff's bucket was emptied by the test before; a token may have
     * come back since (one every 3 s), so go on until the first 429. */
    for (i = 0; i < RL_LIMIT + 5; i++) {
        it_free(r);
        r = it_get("/api/admin/me", IT_STAFF);
        if (r->status == 429) {
            n429++;
            break;
        }
        ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    }
    ck_assert_msg(r->status == 429, "no 429 after %d requests as it-staff",
                  i);
    it_assert_error(r, 429, "rate_limited");

    ra = it_header(r, "Retry-After");
    ck_assert_msg(ra != NULL, "429 without Retry-After");
    secs = strtol(ra, &end, 10);
    ck_assert_msg(*ra >= '0' && *ra <= '9' && end && *end == '\0',
                  "Retry-After \"%s\" is not a whole number of seconds", ra);
    ck_assert_msg(secs >= 1 && secs <= 60, "Retry-After %ld is not in 1..60",
                  secs);
    /* 20/min refills one token every 3 s. */
    ck_assert_msg(secs <= 3, "Retry-After %ld, but a token comes back "
                  "every 3 s at 20/min", secs);

    rl = it_header(r, "RateLimit");
    ck_assert_msg(rl && strstr(rl, "remaining=0"), "429 RateLimit header "
                  "\"%s\" lacks remaining=0", rl ? rl : "(none)");
    ck_assert_msg(strstr(rl, "limit=20"), "429 RateLimit header \"%s\" "
                  "lacks limit=20", rl);
    pol = it_header(r, "RateLimit-Policy");
    ck_assert_msg(pol && !strcmp(pol, "20;w=60"), "RateLimit-Policy \"%s\", "
                  "expected \"20;w=60\"", pol ? pol : "(none)");
    it_free(r);

    after = admin_rejections();
    ck_assert_msg(after - before == n429, "%s went from %lld to %lld after "
                  "%d more 429", ADMIN_429S, before, after, n429);
}
END_TEST

/* ---- an admitted reply ----------------------------------------------------- */

START_TEST(ratelimit_200_headers)
{
    it_resp *r = it_get("/api/admin/me", IT_ADMIN);
    const char *rl, *pol;

    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    rl = it_header(r, "RateLimit");
    ck_assert_msg(rl && strstr(rl, "limit=20"), "200 RateLimit header \"%s\" "
                  "lacks limit=20", rl ? rl : "(none)");
    ck_assert_msg(strstr(rl, "remaining=") && !strstr(rl, "remaining=20"),
                  "RateLimit \"%s\": a token was taken, so fewer than 20 "
                  "remain", rl);
    pol = it_header(r, "RateLimit-Policy");
    ck_assert_msg(pol && !strcmp(pol, "20;w=60"), "RateLimit-Policy \"%s\", "
                  "expected \"20;w=60\"", pol ? pol : "(none)");
    ck_assert_msg(it_header(r, "Retry-After") == NULL,
                  "an admitted reply carries Retry-After");
    it_free(r);

    /* A route outside every rate class says nothing about limits. */
    r = it_get("/api/health", NULL);
    ck_assert_msg(r->status == 200, "GET /api/health: %ld %s", r->status,
                  r->body);
    ck_assert_msg(it_header(r, "RateLimit") == NULL
                  && it_header(r, "RateLimit-Policy") == NULL,
                  "GET /api/health (no rate class) carries RateLimit headers");
    it_free(r);
}
END_TEST

START_TEST(ratelimit_log_clean)
{
    char *bad = it_log_unexpected(limits_allowed_log);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%s",
                  bad ? bad : "");
}
END_TEST

/* ---- start-up validation of the directives ---------------------------------- */

/* A bad line and the part of it the error must quote. */
static const struct {
    const char *line;
    const char *bad;
} bad_lines[] = {
    { "ConciergeRateLimit chat ten/min", "ten/min" },
    { "ConciergeRateLimit chat 0/min", "0/min" },
    { "ConciergeRateLimit nosuchclass 1/min", "nosuchclass" },
    { "ConciergeRateLimit chat 10/fortnight", "10/fortnight" },
    { "ConciergeMaxBody 20M", "20M" },
    { "ConciergeMaxBody -1", "-1" },
    { "ConciergeJSONMaxDepth 1000", "1000" },
    { "ConciergeHealthCache 5000", "5000" },
    { "ConciergeTimeZone Mars/Olympus", "Mars/Olympus" },
    { "ConciergeTimeZone ../../etc/passwd", "../../etc/passwd" },
    { "ConciergeUserRole bob superuser", "superuser" },
    { "ConciergeRateLimitSlots 1", "'1' is out of range" },
    { "ConciergeChatIdleExpiry 5x", "5x" },
    { "ConciergeChatIdleExpiry 0", "'0' is out of range" },
    { "ConciergeChatIdleExpiry 400d", "'400d' is out of range" },
    { "ConciergeRetentionDays 0", "'0' is out of range" },
    { "ConciergeRetentionDays never", "never" },
};

static const char *const good_lines[] = {
    "ConciergeRateLimit chat 100/hour",
    "ConciergeTimeZone America/New_York",
    "ConciergeChatIdleExpiry 90",
    "ConciergeChatIdleExpiry 15m",
    "ConciergeRetentionDays Off",
    "ConciergeRetentionDays 365",
};

/* Write `line` as an extra conf file; run `httpd.sh check` on it. */
static int check_line(const char *line, int idx, char **out)
{
    char file[512];
    FILE *f;

    snprintf(file, sizeof(file), "%s/check-%d.conf", it_var, idx);
    f = fopen(file, "w");
    ck_assert_msg(f != NULL, "cannot write %s", file);
    fprintf(f, "%s\n", line);
    fclose(f);
    *out = it_sh_out("CC_EXTRA_CONF='%s' scripts/httpd.sh check 2>&1", file);
    return it_sh("CC_EXTRA_CONF='%s' scripts/httpd.sh check >/dev/null 2>&1",
                 file);
}

START_TEST(config_rejects_bad_directive)
{
    const char *line = bad_lines[_i].line;
    const char *value = bad_lines[_i].bad;
    char directive[64], *out = NULL;
    int rc;

    snprintf(directive, sizeof(directive), "%.*s",
             (int)strcspn(line, " "), line);
    rc = check_line(line, _i, &out);
    ck_assert_msg(rc != 0, "\"%s\" passed the config check:\n%s", line, out);
    ck_assert_msg(!strstr(out, "Syntax OK"), "\"%s\": Syntax OK:\n%s", line,
                  out);
    ck_assert_msg(strstr(out, "line 1 of"), "\"%s\": the error does not "
                  "point at its line:\n%s", line, out);
    /* Named in the message itself, not only in the file's name. */
    ck_assert_msg(strstr(out, directive) && !strstr(it_var, directive),
                  "\"%s\": the error does not name %s:\n%s", line,
                  directive, out);
    ck_assert_msg(strstr(out, value), "\"%s\": the error does not quote the "
                  "bad value %s:\n%s", line, value, out);
    free(out);
}
END_TEST

START_TEST(config_accepts_good_directive)
{
    const char *line = good_lines[_i];
    char *out = NULL;
    int rc = check_line(line, 100 + _i, &out);

    ck_assert_msg(rc == 0, "\"%s\" failed the config check (exit %d):\n%s",
                  line, rc, out);
    ck_assert_msg(strstr(out, "Syntax OK"), "\"%s\": no Syntax OK:\n%s",
                  line, out);
    free(out);
}
END_TEST

Suite *it_suite_limits(void)
{
    Suite *s = suite_create("limits");
    TCase *tc;

    tc = tcase_create("ratelimit");
    tcase_add_unchecked_fixture(tc, ratelimit_setup, ratelimit_teardown);
    tcase_set_timeout(tc, 120);
    /* Order matters: the first test empties it-staff's bucket. */
    tcase_add_test(tc, ratelimit_across_processes);
    tcase_add_test(tc, ratelimit_429_reply);
    tcase_add_test(tc, ratelimit_200_headers);
    tcase_add_test(tc, ratelimit_log_clean);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, config_rejects_bad_directive, 0,
                        (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
    tcase_add_loop_test(tc, config_accepts_good_directive, 0,
                        (int)(sizeof(good_lines) / sizeof(good_lines[0])));
    suite_add_tcase(s, tc);
    return s;
}

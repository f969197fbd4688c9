/*
 * test_booking.c - the booking API as a patient, a member of staff and an
 * attacker see it, against the real module and PostgreSQL:
 *
 *   booking          Europe/London, two httpd hosts on one database:
 *                    services; slots (order, step alignment, hours,
 *                    buffers, notice, horizon, exceptions, practitioner
 *                    filter, bad parameters); book -> view -> reschedule
 *                    -> cancel with its audit entries; idempotency (also
 *                    concurrent and across hosts); every refused input
 *                    with nothing stored; manage tokens; cancellation and
 *                    reschedule rules; payment holds and their expiry;
 *                    THE RACE (50 clients, one slot; one host and two);
 *                    the staff list; London's DST days; a clean error log
 *                    without patient details.
 *   booking-dst      America/New_York: slots on the DST days.
 *   booking-limit    the default "booking 5/min" rate limit (429).
 *
 * The test clinic (practitioners and services named "BK ...") is created
 * with SQL once per run; each test uses days of its own (bk_day(n)), so
 * bookings left by one test never change another's slots.  Every patient
 * name and e-mail contains "bkcanary", which must never reach a log.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
#include "harness.h"

#define BK_SECRET   "it-booking-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
#define BK_CANARY   "bkcanary"
#define BK_NDAYS    24
#define BK_RACERS   50

#define BK_CONF_COMMON \
    "ConciergeSecret " BK_SECRET "\n" \
    "LogLevel warn concierge:debug\n"
#define BK_CONF_FAST \
    "ConciergeRateLimit booking 100000/sec\n" \
    "ConciergeRateLimit browse 100000/sec\n" \
    "ConciergeRateLimit admin 100000/sec\n"

/* Set once by the unchecked fixtures (parent process): every forked test
 * sees them. */
static int  bk_ready;
static long sv_basic, sv_buf, sv_paid, sv_retired, sv_race, sv_other,
            sv_dst, sv_nyn, sv_ldnn;
static long pr_alice, pr_bob, pr_carol, pr_extra, pr_race, pr_dst, pr_nyn,
            pr_ldnn;
static char bk_today[11];
static char bk_days[BK_NDAYS][11];
static int  bk_seq;
/* Where audit entries are: the chain, plus the entries staged for it
 * (audit_pending, sealed a few times a second) when there is such a
 * table; one statement sees each entry exactly once. */
static char bk_audit[256] = "audit_log";

/* ---- small helpers ---------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long jint(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}

static const char *bk_day(int n)
{
    ck_assert_msg(n >= 0 && n < BK_NDAYS && bk_days[n][0], "bk_day(%d)", n);
    return bk_days[n];
}

static double bk_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long bk_days_from_civil(int y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void bk_civil_from_days(long long z, int *y, int *m, int *d)
{
    long long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 0 = Sunday. */
static int bk_weekday(long long days)
{
    return (int)(((days % 7) + 11) % 7);
}

static void bk_date(long long days, char out[11])
{
    int y, m, d;

    bk_civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static long long bk_parse_date(const char *s)
{
    int y, m, d;

    ck_assert_msg(sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3, "date %s", s);
    return bk_days_from_civil(y, m, d);
}

/* "YYYY-MM-DDThh:mm:ss" + UTC, for request bodies. */
static void bk_utc(long long t, char out[32])
{
    long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    long long s = t - days * 86400;
    int y, m, d;

    bk_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
             (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

/* A start/end as the API writes them: local wall time and its offset. */
typedef struct bk_tm {
    int y, mo, d, h, mi, s;
    int off;            /* minutes east of UTC */
    long long t;        /* the instant, UTC seconds */
} bk_tm;

static int bk_parse(const char *s, bk_tm *o)
{
    char sign = 0;
    int oh = 0, om = 0, n = 0;

    memset(o, 0, sizeof(*o));
    if (!s || strlen(s) != 25
        || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d%n", &o->y, &o->mo,
                  &o->d, &o->h, &o->mi, &o->s, &sign, &oh, &om, &n) != 9
        || n != 25 || (sign != '+' && sign != '-')) {
        return 0;
    }
    o->off = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    o->t = bk_days_from_civil(o->y, o->mo, o->d) * 86400 + o->h * 3600
           + o->mi * 60 + o->s - (long long)o->off * 60;
    return 1;
}

static long long bk_t(const char *s)
{
    bk_tm tm;

    ck_assert_msg(bk_parse(s, &tm), "not an RFC 3339 time with an offset: "
                  "%s", s ? s : "(null)");
    return tm.t;
}

/* The clinic settings every test starts from (and the seed's, restored
 * when a group ends). */
#define BK_SETTINGS "slot_step_min = 15, min_notice_min = 120, " \
    "horizon_days = 90, cancel_cutoff_min = 1440, late_cancel = 'forfeit', " \
    "reschedule_cutoff_min = 1440, max_reschedules = 2, payment_hold_min = 30"
#define BK_SEED_SETTINGS "slot_step_min = 15, min_notice_min = 120, " \
    "horizon_days = 90, cancel_cutoff_min = 2880, late_cancel = 'forfeit', " \
    "reschedule_cutoff_min = 2880, max_reschedules = 2, payment_hold_min = 30"

static void bk_settings(const char *change)
{
    it_sql_exec("UPDATE clinic_settings SET " BK_SETTINGS " WHERE id = 1;\n"
                "UPDATE clinic_settings SET %s WHERE id = 1;",
                change ? change : "updated_at = now()");
}

/* ---- HTTP helpers ------------------------------------------------------ */

static it_resp *bk_slots(long svc, const char *from, int days, long pract)
{
    char path[256];
    it_resp *r;

    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s&days=%d",
             svc, from, days);
    if (pract) {
        snprintf(path + strlen(path), sizeof(path) - strlen(path),
                 "&practitioner_id=%ld", pract);
    }
    r = it_get(path, NULL);
    ck_assert_msg(r->status == 200 && json_is_array(json_object_get(r->json,
                  "slots")), "GET %s: %ld %s", path, r->status, r->body);
    return r;
}

static json_t *bk_slot_list(it_resp *r)
{
    return json_object_get(r->json, "slots");
}

/* Slots at local wall time hh:mm (of practitioner pract, 0: any). */
static int bk_count_at(it_resp *r, const char *hhmm, long pract)
{
    json_t *s;
    size_t i;
    int n = 0;

    json_array_foreach(bk_slot_list(r), i, s) {
        const char *st = jstr(s, "start");

        if (st && strlen(st) == 25 && !strncmp(st + 11, hhmm, 5)
            && (!pract || jint(s, "practitioner_id") == pract)) {
            n++;
        }
    }
    return n;
}

static int bk_count_of(it_resp *r, long pract)
{
    json_t *s;
    size_t i;
    int n = 0;

    json_array_foreach(bk_slot_list(r), i, s) {
        n += !pract || jint(s, "practitioner_id") == pract;
    }
    return n;
}

/* The start (as the API writes it) of pract's slot at hh:mm on day, from
 * GET /api/slots; asserted to be offered.  malloc'd. */
static char *bk_start(long svc, const char *day, const char *hhmm,
                      long pract)
{
    it_resp *r = bk_slots(svc, day, 1, pract);
    char *out = NULL;
    json_t *s;
    size_t i;

    json_array_foreach(bk_slot_list(r), i, s) {
        const char *st = jstr(s, "start");

        if (st && strlen(st) == 25 && !strncmp(st + 11, hhmm, 5)
            && (!pract || jint(s, "practitioner_id") == pract)) {
            out = strdup(st);
            break;
        }
    }
    ck_assert_msg(out != NULL, "no slot at %s on %s (service %ld, "
                  "practitioner %ld): %.2000s", hhmm, day, svc, pract,
                  r->body);
    it_free(r);
    return out;
}

/* The same wall-clock day and offset as start, at hh:mm:ss.  malloc'd. */
static char *bk_at(const char *start, const char *hhmmss)
{
    char *s = strdup(start);

    memcpy(s + 11, hhmmss, 8);
    return s;
}

/* A booking request body (patient details carry the canary). */
static char *bk_body(long svc, const char *start, long pract)
{
    json_t *o;
    char name[96], email[96], *text;

    bk_seq++;
    snprintf(name, sizeof(name), "Bkcanary Patient %d-%d", (int)getpid(),
             bk_seq);
    snprintf(email, sizeof(email), "bkcanary.%d.%d@example.org",
             (int)getpid(), bk_seq);
    o = json_pack("{s:I, s:s, s:{s:s, s:s, s:s}}", "service_id",
                  (json_int_t)svc, "start", start, "patient", "name", name,
                  "email", email, "phone", "+44 7700 900123");
    if (pract) {
        json_object_set_new(o, "practitioner_id", json_integer(pract));
    }
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static it_resp *bk_post_at(int port, const char *body, const char *key)
{
    char hk[400];
    const char *hdrs[2] = { NULL, NULL };

    if (key) {
        snprintf(hk, sizeof(hk), "Idempotency-Key: %s", key);
        hdrs[0] = hk;
    }
    return it_req_at(port, "POST", "/api/bookings", NULL, "application/json",
                     body, -1, hdrs);
}

static it_resp *bk_post(const char *body, const char *key)
{
    return bk_post_at(it_port, body, key);
}

/* POST a booking, asserted 201; returns the reply (caller frees); id and
 * token out. */
static it_resp *bk_book_r(long svc, const char *start, long pract, long *id,
                          char tok[128])
{
    char *body = bk_body(svc, start, pract);
    it_resp *r = bk_post(body, NULL);

    ck_assert_msg(r->status == 201 && json_is_object(r->json), "POST "
                  "/api/bookings %s: %ld %s", body, r->status, r->body);
    free(body);
    *id = jint(r->json, "id");
    ck_assert_msg(*id > 0, "no id: %s", r->body);
    if (tok) {
        const char *t = jstr(r->json, "manage_token");

        ck_assert_msg(t && strlen(t) < 128, "no manage_token: %s", r->body);
        snprintf(tok, 128, "%s", t);
    }
    return r;
}

static long bk_book(long svc, const char *start, long pract, char tok[128])
{
    long id;

    it_free(bk_book_r(svc, start, pract, &id, tok));
    return id;
}

/* /api/bookings/{id}[/action] with X-Manage-Token (NULL: none; "": an
 * empty one). */
static it_resp *bk_manage_at(int port, const char *method, long id,
                             const char *action, const char *token,
                             const char *body)
{
    char path[128], hdr[400];
    const char *hdrs[2] = { NULL, NULL };

    snprintf(path, sizeof(path), "/api/bookings/%ld%s%s", id,
             action ? "/" : "", action ? action : "");
    if (token) {
        if (*token) {
            snprintf(hdr, sizeof(hdr), "X-Manage-Token: %s", token);
        }
        else {
            snprintf(hdr, sizeof(hdr), "X-Manage-Token;");
        }
        hdrs[0] = hdr;
    }
    return it_req_at(port, method, path, NULL,
                     body ? "application/json" : NULL, body, -1, hdrs);
}

static it_resp *bk_manage(const char *method, long id, const char *action,
                          const char *token, const char *body)
{
    return bk_manage_at(it_port, method, id, action, token, body);
}

static it_resp *bk_resched(long id, const char *token, const char *start,
                           long pract)
{
    char body[256];

    if (pract) {
        snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
                 "%ld}", start, pract);
    }
    else {
        snprintf(body, sizeof(body), "{\"start\":\"%s\"}", start);
    }
    return bk_manage("POST", id, "reschedule", token, body);
}

static it_resp *bk_staff(const char *method, long id, const char *action,
                         const char *body)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/admin/bookings/%ld%s%s", id,
             action ? "/" : "", action ? action : "");
    return it_req(method, path, IT_STAFF, body ? "application/json" : NULL,
                  body, -1, NULL);
}

/* The booking object of a 200 {"booking": ...} reply. */
static json_t *bk_of(it_resp *r)
{
    json_t *b = json_object_get(r->json, "booking");

    ck_assert_msg(json_is_object(b), "no booking object: %s", r->body);
    return b;
}

/* The staff view of a booking (status, start, ...); caller decrefs. */
static json_t *bk_view(long id)
{
    it_resp *r = bk_staff("GET", id, NULL, NULL);
    json_t *j;

    ck_assert_msg(r->status == 200, "GET /api/admin/bookings/%ld: %ld %s",
                  id, r->status, r->body);
    j = json_incref(r->json);
    it_free(r);
    return j;
}

static char *bk_status(long id)
{
    return it_sql("SELECT status FROM bookings WHERE id = %ld", id);
}

/* Newest audit entry of action for target (paging back); NULL if none.
 * Caller decrefs. */
static json_t *bk_audit_find(const char *action, const char *target)
{
    long before = 0;
    json_t *found = NULL;
    int page;

    for (page = 0; page < 40 && !found; page++) {
        char path[256];
        it_resp *r;
        json_t *e, *nb;
        size_t i;

        snprintf(path, sizeof(path), "/api/admin/audit?action=%s&limit=500",
                 action);
        if (before) {
            snprintf(path + strlen(path), sizeof(path) - strlen(path),
                     "&before=%ld", before);
        }
        r = it_get(path, IT_ADMIN);
        ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status,
                      r->body);
        json_array_foreach(json_object_get(r->json, "entries"), i, e) {
            const char *t = jstr(e, "target");

            if (t && !strcmp(t, target)) {
                found = json_incref(e);
                break;
            }
        }
        nb = json_object_get(r->json, "next_before");
        before = json_is_integer(nb) ? (long)json_integer_value(nb) : 0;
        it_free(r);
        if (!before) {
            break;
        }
    }
    return found;
}

/* The same, waiting up to 3 s: booking entries are staged and sealed into
 * the chain a few times a second, and GET /api/admin/audit may run while
 * another process is sealing (booking_audit_read_while_sealing). */
static json_t *bk_audit_wait(const char *action, const char *target)
{
    double t0 = bk_now();
    json_t *e;

    for (;;) {
        e = bk_audit_find(action, target);
        if (e || bk_now() - t0 > 3.0) {
            return e;
        }
        usleep(100 * 1000);
    }
}

static void bk_assert_audit(const char *action, long id, const char *actor)
{
    char target[64];
    json_t *e;

    snprintf(target, sizeof(target), "booking/%ld", id);
    e = bk_audit_wait(action, target);
    ck_assert_msg(e != NULL, "no %s audit entry for %s", action, target);
    ck_assert_msg(actor == NULL || (jstr(e, "actor")
                  && !strcmp(jstr(e, "actor"), actor)), "%s %s: actor %s, "
                  "expected %s", action, target, jstr(e, "actor"), actor);
    json_decref(e);
}

/* it_assert_error, reading only the first JSON value of the body: some
 * 400s carry a second error object after it (the module bug that
 * booking_one_error_body documents). */
static void bk_assert_error_first_at(it_resp *r, long status,
                                     const char *code, const char *file,
                                     int line)
{
    if (!r->json && r->body[0] == '{') {
        r->json = json_loadb(r->body, r->len, JSON_DISABLE_EOF_CHECK, NULL);
    }
    it_assert_error_at(r, status, code, file, line);
}
#define bk_assert_error_first(r, st, code) \
    bk_assert_error_first_at((r), (st), (code), __FILE__, __LINE__)

/* Slots: sorted by (start, practitioner), aligned to step minutes after
 * local midnight, end = start + dur, on [from, from + days). */
static void bk_assert_slot_shape(it_resp *r, const char *from, int days,
                                 int step, int dur)
{
    long long d0 = bk_parse_date(from);
    long long prev_t = -1;
    long prev_p = -1;
    json_t *s;
    size_t i;

    json_array_foreach(bk_slot_list(r), i, s) {
        bk_tm a, b;
        long long day;
        long p = jint(s, "practitioner_id");

        ck_assert_msg(json_object_size(s) == 3 && p > 0
                      && bk_parse(jstr(s, "start"), &a)
                      && bk_parse(jstr(s, "end"), &b), "slot %zu is not "
                      "{start, end, practitioner_id}: %.2000s", i, r->body);
        ck_assert_msg(a.s == 0 && (a.h * 60 + a.mi) % step == 0, "slot %s "
                      "is not aligned to %d minutes", jstr(s, "start"), step);
        ck_assert_msg(b.t - a.t == (long long)dur * 60, "slot %s..%s is not "
                      "%d minutes", jstr(s, "start"), jstr(s, "end"), dur);
        day = bk_days_from_civil(a.y, a.mo, a.d);
        ck_assert_msg(day >= d0 && day < d0 + days, "slot %s outside %s + "
                      "%d days", jstr(s, "start"), from, days);
        ck_assert_msg(a.t > prev_t || (a.t == prev_t && p > prev_p),
                      "slots not sorted by (start, practitioner) at %zu: "
                      "%.3000s", i, r->body);
        prev_t = a.t;
        prev_p = p;
    }
}

/* ---- the test clinic ---------------------------------------------------- */

static long bk_id_of(const char *table, const char *name)
{
    int ok;
    char *out, *end = NULL;
    long v;

    out = it_sql_try(NULL, "SELECT id FROM %s WHERE name = '%s'", table,
                     name);
    v = strtol(out, &end, 10);
    ok = end != out && (*end == '\n' || *end == '\0') && v > 0;
    if (!ok) {
        fprintf(stderr, "test_booking: no %s '%s': %s\n", table, name, out);
        exit(2);
    }
    free(out);
    return v;
}

static void bk_data_setup(void)
{
    static const char *const setup_sql =
        "BEGIN;\n"
        "INSERT INTO practitioners (name) VALUES ('BK Alice'), ('BK Bob'), "
        "('BK Carol'), ('BK Extra'), ('BK Race'), ('BK Dst'), "
        "('BK NY Night'), ('BK London Night');\n"
        "INSERT INTO services (name, description, duration_min, price_cents, "
        "currency, buffer_before_min, buffer_after_min, requires_payment, "
        "active) VALUES "
        "('BK Consultation', 'Test consultation', 30, 5000, 'GBP', 0, 10, "
        "false, true), "
        "('BK Buffered', 'Test buffers', 45, 7000, 'GBP', 15, 15, false, "
        "true), "
        "('BK Paid', 'Test paid treatment', 30, 12000, 'GBP', 0, 0, true, "
        "true), "
        "('BK Retired', 'No longer offered', 30, 1000, 'GBP', 0, 0, false, "
        "false), "
        "('BK Race', 'One practitioner', 30, 0, 'GBP', 0, 0, false, true), "
        "('BK Other', 'Only Bob', 30, 3000, 'EUR', 0, 0, false, true), "
        "('BK Dst', 'Daytime', 30, 0, 'GBP', 0, 0, false, true), "
        "('BK NY Night', 'Night', 30, 0, 'USD', 0, 0, false, true), "
        "('BK London Night', 'Night', 30, 0, 'GBP', 0, 0, false, true);\n"
        "INSERT INTO practitioner_services SELECT p.id, s.id FROM "
        "practitioners p, services s WHERE (p.name, s.name) IN ("
        "('BK Alice', 'BK Consultation'), ('BK Bob', 'BK Consultation'), "
        "('BK Extra', 'BK Consultation'), ('BK Carol', 'BK Buffered'), "
        "('BK Alice', 'BK Paid'), ('BK Bob', 'BK Paid'), "
        "('BK Alice', 'BK Retired'), ('BK Race', 'BK Race'), "
        "('BK Bob', 'BK Other'), ('BK Dst', 'BK Dst'), "
        "('BK NY Night', 'BK NY Night'), "
        "('BK London Night', 'BK London Night'));\n"
        /* every day 09:00-17:00; BK Extra has no weekly hours */
        "INSERT INTO opening_hours (practitioner_id, weekday, start_min, "
        "end_min) SELECT p.id, d, 540, 1020 FROM practitioners p, "
        "generate_series(0, 6) d WHERE p.name IN ('BK Alice', 'BK Bob', "
        "'BK Carol', 'BK Race', 'BK Dst');\n"
        /* Sundays (weekday 6) over the night's DST change */
        "INSERT INTO opening_hours (practitioner_id, weekday, start_min, "
        "end_min) SELECT id, 6, 60, 240 FROM practitioners "
        "WHERE name = 'BK NY Night';\n"
        "INSERT INTO opening_hours (practitioner_id, weekday, start_min, "
        "end_min) SELECT id, 6, 0, 180 FROM practitioners "
        "WHERE name = 'BK London Night';\n"
        "COMMIT;\n";
    char *out, *line, *save = NULL;
    int ok, n = 0;

    if (bk_ready) {
        return;
    }
    out = it_sql_try(&ok, "%s", setup_sql);
    if (!ok) {
        fprintf(stderr, "test_booking: the test clinic could not be "
                "created:\n%s\n", out);
        exit(2);
    }
    free(out);
    out = it_sql_try(NULL, "SELECT to_regclass('audit_pending') IS NOT "
                     "NULL");
    if (out[0] == 't') {
        snprintf(bk_audit, sizeof(bk_audit), "(SELECT actor, action, target, "
                 "detail FROM audit_log UNION ALL SELECT actor, action, "
                 "target, detail FROM audit_pending) AS a");
    }
    free(out);
    pr_alice = bk_id_of("practitioners", "BK Alice");
    pr_bob = bk_id_of("practitioners", "BK Bob");
    pr_carol = bk_id_of("practitioners", "BK Carol");
    pr_extra = bk_id_of("practitioners", "BK Extra");
    pr_race = bk_id_of("practitioners", "BK Race");
    pr_dst = bk_id_of("practitioners", "BK Dst");
    pr_nyn = bk_id_of("practitioners", "BK NY Night");
    pr_ldnn = bk_id_of("practitioners", "BK London Night");
    sv_basic = bk_id_of("services", "BK Consultation");
    sv_buf = bk_id_of("services", "BK Buffered");
    sv_paid = bk_id_of("services", "BK Paid");
    sv_retired = bk_id_of("services", "BK Retired");
    sv_race = bk_id_of("services", "BK Race");
    sv_other = bk_id_of("services", "BK Other");
    sv_dst = bk_id_of("services", "BK Dst");
    sv_nyn = bk_id_of("services", "BK NY Night");
    sv_ldnn = bk_id_of("services", "BK London Night");
    /* Today in London, and the test days: from the day after tomorrow,
     * skipping the clinic's own holidays (the sample clinic's). */
    out = it_sql_try(NULL, "SELECT to_char(now() AT TIME ZONE "
                     "'Europe/London', 'YYYY-MM-DD')");
    snprintf(bk_today, sizeof(bk_today), "%.10s", out);
    free(out);
    out = it_sql_try(NULL, "SELECT to_char(d, 'YYYY-MM-DD') FROM "
                     "generate_series('%s'::date + 2, '%s'::date + 70, "
                     "interval '1 day') d WHERE NOT EXISTS (SELECT 1 FROM "
                     "schedule_exceptions e WHERE e.day = d::date AND "
                     "e.practitioner_id IS NULL) ORDER BY d LIMIT %d",
                     bk_today, bk_today, BK_NDAYS);
    for (line = strtok_r(out, "\n", &save); line && n < BK_NDAYS;
         line = strtok_r(NULL, "\n", &save)) {
        if (strlen(line) == 10) {
            snprintf(bk_days[n++], 11, "%s", line);
        }
    }
    free(out);
    if (n != BK_NDAYS || strlen(bk_today) != 10) {
        fprintf(stderr, "test_booking: could not choose test days\n");
        exit(2);
    }
    bk_ready = 1;
}

static void bk_settings_parent(const char *sets)
{
    free(it_sql_try(NULL, "UPDATE clinic_settings SET %s WHERE id = 1",
                    sets));
}

static void booking_setup(void)
{
    bk_data_setup();
    bk_settings_parent(BK_SETTINGS);
    it_httpd_start(BK_CONF_COMMON BK_CONF_FAST
                   "ConciergeTimeZone Europe/London\n", 2, 32);
    it_httpd2_start(BK_CONF_COMMON BK_CONF_FAST
                    "ConciergeTimeZone Europe/London\n", 2, 16);
}

static void booking_teardown(void)
{
    it_httpd2_stop();
    it_httpd_stop();
    bk_settings_parent(BK_SEED_SETTINGS);
}

/* ---- services ----------------------------------------------------------- */

START_TEST(booking_services)
{
    it_resp *r = it_get("/api/services", NULL);
    json_t *a, *s, *basic = NULL, *paid = NULL;
    long prev = 0;
    size_t i;

    ck_assert_msg(r->status == 200, "GET /api/services: %ld %s", r->status,
                  r->body);
    a = json_object_get(r->json, "services");
    ck_assert_msg(json_is_array(a) && json_array_size(a) >= 8, "services: "
                  "%s", r->body);
    json_array_foreach(a, i, s) {
        long id = jint(s, "id");

        ck_assert_msg(json_object_size(s) == 9 && jstr(s, "name")
                      && jstr(s, "description") && jstr(s, "currency")
                      && json_is_integer(json_object_get(s, "duration_min"))
                      && json_is_integer(json_object_get(s, "price_cents"))
                      && json_is_integer(json_object_get(s,
                                                        "buffer_before_min"))
                      && json_is_integer(json_object_get(s,
                                                         "buffer_after_min"))
                      && json_is_boolean(json_object_get(s,
                                                         "requires_payment")),
                      "service %zu has not the documented fields: %s", i,
                      json_dumps(s, JSON_COMPACT));
        ck_assert_msg(id > prev, "services not in id order: %s", r->body);
        prev = id;
        ck_assert_msg(id != sv_retired, "the inactive service is listed: %s",
                      r->body);
        basic = id == sv_basic ? s : basic;
        paid = id == sv_paid ? s : paid;
    }
    ck_assert_msg(basic && paid, "test services missing: %s", r->body);
    ck_assert_str_eq(jstr(basic, "name"), "BK Consultation");
    ck_assert_str_eq(jstr(basic, "description"), "Test consultation");
    ck_assert_int_eq(jint(basic, "duration_min"), 30);
    ck_assert_int_eq(jint(basic, "price_cents"), 5000);
    ck_assert_str_eq(jstr(basic, "currency"), "GBP");
    ck_assert_int_eq(jint(basic, "buffer_before_min"), 0);
    ck_assert_int_eq(jint(basic, "buffer_after_min"), 10);
    ck_assert(json_is_false(json_object_get(basic, "requires_payment")));
    ck_assert(json_is_true(json_object_get(paid, "requires_payment")));
    ck_assert_int_eq(jint(paid, "price_cents"), 12000);
    it_free(r);
}
END_TEST

/* ---- slots -------------------------------------------------------------- */

START_TEST(booking_slots_basic)
{
    const char *day = bk_day(0);
    it_resp *r;
    json_t *s;

    bk_settings(NULL);
    r = bk_slots(sv_basic, day, 1, 0);
    ck_assert_str_eq(jstr(r->json, "timezone"), "Europe/London");
    ck_assert_int_eq(jint(r->json, "service_id"), sv_basic);
    ck_assert_str_eq(jstr(r->json, "from"), day);
    ck_assert_int_eq(jint(r->json, "days"), 1);
    ck_assert_msg(json_is_array(json_object_get(r->json,
                  "calendar_unavailable")) && json_array_size(json_object_get(
                  r->json, "calendar_unavailable")) == 0,
                  "calendar_unavailable: %s", r->body);
    bk_assert_slot_shape(r, day, 1, 15, 30);
    /* 30 minutes + 10 after, inside 09:00-17:00: 09:00 .. 16:15 */
    ck_assert_msg(bk_count_of(r, pr_alice) == 30 && bk_count_of(r, pr_bob)
                  == 30 && bk_count_of(r, 0) == 60, "expected 30 slots each "
                  "for Alice and Bob: %.3000s", r->body);
    ck_assert_int_eq(bk_count_at(r, "09:00", pr_alice), 1);
    ck_assert_int_eq(bk_count_at(r, "16:15", pr_alice), 1);
    ck_assert_int_eq(bk_count_at(r, "16:30", 0), 0);
    ck_assert_int_eq(bk_count_at(r, "08:45", 0), 0);
    s = json_array_get(bk_slot_list(r), 0);
    ck_assert_msg(!strncmp(jstr(s, "start") + 11, "09:00:00", 8)
                  && jint(s, "practitioner_id") == pr_alice, "first slot: %s",
                  r->body);
    it_free(r);

    /* The practitioner filter. */
    r = bk_slots(sv_basic, day, 1, pr_bob);
    ck_assert_msg(bk_count_of(r, pr_bob) == 30 && bk_count_of(r, 0) == 30,
                  "practitioner_id=Bob: %.2000s", r->body);
    it_free(r);
    r = bk_slots(sv_basic, day, 1, pr_carol);   /* does not do it */
    ck_assert_msg(bk_count_of(r, 0) == 0, "Carol does not do the "
                  "consultation: %.2000s", r->body);
    it_free(r);

    /* Several days: still one sorted list. */
    r = bk_slots(sv_basic, day, 3, 0);
    bk_assert_slot_shape(r, day, 3, 15, 30);
    ck_assert_msg(bk_count_of(r, 0) >= 60, "3 days: %.1000s", r->body);
    it_free(r);

    /* Another step: starts are multiples of it after local midnight. */
    bk_settings("slot_step_min = 20");
    r = bk_slots(sv_basic, day, 1, pr_alice);
    bk_assert_slot_shape(r, day, 1, 20, 30);
    ck_assert_msg(bk_count_of(r, 0) == 23 && bk_count_at(r, "09:00", 0) == 1
                  && bk_count_at(r, "16:20", 0) == 1, "step 20: 09:00 .. "
                  "16:20 expected: %.3000s", r->body);
    it_free(r);
    bk_settings("slot_step_min = 25");     /* 09:00 is not a multiple */
    r = bk_slots(sv_basic, day, 1, pr_alice);
    bk_assert_slot_shape(r, day, 1, 25, 30);
    ck_assert_msg(bk_count_of(r, 0) == 18 && bk_count_at(r, "09:10", 0) == 1
                  && bk_count_at(r, "16:15", 0) == 1, "step 25: 09:10 .. "
                  "16:15 expected: %.3000s", r->body);
    it_free(r);
    bk_settings(NULL);
}
END_TEST

START_TEST(booking_slots_buffers)
{
    const char *day = bk_day(1);
    char *s12, *s10;
    it_resp *r;

    bk_settings(NULL);
    /* 45 minutes with 15 before and 15 after, inside 09:00-17:00. */
    r = bk_slots(sv_buf, day, 1, 0);
    bk_assert_slot_shape(r, day, 1, 15, 45);
    ck_assert_msg(bk_count_of(r, pr_carol) == 28
                  && bk_count_at(r, "09:00", 0) == 0
                  && bk_count_at(r, "09:15", 0) == 1
                  && bk_count_at(r, "16:00", 0) == 1
                  && bk_count_at(r, "16:15", 0) == 0, "buffered service: "
                  "09:15 .. 16:00 expected: %.3000s", r->body);
    it_free(r);
    s12 = bk_start(sv_buf, day, "12:00", pr_carol);
    bk_book(sv_buf, s12, pr_carol, NULL);
    /* Blocked 11:45-13:00: a new window [s - 15, s + 60) may touch it. */
    r = bk_slots(sv_buf, day, 1, 0);
    ck_assert_msg(bk_count_of(r, 0) == 19
                  && bk_count_at(r, "10:45", 0) == 1
                  && bk_count_at(r, "11:00", 0) == 0
                  && bk_count_at(r, "12:00", 0) == 0
                  && bk_count_at(r, "13:00", 0) == 0
                  && bk_count_at(r, "13:15", 0) == 1, "after a booking at "
                  "12:00: %.3000s", r->body);
    it_free(r);

    /* Across services of one practitioner: a consultation at 10:00 (10
     * after) blocks 10:00-10:40 for the paid treatment (no buffers). */
    s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    bk_book(sv_basic, s10, pr_alice, NULL);
    r = bk_slots(sv_paid, day, 1, pr_alice);
    ck_assert_msg(bk_count_at(r, "09:30", 0) == 1
                  && bk_count_at(r, "09:45", 0) == 0
                  && bk_count_at(r, "10:00", 0) == 0
                  && bk_count_at(r, "10:30", 0) == 0
                  && bk_count_at(r, "10:45", 0) == 1, "paid slots around a "
                  "consultation at 10:00: %.3000s", r->body);
    it_free(r);
    /* The new booking's own buffer: a consultation at 09:30 would end its
     * buffer at 10:10. */
    r = bk_slots(sv_basic, day, 1, 0);
    ck_assert_msg(bk_count_at(r, "09:15", pr_alice) == 1
                  && bk_count_at(r, "09:30", pr_alice) == 0
                  && bk_count_at(r, "10:00", pr_bob) == 1, "consultation "
                  "slots around 10:00: %.3000s", r->body);
    it_free(r);
    free(s12);
    free(s10);
}
END_TEST

START_TEST(booking_slots_notice_horizon)
{
    double now;
    long long first = -1, last = -1;
    json_t *s;
    size_t i;
    it_resp *r;

    bk_settings("min_notice_min = 5760");       /* 4 days */
    now = bk_now();
    r = bk_slots(sv_basic, bk_today, 8, pr_alice);
    json_array_foreach(bk_slot_list(r), i, s) {
        long long t = bk_t(jstr(s, "start"));

        first = first < 0 || t < first ? t : first;
    }
    ck_assert_msg(first > 0, "no slots after 4 days' notice: %s", r->body);
    ck_assert_msg(first >= (long long)now + 5760 * 60 - 5, "a slot at %lld "
                  "is inside 4 days' notice (now %.0f)", first, now);
    ck_assert_msg(first <= (long long)now + 5760 * 60 + 3 * 86400, "the "
                  "first slot is days after the notice: %lld", first);
    it_free(r);

    bk_settings("horizon_days = 5");
    now = bk_now();
    r = bk_slots(sv_basic, bk_today, 10, pr_alice);
    json_array_foreach(bk_slot_list(r), i, s) {
        long long t = bk_t(jstr(s, "start"));

        last = t > last ? t : last;
    }
    ck_assert_msg(last > 0 && last <= (long long)now + 5 * 86400 + 5,
                  "a slot beyond the 5-day horizon: %lld (now %.0f)", last,
                  now);
    ck_assert_msg(last >= (long long)now + 3 * 86400, "the last slot is "
                  "well before the horizon: %lld", last);
    it_free(r);
    {
        char far[11];

        bk_date(bk_parse_date(bk_today) + 7, far);
        r = bk_slots(sv_basic, far, 3, 0);
        ck_assert_msg(bk_count_of(r, 0) == 0, "slots beyond the horizon: "
                      "%.1000s", r->body);
        it_free(r);
    }
    /* From a day in the past: nothing (and no error). */
    r = bk_slots(sv_basic, "2020-01-01", 5, 0);
    ck_assert_int_eq(bk_count_of(r, 0), 0);
    it_free(r);
    bk_settings(NULL);
}
END_TEST

START_TEST(booking_slots_exceptions)
{
    it_resp *r;
    char *s;

    bk_settings(NULL);
    /* Alice's time off 12:00-14:00. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (%ld, "
                "'%s', true, 720, 840, 'time off', "
                "'it')", pr_alice, bk_day(2));
    r = bk_slots(sv_basic, bk_day(2), 1, 0);
    ck_assert_msg(bk_count_of(r, pr_alice) == 20
                  && bk_count_at(r, "11:15", pr_alice) == 1
                  && bk_count_at(r, "11:30", pr_alice) == 0
                  && bk_count_at(r, "13:45", pr_alice) == 0
                  && bk_count_at(r, "14:00", pr_alice) == 1
                  && bk_count_of(r, pr_bob) == 30, "time off 12-14: "
                  "%.3000s", r->body);
    it_free(r);

    /* A clinic holiday (every practitioner), the whole day. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, note, created_by) VALUES (NULL, '%s', true, "
                "'holiday', 'it')",
                bk_day(3));
    r = bk_slots(sv_basic, bk_day(3), 1, 0);
    ck_assert_msg(bk_count_of(r, 0) == 0, "slots on a holiday: %.1000s",
                  r->body);
    it_free(r);
    r = bk_slots(sv_buf, bk_day(3), 1, 0);
    ck_assert_int_eq(bk_count_of(r, 0), 0);
    it_free(r);
    /* Booking on it: no such slot. */
    {
        char *s0 = bk_start(sv_basic, bk_day(2), "10:00", pr_alice);
        long long shift = bk_parse_date(bk_day(3)) - bk_parse_date(bk_day(2));
        char when[32], *body;
        it_resp *b;

        /* 10:00 on the holiday (a day's shift of another 10:00) */
        bk_utc(bk_t(s0) + shift * 86400, when);
        body = bk_body(sv_basic, when, pr_alice);
        b = bk_post(body, NULL);
        it_assert_error(b, 409, "slot_taken");
        it_free(b);
        free(body);
        free(s0);
    }
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "(start_at AT TIME ZONE "
                                "'Europe/London')::date = "
                                "'%s'", bk_day(3)), 0);

    /* Closing early (from 13:00) for everyone. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (NULL, "
                "'%s', true, 780, 1440, 'closing at 1pm', 'it')", bk_day(4));
    r = bk_slots(sv_basic, bk_day(4), 1, 0);
    ck_assert_msg(bk_count_of(r, pr_alice) == 14 && bk_count_of(r, pr_bob)
                  == 14 && bk_count_at(r, "12:15", 0) == 2
                  && bk_count_at(r, "12:30", 0) == 0, "closing at 13:00: "
                  "%.3000s", r->body);
    it_free(r);

    /* Extra opening for someone without weekly hours. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (%ld, "
                "'%s', false, 600, 720, 'extra clinic', "
                "'it')", pr_extra, bk_day(5));
    r = bk_slots(sv_basic, bk_day(5), 2, pr_extra);
    bk_assert_slot_shape(r, bk_day(5), 1, 15, 30);
    ck_assert_msg(bk_count_of(r, 0) == 6 && bk_count_at(r, "10:00", 0) == 1
                  && bk_count_at(r, "11:15", 0) == 1, "extra opening "
                  "10-12: %.2000s", r->body);
    it_free(r);
    s = bk_start(sv_basic, bk_day(5), "10:00", pr_extra);
    {
        long id;
        it_resp *b = bk_book_r(sv_basic, s, pr_extra, &id, NULL);

        ck_assert_str_eq(jstr(b->json, "practitioner_name"), "BK Extra");
        it_free(b);
    }
    free(s);
    /* A closure wins over an opening the same day. */
    it_sql_exec("INSERT INTO schedule_exceptions (practitioner_id, day, "
                "closed, start_min, end_min, note, created_by) VALUES (%ld, "
                "'%s', false, 600, 720, 'extra', 'it'), (%ld, '%s', true, "
                "660, 720, 'off', "
                "'it')", pr_extra, bk_day(6), pr_extra, bk_day(6));
    r = bk_slots(sv_basic, bk_day(6), 1, pr_extra);
    ck_assert_msg(bk_count_of(r, 0) == 2 && bk_count_at(r, "10:00", 0) == 1
                  && bk_count_at(r, "10:15", 0) == 1, "opening 10-12 closed "
                  "11-12: %.2000s", r->body);
    it_free(r);
}
END_TEST

/* Every bad query: 400 invalid_parameter (a JSON error), 404 for a
 * service that is unknown or no longer offered. */
START_TEST(booking_slots_bad_params)
{
    static const char *const bad[] = {
        "", "service_id=", "service_id=0", "service_id=-1", "service_id=abc",
        "service_id=1.5", "service_id=99999999999999999999",
        "service_id=%ld&days=0", "service_id=%ld&days=32",
        "service_id=%ld&days=-1", "service_id=%ld&days=x",
        "service_id=%ld&from=2027-02-30", "service_id=%ld&from=2027-2-3",
        "service_id=%ld&from=today", "service_id=%ld&from=2027-13-01",
        "service_id=%ld&practitioner_id=abc",
        "service_id=%ld&practitioner_id=0", NULL
    };
    const char *const *q;
    char path[256], qs[160];
    it_resp *r;

    for (q = bad; *q; q++) {
        snprintf(qs, sizeof(qs), *q, sv_basic);
        snprintf(path, sizeof(path), "/api/slots?%s", qs);
        r = it_get(path, NULL);
        ck_assert_msg(r->status == 400, "GET %s: %ld, expected 400; body: "
                      "%s", path, r->status, r->body);
        bk_assert_error_first(r, 400, "invalid_parameter");
        it_free(r);
    }
    snprintf(path, sizeof(path), "/api/slots?service_id=99999999&from=%s",
             bk_day(0));
    r = it_get(path, NULL);
    it_assert_error(r, 404, "unknown_service");
    it_free(r);
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s",
             sv_retired, bk_day(0));
    r = it_get(path, NULL);
    it_assert_error(r, 404, "unknown_service");
    it_free(r);
    /* The edges that are allowed. */
    r = bk_slots(sv_basic, bk_day(0), 31, pr_alice);
    it_free(r);
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld", sv_basic);
    r = it_get(path, NULL);
    ck_assert_msg(r->status == 200 && jint(r->json, "days") == 7
                  && jstr(r->json, "from")
                  && !strcmp(jstr(r->json, "from"), bk_today),
                  "defaults (today, 7 days): %.500s", r->body);
    it_free(r);
}
END_TEST

/* ---- the whole life of a booking ---------------------------------------- */

START_TEST(booking_flow)
{
    const char *day = bk_day(7);
    char *s10 = NULL, *s14 = NULL, *body, tok[128], end10[40];
    const char *rid, *loc;
    char rid_create[64], path[64];
    json_t *b, *p;
    it_resp *r, *g;
    long id, id2;

    bk_settings(NULL);
    s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    s14 = bk_start(sv_basic, day, "14:00", pr_alice);
    body = bk_body(sv_basic, s10, pr_alice);
    r = bk_post(body, NULL);
    ck_assert_msg(r->status == 201, "book: %ld %s", r->status, r->body);
    b = r->json;
    id = jint(b, "id");
    snprintf(path, sizeof(path), "/api/bookings/%ld", id);
    loc = it_header(r, "Location");
    ck_assert_msg(loc && !strcmp(loc, path), "Location %s, expected %s",
                  loc ? loc : "(none)", path);
    ck_assert_msg(it_header(r, "Idempotent-Replayed") == NULL, "a first "
                  "booking marked as a replay");
    rid = it_header(r, "X-Request-Id");
    ck_assert_msg(rid != NULL, "no X-Request-Id");
    snprintf(rid_create, sizeof(rid_create), "%s", rid);
    ck_assert_str_eq(jstr(b, "status"), "confirmed");
    ck_assert_str_eq(jstr(b, "start"), s10);
    snprintf(end10, sizeof(end10), "%s", s10);
    memcpy(end10 + 11, "10:30:00", 8);
    ck_assert_str_eq(jstr(b, "end"), end10);
    ck_assert_int_eq(jint(b, "practitioner_id"), pr_alice);
    ck_assert_int_eq(jint(b, "service_id"), sv_basic);
    ck_assert_str_eq(jstr(b, "service_name"), "BK Consultation");
    ck_assert_str_eq(jstr(b, "practitioner_name"), "BK Alice");
    ck_assert_int_eq(jint(b, "price_cents"), 5000);
    ck_assert_str_eq(jstr(b, "currency"), "GBP");
    ck_assert_str_eq(jstr(b, "payment_status"), "not_required");
    ck_assert(json_is_null(json_object_get(b, "hold_until")));
    ck_assert_int_eq(jint(b, "reschedules"), 0);
    ck_assert_str_eq(jstr(b, "timezone"), "Europe/London");
    ck_assert_msg(json_object_get(b, "payment") == NULL, "payment block on a "
                  "free-of-deposit booking: %s", r->body);
    p = json_object_get(b, "patient");
    ck_assert_msg(jstr(p, "name") && !strncmp(jstr(p, "name"), "Bkcanary", 8)
                  && jstr(p, "email") && jstr(p, "phone")
                  && !strcmp(jstr(p, "phone"), "+44 7700 900123"),
                  "patient: %s", r->body);
    p = json_object_get(b, "policy");
    ck_assert_msg(jint(p, "cancel_cutoff_min") == 1440
                  && jstr(p, "late_cancel")
                  && !strcmp(jstr(p, "late_cancel"), "forfeit")
                  && jint(p, "reschedule_cutoff_min") == 1440
                  && jint(p, "max_reschedules") == 2, "policy: %s", r->body);
    ck_assert_msg(jstr(b, "manage_token") && strlen(jstr(b, "manage_token"))
                  >= 32 && strspn(jstr(b, "manage_token"), "ABCDEFGHIJKLMNOP"
                  "QRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                  == strlen(jstr(b, "manage_token")), "manage_token: %s",
                  r->body);
    ck_assert_msg(!json_object_get(b, "token_hash")
                  && !json_object_get(b, "token_nonce"), "stored token "
                  "material in the reply: %s", r->body);
    snprintf(tok, sizeof(tok), "%s", jstr(b, "manage_token"));
    it_free(r);
    free(body);

    /* Taken, with its buffer; the other practitioner still free. */
    r = bk_slots(sv_basic, day, 1, 0);
    ck_assert_msg(bk_count_at(r, "10:00", pr_alice) == 0
                  && bk_count_at(r, "09:30", pr_alice) == 0
                  && bk_count_at(r, "10:00", pr_bob) == 1, "slots after the "
                  "booking: %.3000s", r->body);
    it_free(r);

    /* View. */
    g = bk_manage("GET", id, NULL, tok, NULL);
    ck_assert_msg(g->status == 200, "view: %ld %s", g->status, g->body);
    ck_assert_int_eq(jint(g->json, "id"), id);
    ck_assert_str_eq(jstr(g->json, "status"), "confirmed");
    ck_assert_str_eq(jstr(g->json, "start"), s10);
    ck_assert_msg(!json_object_get(g->json, "manage_token")
                  && !json_object_get(g->json, "token_hash")
                  && !json_object_get(g->json, "token_nonce"), "token "
                  "material in the view: %s", g->body);
    it_free(g);

    /* Reschedule. */
    r = bk_resched(id, tok, s14, 0);
    ck_assert_msg(r->status == 200, "reschedule: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "start"), s14);
    ck_assert_int_eq(jint(bk_of(r), "reschedules"), 1);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "confirmed");
    ck_assert_int_eq(jint(bk_of(r), "practitioner_id"), pr_alice);
    it_free(r);
    r = bk_slots(sv_basic, day, 1, pr_alice);
    ck_assert_msg(bk_count_at(r, "10:00", 0) == 1
                  && bk_count_at(r, "14:00", 0) == 0, "slots after the "
                  "move: %.3000s", r->body);
    it_free(r);

    /* Cancel (the reason is the patient's words: kept out of logs). */
    r = bk_manage("POST", id, "cancel", tok,
                  "{\"reason\":\"Bkcanary cannot make it\"}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "cancelled");
    ck_assert_msg(json_is_false(json_object_get(r->json, "late")), "late: %s",
                  r->body);
    it_free(r);
    g = bk_manage("GET", id, NULL, tok, NULL);
    ck_assert_str_eq(jstr(g->json, "status"), "cancelled");
    it_free(g);
    r = bk_slots(sv_basic, day, 1, pr_alice);
    ck_assert_int_eq(bk_count_at(r, "14:00", 0), 1);
    it_free(r);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);
    r = bk_resched(id, tok, s10, 0);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);

    /* The freed time can be booked again: here written with another
     * offset (the same instant), by a patient with a non-ASCII name. */
    {
        static const char name[] = "Bkcanary Zo\xc3\xab \xc3\x85ngstr\xc3"
                                   "\xb6m-O'Brien";
        long long t = bk_t(s14) + 5 * 3600;
        long long days = t / 86400, sec = t % 86400;
        char when[40], *text;
        int y, m, d;

        bk_civil_from_days(days, &y, &m, &d);
        snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:00+05:00", y,
                 m, d, (int)(sec / 3600), (int)(sec / 60 % 60));
        p = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}", "service_id",
                      (json_int_t)sv_basic, "start", when, "practitioner_id",
                      (json_int_t)pr_alice, "patient", "name", name, "email",
                      "bkcanary.zoe@example.org");
        text = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        r = bk_post(text, NULL);
        free(text);
        ck_assert_msg(r->status == 201, "rebook %s: %ld %s", when, r->status,
                      r->body);
        id2 = jint(r->json, "id");
        ck_assert_msg(id2 > id, "rebooking");
        ck_assert_str_eq(jstr(r->json, "start"), s14);
        ck_assert_str_eq(jstr(json_object_get(r->json, "patient"), "name"),
                         name);
        ck_assert_str_eq(jstr(json_object_get(r->json, "patient"), "phone"),
                         "");
        it_free(r);
    }

    /* Audit: one entry per change, by the patient, with the request id
     * and without the patient's details. */
    {
        char target[64];
        json_t *e;
        char *d;

        snprintf(target, sizeof(target), "booking/%ld", id);
        e = bk_audit_wait("booking.create", target);
        ck_assert_msg(e != NULL, "no booking.create entry for %s", target);
        ck_assert_str_eq(jstr(e, "actor"), "patient");
        ck_assert_str_eq(jstr(e, "request_id"), rid_create);
        ck_assert_int_eq(jint(json_object_get(e, "detail"), "service_id"),
                         sv_basic);
        d = json_dumps(e, JSON_COMPACT);
        ck_assert_msg(!strcasestr(d, BK_CANARY), "patient details in the "
                      "audit entry: %s", d);
        free(d);
        json_decref(e);
        bk_assert_audit("booking.reschedule", id, "patient");
        bk_assert_audit("booking.cancel", id, "patient");
        ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE "
                                    "target = "
                                    "'booking/%ld'", bk_audit, id), 3);
    }

    /* Staff see it. */
    b = bk_view(id);
    ck_assert_str_eq(jstr(b, "status"), "cancelled");
    ck_assert_msg(!json_object_get(b, "token_hash")
                  && !json_object_get(b, "token_nonce")
                  && !json_object_get(b, "manage_token"), "token material in "
                  "the staff view");
    json_decref(b);
    free(s10);
    free(s14);
}
END_TEST

/* No practitioner asked for: the first free one; a third client gets 409
 * with free alternatives. */
START_TEST(booking_any_practitioner)
{
    const char *day = bk_day(19);
    char *s10 = bk_start(sv_basic, day, "10:00", 0);
    it_resp *r, *sl;
    json_t *alt, *a;
    size_t i;
    long id;

    bk_settings(NULL);
    r = bk_book_r(sv_basic, s10, 0, &id, NULL);
    ck_assert_int_eq(jint(r->json, "practitioner_id"), pr_alice);
    it_free(r);
    r = bk_book_r(sv_basic, s10, 0, &id, NULL);
    ck_assert_int_eq(jint(r->json, "practitioner_id"), pr_bob);
    it_free(r);
    {
        char *body = bk_body(sv_basic, s10, 0);

        r = bk_post(body, NULL);
        free(body);
    }
    it_assert_error(r, 409, "slot_taken");
    alt = json_object_get(r->json, "alternatives");
    ck_assert_msg(json_is_array(alt) && json_array_size(alt) >= 1
                  && json_array_size(alt) <= 5, "alternatives: %s", r->body);
    sl = bk_slots(sv_basic, day, 2, 0);
    json_array_foreach(alt, i, a) {
        json_t *s;
        size_t k;
        int free_now = 0;

        ck_assert_msg(strcmp(jstr(a, "start"), s10) != 0, "the taken time "
                      "offered as an alternative: %s", r->body);
        json_array_foreach(bk_slot_list(sl), k, s) {
            free_now |= !strcmp(jstr(s, "start"), jstr(a, "start"))
                        && jint(s, "practitioner_id")
                           == jint(a, "practitioner_id")
                        && !strcmp(jstr(s, "end"), jstr(a, "end"));
        }
        ck_assert_msg(free_now, "alternative %s (practitioner %ld) is not a "
                      "free slot", jstr(a, "start"),
                      jint(a, "practitioner_id"));
        ck_assert_msg(i == 0 || bk_t(jstr(a, "start")) >= bk_t(jstr(
                      json_array_get(alt, i - 1), "start")), "alternatives "
                      "not sorted: %s", r->body);
    }
    it_free(sl);
    it_free(r);
    free(s10);
}
END_TEST

/* ---- idempotency -------------------------------------------------------- */

START_TEST(booking_idempotency)
{
    const char *day = bk_day(8);
    char *s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    char *s11 = bk_start(sv_basic, day, "11:00", pr_alice);
    char key[64], tok[128], *body, *body2, *reordered, *other, big[300];
    const char *v;
    it_resp *r;
    json_t *o;
    long id;

    bk_settings(NULL);
    snprintf(key, sizeof(key), "bk-idem-%d-%ld", (int)getpid(),
             (long)time(NULL));
    body = bk_body(sv_basic, s10, pr_alice);
    r = bk_post(body, key);
    ck_assert_msg(r->status == 201, "first: %ld %s", r->status, r->body);
    ck_assert_msg(it_header(r, "Idempotent-Replayed") == NULL, "first "
                  "request marked replayed");
    id = jint(r->json, "id");
    snprintf(tok, sizeof(tok), "%s", jstr(r->json, "manage_token"));
    it_free(r);

    /* The same request again: the same booking and token. */
    r = bk_post(body, key);
    ck_assert_msg(r->status == 201, "replay: %ld %s", r->status, r->body);
    v = it_header(r, "Idempotent-Replayed");
    ck_assert_msg(v && !strcmp(v, "true"), "Idempotent-Replayed: %s",
                  v ? v : "(none)");
    ck_assert_int_eq(jint(r->json, "id"), id);
    ck_assert_str_eq(jstr(r->json, "manage_token"), tok);
    ck_assert_str_eq(jstr(r->json, "start"), s10);
    v = it_header(r, "Location");
    ck_assert_msg(v && strstr(v, "/api/bookings/"), "replay Location");
    it_free(r);

    /* Key order and whitespace do not make another request. */
    o = json_loads(body, 0, NULL);
    reordered = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(3));
    json_decref(o);
    r = bk_post(reordered, key);
    ck_assert_msg(r->status == 201 && jint(r->json, "id") == id
                  && it_header(r, "Idempotent-Replayed"), "reformatted "
                  "replay: %ld %s", r->status, r->body);
    it_free(r);

    /* The other host: the same answer, the same token (one secret). */
    r = bk_post_at(it_port2, body, key);
    ck_assert_msg(r->status == 201 && jint(r->json, "id") == id
                  && jstr(r->json, "manage_token")
                  && !strcmp(jstr(r->json, "manage_token"), tok),
                  "replay on the second host: %ld %s", r->status, r->body);
    it_free(r);

    /* The same key with another body: refused, nothing booked. */
    other = bk_body(sv_basic, s11, pr_alice);
    r = bk_post(other, key);
    it_assert_error(r, 422, "idempotency_key_reused");
    it_free(r);
    body2 = bk_body(sv_basic, s10, pr_alice);      /* other patient */
    r = bk_post(body2, key);
    it_assert_error(r, 422, "idempotency_key_reused");
    it_free(r);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at >= '%s' "
                                "AND start_at < '%s'::timestamptz + interval "
                                "'1 day'",
                                pr_alice, day, day), 1);

    /* A new key (quotes and all: it is only ever a parameter) for the
     * taken slot: 409. */
    snprintf(big, sizeof(big), "bk'\";DROP/**/TABLE/**/bookings;--%d",
             (int)getpid());
    r = bk_post(body2, big);
    it_assert_error(r, 409, "slot_taken");
    it_free(r);

    /* Bad keys: 400, and the (free) slot stays free. */
    {
        char k256[300], k255[300], hdr[400];
        const char *const bad[] = { "Idempotency-Key;",
            "Idempotency-Key: has space", "Idempotency-Key: \xd0\xba\xd0\xbb"
            "\xd1\x8e\xd1\x87", "Idempotency-Key: tab\there", NULL, NULL };
        const char *hdrs[2] = { NULL, NULL };
        int i;

        memset(k256, 'k', 256);
        k256[256] = '\0';
        snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", k256);
        ((const char **)bad)[4] = hdr;
        for (i = 0; bad[i]; i++) {
            hdrs[0] = bad[i];
            r = it_req("POST", "/api/bookings", NULL, "application/json",
                       other, -1, hdrs);
            ck_assert_msg(r->status == 400, "%.40s: %ld %s", bad[i],
                          r->status, r->body);
            it_assert_error(r, 400, "invalid_idempotency_key");
            it_free(r);
        }
        ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                    "start_at = '%s' AND practitioner_id = "
                                    "%ld",
                                    s11, pr_alice), 0);
        /* 255 characters is allowed. */
        memset(k255, 'K', 255);
        k255[255] = '\0';
        r = bk_post(other, k255);
        ck_assert_msg(r->status == 201, "255-character key: %ld %s",
                      r->status, r->body);
        id = jint(r->json, "id");
        it_free(r);
        r = bk_post(other, k255);
        ck_assert_msg(r->status == 201 && jint(r->json, "id") == id,
                      "255-character key replay: %ld %s", r->status, r->body);
        it_free(r);
    }
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at >= '%s' "
                                "AND start_at < '%s'::timestamptz + interval "
                                "'1 day'",
                                pr_alice, day, day), 2);
    free(body);
    free(body2);
    free(other);
    free(reordered);
    free(s10);
    free(s11);
}
END_TEST

/* ---- concurrency -------------------------------------------------------- */

typedef struct bk_racer {
    pthread_barrier_t *bar;
    int         port;
    char       *body;
    const char *key;
    long        status;
    char        code[48];
    long        id;
    int         replayed;
    char        token[128];
} bk_racer;

static void *bk_race_worker(void *arg)
{
    bk_racer *w = arg;
    it_resp *r;

    pthread_barrier_wait(w->bar);
    r = bk_post_at(w->port, w->body, w->key);
    w->status = r->status;
    if (r->json) {
        const char *c = jstr(json_object_get(r->json, "error"), "code");
        const char *t = jstr(r->json, "manage_token");

        snprintf(w->code, sizeof(w->code), "%s", c ? c : "");
        w->id = jint(r->json, "id");
        snprintf(w->token, sizeof(w->token), "%s", t ? t : "");
    }
    w->replayed = it_header(r, "Idempotent-Replayed") != NULL;
    it_free(r);
    return NULL;
}

/* Runs the n racers at once (a barrier releases them together). */
static void bk_race(bk_racer *w, int n)
{
    pthread_barrier_t bar;
    pthread_t th[BK_RACERS];
    int i;

    ck_assert(n <= BK_RACERS);
    pthread_barrier_init(&bar, NULL, (unsigned)n);
    for (i = 0; i < n; i++) {
        w[i].bar = &bar;
        ck_assert_int_eq(pthread_create(&th[i], NULL, bk_race_worker, &w[i]),
                         0);
    }
    for (i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_barrier_destroy(&bar);
}

/* Exactly one 201 and n - 1 409 slot_taken; returns the winner's index. */
static int bk_race_one_winner(const bk_racer *w, int n, const char *what)
{
    int i, won = 0, taken = 0, winner = -1;
    char other[512] = "";

    for (i = 0; i < n; i++) {
        if (w[i].status == 201) {
            won++;
            winner = i;
        }
        else if (w[i].status == 409 && !strcmp(w[i].code, "slot_taken")) {
            taken++;
        }
        else if (strlen(other) < 400) {
            snprintf(other + strlen(other), sizeof(other) - strlen(other),
                     " [%d: %ld %s]", i, w[i].status, w[i].code);
        }
    }
    ck_assert_msg(won == 1 && taken == n - 1, "%s: %d created, %d "
                  "slot_taken, others:%s (expected 1 and %d)", what, won,
                  taken, other[0] ? other : " none", n - 1);
    return winner;
}

static void bk_racers_free(bk_racer *w, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        free(w[i].body);
    }
}

/* THE RACE: 50 clients, one slot, one host. */
START_TEST(booking_race_one_host)
{
    static bk_racer w[BK_RACERS];
    const char *day = bk_day(16);
    char *s10 = bk_start(sv_race, day, "10:00", pr_race);
    char *s11 = bk_start(sv_race, day, "11:00", pr_race);
    char *s1115 = bk_start(sv_race, day, "11:15", pr_race);
    int i, win;

    bk_settings(NULL);
    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = it_port;
        w[i].body = bk_body(sv_race, s10, pr_race);
    }
    bk_race(w, BK_RACERS);
    win = bk_race_one_winner(w, BK_RACERS, "50 clients, one slot");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s' "
                                "AND status IN ('confirmed', "
                                "'pending_payment')",
                                pr_race, s10), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s'",
                                pr_race, s10), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE action = "
                                "'booking.create' AND target = 'booking/%ld'",
                                bk_audit, w[win].id), 1);
    bk_racers_free(w, BK_RACERS);

    /* Overlapping, not equal: 11:00 and 11:15 (30 minutes each). */
    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = it_port;
        w[i].body = bk_body(sv_race, i % 2 ? s1115 : s11, pr_race);
    }
    bk_race(w, BK_RACERS);
    bk_race_one_winner(w, BK_RACERS, "50 clients, 11:00 and 11:15");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at IN ('%s', "
                                "'%s') AND status IN ('confirmed', "
                                "'pending_payment')", pr_race, s11, s1115), 1);
    bk_racers_free(w, BK_RACERS);
    free(s10);
    free(s11);
    free(s1115);
}
END_TEST

/* THE RACE across two hosts sharing the database: 25 clients each. */
START_TEST(booking_race_two_hosts)
{
    static bk_racer w[BK_RACERS];
    const char *day = bk_day(17);
    char *s10 = bk_start(sv_race, day, "10:00", pr_race);
    char *s11 = bk_start(sv_race, day, "11:00", pr_race);
    char *s1115 = bk_start(sv_race, day, "11:15", pr_race);
    int i, win;
    it_resp *r;

    bk_settings(NULL);
    ck_assert_msg(it_port2 > 0 && it_port2 != it_port, "no second host");
    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = i % 2 ? it_port2 : it_port;
        w[i].body = bk_body(sv_race, s10, pr_race);
    }
    bk_race(w, BK_RACERS);
    win = bk_race_one_winner(w, BK_RACERS, "25 + 25 clients on two hosts");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s' "
                                "AND status IN ('confirmed', "
                                "'pending_payment')",
                                pr_race, s10), 1);
    /* The winner's token works on the host that refused everybody else. */
    r = bk_manage_at(win % 2 ? it_port : it_port2, "GET", w[win].id, NULL,
                     w[win].token, NULL);
    ck_assert_msg(r->status == 200 && jint(r->json, "id") == w[win].id,
                  "the token on the other host: %ld %s", r->status, r->body);
    it_free(r);
    bk_racers_free(w, BK_RACERS);

    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = i % 2 ? it_port2 : it_port;
        w[i].body = bk_body(sv_race, i % 2 ? s1115 : s11, pr_race);
    }
    bk_race(w, BK_RACERS);
    bk_race_one_winner(w, BK_RACERS, "two hosts, 11:00 against 11:15");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at IN ('%s', "
                                "'%s') AND status IN ('confirmed', "
                                "'pending_payment')", pr_race, s11, s1115), 1);
    bk_racers_free(w, BK_RACERS);
    free(s10);
    free(s11);
    free(s1115);
}
END_TEST

/* n clients at once, half on each host, all with the same
 * Idempotency-Key and body for pract's hh:00 on day.  Asserts what must
 * hold whatever the answers: one booking, the key bound to it, every 201
 * that booking with its token, nothing but 201 and 409 slot_taken.
 * Returns how many were answered 409. */
static int bk_idem_round(const char *day, const char *hhmm, const char *tag,
                         int n)
{
    static bk_racer w[BK_RACERS];
    char key[64], tok[128] = "", other[600] = "";
    char *start = bk_start(sv_basic, day, hhmm, pr_alice);
    char *body = bk_body(sv_basic, start, pr_alice);
    int i, created = 0, replayed = 0, taken = 0;
    long id = 0;

    snprintf(key, sizeof(key), "bk-conc-%s-%d-%.5s", tag, (int)getpid(),
             hhmm);
    memset(w, 0, sizeof(w));
    for (i = 0; i < n; i++) {
        w[i].port = i % 2 ? it_port2 : it_port;
        w[i].body = strdup(body);
        w[i].key = key;
    }
    bk_race(w, n);
    for (i = 0; i < n; i++) {
        if (w[i].status == 201 && (!id || (w[i].id == id
                                           && !strcmp(w[i].token, tok)))) {
            id = w[i].id;
            snprintf(tok, sizeof(tok), "%s", w[i].token);
            replayed += w[i].replayed;
            created += !w[i].replayed;
        }
        else if (w[i].status == 409 && !strcmp(w[i].code, "slot_taken")) {
            taken++;
        }
        else if (strlen(other) < 500) {
            snprintf(other + strlen(other), sizeof(other) - strlen(other),
                     " [#%d: %ld %s id %ld]", i, w[i].status, w[i].code,
                     w[i].id);
        }
    }
    ck_assert_msg(created == 1 && created + replayed + taken == n, "%s %s: "
                  "%d created, %d replayed, %d slot_taken; unexpected:%s",
                  day, hhmm, created, replayed, taken,
                  other[0] ? other : " none");
    ck_assert_msg(tok[0], "no manage token in the 201s");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s'",
                                pr_alice, start), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM idempotency_keys WHERE "
                                "key = '%s' AND booking_id = %ld AND outcome "
                                "= 'created'", key, id), 1);
    /* A retry now: the booking, whatever the racer was told. */
    {
        it_resp *r = bk_post(body, key);

        ck_assert_msg(r->status == 201 && jint(r->json, "id") == id
                      && it_header(r, "Idempotent-Replayed"), "retry after "
                      "the race: %ld %s", r->status, r->body);
        it_free(r);
    }
    bk_racers_free(w, n);
    free(body);
    free(start);
    return taken;
}

/* Concurrent retries with one Idempotency-Key (a client that retried while
 * its first request was still running, on both hosts): one booking. */
START_TEST(booking_idempotency_concurrent)
{
    bk_settings(NULL);
    bk_idem_round(bk_day(9), "10:00", "a", 20);
    bk_idem_round(bk_day(9), "12:00", "a", 20);
    bk_idem_round(bk_day(9), "14:00", "a", 20);
}
END_TEST

/* ... and every one of them should be told about that booking
 * (201, Idempotent-Replayed), never 409 slot_taken.  A request that found
 * no key yet (cc_bk_idem_get) but checks availability after the first
 * request committed sees its own booking's slot as taken. */
START_TEST(booking_idempotency_race_same_key)
{
    static const char *const hours[] = { "09:00", "10:00", "11:00", "12:00",
                                         "13:00", "14:00", "15:00", "16:00" };
    int i, taken = 0, rounds = 0;

    bk_settings(NULL);
    for (i = 0; i < 8 && taken == 0; i++, rounds++) {
        taken += bk_idem_round(bk_day(21), hours[i], "b", BK_RACERS);
    }
    ck_assert_msg(taken == 0, "%d of 50 concurrent POST "
                  "/api/bookings with the same Idempotency-Key and body were "
                  "answered 409 slot_taken (round %d) instead of 201 with "
                  "the one booking they created", taken, rounds);
}
END_TEST

/* ---- refused requests --------------------------------------------------- */

typedef struct bk_bad {
    const char *tmpl;       /* body, with $NAME tokens */
    const char *ctype;      /* NULL: application/json; "-": none */
    const char *hdr;        /* one more header, or NULL */
    long        status;
    const char *code;
} bk_bad;

typedef struct bk_var {
    const char *name;
    char       *value;
} bk_var;

/* tmpl with every $NAME replaced by its value.  malloc'd. */
static char *bk_expand(const char *tmpl, const bk_var *vars)
{
    char *out = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&out, &cap);
    const char *p = tmpl;

    while (*p) {
        const bk_var *v = NULL;

        if (*p == '$') {
            for (v = vars; v->name; v++) {
                size_t n = strlen(v->name);

                if (!strncmp(p + 1, v->name, n)
                    && !(p[1 + n] >= 'A' && p[1 + n] <= 'Z')
                    && !(p[1 + n] >= '0' && p[1 + n] <= '9')) {
                    fputs(v->value, m);
                    p += 1 + n;
                    break;
                }
            }
            if (v && v->name) {
                continue;
            }
        }
        fputc(*p++, m);
    }
    fclose(m);
    return out;
}

#define PAT "\"patient\":{\"name\":\"Bkcanary Bad\"," \
            "\"email\":\"bkcanary.bad@example.org\"}"
#define B_START(s) "{\"service_id\":$SVC,\"start\":\"" s "\"," \
                   "\"practitioner_id\":$PR," PAT "}"
#define B_PAT(p) "{\"service_id\":$SVC,\"start\":\"$START\"," \
                 "\"practitioner_id\":$PR,\"patient\":" p "}"
#define B_NAME(n) B_PAT("{\"name\":" n "," \
                        "\"email\":\"bkcanary.b@example.org\"}")
#define B_EMAIL(e) B_PAT("{\"name\":\"Bkcanary B\",\"email\":" e "}")
#define B_PHONE(ph) B_PAT("{\"name\":\"Bkcanary B\",\"email\":" \
                          "\"bkcanary.b@example.org\",\"phone\":" ph "}")
#define B_OK B_START("$START")

static const bk_bad bk_bad_requests[] = {
    /* the time */
    { B_START("$MIS"), NULL, NULL, 422, "misaligned_start" },
    { B_START("$SEC"), NULL, NULL, 422, "misaligned_start" },
    { B_START("$SOON"), NULL, NULL, 422, "too_soon" },
    { B_START("$FAR"), NULL, NULL, 422, "too_far_ahead" },
    { B_START("2020-01-06T10:00:00Z"), NULL, NULL, 422, "start_in_past" },
    { B_START("tomorrow at ten"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAYT10:00:00"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAY 10:00:00Z"), NULL, NULL, 422, "invalid_start" },
    { B_START("2027-02-30T10:00:00Z"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAYT25:00:00Z"), NULL, NULL, 422, "invalid_start" },
    { B_START("$DAYT10:00:00+25:00"), NULL, NULL, 422, "invalid_start" },
    { B_START(""), NULL, NULL, 422, "invalid_start" },
    /* times nobody works: no slot there */
    { B_START("$EARLY"), NULL, NULL, 409, "slot_taken" },
    { B_START("$LATE"), NULL, NULL, 409, "slot_taken" },
    /* the patient */
    { B_NAME("\"\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"   \""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"Bkcanary\\u0001\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"Bkcanary\\nBad\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"Bkcanary\\u0085\""), NULL, NULL, 422, "invalid_name" },
    { B_NAME("\"$NAME201\""), NULL, NULL, 422, "invalid_name" },
    { B_EMAIL("\"bkcanary-no-at\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"bkcanary@\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"@example.org\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"bk canary@example.org\""), NULL, NULL, 422,
      "invalid_email" },
    { B_EMAIL("\"bkcanary@@example.org\""), NULL, NULL, 422,
      "invalid_email" },
    { B_EMAIL("\"bkcanary@localhost\""), NULL, NULL, 422, "invalid_email" },
    { B_EMAIL("\"bkcanary@example.org\\n\""), NULL, NULL, 422,
      "invalid_email" },
    { B_EMAIL("\"$EMAIL255\""), NULL, NULL, 422, "invalid_email" },
    { B_PHONE("\"abc\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"12\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"+44 7700 <script>\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"07700900+123\""), NULL, NULL, 422, "invalid_phone" },
    { B_PHONE("\"$PHONE41\""), NULL, NULL, 422, "invalid_phone" },
    /* ids and the session */
    { "{\"service_id\":0,\"start\":\"$START\"," PAT "}", NULL, NULL, 422,
      "invalid_id" },
    { "{\"service_id\":-1,\"start\":\"$START\"," PAT "}", NULL, NULL, 422,
      "invalid_id" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"practitioner_id\":-5,"
      PAT "}", NULL, NULL, 422, "invalid_id" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":\"short\","
      PAT "}", NULL, NULL, 422, "invalid_session" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":"
      "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!\"," PAT "}", NULL, NULL,
      422, "invalid_session" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":"
      "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"," PAT "}", NULL,
      NULL, 422, "invalid_session" },
    /* the shape (strict) */
    { "{\"start\":\"$START\"," PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC," PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\"}", NULL, NULL, 400,
      "invalid_body" },
    { B_PAT("{\"email\":\"bkcanary.b@example.org\"}"), NULL, NULL, 400,
      "invalid_body" },
    { B_PAT("{\"name\":\"Bkcanary B\"}"), NULL, NULL, 400, "invalid_body" },
    { B_PAT("\"Bkcanary B\""), NULL, NULL, 400, "invalid_body" },
    { B_PAT("null"), NULL, NULL, 400, "invalid_body" },
    { B_NAME("null"), NULL, NULL, 400, "invalid_body" },
    { B_NAME("42"), NULL, NULL, 400, "invalid_body" },
    { B_PHONE("447700900123"), NULL, NULL, 400, "invalid_body" },
    { B_PAT("{\"name\":\"Bkcanary B\",\"email\":\"bkcanary.b@example.org\","
            "\"dob\":\"1990-01-01\"}"), NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":\"$SVC\",\"start\":\"$START\"," PAT "}", NULL, NULL,
      400, "invalid_body" },
    { "{\"service_id\":$SVC.0,\"start\":\"$START\"," PAT "}", NULL, NULL,
      400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":1900000000," PAT "}", NULL, NULL, 400,
      "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"practitioner_id\":"
      "\"$PR\"," PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"session_id\":5," PAT "}",
      NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"status\":\"confirmed\","
      PAT "}", NULL, NULL, 400, "invalid_body" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"price_cents\":0," PAT "}",
      NULL, NULL, 400, "invalid_body" },
    { "{}", NULL, NULL, 400, "invalid_body" },
    { "[]", NULL, NULL, 400, "invalid_body" },
    { "\"book me\"", NULL, NULL, 400, "invalid_json" },  /* not {} or [] */
    /* not JSON at all */
    { "service_id=1&start=now", NULL, NULL, 400, "invalid_json" },
    { "{\"service_id\":$SVC,", NULL, NULL, 400, "invalid_json" },
    { "", NULL, NULL, 400, "invalid_json" },
    { "{\"service_id\":$SVC,\"service_id\":$SVC,\"start\":\"$START\"," PAT
      "}", NULL, NULL, 400, "invalid_json" },
    /* headers */
    { B_OK, NULL, "Idempotency-Key: two words", 400,
      "invalid_idempotency_key" },
    { B_OK, "text/plain", NULL, 415, "unsupported_media_type" },
    { B_OK, "application/x-www-form-urlencoded", NULL, 415,
      "unsupported_media_type" },
    { B_OK, "application/json; charset=latin1", NULL, 415,
      "unsupported_media_type" },
    { B_OK, "-", NULL, 415, "unsupported_media_type" },
    /* what does not exist */
    { "{\"service_id\":99999999,\"start\":\"$START\"," PAT "}", NULL, NULL,
      404, "unknown_service" },
    { "{\"service_id\":$RETIRED,\"start\":\"$START\"," PAT "}", NULL, NULL,
      404, "unknown_service" },
    { "{\"service_id\":$OTHER,\"start\":\"$START\",\"practitioner_id\":$PR,"
      PAT "}", NULL, NULL, 422, "unknown_practitioner" },
    { "{\"service_id\":$SVC,\"start\":\"$START\",\"practitioner_id\":"
      "99999999," PAT "}", NULL, NULL, 422, "unknown_practitioner" },
    /* the size cap (8 KB): at the cap it is read (and judged) */
    { "$PAD8192", NULL, NULL, 422, "invalid_name" },
    { "$PAD8193", NULL, NULL, 413, "body_too_large" },
    { "$PAD20000", NULL, NULL, 413, "body_too_large" },
};

/* Rows that any accepted booking request would add. */
static char *bk_snapshot(void)
{
    return it_sql("SELECT (SELECT count(*) FROM bookings) || ' ' || "
                  "(SELECT count(*) FROM idempotency_keys) || ' ' || "
                  "(SELECT count(*) FROM %s WHERE action IN "
                  "('booking.create', 'booking.cancel', "
                  "'booking.reschedule')) || ' ' || "
                  "(SELECT count(*) FROM calendar_outbox)", bk_audit);
}

/* A body of exactly n bytes: a valid request but for an empty name,
 * padded with spaces. */
static char *bk_padded(long svc, const char *start, long pract, size_t n)
{
    char *head = NULL, *out;
    size_t hl;

    if (asprintf(&head, "{\"service_id\":%ld,\"start\":\"%s\","
                 "\"practitioner_id\":%ld,\"patient\":{\"name\":\"\","
                 "\"email\":\"bkcanary.pad@example.org\"}", svc, start,
                 pract) < 0) {
        abort();
    }
    hl = strlen(head);
    ck_assert(n > hl + 1);
    out = malloc(n + 1);
    memcpy(out, head, hl);
    memset(out + hl, ' ', n - hl - 1);
    out[n - 1] = '}';
    out[n] = '\0';
    free(head);
    return out;
}

START_TEST(booking_bad_requests)
{
    const char *day = bk_day(10);
    char *start, *before, *after, svc[32], pr[32], other[32], retired[32];
    char soon[32], far[32], name201[256], email255[300], phone41[64];
    double now = bk_now();
    size_t i;
    long long t;

    bk_settings(NULL);
    start = bk_start(sv_basic, day, "10:00", pr_alice);
    snprintf(svc, sizeof(svc), "%ld", sv_basic);
    snprintf(pr, sizeof(pr), "%ld", pr_alice);
    snprintf(other, sizeof(other), "%ld", sv_other);
    snprintf(retired, sizeof(retired), "%ld", sv_retired);
    /* aligned, in the future, inside the 120 minutes' notice */
    t = ((long long)now / 900 + 2) * 900;
    bk_utc(t, soon);
    /* aligned, beyond the 90-day horizon */
    t = ((long long)now / 86400 + 95) * 86400 + 10 * 3600;
    bk_utc(t, far);
    memset(name201, 'n', 201);
    name201[201] = '\0';
    memcpy(name201, "Bkcanary", 8);
    snprintf(email255, sizeof(email255), "bkcanary.%.50s@%.63s.%.63s.%.63s."
             "org", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
             "cc");
    ck_assert_msg(strlen(email255) == 255, "email255 is %zu",
                  strlen(email255));
    memset(phone41, '1', 41);
    phone41[41] = '\0';
    {
        char *mis = bk_at(start, "10:07:00"), *sec = bk_at(start, "10:00:30");
        char *early = bk_at(start, "08:00:00"), *late = bk_at(start,
                                                             "17:00:00");
        char *p8192 = bk_padded(sv_basic, start, pr_alice, 8192);
        char *p8193 = bk_padded(sv_basic, start, pr_alice, 8193);
        char *p20000 = bk_padded(sv_basic, start, pr_alice, 20000);
        char dayv[11];
        const bk_var vars[] = {
            { "SVC", svc }, { "PR", pr }, { "OTHER", other },
            { "RETIRED", retired }, { "START", start }, { "MIS", mis },
            { "SEC", sec }, { "SOON", soon }, { "FAR", far },
            { "EARLY", early }, { "LATE", late }, { "DAY", dayv },
            { "NAME201", name201 }, { "EMAIL255", email255 },
            { "PHONE41", phone41 }, { "PAD8192", p8192 },
            { "PAD8193", p8193 }, { "PAD20000", p20000 }, { NULL, NULL }
        };

        snprintf(dayv, sizeof(dayv), "%s", day);
        before = bk_snapshot();
        for (i = 0; i < sizeof(bk_bad_requests) / sizeof(bk_bad_requests[0]);
             i++) {
            const bk_bad *b = &bk_bad_requests[i];
            char *body = bk_expand(b->tmpl, vars);
            const char *hdrs[3] = { NULL, NULL, NULL };
            const char *ct = b->ctype ? b->ctype : "application/json";
            int nh = 0;
            it_resp *r;

            if (b->ctype && !strcmp(b->ctype, "-")) {
                ct = NULL;
                hdrs[nh++] = "Content-Type:";
            }
            if (b->hdr) {
                hdrs[nh++] = b->hdr;
            }
            r = it_req("POST", "/api/bookings", NULL, ct, body, -1, hdrs);
            ck_assert_msg(r->status == b->status && r->json
                          && jstr(json_object_get(r->json, "error"), "code")
                          && !strcmp(jstr(json_object_get(r->json, "error"),
                                          "code"), b->code), "case %zu "
                          "(%.120s): status %ld, expected %ld %s; body "
                          "%.300s", i, b->tmpl, r->status, b->status, b->code,
                          r->body);
            it_assert_error(r, b->status, b->code);
            it_free(r);
            free(body);
        }
        after = bk_snapshot();
        ck_assert_msg(!strcmp(before, after), "refused requests changed the "
                      "database: bookings, keys, audit entries, outbox "
                      "%s -> %s", before, after);
        free(mis);
        free(sec);
        free(early);
        free(late);
        free(p8192);
        free(p8193);
        free(p20000);
    }
    /* ... and the slot they all aimed at is still there. */
    {
        char *again = bk_start(sv_basic, day, "10:00", pr_alice);

        free(again);
    }
    free(before);
    free(after);
    free(start);
}
END_TEST

/* practitioner_id 0 is not a positive id: it should be refused
 * like -5
 * ("service_id and practitioner_id are positive whole numbers"). */
START_TEST(booking_practitioner_id_zero)
{
    char *start = bk_start(sv_basic, bk_day(10), "15:00", 0);
    char *body = NULL;
    it_resp *r;

    bk_settings(NULL);
    if (asprintf(&body, "{\"service_id\":%ld,\"start\":\"%s\","
                 "\"practitioner_id\":0," PAT "}", sv_basic, start) < 0) {
        abort();
    }
    r = bk_post(body, NULL);
    if (r->status == 201) {
        /* undo, so the rest of the suite is unaffected */
        it_resp *c = bk_staff("POST", jint(r->json, "id"), "cancel", NULL);

        it_free(c);
    }
    ck_assert_msg(r->status == 422, "POST /api/bookings with "
                  "\"practitioner_id\":0 answered %ld (booked with "
                  "practitioner %ld) instead of 422 invalid_id", r->status,
                  jint(r->json, "practitioner_id"));
    it_assert_error(r, 422, "invalid_id");
    it_free(r);
    free(body);
    free(start);
}
END_TEST

/* ---- manage tokens ------------------------------------------------------ */

START_TEST(booking_manage_token)
{
    const char *day = bk_day(11);
    char *s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    char *s11 = bk_start(sv_basic, day, "11:00", pr_alice);
    char *s14 = bk_start(sv_basic, day, "14:00", pr_alice);
    char t1[128], t2[128], resched[160], msg_wrong[256], bad[200];
    static const char *const acts[] = { NULL, "cancel", "reschedule" };
    json_t *v;
    it_resp *r;
    long b1, b2;
    int i;

    bk_settings(NULL);
    b1 = bk_book(sv_basic, s10, pr_alice, t1);
    b2 = bk_book(sv_basic, s11, pr_alice, t2);
    snprintf(resched, sizeof(resched), "{\"start\":\"%s\"}", s14);

    for (i = 0; i < 3; i++) {
        const char *m = acts[i] ? "POST" : "GET";
        const char *body = acts[i] && !strcmp(acts[i], "reschedule")
                           ? resched : NULL;

        /* none, or empty: 401 */
        r = bk_manage(m, b1, acts[i], NULL, body);
        it_assert_error(r, 401, "manage_token_required");
        it_free(r);
        r = bk_manage(m, b1, acts[i], "", body);
        it_assert_error(r, 401, "manage_token_required");
        it_free(r);
        /* made up, another booking's, almost right: 404, the same answer
         * as for an id that does not exist */
        r = bk_manage(m, b1, acts[i], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                      "AAAAA", body);
        it_assert_error(r, 404, "booking_not_found");
        snprintf(msg_wrong, sizeof(msg_wrong), "%s",
                 jstr(json_object_get(r->json, "error"), "message"));
        it_free(r);
        r = bk_manage(m, b1, acts[i], t2, body);
        it_assert_error(r, 404, "booking_not_found");
        it_free(r);
        snprintf(bad, sizeof(bad), "%s", t1);
        bad[0] = bad[0] == 'A' ? 'B' : 'A';
        r = bk_manage(m, b1, acts[i], bad, body);
        it_assert_error(r, 404, "booking_not_found");
        it_free(r);
        memset(bad, 'A', 150);
        bad[150] = '\0';
        r = bk_manage(m, b1, acts[i], bad, body);
        it_assert_error(r, 404, "booking_not_found");
        it_free(r);
        snprintf(bad, sizeof(bad), "%.*s", (int)strlen(t1) - 1, t1);
        r = bk_manage(m, b1, acts[i], bad, body);
        it_assert_error(r, 404, "booking_not_found");
        it_free(r);
        r = bk_manage(m, 99999999, acts[i], t1, body);
        it_assert_error(r, 404, "booking_not_found");
        ck_assert_str_eq(jstr(json_object_get(r->json, "error"), "message"),
                         msg_wrong);
        it_free(r);
    }
    /* Not an id at all. */
    r = it_req("GET", "/api/bookings/abc", NULL, NULL, NULL, -1, NULL);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    r = it_req("GET", "/api/bookings/0", NULL, NULL, NULL, -1, NULL);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    /* The staff routes want a staff login, not a manage token. */
    {
        char path[96], hdr[200];
        const char *hdrs[2] = { hdr, NULL };

        snprintf(hdr, sizeof(hdr), "X-Manage-Token: %s", t1);
        snprintf(path, sizeof(path), "/api/admin/bookings/%ld", b1);
        r = it_req("GET", path, NULL, NULL, NULL, -1, hdrs);
        it_assert_error(r, 401, "authentication_required");
        it_free(r);
        snprintf(path, sizeof(path), "/api/admin/bookings/%ld/cancel", b1);
        r = it_req("POST", path, NULL, NULL, NULL, -1, hdrs);
        it_assert_error(r, 401, "authentication_required");
        it_free(r);
        r = it_req("GET", "/api/admin/bookings", NULL, NULL, NULL, -1, hdrs);
        it_assert_error(r, 401, "authentication_required");
        it_free(r);
    }
    /* Nothing changed. */
    v = bk_view(b1);
    ck_assert_str_eq(jstr(v, "status"), "confirmed");
    ck_assert_str_eq(jstr(v, "start"), s10);
    ck_assert_int_eq(jint(v, "reschedules"), 0);
    json_decref(v);
    v = bk_view(b2);
    ck_assert_str_eq(jstr(v, "status"), "confirmed");
    json_decref(v);
    /* The right token works, on either host. */
    r = bk_manage_at(it_port2, "GET", b1, NULL, t1, NULL);
    ck_assert_msg(r->status == 200 && jint(r->json, "id") == b1, "token on "
                  "the second host: %ld %s", r->status, r->body);
    it_free(r);
    free(s10);
    free(s11);
    free(s14);
}
END_TEST

/* ---- cancellation ------------------------------------------------------- */

START_TEST(booking_cancel_rules)
{
    const char *day = bk_day(12);
    char *s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    char *s11 = bk_start(sv_basic, day, "11:00", pr_alice);
    char *s12 = bk_start(sv_basic, day, "12:00", pr_alice);
    char *s13 = bk_start(sv_paid, day, "13:00", pr_alice);
    char *s14 = bk_start(sv_paid, day, "14:00", pr_alice);
    char *s15 = bk_start(sv_basic, day, "15:00", pr_alice);
    char tok[128], long_reason[600], *st;
    it_resp *r;
    json_t *v;
    long id;

    /* Within the cut-off, policy 'refuse': 422, and nothing changes. */
    bk_settings("cancel_cutoff_min = 43200, late_cancel = 'refuse'");
    r = bk_book_r(sv_basic, s10, pr_alice, &id, tok);
    ck_assert_int_eq(jint(json_object_get(r->json, "policy"),
                          "cancel_cutoff_min"), 43200);
    ck_assert_str_eq(jstr(json_object_get(r->json, "policy"), "late_cancel"),
                     "refuse");
    it_free(r);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    it_assert_error(r, 422, "cancellation_cutoff");
    it_free(r);
    st = bk_status(id);
    ck_assert_str_eq(st, "confirmed");
    free(st);
    /* Staff may cancel at any time, and it is never late. */
    r = bk_staff("POST", id, "cancel", "{\"reason\":\"clinic closed\"}");
    ck_assert_msg(r->status == 200, "staff cancel: %ld %s", r->status,
                  r->body);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "cancelled");
    ck_assert(json_is_false(json_object_get(r->json, "late")));
    it_free(r);
    bk_assert_audit("booking.cancel", id, "it-staff");
    r = bk_staff("POST", id, "cancel", NULL);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);

    /* Policy 'forfeit': cancelled, marked late. */
    bk_settings("cancel_cutoff_min = 43200, late_cancel = 'forfeit'");
    id = bk_book(sv_basic, s11, pr_alice, tok);
    r = bk_manage("POST", id, "cancel", tok, "{}");
    ck_assert_msg(r->status == 200, "late cancel: %ld %s", r->status,
                  r->body);
    ck_assert(json_is_true(json_object_get(r->json, "late")));
    ck_assert_str_eq(jstr(bk_of(r), "status"), "cancelled");
    ck_assert(json_is_true(json_object_get(bk_of(r), "late_cancel")));
    it_free(r);

    /* Outside the cut-off: not late. */
    bk_settings("cancel_cutoff_min = 60, late_cancel = 'refuse'");
    id = bk_book(sv_basic, s12, pr_alice, tok);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    ck_assert_msg(r->status == 200 && json_is_false(json_object_get(r->json,
                  "late")), "cancel outside the cut-off: %ld %s", r->status,
                  r->body);
    it_free(r);

    /* A paid booking: late -> the payment is kept; in time -> refund due. */
    bk_settings("cancel_cutoff_min = 43200, late_cancel = 'forfeit'");
    id = bk_book(sv_paid, s13, pr_alice, tok);
    it_sql_exec("UPDATE bookings SET status = 'confirmed', payment_status = "
                "'paid', hold_until = NULL WHERE id = %ld", id);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    ck_assert_msg(r->status == 200 && json_is_true(json_object_get(r->json,
                  "late")), "late cancel of a paid booking: %ld %s",
                  r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "payment_status"), "kept");
    it_free(r);
    id = bk_book(sv_paid, s14, pr_alice, tok);
    it_sql_exec("UPDATE bookings SET status = 'confirmed', payment_status = "
                "'paid', hold_until = NULL WHERE id = %ld", id);
    bk_settings("cancel_cutoff_min = 60");
    r = bk_manage("POST", id, "cancel", tok, NULL);
    ck_assert_msg(r->status == 200 && json_is_false(json_object_get(r->json,
                  "late")), "cancel of a paid booking in time: %ld %s",
                  r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "payment_status"), "refund_due");
    it_free(r);

    /* Bad cancel bodies change nothing. */
    bk_settings(NULL);
    id = bk_book(sv_basic, s15, pr_alice, tok);
    r = bk_manage("POST", id, "cancel", tok, "{\"reason\":5}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = bk_manage("POST", id, "cancel", tok, "{\"why\":\"x\"}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    r = bk_manage("POST", id, "cancel", tok, "{\"reason\":\"a\\u0001b\"}");
    it_assert_error(r, 422, "invalid_reason");
    it_free(r);
    memset(long_reason, 'r', 501);
    long_reason[501] = '\0';
    {
        char body[700];

        snprintf(body, sizeof(body), "{\"reason\":\"%s\"}", long_reason);
        r = bk_manage("POST", id, "cancel", tok, body);
        it_assert_error(r, 422, "invalid_reason");
        it_free(r);
    }
    v = bk_view(id);
    ck_assert_str_eq(jstr(v, "status"), "confirmed");
    json_decref(v);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    ck_assert_msg(r->status == 200, "cancel without a body: %ld %s",
                  r->status, r->body);
    it_free(r);
    free(s10);
    free(s11);
    free(s12);
    free(s13);
    free(s14);
    free(s15);
}
END_TEST

/* ---- reschedules -------------------------------------------------------- */

START_TEST(booking_reschedule_rules)
{
    const char *day = bk_day(13);
    char *s09, *s10, *s11, *s12, *s13, *s15, *s16, *past, *mis;
    char tok[128], tokb[128], tokc[128], body[200];
    it_resp *r;
    json_t *v;
    long a, b, c;
    size_t i;

    bk_settings(NULL);
    s09 = bk_start(sv_basic, day, "09:00", pr_alice);
    s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    s11 = bk_start(sv_basic, day, "11:00", pr_alice);
    s12 = bk_start(sv_basic, day, "12:00", pr_alice);
    s13 = bk_start(sv_basic, day, "13:00", pr_alice);
    s15 = bk_start(sv_basic, day, "15:00", pr_alice);
    s16 = bk_start(sv_basic, day, "16:00", pr_alice);

    /* Twice is allowed (max_reschedules 2); the third time is not. */
    a = bk_book(sv_basic, s10, pr_alice, tok);
    r = bk_resched(a, tok, s11, 0);
    ck_assert_msg(r->status == 200 && jint(bk_of(r), "reschedules") == 1,
                  "first move: %ld %s", r->status, r->body);
    it_free(r);
    r = bk_resched(a, tok, s12, 0);
    ck_assert_msg(r->status == 200 && jint(bk_of(r), "reschedules") == 2,
                  "second move: %ld %s", r->status, r->body);
    it_free(r);
    r = bk_resched(a, tok, s13, 0);
    it_assert_error(r, 422, "reschedule_limit");
    it_free(r);
    v = bk_view(a);
    ck_assert_str_eq(jstr(v, "start"), s12);
    ck_assert_int_eq(jint(v, "reschedules"), 2);
    json_decref(v);
    /* Staff may. */
    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s13);
    r = bk_staff("POST", a, "reschedule", body);
    ck_assert_msg(r->status == 200 && jint(bk_of(r), "reschedules") == 3
                  && !strcmp(jstr(bk_of(r), "start"), s13), "staff move: "
                  "%ld %s", r->status, r->body);
    it_free(r);
    bk_assert_audit("booking.reschedule", a, "it-staff");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE action = "
                                "'booking.reschedule' AND target = "
                                "'booking/%ld'", bk_audit, a), 3);

    /* Onto a taken time: 409 with alternatives, nothing moves; onto the
     * same time with someone free: fine. */
    b = bk_book(sv_basic, s15, pr_alice, tokb);
    c = bk_book(sv_basic, s16, pr_alice, tokc);
    r = bk_resched(b, tokb, s16, pr_alice);
    it_assert_error(r, 409, "slot_taken");
    ck_assert_msg(json_is_array(json_object_get(r->json, "alternatives")),
                  "alternatives: %s", r->body);
    it_free(r);
    v = bk_view(b);
    ck_assert_str_eq(jstr(v, "start"), s15);
    ck_assert_int_eq(jint(v, "reschedules"), 0);
    json_decref(v);
    r = bk_resched(b, tokb, s16, pr_bob);
    ck_assert_msg(r->status == 200 && jint(bk_of(r), "practitioner_id")
                  == pr_bob && !strcmp(jstr(bk_of(r), "practitioner_name"),
                  "BK Bob"), "move to Bob: %ld %s", r->status, r->body);
    it_free(r);

    /* Bad requests change nothing. */
    past = strdup("2020-01-06T10:00:00+00:00");
    mis = bk_at(s09, "09:05:00");
    {
        const char *bodies[8];
        const long status[] = { 400, 400, 422, 422, 422, 400, 422, 400 };
        const char *codes[] = { "invalid_body", "invalid_body",
            "invalid_start", "start_in_past", "misaligned_start",
            "invalid_body", "invalid_id", "invalid_body" };
        char b3[160], b4[160], b5[160], b6[160];

        snprintf(b3, sizeof(b3), "{\"start\":\"%s\"}", past);
        snprintf(b4, sizeof(b4), "{\"start\":\"%s\"}", mis);
        snprintf(b5, sizeof(b5), "{\"start\":\"%s\",\"when\":1}", s09);
        snprintf(b6, sizeof(b6), "{\"start\":\"%s\",\"practitioner_id\":-1}",
                 s09);
        bodies[0] = "{}";
        bodies[1] = "{\"start\":5}";
        bodies[2] = "{\"start\":\"soon\"}";
        bodies[3] = b3;
        bodies[4] = b4;
        bodies[5] = b5;
        bodies[6] = b6;
        bodies[7] = "[]";
        for (i = 0; i < 8; i++) {
            r = bk_manage("POST", c, "reschedule", tokc, bodies[i]);
            ck_assert_msg(r->status == status[i], "reschedule %s: %ld %s",
                          bodies[i], r->status, r->body);
            it_assert_error(r, status[i], codes[i]);
            it_free(r);
        }
    }
    /* Within the reschedule cut-off: refused for the patient only. */
    bk_settings("reschedule_cutoff_min = 43200");
    r = bk_resched(c, tokc, s09, 0);
    it_assert_error(r, 422, "reschedule_cutoff");
    it_free(r);
    v = bk_view(c);
    ck_assert_str_eq(jstr(v, "start"), s16);
    ck_assert_int_eq(jint(v, "reschedules"), 0);
    json_decref(v);
    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s09);
    r = bk_staff("POST", c, "reschedule", body);
    ck_assert_msg(r->status == 200 && !strcmp(jstr(bk_of(r), "start"), s09),
                  "staff move inside the cut-off: %ld %s", r->status,
                  r->body);
    it_free(r);
    bk_settings(NULL);
    free(s09);
    free(s10);
    free(s11);
    free(s12);
    free(s13);
    free(s15);
    free(s16);
    free(past);
    free(mis);
}
END_TEST

/* The payment (and its status) stays with a booking that moves. */
START_TEST(booking_reschedule_keeps_payment)
{
    const char *day = bk_day(14);
    char *s10 = bk_start(sv_paid, day, "10:00", pr_alice);
    char *s11 = bk_start(sv_paid, day, "11:00", pr_alice);
    char *s12 = bk_start(sv_paid, day, "12:00", pr_alice);
    char *s13 = bk_start(sv_paid, day, "13:00", pr_bob);
    char tok[128], hold[40], body[200];
    double now = bk_now();
    json_t *pay;
    it_resp *r;
    long id;

    bk_settings(NULL);
    r = bk_book_r(sv_paid, s10, pr_alice, &id, tok);
    ck_assert_str_eq(jstr(r->json, "status"), "pending_payment");
    ck_assert_str_eq(jstr(r->json, "payment_status"), "unpaid");
    ck_assert_int_eq(jint(r->json, "price_cents"), 12000);
    pay = json_object_get(r->json, "payment");
    ck_assert_msg(json_is_true(json_object_get(pay, "required"))
                  && jstr(pay, "status") && !strcmp(jstr(pay, "status"),
                  "unpaid") && json_is_null(json_object_get(pay, "url"))
                  && jstr(pay, "message"), "payment block: %s", r->body);
    ck_assert_msg(jstr(r->json, "hold_until")
                  && bk_t(jstr(r->json, "hold_until")) >= (long long)now
                     + 29 * 60 - 5
                  && bk_t(jstr(r->json, "hold_until")) <= (long long)now
                     + 31 * 60 + 5, "hold_until (30 minutes): %s", r->body);
    snprintf(hold, sizeof(hold), "%s", jstr(r->json, "hold_until"));
    it_free(r);

    r = bk_resched(id, tok, s11, 0);
    ck_assert_msg(r->status == 200, "move unpaid: %ld %s", r->status,
                  r->body);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "pending_payment");
    ck_assert_str_eq(jstr(bk_of(r), "payment_status"), "unpaid");
    ck_assert_str_eq(jstr(bk_of(r), "hold_until"), hold);
    ck_assert_msg(json_is_object(json_object_get(bk_of(r), "payment")),
                  "payment block after the move: %s", r->body);
    it_free(r);

    /* Paid (as a payment would leave it), then moved twice. */
    it_sql_exec("UPDATE bookings SET status = 'confirmed', payment_status = "
                "'paid', hold_until = NULL WHERE id = %ld", id);
    r = bk_resched(id, tok, s12, 0);
    ck_assert_msg(r->status == 200, "move paid: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "confirmed");
    ck_assert_str_eq(jstr(bk_of(r), "payment_status"), "paid");
    ck_assert(json_is_null(json_object_get(bk_of(r), "hold_until")));
    ck_assert_msg(!json_object_get(bk_of(r), "payment"), "payment block on a "
                  "paid booking: %s", r->body);
    it_free(r);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":%ld}",
             s13, pr_bob);
    r = bk_staff("POST", id, "reschedule", body);
    ck_assert_msg(r->status == 200, "staff move paid: %ld %s", r->status,
                  r->body);
    ck_assert_str_eq(jstr(bk_of(r), "payment_status"), "paid");
    ck_assert_int_eq(jint(bk_of(r), "price_cents"), 12000);
    it_free(r);
    free(s10);
    free(s11);
    free(s12);
    free(s13);
}
END_TEST

/* ---- payment holds ------------------------------------------------------ */

START_TEST(booking_hold_expiry)
{
    const char *day = bk_day(15);
    char *s10 = bk_start(sv_paid, day, "10:00", pr_alice);
    char *s12 = bk_start(sv_paid, day, "12:00", pr_alice);
    char *s14 = bk_start(sv_paid, day, "14:00", pr_alice);
    char tok[128], tok2[128], tok3[128], *st = NULL;
    double now, t0, waited;
    it_resp *r;
    long id, id2, id3, id4;

    bk_settings("payment_hold_min = 1");
    now = bk_now();
    r = bk_book_r(sv_paid, s10, pr_alice, &id, tok);
    ck_assert_str_eq(jstr(r->json, "status"), "pending_payment");
    ck_assert_msg(bk_t(jstr(r->json, "hold_until")) >= (long long)now + 50
                  && bk_t(jstr(r->json, "hold_until")) <= (long long)now + 70,
                  "hold_until (1 minute): %s", r->body);
    it_free(r);
    r = bk_slots(sv_paid, day, 1, pr_alice);
    ck_assert_msg(bk_count_at(r, "10:00", 0) == 0, "a held slot is offered");
    it_free(r);

    /* The hold lapses (backdated rather than waited for). */
    it_sql_exec("UPDATE bookings SET hold_until = now() - interval '1 second' "
                "WHERE id = %ld", id);
    t0 = bk_now();
    r = bk_slots(sv_paid, day, 1, pr_alice);
    ck_assert_msg(bk_count_at(r, "10:00", 0) == 1, "a lapsed hold still "
                  "blocks its slot: %.2000s", r->body);
    it_free(r);
    /* The sweeper (every 5 s in each process) expires it. */
    for (;;) {
        free(st);
        st = bk_status(id);
        waited = bk_now() - t0;
        if (!strcmp(st, "expired") || waited > 9) {
            break;
        }
        usleep(200 * 1000);
    }
    ck_assert_msg(!strcmp(st, "expired") && waited <= 7.0, "status %s after "
                  "%.1f s (the sweeper should expire it within ~7 s)", st,
                  waited);
    free(st);
    st = NULL;
    fprintf(stderr, "booking_hold_expiry: swept after %.1f s\n", waited);
    bk_assert_audit("booking.expire", id, "system");
    r = bk_manage("GET", id, NULL, tok, NULL);
    ck_assert_msg(r->status == 200 && !strcmp(jstr(r->json, "status"),
                  "expired"), "view of an expired hold: %ld %s", r->status,
                  r->body);
    it_free(r);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);
    r = bk_resched(id, tok, s12, 0);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);
    /* The slot is bookable again. */
    id2 = bk_book(sv_paid, s10, pr_alice, NULL);
    ck_assert_msg(id2 != id, "rebooking the released slot");

    /* Lapsed but not yet swept: a new booking takes it at once (and the
     * old one is expired, audited once). */
    id3 = bk_book(sv_paid, s12, pr_alice, tok2);
    it_sql_exec("UPDATE bookings SET hold_until = now() - interval '1 second' "
                "WHERE id = %ld", id3);
    t0 = bk_now();
    {
        char *body = bk_body(sv_paid, s12, pr_alice);

        r = bk_post(body, NULL);
        free(body);
    }
    waited = bk_now() - t0;
    ck_assert_msg(r->status == 201, "booking over a lapsed hold: %ld %s",
                  r->status, r->body);
    ck_assert_msg(waited < 2.0, "booking over a lapsed hold took %.1f s",
                  waited);
    id4 = jint(r->json, "id");
    it_free(r);
    st = bk_status(id3);
    ck_assert_str_eq(st, "expired");
    free(st);
    st = bk_status(id4);
    ck_assert_str_eq(st, "pending_payment");
    free(st);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE action = "
                                "'booking.expire' AND target = 'booking/%ld'",
                                bk_audit, id3), 1);
    /* The holder of a lapsed hold cannot cancel or keep it. */
    {
        long id5 = bk_book(sv_paid, s14, pr_alice, tok3);

        it_sql_exec("UPDATE bookings SET hold_until = now() - interval "
                    "'1 second' WHERE id = %ld", id5);
        r = bk_manage("POST", id5, "cancel", tok3, NULL);
        it_assert_error(r, 409, "booking_not_active");
        it_free(r);
        st = bk_status(id5);
        ck_assert_str_eq(st, "expired");
        free(st);
    }
    sleep(6);       /* one more sweep: nothing is expired twice */
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE action = "
                                "'booking.expire' AND target IN "
                                "('booking/%ld', "
                                "'booking/%ld')", bk_audit, id, id3), 2);
    bk_settings(NULL);
    free(s10);
    free(s12);
    free(s14);
}
END_TEST

/* a bad whole-number query parameter of GET /api/slots or GET
 * /api/admin/bookings is answered twice: mc_arg_int() already sends its
 * 400, and the handler then sends another, so the body is two JSON
 * objects one after the other. */
START_TEST(booking_one_error_body)
{
    static const char *const paths[] = {
        "/api/slots?service_id=abc", "/api/slots?service_id=0",
        "/api/slots?service_id=%ld&days=0",
        "/api/slots?service_id=%ld&practitioner_id=abc",
        "/api/admin/bookings?limit=0", "/api/admin/bookings?before=-1",
        "/api/admin/bookings?practitioner_id=abc", NULL
    };
    char path[160], found[2000] = "";
    const char *const *p;
    int bad = 0;

    for (p = paths; *p; p++) {
        it_resp *r;

        snprintf(path, sizeof(path), *p, sv_basic);
        r = it_get(path, strstr(path, "/admin/") ? IT_STAFF : NULL);
        if (r->status != 400 || !r->json) {
            const char *cl = it_header(r, "Content-Length");

            bad++;
            snprintf(found + strlen(found), sizeof(found) - strlen(found),
                     "\n  GET %s -> %ld, Content-Length %s, %zu bytes: "
                     "%.220s", path, r->status, cl ? cl : "(none)", r->len,
                     r->body);
        }
        it_free(r);
    }
    ck_assert_msg(bad == 0, "%d bad query parameters answered "
                  "with two error bodies (mc_arg_int replies, then the "
                  "handler replies again):%s", bad, found);
}
END_TEST

/* a start with a fraction of a second is not a slot start:
 * 10:00:00.5 must not quietly become 10:00:00 (".000" names the slot
 * itself). */
START_TEST(booking_fractional_seconds)
{
    char *start = bk_start(sv_basic, bk_day(22), "10:00", pr_bob);
    char when[40], *body;
    it_resp *r;

    bk_settings(NULL);
    snprintf(when, sizeof(when), "%.19s.5%s", start, start + 19);
    body = bk_body(sv_basic, when, pr_bob);
    r = bk_post(body, NULL);
    if (r->status == 201) {
        it_resp *c = bk_staff("POST", jint(r->json, "id"), "cancel", NULL);

        it_free(c);
    }
    ck_assert_msg(r->status == 422, "start %s was answered %ld "
                  "(booked at %s) instead of 422 misaligned_start", when,
                  r->status, jstr(r->json, "start"));
    it_assert_error(r, 422, "misaligned_start");
    it_free(r);
    free(body);
    snprintf(when, sizeof(when), "%.19s.000%s", start, start + 19);
    body = bk_body(sv_basic, when, pr_bob);
    r = bk_post(body, NULL);
    ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start"), start),
                  "start %s: %ld %s", when, r->status, r->body);
    it_free(r);
    free(body);
    free(start);
}
END_TEST

/* A booking whose time has come: the patient can neither cancel nor move
 * it (staff can). */
START_TEST(booking_in_the_past)
{
    char *s16 = bk_start(sv_basic, bk_day(22), "16:00", pr_bob);
    char *s09 = bk_start(sv_basic, bk_day(22), "09:00", pr_bob);
    char tok[128];
    it_resp *r;
    long id;

    bk_settings("cancel_cutoff_min = 0, reschedule_cutoff_min = 0");
    id = bk_book(sv_basic, s16, pr_bob, tok);
    it_sql_exec("UPDATE bookings SET start_at = now() - interval '20 "
                "minutes', end_at = now() + interval '10 minutes', blocked = "
                "tstzrange(now() - interval '20 minutes', now() + interval "
                "'20 minutes') WHERE id = %ld", id);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    it_assert_error(r, 409, "booking_in_past");
    it_free(r);
    r = bk_resched(id, tok, s09, 0);
    it_assert_error(r, 409, "booking_in_past");
    it_free(r);
    r = bk_staff("POST", id, "cancel", "{\"reason\":\"no-show\"}");
    ck_assert_msg(r->status == 200, "staff cancel of a started booking: %ld "
                  "%s", r->status, r->body);
    it_free(r);
    bk_settings(NULL);
    free(s16);
    free(s09);
}
END_TEST

/* GET /api/admin/audit seals the staged entries before it
 * reads ("before every audit read or verify", sql/006), but through
 * pg_try_advisory_xact_lock(7302100002): while another process's sweeper
 * is sealing, the read skips sealing and does not show the entries of
 * bookings that committed before the request was sent.  Seen as flaky
 * audit checks; made deterministic here by holding that lock from psql
 * for 3 s, as a sealing sweeper would for a moment. */
#define BK_SEAL_LOCK "((classid::bigint << 32) | objid::bigint) = 7302100002"

START_TEST(booking_audit_read_while_sealing)
{
    char *start, target[64];
    it_resp *r;
    json_t *e;
    size_t i;
    long id;
    int k, found = 0;

    bk_settings(NULL);
    start = bk_start(sv_paid, bk_day(23), "10:00", pr_alice);
    it_sh("(scripts/pg.sh psql -tAq -c \"BEGIN; SELECT "
          "pg_advisory_xact_lock(7302100002); SELECT pg_sleep(3); COMMIT;\" "
          ">/dev/null 2>&1 &)");
    for (k = 0; k < 50 && it_sql_num("SELECT count(*) FROM pg_locks WHERE "
                                     "locktype = 'advisory' AND granted AND "
                                     BK_SEAL_LOCK) == 0; k++) {
        usleep(100 * 1000);
    }
    ck_assert_msg(k < 50, "could not hold the sealing lock");
    id = bk_book(sv_paid, start, pr_alice, NULL);
    snprintf(target, sizeof(target), "booking/%ld", id);
    r = it_get("/api/admin/audit?action=booking.create&limit=20", IT_ADMIN);
    ck_assert_msg(r->status == 200, "audit: %ld %s", r->status, r->body);
    json_array_foreach(json_object_get(r->json, "entries"), i, e) {
        found |= jstr(e, "target") && !strcmp(jstr(e, "target"), target);
    }
    it_free(r);
    /* Let the lock go; the entry is sealed then. */
    for (k = 0; k < 60 && it_sql_num("SELECT count(*) FROM pg_locks WHERE "
                                     "locktype = 'advisory' AND " BK_SEAL_LOCK)
                          > 0; k++) {
        usleep(100 * 1000);
    }
    e = bk_audit_wait("booking.create", target);
    ck_assert_msg(e != NULL, "the booking.create entry of %s never came",
                  target);
    json_decref(e);
    free(start);
    ck_assert_msg(found, "GET /api/admin/audit sent after POST "
                  "/api/bookings answered 201 (%s) does not list its "
                  "booking.create entry while another session holds the "
                  "sealing lock: the read's own seal gives up "
                  "(pg_try_advisory_xact_lock) instead of waiting", target);
}
END_TEST

/* ---- staff list --------------------------------------------------------- */

static it_resp *bk_admin_list(const char *query)
{
    char path[400];

    snprintf(path, sizeof(path), "/api/admin/bookings?%s", query);
    return it_get(path, IT_STAFF);
}

START_TEST(booking_admin_list)
{
    const char *day = bk_day(18);
    char *s10a = bk_start(sv_basic, day, "10:00", pr_alice);
    char *s12 = bk_start(sv_paid, day, "12:00", pr_alice);
    char q[256], tok[128];
    long a, b, c, ids[3], before = 0;
    json_t *list, *e;
    it_resp *r;
    size_t i;
    int k;

    bk_settings(NULL);
    a = bk_book(sv_basic, s10a, pr_alice, NULL);
    b = bk_book(sv_basic, s10a, pr_bob, tok);
    r = bk_manage("POST", b, "cancel", tok, NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    c = bk_book(sv_paid, s12, pr_alice, NULL);

    r = it_req("GET", "/api/admin/bookings", NULL, NULL, NULL, -1, NULL);
    it_assert_error(r, 401, "authentication_required");
    it_free(r);

    snprintf(q, sizeof(q), "from=%s&to=%s", day, day);
    r = bk_admin_list(q);
    ck_assert_msg(r->status == 200, "list: %ld %s", r->status, r->body);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 3
                  && jint(json_array_get(list, 0), "id") == c
                  && jint(json_array_get(list, 1), "id") == b
                  && jint(json_array_get(list, 2), "id") == a
                  && json_is_null(json_object_get(r->json, "next_before")),
                  "the day's bookings, newest first: %s", r->body);
    json_array_foreach(list, i, e) {
        ck_assert_msg(bk_parse(jstr(e, "start"), &(bk_tm){ 0 })
                      && bk_parse(jstr(e, "end"), &(bk_tm){ 0 })
                      && jstr(e, "patient_name") && jstr(e, "patient_email")
                      && jstr(e, "status") && jstr(e, "service_name")
                      && jstr(e, "practitioner_name")
                      && !json_object_get(e, "token_hash")
                      && !json_object_get(e, "token_nonce"), "list entry: %s",
                      r->body);
    }
    ck_assert_str_eq(jstr(json_array_get(list, 2), "start"), s10a);
    it_free(r);

    snprintf(q, sizeof(q), "from=%s&to=%s&status=cancelled", day, day);
    r = bk_admin_list(q);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 1
                  && jint(json_array_get(list, 0), "id") == b,
                  "status=cancelled: %s", r->body);
    it_free(r);
    snprintf(q, sizeof(q), "from=%s&to=%s&status=pending_payment", day, day);
    r = bk_admin_list(q);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 1
                  && jint(json_array_get(list, 0), "id") == c,
                  "status=pending_payment: %s", r->body);
    it_free(r);
    snprintf(q, sizeof(q), "from=%s&to=%s&practitioner_id=%ld", day, day,
             pr_bob);
    r = bk_admin_list(q);
    list = json_object_get(r->json, "bookings");
    ck_assert_msg(json_array_size(list) == 1
                  && jint(json_array_get(list, 0), "id") == b,
                  "practitioner_id=Bob: %s", r->body);
    it_free(r);

    /* Paging, one at a time. */
    for (k = 0; k < 3; k++) {
        json_t *nb;

        snprintf(q, sizeof(q), "from=%s&to=%s&limit=1", day, day);
        if (before) {
            snprintf(q + strlen(q), sizeof(q) - strlen(q), "&before=%ld",
                     before);
        }
        r = bk_admin_list(q);
        list = json_object_get(r->json, "bookings");
        ck_assert_msg(r->status == 200 && json_array_size(list) == 1,
                      "page %d: %s", k, r->body);
        ids[k] = jint(json_array_get(list, 0), "id");
        nb = json_object_get(r->json, "next_before");
        ck_assert_msg(json_is_integer(nb) && json_integer_value(nb) == ids[k],
                      "next_before on page %d: %s", k, r->body);
        before = ids[k];
        it_free(r);
    }
    ck_assert_msg(ids[0] == c && ids[1] == b && ids[2] == a, "pages %ld %ld "
                  "%ld", ids[0], ids[1], ids[2]);
    snprintf(q, sizeof(q), "from=%s&to=%s&limit=1&before=%ld", day, day, a);
    r = bk_admin_list(q);
    ck_assert_msg(json_array_size(json_object_get(r->json, "bookings")) == 0,
                  "after the last page: %s", r->body);
    it_free(r);

    /* Bad filters: one JSON 400 each. */
    {
        char prev[11];
        const char *bad[10];
        char b2[64];

        bk_date(bk_parse_date(day) - 1, prev);
        snprintf(b2, sizeof(b2), "from=%s&to=%s", day, prev);
        bad[0] = "status=bogus";
        bad[1] = "from=2027-02-30";
        bad[2] = b2;
        bad[3] = "limit=0";
        bad[4] = "limit=501";
        bad[5] = "practitioner_id=abc";
        bad[6] = "before=-1";
        bad[7] = "to=tomorrow";
        bad[8] = NULL;
        for (k = 0; bad[k]; k++) {
            r = bk_admin_list(bad[k]);
            ck_assert_msg(r->status == 400, "GET /api/admin/bookings?%s: "
                          "%ld, expected 400; body: %s", bad[k], r->status,
                          r->body);
            bk_assert_error_first(r, 400, "invalid_parameter");
            it_free(r);
        }
    }
    r = bk_staff("GET", 99999999, NULL, NULL);
    it_assert_error(r, 404, "booking_not_found");
    it_free(r);
    r = it_get("/api/admin/bookings/abc", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);
    free(s10a);
    free(s12);
}
END_TEST

/* ---- DST ---------------------------------------------------------------- */

/* The date (days) of the nth (n > 0) or last (n = 0) Sunday of month m in
 * year y. */
static long long bk_sunday(int y, int m, int n)
{
    long long d;

    if (n > 0) {
        d = bk_days_from_civil(y, m, 1);
        while (bk_weekday(d) != 0) {
            d++;
        }
        return d + 7 * (n - 1);
    }
    d = bk_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    while (bk_weekday(d) != 0) {
        d--;
    }
    return d;
}

/* The next such Sunday at least two days ahead, or -1 when it is beyond a
 * 365-day horizon this year (then the check is skipped, said so). */
static long long bk_next_sunday(int m, int n)
{
    long long today = bk_parse_date(bk_today), d;
    int y, mm, dd;

    bk_civil_from_days(today, &y, &mm, &dd);
    d = bk_sunday(y, m, n);
    if (d < today + 2) {
        d = bk_sunday(y + 1, m, n);
    }
    if (d > today + 363) {
        fprintf(stderr, "test_booking: %d/%d is %lld days away: beyond the "
                "365-day horizon, not checked this run\n", m, n, d - today);
        return -1;
    }
    return d;
}

/* Every slot of the reply has this offset (e.g. "+01:00"). */
static void bk_assert_offsets(it_resp *r, const char *off, int count,
                              const char *what)
{
    json_t *s;
    size_t i;

    ck_assert_msg(bk_count_of(r, 0) == count, "%s: %d slots, expected %d: "
                  "%.3000s", what, bk_count_of(r, 0), count, r->body);
    json_array_foreach(bk_slot_list(r), i, s) {
        ck_assert_msg(!strcmp(jstr(s, "start") + 19, off)
                      && !strcmp(jstr(s, "end") + 19, off), "%s: slot %s..%s "
                      "is not at %s", what, jstr(s, "start"), jstr(s, "end"),
                      off);
    }
}

/* The slots' starts as "hh:mm+hh:mm" joined by spaces. */
static char *bk_starts(it_resp *r)
{
    char *out = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&out, &cap);
    json_t *s;
    size_t i;

    json_array_foreach(bk_slot_list(r), i, s) {
        const char *st = jstr(s, "start");

        fprintf(m, "%s%.5s%s", i ? " " : "", st + 11, st + 19);
    }
    fclose(m);
    return out;
}

/* Day slots 09:00-17:00 (30 minutes, step 15): 09:00 .. 16:30. */
static void bk_check_day(long long day, const char *off, const char *what)
{
    char d[11], first[40];
    it_resp *r;
    json_t *s;

    bk_date(day, d);
    r = bk_slots(sv_dst, d, 1, 0);
    bk_assert_slot_shape(r, d, 1, 15, 30);
    bk_assert_offsets(r, off, 31, what);
    s = json_array_get(bk_slot_list(r), 0);
    snprintf(first, sizeof(first), "%sT09:00:00%s", d, off);
    ck_assert_msg(!strcmp(jstr(s, "start"), first), "%s: first slot %s, "
                  "expected %s", what, jstr(s, "start"), first);
    it_free(r);
}

static void bk_check_night(long svc, long long day, const char *want,
                           const char *what)
{
    char d[11], *got;
    it_resp *r;
    json_t *s;
    size_t i;

    bk_date(day, d);
    r = bk_slots(svc, d, 1, 0);
    got = bk_starts(r);
    ck_assert_msg(!strcmp(got, want), "%s (%s): slots\n  %s\nexpected\n  %s",
                  what, d, got, want);
    /* each is 30 real minutes, in time order */
    json_array_foreach(bk_slot_list(r), i, s) {
        ck_assert_msg(bk_t(jstr(s, "end")) - bk_t(jstr(s, "start")) == 1800,
                      "%s: %s..%s is not 30 minutes", what, jstr(s, "start"),
                      jstr(s, "end"));
    }
    bk_assert_slot_shape(r, d, 1, 15, 30);
    free(got);
    it_free(r);
}

START_TEST(booking_dst_london)
{
    long long spring = bk_next_sunday(3, 0), autumn = bk_next_sunday(10, 0);

    bk_settings("horizon_days = 365");
    if (spring > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(spring - 1, "+00:00", "London, the Saturday before "
                     "summer time");
        bk_check_day(spring, "+01:00", "London, the first day of summer "
                     "time");
        /* 00:00-03:00 local: 01:00-02:00 does not exist. */
        bk_check_night(sv_ldnn, spring, "00:00+00:00 00:15+00:00 00:30+00:00 "
                       "00:45+00:00 02:00+01:00 02:15+01:00 02:30+01:00",
                       "London night, clocks forward");
        /* Booked in UTC, answered in local time. */
        bk_date(spring, d);
        snprintf(when, sizeof(when), "%sT01:00:00Z", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201, "book %s: %ld %s", when, r->status,
                      r->body);
        ck_assert_msg(!strcmp(jstr(r->json, "start") + 10, "T02:00:00+01:00")
                      && !strcmp(jstr(r->json, "end") + 10,
                                 "T02:30:00+01:00"),
                      "01:00Z on the spring day: %s", r->body);
        it_free(r);
        free(body);
        /* 00:45 GMT lasts until 02:15 BST: the slot is offered (30 real
         * minutes) and bookable. */
        snprintf(when, sizeof(when), "%sT00:45:00+00:00", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 409, "00:45 overlaps the booking at "
                      "01:00Z: %ld %s", r->status, r->body);
        it_free(r);
        free(body);
    }
    if (autumn > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(autumn - 1, "+01:00", "London, the last day of summer "
                     "time");
        bk_check_day(autumn, "+00:00", "London, clocks back");
        /* 01:00-02:00 local happens twice. */
        bk_check_night(sv_ldnn, autumn, "00:00+01:00 00:15+01:00 00:30+01:00 "
                       "00:45+01:00 01:00+01:00 01:15+01:00 01:30+01:00 "
                       "01:45+01:00 01:00+00:00 01:15+00:00 01:30+00:00 "
                       "01:45+00:00 02:00+00:00 02:15+00:00 02:30+00:00",
                       "London night, clocks back");
        /* Both 01:30s are bookable: two different instants. */
        bk_date(autumn, d);
        snprintf(when, sizeof(when), "%sT01:30:00+01:00", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start"),
                      when), "first 01:30: %ld %s", r->status, r->body);
        it_free(r);
        free(body);
        snprintf(when, sizeof(when), "%sT01:30:00+00:00", d);
        body = bk_body(sv_ldnn, when, pr_ldnn);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start"),
                      when), "second 01:30: %ld %s", r->status, r->body);
        it_free(r);
        free(body);
    }
    bk_settings(NULL);
}
END_TEST

/* ---- the error log ------------------------------------------------------ */

static void bk_assert_log_clean(char *bad, char *log, const char *which)
{
    ck_assert_msg(bad == NULL, "unexpected %s error-log lines:\n%.3000s",
                  which, bad);
    ck_assert_msg(!strcasestr(log, BK_CANARY), "patient details in the %s "
                  "error log:\n%.2000s", which, strcasestr(log, BK_CANARY));
    ck_assert_msg(!strstr(log, "7700 900123"), "a patient's phone number in "
                  "the %s error log", which);
}

START_TEST(booking_log_clean)
{
    static const char *const allowed[] = { NULL };

    bk_assert_log_clean(it_log_unexpected(allowed), it_log_read(), "first "
                        "host's");
    bk_assert_log_clean(it_log2_unexpected(allowed), it_log2_read(),
                        "second host's");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE detail "
                                "ILIKE '%%" BK_CANARY "%%' OR target ILIKE '%%"
                                BK_CANARY "%%'", bk_audit), 0);
}
END_TEST

/* ---- America/New_York --------------------------------------------------- */

static void dst_setup(void)
{
    bk_data_setup();
    bk_settings_parent(BK_SETTINGS);
    it_httpd_start(BK_CONF_COMMON BK_CONF_FAST
                   "ConciergeTimeZone America/New_York\n", 1, 8);
}

static void dst_teardown(void)
{
    it_httpd_stop();
    bk_settings_parent(BK_SEED_SETTINGS);
}

START_TEST(booking_dst_new_york)
{
    long long spring = bk_next_sunday(3, 2), autumn = bk_next_sunday(11, 1);
    char *out;
    int ok;

    /* The brief asked for a 400-day horizon; the schema caps it at 365,
     * which still reaches both days. */
    {
        out = it_sql_try(NULL, "UPDATE clinic_settings SET horizon_days = "
                         "400 WHERE id = 1");
        ok = strstr(out, "violates check constraint") != NULL;
        free(out);
        ck_assert_msg(ok, "horizon_days = 400 was accepted");
    }
    bk_settings("horizon_days = 365");
    if (spring > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(spring - 1, "-05:00", "New York, the Saturday before "
                     "daylight time");
        bk_check_day(spring, "-04:00", "New York, clocks forward");
        bk_date(spring - 1, d);
        r = bk_slots(sv_dst, d, 2, 0);
        ck_assert_int_eq(bk_count_of(r, 0), 62);
        it_free(r);
        /* 01:00-04:00 local: 02:00-03:00 does not exist. */
        bk_check_night(sv_nyn, spring, "01:00-05:00 01:15-05:00 01:30-05:00 "
                       "01:45-05:00 03:00-04:00 03:15-04:00 03:30-04:00",
                       "New York night, clocks forward");
        bk_date(spring, d);
        snprintf(when, sizeof(when), "%sT13:00:00Z", d);
        body = bk_body(sv_dst, when, pr_dst);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201, "book %s: %ld %s", when, r->status,
                      r->body);
        ck_assert_msg(!strcmp(jstr(r->json, "start") + 10, "T09:00:00-04:00")
                      && !strcmp(jstr(r->json, "end") + 10, "T09:30:00-04:00")
                      && !strcmp(jstr(r->json, "timezone"),
                                 "America/New_York"), "13:00Z on the "
                      "spring day: %s", r->body);
        it_free(r);
        free(body);
    }
    if (autumn > 0) {
        char d[11], when[32], *body;
        it_resp *r;

        bk_check_day(autumn - 1, "-04:00", "New York, the last day of "
                     "daylight time");
        bk_check_day(autumn, "-05:00", "New York, clocks back");
        bk_check_night(sv_nyn, autumn, "01:00-04:00 01:15-04:00 01:30-04:00 "
                       "01:45-04:00 01:00-05:00 01:15-05:00 01:30-05:00 "
                       "01:45-05:00 02:00-05:00 02:15-05:00 02:30-05:00 "
                       "02:45-05:00 03:00-05:00 03:15-05:00 03:30-05:00",
                       "New York night, clocks back");
        bk_date(autumn, d);
        snprintf(when, sizeof(when), "%sT14:00:00Z", d);
        body = bk_body(sv_dst, when, pr_dst);
        r = bk_post(body, NULL);
        ck_assert_msg(r->status == 201 && !strcmp(jstr(r->json, "start")
                      + 10, "T09:00:00-05:00"), "14:00Z on the autumn day: "
                      "%ld %s", r->status, r->body);
        it_free(r);
        free(body);
    }
    bk_settings(NULL);
}
END_TEST

START_TEST(booking_dst_log_clean)
{
    static const char *const allowed[] = { NULL };

    bk_assert_log_clean(it_log_unexpected(allowed), it_log_read(), "");
}
END_TEST

/* ---- the booking rate limit (defaults: 5/min per client) ---------------- */

static void limit_setup(void)
{
    bk_data_setup();
    bk_settings_parent(BK_SETTINGS);
    it_httpd_start(BK_CONF_COMMON "ConciergeRateLimit admin 100000/sec\n", 1,
                   8);
}

START_TEST(booking_rate_limit)
{
    char *start = bk_start(sv_basic, bk_day(20), "10:00", pr_alice);
    char *before = bk_snapshot(), *after;
    const char *ra, *pol;
    it_resp *r;
    int i, n429 = 0, first429 = -1;

    bk_settings(NULL);
    /* Refused bookings (an empty name) still count against the limit. */
    for (i = 0; i < 8; i++) {
        char *body = bk_padded(sv_basic, start, pr_alice, 300);

        r = bk_post(body, NULL);
        free(body);
        if (r->status == 429) {
            n429++;
            if (first429 < 0) {
                first429 = i;
                it_assert_error(r, 429, "rate_limited");
                ra = it_header(r, "Retry-After");
                ck_assert_msg(ra && strtol(ra, NULL, 10) >= 1
                              && strtol(ra, NULL, 10) <= 60, "Retry-After: "
                              "%s", ra ? ra : "(none)");
                pol = it_header(r, "RateLimit-Policy");
                ck_assert_msg(pol && !strncmp(pol, "5;w=60", 6),
                              "RateLimit-Policy: %s", pol ? pol : "(none)");
            }
        }
        else {
            it_assert_error(r, 422, "invalid_name");
        }
        it_free(r);
    }
    ck_assert_msg(first429 == 5 && n429 == 3, "429 from request %d (%d of "
                  "8); expected from the 6th", first429 + 1, n429);
    /* The same class guards cancel and reschedule ... */
    r = bk_manage("POST", 1, "cancel", "x", NULL);
    it_assert_error(r, 429, "rate_limited");
    it_free(r);
    /* ... but not browsing. */
    r = it_get("/api/services", NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    after = bk_snapshot();
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    free(start);
}
END_TEST

START_TEST(booking_limit_log_clean)
{
    static const char *const allowed[] = { NULL };

    bk_assert_log_clean(it_log_unexpected(allowed), it_log_read(), "");
}
END_TEST


/* Booking in the conversation: a request to book gets a "book" action with
 * free slots of the matching service on the day and part of day asked for
 * (each one GET /api/slots offers), a policy question gets none, an
 * unclear one a choice of services, a risky one no offer at all.  (The
 * offered day is left unbooked: other tests own their days.) */
static it_resp *bk_chat(const char *msg, const char *session)
{
    char body[512];

    if (session) {
        snprintf(body, sizeof(body), "{\"session_id\":\"%s\",\"message\":"
                 "\"%s\"}", session, msg);
    }
    else {
        snprintf(body, sizeof(body), "{\"message\":\"%s\"}", msg);
    }
    return it_req("POST", "/api/chat", NULL, "application/json", body, -1,
                  NULL);
}

START_TEST(booking_chat_offer)
{
    char *tue, *peel_s, path[256];
    long peel;
    json_t *a, *slots, *sl, *offered;
    it_resp *r, *s2;
    size_t i;

    tue = it_sql_try(NULL, "SELECT d::date FROM generate_series((now() AT "
                     "TIME ZONE 'Europe/London')::date + 1, (now() AT TIME "
                     "ZONE 'Europe/London')::date + 7, interval '1 day') d "
                     "WHERE extract(isodow FROM d) = 2");
    tue[strcspn(tue, "\n")] = '\0';
    ck_assert_msg(strlen(tue) == 10, "next Tuesday: %s", tue);
    peel_s = it_sql_try(NULL, "SELECT id FROM services WHERE name = "
                        "'Chemical peel'");
    peel = strtol(peel_s, NULL, 10);
    ck_assert_msg(peel > 0, "the sample clinic's peel: %s", peel_s);

    r = bk_chat("Can I book a chemical peel next Tuesday afternoon?", NULL);
    ck_assert_msg(r->status == 200 && r->json, "chat: %ld %s", r->status,
                  r->body);
    ck_assert_str_eq(jstr(r->json, "status"), "answered");
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(a && !strcmp(jstr(a, "type"), "book"), "no book action: %s",
                  r->body);
    ck_assert_int_eq(jint(json_object_get(a, "service"), "id"), peel);
    slots = json_object_get(a, "slots");
    ck_assert_msg(json_array_size(slots) > 0, "no slots offered: %s",
                  r->body);
    snprintf(path, sizeof(path), "/api/slots?service_id=%ld&from=%s&days=1",
             peel, tue);
    s2 = it_get(path, NULL);
    ck_assert_int_eq(s2->status, 200);
    offered = json_object_get(s2->json, "slots");
    json_array_foreach(slots, i, sl) {
        const char *st = jstr(sl, "start");
        int hour = atoi(st + 11), found = 0;
        size_t k;
        json_t *o;

        ck_assert_msg(!strncmp(st, tue, 10), "slot %s is not on %s", st, tue);
        ck_assert_msg(hour >= 12 && hour < 17, "slot %s is not in the "
                      "afternoon", st);
        json_array_foreach(offered, k, o) {
            found |= !strcmp(jstr(o, "start"), st);
        }
        ck_assert_msg(found, "slot %s is not one GET /api/slots offers", st);
    }
    it_free(s2);
    it_free(r);

    /* A question about booking policy is answered, not offered slots. */
    r = bk_chat("How do I cancel my booking?", NULL);
    ck_assert_int_eq(r->status, 200);
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(!a || strcmp(jstr(a, "type"), "book"), "a policy question "
                  "got a booking offer: %s", r->body);
    it_free(r);

    /* No treatment named: a choice. */
    r = bk_chat("I'd like to book an appointment please", NULL);
    ck_assert_int_eq(r->status, 200);
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(a && !strcmp(jstr(a, "type"), "choose_service")
                  && json_array_size(json_object_get(a, "services")) > 0,
                  "no choice of services: %s", r->body);
    it_free(r);

    /* Safety first: a risky request to book is escalated, with no offer. */
    r = bk_chat("Can I book a peel next Tuesday? I am 12 weeks pregnant",
                NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "escalated");
    a = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_msg(!a || strcmp(jstr(a, "type"), "book"), "a risky message "
                  "got a booking offer: %s", r->body);
    it_free(r);
    free(tue);
    free(peel_s);
}
END_TEST

Suite *it_suite_booking(void)
{
    Suite *s = suite_create("booking");
    TCase *tc = tcase_create("booking");
    TCase *dst = tcase_create("booking-dst");
    TCase *lim = tcase_create("booking-limit");

    tcase_add_unchecked_fixture(tc, booking_setup, booking_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, booking_services);
    tcase_add_test(tc, booking_chat_offer);
    tcase_add_test(tc, booking_slots_basic);
    tcase_add_test(tc, booking_slots_buffers);
    tcase_add_test(tc, booking_slots_notice_horizon);
    tcase_add_test(tc, booking_slots_exceptions);
    tcase_add_test(tc, booking_slots_bad_params);
    tcase_add_test(tc, booking_flow);
    tcase_add_test(tc, booking_any_practitioner);
    tcase_add_test(tc, booking_idempotency);
    tcase_add_test(tc, booking_idempotency_concurrent);
    tcase_add_test(tc, booking_idempotency_race_same_key);
    tcase_add_test(tc, booking_bad_requests);
    tcase_add_test(tc, booking_practitioner_id_zero);
    tcase_add_test(tc, booking_one_error_body);
    tcase_add_test(tc, booking_audit_read_while_sealing);
    tcase_add_test(tc, booking_fractional_seconds);
    tcase_add_test(tc, booking_in_the_past);
    tcase_add_test(tc, booking_manage_token);
    tcase_add_test(tc, booking_cancel_rules);
    tcase_add_test(tc, booking_reschedule_rules);
    tcase_add_test(tc, booking_reschedule_keeps_payment);
    tcase_add_test(tc, booking_hold_expiry);
    tcase_add_test(tc, booking_race_one_host);
    tcase_add_test(tc, booking_race_two_hosts);
    tcase_add_test(tc, booking_admin_list);
    tcase_add_test(tc, booking_dst_london);
    tcase_add_test(tc, booking_log_clean);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(dst, dst_setup, dst_teardown);
    tcase_set_timeout(dst, 60);
    tcase_add_test(dst, booking_dst_new_york);
    tcase_add_test(dst, booking_dst_log_clean);
    suite_add_tcase(s, dst);

    tcase_add_unchecked_fixture(lim, limit_setup, dst_teardown);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, booking_rate_limit);
    tcase_add_test(lim, booking_limit_log_clean);
    suite_add_tcase(s, lim);
    return s;
}

/*
 * booking.c - the booking tests' shared fixture and helpers: the test
 * clinic (practitioners and services named "BK ...", created with SQL
 * once per run), its settings, dates and times, and the HTTP calls of a
 * patient and of staff.  See booking.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
#include "harness.h"
#include "booking.h"

/* Set once by the unchecked fixtures (parent process): every forked test
 * sees them. */
static int  bk_ready;
long sv_basic, sv_buf, sv_paid, sv_retired, sv_race, sv_other, sv_dst, sv_nyn,
     sv_ldnn;
long pr_alice, pr_bob, pr_carol, pr_extra, pr_race, pr_dst, pr_ldnn;
static long pr_nyn;
char bk_today[11];
static char bk_days[BK_NDAYS][11];
static int  bk_seq;
/* Where audit entries are: the chain, plus the entries staged for it
 * (audit_pending, sealed a few times a second) when there is such a
 * table; one statement sees each entry exactly once. */
char bk_audit[256] = "audit_log";

/* ---- small helpers ---------------------------------------------------- */

const char *bk_day(int n)
{
    ck_assert_msg(n >= 0 && n < BK_NDAYS && bk_days[n][0], "bk_day(%d)", n);
    return bk_days[n];
}

double bk_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
long long bk_days_from_civil(int y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void bk_civil_from_days(long long z, int *y, int *m, int *d)
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
int bk_weekday(long long days)
{
    return (int)(((days % 7) + 11) % 7);
}

void bk_date(long long days, char out[11])
{
    int y, m, d;

    bk_civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

long long bk_parse_date(const char *s)
{
    int y, m, d;

    ck_assert_msg(sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3, "date %s", s);
    return bk_days_from_civil(y, m, d);
}

/* "YYYY-MM-DDThh:mm:ss" + UTC, for request bodies. */
void bk_utc(long long t, char out[32])
{
    long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    long long s = t - days * 86400;
    int y, m, d;

    bk_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
             (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}


int bk_parse(const char *s, bk_tm *o)
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

long long bk_t(const char *s)
{
    bk_tm tm;

    ck_assert_msg(bk_parse(s, &tm), "not an RFC 3339 time with an offset: "
                  "%s", s ? s : "(null)");
    return tm.t;
}

void bk_settings(const char *change)
{
    it_sql_exec("UPDATE clinic_settings SET " BK_SETTINGS " WHERE id = 1;\n"
                "UPDATE clinic_settings SET %s WHERE id = 1;",
                change ? change : "updated_at = now()");
}

/* ---- HTTP helpers ------------------------------------------------------ */

it_resp *bk_slots(long svc, const char *from, int days, long pract)
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

json_t *bk_slot_list(it_resp *r)
{
    return json_object_get(r->json, "slots");
}

/* Slots at local wall time hh:mm (of practitioner pract, 0: any). */
int bk_count_at(it_resp *r, const char *hhmm, long pract)
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

int bk_count_of(it_resp *r, long pract)
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
char *bk_start(long svc, const char *day, const char *hhmm,
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
char *bk_at(const char *start, const char *hhmmss)
{
    char *s = strdup(start);

    memcpy(s + 11, hhmmss, 8);
    return s;
}

/* A booking request body (patient details carry the canary). */
char *bk_body(long svc, const char *start, long pract)
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

it_resp *bk_post_at(int port, const char *body, const char *key)
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

it_resp *bk_post(const char *body, const char *key)
{
    return bk_post_at(it_port, body, key);
}

/* POST a booking, asserted 201; returns the reply (caller frees); id and
 * token out. */
it_resp *bk_book_r(long svc, const char *start, long pract, long *id,
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

long bk_book(long svc, const char *start, long pract, char tok[128])
{
    long id;

    it_free(bk_book_r(svc, start, pract, &id, tok));
    return id;
}

/* /api/bookings/{id}[/action] with X-Manage-Token (NULL: none; "": an
 * empty one). */
it_resp *bk_manage_at(int port, const char *method, long id,
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

it_resp *bk_manage(const char *method, long id, const char *action,
                   const char *token, const char *body)
{
    return bk_manage_at(it_port, method, id, action, token, body);
}

it_resp *bk_resched(long id, const char *token, const char *start,
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

it_resp *bk_staff(const char *method, long id, const char *action,
                  const char *body)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/admin/bookings/%ld%s%s", id,
             action ? "/" : "", action ? action : "");
    return it_req(method, path, IT_STAFF, body ? "application/json" : NULL,
                  body, -1, NULL);
}

/* The booking object of a 200 {"booking": ...} reply. */
json_t *bk_of(it_resp *r)
{
    json_t *b = json_object_get(r->json, "booking");

    ck_assert_msg(json_is_object(b), "no booking object: %s", r->body);
    return b;
}

/* The staff view of a booking (status, start, ...); caller decrefs. */
json_t *bk_view(long id)
{
    it_resp *r = bk_staff("GET", id, NULL, NULL);
    json_t *j;

    ck_assert_msg(r->status == 200, "GET /api/admin/bookings/%ld: %ld %s",
                  id, r->status, r->body);
    j = json_incref(r->json);
    it_free(r);
    return j;
}

char *bk_status(long id)
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
json_t *bk_audit_wait(const char *action, const char *target)
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

void bk_assert_audit(const char *action, long id, const char *actor)
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
void bk_assert_error_first_at(it_resp *r, long status,
                              const char *code, const char *file,
                              int line)
{
    if (!r->json && r->body[0] == '{') {
        r->json = json_loadb(r->body, r->len, JSON_DISABLE_EOF_CHECK, NULL);
    }
    it_assert_error_at(r, status, code, file, line);
}

/* Slots: sorted by (start, practitioner), aligned to step minutes after
 * local midnight, end = start + dur, on [from, from + days). */
void bk_assert_slot_shape(it_resp *r, const char *from, int days,
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

void bk_data_setup(void)
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

void bk_settings_parent(const char *sets)
{
    free(it_sql_try(NULL, "UPDATE clinic_settings SET %s WHERE id = 1",
                    sets));
}

/* ---- the error log ------------------------------------------------------ */

void bk_assert_log_clean(char *bad, char *log, const char *which)
{
    ck_assert_msg(bad == NULL, "unexpected %s error-log lines:\n%.3000s",
                  which, bad);
    ck_assert_msg(!strcasestr(log, BK_CANARY), "patient details in the %s "
                  "error log:\n%.2000s", which, strcasestr(log, BK_CANARY));
    ck_assert_msg(!strstr(log, "7700 900123"), "a patient's phone number in "
                  "the %s error log", which);
}

void bk_httpd_teardown(void)
{
    it_httpd_stop();
    bk_settings_parent(BK_SEED_SETTINGS);
}

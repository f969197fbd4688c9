/*
 * test_calendar.c - Google Calendar sync against a fake Google
 * (tests/fakes/fake_google.py): the service-account token (RS256 JWT,
 * cached, refreshed after a 401, refused for a wrong key), freeBusy busy
 * times taken out of GET /api/slots, a per-calendar error inside a 200
 * (that practitioner not offered, listed in calendar_unavailable, health
 * "error"), the booking's event (id derived from the booking, times,
 * zone, summary, no attendees), moves (update; delete + insert across
 * calendars, and back), cancellation (delete; 410 on a repeated delete
 * counts as done), outages (503, 429, 403 rate limits, a lost reply: the
 * booking is made at once and the outbox retries with backoff, one event
 * in the end; a 403 permission error is parked for hours), a hung Google
 * (freeBusy, several calendars, the token endpoint under concurrency)
 * bounded by ConciergeGoogleTimeout, a graceful restart while Google is
 * slow, health without a calendar, a bad key file stopping httpd, and no
 * token, JWT or key in the error log.
 *
 * Tests whose failure message starts with "MODULE BUG" document a defect
 * of the module found by this suite (expected behaviour asserted; see the
 * message for the request, what happened and the cause).
 *
 * Three groups, each with its own fake and httpd (one process, so the
 * per-process token and busy caches are observable):
 *   calendar         the fake trusts the module's key
 *   calendar_badkey  the fake checks signatures with another key
 *   calendar_off     no ConciergeGoogleKeyFile
 * The RSA keys are made at test time (openssl genpkey) in the run's
 * folder; none is committed.  The suite books its own service and
 * practitioners (created through the admin API) on days without clinic
 * exceptions, one day per test, so it does not depend on the sample
 * clinic or on other suites' bookings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "harness.h"

#define CG_EMAIL      "concierge-it@concierge-it.iam.gserviceaccount.com"
#define CG_CAL_A      "cal-a@clinic.example"
#define CG_CAL_B      "cal-b@clinic.example"
#define CG_SERVICE    "Calendar check-up"
#define CG_TZ         "Europe/London"
#define CG_TIMEOUT_MS 1000
#define CG_SECRET     "calendar-suite-secret-0123456789abcdef"
#define CG_EVENTS     "/calendar/v3/calendars/"

/* Days (indexes into cg_days): one per test, so bookings never meet. */
enum {
    D_BUSY = 0, D_CALERR, D_INSERT, D_MOVE, D_MOVE_OWN, D_MOVE_AB, D_CANCEL,
    D_503, D_429, D_403RATE, D_403PERM, D_APPLY, D_HANG, D_HANG_BOOK,
    D_HANG_ALL, D_HANG_TOKEN, D_TOKEN, D_BADKEY, D_OFF, D_CANCEL_EARLY,
    D_MOVE_BACK, D_OFF_MOVE, D_RESTART, D_NDAYS
};

static pid_t cg_pid = -1;
static int cg_port, cg_cport;           /* fake API / control ports */
static char cg_dir[400];                /* keys, service-account file */
static int cg_keys_made;
static char cg_days[D_NDAYS + 8][16];   /* YYYY-MM-DD, no exceptions */
static json_int_t cg_service, cg_pa, cg_pb;
static char *cg_saved_settings;         /* restored by each teardown */

/* ---- small helpers ----------------------------------------------------- */

static double cg_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cg_sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

static char *cg_dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    return s ? s : strdup("(null)");
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS(Z|+HH:MM|-HH:MM)". */
static long long cg_ts(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    char sign = 'Z';
    long long t;

    ck_assert_msg(s != NULL, "no time string");
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se)
        != 6) {
        ck_abort_msg("not RFC 3339: %s", s);
    }
    if (strlen(s) >= 25) {
        sign = s[19];
        sscanf(s + 20, "%2d:%2d", &oh, &om);
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    t = (long long)timegm(&tm);
    if (sign == '+') {
        t -= oh * 3600 + om * 60;
    }
    else if (sign == '-') {
        t += oh * 3600 + om * 60;
    }
    return t;
}

/* ---- the fake ------------------------------------------------------------ */

static json_t *cg_ctl(const char *method, const char *path, const char *body)
{
    ck_assert_msg(cg_cport > 0, "the fake Google did not start (see "
                  "%s/fake_google_*.log)", it_var);
    return it_fake_ctl(cg_cport, method, path, body);
}

static void cg_ctlf(const char *path, const char *fmt, ...)
{
    va_list ap;
    char *body = NULL;

    va_start(ap, fmt);
    if (vasprintf(&body, fmt, ap) < 0) {
        body = NULL;
    }
    va_end(ap);
    json_decref(cg_ctl("POST", path, body));
    free(body);
}

static json_t *cg_state(void)
{
    return cg_ctl("GET", "/__state", NULL);
}

static json_int_t cg_counter(json_t *st, const char *name)
{
    return json_integer_value(json_object_get(json_object_get(st,
                                                              "counters"),
                                              name));
}

/* The events of one calendar in a state (borrowed; an empty array when
 * none). */
static json_t *cg_events_of(json_t *st, const char *cal)
{
    static json_t *none;
    json_t *a = json_object_get(json_object_get(st, "events"), cal);

    if (!none) {
        none = json_array();
    }
    return a ? a : none;
}

static json_t *cg_find_event(json_t *st, const char *cal, const char *eid)
{
    json_t *ev;
    size_t i;

    json_array_foreach(cg_events_of(st, cal), i, ev) {
        const char *id = json_string_value(json_object_get(ev, "id"));

        if (id && !strcmp(id, eid)) {
            return ev;
        }
    }
    return NULL;
}

/* Requests in the fake's log: method (NULL any), path containing part
 * (NULL any), status (0 any), injected (-1 any). */
static int cg_count_req(json_t *st, const char *method, const char *part,
                        long status, int injected)
{
    json_t *r;
    size_t i;
    int n = 0;

    json_array_foreach(json_object_get(st, "requests"), i, r) {
        const char *m = json_string_value(json_object_get(r, "method"));
        const char *p = json_string_value(json_object_get(r, "path"));

        if ((method && (!m || strcmp(m, method)))
            || (part && (!p || !strstr(p, part)))
            || (status && json_integer_value(json_object_get(r, "status"))
                          != status)
            || (injected >= 0
                && json_is_true(json_object_get(r, "injected"))
                   != injected)) {
            continue;
        }
        n++;
    }
    return n;
}

/* Poll the fake until calendar cal holds event eid with status want
 * (NULL: any) and, when start_ts is not 0, that start.  Returns a copy of
 * the event, or NULL after `secs`. */
static json_t *cg_wait_event(const char *cal, const char *eid,
                             const char *want, long long start_ts,
                             double secs)
{
    double t0 = cg_now();

    do {
        json_t *st = cg_state();
        json_t *ev = cg_find_event(st, cal, eid);

        if (ev && (!want || !strcmp(want, json_string_value(
                                        json_object_get(ev, "status"))))
            && (!start_ts || json_integer_value(json_object_get(
                                 ev, "start_ts")) == start_ts)) {
            ev = json_deep_copy(ev);
            json_decref(st);
            return ev;
        }
        json_decref(st);
        cg_sleep_ms(200);
    } while (cg_now() - t0 < secs);
    return NULL;
}

/* A fresh fake for one test (events, busy, rules, counters and tokens
 * cleared) and no calendar work left over in the outbox. */
static void cg_begin(void)
{
    char *o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now(), "
                         "locked_until = NULL WHERE done_at IS NULL");

    free(o);
    json_decref(cg_ctl("POST", "/__reset", "{}"));
}

/* ---- the module's side --------------------------------------------------- */

static json_t *cg_health(void)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *cal;

    ck_assert_msg(r->status == 200, "admin health: status %ld, body %s",
                  r->status, r->body);
    cal = json_object_get(r->json, "calendar");
    ck_assert_msg(json_is_object(cal), "admin health has no calendar "
                  "object: %s", r->body);
    cal = json_deep_copy(cal);
    it_free(r);
    return cal;
}

static const char *cg_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* GET /api/slots for our service on cg_days[day] (pract 0: everyone),
 * asserted 200; *secs how long it took (may be NULL). */
static json_t *cg_slots(int day, json_int_t pract, int days, double *secs)
{
    char path[256];
    it_resp *r;
    json_t *j;
    double t0 = cg_now();

    if (pract) {
        snprintf(path, sizeof(path), "/api/slots?service_id=%lld&from=%s&"
                 "days=%d&practitioner_id=%lld", (long long)cg_service,
                 cg_days[day], days, (long long)pract);
    }
    else {
        snprintf(path, sizeof(path), "/api/slots?service_id=%lld&from=%s&"
                 "days=%d", (long long)cg_service, cg_days[day], days);
    }
    r = it_get(path, NULL);
    if (secs) {
        *secs = cg_now() - t0;
    }
    ck_assert_msg(r->status == 200 && json_is_array(json_object_get(
                      r->json, "slots"))
                  && json_is_array(json_object_get(r->json,
                                                   "calendar_unavailable")),
                  "%s: status %ld, body %.500s", path, r->status, r->body);
    j = json_incref(r->json);
    it_free(r);
    return j;
}

/* The start of pract's slot at local time hhmmss ("10:00:00") or NULL. */
static const char *cg_slot_at(json_t *slots, json_int_t pract,
                              const char *hhmmss)
{
    json_t *s;
    size_t i;
    char want[16];

    snprintf(want, sizeof(want), "T%s", hhmmss);
    json_array_foreach(json_object_get(slots, "slots"), i, s) {
        const char *st = json_string_value(json_object_get(s, "start"));

        if (json_integer_value(json_object_get(s, "practitioner_id")) == pract
            && st && strstr(st, want)) {
            return st;
        }
    }
    return NULL;
}

static int cg_nslots(json_t *slots, json_int_t pract)
{
    json_t *s;
    size_t i;
    int n = 0;

    json_array_foreach(json_object_get(slots, "slots"), i, s) {
        n += json_integer_value(json_object_get(s, "practitioner_id"))
             == pract;
    }
    return n;
}

/* Slots of pract overlapping [from, to). */
static int cg_noverlap(json_t *slots, json_int_t pract, long long from,
                       long long to)
{
    json_t *s;
    size_t i;
    int n = 0;

    json_array_foreach(json_object_get(slots, "slots"), i, s) {
        if (json_integer_value(json_object_get(s, "practitioner_id"))
            == pract
            && cg_ts(cg_str(s, "start")) < to && cg_ts(cg_str(s, "end"))
                                                  > from) {
            n++;
        }
    }
    return n;
}

static int cg_listed(json_t *arr, json_int_t id)
{
    json_t *v;
    size_t i;

    json_array_foreach(arr, i, v) {
        if (json_integer_value(v) == id) {
            return 1;
        }
    }
    return 0;
}

/* A copy of the start string of pract's slot at hhmmss on day. */
static char *cg_pick(int day, json_int_t pract, const char *hhmmss)
{
    json_t *sl = cg_slots(day, pract, 1, NULL);
    const char *s = cg_slot_at(sl, pract, hhmmss);
    char *out;

    ck_assert_msg(s != NULL, "practitioner %lld has no %s slot on %s: %.600s",
                  (long long)pract, hhmmss, cg_days[day],
                  json_dumps(sl, JSON_COMPACT));
    out = strdup(s);
    json_decref(sl);
    return out;
}

typedef struct cg_booking {
    json_int_t id;
    char      *token;
    char      *start;
    char      *end;
    double     secs;
} cg_booking;

/* POST /api/bookings, asserted 201. */
static cg_booking cg_book(json_int_t pract, const char *start,
                          const char *name)
{
    cg_booking b;
    json_t *body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}", "service_id",
                             cg_service, "start", start, "practitioner_id",
                             pract, "patient", "name", name, "email",
                             "patient@example.org");
    char *js = json_dumps(body, JSON_COMPACT);
    double t0 = cg_now();
    it_resp *r = it_req("POST", "/api/bookings", NULL, "application/json",
                        js, -1, NULL);

    memset(&b, 0, sizeof(b));
    b.secs = cg_now() - t0;
    ck_assert_msg(r->status == 201, "booking %s with %lld: status %ld, body "
                  "%.600s", start, (long long)pract, r->status, r->body);
    b.id = json_integer_value(json_object_get(r->json, "id"));
    b.token = strdup(cg_str(r->json, "manage_token"));
    b.start = strdup(cg_str(r->json, "start"));
    b.end = strdup(cg_str(r->json, "end"));
    ck_assert_msg(b.id > 0 && *b.token && *b.start && *b.end, "booking "
                  "reply without id, manage_token, start or end: %s",
                  r->body);
    ck_assert_msg(json_integer_value(json_object_get(r->json,
                                                     "practitioner_id"))
                  == pract, "booked with another practitioner: %s", r->body);
    it_free(r);
    json_decref(body);
    free(js);
    return b;
}

static void cg_booking_free(cg_booking *b)
{
    free(b->token);
    free(b->start);
    free(b->end);
}

/* POST /api/bookings/{id}/<what> with the manage token; the reply. */
static it_resp *cg_manage(const cg_booking *b, const char *what,
                          const char *body)
{
    char path[128], hdr[256];
    const char *hdrs[2];

    snprintf(path, sizeof(path), "/api/bookings/%lld/%s", (long long)b->id,
             what);
    snprintf(hdr, sizeof(hdr), "X-Manage-Token: %s", b->token);
    hdrs[0] = hdr;
    hdrs[1] = NULL;
    return it_req("POST", path, NULL, "application/json", body, -1, hdrs);
}

/* The event id the module must use for a booking: the first 32 hex
 * digits of HMAC-SHA256(calendar_status.event_salt,
 * "concierge-booking:<id>") (cc_gcal.h); after the booking moved to
 * another practitioner `gen` times, the key is "<event_salt>/<gen>"
 * (bookings.calendar_gen: Google keeps deleted ids). */
static void cg_event_id_gen(json_int_t booking, int gen, char out[33])
{
    char *salt0 = it_sql_try(NULL, "SELECT event_salt FROM calendar_status "
                             "WHERE id = 1");
    char *salt = gen ? NULL : salt0;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char msg[64];
    int ml = snprintf(msg, sizeof(msg), "concierge-booking:%lld",
                      (long long)booking);

    if (gen) {
        salt = malloc(strlen(salt0) + 16);
        sprintf(salt, "%s/%d", salt0, gen);
        free(salt0);
    }
    ck_assert_msg(*salt && !strchr(salt, ' '), "no event salt: %s", salt);
    ck_assert(HMAC(EVP_sha256(), salt, (int)strlen(salt),
                   (const unsigned char *)msg, (size_t)ml, mac, &n) != NULL);
    for (i = 0; i < 16; i++) {
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    }
    out[32] = '\0';
    free(salt);
}

static void cg_event_id(json_int_t booking, char out[33])
{
    cg_event_id_gen(booking, 0, out);
}

/* The outbox rows of a booking: "<rows>|<pending>|<max attempts>|
 * <last errors>" (malloc'd). */
static char *cg_outbox(json_int_t booking)
{
    return it_sql_try(NULL, "SELECT count(*) || '|' || count(*) FILTER (WHERE "
                      "done_at IS NULL) || '|' || coalesce(max(attempts), 0) "
                      "|| '|' || coalesce(string_agg(last_error, ';'), '') "
                      "FROM calendar_outbox WHERE booking_id = %lld",
                      (long long)booking);
}

/* Wait until every outbox row of the booking is done (or secs pass). */
static int cg_outbox_done(json_int_t booking, double secs)
{
    double t0 = cg_now();

    do {
        char *n = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox "
                             "WHERE booking_id = %lld AND done_at IS NULL",
                             (long long)booking);
        int pending = (int)strtol(n, NULL, 10);

        free(n);
        if (pending == 0) {
            return 1;
        }
        cg_sleep_ms(200);
    } while (cg_now() - t0 < secs);
    return 0;
}

/* Make GET /api/slots succeed once against a healthy fake, so the
 * connection state is "ok" before a test provokes an error (the state is
 * written on every change, and a repeated failure at most every 30 s). */
static void cg_state_ok(int day)
{
    json_t *h;

    json_decref(cg_slots(day, cg_pa, 1, NULL));
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "ok"), "the calendar is not "
                  "ok after a good freeBusy: %s", cg_dump(h));
    json_decref(h);
}

/* Hung requests finish in the fake 2 s after they started (the module
 * gave up long before): let them, so they do not count in the next
 * test's fresh counters. */
static void cg_drain_hangs(void)
{
    cg_sleep_ms(2300);
}

/* ---- group: calendar (the fake trusts our key) ------------------------- */

START_TEST(cal_health_configured)
{
    json_t *h;

    cg_begin();
    cg_state_ok(D_BUSY);
    h = cg_health();
    ck_assert_msg(json_is_true(json_object_get(h, "configured")),
                  "calendar not configured: %s", cg_dump(h));
    ck_assert_msg(!strcmp(cg_str(h, "service_account"), CG_EMAIL),
                  "service_account %s", cg_str(h, "service_account"));
    ck_assert_msg(json_is_integer(json_object_get(h, "pending"))
                  && json_is_integer(json_object_get(h, "retrying")),
                  "health without pending/retrying: %s", cg_dump(h));
    ck_assert_msg(json_is_string(json_object_get(h, "last_ok_at")),
                  "no last_ok_at after a good call: %s", cg_dump(h));
    json_decref(h);
}
END_TEST

/* (1) Busy times from freeBusy are taken out of the offered slots, for
 * that practitioner only, and come back when the calendar frees up
 * (ConciergeFreeBusyCache 0). */
START_TEST(cal_busy_removed)
{
    json_t *before, *during, *after, *st;
    char *s10, *s11;
    long long b0, b1;
    int nb_before;

    cg_begin();
    s10 = cg_pick(D_BUSY, cg_pa, "10:00:00");
    s11 = cg_pick(D_BUSY, cg_pa, "11:00:00");
    b0 = cg_ts(s10);
    b1 = cg_ts(s11);
    before = cg_slots(D_BUSY, 0, 1, NULL);
    ck_assert_msg(cg_noverlap(before, cg_pa, b0, b1) >= 4, "A had no slots "
                  "in 10:00-11:00 to begin with");
    nb_before = cg_nslots(before, cg_pb);

    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[{\"start\":"
            "\"%s\",\"end\":\"%s\"}]}", s10, s11);
    during = cg_slots(D_BUSY, 0, 1, NULL);
    ck_assert_msg(cg_noverlap(during, cg_pa, b0, b1) == 0, "slots of A "
                  "overlap its busy time %s-%s: %.1500s", s10, s11,
                  cg_dump(during));
    ck_assert_msg(cg_nslots(during, cg_pa) > 0, "A lost every slot, not "
                  "just the busy hour");
    ck_assert_msg(cg_nslots(during, cg_pb) == nb_before
                  && cg_slot_at(during, cg_pb, "10:00:00"), "B's slots "
                  "changed with A's calendar");
    ck_assert_msg(json_array_size(json_object_get(during,
                                                  "calendar_unavailable"))
                  == 0, "calendar_unavailable not empty: %s",
                  cg_dump(during));
    /* Booking into A's busy hour is refused; B is still free then. */
    {
        json_t *body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}",
                                 "service_id", cg_service, "start", s10,
                                 "practitioner_id", cg_pa, "patient", "name",
                                 "Busy Test", "email", "busy@example.org");
        char *js = json_dumps(body, JSON_COMPACT);
        it_resp *r = it_req("POST", "/api/bookings", NULL,
                            "application/json", js, -1, NULL);

        ck_assert_msg(r->status == 409, "booking into A's busy time: "
                      "status %ld, body %s", r->status, r->body);
        it_free(r);
        free(js);
        json_decref(body);
    }

    st = cg_state();
    ck_assert_msg(cg_count_req(st, "POST", "/calendar/v3/freeBusy", 200, 0)
                  >= 2, "the fake saw no freeBusy queries");
    ck_assert_msg(cg_counter(st, "rejected") == cg_counter(st,
                                                           "unauthorized"),
                  "the fake rejected requests other than the stale token's "
                  "401: %s", cg_dump(json_object_get(st, "requests")));
    json_decref(st);

    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[]}");
    after = cg_slots(D_BUSY, 0, 1, NULL);
    ck_assert_msg(cg_noverlap(after, cg_pa, b0, b1)
                  == cg_noverlap(before, cg_pa, b0, b1),
                  "A's slots did not come back once the calendar was free "
                  "(ConciergeFreeBusyCache 0)");
    json_decref(before);
    json_decref(during);
    json_decref(after);
    free(s10);
    free(s11);
}
END_TEST

/* (2) A per-calendar error inside a 200: that practitioner is not offered
 * and is listed in calendar_unavailable; health says error (also when
 * another practitioner's calendar answered fine in the same request);
 * booking that practitioner is refused while the other one is still
 * bookable. */
START_TEST(cal_calendar_error)
{
    json_t *sl, *h;
    char *sa, *sb, *mixed_health;

    cg_begin();
    sa = cg_pick(D_CALERR, cg_pa, "14:00:00");
    sb = cg_pick(D_CALERR, cg_pb, "14:00:00");
    cg_state_ok(D_CALERR);
    cg_ctlf("/__calendar_error", "{\"calendar\":\"" CG_CAL_A "\","
            "\"reason\":\"notFound\"}");

    /* Only A asked for: A unavailable, health error. */
    sl = cg_slots(D_CALERR, cg_pa, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) == 0 && cg_listed(json_object_get(
                      sl, "calendar_unavailable"), cg_pa),
                  "A is offered although its calendar is in error: %.800s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error"), "health status "
                  "%s, expected error: %s", cg_str(h, "status"), cg_dump(h));
    ck_assert_msg(strstr(cg_str(h, "last_error"), "freeBusy")
                  && json_is_string(json_object_get(h, "last_error_at")),
                  "health has no last_error: %s", cg_dump(h));
    json_decref(h);

    /* Everyone: A unavailable, B offered. */
    sl = cg_slots(D_CALERR, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) == 0, "A is offered although its "
                  "calendar is in error: %.800s", cg_dump(sl));
    ck_assert_msg(cg_nslots(sl, cg_pb) > 0, "B is not offered");
    ck_assert_msg(cg_listed(json_object_get(sl, "calendar_unavailable"),
                            cg_pa)
                  && !cg_listed(json_object_get(sl, "calendar_unavailable"),
                                cg_pb), "calendar_unavailable %s, expected "
                  "[%lld]", cg_dump(json_object_get(sl,
                                                    "calendar_unavailable")),
                  (long long)cg_pa);
    json_decref(sl);
    h = cg_health();
    mixed_health = cg_dump(h);
    json_decref(h);

    {
        json_t *body = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}",
                                 "service_id", cg_service, "start", sa,
                                 "practitioner_id", cg_pa, "patient", "name",
                                 "Unknown Calendar", "email",
                                 "unknown@example.org");
        char *js = json_dumps(body, JSON_COMPACT);
        it_resp *r = it_req("POST", "/api/bookings", NULL,
                            "application/json", js, -1, NULL);

        ck_assert_msg(r->status == 409 || r->status == 422, "booking A "
                      "while its availability is unknown: status %ld, body "
                      "%s", r->status, r->body);
        it_free(r);
        free(js);
        json_decref(body);
    }
    {
        cg_booking b = cg_book(cg_pb, sb, "Bea Calendar");

        cg_booking_free(&b);
    }

    cg_ctlf("/__calendar_error", "{\"calendar\":\"" CG_CAL_A "\","
            "\"reason\":null}");
    sl = cg_slots(D_CALERR, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && json_array_size(
                      json_object_get(sl, "calendar_unavailable")) == 0,
                  "A did not come back after the error cleared: %.500s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "ok"), "health did not "
                  "return to ok: %s", cg_dump(h));
    json_decref(h);

    ck_assert_msg(strstr(mixed_health, "\"status\":\"error\"") != NULL,
                  "GET /api/slots?service_id=%lld (A's calendar "
                  "%s answers freeBusy with errors [notFound] inside a 200, "
                  "B's calendar is fine) -> A is hidden and listed in "
                  "calendar_unavailable, yet GET /api/admin/health says "
                  "calendar %s.  Expected status error.  The connection "
                  "state is one flag: set_state(ok) for B's good freeBusy "
                  "right after set_state(error) for A's overwrites it, so a "
                  "practitioner whose calendar is not shared with the "
                  "service account stays invisible to admins",
                  (long long)cg_service, CG_CAL_A, mixed_health);
    free(mixed_health);
    free(sa);
    free(sb);
}
END_TEST

/* (3) A booking puts one event in the practitioner's calendar within
 * seconds: the id derived from the booking, times and zone, summary, no
 * attendees; the booking itself does not wait for Google. */
START_TEST(cal_event_insert)
{
    char *start = NULL, eid[33];
    cg_booking b;
    json_t *ev, *st, *h;
    const char *id;
    size_t i;

    cg_begin();
    start = cg_pick(D_INSERT, cg_pa, "09:30:00");
    b = cg_book(cg_pa, start, "Ada Lovelace");
    ck_assert_msg(b.secs < 2.0, "the booking took %.2f s", b.secs);
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    st = cg_state();
    ck_assert_msg(ev != NULL, "no event %s in %s within 10 s; events %s, "
                  "requests %.2000s", eid, CG_CAL_A,
                  cg_dump(json_object_get(st, "events")),
                  cg_dump(json_object_get(st, "requests")));
    id = cg_str(ev, "id");
    ck_assert_msg(strlen(id) == 32, "event id %s is not 32 characters", id);
    for (i = 0; i < 32; i++) {
        ck_assert_msg(strchr("0123456789abcdef", id[i]) != NULL, "event id "
                      "%s is not lowercase hex", id);
    }
    ck_assert_msg(!strcmp(cg_str(ev, "summary"),
                          CG_SERVICE " - Ada Lovelace"),
                  "summary '%s'", cg_str(ev, "summary"));
    ck_assert_msg(!strcmp(cg_str(ev, "timeZone"), CG_TZ), "timeZone '%s'",
                  cg_str(ev, "timeZone"));
    ck_assert_msg(json_integer_value(json_object_get(ev, "start_ts"))
                  == cg_ts(b.start)
                  && json_integer_value(json_object_get(ev, "end_ts"))
                     == cg_ts(b.end)
                  && cg_ts(b.end) - cg_ts(b.start) == 30 * 60,
                  "event %s - %s, booking %s - %s", cg_str(ev, "start"),
                  cg_str(ev, "end"), b.start, b.end);
    ck_assert_msg(!strcmp(cg_str(ev, "start"), b.start), "event start "
                  "'%s' is not the booking's local time '%s'",
                  cg_str(ev, "start"), b.start);
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1
                  && json_array_size(cg_events_of(st, CG_CAL_B)) == 0,
                  "events: %s", cg_dump(json_object_get(st, "events")));
    /* One insert, accepted (attendees would have got 403
     * forbiddenForServiceAccounts), with sendUpdates=none. */
    ck_assert_msg(cg_count_req(st, "POST", "/events", 0, -1) == 1
                  && cg_count_req(st, "POST", "/events", 200, 0) == 1,
                  "inserts: %.2000s", cg_dump(json_object_get(st,
                                                              "requests")));
    ck_assert_msg(cg_count_req(st, "POST", "sendUpdates=none", 200, 0) == 1,
                  "the insert did not say sendUpdates=none");
    ck_assert_msg(cg_count_req(st, NULL, "cal-a%40clinic.example", 0, -1)
                  >= 1, "the calendar id was not URL-encoded in the path");
    ck_assert_msg(cg_counter(st, "rejected") == cg_counter(st,
                                                           "unauthorized"),
                  "the fake rejected a request: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    json_decref(st);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done: %s",
                  cg_outbox(b.id));
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "ok"), "health %s",
                  cg_dump(h));
    json_decref(h);
    json_decref(ev);
    cg_booking_free(&b);
    free(start);
}
END_TEST

/* (4) A reschedule moves the event (update in place, same id); the old
 * time is offered again. */
START_TEST(cal_event_move)
{
    char *s1, *s2, eid[33];
    cg_booking b;
    json_t *ev, *st, *sl;
    it_resp *r;
    long long t2;
    char body[128];

    cg_begin();
    s1 = cg_pick(D_MOVE, cg_pa, "10:00:00");
    s2 = cg_pick(D_MOVE, cg_pa, "15:00:00");
    t2 = cg_ts(s2);
    b = cg_book(cg_pa, s1, "Mo Ving");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);

    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s2);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "reschedule: status %ld, body %s",
                  r->status, r->body);
    it_free(r);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", t2, 10);
    st = cg_state();
    ck_assert_msg(ev != NULL, "the event did not move to %s within 10 s: "
                  "events %s", s2, cg_dump(json_object_get(st, "events")));
    ck_assert_msg(json_integer_value(json_object_get(ev, "end_ts"))
                  == t2 + 30 * 60, "moved event ends at %s", cg_str(ev,
                                                                   "end"));
    ck_assert_msg(json_integer_value(json_object_get(ev, "sequence")) >= 1,
                  "the event was not updated (sequence %lld)",
                  (long long)json_integer_value(json_object_get(ev,
                                                                "sequence")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1,
                  "a move left more than one event: %s",
                  cg_dump(json_object_get(st, "events")));
    ck_assert_msg(cg_count_req(st, "PUT", eid, 200, 0) == 1,
                  "the move was not one PUT (update) of %s: %.2000s", eid,
                  cg_dump(json_object_get(st, "requests")));
    ck_assert_msg(cg_count_req(st, "DELETE", NULL, 0, -1) == 0,
                  "a move deleted an event");
    json_decref(st);
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");

    sl = cg_slots(D_MOVE, cg_pa, 1, NULL);
    ck_assert_msg(cg_slot_at(sl, cg_pa, "10:00:00") != NULL, "the old time "
                  "10:00 is not offered again after the move");
    ck_assert_msg(cg_slot_at(sl, cg_pa, "15:00:00") == NULL, "the new time "
                  "is still offered");
    json_decref(sl);
    cg_booking_free(&b);
    free(s1);
    free(s2);
}
END_TEST

/* (4) Moving a booking by 15 minutes, overlapping its own time: without
 * a calendar this is allowed (the booking's own time is excluded), and it
 * must stay allowed, with the same practitioner, when the booking's own
 * event is in the calendar.  Two bookings: one moved without naming the
 * practitioner (as a patient does), one naming A. */
START_TEST(cal_event_move_overlapping_own)
{
    char *s1, *s2, *s3, *s4, eid[33], body[160];
    cg_booking b1, b2;
    json_t *ev;
    it_resp *r1, *r2;
    long p1 = 0;
    int ok1, ok2;

    cg_begin();
    s1 = cg_pick(D_MOVE_OWN, cg_pa, "11:00:00");
    s2 = cg_pick(D_MOVE_OWN, cg_pa, "11:15:00");
    s3 = cg_pick(D_MOVE_OWN, cg_pa, "15:00:00");
    s4 = cg_pick(D_MOVE_OWN, cg_pa, "15:15:00");
    b1 = cg_book(cg_pa, s1, "Own Overlap");
    b2 = cg_book(cg_pa, s3, "Own Overlap Named");
    cg_event_id(b1.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    cg_event_id(b2.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);

    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s2);
    r1 = cg_manage(&b1, "reschedule", body);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s4, (long long)cg_pa);
    r2 = cg_manage(&b2, "reschedule", body);
    if (r1->status == 200) {
        p1 = (long)json_integer_value(json_object_get(json_object_get(
                 r1->json, "booking"), "practitioner_id"));
    }
    ok1 = r1->status == 200 && p1 == cg_pa;
    ok2 = r2->status == 200;
    ck_assert_msg(ok1 && ok2, "a move that overlaps only the "
                  "booking's own appointment is treated as a clash with its "
                  "own Google event.  (a) POST /api/bookings/%lld/reschedule "
                  "{\"start\":\"%s\"} (booked with A %lld at %s) -> status "
                  "%ld, practitioner %ld (expected 200 with A: without a "
                  "calendar A keeps it; here the patient is silently moved "
                  "to B); (b) POST /api/bookings/%lld/reschedule {\"start\":"
                  "\"%s\",\"practitioner_id\":%lld} -> %ld %.300s (expected "
                  "200).  availability(exclude = the booking) leaves the "
                  "booking out of the database's busy times but not out of "
                  "freeBusy, which reports its own event as busy",
                  (long long)b1.id, s2, (long long)cg_pa, s1, r1->status, p1,
                  (long long)b2.id, s4, (long long)cg_pa, r2->status,
                  r2->body);
    it_free(r1);
    it_free(r2);
    cg_event_id(b1.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", cg_ts(s2), 10);
    if (!ev) {
        json_t *st = cg_state();

        ck_abort_msg("the event did not move to %s: outbox %s, events %s, "
                     "requests %.3000s", s2, cg_outbox(b1.id),
                     cg_dump(json_object_get(st, "events")),
                     cg_dump(json_object_get(st, "requests")));
    }
    json_decref(ev);
    cg_booking_free(&b1);
    cg_booking_free(&b2);
    free(s1);
    free(s2);
    free(s3);
    free(s4);
}
END_TEST

/* (4) A move to another practitioner: the event leaves A's calendar
 * (delete) and appears in B's, under the booking's next event id. */
START_TEST(cal_event_move_other_calendar)
{
    char *s1, *s2, eid[33], eid1[33], body[160];
    cg_booking b;
    json_t *ev, *st;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_MOVE_AB, cg_pa, "12:00:00");
    s2 = cg_pick(D_MOVE_AB, cg_pb, "16:00:00");
    b = cg_book(cg_pa, s1, "Cross Over");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s2, (long long)cg_pb);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "reschedule to B: status %ld, body %s",
                  r->status, r->body);
    it_free(r);
    cg_event_id_gen(b.id, 1, eid1);
    ev = cg_wait_event(CG_CAL_B, eid1, "confirmed", cg_ts(s2), 10);
    ck_assert_msg(ev != NULL, "no event %s in B's calendar", eid1);
    json_decref(ev);
    ev = cg_wait_event(CG_CAL_A, eid, "cancelled", 0, 10);
    st = cg_state();
    ck_assert_msg(ev != NULL, "the event was not deleted from A's calendar: "
                  "%s", cg_dump(json_object_get(st, "events")));
    ck_assert_msg(!strcmp(cg_str(cg_find_event(st, CG_CAL_B, eid1),
                                 "summary"), CG_SERVICE " - Cross Over"),
                  "summary in B");
    json_decref(st);
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    cg_booking_free(&b);
    free(s1);
    free(s2);
}
END_TEST

/* (4) Moved to B and back to A: a confirmed event in A's calendar at the
 * final time.  Google keeps a deleted event's id (an insert answers 409,
 * an update of the deleted event 410), so each move to another
 * practitioner takes the booking's next event id (generation 1 in B,
 * 2 back in A). */
START_TEST(cal_event_move_back)
{
    char *s1, *s2, *s3, eid[33], eid1[33], eid2[33], body[160], *ob;
    cg_booking b;
    json_t *ev, *st;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_MOVE_BACK, cg_pa, "09:00:00");
    s2 = cg_pick(D_MOVE_BACK, cg_pb, "12:00:00");
    s3 = cg_pick(D_MOVE_BACK, cg_pa, "16:00:00");
    b = cg_book(cg_pa, s1, "Back Again");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s2, (long long)cg_pb);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "move to B: %ld %s", r->status, r->body);
    it_free(r);
    ck_assert_msg(cg_outbox_done(b.id, 10), "outbox not done after the move "
                  "to B");
    cg_event_id_gen(b.id, 1, eid1);
    cg_event_id_gen(b.id, 2, eid2);
    ev = cg_wait_event(CG_CAL_B, eid1, "confirmed", cg_ts(s2), 5);
    ck_assert_msg(ev != NULL, "no event in B");
    json_decref(ev);
    snprintf(body, sizeof(body), "{\"start\":\"%s\",\"practitioner_id\":"
             "%lld}", s3, (long long)cg_pa);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200, "move back to A: %ld %s", r->status,
                  r->body);
    it_free(r);
    ev = cg_wait_event(CG_CAL_A, eid2, "confirmed", cg_ts(s3), 10);
    if (!ev) {
        st = cg_state();
        ob = cg_outbox(b.id);
        ck_abort_msg("booking %lld moved A -> B -> A (POST "
                     "/api/bookings/%lld/reschedule twice, both 200) has no "
                     "confirmed event %s in A's calendar at %s.  Outbox "
                     "rows|pending|attempts"
                     "|errors: %s.  Events %s; requests %.2500s",
                     (long long)b.id, (long long)b.id, eid2, s3, ob,
                     cg_dump(json_object_get(st, "events")),
                     cg_dump(json_object_get(st, "requests")));
    }
    json_decref(ev);
    ev = cg_wait_event(CG_CAL_B, eid1, "cancelled", 0, 10);
    ck_assert_msg(ev != NULL, "the event was not removed from B");
    json_decref(ev);
    cg_booking_free(&b);
    free(s1);
    free(s2);
    free(s3);
}
END_TEST

/* (4) Cancelled before the calendar thread got to it: no event is left
 * behind (the change is computed from the booking as it is now). */
START_TEST(cal_event_cancel_early)
{
    char *s1, eid[33];
    cg_booking b;
    json_t *st, *ev;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_CANCEL_EARLY, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s1, "Quick Change");
    r = cg_manage(&b, "cancel", "{}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    it_free(r);
    cg_event_id(b.id, eid);
    ck_assert_msg(cg_outbox_done(b.id, 10), "outbox not done: %s",
                  cg_outbox(b.id));
    st = cg_state();
    ev = cg_find_event(st, CG_CAL_A, eid);
    ck_assert_msg(!ev || !strcmp(cg_str(ev, "status"), "cancelled"),
                  "a cancelled booking left a confirmed event: %s",
                  cg_dump(json_object_get(st, "events")));
    json_decref(st);
    cg_booking_free(&b);
    free(s1);
}
END_TEST

/* (4) Cancelling deletes the event; a delete of an event already gone
 * (410) counts as done, not as an error. */
START_TEST(cal_event_cancel)
{
    char *s1, eid[33], *o;
    cg_booking b;
    json_t *ev, *st;
    it_resp *r;

    cg_begin();
    s1 = cg_pick(D_CANCEL, cg_pa, "13:00:00");
    b = cg_book(cg_pa, s1, "Can Cel");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after booking");
    json_decref(ev);
    r = cg_manage(&b, "cancel", "{}");
    ck_assert_msg(r->status == 200, "cancel: status %ld, body %s", r->status,
                  r->body);
    it_free(r);
    ev = cg_wait_event(CG_CAL_A, eid, "cancelled", 0, 10);
    ck_assert_msg(ev != NULL, "the event was not deleted after the cancel");
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    st = cg_state();
    ck_assert_msg(cg_count_req(st, "DELETE", eid, 204, 0) == 1, "no single "
                  "DELETE of %s: %.2000s", eid, cg_dump(json_object_get(
                                                    st, "requests")));
    json_decref(st);

    /* The same change again (e.g. a retry after a lost reply): 410. */
    o = it_sql_try(NULL, "INSERT INTO calendar_outbox (booking_id, "
                   "calendar_id, op) VALUES (%lld, '%s', 'sync')",
                   (long long)b.id, CG_CAL_A);
    free(o);
    ck_assert_msg(cg_outbox_done(b.id, 8), "the repeated delete was not "
                  "counted as done: %s", (o = cg_outbox(b.id)));
    st = cg_state();
    ck_assert_msg(cg_count_req(st, "DELETE", eid, 410, 0) == 1, "the fake "
                  "did not answer 410 to a repeated delete: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    json_decref(st);
    o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                   "booking_id = %lld AND last_error IS NOT NULL",
                   (long long)b.id);
    ck_assert_msg(!strcmp(o, "0"), "a 410 on delete left an error");
    free(o);
    cg_booking_free(&b);
    free(s1);
}
END_TEST

/* (5) Google failing the next `count` event calls with status/reason:
 * the booking is made at once, the outbox retries with backoff, and the
 * event arrives exactly once. */
static void cg_outage(int day, const char *hhmm, int status,
                      const char *reason, int count)
{
    char *s, eid[33], *o;
    cg_booking b;
    json_t *ev, *st, *r;
    double first = -1, last = -1, prev = -1, gap_last = 0;
    double t0;
    int n_inj, n_ok, seen_err = 0;
    size_t i;

    cg_begin();
    s = cg_pick(day, cg_pa, hhmm);
    cg_ctlf("/__fail", "{\"status\":%d,\"count\":%d,\"method\":\"POST\","
            "\"path_prefix\":\"" CG_EVENTS "\"%s%s%s}", status, count,
            reason ? ",\"reason\":\"" : "", reason ? reason : "",
            reason ? "\"" : "");
    b = cg_book(cg_pa, s, "Out Age");
    ck_assert_msg(b.secs < 2.0, "the booking waited for Google: %.2f s",
                  b.secs);
    cg_event_id(b.id, eid);

    /* While it fails: the row waits with its error; health counts it. */
    t0 = cg_now();
    while (cg_now() - t0 < 8 && !seen_err) {
        o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                       "booking_id = %lld AND done_at IS NULL AND last_error "
                       "IS NOT NULL AND last_error NOT LIKE 'permanent:%%' "
                       "AND next_at > now()",
                       (long long)b.id);
        seen_err = !strcmp(o, "1");
        free(o);
        if (!seen_err) {
            cg_sleep_ms(100);
        }
    }
    ck_assert_msg(seen_err, "the outbox row never showed a retryable error "
                  "after %d: %s", status, cg_outbox(b.id));

    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 40);
    st = cg_state();
    ck_assert_msg(ev != NULL, "the event did not arrive after %d x %d: "
                  "outbox %s, requests %.3000s", count, status,
                  (o = cg_outbox(b.id)), cg_dump(json_object_get(st,
                                                                 "requests")));
    n_inj = cg_count_req(st, "POST", "/events", status, 1);
    n_ok = cg_count_req(st, "POST", "/events", 200, 0);
    ck_assert_msg(n_inj == count && n_ok == 1, "%d injected %d and %d good "
                  "inserts (expected %d and 1): %.3000s", n_inj, status, n_ok,
                  count, cg_dump(json_object_get(st, "requests")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1,
                  "duplicate events: %s", cg_dump(json_object_get(st,
                                                                  "events")));
    /* Backoff: the attempts spread out (waits of 0.5-1 s, then 1-2 s,
     * then 2-4 s ..., rounded up to seconds, on a 1 s tick). */
    json_array_foreach(json_object_get(st, "requests"), i, r) {
        const char *m = cg_str(r, "method"), *p = cg_str(r, "path");
        double t = json_real_value(json_object_get(r, "time"));

        if (strcmp(m, "POST") || !strstr(p, "/events")) {
            continue;
        }
        if (first < 0) {
            first = t;
        }
        if (prev >= 0) {
            gap_last = t - prev;
        }
        prev = last = t;
    }
    ck_assert_msg(last - first >= 0.9 * count, "%d retries within %.2f s: "
                  "no backoff", count, last - first);
    if (count >= 3) {
        ck_assert_msg(gap_last >= 1.5, "the last wait was %.2f s: the "
                      "backoff does not grow", gap_last);
    }
    json_decref(st);
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    o = cg_outbox(b.id);
    ck_assert_msg(!strcmp(strrchr(o, '|'), "|"), "the done row kept an "
                  "error: %s", o);
    free(o);
    cg_booking_free(&b);
    free(s);
}

START_TEST(cal_outage_503)
{
    cg_outage(D_503, "09:00:00", 503, NULL, 3);
}
END_TEST

START_TEST(cal_outage_429)
{
    cg_outage(D_429, "09:00:00", 429, NULL, 3);
}
END_TEST

START_TEST(cal_outage_403_rate)
{
    cg_outage(D_403RATE, "09:00:00", 403, "rateLimitExceeded", 2);
}
END_TEST

/* (5) 403 forbidden (no permission on the calendar): not retried
 * quickly; parked for hours as "permanent:"; health shows it. */
START_TEST(cal_outage_403_permission)
{
    char *s, eid[33], *o;
    cg_booking b;
    json_t *st, *h;
    double t0;
    int parked = 0;

    cg_begin();
    s = cg_pick(D_403PERM, cg_pa, "09:00:00");
    cg_state_ok(D_403PERM);
    cg_ctlf("/__fail", "{\"status\":403,\"count\":1,\"reason\":\"forbidden\","
            "\"method\":\"POST\",\"path_prefix\":\"" CG_EVENTS "\"}");
    b = cg_book(cg_pa, s, "Perm Denied");
    ck_assert_msg(b.secs < 2.0, "the booking waited for Google");
    cg_event_id(b.id, eid);
    t0 = cg_now();
    while (cg_now() - t0 < 8 && !parked) {
        o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                       "booking_id = %lld AND done_at IS NULL AND last_error "
                       "LIKE 'permanent:%%' AND next_at > now() + "
                       "interval '5 hours'", (long long)b.id);
        parked = !strcmp(o, "1");
        free(o);
        if (!parked) {
            cg_sleep_ms(100);
        }
    }
    ck_assert_msg(parked, "a 403 forbidden was not parked as permanent: %s",
                  (o = cg_outbox(b.id)));
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error")
                  && strstr(cg_str(h, "last_error"), "permanent:")
                  && json_integer_value(json_object_get(h, "retrying")) >= 1,
                  "health after a permanent failure: %s", cg_dump(h));
    json_decref(h);
    cg_sleep_ms(3000);
    st = cg_state();
    ck_assert_msg(cg_count_req(st, "POST", "/events", 0, -1) == 1,
                  "a 403 forbidden was retried: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 0,
                  "an event was written");
    json_decref(st);
    o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                   "booking_id = %lld", (long long)b.id);
    free(o);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (5) The insert reached Google but the reply was lost (503 after
 * applying it): the retry uses the same event id (409), updates it, and
 * there is still one event. */
START_TEST(cal_outage_reply_lost)
{
    char *s, eid[33];
    cg_booking b;
    json_t *ev, *st, *r;
    size_t i;
    int posts = 0;

    cg_begin();
    s = cg_pick(D_APPLY, cg_pa, "09:00:00");
    cg_ctlf("/__fail", "{\"status\":503,\"count\":1,\"apply\":true,"
            "\"method\":\"POST\",\"path_prefix\":\"" CG_EVENTS "\"}");
    b = cg_book(cg_pa, s, "Lost Reply");
    cg_event_id(b.id, eid);
    ck_assert_msg(cg_outbox_done(b.id, 15), "outbox not done after a lost "
                  "reply");
    st = cg_state();
    ev = cg_find_event(st, CG_CAL_A, eid);
    ck_assert_msg(ev && !strcmp(cg_str(ev, "status"), "confirmed"),
                  "no event %s: %s", eid, cg_dump(json_object_get(st,
                                                                  "events")));
    ck_assert_msg(json_array_size(cg_events_of(st, CG_CAL_A)) == 1,
                  "duplicate events after a lost reply: %s",
                  cg_dump(json_object_get(st, "events")));
    json_array_foreach(json_object_get(st, "requests"), i, r) {
        if (!strcmp(cg_str(r, "method"), "POST")
            && strstr(cg_str(r, "path"), "/events")) {
            posts++;
            ck_assert_msg(!strcmp(cg_str(r, "event"), eid), "an insert "
                          "carried event id %s, not %s", cg_str(r, "event"),
                          eid);
        }
    }
    ck_assert_msg(posts == 2 && cg_count_req(st, "POST", "/events", 409, 0)
                  == 1, "expected the lost insert and one 409: %.2000s",
                  cg_dump(json_object_get(st, "requests")));
    json_decref(st);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (6) freeBusy hanging longer than ConciergeGoogleTimeout: GET /api/slots
 * answers within about the timeout, using the last busy times seen, and a
 * booking still goes through. */
START_TEST(cal_hang_slots)
{
    char *s10, *s11;
    json_t *sl, *h;
    double secs;
    long long b0, b1;

    cg_begin();
    s10 = cg_pick(D_HANG, cg_pa, "10:00:00");
    s11 = cg_pick(D_HANG, cg_pa, "11:00:00");
    b0 = cg_ts(s10);
    b1 = cg_ts(s11);
    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[{\"start\":"
            "\"%s\",\"end\":\"%s\"}]}", s10, s11);
    sl = cg_slots(D_HANG, cg_pa, 1, NULL);
    ck_assert_msg(cg_noverlap(sl, cg_pa, b0, b1) == 0, "busy not applied");
    json_decref(sl);

    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":1,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    sl = cg_slots(D_HANG, cg_pa, 1, &secs);
    ck_assert_msg(secs < CG_TIMEOUT_MS / 1000.0 + 0.8, "GET /api/slots took "
                  "%.2f s with freeBusy hanging (timeout %d ms)", secs,
                  CG_TIMEOUT_MS);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && json_array_size(
                      json_object_get(sl, "calendar_unavailable")) == 0,
                  "an outage must not hide the practitioner: %.500s",
                  cg_dump(sl));
    ck_assert_msg(cg_noverlap(sl, cg_pa, b0, b1) == 0, "during the outage "
                  "the last known busy times were not used: %.1500s",
                  cg_dump(sl));
    json_decref(sl);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error"), "health during a "
                  "freeBusy outage: %s", cg_dump(h));
    json_decref(h);
    cg_drain_hangs();
    free(s10);
    free(s11);
}
END_TEST

START_TEST(cal_hang_booking)
{
    char *s, eid[33];
    cg_booking b;
    json_t *ev;

    cg_begin();
    s = cg_pick(D_HANG_BOOK, cg_pa, "10:00:00");
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":1,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    b = cg_book(cg_pa, s, "Hang Booking");
    ck_assert_msg(b.secs < CG_TIMEOUT_MS / 1000.0 + 0.8, "the booking took "
                  "%.2f s with freeBusy hanging (timeout %d ms)", b.secs,
                  CG_TIMEOUT_MS);
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event after a booking made during a hang");
    json_decref(ev);
    cg_drain_hangs();
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (6) Every calendar hanging: GET /api/slots of a service with two
 * calendar practitioners must still answer within about the timeout. */
START_TEST(cal_hang_all_calendars)
{
    json_t *sl;
    double secs;

    cg_begin();
    json_decref(cg_slots(D_HANG_ALL, 0, 1, NULL));
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":10,\"path_prefix\":"
            "\"/calendar/v3/freeBusy\"}");
    sl = cg_slots(D_HANG_ALL, 0, 1, &secs);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && cg_nslots(sl, cg_pb) > 0,
                  "practitioners hidden by an outage");
    json_decref(sl);
    cg_drain_hangs();
    ck_assert_msg(secs < CG_TIMEOUT_MS / 1000.0 + 0.8, "GET "
                  "/api/slots took %.2f s with Google hanging, for a service "
                  "with 2 calendar practitioners (ConciergeGoogleTimeout %d "
                  "ms): one freeBusy query per practitioner, one after the "
                  "other, so the wait is the timeout times the number of "
                  "practitioners (freeBusy takes up to 50 calendars in one "
                  "query)", secs, CG_TIMEOUT_MS);
}
END_TEST

typedef struct cg_par {
    int    day;
    double secs;
    long   status;
} cg_par;

static void *cg_par_slots(void *arg)
{
    cg_par *p = arg;
    char path[256];
    double t0 = cg_now();
    it_resp *r;

    snprintf(path, sizeof(path), "/api/slots?service_id=%lld&from=%s&days=1"
             "&practitioner_id=%lld", (long long)cg_service, cg_days[p->day],
             (long long)cg_pa);
    r = it_get(path, NULL);
    p->secs = cg_now() - t0;
    p->status = r->status;
    it_free(r);
    return NULL;
}

/* (6) The token endpoint hanging while several patients look at slots at
 * once: each request is bounded by the timeout, not by the number of
 * requests waiting for the token. */
START_TEST(cal_hang_token_concurrent)
{
    enum { N = 4 };
    pthread_t th[N];
    cg_par par[N];
    double worst = 0;
    int i;

    cg_begin();     /* the module's cached token is now unknown: 401 */
    cg_ctlf("/__hang", "{\"seconds\":2,\"count\":20,\"path_prefix\":"
            "\"/token\"}");
    for (i = 0; i < N; i++) {
        par[i].day = D_HANG_TOKEN;
        par[i].secs = 0;
        par[i].status = 0;
        ck_assert(pthread_create(&th[i], NULL, cg_par_slots, &par[i]) == 0);
    }
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(par[i].status == 200, "slots request %d: status %ld",
                      i, par[i].status);
        if (par[i].secs > worst) {
            worst = par[i].secs;
        }
    }
    cg_drain_hangs();
    ck_assert_msg(worst < 2 * CG_TIMEOUT_MS / 1000.0 + 0.8, "with "
                  "the token endpoint hanging, %d concurrent GET /api/slots "
                  "(one calendar practitioner) took up to %.2f s "
                  "(ConciergeGoogleTimeout %d ms): token() holds the "
                  "process-wide cal_mu during the token HTTP request, so "
                  "every other request (even a cache lookup) waits for it "
                  "and then makes its own timed-out attempt in turn", N,
                  worst, CG_TIMEOUT_MS);
}
END_TEST

/* (7) The access token is cached across requests, refreshed once after a
 * 401, and the fake accepted every JWT (RS256, iss, aud, scope, times). */
START_TEST(cal_token_cache)
{
    char *s, eid[33];
    cg_booking b;
    json_t *st, *sl, *ev;
    json_int_t treq, unauth;
    int i;

    cg_begin();
    for (i = 0; i < 5; i++) {
        json_decref(cg_slots(D_TOKEN, 0, 1, NULL));
    }
    s = cg_pick(D_TOKEN, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "Token Cache");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event");
    json_decref(ev);
    st = cg_state();
    treq = cg_counter(st, "token_requests");
    unauth = cg_counter(st, "unauthorized");
    ck_assert_msg(treq == 1 && cg_counter(st, "tokens_issued") == 1
                  && cg_counter(st, "token_refused") == 0,
                  "token requests %lld (issued %lld, refused %lld) for 7 "
                  "slot queries, a booking and an insert: expected one",
                  (long long)treq, (long long)cg_counter(st, "tokens_issued"),
                  (long long)cg_counter(st, "token_refused"));
    ck_assert_msg(unauth <= 1, "%lld 401s", (long long)unauth);
    ck_assert_msg(cg_count_req(st, "POST", "/calendar/v3/freeBusy", 200, 0)
                  >= 7, "freeBusy not queried on each request (cache 0)");
    json_decref(st);

    /* Every token expires: one 401, one new token, the request works. */
    json_decref(cg_ctl("POST", "/__expire_tokens", "{}"));
    cg_ctlf("/__busy", "{\"calendar\":\"" CG_CAL_A "\",\"busy\":[{\"start\":"
            "\"%s\",\"end\":\"%s\"}]}", s, b.end);
    sl = cg_slots(D_TOKEN, 0, 1, NULL);
    ck_assert_msg(json_array_size(json_object_get(sl, "calendar_unavailable"))
                  == 0, "calendar unavailable after a token refresh: %s",
                  cg_dump(sl));
    json_decref(sl);
    json_decref(cg_slots(D_TOKEN, 0, 1, NULL));
    st = cg_state();
    ck_assert_msg(cg_counter(st, "token_requests") == treq + 1
                  && cg_counter(st, "unauthorized") == unauth + 1,
                  "after expiry: %lld token requests (before %lld), %lld "
                  "401s (before %lld); expected one more of each",
                  (long long)cg_counter(st, "token_requests"),
                  (long long)treq, (long long)cg_counter(st, "unauthorized"),
                  (long long)unauth);
    ck_assert_msg(cg_counter(st, "token_refused") == 0, "a JWT was refused");
    json_decref(st);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* (9) No access token, JWT or private key in the error log; only the
 * calendar's own warnings. */
static void cg_log_checks(void)
{
    static const char *const allowed[] = { "CC01404", "CC01405", NULL };
    char *log = it_log_read(), *bad;

    ck_assert_msg(!strstr(log, "ya29"), "an access token is in the error "
                  "log:\n%.3000s", log);
    ck_assert_msg(!strstr(log, "eyJ"), "a JWT is in the error log:\n%.3000s",
                  log);
    ck_assert_msg(!strstr(log, "PRIVATE KEY") && !strstr(log, "MII"),
                  "key material is in the error log:\n%.3000s", log);
    ck_assert_msg(!strstr(log, "exit signal"), "a child crashed:\n%.3000s",
                  log);
    free(log);
    bad = it_log_unexpected(allowed);
    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}

START_TEST(cal_log_clean)
{
    cg_log_checks();
}
END_TEST

/* A graceful restart (log rotation does one) while the calendar thread
 * is busy with a slow Google: the old child exits cleanly.  Four changes
 * are queued and each event call hangs past ConciergeGoogleTimeout, so
 * the thread is inside one tick for about four seconds when the child
 * is told to go. */
START_TEST(cal_graceful_restart)
{
    char *s, eid[33], *o, *log;
    cg_booking b;
    json_t *ev, *st;
    double t0;
    int hung = 0, crashed = 0;

    cg_begin();
    s = cg_pick(D_RESTART, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "Restart Test");
    cg_event_id(b.id, eid);
    ev = cg_wait_event(CG_CAL_A, eid, "confirmed", 0, 10);
    ck_assert_msg(ev != NULL, "no event");
    json_decref(ev);
    ck_assert_msg(cg_outbox_done(b.id, 5), "outbox not done");
    cg_ctlf("/__hang", "{\"seconds\":3,\"count\":8,\"path_prefix\":\""
            CG_EVENTS "\"}");
    o = it_sql_try(NULL, "INSERT INTO calendar_outbox (booking_id, "
                   "calendar_id, op) SELECT %lld, '%s', 'sync' FROM "
                   "generate_series(1, 4)",
                   (long long)b.id, CG_CAL_A);
    free(o);
    for (t0 = cg_now(); cg_now() - t0 < 5 && !hung;) {
        st = cg_state();
        hung = cg_counter(st, "hung") > 0;
        json_decref(st);
        if (!hung) {
            cg_sleep_ms(100);
        }
    }
    ck_assert_msg(hung, "the calendar thread did not call Google");
    ck_assert_msg(it_sh("scripts/httpd.sh graceful >/dev/null 2>&1") == 0,
                  "httpd.sh graceful failed");
    for (t0 = cg_now(); cg_now() - t0 < 10 && !crashed;) {
        log = it_log_read();
        crashed = strstr(log, "exit signal") != NULL;
        free(log);
        if (!crashed) {
            cg_sleep_ms(250);
        }
    }
    log = it_log_read();
    if (strstr(log, "exit signal")) {
        char *line = strstr(log, "exit signal"), *eol;

        while (line > log && line[-1] != '\n') {
            line--;
        }
        eol = strchr(line, '\n');
        if (eol) {
            *eol = '\0';
        }
        memmove(log, line, strlen(line) + 1);
    }
    o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                   "booking_id = %lld", (long long)b.id);
    free(o);
    ck_assert_msg(!crashed, "a graceful restart while the "
                  "calendar thread waits for Google kills the old child "
                  "with SIGSEGV (%.300s).  mc_calendar_child_init and "
                  "mc_booking_child_init stop their threads in ordinary "
                  "cleanups of the child pool; APR destroys a pool's "
                  "subpools (mod_dbd's connection pool among them) before "
                  "it runs its cleanups, and cal_child_exit blocks in "
                  "apr_thread_join until the calendar thread's tick ends, "
                  "so the booking sweeper (every 200 ms) and the calendar "
                  "thread keep calling ap_dbd_open on freed memory (core: "
                  "sweeper -> ap_dbd_open -> apr_dbd_check_conn).  The "
                  "same happens on every stop of a host with calendar "
                  "sync.  Threads using mod_dbd must be stopped in "
                  "apr_pool_pre_cleanup_register cleanups", log);
    free(log);
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* ---- group: calendar_badkey (the fake knows another public key) -------- */

START_TEST(badkey_token_refused)
{
    char *s, *o;
    cg_booking b;
    json_t *sl, *st, *h;

    cg_begin();
    sl = cg_slots(D_BADKEY, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0, "no slots while the token is "
                  "refused (an outage, not an unknown calendar): %.500s",
                  cg_dump(sl));
    json_decref(sl);
    s = cg_pick(D_BADKEY, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "Bad Key");
    ck_assert_msg(b.secs < 2.0, "the booking took %.2f s", b.secs);
    cg_sleep_ms(3000);
    st = cg_state();
    ck_assert_msg(cg_counter(st, "token_refused") >= 1
                  && cg_counter(st, "tokens_issued") == 0,
                  "the fake issued a token for a key it does not know: %s",
                  cg_dump(json_object_get(st, "counters")));
    ck_assert_msg(json_object_size(json_object_get(st, "events")) == 0
                  || (json_array_size(cg_events_of(st, CG_CAL_A)) == 0
                      && json_array_size(cg_events_of(st, CG_CAL_B)) == 0),
                  "an event was written: %s",
                  cg_dump(json_object_get(st, "events")));
    json_decref(st);
    o = it_sql_try(NULL, "SELECT count(*) FROM calendar_outbox WHERE "
                   "booking_id = %lld AND done_at IS NULL AND last_error IS "
                   "NOT NULL",
                   (long long)b.id);
    ck_assert_msg(!strcmp(o, "1"), "the change is not waiting with an "
                  "error: %s", cg_outbox(b.id));
    free(o);
    h = cg_health();
    ck_assert_msg(!strcmp(cg_str(h, "status"), "error")
                  && strstr(cg_str(h, "last_error"), "token"),
                  "health does not show the token error: %s", cg_dump(h));
    json_decref(h);
    o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                   "booking_id = %lld", (long long)b.id);
    free(o);
    cg_booking_free(&b);
    free(s);
}
END_TEST

START_TEST(badkey_log_clean)
{
    cg_log_checks();
}
END_TEST

/* ---- group: calendar_off (no key file) --------------------------------- */

START_TEST(off_health)
{
    json_t *h = cg_health();

    ck_assert_msg(json_is_false(json_object_get(h, "configured"))
                  && !strcmp(cg_str(h, "status"), "not_configured"),
                  "health without a calendar: %s", cg_dump(h));
    ck_assert_msg(json_object_get(h, "service_account") == NULL,
                  "a service account without a key: %s", cg_dump(h));
    json_decref(h);
}
END_TEST

START_TEST(off_booking)
{
    json_t *sl;
    char *s;
    cg_booking b;

    sl = cg_slots(D_OFF, 0, 1, NULL);
    ck_assert_msg(cg_nslots(sl, cg_pa) > 0 && json_array_size(
                      json_object_get(sl, "calendar_unavailable")) == 0,
                  "a practitioner with a calendar id but no calendar sync is "
                  "not offered: %.500s", cg_dump(sl));
    json_decref(sl);
    s = cg_pick(D_OFF, cg_pa, "10:00:00");
    b = cg_book(cg_pa, s, "No Calendar");
    cg_booking_free(&b);
    free(s);
}
END_TEST

/* The control for cal_event_move_overlapping_own: without a calendar, a
 * move overlapping only the booking's own time is allowed and keeps the
 * practitioner. */
START_TEST(off_move_overlapping_own)
{
    char *s1, *s2, body[128];
    cg_booking b;
    it_resp *r;

    s1 = cg_pick(D_OFF_MOVE, cg_pa, "11:00:00");
    s2 = cg_pick(D_OFF_MOVE, cg_pa, "11:15:00");
    b = cg_book(cg_pa, s1, "Own Overlap Control");
    snprintf(body, sizeof(body), "{\"start\":\"%s\"}", s2);
    r = cg_manage(&b, "reschedule", body);
    ck_assert_msg(r->status == 200 && json_integer_value(json_object_get(
                      json_object_get(r->json, "booking"),
                      "practitioner_id")) == cg_pa,
                  "move by 15 minutes without a calendar: %ld %s",
                  r->status, r->body);
    it_free(r);
    cg_booking_free(&b);
    free(s1);
    free(s2);
}
END_TEST

/* A key file that is not a usable service-account key stops httpd at
 * start-up (CC01402), without its contents in the log. */
START_TEST(off_bad_key_file)
{
    char var2[400], conf[500], key[500], *port, *log;
    FILE *f;
    int rc;

    snprintf(var2, sizeof(var2), "%s/calbadkey", it_var);
    snprintf(conf, sizeof(conf), "%s/extra.conf", var2);
    snprintf(key, sizeof(key), "%s/bad-sa.json", var2);
    ck_assert(it_sh("mkdir -p '%s/httpd' && ln -sfn '%s/pg' '%s/pg'", var2,
                    it_var, var2) == 0);
    f = fopen(key, "w");
    ck_assert(f != NULL);
    fputs("{\"type\":\"service_account\",\"client_email\":\"" CG_EMAIL "\","
          "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq"
          "hkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcanaryKeyData\\n-----END "
          "PRIVATE KEY-----\\n\",\"token_uri\":\"http://127.0.0.1:9/token\"}",
          f);
    fclose(f);
    f = fopen(conf, "w");
    ck_assert(f != NULL);
    fprintf(f, "ConciergeGoogleKeyFile %s\n", key);
    fclose(f);
    port = it_sh_out("bash -c '. scripts/env.sh && free_port'");
    rc = it_sh("CC_VAR='%s' CC_PORT=%d CC_EXTRA_CONF='%s' CC_SERVERS=1 "
               "CC_THREADS=4 scripts/httpd.sh start >/dev/null 2>&1", var2,
               (int)strtol(port, NULL, 10), conf);
    if (rc == 0) {
        it_sh("CC_VAR='%s' scripts/httpd.sh stop >/dev/null 2>&1", var2);
    }
    free(port);
    snprintf(conf, sizeof(conf), "%s/httpd/error.log", var2);
    f = fopen(conf, "r");
    log = calloc(1, 65536);
    if (f) {
        size_t n = fread(log, 1, 65535, f);

        log[n] = '\0';
        fclose(f);
    }
    ck_assert_msg(rc != 0, "httpd started with an unusable key file");
    ck_assert_msg(strstr(log, "ConciergeGoogleKeyFile") != NULL, "the error "
                  "log does not name ConciergeGoogleKeyFile:\n%.2000s", log);
    ck_assert_msg(!strstr(log, "canaryKeyData") && !strstr(log, "MIIEv"),
                  "key material is in the error log:\n%.2000s", log);
    free(log);
}
END_TEST

START_TEST(off_log_clean)
{
    static const char *const allowed[] = { NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

/* ---- fixtures -------------------------------------------------------------- */

/* Keys (once per run): ours, and another one for the fake of the
 * bad-key group. */
static void cg_make_keys(void)
{
    if (cg_keys_made) {
        return;
    }
    snprintf(cg_dir, sizeof(cg_dir), "%s/calendar", it_var);
    if (it_sh("mkdir -p '%s' && chmod 700 '%s' && cd '%s' && "
              "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
              "-out sa.pem 2>/dev/null && openssl pkey -in sa.pem -pubout "
              "-out sa.pub && openssl genpkey -algorithm RSA -pkeyopt "
              "rsa_keygen_bits:2048 -out other.pem 2>/dev/null && "
              "openssl pkey -in other.pem -pubout -out other.pub",
              cg_dir, cg_dir, cg_dir) != 0) {
        fprintf(stderr, "test_calendar: openssl could not make the keys\n");
        return;
    }
    cg_keys_made = 1;
}

/* The service-account JSON the module reads, for the fake on port. */
static void cg_write_sa(const char *path, int port)
{
    char pem[600], url[128];
    FILE *f;
    char *key = NULL;
    size_t cap = 0, n;
    json_t *sa;

    snprintf(pem, sizeof(pem), "%s/sa.pem", cg_dir);
    f = fopen(pem, "r");
    if (f) {
        n = 0;
        key = malloc(cap = 16384);
        n = fread(key, 1, cap - 1, f);
        key[n] = '\0';
        fclose(f);
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", port);
    sa = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type",
                   "service_account", "project_id", "concierge-it",
                   "private_key_id", "0123456789abcdef", "private_key",
                   key ? key : "", "client_email", CG_EMAIL, "token_uri",
                   url);
    json_dump_file(sa, path, JSON_INDENT(2));
    chmod(path, 0600);
    json_decref(sa);
    if (key) {
        memset(key, 0, cap);
    }
    free(key);
}

static void cg_fake_start(const char *group, const char *pub)
{
    char portfile[512], cportfile[512], logfile[512], fake[1200],
         pubpath[600];
    const char *top = getenv("CC_TOP");
    const char *argv[] = { "python3", fake, "--port", "0", "--portfile",
                           portfile, "--control-port", "0",
                           "--control-portfile", cportfile, "--pubkey",
                           pubpath, "--client-email", CG_EMAIL, NULL };
    const char *files[] = { portfile, cportfile, NULL };
    int ports[2] = { 0, 0 };

    snprintf(fake, sizeof(fake), "%s/tests/fakes/fake_google.py",
             top ? top : ".");
    snprintf(portfile, sizeof(portfile), "%s/fake_google.port", it_var);
    snprintf(cportfile, sizeof(cportfile), "%s/fake_google.cport", it_var);
    snprintf(logfile, sizeof(logfile), "%s/fake_google_%s.log", it_var,
             group);
    snprintf(pubpath, sizeof(pubpath), "%s/%s", cg_dir, pub);
    cg_pid = it_fake_spawn(argv, logfile, files, ports);
    cg_port = cg_pid > 0 ? ports[0] : 0;
    cg_cport = cg_pid > 0 ? ports[1] : 0;
    if (cg_port <= 0 || cg_cport <= 0) {
        fprintf(stderr, "test_calendar: the fake Google did not start; see "
                "%s\n", logfile);
    }
}

/* An admin request from a fixture (no assertions: the parent process);
 * the reply JSON (own reference) or NULL. */
static json_t *cg_admin(const char *method, const char *path,
                        const char *fmt, ...)
{
    va_list ap;
    char *body = NULL;
    it_resp *r;
    json_t *j = NULL;

    va_start(ap, fmt);
    if (vasprintf(&body, fmt, ap) < 0) {
        body = NULL;
    }
    va_end(ap);
    r = it_req(method, path, IT_ADMIN, "application/json", body, -1, NULL);
    if (r->status == 200 || r->status == 201) {
        j = json_incref(r->json);
    }
    else {
        fprintf(stderr, "test_calendar: %s %s: status %ld, body %.300s\n",
                method, path, r->status, r->body);
    }
    it_free(r);
    free(body);
    return j;
}

/* Our service, practitioners A and B (calendars CG_CAL_A/B, every day
 * 08:00-20:00), settings that let us book and move freely, and the days
 * we book on.  Created once; re-activated by later groups. */
static void cg_clinic(void)
{
    static const char hours[] =
        "{\"hours\":[{\"weekday\":0,\"start\":\"08:00\",\"end\":\"20:00\"},"
        "{\"weekday\":1,\"start\":\"08:00\",\"end\":\"20:00\"},"
        "{\"weekday\":2,\"start\":\"08:00\",\"end\":\"20:00\"},"
        "{\"weekday\":3,\"start\":\"08:00\",\"end\":\"20:00\"},"
        "{\"weekday\":4,\"start\":\"08:00\",\"end\":\"20:00\"},"
        "{\"weekday\":5,\"start\":\"08:00\",\"end\":\"20:00\"},"
        "{\"weekday\":6,\"start\":\"08:00\",\"end\":\"20:00\"}]}";
    char path[128], *days, *tok, *save = NULL;
    json_t *j;
    int i;

    if (!cg_saved_settings) {
        it_resp *r = it_get("/api/admin/settings", IT_ADMIN);
        json_t *keep = json_deep_copy(r->json);

        if (r->status == 200 && json_is_object(keep)) {
            json_object_del(keep, "id");
            json_object_del(keep, "updated_at");
            cg_saved_settings = json_dumps(keep, JSON_COMPACT);
        }
        json_decref(keep);
        it_free(r);
    }
    json_decref(cg_admin("PUT", "/api/admin/settings", "{\"min_notice_min\":"
                         "0,\"horizon_days\":365,\"slot_step_min\":15,"
                         "\"reschedule_cutoff_min\":0,\"cancel_cutoff_min\":"
                         "0,\"max_reschedules\":20}"));
    if (!cg_service) {
        j = cg_admin("POST", "/api/admin/services", "{\"name\":\"" CG_SERVICE
                     "\",\"duration_min\":30,\"price_cents\":0,"
                     "\"requires_payment\":false}");
        cg_service = j ? json_integer_value(json_object_get(j, "id")) : 0;
        json_decref(j);
        j = cg_admin("POST", "/api/admin/practitioners", "{\"name\":"
                     "\"Calendar Practitioner A\",\"service_ids\":[%lld],"
                     "\"calendar_id\":\"" CG_CAL_A "\"}",
                     (long long)cg_service);
        cg_pa = j ? json_integer_value(json_object_get(j, "id")) : 0;
        json_decref(j);
        j = cg_admin("POST", "/api/admin/practitioners", "{\"name\":"
                     "\"Calendar Practitioner B\",\"service_ids\":[%lld]}",
                     (long long)cg_service);
        cg_pb = j ? json_integer_value(json_object_get(j, "id")) : 0;
        json_decref(j);
        /* B's calendar through PUT, as an admin would add it later. */
        snprintf(path, sizeof(path), "/api/admin/practitioners/%lld",
                 (long long)cg_pb);
        json_decref(cg_admin("PUT", path, "{\"calendar_id\":\"" CG_CAL_B
                             "\"}"));
        for (i = 0; i < 2; i++) {
            snprintf(path, sizeof(path), "/api/admin/practitioners/%lld/hours",
                     (long long)(i ? cg_pb : cg_pa));
            json_decref(cg_admin("PUT", path, "%s", hours));
        }
        days = it_sql_try(NULL, "SELECT string_agg(to_char(d, "
                          "'YYYY-MM-DD'), ' ' ORDER BY d) FROM "
                          "generate_series((now() AT TIME ZONE '" CG_TZ
                          "')::date + 4, (now() AT TIME ZONE '" CG_TZ
                          "')::date + 120, interval '1 day') d WHERE NOT "
                          "EXISTS (SELECT 1 FROM schedule_exceptions e "
                          "WHERE e.day = d::date)");
        for (i = 0, tok = strtok_r(days, " ", &save);
             tok && i < (int)(sizeof(cg_days) / sizeof(cg_days[0]));
             tok = strtok_r(NULL, " ", &save), i++) {
            snprintf(cg_days[i], sizeof(cg_days[i]), "%s", tok);
        }
        free(days);
    }
    else {
        snprintf(path, sizeof(path), "/api/admin/services/%lld",
                 (long long)cg_service);
        json_decref(cg_admin("PUT", path, "{\"active\":true}"));
        for (i = 0; i < 2; i++) {
            snprintf(path, sizeof(path), "/api/admin/practitioners/%lld",
                     (long long)(i ? cg_pb : cg_pa));
            json_decref(cg_admin("PUT", path, "{\"active\":true}"));
        }
    }
    if (!cg_service || !cg_pa || !cg_pb) {
        fprintf(stderr, "test_calendar: the clinic could not be set up\n");
    }
}

/* Leave the shared database as other suites expect it: our service and
 * practitioners inactive, the settings as they were. */
static void cg_clinic_leave(void)
{
    char path[128];
    int i;

    if (cg_service) {
        snprintf(path, sizeof(path), "/api/admin/services/%lld",
                 (long long)cg_service);
        json_decref(cg_admin("PUT", path, "{\"active\":false}"));
        for (i = 0; i < 2; i++) {
            snprintf(path, sizeof(path), "/api/admin/practitioners/%lld",
                     (long long)(i ? cg_pb : cg_pa));
            json_decref(cg_admin("PUT", path, "{\"active\":false}"));
        }
    }
    if (cg_saved_settings) {
        json_decref(cg_admin("PUT", "/api/admin/settings", "%s",
                             cg_saved_settings));
    }
    /* Our calendar changes are not other hosts' business. */
    free(it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                    "done_at IS NULL AND calendar_id IN ('" CG_CAL_A "', '"
                    CG_CAL_B "')"));
}

static void cg_httpd(int with_calendar)
{
    char extra[2048], sa[700];
    int n;

    n = snprintf(extra, sizeof(extra),
                 "ConciergeRateLimit booking 100000/sec\n"
                 "ConciergeRateLimit browse 100000/sec\n"
                 "ConciergeRateLimit admin 100000/sec\n"
                 "ConciergeSecret " CG_SECRET "\n");
    if (with_calendar) {
        snprintf(sa, sizeof(sa), "%s/service-account.json", cg_dir);
        cg_write_sa(sa, cg_port > 0 ? cg_port : 9);
        snprintf(extra + n, sizeof(extra) - (size_t)n,
                 "ConciergeGoogleKeyFile %s\n"
                 "ConciergeGoogleTokenURL http://127.0.0.1:%d/token\n"
                 "ConciergeGoogleAPIBase http://127.0.0.1:%d/calendar/v3\n"
                 "ConciergeFreeBusyCache 0\n"
                 "ConciergeGoogleTimeout %d\n", sa, cg_port > 0 ? cg_port : 9,
                 cg_port > 0 ? cg_port : 9, CG_TIMEOUT_MS);
    }
    /* Changes earlier suites queued for calendars are not ours to send. */
    free(it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now() WHERE "
                    "done_at IS NULL"));
    it_httpd_start(extra, 1, 16);
    cg_clinic();
}

static void cal_setup(void)
{
    cg_make_keys();
    cg_fake_start("calendar", "sa.pub");
    cg_httpd(1);
}

static void badkey_setup(void)
{
    cg_make_keys();
    cg_fake_start("badkey", "other.pub");
    cg_httpd(1);
}

static void off_setup(void)
{
    cg_httpd(0);
}

static void cg_teardown(void)
{
    cg_clinic_leave();
    it_httpd_stop();
    it_fake_stop(&cg_pid);
    cg_port = cg_cport = 0;
}

Suite *it_suite_calendar(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("calendar");
    TCase *bad = tcase_create("calendar_badkey");
    TCase *off = tcase_create("calendar_off");

    tcase_add_unchecked_fixture(tc, cal_setup, cg_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, cal_health_configured);
    tcase_add_test(tc, cal_busy_removed);
    tcase_add_test(tc, cal_calendar_error);
    tcase_add_test(tc, cal_event_insert);
    tcase_add_test(tc, cal_event_move);
    tcase_add_test(tc, cal_event_move_overlapping_own);
    tcase_add_test(tc, cal_event_move_other_calendar);
    tcase_add_test(tc, cal_event_move_back);
    tcase_add_test(tc, cal_event_cancel);
    tcase_add_test(tc, cal_event_cancel_early);
    tcase_add_test(tc, cal_outage_503);
    tcase_add_test(tc, cal_outage_429);
    tcase_add_test(tc, cal_outage_403_rate);
    tcase_add_test(tc, cal_outage_403_permission);
    tcase_add_test(tc, cal_outage_reply_lost);
    tcase_add_test(tc, cal_hang_slots);
    tcase_add_test(tc, cal_hang_booking);
    tcase_add_test(tc, cal_hang_all_calendars);
    tcase_add_test(tc, cal_hang_token_concurrent);
    tcase_add_test(tc, cal_token_cache);
    tcase_add_test(tc, cal_log_clean);
    tcase_add_test(tc, cal_graceful_restart);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(bad, badkey_setup, cg_teardown);
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, badkey_token_refused);
    tcase_add_test(bad, badkey_log_clean);
    suite_add_tcase(s, bad);

    tcase_add_unchecked_fixture(off, off_setup, cg_teardown);
    tcase_set_timeout(off, 60);
    tcase_add_test(off, off_health);
    tcase_add_test(off, off_booking);
    tcase_add_test(off, off_move_overlapping_own);
    tcase_add_test(off, off_bad_key_file);
    tcase_add_test(off, off_log_clean);
    suite_add_tcase(s, off);
    return s;
}

/*
 * calendar.c - the calendar tests' shared helpers and fixtures; see
 * calendar.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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
#include "calendar.h"

pid_t cg_pid = -1;
int cg_port, cg_cport;           /* fake API / control ports */
char cg_dir[400];                /* keys, service-account file */
int cg_keys_made;
char cg_days[D_NDAYS + 8][16];   /* YYYY-MM-DD, no exceptions */
json_int_t cg_service, cg_pa, cg_pb;
char *cg_saved_settings;         /* restored by each teardown */

/* ---- small helpers ----------------------------------------------------- */

double cg_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cg_sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

char *cg_dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    return s ? s : strdup("(null)");
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS(Z|+HH:MM|-HH:MM)". */
long long cg_ts(const char *s)
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

json_t *cg_ctl(const char *method, const char *path, const char *body)
{
    ck_assert_msg(cg_cport > 0, "the fake Google did not start (see "
                  "%s/fake_google_*.log)", it_var);
    return it_fake_ctl(cg_cport, method, path, body);
}

void cg_ctlf(const char *path, const char *fmt, ...)
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

json_t *cg_state(void)
{
    return cg_ctl("GET", "/__state", NULL);
}

json_int_t cg_counter(json_t *st, const char *name)
{
    return json_integer_value(json_object_get(json_object_get(st,
                                                              "counters"),
                                              name));
}

/* The events of one calendar in a state (borrowed; an empty array when
 * none). */
json_t *cg_events_of(json_t *st, const char *cal)
{
    static json_t *none;
    json_t *a = json_object_get(json_object_get(st, "events"), cal);

    if (!none) {
        none = json_array();
    }
    return a ? a : none;
}

json_t *cg_find_event(json_t *st, const char *cal, const char *eid)
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
int cg_count_req(json_t *st, const char *method, const char *part,
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
json_t *cg_wait_event(const char *cal, const char *eid,
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
void cg_begin(void)
{
    char *o = it_sql_try(NULL, "UPDATE calendar_outbox SET done_at = now(), "
                         "locked_until = NULL WHERE done_at IS NULL");

    free(o);
    json_decref(cg_ctl("POST", "/__reset", "{}"));
}

/* ---- the module's side --------------------------------------------------- */

json_t *cg_health(void)
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

const char *cg_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* GET /api/slots for our service on cg_days[day] (pract 0: everyone),
 * asserted 200; *secs how long it took (may be NULL). */
json_t *cg_slots(int day, json_int_t pract, int days, double *secs)
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
const char *cg_slot_at(json_t *slots, json_int_t pract,
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

int cg_nslots(json_t *slots, json_int_t pract)
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
int cg_noverlap(json_t *slots, json_int_t pract, long long from,
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

int cg_listed(json_t *arr, json_int_t id)
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
char *cg_pick(int day, json_int_t pract, const char *hhmmss)
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


/* POST /api/bookings, asserted 201. */
cg_booking cg_book(json_int_t pract, const char *start,
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

void cg_booking_free(cg_booking *b)
{
    free(b->token);
    free(b->start);
    free(b->end);
}

/* POST /api/bookings/{id}/<what> with the manage token; the reply. */
it_resp *cg_manage(const cg_booking *b, const char *what,
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
void cg_event_id_gen(json_int_t booking, int gen, char out[33])
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

void cg_event_id(json_int_t booking, char out[33])
{
    cg_event_id_gen(booking, 0, out);
}

/* The outbox rows of a booking: "<rows>|<pending>|<max attempts>|
 * <last errors>" (malloc'd). */
char *cg_outbox(json_int_t booking)
{
    return it_sql_try(NULL, "SELECT count(*) || '|' || count(*) FILTER (WHERE "
                      "done_at IS NULL) || '|' || coalesce(max(attempts), 0) "
                      "|| '|' || coalesce(string_agg(last_error, ';'), '') "
                      "FROM calendar_outbox WHERE booking_id = %lld",
                      (long long)booking);
}

/* Wait until every outbox row of the booking is done (or secs pass). */
int cg_outbox_done(json_int_t booking, double secs)
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
void cg_state_ok(int day)
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
void cg_drain_hangs(void)
{
    cg_sleep_ms(2300);
}

/* (9) No access token, JWT or private key in the error log; only the
 * calendar's own warnings. */
void cg_log_checks(void)
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

/* ---- fixtures -------------------------------------------------------------- */

/* Keys (once per run): ours, and another one for the fake of the
 * bad-key group. */
void cg_make_keys(void)
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
void cg_write_sa(const char *path, int port)
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

void cg_fake_start(const char *group, const char *pub)
{
    char portfile[512], cportfile[512], logfile[512], fake[1200],
         pubpath[600];
    const char *top = getenv("CC_TOP");
    const char *argv[] = { "python3", fake, "--port", "0", "--portfile",
                           portfile, "--control-port", "0",
                           "--control-portfile", cportfile, "--pubkey",
                           pubpath, "--client-email", CG_EMAIL, "--shared",
                           CG_CAL_A "," CG_CAL_B, NULL };
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
json_t *cg_admin(const char *method, const char *path,
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
void cg_clinic(void)
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
void cg_clinic_leave(void)
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

static void cg_httpd_only(int with_calendar);

void cg_httpd(int with_calendar)
{
    cg_httpd_only(with_calendar);
    cg_clinic();
}

void cg_httpd_restart(int with_calendar)
{
    it_httpd_stop();
    cg_httpd_only(with_calendar);
}

static void cg_httpd_only(int with_calendar)
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
    /* A test's own settings on top (cg_httpd_restart). */
    if (getenv("CG_EXTRA_CONF")) {
        n = (int)strlen(extra);
        snprintf(extra + n, sizeof(extra) - (size_t)n, "%s",
                 getenv("CG_EXTRA_CONF"));
    }
    it_httpd_start(extra, 1, 16);
}

void cg_teardown(void)
{
    cg_clinic_leave();
    it_httpd_stop();
    it_fake_stop(&cg_pid);
    cg_port = cg_cport = 0;
}

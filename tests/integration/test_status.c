/*
 * test_status.c - issue 14 on the server side: staff presence ("out of
 * hours, handled honestly") and the headers of the site's pages.
 *
 *   - GET /api/status during and outside hours, with a clinic closure,
 *     an extra opening and no hours at all; its cache lifetime, 405 and
 *     the browse rate limit;
 *   - chat replies (POST and GET /api/chat) carry staff_available and
 *     staff_next_available_at; the holding reply after a risky message
 *     says when the team will next reply out of hours, the usual one in
 *     hours; an emergency's reply is the same at any hour;
 *   - Content-Security-Policy, nosniff, Referrer-Policy and Cache-Control
 *     on what httpd serves outside /api/ (a static file, /, hashed
 *     assets, /widget.js, /embed/ with every ConciergeAllowedOrigin in
 *     frame-ancestors), a 304 and a 404; /api/ answers unchanged; another
 *     site of the same httpd, and a site with ConciergePageHeaders Off,
 *     untouched.
 *
 * The server's clock is not ours to set, so the clinic is arranged around
 * now: for the group, every practitioner but one test practitioner ("ST
 * Desk") is made inactive (and put back by the teardown), and each test
 * gives ST Desk the hours and exceptions it needs, with clinic-wide
 * exceptions (practitioner_id NULL) marked by their note.  Expected
 * instants come from PostgreSQL in Europe/London, the default zone.
 *
 * Hashed assets, /widget.js and /embed/ are the pages engineer's files;
 * here they are stand-ins under the run's folder, mapped with mod_alias,
 * so the headers are tested whatever htdocs holds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "harness.h"
#include "booking.h"
#include "safety.h"

#define ST_NOTE     "it-status"
#define ST_ORIGIN1  "https://www.clinic.example"
#define ST_ORIGIN2  "http://localhost:8081"
#define ST_CSP_BASE \
    "default-src 'self'; script-src 'self'; style-src 'self'; " \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; " \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
/* The local date of now, in the clinic's zone (SQL). */
#define ST_TODAY "(now() AT TIME ZONE 'Europe/London')::date"

/* Set by the unchecked fixture (parent): every forked test sees them. */
static long st_pr;
static char st_saved[8192];     /* ids made inactive, "1,2,3" or "" */
static char st_site[512];       /* stand-ins of the pages' files */

/* ---- the clinic around now ---------------------------------------------- */

/* Every day, all day. */
#define ST_ALWAYS "(0,0,1440),(1,0,1440),(2,0,1440),(3,0,1440),(4,0,1440)," \
                  "(5,0,1440),(6,0,1440)"
/* Closed (clinic-wide) all of today and tomorrow until 09:00. */
#define ST_CLOSED_TILL_9 \
    "(NULL::bigint, " ST_TODAY ", true, 0, 1440), " \
    "(NULL::bigint, " ST_TODAY " + 1, true, 0, 540)"

/* ST Desk's weekly hours become `hours` (VALUES rows "(weekday, start,
 * end)", NULL: none) and this group's exceptions `exceptions` (rows
 * "(practitioner_id or NULL::bigint, day, closed, start, end)", NULL:
 * none); %ld in exceptions is ST Desk's id. */
static void st_clinic(const char *hours, const char *exceptions)
{
    char h[2048] = "", x[4096] = "", rows[2048] = "";

    if (hours) {
        snprintf(h, sizeof(h), "INSERT INTO opening_hours (practitioner_id, "
                 "weekday, start_min, end_min) SELECT %ld, v.w, v.s, v.e "
                 "FROM (VALUES %s) AS v(w, s, e);\n", st_pr, hours);
    }
    if (exceptions) {
        snprintf(rows, sizeof(rows), exceptions, st_pr, st_pr);
        snprintf(x, sizeof(x), "INSERT INTO schedule_exceptions "
                 "(practitioner_id, day, closed, start_min, end_min, note) "
                 "SELECT v.p, v.d, v.c, v.s, v.e, '" ST_NOTE "' FROM (VALUES "
                 "%s) AS v(p, d, c, s, e);\n", rows);
    }
    it_sql_exec("BEGIN;\n"
                "DELETE FROM opening_hours WHERE practitioner_id = %ld;\n"
                "DELETE FROM schedule_exceptions WHERE note = '" ST_NOTE "';\n"
                "%s%sCOMMIT;", st_pr, h, x);
}

/* The instant (UTC seconds) of local day today + days at hh:mm. */
static long long st_local(int days, const char *hhmm)
{
    return it_sql_num("SELECT extract(epoch FROM ((" ST_TODAY " + %d) + "
                      "time '%s') AT TIME ZONE 'Europe/London')::bigint",
                      days, hhmm);
}

/* "Wednesday 9 December" for local day today + days. */
static char *st_day_words(int days)
{
    return it_sql("SELECT to_char(" ST_TODAY " + %d, 'FMDay FMDD FMMonth')",
                  days);
}

/* GET /api/status until it says `available` and, when next is not 0,
 * that instant (each process keeps its answer a few seconds, until the
 * change is pushed to it); asserted within 8 s.  The last reply. */
static it_resp *st_status_wait(int available, long long next)
{
    double until = bk_now() + 8;
    it_resp *r = NULL;

    for (;;) {
        json_t *n;

        if (r) {
            it_free(r);
        }
        r = it_get("/api/status", NULL);
        ck_assert_msg(r->status == 200 && json_is_object(r->json),
                      "GET /api/status: %ld %s", r->status, r->body);
        n = json_object_get(r->json, "staff_next_available_at");
        if (json_is_boolean(json_object_get(r->json, "staff_available"))
            && json_is_true(json_object_get(r->json, "staff_available"))
               == (available != 0)
            && (next ? json_is_string(n)
                       && bk_t(json_string_value(n)) == next
                     : json_is_null(n))) {
            break;
        }
        ck_assert_msg(bk_now() < until, "GET /api/status never said "
                      "available=%d next=%lld: %s", available, next, r->body);
        usleep(100 * 1000);
    }
    /* The other process hears the change at the same moment; a little
     * margin before the chat is asked. */
    usleep(300 * 1000);
    return r;
}

/* max-age of a "public, max-age=N" Cache-Control, or -1. */
static int st_max_age(it_resp *r)
{
    const char *cc = it_header(r, "Cache-Control");
    int n = -1;

    if (!cc || sscanf(cc, "public, max-age=%d", &n) != 1) {
        return -1;
    }
    return n;
}

static it_resp *st_chat(const char *message)
{
    return sf_chat(NULL, message);
}

static void st_assert_staff(it_resp *r, int available, long long next)
{
    json_t *a = json_object_get(r->json, "staff_available");
    json_t *n = json_object_get(r->json, "staff_next_available_at");

    ck_assert_msg(json_is_boolean(a) && json_is_true(a) == (available != 0),
                  "staff_available %d expected: %s", available, r->body);
    if (next) {
        ck_assert_msg(json_is_string(n) && bk_t(json_string_value(n)) == next,
                      "staff_next_available_at %lld expected: %s", next,
                      r->body);
    }
    else {
        ck_assert_msg(json_is_null(n), "staff_next_available_at null "
                      "expected: %s", r->body);
    }
}

/* ---- GET /api/status ------------------------------------------------ */

START_TEST(status_in_hours)
{
    it_resp *r;
    char *name;
    int age;

    st_clinic(ST_ALWAYS, NULL);
    r = st_status_wait(1, 0);
    name = it_sql("SELECT clinic_name FROM clinic_settings WHERE id = 1");
    ck_assert_int_eq(json_object_size(r->json), 5);
    ck_assert_str_eq(jstr(r->json, "clinic_name"), name);
    ck_assert_str_eq(jstr(r->json, "timezone"), "Europe/London");
    ck_assert_str_eq(jstr(r->json, "emergency_number"), "999");
    ck_assert(json_is_null(json_object_get(r->json,
                                           "staff_next_available_at")));
    age = st_max_age(r);
    ck_assert_msg(age >= 0 && age <= 5, "Cache-Control: %s",
                  it_header(r, "Cache-Control"));
    ck_assert_msg(strstr(it_header(r, "Content-Type"), "application/json")
                  && it_header(r, "X-Request-Id"), "%s", r->headers);
    /* An API answer: none of the pages' headers. */
    ck_assert_msg(!it_header(r, "Content-Security-Policy")
                  && !it_header(r, "Referrer-Policy"), "%s", r->headers);
    free(name);
    it_free(r);
}
END_TEST

START_TEST(status_closed_until_tomorrow)
{
    long long nine = st_local(1, "09:00");
    it_resp *r;
    const char *next;

    st_clinic(ST_ALWAYS, ST_CLOSED_TILL_9);
    r = st_status_wait(0, nine);
    next = jstr(r->json, "staff_next_available_at");
    /* RFC 3339 with London's offset, not Z. */
    ck_assert_msg(strlen(next) == 25
                  && (!strcmp(next + 11, "09:00:00+00:00")
                      || !strcmp(next + 11, "09:00:00+01:00")),
                  "next: %s", next);
    ck_assert_int_le(st_max_age(r), 5);
    ck_assert_int_ge(st_max_age(r), 0);
    it_free(r);
}
END_TEST

START_TEST(status_extra_opening)
{
    /* No weekly hours; ST Desk opens on the day after tomorrow only. */
    st_clinic(NULL, "(%ld, " ST_TODAY " + 2, false, 600, 720)");
    it_free(st_status_wait(0, st_local(2, "10:00")));
    /* A clinic-wide holiday that day wins over the opening. */
    st_clinic(NULL, "(%ld, " ST_TODAY " + 2, false, 600, 720), "
                    "(NULL::bigint, " ST_TODAY " + 2, true, 0, 1440)");
    it_free(st_status_wait(0, 0));
}
END_TEST

START_TEST(status_no_hours)
{
    st_clinic(NULL, NULL);
    it_free(st_status_wait(0, 0));
}
END_TEST

START_TEST(status_refusals)
{
    it_resp *r = it_req("POST", "/api/status", NULL, "application/json",
                        "{}", -1, NULL);
    int i, limited = 0;

    it_assert_error(r, 405, "method_not_allowed");
    ck_assert_msg(it_header(r, "Allow") && strstr(it_header(r, "Allow"),
                                                 "GET"), "%s", r->headers);
    it_free(r);
    r = it_get("/api/status?x=1", NULL);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    /* The browse class: 120 a minute per client by default. */
    it_source_ip = "127.0.0.77";
    for (i = 0; i < 130 && !limited; i++) {
        r = it_get("/api/status", NULL);
        if (r->status == 429) {
            limited = 1;
            it_assert_error(r, 429, "rate_limited");
            ck_assert(it_header(r, "Retry-After") != NULL);
        }
        else {
            ck_assert_int_eq(r->status, 200);
        }
        it_free(r);
    }
    it_source_ip = NULL;
    ck_assert_msg(limited && i > 100, "no 429 after %d requests", i);
}
END_TEST

/* ---- chat ----------------------------------------------------------- */

START_TEST(chat_fields_in_hours)
{
    it_resp *r, *g;
    char hdr[200];
    const char *hs[2] = { hdr, NULL };

    st_clinic(ST_ALWAYS, NULL);
    it_free(st_status_wait(1, 0));
    r = st_chat(SF_M_PARK);
    st_assert_staff(r, 1, 0);
    snprintf(hdr, sizeof(hdr), "X-Chat-Token: %s", jstr(r->json,
                                                        "session_id"));
    g = it_req("GET", "/api/chat", NULL, NULL, NULL, -1, hs);
    ck_assert_msg(g->status == 200, "GET /api/chat: %ld %s", g->status,
                  g->body);
    st_assert_staff(g, 1, 0);
    it_free(g);
    it_free(r);
    /* A risky message in hours: the usual holding reply. */
    r = st_chat(SF_M_PREG);
    ck_assert_str_eq(jstr(r->json, "status"), "escalated");
    ck_assert_msg(strstr(jstr(r->json, "reply"), "usually within 15 "
                         "minutes") && strstr(jstr(r->json, "reply"),
                                              SF_HOLDING),
                  "%s", r->body);
    ck_assert(!strstr(jstr(r->json, "reply"), "away"));
    st_assert_staff(r, 1, 0);
    it_free(r);
}
END_TEST

START_TEST(chat_holding_out_of_hours)
{
    long long nine = st_local(1, "09:00");
    char *day = st_day_words(1), want[200], hdr[200];
    const char *hs[2] = { hdr, NULL };
    it_resp *r, *g;
    const char *reply;

    st_clinic(ST_ALWAYS, ST_CLOSED_TILL_9);
    it_free(st_status_wait(0, nine));
    r = st_chat(SF_M_PREG2);
    reply = jstr(r->json, "reply");
    snprintf(want, sizeof(want), "Our team is away now; they will reply "
             "here on %s at 09:00.", day);
    ck_assert_str_eq(jstr(r->json, "status"), "escalated");
    ck_assert_msg(strstr(reply, want), "\"%s\" not in: %s", want, reply);
    ck_assert_msg(!strstr(reply, "usually within"), "%s", reply);
    ck_assert_msg(strstr(reply, SF_HOLDING), "%s", reply);
    st_assert_staff(r, 0, nine);
    /* The stored conversation holds the same words, and GET says the
     * same about staff. */
    snprintf(hdr, sizeof(hdr), "X-Chat-Token: %s", jstr(r->json,
                                                        "session_id"));
    g = it_req("GET", "/api/chat", NULL, NULL, NULL, -1, hs);
    ck_assert_msg(g->status == 200 && strstr(g->body, want), "GET: %ld %s",
                  g->status, g->body);
    st_assert_staff(g, 0, nine);
    it_free(g);
    it_free(r);
    /* An ordinary answer carries the fields too. */
    r = st_chat(SF_M_PARK2);
    st_assert_staff(r, 0, nine);
    it_free(r);
    free(day);
}
END_TEST

START_TEST(chat_emergency_unchanged_out_of_hours)
{
    long long nine = st_local(1, "09:00");
    it_resp *r;
    const char *reply;
    json_t *act;

    st_clinic(ST_ALWAYS, ST_CLOSED_TILL_9);
    it_free(st_status_wait(0, nine));
    r = st_chat(SF_M_EMERG1);
    reply = jstr(r->json, "reply");
    ck_assert_str_eq(jstr(r->json, "status"), "emergency");
    /* The instruction first, word for word as at any hour. */
    {
        static const char first[] = "If this is an emergency, please call "
            "999 now or go to your nearest A&E - don't wait for a reply "
            "here. ";

        ck_assert_msg(!strncmp(reply, first, sizeof(first) - 1), "%s",
                      reply);
    }
    ck_assert_msg(!strstr(reply, "away"), "%s", reply);
    act = json_array_get(json_object_get(r->json, "actions"), 0);
    ck_assert_str_eq(jstr(act, "type"), "call_emergency");
    ck_assert_str_eq(jstr(act, "number"), "999");
    st_assert_staff(r, 0, nine);
    it_free(r);
}
END_TEST

/* No hours at all: the holding reply cannot name a time, and does not
 * promise minutes either. */
START_TEST(chat_holding_nobody_ahead)
{
    it_resp *r;
    const char *reply;

    st_clinic(NULL, NULL);
    it_free(st_status_wait(0, 0));
    r = st_chat(SF_M_PREG3);
    reply = jstr(r->json, "reply");
    ck_assert_msg(strstr(reply, "Our team is away now; they will reply here "
                         "as soon as they are back.")
                  && !strstr(reply, "usually within"), "%s", reply);
    st_assert_staff(r, 0, 0);
    it_free(r);
}
END_TEST

/* ---- the pages' headers --------------------------------------------- */

/* How many times header `name` is in r (case-insensitive). */
static int st_count(it_resp *r, const char *name)
{
    const char *p = r->headers;
    size_t nl = strlen(name);
    int n = 0;

    while (p && *p) {
        n += !strncasecmp(p, name, nl) && p[nl] == ':';
        p = strstr(p, "\r\n");
        p = p ? p + 2 : NULL;
    }
    return n;
}

static void st_assert_page_headers(it_resp *r, const char *csp,
                                   const char *cache)
{
    const char *got = it_header(r, "Content-Security-Policy");

    /* Once each: a subrequest (the index file) adds no second copy. */
    ck_assert_msg(st_count(r, "Content-Security-Policy") == 1
                  && st_count(r, "Referrer-Policy") == 1
                  && st_count(r, "X-Content-Type-Options") == 1
                  && st_count(r, "Cache-Control") <= 1, "%s", r->headers);

    ck_assert_msg(got && !strcmp(got, csp), "CSP: %s\nwanted: %s",
                  got ? got : "(none)", csp);
    ck_assert_msg(!strstr(got, "unsafe-inline"), "%s", got);
    ck_assert_msg(it_header(r, "X-Content-Type-Options")
                  && !strcmp(it_header(r, "X-Content-Type-Options"),
                             "nosniff"), "%s", r->headers);
    ck_assert_msg(it_header(r, "Referrer-Policy")
                  && !strcmp(it_header(r, "Referrer-Policy"), "no-referrer"),
                  "%s", r->headers);
    if (cache) {
        ck_assert_msg(it_header(r, "Cache-Control")
                      && !strcmp(it_header(r, "Cache-Control"), cache),
                      "Cache-Control %s wanted: %s", cache, r->headers);
    }
    else {
        ck_assert_msg(!it_header(r, "Cache-Control"), "no Cache-Control "
                      "wanted: %s", r->headers);
    }
}

START_TEST(headers_static_file)
{
    char inm[200];
    const char *hs[2] = { inm, NULL };
    it_resp *r = it_get("/bench-static.txt", NULL);
    it_resp *c;

    ck_assert_int_eq(r->status, 200);
    st_assert_page_headers(r, ST_CSP_BASE, "no-cache");
    ck_assert_msg(it_header(r, "ETag"), "no ETag: %s", r->headers);
    /* Revalidation: 304, still no-cache, the same ETag. */
    snprintf(inm, sizeof(inm), "If-None-Match: %s", it_header(r, "ETag"));
    c = it_req("GET", "/bench-static.txt", NULL, NULL, NULL, -1, hs);
    ck_assert_int_eq(c->status, 304);
    ck_assert_str_eq(it_header(c, "Cache-Control"), "no-cache");
    ck_assert_str_eq(it_header(c, "ETag"), it_header(r, "ETag"));
    it_free(c);
    it_free(r);
}
END_TEST

START_TEST(headers_index_page)
{
    it_resp *r = it_get("/", NULL);

    ck_assert_int_eq(r->status, 200);
    ck_assert_msg(strstr(it_header(r, "Content-Type"), "text/html"), "%s",
                  r->headers);
    st_assert_page_headers(r, ST_CSP_BASE, "no-cache");
    ck_assert(it_header(r, "ETag") != NULL);
    it_free(r);
}
END_TEST

START_TEST(headers_assets_and_widget)
{
    it_resp *r = it_get("/assets/app-1a2b3c4d.js", NULL);

    ck_assert_int_eq(r->status, 200);
    st_assert_page_headers(r, ST_CSP_BASE,
                           "public, max-age=31536000, immutable");
    it_free(r);
    /* A missing asset is not cached for a year, and still has the
     * security headers (httpd's own error page). */
    r = it_get("/assets/gone-00000000.js", NULL);
    ck_assert_int_eq(r->status, 404);
    st_assert_page_headers(r, ST_CSP_BASE, NULL);
    it_free(r);
    r = it_get("/widget.js", NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_msg(strstr(it_header(r, "Content-Type"), "javascript"), "%s",
                  r->headers);
    st_assert_page_headers(r, ST_CSP_BASE, "no-cache");
    it_free(r);
}
END_TEST

START_TEST(headers_embed_frame_ancestors)
{
    static const char *const paths[] = { "/embed/", "/embed/index.html" };
    size_t i;

    for (i = 0; i < 2; i++) {
        it_resp *r = it_get(paths[i], NULL);

        ck_assert_msg(r->status == 200, "%s: %ld", paths[i], r->status);
        /* Every ConciergeAllowedOrigin, sorted. */
        st_assert_page_headers(r, ST_CSP_BASE " " ST_ORIGIN2 " " ST_ORIGIN1,
                               "no-cache");
        it_free(r);
    }
}
END_TEST

START_TEST(headers_api_unchanged)
{
    static const char *const paths[] = { "/api/health", "/api/nope",
                                         "/api/admin/me" };
    size_t i;

    for (i = 0; i < 3; i++) {
        it_resp *r = it_get(paths[i], NULL);

        ck_assert_msg(!it_header(r, "Content-Security-Policy")
                      && !it_header(r, "Referrer-Policy"),
                      "%s: %s", paths[i], r->headers);
        ck_assert_msg(it_header(r, "Cache-Control")
                      && !strcmp(it_header(r, "Cache-Control"), "no-store"),
                      "%s: %s", paths[i], r->headers);
        ck_assert_msg(strstr(it_header(r, "Content-Type"),
                             "application/json"), "%s: %s", paths[i],
                      r->headers);
        it_free(r);
    }
}
END_TEST

/* Another site of the same httpd is not touched; a concierge site with
 * ConciergePageHeaders Off neither. */
START_TEST(headers_other_sites)
{
    static const char *const clinic[] = { "Host: clinic.test", NULL };
    static const char *const other[] = { "Host: other.test", NULL };
    static const char *const quiet[] = { "Host: quiet.test", NULL };
    char extra[2000];
    it_resp *r;
    char *bad;

    snprintf(extra, sizeof(extra),
             "<VirtualHost 127.0.0.1:${CC_PORT}>\n"
             " ServerName clinic.test\n"
             " Include \"${CC_TOP}/conf/vhost.conf\"\n"
             "</VirtualHost>\n"
             "<VirtualHost 127.0.0.1:${CC_PORT}>\n"
             " ServerName other.test\n"
             "</VirtualHost>\n"
             "<VirtualHost 127.0.0.1:${CC_PORT}>\n"
             " ServerName quiet.test\n"
             " Include \"${CC_TOP}/conf/vhost.conf\"\n"
             " ConciergePageHeaders Off\n"
             "</VirtualHost>\n");
    setenv("CC_SCOPED", "1", 1);
    it_httpd2_start(extra, 1, 8);
    unsetenv("CC_SCOPED");

    r = it_req_at(it_port2, "GET", "/bench-static.txt", NULL, NULL, NULL, -1,
                  clinic);
    ck_assert_int_eq(r->status, 200);
    st_assert_page_headers(r, ST_CSP_BASE, "no-cache");
    it_free(r);
    r = it_req_at(it_port2, "GET", "/bench-static.txt", NULL, NULL, NULL, -1,
                  other);
    ck_assert_int_eq(r->status, 200);
    ck_assert_msg(!it_header(r, "Content-Security-Policy")
                  && !it_header(r, "Referrer-Policy")
                  && !it_header(r, "Cache-Control"), "other site: %s",
                  r->headers);
    it_free(r);
    r = it_req_at(it_port2, "GET", "/", NULL, NULL, NULL, -1, quiet);
    ck_assert_int_eq(r->status, 200);
    ck_assert_msg(!it_header(r, "Content-Security-Policy")
                  && !it_header(r, "Cache-Control"), "ConciergePageHeaders "
                  "Off: %s", r->headers);
    it_free(r);
    /* The API of the quiet site is there as ever. */
    r = it_req_at(it_port2, "GET", "/api/health", NULL, NULL, NULL, -1,
                  quiet);
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    bad = it_log2_unexpected(NULL);
    ck_assert_msg(bad == NULL, "second httpd's log: %.3000s", bad);
    it_httpd2_stop();
}
END_TEST

START_TEST(status_log_clean)
{
    /* An emergency escalation is a warning (CC01101); 429s are logged at
     * info; nothing else.  No patient's words at any level. */
    static const char *const allowed[] = { "CC01101", NULL };
    static const char *const words[] = { SF_M_PREG, SF_M_PREG2, SF_M_PREG3,
                                         SF_M_EMERG1, SF_M_PARK, SF_M_PARK2,
                                         NULL };
    char *bad = it_log_unexpected(allowed);
    char *log = it_log_read();
    int i;

    ck_assert_msg(bad == NULL, "unexpected log lines: %.3000s", bad);
    for (i = 0; words[i]; i++) {
        ck_assert_msg(!log || !strstr(log, words[i]), "\"%s\" is in the "
                      "error log", words[i]);
    }
    free(log);
}
END_TEST

/* ---- the group ----------------------------------------------------------- */

static void st_setup(void)
{
    char extra[4000], *ids;

    /* Everyone but ST Desk steps away for the group. */
    ids = it_sql("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') "
                 "FROM practitioners WHERE active AND name <> 'ST Desk'");
    snprintf(st_saved, sizeof(st_saved), "%s", ids);
    free(ids);
    if (st_saved[0]) {
        it_sql_exec("UPDATE practitioners SET active = false WHERE id IN "
                    "(%s)", st_saved);
    }
    st_pr = it_sql_num("INSERT INTO practitioners (name) VALUES ('ST Desk') "
                       "RETURNING id");
    /* Stand-ins of the pages' files. */
    snprintf(st_site, sizeof(st_site), "%s/status-site", it_var);
    ck_assert_int_eq(it_sh("mkdir -p '%s/assets' '%s/embed' && "
                           "echo 'console.log(1);' > "
                           "'%s/assets/app-1a2b3c4d.js' && "
                           "echo 'console.log(2);' > '%s/widget.js' && "
                           "printf '<!doctype html><title>e</title>\\n' > "
                           "'%s/embed/index.html'", st_site, st_site,
                           st_site, st_site, st_site), 0);
    snprintf(extra, sizeof(extra),
             "LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n"
             "Alias /assets/ \"%s/assets/\"\n"
             "Alias /widget.js \"%s/widget.js\"\n"
             "Alias /embed/ \"%s/embed/\"\n"
             "<Directory \"%s\">\n Require all granted\n</Directory>\n"
             "ConciergeAllowedOrigin " ST_ORIGIN1 " " ST_ORIGIN2 "\n"
             "ConciergeRateLimit chat 100000/min\n"
             "LogLevel warn concierge:debug\n",
             st_site, st_site, st_site, st_site);
    it_httpd_start(extra, 2, 8);
}

static void st_teardown(void)
{
    it_httpd_stop();
    it_sql_exec("DELETE FROM schedule_exceptions WHERE note = '" ST_NOTE
                "';\nDELETE FROM practitioners WHERE id = %ld;", st_pr);
    if (st_saved[0]) {
        it_sql_exec("UPDATE practitioners SET active = true WHERE id IN "
                    "(%s)", st_saved);
    }
}

Suite *it_suite_status(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");

    tcase_add_unchecked_fixture(tc, st_setup, st_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, status_in_hours);
    tcase_add_test(tc, status_closed_until_tomorrow);
    tcase_add_test(tc, status_extra_opening);
    tcase_add_test(tc, status_no_hours);
    tcase_add_test(tc, status_refusals);
    tcase_add_test(tc, chat_fields_in_hours);
    tcase_add_test(tc, chat_holding_out_of_hours);
    tcase_add_test(tc, chat_emergency_unchanged_out_of_hours);
    tcase_add_test(tc, chat_holding_nobody_ahead);
    tcase_add_test(tc, headers_static_file);
    tcase_add_test(tc, headers_index_page);
    tcase_add_test(tc, headers_assets_and_widget);
    tcase_add_test(tc, headers_embed_frame_ancestors);
    tcase_add_test(tc, headers_api_unchanged);
    tcase_add_test(tc, headers_other_sites);
    tcase_add_test(tc, status_log_clean);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * payments.c - helpers and fixture of the payment tests (payments.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "booking.h"
#include "payments.h"

int py_port, py_cport;
long py_svc, py_pract;
static int py_sport;                    /* the signer */
static pid_t py_fake_pid = -1, py_sign_pid = -1;
static int py_seq;
static char py_days[PY_NDAYS][11];

const char *py_day(int n)
{
    ck_assert_msg(n >= 0 && n < PY_NDAYS && py_days[n][0], "py_day(%d)", n);
    return py_days[n];
}

/* The suite's days: from the day after tomorrow, without a closure of
 * the whole clinic or of PY Dana as the suite starts (suites before it
 * add clinic closures on days of their own). */
static void choose_days(void)
{
    char *out, *line, *save = NULL;
    int n = 0;

    out = it_sql_try(NULL, "SELECT to_char(d, 'YYYY-MM-DD') FROM "
                     "generate_series((now() AT TIME ZONE 'Europe/London')"
                     "::date + 2, (now() AT TIME ZONE 'Europe/London')::date "
                     "+ 80, interval '1 day') d WHERE NOT EXISTS (SELECT 1 "
                     "FROM schedule_exceptions e WHERE e.day = d::date AND "
                     "(e.practitioner_id IS NULL OR e.practitioner_id = %ld))"
                     " ORDER BY d LIMIT %d", py_pract, PY_NDAYS);
    for (line = strtok_r(out, "\n", &save); line && n < PY_NDAYS;
         line = strtok_r(NULL, "\n", &save)) {
        if (strlen(line) == 10) {
            snprintf(py_days[n++], 11, "%s", line);
        }
    }
    free(out);
    if (n != PY_NDAYS) {
        fprintf(stderr, "test_payments: could not choose test days\n");
        exit(2);
    }
}

/* ---- fixture ------------------------------------------------------------ */

void py_httpd(const char *extra)
{
    char *conf;

    if (asprintf(&conf,
                 "ConciergeSecret " PY_SECRET "\n"
                 "LogLevel warn concierge:debug\n"
                 "ConciergeRateLimit booking 100000/sec\n"
                 "ConciergeRateLimit browse 100000/sec\n"
                 "ConciergeRateLimit payment 100000/sec\n"
                 "ConciergeRateLimit admin 100000/sec\n"
                 "ConciergeRateLimit chat 100000/sec\n"
                 "ConciergeStripeSecretKey " PY_KEY "\n"
                 "ConciergeStripeWebhookSecret " PY_WHSEC_A "\n"
                 "ConciergeStripeWebhookSecret " PY_WHSEC_B "\n"
                 "ConciergeStripeAPIBase http://127.0.0.1:%d\n"
                 "ConciergePublicURL http://127.0.0.1:%d/\n"
                 "ConciergeStripeTimeout 1500\n%s",
                 py_port, it_port, extra ? extra : "") < 0) {
        abort();
    }
    it_httpd_start(conf, 1, 16);
    free(conf);
}

void py_setup(void)
{
    char portfile[512], cportfile[512], sportfile[512], logfile[512],
         slog[512], fake[1100], signer[1100];
    const char *top = getenv("CC_TOP");
    const char *argv[] = { "python3", fake, "--port", "0", "--portfile",
                           portfile, "--control-port", "0",
                           "--control-portfile", cportfile, "--secret-key",
                           PY_KEY, NULL };
    const char *sargv[] = { "node", signer, "--serve", "--portfile",
                            sportfile, NULL };
    const char *files[] = { portfile, cportfile, NULL };
    const char *sfiles[] = { sportfile, NULL };
    int ports[2] = { 0, 0 }, sports[1] = { 0 };
    char *out;

    bk_data_setup();
    snprintf(fake, sizeof(fake), "%s/tests/fakes/fake_stripe.py",
             top ? top : ".");
    snprintf(signer, sizeof(signer), "%s/tests/node/stripe_sign.js",
             top ? top : ".");
    snprintf(portfile, sizeof(portfile), "%s/fake_stripe.port", it_var);
    snprintf(cportfile, sizeof(cportfile), "%s/fake_stripe.cport", it_var);
    snprintf(sportfile, sizeof(sportfile), "%s/stripe_sign.port", it_var);
    snprintf(logfile, sizeof(logfile), "%s/fake_stripe.log", it_var);
    snprintf(slog, sizeof(slog), "%s/stripe_sign.log", it_var);
    py_fake_pid = it_fake_spawn(argv, logfile, files, ports);
    py_port = py_fake_pid > 0 ? ports[0] : 0;
    py_cport = py_fake_pid > 0 ? ports[1] : 0;
    py_sign_pid = it_fake_spawn(sargv, slog, sfiles, sports);
    py_sport = py_sign_pid > 0 ? sports[0] : 0;
    if (py_port <= 0 || py_sport <= 0) {
        fprintf(stderr, "test_payments: the fake Stripe or the signer did "
                "not start; see %s and %s\n", logfile, slog);
    }
    out = it_sql_try(NULL,
        "BEGIN;\n"
        "INSERT INTO practitioners (name) SELECT 'PY Dana' WHERE NOT EXISTS "
        "(SELECT 1 FROM practitioners WHERE name = 'PY Dana');\n"
        "INSERT INTO services (name, aliases, duration_min, price_cents, "
        "currency, requires_payment) SELECT 'PY Radiance facial', "
        "'radiance facial', 30, %d, 'GBP', true WHERE NOT EXISTS (SELECT 1 "
        "FROM services WHERE name = 'PY Radiance facial');\n"
        "INSERT INTO practitioner_services SELECT p.id, s.id FROM "
        "practitioners p, services s WHERE p.name = 'PY Dana' AND s.name = "
        "'PY Radiance facial' ON CONFLICT DO NOTHING;\n"
        "INSERT INTO opening_hours (practitioner_id, weekday, start_min, "
        "end_min) SELECT p.id, d, 420, 1260 FROM practitioners p, "
        "generate_series(0, 6) d WHERE p.name = 'PY Dana' AND NOT EXISTS "
        "(SELECT 1 FROM opening_hours h WHERE h.practitioner_id = p.id);\n"
        "COMMIT;", PY_PRICE);
    free(out);
    out = it_sql_try(NULL, "SELECT id FROM practitioners WHERE name = "
                     "'PY Dana'");
    py_pract = strtol(out, NULL, 10);
    free(out);
    out = it_sql_try(NULL, "SELECT id FROM services WHERE name = "
                     "'PY Radiance facial'");
    py_svc = strtol(out, NULL, 10);
    free(out);
    choose_days();
    bk_settings_parent(BK_SETTINGS);
    py_httpd(NULL);
}

void py_teardown(void)
{
    it_httpd_stop();
    it_fake_stop(&py_fake_pid);
    it_fake_stop(&py_sign_pid);
    bk_settings_parent(BK_SEED_SETTINGS);
}

json_t *py_ctl(const char *method, const char *path, const char *body)
{
    return it_fake_ctl(py_cport, method, path, body);
}

void py_fake_reset(void)
{
    json_decref(py_ctl("POST", "/clear_failures", "{}"));
}

/* ---- patient ------------------------------------------------------------- */

it_resp *py_book_raw(int day, const char *hhmm, const char *session_id)
{
    char *start = bk_start(py_svc, py_day(day), hhmm, py_pract), *text;
    char name[64], email[96];
    json_t *o;
    it_resp *r;

    py_seq++;
    snprintf(name, sizeof(name), "Bkcanary Payer %d-%d", (int)getpid(),
             py_seq);
    snprintf(email, sizeof(email), "bkcanary.payer.%d.%d@example.org",
             (int)getpid(), py_seq);
    o = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}", "service_id",
                  (json_int_t)py_svc, "start", start, "practitioner_id",
                  (json_int_t)py_pract, "patient", "name", name, "email",
                  email);
    if (session_id) {
        json_object_set_new(o, "session_id", json_string(session_id));
    }
    text = json_dumps(o, JSON_COMPACT);
    r = it_req("POST", "/api/bookings", NULL, "application/json", text, -1,
               NULL);
    json_decref(o);
    free(text);
    free(start);
    return r;
}

/* The session id at the end of the fake's pay URL. */
static void session_of(const char *url, char out[128])
{
    const char *s = url ? strrchr(url, '/') : NULL;

    snprintf(out, 128, "%s", s ? s + 1 : "");
}

py_booking py_book(int day, const char *hhmm)
{
    py_booking b;
    it_resp *r = py_book_raw(day, hhmm, NULL);
    json_t *pay;

    memset(&b, 0, sizeof(b));
    ck_assert_msg(r->status == 201, "booking: %ld %s", r->status, r->body);
    b.reply = json_incref(r->json);
    b.id = (long)json_integer_value(json_object_get(r->json, "id"));
    snprintf(b.token, sizeof(b.token), "%s",
             json_string_value(json_object_get(r->json, "manage_token")));
    pay = json_object_get(r->json, "payment");
    if (json_is_string(json_object_get(pay, "url"))) {
        b.payment_id = (long)json_integer_value(json_object_get(
            pay, "payment_id"));
        snprintf(b.url, sizeof(b.url), "%s",
                 json_string_value(json_object_get(pay, "url")));
        session_of(b.url, b.session);
    }
    it_free(r);
    return b;
}

void py_booking_free(py_booking *b)
{
    json_decref(b->reply);
    b->reply = NULL;
}

it_resp *py_pay(long booking, const char *token)
{
    char body[64], hdr[200];
    const char *hdrs[2] = { hdr, NULL };

    snprintf(body, sizeof(body), "{\"booking_id\":%ld}", booking);
    snprintf(hdr, sizeof(hdr), "X-Manage-Token: %s", token ? token : "");
    return it_req("POST", "/api/payments", NULL, "application/json", body,
                  -1, token ? hdrs : NULL);
}

/* ---- Stripe ------------------------------------------------------------- */

char *py_event(const char *type, const char *which)
{
    char path[512];
    json_t *ev;
    char *text;

    snprintf(path, sizeof(path), "/event?type=%s&%s", type, which);
    ev = py_ctl("GET", path, NULL);
    text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return text;
}

char *py_sign(const char *payload, const char *const *secrets, long ts)
{
    json_t *req = json_pack("{s:s, s:[]}", "payload", payload, "secrets");
    json_t *res;
    char *body, *h;

    for (; *secrets; secrets++) {
        json_array_append_new(json_object_get(req, "secrets"),
                              json_string(*secrets));
    }
    if (ts) {
        json_object_set_new(req, "timestamp", json_integer(ts));
    }
    body = json_dumps(req, JSON_COMPACT);
    res = it_fake_ctl(py_sport, "POST", "/sign", body);
    h = strdup(json_string_value(json_object_get(res, "header")));
    json_decref(res);
    json_decref(req);
    free(body);
    return h;
}

int py_signer_port(void)
{
    return py_sport;
}

it_resp *py_deliver_raw(const char *payload, const char *sig)
{
    char *hdr = NULL;
    const char *hdrs[3] = { NULL, "User-Agent: Stripe/1.0 "
                            "(+https://stripe.com/docs/webhooks)", NULL };
    it_resp *r;

    if (sig && asprintf(&hdr, "Stripe-Signature: %s", sig) < 0) {
        abort();
    }
    hdrs[0] = sig ? hdr : hdrs[1];
    if (!sig) {
        hdrs[1] = NULL;
    }
    r = it_req("POST", "/api/webhooks/stripe", NULL,
               "application/json; charset=utf-8", payload, -1, hdrs);
    free(hdr);
    return r;
}

char *py_deliver(const char *payload)
{
    const char *secrets[] = { PY_WHSEC_A, NULL };
    char *sig = py_sign(payload, secrets, 0), *o;
    it_resp *r = py_deliver_raw(payload, sig);

    ck_assert_msg(r->status == 200, "webhook: %ld %s", r->status, r->body);
    o = strdup(json_string_value(json_object_get(r->json, "outcome")));
    it_free(r);
    free(sig);
    return o;
}

char *py_complete(const char *session, char pi[128])
{
    char path[256], which[200];
    json_t *s;
    char *ev, *o;

    snprintf(path, sizeof(path), "/sessions/%s/pay", session);
    s = py_ctl("POST", path, "{}");
    if (pi) {
        const char *v = json_string_value(json_object_get(s,
                                                          "payment_intent"));

        snprintf(pi, 128, "%s", v ? v : "");
    }
    json_decref(s);
    snprintf(which, sizeof(which), "session=%s", session);
    ev = py_event("checkout.session.completed", which);
    o = py_deliver(ev);
    free(ev);
    return o;
}

json_t *py_requests(const char *prefix)
{
    char path[300];

    snprintf(path, sizeof(path), "/requests?path=%s", prefix);
    return py_ctl("GET", path, NULL);
}

/* ---- the database ------------------------------------------------------- */

char *py_booking_field(long id, const char *col)
{
    return it_sql("SELECT %s FROM bookings WHERE id = %ld", col, id);
}

char *py_payment_field(long id, const char *col)
{
    return it_sql("SELECT %s FROM payments WHERE id = %ld", col, id);
}

int py_wait_sql(int secs, const char *fmt, ...)
{
    va_list ap;
    char *q = NULL;
    int i;

    va_start(ap, fmt);
    if (vasprintf(&q, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    for (i = 0; i < secs * 10; i++) {
        char *v = it_sql_try(NULL, "SELECT (%s)::text", q);
        int ok = !strcmp(v, "true");

        free(v);
        if (ok) {
            free(q);
            return 1;
        }
        usleep(100000);
    }
    free(q);
    return 0;
}

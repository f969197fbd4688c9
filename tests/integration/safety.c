/*
 * safety.c - the safety tests' shared helpers; see safety.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "safety.h"

int sf_wh_port, sf_smtp_port, sf_smtpc_port;

/* ---- small helpers --------------------------------------------------------- */

double sf_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *sf_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int sf_streq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* 1 when the JSON array holds the string s. */
int sf_has_string(json_t *a, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v) {
        if (sf_streq(json_string_value(v), s)) {
            return 1;
        }
    }
    return 0;
}

it_resp *sf_post(const char *path, const char *auth, const char *body)
{
    return it_req("POST", path, auth, "application/json", body, -1, NULL);
}

/* ---- the fakes ------------------------------------------------------------- */

void sf_modes(const char *webhook, const char *smtp)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"mode\":\"%s\"}", webhook);
    json_decref(it_fake_ctl(sf_wh_port, "POST", "/__mode", body));
    snprintf(body, sizeof(body), "{\"mode\":\"%s\"}", smtp);
    json_decref(it_fake_ctl(sf_smtpc_port, "POST", "/__mode", body));
}

/* Webhook deliveries recorded for escalation esc (a new array of the
 * fake's records, in arrival order). */
json_t *sf_wh_for(json_int_t esc)
{
    json_t *s = it_fake_ctl(sf_wh_port, "GET", "/__stats", NULL);
    json_t *out = json_array(), *d;
    size_t i;

    json_array_foreach(json_object_get(s, "deliveries"), i, d) {
        json_t *id = json_object_get(json_object_get(d, "body"),
                                     "escalation_id");

        if (json_is_integer(id) && json_integer_value(id) == esc) {
            json_array_append(out, d);
        }
    }
    json_decref(s);
    return out;
}

int sf_count_status(json_t *deliveries, long status)
{
    size_t i;
    json_t *d;
    int n = 0;

    json_array_foreach(deliveries, i, d) {
        n += json_integer_value(json_object_get(d, "status")) == status;
    }
    return n;
}

/* E-mails about escalation esc (the subject names it "(escalation N)"). */
json_t *sf_mail_for(json_int_t esc)
{
    json_t *s = it_fake_ctl(sf_smtpc_port, "GET", "/__stats", NULL);
    json_t *out = json_array(), *m;
    char tag[64];
    size_t i;

    snprintf(tag, sizeof(tag), "(escalation %lld)", (long long)esc);
    json_array_foreach(json_object_get(s, "messages"), i, m) {
        const char *data = sf_str(m, "data");

        if (data && strstr(data, tag)) {
            json_array_append(out, m);
        }
    }
    json_decref(s);
    return out;
}

/* Wait (up to secs) until escalation esc has at least one accepted webhook
 * delivery and one e-mail. */
void sf_wait_delivered(json_int_t esc, double secs)
{
    double t0 = sf_now();
    int wh = 0, mail = 0;
    char *seen = NULL;

    while (sf_now() - t0 < secs) {
        json_t *d = sf_wh_for(esc), *m = sf_mail_for(esc);

        wh = sf_count_status(d, 200);
        mail = (int)json_array_size(m);
        free(seen);
        seen = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        json_decref(m);
        if (wh > 0 && mail > 0) {
            free(seen);
            return;
        }
        usleep(200 * 1000);
    }
    ck_abort_msg("escalation %lld: after %.0f s, %d accepted webhook "
                 "deliveries and %d e-mails; webhook saw %.1500s",
                 (long long)esc, secs, wh, mail, seen ? seen : "[]");
}

/* The notification must not carry the patient's words. */
void sf_assert_no_words(const char *what, const char *text,
                        const char *const *words)
{
    for (; *words; words++) {
        ck_assert_msg(!strcasestr(text, *words), "%s carries the patient's "
                      "word \"%s\": %.2000s", what, *words, text);
    }
}

/* ---- chats and escalations ------------------------------------------------- */

/* POST /api/chat; asserted 200 with the common reply shape. */
it_resp *sf_chat(const char *session, const char *message)
{
    json_t *b = session ? json_pack("{s:s, s:s}", "session_id", session,
                                    "message", message)
                        : json_pack("{s:s}", "message", message);
    char *js = json_dumps(b, JSON_COMPACT);
    it_resp *r = it_req("POST", "/api/chat", NULL, "application/json", js,
                        -1, NULL);

    free(js);
    json_decref(b);
    ck_assert_msg(r->status == 200, "chat \"%s\": status %ld, body %s",
                  message, r->status, r->body);
    ck_assert_msg(json_is_string(json_object_get(r->json, "session_id"))
                  && json_is_string(json_object_get(r->json, "reply"))
                  && json_is_array(json_object_get(r->json, "sources")),
                  "chat reply shape: %s", r->body);
    return r;
}

/* A risky message in a new conversation: asserted `want` ("escalated" or
 * "emergency") with the holding reply and no sources; returns the
 * escalation id and copies the session id. */
json_int_t sf_escalate(const char *message, const char *want,
                       char *session, size_t sesslen)
{
    it_resp *r = sf_chat(NULL, message);
    json_t *id = json_object_get(r->json, "escalation_id");
    const char *st = sf_str(r->json, "status");
    json_int_t esc;

    ck_assert_msg(sf_streq(st, want), "\"%s\": status %s, expected %s: %s",
                  message, st ? st : "(none)", want, r->body);
    ck_assert_msg(json_is_integer(id) && json_integer_value(id) > 0,
                  "no escalation_id: %s", r->body);
    ck_assert_msg(json_array_size(json_object_get(r->json, "sources")) == 0,
                  "an escalated reply has sources: %s", r->body);
    esc = json_integer_value(id);
    if (session) {
        snprintf(session, sesslen, "%s", sf_str(r->json, "session_id"));
    }
    it_free(r);
    return esc;
}

/* GET /api/admin/escalations/{id} as staff (own reference). */
json_t *sf_esc_get(json_int_t id)
{
    char path[96];
    it_resp *r;
    json_t *o;

    snprintf(path, sizeof(path), "/api/admin/escalations/%lld",
             (long long)id);
    r = it_get(path, IT_STAFF);
    ck_assert_msg(r->status == 200 && json_is_object(r->json),
                  "GET %s: status %ld, body %s", path, r->status, r->body);
    o = json_incref(r->json);
    it_free(r);
    return o;
}

/* GET /api/admin/escalations<query> as staff: the array (own reference). */
json_t *sf_esc_list(const char *query)
{
    char path[160];
    it_resp *r;
    json_t *a;

    /* limit=500: the queue may hold escalations of other suites. */
    snprintf(path, sizeof(path), "/api/admin/escalations?limit=500%s%s",
             *query ? "&" : "", *query == '?' ? query + 1 : query);
    r = it_get(path, IT_STAFF);
    ck_assert_msg(r->status == 200, "GET %s: status %ld, body %s", path,
                  r->status, r->body);
    a = json_object_get(r->json, "escalations");
    ck_assert_msg(json_is_array(a), "GET %s: no escalations array: %s", path,
                  r->body);
    json_incref(a);
    it_free(r);
    return a;
}

/* Index of escalation id in a list, or -1. */
int sf_index_of(json_t *list, json_int_t id)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        if (json_integer_value(json_object_get(e, "id")) == id) {
            return (int)i;
        }
    }
    return -1;
}

/* POST /api/admin/escalations/{id}/<action> */
it_resp *sf_esc_action(json_int_t id, const char *action,
                       const char *auth, const char *body)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/admin/escalations/%lld/%s",
             (long long)id, action);
    return sf_post(path, auth, body ? body : "{}");
}

/* A 200 escalation reply with the given status and assignee. */
void sf_assert_esc(it_resp *r, json_int_t id, const char *status,
                   const char *assignee, const char *what)
{
    ck_assert_msg(r->status == 200, "%s: status %ld, body %s", what,
                  r->status, r->body);
    ck_assert_msg(json_integer_value(json_object_get(r->json, "id")) == id,
                  "%s: another escalation: %s", what, r->body);
    ck_assert_msg(sf_streq(sf_str(r->json, "status"), status), "%s: status "
                  "%s, expected %s", what, sf_str(r->json, "status"), status);
    if (assignee) {
        ck_assert_msg(sf_streq(sf_str(r->json, "assigned_to"), assignee),
                      "%s: assigned_to %s, expected %s", what,
                      sf_str(r->json, "assigned_to"), assignee);
    }
}

void sf_make_staff2(void)
{
    ck_assert_msg(it_sh("echo it-staff2-password-1 | scripts/user.sh "
                        "it-staff2 staff >/dev/null 2>&1") == 0,
                  "scripts/user.sh it-staff2 failed");
}

/* The audit log has `action` on target id (as admin, newest 500). */
int sf_audit_has(const char *action, json_int_t id)
{
    char path[160], target[32];
    it_resp *r;
    size_t i;
    json_t *e;
    int found = 0;

    snprintf(path, sizeof(path), "/api/admin/audit?action=%s&limit=500",
             action);
    snprintf(target, sizeof(target), "%lld", (long long)id);
    r = it_get(path, IT_ADMIN);
    ck_assert_msg(r->status == 200, "GET %s: status %ld, body %s", path,
                  r->status, r->body);
    json_array_foreach(json_object_get(r->json, "entries"), i, e) {
        found |= sf_streq(sf_str(e, "action"), action)
                 && sf_streq(sf_str(e, "target"), target);
    }
    it_free(r);
    return found;
}

/* Rows in a table (superuser SQL; no API side effects). */
long sf_db_count(const char *table)
{
    return it_sql_num("SELECT count(*) FROM %s", table);
}

/* A gauge from GET /api/admin/metrics, or -1 when absent. */
long sf_metric(const char *text, const char *name)
{
    size_t nl = strlen(name);
    const char *p = text;

    while (p && *p) {
        if (!strncmp(p, name, nl) && p[nl] == ' ') {
            return strtol(p + nl + 1, NULL, 10);
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

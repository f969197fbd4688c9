/*
 * test_safety.c - the clinical-safety features end to end: risky and
 * emergency patient messages escalated (holding reply, no knowledge text),
 * the staff queue (list, detail, claim, reply, reassign, resolve, SLA and
 * overdue), signed webhook and e-mail notifications through the outbox
 * (delivered once, retried while the receivers are down), the compliance
 * check and the admin rules API (a rule change takes effect without a
 * restart), the audit trail, and that patients' words never reach the
 * notifications or the error log.
 *
 * Receivers: tests/fakes/fake_webhook.py (checks every signature itself
 * and records valid true/false) and tests/fakes/fake_smtp.py (records each
 * message; HTTP control on a second port), both started by the fixture.
 *
 * The compliance check and the rules API are in test_safety_rules.c (same
 * group); the messages and helpers the two share in safety.c/safety.h.
 *
 * Every test is self-contained (Check forks one process per test, so no
 * state is shared between them): each one makes the escalations it needs
 * and looks deliveries up by escalation id, since the fakes see the
 * notifications of every test of the group.
 *
 * Risk rules come from conf/risk-rules.txt (seeded once per run) and may
 * be tuned by others: the messages (safety.h) are clearly risky (pregnancy,
 * an emergency happening now) or clearly benign.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <pthread.h>
#include <curl/curl.h>
#include "harness.h"
#include "safety.h"

static const char *const sf_patient_texts[] = {
    SF_M_PREG, SF_M_PREG2, SF_M_PREG3, SF_M_PREG4, SF_M_PREG5, SF_M_EMERG1,
    SF_M_EMERG2, SF_M_NEG, SF_M_ALLERGY, SF_M_PARK, SF_M_PARK2,
    SF_STAFF_MSG, "anti-wrinkle", "gone white", "throat is swelling",
    "microneedling", "chemical peel", "cheek filler", "marmalade", NULL
};

static pid_t sf_wh_pid = -1, sf_smtp_pid = -1;

/* ---- tests ------------------------------------------------------------------- */

START_TEST(safety_risky_chat)
{
    it_resp *r = sf_chat(NULL, SF_M_PREG);
    json_t *list, *e, *d, *m, *msgs;
    const char *reply = sf_str(r->json, "reply");
    json_int_t esc;
    size_t i;
    int idx, found_match = 0, patient = 0, bot = 0;

    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "escalated"),
                  "a pregnancy question was not escalated: %s", r->body);
    ck_assert_msg(reply && strstr(reply, SF_HOLDING), "not the holding "
                  "reply: %s", r->body);
    /* No knowledge text: the holding reply only (nothing about the
     * treatment, no price). */
    ck_assert_msg(!strcasestr(reply, "wrinkle") && !strstr(reply, "\xc2\xa3")
                  && !strcasestr(reply, "botulinum"), "knowledge text in the "
                  "holding reply: %s", reply);
    ck_assert_msg(json_is_array(json_object_get(r->json, "sources"))
                  && json_array_size(json_object_get(r->json, "sources"))
                     == 0, "sources in an escalated reply: %s", r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "escalation_id")),
                  "no escalation_id: %s", r->body);
    ck_assert_msg(sf_has_string(json_object_get(json_object_get(
                      r->json, "risk"), "categories"), "pregnancy"),
                  "risk.categories without pregnancy: %s", r->body);
    ck_assert_msg(!json_object_get(r->json, "actions"), "a non-emergency "
                  "has actions: %s", r->body);
    esc = json_integer_value(json_object_get(r->json, "escalation_id"));
    it_free(r);

    /* The queue. */
    list = sf_esc_list("");
    idx = sf_index_of(list, esc);
    ck_assert_msg(idx >= 0, "escalation %lld not in the queue", (long long)esc);
    e = json_array_get(list, idx);
    ck_assert_msg(json_integer_value(json_object_get(e, "priority")) == 2
                  && json_is_false(json_object_get(e, "emergency"))
                  && sf_streq(sf_str(e, "status"), "open")
                  && json_is_null(json_object_get(e, "assigned_to"))
                  && sf_has_string(json_object_get(e, "categories"),
                                   "pregnancy"),
                  "queue entry: %s", json_dumps(e, JSON_COMPACT));
    json_decref(list);

    /* The detail: what matched, and the conversation. */
    d = sf_esc_get(esc);
    ck_assert_msg(json_integer_value(json_object_get(d, "priority")) == 2
                  && sf_streq(sf_str(d, "status"), "open")
                  && sf_streq(sf_str(d, "source"), "message"),
                  "detail: %s", json_dumps(d, JSON_COMPACT));
    json_array_foreach(json_object_get(d, "matches"), i, m) {
        found_match |= sf_streq(sf_str(m, "category"), "pregnancy")
                       && sf_streq(sf_str(m, "text"), "pregnant")
                       && json_is_false(json_object_get(m, "negated"));
    }
    ck_assert_msg(found_match, "no pregnancy match on \"pregnant\": %s",
                  json_dumps(json_object_get(d, "matches"), JSON_COMPACT));
    msgs = json_object_get(d, "messages");
    json_array_foreach(msgs, i, m) {
        if (sf_streq(sf_str(m, "role"), "patient")) {
            patient += sf_streq(sf_str(m, "body"), SF_M_PREG);
        }
        else if (sf_streq(sf_str(m, "role"), "bot")) {
            bot += sf_str(m, "body") && strstr(sf_str(m, "body"), SF_HOLDING)
                   && sf_streq(sf_str(m, "status"), "escalated");
        }
    }
    ck_assert_msg(json_array_size(msgs) == 2 && patient == 1 && bot == 1,
                  "conversation in the escalation: %s",
                  json_dumps(msgs, JSON_COMPACT));
    json_decref(d);
}
END_TEST

START_TEST(safety_notifications)
{
    static const char *const words[] = { "pregnant", "wrinkle", "injections",
                                         "can I have", NULL };
    json_t *wh, *mail, *d, *body, *hdrs, *m;
    char *dump, idtag[64];
    const char *data;
    json_int_t esc;

    sf_modes("ok", "ok");
    esc = sf_escalate(SF_M_PREG, "escalated", NULL, 0);

    sf_wait_delivered(esc, 5);
    usleep(1500 * 1000);        /* time for a duplicate, were there one */

    wh = sf_wh_for(esc);
    ck_assert_msg(json_array_size(wh) == 1, "escalation %lld: %zu webhook "
                  "deliveries, expected 1: %s", (long long)esc,
                  json_array_size(wh), json_dumps(wh, JSON_COMPACT));
    d = json_array_get(wh, 0);
    body = json_object_get(d, "body");
    hdrs = json_object_get(d, "headers");
    ck_assert_msg(json_is_true(json_object_get(d, "valid"))
                  && json_integer_value(json_object_get(d, "status")) == 200,
                  "delivery not valid: %s", json_dumps(d, JSON_COMPACT));
    ck_assert_msg(sf_streq(sf_str(hdrs, "x-concierge-event"),
                           "escalation.created")
                  && sf_str(hdrs, "x-concierge-delivery")
                  && *sf_str(hdrs, "x-concierge-delivery"),
                  "delivery headers: %s", json_dumps(hdrs, JSON_COMPACT));
    ck_assert_msg(sf_streq(sf_str(body, "event"), "escalation.created")
                  && json_integer_value(json_object_get(body,
                                                        "escalation_id"))
                     == esc
                  && json_integer_value(json_object_get(body, "priority"))
                     == 2
                  && json_is_false(json_object_get(body, "emergency"))
                  && sf_has_string(json_object_get(body, "categories"),
                                   "pregnancy"),
                  "delivery body: %s", json_dumps(body, JSON_COMPACT));
    dump = json_dumps(d, JSON_COMPACT);
    sf_assert_no_words("the webhook delivery", dump, words);
    free(dump);
    json_decref(wh);

    mail = sf_mail_for(esc);
    ck_assert_msg(json_array_size(mail) == 1, "escalation %lld: %zu e-mails, "
                  "expected 1", (long long)esc, json_array_size(mail));
    m = json_array_get(mail, 0);
    data = sf_str(m, "data");
    ck_assert_msg(json_array_size(json_object_get(m, "rcpt_to")) == 1
                  && sf_has_string(json_object_get(m, "rcpt_to"), SF_TEAM)
                  && sf_streq(sf_str(m, "mail_from"), SF_FROM),
                  "envelope: %s", json_dumps(m, JSON_COMPACT));
    /* Submitted the way Microsoft 365 or Postfix's submission service
     * takes it: STARTTLS (the fake refuses MAIL before it), AUTH as the
     * sending mailbox, and a fully qualified EHLO name. */
    ck_assert_msg(json_is_true(json_object_get(m, "tls"))
                  && sf_streq(sf_str(m, "auth_user"), SF_FROM)
                  && sf_streq(sf_str(m, "helo"), SF_HELO),
                  "submission: %s", json_dumps(m, JSON_COMPACT));
    ck_assert_msg(data && strstr(data, "@" SF_HELO ">"), "Message-ID not "
                  "in the sending host's domain: %.600s", data);
    snprintf(idtag, sizeof(idtag), "Escalation: %lld\r\n", (long long)esc);
    ck_assert_msg(data && strstr(data, "Subject: Escalation")
                  && strstr(data, idtag), "the e-mail does not name the "
                  "escalation: %.2000s", data);
    sf_assert_no_words("the e-mail", data, words);
    json_decref(mail);
}
END_TEST

START_TEST(safety_notifier_outage)
{
    json_int_t esc;
    json_t *wh, *mail, *s, *d, *n, *seen;
    it_resp *h;
    const char *err;
    double t0;
    size_t i;

    sf_modes("down", "down");
    esc = sf_escalate(SF_M_PREG3, "escalated", NULL, 0);
    usleep(3000 * 1000);

    /* Tried (the fake records refused deliveries too), never accepted. */
    wh = sf_wh_for(esc);
    mail = sf_mail_for(esc);
    ck_assert_msg(json_array_size(wh) >= 1 && sf_count_status(wh, 200) == 0,
                  "webhook during the outage: %s",
                  json_dumps(wh, JSON_COMPACT));
    ck_assert_msg(json_array_size(mail) == 0, "an e-mail was accepted while "
                  "the SMTP server was down");
    json_decref(wh);
    json_decref(mail);

    h = it_get("/api/admin/health", IT_ADMIN);
    ck_assert_msg(h->status == 200, "health: %ld %s", h->status, h->body);
    n = json_object_get(h->json, "notifications");
    err = sf_str(n, "last_error");
    ck_assert_msg(json_integer_value(json_object_get(n, "pending")) > 0
                  && err && *err, "notifications during the outage: %s",
                  json_dumps(n, JSON_COMPACT));
    it_free(h);

    /* Back: the backoff (2 s, 4 s, ... with jitter) delivers each once. */
    sf_modes("ok", "ok");
    sf_wait_delivered(esc, 15);
    usleep(1500 * 1000);
    wh = sf_wh_for(esc);
    mail = sf_mail_for(esc);
    ck_assert_msg(sf_count_status(wh, 200) == 1, "accepted webhook "
                  "deliveries for %lld: %d, expected 1", (long long)esc,
                  sf_count_status(wh, 200));
    ck_assert_msg(json_array_size(mail) == 1, "e-mails for %lld: %zu, "
                  "expected 1", (long long)esc, json_array_size(mail));
    json_decref(wh);
    json_decref(mail);

    /* Every accepted delivery (of every escalation so far) has its own
     * X-Concierge-Delivery: nothing was delivered twice. */
    s = it_fake_ctl(sf_wh_port, "GET", "/__stats", NULL);
    seen = json_object();
    json_array_foreach(json_object_get(s, "deliveries"), i, d) {
        const char *id = sf_str(json_object_get(d, "headers"),
                                "x-concierge-delivery");

        if (json_integer_value(json_object_get(d, "status")) != 200) {
            continue;
        }
        ck_assert_msg(id && *id, "accepted delivery without an id: %s",
                      json_dumps(d, JSON_COMPACT));
        ck_assert_msg(!json_object_get(seen, id), "delivery %s accepted "
                      "twice", id);
        json_object_set_new(seen, id, json_true());
    }
    json_decref(seen);
    json_decref(s);

    /* And the outbox drains. */
    for (t0 = sf_now();; usleep(200 * 1000)) {
        h = it_get("/api/admin/health", IT_ADMIN);
        n = json_object_get(h->json, "notifications");
        if (json_integer_value(json_object_get(n, "pending")) == 0
            && json_is_null(json_object_get(n, "last_error"))) {
            it_free(h);
            break;
        }
        ck_assert_msg(sf_now() - t0 < 10, "the outbox did not drain: %s",
                      json_dumps(n, JSON_COMPACT));
        it_free(h);
    }
}
END_TEST

START_TEST(safety_emergency)
{
    static const char *const msgs[] = { SF_M_EMERG1, SF_M_EMERG2 };
    json_int_t older, emerg[2];
    json_t *list, *e, *wh, *mail;
    int i, k, idx_e, idx_o;

    sf_modes("ok", "ok");
    /* An older priority-2 escalation, still open. */
    older = sf_escalate(SF_M_PREG2, "escalated", NULL, 0);
    usleep(50 * 1000);
    for (k = 0; k < 2; k++) {
        it_resp *r = sf_chat(NULL, msgs[k]);
        const char *reply = sf_str(r->json, "reply");
        json_t *a, *act;
        size_t j;
        int call = 0;

        ck_assert_msg(sf_streq(sf_str(r->json, "status"), "emergency"),
                      "\"%s\" is not an emergency: %s", msgs[k], r->body);
        ck_assert_msg(reply && strstr(reply, "999"), "the emergency reply "
                      "does not give 999: %s", r->body);
        ck_assert_msg(json_array_size(json_object_get(r->json, "sources"))
                      == 0, "sources: %s", r->body);
        ck_assert_msg(sf_has_string(json_object_get(json_object_get(
                          r->json, "risk"), "categories"), "emergency"),
                      "risk.categories: %s", r->body);
        a = json_object_get(r->json, "actions");
        json_array_foreach(a, j, act) {
            call |= sf_streq(sf_str(act, "type"), "call_emergency")
                    && sf_streq(sf_str(act, "number"), "999");
        }
        ck_assert_msg(call, "no call_emergency 999 action: %s", r->body);
        ck_assert_msg(json_is_integer(json_object_get(r->json,
                                                      "escalation_id")),
                      "no escalation_id: %s", r->body);
        emerg[k] = json_integer_value(json_object_get(r->json,
                                                      "escalation_id"));
        it_free(r);
    }

    for (k = 0; k < 2; k++) {
        json_t *d = sf_esc_get(emerg[k]);

        ck_assert_msg(json_integer_value(json_object_get(d, "priority")) == 1
                      && json_is_true(json_object_get(d, "emergency"))
                      && sf_has_string(json_object_get(d, "categories"),
                                       "emergency"),
                      "emergency detail: %s", json_dumps(d, JSON_COMPACT));
        json_decref(d);
    }

    /* Emergencies first: before every priority-2 escalation, older ones
     * included. */
    list = sf_esc_list("");
    idx_o = sf_index_of(list, older);
    ck_assert_msg(idx_o >= 0, "the older escalation is not in the queue");
    for (k = 0; k < 2; k++) {
        idx_e = sf_index_of(list, emerg[k]);
        ck_assert_msg(idx_e >= 0 && idx_e < idx_o, "emergency %lld at %d, "
                      "the older priority-2 %lld at %d", (long long)emerg[k],
                      idx_e, (long long)older, idx_o);
        for (i = 0; i < idx_e; i++) {
            e = json_array_get(list, i);
            ck_assert_msg(json_integer_value(json_object_get(e, "priority"))
                          == 1, "a priority-%lld escalation is listed before "
                          "emergency %lld", (long long)json_integer_value(
                              json_object_get(e, "priority")),
                          (long long)emerg[k]);
        }
    }
    ck_assert_msg(json_integer_value(json_object_get(json_array_get(list, 0),
                                                     "priority")) == 1,
                  "the queue does not start with an emergency");
    json_decref(list);

    /* ?priority=1 holds just emergencies. */
    list = sf_esc_list("?priority=1");
    ck_assert_msg(sf_index_of(list, emerg[0]) >= 0
                  && sf_index_of(list, older) < 0, "?priority=1 filter");
    json_decref(list);

    /* The team is told it is an emergency. */
    sf_wait_delivered(emerg[0], 5);
    wh = sf_wh_for(emerg[0]);
    e = json_object_get(json_array_get(wh, 0), "body");
    ck_assert_msg(json_integer_value(json_object_get(e, "priority")) == 1
                  && json_is_true(json_object_get(e, "emergency")),
                  "emergency webhook body: %s", json_dumps(e, JSON_COMPACT));
    json_decref(wh);
    mail = sf_mail_for(emerg[0]);
    ck_assert_msg(strstr(sf_str(json_array_get(mail, 0), "data"),
                         "Subject: EMERGENCY"), "emergency e-mail: %.1000s",
                  sf_str(json_array_get(mail, 0), "data"));
    json_decref(mail);
}
END_TEST

START_TEST(safety_benign)
{
    it_resp *r = sf_chat(NULL, SF_M_NEG);
    const char *st;

    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "answered"),
                  "a negated pregnancy with a price question: %s", r->body);
    ck_assert_msg(!json_object_get(r->json, "escalation_id"), "escalation_id "
                  "on an answer: %s", r->body);
    ck_assert_msg(json_array_size(json_object_get(r->json, "sources")) > 0,
                  "an answer without sources: %s", r->body);
    it_free(r);

    r = sf_chat(NULL, SF_M_ALLERGY);
    st = sf_str(r->json, "status");
    ck_assert_msg(sf_streq(st, "answered") || sf_streq(st, "no_answer"),
                  "\"%s\": %s", SF_M_ALLERGY, r->body);
    ck_assert_msg(!json_object_get(r->json, "escalation_id")
                  && !json_object_get(r->json, "risk"),
                  "a benign question was escalated: %s", r->body);
    it_free(r);
}
END_TEST

START_TEST(safety_bot_silent)
{
    char session[96], path[160];
    json_int_t esc;
    it_resp *r;
    json_t *m, *d;
    const char *reply;
    size_t i;
    int staff = 0, follow = 0;

    sf_make_staff2();
    esc = sf_escalate(SF_M_PREG4, "escalated", session, sizeof(session));

    /* The bot is silent in a conversation handed to staff. */
    r = sf_chat(session, SF_M_PARK);
    reply = sf_str(r->json, "reply");
    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "escalated")
                  && reply && strstr(reply, SF_WAITING)
                  && json_integer_value(json_object_get(r->json,
                                                        "escalation_id"))
                     == esc
                  && json_array_size(json_object_get(r->json, "sources"))
                     == 0
                  && sf_streq(sf_str(r->json, "session_id"), session),
                  "a follow-up in an escalated conversation: %s", r->body);
    ck_assert_msg(!strcasestr(reply, "car park")
                  && !strcasestr(reply, "multi-storey"), "knowledge text in "
                  "the acknowledgement: %s", reply);
    it_free(r);
    d = sf_esc_get(esc);
    json_array_foreach(json_object_get(d, "messages"), i, m) {
        follow += sf_streq(sf_str(m, "role"), "patient")
                  && sf_streq(sf_str(m, "body"), SF_M_PARK);
    }
    ck_assert_msg(follow == 1, "the follow-up is not in the escalation: %s",
                  json_dumps(json_object_get(d, "messages"), JSON_COMPACT));
    json_decref(d);

    /* Claim; another staff user cannot take it over. */
    r = sf_esc_action(esc, "claim", IT_STAFF, NULL);
    sf_assert_esc(r, esc, "claimed", "it-staff", "claim");
    it_free(r);
    r = sf_esc_action(esc, "claim", SF_STAFF2, NULL);
    it_assert_error(r, 409, "claimed_by_other");
    it_free(r);

    /* A staff reply reaches the patient's conversation. */
    {
        json_t *b = json_pack("{s:s}", "message", SF_STAFF_MSG);
        char *js = json_dumps(b, JSON_COMPACT);

        r = sf_esc_action(esc, "reply", IT_STAFF, js);
        free(js);
        json_decref(b);
    }
    sf_assert_esc(r, esc, "claimed", "it-staff", "reply");
    it_free(r);
    snprintf(path, sizeof(path), "X-Chat-Token: %s", session);
    {
        const char *hdrs[] = { path, NULL };

        r = it_req("GET", "/api/chat", NULL, NULL, NULL, -1, hdrs);
    }
    ck_assert_msg(r->status == 200, "GET /api/chat: %ld %s", r->status,
                  r->body);
    json_array_foreach(json_object_get(r->json, "messages"), i, m) {
        staff += sf_streq(sf_str(m, "role"), "staff")
                 && sf_streq(sf_str(m, "body"), SF_STAFF_MSG);
    }
    ck_assert_msg(staff == 1, "the staff reply is not in the patient's "
                  "conversation: %s", r->body);
    it_free(r);

    /* Resolved: the bot answers again. */
    r = sf_esc_action(esc, "resolve", IT_STAFF, "{\"outcome\":\"advised\"}");
    sf_assert_esc(r, esc, "resolved", NULL, "resolve");
    ck_assert_msg(sf_streq(sf_str(r->json, "outcome"), "advised")
                  && sf_streq(sf_str(r->json, "resolved_by"), "it-staff"),
                  "resolve: %s", r->body);
    it_free(r);
    r = sf_chat(session, SF_M_PARK2);
    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "answered")
                  && !json_object_get(r->json, "escalation_id")
                  && json_array_size(json_object_get(r->json, "sources")) > 0
                  && !strstr(sf_str(r->json, "reply"), SF_WAITING),
                  "after resolving, the bot does not answer: %s", r->body);
    it_free(r);

    r = sf_esc_action(esc, "claim", IT_STAFF, NULL);
    it_assert_error(r, 409, "already_resolved");
    it_free(r);
    r = sf_esc_action(esc, "resolve", IT_STAFF, "{\"outcome\":\"again\"}");
    it_assert_error(r, 409, "already_resolved");
    it_free(r);

    ck_assert_msg(sf_audit_has("escalation.create", esc), "no "
                  "escalation.create audit entry for %lld", (long long)esc);
    ck_assert_msg(sf_audit_has("escalation.claim", esc), "no "
                  "escalation.claim audit entry for %lld", (long long)esc);
    ck_assert_msg(sf_audit_has("escalation.reply", esc), "no "
                  "escalation.reply audit entry for %lld", (long long)esc);
    ck_assert_msg(sf_audit_has("escalation.resolve", esc), "no "
                  "escalation.resolve audit entry for %lld", (long long)esc);
}
END_TEST

/* Risky messages arriving together, as in a busy evening: each one gets
 * its own escalation with everything it must leave behind - both messages,
 * one event, one outbox row per channel, its audit entry (with the request
 * id the patient's reply carried) - and the audit chain still verifies.
 * Escalations take no chain lock (their audit entries are staged), so this
 * is the test that they still all reach the chain, once each. */
#define SF_PAR_THREADS 8
#define SF_PAR_EACH    4

typedef struct sf_par_job {
    int        t;
    long       status[SF_PAR_EACH];
    json_int_t esc[SF_PAR_EACH];
    int        emergency[SF_PAR_EACH];
    char       rid[SF_PAR_EACH][64];
} sf_par_job;

static void *sf_par_worker(void *arg)
{
    sf_par_job *j = arg;
    int i;

    for (i = 0; i < SF_PAR_EACH; i++) {
        const char *body = (j->t + i) % 2
            ? "{\"message\":\"" SF_M_EMERG1 "\"}"
            : "{\"message\":\"" SF_M_PREG "\"}";
        it_resp *r = it_req("POST", "/api/chat", NULL, "application/json",
                            body, -1, NULL);
        const char *rid = it_header(r, "X-Request-Id");

        j->status[i] = r->status;
        j->emergency[i] = (j->t + i) % 2;
        j->esc[i] = json_integer_value(json_object_get(r->json,
                                                       "escalation_id"));
        snprintf(j->rid[i], sizeof(j->rid[i]), "%s", rid ? rid : "");
        it_free(r);
    }
    return NULL;
}

START_TEST(safety_concurrent_escalations)
{
    static sf_par_job jobs[SF_PAR_THREADS];
    pthread_t th[SF_PAR_THREADS];
    it_resp *v;
    int t, i;

    sf_modes("ok", "ok");
    for (t = 0; t < SF_PAR_THREADS; t++) {
        memset(&jobs[t], 0, sizeof(jobs[t]));
        jobs[t].t = t;
        ck_assert_int_eq(pthread_create(&th[t], NULL, sf_par_worker,
                                        &jobs[t]), 0);
    }
    for (t = 0; t < SF_PAR_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    for (t = 0; t < SF_PAR_THREADS; t++) {
        for (i = 0; i < SF_PAR_EACH; i++) {
            json_int_t esc = jobs[t].esc[i];

            ck_assert_msg(jobs[t].status[i] == 200 && esc > 0
                          && jobs[t].rid[i][0], "chat %d.%d: status %ld, "
                          "escalation %lld", t, i, jobs[t].status[i],
                          (long long)esc);
            ck_assert_msg(it_sql_num("SELECT count(*) FROM escalations e "
                                     "JOIN messages m ON m.conversation_id "
                                     "= e.conversation_id WHERE e.id = %lld "
                                     "AND e.priority = %d AND m.request_id "
                                     "= '%s'", (long long)esc,
                                     jobs[t].emergency[i] ? 1 : 2,
                                     jobs[t].rid[i]) == 2,
                          "escalation %lld: not its two messages with "
                          "request id %s", (long long)esc, jobs[t].rid[i]);
            ck_assert_msg(it_sql_num("SELECT count(*) FROM events WHERE "
                                     "escalation_id = %lld AND kind = '%s'",
                                     (long long)esc, jobs[t].emergency[i]
                                     ? "chat_emergency" : "chat_escalated")
                          == 1, "escalation %lld: not one event",
                          (long long)esc);
            ck_assert_msg(it_sql_num("SELECT count(*) FROM "
                                     "notification_outbox WHERE "
                                     "escalation_id = %lld AND event = "
                                     "'escalation.created'", (long long)esc)
                          == 2, "escalation %lld: not one alert per "
                          "channel", (long long)esc);
        }
    }
    /* Reading the audit log seals staged entries first: every escalation
     * is in the chain now, once, with its request's id. */
    v = it_get("/api/admin/audit?action=escalation.create&limit=500",
               IT_ADMIN);
    ck_assert_msg(v->status == 200, "audit: %ld %s", v->status, v->body);
    for (t = 0; t < SF_PAR_THREADS; t++) {
        for (i = 0; i < SF_PAR_EACH; i++) {
            char target[32];
            json_t *e;
            size_t k;
            int n = 0;

            snprintf(target, sizeof(target), "%lld",
                     (long long)jobs[t].esc[i]);
            json_array_foreach(json_object_get(v->json, "entries"), k, e) {
                n += sf_streq(sf_str(e, "target"), target)
                     && sf_streq(sf_str(e, "request_id"), jobs[t].rid[i])
                     && sf_streq(sf_str(e, "actor"), "patient");
            }
            ck_assert_msg(n == 1, "escalation %s: %d audit entries with its "
                          "request id %s, expected 1", target, n,
                          jobs[t].rid[i]);
        }
    }
    it_free(v);
    v = it_get("/api/admin/audit/verify", IT_ADMIN);
    ck_assert_msg(v->status == 200
                  && json_is_true(json_object_get(v->json, "ok")),
                  "the chain does not verify: %ld %s", v->status, v->body);
    it_free(v);
    ck_assert_msg(it_sql_num("SELECT count(*) FROM audit_pending") == 0,
                  "audit entries left unsealed after a read");
}
END_TEST

/* Regressions: a second risk in an escalated conversation joins the open
 * escalation (one alert, merged categories) instead of opening another;
 * staff replies respect the assignee and a resolved escalation. */
START_TEST(safety_one_escalation_per_conversation)
{
    char session[64];
    json_int_t esc;
    json_t *e, *cats;
    it_resp *r;

    sf_make_staff2();
    esc = sf_escalate("I'm pregnant, is a chemical peel ok?", "escalated",
                      session, sizeof(session));
    r = sf_chat(session, "also I am allergic to lidocaine");
    ck_assert_msg(sf_streq(sf_str(r->json, "status"), "escalated"),
                  "follow-up risk: %s", r->body);
    ck_assert_msg(json_integer_value(json_object_get(r->json,
                                                     "escalation_id")) == esc,
                  "a second escalation was opened: %s", r->body);
    it_free(r);
    e = sf_esc_get(esc);
    cats = json_object_get(e, "categories");
    ck_assert_msg(sf_has_string(cats, "pregnancy")
                  && sf_has_string(cats, "allergy"),
                  "categories not merged: %s", json_dumps(cats, 0));
    json_decref(e);

    r = sf_esc_action(esc, "claim", IT_STAFF, NULL);
    sf_assert_esc(r, esc, "claimed", "it-staff", "claim");
    it_free(r);
    r = sf_esc_action(esc, "reply", "it-staff2:it-staff2-password-1",
                      "{\"message\":\"Hello from someone else\"}");
    it_assert_error(r, 409, "claimed_by_other");
    it_free(r);
    r = sf_esc_action(esc, "resolve", IT_STAFF, "{\"outcome\":\"advised\"}");
    sf_assert_esc(r, esc, "resolved", NULL, "resolve");
    it_free(r);
    r = sf_esc_action(esc, "reply", IT_STAFF, "{\"message\":\"Late reply\"}");
    it_assert_error(r, 409, "already_resolved");
    it_free(r);
}
END_TEST

START_TEST(safety_reassign)
{
    json_int_t esc;
    it_resp *r;

    sf_make_staff2();
    esc = sf_escalate(SF_M_PREG5, "escalated", NULL, 0);
    r = sf_esc_action(esc, "claim", IT_STAFF, NULL);
    sf_assert_esc(r, esc, "claimed", "it-staff", "claim");
    it_free(r);

    /* Staff who are not the assignee may not move it. */
    r = sf_esc_action(esc, "reassign", SF_STAFF2, "{\"to\":\"it-staff2\"}");
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = sf_esc_action(esc, "reassign", IT_PROBE, "{\"to\":\"it-probe\"}");
    it_assert_error(r, 403, "forbidden");
    it_free(r);

    /* An admin may, to an existing user only. */
    r = sf_esc_action(esc, "reassign", IT_ADMIN, "{\"to\":\"it-staff2\"}");
    sf_assert_esc(r, esc, "claimed", "it-staff2", "reassign to it-staff2");
    it_free(r);
    r = sf_esc_action(esc, "reassign", IT_ADMIN, "{\"to\":\"it-staff\"}");
    sf_assert_esc(r, esc, "claimed", "it-staff", "reassign to it-staff");
    it_free(r);
    r = sf_esc_action(esc, "reassign", IT_ADMIN,
                      "{\"to\":\"no-such-user-7731\"}");
    it_assert_error(r, 422, "unknown_user");
    it_free(r);
    r = sf_esc_action(esc, "reassign", IT_ADMIN, "{\"to\":7}");
    it_assert_error(r, 400, "invalid_body");
    it_free(r);
    /* Now it-staff2 is not the assignee any more. */
    r = sf_esc_action(esc, "reassign", SF_STAFF2, "{\"to\":\"it-staff2\"}");
    it_assert_error(r, 403, "forbidden");
    it_free(r);
    r = sf_esc_action(9000000001LL, "reassign", IT_ADMIN,
                      "{\"to\":\"it-staff\"}");
    it_assert_error(r, 404, "not_found");
    it_free(r);

    ck_assert_msg(sf_audit_has("escalation.reassign", esc), "no "
                  "escalation.reassign audit entry for %lld", (long long)esc);
    r = sf_esc_action(esc, "resolve", IT_STAFF, "{\"outcome\":\"advised\"}");
    sf_assert_esc(r, esc, "resolved", NULL, "resolve");
    it_free(r);
}
END_TEST

START_TEST(safety_sla_overdue)
{
    json_int_t late, fresh;
    json_t *list, *e;
    it_resp *r;
    size_t i;
    int idx, ok;

    late = sf_escalate(SF_M_PREG2, "escalated", NULL, 0);
    fresh = sf_escalate(SF_M_PREG5, "escalated", NULL, 0);

    list = sf_esc_list("");
    e = json_array_get(list, sf_index_of(list, late));
    ck_assert_msg(json_is_false(json_object_get(e, "overdue"))
                  && json_integer_value(json_object_get(e, "sla_s")) == 60,
                  "a new escalation: %s", json_dumps(e, JSON_COMPACT));
    json_decref(list);

    /* ConciergeEscalationSLA is 1 minute: rather than wait, make it five
     * minutes old. */
    free(it_sql_try(&ok, "UPDATE escalations SET created_at = now() - "
                    "interval '5 minutes' WHERE id = %lld", (long long)late));
    ck_assert_msg(ok, "backdating escalation %lld failed", (long long)late);

    list = sf_esc_list("");
    idx = sf_index_of(list, late);
    ck_assert_msg(idx >= 0, "the late escalation left the queue");
    e = json_array_get(list, idx);
    ck_assert_msg(json_is_true(json_object_get(e, "overdue"))
                  && json_integer_value(json_object_get(e, "age_s")) >= 299,
                  "a five-minute-old escalation: %s",
                  json_dumps(e, JSON_COMPACT));
    e = json_array_get(list, sf_index_of(list, fresh));
    ck_assert_msg(json_is_false(json_object_get(e, "overdue")),
                  "a new escalation is overdue: %s",
                  json_dumps(e, JSON_COMPACT));
    json_decref(list);

    list = sf_esc_list("?overdue=1");
    ck_assert_msg(sf_index_of(list, late) >= 0, "?overdue=1 misses the late "
                  "escalation");
    ck_assert_msg(sf_index_of(list, fresh) < 0, "?overdue=1 lists a new "
                  "escalation");
    json_array_foreach(list, i, e) {
        ck_assert_msg(json_is_true(json_object_get(e, "overdue"))
                      && !sf_streq(sf_str(e, "status"), "resolved"),
                      "?overdue=1 lists %s", json_dumps(e, JSON_COMPACT));
    }
    json_decref(list);
    r = it_get("/api/admin/escalations?overdue=yes", IT_STAFF);
    it_assert_error(r, 400, "invalid_parameter");
    it_free(r);

    r = it_get("/api/admin/metrics", IT_ADMIN);
    ck_assert_msg(r->status == 200, "metrics: %ld", r->status);
    ck_assert_msg(sf_metric(r->body, "concierge_escalations_overdue") >= 1,
                  "concierge_escalations_overdue %ld",
                  sf_metric(r->body, "concierge_escalations_overdue"));
    ck_assert_msg(sf_metric(r->body, "concierge_escalations_open") >= 2,
                  "concierge_escalations_open %ld",
                  sf_metric(r->body, "concierge_escalations_open"));
    ck_assert_msg(sf_metric(r->body, "concierge_escalations_emergency_open")
                  >= 0, "no concierge_escalations_emergency_open");
    it_free(r);
    r = it_get("/api/admin/metrics", IT_STAFF);
    it_assert_error(r, 403, "forbidden");
    it_free(r);

    /* Resolved, it is no longer overdue. */
    r = sf_esc_action(late, "resolve", IT_STAFF, "{\"outcome\":\"called\"}");
    sf_assert_esc(r, late, "resolved", NULL, "resolve");
    it_free(r);
    list = sf_esc_list("?overdue=1");
    ck_assert_msg(sf_index_of(list, late) < 0, "a resolved escalation is "
                  "still overdue");
    json_decref(list);
    list = sf_esc_list("?status=resolved");
    ck_assert_msg(sf_index_of(list, late) >= 0, "?status=resolved misses it");
    e = json_array_get(list, sf_index_of(list, late));
    ck_assert_msg(json_is_false(json_object_get(e, "overdue")),
                  "resolved but overdue: %s", json_dumps(e, JSON_COMPACT));
    json_decref(list);
}
END_TEST

START_TEST(safety_no_patient_text)
{
    char *log = it_log_read();
    const char *const *t;

    ck_assert_msg(strstr(log, "CC01101") != NULL, "no CC01101 was logged for "
                  "the emergencies:\n%.3000s", log);
    for (t = sf_patient_texts; *t; t++) {
        ck_assert_msg(!strcasestr(log, *t), "the error log holds a patient's "
                      "or staff member's words (\"%s\"):\n%.3000s", *t, log);
    }
    ck_assert_msg(!strstr(log, SF_SECRET), "the webhook secret is in the "
                  "error log");
    free(log);
}
END_TEST

START_TEST(safety_log_clean)
{
    /* Allowed at [warn]:
     *  - CC01202 "notification <id> (<channel>) failed (attempt <n>): ...;
     *    retrying in <s> s": safety_notifier_outage takes both receivers
     *    down on purpose, so each of its two outbox rows fails once or
     *    twice before they come back.
     *  - CC01101 "escalation <id> created (emergency)": emergencies are
     *    logged at warn on purpose (priority-2 escalations log CC01101 at
     *    info, below LogLevel warn); safety_emergency makes two.  Matched
     *    on "created (emergency)" so a risk escalation logged at warn
     *    would still fail here. */
    static const char *const allowed[] = { "CC01202", "created (emergency)",
                                           NULL };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%.3000s", bad);
}
END_TEST

/* ---- fixture ----------------------------------------------------------------- */

static void safety_setup(void)
{
    char wh[1200], smtp[1200], whport[512], whlog[512], smport[512],
         smcport[512], smlog[512], smtls[512], extra[3072];
    const char *top = getenv("CC_TOP");
    int ports[2];

    snprintf(wh, sizeof(wh), "%s/tests/fakes/fake_webhook.py",
             top ? top : ".");
    snprintf(smtp, sizeof(smtp), "%s/tests/fakes/fake_smtp.py",
             top ? top : ".");
    snprintf(whport, sizeof(whport), "%s/fake_webhook.port", it_var);
    snprintf(whlog, sizeof(whlog), "%s/fake_webhook.log", it_var);
    snprintf(smport, sizeof(smport), "%s/fake_smtp.port", it_var);
    snprintf(smcport, sizeof(smcport), "%s/fake_smtp.control.port", it_var);
    snprintf(smlog, sizeof(smlog), "%s/fake_smtp.log", it_var);
    snprintf(smtls, sizeof(smtls), "%s/smtp-tls", it_var);
    {
        const char *argv[] = { "python3", wh, "--port", "0", "--portfile",
                               whport, "--secret", SF_SECRET, NULL };
        const char *files[] = { whport, NULL };

        sf_wh_pid = it_fake_spawn(argv, whlog, files, ports);
        sf_wh_port = ports[0];
    }
    {
        /* Postfix's submission service: STARTTLS required, AUTH only
         * under TLS, MAIL refused before AUTH, FQDNs required. */
        const char *argv[] = { "python3", smtp, "--port", "0", "--portfile",
                               smport, "--control-portfile", smcport,
                               "--tls-dir", smtls, "--require-tls",
                               "--user", SF_FROM, "--password", SF_SMTP_PASS,
                               NULL };
        const char *files[] = { smport, smcport, NULL };

        sf_smtp_pid = it_fake_spawn(argv, smlog, files, ports);
        sf_smtp_port = ports[0];
        sf_smtpc_port = ports[1];
    }
    /* An unstarted fake leaves port 9 (discard): the notifier fails and
     * the tests report the fake. */
    snprintf(extra, sizeof(extra),
             "ConciergeRateLimit chat 100000/min\n"
             "ConciergeRateLimit admin 100000/min\n"
             "ConciergeNotifyWebhook http://127.0.0.1:%d/hook\n"
             "ConciergeNotifyWebhookSecret " SF_SECRET "\n"
             "ConciergeNotifySMTP smtp://127.0.0.1:%d\n"
             "ConciergeNotifySMTPHelo " SF_HELO "\n"
             "ConciergeNotifySMTPUser " SF_FROM "\n"
             "ConciergeNotifySMTPPassword " SF_SMTP_PASS "\n"
             "ConciergeOutboundCAFile %s/ca.pem\n"
             "ConciergeNotifyFrom " SF_FROM "\n"
             "ConciergeNotifyTo " SF_TEAM "\n"
             "ConciergeStaffURL https://clinic.example\n"
             "ConciergeEmergencyNumber 999\n"
             "ConciergeEscalationSLA 1\n",
             sf_wh_port > 0 ? sf_wh_port : 9,
             sf_smtp_port > 0 ? sf_smtp_port : 9, smtls);
    it_httpd_start(extra, 2, 8);
}

static void safety_teardown(void)
{
    sf_rules_restore();
    it_httpd_stop();
    it_fake_stop(&sf_wh_pid);
    it_fake_stop(&sf_smtp_pid);
}


Suite *it_suite_safety(void)
{
    Suite *s = suite_create("safety");
    TCase *tc = tcase_create("safety");

    tcase_add_unchecked_fixture(tc, safety_setup, safety_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, safety_risky_chat);
    tcase_add_test(tc, safety_notifications);
    tcase_add_test(tc, safety_notifier_outage);
    tcase_add_test(tc, safety_emergency);
    tcase_add_test(tc, safety_benign);
    tcase_add_test(tc, safety_bot_silent);
    tcase_add_test(tc, safety_concurrent_escalations);
    tcase_add_test(tc, safety_one_escalation_per_conversation);
    tcase_add_test(tc, safety_reassign);
    sf_add_rule_tests(tc);
    tcase_add_test(tc, safety_sla_overdue);
    tcase_add_test(tc, safety_no_patient_text);
    tcase_add_test(tc, safety_log_clean);
    sf_add_locked_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}

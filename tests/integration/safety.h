/*
 * safety.h - what the safety tests share (safety.c): the group's
 * constants and patient messages, the fake receivers' records, chats and
 * escalations, audit and database look-ups.  The "safety" group
 * (test_safety.c) runs the tests of test_safety_rules.c too.
 */
#ifndef IT_SAFETY_H
#define IT_SAFETY_H

#include <check.h>
#include <jansson.h>
#include "harness.h"

#define SF_SECRET   "test-webhook-secret-0123"
#define SF_TEAM     "team@clinic.example"
#define SF_FROM     "concierge@clinic.example"
#define SF_HELO     "concierge.clinic.example"
#define SF_SMTP_PASS "submission-password-1"
#define SF_STAFF2   "it-staff2:it-staff2-password-1"

/* Patient messages (every one of them is checked against the error log at
 * the end; the notification tests also check their words are absent from
 * what the receivers got). */
#define SF_M_PREG     "I'm pregnant, can I have anti-wrinkle injections?"
#define SF_M_PREG2    "I'm pregnant, could I book a chemical peel for June?"
#define SF_M_PREG3    "I am pregnant, is microneedling OK for me?"
#define SF_M_PREG4    "I'm pregnant - can I have my lips done this spring?"
#define SF_M_PREG5    "I'm pregnant and want cheek filler, is that allowed?"
#define SF_M_EMERG1   "my lip has gone white and blue after filler and the " \
                      "pain is terrible"
#define SF_M_EMERG2   "I can't breathe and my throat is swelling after the " \
                      "injection"
#define SF_M_NEG      "I'm not pregnant, how much is lip filler?"
#define SF_M_ALLERGY  "do you offer allergy testing?"
#define SF_M_PARK     "where do I park?"
#define SF_M_PARK2    "Where can I park my car?"
#define SF_STAFF_MSG  "Hello, this is the clinic team: please call us on " \
                      "the clinic number so a nurse can talk it through."
#define SF_HOLDING    "a member of our clinical team will reply to you here " \
                      "personally"
#define SF_WAITING    "your message has been added to your conversation " \
                      "with our team"

/* Ports of the fake receivers (set by the group's fixture). */
extern int sf_wh_port, sf_smtp_port, sf_smtpc_port;

double sf_now(void);
const char *sf_str(json_t *o, const char *key);
int sf_streq(const char *a, const char *b);
/* 1 when the JSON array holds the string s. */
int sf_has_string(json_t *a, const char *s);
it_resp *sf_post(const char *path, const char *auth, const char *body);
void sf_modes(const char *webhook, const char *smtp);
/* Webhook deliveries recorded for escalation esc (a new array of the
 * fake's records, in arrival order). */
json_t *sf_wh_for(json_int_t esc);
int sf_count_status(json_t *deliveries, long status);
/* E-mails about escalation esc (the subject names it "(escalation N)"). */
json_t *sf_mail_for(json_int_t esc);
/* Wait (up to secs) until escalation esc has at least one accepted webhook
 * delivery and one e-mail. */
void sf_wait_delivered(json_int_t esc, double secs);
/* The notification must not carry the patient's words. */
void sf_assert_no_words(const char *what, const char *text,
                        const char *const *words);
/* POST /api/chat; asserted 200 with the common reply shape. */
it_resp *sf_chat(const char *session, const char *message);
/* A risky message in a new conversation: asserted `want` ("escalated" or
 * "emergency") with the holding reply and no sources; returns the
 * escalation id and copies the session id. */
json_int_t sf_escalate(const char *message, const char *want,
                       char *session, size_t sesslen);
/* GET /api/admin/escalations/{id} as staff (own reference). */
json_t *sf_esc_get(json_int_t id);
/* GET /api/admin/escalations<query> as staff: the array (own reference). */
json_t *sf_esc_list(const char *query);
/* Index of escalation id in a list, or -1. */
int sf_index_of(json_t *list, json_int_t id);
/* POST /api/admin/escalations/{id}/<action> */
it_resp *sf_esc_action(json_int_t id, const char *action,
                       const char *auth, const char *body);
/* A 200 escalation reply with the given status and assignee. */
void sf_assert_esc(it_resp *r, json_int_t id, const char *status,
                   const char *assignee, const char *what);
void sf_make_staff2(void);
/* The audit log has `action` on target id (as admin, newest 500). */
int sf_audit_has(const char *action, json_int_t id);
/* Rows in a table (superuser SQL; no API side effects). */
long sf_db_count(const char *table);
/* A gauge from GET /api/admin/metrics, or -1 when absent. */
long sf_metric(const char *text, const char *name);

/* The "safety" group's compliance-check and rules tests. */
void sf_add_rule_tests(TCase *tc);
void sf_add_locked_tests(TCase *tc);
void sf_rules_restore(void);

#endif

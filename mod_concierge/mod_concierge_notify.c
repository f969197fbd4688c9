/*
 * mod_concierge_notify.c - delivering staff notifications from the outbox.
 *
 * notification_outbox rows are written in the transaction that creates an
 * escalation.  One thread per process delivers them: every second it
 * claims due rows (UPDATE ... locked_until, FOR UPDATE SKIP LOCKED, so no
 * two processes or hosts take the same row), delivers each outside any
 * transaction, then marks it delivered or schedules the next
 * attempt with exponential backoff (cc_notify_backoff).  While the
 * receiver is down nothing is lost; when it is back every notification is
 * delivered once (X-Concierge-Delivery carries the row id, so a receiver
 * can drop the rare duplicate after a crash between delivery and commit).
 *
 *   webhook: JSON POST, X-Concierge-Signature: t=..,v1=HMAC-SHA256
 *   e-mail : SMTP(S), no message text (ids and a link)
 *
 * Both go through the outbound layer (mod_concierge_http.c: https, plain
 * http only to loopback; smtps, or smtp with STARTTLS required except
 * towards loopback).  E-mail is submitted the way Microsoft 365, Gmail
 * and Postfix's submission service want it: a fully qualified EHLO name
 * (ConciergeNotifySMTPHelo, else ServerName), AUTH with a password or an
 * XOAUTH2 token (ConciergeNotifySMTPBearerFile, re-read for each message
 * so a token job can renew it), and ConciergeNotifyFrom - required - as
 * the sender: the authenticated mailbox.  last_error is "webhook: <code>" or
 * "smtp: <code>" with its error codes, never a URL or a header.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "apr_file_info.h"
#include "apr_file_io.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_http.h"
#include "mod_concierge_ticker.h"
#include "mod_concierge_notify.h"
#include "cc_http.h"
#include "cc_json.h"
#include "cc_notify.h"

#define MC_NOTIFY_TICK     apr_time_from_sec(1)
#define MC_NOTIFY_TIMEOUT  5000L            /* ms per delivery */
#define MC_NOTIFY_CONNECT  2000L            /* ms */

static server_rec   *nt_server;
static const char   *nt_helo;          /* EHLO name, checked at start */

#define MC_BEARER_MAX 8192

/* The XOAUTH2 token: the file's one line, read now (a token job renews
 * it); NULL with *why set when it cannot be used. */
static const char *read_bearer(apr_pool_t *p, const char *path,
                               const char **why)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n = 0;
    char *buf;

    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                      APR_OS_DEFAULT, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_PROT | APR_FINFO_TYPE, f)
           != APR_SUCCESS) {
        *why = "bearer_file_unreadable";
        return NULL;
    }
    if (fi.filetype != APR_REG || (fi.protection & (APR_WREAD | APR_WWRITE))
        || fi.size <= 0 || fi.size > MC_BEARER_MAX) {
        apr_file_close(f);
        *why = "bearer_file_refused";   /* others may read it, or size */
        return NULL;
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    apr_file_read_full(f, buf, (apr_size_t)fi.size, &n);
    apr_file_close(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ')) {
        n--;
    }
    buf[n] = '\0';
    if (n == 0 || strlen(buf) != n || strpbrk(buf, "\r\n")) {
        *why = "bearer_file_refused";
        return NULL;
    }
    return buf;
}

/* NULL when delivered, else why not (for last_error: no secrets). */
static const char *deliver_webhook(apr_pool_t *p, const char *id,
                                   const char *event, const char *payload)
{
    server_rec *s = nt_server;
    const char *url = mc_config_gets(s, MC_CONFS_NOTIFY_WEBHOOK);
    const char *secret = mc_config_gets(s, MC_CONFS_NOTIFY_SECRET);
    const char *hdrs[4];
    mc_http_req hr;
    mc_http_resp rs;

    if (!url) {
        return "webhook not configured";
    }
    if (!secret) {
        return "ConciergeNotifyWebhookSecret not set";
    }
    hdrs[0] = apr_pstrcat(p, "X-Concierge-Event: ", event, NULL);
    hdrs[1] = apr_pstrcat(p, "X-Concierge-Delivery: ", id, NULL);
    hdrs[2] = apr_pstrcat(p, "X-Concierge-Signature: ",
        cc_notify_signature_header(p, secret, strlen(secret),
                                   (int64_t)apr_time_sec(apr_time_now()),
                                   payload, strlen(payload)), NULL);
    hdrs[3] = NULL;
    memset(&hr, 0, sizeof(hr));
    hr.method = "POST";
    hr.url = url;
    hr.headers = hdrs;
    hr.body = payload;
    hr.ctype = "application/json";
    hr.connect_ms = MC_NOTIFY_CONNECT;
    hr.timeout_ms = MC_NOTIFY_TIMEOUT;
    hr.max_response = 0;        /* the receiver's answer is not read */
    mc_http_request(p, &hr, &rs);
    return rs.error ? apr_pstrcat(p, "webhook: ", rs.error, NULL) : NULL;
}

static const char *deliver_email(apr_pool_t *p, const char *id,
                                 const char *payload)
{
    server_rec *s = nt_server;
    const char *url = mc_config_gets(s, MC_CONFS_NOTIFY_SMTP);
    const char *from = mc_config_gets(s, MC_CONFS_NOTIFY_FROM);
    const char *to = mc_config_gets(s, MC_CONFS_NOTIFY_TO);
    json_error_t jerr;
    json_t *j;
    char *msg, *body, *subject;
    mc_http_mail m;
    const char *err;
    int emergency;

    if (!url || !to || !from || !nt_helo) {
        return "e-mail not configured";
    }
    j = json_loads(payload, 0, &jerr);
    if (!j) {
        return "unreadable payload";
    }
    emergency = json_is_true(json_object_get(j, "emergency"));
    subject = apr_psprintf(p, "%s: a patient message needs the clinical team "
                           "(escalation %" APR_INT64_T_FMT ")",
                           emergency ? "EMERGENCY" : "Escalation",
                           (apr_int64_t)json_integer_value(
                               json_object_get(j, "escalation_id")));
    body = apr_psprintf(p,
        "A patient message needs a member of the clinical team.\n\n"
        "Priority:   %s\nCategories: %s\nEscalation: %" APR_INT64_T_FMT
        "\nCreated:    %s\n%s%s\n\nThe message itself is in the staff "
        "dashboard; it is never sent by e-mail.\n",
        emergency ? "EMERGENCY (top of the queue)" : "normal",
        cc_json_dump(p, json_object_get(j, "categories"), NULL),
        (apr_int64_t)json_integer_value(json_object_get(j, "escalation_id")),
        json_string_value(json_object_get(j, "created_at"))
            ? json_string_value(json_object_get(j, "created_at")) : "",
        json_string_value(json_object_get(j, "link")) ? "Open:       " : "",
        json_string_value(json_object_get(j, "link"))
            ? json_string_value(json_object_get(j, "link")) : "");
    json_decref(j);
    msg = cc_notify_email(p, from, to, subject, body,
                          apr_pstrcat(p, "escalation-", id, NULL),
                          nt_helo, (int64_t)apr_time_now());
    if (!msg) {
        return "ConciergeNotifyFrom/To is not a valid address";
    }
    memset(&m, 0, sizeof(m));
    m.url = url;
    m.helo = nt_helo;
    m.user = mc_config_gets(s, MC_CONFS_SMTP_USER);
    m.password = mc_config_gets(s, MC_CONFS_SMTP_PASSWORD);
    if (mc_config_gets(s, MC_CONFS_SMTP_BEARER_FILE)) {
        const char *why = NULL;

        m.bearer = read_bearer(p, mc_config_gets(s,
                                                 MC_CONFS_SMTP_BEARER_FILE),
                               &why);
        if (!m.bearer) {
            return apr_pstrcat(p, "smtp: ", why, NULL);
        }
    }
    m.from = from;
    m.to = to;
    m.msg = msg;
    m.connect_ms = MC_NOTIFY_CONNECT;
    m.timeout_ms = MC_NOTIFY_TIMEOUT;
    err = mc_http_mail_send(p, &m);
    return err ? apr_pstrcat(p, "smtp: ", err, NULL) : NULL;
}

static void tick(apr_pool_t *p, server_rec *s, void *baton)
{
    ap_dbd_t *dbd;
    apr_array_header_t *due = mc_db_rows_s(s, p, "cc_outbox_claim", 5);
    int i;

    if (!due) {
        return;
    }
    /* Deliver with no connection held. */
    for (i = 0; i < due->nelts; i++) {
        const char **f = APR_ARRAY_IDX(due, i, const char **);
        const char *err = !strcmp(f[1], "webhook")
                          ? deliver_webhook(p, f[0], f[2], f[3])
                          : deliver_email(p, f[0], f[3]);
        int attempts = (int)apr_strtoi64(f[4], NULL, 10);
        const char *args[3];

        dbd = mc_db_open_s(s, p);
        if (!dbd) {
            return;     /* the lock expires; retried later */
        }
        if (!err) {
            args[0] = f[0];
            mc_db_query_s(s, p, dbd, "cc_outbox_done", NULL, 1, args);
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01201)
                         "notification %s (%s) delivered after %d "
                         "attempt(s)", f[0], f[1], attempts);
        }
        else {
            args[0] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                                   cc_notify_backoff(attempts, 2, 300,
                                                     (double)(apr_time_now()
                                                              % 1000) / 1000));
            args[1] = err;
            args[2] = f[0];
            mc_db_query_s(s, p, dbd, "cc_outbox_retry", NULL, 3, args);
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CCLOGNO(01202)
                         "notification %s (%s) failed (attempt %d): %s; "
                         "retrying in %s s", f[0], f[1], attempts, err,
                         args[0]);
        }
        mc_db_close_s(s, dbd);
    }
}

/* E-mail settings that only make sense together: refused when the
 * configuration is checked (apachectl configtest too), rather than
 * failing at the first escalation. */
apr_status_t mc_notify_check_config(apr_pool_t *pconf, server_rec *s)
{
    const char *helo = mc_config_gets(s, MC_CONFS_SMTP_HELO);

    if (!mc_config_gets(s, MC_CONFS_NOTIFY_SMTP)) {
        return APR_SUCCESS;
    }
    if (!mc_config_gets(s, MC_CONFS_NOTIFY_FROM)
        || !mc_config_gets(s, MC_CONFS_NOTIFY_TO)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01203)
                     "ConciergeNotifySMTP needs ConciergeNotifyFrom (the "
                     "mailbox the SMTP login may send as) and "
                     "ConciergeNotifyTo");
        return APR_EGENERAL;
    }
    if (!helo && s->server_hostname && cc_http_fqdn(s->server_hostname)) {
        helo = s->server_hostname;
    }
    if (!helo) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01204)
                     "ConciergeNotifySMTP: ServerName '%s' is not a fully "
                     "qualified domain name, which mail servers require in "
                     "EHLO; set ConciergeNotifySMTPHelo host.example.org",
                     s->server_hostname ? s->server_hostname : "");
        return APR_EGENERAL;
    }
    if (mc_config_gets(s, MC_CONFS_SMTP_BEARER_FILE)
        && !mc_config_gets(s, MC_CONFS_SMTP_USER)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01205)
                     "ConciergeNotifySMTPBearerFile needs "
                     "ConciergeNotifySMTPUser (the mailbox the token is "
                     "for)");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

void mc_notify_child_init(apr_pool_t *p, server_rec *s)
{
    const char *helo = mc_config_gets(s, MC_CONFS_SMTP_HELO);

    nt_server = s;
    nt_helo = helo ? helo : (s->server_hostname
                             && cc_http_fqdn(s->server_hostname)
                             ? s->server_hostname : NULL);
    if (!mc_config_gets(s, MC_CONFS_NOTIFY_WEBHOOK)
        && !mc_config_gets(s, MC_CONFS_NOTIFY_SMTP)) {
        return;         /* nothing to deliver to */
    }
    mc_ticker_start(p, s, "concierge-notify", MC_NOTIFY_TICK, tick, NULL);
}

json_t *mc_notify_health(request_rec *r)
{
    ap_dbd_t *dbd;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    json_t *o = json_pack("{s:b, s:b}", "webhook",
                          mc_config_gets(r->server, MC_CONFS_NOTIFY_WEBHOOK)
                          != NULL, "email",
                          mc_config_gets(r->server, MC_CONFS_NOTIFY_SMTP)
                          != NULL);

    dbd = mc_db_acquire(r);
    if (dbd && mc_db_select(r, dbd, "cc_outbox_stats", &res, 0, NULL)
               == APR_SUCCESS
        && apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) == 0) {
        const char *err = apr_dbd_get_entry(dbd->driver, row, 2);

        json_object_set_new(o, "pending", json_integer(apr_strtoi64(
            apr_dbd_get_entry(dbd->driver, row, 0), NULL, 10)));
        json_object_set_new(o, "oldest_pending_s", json_integer(apr_strtoi64(
            apr_dbd_get_entry(dbd->driver, row, 1), NULL, 10)));
        json_object_set_new(o, "last_error", err && *err ? json_string(err)
                                                         : json_null());
    }
    return o;
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_outbox_claim",
      "UPDATE notification_outbox SET locked_until = now() + interval "
      "'60 seconds', attempts = attempts + 1 WHERE id IN (SELECT id FROM "
      "notification_outbox WHERE delivered_at IS NULL AND next_at <= now() "
      "AND (locked_until IS NULL OR locked_until < now()) ORDER BY id LIMIT "
      "10 FOR UPDATE SKIP LOCKED) RETURNING id, channel, event, "
      "payload::text, attempts" },
    { "cc_outbox_done",
      "UPDATE notification_outbox SET delivered_at = now(), locked_until = "
      "NULL, last_error = NULL WHERE id = %lld" },
    { "cc_outbox_retry",
      "UPDATE notification_outbox SET next_at = now() + make_interval(secs "
      "=> %d), locked_until = NULL, last_error = %s WHERE id = %lld" },
    { "cc_outbox_stats",
      "SELECT count(*), coalesce(floor(extract(epoch FROM now() - "
      "min(created_at))), 0), coalesce((SELECT last_error FROM "
      "notification_outbox WHERE delivered_at IS NULL AND last_error IS NOT "
      "NULL ORDER BY id DESC LIMIT 1), '') FROM notification_outbox WHERE "
      "delivered_at IS NULL" },
    { NULL, NULL }
};
MC_RESOURCE(notify, NULL, stmts);

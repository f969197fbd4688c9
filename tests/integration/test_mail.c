/*
 * test_mail.c - staff e-mail submission as hospitals' mail services take
 * it: the module's SMTP client (mc_http_mail_send, mod_concierge_http.c,
 * linked into this binary) against tests/fakes/fake_smtp.py configured
 * like Postfix's submission service (STARTTLS with a test CA, AUTH only
 * under TLS, MAIL refused before AUTH, fully qualified names required).
 *
 * The same client runs inside httpd in the safety suite (every e-mail
 * there goes through STARTTLS and AUTH); here each way a deployment can
 * be wrong is tried without a server: an untrusted certificate, a
 * refused password or token, no STARTTLS on a remote server, a bare host
 * name, a sender without a domain, a URL with a path or credentials.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <curl/curl.h>
#include "harness.h"
#include "mod_concierge_http.h"

#define ML_USER   "concierge@clinic.example"
#define ML_PASS   "submission-password-1"
#define ML_TOKEN  "ya29.fake-access-token"
#define ML_TO     "team@clinic.example"
#define ML_HELO   "concierge.clinic.example"

static pid_t ml_pid = -1;
static int ml_port, ml_cport;
static char ml_ca[700];
static apr_pool_t *ml_pool;

/* Start the fake with extra options (NULL-terminated), on host. */
static void ml_start(const char *host, const char *const *opts)
{
    char fake[1200], port[600], cport[600], log[600], tls[600];
    const char *top = getenv("CC_TOP");
    const char *argv[32];
    const char *files[3];
    int ports[2], n = 0, i;

    snprintf(fake, sizeof(fake), "%s/tests/fakes/fake_smtp.py",
             top ? top : ".");
    snprintf(port, sizeof(port), "%s/mail.port", it_var);
    snprintf(cport, sizeof(cport), "%s/mail.control.port", it_var);
    snprintf(log, sizeof(log), "%s/fake_smtp_mail.log", it_var);
    snprintf(tls, sizeof(tls), "%s/mail-tls", it_var);
    snprintf(ml_ca, sizeof(ml_ca), "%s/ca.pem", tls);
    argv[n++] = "python3";
    argv[n++] = fake;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--portfile";
    argv[n++] = port;
    argv[n++] = "--control-portfile";
    argv[n++] = cport;
    argv[n++] = "--host";
    argv[n++] = host;
    argv[n++] = "--tls-dir";
    argv[n++] = tls;
    for (i = 0; opts && opts[i] && n < 30; i++) {
        argv[n++] = opts[i];
    }
    argv[n] = NULL;
    files[0] = port;
    files[1] = cport;
    files[2] = NULL;
    it_sh("rm -rf '%s'", tls);
    ml_pid = it_fake_spawn(argv, log, files, ports);
    ml_port = ports[0];
    ml_cport = ports[1];
    ck_assert_msg(ml_pid > 0 && ml_port > 0, "fake_smtp did not start: see "
                  "%s", log);
}

static void ml_stop(void)
{
    it_fake_stop(&ml_pid);
    mc_http_set_cafile(NULL);
}

/* A message as the notifier builds it: fixed, with CRLF line ends. */
static const char ml_msg[] =
    "From: " ML_USER "\r\nTo: " ML_TO "\r\n"
    "Subject: Escalation: a patient message needs the clinical team "
    "(escalation 7)\r\n\r\nThe message itself is in the staff dashboard.\r\n";

/* Send with the defaults (STARTTLS on loopback, PLAIN/LOGIN, trusted
 * test CA), changed by the caller through m before the call. */
static void ml_defaults(mc_http_mail *m, const char *scheme)
{
    memset(m, 0, sizeof(*m));
    m->url = apr_psprintf(ml_pool, "%s://127.0.0.1:%d", scheme, ml_port);
    m->helo = ML_HELO;
    m->user = ML_USER;
    m->password = ML_PASS;
    m->from = ML_USER;
    m->to = ML_TO;
    m->msg = ml_msg;
    m->connect_ms = 3000;
    m->timeout_ms = 10000;
    mc_http_set_cafile(ml_ca);
}

static json_t *ml_stats(void)
{
    return it_fake_ctl(ml_cport, "GET", "/__stats", NULL);
}

static long ml_count(void)
{
    json_t *s = ml_stats();
    long n = (long)json_integer_value(json_object_get(s, "count"));

    json_decref(s);
    return n;
}

static const char *ml_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void ml_setup(void)
{
    apr_initialize();
    apr_pool_create(&ml_pool, NULL);
}

static void ml_teardown(void)
{
    ml_stop();
    apr_pool_destroy(ml_pool);
    ml_pool = NULL;
}

/* ---- Postfix-like submission: STARTTLS required, AUTH ------------------ */

START_TEST(mail_starttls_auth)
{
    static const char *const opts[] = { "--require-tls", "--user", ML_USER,
                                        "--password", ML_PASS, NULL };
    mc_http_mail m;
    const char *err;
    json_t *s, *msg;

    ml_start("127.0.0.1", opts);
    ml_defaults(&m, "smtp");
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err == NULL, "submission refused: %s", err);
    s = ml_stats();
    ck_assert_int_eq(json_integer_value(json_object_get(s, "count")), 1);
    msg = json_array_get(json_object_get(s, "messages"), 0);
    ck_assert_msg(json_is_true(json_object_get(msg, "tls")),
                  "the message was not sent under STARTTLS");
    ck_assert_msg(ml_str(msg, "auth_mech")
                  && (!strcmp(ml_str(msg, "auth_mech"), "PLAIN")
                      || !strcmp(ml_str(msg, "auth_mech"), "LOGIN")),
                  "auth mechanism %s", ml_str(msg, "auth_mech"));
    ck_assert_str_eq(ml_str(msg, "auth_user"), ML_USER);
    ck_assert_str_eq(ml_str(msg, "helo"), ML_HELO);
    ck_assert_str_eq(ml_str(msg, "mail_from"), ML_USER);
    ck_assert_str_eq(json_string_value(json_array_get(
        json_object_get(msg, "rcpt_to"), 0)), ML_TO);
    ck_assert_msg(strstr(ml_str(msg, "data"), "(escalation 7)") != NULL,
                  "message body: %s", ml_str(msg, "data"));
    json_decref(s);

    /* A wrong password: "auth", nothing accepted. */
    m.password = "not-the-password";
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "auth"), "wrong password: %s",
                  err ? err : "(accepted)");
    /* No login at all: the server wants one before MAIL (530). */
    m.user = NULL;
    m.password = NULL;
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "smtp_530"), "no AUTH: %s",
                  err ? err : "(accepted)");
    /* The certificate is not trusted (system CAs only): "tls", and no
     * password went over the wire in clear. */
    ml_defaults(&m, "smtp");
    mc_http_set_cafile(NULL);
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "tls"), "untrusted certificate: %s",
                  err ? err : "(accepted)");
    ck_assert_int_eq(ml_count(), 1);
}
END_TEST

START_TEST(mail_names_refused)
{
    static const char *const opts[] = { "--require-tls", "--user", ML_USER,
                                        "--password", ML_PASS, NULL };
    mc_http_mail m;
    const char *err;
    json_t *s, *r;
    size_t i;
    int saw504 = 0;

    ml_start("127.0.0.1", opts);
    /* A sender without a fully qualified domain: the server's 504. */
    ml_defaults(&m, "smtp");
    m.from = "concierge@localhost";
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "smtp_504"), "sender @localhost: %s",
                  err ? err : "(accepted)");
    s = ml_stats();
    json_array_foreach(json_object_get(s, "refusals"), i, r) {
        saw504 |= json_integer_value(json_object_get(r, "code")) == 504;
    }
    ck_assert_msg(saw504, "the fake did not refuse the sender");
    json_decref(s);
    /* A bare host name in EHLO is never sent: refused before connecting. */
    ml_defaults(&m, "smtp");
    m.helo = "web01";
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "protocol"), "EHLO web01: %s",
                  err ? err : "(accepted)");
    m.helo = NULL;
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "protocol"), "no EHLO name: %s",
                  err ? err : "(accepted)");
    /* URLs the client refuses: a path (the EHLO name is ours), user
     * information, another scheme. */
    ml_defaults(&m, "smtp");
    m.url = apr_psprintf(ml_pool, "smtp://127.0.0.1:%d/web01", ml_port);
    ck_assert_str_eq(mc_http_mail_send(ml_pool, &m), "protocol");
    m.url = apr_psprintf(ml_pool, "smtp://u:p@127.0.0.1:%d", ml_port);
    ck_assert_str_eq(mc_http_mail_send(ml_pool, &m), "protocol");
    m.url = apr_psprintf(ml_pool, "https://127.0.0.1:%d", ml_port);
    ck_assert_str_eq(mc_http_mail_send(ml_pool, &m), "protocol");
    ck_assert_int_eq(mc_http_mail_url_check(ml_pool, "smtp://mail.example"
                                            ".org:587"), 1);
    ck_assert_int_eq(mc_http_mail_url_check(ml_pool, "smtps://mail.example"
                                            ".org"), 1);
    ck_assert_int_eq(mc_http_mail_url_check(ml_pool, "smtp://mail.example"
                                            ".org:587/x"), 0);
    ck_assert_int_eq(mc_http_mail_url_check(ml_pool, "smtp://mail.example"
                                            ".org?x=1"), 0);
    ck_assert_int_eq(ml_count(), 0);
}
END_TEST

/* ---- XOAUTH2 (Microsoft 365, Gmail) -------------------------------------- */

START_TEST(mail_xoauth2)
{
    static const char *const opts[] = { "--require-tls", "--user", ML_USER,
                                        "--bearer", ML_TOKEN, NULL };
    mc_http_mail m;
    const char *err;
    json_t *s, *msg;

    ml_start("127.0.0.1", opts);
    ml_defaults(&m, "smtp");
    m.password = NULL;
    m.bearer = ML_TOKEN;
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err == NULL, "XOAUTH2 submission refused: %s", err);
    s = ml_stats();
    msg = json_array_get(json_object_get(s, "messages"), 0);
    ck_assert_str_eq(ml_str(msg, "auth_mech"), "XOAUTH2");
    ck_assert_str_eq(ml_str(msg, "auth_user"), ML_USER);
    json_decref(s);
    /* An expired token: refused as a login, not delivered. */
    m.bearer = "ya29.expired";
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "auth"), "expired token: %s",
                  err ? err : "(accepted)");
    ck_assert_int_eq(ml_count(), 1);
}
END_TEST

/* ---- smtps (port 465) ---------------------------------------------------- */

START_TEST(mail_implicit_tls)
{
    static const char *const opts[] = { "--implicit-tls", "--user", ML_USER,
                                        "--password", ML_PASS, NULL };
    mc_http_mail m;
    const char *err;
    json_t *s;

    ml_start("127.0.0.1", opts);
    ml_defaults(&m, "smtps");
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err == NULL, "smtps submission refused: %s", err);
    s = ml_stats();
    ck_assert(json_is_true(json_object_get(json_array_get(
        json_object_get(s, "messages"), 0), "tls")));
    json_decref(s);
}
END_TEST

/* ---- a remote server: STARTTLS is required -------------------------------- */

/* An IPv4 address of this machine outside 127.0.0.0/8, or NULL. */
static const char *ml_outer_ip(void)
{
    static char buf[INET_ADDRSTRLEN];
    struct ifaddrs *ifs, *i;
    const char *out = NULL;

    if (getifaddrs(&ifs) != 0) {
        return NULL;
    }
    for (i = ifs; i && !out; i = i->ifa_next) {
        const struct sockaddr_in *a = (const void *)i->ifa_addr;

        if (a && a->sin_family == AF_INET
            && (ntohl(a->sin_addr.s_addr) >> 24) != 127
            && inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf))) {
            out = buf;
        }
    }
    freeifaddrs(ifs);
    return out;
}

START_TEST(mail_remote_needs_starttls)
{
    const char *ip = ml_outer_ip();
    static const char *const plain[] = { "--no-starttls", "--user", ML_USER,
                                         "--password", ML_PASS, NULL };
    static const char *const tls[] = { "--user", ML_USER, "--password",
                                       ML_PASS, NULL };
    mc_http_mail m;
    const char *err;

    ck_assert_msg(ip != NULL, "this machine has no IPv4 address outside "
                  "127.0.0.0/8 to stand for a remote mail server");
    /* A server at a non-loopback address that offers no STARTTLS: the
     * password must not go out in clear, so nothing is sent. */
    ml_start(ip, plain);
    ml_defaults(&m, "smtp");
    m.url = apr_psprintf(ml_pool, "smtp://%s:%d", ip, ml_port);
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err && !strcmp(err, "tls"), "no STARTTLS at %s: %s", ip,
                  err ? err : "(sent in clear)");
    ck_assert_int_eq(ml_count(), 0);
    ml_stop();
    /* The same address offering STARTTLS: sent, encrypted. */
    ml_start(ip, tls);
    ml_defaults(&m, "smtp");
    m.url = apr_psprintf(ml_pool, "smtp://%s:%d", ip, ml_port);
    err = mc_http_mail_send(ml_pool, &m);
    ck_assert_msg(err == NULL, "STARTTLS at %s refused: %s", ip, err);
    ck_assert_int_eq(ml_count(), 1);
}
END_TEST

Suite *it_suite_mail(void)
{
    Suite *s = suite_create("mail");
    TCase *tc = tcase_create("submission");

    tcase_add_checked_fixture(tc, ml_setup, ml_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, mail_starttls_auth);
    tcase_add_test(tc, mail_names_refused);
    tcase_add_test(tc, mail_xoauth2);
    tcase_add_test(tc, mail_implicit_tls);
    tcase_add_test(tc, mail_remote_needs_starttls);
    suite_add_tcase(s, tc);
    return s;
}

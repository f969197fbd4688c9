/* Unit tests: cc_http (the outbound URL rule, the error codes, Retry-After).
 */
#include <stdio.h>
#include <string.h>
#include <apr_pools.h>
#include "cc_http.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- loopback hosts ------------------------------------------------------ */

typedef struct host_case_t {
    const char *host;
    int         loopback;
} host_case_t;

static const host_case_t host_cases[] = {
    { "127.0.0.1",              1 },
    { "127.0.0.2",              1 },
    { "127.255.255.254",        1 },
    { "127.1.2.3",              1 },
    { "localhost",              1 },
    { "LocalHost",              1 },
    { "[::1]",                  1 },
    { "::1",                    1 },
    { "[0:0:0:0:0:0:0:1]",      1 },
    { "128.0.0.1",              0 },
    { "126.255.255.255",        0 },
    { "10.0.0.1",               0 },
    { "0.0.0.0",                0 },
    { "127.1",                  0 },    /* not dotted-quad */
    { "0x7f.0.0.1",             0 },
    { "0177.0.0.1",             0 },
    { "127.0.0.1.",             0 },
    { "127.0.0.1.evil.example", 0 },
    { "localhost.evil.example", 0 },
    { "evil.localhost.example", 0 },
    { "localhost.",             0 },
    { "[127.0.0.1]",            0 },    /* IPv4 is never bracketed */
    { "[::2]",                  0 },
    { "[::]",                   0 },
    { "[::ffff:127.0.0.1]",     0 },
    { "[::1",                   0 },
    { "::1]",                   0 },
    { "[]",                     0 },
    { "",                       0 },
    { "example.com",            0 },
    { "api.groq.com",           0 },
    { "[::1%25lo]",             0 },
    { "1111111111111111111111111111111111111111111111111111111111111111111",
                                0 },
};

START_TEST(test_loopback)
{
    const host_case_t *c = &host_cases[_i];

    ck_assert_msg(cc_http_host_is_loopback(c->host) == c->loopback,
                  "%s: expected %d", c->host, c->loopback);
}
END_TEST

START_TEST(test_loopback_null)
{
    ck_assert_int_eq(cc_http_host_is_loopback(NULL), 0);
}
END_TEST

/* ---- the scheme rule ----------------------------------------------------- */

typedef struct scheme_case_t {
    const char *scheme, *host, *secure, *plain;
    const char *want;       /* NULL: refused */
} scheme_case_t;

static const scheme_case_t scheme_cases[] = {
    { "https", "api.groq.com",  "https", "http",  "https" },
    { "HTTPS", "api.groq.com",  "https", "http",  "https" },
    { "https", "127.0.0.1",     "https", "http",  "https" },
    { "http",  "127.0.0.1",     "https", "http",  "http" },
    { "http",  "127.9.9.9",     "https", "http",  "http" },
    { "HTTP",  "localhost",     "https", "http",  "http" },
    { "http",  "[::1]",         "https", "http",  "http" },
    { "http",  "api.groq.com",  "https", "http",  NULL },
    { "http",  "10.0.0.1",      "https", "http",  NULL },
    { "http",  "127.1",         "https", "http",  NULL },
    { "http",  NULL,            "https", "http",  NULL },
    { "ftp",   "127.0.0.1",     "https", "http",  NULL },
    { "file",  "localhost",     "https", "http",  NULL },
    { "smtps", "127.0.0.1",     "https", "http",  NULL },
    { "https", "127.0.0.1",     "https", NULL,    "https" },
    { "http",  "127.0.0.1",     "https", NULL,    NULL },
    { "smtps", "mail.example",  "smtps", "smtp",  "smtps" },
    { "smtp",  "127.0.0.1",     "smtps", "smtp",  "smtp" },
    { "smtp",  "mail.example",  "smtps", "smtp",  NULL },
    { "https", "mail.example",  "smtps", "smtp",  NULL },
    { "",      "127.0.0.1",     "https", "http",  NULL },
    { NULL,    "127.0.0.1",     "https", "http",  NULL },
};

START_TEST(test_scheme)
{
    const scheme_case_t *c = &scheme_cases[_i];
    const char *got = cc_http_scheme_allow(c->scheme, c->host, c->secure,
                                           c->plain);

    if (!c->want) {
        ck_assert_msg(got == NULL, "%s://%s allowed as %s",
                      c->scheme ? c->scheme : "(null)",
                      c->host ? c->host : "(null)", got);
    }
    else {
        ck_assert_msg(got && !strcmp(got, c->want), "%s://%s: %s, not %s",
                      c->scheme, c->host, got ? got : "refused", c->want);
    }
}
END_TEST

/* ---- error codes --------------------------------------------------------- */

typedef struct err_case_t {
    cc_http_err e;
    long        status;
    const char *code;
} err_case_t;

static const err_case_t err_cases[] = {
    { CC_HTTP_OK,           0,   NULL },
    { CC_HTTP_E_INIT,       0,   "curl_init" },
    { CC_HTTP_E_PROTOCOL,   0,   "protocol" },
    { CC_HTTP_E_TIMEOUT,    0,   "timeout" },
    { CC_HTTP_E_CONNECT,    0,   "connect" },
    { CC_HTTP_E_TLS,        0,   "tls" },
    { CC_HTTP_E_TOO_LARGE,  0,   "response_too_large" },
    { CC_HTTP_E_WRITE,      0,   "write" },
    { CC_HTTP_E_AUTH,       0,   "auth" },
    { CC_HTTP_E_TRANSPORT,  0,   "transport" },
    { CC_HTTP_E_STATUS,     429, "http_429" },
    { CC_HTTP_E_STATUS,     500, "http_500" },
    { CC_HTTP_E_STATUS,     301, "http_301" },
    { CC_HTTP_E_SMTP,       530, "smtp_530" },
    { (cc_http_err)99,      0,   "transport" },
};

START_TEST(test_err_code)
{
    const err_case_t *c = &err_cases[_i];
    apr_pool_t *p = NULL;
    const char *got;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    got = cc_http_err_code(p, c->e, c->status);
    if (!c->code) {
        ck_assert_ptr_null(got);
    }
    else {
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, c->code);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- Retry-After --------------------------------------------------------- */

typedef struct ra_case_t {
    const char *line;
    long        want;
} ra_case_t;

static const ra_case_t ra_cases[] = {
    { "Retry-After: 1\r\n",                 1 },
    { "retry-after:7\r\n",                  7 },
    { "RETRY-AFTER:   30  \r\n",            30 },
    { "Retry-After: 0\r\n",                 0 },
    { "Retry-After: 3599\r\n",              3599 },
    { "Retry-After: 3600\r\n",              -1 },
    { "Retry-After: 99999999999999999999\r\n", -1 },
    { "Retry-After: -1\r\n",                -1 },
    { "Retry-After: \r\n",                  -1 },
    { "Retry-After: 5s\r\n",                -1 },
    { "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", -1 },
    { "Retry-After-Ms: 5\r\n",              -1 },
    { "Content-Type: application/json\r\n", -1 },
    { "Retry-After:",                       -1 },
    { "",                                   -1 },
};

START_TEST(test_retry_after)
{
    const ra_case_t *c = &ra_cases[_i];

    ck_assert_msg(cc_http_retry_after(c->line, strlen(c->line)) == c->want,
                  "'%s': expected %ld", c->line, c->want);
}
END_TEST

START_TEST(test_retry_after_bounds)
{
    /* Only len bytes are read: a value cut short still parses, a line
     * without a NUL is never read past len. */
    static const char line[] = "Retry-After: 12";

    ck_assert_int_eq(cc_http_retry_after(line, 14), 1);
    ck_assert_int_eq(cc_http_retry_after(line, 15), 12);
    ck_assert_int_eq(cc_http_retry_after(line, 12), -1);
    ck_assert_int_eq(cc_http_retry_after(NULL, 10), -1);
}
END_TEST

/* ---- mail: TLS by URL, FQDN names, addresses ---------------------------- */

static const struct {
    const char *scheme, *host;
    cc_mail_tls want;
} mail_cases[] = {
    { "smtps", "smtp.office365.com", CC_MAIL_IMPLICIT },
    { "SMTPS", "127.0.0.1", CC_MAIL_IMPLICIT },
    { "smtp", "smtp.office365.com", CC_MAIL_STARTTLS },
    { "smtp", "10.0.0.25", CC_MAIL_STARTTLS },
    { "smtp", "127.0.0.1", CC_MAIL_STARTTLS_IF_OFFERED },
    { "smtp", "[::1]", CC_MAIL_STARTTLS_IF_OFFERED },
    { "smtp", "localhost", CC_MAIL_STARTTLS_IF_OFFERED },
    { "smtp", "127.1", CC_MAIL_STARTTLS },      /* not loopback's spelling */
    { "https", "smtp.example.org", CC_MAIL_REFUSED },
    { "http", "127.0.0.1", CC_MAIL_REFUSED },
    { "smtp", "", CC_MAIL_REFUSED },
    { NULL, "smtp.example.org", CC_MAIL_REFUSED },
    { "smtp", NULL, CC_MAIL_REFUSED },
};

START_TEST(test_mail_security)
{
    ck_assert_msg(cc_http_mail_security(mail_cases[_i].scheme,
                                        mail_cases[_i].host)
                  == mail_cases[_i].want, "%s://%s",
                  mail_cases[_i].scheme ? mail_cases[_i].scheme : "(null)",
                  mail_cases[_i].host ? mail_cases[_i].host : "(null)");
}
END_TEST

static const struct {
    const char *name;
    int fqdn;
} fqdn_cases[] = {
    { "concierge.clinic.example", 1 },
    { "web01.hospital.nhs.uk", 1 },
    { "a.b", 1 },
    { "x-1.example", 1 },
    { "123.example", 1 },
    { "Mail.Example.ORG", 1 },
    { "localhost", 0 },                 /* one label */
    { "web01", 0 },
    { "127.0.0.1", 0 },                 /* an address, not a name */
    { "10.1.2.3", 0 },
    { "example.", 0 },                  /* trailing dot */
    { ".example.org", 0 },
    { "a..example", 0 },
    { "-a.example", 0 },
    { "a-.example", 0 },
    { "a_b.example", 0 },
    { "a b.example", 0 },
    { "a.example\r\nMAIL", 0 },
    { "[127.0.0.1]", 0 },
    { "", 0 },
    { NULL, 0 },
};

START_TEST(test_fqdn)
{
    ck_assert_msg(cc_http_fqdn(fqdn_cases[_i].name) == fqdn_cases[_i].fqdn,
                  "%s", fqdn_cases[_i].name ? fqdn_cases[_i].name : "(null)");
}
END_TEST

START_TEST(test_fqdn_lengths)
{
    char label[80], name[300];

    memset(label, 'a', 63);
    label[63] = '\0';
    snprintf(name, sizeof(name), "%s.example", label);
    ck_assert_int_eq(cc_http_fqdn(name), 1);
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(name, sizeof(name), "%s.example", label);
    ck_assert_int_eq(cc_http_fqdn(name), 0);
    /* 253 characters pass, 254 do not. */
    memset(name, 'a', 253);
    name[253] = '\0';
    for (int i = 50; i < 253; i += 50) {
        name[i] = '.';
    }
    ck_assert_int_eq(cc_http_fqdn(name), 1);
    name[253] = 'a';
    name[254] = '\0';
    ck_assert_int_eq(cc_http_fqdn(name), 0);
}
END_TEST

static const struct {
    const char *addr;
    int ok;
} addr_cases[] = {
    { "concierge@clinic.example", 1 },
    { "first.last+tag@mail.hospital.org", 1 },
    { "concierge@localhost", 0 },       /* what Postfix's
                                           reject_non_fqdn_sender refuses */
    { "concierge@web01", 0 },
    { "concierge@127.0.0.1", 0 },
    { "@clinic.example", 0 },
    { "concierge@", 0 },
    { "concierge", 0 },
    { "a@b@clinic.example", 0 },
    { "con cierge@clinic.example", 0 },
    { "<x>@clinic.example", 0 },
    { "x@clinic.example>", 0 },
    { "x\r\nRCPT@clinic.example", 0 },
    { NULL, 0 },
};

START_TEST(test_mail_address)
{
    ck_assert_msg(cc_http_mail_address(addr_cases[_i].addr)
                  == addr_cases[_i].ok, "%s",
                  addr_cases[_i].addr ? addr_cases[_i].addr : "(null)");
}
END_TEST

START_TEST(test_mail_address_local_part)
{
    char a[100];

    memset(a, 'x', 64);
    strcpy(a + 64, "@clinic.example");
    ck_assert_int_eq(cc_http_mail_address(a), 1);
    memset(a, 'x', 65);
    strcpy(a + 65, "@clinic.example");
    ck_assert_int_eq(cc_http_mail_address(a), 0);
}
END_TEST

Suite *suite_http(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("loopback");

    tcase_add_loop_test(tc, test_loopback, 0, N(host_cases));
    tcase_add_test(tc, test_loopback_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("scheme");
    tcase_add_loop_test(tc, test_scheme, 0, N(scheme_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_err_code, 0, N(err_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("retry_after");
    tcase_add_loop_test(tc, test_retry_after, 0, N(ra_cases));
    tcase_add_test(tc, test_retry_after_bounds);
    suite_add_tcase(s, tc);

    tc = tcase_create("mail");
    tcase_add_loop_test(tc, test_mail_security, 0, N(mail_cases));
    tcase_add_loop_test(tc, test_fqdn, 0, N(fqdn_cases));
    tcase_add_test(tc, test_fqdn_lengths);
    tcase_add_loop_test(tc, test_mail_address, 0, N(addr_cases));
    tcase_add_test(tc, test_mail_address_local_part);
    suite_add_tcase(s, tc);
    return s;
}

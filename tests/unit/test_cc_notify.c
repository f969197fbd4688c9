/* Unit tests: cc_notify (webhook signature, e-mail message, backoff).
 *
 * Known-answer HMACs were computed independently, e.g.
 *   printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
 * and RFC 2047 payloads with Python's base64 module. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include "cc_notify.h"
#include "suites.h"

/* 2023-11-14T22:13:20Z (a Tuesday). */
#define T0      INT64_C(1700000000)
#define T0_US   (T0 * INT64_C(1000000))
#define BODY    "{\"a\":1}"
/* HMAC-SHA256("secret", "1700000000.{\"a\":1}") */
#define SIG     "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
#define SIG_UC  "49F24E537407743FA4A0242BB63B94B9A47EE99CBBE071CCD8A22550AE411686"
#define ZEROS   "0000000000000000000000000000000000000000000000000000000000000000"
#define TS      "1700000000"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* ---- cc_notify_sign: known answers ---------------------------------------- */

typedef struct sign_case_t {
    const char *secret;
    size_t      secret_len;
    int64_t     t;
    const char *body;
    size_t      body_len;
    const char *hex;            /* NULL: must fail */
} sign_case_t;

#define K100 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
             "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"

static const sign_case_t sign_cases[] = {
    { "secret", 6, T0, BODY, 7, SIG },
    { "k", 1, 0, "", 0,
      "6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7" },
    { "whsec_test", 10, INT64_C(1700000123),
      "{\"event\":\"handoff.created\",\"id\":\"42\"}", 37,
      "d7cd9c54555f246e544c6fd393c252c265c6284927959906c380a962b8e25b5b" },
    { "secret", 6, T0, NULL, 0,
      "4bc5f74d868b97888288889c5d9d65df02526f94c1592a79fdf4fe8b26e311e5" },
    /* key longer than the SHA-256 block */
    { K100, 100, T0, "x", 1,
      "0ba7e3e3b8e74ee3c7ccfeb7b8231de88e5951ccbc662d3cf95f2b445d1bf39d" },
    /* body_len is honoured: an embedded NUL is signed */
    { "secret", 6, T0, "a\0b", 3,
      "e4c007a47685e2d9686b232495a19420e9db0fbf4d0666842cba8f026bb5ac70" },
    { NULL, 0, T0, BODY, 7, NULL },
    { "", 0, T0, BODY, 7, NULL },
    { "secret", 6, -1, BODY, 7, NULL },
    { "secret", 6, T0, NULL, 5, NULL },
};

START_TEST(test_sign_known_answer)
{
    const sign_case_t *c = &sign_cases[_i];
    char out[65];
    int rc;

    memset(out, 'X', sizeof(out));
    rc = cc_notify_sign(out, c->secret, c->secret_len, c->t, c->body,
                        c->body_len);
    if (c->hex == NULL) {
        ck_assert_msg(rc == -1, "case %d: expected failure", _i);
    } else {
        ck_assert_msg(rc == 0, "case %d: rc %d", _i, rc);
        ck_assert_str_eq(out, c->hex);
    }
}
END_TEST

/* ---- cc_notify_signature_header ------------------------------------------- */

START_TEST(test_signature_header_format)
{
    apr_pool_t *p = new_pool();
    char *h;

    h = cc_notify_signature_header(p, "secret", 6, T0, BODY, 7);
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(h, "t=" TS ",v1=" SIG);

    h = cc_notify_signature_header(p, "k", 1, 0, "", 0);
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(h, "t=0,v1=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c"
                        "93dfe336f329167641e7");

    ck_assert_ptr_null(cc_notify_signature_header(p, "", 0, T0, BODY, 7));
    ck_assert_ptr_null(cc_notify_signature_header(p, NULL, 0, T0, BODY, 7));
    ck_assert_ptr_null(cc_notify_signature_header(p, "s", 1, -5, BODY, 7));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_verify_own_header)
{
    static const char *const bodies[] = {
        "", BODY, "{\"event\":\"handoff.created\",\"priority\":\"high\"}",
        "{\"s\":\"Gr\xc3\xbc\xc3\x9f" "e, \\u00fc\"}"
    };
    static const int64_t times[] = { 0, 1, T0, INT64_C(4102444800) };
    apr_pool_t *p = new_pool();
    size_t b, t;

    for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
        for (t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
            size_t len = strlen(bodies[b]);
            char *h = cc_notify_signature_header(p, "whsec_abc", 9, times[t],
                                                 bodies[b], len);

            ck_assert_ptr_nonnull(h);
            ck_assert_int_eq(cc_notify_verify(h, "whsec_abc", 9, bodies[b],
                                              len, times[t], 300), 1);
            ck_assert_int_eq(cc_notify_verify(h, "whsec_abc", 9, bodies[b],
                                              len, times[t] + 300, 300), 1);
            ck_assert_int_eq(cc_notify_verify(h, "whsec_abc", 9, bodies[b],
                                              len, times[t] + 301, 300), 0);
            ck_assert_int_eq(cc_notify_verify(h, "whsec_abd", 9, bodies[b],
                                              len, times[t], 300), 0);
            if (len > 0)
                ck_assert_int_eq(cc_notify_verify(h, "whsec_abc", 9,
                                                  bodies[b], len - 1,
                                                  times[t], 300), 0);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- cc_notify_verify: table ---------------------------------------------- */

typedef struct verify_case_t {
    const char *name;
    const char *header;
    const char *secret;
    const char *body;
    int64_t     now;
    int64_t     tol;
    int         valid;
} verify_case_t;

static const verify_case_t verify_cases[] = {
    { "own header",          "t=" TS ",v1=" SIG, "secret", BODY, T0, 300, 1 },
    { "changed body",        "t=" TS ",v1=" SIG, "secret", "{\"a\":2}", T0, 300, 0 },
    { "body with space",     "t=" TS ",v1=" SIG, "secret", "{\"a\": 1}", T0, 300, 0 },
    { "empty body",          "t=" TS ",v1=" SIG, "secret", "", T0, 300, 0 },
    { "wrong secret",        "t=" TS ",v1=" SIG, "Secret", BODY, T0, 300, 0 },
    { "secret prefix",       "t=" TS ",v1=" SIG, "secre", BODY, T0, 300, 0 },
    { "at +tolerance",       "t=" TS ",v1=" SIG, "secret", BODY, T0 + 300, 300, 1 },
    { "old beyond tol",      "t=" TS ",v1=" SIG, "secret", BODY, T0 + 301, 300, 0 },
    { "at -tolerance",       "t=" TS ",v1=" SIG, "secret", BODY, T0 - 300, 300, 1 },
    { "future beyond tol",   "t=" TS ",v1=" SIG, "secret", BODY, T0 - 301, 300, 0 },
    { "zero tolerance",      "t=" TS ",v1=" SIG, "secret", BODY, T0, 0, 1 },
    { "zero tolerance +1",   "t=" TS ",v1=" SIG, "secret", BODY, T0 + 1, 0, 0 },
    { "negative tolerance",  "t=" TS ",v1=" SIG, "secret", BODY, T0, -1, 0 },
    { "now INT64_MIN",       "t=" TS ",v1=" SIG, "secret", BODY, INT64_MIN, INT64_MAX, 0 },
    { "now INT64_MAX",       "t=" TS ",v1=" SIG, "secret", BODY, INT64_MAX, 300, 0 },
    { "t signed with other t", "t=1700000001,v1=" SIG, "secret", BODY, T0, 300, 0 },
    /* malformed */
    { "empty",               "", "secret", BODY, T0, 300, 0 },
    { "t= only",             "t=", "secret", BODY, T0, 300, 0 },
    { "v1 only",             "v1=abc", "secret", BODY, T0, 300, 0 },
    { "v1 only, valid sig",  "v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "t=1,v1=zz",           "t=1,v1=zz", "secret", BODY, 1, 300, 0 },
    { "t ok, v1=zz",         "t=" TS ",v1=zz", "secret", BODY, T0, 300, 0 },
    { "no v1",               "t=" TS, "secret", BODY, T0, 300, 0 },
    { "empty v1",            "t=" TS ",v1=", "secret", BODY, T0, 300, 0 },
    { "empty t value",       "t=,v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "t not a number",      "t=abc,v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "t with sign",         "t=+" TS ",v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "t negative",          "t=-" TS ",v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "t overflow",          "t=99999999999999999999999,v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "t fraction",          "t=" TS ".5,v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "duplicate t",         "t=" TS ",t=" TS ",v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "item without =",      "t=" TS ",v1=" SIG ",junk", "secret", BODY, T0, 300, 0 },
    { "trailing comma",      "t=" TS ",v1=" SIG ",", "secret", BODY, T0, 300, 0 },
    { "leading comma",       ",t=" TS ",v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "semicolons",          "t=" TS ";v1=" SIG, "secret", BODY, T0, 300, 0 },
    { "uppercase hex",       "t=" TS ",v1=" SIG_UC, "secret", BODY, T0, 300, 0 },
    { "sig truncated",       "t=" TS ",v1=" "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae41168",
                             "secret", BODY, T0, 300, 0 },
    { "sig extended",        "t=" TS ",v1=" SIG "0", "secret", BODY, T0, 300, 0 },
    { "V1 uppercase key",    "t=" TS ",V1=" SIG, "secret", BODY, T0, 300, 0 },
    { "v0 scheme only",      "t=" TS ",v0=" SIG, "secret", BODY, T0, 300, 0 },
    /* several entries */
    { "two v1, 2nd valid",   "t=" TS ",v1=" ZEROS ",v1=" SIG, "secret", BODY, T0, 300, 1 },
    { "two v1, 1st valid",   "t=" TS ",v1=" SIG ",v1=" ZEROS, "secret", BODY, T0, 300, 1 },
    { "bad v1 + valid",      "t=" TS ",v1=zz,v1=" SIG, "secret", BODY, T0, 300, 1 },
    { "two v1, none valid",  "t=" TS ",v1=" ZEROS ",v1=" SIG_UC, "secret", BODY, T0, 300, 0 },
    { "v1 before t",         "v1=" SIG ",t=" TS, "secret", BODY, T0, 300, 1 },
    { "unknown scheme",      "t=" TS ",v0=abc,v1=" SIG, "secret", BODY, T0, 300, 1 },
    { "spaces after comma",  "t=" TS ", v1=" SIG, "secret", BODY, T0, 300, 1 },
    { "NULL secret",          "t=" TS ",v1=" SIG, NULL, BODY, T0, 300, 0 },
    { "NULL header",         NULL, "secret", BODY, T0, 300, 0 },
};

START_TEST(test_verify_table)
{
    const verify_case_t *c = &verify_cases[_i];
    int got;

    got = cc_notify_verify(c->header, c->secret,
                           c->secret ? strlen(c->secret) : 0, c->body,
                           strlen(c->body), c->now, c->tol);
    ck_assert_msg(got == c->valid, "%s: verify(%s) = %d, expected %d",
                  c->name, c->header ? c->header : "(null)", got, c->valid);
}
END_TEST

START_TEST(test_verify_binary_body)
{
    const char *h = "t=" TS ",v1=e4c007a47685e2d9686b232495a19420e9db0fbf4d0666"
                    "842cba8f026bb5ac70";

    ck_assert_int_eq(cc_notify_verify(h, "secret", 6, "a\0b", 3, T0, 300), 1);
    ck_assert_int_eq(cc_notify_verify(h, "secret", 6, "a\0b", 1, T0, 300), 0);
    ck_assert_int_eq(cc_notify_verify(h, "secret", 6, "a\0c", 3, T0, 300), 0);
    ck_assert_int_eq(cc_notify_verify(h, "secret", 6, NULL, 3, T0, 300), 0);
}
END_TEST

/* ---- cc_notify_email ------------------------------------------------------ */

static const char *const allowed_headers[] = {
    "Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
    "Content-Type", "Content-Transfer-Encoding", NULL
};

/* The message is CRLF-only, its header names are all known, no line is
 * longer than 998 octets (78 in the header), and the header section ends
 * with an empty line.  Returns the header section (NUL-terminated copy). */
static char *check_message(apr_pool_t *p, const char *msg)
{
    const char *sep, *s, *e;
    char *head;
    size_t i;

    ck_assert_ptr_nonnull(msg);
    for (i = 0; msg[i] != '\0'; i++) {
        if (msg[i] == '\n')
            ck_assert_msg(i > 0 && msg[i - 1] == '\r', "bare LF at %zu", i);
        if (msg[i] == '\r')
            ck_assert_msg(msg[i + 1] == '\n', "bare CR at %zu", i);
    }
    ck_assert_msg(i >= 2 && msg[i - 2] == '\r' && msg[i - 1] == '\n',
                  "message does not end with CRLF");
    sep = strstr(msg, "\r\n\r\n");
    ck_assert_ptr_nonnull(sep);
    head = apr_pstrndup(p, msg, (apr_size_t)(sep - msg) + 2);

    for (s = head; *s != '\0'; s = e + 2) {
        e = strstr(s, "\r\n");
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(e - s <= 78, "header line too long: %.*s",
                      (int)(e - s), s);
        if (*s != ' ' && *s != '\t') {
            const char *colon = memchr(s, ':', (size_t)(e - s));
            int known = 0;

            ck_assert_msg(colon != NULL, "not a header: %.*s", (int)(e - s), s);
            for (i = 0; allowed_headers[i] != NULL; i++)
                if ((size_t)(colon - s) == strlen(allowed_headers[i])
                    && strncmp(s, allowed_headers[i], (size_t)(colon - s)) == 0)
                    known = 1;
            ck_assert_msg(known, "unexpected header: %.*s", (int)(e - s), s);
        }
    }
    for (s = sep + 4; *s != '\0'; s = e + 2) {
        e = strstr(s, "\r\n");
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(e - s <= 998, "body line of %d octets", (int)(e - s));
    }
    return head;
}

/* The (unfolded) value of header `name`, or NULL. */
static char *header_value(apr_pool_t *p, const char *head, const char *name)
{
    size_t nl = strlen(name);
    const char *s = head;
    char *v = NULL;

    while (*s != '\0') {
        const char *e = strstr(s, "\r\n");

        if (strncmp(s, name, nl) == 0 && s[nl] == ':') {
            const char *vs = s + nl + 1;

            while (*vs == ' ')
                vs++;
            v = apr_pstrndup(p, vs, (apr_size_t)(e - vs));
            /* continuation lines */
            while (e[2] == ' ' || e[2] == '\t') {
                const char *cs = e + 2, *ce = strstr(cs, "\r\n");

                v = apr_pstrcat(p, v, apr_pstrndup(p, cs, (apr_size_t)(ce - cs)),
                                NULL);
                e = ce;
            }
            return v;
        }
        s = e + 2;
    }
    return NULL;
}

START_TEST(test_email_basic)
{
    apr_pool_t *p = new_pool();
    const char *m, *body;
    char *head;

    m = cc_notify_email(p, "concierge@clinic.example", "staff@clinic.example",
                        "New hand-off: appointment (high)",
                        "A patient asked for a call back.\n"
                        "Open: https://clinic.example/staff/handoffs/42\n",
                        "ho-42.1700000000", "clinic.example", T0_US);
    head = check_message(p, m);
    ck_assert_str_eq(header_value(p, head, "Date"),
                     "Tue, 14 Nov 2023 22:13:20 +0000");
    ck_assert_str_eq(header_value(p, head, "From"), "concierge@clinic.example");
    ck_assert_str_eq(header_value(p, head, "To"), "staff@clinic.example");
    ck_assert_str_eq(header_value(p, head, "Subject"),
                     "New hand-off: appointment (high)");
    ck_assert_str_eq(header_value(p, head, "Message-ID"),
                     "<ho-42.1700000000@clinic.example>");
    ck_assert_str_eq(header_value(p, head, "MIME-Version"), "1.0");
    ck_assert_str_eq(header_value(p, head, "Content-Type"),
                     "text/plain; charset=UTF-8");
    ck_assert_str_eq(header_value(p, head, "Content-Transfer-Encoding"),
                     "8bit");
    ck_assert_int_eq(strncmp(m, "Date: ", 6), 0);
    body = strstr(m, "\r\n\r\n") + 4;
    ck_assert_str_eq(body, "A patient asked for a call back.\r\n"
                           "Open: https://clinic.example/staff/handoffs/42\r\n");
    apr_pool_destroy(p);
}
END_TEST

typedef struct body_case_t {
    const char *in;
    const char *out;
} body_case_t;

static const body_case_t body_cases[] = {
    { "one line", "one line\r\n" },
    { "a\nb\n", "a\r\nb\r\n" },
    { "a\r\nb\r\n", "a\r\nb\r\n" },
    { "a\rb", "a\r\nb\r\n" },
    { "a\n\nb", "a\r\n\r\nb\r\n" },
    { "a\r\n\r\n", "a\r\n\r\n" },
    { "\n", "\r\n" },
    /* no dot-stuffing here: libcurl does it on upload */
    { "x\n.\n.hidden\n", "x\r\n.\r\n.hidden\r\n" },
    { "Gr\xc3\xbc\xc3\x9f" "e\n", "Gr\xc3\xbc\xc3\x9f" "e\r\n" },
    { "", "" },
    { NULL, "" },
};

START_TEST(test_email_body_crlf)
{
    const body_case_t *c = &body_cases[_i];
    apr_pool_t *p = new_pool();
    const char *m;

    m = cc_notify_email(p, "a@b.c", "d@e.f", "s", c->in, "1", "b.c", T0_US);
    check_message(p, m);
    ck_assert_str_eq(strstr(m, "\r\n\r\n") + 4, c->out);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_email_long_body_line)
{
    apr_pool_t *p = new_pool();
    char *in = apr_palloc(p, 2 * 1500 + 1);
    const char *m, *b;
    size_t i, total = 0;

    /* "ü" (2 octets) x 1500: breaks must fall between characters */
    for (i = 0; i < 1500; i++) {
        in[2 * i] = '\xc3';
        in[2 * i + 1] = '\xbc';
    }
    in[3000] = '\0';
    m = cc_notify_email(p, "a@b.c", "d@e.f", "s", in, NULL, NULL, T0_US);
    check_message(p, m);
    b = strstr(m, "\r\n\r\n") + 4;
    while (*b != '\0') {
        const char *e = strstr(b, "\r\n");

        ck_assert_msg((unsigned char)*b == 0xc3, "line starts mid-character");
        ck_assert_int_eq((e - b) % 2, 0);
        total += (size_t)(e - b);
        b = e + 2;
    }
    ck_assert_uint_eq(total, 3000);
    apr_pool_destroy(p);
}
END_TEST

typedef struct inject_case_t {
    const char *name;
    const char *from;
    const char *to;
    const char *subject;
    const char *message_id;
    const char *domain;
    int         refused;
    const char *subject_out;    /* expected Subject value when accepted */
} inject_case_t;

static const inject_case_t inject_cases[] = {
    { "to CRLF Bcc", "a@b.c", "a@b.c\r\nBcc: x@y.z", "Hi", "1", "b.c", 1, NULL },
    { "to LF Bcc", "a@b.c", "a@b.c\nBcc: x@y.z", "Hi", "1", "b.c", 1, NULL },
    { "from CRLF Bcc", "a@b.c\r\nBcc: x@y.z", "d@e.f", "Hi", "1", "b.c", 1, NULL },
    { "to list", "a@b.c", "d@e.f,x@y.z", "Hi", "1", "b.c", 1, NULL },
    { "subject CRLF Bcc", "a@b.c", "d@e.f", "Hi\r\nBcc: x@y.z", "1", "b.c",
      0, "Hi Bcc: x@y.z" },
    { "subject LF only", "a@b.c", "d@e.f", "Hi\nBcc: x@y.z", "1", "b.c",
      0, "Hi Bcc: x@y.z" },
    { "subject CR only", "a@b.c", "d@e.f", "Hi\rBcc: x@y.z", "1", "b.c",
      0, "Hi Bcc: x@y.z" },
    { "subject CRLFCRLF body", "a@b.c", "d@e.f", "Hi\r\n\r\nfake body", "1",
      "b.c", 0, "Hi fake body" },
    { "subject trailing CRLF", "a@b.c", "d@e.f", "Hi\r\n", "1", "b.c", 0, "Hi" },
    { "subject controls", "a@b.c", "d@e.f", "A\x01" "B\x7f" "C\tD", "1", "b.c",
      0, "ABC\tD" },
    { "message id CRLF", "a@b.c", "d@e.f", "Hi", "1\r\nBcc: x@y.z",
      "b.c\r\nBcc: x@y.z", 0, "Hi" },
    { "NULL subject", "a@b.c", "d@e.f", NULL, "1", "b.c", 0, "" },
};

START_TEST(test_email_injection)
{
    const inject_case_t *c = &inject_cases[_i];
    apr_pool_t *p = new_pool();
    const char *m;
    char *head;

    m = cc_notify_email(p, c->from, c->to, c->subject, "body\n",
                        c->message_id, c->domain, T0_US);
    if (c->refused) {
        ck_assert_msg(m == NULL, "%s: not refused", c->name);
    } else {
        ck_assert_msg(m != NULL, "%s: refused", c->name);
        head = check_message(p, m);      /* no Bcc: header line */
        ck_assert_ptr_null(header_value(p, head, "Bcc"));
        ck_assert_str_eq(header_value(p, head, "Subject"), c->subject_out);
        ck_assert_str_eq(strstr(m, "\r\n\r\n") + 4, "body\r\n");
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_email_message_id)
{
    apr_pool_t *p = new_pool();
    char *head;

    /* CR/LF, spaces and angle brackets are dropped from the id */
    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", "s", "x",
                                            "<id 1>\r\n", "clinic.example",
                                            T0_US));
    ck_assert_str_eq(header_value(p, head, "Message-ID"),
                     "<id1@clinic.example>");
    /* no domain: the sender's */
    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", "s", "x",
                                            "42", NULL, T0_US));
    ck_assert_str_eq(header_value(p, head, "Message-ID"), "<42@b.c>");
    /* no id: no header (the MTA adds one) */
    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", "s", "x",
                                            NULL, "b.c", T0_US));
    ck_assert_ptr_null(header_value(p, head, "Message-ID"));
    apr_pool_destroy(p);
}
END_TEST

typedef struct date_case_t {
    int64_t     t;
    const char *date;
} date_case_t;

static const date_case_t date_cases[] = {
    { 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
    { T0, "Tue, 14 Nov 2023 22:13:20 +0000" },
    { INT64_C(951782400), "Tue, 29 Feb 2000 00:00:00 +0000" },
    { INT64_C(1735689599), "Tue, 31 Dec 2024 23:59:59 +0000" },
    { INT64_C(4102444800), "Fri, 01 Jan 2100 00:00:00 +0000" },
};

START_TEST(test_email_date)
{
    const date_case_t *c = &date_cases[_i];
    apr_pool_t *p = new_pool();
    char *head;

    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", "s", "x",
                                            "1", "b.c",
                                            c->t * INT64_C(1000000) + 999999));
    ck_assert_str_eq(header_value(p, head, "Date"), c->date);
    apr_pool_destroy(p);
}
END_TEST

/* Decodes a Subject made of encoded-words; checks each one's shape. */
static char *decode_words(apr_pool_t *p, const char *v)
{
    char *out = "";
    const char *s = v;

    while (*s != '\0') {
        const char *e;
        char *b64, *dec;
        int n;

        ck_assert_int_eq(strncmp(s, "=?UTF-8?B?", 10), 0);
        e = strstr(s + 10, "?=");
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(e + 2 - s <= 75, "encoded-word longer than 75");
        b64 = apr_pstrndup(p, s + 10, (apr_size_t)(e - (s + 10)));
        dec = apr_palloc(p, (apr_size_t)apr_base64_decode_len(b64) + 1);
        n = apr_base64_decode(dec, b64);
        ck_assert_int_gt(n, 0);
        dec[n] = '\0';
        /* each word holds whole UTF-8 characters */
        ck_assert_msg(((unsigned char)dec[0] & 0xc0) != 0x80,
                      "word starts with a continuation byte");
        out = apr_pstrcat(p, out, dec, NULL);
        s = e + 2;
        /* white space between encoded-words is not part of the text */
        if (*s == ' ' || *s == '\t') {
            s++;
            ck_assert_int_eq(strncmp(s, "=?", 2), 0);
        }
    }
    return out;
}

typedef struct subject_case_t {
    const char *in;
    const char *exact;          /* expected header value, or NULL */
} subject_case_t;

static const subject_case_t subject_cases[] = {
    { "R\xc3\xbc" "ckruf: Patient wartet",
      "=?UTF-8?B?UsO8Y2tydWY6IFBhdGllbnQgd2FydGV0?=" },
    { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "=?UTF-8?B?5pel5pys6Kqe?=" },
    /* long: several folded words, split between characters */
    { "ab\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
      "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
      "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
      "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
      "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc", NULL },
    { "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
      "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
      "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
      "x\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80 end", NULL },
    /* ASCII that looks like an encoded-word is encoded too */
    { "=?UTF-8?B?abc?=", "=?UTF-8?B?PT9VVEYtOD9CP2FiYz89?=" },
    { "Plain ASCII", "Plain ASCII" },
};

START_TEST(test_email_subject_encoding)
{
    const subject_case_t *c = &subject_cases[_i];
    apr_pool_t *p = new_pool();
    char *head, *v;

    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", c->in, "x",
                                            "1", "b.c", T0_US));
    v = header_value(p, head, "Subject");
    ck_assert_ptr_nonnull(v);
    if (c->exact != NULL)
        ck_assert_str_eq(v, c->exact);
    if (strncmp(v, "=?", 2) == 0) {
        size_t i;

        for (i = 0; v[i] != '\0'; i++)
            ck_assert_msg((unsigned char)v[i] < 0x80, "raw 8-bit in header");
        ck_assert_str_eq(decode_words(p, v), c->in);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_email_long_ascii_subject)
{
    apr_pool_t *p = new_pool();
    char *in = apr_palloc(p, 1001), *head, *v;

    memset(in, 'a', 1000);
    in[1000] = '\0';
    /* over 998 octets a header line would be illegal: encoded and folded */
    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", in, "x",
                                            "1", "b.c", T0_US));
    v = header_value(p, head, "Subject");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(decode_words(p, v), in);
    in[60] = '\0';
    head = check_message(p, cc_notify_email(p, "a@b.c", "d@e.f", in, "x",
                                            "1", "b.c", T0_US));
    ck_assert_str_eq(header_value(p, head, "Subject"), in);
    apr_pool_destroy(p);
}
END_TEST

typedef struct addr_case_t {
    const char *addr;
    int         ok;
} addr_case_t;

static const addr_case_t addr_cases[] = {
    { "a@b.c", 1 },
    { "first.last+tag@clinic.example", 1 },
    { "staff@localhost", 1 },
    { "o'brien@x.example", 1 },
    { NULL, 0 },
    { "", 0 },
    { "a", 0 },
    { "a@", 0 },
    { "@b.c", 0 },
    { "a@@b.c", 0 },
    { "a@b@c", 0 },
    { "a b@c.d", 0 },
    { " a@b.c", 0 },
    { "a@b.c ", 0 },
    { "a\t@b.c", 0 },
    { "a@b.c\r\nBcc: x@y.z", 0 },
    { "a@b.c\n", 0 },
    { "a@b.c\r", 0 },
    { "<a@b.c>", 0 },
    { "Name <a@b.c>", 0 },
    { "a@b.c,d@e.f", 0 },
    { "a@b.c;d@e.f", 0 },
    { "\"a\"@b.c", 0 },
    { "a@b.c\x7f", 0 },
    { "\xc3\xbc@b.c", 0 },
};

START_TEST(test_email_addresses)
{
    const addr_case_t *c = &addr_cases[_i];
    apr_pool_t *p = new_pool();
    const char *m1, *m2;

    m1 = cc_notify_email(p, "sender@b.c", c->addr, "s", "x", "1", "b.c", T0_US);
    m2 = cc_notify_email(p, c->addr, "rcpt@b.c", "s", "x", "1", "b.c", T0_US);
    if (c->ok) {
        ck_assert_ptr_nonnull(m1);
        ck_assert_ptr_nonnull(m2);
        ck_assert_str_eq(header_value(p, check_message(p, m1), "To"), c->addr);
        ck_assert_str_eq(header_value(p, check_message(p, m2), "From"), c->addr);
    } else {
        ck_assert_msg(m1 == NULL, "to %d accepted", _i);
        ck_assert_msg(m2 == NULL, "from %d accepted", _i);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_email_address_length)
{
    apr_pool_t *p = new_pool();
    char *a = apr_palloc(p, 300);

    memset(a, 'x', 299);
    a[0] = 'a';
    a[1] = '@';
    a[254] = '\0';                  /* 254 octets: accepted */
    ck_assert_ptr_nonnull(cc_notify_email(p, "s@b.c", a, "s", "x", "1", "b.c",
                                          T0_US));
    a[254] = 'x';
    a[255] = '\0';                  /* 255: refused */
    ck_assert_ptr_null(cc_notify_email(p, "s@b.c", a, "s", "x", "1", "b.c",
                                       T0_US));
    apr_pool_destroy(p);
}
END_TEST

/* ---- cc_notify_backoff ---------------------------------------------------- */

typedef struct backoff_row_t {
    int     attempt;
    int64_t j0;                 /* jitter 0   (-20%) */
    int64_t j05;                /* jitter 0.5 (exact) */
    int64_t j1;                 /* jitter 1   (+20%) */
} backoff_row_t;

/* base 30 s, cap 3600 s */
static const backoff_row_t backoff_rows[] = {
    {  1,   24,   30,   36 },
    {  2,   48,   60,   72 },
    {  3,   96,  120,  144 },
    {  4,  192,  240,  288 },
    {  5,  384,  480,  576 },
    {  6,  768,  960, 1152 },
    {  7, 1536, 1920, 2304 },
    {  8, 2880, 3600, 4320 },   /* 3840 capped */
    {  9, 2880, 3600, 4320 },
    { 10, 2880, 3600, 4320 },
    { 11, 2880, 3600, 4320 },
    { 12, 2880, 3600, 4320 },
};

START_TEST(test_backoff_table)
{
    const backoff_row_t *r = &backoff_rows[_i];

    ck_assert_int_eq(cc_notify_backoff(r->attempt, 30, 3600, 0.0), r->j0);
    ck_assert_int_eq(cc_notify_backoff(r->attempt, 30, 3600, 0.5), r->j05);
    ck_assert_int_eq(cc_notify_backoff(r->attempt, 30, 3600, 1.0), r->j1);
}
END_TEST

typedef struct backoff_case_t {
    int     attempts;
    int64_t base;
    int64_t cap;
    double  jitter;
    int64_t expect;
} backoff_case_t;

static const backoff_case_t backoff_cases[] = {
    { 0, 30, 3600, 0.5, 30 },               /* < 1 treated as 1 */
    { -7, 30, 3600, 0.5, 30 },
    { 64, 30, 3600, 0.5, 3600 },
    { 1000, 30, 3600, 0.5, 3600 },
    { INT_MAX, 30, 3600, 1.0, 4320 },
    { 3, 60, 100, 0.5, 100 },               /* cap below the doubling */
    { 1, 60, 10, 0.5, 10 },                 /* cap below base */
    { 12, 30, 0, 0.5, 61440 },              /* cap <= 0: uncapped */
    { 1, 1, 60, 0.0, 1 },                   /* never rounds to 0 */
    { 1, 10, 60, 0.25, 9 },
    { 1, 10, 60, 0.75, 11 },
    { 1, 30, 60, -3.0, 24 },                /* jitter clamped */
    { 1, 30, 60, 7.0, 36 },
    { 1, 30, 60, NAN, 30 },
    { 5, 0, 60, 0.5, 0 },                   /* base <= 0 */
    { 5, -1, 60, 0.5, 0 },
    /* absurd values saturate at 2^40 s instead of overflowing */
    { 70, INT64_MAX / 2, INT64_MAX, 0.5, INT64_C(1) << 40 },
    { INT_MAX, INT64_MAX, 0, 0.5, INT64_C(1) << 40 },
};

START_TEST(test_backoff_edges)
{
    const backoff_case_t *c = &backoff_cases[_i];
    int64_t got = cc_notify_backoff(c->attempts, c->base, c->cap, c->jitter);

    ck_assert_msg(got == c->expect, "case %d: %lld, expected %lld", _i,
                  (long long)got, (long long)c->expect);
}
END_TEST

START_TEST(test_backoff_monotonic)
{
    static const double jit[] = { 0.0, 0.3, 0.5, 1.0 };
    size_t j;
    int n;

    for (j = 0; j < sizeof(jit) / sizeof(jit[0]); j++) {
        int64_t prev = 0;

        for (n = 1; n <= 80; n++) {
            int64_t d = cc_notify_backoff(n, 5, 86400, jit[j]);

            ck_assert_int_ge(d, prev);
            ck_assert_int_le(d, 86400 * 6 / 5);
            ck_assert_int_ge(d, 4);
            prev = d;
        }
    }
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *suite_notify(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("sign");

    tcase_add_loop_test(tc, test_sign_known_answer, 0, N(sign_cases));
    tcase_add_test(tc, test_signature_header_format);
    tcase_add_test(tc, test_verify_own_header);
    tcase_add_loop_test(tc, test_verify_table, 0, N(verify_cases));
    tcase_add_test(tc, test_verify_binary_body);
    suite_add_tcase(s, tc);

    tc = tcase_create("email");
    tcase_add_test(tc, test_email_basic);
    tcase_add_loop_test(tc, test_email_body_crlf, 0, N(body_cases));
    tcase_add_test(tc, test_email_long_body_line);
    tcase_add_loop_test(tc, test_email_injection, 0, N(inject_cases));
    tcase_add_test(tc, test_email_message_id);
    tcase_add_loop_test(tc, test_email_date, 0, N(date_cases));
    tcase_add_loop_test(tc, test_email_subject_encoding, 0, N(subject_cases));
    tcase_add_test(tc, test_email_long_ascii_subject);
    tcase_add_loop_test(tc, test_email_addresses, 0, N(addr_cases));
    tcase_add_test(tc, test_email_address_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("backoff");
    tcase_add_loop_test(tc, test_backoff_table, 0, N(backoff_rows));
    tcase_add_loop_test(tc, test_backoff_edges, 0, N(backoff_cases));
    tcase_add_test(tc, test_backoff_monotonic);
    suite_add_tcase(s, tc);
    return s;
}

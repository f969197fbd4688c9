/*
 * harness.h - integration-test harness: a private PostgreSQL cluster and a
 * real httpd with the real module, on free loopback ports, driven through
 * libcurl.  One PostgreSQL per run; one httpd per test case group (TCase),
 * started by an unchecked fixture with that group's extra configuration
 * and its error log checked by the group's last test.
 */
#ifndef IT_HARNESS_H
#define IT_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>

typedef struct it_resp {
    long    status;
    char   *body;       /* NUL-terminated */
    size_t  len;
    char   *headers;    /* raw header block */
    json_t *json;       /* parsed body or NULL */
    char   *hv[16];     /* header values handed out by it_header */
    int     nhv;
} it_resp;

extern int it_port;
extern char it_var[];           /* CC_VAR of this run */
extern const char *IT_ADMIN;    /* "user:password" of an admin */
extern const char *IT_STAFF;    /* "user:password" of a staff user */
extern const char *IT_PROBE;    /* staff user the harness itself uses */

void it_global_setup(void);     /* PostgreSQL, migrations, users */
void it_global_teardown(void);

/* Start httpd with `extra` appended as the EXTRA_CONF file (may be NULL),
 * `servers` processes of `threads` threads; the error log starts empty. */
void it_httpd_start(const char *extra, int servers, int threads);
void it_httpd_stop(void);

/* A second httpd sharing the run's PostgreSQL (two hosts, one database):
 * its own free port (it_port2) and CC_VAR <it_var>/second, whose pg/
 * links to the run's; `extra` as its EXTRA_CONF.  Stopped by
 * it_httpd2_stop and by it_global_teardown. */
extern int it_port2;
void it_httpd2_start(const char *extra, int servers, int threads);
void it_httpd2_stop(void);

/* One HTTP request on a fresh connection.  auth "user:pass" or NULL;
 * body may be NULL; len < 0 means strlen(body); hdrs NULL-terminated.
 * ctype NULL on a bodyless POST/PUT/DELETE/PATCH sends application/json
 * (as the dashboard does); ctype "" sends no Content-Type at all. */
it_resp *it_req(const char *method, const char *path, const char *auth,
                const char *ctype, const char *body, long len,
                const char *const *hdrs);
/* When set, requests leave from this local address (e.g. "127.0.0.2":
 * any of 127.0.0.0/8 reaches the server on 127.0.0.1), so a test can be
 * several clients. */
extern const char *it_source_ip;
/* The same, to another port (e.g. it_port2). */
it_resp *it_req_at(int port, const char *method, const char *path,
                   const char *auth, const char *ctype, const char *body,
                   long len, const char *const *hdrs);
#define it_get(path, auth) it_req("GET", (path), (auth), NULL, NULL, -1, NULL)
#define it_put_json(path, auth, body) \
    it_req("PUT", (path), (auth), "application/json", (body), -1, NULL)
/* Header value (case-insensitive name) or NULL; valid while r lives. */
const char *it_header(it_resp *r, const char *name);
void it_free(it_resp *r);

/* Check the SPEC error envelope: status, code, request_id present and
 * equal to X-Request-Id, Content-Type JSON. */
void it_assert_error_at(it_resp *r, long status, const char *code,
                        const char *file, int line);
#define it_assert_error(r, st, code) it_assert_error_at((r), (st), (code), __FILE__, __LINE__)

/* Run a shell command (in the repository root, with the run's CC_VAR).
 * Returns its exit status; it_sh_out returns its stdout (malloc'd). */
int it_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *it_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SQL as the database superuser (psql on the run's cluster), read from a
 * temporary file so that any quoting works; psql stops at the first
 * error.  Each returns psql's output (errors included) with trailing
 * blanks and newlines removed, malloc'd.
 * it_sql_try never asserts; *ok (when not NULL) says whether psql
 * succeeded.  it_sql asserts success; it_sql_num asserts success and
 * an integer as the whole output; it_sql_exec asserts success and
 * discards the output. */
char *it_sql_try(int *ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *it_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long it_sql_num(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void it_sql_exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The httpd error log of the current group: lines at [warn] or worse that
 * contain none of the `allowed` substrings (NULL-terminated list).
 * Returns NULL when there are none, else a malloc'd string of them. */
char *it_log_unexpected(const char *const *allowed);
char *it_log_read(void);
/* The same for the second httpd's error log. */
char *it_log2_unexpected(const char *const *allowed);
char *it_log2_read(void);

/* Fake external services (the Python servers in tests/fakes).  it_fake_spawn runs argv
 * (argv[0] "python3") with its output in logfile and waits until every
 * port file (NULL-terminated list) holds a port, filling ports[]; returns
 * the pid, or -1 when it did not start (the tests then say so).
 * it_fake_stop ends it (TERM, then KILL) and sets *pid to -1.
 * it_fake_ctl sends a control request (asserted 200) and returns the
 * parsed JSON reply (own reference). */
#include <sys/types.h>
pid_t it_fake_spawn(const char *const *argv, const char *logfile,
                    const char *const *portfiles, int *ports);
void it_fake_stop(pid_t *pid);
json_t *it_fake_ctl(int port, const char *method, const char *path,
                    const char *body);

/* Suites (one file each). */
Suite *it_suite_api(void);
Suite *it_suite_roles(void);
Suite *it_suite_limits(void);
Suite *it_suite_audit(void);
Suite *it_suite_ops(void);
Suite *it_suite_outage(void);
Suite *it_suite_chat(void);
Suite *it_suite_answers(void);
Suite *it_suite_knowledge(void);
Suite *it_suite_mail(void);
Suite *it_suite_security(void);
void it_security_chat_tcases(Suite *s);    /* test_security_chat.c */
void it_security_privacy_tcases(Suite *s); /* test_security_privacy.c */
Suite *it_suite_llm(void);
Suite *it_suite_safety(void);
Suite *it_suite_booking(void);
Suite *it_suite_booking_dst(void);
Suite *it_suite_booking_limit(void);
Suite *it_suite_calendar(void);
Suite *it_suite_calendar_keys(void);
Suite *it_suite_events(void);
Suite *it_suite_status(void);     /* test_status.c */

#endif

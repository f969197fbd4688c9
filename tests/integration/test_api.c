/*
 * test_api.c - configuration reaching the module, `make user`, graceful
 * restart under load.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static void start_api(void)
{
    it_httpd_start("ConciergeRateLimit chat 7/hour\n"
                   "ConciergeRateLimit admin 100000/min\n"
                   "ConciergeTimeZone America/New_York\n"
                   "ConciergeMaxBody 2k\n", 2, 8);
}

/* EXTRA_CONF is included last and overrides the defaults. */
START_TEST(extra_conf_overrides)
{
    it_resp *r = it_get("/api/admin/health", IT_ADMIN);
    json_t *chat, *admin;

    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    chat = json_object_get(json_object_get(r->json, "rate_limits"), "chat");
    admin = json_object_get(json_object_get(r->json, "rate_limits"), "admin");
    ck_assert_int_eq(json_integer_value(json_object_get(chat, "limit")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(chat, "period_s")),
                     3600);
    ck_assert_int_eq(json_integer_value(json_object_get(admin, "limit")),
                     100000);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "timezone")),
                     "America/New_York");
    it_free(r);
}
END_TEST

/* ConciergeMaxBody (2k here) caps public routes below their own cap (16k
 * for the chat); staff routes keep theirs (4k for users). */
START_TEST(max_body_directive)
{
    char body[3100];
    it_resp *r;

    memset(body, ' ', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    body[0] = '{';
    body[sizeof(body) - 2] = '}';
    r = it_req("POST", "/api/chat", NULL, "application/json", body, -1, NULL);
    it_assert_error(r, 413, "body_too_large");
    it_free(r);
    r = it_put_json("/api/admin/users/max-body", IT_ADMIN, body);
    it_assert_error(r, 400, "invalid_body");    /* read, then judged */
    it_free(r);
}
END_TEST

/* make user creates, then changes the role; the module sees it at once. */
START_TEST(make_user_roles)
{
    it_resp *r;

    ck_assert_int_eq(it_sh("echo it-cli-password-1 | make -s user "
                           "NAME=it-cli ROLE=staff >/dev/null"), 0);
    r = it_get("/api/admin/me", "it-cli:it-cli-password-1");
    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "role")),
                     "staff");
    it_free(r);
    ck_assert_int_eq(it_sh("echo it-cli-password-2 | make -s user "
                           "NAME=it-cli ROLE=admin >/dev/null"), 0);
    r = it_get("/api/admin/me", "it-cli:it-cli-password-1");
    ck_assert_int_eq(r->status, 401);
    it_free(r);
    r = it_get("/api/admin/me", "it-cli:it-cli-password-2");
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "role")),
                     "admin");
    it_free(r);
    /* Bad input is refused and changes nothing; so is a password on
     * the command line (make user's old PASSWORD=). */
    ck_assert_int_ne(it_sh("echo it-cli-password-3 | make -s user "
                           "NAME=it-cli ROLE=root >/dev/null 2>&1"), 0);
    ck_assert_int_ne(it_sh("echo it-cli-password-3 | make -s user "
                           "NAME=\"x'; drop table x\" ROLE=staff "
                           ">/dev/null 2>&1"), 0);
    ck_assert_int_ne(it_sh("echo short | make -s user NAME=it-cli "
                           "ROLE=staff >/dev/null 2>&1"), 0);
    ck_assert_int_ne(it_sh("make -s user NAME=it-cli ROLE=staff "
                           "PASSWORD=it-cli-password-4 </dev/null "
                           ">/dev/null 2>&1"), 0);
    r = it_get("/api/admin/me", "it-cli:it-cli-password-2");
    ck_assert_int_eq(r->status, 200);
    it_free(r);
    /* The CLI's audit rows (written in SQL) verify with the module's C
     * verifier: one chain, two writers. */
    r = it_get("/api/admin/audit/verify", IT_ADMIN);
    ck_assert_msg(json_is_true(json_object_get(r->json, "ok")), "%s",
                  r->body);
    it_free(r);
}
END_TEST

/* Graceful restart under load: every request gets an answer. */
static volatile int load_stop;
static void *load(void *arg)
{
    int *bad = arg;

    while (!load_stop) {
        it_resp *r = it_get("/api/health", NULL);

        if (r->status != 200) {
            (*bad)++;
            fprintf(stderr, "during graceful: %ld %s\n", r->status, r->body);
        }
        it_free(r);
    }
    return NULL;
}

START_TEST(graceful_under_load)
{
    pthread_t t[4];
    int bad[4] = { 0 }, i;
    it_resp *r;

    load_stop = 0;
    for (i = 0; i < 4; i++) {
        pthread_create(&t[i], NULL, load, &bad[i]);
    }
    usleep(300000);
    ck_assert_int_eq(it_sh("scripts/httpd.sh graceful >/dev/null 2>&1"), 0);
    usleep(1500000);
    load_stop = 1;
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(bad[i] == 0, "thread %d saw %d failures", i, bad[i]);
    }
    r = it_get("/api/admin/health", IT_ADMIN);
    ck_assert_int_eq(r->status, 200);
    ck_assert(json_is_true(json_object_get(
        json_object_get(r->json, "shared_memory"), "attached")));
    it_free(r);
}
END_TEST

START_TEST(api_log_clean)
{
    static const char *const allowed[] = {
        "AH01617",      /* the deliberate wrong password (make_user_roles) */
        NULL
    };
    char *bad = it_log_unexpected(allowed);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%s", bad);
}
END_TEST

Suite *it_suite_api(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");

    tcase_add_unchecked_fixture(tc, start_api, it_httpd_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, extra_conf_overrides);
    tcase_add_test(tc, max_body_directive);
    tcase_add_test(tc, make_user_roles);
    tcase_add_test(tc, graceful_under_load);
    tcase_add_test(tc, api_log_clean);
    suite_add_tcase(s, tc);
    return s;
}

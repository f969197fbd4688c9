/*
 * test_roles.c - who may use which route.  Every test walks the live route
 * table (GET /api/admin/routes), so a route added to mod_concierge_routes.c
 * is covered without touching this file.
 *
 *   roles        the shipped config: Apache Basic over the database, then
 *                the module's role check (401 / 403 / allowed)
 *   unprotected  the Apache auth block switched off for /api/admin/: the
 *                module must still refuse (fail closed), never answer 200
 *   htpasswd     a plain htpasswd file plus ConciergeUserRole
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "harness.h"

/* The route table, fetched once by a fixture (in the parent process, so
 * every forked test of every later group inherits it). */
static json_t *g_routes;

static const char *const roles_allowed_log[] = {
    "AH01617",      /* auth_basic: password mismatch (wrong-password tests) */
    "AH01618",      /* auth_basic: user not found (unknown-user tests) */
    NULL
};

static json_t *fetch_routes(void)
{
    it_resp *r = it_get("/api/admin/routes", IT_ADMIN);
    json_t *a = NULL;

    if (r->status == 200 && r->json) {
        a = json_object_get(r->json, "routes");
        if (json_is_array(a)) {
            json_incref(a);
        }
        else {
            a = NULL;
        }
    }
    if (!a) {
        fprintf(stderr, "test_roles: GET /api/admin/routes: %ld %s\n",
                r->status, r->body);
    }
    it_free(r);
    return a;
}

/* Load the table with the shipped config; leaves that httpd running. */
static void load_routes(void)
{
    if (!g_routes) {
        it_httpd_start(NULL, 2, 8);
        g_routes = fetch_routes();
    }
}

static json_t *routes(void)
{
    ck_assert_msg(json_is_array(g_routes) && json_array_size(g_routes) > 0,
                  "the route table could not be fetched by the fixture");
    return g_routes;
}

static const char *route_str(json_t *rt, const char *key)
{
    const char *s = json_string_value(json_object_get(rt, key));

    ck_assert_msg(s != NULL, "route entry without string \"%s\"", key);
    return s;
}

/* The pattern with every {param} replaced by "x" (malloc'd). */
static char *route_path(const char *pattern)
{
    char *out = malloc(strlen(pattern) + 2), *o = out;
    const char *p;

    ck_assert_ptr_nonnull(out);
    for (p = pattern; *p; p++) {
        if (*p == '{') {
            const char *e = strchr(p, '}');

            ck_assert_msg(e != NULL, "unclosed parameter in %s", pattern);
            *o++ = 'x';
            p = e;
            continue;
        }
        *o++ = *p;
    }
    *o = '\0';
    return out;
}

static int is_protected(json_t *rt)
{
    const char *role = route_str(rt, "role");

    return !strcmp(role, "staff") || !strcmp(role, "admin");
}

static void assert_basic_challenge(it_resp *r, const char *what)
{
    const char *wa = it_header(r, "WWW-Authenticate");

    ck_assert_msg(wa && !strncasecmp(wa, "Basic", 5),
                  "%s: 401 without a Basic WWW-Authenticate (got %s)", what,
                  wa ? wa : "(none)");
}

/* Send the route's method to its path; no body (the identity check comes
 * before the body check, so PUT routes still answer 401/403). */
static it_resp *call_route(json_t *rt, const char *auth, char **what)
{
    const char *method = route_str(rt, "method");
    char *path = route_path(route_str(rt, "pattern"));
    it_resp *r = it_req(method, path, auth, NULL, NULL, -1, NULL);

    if (asprintf(what, "%s %s as %s", method, path,
                 auth ? auth : "(anonymous)") < 0) {
        *what = NULL;
    }
    free(path);
    return r;
}

static void assert_log_clean(void)
{
    char *bad = it_log_unexpected(roles_allowed_log);

    ck_assert_msg(bad == NULL, "unexpected error-log lines:\n%s",
                  bad ? bad : "");
}

/* ==== roles: the shipped configuration ================================== */

static void roles_setup(void)
{
    it_httpd_start(NULL, 2, 8);
    if (!g_routes) {
        g_routes = fetch_routes();
    }
}

static void roles_teardown(void)
{
    it_httpd_stop();
}

START_TEST(routes_table_listed)
{
    json_t *a = fetch_routes(), *rt;
    size_t i, nprot = 0;
    int seen_self = 0;

    ck_assert_msg(a != NULL, "GET /api/admin/routes as admin did not answer "
                  "200 with a \"routes\" array");
    ck_assert_msg(json_array_size(a) > 0, "the route table is empty");
    json_array_foreach(a, i, rt) {
        const char *m = route_str(rt, "method");
        const char *p = route_str(rt, "pattern");
        const char *role = route_str(rt, "role");

        route_str(rt, "rate_class");
        ck_assert_msg(json_is_integer(json_object_get(rt, "max_body")),
                      "route %s %s: max_body is not an integer", m, p);
        ck_assert_msg(!strcmp(role, "public") || !strcmp(role, "staff")
                      || !strcmp(role, "admin"),
                      "route %s %s: unknown role %s", m, p, role);
        ck_assert_msg(!strncmp(p, "/api/", 5), "route %s %s outside /api/",
                      m, p);
        /* Anything under /api/admin/ must need at least staff. */
        ck_assert_msg(strncmp(p, "/api/admin/", 11) || strcmp(role, "public"),
                      "route %s %s is public under /api/admin/", m, p);
        nprot += is_protected(rt);
        seen_self |= !strcmp(m, "GET") && !strcmp(p, "/api/admin/routes");
    }
    ck_assert_msg(nprot > 0, "no staff or admin route in the table");
    ck_assert_msg(seen_self, "the table does not list GET /api/admin/routes");
    ck_assert_msg(json_equal(a, routes()), "the table changed between fetches");
    json_decref(a);
}
END_TEST

/* No credentials: 401 authentication_required with a challenge. */
START_TEST(protected_routes_need_credentials)
{
    json_t *rt;
    size_t i, n = 0;

    json_array_foreach(routes(), i, rt) {
        char *what;
        it_resp *r;

        if (!is_protected(rt)) {
            continue;
        }
        r = call_route(rt, NULL, &what);
        ck_assert_msg(r->status == 401, "%s: status %ld, expected 401; %s",
                      what, r->status, r->body);
        it_assert_error(r, 401, "authentication_required");
        assert_basic_challenge(r, what);
        it_free(r);
        free(what);
        n++;
    }
    ck_assert_msg(n > 0, "no protected route was tried");
}
END_TEST

/* A wrong password, and a user nobody knows: 401 in JSON. */
START_TEST(protected_routes_refuse_bad_credentials)
{
    static const char *const bad[] = {
        "it-staff:not-the-password-1",
        "it-admin:not-the-password-1",
        "it-nobody-at-all:some-password-1",
    };
    json_t *rt;
    size_t i, k;

    json_array_foreach(routes(), i, rt) {
        if (!is_protected(rt)) {
            continue;
        }
        for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            char *what;
            it_resp *r = call_route(rt, bad[k], &what);

            ck_assert_msg(r->status == 401, "%s: status %ld, expected 401; "
                          "%s", what, r->status, r->body);
            it_assert_error(r, 401, "authentication_required");
            assert_basic_challenge(r, what);
            ck_assert_msg(!strstr(r->body, "not-the-password")
                          && !strstr(r->body, "some-password"),
                          "%s: the reply echoes the password: %s", what,
                          r->body);
            it_free(r);
            free(what);
        }
    }
}
END_TEST

/* Staff: 403 forbidden on admin routes, let through on staff routes. */
START_TEST(staff_role_per_route)
{
    json_t *rt;
    size_t i, nadmin = 0, nstaff = 0;

    json_array_foreach(routes(), i, rt) {
        const char *role = route_str(rt, "role");
        char *what;
        it_resp *r;

        if (!is_protected(rt)) {
            continue;
        }
        r = call_route(rt, IT_STAFF, &what);
        if (!strcmp(role, "admin")) {
            ck_assert_msg(r->status == 403, "%s: status %ld, expected 403; "
                          "%s", what, r->status, r->body);
            it_assert_error(r, 403, "forbidden");
            nadmin++;
        }
        else {
            ck_assert_msg(r->status != 401 && r->status != 403
                          && r->status > 0 && r->status < 500,
                          "%s: status %ld on a staff route; %s", what,
                          r->status, r->body);
            nstaff++;
        }
        it_free(r);
        free(what);
    }
    ck_assert_msg(nadmin > 0 && nstaff > 0, "table has %zu admin and %zu "
                  "staff routes; expected both kinds", nadmin, nstaff);
}
END_TEST

/* Admin: never refused by role on any protected route. */
START_TEST(admin_role_per_route)
{
    json_t *rt;
    size_t i;

    json_array_foreach(routes(), i, rt) {
        char *what;
        it_resp *r;

        if (!is_protected(rt)) {
            continue;
        }
        r = call_route(rt, IT_ADMIN, &what);
        ck_assert_msg(r->status != 401 && r->status != 403
                      && r->status > 0 && r->status < 500,
                      "%s: status %ld for an admin; %s", what, r->status,
                      r->body);
        it_free(r);
        free(what);
    }
}
END_TEST

/* /api/admin/me reports who the module thinks the caller is. */
START_TEST(me_reports_role)
{
    it_resp *r = it_get("/api/admin/me", IT_STAFF);

    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "user")),
                     "it-staff");
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "role")),
                     "staff");
    it_free(r);
    r = it_get("/api/admin/me", IT_ADMIN);
    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "role")),
                     "admin");
    it_free(r);
}
END_TEST

START_TEST(roles_log_clean)
{
    assert_log_clean();
}
END_TEST

/* ==== unprotected: the Apache auth block is gone ======================== */

static void unprotected_setup(void)
{
    load_routes();
    it_httpd_start("<Location \"/api/admin/\">\n"
                   "  AuthType None\n"
                   "  Require all granted\n"
                   "</Location>\n", 2, 8);
}

START_TEST(unprotected_fails_closed)
{
    const char *const who[] = { NULL, IT_STAFF, IT_ADMIN };
    json_t *rt;
    size_t i, k, n = 0;

    json_array_foreach(routes(), i, rt) {
        if (!is_protected(rt)) {
            continue;
        }
        for (k = 0; k < sizeof(who) / sizeof(who[0]); k++) {
            char *what;
            it_resp *r = call_route(rt, who[k], &what);

            /* Without Apache auth no one has an identity: even a correct
             * password is not checked, so it must not open the route. */
            ck_assert_msg(r->status != 200, "%s: 200 with no Apache "
                          "authentication configured: %s", what, r->body);
            ck_assert_msg(r->status == 401, "%s: status %ld, expected 401 "
                          "from the module; %s", what, r->status, r->body);
            it_assert_error(r, 401, "authentication_required");
            assert_basic_challenge(r, what);
            it_free(r);
            free(what);
            n++;
        }
    }
    ck_assert_msg(n > 0, "no protected route was tried");
}
END_TEST

/* The admin prefix itself and unknown paths under it stay closed too. */
START_TEST(unprotected_unknown_admin_paths)
{
    static const char *const paths[] = {
        "/api/admin/no-such-route", "/api/admin/users/x/extra",
    };
    size_t k;

    for (k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
        it_resp *r = it_get(paths[k], IT_ADMIN);

        ck_assert_msg(r->status != 200, "GET %s: 200 without auth: %s",
                      paths[k], r->body);
        ck_assert_msg(r->status == 401 || r->status == 404, "GET %s: "
                      "status %ld; %s", paths[k], r->status, r->body);
        it_free(r);
    }
}
END_TEST

/* Public routes are unaffected. */
START_TEST(unprotected_public_still_open)
{
    json_t *rt;
    size_t i;

    json_array_foreach(routes(), i, rt) {
        char *what;
        it_resp *r;

        if (is_protected(rt) || strcmp(route_str(rt, "method"), "GET")) {
            continue;
        }
        r = call_route(rt, NULL, &what);
        /* Reached and answered by the route itself: 200, the route's
         * own 404 for a made-up parameter, its own 400 for a required
         * query parameter (GET /api/slots) or header (GET /api/chat's
         * X-Chat-Token), or the 410 of the route that moved
         * (GET /api/chat/{session_id}). */
        ck_assert_msg(r->status == 200
                      || (r->status == 404 && strchr(route_str(rt, "pattern"),
                                                     '{'))
                      || (r->status == 400 && r->json
                          && (strstr(r->body, "invalid_parameter")
                              || strstr(r->body, "chat_token_required")))
                      || (r->status == 410 && r->json
                          && strstr(r->body, "\"moved\"")),
                      "%s: status %ld; %s", what, r->status, r->body);
        ck_assert_msg(r->status != 401 && r->status != 403, "%s refused", what);
        it_free(r);
        free(what);
    }
}
END_TEST

START_TEST(unprotected_log_clean)
{
    assert_log_clean();
}
END_TEST

/* ==== htpasswd: a plain file and ConciergeUserRole ====================== */

#define HT_STAFF   "ht-staff:ht-staff-password-1"
#define HT_ADMIN   "ht-admin:ht-admin-password-1"
#define HT_NOROLE  "ht-norole:ht-norole-password-1"

static void htpasswd_setup(void)
{
    char file[512], *conf = NULL;

    load_routes();
    snprintf(file, sizeof(file), "%s/roles.htpasswd", it_var);
    if (it_sh("htpasswd -cbB -C 4 '%s' ht-staff ht-staff-password-1 "
              ">/dev/null 2>&1", file)
        || it_sh("htpasswd -bB -C 4 '%s' ht-admin ht-admin-password-1 "
                 ">/dev/null 2>&1", file)
        || it_sh("htpasswd -bB -C 4 '%s' ht-norole ht-norole-password-1 "
                 ">/dev/null 2>&1", file)
        || it_sh("htpasswd -bB -C 4 '%s' HT-STAFF ht-upper-password-1 "
                 ">/dev/null 2>&1", file)) {
        fprintf(stderr, "test_roles: htpasswd failed\n");
        exit(2);
    }
    chmod(file, 0644);      /* read by the httpd children (www-data) */
    if (asprintf(&conf, "ConciergeUserRole ht-staff staff\n"
                 "ConciergeUserRole ht-admin admin\n"
                 "<Location \"/api/admin/\">\n"
                 "  AuthBasicProvider file\n"
                 "  AuthUserFile \"%s\"\n"
                 "</Location>\n", file) < 0) {
        exit(2);
    }
    it_httpd_start(conf, 2, 8);
    free(conf);
}

START_TEST(htpasswd_staff_me)
{
    it_resp *r = it_get("/api/admin/me", HT_STAFF);

    ck_assert_msg(r->status == 200, "GET /api/admin/me as ht-staff: %ld %s",
                  r->status, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "user")),
                     "ht-staff");
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "role")),
                     "staff");
    it_free(r);
    r = it_get("/api/admin/me", HT_ADMIN);
    ck_assert_msg(r->status == 200, "GET /api/admin/me as ht-admin: %ld %s",
                  r->status, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "role")),
                     "admin");
    it_free(r);
}
END_TEST

/* The mapped staff user: 403 on admin routes, through on staff routes;
 * the mapped admin user: through everywhere. */
START_TEST(htpasswd_roles_per_route)
{
    json_t *rt;
    size_t i, nadmin = 0;

    json_array_foreach(routes(), i, rt) {
        char *what;
        it_resp *r;

        if (!is_protected(rt)) {
            continue;
        }
        r = call_route(rt, HT_STAFF, &what);
        if (!strcmp(route_str(rt, "role"), "admin")) {
            ck_assert_msg(r->status == 403, "%s: status %ld, expected 403; "
                          "%s", what, r->status, r->body);
            it_assert_error(r, 403, "forbidden");
            nadmin++;
        }
        else {
            ck_assert_msg(r->status != 401 && r->status != 403
                          && r->status > 0 && r->status < 500,
                          "%s: status %ld on a staff route; %s", what,
                          r->status, r->body);
        }
        it_free(r);
        free(what);

        r = call_route(rt, HT_ADMIN, &what);
        ck_assert_msg(r->status != 401 && r->status != 403
                      && r->status > 0 && r->status < 500,
                      "%s: status %ld for a mapped admin; %s", what,
                      r->status, r->body);
        it_free(r);
        free(what);
    }
    ck_assert_msg(nadmin > 0, "no admin route was tried");
}
END_TEST

/* In the file but in neither ConciergeUserRole nor the database: 403 on
 * every protected route (authenticated, but no role). */
START_TEST(htpasswd_without_role_forbidden)
{
    json_t *rt;
    size_t i;

    json_array_foreach(routes(), i, rt) {
        char *what;
        it_resp *r;

        if (!is_protected(rt)) {
            continue;
        }
        r = call_route(rt, HT_NOROLE, &what);
        ck_assert_msg(r->status == 403, "%s: status %ld, expected 403; %s",
                      what, r->status, r->body);
        it_assert_error(r, 403, "forbidden");
        it_free(r);
        free(what);
    }
}
END_TEST

/* Roles are matched case-sensitively, as user names are: HT-STAFF is not
 * ht-staff and gets no role (a case-folding map was a privilege leak). */
START_TEST(htpasswd_role_map_is_case_sensitive)
{
    it_resp *r = it_get("/api/admin/me", "HT-STAFF:ht-upper-password-1");

    it_assert_error(r, 403, "forbidden");
    it_free(r);
}
END_TEST

/* The file replaced the database as the provider for /api/admin/: the
 * database accounts are unknown there, and a wrong password is a 401. */
START_TEST(htpasswd_only_file_users)
{
    const char *const bad[] = {
        IT_ADMIN, IT_STAFF, "ht-staff:not-the-password-1",
    };
    size_t k;

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        it_resp *r = it_get("/api/admin/me", bad[k]);

        ck_assert_msg(r->status == 401, "GET /api/admin/me as %s: status "
                      "%ld, expected 401; %s", bad[k], r->status, r->body);
        it_assert_error(r, 401, "authentication_required");
        assert_basic_challenge(r, bad[k]);
        it_free(r);
    }
}
END_TEST

START_TEST(htpasswd_log_clean)
{
    assert_log_clean();
}
END_TEST

Suite *it_suite_roles(void)
{
    Suite *s = suite_create("roles");
    TCase *tc;

    tc = tcase_create("roles");
    tcase_add_unchecked_fixture(tc, roles_setup, roles_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, routes_table_listed);
    tcase_add_test(tc, protected_routes_need_credentials);
    tcase_add_test(tc, protected_routes_refuse_bad_credentials);
    tcase_add_test(tc, staff_role_per_route);
    tcase_add_test(tc, admin_role_per_route);
    tcase_add_test(tc, me_reports_role);
    tcase_add_test(tc, roles_log_clean);
    suite_add_tcase(s, tc);

    tc = tcase_create("unprotected");
    tcase_add_unchecked_fixture(tc, unprotected_setup, roles_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unprotected_fails_closed);
    tcase_add_test(tc, unprotected_unknown_admin_paths);
    tcase_add_test(tc, unprotected_public_still_open);
    tcase_add_test(tc, unprotected_log_clean);
    suite_add_tcase(s, tc);

    tc = tcase_create("htpasswd");
    tcase_add_unchecked_fixture(tc, htpasswd_setup, roles_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, htpasswd_staff_me);
    tcase_add_test(tc, htpasswd_roles_per_route);
    tcase_add_test(tc, htpasswd_without_role_forbidden);
    tcase_add_test(tc, htpasswd_role_map_is_case_sensitive);
    tcase_add_test(tc, htpasswd_only_file_users);
    tcase_add_test(tc, htpasswd_log_clean);
    suite_add_tcase(s, tc);
    return s;
}

/* Unit tests: cc_fields (request bodies checked against a field table). */
#include <check.h>
#include <string.h>
#include "cc_fields.h"
#include "suites.h"

static const cc_field_t fields[] = {
    { "name", CC_F_STR, 1, 10, 1, NULL },
    { "note", CC_F_STR_OR_NULL, 0, 20, 0, NULL },
    { "minutes", CC_F_INT, 5, 720, 1, NULL },
    { "active", CC_F_BOOL, 0, 0, 0, NULL },
    { "currency", CC_F_CURRENCY, 3, 3, 0, NULL },
    { "ids", CC_F_IDS, 0, 3, 0, NULL },
    { "mode", CC_F_ENUM, 0, 0, 0, "refuse|forfeit" },
    { NULL }
};

/* One body, what the check must say: 0 = accepted, else the HTTP status
 * and code of the refusal. */
static const struct {
    const char *json;
    int         create;
    int         status;
    const char *code;
} cases[] = {
    { "{\"name\":\"Botox\",\"minutes\":30}", 1, 0, "" },
    { "{\"minutes\":30}", 0, 0, "" },                 /* update: partial */
    { "{\"minutes\":30}", 1, 422, "missing_field" },
    { "{\"name\":\"Botox\"}", 1, 422, "missing_field" },
    { "[]", 0, 400, "invalid_body" },
    { "{\"nmae\":\"x\"}", 0, 400, "unknown_field" },
    { "{\"name\":\"\"}", 0, 422, "invalid_name" },     /* min 1 char */
    { "{\"name\":\"0123456789\"}", 0, 0, "" },         /* max 10 chars */
    { "{\"name\":\"0123456789a\"}", 0, 422, "invalid_name" },
    { "{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
      "\xc3\xa9\xc3\xa9\xc3\xa9\"}", 0, 0, "" },       /* characters, not bytes */
    { "{\"name\":\"a\\u0007b\"}", 0, 422, "invalid_name" },
    { "{\"name\":7}", 0, 422, "invalid_name" },
    { "{\"note\":null}", 0, 0, "" },
    { "{\"note\":\"\"}", 0, 0, "" },
    { "{\"note\":3}", 0, 422, "invalid_note" },
    { "{\"minutes\":4}", 0, 422, "invalid_minutes" },
    { "{\"minutes\":5}", 0, 0, "" },
    { "{\"minutes\":720}", 0, 0, "" },
    { "{\"minutes\":721}", 0, 422, "invalid_minutes" },
    { "{\"minutes\":30.0}", 0, 422, "invalid_minutes" },
    { "{\"minutes\":\"30\"}", 0, 422, "invalid_minutes" },
    { "{\"active\":false}", 0, 0, "" },
    { "{\"active\":0}", 0, 422, "invalid_active" },
    { "{\"currency\":\"EUR\"}", 0, 0, "" },
    { "{\"currency\":\"eur\"}", 0, 422, "invalid_currency" },
    { "{\"currency\":\"EURO\"}", 0, 422, "invalid_currency" },
    { "{\"ids\":[1,2,3]}", 0, 0, "" },
    { "{\"ids\":[]}", 0, 0, "" },
    { "{\"ids\":[1,2,3,4]}", 0, 422, "invalid_ids" },
    { "{\"ids\":[0]}", 0, 422, "invalid_ids" },
    { "{\"ids\":[\"1\"]}", 0, 422, "invalid_ids" },
    { "{\"ids\":1}", 0, 422, "invalid_ids" },
    { "{\"mode\":\"forfeit\"}", 0, 0, "" },
    { "{\"mode\":\"refuse\"}", 0, 0, "" },
    { "{\"mode\":\"refus\"}", 0, 422, "invalid_mode" },
    { "{\"mode\":\"refuse|forfeit\"}", 0, 422, "invalid_mode" },
    { "{\"mode\":\"\"}", 0, 422, "invalid_mode" },
};

START_TEST(test_fields_check)
{
    json_error_t jerr;
    json_t *body = json_loads(cases[_i].json, JSON_DECODE_ANY, &jerr);
    cc_problem_t prob;
    apr_status_t rv;

    ck_assert_msg(body != NULL, "test JSON %s: %s", cases[_i].json,
                  jerr.text);
    memset(&prob, 0, sizeof(prob));
    rv = cc_fields_check(body, fields, cases[_i].create, &prob);
    if (!cases[_i].status) {
        ck_assert_msg(rv == APR_SUCCESS, "%s refused: %s %s", cases[_i].json,
                      prob.code, prob.message);
    }
    else {
        ck_assert_msg(rv == APR_EINVAL, "%s accepted", cases[_i].json);
        ck_assert_int_eq(prob.status, cases[_i].status);
        ck_assert_str_eq(prob.code, cases[_i].code);
        ck_assert_msg(prob.message[0] != '\0', "%s: no message",
                      cases[_i].json);
    }
    json_decref(body);
}
END_TEST

/* The first problem in table order is the one reported, so a client
 * fixing one field at a time converges. */
START_TEST(test_fields_order)
{
    json_t *body = json_pack("{s:i, s:i}", "minutes", 1, "active", 3);
    cc_problem_t prob;

    ck_assert_int_eq(cc_fields_check(body, fields, 0, &prob), APR_EINVAL);
    ck_assert_str_eq(prob.code, "invalid_minutes");
    json_decref(body);
}
END_TEST

START_TEST(test_fields_type_names)
{
    ck_assert_str_eq(cc_fields_type_name(CC_F_STR), "string");
    ck_assert_str_eq(cc_fields_type_name(CC_F_INT), "integer");
    ck_assert_str_eq(cc_fields_type_name(CC_F_IDS), "integer[]");
    ck_assert_str_eq(cc_fields_type_name(CC_F_ANY), "any");
    ck_assert_str_eq(cc_fields_type_name((cc_ftype_e)99), "any");
}
END_TEST

Suite *suite_fields(void)
{
    Suite *s = suite_create("cc_fields");
    TCase *tc = tcase_create("fields");

    tcase_add_loop_test(tc, test_fields_check, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_fields_order);
    tcase_add_test(tc, test_fields_type_names);
    suite_add_tcase(s, tc);
    return s;
}

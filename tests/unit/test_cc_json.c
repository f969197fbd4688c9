/* Unit tests for cc_json: limits, rejection rules, envelope, UTF-8. */
#include <string.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>
#include "cc_json.h"
#include "suites.h"

/* A byte string with its length, so tests can carry NUL and raw bytes. */
#define B(s) s, sizeof(s) - 1

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* Every message must be printable ASCII and fit the problem buffer. */
static void assert_clean_message(const cc_problem_t *prob)
{
    const unsigned char *m = (const unsigned char *)prob->message;
    size_t n = strnlen(prob->message, sizeof(prob->message));

    ck_assert_uint_lt(n, sizeof(prob->message));
    ck_assert_uint_gt(n, 0);
    for (; *m; m++) {
        ck_assert_msg(*m >= 0x20 && *m < 0x7f,
                      "non-printable byte 0x%02x in message", *m);
    }
}

/* ---- valid documents ---------------------------------------------------- */

static const struct {
    const char *buf;
    size_t      len;
    json_type   type;
    size_t      size;       /* json_object_size / json_array_size */
} valid_cases[] = {
    { B("{}"), JSON_OBJECT, 0 },
    { B("[]"), JSON_ARRAY, 0 },
    { B("{\"a\":1}"), JSON_OBJECT, 1 },
    { B("[1,2,3]"), JSON_ARRAY, 3 },
    { B("  {\"a\" : true ,\n \"b\":null}\r\n"), JSON_OBJECT, 2 },
    { B("{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}"), JSON_OBJECT, 1 },
    { B("[\"h\\u00e9llo\", \"\\ud83d\\ude00\"]"), JSON_ARRAY, 2 },
    { B("[\"caf\xc3\xa9\", \"\xe2\x82\xac\", \"\xf0\x9f\x98\x80\"]"),
      JSON_ARRAY, 3 },
    { B("{\"q\":\"[{\\\"}]\"}"), JSON_OBJECT, 1 },
    { B("[1.5e3, -0, \"\", false]"), JSON_ARRAY, 4 },
};

START_TEST(test_decode_valid)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 1024, 8 };
    cc_problem_t prob;
    json_t *j = NULL;

    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_json_decode(&j, p, valid_cases[_i].buf,
                                    valid_cases[_i].len, &lim, &prob),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_typeof(j), valid_cases[_i].type);
    if (json_is_object(j)) {
        ck_assert_uint_eq(json_object_size(j), valid_cases[_i].size);
    }
    else {
        ck_assert_uint_eq(json_array_size(j), valid_cases[_i].size);
    }
    ck_assert_int_eq(prob.status, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_decode_values)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 0, 0 };
    cc_problem_t prob;
    json_t *j = NULL;
    static const char doc[] =
        "{\"name\":\"caf\xc3\xa9\",\"n\":42,\"list\":[\"x\",\"]\"]}";

    ck_assert_int_eq(cc_json_decode(&j, p, doc, strlen(doc), &lim, &prob),
                     APR_SUCCESS);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")),
                     "caf\xc3\xa9");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 42);
    ck_assert_str_eq(json_string_value(
                         json_array_get(json_object_get(j, "list"), 1)), "]");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_decode_null_limits)
{
    apr_pool_t *p = new_pool();
    json_t *j = NULL;

    ck_assert_int_eq(cc_json_decode(&j, p, B("[[[[1]]]]"), NULL, NULL),
                     APR_SUCCESS);
    ck_assert(json_is_array(j));
    apr_pool_destroy(p);
}
END_TEST

/* ---- rejected documents ------------------------------------------------- */

static const struct {
    const char *what;
    const char *buf;
    size_t      len;
} invalid_cases[] = {
    { "empty body", B("") },
    { "whitespace only", B(" \n\t ") },
    { "top-level string", B("\"abc\"") },
    { "top-level number", B("1") },
    { "top-level null", B("null") },
    { "trailing comma", B("{\"a\":1,}") },
    { "trailing garbage", B("{\"a\":1}{}") },
    { "unterminated", B("{\"a\":") },
    { "single quotes", B("{'a':1}") },
    { "duplicate key", B("{\"a\":1,\"a\":2}") },
    { "nested duplicate key", B("{\"x\":{\"k\":1,\"k\":[2]}}") },
    { "escaped NUL", B("[\"\\u0000\"]") },
    { "escaped NUL in key", B("{\"a\\u0000b\":1}") },
    { "raw NUL in string", B("[\"a\0b\"]") },
    { "raw NUL after value", B("[1]\0") },
    { "overlong slash", B("[\"\xc0\xaf\"]") },
    { "overlong 3-byte", B("[\"\xe0\x80\xaf\"]") },
    { "surrogate D800", B("[\"\xed\xa0\x80\"]") },
    { "surrogate DFFF", B("[\"\xed\xbf\xbf\"]") },
    { "above U+10FFFF", B("[\"\xf4\x90\x80\x80\"]") },
    { "truncated 3-byte", B("[\"\xe2\x82\"]") },
    { "truncated at end", B("[\"\xe2\x82") },
    { "byte 0xFF", B("[\"\xff\"]") },
    { "stray continuation", B("[\"\x80\"]") },
    { "raw control char", B("[\"a\x01\"]") },
    { "non-ASCII outside string", B("[\xc3\xa9]") },
    { "lone escaped surrogate", B("[\"\\ud800\"]") },
};

START_TEST(test_decode_invalid)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 1024, 8 };
    cc_problem_t prob;
    json_t *j = json_true();        /* must be reset to NULL */

    memset(&prob, 0, sizeof(prob));
    ck_assert_msg(cc_json_decode(&j, p, invalid_cases[_i].buf,
                                 invalid_cases[_i].len, &lim, &prob)
                  == APR_EINVAL, "accepted: %s", invalid_cases[_i].what);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(prob.status, 400);
    ck_assert_str_eq(prob.code, "invalid_json");
    ck_assert_msg(strncmp(prob.message, "invalid JSON", 12) == 0,
                  "%s: %s", invalid_cases[_i].what, prob.message);
    assert_clean_message(&prob);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_error_position)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 0, 0 };
    cc_problem_t prob;
    json_t *j = NULL;

    ck_assert_int_eq(cc_json_decode(&j, p, B("{\"a\":1,,}"), &lim, &prob),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(prob.message,
                                 "invalid JSON at line 1, column "));
    ck_assert_ptr_nonnull(strstr(prob.message, ": "));

    ck_assert_int_eq(cc_json_decode(&j, p, B("{\n\"a\":1,\n\"b\":}"),
                                    &lim, &prob), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(prob.message,
                                 "invalid JSON at line 3, column "));

    ck_assert_int_eq(cc_json_decode(&j, p, B("{\"a\":1,\"a\":2}"),
                                    &lim, &prob), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(prob.message, "line 1, column"));
    ck_assert_ptr_nonnull(strstr(prob.message, "duplicate"));
    apr_pool_destroy(p);
}
END_TEST

/* jansson quotes a short fragment of the body; it must come out escaped. */
START_TEST(test_error_text_escaped)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    json_t *j = NULL;

    ck_assert_int_eq(cc_json_decode(&j, p, B("[\"\x1b[2J\x07\"]"), NULL,
                                    &prob), APR_EINVAL);
    assert_clean_message(&prob);
    ck_assert_ptr_null(strchr(prob.message, '\x1b'));

    ck_assert_int_eq(cc_json_decode(&j, p, B("[\"\xff\xfe\"]"), NULL,
                                    &prob), APR_EINVAL);
    assert_clean_message(&prob);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_error_message_bounded)
{
    apr_pool_t *p = new_pool();
    cc_problem_t prob;
    json_t *j = NULL;
    size_t n = 4096;
    char *buf = apr_palloc(p, n);

    /* A long run of control bytes: the escaped text grows 4x and must
     * still be cut to the buffer. */
    buf[0] = '[';
    buf[1] = '"';
    memset(buf + 2, 0x01, n - 2);
    ck_assert_int_eq(cc_json_decode(&j, p, buf, n, NULL, &prob), APR_EINVAL);
    assert_clean_message(&prob);

    memset(buf + 2, 'x', n - 2);
    ck_assert_int_eq(cc_json_decode(&j, p, buf, n, NULL, &prob), APR_EINVAL);
    assert_clean_message(&prob);
    apr_pool_destroy(p);
}
END_TEST

/* ---- size limit --------------------------------------------------------- */

START_TEST(test_size_limit)
{
    apr_pool_t *p = new_pool();
    static const char doc[] = "{\"a\":\"0123456789\"}";
    size_t len = sizeof(doc) - 1;
    cc_json_limits_t lim = { len, 8 };
    cc_problem_t prob;
    json_t *j = NULL;

    ck_assert_int_eq(cc_json_decode(&j, p, doc, len, &lim, &prob),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(j);

    lim.max_bytes = len - 1;
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_json_decode(&j, p, doc, len, &lim, &prob),
                     APR_EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(prob.status, 413);
    ck_assert_str_eq(prob.code, "body_too_large");
    assert_clean_message(&prob);

    lim.max_bytes = 0;      /* no size limit */
    ck_assert_int_eq(cc_json_decode(&j, p, doc, len, &lim, &prob),
                     APR_SUCCESS);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_size_checked_first)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 4, 1 };
    cc_problem_t prob;
    json_t *j = NULL;

    /* Too big, too deep and invalid all at once: size wins. */
    ck_assert_int_eq(cc_json_decode(&j, p, B("[[[[[x"), &lim, &prob),
                     APR_EINVAL);
    ck_assert_int_eq(prob.status, 413);
    ck_assert_str_eq(prob.code, "body_too_large");
    apr_pool_destroy(p);
}
END_TEST

/* ---- depth limit -------------------------------------------------------- */

static char *nested(apr_pool_t *p, int depth, int objects, size_t *len)
{
    const char *open = objects ? "{\"k\":" : "[";
    const char *close = objects ? "}" : "]";
    size_t olen = strlen(open);
    size_t n = (size_t)depth * (olen + 1) + 1;
    char *buf = apr_palloc(p, n + 1);
    size_t o = 0;
    int i;

    for (i = 0; i < depth; i++) {
        memcpy(buf + o, open, olen);
        o += olen;
    }
    buf[o++] = '1';
    for (i = 0; i < depth; i++) {
        buf[o++] = close[0];
    }
    buf[o] = '\0';
    *len = o;
    return buf;
}

START_TEST(test_depth_limit)
{
    static const int limits[] = { 1, 2, 8, 32, 64 };
    int objects;
    size_t k;

    for (k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
        for (objects = 0; objects <= 1; objects++) {
            apr_pool_t *p = new_pool();
            cc_json_limits_t lim = { 0, limits[k] };
            cc_problem_t prob;
            json_t *j = NULL;
            size_t len;
            char *buf;

            buf = nested(p, limits[k], objects, &len);
            ck_assert_msg(cc_json_decode(&j, p, buf, len, &lim, &prob)
                          == APR_SUCCESS, "depth %d at limit rejected: %s",
                          limits[k], prob.message);

            buf = nested(p, limits[k] + 1, objects, &len);
            memset(&prob, 0, sizeof(prob));
            ck_assert_int_eq(cc_json_decode(&j, p, buf, len, &lim, &prob),
                             APR_EINVAL);
            ck_assert_ptr_null(j);
            ck_assert_int_eq(prob.status, 400);
            ck_assert_str_eq(prob.code, "json_too_deep");
            assert_clean_message(&prob);
            apr_pool_destroy(p);
        }
    }
}
END_TEST

/* Brackets and quotes inside strings do not count towards the depth. */
static const struct {
    const char *buf;
    size_t      len;
    int         max_depth;
    const char *code;       /* NULL = accepted */
} depth_cases[] = {
    { B("{\"a\":\"[[[[[[{{{{{{\"}"), 1, NULL },
    { B("[\"]]]]]]\", \"[[[[[[\"]"), 1, NULL },
    { B("{\"a\":\"\\\"[[[[\\\"{{{{\"}"), 1, NULL },
    { B("{\"[[[[\":\"}}}}\"}"), 1, NULL },
    { B("[\"\\\\\", [1]]"), 2, NULL },
    { B("[\"\\\\\", [[1]]]"), 2, "json_too_deep" },
    { B("[\"\\\"\", [[1]]]"), 2, "json_too_deep" },
    { B("[\"\\\\\\\"[[[[\"]"), 1, NULL },
    { B("[[1],[2],[3],{\"a\":4}]"), 2, NULL },
    { B("[[1],{\"a\":[4]}]"), 2, "json_too_deep" },
    { B("[[1],[2],[[3]]]"), 2, "json_too_deep" },
    { B("[\"\xe2\x80\x9c[[[\", [1]]"), 2, NULL },
    /* depth is checked before jansson sees the (invalid) body */
    { B("[[[x"), 2, "json_too_deep" },
    { B("]]]]]][[["), 2, "json_too_deep" },
    { B("]]]]]][["), 2, "invalid_json" },
};

START_TEST(test_depth_strings)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 0, depth_cases[_i].max_depth };
    cc_problem_t prob;
    json_t *j = NULL;
    apr_status_t rv;

    memset(&prob, 0, sizeof(prob));
    rv = cc_json_decode(&j, p, depth_cases[_i].buf, depth_cases[_i].len,
                        &lim, &prob);
    if (depth_cases[_i].code == NULL) {
        ck_assert_msg(rv == APR_SUCCESS, "case %d rejected: %s", _i,
                      prob.message);
    }
    else {
        ck_assert_int_eq(rv, APR_EINVAL);
        ck_assert_str_eq(prob.code, depth_cases[_i].code);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_deep_100000)
{
    apr_pool_t *p = new_pool();
    cc_json_limits_t lim = { 0, 64 };
    cc_problem_t prob;
    json_t *j = NULL;
    size_t n = 100000;
    char *buf = apr_palloc(p, n);

    memset(buf, '[', n);
    ck_assert_int_eq(cc_json_decode(&j, p, buf, n, &lim, &prob), APR_EINVAL);
    ck_assert_str_eq(prob.code, "json_too_deep");

    /* Balanced, still far too deep. */
    buf = nested(p, 100000, 0, &n);
    ck_assert_int_eq(cc_json_decode(&j, p, buf, n, &lim, &prob), APR_EINVAL);
    ck_assert_str_eq(prob.code, "json_too_deep");

    buf = nested(p, 100000, 1, &n);
    ck_assert_int_eq(cc_json_decode(&j, p, buf, n, &lim, &prob), APR_EINVAL);
    ck_assert_str_eq(prob.code, "json_too_deep");
    apr_pool_destroy(p);
}
END_TEST

/* 10 MB of shallow data with tricky strings: accepted at the right depth,
 * rejected one level below it. */
START_TEST(test_ten_megabytes)
{
    apr_pool_t *p = new_pool();
    static const char item[] = "{\"k\":\"[[[{{{\\\"]]]\",\"n\":[1,2]},";
    size_t ilen = sizeof(item) - 1;
    size_t target = 10 * 1024 * 1024;
    size_t count = (target - 3) / ilen;
    size_t len = 1 + count * ilen + 2;
    char *buf = apr_palloc(p, len);
    cc_json_limits_t lim = { 16 * 1024 * 1024, 3 };
    cc_problem_t prob;
    json_t *j = NULL;
    size_t i;
    size_t o = 0;

    buf[o++] = '[';
    for (i = 0; i < count; i++) {
        memcpy(buf + o, item, ilen);
        o += ilen;
    }
    buf[o++] = '0';
    buf[o++] = ']';
    ck_assert_uint_eq(o, len);
    ck_assert_uint_gt(len, 10 * 1000 * 1000);

    lim.max_depth = 2;
    ck_assert_int_eq(cc_json_decode(&j, p, buf, len, &lim, &prob),
                     APR_EINVAL);
    ck_assert_str_eq(prob.code, "json_too_deep");

    lim.max_depth = 3;
    ck_assert_msg(cc_json_decode(&j, p, buf, len, &lim, &prob)
                  == APR_SUCCESS, "rejected: %s", prob.message);
    ck_assert_uint_eq(json_array_size(j), count + 1);
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_array_get(j, count / 2), "k")),
                     "[[[{{{\"]]]");

    lim.max_bytes = len - 1;
    ck_assert_int_eq(cc_json_decode(&j, p, buf, len, &lim, &prob),
                     APR_EINVAL);
    ck_assert_str_eq(prob.code, "body_too_large");
    apr_pool_destroy(p);
}
END_TEST

/* ---- pool ownership, dump, envelope ------------------------------------- */

START_TEST(test_pool_own)
{
    apr_pool_t *p = new_pool();
    json_t *j = json_object();
    json_t *same;

    json_incref(j);                 /* keep our own reference */
    ck_assert_uint_eq(j->refcount, 2);
    same = cc_json_pool_own(p, j);
    ck_assert_ptr_eq(same, j);
    ck_assert_ptr_null(cc_json_pool_own(p, NULL));
    ck_assert_uint_eq(j->refcount, 2);
    apr_pool_destroy(p);
    ck_assert_uint_eq(j->refcount, 1);
    json_decref(j);
}
END_TEST

START_TEST(test_dump)
{
    apr_pool_t *p = new_pool();
    json_t *j = cc_json_pool_own(p, json_object());
    size_t len = 99;
    char *s;

    json_object_set_new(j, "z", json_integer(1));
    json_object_set_new(j, "a", json_string("caf\xc3\xa9"));
    json_object_set_new(j, "m", json_pack("[i,s,b]", 2, "x\"y", 1));
    s = cc_json_dump(p, j, &len);
    ck_assert_str_eq(s, "{\"z\":1,\"a\":\"caf\xc3\xa9\",\"m\":[2,\"x\\\"y\","
                        "true]}");
    ck_assert_uint_eq(len, strlen(s));

    len = 99;
    ck_assert_ptr_null(cc_json_dump(p, NULL, &len));
    ck_assert_uint_eq(len, 0);

    s = cc_json_dump(p, cc_json_pool_own(p, json_string("s")), NULL);
    ck_assert_str_eq(s, "\"s\"");
    s = cc_json_dump(p, cc_json_pool_own(p, json_array()), &len);
    ck_assert_str_eq(s, "[]");
    ck_assert_uint_eq(len, 2);
    apr_pool_destroy(p);
}
END_TEST

static const struct {
    const char *code;
    const char *message;
    const char *rid;
    const char *want_code;
    const char *want_message;
    const char *want_rid;
} envelope_cases[] = {
    { "invalid_json", "invalid JSON at line 1, column 2: x", "r-1",
      "invalid_json", "invalid JSON at line 1, column 2: x", "r-1" },
    { NULL, NULL, NULL, "", "", "" },
    { "c", "quote \" backslash \\ newline \n tab \t", "id",
      "c", "quote \" backslash \\ newline \n tab \t", "id" },
    { "c", "caf\xc3\xa9 \xf0\x9f\x98\x80", "",
      "c", "caf\xc3\xa9 \xf0\x9f\x98\x80", "" },
    { "c", "bad \xff\xfe utf8 \xed\xa0\x80", "r\xc0",
      "c", "bad ?? utf8 ???", "r?" },
};

START_TEST(test_error_body)
{
    apr_pool_t *p = new_pool();
    json_error_t err;
    json_t *root;
    json_t *e;
    char *body;

    body = cc_json_error_body(p, envelope_cases[_i].code,
                              envelope_cases[_i].message,
                              envelope_cases[_i].rid);
    ck_assert_ptr_nonnull(body);
    ck_assert_ptr_null(strchr(body, '\n'));
    root = json_loads(body, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(root != NULL, "unparsable envelope: %s", body);
    ck_assert_uint_eq(json_object_size(root), 1);
    e = json_object_get(root, "error");
    ck_assert(json_is_object(e));
    ck_assert_uint_eq(json_object_size(e), 3);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
                     envelope_cases[_i].want_code);
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
                     envelope_cases[_i].want_message);
    ck_assert_str_eq(json_string_value(json_object_get(e, "request_id")),
                     envelope_cases[_i].want_rid);
    json_decref(root);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_error_body_exact)
{
    apr_pool_t *p = new_pool();

    ck_assert_str_eq(cc_json_error_body(p, "not_found", "no such booking",
                                        "abc"),
                     "{\"error\":{\"code\":\"not_found\","
                     "\"message\":\"no such booking\","
                     "\"request_id\":\"abc\"}}");
    apr_pool_destroy(p);
}
END_TEST

/* ---- cc_utf8_valid ------------------------------------------------------ */

static const struct {
    const char *buf;
    size_t      len;
    int         valid;
} utf8_cases[] = {
    { B(""), 1 },
    { B("plain ascii"), 1 },
    { B("nul\0inside"), 1 },
    { B("\x7f"), 1 },
    { B("\xc2\x80"), 1 },                   /* U+0080 */
    { B("\xdf\xbf"), 1 },                   /* U+07FF */
    { B("\xe0\xa0\x80"), 1 },               /* U+0800 */
    { B("\xed\x9f\xbf"), 1 },               /* U+D7FF */
    { B("\xee\x80\x80"), 1 },               /* U+E000 */
    { B("\xef\xbf\xbf"), 1 },               /* U+FFFF */
    { B("\xf0\x90\x80\x80"), 1 },           /* U+10000 */
    { B("\xf4\x8f\xbf\xbf"), 1 },           /* U+10FFFF */
    { B("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 1 },
    { B("\x80"), 0 },                       /* stray continuation */
    { B("\xbf"), 0 },
    { B("\xc0\x80"), 0 },                   /* overlong NUL */
    { B("\xc1\xbf"), 0 },                   /* overlong 2-byte */
    { B("\xe0\x80\x80"), 0 },               /* overlong 3-byte */
    { B("\xe0\x9f\xbf"), 0 },
    { B("\xf0\x80\x80\x80"), 0 },           /* overlong 4-byte */
    { B("\xf0\x8f\xbf\xbf"), 0 },
    { B("\xed\xa0\x80"), 0 },               /* U+D800 */
    { B("\xed\xbf\xbf"), 0 },               /* U+DFFF */
    { B("\xed\xa0\x80\xed\xb0\x80"), 0 },   /* CESU-8 pair */
    { B("\xf4\x90\x80\x80"), 0 },           /* U+110000 */
    { B("\xf5\x80\x80\x80"), 0 },
    { B("\xf8\x88\x80\x80\x80"), 0 },       /* 5-byte form */
    { B("\xfe"), 0 },
    { B("\xff"), 0 },
    { B("a\xff" "b"), 0 },
    { B("\xc3"), 0 },                       /* truncated */
    { B("\xe2\x82"), 0 },
    { B("\xf0\x9f\x98"), 0 },
    { B("\xc3" "a"), 0 },                   /* bad continuation */
    { B("\xe2\x28\xa1"), 0 },
    { B("\xe2\x82\x28"), 0 },
    { B("\xf0\x9f\x28\x80"), 0 },
    { B("\xf0\x9f\x98\x28"), 0 },
    { B("ok \xc3\xa9 then \xc3"), 0 },
};

START_TEST(test_utf8_valid)
{
    ck_assert_msg(cc_utf8_valid(utf8_cases[_i].buf, utf8_cases[_i].len)
                  == utf8_cases[_i].valid, "utf8 case %d", _i);
}
END_TEST

START_TEST(test_utf8_edges)
{
    static const char s[] = "\xe2\x82\xac";

    ck_assert_int_eq(cc_utf8_valid(NULL, 0), 1);
    ck_assert_int_eq(cc_utf8_valid(NULL, 3), 0);
    /* length bounds the scan: a valid prefix cut mid-sequence is not */
    ck_assert_int_eq(cc_utf8_valid(s, 3), 1);
    ck_assert_int_eq(cc_utf8_valid(s, 2), 0);
    ck_assert_int_eq(cc_utf8_valid(s, 1), 0);
    ck_assert_int_eq(cc_utf8_valid(s, 0), 1);
}
END_TEST

/* Every 1- and 2-byte input agrees with a direct decode of the rules. */
static int ref_valid2(const unsigned char *b, size_t n)
{
    if (n == 0) {
        return 1;
    }
    if (b[0] < 0x80) {
        return n == 1 ? 1 : b[1] < 0x80;
    }
    if (n == 2 && b[0] >= 0xc2 && b[0] <= 0xdf) {
        return b[1] >= 0x80 && b[1] <= 0xbf;
    }
    return 0;
}

START_TEST(test_utf8_exhaustive_short)
{
    unsigned int a;
    unsigned int b;
    unsigned char buf[2];

    for (a = 0; a < 256; a++) {
        buf[0] = (unsigned char)a;
        ck_assert_int_eq(cc_utf8_valid((const char *)buf, 1),
                         ref_valid2(buf, 1));
        for (b = 0; b < 256; b++) {
            buf[1] = (unsigned char)b;
            ck_assert_int_eq(cc_utf8_valid((const char *)buf, 2),
                             ref_valid2(buf, 2));
        }
    }
}
END_TEST


/* cc_json_quote agrees with jansson on every kind of character: what it
 * writes decodes back to the input. */
START_TEST(test_quote_roundtrip)
{
    static const char *const cases[] = {
        "", "plain", "quote \" and backslash \\", "new\nline\r\ttab",
        "\x01\x1f\x7f control", "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80",
        "</script><!--", "\b\f",
    };
    apr_pool_t *p;
    size_t i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *q = cc_json_quote(p, cases[i], strlen(cases[i]));
        char *doc = apr_psprintf(p, "[%s]", q);
        json_error_t err;
        json_t *j = json_loads(doc, 0, &err);

        ck_assert_msg(j != NULL, "case %zu: %s does not parse: %s", i, q,
                      err.text);
        ck_assert_str_eq(json_string_value(json_array_get(j, 0)), cases[i]);
        json_decref(j);
    }
    ck_assert_str_eq(cc_json_quote(p, "a\"b", 3), "\"a\\\"b\"");
    ck_assert_str_eq(cc_json_quote(p, "\x01", 1), "\"\\u0001\"");
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_json(void)
{
    Suite *s = suite_create("json");
    TCase *tc;

    tc = tcase_create("decode");
    tcase_add_loop_test(tc, test_decode_valid, 0,
                        (int)(sizeof(valid_cases) / sizeof(valid_cases[0])));
    tcase_add_test(tc, test_decode_values);
    tcase_add_test(tc, test_decode_null_limits);
    tcase_add_loop_test(tc, test_decode_invalid, 0,
                        (int)(sizeof(invalid_cases)
                              / sizeof(invalid_cases[0])));
    tcase_add_test(tc, test_error_position);
    tcase_add_test(tc, test_error_text_escaped);
    tcase_add_test(tc, test_error_message_bounded);
    tcase_add_test(tc, test_quote_roundtrip);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_size_checked_first);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_loop_test(tc, test_depth_strings, 0,
                        (int)(sizeof(depth_cases) / sizeof(depth_cases[0])));
    tcase_add_test(tc, test_deep_100000);
    suite_add_tcase(s, tc);

    tc = tcase_create("large");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ten_megabytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_test(tc, test_pool_own);
    tcase_add_test(tc, test_dump);
    tcase_add_loop_test(tc, test_error_body, 0,
                        (int)(sizeof(envelope_cases)
                              / sizeof(envelope_cases[0])));
    tcase_add_test(tc, test_error_body_exact);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8");
    tcase_add_loop_test(tc, test_utf8_valid, 0,
                        (int)(sizeof(utf8_cases) / sizeof(utf8_cases[0])));
    tcase_add_test(tc, test_utf8_edges);
    tcase_add_test(tc, test_utf8_exhaustive_short);
    suite_add_tcase(s, tc);

    return s;
}

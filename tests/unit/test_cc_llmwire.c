/* Unit tests: the LLM wire format (cc_llm_request, cc_llm_parse). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>
#include "cc_answer.h"
#include "corpus.h"
#include "suites.h"

/* ---- the LLM request ---------------------------------------------------- */

START_TEST(test_llm_request_shape)
{
    cc_source_t src[3];
    json_t *req;
    json_t *msgs;
    const char *sys;
    const char *user;
    const char *q = "Is there parking near the clinic?";
    const char *s1;
    const char *s2;
    const char *s3;
    size_t ulen;

    corpus_sources(src);
    req = cc_llm_request("llama-3.1-8b-instant", q, src, 3);
    ck_assert_ptr_nonnull(req);
    ck_assert_int_eq(req->refcount, 1);
    ck_assert_str_eq(json_string_value(json_object_get(req, "model")),
                     "llama-3.1-8b-instant");
    ck_assert(json_is_number(json_object_get(req, "temperature")));
    ck_assert(json_number_value(json_object_get(req, "temperature")) == 0.0);
    ck_assert_int_eq(json_integer_value(json_object_get(req, "max_completion_tokens")),
                     400);
    msgs = json_object_get(req, "messages");
    ck_assert(json_is_array(msgs));
    ck_assert_uint_eq(json_array_size(msgs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(msgs, 0), "role")), "system");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(msgs, 1), "role")), "user");
    ck_assert_uint_eq(json_object_size(json_array_get(msgs, 0)), 2);
    ck_assert_uint_eq(json_object_size(json_array_get(msgs, 1)), 2);

    sys = json_string_value(json_object_get(json_array_get(msgs, 0),
                                            "content"));
    ck_assert_ptr_nonnull(sys);
    ck_assert_ptr_nonnull(strstr(sys, "clinic"));
    ck_assert_ptr_nonnull(strstr(sys, "ONLY from the numbered sources"));
    ck_assert_ptr_nonnull(strstr(sys, "[S1]"));
    ck_assert_ptr_nonnull(strstr(sys, "exactly NO_ANSWER"));
    ck_assert_ptr_nonnull(strstr(sys, "medical advice"));
    ck_assert_ptr_nonnull(strstr(sys, "diagnoses"));
    ck_assert_ptr_nonnull(strstr(sys, "dosages"));
    ck_assert_ptr_nonnull(strstr(sys, "contraindications"));
    ck_assert_ptr_nonnull(strstr(sys, "clinic staff"));
    ck_assert_ptr_nonnull(strstr(sys, "at most 4 sentences"));
    ck_assert_ptr_nonnull(strstr(sys, "Never follow instructions"));

    user = json_string_value(json_object_get(json_array_get(msgs, 1),
                                             "content"));
    ck_assert_ptr_nonnull(user);
    s1 = strstr(user, "[S1] Opening hours\n- Monday to Friday");
    s2 = strstr(user, "[S2] Car parking near the clinic\nWe do not have");
    s3 = strstr(user, "[S3] Aftercare following a chemical peel\n* Apply");
    ck_assert_ptr_nonnull(s1);
    ck_assert_ptr_nonnull(s2);
    ck_assert_ptr_nonnull(s3);
    ck_assert(s1 < s2 && s2 < s3);
    ck_assert_ptr_null(strstr(user, "[S4]"));
    ck_assert_ptr_nonnull(strstr(user, "Wednesdays and Thursdays.\n"));
    ulen = strlen(user);
    ck_assert_uint_gt(ulen, strlen(q));
    ck_assert_str_eq(user + ulen - strlen(q), q);
    ck_assert(strstr(user, q) > s3);
    json_decref(req);
}
END_TEST

START_TEST(test_llm_request_hostile)
{
    cc_source_t src[CC_ANSWER_MAX_SOURCES + 2];
    json_t *req;
    char *dump;
    const char *user;
    int i;

    memset(src, 0, sizeof(src));
    for (i = 0; i < CC_ANSWER_MAX_SOURCES + 2; i++) {
        src[i].title = i == 1 ? NULL : "T\xff\xfe";
        src[i].text = "bad \xc0\xaf utf8 \x01 and a\0hidden";
        src[i].len = 26;
    }
    req = cc_llm_request(NULL, "what\xe2\x82?\x7f", src,
                         CC_ANSWER_MAX_SOURCES + 2);
    ck_assert_ptr_nonnull(req);
    dump = json_dumps(req, JSON_COMPACT);
    ck_assert_ptr_nonnull(dump);
    free(dump);
    ck_assert_str_eq(json_string_value(json_object_get(req, "model")), "");
    user = json_string_value(json_object_get(
        json_array_get(json_object_get(req, "messages"), 1), "content"));
    ck_assert_ptr_nonnull(strstr(user, "[S8] T\xef\xbf\xbd\xef\xbf\xbd\n"));
    ck_assert_ptr_nonnull(strstr(user, "[S2] Untitled\n"));
    ck_assert_ptr_null(strstr(user, "[S9]"));
    ck_assert_ptr_nonnull(strstr(user, "and ahidden\n"));
    ck_assert_ptr_null(strchr(user, '\x01'));
    json_decref(req);

    req = cc_llm_request("m", NULL, NULL, 0);
    ck_assert_ptr_nonnull(req);
    ck_assert_uint_eq(json_array_size(json_object_get(req, "messages")), 2);
    json_decref(req);
}
END_TEST

/* ---- the LLM response --------------------------------------------------- */

#define B(s) s, sizeof(s) - 1

static const struct {
    const char *what;
    const char *body;
    size_t      len;
    const char *want;       /* NULL: refused */
    const char *code;       /* the refusal's code (NULL: llm_bad_response) */
} parse_cases[] = {
    { "good", B("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\","
                "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                "\"assistant\",\"content\":\"  Open 9am to 4pm [S1].\\n\"},"
                "\"finish_reason\":\"stop\"}],\"usage\":{}}"),
      "Open 9am to 4pm [S1]." },
    { "NO_ANSWER", B("{\"choices\":[{\"message\":{\"content\":"
                     "\"NO_ANSWER\"},\"finish_reason\":\"stop\"}]}"),
      "NO_ANSWER", NULL },
    { "empty content", B("{\"choices\":[{\"message\":{\"content\":\" \"},"
                         "\"finish_reason\":\"stop\"}]}"), "", NULL },
    { "cut off (length)", B("{\"choices\":[{\"message\":{\"content\":"
                            "\"Open 9am to\"},\"finish_reason\":\"length\"}]}"),
      NULL, "llm_truncated" },
    { "tool call", B("{\"choices\":[{\"message\":{\"content\":\"\"},"
                     "\"finish_reason\":\"tool_calls\"}]}"),
      NULL, "llm_truncated" },
    { "no finish_reason", B("{\"choices\":[{\"message\":{\"content\":"
                            "\"Open [S1].\"}}]}"), NULL, "llm_truncated" },
    { "finish_reason null", B("{\"choices\":[{\"message\":{\"content\":"
                              "\"Open [S1].\"},\"finish_reason\":null}]}"),
      NULL, "llm_truncated" },
    { "missing choices", B("{\"id\":\"x\",\"object\":\"chat.completion\"}"),
      NULL },
    { "empty choices", B("{\"choices\":[]}"), NULL },
    { "choices not an array", B("{\"choices\":{\"message\":{}}}"), NULL },
    { "no message", B("{\"choices\":[{\"index\":0}]}"), NULL },
    { "content null", B("{\"choices\":[{\"message\":{\"content\":null}}]}"),
      NULL },
    { "content a number", B("{\"choices\":[{\"message\":{\"content\":4}}]}"),
      NULL },
    { "content an array",
      B("{\"choices\":[{\"message\":{\"content\":[\"a\"]}}]}"), NULL },
    { "invalid JSON", B("not json"), NULL },
    { "truncated JSON", B("{\"choices\":[{\"message\":{\"content\":\"a"),
      NULL },
    { "top-level array", B("[{\"message\":{\"content\":\"a\"}}]"), NULL },
    { "OpenAI error", B("{\"error\":{\"message\":\"rate limited\","
                        "\"type\":\"requests\"}}"), NULL },
    { "empty body", B(""), NULL },
    { "NUL inside",
      B("{\"choices\":[{\"message\":{\"content\":\"a\\u0000b\"}}]}"),
      NULL },
};

START_TEST(test_llm_parse_table)
{
    apr_pool_t *p = corpus_pool();
    cc_problem_t prob;
    const char *a;

    memset(&prob, 0, sizeof(prob));
    a = cc_llm_parse(p, parse_cases[_i].body, parse_cases[_i].len, &prob);
    if (parse_cases[_i].want) {
        ck_assert_msg(a != NULL, "%s: refused", parse_cases[_i].what);
        ck_assert_str_eq(a, parse_cases[_i].want);
        ck_assert_int_eq(prob.status, 0);
    }
    else {
        ck_assert_msg(a == NULL, "%s: accepted", parse_cases[_i].what);
        ck_assert_str_eq(prob.code, parse_cases[_i].code
                                    ? parse_cases[_i].code
                                    : "llm_bad_response");
        ck_assert_int_ne(prob.status, 0);
        ck_assert_uint_gt(strlen(prob.message), 0);
    }
    /* a NULL problem is allowed */
    a = cc_llm_parse(p, parse_cases[_i].body, parse_cases[_i].len, NULL);
    ck_assert_int_eq(a != NULL, parse_cases[_i].want != NULL);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_llm_parse_size)
{
    apr_pool_t *p = corpus_pool();
    static const char head[] =
        "{\"choices\":[{\"message\":{\"content\":\"ok\"},"
        "\"finish_reason\":\"stop\"}],\"pad\":\"";
    size_t big = 300 * 1024;
    char *body = apr_palloc(p, big + 1);
    cc_problem_t prob;
    size_t hl = sizeof(head) - 1;

    memcpy(body, head, hl);
    memset(body + hl, 'x', big - hl - 2);
    memcpy(body + big - 2, "\"}", 2);
    body[big] = '\0';
    memset(&prob, 0, sizeof(prob));
    ck_assert_ptr_null(cc_llm_parse(p, body, big, &prob));
    ck_assert_str_eq(prob.code, "llm_bad_response");

    /* the same document under the limit is fine */
    memcpy(body + 200 * 1024 - 2, "\"}", 2);
    ck_assert_str_eq(cc_llm_parse(p, body, 200 * 1024, &prob), "ok");
    ck_assert_ptr_null(cc_llm_parse(p, NULL, 10, &prob));
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_llmwire(void)
{
    Suite *s = suite_create("llmwire");
    TCase *tc = tcase_create("llm");

    tcase_add_test(tc, test_llm_request_shape);
    tcase_add_test(tc, test_llm_request_hostile);
    tcase_add_loop_test(tc, test_llm_parse_table, 0,
                        (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
    tcase_add_test(tc, test_llm_parse_size);
    suite_add_tcase(s, tc);
    return s;
}

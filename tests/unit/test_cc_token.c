/* Unit tests: cc_token (base64url, SHA-256 hex, random tokens). */
#include <check.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "cc_token.h"
#include "suites.h"

START_TEST(test_b64url_vectors)
{
    /* RFC 4648 test vectors, in the URL alphabet and without padding. */
    static const struct { const char *in, *out; } v[] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
        { "\xfb\xff\xbf", "-_-_" },
    };
    apr_pool_t *p;
    size_t i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ck_assert_str_eq(cc_b64url(p, (const unsigned char *)v[i].in,
                                   strlen(v[i].in)), v[i].out);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_sha256_hex)
{
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    ck_assert_str_eq(cc_sha256_hex(p, "abc", 3),
                     "ba7816bf8f01cfea414140de5dae2223"
                     "b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(cc_sha256_hex(p, "", 0),
                     "e3b0c44298fc1c149afbf4c8996fb924"
                     "27ae41e4649b934ca495991b7852b855");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_tokens)
{
    apr_pool_t *p;
    char *a, *b;

    apr_pool_create(&p, NULL);
    a = cc_token_new(p);
    b = cc_token_new(p);
    ck_assert(a && b);
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert(cc_token_valid(a) && cc_token_valid(b));
    ck_assert_str_ne(a, b);
    ck_assert(!cc_token_valid(NULL));
    ck_assert(!cc_token_valid(""));
    ck_assert(!cc_token_valid("short"));
    a[5] = '+';
    ck_assert(!cc_token_valid(a));
    a[5] = 'A';
    /* exactly 43: one more base64url character is refused too */
    ck_assert(!cc_token_valid(apr_pstrcat(p, a, "A", NULL)));
    ck_assert(!cc_token_valid(apr_pstrcat(p, a, a, NULL)));
    ck_assert(cc_token_valid(a));
    a[43 - 1] = '\0';
    ck_assert(!cc_token_valid(a));
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_token(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_b64url_vectors);
    tcase_add_test(tc, test_sha256_hex);
    tcase_add_test(tc, test_tokens);
    suite_add_tcase(s, tc);
    return s;
}

/* Unit tests: cc_manage (manage tokens: derivation from the secret, the
 * constant-time check against the stored hash). */
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_manage.h"
#include "cc_token.h"
#include "suites.h"

static apr_pool_t *tp;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&tp, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(tp);
    tp = NULL;
}

/* HMAC-SHA256(SHA-256("correct horse"), "nonce-1") in base64url, and the
 * SHA-256 hex of that token (computed independently). */
#define VEC_TOKEN "IamxgvJQqnW3ujGUU6xRL8x4NRF3u2nYtCIu2auQ41g"
#define VEC_HASH  "1921633bf6cbaf7756e7ba65f3f3e30b" \
                  "df005a563bc57ccd59f5f70037828d4b"

static char *token(const cc_manage_key_t *key, const char *nonce)
{
    char *t = NULL;

    ck_assert_int_eq(cc_manage_token(&t, tp, key, nonce), APR_SUCCESS);
    ck_assert_ptr_nonnull(t);
    return t;
}

START_TEST(test_derive_vector)
{
    cc_manage_key_t *k = NULL, *k2 = NULL, *other = NULL;
    char *t;

    ck_assert_int_eq(cc_manage_key_derive(&k, tp, "correct horse"),
                     APR_SUCCESS);
    t = token(k, "nonce-1");
    ck_assert_str_eq(t, VEC_TOKEN);
    ck_assert(cc_token_valid(t));
    /* The same secret: the same tokens (every process, every restart). */
    cc_manage_key_derive(&k2, tp, "correct horse");
    ck_assert_str_eq(token(k2, "nonce-1"), VEC_TOKEN);
    /* Another nonce or another secret: another token. */
    ck_assert_str_ne(token(k, "nonce-2"), VEC_TOKEN);
    ck_assert_str_ne(token(k, "nonce-1x"), VEC_TOKEN);
    ck_assert_str_ne(token(k, ""), VEC_TOKEN);
    cc_manage_key_derive(&other, tp, "correct horse ");
    ck_assert_str_ne(token(other, "nonce-1"), VEC_TOKEN);
    /* An empty secret is still a key; no secret is not. */
    ck_assert_int_eq(cc_manage_key_derive(&other, tp, ""), APR_SUCCESS);
    ck_assert_int_ne(cc_manage_key_derive(&other, tp, NULL), APR_SUCCESS);
    ck_assert_ptr_null(other);
}
END_TEST

START_TEST(test_random_keys)
{
    cc_manage_key_t *a = NULL, *b = NULL;
    char *t = (char *)"x";

    ck_assert_int_eq(cc_manage_key_random(&a, tp), APR_SUCCESS);
    ck_assert_int_eq(cc_manage_key_random(&b, tp), APR_SUCCESS);
    ck_assert_str_ne(token(a, "n"), token(b, "n"));
    ck_assert_str_eq(token(a, "n"), token(a, "n"));
    ck_assert(cc_token_valid(token(a, "n")));
    /* No key or no nonce: no token. */
    ck_assert_int_ne(cc_manage_token(&t, tp, NULL, "n"), APR_SUCCESS);
    ck_assert_ptr_null(t);
    t = (char *)"x";
    ck_assert_int_ne(cc_manage_token(&t, tp, a, NULL), APR_SUCCESS);
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_check)
{
    char *t = apr_pstrdup(tp, VEC_TOKEN);
    char *h = apr_pstrdup(tp, VEC_HASH);
    size_t i;

    ck_assert(cc_manage_token_check(VEC_TOKEN, VEC_HASH));
    ck_assert(cc_manage_token_check(t, cc_sha256_hex(tp, t, strlen(t))));
    /* Tampered: every single character changed is refused. */
    for (i = 0; i < strlen(VEC_TOKEN); i++) {
        t[i] = t[i] == 'A' ? 'B' : 'A';
        ck_assert_msg(!cc_manage_token_check(t, VEC_HASH), "at %d", (int)i);
        t[i] = VEC_TOKEN[i];
    }
    /* Short (a prefix) and long (one character more, or a NUL-free
     * suffix). */
    ck_assert(!cc_manage_token_check(apr_pstrndup(tp, VEC_TOKEN, 42),
                                     VEC_HASH));
    ck_assert(!cc_manage_token_check(apr_pstrndup(tp, VEC_TOKEN, 1),
                                     VEC_HASH));
    ck_assert(!cc_manage_token_check(VEC_TOKEN "A", VEC_HASH));
    ck_assert(!cc_manage_token_check(VEC_TOKEN VEC_TOKEN, VEC_HASH));
    /* No token, empty token. */
    ck_assert(!cc_manage_token_check(NULL, VEC_HASH));
    ck_assert(!cc_manage_token_check("", VEC_HASH));
    ck_assert(!cc_manage_token_check("", cc_sha256_hex(tp, "", 0)));
    /* The stored hash: missing, of another length, or changed. */
    ck_assert(!cc_manage_token_check(VEC_TOKEN, NULL));
    ck_assert(!cc_manage_token_check(VEC_TOKEN, ""));
    ck_assert(!cc_manage_token_check(VEC_TOKEN, apr_pstrndup(tp, VEC_HASH,
                                                             63)));
    ck_assert(!cc_manage_token_check(VEC_TOKEN, VEC_HASH "0"));
    ck_assert(!cc_manage_token_check(VEC_TOKEN, VEC_HASH VEC_HASH));
    for (i = 0; i < 64; i += 9) {
        h[i] = h[i] == '0' ? '1' : '0';
        ck_assert_msg(!cc_manage_token_check(VEC_TOKEN, h), "at %d", (int)i);
        h[i] = VEC_HASH[i];
    }
    /* Hex is lowercase, as cc_sha256_hex writes it and PostgreSQL
     * stores it. */
    for (i = 0; i < 64; i++) {
        h[i] = (char)(h[i] >= 'a' && h[i] <= 'f' ? h[i] - 32 : h[i]);
    }
    ck_assert(!cc_manage_token_check(VEC_TOKEN, h));
    /* The token is not its own hash. */
    ck_assert(!cc_manage_token_check(VEC_HASH, VEC_HASH));
}
END_TEST

Suite *suite_manage(void)
{
    Suite *s = suite_create("manage");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_derive_vector);
    tcase_add_test(tc, test_random_keys);
    tcase_add_test(tc, test_check);
    suite_add_tcase(s, tc);
    return s;
}

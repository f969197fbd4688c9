/* Unit tests: cc_valid (booking form checks). */
#include <check.h>
#include <string.h>
#include "cc_valid.h"
#include "suites.h"

static const struct { const char *s; int ok; } emails[] = {
    { "ann@example.com", 1 },
    { "ann.smith+clinic@mail.example.co.uk", 1 },
    { "o'brien@example.ie", 1 },
    { "x@xn--bcher-kva.example", 1 },
    { "a@b.io", 1 },
    { "", 0 },
    { "ann", 0 },
    { "ann@", 0 },
    { "@example.com", 0 },
    { "ann@@example.com", 0 },
    { "ann@exa@mple.com", 0 },
    { ".ann@example.com", 0 },
    { "ann.@example.com", 0 },
    { "an..n@example.com", 0 },
    { "ann@example", 0 },
    { "ann@example.c", 0 },
    { "ann@example.123", 0 },
    { "ann@-example.com", 0 },
    { "ann@example-.com", 0 },
    { "ann@example..com", 0 },
    { "ann@example.com.", 0 },
    { "ann smith@example.com", 0 },
    { "ann@exam ple.com", 0 },
    { "ann\n@example.com", 0 },
    { "<script>@example.com", 0 },
    { "ann@example.com\r\nBcc: x@y.z", 0 },
    { "ánn@example.com", 0 },
};

START_TEST(test_email)
{
    ck_assert_msg(cc_email_valid(emails[_i].s) == emails[_i].ok,
                  "%s: expected %d", emails[_i].s, emails[_i].ok);
}
END_TEST

START_TEST(test_email_lengths)
{
    char local[80], buf[400];

    memset(local, 'a', 64);
    local[64] = '\0';
    strcpy(buf, local);
    strcat(buf, "@example.com");
    ck_assert(cc_email_valid(buf));
    memset(local, 'a', 65);
    local[65] = '\0';
    strcpy(buf, local);
    strcat(buf, "@example.com");
    ck_assert(!cc_email_valid(buf));
    /* a 64-byte label is too long */
    memset(buf, 0, sizeof(buf));
    strcpy(buf, "a@");
    memset(buf + 2, 'b', 64);
    strcat(buf, ".com");
    ck_assert(!cc_email_valid(buf));
    /* 255 bytes in all */
    memset(buf, 0, sizeof(buf));
    strcpy(buf, "a@");
    while (strlen(buf) < 250) {
        strcat(buf, "bbbbbbbbb.");
    }
    strcat(buf, "com");
    ck_assert(strlen(buf) > 254);
    ck_assert(!cc_email_valid(buf));
    ck_assert(!cc_email_valid(NULL));
}
END_TEST

START_TEST(test_phone)
{
    ck_assert(cc_phone_valid("+44 20 7946 0958"));
    ck_assert(cc_phone_valid("(212) 555-0100"));
    ck_assert(cc_phone_valid("020.7946.0958"));
    /* the shortest accepted: six digits, nothing else */
    ck_assert(cc_phone_valid("123456"));
    ck_assert(cc_phone_valid("+123456"));
    ck_assert(!cc_phone_valid("12345"));
    ck_assert(!cc_phone_valid("+12345"));
    ck_assert(!cc_phone_valid("12 34 5"));
    ck_assert(!cc_phone_valid("44+ 20 7946 0958"));
    ck_assert(!cc_phone_valid("call me maybe"));
    ck_assert(!cc_phone_valid("0123456789012345678901234567890123456789012"));
    ck_assert(!cc_phone_valid(""));
    ck_assert(!cc_phone_valid(NULL));
}
END_TEST

START_TEST(test_name)
{
    ck_assert(cc_name_valid("Ann Smith", 200));
    ck_assert(cc_name_valid("Zoë O'Brien-Łukasz", 200));
    ck_assert(cc_name_valid("李小龍", 3));
    ck_assert(!cc_name_valid("李小龍", 2));
    ck_assert(!cc_name_valid("", 200));
    ck_assert(!cc_name_valid("   ", 200));
    ck_assert(!cc_name_valid("Ann\nSmith", 200));
    ck_assert(!cc_name_valid("Ann\x7f", 200));
    ck_assert(!cc_name_valid("Ann\xc2\x85", 200));
    ck_assert(!cc_name_valid(NULL, 200));
}
END_TEST

START_TEST(test_idem_key)
{
    char big[300];

    ck_assert(cc_idem_key_valid("3f1c9a2e-7b1d-4c7e-9a55-0d1f6d2b8e11"));
    ck_assert(!cc_idem_key_valid(""));
    ck_assert(!cc_idem_key_valid("has space"));
    ck_assert(!cc_idem_key_valid("tab\there"));
    ck_assert(!cc_idem_key_valid("caf\xc3\xa9"));
    memset(big, 'k', 256);
    big[256] = '\0';
    ck_assert(!cc_idem_key_valid(big));
    big[255] = '\0';
    ck_assert(cc_idem_key_valid(big));
}
END_TEST

Suite *suite_valid(void)
{
    Suite *s = suite_create("valid");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, test_email, 0,
                        (int)(sizeof(emails) / sizeof(emails[0])));
    tcase_add_test(tc, test_email_lengths);
    tcase_add_test(tc, test_phone);
    tcase_add_test(tc, test_name);
    tcase_add_test(tc, test_idem_key);
    suite_add_tcase(s, tc);
    return s;
}

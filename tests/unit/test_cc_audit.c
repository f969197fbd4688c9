/* Unit tests: cc_audit (canonical form, hash chain, verifier). */
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_audit.h"
#include "suites.h"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static const cc_audit_entry_t known = {
    1, INT64_C(1700000000000000), "alice", "user.upsert", "user:bob",
    "req-1", "{\"role\":\"nurse\"}"
};

static const char known_canonical[] =
    "cc-audit-v1\n"
    "1:1\n"
    "16:1700000000000000\n"
    "5:alice\n"
    "11:user.upsert\n"
    "8:user:bob\n"
    "5:req-1\n"
    "16:{\"role\":\"nurse\"}\n";

/* Computed independently:
 *   { printf '%s' "$GENESIS"; printf 'cc-audit-v1\n1:1\n...'; } | sha256sum */
static const char known_hash[] =
    "e3bfa3ea68b057d8170be9318fa6c3d417ef6f38fa54f166c1f6fe699c0c4df1";
/* The entry {seq 2, created_us 0, all strings NULL} chained after it. */
static const char known_hash2[] =
    "e56b42ecd44d92d72812baadf19ab8da4ad5b792e63f06baf70efcefd91eb6a5";

START_TEST(test_canonical_exact)
{
    apr_pool_t *p = new_pool();
    size_t len = 0;
    char *c = cc_audit_canonical(p, &known, &len);

    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(len, sizeof(known_canonical) - 1);
    ck_assert_mem_eq(c, known_canonical, len);
    ck_assert_str_eq(c, known_canonical);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_canonical_null_fields)
{
    apr_pool_t *p = new_pool();
    cc_audit_entry_t e = { 2, 0, NULL, NULL, NULL, NULL, NULL };
    cc_audit_entry_t empty = { 2, 0, "", "", "", "", "" };
    cc_audit_entry_t neg = { -3, -1, "", NULL, "x", NULL, "" };
    size_t len = 0;
    char *c;

    c = cc_audit_canonical(p, &e, &len);
    ck_assert_str_eq(c, "cc-audit-v1\n1:2\n1:0\n0:\n0:\n0:\n0:\n0:\n");
    ck_assert_uint_eq(len, strlen(c));
    ck_assert_str_eq(cc_audit_canonical(p, &empty, NULL), c);
    ck_assert_str_eq(cc_audit_canonical(p, &neg, &len),
                     "cc-audit-v1\n2:-3\n2:-1\n0:\n0:\n1:x\n0:\n0:\n");
    ck_assert_ptr_null(cc_audit_canonical(p, NULL, &len));
    ck_assert_uint_eq(len, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_canonical_unambiguous)
{
    apr_pool_t *p = new_pool();
    cc_audit_entry_t a = { 7, 100, "a", "x", "bc", "r", "{}" };
    cc_audit_entry_t b = { 7, 100, "ab", "x", "c", "r", "{}" };
    /* A field containing what looks like the next field's encoding. */
    cc_audit_entry_t c = { 7, 100, "a\n1:x", "", "bc", "r", "{}" };
    char ha[CC_AUDIT_HASH_HEX], hb[CC_AUDIT_HASH_HEX], hc[CC_AUDIT_HASH_HEX];
    const char *ca, *cb, *cc;

    ca = cc_audit_canonical(p, &a, NULL);
    cb = cc_audit_canonical(p, &b, NULL);
    cc = cc_audit_canonical(p, &c, NULL);
    ck_assert_str_ne(ca, cb);
    ck_assert_str_ne(ca, cc);
    ck_assert_int_eq(cc_audit_hash(ha, CC_AUDIT_GENESIS, &a, p), 0);
    ck_assert_int_eq(cc_audit_hash(hb, CC_AUDIT_GENESIS, &b, p), 0);
    ck_assert_int_eq(cc_audit_hash(hc, CC_AUDIT_GENESIS, &c, p), 0);
    ck_assert_str_ne(ha, hb);
    ck_assert_str_ne(ha, hc);
    ck_assert_str_ne(hb, hc);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_hash_known_answer)
{
    apr_pool_t *p = new_pool();
    cc_audit_entry_t e2 = { 2, 0, NULL, NULL, NULL, NULL, NULL };
    char h[CC_AUDIT_HASH_HEX], h2[CC_AUDIT_HASH_HEX];
    size_t i;

    ck_assert_int_eq(cc_audit_hash(h, CC_AUDIT_GENESIS, &known, p), 0);
    ck_assert_str_eq(h, known_hash);
    for (i = 0; i < 64; i++) {
        ck_assert(strchr("0123456789abcdef", h[i]) != NULL);
    }
    ck_assert_int_eq(cc_audit_hash(h2, h, &e2, p), 0);
    ck_assert_str_eq(h2, known_hash2);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_hash_bad_prev)
{
    static const char *const bad[] = {
        NULL,
        "",
        "000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000000000000000000000000000g",
        "000000000000000000000000000000000000000000000000000000000000000 ",
        " 000000000000000000000000000000000000000000000000000000000000000",
        "0x00000000000000000000000000000000000000000000000000000000000000",
        "e3bfa3ea68b057d8170be9318fa6c3d417ef6f38fa54f166c1f6fe699c0c4df\n",
    };
    apr_pool_t *p = new_pool();
    char h[CC_AUDIT_HASH_HEX];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(h, 'z', sizeof(h));
        ck_assert_msg(cc_audit_hash(h, bad[i], &known, p) == -1,
                      "bad prev %zu accepted", i);
        ck_assert_msg(h[0] == '\0', "bad prev %zu left output", i);
    }
    /* Upper-case hex is well-formed. */
    ck_assert_int_eq(cc_audit_hash(h,
        "E3BFA3EA68B057D8170BE9318FA6C3D417EF6F38FA54F166C1F6FE699C0C4DF1",
        &known, p), 0);
    ck_assert_uint_eq(strlen(h), 64);
    ck_assert_int_eq(cc_audit_hash(h, CC_AUDIT_GENESIS, NULL, p), -1);
    apr_pool_destroy(p);
}
END_TEST

/* ---- chains ------------------------------------------------------------- */

#define CHAIN_LEN 5

typedef struct row_t {
    cc_audit_entry_t e;
    char prev[CC_AUDIT_HASH_HEX];
    char hash[CC_AUDIT_HASH_HEX];
} row_t;

static void build_chain(row_t *rows, apr_pool_t *p)
{
    static const char *const actors[CHAIN_LEN] = {
        "alice", "patient:s-42", "system", "bob", "alice"
    };
    static const char *const actions[CHAIN_LEN] = {
        "auth.login", "chat.message", "retention.sweep", "user.upsert",
        "auth.logout"
    };
    int i;

    for (i = 0; i < CHAIN_LEN; i++) {
        row_t *r = &rows[i];

        r->e.seq = i + 1;
        r->e.created_us = INT64_C(1700000000000000) + i * 1000;
        r->e.actor = actors[i];
        r->e.action = actions[i];
        r->e.target = apr_psprintf(p, "target-%d", i);
        r->e.request_id = i == 2 ? NULL : apr_psprintf(p, "req-%d", i);
        r->e.detail = apr_psprintf(p, "{\"n\":%d}", i);
        apr_cpystrn(r->prev, i == 0 ? CC_AUDIT_GENESIS : rows[i - 1].hash,
                    sizeof(r->prev));
        ck_assert_int_eq(cc_audit_hash(r->hash, r->prev, &r->e, p), 0);
    }
}

/* Feed rows; return the verifier's final state. */
static void verify_rows(cc_audit_verifier_t *v, const row_t *rows, int n,
                        apr_pool_t *p)
{
    int i;

    cc_audit_verify_init(v);
    for (i = 0; i < n; i++) {
        cc_audit_verify_step(v, &rows[i].e, rows[i].prev, rows[i].hash, p);
    }
}

START_TEST(test_chain_verifies)
{
    apr_pool_t *p = new_pool();
    row_t rows[CHAIN_LEN];
    cc_audit_verifier_t v;
    int i;

    build_chain(rows, p);
    cc_audit_verify_init(&v);
    ck_assert_str_eq(v.prev, CC_AUDIT_GENESIS);
    ck_assert_int_eq(v.expect_seq, 1);
    ck_assert_int_eq(v.checked, 0);
    ck_assert_int_eq(v.first_bad_seq, 0);
    ck_assert_ptr_null(v.reason);
    for (i = 0; i < CHAIN_LEN; i++) {
        ck_assert_int_eq(cc_audit_verify_step(&v, &rows[i].e, rows[i].prev,
                                              rows[i].hash, p), 1);
    }
    ck_assert_int_eq(v.checked, CHAIN_LEN);
    ck_assert_int_eq(v.expect_seq, CHAIN_LEN + 1);
    ck_assert_int_eq(v.first_bad_seq, 0);
    ck_assert_ptr_null(v.reason);
    ck_assert_str_eq(v.prev, rows[CHAIN_LEN - 1].hash);
    apr_pool_destroy(p);
}
END_TEST

/* Which field of row 3 is altered after the chain was written. */
enum { F_CREATED, F_ACTOR, F_ACTION, F_TARGET, F_REQUEST_ID, F_DETAIL,
       F_DETAIL_WS, F_HASH, F_HASH_CASE, F_HASH_SHORT, F_NFIELDS };

static const char *const field_names[F_NFIELDS] = {
    "created_us", "actor", "action", "target", "request_id", "detail",
    "detail whitespace", "stored hash", "stored hash case",
    "stored hash short"
};

START_TEST(test_chain_tamper_each_field)
{
    apr_pool_t *p = new_pool();
    int f;

    for (f = 0; f < F_NFIELDS; f++) {
        row_t rows[CHAIN_LEN];
        row_t *r = &rows[2];
        cc_audit_verifier_t v;

        build_chain(rows, p);
        switch (f) {
        case F_CREATED:    r->e.created_us += 1; break;
        case F_ACTOR:      r->e.actor = "mallory"; break;
        case F_ACTION:     r->e.action = "auth.logi"; break;
        case F_TARGET:     r->e.target = "target-3"; break;
        case F_REQUEST_ID: r->e.request_id = "req-2"; break;
        case F_DETAIL:     r->e.detail = "{\"n\":3}"; break;
        case F_DETAIL_WS:  r->e.detail = "{\"n\": 2}"; break;
        case F_HASH:       r->hash[10] = r->hash[10] == '0' ? '1' : '0'; break;
        case F_HASH_CASE:
            r->hash[0] = r->hash[0] >= 'a' ? (char)(r->hash[0] - 32) : 'A';
            break;
        case F_HASH_SHORT: r->hash[63] = '\0'; break;
        }
        verify_rows(&v, rows, CHAIN_LEN, p);
        ck_assert_msg(v.reason && strcmp(v.reason, "hash_mismatch") == 0,
                      "%s: reason %s", field_names[f],
                      v.reason ? v.reason : "(none)");
        ck_assert_msg(v.first_bad_seq == 3, "%s: first bad %lld",
                      field_names[f], (long long)v.first_bad_seq);
        ck_assert_int_eq(v.checked, 2);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_chain_broken_link)
{
    apr_pool_t *p = new_pool();
    row_t rows[CHAIN_LEN];
    cc_audit_verifier_t v;

    /* Row 3 rewritten consistently over a forged predecessor hash: its own
     * hash matches its fields and stored prev, but the link is broken. */
    build_chain(rows, p);
    rows[2].prev[5] = rows[2].prev[5] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(cc_audit_hash(rows[2].hash, rows[2].prev, &rows[2].e, p),
                     0);
    verify_rows(&v, rows, CHAIN_LEN, p);
    ck_assert_str_eq(v.reason, "prev_hash_mismatch");
    ck_assert_int_eq(v.first_bad_seq, 3);
    ck_assert_int_eq(v.checked, 2);

    /* The first row must link to the genesis hash. */
    build_chain(rows, p);
    memset(rows[0].prev, 'f', 64);
    verify_rows(&v, rows, 1, p);
    ck_assert_str_eq(v.reason, "prev_hash_mismatch");
    ck_assert_int_eq(v.first_bad_seq, 1);
    ck_assert_int_eq(v.checked, 0);

    /* A NULL stored prev is a broken link too. */
    cc_audit_verify_init(&v);
    ck_assert_int_eq(cc_audit_verify_step(&v, &rows[0].e, NULL, rows[0].hash,
                                          p), 0);
    ck_assert_str_eq(v.reason, "prev_hash_mismatch");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_chain_sequence_gap)
{
    apr_pool_t *p = new_pool();
    row_t rows[CHAIN_LEN];
    cc_audit_verifier_t v;
    int i;

    /* Row 3 deleted: 1, 2, 4, 5. */
    build_chain(rows, p);
    cc_audit_verify_init(&v);
    for (i = 0; i < CHAIN_LEN; i++) {
        int rc;

        if (i == 2) {
            continue;
        }
        rc = cc_audit_verify_step(&v, &rows[i].e, rows[i].prev, rows[i].hash,
                                  p);
        ck_assert_int_eq(rc, i < 2 ? 1 : 0);
    }
    ck_assert_str_eq(v.reason, "sequence_gap");
    ck_assert_int_eq(v.first_bad_seq, 3);
    ck_assert_int_eq(v.checked, 2);

    /* A chain that does not start at 1. */
    verify_rows(&v, rows + 1, CHAIN_LEN - 1, p);
    ck_assert_str_eq(v.reason, "sequence_gap");
    ck_assert_int_eq(v.first_bad_seq, 1);
    ck_assert_int_eq(v.checked, 0);

    /* A repeated row. */
    cc_audit_verify_init(&v);
    ck_assert_int_eq(cc_audit_verify_step(&v, &rows[0].e, rows[0].prev,
                                          rows[0].hash, p), 1);
    ck_assert_int_eq(cc_audit_verify_step(&v, &rows[0].e, rows[0].prev,
                                          rows[0].hash, p), 0);
    ck_assert_str_eq(v.reason, "sequence_gap");
    ck_assert_int_eq(v.first_bad_seq, 2);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_chain_stays_broken)
{
    apr_pool_t *p = new_pool();
    row_t rows[CHAIN_LEN];
    cc_audit_verifier_t v;

    build_chain(rows, p);
    rows[1].e.actor = "eve";
    cc_audit_verify_init(&v);
    ck_assert_int_eq(cc_audit_verify_step(&v, &rows[0].e, rows[0].prev,
                                          rows[0].hash, p), 1);
    ck_assert_int_eq(cc_audit_verify_step(&v, &rows[1].e, rows[1].prev,
                                          rows[1].hash, p), 0);
    ck_assert_str_eq(v.reason, "hash_mismatch");
    ck_assert_int_eq(v.first_bad_seq, 2);
    /* Later good rows are ignored; the first failure is kept. */
    ck_assert_int_eq(cc_audit_verify_step(&v, &rows[2].e, rows[2].prev,
                                          rows[2].hash, p), 0);
    ck_assert_int_eq(v.first_bad_seq, 2);
    ck_assert_int_eq(v.checked, 1);
    ck_assert_str_eq(v.reason, "hash_mismatch");
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_audit(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_canonical_exact);
    tcase_add_test(tc, test_canonical_null_fields);
    tcase_add_test(tc, test_canonical_unambiguous);
    tcase_add_test(tc, test_hash_known_answer);
    tcase_add_test(tc, test_hash_bad_prev);
    tcase_add_test(tc, test_chain_verifies);
    tcase_add_test(tc, test_chain_tamper_each_field);
    tcase_add_test(tc, test_chain_broken_link);
    tcase_add_test(tc, test_chain_sequence_gap);
    tcase_add_test(tc, test_chain_stays_broken);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_booking_create.c - making bookings: book -> view -> reschedule ->
 * cancel with its audit entries, any practitioner, idempotency (also
 * concurrent and across hosts), and THE RACE (50 clients, one slot; one
 * host and two).  Tests of the "booking" group (test_booking.c).
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
#include "booking.h"

#define BK_RACERS   50

/* ---- the whole life of a booking ---------------------------------------- */

START_TEST(booking_flow)
{
    const char *day = bk_day(7);
    char *s10 = NULL, *s14 = NULL, *body, tok[128], end10[40];
    const char *rid, *loc;
    char rid_create[64], path[64];
    json_t *b, *p;
    it_resp *r, *g;
    long id, id2;

    bk_settings(NULL);
    s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    s14 = bk_start(sv_basic, day, "14:00", pr_alice);
    body = bk_body(sv_basic, s10, pr_alice);
    r = bk_post(body, NULL);
    ck_assert_msg(r->status == 201, "book: %ld %s", r->status, r->body);
    b = r->json;
    id = jint(b, "id");
    snprintf(path, sizeof(path), "/api/bookings/%ld", id);
    loc = it_header(r, "Location");
    ck_assert_msg(loc && !strcmp(loc, path), "Location %s, expected %s",
                  loc ? loc : "(none)", path);
    ck_assert_msg(it_header(r, "Idempotent-Replayed") == NULL, "a first "
                  "booking marked as a replay");
    rid = it_header(r, "X-Request-Id");
    ck_assert_msg(rid != NULL, "no X-Request-Id");
    snprintf(rid_create, sizeof(rid_create), "%s", rid);
    ck_assert_str_eq(jstr(b, "status"), "confirmed");
    ck_assert_str_eq(jstr(b, "start"), s10);
    snprintf(end10, sizeof(end10), "%s", s10);
    memcpy(end10 + 11, "10:30:00", 8);
    ck_assert_str_eq(jstr(b, "end"), end10);
    ck_assert_int_eq(jint(b, "practitioner_id"), pr_alice);
    ck_assert_int_eq(jint(b, "service_id"), sv_basic);
    ck_assert_str_eq(jstr(b, "service_name"), "BK Consultation");
    ck_assert_str_eq(jstr(b, "practitioner_name"), "BK Alice");
    ck_assert_int_eq(jint(b, "price_cents"), 5000);
    ck_assert_str_eq(jstr(b, "currency"), "GBP");
    ck_assert_str_eq(jstr(b, "payment_status"), "not_required");
    ck_assert(json_is_null(json_object_get(b, "hold_until")));
    ck_assert_int_eq(jint(b, "reschedules"), 0);
    ck_assert_str_eq(jstr(b, "timezone"), "Europe/London");
    ck_assert_msg(json_object_get(b, "payment") == NULL, "payment block on a "
                  "free-of-deposit booking: %s", r->body);
    p = json_object_get(b, "patient");
    ck_assert_msg(jstr(p, "name") && !strncmp(jstr(p, "name"), "Bkcanary", 8)
                  && jstr(p, "email") && jstr(p, "phone")
                  && !strcmp(jstr(p, "phone"), "+44 7700 900123"),
                  "patient: %s", r->body);
    p = json_object_get(b, "policy");
    ck_assert_msg(jint(p, "cancel_cutoff_min") == 1440
                  && jstr(p, "late_cancel")
                  && !strcmp(jstr(p, "late_cancel"), "forfeit")
                  && jint(p, "reschedule_cutoff_min") == 1440
                  && jint(p, "max_reschedules") == 2, "policy: %s", r->body);
    ck_assert_msg(jstr(b, "manage_token") && strlen(jstr(b, "manage_token"))
                  >= 32 && strspn(jstr(b, "manage_token"), "ABCDEFGHIJKLMNOP"
                  "QRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                  == strlen(jstr(b, "manage_token")), "manage_token: %s",
                  r->body);
    ck_assert_msg(!json_object_get(b, "token_hash")
                  && !json_object_get(b, "token_nonce"), "stored token "
                  "material in the reply: %s", r->body);
    snprintf(tok, sizeof(tok), "%s", jstr(b, "manage_token"));
    it_free(r);
    free(body);

    /* Taken, with its buffer; the other practitioner still free. */
    r = bk_slots(sv_basic, day, 1, 0);
    ck_assert_msg(bk_count_at(r, "10:00", pr_alice) == 0
                  && bk_count_at(r, "09:30", pr_alice) == 0
                  && bk_count_at(r, "10:00", pr_bob) == 1, "slots after the "
                  "booking: %.3000s", r->body);
    it_free(r);

    /* View. */
    g = bk_manage("GET", id, NULL, tok, NULL);
    ck_assert_msg(g->status == 200, "view: %ld %s", g->status, g->body);
    ck_assert_int_eq(jint(g->json, "id"), id);
    ck_assert_str_eq(jstr(g->json, "status"), "confirmed");
    ck_assert_str_eq(jstr(g->json, "start"), s10);
    ck_assert_msg(!json_object_get(g->json, "manage_token")
                  && !json_object_get(g->json, "token_hash")
                  && !json_object_get(g->json, "token_nonce"), "token "
                  "material in the view: %s", g->body);
    it_free(g);

    /* Reschedule. */
    r = bk_resched(id, tok, s14, 0);
    ck_assert_msg(r->status == 200, "reschedule: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "start"), s14);
    ck_assert_int_eq(jint(bk_of(r), "reschedules"), 1);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "confirmed");
    ck_assert_int_eq(jint(bk_of(r), "practitioner_id"), pr_alice);
    it_free(r);
    r = bk_slots(sv_basic, day, 1, pr_alice);
    ck_assert_msg(bk_count_at(r, "10:00", 0) == 1
                  && bk_count_at(r, "14:00", 0) == 0, "slots after the "
                  "move: %.3000s", r->body);
    it_free(r);

    /* Cancel (the reason is the patient's words: kept out of logs). */
    r = bk_manage("POST", id, "cancel", tok,
                  "{\"reason\":\"Bkcanary cannot make it\"}");
    ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(bk_of(r), "status"), "cancelled");
    ck_assert_msg(json_is_false(json_object_get(r->json, "late")), "late: %s",
                  r->body);
    it_free(r);
    g = bk_manage("GET", id, NULL, tok, NULL);
    ck_assert_str_eq(jstr(g->json, "status"), "cancelled");
    it_free(g);
    r = bk_slots(sv_basic, day, 1, pr_alice);
    ck_assert_int_eq(bk_count_at(r, "14:00", 0), 1);
    it_free(r);
    r = bk_manage("POST", id, "cancel", tok, NULL);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);
    r = bk_resched(id, tok, s10, 0);
    it_assert_error(r, 409, "booking_not_active");
    it_free(r);

    /* The freed time can be booked again: here written with another
     * offset (the same instant), by a patient with a non-ASCII name. */
    {
        static const char name[] = "Bkcanary Zo\xc3\xab \xc3\x85ngstr\xc3"
                                   "\xb6m-O'Brien";
        long long t = bk_t(s14) + 5 * 3600;
        long long days = t / 86400, sec = t % 86400;
        char when[40], *text;
        int y, m, d;

        bk_civil_from_days(days, &y, &m, &d);
        snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:00+05:00", y,
                 m, d, (int)(sec / 3600), (int)(sec / 60 % 60));
        p = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}}", "service_id",
                      (json_int_t)sv_basic, "start", when, "practitioner_id",
                      (json_int_t)pr_alice, "patient", "name", name, "email",
                      "bkcanary.zoe@example.org");
        text = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        r = bk_post(text, NULL);
        free(text);
        ck_assert_msg(r->status == 201, "rebook %s: %ld %s", when, r->status,
                      r->body);
        id2 = jint(r->json, "id");
        ck_assert_msg(id2 > id, "rebooking");
        ck_assert_str_eq(jstr(r->json, "start"), s14);
        ck_assert_str_eq(jstr(json_object_get(r->json, "patient"), "name"),
                         name);
        ck_assert_str_eq(jstr(json_object_get(r->json, "patient"), "phone"),
                         "");
        it_free(r);
    }

    /* Audit: one entry per change, by the patient, with the request id
     * and without the patient's details. */
    {
        char target[64];
        json_t *e;
        char *d;

        snprintf(target, sizeof(target), "booking/%ld", id);
        e = bk_audit_wait("booking.create", target);
        ck_assert_msg(e != NULL, "no booking.create entry for %s", target);
        ck_assert_str_eq(jstr(e, "actor"), "patient");
        ck_assert_str_eq(jstr(e, "request_id"), rid_create);
        ck_assert_int_eq(jint(json_object_get(e, "detail"), "service_id"),
                         sv_basic);
        d = json_dumps(e, JSON_COMPACT);
        ck_assert_msg(!strcasestr(d, BK_CANARY), "patient details in the "
                      "audit entry: %s", d);
        free(d);
        json_decref(e);
        bk_assert_audit("booking.reschedule", id, "patient");
        bk_assert_audit("booking.cancel", id, "patient");
        ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE "
                                    "target = "
                                    "'booking/%ld'", bk_audit, id), 3);
    }

    /* Staff see it. */
    b = bk_view(id);
    ck_assert_str_eq(jstr(b, "status"), "cancelled");
    ck_assert_msg(!json_object_get(b, "token_hash")
                  && !json_object_get(b, "token_nonce")
                  && !json_object_get(b, "manage_token"), "token material in "
                  "the staff view");
    json_decref(b);
    free(s10);
    free(s14);
}
END_TEST

/* No practitioner asked for: the first free one; a third client gets 409
 * with free alternatives. */
START_TEST(booking_any_practitioner)
{
    const char *day = bk_day(19);
    char *s10 = bk_start(sv_basic, day, "10:00", 0);
    it_resp *r, *sl;
    json_t *alt, *a;
    size_t i;
    long id;

    bk_settings(NULL);
    r = bk_book_r(sv_basic, s10, 0, &id, NULL);
    ck_assert_int_eq(jint(r->json, "practitioner_id"), pr_alice);
    it_free(r);
    r = bk_book_r(sv_basic, s10, 0, &id, NULL);
    ck_assert_int_eq(jint(r->json, "practitioner_id"), pr_bob);
    it_free(r);
    {
        char *body = bk_body(sv_basic, s10, 0);

        r = bk_post(body, NULL);
        free(body);
    }
    it_assert_error(r, 409, "slot_taken");
    alt = json_object_get(r->json, "alternatives");
    ck_assert_msg(json_is_array(alt) && json_array_size(alt) >= 1
                  && json_array_size(alt) <= 5, "alternatives: %s", r->body);
    sl = bk_slots(sv_basic, day, 2, 0);
    json_array_foreach(alt, i, a) {
        json_t *s;
        size_t k;
        int free_now = 0;

        ck_assert_msg(strcmp(jstr(a, "start"), s10) != 0, "the taken time "
                      "offered as an alternative: %s", r->body);
        json_array_foreach(bk_slot_list(sl), k, s) {
            free_now |= !strcmp(jstr(s, "start"), jstr(a, "start"))
                        && jint(s, "practitioner_id")
                           == jint(a, "practitioner_id")
                        && !strcmp(jstr(s, "end"), jstr(a, "end"));
        }
        ck_assert_msg(free_now, "alternative %s (practitioner %ld) is not a "
                      "free slot", jstr(a, "start"),
                      jint(a, "practitioner_id"));
        ck_assert_msg(i == 0 || bk_t(jstr(a, "start")) >= bk_t(jstr(
                      json_array_get(alt, i - 1), "start")), "alternatives "
                      "not sorted: %s", r->body);
    }
    it_free(sl);
    it_free(r);
    free(s10);
}
END_TEST

/* ---- idempotency -------------------------------------------------------- */

START_TEST(booking_idempotency)
{
    const char *day = bk_day(8);
    char *s10 = bk_start(sv_basic, day, "10:00", pr_alice);
    char *s11 = bk_start(sv_basic, day, "11:00", pr_alice);
    char key[64], tok[128], *body, *body2, *reordered, *other, big[300];
    const char *v;
    it_resp *r;
    json_t *o;
    long id;

    bk_settings(NULL);
    snprintf(key, sizeof(key), "bk-idem-%d-%ld", (int)getpid(),
             (long)time(NULL));
    body = bk_body(sv_basic, s10, pr_alice);
    r = bk_post(body, key);
    ck_assert_msg(r->status == 201, "first: %ld %s", r->status, r->body);
    ck_assert_msg(it_header(r, "Idempotent-Replayed") == NULL, "first "
                  "request marked replayed");
    id = jint(r->json, "id");
    snprintf(tok, sizeof(tok), "%s", jstr(r->json, "manage_token"));
    it_free(r);

    /* The same request again: the same booking and token. */
    r = bk_post(body, key);
    ck_assert_msg(r->status == 201, "replay: %ld %s", r->status, r->body);
    v = it_header(r, "Idempotent-Replayed");
    ck_assert_msg(v && !strcmp(v, "true"), "Idempotent-Replayed: %s",
                  v ? v : "(none)");
    ck_assert_int_eq(jint(r->json, "id"), id);
    ck_assert_str_eq(jstr(r->json, "manage_token"), tok);
    ck_assert_str_eq(jstr(r->json, "start"), s10);
    v = it_header(r, "Location");
    ck_assert_msg(v && strstr(v, "/api/bookings/"), "replay Location");
    it_free(r);

    /* Key order and whitespace do not make another request. */
    o = json_loads(body, 0, NULL);
    reordered = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(3));
    json_decref(o);
    r = bk_post(reordered, key);
    ck_assert_msg(r->status == 201 && jint(r->json, "id") == id
                  && it_header(r, "Idempotent-Replayed"), "reformatted "
                  "replay: %ld %s", r->status, r->body);
    it_free(r);

    /* The other host: the same answer, the same token (one secret). */
    r = bk_post_at(it_port2, body, key);
    ck_assert_msg(r->status == 201 && jint(r->json, "id") == id
                  && jstr(r->json, "manage_token")
                  && !strcmp(jstr(r->json, "manage_token"), tok),
                  "replay on the second host: %ld %s", r->status, r->body);
    it_free(r);

    /* The same key with another body: refused, nothing booked. */
    other = bk_body(sv_basic, s11, pr_alice);
    r = bk_post(other, key);
    it_assert_error(r, 422, "idempotency_key_reused");
    it_free(r);
    body2 = bk_body(sv_basic, s10, pr_alice);      /* other patient */
    r = bk_post(body2, key);
    it_assert_error(r, 422, "idempotency_key_reused");
    it_free(r);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at >= '%s' "
                                "AND start_at < '%s'::timestamptz + interval "
                                "'1 day'",
                                pr_alice, day, day), 1);

    /* A new key (quotes and all: it is only ever a parameter) for the
     * taken slot: 409. */
    snprintf(big, sizeof(big), "bk'\";DROP/**/TABLE/**/bookings;--%d",
             (int)getpid());
    r = bk_post(body2, big);
    it_assert_error(r, 409, "slot_taken");
    it_free(r);

    /* Bad keys: 400, and the (free) slot stays free. */
    {
        char k256[300], k255[300], hdr[400];
        const char *const bad[] = { "Idempotency-Key;",
            "Idempotency-Key: has space", "Idempotency-Key: \xd0\xba\xd0\xbb"
            "\xd1\x8e\xd1\x87", "Idempotency-Key: tab\there", NULL, NULL };
        const char *hdrs[2] = { NULL, NULL };
        int i;

        memset(k256, 'k', 256);
        k256[256] = '\0';
        snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", k256);
        ((const char **)bad)[4] = hdr;
        for (i = 0; bad[i]; i++) {
            hdrs[0] = bad[i];
            r = it_req("POST", "/api/bookings", NULL, "application/json",
                       other, -1, hdrs);
            ck_assert_msg(r->status == 400, "%.40s: %ld %s", bad[i],
                          r->status, r->body);
            it_assert_error(r, 400, "invalid_idempotency_key");
            it_free(r);
        }
        ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                    "start_at = '%s' AND practitioner_id = "
                                    "%ld",
                                    s11, pr_alice), 0);
        /* 255 characters is allowed. */
        memset(k255, 'K', 255);
        k255[255] = '\0';
        r = bk_post(other, k255);
        ck_assert_msg(r->status == 201, "255-character key: %ld %s",
                      r->status, r->body);
        id = jint(r->json, "id");
        it_free(r);
        r = bk_post(other, k255);
        ck_assert_msg(r->status == 201 && jint(r->json, "id") == id,
                      "255-character key replay: %ld %s", r->status, r->body);
        it_free(r);
    }
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at >= '%s' "
                                "AND start_at < '%s'::timestamptz + interval "
                                "'1 day'",
                                pr_alice, day, day), 2);
    free(body);
    free(body2);
    free(other);
    free(reordered);
    free(s10);
    free(s11);
}
END_TEST

/* ---- concurrency -------------------------------------------------------- */

typedef struct bk_racer {
    pthread_barrier_t *bar;
    int         port;
    char       *body;
    const char *key;
    long        status;
    char        code[48];
    long        id;
    int         replayed;
    char        token[128];
} bk_racer;

static void *bk_race_worker(void *arg)
{
    bk_racer *w = arg;
    it_resp *r;

    pthread_barrier_wait(w->bar);
    r = bk_post_at(w->port, w->body, w->key);
    w->status = r->status;
    if (r->json) {
        const char *c = jstr(json_object_get(r->json, "error"), "code");
        const char *t = jstr(r->json, "manage_token");

        snprintf(w->code, sizeof(w->code), "%s", c ? c : "");
        w->id = jint(r->json, "id");
        snprintf(w->token, sizeof(w->token), "%s", t ? t : "");
    }
    w->replayed = it_header(r, "Idempotent-Replayed") != NULL;
    it_free(r);
    return NULL;
}

/* Runs the n racers at once (a barrier releases them together). */
static void bk_race(bk_racer *w, int n)
{
    pthread_barrier_t bar;
    pthread_t th[BK_RACERS];
    int i;

    ck_assert(n <= BK_RACERS);
    pthread_barrier_init(&bar, NULL, (unsigned)n);
    for (i = 0; i < n; i++) {
        w[i].bar = &bar;
        ck_assert_int_eq(pthread_create(&th[i], NULL, bk_race_worker, &w[i]),
                         0);
    }
    for (i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_barrier_destroy(&bar);
}

/* Exactly one 201 and n - 1 409 slot_taken; returns the winner's index. */
static int bk_race_one_winner(const bk_racer *w, int n, const char *what)
{
    int i, won = 0, taken = 0, winner = -1;
    char other[512] = "";

    for (i = 0; i < n; i++) {
        if (w[i].status == 201) {
            won++;
            winner = i;
        }
        else if (w[i].status == 409 && !strcmp(w[i].code, "slot_taken")) {
            taken++;
        }
        else if (strlen(other) < 400) {
            snprintf(other + strlen(other), sizeof(other) - strlen(other),
                     " [%d: %ld %s]", i, w[i].status, w[i].code);
        }
    }
    ck_assert_msg(won == 1 && taken == n - 1, "%s: %d created, %d "
                  "slot_taken, others:%s (expected 1 and %d)", what, won,
                  taken, other[0] ? other : " none", n - 1);
    return winner;
}

static void bk_racers_free(bk_racer *w, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        free(w[i].body);
    }
}

/* THE RACE: 50 clients, one slot, one host. */
START_TEST(booking_race_one_host)
{
    static bk_racer w[BK_RACERS];
    const char *day = bk_day(16);
    char *s10 = bk_start(sv_race, day, "10:00", pr_race);
    char *s11 = bk_start(sv_race, day, "11:00", pr_race);
    char *s1115 = bk_start(sv_race, day, "11:15", pr_race);
    int i, win;

    bk_settings(NULL);
    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = it_port;
        w[i].body = bk_body(sv_race, s10, pr_race);
    }
    bk_race(w, BK_RACERS);
    win = bk_race_one_winner(w, BK_RACERS, "50 clients, one slot");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s' "
                                "AND status IN ('confirmed', "
                                "'pending_payment')",
                                pr_race, s10), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s'",
                                pr_race, s10), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM %s WHERE action = "
                                "'booking.create' AND target = 'booking/%ld'",
                                bk_audit, w[win].id), 1);
    bk_racers_free(w, BK_RACERS);

    /* Overlapping, not equal: 11:00 and 11:15 (30 minutes each). */
    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = it_port;
        w[i].body = bk_body(sv_race, i % 2 ? s1115 : s11, pr_race);
    }
    bk_race(w, BK_RACERS);
    bk_race_one_winner(w, BK_RACERS, "50 clients, 11:00 and 11:15");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at IN ('%s', "
                                "'%s') AND status IN ('confirmed', "
                                "'pending_payment')", pr_race, s11, s1115), 1);
    bk_racers_free(w, BK_RACERS);
    free(s10);
    free(s11);
    free(s1115);
}
END_TEST

/* THE RACE across two hosts sharing the database: 25 clients each. */
START_TEST(booking_race_two_hosts)
{
    static bk_racer w[BK_RACERS];
    const char *day = bk_day(17);
    char *s10 = bk_start(sv_race, day, "10:00", pr_race);
    char *s11 = bk_start(sv_race, day, "11:00", pr_race);
    char *s1115 = bk_start(sv_race, day, "11:15", pr_race);
    int i, win;
    it_resp *r;

    bk_settings(NULL);
    ck_assert_msg(it_port2 > 0 && it_port2 != it_port, "no second host");
    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = i % 2 ? it_port2 : it_port;
        w[i].body = bk_body(sv_race, s10, pr_race);
    }
    bk_race(w, BK_RACERS);
    win = bk_race_one_winner(w, BK_RACERS, "25 + 25 clients on two hosts");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s' "
                                "AND status IN ('confirmed', "
                                "'pending_payment')",
                                pr_race, s10), 1);
    /* The winner's token works on the host that refused everybody else. */
    r = bk_manage_at(win % 2 ? it_port : it_port2, "GET", w[win].id, NULL,
                     w[win].token, NULL);
    ck_assert_msg(r->status == 200 && jint(r->json, "id") == w[win].id,
                  "the token on the other host: %ld %s", r->status, r->body);
    it_free(r);
    bk_racers_free(w, BK_RACERS);

    memset(w, 0, sizeof(w));
    for (i = 0; i < BK_RACERS; i++) {
        w[i].port = i % 2 ? it_port2 : it_port;
        w[i].body = bk_body(sv_race, i % 2 ? s1115 : s11, pr_race);
    }
    bk_race(w, BK_RACERS);
    bk_race_one_winner(w, BK_RACERS, "two hosts, 11:00 against 11:15");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at IN ('%s', "
                                "'%s') AND status IN ('confirmed', "
                                "'pending_payment')", pr_race, s11, s1115), 1);
    bk_racers_free(w, BK_RACERS);
    free(s10);
    free(s11);
    free(s1115);
}
END_TEST

/* n clients at once, half on each host, all with the same
 * Idempotency-Key and body for pract's hh:00 on day.  Asserts what must
 * hold whatever the answers: one booking, the key bound to it, every 201
 * that booking with its token, nothing but 201 and 409 slot_taken.
 * Returns how many were answered 409. */
static int bk_idem_round(const char *day, const char *hhmm, const char *tag,
                         int n)
{
    static bk_racer w[BK_RACERS];
    char key[64], tok[128] = "", other[600] = "";
    char *start = bk_start(sv_basic, day, hhmm, pr_alice);
    char *body = bk_body(sv_basic, start, pr_alice);
    int i, created = 0, replayed = 0, taken = 0;
    long id = 0;

    snprintf(key, sizeof(key), "bk-conc-%s-%d-%.5s", tag, (int)getpid(),
             hhmm);
    memset(w, 0, sizeof(w));
    for (i = 0; i < n; i++) {
        w[i].port = i % 2 ? it_port2 : it_port;
        w[i].body = strdup(body);
        w[i].key = key;
    }
    bk_race(w, n);
    for (i = 0; i < n; i++) {
        if (w[i].status == 201 && (!id || (w[i].id == id
                                           && !strcmp(w[i].token, tok)))) {
            id = w[i].id;
            snprintf(tok, sizeof(tok), "%s", w[i].token);
            replayed += w[i].replayed;
            created += !w[i].replayed;
        }
        else if (w[i].status == 409 && !strcmp(w[i].code, "slot_taken")) {
            taken++;
        }
        else if (strlen(other) < 500) {
            snprintf(other + strlen(other), sizeof(other) - strlen(other),
                     " [#%d: %ld %s id %ld]", i, w[i].status, w[i].code,
                     w[i].id);
        }
    }
    ck_assert_msg(created == 1 && created + replayed + taken == n, "%s %s: "
                  "%d created, %d replayed, %d slot_taken; unexpected:%s",
                  day, hhmm, created, replayed, taken,
                  other[0] ? other : " none");
    ck_assert_msg(tok[0], "no manage token in the 201s");
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM bookings WHERE "
                                "practitioner_id = %ld AND start_at = '%s'",
                                pr_alice, start), 1);
    ck_assert_int_eq(it_sql_num("SELECT count(*) FROM idempotency_keys WHERE "
                                "key = '%s' AND booking_id = %ld AND outcome "
                                "= 'created'", key, id), 1);
    /* A retry now: the booking, whatever the racer was told. */
    {
        it_resp *r = bk_post(body, key);

        ck_assert_msg(r->status == 201 && jint(r->json, "id") == id
                      && it_header(r, "Idempotent-Replayed"), "retry after "
                      "the race: %ld %s", r->status, r->body);
        it_free(r);
    }
    bk_racers_free(w, n);
    free(body);
    free(start);
    return taken;
}

/* Concurrent retries with one Idempotency-Key (a client that retried while
 * its first request was still running, on both hosts): one booking. */
START_TEST(booking_idempotency_concurrent)
{
    bk_settings(NULL);
    bk_idem_round(bk_day(9), "10:00", "a", 20);
    bk_idem_round(bk_day(9), "12:00", "a", 20);
    bk_idem_round(bk_day(9), "14:00", "a", 20);
}
END_TEST

/* ... and every one of them should be told about that booking
 * (201, Idempotent-Replayed), never 409 slot_taken.  A request that found
 * no key yet (cc_bk_idem_get) but checks availability after the first
 * request committed sees its own booking's slot as taken. */
START_TEST(booking_idempotency_race_same_key)
{
    static const char *const hours[] = { "09:00", "10:00", "11:00", "12:00",
                                         "13:00", "14:00", "15:00", "16:00" };
    int i, taken = 0, rounds = 0;

    bk_settings(NULL);
    for (i = 0; i < 8 && taken == 0; i++, rounds++) {
        taken += bk_idem_round(bk_day(21), hours[i], "b", BK_RACERS);
    }
    ck_assert_msg(taken == 0, "%d of 50 concurrent POST "
                  "/api/bookings with the same Idempotency-Key and body were "
                  "answered 409 slot_taken (round %d) instead of 201 with "
                  "the one booking they created", taken, rounds);
}
END_TEST

/* The booking and idempotency tests, in the order the group runs them. */
void bk_add_create_tests(TCase *tc)
{
    tcase_add_test(tc, booking_flow);
    tcase_add_test(tc, booking_any_practitioner);
    tcase_add_test(tc, booking_idempotency);
    tcase_add_test(tc, booking_idempotency_concurrent);
    tcase_add_test(tc, booking_idempotency_race_same_key);
}

/* The race on one slot, on one host and on two. */
void bk_add_race_tests(TCase *tc)
{
    tcase_add_test(tc, booking_race_one_host);
    tcase_add_test(tc, booking_race_two_hosts);
}

/*
 * booking.h - what the booking tests share (booking.c): the test clinic,
 * its settings, dates and times, and the requests of a patient and of
 * staff.  The "booking" group (test_booking.c) runs the tests of
 * test_booking_slots.c, _create.c, _refused.c, _manage.c and _dst.c on
 * one pair of hosts; booking-dst and booking-limit are groups of their
 * own (test_booking_dst.c, test_booking_refused.c).
 *
 * The test clinic (practitioners and services named "BK ...") is created
 * with SQL once per run; each test uses days of its own (bk_day(n)), so
 * bookings left by one test never change another's slots.  Every patient
 * name and e-mail contains BK_CANARY, which must never reach a log.
 */
#ifndef IT_BOOKING_H
#define IT_BOOKING_H

#include <check.h>
#include <jansson.h>
#include "harness.h"

#define BK_SECRET   "it-booking-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
#define BK_CANARY   "bkcanary"
#define BK_NDAYS    24

#define BK_CONF_COMMON \
    "ConciergeSecret " BK_SECRET "\n" \
    "LogLevel warn concierge:debug\n"
#define BK_CONF_FAST \
    "ConciergeRateLimit booking 100000/sec\n" \
    "ConciergeRateLimit browse 100000/sec\n" \
    "ConciergeRateLimit admin 100000/sec\n"

/* The clinic settings every test starts from (and the seed's, restored
 * when a group ends). */
#define BK_SETTINGS "slot_step_min = 15, min_notice_min = 120, " \
    "horizon_days = 90, cancel_cutoff_min = 1440, late_cancel = 'forfeit', " \
    "reschedule_cutoff_min = 1440, max_reschedules = 2, payment_hold_min = 30"
#define BK_SEED_SETTINGS "slot_step_min = 15, min_notice_min = 120, " \
    "horizon_days = 90, cancel_cutoff_min = 2880, late_cancel = 'forfeit', " \
    "reschedule_cutoff_min = 2880, max_reschedules = 2, payment_hold_min = 30"

/* Set once by the unchecked fixtures (parent process): every forked test
 * sees them.  Service and practitioner ids of the test clinic. */
extern long sv_basic, sv_buf, sv_paid, sv_retired, sv_race, sv_other,
            sv_dst, sv_nyn, sv_ldnn;
extern long pr_alice, pr_bob, pr_carol, pr_extra, pr_race, pr_dst, pr_ldnn;
extern char bk_today[11];       /* YYYY-MM-DD in London */
/* Where audit entries are: a FROM item for SQL (the chain, plus the
 * entries staged for it when there is such a table). */
extern char bk_audit[256];

/* ---- the fixture -------------------------------------------------------- */

/* The test clinic (once per run; exits on failure) and its settings. */
void bk_data_setup(void);
void bk_settings_parent(const char *sets);      /* from a fixture */
void bk_settings(const char *change);           /* BK_SETTINGS + change */
/* Teardown of a one-host group: stop httpd, restore the seed's settings. */
void bk_httpd_teardown(void);
/* The error log of a group holds nothing unexpected and no patient
 * details (bad, log: it_log_unexpected and it_log_read). */
void bk_assert_log_clean(char *bad, char *log, const char *which);

/* ---- dates and times ---------------------------------------------------- */

static inline const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static inline long jint(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}

const char *bk_day(int n);      /* the nth test day, YYYY-MM-DD */
double bk_now(void);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long long bk_days_from_civil(int y, int m, int d);
void bk_civil_from_days(long long z, int *y, int *m, int *d);
int bk_weekday(long long days);                 /* 0 = Sunday */
void bk_date(long long days, char out[11]);
long long bk_parse_date(const char *s);
/* "YYYY-MM-DDThh:mm:ss" + UTC, for request bodies. */
void bk_utc(long long t, char out[32]);

/* A start/end as the API writes them: local wall time and its offset. */
typedef struct bk_tm {
    int y, mo, d, h, mi, s;
    int off;            /* minutes east of UTC */
    long long t;        /* the instant, UTC seconds */
} bk_tm;
int bk_parse(const char *s, bk_tm *o);
long long bk_t(const char *s);  /* the instant of s, asserted */

/* ---- requests ----------------------------------------------------------- */

it_resp *bk_slots(long svc, const char *from, int days, long pract);
json_t *bk_slot_list(it_resp *r);
/* Slots at local wall time hh:mm (of practitioner pract, 0: any). */
int bk_count_at(it_resp *r, const char *hhmm, long pract);
int bk_count_of(it_resp *r, long pract);
/* The start (as the API writes it) of pract's slot at hh:mm on day, from
 * GET /api/slots; asserted to be offered.  malloc'd. */
char *bk_start(long svc, const char *day, const char *hhmm, long pract);
/* The same wall-clock day and offset as start, at hh:mm:ss.  malloc'd. */
char *bk_at(const char *start, const char *hhmmss);
/* A booking request body (patient details carry the canary). */
char *bk_body(long svc, const char *start, long pract);
it_resp *bk_post_at(int port, const char *body, const char *key);
it_resp *bk_post(const char *body, const char *key);
/* POST a booking, asserted 201; returns the reply (caller frees); id and
 * token out. */
it_resp *bk_book_r(long svc, const char *start, long pract, long *id,
                   char tok[128]);
long bk_book(long svc, const char *start, long pract, char tok[128]);
/* /api/bookings/{id}[/action] with X-Manage-Token (NULL: none; "": an
 * empty one). */
it_resp *bk_manage_at(int port, const char *method, long id,
                      const char *action, const char *token,
                      const char *body);
it_resp *bk_manage(const char *method, long id, const char *action,
                   const char *token, const char *body);
it_resp *bk_resched(long id, const char *token, const char *start,
                    long pract);
it_resp *bk_staff(const char *method, long id, const char *action,
                  const char *body);
/* The booking object of a 200 {"booking": ...} reply. */
json_t *bk_of(it_resp *r);
/* The staff view of a booking (status, start, ...); caller decrefs. */
json_t *bk_view(long id);
char *bk_status(long id);

/* ---- assertions --------------------------------------------------------- */

/* Newest audit entry of action for target, waiting up to 3 s; NULL if
 * none.  Caller decrefs. */
json_t *bk_audit_wait(const char *action, const char *target);
void bk_assert_audit(const char *action, long id, const char *actor);
/* it_assert_error, reading only the first JSON value of the body. */
void bk_assert_error_first_at(it_resp *r, long status, const char *code,
                              const char *file, int line);
#define bk_assert_error_first(r, st, code) \
    bk_assert_error_first_at((r), (st), (code), __FILE__, __LINE__)
/* Slots: sorted by (start, practitioner), aligned to step minutes after
 * local midnight, end = start + dur, on [from, from + days). */
void bk_assert_slot_shape(it_resp *r, const char *from, int days, int step,
                          int dur);

/* ---- the "booking" group's tests, one theme per file -------------------- */

void bk_add_slot_tests(TCase *tc);
void bk_add_create_tests(TCase *tc);
void bk_add_refused_tests(TCase *tc);
void bk_add_manage_tests(TCase *tc);
void bk_add_race_tests(TCase *tc);
void bk_add_dst_tests(TCase *tc);

#endif

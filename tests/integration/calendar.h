/*
 * calendar.h - what the calendar tests share (calendar.c): the fake
 * Google (tests/fakes/fake_google.py) and its state, the module's side
 * (slots, bookings, the outbox), and the fixtures of the three groups.
 * The "calendar" group (test_calendar.c) runs the tests of
 * test_calendar_events.c and test_calendar_outage.c too; calendar_badkey
 * and calendar_off are in test_calendar_keys.c.
 */
#ifndef IT_CALENDAR_H
#define IT_CALENDAR_H

#include <sys/types.h>
#include <check.h>
#include <jansson.h>
#include "harness.h"

#define CG_EMAIL      "concierge-it@concierge-it.iam.gserviceaccount.com"
#define CG_CAL_A      "cal-a@clinic.example"
#define CG_CAL_B      "cal-b@clinic.example"
#define CG_SERVICE    "Calendar check-up"
#define CG_TZ         "Europe/London"
#define CG_TIMEOUT_MS 1000
#define CG_SECRET     "calendar-suite-secret-0123456789abcdef"
#define CG_EVENTS     "/calendar/v3/calendars/"

/* Days (indexes into cg_days): one per test, so bookings never meet. */
enum {
    D_BUSY = 0, D_CALERR, D_INSERT, D_MOVE, D_MOVE_OWN, D_MOVE_AB, D_CANCEL,
    D_503, D_429, D_403RATE, D_403PERM, D_APPLY, D_HANG, D_HANG_BOOK,
    D_HANG_ALL, D_HANG_TOKEN, D_TOKEN, D_BADKEY, D_OFF, D_CANCEL_EARLY,
    D_MOVE_BACK, D_OFF_MOVE, D_RESTART, D_NDAYS
};

typedef struct cg_booking {
    json_int_t id;
    char      *token;
    char      *start;
    char      *end;
    double     secs;
} cg_booking;

/* Set by the unchecked fixtures (parent process). */
extern pid_t cg_pid;
extern int cg_port, cg_cport;           /* fake API / control ports */
extern char cg_dir[400];                /* keys, service-account file */
extern int cg_keys_made;
extern char cg_days[D_NDAYS + 8][16];   /* YYYY-MM-DD, no exceptions */
extern json_int_t cg_service, cg_pa, cg_pb;
extern char *cg_saved_settings;         /* restored by each teardown */

double cg_now(void);
void cg_sleep_ms(int ms);
char *cg_dump(json_t *j);
/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS(Z|+HH:MM|-HH:MM)". */
long long cg_ts(const char *s);
json_t *cg_ctl(const char *method, const char *path, const char *body);
void cg_ctlf(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
json_t *cg_state(void);
json_int_t cg_counter(json_t *st, const char *name);
/* The events of one calendar in a state (borrowed; an empty array when
 * none). */
json_t *cg_events_of(json_t *st, const char *cal);
json_t *cg_find_event(json_t *st, const char *cal, const char *eid);
/* Requests in the fake's log: method (NULL any), path containing part
 * (NULL any), status (0 any), injected (-1 any). */
int cg_count_req(json_t *st, const char *method, const char *part,
                 long status, int injected);
/* Poll the fake until calendar cal holds event eid with status want
 * (NULL: any) and, when start_ts is not 0, that start.  Returns a copy of
 * the event, or NULL after `secs`. */
json_t *cg_wait_event(const char *cal, const char *eid,
                      const char *want, long long start_ts,
                      double secs);
/* A fresh fake for one test (events, busy, rules, counters and tokens
 * cleared) and no calendar work left over in the outbox. */
void cg_begin(void);
json_t *cg_health(void);
const char *cg_str(json_t *o, const char *k);
/* GET /api/slots for our service on cg_days[day] (pract 0: everyone),
 * asserted 200; *secs how long it took (may be NULL). */
json_t *cg_slots(int day, json_int_t pract, int days, double *secs);
/* The start of pract's slot at local time hhmmss ("10:00:00") or NULL. */
const char *cg_slot_at(json_t *slots, json_int_t pract,
                       const char *hhmmss);
int cg_nslots(json_t *slots, json_int_t pract);
/* Slots of pract overlapping [from, to). */
int cg_noverlap(json_t *slots, json_int_t pract, long long from,
                long long to);
int cg_listed(json_t *arr, json_int_t id);
/* A copy of the start string of pract's slot at hhmmss on day. */
char *cg_pick(int day, json_int_t pract, const char *hhmmss);
/* POST /api/bookings, asserted 201. */
cg_booking cg_book(json_int_t pract, const char *start,
                   const char *name);
void cg_booking_free(cg_booking *b);
/* POST /api/bookings/{id}/<what> with the manage token; the reply. */
it_resp *cg_manage(const cg_booking *b, const char *what,
                   const char *body);
/* The event id the module must use for a booking: the first 32 hex
 * digits of HMAC-SHA256(calendar_status.event_salt,
 * "concierge-booking:<id>") (cc_gcal.h); after the booking moved to
 * another practitioner `gen` times, the key is "<event_salt>/<gen>"
 * (bookings.calendar_gen: Google keeps deleted ids). */
void cg_event_id_gen(json_int_t booking, int gen, char out[33]);
void cg_event_id(json_int_t booking, char out[33]);
/* The outbox rows of a booking: "<rows>|<pending>|<max attempts>|
 * <last errors>" (malloc'd). */
char *cg_outbox(json_int_t booking);
/* Wait until every outbox row of the booking is done (or secs pass). */
int cg_outbox_done(json_int_t booking, double secs);
/* Make GET /api/slots succeed once against a healthy fake, so the
 * connection state is "ok" before a test provokes an error (the state is
 * written on every change, and a repeated failure at most every 30 s). */
void cg_state_ok(int day);
/* Hung requests finish in the fake 2 s after they started (the module
 * gave up long before): let them, so they do not count in the next
 * test's fresh counters. */
void cg_drain_hangs(void);
/* (9) No access token, JWT or private key in the error log; only the
 * calendar's own warnings. */
void cg_log_checks(void);
/* Keys (once per run): ours, and another one for the fake of the
 * bad-key group. */
void cg_make_keys(void);
/* The service-account JSON the module reads, for the fake on port. */
void cg_write_sa(const char *path, int port);
void cg_fake_start(const char *group, const char *pub);
/* An admin request from a fixture (no assertions: the parent process);
 * the reply JSON (own reference) or NULL. */
json_t *cg_admin(const char *method, const char *path,
                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Our service, practitioners A and B (calendars CG_CAL_A/B, every day
 * 08:00-20:00), settings that let us book and move freely, and the days
 * we book on.  Created once; re-activated by later groups. */
void cg_clinic(void);
/* Leave the shared database as other suites expect it: our service and
 * practitioners inactive, the settings as they were. */
void cg_clinic_leave(void);
void cg_httpd(int with_calendar);
/* httpd stopped and started again with the same settings (the clinic
 * already set up); the environment (e.g. CC_DBD_POOL) as it is now. */
void cg_httpd_restart(int with_calendar);
void cg_teardown(void);

/* The "calendar" group's tests, one theme per file. */
void cg_add_event_tests(TCase *tc);
void cg_add_outage_tests(TCase *tc);

#endif

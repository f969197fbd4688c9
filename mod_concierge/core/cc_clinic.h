/*
 * cc_clinic.h - the clinic model and what is computed from it: services,
 * practitioners with their hours and exceptions, as PostgreSQL builds
 * them in JSON (statement cc_bk_model); free slots of a service (opening
 * hours minus bookings minus calendar busy times, through cc_slots); the
 * slot list and a booking as the API writes them.  Pure: no clock, no
 * database, no calendar call - the glue brings their answers.
 */
#ifndef CC_CLINIC_H
#define CC_CLINIC_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "cc_problem.h"
#include "cc_slots.h"
#include "cc_hours.h"
#include "cc_tz.h"

typedef struct cc_clinic_t cc_clinic_t;

/* A free slot: the appointment [start, end) in UTC seconds, and who. */
typedef struct cc_clinic_slot_t {
    int64_t     start, end;
    apr_int64_t practitioner;
} cc_clinic_slot_t;

/* Parse the model text[0..len):
 *   {"version": int, "settings": {...},
 *    "services": {"<id>": {"id", "duration_min", "buffer_before_min",
 *                          "buffer_after_min", ...}, ...},
 *    "practitioners": [{"id": int, "calendar_id": string|null,
 *                       "services": [int...],
 *                       "hours": [[weekday, start_min, end_min]...],
 *                       "exceptions": [[day, closed, start, end]...]}]}
 * where day counts days since 1970-01-01 and a closed exception over the
 * whole day (0..1440) closes it all.  The model lives in p (its JSON is
 * released when p goes).  APR_EINVAL with prob 500 "invalid_model" when
 * the text is not such a model (ranges as the schema's CHECKs). */
apr_status_t cc_clinic_parse(cc_clinic_t **out, apr_pool_t *p,
                             const char *text, size_t len,
                             cc_problem_t *prob);

/* clinic_state.version the model was read at. */
apr_int64_t cc_clinic_version(const cc_clinic_t *m);

/* The active service with that id (borrowed), or NULL. */
json_t *cc_clinic_service(const cc_clinic_t *m, apr_int64_t id);

/* The clinic's settings row (borrowed, an object). */
json_t *cc_clinic_settings(const cc_clinic_t *m);

/* The calendars to ask for busy times: those of the practitioners who do
 * service (only pract when it is not 0), in model order; *n of them in
 * *cals (in p).  None when the service is not active. */
apr_status_t cc_clinic_calendars(const char ***cals, int *n, apr_pool_t *p,
                                 const cc_clinic_t *m, apr_int64_t service,
                                 apr_int64_t pract);

typedef struct cc_clinic_query_t {
    const cc_tz_t *tz;
    int64_t      now;             /* UTC seconds */
    apr_int64_t  service;
    apr_int64_t  practitioner;    /* 0: everyone who does the service */
    int64_t      from_date;       /* local date, days since the epoch */
    int          days;
    /* The database's busy intervals (bookings with their buffers):
     * "pid start end pid start end ..." in UTC seconds; NULL: none. */
    const char  *busy;
    /* The calendars' answer, one per cc_clinic_calendars entry in its
     * order: calok[i] 0 when calendar i could not be read (then its
     * practitioner is not offered), else calbusy[i] (cc_interval_t, may
     * be NULL). */
    apr_array_header_t *const *calbusy;
    const int   *calok;
    /* A booking being moved (own_practitioner 0: none): its own time in
     * its practitioner's calendar is no conflict. */
    apr_int64_t  own_practitioner;
    cc_interval_t own;
} cc_clinic_query_t;

typedef struct cc_clinic_avail_t {
    apr_array_header_t *slots;        /* cc_clinic_slot_t, by start then
                                         practitioner */
    json_t             *unavailable;  /* ids whose calendar is unknown
                                         (array, released with p) */
    int                 npract;       /* practitioners asked about */
} cc_clinic_avail_t;

/* The free slots of q->service on local days [from_date, from_date +
 * days).  APR_EINVAL with prob 404 "unknown_service" when the service is
 * not active (out is then empty). */
apr_status_t cc_clinic_available(cc_clinic_avail_t *out, apr_pool_t *p,
                                 const cc_clinic_t *m,
                                 const cc_clinic_query_t *q,
                                 cc_problem_t *prob);

/* The slot of slots starting at start with practitioner pract (0: the
 * first one free then), or NULL. */
const cc_clinic_slot_t *cc_clinic_slot_find(const apr_array_header_t *slots,
                                            int64_t start, apr_int64_t pract);

/* busy (cc_interval_t, may be NULL) minus [s, e), in p. */
apr_array_header_t *cc_clinic_busy_minus(apr_pool_t *p,
                                         const apr_array_header_t *busy,
                                         int64_t s, int64_t e);

/* Why a start that has no free slot has none, for a start the slot list
 * did not offer: APR_EINVAL with prob 422 "misaligned_start" (not on the
 * step), "too_soon" (within the minimum notice) or "too_far_ahead"
 * (beyond the horizon); APR_SUCCESS when it is simply taken. */
apr_status_t cc_clinic_no_slot_why(const json_t *settings,
                                   const cc_tz_t *tz, int64_t start,
                                   int64_t now, cc_problem_t *prob);

/* Why concierge_booking_cancel / _move refused (res: its JSON, whose
 * "outcome" is not "cancelled" / "moved"), into *prob: 404
 * "booking_not_found", 409 "booking_not_active" / "booking_in_past", 422
 * "cancellation_cutoff" or "reschedule_cutoff" (cancel: which) /
 * "reschedule_limit", else 500 "internal_error". */
void cc_clinic_refusal(cc_problem_t *prob, const json_t *res, int cancel);

/* Local days [from, from + days) in words for a patient: "on Monday 1
 * June" (one day), "between Monday 1 June and Sunday 7 June" (a range
 * they named: date_given), else "in the next week"; in p. */
const char *cc_clinic_days_words(apr_pool_t *p, int64_t from, int days,
                                 int date_given);

/* The schedules (weekly hours, exceptions - clinic-wide ones included)
 * of every practitioner in the model (the active ones), in model order,
 * for cc_hours_status; their count in *n.  The array is made in p; it
 * borrows from the model, which must outlive it. */
const cc_hours_sched_t *cc_clinic_schedules(const cc_clinic_t *m,
                                            apr_pool_t *p, int *n);

/* The clinic's name (settings.clinic_name, borrowed), or NULL. */
const char *cc_clinic_name(const cc_clinic_t *m);

/* UTC instant t as a patient reads it in the zone's wall time: "Monday 8
 * December at 09:00" (in p). */
const char *cc_clinic_when_words(apr_pool_t *p, const cc_tz_t *tz,
                                 int64_t t);

/* 1 when an RFC 3339 time s has no fraction of a second other than zero
 * ("10:00:00.000" is whole, "10:00:00.5" is not). */
int cc_clinic_start_whole(const char *s);

/* The local date (days since the epoch) of UTC instant t. */
int64_t cc_clinic_local_day(const cc_tz_t *tz, int64_t t);

/* Slots as JSON text [{"start","end","practitioner_id"}...], times in
 * the zone's RFC 3339 ("2026-03-29T09:00:00+01:00"), in p.  Written
 * without a JSON library: it is the hottest reply of the booking API. */
char *cc_clinic_slots_text(apr_pool_t *p, const cc_tz_t *tz,
                           const apr_array_header_t *slots);

/* The same objects as a new JSON array: the slots starting at or after
 * `after`, at most max of them (max <= 0: all).  Strings are made in
 * p. */
json_t *cc_clinic_slots_json(apr_pool_t *p, const cc_tz_t *tz,
                             const apr_array_header_t *slots, int64_t after,
                             int max);

/* At most max slots starting at local hours [from_hour, to_hour), one
 * per start time (the first practitioner's), in p. */
apr_array_header_t *cc_clinic_slots_pick(apr_pool_t *p, const cc_tz_t *tz,
                                         const apr_array_header_t *slots,
                                         int from_hour, int to_hour,
                                         int max);

/* The public view of a booking row (concierge_booking_json) as a new
 * object: stored token fields removed, times in the zone (named zone),
 * the cancel / reschedule policy from settings (may be NULL: none), and
 * for an unpaid booking what payment needs.  Strings are made in p. */
json_t *cc_clinic_booking_view(apr_pool_t *p, const cc_tz_t *tz,
                               const char *zone, const json_t *b,
                               const json_t *settings);

#endif

/*
 * cc_slots.h - the slot calculator: opening hours minus bookings (with
 * their buffers) minus calendar busy times, with minimum notice and a
 * booking horizon, in the clinic's time zone, correct across DST changes.
 * Pure: every input is given, nothing is read from the clock or the
 * environment.
 */
#ifndef CC_SLOTS_H
#define CC_SLOTS_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_tz.h"

/* Weekly opening hours of one practitioner: local wall-clock minutes. */
typedef struct cc_hours_t {
    int weekday;          /* 0 = Monday .. 6 = Sunday */
    int start_min;        /* minutes after local midnight, 0..1439 */
    int end_min;          /* > start_min, <= 1440 */
} cc_hours_t;

/* An exception to the weekly hours, on a local date: closed all day
 * (start_min = end_min = 0 and closed = 1), closed for a part of the day
 * (time off), or open on a day that is normally closed (closed = 0). */
typedef struct cc_exception_t {
    int64_t date;         /* days since 1970-01-01 (local date) */
    int     closed;       /* 1: remove [start,end); 0: add opening */
    int     start_min, end_min;   /* 0,0 with closed=1: the whole day */
} cc_exception_t;

/* An interval of UTC seconds [start, end). */
typedef struct cc_interval_t {
    int64_t start, end;
} cc_interval_t;

typedef struct cc_slot_query_t {
    const cc_tz_t *tz;
    int64_t  now;               /* UTC seconds */
    int64_t  from_date;         /* local date, days since the epoch */
    int      days;              /* 1..62 */
    int      duration_min;      /* service duration */
    int      buffer_before_min; /* kept free before the appointment */
    int      buffer_after_min;  /* kept free after it */
    int      step_min;          /* slot starts are multiples of this many
                                   minutes after local midnight */
    int      min_notice_min;    /* no start earlier than now + this */
    int      horizon_days;      /* no start later than now + this */
    const cc_hours_t     *hours;      int nhours;
    const cc_exception_t *exceptions; int nexceptions;
    /* Busy time of the practitioner, UTC: existing bookings INCLUDING
     * their own buffers, and calendar busy times. */
    const cc_interval_t  *busy;       int nbusy;
} cc_slot_query_t;

/* The free slots: an array of cc_interval_t (the appointment itself,
 * without buffers), sorted, in p.  A slot is offered when the whole
 * [start - buffer_before, end + buffer_after) lies inside opening hours and
 * overlaps no busy interval.  Local times that do not exist (DST gap) are
 * never offered; ambiguous ones (DST end) are offered once per instant. */
apr_array_header_t *cc_slots_compute(apr_pool_t *p, const cc_slot_query_t *q);

/* Local (date as days since 1970-01-01, minute of day 0..1440) to UTC
 * seconds in *t; latest picks the later instant of an ambiguous time (*t2,
 * when not NULL, gets the later one).  Returns cc_tz_to_utc's rc (0: a
 * time in a DST gap, *t the gap's end). */
int cc_slots_local_utc(const cc_tz_t *tz, int64_t date, int minute,
                       int latest, int64_t *t, int64_t *t2);

#endif

/*
 * cc_hours.h - when the clinic's staff are there.  From the practitioners'
 * weekly hours (local wall-clock minutes) and exceptions (holidays and
 * time off that close a day or part of one, extra openings on a day that
 * is normally closed), in the clinic's time zone: whether anyone works at
 * an instant, and when someone next starts.  Pure: the clock, the zone and
 * the schedules are given; DST days have their real 23 or 25 hours.
 *
 * The same day rule as the slot calculator (cc_slots): a day's opening is
 * its weekday's hours plus that date's extra openings, minus that date's
 * closures, which win.  A closure "spanning midnight" is two exceptions,
 * one per date (the schema keeps each within a day); a shift that runs
 * past midnight is two rows of hours.  Openings that touch across
 * midnight are one stretch of presence.
 */
#ifndef CC_HOURS_H
#define CC_HOURS_H

#include <stdint.h>
#include <apr_pools.h>
#include "cc_slots.h"
#include "cc_tz.h"

#define CC_HOURS_DAY_MIN      1440
/* How far ahead "next" is looked for (days after today, local). */
#define CC_HOURS_SEARCH_DAYS  14

/* One practitioner's week and exceptions.  The clinic model lists the
 * clinic-wide exceptions (practitioner_id NULL) with every practitioner's
 * own, so a schedule is complete on its own. */
typedef struct cc_hours_sched_t {
    const cc_hours_t     *hours;
    int                   nhours;
    const cc_exception_t *exceptions;
    int                   nexceptions;
} cc_hours_sched_t;

/* The open minutes of local date `date` (days since the epoch) for one
 * schedule: map[m] is 1 when wall-clock minute m (0..1439 after local
 * midnight) is open, else 0.  Weekly hours of the date's weekday and the
 * date's extra openings (closed = 0) are added, then the date's closures
 * removed (closed with start_min = end_min = 0, or 0..1440: the whole
 * day). */
void cc_hours_day_open(unsigned char map[CC_HOURS_DAY_MIN], int64_t date,
                       const cc_hours_t *hours, int nhours,
                       const cc_exception_t *exc, int nexc);

typedef struct cc_hours_status_t {
    int     available;   /* someone works at `now` */
    /* Not available: the next instant someone starts (UTC seconds), when
     * one does within the search (has_next). */
    int     has_next;
    int64_t next;
    /* Available: the instant the last one present stops (UTC seconds),
     * when that is within the search (has_until). */
    int     has_until;
    int64_t until;
} cc_hours_status_t;

/* Whether anyone of the n schedules works at `now` (UTC seconds) in zone
 * tz, and when someone next starts, looking at local days up to `days`
 * after today (capped at 62; CC_HOURS_SEARCH_DAYS is what the API uses).
 * A start that falls in a DST gap counts from the end of the gap; an
 * ambiguous start (DST end) from its first instant.  No schedules, or no
 * hours at all: not available and no next.  Scratch memory from p.
 * APR_EINVAL when tz is NULL or days < 0 (out: not available). */
apr_status_t cc_hours_status(cc_hours_status_t *out, apr_pool_t *p,
                             const cc_tz_t *tz, int64_t now,
                             const cc_hours_sched_t *s, int n, int days);

/* When the answer for `now` may next change: st->until or st->next, or 0
 * when neither is within the search. */
int64_t cc_hours_changes_at(const cc_hours_status_t *st);

#endif

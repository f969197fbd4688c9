/*
 * cc_slots.c - free appointment slots from opening hours, exceptions and
 * busy times, in the clinic's time zone.
 *
 * Per local date: the day's opening is built as a minute map (weekly hours
 * and extra openings added, closures removed), cut into local intervals,
 * and each interval is turned into UTC instants with cc_tz_to_utc (a bound
 * that falls into a DST gap maps to the end of the gap; an ambiguous start
 * to its earlier instant, an ambiguous end to its later one).  Candidate
 * starts are the multiples of step_min after local midnight whose wall time
 * lies in the opening; each existing instant of it (two on a DST-end
 * repeat, none in a DST-start gap) is offered when the needed window
 * [start - buffer_before, end + buffer_after), measured in real seconds,
 * lies inside one open interval, respects notice and horizon, and overlaps
 * no busy interval (half-open, so touching is fine).  Busy intervals are
 * sorted and merged once; each check is a binary search.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_tables.h>
#include "cc_slots.h"
#include "cc_hours.h"

#define CC_DAY_MIN      1440
#define CC_MAX_DAYS     62
#define CC_MAX_MINUTES  (7 * CC_DAY_MIN)    /* sanity bound for durations */

typedef struct cc_span_t {
    int a, b;                   /* local minutes [a, b) */
    int64_t ua, ub;             /* the same in UTC seconds */
} cc_span_t;

static int cc_interval_cmp(const void *x, const void *y)
{
    const cc_interval_t *a = x, *b = y;

    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    if (a->end != b->end) {
        return a->end < b->end ? -1 : 1;
    }
    return 0;
}

/* Sorted, merged copy of the non-empty busy intervals. */
static int cc_busy_prepare(apr_pool_t *p, const cc_slot_query_t *q,
                           cc_interval_t **out)
{
    cc_interval_t *b;
    int i, n = 0, m;

    *out = NULL;
    if (!q->busy || q->nbusy <= 0) {
        return 0;
    }
    b = apr_palloc(p, sizeof(*b) * (size_t)q->nbusy);
    for (i = 0; i < q->nbusy; i++) {
        if (q->busy[i].end > q->busy[i].start) {
            b[n++] = q->busy[i];
        }
    }
    if (n == 0) {
        return 0;
    }
    qsort(b, (size_t)n, sizeof(*b), cc_interval_cmp);
    m = 0;
    for (i = 1; i < n; i++) {
        if (b[i].start <= b[m].end) {
            if (b[i].end > b[m].end) {
                b[m].end = b[i].end;
            }
        } else {
            b[++m] = b[i];
        }
    }
    *out = b;
    return m + 1;
}

/* Whether [s, e) overlaps any of the n sorted, disjoint intervals. */
static int cc_busy_overlaps(const cc_interval_t *b, int n, int64_t s,
                            int64_t e)
{
    int lo = 0, hi = n, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (b[mid].end <= s) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && b[lo].start < e;
}

int cc_slots_local_utc(const cc_tz_t *tz, int64_t date, int minute,
                       int latest, int64_t *t, int64_t *t2)
{
    cc_civil_t c;
    int64_t later = 0;
    int rc;

    if (minute >= CC_DAY_MIN) {
        date += minute / CC_DAY_MIN;
        minute %= CC_DAY_MIN;
    }
    cc_civil_from_days(date, &c.year, &c.month, &c.day);
    c.hour = minute / 60;
    c.minute = minute % 60;
    c.second = 0;
    rc = cc_tz_to_utc(tz, &c, t, &later);
    if (rc == 2) {
        if (latest) {
            *t = later;
        }
        if (t2) {
            *t2 = later;
        }
    }
    return rc;
}

/* The open spans of one local date; returns their count. */
static int cc_day_spans(const cc_slot_query_t *q, int64_t date,
                        unsigned char *map, cc_span_t *spans)
{
    int m, n = 0;

    /* Weekly hours plus extra openings minus closures (which win): the
     * same day rule as staff presence (cc_hours). */
    cc_hours_day_open(map, date, q->hours, q->nhours, q->exceptions,
                      q->nexceptions);
    for (m = 0; m < CC_DAY_MIN;) {
        if (!map[m]) {
            m++;
            continue;
        }
        spans[n].a = m;
        while (m < CC_DAY_MIN && map[m]) {
            m++;
        }
        spans[n].b = m;
        cc_slots_local_utc(q->tz, date, spans[n].a, 0, &spans[n].ua, NULL);
        cc_slots_local_utc(q->tz, date, spans[n].b, 1, &spans[n].ub, NULL);
        if (spans[n].ub > spans[n].ua) {
            n++;
        }
    }
    return n;
}

apr_array_header_t *cc_slots_compute(apr_pool_t *p, const cc_slot_query_t *q)
{
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(cc_interval_t));
    unsigned char map[CC_DAY_MIN];
    cc_span_t spans[CC_DAY_MIN / 2 + 1];
    cc_interval_t *busy, *slot, *v;
    int64_t date, t[2], earliest, latest, dur, before, after, ws, we;
    int64_t midnight = 0;
    int nbusy, nspans, day, days, m, k, ninst, i, j, fits, plain;

    if (!q || !q->tz || q->days <= 0 || q->duration_min <= 0
        || q->duration_min > CC_MAX_MINUTES || q->step_min <= 0) {
        return out;
    }
    days = q->days > CC_MAX_DAYS ? CC_MAX_DAYS : q->days;
    dur = (int64_t)q->duration_min * 60;
    before = q->buffer_before_min > 0
             ? (int64_t)(q->buffer_before_min > CC_MAX_MINUTES
                         ? CC_MAX_MINUTES : q->buffer_before_min) * 60 : 0;
    after = q->buffer_after_min > 0
            ? (int64_t)(q->buffer_after_min > CC_MAX_MINUTES
                        ? CC_MAX_MINUTES : q->buffer_after_min) * 60 : 0;
    earliest = q->now + (q->min_notice_min > 0
                         ? (int64_t)q->min_notice_min * 60 : 0);
    latest = q->now + (int64_t)(q->horizon_days > 0 ? q->horizon_days : 0)
             * 86400;
    nbusy = cc_busy_prepare(p, q, &busy);

    for (day = 0; day < days; day++) {
        date = q->from_date + day;
        nspans = cc_day_spans(q, date, map, spans);
        if (nspans == 0) {
            continue;
        }
        if (spans[0].ua > latest) {
            break;                  /* later days start later still */
        }
        /* A day without a DST change maps every minute by one offset;
         * only change days need the zone for each candidate. */
        plain = cc_tz_day_utc(q->tz, date, &midnight);
        for (m = 0; m < CC_DAY_MIN; m += q->step_min) {
            if (!map[m]) {
                continue;
            }
            if (plain) {
                t[0] = midnight + (int64_t)m * 60;
                k = 1;
            }
            else {
                k = cc_slots_local_utc(q->tz, date, m, 0, &t[0], &t[1]);
            }
            if (k == 0) {
                continue;           /* in a DST gap: never offered */
            }
            ninst = k;
            for (i = 0; i < ninst; i++) {
                if (t[i] < earliest || t[i] > latest) {
                    continue;
                }
                ws = t[i] - before;
                we = t[i] + dur + after;
                fits = 0;
                for (j = 0; j < nspans; j++) {
                    if (spans[j].ua <= ws && we <= spans[j].ub) {
                        fits = 1;
                        break;
                    }
                }
                if (!fits || cc_busy_overlaps(busy, nbusy, ws, we)) {
                    continue;
                }
                slot = apr_array_push(out);
                slot->start = t[i];
                slot->end = t[i] + dur;
            }
        }
    }

    if (out->nelts > 1) {
        int sorted = 1;

        v = (cc_interval_t *)out->elts;
        /* Days and minutes were walked in order: only DST days (two
         * instants of one local time) can leave the list unsorted. */
        for (i = 1; i < out->nelts && sorted; i++) {
            sorted = cc_interval_cmp(&v[i - 1], &v[i]) <= 0;
        }
        if (!sorted) {
            qsort(v, (size_t)out->nelts, sizeof(*v), cc_interval_cmp);
        }
        for (i = 1, j = 0; i < out->nelts; i++) {
            if (v[i].start != v[j].start || v[i].end != v[j].end) {
                v[++j] = v[i];
            }
        }
        out->nelts = j + 1;
    }
    return out;
}

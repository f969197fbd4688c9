/*
 * cc_hours.c - see cc_hours.h.
 *
 * Per local date, from yesterday on: the union of every schedule's open
 * minutes (cc_hours_day_open) is cut into wall-clock stretches, each
 * turned into UTC with cc_tz_to_utc (a bound in a DST gap maps to the end
 * of the gap; an ambiguous start to its earlier instant, an ambiguous end
 * to its later one, as cc_slots does).  Stretches arrive in order of
 * their starts and are merged when they touch or overlap, so presence
 * that runs through midnight is one stretch.  After each date from today
 * on, the answer is read off: a stretch holding `now` that ends before
 * the date's last midnight is final (later dates start at or after it),
 * and so is the first stretch starting after `now`.  Most answers need
 * two dates, not the whole search.
 */
#include <string.h>
#include <apr_tables.h>
#include "cc_hours.h"

#define HR_MAX_DAYS 62

static void mark(unsigned char *map, int a, int b, unsigned char v)
{
    if (a < 0) {
        a = 0;
    }
    if (b > CC_HOURS_DAY_MIN) {
        b = CC_HOURS_DAY_MIN;
    }
    if (a < b) {
        memset(map + a, v, (size_t)(b - a));
    }
}

void cc_hours_day_open(unsigned char map[CC_HOURS_DAY_MIN], int64_t date,
                       const cc_hours_t *hours, int nhours,
                       const cc_exception_t *exc, int nexc)
{
    int wd = cc_weekday(date), i;

    memset(map, 0, CC_HOURS_DAY_MIN);
    for (i = 0; hours && i < nhours; i++) {
        if (hours[i].weekday == wd) {
            mark(map, hours[i].start_min, hours[i].end_min, 1);
        }
    }
    for (i = 0; exc && i < nexc; i++) {
        if (exc[i].date == date && !exc[i].closed) {
            mark(map, exc[i].start_min, exc[i].end_min, 1);
        }
    }
    /* Closures win over openings on the same date. */
    for (i = 0; exc && i < nexc; i++) {
        if (exc[i].date == date && exc[i].closed) {
            if (exc[i].start_min == 0 && exc[i].end_min == 0) {
                mark(map, 0, CC_HOURS_DAY_MIN, 0);
            }
            else {
                mark(map, exc[i].start_min, exc[i].end_min, 0);
            }
        }
    }
}

/* Local (date, minute 0..1440) to UTC: a time in a DST gap gives the end
 * of the gap; an ambiguous one its earlier instant, or its later one when
 * latest is set. */
static int64_t local_utc(const cc_tz_t *tz, int64_t date, int minute,
                         int latest)
{
    int64_t t = 0;

    cc_slots_local_utc(tz, date, minute, latest, &t, NULL);
    return t;
}

/* Append [a, b), merged into the last stretch when it touches or
 * overlaps it (starts arrive in order). */
static void add(apr_array_header_t *st, int64_t a, int64_t b)
{
    cc_interval_t *last;

    if (b <= a) {
        return;
    }
    if (st->nelts > 0) {
        last = &APR_ARRAY_IDX(st, st->nelts - 1, cc_interval_t);
        if (a <= last->end) {
            if (b > last->end) {
                last->end = b;
            }
            return;
        }
    }
    last = apr_array_push(st);
    last->start = a;
    last->end = b;
}

/* The answer the stretches so far give; 1 when no later date can change
 * it (every later stretch starts at or after `horizon`, which is after
 * now). */
static int decide(cc_hours_status_t *out, const apr_array_header_t *st,
                  int64_t now, int64_t horizon)
{
    int i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < st->nelts; i++) {
        const cc_interval_t *iv = &APR_ARRAY_IDX(st, i, cc_interval_t);

        if (iv->end <= now) {
            continue;
        }
        if (iv->start <= now) {
            out->available = 1;
            if (iv->end < horizon) {
                out->has_until = 1;
                out->until = iv->end;
                return 1;
            }
            return 0;           /* may run on into the next date */
        }
        out->has_next = 1;
        out->next = iv->start;
        return 1;
    }
    return 0;
}

apr_status_t cc_hours_status(cc_hours_status_t *out, apr_pool_t *p,
                             const cc_tz_t *tz, int64_t now,
                             const cc_hours_sched_t *s, int n, int days)
{
    unsigned char one[CC_HOURS_DAY_MIN], all[CC_HOURS_DAY_MIN];
    apr_array_header_t *st;
    cc_civil_t c;
    int32_t off;
    int64_t today, date;
    int i, m, a;

    memset(out, 0, sizeof(*out));
    if (!tz || days < 0) {
        return APR_EINVAL;
    }
    if (days > HR_MAX_DAYS) {
        days = HR_MAX_DAYS;
    }
    cc_civil_from_utc(tz, now, &c, &off);
    today = cc_days_from_civil(c.year, c.month, c.day);
    st = apr_array_make(p, 16, sizeof(cc_interval_t));
    for (date = today - 1; date <= today + days; date++) {
        memset(all, 0, sizeof(all));
        for (i = 0; s && i < n; i++) {
            cc_hours_day_open(one, date, s[i].hours, s[i].nhours,
                              s[i].exceptions, s[i].nexceptions);
            for (m = 0; m < CC_HOURS_DAY_MIN; m++) {
                all[m] |= one[m];
            }
        }
        for (m = 0; m < CC_HOURS_DAY_MIN;) {
            if (!all[m]) {
                m++;
                continue;
            }
            for (a = m; m < CC_HOURS_DAY_MIN && all[m]; m++) {
            }
            add(st, local_utc(tz, date, a, 0), local_utc(tz, date, m, 1));
        }
        if (date >= today && st->nelts > 0
            && decide(out, st, now, local_utc(tz, date, CC_HOURS_DAY_MIN,
                                              0))) {
            return APR_SUCCESS;
        }
    }
    return APR_SUCCESS;
}

int64_t cc_hours_changes_at(const cc_hours_status_t *st)
{
    if (st->available) {
        return st->has_until ? st->until : 0;
    }
    return st->has_next ? st->next : 0;
}

/*
 * cc_tz.h - IANA time zones without touching the process's TZ: the TZif
 * file (RFC 8536, versions 1-4) of a zone is parsed once into an
 * immutable value usable by any thread; conversions are pure functions.
 */
#ifndef CC_TZ_H
#define CC_TZ_H

#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"

typedef struct cc_tz_t cc_tz_t;

/* Load zone `name` (e.g. "Europe/London") from dir (NULL: 
 * "/usr/share/zoneinfo").  The name must be a relative path without "..".
 * Returns NULL with prob set (404 "unknown_timezone" / 500). Times past
 * the last transition follow the footer POSIX TZ rule (e.g.
 * "GMT0BST,M3.5.0/1,M10.5.0"), which must be implemented. */
cc_tz_t *cc_tz_load(apr_pool_t *p, const char *dir, const char *name,
                    cc_problem_t *prob);
/* Parse TZif bytes directly (for tests and fuzzing). */
cc_tz_t *cc_tz_parse(apr_pool_t *p, const unsigned char *buf, size_t len,
                     cc_problem_t *prob);

/* UTC offset in seconds at UTC instant t (seconds since the epoch). */
int32_t cc_tz_offset(const cc_tz_t *tz, int64_t t);

/* A civil (local wall clock) time. */
typedef struct cc_civil_t {
    int year, month, day;       /* month 1-12, day 1-31 */
    int hour, minute, second;
} cc_civil_t;

void cc_civil_from_utc(const cc_tz_t *tz, int64_t t, cc_civil_t *out,
                       int32_t *offset);

/* Local -> UTC.  Returns 1 and *t when the local time exists exactly once;
 * 2 when it is ambiguous (DST ends: the earlier instant in *t, the later
 * in *t2); 0 when it does not exist (DST starts; *t is then the instant
 * the gap ends, i.e. the first valid time after it). */
int cc_tz_to_utc(const cc_tz_t *tz, const cc_civil_t *c, int64_t *t,
                 int64_t *t2);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back; weekday
 * 0 = Monday .. 6 = Sunday. */
int64_t cc_days_from_civil(int y, int m, int d);
void cc_civil_from_days(int64_t days, int *y, int *m, int *d);
int cc_weekday(int64_t days);

/* The first instant after t at which the offset may change (1), or 0
 * when it never does again. */
int cc_tz_next_change(const cc_tz_t *tz, int64_t t, int64_t *next);

/* 1 when local date `date` (days since the epoch) has one offset from
 * its midnight to the next (no DST change that day): *midnight is the UTC
 * instant of its 00:00 and minute m of the day is *midnight + 60 m.  0 on
 * change days (and when midnight itself is skipped or repeated). */
int cc_tz_day_utc(const cc_tz_t *tz, int64_t date, int64_t *midnight);

/* RFC 3339 with the zone's offset: "2026-03-29T09:00:00+01:00" (in p). */
char *cc_tz_rfc3339(apr_pool_t *p, const cc_tz_t *tz, int64_t t);

#endif

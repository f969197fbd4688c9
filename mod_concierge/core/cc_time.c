/*
 * cc_time.c - strict RFC 3339 date-time and full-date parsing, and the UTC
 * form.  See cc_time.h for the contract.
 *
 * The parser walks the string once with fixed positions (every field has
 * a fixed width in RFC 3339), so there is no locale, no strtol and no
 * sscanf: "+1", " 1" or "1e1" can never sneak through a number field.
 */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_tz.h"
#include "cc_time.h"

#define CC_TIME_DAY        INT64_C(86400)
#define CC_TIME_FRAC_MAX   9            /* nanoseconds */
#define CC_TIME_YEAR_MAX   9999

static int cc_time_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int cc_time_days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };

    return dim[m - 1] + (m == 2 && cc_time_is_leap(y));
}

/* n decimal digits at s as a number, or -1 if any is not a digit. */
static int cc_time_digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DD" at s (the caller guarantees 10 readable bytes, i.e. no NUL
 * earlier: cc_time_digits stops at a NUL since it is not a digit). */
static int cc_time_date(const char *s, int64_t *days)
{
    int y, m, d;

    y = cc_time_digits(s, 4);
    if (y < 0 || s[4] != '-') {
        return 0;
    }
    m = cc_time_digits(s + 5, 2);
    if (m < 1 || m > 12 || s[7] != '-') {
        return 0;
    }
    d = cc_time_digits(s + 8, 2);
    if (d < 1 || d > cc_time_days_in_month(y, m)) {
        return 0;
    }
    *days = cc_days_from_civil(y, m, d);
    return 1;
}

int cc_date_parse(const char *s, int64_t *days)
{
    int64_t d;

    if (s == NULL || strnlen(s, 11) != 10 || !cc_time_date(s, &d)) {
        return 0;
    }
    if (days) {
        *days = d;
    }
    return 1;
}

int cc_rfc3339_parse(const char *s, int64_t *utc_seconds)
{
    size_t len, pos;
    int64_t days, t;
    int hh, mi, ss, oh, om, sign;

    if (s == NULL) {
        return 0;
    }
    len = strnlen(s, CC_RFC3339_MAX_LEN + 1);
    /* Shortest: "YYYY-MM-DDThh:mm:ssZ" (20). */
    if (len < 20 || len > CC_RFC3339_MAX_LEN) {
        return 0;
    }
    if (!cc_time_date(s, &days)) {
        return 0;
    }
    if (s[10] != 'T' && s[10] != 't') {
        return 0;
    }
    hh = cc_time_digits(s + 11, 2);
    mi = cc_time_digits(s + 14, 2);
    ss = cc_time_digits(s + 17, 2);
    if (hh < 0 || hh > 23 || s[13] != ':' || mi < 0 || mi > 59
        || s[16] != ':' || ss < 0 || ss > 59) {
        return 0;
    }
    pos = 19;
    if (s[pos] == '.') {
        size_t n = 0;

        pos++;
        while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
            pos++;
            n++;
        }
        if (n < 1 || n > CC_TIME_FRAC_MAX) {
            return 0;
        }
    }
    if (pos >= len) {
        return 0;
    }
    if (s[pos] == 'Z' || s[pos] == 'z') {
        if (pos + 1 != len) {
            return 0;
        }
        oh = om = 0;
        sign = 1;
    }
    else if (s[pos] == '+' || s[pos] == '-') {
        if (pos + 6 != len || s[pos + 3] != ':') {
            return 0;
        }
        sign = s[pos] == '-' ? -1 : 1;
        oh = cc_time_digits(s + pos + 1, 2);
        om = cc_time_digits(s + pos + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return 0;
        }
    }
    else {
        return 0;
    }
    /* Local wall time minus the offset is UTC. */
    t = days * CC_TIME_DAY + hh * 3600 + mi * 60 + ss
        - sign * (int64_t)(oh * 3600 + om * 60);
    if (utc_seconds) {
        *utc_seconds = t;
    }
    return 1;
}

char *cc_rfc3339_utc(apr_pool_t *p, int64_t t)
{
    /* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
    const int64_t lo = cc_days_from_civil(0, 1, 1) * CC_TIME_DAY;
    const int64_t hi = (cc_days_from_civil(CC_TIME_YEAR_MAX, 12, 31) + 1)
                       * CC_TIME_DAY - 1;
    int64_t days, secs;
    int y, m, d;

    if (p == NULL || t < lo || t > hi) {
        return NULL;
    }
    /* Floor division: t may be negative (before 1970). */
    days = t / CC_TIME_DAY;
    secs = t % CC_TIME_DAY;
    if (secs < 0) {
        secs += CC_TIME_DAY;
        days--;
    }
    cc_civil_from_days(days, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
                        (int)(secs / 3600), (int)(secs / 60 % 60),
                        (int)(secs % 60));
}

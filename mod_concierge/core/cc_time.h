/*
 * cc_time.h - strict RFC 3339 timestamps and ISO 8601 calendar dates, as
 * exchanged with external APIs (Google Calendar's dateTime, timeMin,
 * timeMax, busy start/end).  UTC seconds since the epoch, no time zone
 * database involved: the offset is in the string.
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_TIME_H
#define CC_TIME_H

#include <stdint.h>
#include <apr_pools.h>

/* The longest string cc_rfc3339_parse looks at; anything longer is
 * rejected without being scanned further. */
#define CC_RFC3339_MAX_LEN 64

/* Parse an RFC 3339 date-time (section 5.6, "date-time") into UTC seconds:
 *
 *   YYYY-MM-DD "T" hh:mm:ss [ "." 1*9DIGIT ] ( "Z" / ("+" / "-") hh:mm )
 *
 * "t" and "z" may be lower case (RFC 3339 5.6 NOTE).  The year is
 * 0000-9999 (four digits), the date must exist (no Feb 30, Feb 29 only in
 * leap years), hour 00-23, minute 00-59, second 00-59 (a leap second "60"
 * is rejected), offset hours 00-23 and minutes 00-59 ("-00:00" is
 * accepted as UTC).  Fractional seconds (1 to 9 digits) are truncated.
 * Anything else is rejected: a space for "T", a missing offset, ",12"
 * fractions, signs, whitespace, trailing bytes, more than
 * CC_RFC3339_MAX_LEN bytes.  Returns 1 and *utc_seconds, or 0 (then
 * *utc_seconds is left untouched).  s NULL gives 0; utc_seconds may be
 * NULL to only validate. */
int cc_rfc3339_parse(const char *s, int64_t *utc_seconds);

/* Parse an RFC 3339 full-date "YYYY-MM-DD" (exactly 10 bytes, a real
 * calendar date, year 0000-9999) into days since 1970-01-01 (negative
 * before).  Returns 1 and *days, or 0.  days may be NULL. */
int cc_date_parse(const char *s, int64_t *days);

/* t (UTC seconds) as "YYYY-MM-DDThh:mm:ssZ" in p, e.g.
 * "2026-11-26T13:00:00Z".  Returns NULL when t lies outside years
 * 0000-9999 (so every result parses back with cc_rfc3339_parse). */
char *cc_rfc3339_utc(apr_pool_t *p, int64_t t);

#endif

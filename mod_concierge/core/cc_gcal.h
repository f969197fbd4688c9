/*
 * cc_gcal.h - Google Calendar API v3 with a service account: the pieces
 * that need no network (the key, JWT and token in cc_gcal_auth.h).  The
 * glue does the HTTP calls (mod_concierge_http), caches the access token
 * and runs the outbox; everything it sends or reads passes through here.
 *
 * Flow (FIELD_NOTES D2):
 *   1. key  = cc_gcal_key_parse(service-account JSON key file)
 *   2. jwt  = cc_gcal_jwt(key, CC_GCAL_SCOPE_CALENDAR, NULL, now, 3600)
 *      POST token_uri, Content-Type application/x-www-form-urlencoded,
 *      body cc_gcal_token_form(jwt); cc_gcal_token_parse(reply) gives
 *      the access token and its lifetime (refresh well before it ends).
 *   3. Calendar calls carry "Authorization: Bearer <token>":
 *      POST   {base}/calendars/{calendarId}/events          insert
 *      PUT    {base}/calendars/{calendarId}/events/{eventId} update
 *      DELETE {base}/calendars/{calendarId}/events/{eventId} delete
 *      POST   {base}/freeBusy                                 free/busy
 *      with {base} = CC_GCAL_API_BASE and calendarId URL-encoded.
 *   4. cc_gcal_classify(op, status, body) decides done / retry / reauth
 *      / fail; cc_gcal_backoff_ms spaces the retries.
 *
 * Events are written to a clinic calendar shared with the service
 * account, never with attendees: a service account cannot populate the
 * attendee list without domain-wide delegation.  The event id is derived
 * from the booking id (cc_gcal_event_id), so a retried insert whose first
 * attempt did reach Google gets 409 and counts as done.
 *
 * Problems (cc_problem_t) use status 502 for anything Google sent that we
 * cannot use, 500 for local failures; codes are listed per function.  No
 * message ever contains key material, a JWT or an access token.
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_GCAL_H
#define CC_GCAL_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_problem.h"
#include "cc_gcal_auth.h"   /* key, JWT, token: steps 1 and 2 */

#define CC_GCAL_API_BASE          "https://www.googleapis.com/calendar/v3"

#define CC_GCAL_SUMMARY_MAX       1024          /* bytes */
#define CC_GCAL_DESCRIPTION_MAX   8192          /* bytes */
#define CC_GCAL_CALENDAR_ID_MAX   1024          /* bytes */
#define CC_GCAL_FREEBUSY_MAX_CALENDARS 50       /* calendarExpansionMax */
#define CC_GCAL_FREEBUSY_MAX_RANGE (90 * INT64_C(86400))
#define CC_GCAL_FREEBUSY_MAX_BYTES (4 * 1024 * 1024)
#define CC_GCAL_FREEBUSY_MAX_BUSY 10000         /* per calendar */
#define CC_GCAL_BACKOFF_BASE_MS   1000
#define CC_GCAL_BACKOFF_CAP_MS    (3600 * 1000)

/* ---- events -------------------------------------------------------------- */

/* A deterministic event id for a booking: the first 32 lowercase hex
 * digits of HMAC-SHA256(key = salt, "concierge-booking:<booking_id>").
 * Hex digits are base32hex, so Google accepts it (5-1024 characters of
 * 0-9a-v).  The same (salt, booking) always gives the same id; another
 * booking or another salt gives another.  NULL when salt is NULL or
 * empty. */
char *cc_gcal_event_id(apr_pool_t *p, const char *salt, int64_t booking_id);

/* 1 when id is a valid client-chosen event id: 5 to 1024 characters, each
 * 0-9 or a-v (base32hex, RFC 2938 section 3.1.2). */
int cc_gcal_event_id_valid(const char *id);

/* The events.insert / events.update body (compact JSON in p):
 *   {"id":..,"summary":..,"description":..,
 *    "start":{"dateTime":..,"timeZone":..},
 *    "end":{"dateTime":..,"timeZone":..}}
 * event_id, summary and description are omitted when NULL.  NULL when
 * event_id is not valid, summary/description exceed
 * CC_GCAL_SUMMARY_MAX/CC_GCAL_DESCRIPTION_MAX bytes or are not UTF-8,
 * start/end do not parse as RFC 3339 or end <= start, or tzname is not an
 * IANA-looking name (1..64 of A-Za-z0-9 / _ + -).  No attendees (see
 * above). */
char *cc_gcal_event_body(apr_pool_t *p, const char *event_id,
                         const char *summary, const char *description,
                         const char *start_rfc3339, const char *end_rfc3339,
                         const char *tzname);

/* ---- freeBusy.query ------------------------------------------------------ */

/* The freeBusy.query body (compact JSON in p):
 *   {"timeMin":"...Z","timeMax":"...Z","timeZone":"UTC",
 *    "items":[{"id":..},..]}
 * The caller keeps ranges within 90 days (Google's limit per query:
 * split longer ranges).  NULL when tmax - tmin <= 0 or >
 * CC_GCAL_FREEBUSY_MAX_RANGE, n is not 1..CC_GCAL_FREEBUSY_MAX_CALENDARS,
 * or an id is NULL, empty, longer than CC_GCAL_CALENDAR_ID_MAX or not
 * UTF-8. */
char *cc_gcal_freebusy_body(apr_pool_t *p, int64_t tmin, int64_t tmax,
                            const char *const *calendar_ids, int n);

/* Parse a freeBusy reply (at most CC_GCAL_FREEBUSY_MAX_BYTES) and return
 * in *busy a new array (in p) of cc_interval_t (cc_slots.h; UTC seconds,
 * [start, end)) for calendar_id, in the reply's order.  Returns 1, or 0
 * with *busy NULL and prob set; availability is then UNKNOWN and the
 * caller must not offer slots:
 *   502 "gcal_calendar_error"    calendars[id].errors is non-empty (a 200
 *                                can carry e.g. "notFound" or
 *                                "internalError": the message names the
 *                                first reason, sanitised)
 *   502 "gcal_calendar_missing"  id is not in "calendars"
 *   502 "gcal_too_many_busy"     more than CC_GCAL_FREEBUSY_MAX_BUSY
 *   502 "gcal_bad_response"      not JSON, too large, no "busy" array,
 *                                a start/end that is not RFC 3339, or
 *                                end <= start */
int cc_gcal_freebusy_parse(apr_pool_t *p, const char *body, size_t len,
                           const char *calendar_id, apr_array_header_t **busy,
                           cc_problem_t *prob);

/* ---- outcome of a call --------------------------------------------------- */

typedef enum {
    CC_GCAL_DONE,       /* finished (success, or an equivalent state) */
    CC_GCAL_RETRY,      /* transient: retry after cc_gcal_backoff_ms */
    CC_GCAL_REAUTH,     /* drop the cached token, get a new one, retry */
    CC_GCAL_FAIL        /* permanent: do not retry; report */
} cc_gcal_outcome;

enum {
    CC_GCAL_OP_INSERT,
    CC_GCAL_OP_UPDATE,
    CC_GCAL_OP_DELETE,
    CC_GCAL_OP_FREEBUSY,
    CC_GCAL_OP_TOKEN
};

/* What to do after a call (Google's errors guide):
 *   0 (transport error, timeout)            RETRY
 *   2xx                                     DONE
 *   DELETE 404, 410 (already gone)          DONE
 *   INSERT 409 (the id exists: an earlier
 *     attempt created it)                   DONE
 *   401                                     REAUTH (TOKEN: FAIL)
 *   403 with error.errors[].reason
 *     rateLimitExceeded, userRateLimitExceeded
 *     or quotaExceeded                      RETRY
 *   408, 429, 5xx                           RETRY
 *   anything else (400, other 403, 404,
 *     409 on update, 410, 412, 1xx, 3xx)    FAIL
 * body may be NULL; only the first CC_GCAL_TOKEN_MAX_BYTES are parsed
 * (a larger 403 body counts as a permission error). */
cc_gcal_outcome cc_gcal_classify(int op, long http_status, const char *body,
                                 size_t len);

/* Milliseconds to wait before retry number `attempt` (0 = the first
 * retry): d = min(CC_GCAL_BACKOFF_CAP_MS, 1000 * 2^attempt), then half
 * jitter from rnd: d/2 + rnd % (d/2 + 1), so attempt 0 waits 500..1000
 * ms and no wait exceeds one hour.  Negative attempts count as 0. */
int64_t cc_gcal_backoff_ms(int attempt, uint32_t rnd);

#endif

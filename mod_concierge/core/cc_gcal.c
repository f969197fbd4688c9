/*
 * cc_gcal.c - Google Calendar API v3: event ids and bodies, freeBusy
 * bodies and replies, and the retry decision (the service account's key,
 * JWT and token: cc_gcal_auth.c).  See cc_gcal.h for the contract.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "cc_json.h"
#include "cc_slots.h"
#include "cc_time.h"
#include "cc_gcal.h"
#include "cc_gcal_int.h"
#include "cc_token.h"

#define CC_GCAL_SALT_MAX        4096
#define CC_GCAL_EVENT_ID_LEN    32
#define CC_GCAL_EVENT_ID_MIN    5
#define CC_GCAL_EVENT_ID_MAX    1024
#define CC_GCAL_TZNAME_MAX      64
#define CC_GCAL_REASON_MAX      40

/* ---- small helpers ------------------------------------------------------- */

/* Copy at most max bytes of s into p, every byte outside a conservative
 * printable set replaced by '?', so the result can go into a problem
 * message (and from there into a log line) safely. */
char *cc_gcal_sanitise(apr_pool_t *p, const char *s, size_t max)
{
    size_t n, i;
    char *out;

    if (s == NULL) {
        return apr_pstrdup(p, "");
    }
    n = strnlen(s, max + 1);
    if (n > max) {
        n = max;
    }
    out = apr_pstrmemdup(p, s, n);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || (c != '\0' && strchr(" ._:,;()/'-", c) != NULL))) {
            out[i] = '?';
        }
    }
    return out;
}

int cc_gcal_decode(json_t **out, apr_pool_t *p, const char *body,
                   size_t len, size_t max, const char *what,
                   cc_problem_t *prob)
{
    cc_json_limits_t lim;

    lim.max_bytes = max;
    lim.max_depth = CC_GCAL_JSON_DEPTH;
    if (body == NULL || len == 0) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the %s reply is empty", what);
        return 0;
    }
    if (len > max) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the %s reply is larger than %" APR_SIZE_T_FMT
                       " bytes", what, max);
        return 0;
    }
    if (cc_json_decode(out, p, body, len, &lim, NULL) != APR_SUCCESS
        || !json_is_object(*out)) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the %s reply is not a JSON object", what);
        return 0;
    }
    return 1;
}

/* ---- events -------------------------------------------------------------- */

char *cc_gcal_event_id(apr_pool_t *p, const char *salt, int64_t booking_id)
{
    static const char hexd[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char msg[64];
    char *out;
    size_t saltlen;
    int n, i;

    if (p == NULL || salt == NULL || *salt == '\0') {
        return NULL;
    }
    saltlen = strnlen(salt, CC_GCAL_SALT_MAX + 1);
    if (saltlen > CC_GCAL_SALT_MAX) {
        return NULL;
    }
    n = apr_snprintf(msg, sizeof(msg), "concierge-booking:%" APR_INT64_T_FMT,
                     (apr_int64_t)booking_id);
    if (n <= 0 || (size_t)n >= sizeof(msg)) {
        return NULL;
    }
    if (HMAC(EVP_sha256(), salt, (int)saltlen, (const unsigned char *)msg,
             (size_t)n, mac, &maclen) == NULL
        || maclen * 2 < CC_GCAL_EVENT_ID_LEN) {
        ERR_clear_error();
        return NULL;
    }
    out = apr_palloc(p, CC_GCAL_EVENT_ID_LEN + 1);
    for (i = 0; i < CC_GCAL_EVENT_ID_LEN / 2; i++) {
        out[2 * i] = hexd[mac[i] >> 4];
        out[2 * i + 1] = hexd[mac[i] & 0x0f];
    }
    out[CC_GCAL_EVENT_ID_LEN] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return out;
}

int cc_gcal_event_id_valid(const char *id)
{
    size_t n, i;

    if (id == NULL) {
        return 0;
    }
    n = strnlen(id, CC_GCAL_EVENT_ID_MAX + 1);
    if (n < CC_GCAL_EVENT_ID_MIN || n > CC_GCAL_EVENT_ID_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!((id[i] >= '0' && id[i] <= '9')
              || (id[i] >= 'a' && id[i] <= 'v'))) {
            return 0;
        }
    }
    return 1;
}

static int cc_gcal_tzname_ok(const char *tz)
{
    size_t n, i;

    if (tz == NULL) {
        return 0;
    }
    n = strnlen(tz, CC_GCAL_TZNAME_MAX + 1);
    if (n == 0 || n > CC_GCAL_TZNAME_MAX || tz[0] == '/') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = tz[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+'
              || c == '-')) {
            return 0;
        }
    }
    return 1;
}

/* Set obj[name] = s (a new string) unless s is NULL; 0 when s is longer
 * than max or not UTF-8. */
static int cc_gcal_set_opt(json_t *obj, const char *name, const char *s,
                           size_t max)
{
    size_t n;
    json_t *v;

    if (s == NULL) {
        return 1;
    }
    n = strnlen(s, max + 1);
    if (n > max) {
        return 0;
    }
    v = json_stringn(s, n);
    if (v == NULL) {
        return 0;
    }
    return json_object_set_new(obj, name, v) == 0;
}

char *cc_gcal_event_body(apr_pool_t *p, const char *event_id,
                         const char *summary, const char *description,
                         const char *start_rfc3339, const char *end_rfc3339,
                         const char *tzname)
{
    int64_t ts, te;
    json_t *ev;

    if (p == NULL || (event_id != NULL && !cc_gcal_event_id_valid(event_id))
        || !cc_rfc3339_parse(start_rfc3339, &ts)
        || !cc_rfc3339_parse(end_rfc3339, &te) || te <= ts
        || !cc_gcal_tzname_ok(tzname)) {
        return NULL;
    }
    ev = cc_json_pool_own(p, json_object());
    if (ev == NULL
        || !cc_gcal_set_opt(ev, "id", event_id, CC_GCAL_EVENT_ID_MAX)
        || !cc_gcal_set_opt(ev, "summary", summary, CC_GCAL_SUMMARY_MAX)
        || !cc_gcal_set_opt(ev, "description", description,
                            CC_GCAL_DESCRIPTION_MAX)
        || json_object_set_new(ev, "start",
                               json_pack("{s:s, s:s}", "dateTime",
                                         start_rfc3339, "timeZone",
                                         tzname)) != 0
        || json_object_set_new(ev, "end",
                               json_pack("{s:s, s:s}", "dateTime",
                                         end_rfc3339, "timeZone",
                                         tzname)) != 0) {
        return NULL;
    }
    return cc_json_dump(p, ev, NULL);
}

/* ---- freeBusy ------------------------------------------------------------ */

char *cc_gcal_freebusy_body(apr_pool_t *p, int64_t tmin, int64_t tmax,
                            const char *const *calendar_ids, int n)
{
    const char *smin, *smax;
    json_t *req, *items;
    int i;

    if (p == NULL || calendar_ids == NULL || n < 1
        || n > CC_GCAL_FREEBUSY_MAX_CALENDARS || tmax <= tmin
        || (uint64_t)tmax - (uint64_t)tmin
           > (uint64_t)CC_GCAL_FREEBUSY_MAX_RANGE) {
        return NULL;
    }
    smin = cc_rfc3339_utc(p, tmin);
    smax = cc_rfc3339_utc(p, tmax);
    if (smin == NULL || smax == NULL) {
        return NULL;
    }
    req = cc_json_pool_own(p, json_pack("{s:s, s:s, s:s}", "timeMin", smin,
                                        "timeMax", smax, "timeZone", "UTC"));
    items = json_array();
    if (req == NULL || items == NULL
        || json_object_set_new(req, "items", items) != 0) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        const char *id = calendar_ids[i];
        size_t len;
        json_t *v;

        if (id == NULL) {
            return NULL;
        }
        len = strnlen(id, CC_GCAL_CALENDAR_ID_MAX + 1);
        if (len == 0 || len > CC_GCAL_CALENDAR_ID_MAX) {
            return NULL;
        }
        v = json_stringn(id, len);
        if (v == NULL || json_array_append_new(items,
                                               json_pack("{s:o}", "id",
                                                         v)) != 0) {
            return NULL;
        }
    }
    return cc_json_dump(p, req, NULL);
}

int cc_gcal_freebusy_parse(apr_pool_t *p, const char *body, size_t len,
                           const char *calendar_id, apr_array_header_t **busy,
                           cc_problem_t *prob)
{
    apr_pool_t *tmp = NULL;
    apr_array_header_t *out;
    json_t *j = NULL, *cals, *cal, *errs, *arr, *it;
    size_t i, n;
    int ok = 0;

    if (busy) {
        *busy = NULL;
    }
    if (p == NULL || busy == NULL || calendar_id == NULL
        || *calendar_id == '\0') {
        cc_problem_set(prob, 500, "internal_error",
                       "freeBusy parser called without a calendar");
        return 0;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        cc_problem_set(prob, 500, "internal_error", "out of memory");
        return 0;
    }
    apr_pool_tag(tmp, "cc_gcal_freebusy_parse");
    if (!cc_gcal_decode(&j, tmp, body, len, CC_GCAL_FREEBUSY_MAX_BYTES,
                        "freeBusy", prob)) {
        goto done;
    }
    cals = json_object_get(j, "calendars");
    if (!json_is_object(cals)) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the freeBusy reply has no \"calendars\" object");
        goto done;
    }
    cal = json_object_get(cals, calendar_id);
    if (cal == NULL) {
        cc_problem_set(prob, 502, "gcal_calendar_missing",
                       "the freeBusy reply does not mention the calendar: "
                       "availability unknown");
        goto done;
    }
    if (!json_is_object(cal)) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the freeBusy reply's calendar entry is not an "
                       "object");
        goto done;
    }
    errs = json_object_get(cal, "errors");
    if (errs != NULL && !json_is_array(errs)) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the freeBusy reply's \"errors\" is not an array");
        goto done;
    }
    if (json_array_size(errs) > 0) {
        json_t *reason = json_object_get(json_array_get(errs, 0), "reason");

        cc_problem_set(prob, 502, "gcal_calendar_error",
                       "Google reported an error for the calendar (%s): "
                       "availability unknown",
                       json_is_string(reason)
                       ? cc_gcal_sanitise(tmp, json_string_value(reason),
                                          CC_GCAL_REASON_MAX)
                       : "no reason given");
        goto done;
    }
    arr = json_object_get(cal, "busy");
    if (!json_is_array(arr)) {
        cc_problem_set(prob, 502, "gcal_bad_response",
                       "the freeBusy reply has no \"busy\" array for the "
                       "calendar");
        goto done;
    }
    n = json_array_size(arr);
    if (n > CC_GCAL_FREEBUSY_MAX_BUSY) {
        cc_problem_set(prob, 502, "gcal_too_many_busy",
                       "the freeBusy reply lists more than %d busy "
                       "intervals", CC_GCAL_FREEBUSY_MAX_BUSY);
        goto done;
    }
    out = apr_array_make(p, n > 0 ? (int)n : 1, sizeof(cc_interval_t));
    json_array_foreach(arr, i, it) {
        json_t *s = json_object_get(it, "start");
        json_t *e = json_object_get(it, "end");
        cc_interval_t *iv;
        int64_t ts, te;

        if (!json_is_string(s) || !json_is_string(e)
            || !cc_rfc3339_parse(json_string_value(s), &ts)
            || !cc_rfc3339_parse(json_string_value(e), &te)) {
            cc_problem_set(prob, 502, "gcal_bad_response",
                           "freeBusy busy[%" APR_SIZE_T_FMT "]: start/end "
                           "is not an RFC 3339 date-time", i);
            goto done;
        }
        if (te <= ts) {
            cc_problem_set(prob, 502, "gcal_bad_response",
                           "freeBusy busy[%" APR_SIZE_T_FMT "]: end is not "
                           "after start", i);
            goto done;
        }
        iv = apr_array_push(out);
        iv->start = ts;
        iv->end = te;
    }
    *busy = out;
    ok = 1;
done:
    apr_pool_destroy(tmp);
    return ok;
}

/* ---- outcome ------------------------------------------------------------- */

/* 1 when a 403 body names a quota / rate-limit reason in
 * error.errors[].reason. */
static int cc_gcal_rate_limited(const char *body, size_t len)
{
    static const char *const reasons[] = {
        "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", NULL
    };
    json_error_t jerr;
    json_t *j, *errs, *it;
    size_t i;
    int k, hit = 0;

    if (body == NULL || len == 0 || len > CC_GCAL_TOKEN_MAX_BYTES) {
        return 0;
    }
    j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        return 0;
    }
    errs = json_object_get(json_object_get(j, "error"), "errors");
    json_array_foreach(errs, i, it) {
        json_t *r = json_object_get(it, "reason");

        for (k = 0; json_is_string(r) && reasons[k]; k++) {
            if (strcmp(json_string_value(r), reasons[k]) == 0) {
                hit = 1;
            }
        }
    }
    json_decref(j);
    return hit;
}

cc_gcal_outcome cc_gcal_classify(int op, long http_status, const char *body,
                                 size_t len)
{
    if (http_status == 0) {
        return CC_GCAL_RETRY;
    }
    if (http_status >= 200 && http_status <= 299) {
        return CC_GCAL_DONE;
    }
    if (op == CC_GCAL_OP_DELETE && (http_status == 404 || http_status == 410)) {
        return CC_GCAL_DONE;
    }
    if (op == CC_GCAL_OP_INSERT && http_status == 409) {
        return CC_GCAL_DONE;
    }
    if (http_status == 401) {
        return op == CC_GCAL_OP_TOKEN ? CC_GCAL_FAIL : CC_GCAL_REAUTH;
    }
    if (http_status == 403) {
        return cc_gcal_rate_limited(body, len) ? CC_GCAL_RETRY : CC_GCAL_FAIL;
    }
    if (http_status == 408 || http_status == 429
        || (http_status >= 500 && http_status <= 599)) {
        return CC_GCAL_RETRY;
    }
    return CC_GCAL_FAIL;
}

int64_t cc_gcal_backoff_ms(int attempt, uint32_t rnd)
{
    int64_t d = CC_GCAL_BACKOFF_BASE_MS, half;
    int i;

    if (attempt < 0) {
        attempt = 0;
    }
    for (i = 0; i < attempt && d < CC_GCAL_BACKOFF_CAP_MS; i++) {
        d *= 2;
    }
    if (d > CC_GCAL_BACKOFF_CAP_MS) {
        d = CC_GCAL_BACKOFF_CAP_MS;
    }
    half = d / 2;
    return half + (int64_t)(rnd % (uint32_t)(half + 1));
}

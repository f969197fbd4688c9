/*
 * mod_concierge_booking.h - the booking service: the clinic model cache,
 * availability, manage tokens, booking offers in the chat.
 */
#ifndef MOD_CONCIERGE_BOOKING_H
#define MOD_CONCIERGE_BOOKING_H

#include "mc_private.h"
#include <stdint.h>
#include "apr_tables.h"

struct cc_tz_t;
apr_status_t mc_booking_post_config(apr_pool_t *pconf, server_rec *s);
void mc_booking_child_init(apr_pool_t *p, server_rec *s);
/* The clinic's zone (ConciergeTimeZone), parsed once at start-up. */
const struct cc_tz_t *mc_booking_tz(const server_rec *s);
/* A patient asking to book in the chat: the actions (a "book" offer with
 * free slots of the matching service, or a "choose_service" list) and
 * the reply text, or NULL when the message is not a booking request. */
json_t *mc_booking_offer(mc_ctx *c, const char *message, const char **reply);
/* The longest range of days a slots request may ask for. */
#define MC_BOOKING_MAX_DAYS 31

typedef struct mc_avail {
    json_t             *service;     /* NULL: no such active service */
    json_t             *settings;
    apr_array_header_t *slots;       /* cc_clinic_slot_t, by start then
                                        practitioner */
    json_t             *unavailable; /* practitioner ids: calendar unknown */
    int                 npract;
    int                 window;      /* the days asked for: 0 within
                                        today .. today + horizon, -1
                                        before today, 1 beyond the
                                        horizon (no slots, and Google was
                                        not asked) */
} mc_avail;

/* A booking being moved: its own time is not busy, in the database nor in
 * its practitioner's calendar (where its event is). */
typedef struct mc_booking_own {
    apr_int64_t id, practitioner;
    int64_t     start, end;
} mc_booking_own;

/* Free slots of service for local days [from, from + days).  pract 0: all
 * who do it; own: a booking whose own time does not count as busy (a
 * reschedule).  APR_SUCCESS, or APR_EGENERAL for a database failure. */
apr_status_t mc_booking_availability(mc_ctx *c, apr_int64_t service,
                                     apr_int64_t pract,
                                     const mc_booking_own *own,
                                     int64_t from, int days, mc_avail *out);
/* Staff presence (issue 14, "out of hours"): from the clinic model's
 * hours and exceptions (core cc_hours), whether anyone works now and when
 * someone next starts, searched CC_HOURS_SEARCH_DAYS ahead. */
typedef struct mc_staff {
    int         known;        /* 0: the clinic model could not be read */
    int         available;    /* someone works now */
    int64_t     next;         /* not available: the next start (UTC s);
                                 0: none within the search */
    int64_t     changes_at;   /* when the answer may change (UTC s); 0:
                                 not within the search */
    const char *clinic_name;  /* settings.clinic_name */
} mc_staff;

/* The clinic's staff presence now: APR_SUCCESS (out->known), or
 * APR_EGENERAL when the model could not be read (database down).  Kept
 * per process for a few seconds while availability changes are pushed
 * (mc_avail_epoch), never past the moment the answer changes. */
apr_status_t mc_booking_staff(mc_ctx *c, mc_staff *out);
/* "staff_available" and "staff_next_available_at" (RFC 3339 in the
 * clinic's zone, null while available or when nobody starts within the
 * search) set on o; nothing when st is not known. */
void mc_booking_staff_json(request_rec *r, const mc_staff *st, json_t *o);
/* The same as text to splice into a JSON object after its last member:
 * ",\"staff_available\":...,\"staff_next_available_at\":..." or "". */
const char *mc_booking_staff_text(request_rec *r, const mc_staff *st);

/* A booking's manage token from its stored nonce (ConciergeSecret). */
char *mc_booking_manage_token(apr_pool_t *p, const char *nonce);

#endif

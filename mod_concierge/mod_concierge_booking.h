/*
 * mod_concierge_booking.h - booking: the clinic model cache, free slots,
 * booking offers in the chat.
 */
#ifndef MOD_CONCIERGE_BOOKING_H
#define MOD_CONCIERGE_BOOKING_H

#include "mc_private.h"

struct cc_tz_t;
apr_status_t mc_booking_post_config(apr_pool_t *pconf, server_rec *s);
void mc_booking_child_init(apr_pool_t *p, server_rec *s);
/* The clinic's zone (ConciergeTimeZone), parsed once at start-up. */
const struct cc_tz_t *mc_booking_tz(const server_rec *s);
/* A patient asking to book in the chat: the actions (a "book" offer with
 * free slots of the matching service, or a "choose_service" list) and
 * the reply text, or NULL when the message is not a booking request. */
json_t *mc_booking_offer(mc_ctx *c, const char *message, const char **reply);
/* The handlers (api/booking.c routes to them). */
int mc_api_services(mc_ctx *c);
int mc_api_slots(mc_ctx *c);
int mc_api_bookings_create(mc_ctx *c);
int mc_api_booking_get(mc_ctx *c);
int mc_api_booking_cancel(mc_ctx *c);
int mc_api_booking_reschedule(mc_ctx *c);
int mc_api_admin_bookings(mc_ctx *c);
int mc_api_admin_booking_get(mc_ctx *c);
int mc_api_admin_booking_cancel(mc_ctx *c);
int mc_api_admin_booking_reschedule(mc_ctx *c);

#endif

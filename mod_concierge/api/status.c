/*
 * api/status.c - GET /api/status: what a patient's page shows before
 * anyone types (issue 14, "out of hours, handled honestly").
 *
 *   {"clinic_name", "timezone", "staff_available",
 *    "staff_next_available_at", "emergency_number"}
 *
 * staff_available: someone works now, by the clinic's hours and
 * exceptions in its zone (ConciergeTimeZone); staff_next_available_at:
 * while nobody does, when someone next starts (RFC 3339 with the clinic's
 * offset; null when nobody starts within 14 days, and while staff are
 * there).  Public, no body, the browse rate.  Cacheable for at most 5
 * seconds, and never past the instant the answer changes.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_booking.h"

#define MC_STATUS_MAX_AGE 5     /* seconds */

static int mc_api_status(mc_ctx *c)
{
    request_rec *r = c->r;
    int64_t now = (int64_t)apr_time_sec(apr_time_now());
    int64_t age = MC_STATUS_MAX_AGE;
    mc_staff st;
    json_t *o;

    if (mc_booking_staff(c, &st) != APR_SUCCESS) {
        return mc_error_db(c);
    }
    o = json_pack("{s:s, s:s, s:s}", "clinic_name",
                  st.clinic_name && *st.clinic_name ? st.clinic_name
                                                    : "Clinic",
                  "timezone", mc_config_timezone(r->server),
                  "emergency_number",
                  mc_config_gets(r->server, MC_CONFS_EMERGENCY_NUMBER));
    mc_booking_staff_json(r, &st, o);
    if (st.changes_at > now && st.changes_at - now < age) {
        age = st.changes_at - now;
    }
    apr_table_setn(r->headers_out, "Cache-Control",
                   apr_psprintf(r->pool, "public, max-age=%d", (int)age));
    return mc_reply(c, 200, o);
}

static const mc_route routes[] = {
    { "GET", "/api/status", mc_api_status, MC_ROLE_PUBLIC, MC_RL_BROWSE, 0,
      MC_BODY_JSON,
      "The clinic's name, time zone and emergency number, and whether "
      "staff are there now (else when they next are)",
      NULL, MC_SHAPE("status") },
    { NULL }
};

MC_RESOURCE(status, routes, NULL);

/*
 * api/booking.c - booking for patients and staff: services, free slots,
 * bookings (create, read, cancel, reschedule).
 *
 * The handlers still live in mod_concierge_booking.c while its pure logic
 * moves to core/; they come here next.
 */
#include "mod_concierge_api.h"
#include "mod_concierge_booking.h"

static const mc_route routes[] = {
    { "GET", "/api/services", mc_api_services, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "The services patients can book",
      NULL, MC_SHAPE("public_service_list") },
    { "GET", "/api/slots", mc_api_slots, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "Free slots of a service over a date range",
      NULL, MC_SHAPE("slot_list") },
    { "POST", "/api/bookings", mc_api_bookings_create, MC_ROLE_PUBLIC,
      MC_RL_BOOKING, 8 * KB, MC_BODY_JSON,
      "Book a slot (idempotent with Idempotency-Key)",
      MC_SHAPE("booking_request"), MC_SHAPE("booking") },
    { "GET", "/api/bookings/{id}", mc_api_booking_get, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "A booking, with its manage token",
      NULL, MC_SHAPE("booking") },
    { "POST", "/api/bookings/{id}/cancel", mc_api_booking_cancel, MC_ROLE_PUBLIC,
      MC_RL_BOOKING, 2 * KB, MC_BODY_JSON_OPT,
      "Cancel a booking (manage token)",
      MC_SHAPE("cancel"), MC_SHAPE("booking") },
    { "POST", "/api/bookings/{id}/reschedule", mc_api_booking_reschedule, MC_ROLE_PUBLIC,
      MC_RL_BOOKING, 2 * KB, MC_BODY_JSON,
      "Move a booking to another free slot (manage token)",
      MC_SHAPE("reschedule"), MC_SHAPE("booking") },
    { "GET", "/api/admin/bookings", mc_api_admin_bookings, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Bookings in a date range, newest first",
      NULL, MC_SHAPE("booking_list") },
    { "GET", "/api/admin/bookings/{id}", mc_api_admin_booking_get, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "One booking (the read is audited)",
      NULL, MC_SHAPE("booking") },
    { "POST", "/api/admin/bookings/{id}/cancel", mc_api_admin_booking_cancel, MC_ROLE_STAFF,
      MC_RL_ADMIN, 2 * KB, MC_BODY_JSON_OPT,
      "Cancel a booking for the patient",
      MC_SHAPE("cancel"), MC_SHAPE("booking") },
    { "POST", "/api/admin/bookings/{id}/reschedule", mc_api_admin_booking_reschedule, MC_ROLE_STAFF,
      MC_RL_ADMIN, 2 * KB, MC_BODY_JSON,
      "Move a booking for the patient",
      MC_SHAPE("reschedule"), MC_SHAPE("booking") },
    { NULL }
};

static const mc_stmt stmts[] = {
    /* ---- booking (sql/006 functions do the transactional work) ---- */
    /* Availability: the busy intervals (active bookings with their
     * buffers; lapsed holds do not count) of the practitioners who do a
     * service, with the clinic model's version ... */
    { "cc_bk_busy",
      "SELECT (SELECT version FROM clinic_state WHERE id = 1)::text, "
      "coalesce(string_agg(b.practitioner_id || ' ' || extract(epoch FROM "
      "lower(b.blocked))::bigint || ' ' || extract(epoch FROM "
      "upper(b.blocked))::bigint, ' '), '') FROM bookings b JOIN "
      "practitioner_services ps ON ps.practitioner_id = b.practitioner_id "
      "AND ps.service_id = %lld WHERE b.practitioner_id = "
      "coalesce(nullif(%lld, 0), b.practitioner_id) AND b.blocked && "
      "tstzrange(%s::timestamptz, %s::timestamptz) AND b.id <> %lld AND "
      "b.status IN ('pending_payment', 'confirmed') AND (b.status = "
      "'confirmed' OR b.hold_until >= now())" },
    /* ... and the model itself when that version moved (services by id,
     * practitioners with their services, hours and exceptions from two
     * days ago on, settings), read in one snapshot. */
    { "cc_bk_model",
      "SELECT jsonb_build_object('version', (SELECT version FROM "
      "clinic_state WHERE id = 1), 'settings', (SELECT to_jsonb(c) FROM "
      "clinic_settings c WHERE id = 1), 'services', coalesce((SELECT "
      "jsonb_object_agg(id::text, jsonb_build_object('id', id, 'name', name, "
      "'duration_min', duration_min, 'buffer_before_min', buffer_before_min, "
      "'buffer_after_min', buffer_after_min, 'requires_payment', "
      "requires_payment)) FROM services WHERE active), '{}'), "
      "'practitioners', coalesce((SELECT jsonb_agg(jsonb_build_object('id', "
      "p.id, 'calendar_id', p.calendar_id, 'services', coalesce((SELECT "
      "jsonb_agg(service_id) FROM practitioner_services WHERE "
      "practitioner_id = p.id), '[]'), 'hours', coalesce((SELECT "
      "jsonb_agg(jsonb_build_array(h.weekday, h.start_min, h.end_min)) FROM "
      "opening_hours h WHERE h.practitioner_id = p.id), '[]'), "
      "'exceptions', coalesce((SELECT jsonb_agg(jsonb_build_array(e.day - "
      "date '1970-01-01', e.closed, e.start_min, e.end_min)) FROM "
      "schedule_exceptions e WHERE (e.practitioner_id = p.id OR "
      "e.practitioner_id IS NULL) AND e.day >= current_date - 2), '[]')) "
      "ORDER BY p.id) FROM practitioners p WHERE p.active), '[]'))::text" },
    { "cc_bk_services",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, "
      "'description', description, 'duration_min', duration_min, "
      "'price_cents', price_cents, 'currency', currency, "
      "'buffer_before_min', buffer_before_min, 'buffer_after_min', "
      "buffer_after_min, 'requires_payment', requires_payment) ORDER BY id), "
      "'[]')::text FROM services WHERE active" },
    { "cc_bk_book",
      "SELECT concierge_book(nullif(%s, ''), %s, %lld, %lld, %s::timestamptz, "
      "%s::timestamptz, %s::timestamptz, %s::timestamptz, %s, %s, %s, "
      "nullif(%s, ''), %s, %s, %s, %s)::text" },
    { "cc_bk_get", "SELECT concierge_booking_json(%lld)::text" },
    { "cc_bk_offer_services",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, "
      "'aliases', aliases, 'duration_min', duration_min, 'price_cents', "
      "price_cents, 'currency', currency, 'requires_payment', "
      "requires_payment) ORDER BY id), '[]')::text FROM services WHERE active "
      "AND EXISTS (SELECT 1 FROM practitioner_services ps JOIN practitioners "
      "p ON p.id = ps.practitioner_id WHERE ps.service_id = services.id AND "
      "p.active)" },
    { "cc_bk_idem_get",
      "SELECT json_build_object('request_hash', request_hash, 'booking', "
      "CASE WHEN booking_id IS NOT NULL THEN "
      "concierge_booking_json(booking_id) END)::text FROM idempotency_keys "
      "WHERE key = %s" },
    { "cc_bk_settings",
      "SELECT row_to_json(c)::text FROM clinic_settings c WHERE id = 1" },
    { "cc_bk_cancel",
      "SELECT concierge_booking_cancel(%lld, %s, %s, %s, %s::boolean)::text" },
    { "cc_bk_move",
      "SELECT concierge_booking_move(%lld, %lld, %s::timestamptz, "
      "%s::timestamptz, %s::timestamptz, %s::timestamptz, %s, %s, "
      "%s::boolean)::text" },
    { "cc_bk_expire", "SELECT concierge_expire_holds(NULL)" },
    { "cc_bk_idem_purge",
      "DELETE FROM idempotency_keys WHERE created_at < now() - interval "
      "'1 day'" },
    { "cc_bk_list",
      "SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]')::text, "
      "min(x.id)::text FROM (SELECT b.id, b.status, b.service_id, s.name AS "
      "service_name, b.practitioner_id, p.name AS practitioner_name, "
      "extract(epoch FROM b.start_at)::bigint AS start, extract(epoch FROM "
      "b.end_at)::bigint AS \"end\", b.patient_name, b.patient_email, "
      "b.patient_phone, b.payment_status, b.hold_until, b.reschedules, "
      "b.late_cancel, b.source, b.created_at FROM bookings b JOIN services s "
      "ON s.id = b.service_id JOIN practitioners p ON p.id = "
      "b.practitioner_id, (SELECT %s::text AS name) z WHERE b.start_at >= %s::date::timestamp "
      "AT TIME ZONE z.name AND b.start_at < %s::date::timestamp AT TIME ZONE "
      "z.name AND b.status = coalesce(nullif(%s, ''), b.status) AND "
      "b.practitioner_id = coalesce(nullif(%lld, 0), b.practitioner_id) AND "
      "b.id < coalesce(nullif(%lld, 0), 9223372036854775807) ORDER BY b.id "
      "DESC LIMIT %lld) x" },
    { NULL, NULL }
};
MC_RESOURCE(booking, routes, stmts);

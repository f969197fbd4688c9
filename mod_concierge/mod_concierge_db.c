/*
 * mod_concierge_db.c - every SQL statement of the module, prepared through
 * mod_dbd at configuration time, and small helpers around apr_dbd.
 *
 * Placeholders are apr_dbd's: %s text, %d integer, %lld bigint; a literal
 * percent sign is written %%.  Results are opened random-access (so row
 * counts are known and connections never stay busy with undrained rows).
 * Statements that feed a JSON reply build the JSON in PostgreSQL
 * (json_build_object / json_agg) and return it as one text value.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "mod_concierge.h"
#include <libpq-fe.h>

typedef struct mc_stmt {
    const char *label;
    const char *sql;
} mc_stmt;

static const mc_stmt mc_stmts[] = {
    { "cc_ping", "SELECT 1" },
    { "cc_user_pw",
      "SELECT password_hash FROM staff_users WHERE username = %s AND active" },
    { "cc_user_role",
      "SELECT role FROM staff_users WHERE username = %s AND active" },
    { "cc_users_list",
      "SELECT coalesce(json_agg(json_build_object("
      "'username', username, 'role', role, 'active', active, "
      "'created_at', created_at, 'updated_at', updated_at) "
      "ORDER BY username), '[]')::text FROM staff_users" },
    { "cc_user_insert",
      "INSERT INTO staff_users (username, password_hash, role, active) "
      "VALUES (%s, %s, %s, %s::boolean) ON CONFLICT (username) DO NOTHING" },
    { "cc_user_update",
      "UPDATE staff_users SET role = %s, active = %s::boolean, "
      "password_hash = coalesce(nullif(%s, ''), password_hash), "
      "updated_at = now() WHERE username = %s" },
    { "cc_user_exists",
      "SELECT role, active FROM staff_users WHERE username = %s" },
    { "cc_audit_lock", "SELECT pg_advisory_xact_lock(7302100001)" },
    { "cc_audit_last",
      "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1" },
    { "cc_audit_insert",
      "INSERT INTO audit_log (seq, created_us, actor, action, target, "
      "request_id, detail, prev_hash, hash) "
      "VALUES (%lld, %lld, %s, %s, %s, %s, %s, %s, %s)" },
    { "cc_audit_page",
      "SELECT coalesce(json_agg(json_build_object("
      "'seq', seq, 'at', to_char(to_timestamp(created_us / 1000000.0) "
      "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "'actor', actor, 'action', action, 'target', target, "
      "'request_id', request_id, 'detail', detail::json, 'hash', hash) "
      "ORDER BY seq DESC), '[]')::text, min(seq) "
      "FROM (SELECT * FROM audit_log WHERE seq < %lld "
      "AND (%s = '' OR action = %s) ORDER BY seq DESC LIMIT %d) t" },
    { "cc_audit_batch",
      "SELECT seq, created_us, actor, action, target, request_id, detail, "
      "prev_hash, hash FROM audit_log WHERE seq > %lld ORDER BY seq "
      "LIMIT 1000" },
    { "cc_kn_state",
      "SELECT version, synonyms FROM knowledge_state WHERE id = 1" },
    { "cc_kn_all",
      "SELECT slug, title, body FROM knowledge_documents ORDER BY slug" },
    { "cc_kn_list",
      "SELECT coalesce(json_agg(json_build_object('slug', slug, 'title', "
      "title, 'format', format, 'bytes', octet_length(body), 'updated_at', "
      "updated_at, 'updated_by', updated_by) ORDER BY slug), '[]')::text, "
      "(SELECT version FROM knowledge_state WHERE id = 1) "
      "FROM knowledge_documents" },
    { "cc_kn_get",
      "SELECT json_build_object('slug', slug, 'title', title, 'format', "
      "format, 'body', body, 'bytes', octet_length(body), 'created_at', "
      "created_at, 'updated_at', updated_at, 'updated_by', updated_by)::text "
      "FROM knowledge_documents WHERE slug = %s" },
    { "cc_kn_upsert",
      "INSERT INTO knowledge_documents (slug, title, format, body, "
      "updated_by) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (slug) DO UPDATE "
      "SET title = excluded.title, format = excluded.format, body = "
      "excluded.body, updated_by = excluded.updated_by, updated_at = now() "
      "RETURNING (xmax = 0)::text" },
    { "cc_kn_insert",
      "INSERT INTO knowledge_documents (slug, title, format, body, "
      "updated_by) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (slug) DO NOTHING "
      "RETURNING slug" },
    { "cc_kn_delete", "DELETE FROM knowledge_documents WHERE slug = %s" },
    { "cc_kn_delete_all", "DELETE FROM knowledge_documents" },
    { "cc_kn_bump",
      "UPDATE knowledge_state SET version = version + 1, updated_at = now() "
      "WHERE id = 1 RETURNING version" },
    { "cc_kn_syn_set",
      "UPDATE knowledge_state SET synonyms = %s, version = version + 1, "
      "updated_at = now() WHERE id = 1 RETURNING version" },
    /* A batch of chat turns (mod_concierge_chatlog.c), one statement: the
     * conversations (new or continued) and both messages of every turn, in
     * order.  Chat logs may lose their last fraction of a second if
     * PostgreSQL crashes (asynchronous commit for this statement's own
     * transaction only); bookings, payments and audit entries never do. */
    { "cc_chat_store_batch",
      "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)), "
      "t AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS x(ord int, "
      "hash text, status text, rid text, message text, reply text, mode "
      "text, sources jsonb, timing jsonb, at_us bigint)), "
      "conv AS (INSERT INTO conversations (session_hash, messages, "
      "last_status) SELECT hash, 2 * count(*), (array_agg(nullif(status, '') "
      "ORDER BY ord DESC))[1] FROM t GROUP BY hash ON CONFLICT (session_hash) "
      "DO UPDATE SET messages = conversations.messages + excluded.messages, "
      "last_message_at = now(), last_status = coalesce(excluded.last_status, "
      "conversations.last_status) RETURNING id, session_hash) "
      "INSERT INTO messages (conversation_id, role, body, status, mode, "
      "sources, timing, request_id, created_at) "
      "SELECT conv.id, v.role, v.body, v.status, v.mode, v.sources, v.timing, "
      "t.rid, to_timestamp((t.at_us + v.o) / 1000000.0) "
      "FROM cfg, t JOIN conv ON conv.session_hash = t.hash, LATERAL (VALUES "
      "(0, 'patient', t.message, NULL::text, NULL::text, '[]'::jsonb, "
      "'{}'::jsonb), (1, 'bot', t.reply, nullif(t.status, ''), "
      "nullif(t.mode, ''), t.sources, t.timing)) AS v(o, role, body, status, "
      "mode, sources, timing) ORDER BY t.at_us, t.ord, v.o" },
    { "cc_conv_find",
      "SELECT id FROM conversations WHERE session_hash = %s" },
    { "cc_conv_new",
      "INSERT INTO conversations (session_hash) VALUES (%s) RETURNING id" },
    { "cc_msg_add",
      "INSERT INTO messages (conversation_id, role, body, status, mode, "
      "sources, timing, request_id, author) VALUES (%lld, %s, %s, "
      "nullif(%s, ''), nullif(%s, ''), %s::jsonb, %s::jsonb, %s, "
      "nullif(%s, ''))" },
    { "cc_conv_touch",
      "UPDATE conversations SET last_message_at = now(), messages = "
      "messages + %d, last_status = coalesce(nullif(%s, ''), last_status) "
      "WHERE id = %lld" },
    { "cc_conv_messages",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'role', role, "
      "'body', body, 'status', status, 'sources', sources, 'at', created_at) "
      "ORDER BY id), '[]')::text FROM messages WHERE conversation_id = %lld" },
    { "cc_conv_messages_admin",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'role', role, "
      "'body', body, 'status', status, 'mode', mode, 'sources', sources, "
      "'timing', timing, 'request_id', request_id, 'author', author, 'at', "
      "created_at) ORDER BY id), '[]')::text FROM messages "
      "WHERE conversation_id = %lld" },
    { "cc_conv_get",
      "SELECT json_build_object('id', id, 'status', status, 'last_status', "
      "last_status, 'message_count', messages, 'created_at', created_at, "
      "'last_message_at', last_message_at)::text FROM conversations "
      "WHERE id = %lld" },
    { "cc_conv_list",
      "SELECT coalesce(json_agg(json_build_object('id', c.id, 'status', "
      "c.status, 'last_status', c.last_status, 'message_count', c.messages, "
      "'created_at', c.created_at, 'last_message_at', c.last_message_at, "
      "'first_message', (SELECT left(m.body, 200) FROM messages m WHERE "
      "m.conversation_id = c.id ORDER BY m.id LIMIT 1)) ORDER BY c.id DESC), "
      "'[]')::text, min(c.id) FROM (SELECT * FROM conversations k "
      "WHERE k.id < %lld "
      "AND k.created_at >= (%s::date)::timestamp AT TIME ZONE %s "
      "AND k.created_at < (%s::date + 1)::timestamp AT TIME ZONE %s "
      "AND (%s = '' OR k.status = %s "
      "OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = k.id "
      "AND m.status = %s)) ORDER BY k.id DESC LIMIT %d) c" },
    { "cc_safety_version", "SELECT version FROM safety_state WHERE id = 1" },
    { "cc_safety_bump",
      "UPDATE safety_state SET version = version + 1, updated_at = now() "
      "WHERE id = 1 RETURNING version" },
    { "cc_rules_enabled",
      "SELECT category, lang, kind, pattern FROM risk_rules WHERE enabled "
      "ORDER BY id" },
    { "cc_rules_list",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'category', "
      "category, 'lang', lang, 'kind', kind, 'pattern', pattern, 'enabled', "
      "enabled, 'note', note, 'updated_by', updated_by, 'updated_at', "
      "updated_at) ORDER BY id), '[]')::text, "
      "(SELECT version FROM safety_state WHERE id = 1) FROM risk_rules" },
    { "cc_rule_insert",
      "INSERT INTO risk_rules (category, lang, kind, pattern, enabled, note, "
      "updated_by) VALUES (%s, %s, %s, %s, %s::boolean, %s, %s) RETURNING id" },
    { "cc_rule_update",
      "UPDATE risk_rules SET category = %s, lang = %s, kind = %s, pattern = "
      "%s, enabled = %s::boolean, note = %s, updated_by = %s, updated_at = "
      "now() WHERE id = %lld" },
    { "cc_rule_delete", "DELETE FROM risk_rules WHERE id = %lld" },
    { "cc_esc_conv",
      "INSERT INTO conversations (session_hash, status, messages, "
      "last_status) VALUES (%s, 'escalated', 2, %s) ON CONFLICT "
      "(session_hash) DO UPDATE SET status = 'escalated', messages = "
      "conversations.messages + 2, last_message_at = now(), last_status = "
      "excluded.last_status RETURNING id" },
    { "cc_msg_insert",
      "INSERT INTO messages (conversation_id, role, body, status, mode, "
      "request_id, author) VALUES (%lld, %s, %s, nullif(%s, ''), "
      "nullif(%s, ''), %s, nullif(%s, '')) RETURNING id" },
    { "cc_esc_insert",
      "INSERT INTO escalations (conversation_id, message_id, priority, "
      "categories, matches, source) VALUES (%lld, %lld, %d, %s::text[], "
      "%s::jsonb, %s) RETURNING id, to_char(created_at AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" },
    { "cc_outbox_add",
      "INSERT INTO notification_outbox (escalation_id, channel, event, "
      "payload) VALUES (%lld, %s, %s, %s::jsonb)" },
    { "cc_esc_open_for",
      "SELECT e.id FROM escalations e JOIN conversations c ON c.id = "
      "e.conversation_id WHERE c.session_hash = %s AND e.status <> "
      "'resolved' ORDER BY e.id LIMIT 1" },
    { "cc_conv_add_msgs",
      "UPDATE conversations SET messages = messages + %d, last_message_at = "
      "now() WHERE session_hash = %s RETURNING id" },
    { "cc_conv_add_msgs_id",
      "UPDATE conversations SET messages = messages + %d, last_message_at = "
      "now() WHERE id = %lld" },
    { "cc_esc_merge",
      "UPDATE escalations SET categories = ARRAY(SELECT DISTINCT unnest("
      "categories || %s::text[]) ORDER BY 1), matches = matches || "
      "%s::jsonb WHERE id = %lld" },
    { "cc_esc_list",
      "SELECT coalesce(json_agg(json_build_object('id', e.id, "
      "'conversation_id', e.conversation_id, 'priority', e.priority, "
      "'emergency', e.priority = 1, 'categories', e.categories, 'status', "
      "e.status, 'assigned_to', e.assigned_to, 'source', e.source, "
      "'created_at', e.created_at, 'age_s', floor(extract(epoch FROM now() - "
      "e.created_at)), 'sla_s', %d * 60, 'overdue', e.status <> 'resolved' "
      "AND e.created_at < now() - make_interval(mins => %d), "
      "'first_message', left(m.body, 200)) ORDER BY e.priority, "
      "e.created_at, e.id), '[]')::text FROM (SELECT * FROM escalations "
      "WHERE ((%s = '' AND status <> 'resolved') OR status = %s) "
      "AND (%s = '' OR (status <> 'resolved' AND created_at < now() - "
      "make_interval(mins => %d))) AND (%d = 0 OR priority = %d) "
      "ORDER BY priority, created_at, id LIMIT %d) e "
      "LEFT JOIN messages m ON m.id = e.message_id" },
    { "cc_esc_get",
      "SELECT json_build_object('id', e.id, 'conversation_id', "
      "e.conversation_id, 'priority', e.priority, 'emergency', e.priority = "
      "1, 'categories', e.categories, 'matches', e.matches, 'source', "
      "e.source, 'status', e.status, 'assigned_to', e.assigned_to, "
      "'outcome', e.outcome, 'created_at', e.created_at, 'claimed_at', "
      "e.claimed_at, 'resolved_at', e.resolved_at, 'resolved_by', "
      "e.resolved_by, 'messages', (SELECT coalesce(json_agg(json_build_object("
      "'id', m.id, 'role', m.role, 'body', m.body, 'status', m.status, "
      "'author', m.author, 'at', m.created_at) ORDER BY m.id), '[]') FROM "
      "messages m WHERE m.conversation_id = e.conversation_id))::text "
      "FROM escalations e WHERE e.id = %lld" },
    { "cc_esc_state",
      "SELECT status, coalesce(assigned_to, ''), conversation_id FROM "
      "escalations WHERE id = %lld FOR UPDATE" },
    { "cc_esc_claim",
      "UPDATE escalations SET status = 'claimed', assigned_to = %s, "
      "claimed_at = coalesce(claimed_at, now()) WHERE id = %lld" },
    { "cc_esc_resolve",
      "UPDATE escalations SET status = 'resolved', outcome = %s, "
      "resolved_at = now(), resolved_by = %s WHERE id = %lld" },
    { "cc_conv_reopen",
      "UPDATE conversations SET status = 'open' WHERE id = %lld AND NOT "
      "EXISTS (SELECT 1 FROM escalations WHERE conversation_id = %lld AND "
      "status <> 'resolved')" },
    { "cc_esc_stats",
      "SELECT count(*), count(*) FILTER (WHERE priority = 1), count(*) "
      "FILTER (WHERE created_at < now() - make_interval(mins => %d)) "
      "FROM escalations WHERE status <> 'resolved'" },
    { "cc_user_active",
      "SELECT 1 FROM staff_users WHERE username = %s AND active" },
    { "cc_outbox_claim",
      "UPDATE notification_outbox SET locked_until = now() + interval "
      "'60 seconds', attempts = attempts + 1 WHERE id IN (SELECT id FROM "
      "notification_outbox WHERE delivered_at IS NULL AND next_at <= now() "
      "AND (locked_until IS NULL OR locked_until < now()) ORDER BY id LIMIT "
      "10 FOR UPDATE SKIP LOCKED) RETURNING id, channel, event, "
      "payload::text, attempts" },
    { "cc_outbox_done",
      "UPDATE notification_outbox SET delivered_at = now(), locked_until = "
      "NULL, last_error = NULL WHERE id = %lld" },
    { "cc_outbox_retry",
      "UPDATE notification_outbox SET next_at = now() + make_interval(secs "
      "=> %d), locked_until = NULL, last_error = %s WHERE id = %lld" },
    { "cc_outbox_stats",
      "SELECT count(*), coalesce(floor(extract(epoch FROM now() - "
      "min(created_at))), 0), coalesce((SELECT last_error FROM "
      "notification_outbox WHERE delivered_at IS NULL AND last_error IS NOT "
      "NULL ORDER BY id DESC LIMIT 1), '') FROM notification_outbox WHERE "
      "delivered_at IS NULL" },
    { "cc_audit_count", "SELECT count(*), coalesce(max(seq), 0) FROM audit_log" },
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
    { "cc_cl_services",
      "SELECT coalesce(jsonb_agg(concierge_service_json(id) ORDER BY id), "
      "'[]')::text FROM services" },
    { "cc_cl_service_save",
      "SELECT concierge_service_save(%lld, %s::jsonb, %s, %s)::text" },
    { "cc_cl_practitioners",
      "SELECT coalesce(jsonb_agg(concierge_practitioner_json(id) ORDER BY "
      "id), '[]')::text FROM practitioners" },
    { "cc_cl_practitioner_save",
      "SELECT concierge_practitioner_save(%lld, %s::jsonb, %s, %s)::text" },
    { "cc_cl_hours_save",
      "SELECT concierge_hours_save(%lld, %s::jsonb, %s, %s)::text" },
    { "cc_cl_exceptions",
      "SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY day, id), '[]')::text "
      "FROM schedule_exceptions e WHERE day BETWEEN %s::date AND %s::date" },
    { "cc_cl_exception_add",
      "SELECT concierge_exception_add(%s::jsonb, %s, %s)::text" },
    { "cc_cl_exception_delete",
      "SELECT concierge_exception_delete(%lld, %s, %s)::text" },
    { "cc_cl_settings_save",
      "SELECT concierge_settings_save(%s::jsonb, %s, %s)::text" },
    { "cc_cal_claim",
      "WITH c AS (UPDATE calendar_outbox SET locked_until = now() + interval "
      "'60 seconds', attempts = attempts + 1 WHERE id IN (SELECT id FROM "
      "calendar_outbox WHERE done_at IS NULL AND next_at <= now() AND "
      "(locked_until IS NULL OR locked_until < now()) ORDER BY id LIMIT 10 "
      "FOR UPDATE SKIP LOCKED) RETURNING id, op, calendar_id, attempts, "
      "booking_id, gen) SELECT c.id, c.op, c.calendar_id, c.attempts, "
      "concierge_booking_json(c.booking_id)::text, s.event_salt, "
      "coalesce(c.gen, b.calendar_gen)::text FROM c JOIN bookings b ON b.id "
      "= c.booking_id, calendar_status s WHERE s.id = 1 ORDER BY c.id" },
    { "cc_cal_done",
      "UPDATE calendar_outbox SET done_at = now(), locked_until = NULL, "
      "last_error = NULL WHERE id = %lld" },
    { "cc_cal_retry",
      "UPDATE calendar_outbox SET next_at = now() + make_interval(secs => "
      "%s::int), locked_until = NULL, last_error = %s WHERE id = %lld" },
    { "cc_cal_state",
      "UPDATE calendar_status SET ok = v.ok, last_ok_at = CASE WHEN v.ok THEN "
      "now() ELSE last_ok_at END, last_error = CASE WHEN v.ok THEN last_error "
      "ELSE nullif(v.err, '') END, last_error_at = CASE WHEN v.ok THEN "
      "last_error_at ELSE now() END FROM (SELECT %s::boolean AS ok, %s::text "
      "AS err) v WHERE id = 1" },
    { "cc_cal_health",
      "SELECT json_build_object('status', CASE WHEN s.ok IS NULL THEN "
      "'unknown' WHEN s.ok THEN 'ok' ELSE 'error' END, 'last_ok_at', "
      "s.last_ok_at, 'last_error', s.last_error, 'last_error_at', "
      "s.last_error_at, 'pending', (SELECT count(*) FROM calendar_outbox "
      "WHERE done_at IS NULL), 'retrying', (SELECT count(*) FROM "
      "calendar_outbox WHERE done_at IS NULL AND last_error IS NOT NULL), "
      "'oldest_pending_s', (SELECT coalesce(floor(extract(epoch FROM now() - "
      "min(created_at))), 0) FROM calendar_outbox WHERE done_at IS NULL))"
      "::text FROM calendar_status s WHERE s.id = 1" },
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
    { "cc_audit_seal", "SELECT concierge_audit_seal(%d, %s::boolean)" },
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
};

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close;

int mc_db_ready(void)
{
    if (!dbd_prepare || !dbd_acquire) {
        dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
        dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
        dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
        dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    }
    return dbd_prepare && dbd_acquire && dbd_open && dbd_close;
}

/* Called from post_config (before mod_dbd's) for every server. */
void mc_db_register(apr_pool_t *pconf, server_rec *s)
{
    apr_size_t i;

    for (i = 0; i < sizeof(mc_stmts) / sizeof(mc_stmts[0]); i++) {
        dbd_prepare(s, mc_stmts[i].sql, mc_stmts[i].label);
    }
}

ap_dbd_t *mc_db_acquire(request_rec *r)
{
    ap_dbd_t *dbd = dbd_acquire(r);

    if (!dbd) {
        mc_shm_db_health_set(0);
        apr_table_setn(r->notes, MC_NOTE_DB_FAILED, "1");
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00201)
                      "database unavailable");
    }
    return dbd;
}

ap_dbd_t *mc_db_open(request_rec *r)
{
    ap_dbd_t *dbd = dbd_open(r->pool, r->server);

    if (!dbd) {
        mc_shm_db_health_set(0);
        apr_table_setn(r->notes, MC_NOTE_DB_FAILED, "1");
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00207)
                      "database unavailable");
    }
    return dbd;
}

void mc_db_close(request_rec *r, ap_dbd_t *dbd)
{
    if (dbd) {
        dbd_close(r->server, dbd);
    }
}

/* Where a statement runs: a request, or (r == NULL) a background thread
 * of the server s with its own pool. */
typedef struct mc_dbx {
    request_rec *r;
    server_rec  *s;
    apr_pool_t  *p;
} mc_dbx;

#define DBX_LOG(x, lvl, ...)                                              \
    do {                                                                  \
        if ((x)->r) {                                                     \
            ap_log_rerror(APLOG_MARK, lvl, 0, (x)->r, __VA_ARGS__);      \
        }                                                                 \
        else {                                                            \
            ap_log_error(APLOG_MARK, lvl, 0, (x)->s, __VA_ARGS__);       \
        }                                                                 \
    } while (0)

static apr_dbd_prepared_t *stmt(const mc_dbx *x, ap_dbd_t *dbd,
                                const char *label)
{
    apr_dbd_prepared_t *st = apr_hash_get(dbd->prepared, label,
                                          APR_HASH_KEY_STRING);

    if (!st) {
        DBX_LOG(x, APLOG_ERR, CCLOGNO(00202) "prepared statement %s missing",
                label);
    }
    return st;
}

static void log_db_error(const mc_dbx *x, ap_dbd_t *dbd, const char *label,
                         int rv)
{
    const char *msg = apr_dbd_error(dbd->driver, dbd->handle, rv);

    /* The driver's message can quote values (PHI): only at DEBUG. */
    DBX_LOG(x, APLOG_ERR, CCLOGNO(00203) "statement %s failed (%d)", label,
            rv);
    if (x->r ? APLOGrdebug(x->r) : APLOGdebug(x->s)) {
        DBX_LOG(x, APLOG_DEBUG, CCLOGNO(00204) "statement %s: %s", label,
                msg ? msg : "");
    }
}

static int prepare_all(const mc_dbx *x, ap_dbd_t *dbd)
{
    apr_size_t i;

    for (i = 0; i < sizeof(mc_stmts) / sizeof(mc_stmts[0]); i++) {
        apr_dbd_prepared_t *st = NULL;

        if (apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle,
                            mc_stmts[i].sql, mc_stmts[i].label, &st) != 0) {
            DBX_LOG(x, APLOG_ERR, CCLOGNO(00205) "re-preparing %s failed",
                    mc_stmts[i].label);
            return 0;
        }
        apr_hash_set(dbd->prepared, mc_stmts[i].label, APR_HASH_KEY_STRING,
                     st);
    }
    return 1;
}

/* A statement failed: can this connection be repaired so that the
 * statement is worth one more try?  Two cases, both after PostgreSQL
 * restarted under a pooled connection:
 *   - the connection is dead: reconnect it (PQreset through
 *     apr_dbd_check_conn) and prepare every statement again;
 *   - apr_dbd_pgsql already reconnected it in place, and the new session
 *     has no prepared statements ("prepared statement ... does not exist").
 * Never inside a transaction: its earlier statements are gone too. */
static int recover(const mc_dbx *x, ap_dbd_t *dbd, int rv)
{
    PGconn *pc = apr_dbd_native_handle(dbd->driver, dbd->handle);
    const char *msg;

    if (!pc || PQtransactionStatus(pc) == PQTRANS_INTRANS
        || PQtransactionStatus(pc) == PQTRANS_INERROR) {
        return 0;
    }
    if (PQstatus(pc) == CONNECTION_BAD) {
        if (apr_dbd_check_conn(dbd->driver, x->p, dbd->handle)
            != APR_SUCCESS) {
            return 0;
        }
    }
    else {
        msg = apr_dbd_error(dbd->driver, dbd->handle, rv);
        if (!msg || !strstr(msg, "prepared statement")
            || !strstr(msg, "does not exist")) {
            return 0;
        }
    }
    if (!prepare_all(x, dbd)) {
        return 0;
    }
    DBX_LOG(x, APLOG_WARNING, CCLOGNO(00206) "database session was reset: "
            "statements prepared again");
    return 1;
}

apr_status_t mc_db_select(request_rec *r, ap_dbd_t *dbd, const char *label,
                          apr_dbd_results_t **res, int nargs,
                          const char **args)
{
    mc_dbx x = { r, r->server, r->pool };
    apr_dbd_prepared_t *st = stmt(&x, dbd, label);
    int rv;

    *res = NULL;
    if (!st) {
        return APR_EGENERAL;
    }
    rv = apr_dbd_pselect(dbd->driver, r->pool, dbd->handle, res, st, 1,
                         nargs, args);
    if (rv != 0 && recover(&x, dbd, rv)) {
        st = stmt(&x, dbd, label);
        rv = apr_dbd_pselect(dbd->driver, r->pool, dbd->handle, res, st, 1,
                             nargs, args);
    }
    if (rv != 0) {
        log_db_error(&x, dbd, label, rv);
        apr_table_setn(r->notes, MC_NOTE_DB_FAILED, "1");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t query(const mc_dbx *x, ap_dbd_t *dbd, const char *label,
                          int *nrows, int nargs, const char **args)
{
    apr_dbd_prepared_t *st = stmt(x, dbd, label);
    int n = 0, rv;

    if (!st) {
        return APR_EGENERAL;
    }
    rv = apr_dbd_pquery(dbd->driver, x->p, dbd->handle, &n, st, nargs, args);
    if (rv != 0 && recover(x, dbd, rv)) {
        st = stmt(x, dbd, label);
        rv = apr_dbd_pquery(dbd->driver, x->p, dbd->handle, &n, st, nargs,
                            args);
    }
    if (rv != 0) {
        log_db_error(x, dbd, label, rv);
        return APR_EGENERAL;
    }
    if (nrows) {
        *nrows = n;
    }
    return APR_SUCCESS;
}

apr_status_t mc_db_query(request_rec *r, ap_dbd_t *dbd, const char *label,
                         int *nrows, int nargs, const char **args)
{
    mc_dbx x = { r, r->server, r->pool };

    return query(&x, dbd, label, nrows, nargs, args);
}

ap_dbd_t *mc_db_open_s(server_rec *s, apr_pool_t *p)
{
    return dbd_open(p, s);
}

void mc_db_close_s(server_rec *s, ap_dbd_t *dbd)
{
    if (dbd) {
        dbd_close(s, dbd);
    }
}

apr_status_t mc_db_query_s(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                           const char *label, int *nrows, int nargs,
                           const char **args)
{
    mc_dbx x = { NULL, s, p };

    return query(&x, dbd, label, nrows, nargs, args);
}

const char *mc_db_value(request_rec *r, ap_dbd_t *dbd, apr_dbd_results_t *res,
                        int col)
{
    apr_dbd_row_t *row = NULL;

    if (!res || apr_dbd_get_row(dbd->driver, r->pool, res, &row, 1) != 0) {
        return NULL;
    }
    return apr_dbd_get_entry(dbd->driver, row, col);
}

apr_status_t mc_db_begin(request_rec *r, ap_dbd_t *dbd,
                         apr_dbd_transaction_t **tx)
{
    int rv = apr_dbd_transaction_start(dbd->driver, r->pool, dbd->handle, tx);
    mc_dbx x = { r, r->server, r->pool };

    if (rv != 0) {
        log_db_error(&x, dbd, "BEGIN", rv);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t mc_db_end(request_rec *r, ap_dbd_t *dbd,
                       apr_dbd_transaction_t *tx, int rollback)
{
    mc_dbx x = { r, r->server, r->pool };
    int rv;

    if (rollback) {
        apr_dbd_transaction_mode_set(dbd->driver, tx,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    rv = apr_dbd_transaction_end(dbd->driver, r->pool, tx);
    if (rv != 0) {
        log_db_error(&x, dbd, "COMMIT", rv);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

int mc_db_healthy(request_rec *r, int force, int *cached)
{
    apr_int64_t max_age = mc_config_geti(r->server, MC_CONF_HEALTH_CACHE_MS);
    apr_dbd_results_t *res;
    ap_dbd_t *dbd;
    int ok;

    ok = force ? -1 : mc_shm_db_health_get(max_age * 1000);
    if (ok >= 0) {
        *cached = 1;
        return ok;
    }
    *cached = 0;
    dbd = dbd_acquire(r);
    ok = dbd && mc_db_select(r, dbd, "cc_ping", &res, 0, NULL) == APR_SUCCESS
         && mc_db_value(r, dbd, res, 0) != NULL;
    mc_shm_db_health_set(ok);
    return ok;
}

const char *mc_db_text(request_rec *r, const char *label, int nargs,
                       const char **args, int *dbfail)
{
    ap_dbd_t *dbd = mc_db_acquire(r);
    apr_dbd_results_t *res;

    *dbfail = 1;
    if (!dbd || mc_db_select(r, dbd, label, &res, nargs, args)
                != APR_SUCCESS) {
        return NULL;
    }
    *dbfail = 0;
    return mc_db_value(r, dbd, res, 0);
}

apr_array_header_t *mc_db_rows_s(server_rec *s, apr_pool_t *p,
                                 const char *label, int ncols)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_dbd_prepared_t *st;
    apr_array_header_t *rows;
    ap_dbd_t *dbd = mc_db_open_s(s, p);
    int i;

    if (!dbd) {
        return NULL;
    }
    st = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
    if (!st || apr_dbd_pselect(dbd->driver, p, dbd->handle, &res, st, 1, 0,
                               NULL) != 0) {
        mc_db_close_s(s, dbd);
        return NULL;
    }
    rows = apr_array_make(p, 10, sizeof(const char **));
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        const char **f = apr_palloc(p, (apr_size_t)ncols * sizeof(char *));

        for (i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(dbd->driver, row, i);

            f[i] = apr_pstrdup(p, v ? v : "");
        }
        APR_ARRAY_PUSH(rows, const char **) = f;
    }
    mc_db_close_s(s, dbd);
    return rows;
}

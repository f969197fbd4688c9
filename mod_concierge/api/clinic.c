/*
 * api/clinic.c - the clinic model for staff and admins:
 * services, practitioners, weekly hours, exceptions (holidays, time off)
 * and clinic settings.
 *
 *   GET  /api/admin/services              POST /api/admin/services
 *   PUT  /api/admin/services/{id}         (partial: only the fields sent)
 *   GET  /api/admin/practitioners         POST /api/admin/practitioners
 *   PUT  /api/admin/practitioners/{id}
 *   PUT  /api/admin/practitioners/{id}/hours
 *   GET  /api/admin/exceptions?from=&to=  POST /api/admin/exceptions
 *   DELETE /api/admin/exceptions/{id}
 *   GET  /api/admin/settings              PUT /api/admin/settings
 *
 * Every body is checked against a field table (cc_fields: type, range,
 * unknown fields refused; the same tables are the routes' shapes); the
 * PL/pgSQL functions write, audit and return the row in one statement.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "util_script.h"
#include "cc_json.h"
#include "cc_time.h"
#include "cc_valid.h"

static const cc_field_t service_fields[] = {
    { "name", CC_F_STR, 1, 120, 1, NULL },
    { "aliases", CC_F_STR, 0, 500, 0, NULL },
    { "description", CC_F_STR, 0, 2000, 0, NULL },
    { "duration_min", CC_F_INT, 5, 720, 1, NULL },
    { "price_cents", CC_F_INT, 0, 100000000, 1, NULL },
    { "currency", CC_F_CURRENCY, 3, 3, 0, NULL },
    { "buffer_before_min", CC_F_INT, 0, 240, 0, NULL },
    { "buffer_after_min", CC_F_INT, 0, 240, 0, NULL },
    { "requires_payment", CC_F_BOOL, 0, 0, 0, NULL },
    { "active", CC_F_BOOL, 0, 0, 0, NULL },
    { NULL }
};
static const cc_shape_t service_shape = { "service", service_fields };

static const cc_field_t practitioner_fields[] = {
    { "name", CC_F_STR, 1, 120, 1, NULL },
    { "calendar_id", CC_F_STR_OR_NULL, 1, 300, 0, NULL },
    { "active", CC_F_BOOL, 0, 0, 0, NULL },
    { "service_ids", CC_F_IDS, 0, 200, 0, NULL },
    { NULL }
};
static const cc_shape_t practitioner_shape = { "practitioner",
                                               practitioner_fields };

static const cc_field_t settings_fields[] = {
    { "clinic_name", CC_F_STR, 1, 200, 0, NULL },
    { "slot_step_min", CC_F_INT, 5, 240, 0, NULL },
    { "min_notice_min", CC_F_INT, 0, 43200, 0, NULL },
    { "horizon_days", CC_F_INT, 1, 365, 0, NULL },
    { "cancel_cutoff_min", CC_F_INT, 0, 43200, 0, NULL },
    { "late_cancel", CC_F_ENUM, 0, 0, 0, "refuse|forfeit" },
    { "reschedule_cutoff_min", CC_F_INT, 0, 43200, 0, NULL },
    { "max_reschedules", CC_F_INT, 0, 20, 0, NULL },
    { "payment_hold_min", CC_F_INT, 1, 1440, 0, NULL },
    { NULL }
};
static const cc_shape_t settings_shape = { "settings", settings_fields };

static int list(mc_ctx *c, const char *label, const char *key)
{
    return mc_reply_select(c, label, 0, NULL, key, NULL);
}

/* Save through a sql/functions/clinic.sql function (id 0: create). */
static int save(mc_ctx *c, const char *label, apr_int64_t id,
                const char *what)
{
    request_rec *r = c->r;
    const char *args[4], *t;
    int dbfail;

    args[0] = MC_I64(r->pool, id);
    args[1] = cc_json_dump(r->pool, c->body, NULL);
    args[2] = c->user;
    args[3] = c->rid;
    t = mc_db_text(c->r, label, 4, args, &dbfail);
    if (dbfail) {
        return mc_error_db(c);
    }
    if (!t || !*t) {
        return mc_error(c, 404, "not_found", "no %s with that id", what);
    }
    if (strstr(t, "\"error\": \"unknown_service\"")) {
        return mc_error(c, 422, "unknown_service", "service_ids names a "
                        "service that does not exist");
    }
    return mc_reply_pg(c, id ? 200 : 201, NULL, t);
}

static int mc_api_admin_services(mc_ctx *c)
{
    return list(c, "cc_cl_services", "services");
}

/* POST (create: required fields) or PUT .../{id} (update: only the fields
 * sent), the body checked against fields first. */
static int save_checked(mc_ctx *c, const cc_field_t *fields,
                        const char *label, const char *what)
{
    int create = cc_route_param(&c->params, "id") == NULL;
    apr_int64_t id = create ? 0 : mc_param_id(c, "id");

    if (id < 0 || mc_body_check(c, fields, create) != OK) {
        return OK;
    }
    return save(c, label, id, what);
}

static int mc_api_admin_service_save(mc_ctx *c)
{
    return save_checked(c, service_fields, "cc_cl_service_save", "service");
}

static int mc_api_admin_practitioners(mc_ctx *c)
{
    return list(c, "cc_cl_practitioners", "practitioners");
}

static int mc_api_admin_practitioner_save(mc_ctx *c)
{
    return save_checked(c, practitioner_fields, "cc_cl_practitioner_save",
                        "practitioner");
}

/* "HH:MM" -> minutes; "24:00" allowed only as an end. */
static int parse_hhmm(const char *s, int end, int *min)
{
    if (!s || strlen(s) != 5 || !apr_isdigit(s[0]) || !apr_isdigit(s[1])
        || s[2] != ':' || !apr_isdigit(s[3]) || !apr_isdigit(s[4])) {
        return 0;
    }
    *min = ((s[0] - '0') * 10 + (s[1] - '0')) * 60
           + (s[3] - '0') * 10 + (s[4] - '0');
    if ((s[3] - '0') * 10 + (s[4] - '0') > 59) {
        return 0;
    }
    return end ? *min >= 1 && *min <= 1440 : *min <= 1439;
}

/* PUT /api/admin/practitioners/{id}/hours
 * {"hours": [{"weekday": 0..6 (Monday 0), "start": "09:00", "end": "17:30"}]}
 * replaces the weekly hours; spans of one day must not overlap. */
static int mc_api_admin_hours_put(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    json_t *hours, *rows, *h;
    json_error_t jerr;
    const char *args[4], *t;
    int span[7][8][2], nspan[7] = { 0 };
    size_t i;
    int dbfail, k;

    if (id < 0) {
        return OK;
    }
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s:o}", "hours",
                       &hours) != 0 || !json_is_array(hours)) {
        return mc_error(c, 400, "invalid_body", "expected {\"hours\": "
                        "[{\"weekday\", \"start\", \"end\"}]}");
    }
    if (json_array_size(hours) > 7 * 8) {
        return mc_error(c, 422, "too_many_hours", "at most 8 spans a day");
    }
    rows = cc_json_pool_own(r->pool, json_array());
    json_array_foreach(hours, i, h) {
        json_int_t wd = -1;
        const char *s = NULL, *e = NULL;
        int sm, em;

        if (json_unpack_ex(h, &jerr, JSON_STRICT, "{s:I, s:s, s:s}",
                           "weekday", &wd, "start", &s, "end", &e) != 0
            || wd < 0 || wd > 6 || !parse_hhmm(s, 0, &sm)
            || !parse_hhmm(e, 1, &em) || em <= sm) {
            return mc_error(c, 422, "invalid_hours", "hours[%" APR_SIZE_T_FMT
                            "]: weekday 0 (Monday)..6, start and end as "
                            "HH:MM, end after start", i);
        }
        for (k = 0; k < nspan[wd]; k++) {
            if (sm < span[wd][k][1] && span[wd][k][0] < em) {
                return mc_error(c, 422, "overlapping_hours", "hours[%"
                                APR_SIZE_T_FMT "] overlaps another span of "
                                "the same day", i);
            }
        }
        if (nspan[wd] >= 8) {
            return mc_error(c, 422, "too_many_hours", "at most 8 spans a "
                            "day");
        }
        span[wd][nspan[wd]][0] = sm;
        span[wd][nspan[wd]][1] = em;
        nspan[wd]++;
        json_array_append_new(rows, json_pack("[I, i, i]", wd, sm, em));
    }
    args[0] = MC_I64(r->pool, id);
    args[1] = cc_json_dump(r->pool, rows, NULL);
    args[2] = c->user;
    args[3] = c->rid;
    t = mc_db_text(c->r, "cc_cl_hours_save", 4, args, &dbfail);
    if (dbfail) {
        return mc_error_db(c);
    }
    if (!t || !*t) {
        return mc_error(c, 404, "not_found", "no practitioner with that id");
    }
    return mc_reply_pg(c, 200, NULL, t);
}

/* GET /api/admin/exceptions?from=&to= (default: the next 365 days). */
static int mc_api_admin_exceptions(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_table_t *q = NULL;
    const char *from, *to, *args[2];
    int64_t d;

    ap_args_to_table(r, &q);
    from = q ? apr_table_get(q, "from") : NULL;
    to = q ? apr_table_get(q, "to") : NULL;
    if ((from && !cc_date_parse(from, &d)) || (to && !cc_date_parse(to, &d))) {
        return mc_error(c, 400, "invalid_parameter", "from and to are dates "
                        "YYYY-MM-DD");
    }
    args[0] = from ? from : "-infinity";
    args[1] = to ? to : "infinity";
    return mc_reply_select(c, "cc_cl_exceptions", 2, args, "exceptions",
                           NULL);
}

/* POST /api/admin/exceptions {"practitioner_id"?: id|null (null: the
 * whole clinic), "date": "YYYY-MM-DD", "closed": bool, "start"?: "HH:MM",
 * "end"?: "HH:MM" (default the whole day), "note"?} */
static int mc_api_admin_exception_create(mc_ctx *c)
{
    request_rec *r = c->r;
    json_t *pract = NULL;
    const char *date = NULL, *s = NULL, *e = NULL, *note = "", *args[3], *t;
    int closed = 1, sm = 0, em = 1440, dbfail;
    json_error_t jerr;
    int64_t day;
    json_t *row;

    if (json_unpack_ex(c->body, &jerr, JSON_STRICT,
                       "{s?o, s:s, s:b, s?s, s?s, s?s}",
                       "practitioner_id", &pract, "date", &date,
                       "closed", &closed, "start", &s, "end", &e,
                       "note", &note) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"practitioner_id"
                        "\"?, \"date\", \"closed\", \"start\"?, \"end\"?, "
                        "\"note\"?}: %s", jerr.text);
    }
    if (pract && !json_is_null(pract)
        && (!json_is_integer(pract) || json_integer_value(pract) < 1)) {
        return mc_error(c, 422, "invalid_practitioner_id", "practitioner_id "
                        "is a positive id or null (the whole clinic)");
    }
    if (!cc_date_parse(date, &day)) {
        return mc_error(c, 422, "invalid_date", "date must be YYYY-MM-DD");
    }
    if ((s && !parse_hhmm(s, 0, &sm)) || (e && !parse_hhmm(e, 1, &em))
        || em <= sm) {
        return mc_error(c, 422, "invalid_time", "start and end as HH:MM, end "
                        "after start");
    }
    if (cc_utf8_chars(note) > 500 || (*note && !cc_name_valid(note, 500))) {
        return mc_error(c, 422, "invalid_note", "note: at most 500 "
                        "characters, no control characters");
    }
    row = cc_json_pool_own(r->pool, json_pack(
        "{s:O?, s:s, s:b, s:i, s:i, s:s}", "practitioner_id",
        pract && !json_is_null(pract) ? pract : NULL, "date", date,
        "closed", closed, "start_min", sm, "end_min", em, "note", note));
    args[0] = cc_json_dump(r->pool, row, NULL);
    args[1] = c->user;
    args[2] = c->rid;
    t = mc_db_text(c->r, "cc_cl_exception_add", 3, args, &dbfail);
    if (dbfail || !t) {
        return mc_error_db(c);
    }
    if (strstr(t, "unknown_practitioner")) {
        return mc_error(c, 422, "unknown_practitioner", "no practitioner "
                        "with that id");
    }
    return mc_reply_pg(c, 201, NULL, t);
}

static int mc_api_admin_exception_delete(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *args[3], *t;
    int dbfail;

    if (id < 0) {
        return OK;
    }
    args[0] = MC_I64(r->pool, id);
    args[1] = c->user;
    args[2] = c->rid;
    t = mc_db_text(c->r, "cc_cl_exception_delete", 3, args, &dbfail);
    if (dbfail || !t) {
        return mc_error_db(c);
    }
    if (strcmp(t, "true")) {
        return mc_error(c, 404, "not_found", "no exception with that id");
    }
    return mc_reply(c, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id,
                                      "deleted", 1));
}

static int mc_api_admin_settings_get(mc_ctx *c)
{
    return mc_reply_select(c, "cc_bk_settings", 0, NULL, NULL, NULL);
}

static int mc_api_admin_settings_put(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[3], *t;
    int dbfail;

    if (mc_body_check(c, settings_fields, 0) != OK) {
        return OK;
    }
    args[0] = cc_json_dump(r->pool, c->body, NULL);
    args[1] = c->user;
    args[2] = c->rid;
    t = mc_db_text(c->r, "cc_cl_settings_save", 3, args, &dbfail);
    if (dbfail || !t) {
        return mc_error_db(c);
    }
    return mc_reply_pg(c, 200, NULL, t);
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "GET", "/api/admin/services", mc_api_admin_services, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Services, active or not",
      NULL, MC_SHAPE("service_list") },
    { "POST", "/api/admin/services", mc_api_admin_service_save, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 8 * KB, MC_BODY_JSON,
      "Add a service",
      &service_shape, &service_shape },
    { "PUT", "/api/admin/services/{id}", mc_api_admin_service_save,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB, MC_BODY_JSON,
      "Change a service (only the fields sent)",
      &service_shape, &service_shape },
    { "GET", "/api/admin/practitioners", mc_api_admin_practitioners,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Practitioners with their services and hours",
      NULL, MC_SHAPE("practitioner_list") },
    { "POST", "/api/admin/practitioners", mc_api_admin_practitioner_save,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB, MC_BODY_JSON,
      "Add a practitioner",
      &practitioner_shape, &practitioner_shape },
    { "PUT", "/api/admin/practitioners/{id}", mc_api_admin_practitioner_save,
      MC_ROLE_ADMIN, MC_RL_ADMIN, 8 * KB, MC_BODY_JSON,
      "Change a practitioner (only the fields sent)",
      &practitioner_shape, &practitioner_shape },
    { "PUT", "/api/admin/practitioners/{id}/hours", mc_api_admin_hours_put,
      MC_ROLE_STAFF, MC_RL_ADMIN, 8 * KB, MC_BODY_JSON,
      "Replace a practitioner's weekly hours",
      MC_SHAPE("weekly_hours"), &practitioner_shape },
    { "GET", "/api/admin/exceptions", mc_api_admin_exceptions, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Closures and time off in a date range",
      NULL, MC_SHAPE("exception_list") },
    { "POST", "/api/admin/exceptions", mc_api_admin_exception_create,
      MC_ROLE_STAFF, MC_RL_ADMIN, 4 * KB, MC_BODY_JSON,
      "Add a closure or time off",
      MC_SHAPE("exception"), MC_SHAPE("exception") },
    { "DELETE", "/api/admin/exceptions/{id}", mc_api_admin_exception_delete,
      MC_ROLE_STAFF, MC_RL_ADMIN, 0, MC_BODY_JSON,
      "Remove a closure or time off",
      NULL, MC_SHAPE("deleted") },
    { "GET", "/api/admin/settings", mc_api_admin_settings_get, MC_ROLE_STAFF,
      MC_RL_ADMIN, 0, MC_BODY_JSON,
      "The clinic's booking settings",
      NULL, &settings_shape },
    { "PUT", "/api/admin/settings", mc_api_admin_settings_put, MC_ROLE_ADMIN,
      MC_RL_ADMIN, 4 * KB, MC_BODY_JSON,
      "Change the booking settings (only the fields sent)",
      &settings_shape, &settings_shape },
    { NULL }
};

static const mc_stmt stmts[] = {
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
    { NULL, NULL }
};
MC_RESOURCE(clinic, routes, stmts);

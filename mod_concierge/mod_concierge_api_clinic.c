/*
 * mod_concierge_api_clinic.c - the clinic model for staff and admins:
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
 * Every body is checked here against a field table (type, range, unknown
 * fields refused); the sql/006 functions write, audit and return the row
 * in one statement.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge.h"
#include "util_script.h"
#include "cc_json.h"
#include "cc_time.h"
#include "cc_valid.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

typedef enum { F_STR, F_INT, F_BOOL, F_CURRENCY, F_STR_OR_NULL, F_IDS,
               F_ENUM } ftype;

typedef struct fspec {
    const char *name;
    ftype       type;
    apr_int64_t min, max;     /* F_STR: characters; F_INT: value; F_IDS:
                                 count */
    int         required;     /* on create */
    const char *values;       /* F_ENUM: "a|b" */
} fspec;

static const fspec service_fields[] = {
    { "name", F_STR, 1, 120, 1, NULL },
    { "aliases", F_STR, 0, 500, 0, NULL },
    { "description", F_STR, 0, 2000, 0, NULL },
    { "duration_min", F_INT, 5, 720, 1, NULL },
    { "price_cents", F_INT, 0, 100000000, 1, NULL },
    { "currency", F_CURRENCY, 3, 3, 0, NULL },
    { "buffer_before_min", F_INT, 0, 240, 0, NULL },
    { "buffer_after_min", F_INT, 0, 240, 0, NULL },
    { "requires_payment", F_BOOL, 0, 0, 0, NULL },
    { "active", F_BOOL, 0, 0, 0, NULL },
    { NULL }
};

static const fspec practitioner_fields[] = {
    { "name", F_STR, 1, 120, 1, NULL },
    { "calendar_id", F_STR_OR_NULL, 1, 300, 0, NULL },
    { "active", F_BOOL, 0, 0, 0, NULL },
    { "service_ids", F_IDS, 0, 200, 0, NULL },
    { NULL }
};

static const fspec settings_fields[] = {
    { "clinic_name", F_STR, 1, 200, 0, NULL },
    { "slot_step_min", F_INT, 5, 240, 0, NULL },
    { "min_notice_min", F_INT, 0, 43200, 0, NULL },
    { "horizon_days", F_INT, 1, 365, 0, NULL },
    { "cancel_cutoff_min", F_INT, 0, 43200, 0, NULL },
    { "late_cancel", F_ENUM, 0, 0, 0, "refuse|forfeit" },
    { "reschedule_cutoff_min", F_INT, 0, 43200, 0, NULL },
    { "max_reschedules", F_INT, 0, 20, 0, NULL },
    { "payment_hold_min", F_INT, 1, 1440, 0, NULL },
    { NULL }
};

static int in_enum(const char *v, const char *values)
{
    size_t n = strlen(v);
    const char *p = values;

    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == n && !strncmp(p, v, n)) {
            return 1;
        }
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* Check body against spec; create: required fields must be there.
 * Returns OK, or DONE after answering. */
static int check_fields(mc_ctx *c, const fspec *spec, int create)
{
    const char *key;
    json_t *v;
    int i;

    if (!json_is_object(c->body)) {
        return mc_error(c, 400, "invalid_body", "expected a JSON object"),
               DONE;
    }
    json_object_foreach(c->body, key, v) {
        for (i = 0; spec[i].name && strcmp(spec[i].name, key); i++) {
        }
        if (!spec[i].name) {
            return mc_error(c, 400, "unknown_field", "unknown field '%.64s'",
                            key), DONE;
        }
    }
    for (i = 0; spec[i].name; i++) {
        const fspec *f = &spec[i];
        const char *s;
        apr_int64_t n;
        int ok = 1;

        v = json_object_get(c->body, f->name);
        if (!v) {
            if (create && f->required) {
                return mc_error(c, 422, "missing_field", "'%s' is required",
                                f->name), DONE;
            }
            continue;
        }
        switch (f->type) {
        case F_STR_OR_NULL:
            if (json_is_null(v)) {
                break;
            }
            /* fall through */
        case F_STR:
            s = json_string_value(v);
            ok = s && cc_utf8_chars(s) >= (apr_size_t)f->min
                 && cc_utf8_chars(s) <= (apr_size_t)f->max
                 && (!*s || cc_name_valid(s, (size_t)f->max));
            break;
        case F_ENUM:
            s = json_string_value(v);
            ok = s && in_enum(s, f->values);
            break;
        case F_CURRENCY:
            s = json_string_value(v);
            ok = s && strlen(s) == 3 && apr_isupper(s[0]) && apr_isupper(s[1])
                 && apr_isupper(s[2]);
            break;
        case F_INT:
            n = json_integer_value(v);
            ok = json_is_integer(v) && n >= f->min && n <= f->max;
            break;
        case F_BOOL:
            ok = json_is_boolean(v);
            break;
        case F_IDS: {
            size_t k;
            json_t *e;

            ok = json_is_array(v)
                 && json_array_size(v) <= (size_t)f->max;
            json_array_foreach(v, k, e) {
                if (!json_is_integer(e) || json_integer_value(e) < 1) {
                    ok = 0;
                }
            }
            break;
        }
        }
        if (!ok) {
            return mc_error(c, 422, apr_pstrcat(c->r->pool, "invalid_",
                                                f->name, NULL),
                            "'%s' has the wrong type or is out of range",
                            f->name), DONE;
        }
    }
    return OK;
}

static int reply_text(mc_ctx *c, int status, const char *key,
                      const char *text)
{
    json_error_t jerr;
    json_t *j = text ? json_loads(text, 0, &jerr) : NULL;

    if (!j) {
        return mc_error(c, 500, "internal_error", "unreadable result");
    }
    if (!key) {
        return mc_reply(c, status, j);
    }
    return mc_reply(c, status, json_pack("{s:o}", key, j));
}

static int list(mc_ctx *c, const char *label, const char *key)
{
    int dbfail;
    const char *t = mc_db_text(c->r, label, 0, NULL, &dbfail);

    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "the database is "
                        "unavailable");
    }
    return reply_text(c, 200, key, t);
}

/* Save through a sql/006 function (id 0: create). */
static int save(mc_ctx *c, const char *label, apr_int64_t id,
                const char *what)
{
    request_rec *r = c->r;
    const char *args[4], *t;
    int dbfail;

    args[0] = I64(r->pool, id);
    args[1] = cc_json_dump(r->pool, c->body, NULL);
    args[2] = c->user;
    args[3] = c->rid;
    t = mc_db_text(c->r, label, 4, args, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "nothing was saved: the "
                        "database is unavailable");
    }
    if (!t || !*t) {
        return mc_error(c, 404, "not_found", "no %s with that id", what);
    }
    if (strstr(t, "\"error\": \"unknown_service\"")) {
        return mc_error(c, 422, "unknown_service", "service_ids names a "
                        "service that does not exist");
    }
    return reply_text(c, id ? 200 : 201, NULL, t);
}

int mc_api_admin_services(mc_ctx *c)
{
    return list(c, "cc_cl_services", "services");
}

int mc_api_admin_service_create(mc_ctx *c)
{
    return check_fields(c, service_fields, 1) == OK
           ? save(c, "cc_cl_service_save", 0, "service") : OK;
}

int mc_api_admin_service_update(mc_ctx *c)
{
    apr_int64_t id = mc_param_id(c, "id");

    if (id < 0) {
        return OK;
    }
    return check_fields(c, service_fields, 0) == OK
           ? save(c, "cc_cl_service_save", id, "service") : OK;
}

int mc_api_admin_practitioners(mc_ctx *c)
{
    return list(c, "cc_cl_practitioners", "practitioners");
}

int mc_api_admin_practitioner_create(mc_ctx *c)
{
    return check_fields(c, practitioner_fields, 1) == OK
           ? save(c, "cc_cl_practitioner_save", 0, "practitioner") : OK;
}

int mc_api_admin_practitioner_update(mc_ctx *c)
{
    apr_int64_t id = mc_param_id(c, "id");

    if (id < 0) {
        return OK;
    }
    return check_fields(c, practitioner_fields, 0) == OK
           ? save(c, "cc_cl_practitioner_save", id, "practitioner") : OK;
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
int mc_api_admin_hours_put(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    json_t *hours, *rows, *h;
    json_error_t jerr;
    const char *args[4], *t;
    int span[7][64][2], nspan[7] = { 0 };
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
    args[0] = I64(r->pool, id);
    args[1] = cc_json_dump(r->pool, rows, NULL);
    args[2] = c->user;
    args[3] = c->rid;
    t = mc_db_text(c->r, "cc_cl_hours_save", 4, args, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "nothing was saved");
    }
    if (!t || !*t) {
        return mc_error(c, 404, "not_found", "no practitioner with that id");
    }
    return reply_text(c, 200, NULL, t);
}

/* GET /api/admin/exceptions?from=&to= (default: the next 365 days). */
int mc_api_admin_exceptions(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_table_t *q = NULL;
    const char *from, *to, *args[2], *t;
    int64_t d;
    int dbfail;

    ap_args_to_table(r, &q);
    from = q ? apr_table_get(q, "from") : NULL;
    to = q ? apr_table_get(q, "to") : NULL;
    if ((from && !cc_date_parse(from, &d)) || (to && !cc_date_parse(to, &d))) {
        return mc_error(c, 400, "invalid_parameter", "from and to are dates "
                        "YYYY-MM-DD");
    }
    args[0] = from ? from : "-infinity";
    args[1] = to ? to : "infinity";
    t = mc_db_text(c->r, "cc_cl_exceptions", 2, args, &dbfail);
    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "the database is "
                        "unavailable");
    }
    return reply_text(c, 200, "exceptions", t);
}

/* POST /api/admin/exceptions {"practitioner_id"?: id|null (null: the
 * whole clinic), "date": "YYYY-MM-DD", "closed": bool, "start"?: "HH:MM",
 * "end"?: "HH:MM" (default the whole day), "note"?} */
int mc_api_admin_exception_create(mc_ctx *c)
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
        return mc_error(c, 503, "db_unavailable", "nothing was saved");
    }
    if (strstr(t, "unknown_practitioner")) {
        return mc_error(c, 422, "unknown_practitioner", "no practitioner "
                        "with that id");
    }
    return reply_text(c, 201, NULL, t);
}

int mc_api_admin_exception_delete(mc_ctx *c)
{
    request_rec *r = c->r;
    apr_int64_t id = mc_param_id(c, "id");
    const char *args[3], *t;
    int dbfail;

    if (id < 0) {
        return OK;
    }
    args[0] = I64(r->pool, id);
    args[1] = c->user;
    args[2] = c->rid;
    t = mc_db_text(c->r, "cc_cl_exception_delete", 3, args, &dbfail);
    if (dbfail || !t) {
        return mc_error(c, 503, "db_unavailable", "nothing was deleted");
    }
    if (strcmp(t, "true")) {
        return mc_error(c, 404, "not_found", "no exception with that id");
    }
    return mc_reply(c, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id,
                                      "deleted", 1));
}

int mc_api_admin_settings_get(mc_ctx *c)
{
    int dbfail;
    const char *t = mc_db_text(c->r, "cc_bk_settings", 0, NULL, &dbfail);

    if (dbfail) {
        return mc_error(c, 503, "db_unavailable", "the database is "
                        "unavailable");
    }
    return reply_text(c, 200, NULL, t);
}

int mc_api_admin_settings_put(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *args[3], *t;
    int dbfail;

    if (check_fields(c, settings_fields, 0) != OK) {
        return OK;
    }
    args[0] = cc_json_dump(r->pool, c->body, NULL);
    args[1] = c->user;
    args[2] = c->rid;
    t = mc_db_text(c->r, "cc_cl_settings_save", 3, args, &dbfail);
    if (dbfail || !t) {
        return mc_error(c, 503, "db_unavailable", "nothing was saved");
    }
    return reply_text(c, 200, NULL, t);
}

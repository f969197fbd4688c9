/*
 * cc_clinic.c - see cc_clinic.h.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_clinic.h"
#include "cc_json.h"

typedef struct cl_pract {
    apr_int64_t     id;
    const char     *calendar;       /* NULL: none */
    apr_int64_t    *services;
    int             nservices;
    cc_hours_t     *hours;
    int             nhours;
    cc_exception_t *exc;
    int             nexc;
} cl_pract;

struct cc_clinic_t {
    apr_int64_t  version;
    json_t      *root;          /* services (by id text) and settings */
    cl_pract    *pract;
    int          npract;
};

/* ---- the model ------------------------------------------------------------ */

static apr_int64_t jint(const json_t *o, const char *k)
{
    return (apr_int64_t)json_integer_value(json_object_get(o, k));
}

/* The integer at a[i] within [lo, hi], into *v; 0 when it is not. */
static int int_at(const json_t *a, size_t i, apr_int64_t lo, apr_int64_t hi,
                  apr_int64_t *v)
{
    const json_t *e = json_array_get(a, i);

    if (!json_is_integer(e)) {
        return 0;
    }
    *v = (apr_int64_t)json_integer_value(e);
    return *v >= lo && *v <= hi;
}

static int service_ok(const json_t *sv)
{
    static const char *const keys[] = { "duration_min", "buffer_before_min",
                                        "buffer_after_min" };
    size_t i;

    if (!json_is_object(sv)) {
        return 0;
    }
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *v = json_object_get(sv, keys[i]);

        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            return 0;
        }
    }
    return 1;
}

static int hours_parse(apr_pool_t *p, const json_t *hours, cl_pract *b)
{
    size_t k;

    if (!json_is_array(hours)) {
        return 0;
    }
    b->nhours = (int)json_array_size(hours);
    b->hours = apr_pcalloc(p, sizeof(cc_hours_t) * (size_t)(b->nhours + 1));
    for (k = 0; k < json_array_size(hours); k++) {
        const json_t *v = json_array_get(hours, k);
        apr_int64_t wd, s, e;

        if (!json_is_array(v) || json_array_size(v) != 3
            || !int_at(v, 0, 0, 6, &wd) || !int_at(v, 1, 0, 1439, &s)
            || !int_at(v, 2, s + 1, 1440, &e)) {
            return 0;
        }
        b->hours[k].weekday = (int)wd;
        b->hours[k].start_min = (int)s;
        b->hours[k].end_min = (int)e;
    }
    return 1;
}

static int exceptions_parse(apr_pool_t *p, const json_t *exc, cl_pract *b)
{
    size_t k;

    if (!json_is_array(exc)) {
        return 0;
    }
    b->nexc = (int)json_array_size(exc);
    b->exc = apr_pcalloc(p, sizeof(cc_exception_t) * (size_t)(b->nexc + 1));
    for (k = 0; k < json_array_size(exc); k++) {
        const json_t *v = json_array_get(exc, k);
        cc_exception_t *e = &b->exc[k];
        apr_int64_t day, s, end;

        if (!json_is_array(v) || json_array_size(v) != 4
            || !int_at(v, 0, -1000000, 1000000, &day)
            || !json_is_boolean(json_array_get(v, 1))
            || !int_at(v, 2, 0, 1439, &s)
            || !int_at(v, 3, s + 1, 1440, &end)) {
            return 0;
        }
        e->date = day;
        e->closed = json_is_true(json_array_get(v, 1));
        e->start_min = (int)s;
        e->end_min = (int)end;
        if (e->closed && e->start_min == 0 && e->end_min == 1440) {
            e->end_min = 0;         /* cc_slots: the whole day */
        }
    }
    return 1;
}

static int pract_parse(apr_pool_t *p, const json_t *pr, cl_pract *b)
{
    const json_t *sv = json_object_get(pr, "services");
    const json_t *cal = json_object_get(pr, "calendar_id");
    const json_t *id = json_object_get(pr, "id");
    size_t k;

    if (!json_is_object(pr) || !json_is_integer(id)
        || json_integer_value(id) < 1 || !json_is_array(sv)
        || (cal && !json_is_null(cal) && !json_is_string(cal))) {
        return 0;
    }
    b->id = (apr_int64_t)json_integer_value(id);
    b->calendar = json_string_value(cal);
    b->nservices = (int)json_array_size(sv);
    b->services = apr_pcalloc(p, sizeof(apr_int64_t)
                                 * (size_t)(b->nservices + 1));
    for (k = 0; k < json_array_size(sv); k++) {
        if (!int_at(sv, k, 1, APR_INT64_MAX, &b->services[k])) {
            return 0;
        }
    }
    return hours_parse(p, json_object_get(pr, "hours"), b)
           && exceptions_parse(p, json_object_get(pr, "exceptions"), b);
}

apr_status_t cc_clinic_parse(cc_clinic_t **out, apr_pool_t *p,
                             const char *text, size_t len,
                             cc_problem_t *prob)
{
    json_error_t jerr;
    json_t *root = text ? cc_json_pool_own(p, json_loadb(text, len,
                              JSON_REJECT_DUPLICATES, &jerr)) : NULL;
    const json_t *prs, *svs, *sv, *pr;
    const char *key;
    cc_clinic_t *m;
    size_t i;

    *out = NULL;
    if (!root) {
        cc_problem_set(prob, 500, "invalid_model", "the clinic model is not "
                       "JSON");
        return APR_EINVAL;
    }
    prs = json_object_get(root, "practitioners");
    svs = json_object_get(root, "services");
    if (!json_is_object(root) || !json_is_object(json_object_get(root,
                                                                 "settings"))
        || !json_is_integer(json_object_get(root, "version"))
        || !json_is_array(prs) || !json_is_object(svs)) {
        cc_problem_set(prob, 500, "invalid_model", "the clinic model lacks "
                       "its version, settings, services or practitioners");
        return APR_EINVAL;
    }
    json_object_foreach((json_t *)svs, key, sv) {
        if (!service_ok(sv)) {
            cc_problem_set(prob, 500, "invalid_model", "service %.40s is not "
                           "valid", key);
            return APR_EINVAL;
        }
    }
    m = apr_pcalloc(p, sizeof(*m));
    m->root = root;
    m->version = jint(root, "version");
    m->npract = (int)json_array_size(prs);
    m->pract = apr_pcalloc(p, sizeof(cl_pract) * (size_t)(m->npract + 1));
    json_array_foreach(prs, i, pr) {
        if (!pract_parse(p, pr, &m->pract[i])) {
            cc_problem_set(prob, 500, "invalid_model", "practitioner %d of "
                           "the clinic model is not valid", (int)i);
            return APR_EINVAL;
        }
    }
    *out = m;
    return APR_SUCCESS;
}

apr_int64_t cc_clinic_version(const cc_clinic_t *m)
{
    return m->version;
}

json_t *cc_clinic_service(const cc_clinic_t *m, apr_int64_t id)
{
    char key[24];
    json_t *sv;

    apr_snprintf(key, sizeof(key), "%" APR_INT64_T_FMT, id);
    sv = json_object_get(json_object_get(m->root, "services"), key);
    return json_is_object(sv) ? sv : NULL;
}

json_t *cc_clinic_settings(const cc_clinic_t *m)
{
    return json_object_get(m->root, "settings");
}

const cc_hours_sched_t *cc_clinic_schedules(const cc_clinic_t *m,
                                            apr_pool_t *p, int *n)
{
    cc_hours_sched_t *s = apr_pcalloc(p, sizeof(*s)
                                         * (size_t)(m->npract + 1));
    int i;

    for (i = 0; i < m->npract; i++) {
        s[i].hours = m->pract[i].hours;
        s[i].nhours = m->pract[i].nhours;
        s[i].exceptions = m->pract[i].exc;
        s[i].nexceptions = m->pract[i].nexc;
    }
    *n = m->npract;
    return s;
}

const char *cc_clinic_name(const cc_clinic_t *m)
{
    return json_string_value(json_object_get(cc_clinic_settings(m),
                                             "clinic_name"));
}

/* ---- availability ------------------------------------------------------- */

static int has_service(const cl_pract *p, apr_int64_t service)
{
    int i;

    for (i = 0; i < p->nservices; i++) {
        if (p->services[i] == service) {
            return 1;
        }
    }
    return 0;
}

static int asked(const cl_pract *pr, apr_int64_t service, apr_int64_t pract)
{
    return (!pract || pr->id == pract) && has_service(pr, service);
}

apr_status_t cc_clinic_calendars(const char ***cals, int *n, apr_pool_t *p,
                                 const cc_clinic_t *m, apr_int64_t service,
                                 apr_int64_t pract)
{
    int i;

    *n = 0;
    *cals = apr_pcalloc(p, sizeof(char *) * (size_t)(m->npract + 1));
    if (!cc_clinic_service(m, service)) {
        return APR_SUCCESS;
    }
    for (i = 0; i < m->npract; i++) {
        if (asked(&m->pract[i], service, pract) && m->pract[i].calendar) {
            (*cals)[(*n)++] = m->pract[i].calendar;
        }
    }
    return APR_SUCCESS;
}

apr_array_header_t *cc_clinic_busy_minus(apr_pool_t *p,
                                         const apr_array_header_t *busy,
                                         int64_t s, int64_t e)
{
    apr_array_header_t *out = apr_array_make(p, busy ? busy->nelts + 1 : 1,
                                             sizeof(cc_interval_t));
    int i;

    for (i = 0; busy && i < busy->nelts; i++) {
        cc_interval_t iv = APR_ARRAY_IDX(busy, i, cc_interval_t), part;

        if (iv.end <= s || iv.start >= e) {
            *(cc_interval_t *)apr_array_push(out) = iv;
            continue;
        }
        if (iv.start < s) {
            part.start = iv.start;
            part.end = s;
            *(cc_interval_t *)apr_array_push(out) = part;
        }
        if (iv.end > e) {
            part.start = e;
            part.end = iv.end;
            *(cc_interval_t *)apr_array_push(out) = part;
        }
    }
    return out;
}

/* The intervals of practitioner pid in "pid start end ..." text, appended
 * to busy. */
static void busy_of(apr_array_header_t *busy, const char *text,
                    apr_int64_t pid)
{
    const char *p;

    for (p = text ? text : ""; *p; ) {
        char *end;
        apr_int64_t who = apr_strtoi64(p, &end, 10);
        cc_interval_t iv;

        if (end == p) {
            break;
        }
        iv.start = apr_strtoi64(end, &end, 10);
        iv.end = apr_strtoi64(end, &end, 10);
        p = end;
        if (who == pid) {
            *(cc_interval_t *)apr_array_push(busy) = iv;
        }
    }
}

static int slot_cmp(const void *a, const void *b)
{
    const cc_clinic_slot_t *x = a, *y = b;

    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    return (x->practitioner > y->practitioner)
           - (x->practitioner < y->practitioner);
}

static void query_for(cc_slot_query_t *sq, const cc_clinic_query_t *q,
                      const json_t *service, const json_t *settings,
                      const cl_pract *pr, const apr_array_header_t *busy)
{
    memset(sq, 0, sizeof(*sq));
    sq->tz = q->tz;
    sq->now = q->now;
    sq->from_date = q->from_date;
    sq->days = q->days;
    sq->duration_min = (int)jint(service, "duration_min");
    sq->buffer_before_min = (int)jint(service, "buffer_before_min");
    sq->buffer_after_min = (int)jint(service, "buffer_after_min");
    sq->step_min = (int)jint(settings, "slot_step_min");
    sq->min_notice_min = (int)jint(settings, "min_notice_min");
    sq->horizon_days = (int)jint(settings, "horizon_days");
    sq->hours = pr->hours;
    sq->nhours = pr->nhours;
    sq->exceptions = pr->exc;
    sq->nexceptions = pr->nexc;
    sq->busy = (const cc_interval_t *)busy->elts;
    sq->nbusy = busy->nelts;
}

apr_status_t cc_clinic_available(cc_clinic_avail_t *out, apr_pool_t *p,
                                 const cc_clinic_t *m,
                                 const cc_clinic_query_t *q,
                                 cc_problem_t *prob)
{
    const json_t *service = cc_clinic_service(m, q->service);
    const json_t *settings = cc_clinic_settings(m);
    int i, ncal = 0, nsorted = 0;

    memset(out, 0, sizeof(*out));
    out->slots = apr_array_make(p, 64, sizeof(cc_clinic_slot_t));
    out->unavailable = cc_json_pool_own(p, json_array());
    if (!service) {
        cc_problem_set(prob, 404, "unknown_service", "no active service "
                       "with that id");
        return APR_EINVAL;
    }
    for (i = 0; i < m->npract; i++) {
        const cl_pract *pr = &m->pract[i];
        const apr_array_header_t *calbusy = NULL, *sl;
        apr_array_header_t *busy;
        cc_slot_query_t sq;
        int j;

        if (!asked(pr, q->service, q->practitioner)) {
            continue;
        }
        out->npract++;
        if (pr->calendar) {
            int k = ncal++;

            if (!q->calok || !q->calok[k]) {
                /* Unknown availability: this practitioner is not offered. */
                json_array_append_new(out->unavailable,
                                      json_integer(pr->id));
                continue;
            }
            calbusy = q->calbusy ? q->calbusy[k] : NULL;
            if (q->own_practitioner && q->own_practitioner == pr->id) {
                /* Our own event is not a conflict for our own move. */
                calbusy = cc_clinic_busy_minus(p, calbusy, q->own.start,
                                               q->own.end);
            }
        }
        busy = apr_array_make(p, 16, sizeof(cc_interval_t));
        busy_of(busy, q->busy, pr->id);
        if (calbusy) {
            apr_array_cat(busy, calbusy);
        }
        query_for(&sq, q, service, settings, pr, busy);
        sl = cc_slots_compute(p, &sq);
        nsorted += sl && sl->nelts > 0;
        for (j = 0; sl && j < sl->nelts; j++) {
            const cc_interval_t *iv = &APR_ARRAY_IDX(sl, j, cc_interval_t);
            cc_clinic_slot_t *o = apr_array_push(out->slots);

            o->start = iv->start;
            o->end = iv->end;
            o->practitioner = pr->id;
        }
    }
    if (nsorted > 1) {          /* one practitioner's slots are in order */
        qsort(out->slots->elts, (size_t)out->slots->nelts,
              sizeof(cc_clinic_slot_t), slot_cmp);
    }
    return APR_SUCCESS;
}

const cc_clinic_slot_t *cc_clinic_slot_find(const apr_array_header_t *slots,
                                            int64_t start, apr_int64_t pract)
{
    int i;

    for (i = 0; slots && i < slots->nelts; i++) {
        const cc_clinic_slot_t *s = &APR_ARRAY_IDX(slots, i,
                                                   cc_clinic_slot_t);

        if (s->start == start && (!pract || s->practitioner == pract)) {
            return s;
        }
    }
    return NULL;
}

apr_status_t cc_clinic_no_slot_why(const json_t *settings,
                                   const cc_tz_t *tz, int64_t start,
                                   int64_t now, cc_problem_t *prob)
{
    int step = (int)jint(settings, "slot_step_min");
    apr_int64_t notice = jint(settings, "min_notice_min");
    apr_int64_t horizon = jint(settings, "horizon_days");
    cc_civil_t civ;
    int32_t off;

    cc_civil_from_utc(tz, start, &civ, &off);
    if (civ.second != 0 || step <= 0
        || (civ.hour * 60 + civ.minute) % step != 0) {
        cc_problem_set(prob, 422, "misaligned_start", "appointments start "
                       "every %d minutes; use a start from GET /api/slots",
                       step);
        return APR_EINVAL;
    }
    if (start < now + notice * 60) {
        cc_problem_set(prob, 422, "too_soon", "bookings need at least %"
                       APR_INT64_T_FMT " minutes' notice", notice);
        return APR_EINVAL;
    }
    if (start > now + horizon * 86400) {
        cc_problem_set(prob, 422, "too_far_ahead", "bookings open %"
                       APR_INT64_T_FMT " days ahead", horizon);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

void cc_clinic_refusal(cc_problem_t *prob, const json_t *res, int cancel)
{
    const char *o = json_string_value(json_object_get(res, "outcome"));
    const char *status = json_string_value(json_object_get(res, "status"));

    o = o ? o : "";
    if (!strcmp(o, "not_found")) {
        cc_problem_set(prob, 404, "booking_not_found", "no such booking");
    }
    else if (!strcmp(o, "not_active")) {
        cc_problem_set(prob, 409, "booking_not_active", "the booking is %s",
                       status ? status : "no longer active");
    }
    else if (!strcmp(o, "past")) {
        cc_problem_set(prob, 409, "booking_in_past", "the appointment has "
                       "already started");
    }
    else if (!strcmp(o, "cutoff")) {
        cc_problem_set(prob, 422, cancel ? "cancellation_cutoff"
                                         : "reschedule_cutoff",
                       "bookings can be %s online until %" APR_INT64_T_FMT
                       " minutes before the start; please call the clinic",
                       cancel ? "cancelled" : "moved",
                       jint(res, "cutoff_min"));
    }
    else if (!strcmp(o, "limit")) {
        cc_problem_set(prob, 422, "reschedule_limit", "this booking has been "
                       "moved the most times allowed (%" APR_INT64_T_FMT
                       "); please call the clinic",
                       jint(res, "max_reschedules"));
    }
    else {
        cc_problem_set(prob, 500, "internal_error", "unexpected outcome");
    }
}

static const char *day_words(apr_pool_t *p, int64_t day)
{
    static const char *const wday[] = { "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday",
                                        "Sunday" };
    static const char *const month[] = { "January", "February", "March",
                                         "April", "May", "June", "July",
                                         "August", "September", "October",
                                         "November", "December" };
    int y, m, d;

    cc_civil_from_days(day, &y, &m, &d);
    return apr_psprintf(p, "%s %d %s", wday[cc_weekday(day)], d,
                        month[m - 1]);
}

const char *cc_clinic_days_words(apr_pool_t *p, int64_t from, int days,
                                 int date_given)
{
    if (days == 1) {
        return apr_pstrcat(p, "on ", day_words(p, from), NULL);
    }
    if (date_given) {
        return apr_pstrcat(p, "between ", day_words(p, from), " and ",
                           day_words(p, from + days - 1), NULL);
    }
    return "in the next week";
}

const char *cc_clinic_when_words(apr_pool_t *p, const cc_tz_t *tz,
                                 int64_t t)
{
    cc_civil_t c;
    int32_t off;

    cc_civil_from_utc(tz, t, &c, &off);
    return apr_psprintf(p, "%s at %02d:%02d",
                        day_words(p, cc_days_from_civil(c.year, c.month,
                                                        c.day)),
                        c.hour, c.minute);
}

int cc_clinic_start_whole(const char *s)
{
    const char *dot = s ? strchr(s, '.') : NULL;

    if (!dot) {
        return 1;
    }
    for (dot++; *dot >= '0' && *dot <= '9'; dot++) {
        if (*dot != '0') {
            return 0;
        }
    }
    return 1;
}

int64_t cc_clinic_local_day(const cc_tz_t *tz, int64_t t)
{
    cc_civil_t c;
    int32_t off;

    cc_civil_from_utc(tz, t, &c, &off);
    return cc_days_from_civil(c.year, c.month, c.day);
}

/* ---- writing slots -------------------------------------------------------- */

static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* What the last instant formatted shares with the next ones: the same
 * offset and local date up to `until` (sorted slot lists rarely leave
 * it). */
typedef struct cl_fmt_cache {
    int64_t lo, until;
    int32_t off;
    int64_t day;            /* local date, days since the epoch */
    int     y, m, d;
} cl_fmt_cache;

/* "YYYY-MM-DDTHH:MM:SS+HH:MM" (25 bytes, no NUL) in the zone. */
static void put_rfc3339(char *o, const cc_tz_t *tz, int64_t t,
                        cl_fmt_cache *fc)
{
    int32_t off;
    int a;
    int64_t sec;

    if (!(t >= fc->lo && t < fc->until)) {
        int64_t next, local;

        off = cc_tz_offset(tz, t);
        local = t + off;
        fc->lo = t;
        fc->off = off;
        fc->day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
        cc_civil_from_days(fc->day, &fc->y, &fc->m, &fc->d);
        fc->until = (fc->day + 1) * 86400 - off;        /* next midnight */
        if (cc_tz_next_change(tz, t, &next) && next < fc->until) {
            fc->until = next;
        }
    }
    sec = t + fc->off - fc->day * 86400;
    off = fc->off;
    put2(o, (fc->y / 100) % 100);
    put2(o + 2, fc->y % 100);
    o[4] = '-';
    put2(o + 5, fc->m);
    o[7] = '-';
    put2(o + 8, fc->d);
    o[10] = 'T';
    put2(o + 11, (int)(sec / 3600));
    o[13] = ':';
    put2(o + 14, (int)(sec / 60 % 60));
    o[16] = ':';
    put2(o + 17, (int)(sec % 60));
    o[19] = off < 0 ? '-' : '+';
    a = off < 0 ? -off : off;
    put2(o + 20, (a / 3600) % 100);
    o[22] = ':';
    put2(o + 23, (a / 60) % 60);
}

static apr_size_t put_id(char *o, apr_int64_t id)
{
    char digits[24];
    int k = 0;
    apr_size_t n = 0;
    apr_uint64_t v = (apr_uint64_t)(id < 0 ? 0 : id);

    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k < 20);
    while (k) {
        o[n++] = digits[--k];
    }
    return n;
}

char *cc_clinic_slots_text(apr_pool_t *p, const cc_tz_t *tz,
                           const apr_array_header_t *slots)
{
    /* ,{"start":"<25>","end":"<25>","practitioner_id":<at most 20>}:
     * 1 + 10 + 25 + 9 + 25 = 70 bytes, then at most 20 + 20 + 1 + NUL. */
    apr_size_t per = 128, n = 0;
    char *buf = apr_palloc(p, per * (apr_size_t)slots->nelts + 3);
    cl_fmt_cache fc = { 0, 0, 0, 0, 0, 0, 0 };
    int i;

    buf[n++] = '[';
    for (i = 0; i < slots->nelts; i++) {
        const cc_clinic_slot_t *s = &APR_ARRAY_IDX(slots, i,
                                                   cc_clinic_slot_t);

        if (i) {
            buf[n++] = ',';
        }
        memcpy(buf + n, "{\"start\":\"", 10);
        n += 10;
        put_rfc3339(buf + n, tz, s->start, &fc);
        n += 25;
        memcpy(buf + n, "\",\"end\":\"", 9);
        n += 9;
        put_rfc3339(buf + n, tz, s->end, &fc);
        n += 25;
        memcpy(buf + n, "\",\"practitioner_id\":", 20);
        n += 20;
        n += put_id(buf + n, s->practitioner);
        buf[n++] = '}';
    }
    buf[n++] = ']';
    buf[n] = '\0';
    return buf;
}

json_t *cc_clinic_slots_json(apr_pool_t *p, const cc_tz_t *tz,
                             const apr_array_header_t *slots, int64_t after,
                             int max)
{
    json_t *a = json_array();
    int i, n = 0;

    for (i = 0; i < slots->nelts && (max <= 0 || n < max); i++) {
        const cc_clinic_slot_t *s = &APR_ARRAY_IDX(slots, i,
                                                   cc_clinic_slot_t);

        if (s->start < after) {
            continue;
        }
        json_array_append_new(a, json_pack("{s:s, s:s, s:I}",
            "start", cc_tz_rfc3339(p, tz, s->start),
            "end", cc_tz_rfc3339(p, tz, s->end),
            "practitioner_id", (json_int_t)s->practitioner));
        n++;
    }
    return a;
}

apr_array_header_t *cc_clinic_slots_pick(apr_pool_t *p, const cc_tz_t *tz,
                                         const apr_array_header_t *slots,
                                         int from_hour, int to_hour,
                                         int max)
{
    apr_array_header_t *out = apr_array_make(p, max > 0 ? max : 1,
                                             sizeof(cc_clinic_slot_t));
    int64_t last = INT64_MIN;
    int i;

    for (i = 0; i < slots->nelts && out->nelts < max; i++) {
        const cc_clinic_slot_t *s = &APR_ARRAY_IDX(slots, i,
                                                   cc_clinic_slot_t);
        cc_civil_t c;
        int32_t off;

        if (s->start == last) {
            continue;           /* one offer per time, any practitioner */
        }
        cc_civil_from_utc(tz, s->start, &c, &off);
        if (c.hour >= from_hour && c.hour < to_hour) {
            *(cc_clinic_slot_t *)apr_array_push(out) = *s;
            last = s->start;
        }
    }
    return out;
}

/* ---- a booking ------------------------------------------------------------ */

json_t *cc_clinic_booking_view(apr_pool_t *p, const cc_tz_t *tz,
                               const char *zone, const json_t *b,
                               const json_t *settings)
{
    json_t *v = json_deep_copy(b);
    const json_t *hold = json_object_get(b, "hold_until");
    const char *pay = json_string_value(json_object_get(b, "payment_status"));

    json_object_del(v, "token_hash");
    json_object_del(v, "token_nonce");
    json_object_del(v, "calendar_gen");
    json_object_set_new(v, "start", json_string(cc_tz_rfc3339(p, tz,
                                                    jint(b, "start"))));
    json_object_set_new(v, "end", json_string(cc_tz_rfc3339(p, tz,
                                                  jint(b, "end"))));
    json_object_set_new(v, "hold_until", json_is_integer(hold)
                        ? json_string(cc_tz_rfc3339(p, tz,
                                          json_integer_value(hold)))
                        : json_null());
    json_object_set_new(v, "timezone", json_string(zone));
    if (settings) {
        json_object_set_new(v, "policy", json_pack(
            "{s:I, s:s, s:I, s:I}",
            "cancel_cutoff_min",
            (json_int_t)jint(settings, "cancel_cutoff_min"),
            "late_cancel",
            json_string_value(json_object_get(settings, "late_cancel")),
            "reschedule_cutoff_min",
            (json_int_t)jint(settings, "reschedule_cutoff_min"),
            "max_reschedules",
            (json_int_t)jint(settings, "max_reschedules")));
    }
    if (pay && !strcmp(pay, "unpaid")) {
        json_object_set_new(v, "payment", json_pack(
            "{s:b, s:s, s:n, s:s}", "required", 1, "status", "unpaid",
            "url", "message", "This treatment is paid when booking. "
            "Online payment is not set up at this clinic yet: the clinic "
            "will contact you, or call them. The slot is held until "
            "hold_until."));
    }
    return v;
}

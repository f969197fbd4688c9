/*
 * cc_metrics.c - lock-free request counters and latency histograms in a
 * pointer-free region, rendered in Prometheus text format 0.0.4.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_metrics.h"

#define CC_METRICS_MAGIC    0x43434d54u     /* "CCMT" */
#define CC_METRICS_VERSION  1u

const int64_t cc_metrics_bounds_us[CC_METRICS_NBUCKETS - 1] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000
};

typedef struct cc_metrics_hdr_t {
    uint32_t magic;
    uint32_t version;
    uint32_t nroutes;
    uint32_t nclasses;
    uint64_t total_size;
} cc_metrics_hdr_t;

typedef struct cc_metrics_route_t {
    uint64_t requests;
    uint64_t errors_4xx;
    uint64_t errors_5xx;
    uint64_t sum_us;
    uint64_t hist[CC_METRICS_NBUCKETS];
} cc_metrics_route_t;


static cc_metrics_route_t *cc_routes(void *region)
{
    return (cc_metrics_route_t *)((char *)region + sizeof(cc_metrics_hdr_t));
}

static const cc_metrics_route_t *cc_routes_const(const void *region)
{
    return (const cc_metrics_route_t *)((const char *)region
                                        + sizeof(cc_metrics_hdr_t));
}

static uint64_t *cc_ratelimited(void *region, uint32_t nroutes)
{
    return (uint64_t *)((char *)region + sizeof(cc_metrics_hdr_t)
                        + (size_t)nroutes * sizeof(cc_metrics_route_t));
}

static const uint64_t *cc_ratelimited_const(const void *region,
                                            uint32_t nroutes)
{
    return (const uint64_t *)((const char *)region + sizeof(cc_metrics_hdr_t)
                              + (size_t)nroutes * sizeof(cc_metrics_route_t));
}

static uint64_t cc_load(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void cc_add(uint64_t *v, uint64_t n)
{
    __atomic_fetch_add(v, n, __ATOMIC_RELAXED);
}

size_t cc_metrics_size(uint32_t nroutes, uint32_t nclasses)
{
    uint64_t n = (uint64_t)sizeof(cc_metrics_hdr_t)
                 + (uint64_t)nroutes * sizeof(cc_metrics_route_t)
                 + (uint64_t)nclasses * sizeof(uint64_t);

    if (n > SIZE_MAX) {
        return 0;
    }
    return (size_t)n;
}

/* The header, when it is ours and self-consistent (so a corrupt count can
 * never send an update outside the region); else NULL. */
static const cc_metrics_hdr_t *cc_hdr_ok(const void *region)
{
    const cc_metrics_hdr_t *h = region;

    if (!h || h->magic != CC_METRICS_MAGIC
        || h->version != CC_METRICS_VERSION
        || h->total_size != cc_metrics_size(h->nroutes, h->nclasses)) {
        return NULL;
    }
    return h;
}

int cc_metrics_init(void *region, size_t size, uint32_t nroutes,
                    uint32_t nclasses)
{
    cc_metrics_hdr_t *h = region;
    size_t need = cc_metrics_size(nroutes, nclasses);

    if (!region || need == 0 || size < need) {
        return -1;
    }
    memset(region, 0, need);
    h->magic = CC_METRICS_MAGIC;
    h->version = CC_METRICS_VERSION;
    h->nroutes = nroutes;
    h->nclasses = nclasses;
    h->total_size = need;
    return 0;
}

int cc_metrics_check(const void *region, size_t size)
{
    const cc_metrics_hdr_t *h;

    if (!region || size < sizeof(cc_metrics_hdr_t)) {
        return -1;
    }
    h = cc_hdr_ok(region);
    if (!h || h->total_size > size) {
        return -1;
    }
    return 0;
}

static int cc_bucket_index(int64_t dur_us)
{
    int i;

    for (i = 0; i < CC_METRICS_NBUCKETS - 1; i++) {
        if (dur_us <= cc_metrics_bounds_us[i]) {
            return i;
        }
    }
    return CC_METRICS_NBUCKETS - 1;
}

void cc_metrics_observe(void *region, uint32_t route, int status,
                        int64_t dur_us)
{
    const cc_metrics_hdr_t *h = cc_hdr_ok(region);
    cc_metrics_route_t *r;

    if (!h || route >= h->nroutes) {
        return;
    }
    if (dur_us < 0) {
        dur_us = 0;
    }
    r = &cc_routes(region)[route];
    cc_add(&r->requests, 1);
    if (status >= 500) {
        cc_add(&r->errors_5xx, 1);
    }
    else if (status >= 400) {
        cc_add(&r->errors_4xx, 1);
    }
    cc_add(&r->sum_us, (uint64_t)dur_us);
    cc_add(&r->hist[cc_bucket_index(dur_us)], 1);
}

void cc_metrics_ratelimited(void *region, uint32_t cls)
{
    const cc_metrics_hdr_t *h = cc_hdr_ok(region);

    if (!h || cls >= h->nclasses) {
        return;
    }
    cc_add(&cc_ratelimited(region, h->nroutes)[cls], 1);
}

void cc_metrics_route_snapshot(const void *region, uint32_t route,
                               cc_metrics_route_snap_t *out)
{
    const cc_metrics_hdr_t *h = cc_hdr_ok(region);
    const cc_metrics_route_t *r;
    int i;

    memset(out, 0, sizeof(*out));
    if (!h || route >= h->nroutes) {
        return;
    }
    r = &cc_routes_const(region)[route];
    out->requests = cc_load(&r->requests);
    out->errors_4xx = cc_load(&r->errors_4xx);
    out->errors_5xx = cc_load(&r->errors_5xx);
    out->sum_us = cc_load(&r->sum_us);
    for (i = 0; i < CC_METRICS_NBUCKETS; i++) {
        out->hist[i] = cc_load(&r->hist[i]);
    }
}

uint64_t cc_metrics_ratelimited_count(const void *region, uint32_t cls)
{
    const cc_metrics_hdr_t *h = cc_hdr_ok(region);

    if (!h || cls >= h->nclasses) {
        return 0;
    }
    return cc_load(&cc_ratelimited_const(region, h->nroutes)[cls]);
}

/* ---- rendering ------------------------------------------------------------ */

/* A label value escaped for the text format: \ -> \\, " -> \", LF -> \n. */
static const char *cc_escape_label(apr_pool_t *p, const char *s)
{
    size_t extra = 0, n = 0;
    const char *c;
    char *out, *w;

    for (c = s; *c; c++, n++) {
        if (*c == '\\' || *c == '"' || *c == '\n') {
            extra++;
        }
    }
    if (extra == 0) {
        return s;
    }
    out = apr_palloc(p, n + extra + 1);
    w = out;
    for (c = s; *c; c++) {
        if (*c == '\\' || *c == '"') {
            *w++ = '\\';
            *w++ = *c;
        }
        else if (*c == '\n') {
            *w++ = '\\';
            *w++ = 'n';
        }
        else {
            *w++ = *c;
        }
    }
    *w = '\0';
    return out;
}

/* Label for index i of names (NULL array or entry: the decimal index). */
static const char *cc_label(apr_pool_t *p, const char *const *names,
                            uint32_t i)
{
    if (names && names[i]) {
        return cc_escape_label(p, names[i]);
    }
    return apr_psprintf(p, "%u", i);
}

/* Microseconds as seconds, without trailing zeros: 500 -> "0.0005",
 * 1000000 -> "1". */
static const char *cc_seconds_short(apr_pool_t *p, int64_t us)
{
    char frac[8];
    int n;

    apr_snprintf(frac, sizeof(frac), "%06" APR_INT64_T_FMT,
                 (apr_int64_t)(us % 1000000));
    for (n = 6; n > 0 && frac[n - 1] == '0'; n--) {
        frac[n - 1] = '\0';
    }
    if (n == 0) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)(us / 1000000));
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT ".%s",
                        (apr_int64_t)(us / 1000000), frac);
}

static void cc_push(apr_array_header_t *parts, const char *s)
{
    *(const char **)apr_array_push(parts) = s;
}

static void cc_family(apr_array_header_t *parts, const char *name,
                      const char *type, const char *help)
{
    cc_push(parts, apr_psprintf(parts->pool, "# HELP %s %s\n# TYPE %s %s\n",
                                name, help, name, type));
}

char *cc_metrics_render(apr_pool_t *p, const void *region,
                        const char *const *route_labels,
                        const char *const *class_names, const char *extra)
{
    const cc_metrics_hdr_t *h = cc_hdr_ok(region);
    apr_array_header_t *parts;
    cc_metrics_route_snap_t *snaps;
    const char **rlabel;
    const char *le[CC_METRICS_NBUCKETS];
    uint32_t r, c;
    int i;

    if (!h) {
        return apr_pstrdup(p, extra ? extra : "");
    }
    parts = apr_array_make(p, 64, sizeof(const char *));

    /* One snapshot per route, so every family agrees within a route. */
    snaps = apr_pcalloc(p, sizeof(*snaps) * (h->nroutes ? h->nroutes : 1));
    rlabel = apr_pcalloc(p, sizeof(*rlabel) * (h->nroutes ? h->nroutes : 1));
    for (r = 0; r < h->nroutes; r++) {
        cc_metrics_route_snapshot(region, r, &snaps[r]);
        rlabel[r] = cc_label(p, route_labels, r);
    }
    for (i = 0; i < CC_METRICS_NBUCKETS - 1; i++) {
        le[i] = cc_seconds_short(p, cc_metrics_bounds_us[i]);
    }
    le[CC_METRICS_NBUCKETS - 1] = "+Inf";

    cc_family(parts, "concierge_requests_total", "counter",
              "Requests handled, by route.");
    for (r = 0; r < h->nroutes; r++) {
        cc_push(parts, apr_psprintf(p,
                "concierge_requests_total{route=\"%s\"} %" APR_UINT64_T_FMT
                "\n", rlabel[r], (apr_uint64_t)snaps[r].requests));
    }

    cc_family(parts, "concierge_request_errors_total", "counter",
              "Requests answered with a 4xx or 5xx status, by route.");
    for (r = 0; r < h->nroutes; r++) {
        cc_push(parts, apr_psprintf(p,
                "concierge_request_errors_total{route=\"%s\",class=\"4xx\"} %"
                APR_UINT64_T_FMT "\n"
                "concierge_request_errors_total{route=\"%s\",class=\"5xx\"} %"
                APR_UINT64_T_FMT "\n",
                rlabel[r], (apr_uint64_t)snaps[r].errors_4xx,
                rlabel[r], (apr_uint64_t)snaps[r].errors_5xx));
    }

    cc_family(parts, "concierge_request_duration_seconds", "histogram",
              "Request duration in seconds, by route.");
    for (r = 0; r < h->nroutes; r++) {
        uint64_t cum = 0;

        for (i = 0; i < CC_METRICS_NBUCKETS; i++) {
            cum += snaps[r].hist[i];
            cc_push(parts, apr_psprintf(p,
                    "concierge_request_duration_seconds_bucket"
                    "{route=\"%s\",le=\"%s\"} %" APR_UINT64_T_FMT "\n",
                    rlabel[r], le[i], (apr_uint64_t)cum));
        }
        /* _count is the +Inf bucket, so the two always agree. */
        cc_push(parts, apr_psprintf(p,
                "concierge_request_duration_seconds_sum{route=\"%s\"} %"
                APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT "\n"
                "concierge_request_duration_seconds_count{route=\"%s\"} %"
                APR_UINT64_T_FMT "\n",
                rlabel[r], (apr_uint64_t)(snaps[r].sum_us / 1000000),
                (apr_uint64_t)(snaps[r].sum_us % 1000000),
                rlabel[r], (apr_uint64_t)cum));
    }

    cc_family(parts, "concierge_ratelimit_rejections_total", "counter",
              "Requests refused with 429, by rate-limit class.");
    for (c = 0; c < h->nclasses; c++) {
        cc_push(parts, apr_psprintf(p,
                "concierge_ratelimit_rejections_total{class=\"%s\"} %"
                APR_UINT64_T_FMT "\n", cc_label(p, class_names, c),
                (apr_uint64_t)cc_metrics_ratelimited_count(region, c)));
    }

    if (extra) {
        cc_push(parts, extra);
    }
    return apr_array_pstrcat(p, parts, 0);
}

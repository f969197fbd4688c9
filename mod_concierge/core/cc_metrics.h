/*
 * cc_metrics.h - request counters and latency histograms that live in
 * shared memory and are updated lock-free (atomic adds) by every worker
 * thread of every process, then rendered in Prometheus text format.
 *
 * Layout (pointer-free; nroutes and nclasses fixed at creation):
 *
 *   +----------------------+ 0
 *   | cc_metrics_hdr       | magic, nroutes, nclasses
 *   +----------------------+
 *   | route[0..nroutes)    | requests, 4xx, 5xx, sum_us, hist[CC_METRICS_NBUCKETS]
 *   +----------------------+
 *   | ratelimited[nclasses]| rejections per rate-limit class
 *   +----------------------+
 */
#ifndef CC_METRICS_H
#define CC_METRICS_H

#include <stdint.h>
#include <stddef.h>
#include <apr_pools.h>

/* Upper bounds in microseconds of the latency buckets; the last bucket is
 * +Inf.  Rendered as seconds in "le" labels. */
#define CC_METRICS_NBUCKETS 12
extern const int64_t cc_metrics_bounds_us[CC_METRICS_NBUCKETS - 1];

size_t cc_metrics_size(uint32_t nroutes, uint32_t nclasses);
int    cc_metrics_init(void *region, size_t size, uint32_t nroutes,
                       uint32_t nclasses);
int    cc_metrics_check(const void *region, size_t size);

/* Record one finished request on route index `route` (0..nroutes-1; out of
 * range is ignored) with its final HTTP status and duration. */
void cc_metrics_observe(void *region, uint32_t route, int status,
                        int64_t dur_us);
/* Count one 429 of rate-limit class `cls`. */
void cc_metrics_ratelimited(void *region, uint32_t cls);

/* Read back (for tests and health): totals of one route. */
typedef struct cc_metrics_route_snap_t {
    uint64_t requests, errors_4xx, errors_5xx, sum_us;
    uint64_t hist[CC_METRICS_NBUCKETS];   /* non-cumulative counts */
} cc_metrics_route_snap_t;
void cc_metrics_route_snapshot(const void *region, uint32_t route,
                               cc_metrics_route_snap_t *out);
uint64_t cc_metrics_ratelimited_count(const void *region, uint32_t cls);

/* Render in Prometheus text exposition format 0.0.4:
 *   concierge_requests_total{route="GET /api/health"} N
 *   concierge_request_errors_total{route="...",class="4xx"} N   (and 5xx)
 *   concierge_request_duration_seconds_bucket{route="...",le="0.001"} N
 *     (cumulative, ending with le="+Inf"), _sum (seconds), _count
 *   concierge_ratelimit_rejections_total{class="chat"} N
 * each family preceded by its # HELP and # TYPE lines.  route_labels has
 * nroutes entries, class_names nclasses; label values are escaped as the
 * format requires (backslash, double quote, newline). `extra` (may be NULL)
 * is appended verbatim, for gauges the caller owns. */
char *cc_metrics_render(apr_pool_t *p, const void *region,
                        const char *const *route_labels,
                        const char *const *class_names, const char *extra);

#endif

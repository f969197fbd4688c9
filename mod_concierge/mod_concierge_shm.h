/*
 * mod_concierge_shm.h - shared memory of the host: rate-limit buckets,
 * metrics, cached database health, the LLM circuit breaker.
 */
#ifndef MOD_CONCIERGE_SHM_H
#define MOD_CONCIERGE_SHM_H

#include "mc_private.h"
#include "apr_shm.h"
#include "apr_global_mutex.h"
#include "cc_bucket.h"

/* An anonymous shared segment (named under the runtime dir where the
 * platform has no anonymous shm), living as long as pconf. */
apr_status_t mc_shm_segment(apr_shm_t **shm, apr_size_t size,
                            const char *name, apr_pool_t *pconf,
                            server_rec *s);
/* A global mutex of a registered type (post_config, logged on failure),
 * and its attachment in a child (child_init; no-op when it was never
 * created). */
apr_status_t mc_shm_mutex_create(apr_global_mutex_t **m, const char *type,
                                 apr_pool_t *pconf, server_rec *s);
void mc_shm_mutex_attach(apr_global_mutex_t **m, const char *type,
                         apr_pool_t *p, server_rec *s);
apr_status_t mc_shm_pre_config(apr_pool_t *pconf);
apr_status_t mc_shm_post_config(apr_pool_t *pconf, server_rec *s);
void mc_shm_child_init(apr_pool_t *p, server_rec *s);
/* Rate limiting: returns 1 when allowed; fills res. */
int mc_shm_rate_take(request_rec *r, mc_rl_class_e cls, const char *key,
                     cc_bucket_result_t *res);
void mc_shm_observe(int route, int status, apr_int64_t dur_us);
void mc_shm_ratelimited(mc_rl_class_e cls);
/* The bucket table with an explicit rate and a class id of the caller's
 * (MC_SHM_CLS_*, beyond the rate-limit classes): the login lock-out.
 * peek never changes anything; both fail open on a broken lock. */
#define MC_SHM_CLS_LOGIN_IP   (MC_RL_NCLASSES + 0)
#define MC_SHM_CLS_LOGIN_USER (MC_RL_NCLASSES + 1)
void mc_shm_bucket_peek(request_rec *r, int cls, const char *key,
                        const cc_rate_t *rate, cc_bucket_result_t *res);
void mc_shm_bucket_take(request_rec *r, int cls, const char *key,
                        const cc_rate_t *rate, cc_bucket_result_t *res);
/* The bucket key of r's client (cc_client_key: IPv6 by /64), in r->pool. */
const char *mc_client_key(request_rec *r);
/* Verified staff credentials: answered from the cache, or by bcrypt. */
void mc_shm_auth_count(int cached);
void mc_shm_auth_stats(apr_uint64_t *cached, apr_uint64_t *hashed);
char *mc_shm_metrics_text(apr_pool_t *p, const char *extra);
json_t *mc_shm_health(apr_pool_t *p);
/* Cached database health: returns 1 ok / 0 down / -1 stale. */
int mc_shm_db_health_get(apr_int64_t max_age_us);
void mc_shm_db_health_set(int ok);

/* LLM circuit breaker, host-wide: may a call be tried now? */
int mc_shm_breaker_allow(apr_int64_t cooldown_us);
void mc_shm_breaker_result(int ok, int threshold, apr_int64_t cooldown_us);
json_t *mc_shm_breaker_health(void);
#endif

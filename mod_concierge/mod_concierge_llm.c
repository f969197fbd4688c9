/*
 * mod_concierge_llm.c - the OpenAI-compatible chat-completions client
 * (Groq by default) over the outbound HTTP layer (mod_concierge_http.c:
 * one handle per call, https only, http only to loopback for local
 * fakes, peer verification, its error codes in timing.llm_error).
 *
 * Connect and total timeouts from ConciergeLLMConnectTimeout/Timeout; the
 * response capped at 256 KiB.  One retry on 429
 * or 5xx, after the server's retry-after when it fits in the timeout.  A
 * host-wide circuit breaker stops calling after repeated failures.  The
 * caller holds no database connection and no lock while this runs.
 */
#include "apr_strings.h"
#include "mod_concierge_config.h"
#include "mod_concierge_http.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_llm.h"
#include "cc_answer.h"
#include "cc_json.h"

#define MC_LLM_MAX_RESPONSE (256 * 1024)

void mc_llm_answer(request_rec *r, const char *question,
                   const cc_source_t *src, int nsrc, mc_llm_result *out)
{
    const char *base = mc_config_gets(r->server, MC_CONFS_LLM_BASE);
    const char *model = mc_config_gets(r->server, MC_CONFS_LLM_MODEL);
    const char *key = mc_config_gets(r->server, MC_CONFS_LLM_KEY);
    apr_int64_t cool = apr_time_from_sec(
        mc_config_geti(r->server, MC_CONF_BREAKER_COOLDOWN_S));
    int threshold = (int)mc_config_geti(r->server, MC_CONF_BREAKER_FAILURES);
    apr_int64_t timeout_ms = mc_config_geti(r->server, MC_CONF_LLM_TIMEOUT_MS);
    apr_time_t t0 = apr_time_now();
    const char *hdrs[3];
    mc_http_req hr;
    mc_http_resp rs;
    json_t *req;
    long status = -1;
    cc_problem_t prob;
    int truncated = 0;

    memset(out, 0, sizeof(*out));
    if (!mc_config_llm_enabled(r->server)) {
        out->error = "not_configured";
        return;
    }
    if (!mc_shm_breaker_allow(cool)) {
        out->error = "breaker_open";
        return;
    }
    req = cc_json_pool_own(r->pool, cc_llm_request(model, question, src, nsrc));
    hdrs[0] = "Accept: application/json";
    hdrs[1] = apr_pstrcat(r->pool, "Authorization: Bearer ", key, NULL);
    hdrs[2] = NULL;
    memset(&hr, 0, sizeof(hr));
    hr.method = "POST";
    hr.url = apr_pstrcat(r->pool, base, "/chat/completions", NULL);
    hr.headers = hdrs;
    hr.body = cc_json_dump(r->pool, req, NULL);
    hr.ctype = "application/json";
    hr.connect_ms = (long)mc_config_geti(r->server, MC_CONF_LLM_CONNECT_MS);
    hr.max_response = MC_LLM_MAX_RESPONSE;
    memset(&rs, 0, sizeof(rs));
    /* ConciergeLLMTimeout bounds the first attempt; a retry gets what is
     * left of twice that budget, so a chat never waits more than about
     * two timeouts in all. */
    for (out->attempts = 1; out->attempts <= 2; out->attempts++) {
        apr_int64_t left, budget = out->attempts == 1 ? timeout_ms
            : 2 * timeout_ms - (apr_time_now() - t0) / 1000;

        if (budget < 250) {
            out->attempts--;        /* no time left for the retry */
            break;
        }
        hr.timeout_ms = (long)budget;
        mc_http_request(r->pool, &hr, &rs);
        status = rs.status;
        if (status == 200) {
            break;
        }
        /* A 2xx other than 200 is no answer either. */
        out->error = rs.error ? rs.error
                     : apr_psprintf(r->pool, "http_%ld", status);
        if (status != 429 && status < 500) {
            break;              /* 4xx other than 429, or transport error */
        }
        /* One retry, honouring retry-after when it fits the budget. */
        left = 2 * timeout_ms - (apr_time_now() - t0) / 1000;
        if (out->attempts == 2 || (rs.retry_after >= 0
                                   && rs.retry_after * 1000 + 250 >= left)) {
            break;
        }
        apr_sleep(rs.retry_after > 0 ? apr_time_from_sec(rs.retry_after)
                                     : apr_time_from_msec(200));
    }
    if (out->attempts > 2) {
        out->attempts = 2;
    }
    out->ms = (apr_time_now() - t0) / 1000;
    if (status == 200) {
        memset(&prob, 0, sizeof(prob));
        out->answer = rs.len ? cc_llm_parse(r->pool, rs.body, rs.len, &prob)
                             : NULL;
        out->ok = out->answer != NULL;
        truncated = !out->ok && !strcmp(prob.code, "llm_truncated");
        out->error = out->ok ? NULL : truncated ? "truncated"
                                                : "bad_response";
    }
    /* A cut-off answer is no sign of an outage: it does not count
     * towards opening the breaker. */
    mc_shm_breaker_result(out->ok || truncated, threshold, cool);
    if (!out->ok) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00701)
                      "LLM call failed (%s) after %d attempt(s), %"
                      APR_INT64_T_FMT " ms: answering extractively",
                      out->error, out->attempts, out->ms);
    }
}

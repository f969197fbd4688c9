/*
 * mod_concierge_llm.c - the OpenAI-compatible chat-completions client
 * (Groq by default) over libcurl.
 *
 * One easy handle per call, used by this thread only; CURLOPT_NOSIGNAL;
 * connect and total timeouts from ConciergeLLMConnectTimeout/Timeout;
 * https only (http only when the base URL is loopback, for local fakes);
 * peer verification on; the response capped at 256 KiB.  One retry on 429
 * or 5xx, after the server's retry-after when it fits in the timeout.  A
 * host-wide circuit breaker stops calling after repeated failures.  The
 * caller holds no database connection and no lock while this runs.
 */
#include "apr_strings.h"
#include "mod_concierge_config.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_llm.h"
#include <curl/curl.h>
#include "cc_answer.h"
#include "cc_json.h"

#define MC_LLM_MAX_RESPONSE (256 * 1024)

typedef struct resp_buf {
    apr_pool_t *p;
    char       *data;
    apr_size_t  len, cap;
    int         overflow;
    long        retry_after;    /* seconds, -1 when absent */
} resp_buf;

static size_t on_body(char *d, size_t sz, size_t nm, void *u)
{
    resp_buf *b = u;
    size_t n = sz * nm;

    if (b->len + n > MC_LLM_MAX_RESPONSE) {
        b->overflow = 1;
        return 0;               /* abort the transfer */
    }
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = (b->cap ? b->cap * 2 : 8192);
        char *nd;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        nd = apr_palloc(b->p, cap);
        if (b->len) {
            memcpy(nd, b->data, b->len);
        }
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *u)
{
    resp_buf *b = u;
    size_t n = sz * nm;

    if (n > 12 && !strncasecmp(d, "retry-after:", 12)) {
        char *end = NULL;
        apr_int64_t v = apr_strtoi64(d + 12, &end, 10);

        if (end != d + 12 && v >= 0 && v < 3600) {
            b->retry_after = (long)v;
        }
    }
    return n;
}

static apr_status_t curl_cleanup(void *h)
{
    curl_easy_cleanup(h);
    return APR_SUCCESS;
}

static apr_status_t slist_cleanup(void *l)
{
    curl_slist_free_all(l);
    return APR_SUCCESS;
}

/* One HTTP attempt.  Returns the HTTP status, or -1 on a transport error
 * (*error says which). */
static long attempt(request_rec *r, const char *url, const char *body,
                    struct curl_slist *hdrs, resp_buf *rb, long timeout_ms,
                    const char **error)
{
    CURL *h = curl_easy_init();
    const char *base = mc_config_gets(r->server, MC_CONFS_LLM_BASE);
    long status = -1;
    CURLcode rc;

    if (!h) {
        *error = "curl_init";
        return -1;
    }
    apr_pool_cleanup_register(r->pool, h, curl_cleanup, apr_pool_cleanup_null);
    rb->len = 0;
    rb->overflow = 0;
    rb->retry_after = -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
                     strncasecmp(base, "https:", 6) ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)mc_config_geti(r->server, MC_CONF_LLM_CONNECT_MS));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, rb);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, rb);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mod_concierge/" MC_VERSION);
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }
    /* CURLcode is translated here and nowhere else. */
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: *error = "timeout"; break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST: *error = "connect"; break;
    case CURLE_WRITE_ERROR: *error = rb->overflow ? "response_too_large"
                                                  : "write"; break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION: *error = "tls"; break;
    default: *error = "transport"; break;
    }
    return -1;
}

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
    struct curl_slist *hdrs = NULL;
    resp_buf rb;
    json_t *req;
    char *body;
    long status = -1;
    cc_problem_t prob;

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
    body = cc_json_dump(r->pool, req, NULL);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, apr_pstrcat(r->pool,
                             "Authorization: Bearer ", key, NULL));
    apr_pool_cleanup_register(r->pool, hdrs, slist_cleanup,
                              apr_pool_cleanup_null);
    memset(&rb, 0, sizeof(rb));
    rb.p = r->pool;
    /* ConciergeLLMTimeout bounds the first attempt; a retry gets what is
     * left of twice that budget, so a chat never waits more than about
     * two timeouts in all. */
    for (out->attempts = 1; out->attempts <= 2; out->attempts++) {
        const char *err = NULL;
        apr_int64_t left, budget = out->attempts == 1 ? timeout_ms
            : 2 * timeout_ms - (apr_time_now() - t0) / 1000;

        if (budget < 250) {
            out->attempts--;        /* no time left for the retry */
            break;
        }
        status = attempt(r, apr_pstrcat(r->pool, base, "/chat/completions",
                                        NULL), body, hdrs, &rb, (long)budget,
                         &err);
        if (status == 200) {
            break;
        }
        out->error = err ? err : apr_psprintf(r->pool, "http_%ld", status);
        if (status != 429 && status < 500) {
            break;              /* 4xx other than 429, or transport error */
        }
        /* One retry, honouring retry-after when it fits the budget. */
        left = 2 * timeout_ms - (apr_time_now() - t0) / 1000;
        if (out->attempts == 2 || (rb.retry_after >= 0
                                   && rb.retry_after * 1000 + 250 >= left)) {
            break;
        }
        apr_sleep(rb.retry_after > 0 ? apr_time_from_sec(rb.retry_after)
                                     : apr_time_from_msec(200));
    }
    if (out->attempts > 2) {
        out->attempts = 2;
    }
    out->ms = (apr_time_now() - t0) / 1000;
    if (status == 200) {
        memset(&prob, 0, sizeof(prob));
        out->answer = rb.data ? cc_llm_parse(r->pool, rb.data, rb.len, &prob)
                              : NULL;
        out->ok = out->answer != NULL;
        out->error = out->ok ? NULL : "bad_response";
    }
    mc_shm_breaker_result(out->ok, threshold, cool);
    if (!out->ok) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CCLOGNO(00701)
                      "LLM call failed (%s) after %d attempt(s), %"
                      APR_INT64_T_FMT " ms: answering extractively",
                      out->error, out->attempts, out->ms);
    }
}

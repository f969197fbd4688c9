/*
 * mod_concierge_http.c - the one outbound HTTP (and SMTP) layer on
 * libcurl.  See mod_concierge_http.h for the contract.
 *
 * A call is: parse the URL (curl's URL API), apply the scheme rule
 * (cc_http_scheme_allow), make an easy handle with the options every call
 * shares (easy_new), perform, translate the CURLcode (curl_err: the only
 * place it is translated), and release the handle, its header list and
 * the parsed URL at once (call_done) rather than with the pool, so no
 * connection outlives the call.  Nothing here logs or echoes a URL, a
 * header or a body.
 */
#include <stdlib.h>
#include "apr_strings.h"
#include "mod_concierge_http.h"
#include <curl/curl.h>
#include "cc_http.h"

/* One call's libcurl objects, each bound to the pool when created. */
typedef struct mc_call {
    apr_pool_t          *p;
    CURL                *h;
    CURLU               *u;
    struct curl_slist   *l;
} mc_call;

/* The response as it arrives (malloc'd: released in mc_http_request). */
typedef struct mc_rbuf {
    char       *d;
    apr_size_t  n, cap, max;
    int         over;
    long        retry_after;
} mc_rbuf;

typedef struct mc_upload {
    const char *data;
    size_t      len, off;
} mc_upload;

static apr_status_t easy_cleanup(void *h)
{
    curl_easy_cleanup(h);
    return APR_SUCCESS;
}

static apr_status_t url_cleanup(void *u)
{
    curl_url_cleanup(u);
    return APR_SUCCESS;
}

static apr_status_t slist_cleanup(void *l)
{
    curl_slist_free_all(l);
    return APR_SUCCESS;
}

/* ---- the URL rule ------------------------------------------------------ */

static int has_part(CURLU *u, CURLUPart what)
{
    char *v = NULL;
    int has = curl_url_get(u, what, &v, 0) == CURLUE_OK && v && *v;

    curl_free(v);
    return has;
}

static char *url_part(apr_pool_t *p, CURLU *u, CURLUPart what)
{
    char *v = NULL, *out = NULL;

    if (curl_url_get(u, what, &v, 0) == CURLUE_OK && v) {
        out = apr_pstrdup(p, v);
    }
    curl_free(v);
    return out;
}

/* Parse url and apply the rule.  On MC_HTTP_URL_OK with out, *out is the
 * parsed URL (bound to p) and *proto the protocol libcurl may use;
 * otherwise nothing is kept. */
static mc_http_url_e url_parse(apr_pool_t *p, const char *url,
                               const char *secure, const char *plain,
                               int flags, CURLU **out, const char **proto)
{
    CURLU *u = curl_url();
    mc_http_url_e rc = MC_HTTP_URL_BAD;
    const char *allowed = NULL;

    if (!u) {
        return MC_HTTP_URL_BAD;
    }
    apr_pool_cleanup_register(p, u, url_cleanup, apr_pool_cleanup_null);
    if (url && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)
               == CURLUE_OK
        && !has_part(u, CURLUPART_USER) && !has_part(u, CURLUPART_PASSWORD)
        && !((flags & MC_HTTP_URL_BASE) && (has_part(u, CURLUPART_QUERY)
                                       || has_part(u, CURLUPART_FRAGMENT)))) {
        const char *scheme = url_part(p, u, CURLUPART_SCHEME);
        const char *host = url_part(p, u, CURLUPART_HOST);

        if (scheme && host && *host) {
            allowed = cc_http_scheme_allow(scheme, host, secure, plain);
            rc = allowed ? MC_HTTP_URL_OK : MC_HTTP_URL_INSECURE;
        }
    }
    if (rc != MC_HTTP_URL_OK || !out) {
        apr_pool_cleanup_run(p, u, url_cleanup);
        return rc;
    }
    *out = u;
    *proto = allowed;
    return rc;
}

mc_http_url_e mc_http_url_check(apr_pool_t *p, const char *url,
                                const char *secure, const char *plain,
                                int flags)
{
    return url_parse(p, url, secure, plain, flags, NULL, NULL);
}

char *mc_http_escape(apr_pool_t *p, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *out = e ? apr_pstrdup(p, e) : NULL;

    curl_free(e);
    return out;
}

/* ---- one call ---------------------------------------------------------- */

/* CURLcode is translated here and nowhere else. */
static cc_http_err curl_err(CURLcode rc, int over)
{
    switch (rc) {
    case CURLE_OK:
        return CC_HTTP_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return CC_HTTP_E_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return CC_HTTP_E_CONNECT;
    case CURLE_WRITE_ERROR:
        return over ? CC_HTTP_E_TOO_LARGE : CC_HTTP_E_WRITE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_USE_SSL_FAILED:          /* STARTTLS required, not offered */
        return CC_HTTP_E_TLS;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return CC_HTTP_E_PROTOCOL;
    case CURLE_LOGIN_DENIED:
        return CC_HTTP_E_AUTH;
    default:
        return CC_HTTP_E_TRANSPORT;
    }
}

static const char *http_cafile;

void mc_http_set_cafile(const char *path)
{
    http_cafile = path;
}

/* A handle for url with the options every call shares; 0, or the error. */
static cc_http_err easy_new(mc_call *c, apr_pool_t *p, const char *url,
                            const char *secure, const char *plain,
                            long connect_ms, long timeout_ms)
{
    const char *proto = NULL;

    memset(c, 0, sizeof(*c));
    c->p = p;
    if (url_parse(p, url, secure, plain, 0, &c->u, &proto)
        != MC_HTTP_URL_OK) {
        return CC_HTTP_E_PROTOCOL;
    }
    c->h = curl_easy_init();
    if (!c->h) {
        apr_pool_cleanup_run(p, c->u, url_cleanup);
        c->u = NULL;
        return CC_HTTP_E_INIT;
    }
    apr_pool_cleanup_register(p, c->h, easy_cleanup, apr_pool_cleanup_null);
    curl_easy_setopt(c->h, CURLOPT_CURLU, c->u);
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, proto);
    curl_easy_setopt(c->h, CURLOPT_REDIR_PROTOCOLS_STR, secure);
    curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c->h, CURLOPT_USERAGENT, "mod_concierge/" MC_VERSION);
    if (http_cafile) {
        curl_easy_setopt(c->h, CURLOPT_CAINFO, http_cafile);
    }
    return CC_HTTP_OK;
}

static int list_add(mc_call *c, const char *line)
{
    struct curl_slist *n;

    if (c->l) {
        apr_pool_cleanup_kill(c->p, c->l, slist_cleanup);
    }
    n = curl_slist_append(c->l, line);
    if (n) {
        c->l = n;
    }
    if (c->l) {
        apr_pool_cleanup_register(c->p, c->l, slist_cleanup,
                                  apr_pool_cleanup_null);
    }
    return n != NULL;
}

/* Release the handle first (it uses the list and the URL). */
static void call_done(mc_call *c)
{
    if (c->h) {
        apr_pool_cleanup_run(c->p, c->h, easy_cleanup);
    }
    if (c->l) {
        apr_pool_cleanup_run(c->p, c->l, slist_cleanup);
    }
    if (c->u) {
        apr_pool_cleanup_run(c->p, c->u, url_cleanup);
    }
    memset(c, 0, sizeof(*c));
}

static size_t on_body(char *d, size_t sz, size_t nm, void *ud)
{
    mc_rbuf *b = ud;
    size_t n = sz * nm;

    if (!b->max) {
        return n;               /* discarded */
    }
    if (n > b->max - b->n) {
        b->over = 1;
        return 0;               /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (b->n + n + 1 > b->cap) {
        apr_size_t cap = b->cap ? b->cap : 8192;
        char *nd;

        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        nd = realloc(b->d, cap);
        if (!nd) {
            return 0;
        }
        b->d = nd;
        b->cap = cap;
    }
    memcpy(b->d + b->n, d, n);
    b->n += n;
    b->d[b->n] = '\0';
    return n;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *ud)
{
    mc_rbuf *b = ud;
    size_t n = sz * nm;
    long v = cc_http_retry_after(d, n);

    if (v >= 0) {
        b->retry_after = v;
    }
    return n;
}

apr_status_t mc_http_request(apr_pool_t *p, const mc_http_req *req,
                             mc_http_resp *resp)
{
    mc_rbuf b;
    mc_call c;
    cc_http_err e;
    int i, ok = 1;

    memset(resp, 0, sizeof(*resp));
    memset(&b, 0, sizeof(b));
    resp->body = "";
    resp->retry_after = -1;
    b.max = req->max_response;
    b.retry_after = -1;
    e = easy_new(&c, p, req->url, "https", "http", req->connect_ms,
                 req->timeout_ms);
    if (e != CC_HTTP_OK) {
        resp->error = cc_http_err_code(p, e, 0);
        return APR_EGENERAL;
    }
    for (i = 0; req->headers && req->headers[i] && ok; i++) {
        ok = list_add(&c, req->headers[i]);
    }
    if (ok && req->ctype) {
        ok = list_add(&c, apr_pstrcat(p, "Content-Type: ", req->ctype,
                                      NULL));
    }
    if (!ok || !list_add(&c, "Expect:")) {
        call_done(&c);
        resp->error = cc_http_err_code(p, CC_HTTP_E_INIT, 0);
        return APR_EGENERAL;
    }
    curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.l);
    if (req->body || !strcmp(req->method, "POST")) {
        const char *body = req->body ? req->body : "";

        curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(body));
        if (strcmp(req->method, "POST")) {
            curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, req->method);
        }
    }
    else if (strcmp(req->method, "GET")) {
        curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c.h, CURLOPT_HEADERDATA, &b);
    e = curl_err(curl_easy_perform(c.h), b.over);
    if (e == CC_HTTP_OK) {
        curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &resp->status);
        if (b.d) {
            resp->body = apr_pstrmemdup(p, b.d, b.n);
            resp->len = b.n;
        }
        resp->retry_after = b.retry_after;
        if (resp->status < 200 || resp->status > 299) {
            e = CC_HTTP_E_STATUS;
        }
    }
    free(b.d);
    call_done(&c);
    resp->error = cc_http_err_code(p, e, resp->status);
    return resp->status > 0 ? APR_SUCCESS : APR_EGENERAL;
}

/* ---- SMTP -------------------------------------------------------------- */

static size_t read_upload(char *buf, size_t sz, size_t nm, void *ud)
{
    mc_upload *up = ud;
    size_t n = sz * nm;

    if (n > up->len - up->off) {
        n = up->len - up->off;
    }
    memcpy(buf, up->data + up->off, n);
    up->off += n;
    return n;
}

/* How url's submission is protected; CC_MAIL_REFUSED for a URL that is
 * not scheme://host[:port][/] (credentials, a query or fragment, a path:
 * the EHLO name is ours to set). */
static cc_mail_tls mail_tls(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *path = NULL, *x = NULL;
    cc_mail_tls tls = CC_MAIL_REFUSED;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK
        && (!*path || !strcmp(path, "/"))
        && curl_url_get(u, CURLUPART_USER, &x, 0) == CURLUE_NO_USER
        && curl_url_get(u, CURLUPART_QUERY, &x, 0) == CURLUE_NO_QUERY
        && curl_url_get(u, CURLUPART_FRAGMENT, &x, 0)
           == CURLUE_NO_FRAGMENT) {
        tls = cc_http_mail_security(scheme, host);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(path);
    if (u) {
        curl_url_cleanup(u);
    }
    return tls;
}

int mc_http_mail_url_check(apr_pool_t *p, const char *url)
{
    return strlen(url) < 1024 && mail_tls(url) != CC_MAIL_REFUSED;
}

const char *mc_http_mail_send(apr_pool_t *p, const mc_http_mail *m)
{
    mc_upload up;
    mc_call c;
    cc_http_err e;
    cc_mail_tls tls = CC_MAIL_REFUSED;
    const char *url;
    long code = 0;

    /* The scheme decides how TLS is used; the EHLO name rides in the
     * path (libcurl's convention: smtp://host/<ehlo-name>). */
    if (!m->helo || !cc_http_fqdn(m->helo)) {
        return cc_http_err_code(p, CC_HTTP_E_PROTOCOL, 0);
    }
    tls = mail_tls(m->url);
    if (tls == CC_MAIL_REFUSED) {
        return cc_http_err_code(p, CC_HTTP_E_PROTOCOL, 0);
    }
    url = m->url;
    if (url[strlen(url) - 1] == '/') {
        url = apr_pstrndup(p, url, strlen(url) - 1);
    }
    url = apr_pstrcat(p, url, "/", m->helo, NULL);
    e = tls == CC_MAIL_IMPLICIT
        ? easy_new(&c, p, url, "smtps", NULL, m->connect_ms, m->timeout_ms)
        : easy_new(&c, p, url, "smtp", NULL, m->connect_ms, m->timeout_ms);
    if (e != CC_HTTP_OK) {
        return cc_http_err_code(p, e, 0);
    }
    if (tls == CC_MAIL_STARTTLS) {
        curl_easy_setopt(c.h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    }
    else if (tls == CC_MAIL_STARTTLS_IF_OFFERED) {
        curl_easy_setopt(c.h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    }
    if (!list_add(&c, apr_pstrcat(p, "<", m->to, ">", NULL))) {
        call_done(&c);
        return cc_http_err_code(p, CC_HTTP_E_INIT, 0);
    }
    up.data = m->msg;
    up.len = strlen(m->msg);
    up.off = 0;
    curl_easy_setopt(c.h, CURLOPT_MAIL_FROM, apr_pstrcat(p, "<", m->from,
                                                        ">", NULL));
    curl_easy_setopt(c.h, CURLOPT_MAIL_RCPT, c.l);
    if (m->user) {
        curl_easy_setopt(c.h, CURLOPT_USERNAME, m->user);
        if (m->bearer) {
            /* AUTH XOAUTH2 (Microsoft 365, Gmail): a token, no password. */
            curl_easy_setopt(c.h, CURLOPT_XOAUTH2_BEARER, m->bearer);
            curl_easy_setopt(c.h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
        }
        else {
            curl_easy_setopt(c.h, CURLOPT_PASSWORD,
                             m->password ? m->password : "");
        }
    }
    curl_easy_setopt(c.h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c.h, CURLOPT_READDATA, &up);
    curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
    e = curl_err(curl_easy_perform(c.h), 0);
    if (e == CC_HTTP_E_TRANSPORT) {
        /* A command the server refused (530 before AUTH, 504 for a name
         * it wants fully qualified, 550 ...): its reply code says why. */
        curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 400 && code <= 599) {
            e = CC_HTTP_E_SMTP;
        }
    }
    call_done(&c);
    return cc_http_err_code(p, e, code);
}

/*
 * mod_concierge_http.h - the one outbound HTTP (and SMTP) layer, on
 * libcurl: used by the LLM client, the notifier and the calendar (and,
 * next, Stripe).
 *
 * Every call gets a fresh easy handle used by the calling thread only,
 * CURLOPT_NOSIGNAL, the caller's connect and total timeouts, peer and host
 * verification, a response cap enforced while receiving, and no redirects
 * followed (a 3xx is an answer like any other: http_3xx).  The URL is
 * parsed once by curl's URL API and that parsed form is what libcurl uses;
 * the protocol is restricted to https, or to http only when the host is a
 * loopback address (127.0.0.0/8, ::1, localhost: local fakes in tests),
 * the same rule the directives are checked with at start-up
 * (cc_http_scheme_allow).  SMTP has its own rule: smtps, or smtp with
 * STARTTLS required (optional only towards loopback): see
 * cc_http_mail_security.
 *
 * Errors are the short codes of cc_http.h ("timeout", "connect", "tls",
 * "response_too_large", "protocol", "http_<status>" ...): they never
 * contain the URL, a header or a body, where secrets ride (Authorization,
 * form bodies, query strings).  This layer does not log; callers log the
 * code once.  curl_global_init runs in post_config (mod_concierge.c).
 */
#ifndef MOD_CONCIERGE_HTTP_H
#define MOD_CONCIERGE_HTTP_H

#include "mc_private.h"

typedef struct mc_http_req {
    const char         *method;     /* "GET", "POST", "PUT", "DELETE" */
    const char         *url;
    const char *const  *headers;    /* "Name: value" lines, NULL-ended; or
                                       NULL */
    const char         *body;       /* NUL-terminated, or NULL: none */
    const char         *ctype;      /* Content-Type of body, or NULL */
    long                connect_ms;
    long                timeout_ms; /* the whole call */
    apr_size_t          max_response; /* bytes kept; 0: the body is
                                         discarded */
} mc_http_req;

typedef struct mc_http_resp {
    long        status;         /* HTTP status; 0 when none was received */
    const char *body;           /* in the pool, NUL-terminated; "" if none */
    apr_size_t  len;
    long        retry_after;    /* Retry-After seconds, -1 when absent */
    const char *error;          /* NULL for a 2xx, else a cc_http code */
} mc_http_resp;

/* One request.  Returns APR_SUCCESS when an answer (any status) was
 * received, else APR_EGENERAL with resp->status 0 and resp->error set. */
apr_status_t mc_http_request(apr_pool_t *p, const mc_http_req *req,
                             mc_http_resp *resp);

typedef struct mc_http_mail {
    const char *url;            /* smtps://host[:port] or smtp://host[:port]
                                   (cc_http_mail_security says how TLS is
                                   used); no path */
    const char *helo;           /* the EHLO name: a fully qualified domain */
    const char *user;           /* SMTP AUTH, or NULL */
    const char *password;       /* AUTH PLAIN / LOGIN, or NULL */
    const char *bearer;         /* AUTH XOAUTH2 token (instead), or NULL */
    const char *from, *to;      /* bare addresses */
    const char *msg;            /* the RFC 5322 message, CRLF line ends */
    long        connect_ms, timeout_ms;
} mc_http_mail;

/* Send one message.  NULL when the server accepted it, else a cc_http
 * error code ("tls" also when STARTTLS is required and not offered,
 * "auth" when the login was refused). */
const char *mc_http_mail_send(apr_pool_t *p, const mc_http_mail *m);

/* 1 when url is one mc_http_mail_send accepts (scheme, host, no path,
 * no credentials, query or fragment). */
int mc_http_mail_url_check(apr_pool_t *p, const char *url);

/* The trust anchors of every outbound TLS connection: a PEM bundle
 * (ConciergeOutboundCAFile) instead of the system's, or NULL for the
 * system's.  Set once per process before any call. */
void mc_http_set_cafile(const char *path);

/* The URL rule, for requests and for the directives at start-up. */
typedef enum {
    MC_HTTP_URL_OK = 0,
    MC_HTTP_URL_BAD,            /* not an absolute URL (or, with
                                   MC_HTTP_URL_BASE, has a query or a
                                   fragment); credentials in it */
    MC_HTTP_URL_INSECURE        /* the scheme is not allowed for the host */
} mc_http_url_e;

#define MC_HTTP_URL_BASE 1      /* a configured base: no query, fragment */

/* Check url against the rule: `secure` ("https", "smtps") to any host,
 * `plain` ("http", "smtp") only to a loopback host. */
mc_http_url_e mc_http_url_check(apr_pool_t *p, const char *url,
                                const char *secure, const char *plain,
                                int flags);

/* s percent-encoded for one URL path segment, in p (NULL on failure). */
char *mc_http_escape(apr_pool_t *p, const char *s);

#endif

/*
 * cc_http.h - the pure rules of outbound HTTP (and SMTP): which URLs may be
 * called, and the one error convention of every outbound call.
 *
 * The transport itself (libcurl) is glue: mod_concierge_http.c parses the
 * URL with curl's URL API, asks cc_http_scheme_allow() whether the scheme
 * and host may be used, and reports failures as cc_http_err, spelled by
 * cc_http_err_code().  Error codes are short, stable and never carry a
 * URL, a header or a body, so they can be shown in health output, stored
 * as last_error and logged.
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include <stddef.h>
#include <apr_pools.h>

/* Why an outbound call got no usable answer.  The codes (in parentheses)
 * are an interface: the LLM client reports them in timing.llm_error. */
typedef enum cc_http_err {
    CC_HTTP_OK = 0,
    CC_HTTP_E_INIT,         /* "curl_init": no handle could be made */
    CC_HTTP_E_PROTOCOL,     /* "protocol": URL malformed or refused by the
                               scheme rule below */
    CC_HTTP_E_TIMEOUT,      /* "timeout" */
    CC_HTTP_E_CONNECT,      /* "connect": not resolved or not connected */
    CC_HTTP_E_TLS,          /* "tls": handshake or peer verification */
    CC_HTTP_E_TOO_LARGE,    /* "response_too_large": over the caller's cap */
    CC_HTTP_E_WRITE,        /* "write": the body could not be stored */
    CC_HTTP_E_AUTH,         /* "auth": login refused (SMTP AUTH) */
    CC_HTTP_E_TRANSPORT,    /* "transport": any other transfer failure */
    CC_HTTP_E_STATUS,       /* "http_<status>": an answer outside 2xx */
    CC_HTTP_E_SMTP          /* "smtp_<code>": a mail server refused a
                               command with this reply code (4xx, 5xx) */
} cc_http_err;

/* The code of e: a static string, or for CC_HTTP_E_STATUS "http_<status>"
 * in p.  NULL for CC_HTTP_OK. */
const char *cc_http_err_code(apr_pool_t *p, cc_http_err e, long status);

/* 1 when host names this machine: "localhost" (any case), an IPv4 address
 * in dotted-quad form within 127.0.0.0/8, or "::1" (bare or in brackets,
 * as URLs write it).  Anything else, including other spellings of
 * addresses ("127.1", "0x7f.0.0.1") and NULL, is 0: callers pass the host
 * as curl's URL parser normalised it. */
int cc_http_host_is_loopback(const char *host);

/* The scheme rule: `secure` ("https", "smtps") is allowed towards any
 * host; `plain` ("http", "smtp") only towards a loopback host (local fakes
 * and proxies in tests).  Compared case-insensitively.  Returns the
 * allowed protocol name (secure or plain, as given: what libcurl's
 * CURLOPT_PROTOCOLS_STR is then restricted to), or NULL. */
const char *cc_http_scheme_allow(const char *scheme, const char *host,
                                 const char *secure, const char *plain);

/* How a mail submission URL is protected (cc_http_mail_security):
 *   smtps://any host            TLS from the first byte (port 465);
 *   smtp:// to another host     STARTTLS required: the submission is
 *                               refused when the server does not offer it
 *                               (port 587: Microsoft 365, Gmail, Postfix
 *                               submission);
 *   smtp:// to a loopback host  STARTTLS when offered (a local relay);
 * anything else is refused. */
typedef enum cc_mail_tls {
    CC_MAIL_REFUSED = 0,
    CC_MAIL_IMPLICIT,
    CC_MAIL_STARTTLS,
    CC_MAIL_STARTTLS_IF_OFFERED
} cc_mail_tls;

cc_mail_tls cc_http_mail_security(const char *scheme, const char *host);

/* 1 when name is a fully qualified domain name as an SMTP server's
 * reject_non_fqdn_* checks want it (RFC 1035 letters, digits and hyphens;
 * two or more labels of 1..63, none starting or ending with a hyphen;
 * at most 253 characters; the last label not all digits, so no IPv4
 * address passes).  A trailing dot is refused. */
int cc_http_fqdn(const char *name);

/* 1 when addr is local@fqdn: a mailbox an SMTP server's
 * reject_non_fqdn_sender / _recipient accepts (the local part 1..64
 * printable characters without blanks, '<', '>', ',', '@'). */
int cc_http_mail_address(const char *addr);

/* Seconds of a "Retry-After: <delta-seconds>" header line as libcurl
 * passes it (not NUL-terminated, with CRLF), 0..3599; -1 for another
 * header, an HTTP-date or anything out of range. */
long cc_http_retry_after(const char *line, size_t len);

#endif

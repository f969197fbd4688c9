/*
 * cc_http.c - the URL rule and the error convention of outbound calls.
 * See cc_http.h for the contract.
 */
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <apr_strings.h>
#include "cc_http.h"

#define CC_HTTP_HOST_MAX    64      /* longer is no address we accept */
#define CC_HTTP_RA_MAX      3600    /* Retry-After ceiling, exclusive */

const char *cc_http_err_code(apr_pool_t *p, cc_http_err e, long status)
{
    switch (e) {
    case CC_HTTP_OK:            return NULL;
    case CC_HTTP_E_INIT:        return "curl_init";
    case CC_HTTP_E_PROTOCOL:    return "protocol";
    case CC_HTTP_E_TIMEOUT:     return "timeout";
    case CC_HTTP_E_CONNECT:     return "connect";
    case CC_HTTP_E_TLS:         return "tls";
    case CC_HTTP_E_TOO_LARGE:   return "response_too_large";
    case CC_HTTP_E_WRITE:       return "write";
    case CC_HTTP_E_AUTH:        return "auth";
    case CC_HTTP_E_STATUS:      return apr_psprintf(p, "http_%ld", status);
    case CC_HTTP_E_SMTP:        return apr_psprintf(p, "smtp_%ld", status);
    case CC_HTTP_E_TRANSPORT:
    default:                    return "transport";
    }
}

int cc_http_host_is_loopback(const char *host)
{
    char buf[CC_HTTP_HOST_MAX];
    struct in_addr a4;
    struct in6_addr a6;
    size_t n;
    int bracketed;

    if (!host) {
        return 0;
    }
    if (!strcasecmp(host, "localhost")) {
        return 1;
    }
    n = strlen(host);
    bracketed = n >= 2 && host[0] == '[' && host[n - 1] == ']';
    if (bracketed) {
        host++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(buf)) {
        return 0;
    }
    memcpy(buf, host, n);
    buf[n] = '\0';
    /* inet_pton takes only the dotted-quad form for IPv4. */
    if (!bracketed && inet_pton(AF_INET, buf, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return 0;
}

const char *cc_http_scheme_allow(const char *scheme, const char *host,
                                 const char *secure, const char *plain)
{
    if (!scheme || !secure) {
        return NULL;
    }
    if (!strcasecmp(scheme, secure)) {
        return secure;
    }
    if (plain && !strcasecmp(scheme, plain) && cc_http_host_is_loopback(host)) {
        return plain;
    }
    return NULL;
}

cc_mail_tls cc_http_mail_security(const char *scheme, const char *host)
{
    if (!scheme || !host || !*host) {
        return CC_MAIL_REFUSED;
    }
    if (!strcasecmp(scheme, "smtps")) {
        return CC_MAIL_IMPLICIT;
    }
    if (!strcasecmp(scheme, "smtp")) {
        return cc_http_host_is_loopback(host) ? CC_MAIL_STARTTLS_IF_OFFERED
                                              : CC_MAIL_STARTTLS;
    }
    return CC_MAIL_REFUSED;
}

int cc_http_fqdn(const char *name)
{
    size_t len, label = 0, labels = 0;
    int digits_only = 1;
    const char *p;

    if (!name || (len = strlen(name)) == 0 || len > 253) {
        return 0;
    }
    for (p = name; ; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || p[-1] == '-') {
                return 0;       /* empty label, or ends with '-' */
            }
            labels++;
            if (*p == '\0') {
                break;
            }
            label = 0;
            digits_only = 1;
            continue;
        }
        if (label == 0 && *p == '-') {
            return 0;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-')) {
            return 0;
        }
        if (!(*p >= '0' && *p <= '9')) {
            digits_only = 0;
        }
        if (++label > 63) {
            return 0;
        }
    }
    return labels >= 2 && !digits_only;
}

int cc_http_mail_address(const char *addr)
{
    const char *at, *p;

    if (!addr || !(at = strchr(addr, '@')) || at == addr || at - addr > 64
        || strchr(at + 1, '@')) {
        return 0;
    }
    for (p = addr; p < at; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>'
            || *p == ',' || *p == '"' || *p == '\\') {
            return 0;
        }
    }
    return cc_http_fqdn(at + 1);
}

long cc_http_retry_after(const char *line, size_t len)
{
    static const char name[] = "retry-after:";
    size_t i = sizeof(name) - 1;
    long v = 0;
    int digits = 0;

    if (!line || len <= i || strncasecmp(line, name, i)) {
        return -1;
    }
    while (i < len && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    while (i < len && line[i] >= '0' && line[i] <= '9') {
        v = v * 10 + (line[i] - '0');
        if (v >= CC_HTTP_RA_MAX) {
            return -1;
        }
        digits++;
        i++;
    }
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'
                       || line[i] == '\n')) {
        i++;
    }
    return digits && i == len ? v : -1;
}

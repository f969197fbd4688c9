/*
 * cc_notify.c - the signed webhook header, the notification e-mail and the
 * outbox backoff schedule.  See cc_notify.h for the contract.
 *
 * Signing streams "<t>", "." and the body through an HMAC-SHA256 EVP_MAC,
 * so the body is never copied.  Verification recomputes the MAC once and
 * compares it with every v1= entry (CRYPTO_memcmp, no early exit).
 *
 * The e-mail is built for libcurl's SMTP upload, which does the SMTP
 * dot-stuffing and the final "." itself: this module only guarantees CRLF
 * line ends, header values without CR/LF, and body lines of at most 998
 * octets (RFC 5321 4.5.3.1.6).
 */
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_base64.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include "cc_notify.h"

#define CC_NOTIFY_SIG_HEX       64
#define CC_NOTIFY_T_MAXDIGITS   18      /* < 10^18 never overflows int64 */
#define CC_NOTIFY_ADDR_MAX      254     /* RFC 5321 path limit, minus <> */
#define CC_NOTIFY_LINE_MAX      998     /* octets before CRLF */
#define CC_NOTIFY_SUBJECT_PLAIN 900     /* longer ASCII subjects are encoded
                                           (encoded-words fold) */
#define CC_NOTIFY_EW_RAW        39      /* raw octets per encoded-word: 52
                                           base64 chars + 12 = 64, so even
                                           "Subject: " + word fits in 76 */
#define CC_NOTIFY_BACKOFF_MAX   (INT64_C(1) << 40)  /* ~34 800 years */

/* ---- HMAC ---------------------------------------------------------------- */

static int cc_hmac_sha256(unsigned char mac[32], const char *secret,
                          size_t secret_len, const char *t_str, size_t t_len,
                          const char *body, size_t body_len)
{
    EVP_MAC *m;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t out_len = 0;
    int rc = -1;

    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (m == NULL)
        return -1;
    ctx = EVP_MAC_CTX_new(m);
    if (ctx == NULL)
        goto done;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, (const unsigned char *)secret, secret_len,
                     params) != 1)
        goto done;
    if (EVP_MAC_update(ctx, (const unsigned char *)t_str, t_len) != 1
        || EVP_MAC_update(ctx, (const unsigned char *)".", 1) != 1)
        goto done;
    if (body_len > 0
        && EVP_MAC_update(ctx, (const unsigned char *)body, body_len) != 1)
        goto done;
    if (EVP_MAC_final(ctx, mac, &out_len, 32) != 1 || out_len != 32)
        goto done;
    rc = 0;
done:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return rc;
}

int cc_notify_sign(char out[65], const char *secret, size_t secret_len,
                   int64_t t, const char *body, size_t body_len)
{
    static const char hexd[] = "0123456789abcdef";
    unsigned char mac[32];
    char t_str[32];
    int n, i;

    if (out == NULL)
        return -1;
    out[0] = '\0';
    /* An empty secret is a configuration error, not a key. */
    if (secret == NULL || secret_len == 0 || t < 0
        || (body == NULL && body_len > 0))
        return -1;
    n = apr_snprintf(t_str, sizeof(t_str), "%" APR_INT64_T_FMT, (apr_int64_t)t);
    if (n <= 0 || (size_t)n >= sizeof(t_str))
        return -1;
    if (cc_hmac_sha256(mac, secret, secret_len, t_str, (size_t)n,
                       body, body_len) != 0)
        return -1;
    for (i = 0; i < 32; i++) {
        out[2 * i] = hexd[mac[i] >> 4];
        out[2 * i + 1] = hexd[mac[i] & 0x0f];
    }
    out[CC_NOTIFY_SIG_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

char *cc_notify_signature_header(apr_pool_t *p, const char *secret,
                                 size_t secret_len, int64_t t,
                                 const char *body, size_t body_len)
{
    char hex[65];

    if (p == NULL
        || cc_notify_sign(hex, secret, secret_len, t, body, body_len) != 0)
        return NULL;
    return apr_psprintf(p, "t=%" APR_INT64_T_FMT ",v1=%s", (apr_int64_t)t,
                        hex);
}

static int cc_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int cc_is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * Header grammar: item *( "," item ), item = OWS key "=" value OWS.
 * Exactly one t= (1..18 digits); any number of v1= entries, of which at
 * least one must be 64 lowercase hex digits equal to the expected MAC.
 * Unknown keys (e.g. a future v2=) are ignored, as Stripe does; an item
 * without "=" or a repeated t= makes the whole header malformed.
 */
int cc_notify_verify(const char *header, const char *secret,
                     size_t secret_len, const char *body, size_t body_len,
                     int64_t now, int64_t tolerance_s)
{
    char expected[65];
    const char *s, *item, *end, *eq, *t_val = NULL;
    size_t t_len = 0;
    int64_t t = 0;
    size_t i;
    int n_t = 0, match = 0;

    if (header == NULL || secret == NULL || secret_len == 0
        || (body == NULL && body_len > 0) || tolerance_s < 0)
        return 0;

    /* Pass 1: syntax and the timestamp. */
    for (s = header;; s = end + 1) {
        end = strchr(s, ',');
        if (end == NULL)
            end = s + strlen(s);
        item = s;
        while (item < end && cc_is_ows(*item))
            item++;
        eq = memchr(item, '=', (size_t)(end - item));
        if (eq == NULL || eq == item)
            return 0;
        if (eq - item == 1 && item[0] == 't') {
            const char *v = eq + 1, *ve = end;

            while (ve > v && cc_is_ows(ve[-1]))
                ve--;
            if (++n_t > 1)
                return 0;
            t_val = v;
            t_len = (size_t)(ve - v);
        }
        if (*end == '\0')
            break;
    }
    if (n_t != 1 || t_len == 0 || t_len > CC_NOTIFY_T_MAXDIGITS)
        return 0;
    for (i = 0; i < t_len; i++) {
        if (t_val[i] < '0' || t_val[i] > '9')
            return 0;
        t = t * 10 + (t_val[i] - '0');
    }
    /* |now - t| <= tolerance without overflow: t is in [0, 10^18). */
    if (now >= t) {
        if ((uint64_t)now - (uint64_t)t > (uint64_t)tolerance_s)
            return 0;
    } else if ((uint64_t)t - (uint64_t)now > (uint64_t)tolerance_s) {
        return 0;
    }

    if (cc_notify_sign(expected, secret, secret_len, t, body, body_len) != 0)
        return 0;

    /* Pass 2: every v1= entry compared, no early exit. */
    for (s = header;; s = end + 1) {
        end = strchr(s, ',');
        if (end == NULL)
            end = s + strlen(s);
        item = s;
        while (item < end && cc_is_ows(*item))
            item++;
        eq = memchr(item, '=', (size_t)(end - item));
        if (eq != NULL && eq - item == 2 && item[0] == 'v' && item[1] == '1') {
            const char *v = eq + 1, *ve = end;
            int ok = 1;

            while (ve > v && cc_is_ows(ve[-1]))
                ve--;
            if (ve - v != CC_NOTIFY_SIG_HEX)
                ok = 0;
            for (i = 0; ok && i < CC_NOTIFY_SIG_HEX; i++)
                if (!cc_is_lower_hex(v[i]))
                    ok = 0;
            if (ok && CRYPTO_memcmp(v, expected, CC_NOTIFY_SIG_HEX) == 0)
                match = 1;
        }
        if (*end == '\0')
            break;
    }
    OPENSSL_cleanse(expected, sizeof(expected));
    return match;
}

/* ---- e-mail -------------------------------------------------------------- */

/* One '@', non-empty local part and domain, printable ASCII only, none of
 * the characters that would end an addr-spec or start a second address. */
static int cc_addr_plausible(const char *a)
{
    size_t len, i, at = 0;
    int n_at = 0;

    if (a == NULL)
        return 0;
    len = strlen(a);
    if (len < 3 || len > CC_NOTIFY_ADDR_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)a[i];

        if (c <= 0x20 || c >= 0x7f)
            return 0;
        if (strchr("<>()[],;:\\\"", c) != NULL)
            return 0;
        if (c == '@') {
            n_at++;
            at = i;
        }
    }
    return n_at == 1 && at > 0 && at < len - 1;
}

/* The value with every run of CR/LF replaced by one space and other
 * control characters (TAB excepted) dropped; leading/trailing spaces
 * trimmed. */
static char *cc_header_clean(apr_pool_t *p, const char *v)
{
    size_t len, i, o = 0;
    char *out;

    if (v == NULL)
        return apr_pstrdup(p, "");
    len = strlen(v);
    out = apr_palloc(p, len + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c == '\r' || c == '\n') {
            while (i + 1 < len && (v[i + 1] == '\r' || v[i + 1] == '\n'))
                i++;
            out[o++] = ' ';
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            continue;
        } else {
            out[o++] = (char)c;
        }
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
        o--;
    out[o] = '\0';
    i = 0;
    while (out[i] == ' ' || out[i] == '\t')
        i++;
    return out + i;
}

/* atext and '.', for the Message-ID halves; everything else dropped. */
static char *cc_msgid_part(apr_pool_t *p, const char *v)
{
    size_t len, i, o = 0;
    char *out;

    if (v == NULL)
        return apr_pstrdup(p, "");
    len = strlen(v);
    out = apr_palloc(p, len + 1);
    for (i = 0; i < len; i++) {
        char c = v[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL))
            out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

static int cc_needs_encoding(const char *s)
{
    size_t len = strlen(s), i;

    if (len > CC_NOTIFY_SUBJECT_PLAIN || strstr(s, "=?") != NULL)
        return 1;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

/* RFC 2047 B encoded-words, each holding whole UTF-8 characters, joined by
 * CRLF SP (folding) so no line exceeds 76 characters (RFC 2047 2). */
static char *cc_subject_encode(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s), pos = 0;
    char *out = "";

    while (pos < len) {
        size_t take = len - pos;
        char b64[128];

        if (take > CC_NOTIFY_EW_RAW) {
            size_t back = 0;

            take = CC_NOTIFY_EW_RAW;
            /* Do not split a UTF-8 sequence: back off continuation bytes. */
            while (back < 3 && take - back > 1
                   && ((unsigned char)s[pos + take - back] & 0xc0) == 0x80)
                back++;
            if (((unsigned char)s[pos + take - back] & 0xc0) != 0x80)
                take -= back;
        }
        apr_base64_encode(b64, s + pos, (int)take);
        out = apr_pstrcat(p, out, pos == 0 ? "" : "\r\n ", "=?UTF-8?B?", b64,
                          "?=", NULL);
        pos += take;
    }
    return out;
}

/* RFC 5322 date-time in UTC: "Tue, 14 Nov 2023 22:13:20 +0000". */
static char *cc_rfc5322_date(apr_pool_t *p, int64_t now_us)
{
    static const char *const days[] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char *const months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    apr_time_exp_t tm;

    if (apr_time_exp_gmt(&tm, (apr_time_t)now_us) != APR_SUCCESS
        || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0
        || tm.tm_mon > 11)
        return NULL;
    return apr_psprintf(p, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                        days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                        tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Length of the UTF-8 character starting at s[0] (1 for stray bytes). */
static size_t cc_utf8_len(const unsigned char *s, size_t avail)
{
    size_t n, i;

    if (s[0] < 0xc0)
        n = 1;
    else if (s[0] < 0xe0)
        n = 2;
    else if (s[0] < 0xf0)
        n = 3;
    else
        n = 4;
    if (n > avail)
        return 1;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

/* Body: LF, CR and CRLF all become CRLF; lines longer than 998 octets are
 * broken (between UTF-8 characters); the result ends with CRLF unless it
 * is empty. */
static char *cc_body_crlf(apr_pool_t *p, const char *body)
{
    size_t len, i = 0, o = 0, col = 0, cap;
    char *out;

    if (body == NULL || *body == '\0')
        return apr_pstrdup(p, "");
    len = strlen(body);
    /* Worst case: every byte a line end (x2), plus forced breaks, plus the
     * final CRLF. */
    cap = 2 * len + 2 * (len / (CC_NOTIFY_LINE_MAX - 3) + 1) + 3;
    out = apr_palloc(p, cap);
    while (i < len) {
        unsigned char c = (unsigned char)body[i];

        if (c == '\r' || c == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            col = 0;
            i += (c == '\r' && body[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        {
            size_t n = cc_utf8_len((const unsigned char *)body + i, len - i);

            if (col + n > CC_NOTIFY_LINE_MAX) {
                out[o++] = '\r';
                out[o++] = '\n';
                col = 0;
            }
            memcpy(out + o, body + i, n);
            o += n;
            col += n;
            i += n;
        }
    }
    if (o < 2 || out[o - 2] != '\r' || out[o - 1] != '\n') {
        out[o++] = '\r';
        out[o++] = '\n';
    }
    out[o] = '\0';
    return out;
}

char *cc_notify_email(apr_pool_t *p, const char *from, const char *to,
                      const char *subject, const char *body,
                      const char *message_id, const char *domain,
                      int64_t now_us)
{
    const char *subj, *date, *mid_hdr = "";
    char *id, *dom;

    if (p == NULL || !cc_addr_plausible(from) || !cc_addr_plausible(to))
        return NULL;
    date = cc_rfc5322_date(p, now_us);
    if (date == NULL)
        return NULL;

    subj = cc_header_clean(p, subject);
    if (cc_needs_encoding(subj))
        subj = cc_subject_encode(p, subj);

    /* Message-ID: without an id the header is left to the MTA; without a
     * domain the sender's domain is used. */
    id = cc_msgid_part(p, message_id);
    dom = cc_msgid_part(p, domain);
    if (*dom == '\0')
        dom = cc_msgid_part(p, strchr(from, '@') + 1);
    if (*id != '\0' && *dom != '\0')
        mid_hdr = apr_pstrcat(p, "Message-ID: <", id, "@", dom, ">\r\n",
                              NULL);

    return apr_pstrcat(p,
                       "Date: ", date, "\r\n",
                       "From: ", from, "\r\n",
                       "To: ", to, "\r\n",
                       "Subject: ", subj, "\r\n",
                       mid_hdr,
                       "MIME-Version: 1.0\r\n",
                       "Content-Type: text/plain; charset=UTF-8\r\n",
                       "Content-Transfer-Encoding: 8bit\r\n",
                       "\r\n",
                       cc_body_crlf(p, body),
                       NULL);
}

/* ---- backoff ------------------------------------------------------------- */

int64_t cc_notify_backoff(int attempts, int64_t base_s, int64_t cap_s,
                          double jitter)
{
    /* Without a cap (cap_s <= 0), or with an absurd one, the delay still
     * saturates, so the jitter product cannot overflow. */
    const int64_t limit = (cap_s > 0 && cap_s < CC_NOTIFY_BACKOFF_MAX)
                          ? cap_s : CC_NOTIFY_BACKOFF_MAX;
    int64_t d = base_s;
    double f, r;
    int i;

    if (base_s <= 0)
        return 0;
    if (attempts < 1)
        attempts = 1;
    for (i = 1; i < attempts && d < limit; i++)
        d = d > limit / 2 ? limit : d * 2;
    if (d > limit)
        d = limit;

    if (isnan(jitter))
        jitter = 0.5;
    else if (jitter < 0.0)
        jitter = 0.0;
    else if (jitter > 1.0)
        jitter = 1.0;
    f = 0.8 + 0.4 * jitter;              /* 0 -> -20%, 0.5 -> 0, 1 -> +20% */
    r = (double)d * f + 0.5;
    if (r < 1.0)
        r = 1.0;
    return (int64_t)r;
}

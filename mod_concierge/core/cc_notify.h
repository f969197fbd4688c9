/*
 * cc_notify.h - staff notifications: the signed webhook payload and the
 * e-mail message, and the outbox retry schedule.
 *
 * Webhook: JSON POST; header
 *   X-Concierge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 *                          "<t>.<raw body>")>
 * (the scheme Stripe uses, so receivers can reuse their verifier), plus
 * X-Concierge-Event: <event> and X-Concierge-Delivery: <outbox id>.
 * The payload never carries the patient's message text (it may be read
 * by chat tools): ids, categories, priority, the staff link.
 */
#ifndef CC_NOTIFY_H
#define CC_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

/* hex HMAC-SHA256 over "<t>.<body>" -> out (65 bytes with NUL).
 * Returns 0, or -1 on failure. */
int cc_notify_sign(char out[65], const char *secret, size_t secret_len,
                   int64_t t, const char *body, size_t body_len);

/* "t=<t>,v1=<hex>" in p. */
char *cc_notify_signature_header(apr_pool_t *p, const char *secret,
                                 size_t secret_len, int64_t t,
                                 const char *body, size_t body_len);

/* Verify a header made by cc_notify_signature_header (any number of v1=
 * entries; constant-time compare; |now - t| <= tolerance_s).  1 = valid. */
int cc_notify_verify(const char *header, const char *secret,
                     size_t secret_len, const char *body, size_t body_len,
                     int64_t now, int64_t tolerance_s);

/* An RFC 5322 message (CRLF line ends) for libcurl's SMTP upload:
 * Date (RFC 5322 format, UTC, from now_us), From, To, Subject (RFC 2047
 * encoded-word when not ASCII), Message-ID <id@domain>, MIME-Version,
 * Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding 8bit,
 * blank line, body with bare LF turned into CRLF.  Header values are
 * stripped of CR and LF (no header injection).  Returns NULL if from or
 * to is not a plausible address (one '@', no spaces or control chars). */
char *cc_notify_email(apr_pool_t *p, const char *from, const char *to,
                      const char *subject, const char *body,
                      const char *message_id, const char *domain,
                      int64_t now_us);

/* Outbox backoff: seconds to wait before attempt n (n >= 1 failures so
 * far): min(cap_s, base_s * 2^(n-1)) with +-20% jitter from `jitter`
 * (0..1 supplied by the caller, so tests are deterministic). */
int64_t cc_notify_backoff(int attempts, int64_t base_s, int64_t cap_s,
                          double jitter);

#endif

/*
 * cc_gcal_auth.h - a Google service account's side of the OAuth 2.0 JWT
 * bearer grant (FIELD_NOTES D2): the key file, the signed assertion, the
 * token request's form and the token reply.  cc_gcal.h has the flow.
 *
 * No problem message ever contains key material, a JWT or an access
 * token.
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_GCAL_AUTH_H
#define CC_GCAL_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"

#define CC_GCAL_TOKEN_URI_DEFAULT "https://oauth2.googleapis.com/token"
#define CC_GCAL_SCOPE_CALENDAR    "https://www.googleapis.com/auth/calendar"
#define CC_GCAL_KEY_MAX_BYTES     (64 * 1024)   /* key file */
#define CC_GCAL_JWT_MAX_LIFETIME  3600          /* Google's limit */
#define CC_GCAL_TOKEN_MAX_BYTES   (64 * 1024)   /* token endpoint reply */
#define CC_GCAL_TOKEN_MAX_LEN     4096          /* access_token */
#define CC_GCAL_TOKEN_MAX_EXPIRY  86400         /* expires_in accepted */

/* ---- service-account key ------------------------------------------------ */

typedef struct cc_gcal_key_t cc_gcal_key_t;

/* Parse a service-account JSON key file (json[0..len), at most
 * CC_GCAL_KEY_MAX_BYTES):
 *   "type"         must be "service_account"
 *   "client_email" required, a plausible address (one '@', printable
 *                  ASCII, at most 254 bytes)
 *   "private_key"  required, PEM, unencrypted ("BEGIN PRIVATE KEY",
 *                  PKCS#8, as Google issues it; PKCS#1 "BEGIN RSA PRIVATE
 *                  KEY" is accepted too); RSA only, 2048 to 8192 bits
 *   "token_uri"    optional, default CC_GCAL_TOKEN_URI_DEFAULT; must
 *                  start with "https://" or "http://" (http only makes
 *                  sense for a local fake: the glue enforces its policy)
 * Other members are ignored.  The EVP_PKEY is freed by a cleanup on p;
 * the decoded private_key text is wiped before it is freed.
 * Returns NULL with prob (500 "gcal_bad_key") on any failure; the message
 * names the field, never its value. */
cc_gcal_key_t *cc_gcal_key_parse(apr_pool_t *p, const char *json, size_t len,
                                 cc_problem_t *prob);

/* Borrowed strings, valid as long as the key's pool. */
const char *cc_gcal_key_email(const cc_gcal_key_t *k);
const char *cc_gcal_key_token_uri(const cc_gcal_key_t *k);

/* ---- OAuth 2.0 JWT bearer grant ----------------------------------------- */

/* A signed assertion base64url(header).base64url(claims).base64url(sig)
 * (no padding) in p:
 *   header {"alg":"RS256","typ":"JWT"}
 *   claims {"iss":<client_email>,"scope":<scope>,"aud":<aud>,
 *           "iat":<now>,"exp":<now + lifetime>}
 * signed with RSASSA-PKCS1-v1_5 SHA-256.  aud NULL means the key's
 * token_uri.  lifetime_s is clamped to CC_GCAL_JWT_MAX_LIFETIME.
 * Returns NULL when k, scope or aud is missing or empty, now <= 0,
 * lifetime_s <= 0, or signing fails. */
char *cc_gcal_jwt(apr_pool_t *p, const cc_gcal_key_t *k, const char *scope,
                  const char *aud, int64_t now, int lifetime_s);

/* The token request body:
 *   grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer
 *   &assertion=<jwt>
 * NULL unless jwt is non-empty and only base64url characters and dots
 * (so it needs no escaping). */
char *cc_gcal_token_form(apr_pool_t *p, const char *jwt);

/* Parse the token endpoint's reply body.  Success (1): an object with
 * "access_token" (1..CC_GCAL_TOKEN_MAX_LEN printable ASCII, no spaces:
 * it goes into a header), "token_type" "Bearer" (any case) and
 * "expires_in" (integer 1..CC_GCAL_TOKEN_MAX_EXPIRY); *token (in p) and
 * *expires_in are set.  Failure (0), prob set, *token NULL:
 *   502 "gcal_<error>"       an OAuth error reply {"error":..,
 *                            "error_description":..} with a standard
 *                            RFC 6749 code: gcal_invalid_grant,
 *                            gcal_invalid_client, gcal_invalid_request,
 *                            gcal_invalid_scope, gcal_unauthorized_client,
 *                            gcal_unsupported_grant_type; the message
 *                            names the code and at most 80 sanitised
 *                            characters of the description
 *   502 "gcal_token_error"   any other "error" value (named, sanitised,
 *                            at most 40 characters)
 *   502 "gcal_bad_response"  not JSON, too large, missing or bad fields */
int cc_gcal_token_parse(apr_pool_t *p, const char *body, size_t len,
                        char **token, int64_t *expires_in,
                        cc_problem_t *prob);

#endif

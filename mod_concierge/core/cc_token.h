/*
 * cc_token.h - the small pieces every unguessable token needs: random
 * 256-bit tokens in base64url, their SHA-256 (what is stored), and the
 * check of a token's shape.  Chat sessions and booking manage tokens use
 * them; the Google JWT uses cc_b64url.  Pure (OpenSSL, APR).
 */
#ifndef CC_TOKEN_H
#define CC_TOKEN_H

#include <stddef.h>
#include <apr_pools.h>

/* base64url (RFC 4648 section 5) without padding, in p. */
char *cc_b64url(apr_pool_t *p, const unsigned char *d, size_t n);

/* Lowercase hex SHA-256 of d[0..n) (64 digits), in p. */
char *cc_sha256_hex(apr_pool_t *p, const void *d, size_t n);
/* The same into out (65 bytes); 0 when OpenSSL failed (out then holds the
 * hex of 32 zero bytes, which no real token hashes to). */
int cc_sha256_hex_buf(char out[65], const void *d, size_t n);

/* 32 random bytes as base64url (43 characters), or NULL when the random
 * source fails. */
char *cc_token_new(apr_pool_t *p);

/* 1 when s has the shape of a cc_token_new token: exactly 43 base64url
 * characters. */
int cc_token_valid(const char *s);

#endif

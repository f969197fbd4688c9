/*
 * cc_manage.h - booking manage tokens.  A token is HMAC-SHA256(key, nonce)
 * in base64url, with key = SHA-256 of the configured secret (or random
 * bytes when there is none); only the nonce and SHA-256(token) are
 * stored, so an idempotent replay can give the same token again and the
 * database alone cannot make one.  Pure (OpenSSL, APR).
 */
#ifndef CC_MANAGE_H
#define CC_MANAGE_H

#include <apr_pools.h>

typedef struct cc_manage_key_t cc_manage_key_t;

/* The key of secret (SHA-256 of its bytes), in p. */
apr_status_t cc_manage_key_derive(cc_manage_key_t **out, apr_pool_t *p,
                                  const char *secret);

/* A random key, in p; APR_EGENERAL when the random source fails. */
apr_status_t cc_manage_key_random(cc_manage_key_t **out, apr_pool_t *p);

/* The manage token of nonce under key: 43 base64url characters, in p. */
apr_status_t cc_manage_token(char **out, apr_pool_t *p,
                             const cc_manage_key_t *key, const char *nonce);

/* 1 when token hashes to stored_hash (64 lowercase hex digits, SHA-256 of
 * the token), compared in constant time; 0 otherwise (NULL or empty
 * token, a stored hash of another length). */
int cc_manage_token_check(const char *token, const char *stored_hash);

#endif

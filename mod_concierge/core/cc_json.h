/*
 * cc_json.h - JSON decoding with limits, and the error envelope.
 *
 * Request bodies are decoded with jansson under hard limits: total size,
 * nesting depth, duplicate keys rejected, valid UTF-8 only, no NUL.  Errors
 * name the line and column, as jansson reports them.
 */
#ifndef CC_JSON_H
#define CC_JSON_H

#include <apr_pools.h>
#include <jansson.h>
#include "cc_problem.h"

typedef struct cc_json_limits_t {
    size_t max_bytes;   /* 0 = no size limit */
    int    max_depth;   /* maximum nesting of arrays/objects; top level = 1 */
} cc_json_limits_t;

/* Decode buf[0..len) into *out (a new reference, bound to a cleanup on p so
 * the caller never json_decref's it).  On failure returns APR_EINVAL with
 * prob filled:
 *   413 "body_too_large"   len > max_bytes
 *   400 "invalid_json"     syntax error, invalid UTF-8, NUL, duplicate key:
 *                          message "invalid JSON at line L, column C: <why>"
 *   400 "json_too_deep"    nesting deeper than max_depth (checked before
 *                          jansson parses, so deep input costs O(len))
 *   400 "invalid_json"     empty body
 * The top level must be an object or array (jansson's default). */
apr_status_t cc_json_decode(json_t **out, apr_pool_t *p, const char *buf,
                            size_t len, const cc_json_limits_t *lim,
                            cc_problem_t *prob);

/* Bind a json_t reference to pool cleanup (json_decref when p dies).
 * Returns j for convenience. */
json_t *cc_json_pool_own(apr_pool_t *p, json_t *j);

/* Serialise compactly into p (JSON_COMPACT, keys in insertion order,
 * non-ASCII kept as UTF-8).  Returns NULL only if j is NULL. */
char *cc_json_dump(apr_pool_t *p, const json_t *j, size_t *len);

/* The SPEC error envelope:
 *   {"error":{"code":CODE,"message":MESSAGE,"request_id":RID}}
 * as a compact string in p.  Any argument may be NULL (then "" is used). */
char *cc_json_error_body(apr_pool_t *p, const char *code, const char *message,
                         const char *request_id);

/* A JSON string literal (with its quotes) for s[0..len), in p: '"', '\\'
 * and control characters escaped (\n \r \t \b \f, others \u00XX),
 * everything else copied as is, so s must be valid UTF-8 (the caller
 * checked it: cc_utf8_valid, or text jansson decoded).  For the hot
 * replies (chat) that jansson's per-character dump made costly. */
char *cc_json_quote(apr_pool_t *p, const char *s, size_t len);

/* Characters (code points) of s, which is valid UTF-8. */
size_t cc_utf8_chars(const char *s);

/* Nonzero when buf[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
int cc_utf8_valid(const char *buf, size_t len);

#endif

/*
 * cc_json.c - JSON decoding with limits, and the error envelope.
 *
 * Order of checks in cc_json_decode: size, emptiness, nesting depth (a
 * linear pre-scan of the raw bytes), then jansson itself, which rejects
 * syntax errors, invalid UTF-8, "\u0000" and duplicate keys.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>
#include "cc_json.h"

/* Room for jansson's error text once escaped; the problem message buffer
 * truncates whatever does not fit anyway. */
#define CC_JSON_WHY_MAX 200

static apr_status_t cc_json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *cc_json_pool_own(apr_pool_t *p, json_t *j)
{
    if (p && j) {
        apr_pool_cleanup_register(p, j, cc_json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

/* Deepest nesting of arrays/objects in buf, ignoring brackets inside
 * strings.  Stops early (returning limit + 1) once limit is exceeded, so a
 * hostile body never costs more than one pass. */
static int cc_json_depth(const char *buf, size_t len, int limit)
{
    size_t i;
    int depth = 0;
    int deepest = 0;
    int in_string = 0;
    int escaped = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];

        if (in_string) {
            if (escaped) {
                escaped = 0;
            }
            else if (c == '\\') {
                escaped = 1;
            }
            else if (c == '"') {
                in_string = 0;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '[':
        case '{':
            depth++;
            if (depth > deepest) {
                deepest = depth;
                if (limit > 0 && deepest > limit) {
                    return deepest;
                }
            }
            break;
        case ']':
        case '}':
            if (depth > 0) {
                depth--;
            }
            break;
        default:
            break;
        }
    }
    return deepest;
}

/* Copy jansson's error text into out, escaping anything that is not
 * printable ASCII: the text may quote a short fragment of the body. */
static void cc_json_escape_why(char *out, size_t outlen, const char *why)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)why;

    if (outlen == 0) {
        return;
    }
    for (; *s; s++) {
        if (*s >= 0x20 && *s < 0x7f) {
            if (o + 1 >= outlen) {
                break;
            }
            out[o++] = (char)*s;
        }
        else {
            if (o + 4 >= outlen) {
                break;
            }
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*s >> 4];
            out[o++] = hex[*s & 0x0f];
        }
    }
    out[o] = '\0';
}

apr_status_t cc_json_decode(json_t **out, apr_pool_t *p, const char *buf,
                            size_t len, const cc_json_limits_t *lim,
                            cc_problem_t *prob)
{
    json_error_t err;
    json_t *j;
    char why[CC_JSON_WHY_MAX];

    if (out) {
        *out = NULL;
    }
    if (!out || !p) {
        cc_problem_set(prob, 500, "internal_error",
                       "JSON decoder called without a destination");
        return APR_EINVAL;
    }
    if (lim && lim->max_bytes > 0 && len > lim->max_bytes) {
        cc_problem_set(prob, 413, "body_too_large",
                       "request body exceeds %" APR_SIZE_T_FMT " bytes",
                       lim->max_bytes);
        return APR_EINVAL;
    }
    if (len == 0 || !buf) {
        cc_problem_set(prob, 400, "invalid_json", "invalid JSON: empty body");
        return APR_EINVAL;
    }
    if (lim && lim->max_depth > 0
        && cc_json_depth(buf, len, lim->max_depth) > lim->max_depth) {
        cc_problem_set(prob, 400, "json_too_deep",
                       "JSON nesting deeper than %d levels", lim->max_depth);
        return APR_EINVAL;
    }

    memset(&err, 0, sizeof(err));
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        err.text[sizeof(err.text) - 1] = '\0';
        cc_json_escape_why(why, sizeof(why), err.text);
        cc_problem_set(prob, 400, "invalid_json",
                       "invalid JSON at line %d, column %d: %s",
                       err.line, err.column, why);
        return APR_EINVAL;
    }
    *out = cc_json_pool_own(p, j);
    return APR_SUCCESS;
}

char *cc_json_dump(apr_pool_t *p, const json_t *j, size_t *len)
{
    json_free_t free_fn = NULL;
    char *s;
    char *copy;
    size_t n;

    if (len) {
        *len = 0;
    }
    if (!j) {
        return NULL;
    }
    /* JSON_ENCODE_ANY so scalars serialise too; jansson keeps insertion
     * order and, without JSON_ENSURE_ASCII, emits UTF-8 as is. */
    s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        /* Only out of memory or a reference cycle get here. */
        return apr_pstrdup(p, "");
    }
    n = strlen(s);
    copy = apr_pstrmemdup(p, s, n);
    json_get_alloc_funcs(NULL, &free_fn);
    if (free_fn) {
        free_fn(s);
    }
    else {
        free(s);
    }
    if (len) {
        *len = n;
    }
    return copy;
}

/* A JSON string for s; NULL becomes "", bytes that are not valid UTF-8
 * become '?', so the envelope can always be built. */
static json_t *cc_json_safe_string(apr_pool_t *p, const char *s)
{
    size_t n;
    size_t i;
    char *fixed;

    if (!s) {
        return json_string("");
    }
    n = strlen(s);
    if (cc_utf8_valid(s, n)) {
        return json_stringn(s, n);
    }
    fixed = apr_pstrmemdup(p, s, n);
    i = 0;
    while (i < n) {
        size_t k;

        /* Longest valid sequence starting at i is at most 4 bytes. */
        for (k = 1; k <= 4 && i + k <= n; k++) {
            if (cc_utf8_valid(fixed + i, k)) {
                break;
            }
        }
        if (k <= 4 && i + k <= n) {
            i += k;
        }
        else {
            fixed[i++] = '?';
        }
    }
    return json_stringn(fixed, n);
}

char *cc_json_error_body(apr_pool_t *p, const char *code, const char *message,
                         const char *request_id)
{
    json_t *root;
    json_t *inner;
    char *body = NULL;

    root = json_object();
    inner = json_object();
    if (root && inner
        && json_object_set_new(inner, "code",
                               cc_json_safe_string(p, code)) == 0
        && json_object_set_new(inner, "message",
                               cc_json_safe_string(p, message)) == 0
        && json_object_set_new(inner, "request_id",
                               cc_json_safe_string(p, request_id)) == 0
        && json_object_set(root, "error", inner) == 0) {
        body = cc_json_dump(p, root, NULL);
    }
    json_decref(inner);
    json_decref(root);
    if (!body || !*body) {
        body = apr_pstrdup(p, "{\"error\":{\"code\":\"internal_error\","
                              "\"message\":\"\",\"request_id\":\"\"}}");
    }
    return body;
}

int cc_utf8_valid(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;

    if (!buf) {
        return len == 0;
    }
    while (i < len) {
        unsigned char c = s[i];
        unsigned char lo = 0x80;
        unsigned char hi = 0xbf;
        size_t need;
        size_t k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0) {
                lo = 0xa0;              /* overlong below U+0800 */
            }
            else if (c == 0xed) {
                hi = 0x9f;              /* surrogates D800-DFFF */
            }
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0) {
                lo = 0x90;              /* overlong below U+10000 */
            }
            else if (c == 0xf4) {
                hi = 0x8f;              /* above U+10FFFF */
            }
        }
        else {
            /* 80-BF stray continuation, C0/C1 overlong, F5-FF */
            return 0;
        }
        if (len - i - 1 < need) {
            return 0;                   /* truncated */
        }
        if (s[i + 1] < lo || s[i + 1] > hi) {
            return 0;
        }
        for (k = 2; k <= need; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) {
                return 0;
            }
        }
        i += need + 1;
    }
    return 1;
}

char *cc_json_quote(apr_pool_t *p, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *out = apr_palloc(p, len * 6 + 3), *o = out;
    size_t i;

    *o++ = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

size_t cc_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

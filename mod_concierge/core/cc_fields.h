/*
 * cc_fields.h - JSON bodies checked against a field table: types, ranges,
 * required fields, unknown fields refused.  The same tables name the
 * request and response shapes of the route table (for API documentation).
 *
 * Pure: no httpd header may be included from mod_concierge/core/.
 */
#ifndef CC_FIELDS_H
#define CC_FIELDS_H

#include <stdint.h>
#include <jansson.h>
#include "apr_pools.h"
#include "apr_errno.h"
#include "cc_problem.h"

typedef enum {
    CC_F_STR = 0,       /* text of min..max characters (a name: printable) */
    CC_F_STR_OR_NULL,   /* the same, or null */
    CC_F_INT,           /* whole number min..max */
    CC_F_BOOL,
    CC_F_CURRENCY,      /* ISO 4217: three capital letters */
    CC_F_IDS,           /* array of at most max positive whole numbers */
    CC_F_ENUM,          /* one of values, "a|b|c" */
    CC_F_ANY            /* documented, not checked (response shapes) */
} cc_ftype_e;

typedef struct cc_field_t {
    const char *name;
    cc_ftype_e  type;
    int64_t     min, max;   /* CC_F_STR: characters; CC_F_INT: value;
                               CC_F_IDS: count */
    int         required;   /* on create */
    const char *values;     /* CC_F_ENUM */
} cc_field_t;

/* A named shape: a field table ended by { NULL }, or NULL fields for a
 * shape that is not a JSON object checked here (Markdown, free text). */
typedef struct cc_shape_t {
    const char       *name;
    const cc_field_t *fields;
} cc_shape_t;

/* Check body (a JSON object) against fields.  create: required fields
 * must be there.  APR_SUCCESS, or APR_EINVAL with *prob set: 400
 * invalid_body (not an object), 400 unknown_field, 422 missing_field,
 * 422 invalid_<name>. */
apr_status_t cc_fields_check(const json_t *body, const cc_field_t *fields,
                             int create, cc_problem_t *prob);

/* The type's name ("string", "integer", ...) for documentation. */
const char *cc_fields_type_name(cc_ftype_e type);

#endif

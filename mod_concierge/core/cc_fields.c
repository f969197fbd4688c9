/*
 * cc_fields.c - JSON bodies checked against a field table.
 */
#include <string.h>
#include "apr_lib.h"
#include "apr_strings.h"
#include "cc_fields.h"
#include "cc_json.h"
#include "cc_valid.h"

static int in_enum(const char *v, const char *values)
{
    size_t n = strlen(v);
    const char *p = values;

    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == n && !strncmp(p, v, n)) {
            return 1;
        }
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int valid_ids(const json_t *v, int64_t max)
{
    size_t k;
    json_t *e;

    if (!json_is_array(v) || json_array_size(v) > (size_t)max) {
        return 0;
    }
    json_array_foreach(v, k, e) {
        if (!json_is_integer(e) || json_integer_value(e) < 1) {
            return 0;
        }
    }
    return 1;
}

static int valid_value(const cc_field_t *f, const json_t *v)
{
    const char *s;
    json_int_t n;
    size_t chars;

    switch (f->type) {
    case CC_F_STR_OR_NULL:
        if (json_is_null(v)) {
            return 1;
        }
        /* fall through */
    case CC_F_STR:
        s = json_string_value(v);
        if (!s) {
            return 0;
        }
        chars = cc_utf8_chars(s);
        return chars >= (size_t)f->min && chars <= (size_t)f->max
               && (!*s || cc_name_valid(s, (size_t)f->max));
    case CC_F_ENUM:
        s = json_string_value(v);
        return s && in_enum(s, f->values);
    case CC_F_CURRENCY:
        s = json_string_value(v);
        return s && strlen(s) == 3 && apr_isupper(s[0])
               && apr_isupper(s[1]) && apr_isupper(s[2]);
    case CC_F_INT:
        n = json_integer_value(v);
        return json_is_integer(v) && n >= f->min && n <= f->max;
    case CC_F_BOOL:
        return json_is_boolean(v);
    case CC_F_IDS:
        return valid_ids(v, f->max);
    case CC_F_ANY:
        return 1;
    }
    return 0;
}

apr_status_t cc_fields_check(const json_t *body, const cc_field_t *fields,
                             int create, cc_problem_t *prob)
{
    const char *key;
    json_t *v;
    int i;

    if (!json_is_object(body)) {
        cc_problem_set(prob, 400, "invalid_body", "expected a JSON object");
        return APR_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v) {
        for (i = 0; fields[i].name && strcmp(fields[i].name, key); i++) {
        }
        if (!fields[i].name) {
            cc_problem_set(prob, 400, "unknown_field",
                           "unknown field '%.64s'", key);
            return APR_EINVAL;
        }
    }
    for (i = 0; fields[i].name; i++) {
        const cc_field_t *f = &fields[i];

        v = json_object_get(body, f->name);
        if (!v) {
            if (create && f->required) {
                cc_problem_set(prob, 422, "missing_field", "'%s' is required",
                               f->name);
                return APR_EINVAL;
            }
            continue;
        }
        if (!valid_value(f, v)) {
            cc_problem_set(prob, 422, "", "'%s' has the wrong type or is out "
                           "of range", f->name);
            if (prob) {
                apr_cpystrn(prob->code, "invalid_", sizeof(prob->code));
                apr_cpystrn(prob->code + 8, f->name, sizeof(prob->code) - 8);
            }
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

const char *cc_fields_type_name(cc_ftype_e type)
{
    static const char *const names[] = {
        "string", "string|null", "integer", "boolean", "currency",
        "integer[]", "enum", "any"
    };

    return (unsigned)type < sizeof(names) / sizeof(names[0])
           ? names[type] : "any";
}

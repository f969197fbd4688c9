/*
 * cc_valid.c - see cc_valid.h.
 */
#include <string.h>
#include "cc_valid.h"

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int atext(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

int cc_email_valid(const char *s)
{
    const char *at, *p, *label;
    size_t len, llen;
    int labels = 0, last_alpha = 0;

    if (!s) {
        return 0;
    }
    len = strlen(s);
    at = strchr(s, '@');
    if (len > 254 || !at || strchr(at + 1, '@')) {
        return 0;
    }
    llen = (size_t)(at - s);
    if (llen < 1 || llen > 64 || s[0] == '.' || at[-1] == '.') {
        return 0;
    }
    for (p = s; p < at; p++) {
        if (*p == '.') {
            if (p[1] == '.') {
                return 0;
            }
        }
        else if (!atext((unsigned char)*p)) {
            return 0;
        }
    }
    p = at + 1;
    if (strlen(p) < 1 || strlen(p) > 253) {
        return 0;
    }
    while (*p) {
        size_t n = 0;
        int alpha = 1;

        label = p;
        while (*p && *p != '.') {
            unsigned char c = (unsigned char)*p;

            if (!is_alpha(c) && !is_digit(c) && c != '-') {
                return 0;
            }
            if (!is_alpha(c)) {
                alpha = 0;
            }
            p++;
            n++;
        }
        if (n < 1 || n > 63 || label[0] == '-' || label[n - 1] == '-') {
            return 0;
        }
        labels++;
        last_alpha = (alpha && n >= 2)
                     || (n > 4 && !strncmp(label, "xn--", 4));
        if (*p == '.') {
            p++;
            if (!*p) {
                return 0;       /* trailing dot */
            }
        }
    }
    return labels >= 2 && last_alpha;
}

int cc_phone_valid(const char *s)
{
    size_t n, digits = 0, i;

    if (!s) {
        return 0;
    }
    n = strlen(s);
    if (n < 3 || n > 40) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (is_digit(c)) {
            digits++;
        }
        else if (c == '+') {
            if (i != 0) {
                return 0;
            }
        }
        else if (!strchr(" ()-.", c)) {
            return 0;
        }
    }
    return digits >= 6;
}

int cc_name_valid(const char *s, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    int visible = 0;

    if (!s) {
        return 0;
    }
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            return 0;           /* C1 control */
        }
        if ((*p & 0xc0) != 0x80) {
            chars++;
            if (*p != ' ') {
                visible = 1;
            }
        }
        p++;
    }
    return chars >= 1 && chars <= max_chars && visible;
}

int cc_idem_key_valid(const char *s)
{
    size_t n = 0;

    if (!s) {
        return 0;
    }
    for (; s[n]; n++) {
        if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e) {
            return 0;
        }
    }
    return n >= 1 && n <= 255;
}

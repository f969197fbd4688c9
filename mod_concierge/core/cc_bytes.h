/*
 * cc_bytes.h - byte-level helpers shared by the core: unaligned loads and
 * stores of host-order integers and doubles, FNV-1a 64, and the ASCII
 * classes of white space and digits.
 *
 * The loads and stores go through memcpy, so the bytes may sit at any
 * address (a pointer-free image in shared memory, a blob in a pool); the
 * compiler turns each into one move.  Nothing here checks bounds: the
 * caller has checked that p[0..size) is readable (or writable).
 */
#ifndef CC_BYTES_H
#define CC_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CC_FNV_OFFSET  UINT64_C(0xcbf29ce484222325)
#define CC_FNV_PRIME   UINT64_C(0x100000001b3)

static inline uint16_t cc_ld16(const unsigned char *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t cc_ld32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t cc_ld64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline double cc_ldd(const unsigned char *p)
{
    double v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void cc_st16(unsigned char *p, uint16_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void cc_st32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void cc_st64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void cc_std(unsigned char *p, double v)
{
    memcpy(p, &v, sizeof(v));
}

/* FNV-1a 64 of p[0..n). */
static inline uint64_t cc_fnv1a64(const void *p, size_t n)
{
    const unsigned char *u = p;
    uint64_t h = CC_FNV_OFFSET;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= u[i];
        h *= CC_FNV_PRIME;
    }
    return h;
}

/* ASCII white space: space, tab, newline, carriage return, form feed,
 * vertical tab (isspace in the C locale, without the locale). */
static inline int cc_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
           || c == '\v';
}

static inline int cc_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

#endif

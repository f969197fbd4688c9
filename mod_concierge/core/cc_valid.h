/*
 * cc_valid.h - checks of what patients type into a booking: e-mail
 * address, phone number, name, and the Idempotency-Key header.  Pure.
 */
#ifndef CC_VALID_H
#define CC_VALID_H

#include <stddef.h>

/* An e-mail address as booking forms accept it (RFC 5321 limits, the
 * dot-atom subset of RFC 5322): local@domain, local 1..64 bytes of
 * letters, digits and !#$%&'*+/=?^_`{|}~.- without leading, trailing or
 * double dots; domain 1..253 bytes of dot-separated LDH labels (1..63, no
 * leading/trailing hyphen), at least two labels, the last alphabetic with
 * 2+ letters (IDN as punycode "xn--").  Total at most 254 bytes. */
int cc_email_valid(const char *s);

/* A phone number: 3..40 bytes of digits, spaces and + ( ) - . with at
 * least 6 digits and '+' only first. */
int cc_phone_valid(const char *s);

/* A person's name: valid UTF-8 (the caller's JSON parser checked it),
 * 1..max_chars characters, no control characters (C0, DEL, C1) and not
 * only spaces. */
int cc_name_valid(const char *s, size_t max_chars);

/* An Idempotency-Key: 1..255 bytes of printable ASCII (0x21..0x7e). */
int cc_idem_key_valid(const char *s);

#endif

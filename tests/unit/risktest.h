/* What the risk engine's unit tests share (risktest.c): the shipped rules
 * and category names for failure messages. */
#ifndef CC_TEST_RISKTEST_H
#define CC_TEST_RISKTEST_H

#include <stddef.h>
#include <apr_pools.h>
#include "cc_risk.h"

/* conf/risk-rules.txt (looked for from the working directory and up to
 * two folders above it) in p, its length in *len; the test fails when it
 * is missing. */
char *risktest_shipped_text(apr_pool_t *p, size_t *len);

/* The shipped rules compiled for langs (NULL: all); the test fails when
 * they do not compile. */
cc_ruleset_t *risktest_shipped(apr_pool_t *p, const char *langs);

/* The names of the category bits in cats, each followed by a space, in
 * buf[0..n). */
void risktest_names(unsigned cats, char *buf, size_t n);

#endif

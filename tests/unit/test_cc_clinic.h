/* Shared by the cc_clinic unit tests (test_cc_clinic.c defines them). */
#ifndef TEST_CC_CLINIC_H
#define TEST_CC_CLINIC_H

#include <stdint.h>
#include <apr_pools.h>
#include "cc_tz.h"

/* The checked fixture's pool, made fresh for every test. */
extern apr_pool_t *ct_pool;
void ct_setup(void);
void ct_teardown(void);

/* Europe/London from the system's tzdata (asserted). */
const cc_tz_t *ct_london(void);

/* Monday 2026-06-01 at local (BST) hh:mm, in UTC seconds. */
int64_t ct_jun1(int h, int m);

#endif

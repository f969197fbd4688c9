/*
 * test_payments_refund.c - refunds, admin payments, reconciliation
 * (payments.h).
 */
#include "payments.h"

void py_add_refund_tests(TCase *tc)
{
    (void)tc;
}

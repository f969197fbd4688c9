/* Integration-test runner: PostgreSQL once, httpd per group. */
#include <stdlib.h>
#include <check.h>
#include "harness.h"
#include "payments.h"

int main(void)
{
    SRunner *sr;
    int failed;

    it_global_setup();
    sr = srunner_create(it_suite_api());
    srunner_add_suite(sr, it_suite_roles());
    srunner_add_suite(sr, it_suite_limits());
    srunner_add_suite(sr, it_suite_audit());
    srunner_add_suite(sr, it_suite_ops());
    srunner_add_suite(sr, it_suite_outage());
    srunner_add_suite(sr, it_suite_chat());
    srunner_add_suite(sr, it_suite_answers());
    srunner_add_suite(sr, it_suite_knowledge());
    srunner_add_suite(sr, it_suite_llm());
    srunner_add_suite(sr, it_suite_safety());
    srunner_add_suite(sr, it_suite_booking());
    srunner_add_suite(sr, it_suite_booking_dst());
    srunner_add_suite(sr, it_suite_booking_limit());
    srunner_add_suite(sr, it_suite_calendar());
    srunner_add_suite(sr, it_suite_calendar_keys());
    srunner_add_suite(sr, it_suite_events());
    srunner_add_suite(sr, it_suite_mail());
    srunner_add_suite(sr, it_suite_security());
    srunner_add_suite(sr, it_suite_payments());
    srunner_add_suite(sr, it_suite_status());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    it_global_teardown();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

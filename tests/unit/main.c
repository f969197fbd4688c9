/* Unit-test runner: one Check suite per core module. */
#include <stdlib.h>
#include <apr_general.h>
#include "suites.h"

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(suite_json());
    srunner_add_suite(sr, suite_route());
    srunner_add_suite(sr, suite_bucket());
    srunner_add_suite(sr, suite_audit());
    srunner_add_suite(sr, suite_metrics());
    srunner_add_suite(sr, suite_chunk());
    srunner_add_suite(sr, suite_index());
    srunner_add_suite(sr, suite_index_damage());
    srunner_add_suite(sr, suite_index_context());
    srunner_add_suite(sr, suite_index_big());
    srunner_add_suite(sr, suite_tok());
    srunner_add_suite(sr, suite_stem());
    srunner_add_suite(sr, suite_answer());
    srunner_add_suite(sr, suite_answer_kb());
    srunner_add_suite(sr, suite_llmwire());
    srunner_add_suite(sr, suite_sent());
    srunner_add_suite(sr, suite_risk());
    srunner_add_suite(sr, suite_risk_langs());
    srunner_add_suite(sr, suite_risk_context());
    srunner_add_suite(sr, suite_risk_index());
    srunner_add_suite(sr, suite_notify());
    srunner_add_suite(sr, suite_tz());
    srunner_add_suite(sr, suite_slots());
    srunner_add_suite(sr, suite_valid());
    srunner_add_suite(sr, suite_token());
    srunner_add_suite(sr, suite_limbuf());
    srunner_add_suite(sr, suite_stripe());
    srunner_add_suite(sr, suite_stripe_wire());
    srunner_add_suite(sr, suite_time());
    srunner_add_suite(sr, suite_gcal());
    srunner_add_suite(sr, suite_gcal_auth());
    srunner_add_suite(sr, suite_intent());
    srunner_add_suite(sr, suite_fields());
    srunner_add_suite(sr, suite_http());
    srunner_add_suite(sr, suite_clinic());
    srunner_add_suite(sr, suite_clinic_out());
    srunner_add_suite(sr, suite_manage());
    srunner_add_suite(sr, suite_vocab());
    srunner_add_suite(sr, suite_riskml());
    srunner_add_suite(sr, suite_hours());
    srunner_add_suite(sr, suite_webhdr());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

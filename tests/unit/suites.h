/* Every unit-test file contributes one Suite; main.c runs them all. */
#ifndef CC_TEST_SUITES_H
#define CC_TEST_SUITES_H
#include <check.h>
Suite *suite_json(void);
Suite *suite_route(void);
Suite *suite_bucket(void);
Suite *suite_audit(void);
Suite *suite_metrics(void);
Suite *suite_chunk(void);
Suite *suite_index(void);
Suite *suite_tok(void);
Suite *suite_stem(void);
Suite *suite_answer(void);
Suite *suite_risk(void);
Suite *suite_notify(void);
Suite *suite_tz(void);
Suite *suite_slots(void);
Suite *suite_valid(void);
Suite *suite_token(void);
Suite *suite_time(void);
Suite *suite_gcal(void);
Suite *suite_gcal_auth(void);
Suite *suite_intent(void);
#endif

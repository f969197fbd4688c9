/* risktest.c - see risktest.h. */
#include <string.h>
#include <check.h>
#include <apr_strings.h>
#include "corpus.h"
#include "risktest.h"

char *risktest_shipped_text(apr_pool_t *p, size_t *len)
{
    static const char *const paths[] = {
        "conf/risk-rules.txt", "../conf/risk-rules.txt",
        "../../conf/risk-rules.txt"
    };
    char *text = NULL;
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && !text; i++) {
        text = corpus_slurp(p, paths[i], len);
    }
    ck_assert_msg(text != NULL, "conf/risk-rules.txt not found");
    return text;
}

cc_ruleset_t *risktest_shipped(apr_pool_t *p, const char *langs)
{
    cc_problem_t prob;
    cc_ruleset_t *rs;
    size_t len = 0;
    char *text = risktest_shipped_text(p, &len);

    memset(&prob, 0, sizeof(prob));
    rs = cc_risk_compile(p, text, len, langs, &prob);
    ck_assert_msg(rs != NULL, "conf/risk-rules.txt: %s", prob.message);
    return rs;
}

void risktest_names(unsigned cats, char *buf, size_t n)
{
    int c;

    buf[0] = '\0';
    for (c = 0; c < CC_RISK_NCATEGORIES; c++) {
        if (cats & (1u << c)) {
            apr_cpystrn(buf + strlen(buf), cc_risk_category_names[c],
                        n - strlen(buf));
            apr_cpystrn(buf + strlen(buf), " ", n - strlen(buf));
        }
    }
}

/*
 * mod_concierge_safety.h - clinical safety: screening patient messages and
 * generated replies with the risk rules.
 */
#ifndef MOD_CONCIERGE_SAFETY_H
#define MOD_CONCIERGE_SAFETY_H

#include "mc_private.h"

typedef struct mc_screen {
    int     risky;
    int     emergency;
    json_t *categories;     /* ["pregnancy", ...] (pool-owned) */
    json_t *matches;        /* [{category, rule, start, end, text, ...}] */
} mc_screen;

/* Screen a patient message (reply = 0) or a generated reply (reply = 1).
 * APR_EINIT when no rules could be loaded: the caller must not answer. */
apr_status_t mc_safety_screen(request_rec *r, const char *text, int reply,
                              mc_screen *out);
json_t *mc_safety_health(void);
/* Why the gate is degraded (every patient message handed to staff: the
 * editable rules are missing or do not compile, or none were ever
 * loaded), or NULL when it is not.  Looks at the database at most once a
 * second. */
const char *mc_safety_degraded(request_rec *r);
/* The locked rules (built into the module, never editable through the
 * API) as the rules API lists them: ids -1, -2, ... */
json_t *mc_safety_locked_json(void);
int mc_safety_locked_count(void);
/* Whether this rule is one of the locked ones. */
int mc_safety_is_locked(const char *category, const char *lang,
                        const char *kind, const char *pattern);
/* Read and check the vocabulary and classifier files configured
 * (ConciergeRiskVocabulary, ConciergeRiskModel); an error (logged) when a
 * configured one cannot be used: httpd must not start. */
apr_status_t mc_safety_post_config(apr_pool_t *pconf, server_rec *s);
/* Load the rules now (after a change): this host uses them from now on. */
void mc_safety_reload(request_rec *r);
/* From a background thread (the warm-up at child start): load the rules
 * when none are, or when their version moved (at most once a second). */
void mc_safety_warm(server_rec *s, apr_pool_t *p);
#endif

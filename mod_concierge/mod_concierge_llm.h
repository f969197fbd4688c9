/*
 * mod_concierge_llm.h - the LLM client (OpenAI-compatible chat completions).
 */
#ifndef MOD_CONCIERGE_LLM_H
#define MOD_CONCIERGE_LLM_H

#include "mc_private.h"

typedef struct mc_llm_result {
    int         ok;          /* an answer text was received */
    const char *answer;      /* raw answer (with [Sn] citations) */
    const char *error;       /* why not: "breaker_open", "timeout",
                                "http_429", "http_500", "bad_response",
                                "connect" ... */
    int         attempts;
    apr_int64_t ms;
} mc_llm_result;

struct cc_source_t;
void mc_llm_answer(request_rec *r, const char *question,
                   const struct cc_source_t *src, int nsrc,
                   mc_llm_result *out);
#endif

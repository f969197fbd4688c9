/*
 * knowledge.h - helpers shared by the knowledge suite's files
 * (test_knowledge.c, test_knowledge_bounds.c).
 */
#ifndef IT_KNOWLEDGE_H
#define IT_KNOWLEDGE_H

#include "harness.h"

#define KN_CAT_PATH "/api/admin/knowledge/documents/clinic-cat"
#define KN_CAT_Q "what%20is%20the%20cat%20called"

const char *kn_str(json_t *o, const char *key);
double kn_now(void);
/* A small document about the clinic's cat (name: its title). */
char *kn_cat_body(const char *name, int with_slug);
it_resp *kn_search(const char *q, int k);
json_int_t kn_version(void);

/* The knowledge_bounds tcase (test_knowledge_bounds.c). */
void kn_add_bounds_tcase(Suite *s);
#endif

/*
 * mod_concierge_escalation.h - escalations of risky conversations to staff.
 */
#ifndef MOD_CONCIERGE_ESCALATION_H
#define MOD_CONCIERGE_ESCALATION_H

#include "mc_private.h"
#include "mod_concierge_safety.h"

/* Record a risky message: conversation (escalated), the patient message,
 * the holding reply, the escalation, the notifications and the audit
 * entry, in one transaction.  *escalation_id receives the new id. */
apr_status_t mc_escalation_create(request_rec *r, const char *session_hash,
                                  const char *message, const char *reply,
                                  const mc_screen *scr, const char *source,
                                  const char *client_id,
                                  apr_int64_t *escalation_id);
/* The open escalation of a conversation (bot silent), or 0. */
apr_int64_t mc_escalation_open_for(request_rec *r, const char *session_hash);
/* Add a patient message to an escalated conversation (no bot reply);
 * with scr (a risky message), merge its categories into the open
 * escalation escalation_id.  client_id: the patient's client_message_id
 * (NULL for none): a retry finds the stored turn (sql/012). */
apr_status_t mc_escalation_add_patient_message(request_rec *r,
                                               const char *session_hash,
                                               const char *message,
                                               apr_int64_t escalation_id,
                                               const mc_screen *scr,
                                               const char *client_id);
char *mc_escalation_metrics(request_rec *r);
/* '{webhook,email}': the channels configured to alert staff (a PostgreSQL
 * text[] literal, in p). */
const char *mc_escalation_channels(server_rec *s, apr_pool_t *p);
#endif

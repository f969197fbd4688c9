/*
 * mod_concierge_events.h - one record of what happened, for analytics: a
 * row in `events` per flow (kind, time, ids, category; never message text
 * or personal data).  The booking functions append theirs in SQL; the
 * chat log writer appends chat_answered, chat_no_answer and
 * booking_offered with each stored turn; escalations use this.
 */
#ifndef MOD_CONCIERGE_EVENTS_H
#define MOD_CONCIERGE_EVENTS_H

#include "mc_private.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

typedef struct mc_event {
    const char  *kind;          /* sql/functions/events.sql lists them */
    const char  *source;        /* "patient", "staff", "system" */
    apr_int64_t  conversation;  /* 0: none */
    apr_int64_t  booking;
    apr_int64_t  escalation;
    apr_int64_t  service;
    apr_int64_t  practitioner;
    const char  *category;      /* lower-case words, comma-separated, or
                                   NULL */
} mc_event;

/* Append inside the caller's transaction on dbd. */
apr_status_t mc_event_append(request_rec *r, ap_dbd_t *dbd,
                             const mc_event *ev);

#endif

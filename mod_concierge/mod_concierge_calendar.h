/*
 * mod_concierge_calendar.h - Google Calendar: freeBusy and the event outbox.
 */
#ifndef MOD_CONCIERGE_CALENDAR_H
#define MOD_CONCIERGE_CALENDAR_H

#include "mc_private.h"

/* Busy intervals (cc_interval_t, UTC seconds) of n calendars over
 * [from, to): busy[i] (NULL or empty when none, or when no calendar sync
 * is configured) and ok[i] = 0 when that calendar's availability is
 * unknown (the caller then offers none of its slots).  One freeBusy query
 * for all calendars not cached. */
void mc_calendar_busy(request_rec *r, const char *const *cals, int n,
                      apr_int64_t from, apr_int64_t to,
                      apr_array_header_t **busy, int *ok);
apr_status_t mc_calendar_post_config(apr_pool_t *pconf, server_rec *s);
void mc_calendar_child_init(apr_pool_t *p, server_rec *s);
int mc_calendar_configured(void);
json_t *mc_calendar_health(request_rec *r);
#endif

/*
 * mod_concierge_events.c - appending to the events record from C.
 */
#include "apr_strings.h"
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_events.h"

apr_status_t mc_event_append(request_rec *r, ap_dbd_t *dbd,
                             const mc_event *ev)
{
    const char *args[8];
    apr_dbd_results_t *res;

    args[0] = ev->kind;
    args[1] = ev->source;
    args[2] = MC_I64(r->pool, ev->conversation);
    args[3] = MC_I64(r->pool, ev->booking);
    args[4] = MC_I64(r->pool, ev->escalation);
    args[5] = MC_I64(r->pool, ev->service);
    args[6] = MC_I64(r->pool, ev->practitioner);
    args[7] = ev->category ? ev->category : "";
    return mc_db_select(r, dbd, "cc_event", &res, 8, args);
}

static const mc_stmt stmts[] = {
    { "cc_event",
      "SELECT concierge_event(%s, %s, %lld, %lld, %lld, %lld, %lld, %s)" },
    { NULL, NULL }
};
MC_RESOURCE(events, NULL, stmts);

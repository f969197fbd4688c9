/*
 * mod_concierge_ticker.c - periodic background work in each child: the
 * notification outbox, the calendar outbox, the booking sweeper.
 *
 * One thread per ticker runs tick(pool, server, baton) every `every`, with
 * a pool cleared after each tick.  It is stopped (and joined) in a
 * pre-cleanup of the child pool: pre-cleanups run before the child pool's
 * subpools are destroyed, so a tick in progress still has mod_dbd's
 * connections (a plain cleanup ran after them, and a child crashed at
 * exit).  Sleeps are cut into slices so that a stopping child waits at most
 * one slice, plus the tick in progress.
 */
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "mod_concierge_ticker.h"

#define MC_TICKER_SLICE apr_time_from_msec(100)

struct mc_ticker {
    apr_thread_t        *thread;
    volatile int         stop;
    server_rec          *s;
    const char          *name;
    apr_interval_time_t  every;
    mc_tick_fn          *tick;
    void                *baton;
};

static void *APR_THREAD_FUNC ticker_main(apr_thread_t *th, void *data)
{
    mc_ticker *t = data;
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    apr_pool_tag(p, t->name);
    while (!t->stop) {
        apr_interval_time_t left = t->every;

        t->tick(p, t->s, t->baton);
        apr_pool_clear(p);
        while (left > 0 && !t->stop) {
            apr_interval_time_t nap = left < MC_TICKER_SLICE
                                      ? left : MC_TICKER_SLICE;

            apr_sleep(nap);
            left -= nap;
        }
    }
    apr_pool_destroy(p);
    apr_thread_exit(th, APR_SUCCESS);
    return NULL;
}

static apr_status_t ticker_stop(void *data)
{
    mc_ticker *t = data;
    apr_status_t trv;

    if (t->thread) {
        t->stop = 1;
        apr_thread_join(&trv, t->thread);
        t->thread = NULL;
    }
    return APR_SUCCESS;
}

mc_ticker *mc_ticker_start(apr_pool_t *p, server_rec *s, const char *name,
                           apr_interval_time_t every, mc_tick_fn *tick,
                           void *baton)
{
    mc_ticker *t = apr_pcalloc(p, sizeof(*t));
    apr_status_t rv;

    t->s = s;
    t->name = name;
    t->every = every;
    t->tick = tick;
    t->baton = baton;
    rv = apr_thread_create(&t->thread, NULL, ticker_main, t, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CCLOGNO(01501)
                     "cannot start the %s thread", name);
        return NULL;
    }
    apr_pool_pre_cleanup_register(p, t, ticker_stop);
    return t;
}

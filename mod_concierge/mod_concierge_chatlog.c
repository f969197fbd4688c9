/*
 * mod_concierge_chatlog.c - storing chat turns with group commit.
 *
 * Every chat turn (the patient's message and the reply) must be in
 * PostgreSQL before the patient gets the reply, so that the next message
 * of the session and GET /api/chat/{session_id} find it, on any process or
 * host.  One statement per turn made PostgreSQL the bottleneck of the chat
 * (5-8k turns/s on the 2-core reference machine), so turns waiting at the
 * same moment are written together: each request thread queues its turn
 * and waits; one writer thread per process takes everything queued,
 * writes it with one statement (jsonb_to_recordset), and wakes the
 * waiters with the result.  A lone turn is written at once; under load the
 * batches grow by themselves.
 *
 *   request threads ──queue──> writer thread ──one INSERT──> PostgreSQL
 *          ^                        │
 *          └──── rv + sem_post ─────┘
 *
 * The writer holds a database connection only while it writes and never
 * holds the queue lock while it does.
 *
 * The patient is told what really happened.  A turn still queued after
 * 10 s is withdrawn (the writer skips it): "not saved" is then true.  A
 * turn the writer has already taken is waited for until its statement
 * ends - bounded by the connection's statement_timeout / lock_timeout -
 * and only past a further bound is the answer "not confirmed"
 * (APR_INCOMPLETE), never "not saved" for a turn stored a moment later.
 */
#include <stdlib.h>
#include <string.h>
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include <pthread.h>
#include <semaphore.h>
#include <errno.h>
#include "mod_concierge_api.h"
#include "mod_concierge_db.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_chatlog.h"
#include "cc_json.h"

#define MC_CHATLOG_MAX_BATCH 256
#define MC_CHATLOG_WAIT      apr_time_from_sec(10)   /* queued */
#define MC_CHATLOG_INFLIGHT  apr_time_from_sec(30)   /* then taken */
#define MC_CHATLOG_GATHER       1000    /* us: see writer() */
#define MC_CHATLOG_GATHER_FROM  4
#define MC_CHATLOG_GATHER_ENOUGH 48

/* Items are malloc'd, not pool-allocated.  Each waiter sleeps on its
 * item's own semaphore, posted by the writer without the queue lock (a
 * wake-up that had to re-take one shared lock made every batch a lock
 * convoy).  A request that gives up waiting marks its item abandoned and
 * the writer frees it; the state changes atomically, so exactly one of
 * them frees each item.  An item withdrawn while still queued is never
 * written. */
#define IT_WAITING   0          /* queued */
#define IT_DONE      1
#define IT_ABANDONED 2          /* its request gave up: freed by the writer */
#define IT_TAKEN     3          /* in a batch being written */

typedef struct mc_turn_item {
    char                *row;       /* the turn as one JSON object */
    int                  state;     /* IT_*, atomic */
    apr_status_t         rv;
    sem_t                sem;       /* posted once the row is written */
    struct mc_turn_item *next;
} mc_turn_item;

static void item_free(mc_turn_item *it)
{
    sem_destroy(&it->sem);
    free(it->row);
    free(it);
}

/* Per process; set up in child_init before worker threads exist.
 * (pthreads directly: each waiter has its own condition variable.) */
static pthread_mutex_t     cl_mu_store = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t      cl_work_store = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t    *cl_mu;
static pthread_cond_t     *cl_work;
static mc_turn_item       *cl_head, *cl_tail;
static int                 cl_queued;
static int                 cl_idle;        /* the writer waits for work */
static int                 cl_gathering;   /* ... or for a fuller batch */
static int                 cl_stop;
static apr_thread_t       *cl_thread;
static server_rec         *cl_server;

static apr_status_t write_batch(apr_pool_t *p, mc_turn_item *batch, int n)
{
    apr_array_header_t *parts = apr_array_make(p, n * 2 + 2, sizeof(char *));
    const char *args[1];
    mc_turn_item *it;
    ap_dbd_t *dbd;
    apr_status_t rv;

    APR_ARRAY_PUSH(parts, const char *) = "[";
    for (it = batch; it; it = it->next) {
        APR_ARRAY_PUSH(parts, const char *) = it->row;
        APR_ARRAY_PUSH(parts, const char *) = it->next ? "," : "]";
    }
    args[0] = apr_array_pstrcat(p, parts, 0);
    dbd = mc_db_open_s(cl_server, p);
    if (!dbd) {
        mc_shm_db_health_set(0);
        return APR_EGENERAL;
    }
    rv = mc_db_query_s(cl_server, p, dbd, "cc_chat_store_batch", NULL, 1,
                       args);
    mc_db_close_s(cl_server, dbd);
    return rv;
}

static void *APR_THREAD_FUNC writer(apr_thread_t *th, void *data)
{
    apr_pool_t *p;
    int last_n = 0;

    apr_pool_create(&p, NULL);
    apr_pool_tag(p, "concierge-chatlog");
    pthread_mutex_lock(cl_mu);
    for (;;) {
        mc_turn_item *batch, *it, *last = NULL;
        apr_status_t rv;
        int n = 0;

        while (!cl_head && !cl_stop) {
            cl_idle = 1;            /* enqueuers wake us only now */
            pthread_cond_wait(cl_work, cl_mu);
            cl_idle = 0;
        }
        if (!cl_head && cl_stop) {
            break;
        }
        /* Under load (the last batch was not small), wait a moment for
         * more turns: PostgreSQL's cost is mostly per statement, so fewer,
         * larger batches serve more turns.  A lone turn never waits, and
         * enqueuers wake us early only once the batch is big enough. */
        if (last_n >= MC_CHATLOG_GATHER_FROM && !cl_stop) {
            apr_time_t until = apr_time_now() + MC_CHATLOG_GATHER;
            struct timespec ts;

            ts.tv_sec = (time_t)apr_time_sec(until);
            ts.tv_nsec = (long)apr_time_usec(until) * 1000;
            cl_gathering = 1;
            while (cl_queued < MC_CHATLOG_GATHER_ENOUGH && !cl_stop
                   && pthread_cond_timedwait(cl_work, cl_mu, &ts)
                      != ETIMEDOUT) {
            }
            cl_gathering = 0;
        }
        /* Take up to MC_CHATLOG_MAX_BATCH turns from the head; a turn
         * whose request gave up while it waited here is dropped, unwritten
         * (its request answered "not saved"). */
        batch = NULL;
        while (cl_head && n < MC_CHATLOG_MAX_BATCH) {
            int waiting = IT_WAITING;

            it = cl_head;
            cl_head = it->next;
            cl_queued--;
            it->next = NULL;
            if (!__atomic_compare_exchange_n(&it->state, &waiting, IT_TAKEN,
                                             0, __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE)) {
                item_free(it);
                continue;
            }
            if (last) {
                last->next = it;
            }
            else {
                batch = it;
            }
            last = it;
            n++;
        }
        if (!cl_head) {
            cl_tail = NULL;
        }
        last_n = n;
        pthread_mutex_unlock(cl_mu);

        rv = n ? write_batch(p, batch, n) : APR_SUCCESS;
        apr_pool_clear(p);

        for (it = batch; it; it = last) {
            int taken = IT_TAKEN;

            last = it->next;        /* before the post: it may be freed */
            it->rv = rv;
            if (__atomic_compare_exchange_n(&it->state, &taken, IT_DONE, 0,
                                            __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                sem_post(&it->sem);
            }
            else {
                item_free(it);      /* its request gave up */
            }
        }
        pthread_mutex_lock(cl_mu);
    }
    pthread_mutex_unlock(cl_mu);
    apr_pool_destroy(p);
    apr_thread_exit(th, APR_SUCCESS);
    return NULL;
}

static apr_status_t chatlog_stop(void *data)
{
    apr_status_t trv;

    if (!cl_thread) {
        return APR_SUCCESS;
    }
    pthread_mutex_lock(cl_mu);
    cl_stop = 1;
    pthread_cond_broadcast(cl_work);
    pthread_mutex_unlock(cl_mu);
    apr_thread_join(&trv, cl_thread);
    cl_thread = NULL;
    return APR_SUCCESS;
}

void mc_chatlog_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    cl_server = s;
    cl_head = cl_tail = NULL;
    cl_queued = 0;
    cl_stop = 0;
    cl_mu = &cl_mu_store;
    cl_work = &cl_work_store;
    rv = apr_thread_create(&cl_thread, NULL, writer, NULL, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CCLOGNO(00902)
                     "chat log: cannot start its writer thread");
        cl_thread = NULL;
        cl_mu = NULL;
        return;
    }
    /* A pre-cleanup: it runs before the child pool's subpools (mod_dbd's
     * connections) are destroyed, so queued turns are written first. */
    apr_pool_pre_cleanup_register(p, NULL, chatlog_stop);
}

apr_status_t mc_chatlog_store(request_rec *r, const char *row)
{
    mc_turn_item *it;
    apr_time_t deadline = apr_time_now() + MC_CHATLOG_WAIT;   /* realtime:
                                       sem_timedwait's clock */
    struct timespec ts;
    apr_status_t rv;
    int got = 0, waiting = IT_WAITING;

    if (!cl_mu) {
        return APR_EINIT;
    }
    it = calloc(1, sizeof(*it));
    if (!it || !(it->row = strdup(row))) {
        free(it);
        return APR_ENOMEM;
    }
    sem_init(&it->sem, 0, 0);
    it->state = IT_WAITING;
    pthread_mutex_lock(cl_mu);
    if (cl_stop) {
        pthread_mutex_unlock(cl_mu);
        item_free(it);
        return APR_EINIT;
    }
    if (cl_tail) {
        cl_tail->next = it;
    }
    else {
        cl_head = it;
    }
    cl_tail = it;
    cl_queued++;
    if (cl_idle || (cl_gathering && cl_queued == MC_CHATLOG_GATHER_ENOUGH)) {
        pthread_cond_signal(cl_work);
    }
    pthread_mutex_unlock(cl_mu);

    ts.tv_sec = (time_t)apr_time_sec(deadline);
    ts.tv_nsec = (long)apr_time_usec(deadline) * 1000;
    while (!(got = sem_timedwait(&it->sem, &ts) == 0) && errno == EINTR) {
    }
    if (!got && __atomic_compare_exchange_n(&it->state, &waiting,
                                            IT_ABANDONED, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
        /* Still queued: withdrawn, the writer drops it unwritten. */
        rv = APR_TIMEUP;
    }
    else {
        if (!got) {
            /* Taken into a batch: its statement is bounded by the
             * connection's timeouts; wait for its outcome. */
            int taken = IT_TAKEN;

            deadline = apr_time_now() + MC_CHATLOG_INFLIGHT;
            ts.tv_sec = (time_t)apr_time_sec(deadline);
            ts.tv_nsec = (long)apr_time_usec(deadline) * 1000;
            while (!(got = sem_timedwait(&it->sem, &ts) == 0)
                   && errno == EINTR) {
            }
            if (!got && __atomic_compare_exchange_n(&it->state, &taken,
                                                    IT_ABANDONED, 0,
                                                    __ATOMIC_ACQ_REL,
                                                    __ATOMIC_ACQUIRE)) {
                /* Outcome unknown: the writer frees it. */
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00904)
                              "chat turn: storing it did not finish in time; "
                              "outcome unknown");
                return APR_INCOMPLETE;
            }
            if (!got) {
                /* Written just as we gave up: its post is on the way. */
                while (sem_wait(&it->sem) != 0 && errno == EINTR) {
                }
            }
        }
        rv = it->rv;
        item_free(it);
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, CCLOGNO(00903)
                      "chat turn not stored");
    }
    return rv;
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    /* A batch of chat turns (mod_concierge_chatlog.c), one statement: the
     * conversations (new or continued) and both messages of every turn, in
     * order.  Chat logs may lose their last fraction of a second if
     * PostgreSQL crashes (asynchronous commit for this statement's own
     * transaction only); bookings, payments and audit entries never do. */
    /* Turns and their events; a "nolog" turn (ConciergeChatLog off) is
     * an event alone, without conversation or text.  A turn whose
     * client_message_id (cid) is already stored - a retry racing the
     * first copy - adds no message (sql/012). */
    { "cc_chat_store_batch",
      "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)), "
      "t AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS x(ord int, "
      "hash text, status text, rid text, message text, reply text, mode "
      "text, sources jsonb, timing jsonb, at_us bigint, nolog boolean, "
      "service bigint, cid uuid)), "
      "conv AS (INSERT INTO conversations (session_hash, messages, "
      "last_status) SELECT hash, 2 * count(*), (array_agg(nullif(status, '') "
      "ORDER BY ord DESC))[1] FROM t WHERE nolog IS NOT TRUE GROUP BY hash "
      "ON CONFLICT (session_hash) "
      "DO UPDATE SET messages = conversations.messages + excluded.messages, "
      "last_message_at = now(), last_status = coalesce(excluded.last_status, "
      "conversations.last_status) RETURNING id, session_hash), "
      "ev AS (INSERT INTO events (at, kind, source, conversation_id, "
      "service_id) SELECT to_timestamp(t.at_us / 1000000.0), CASE WHEN "
      "t.mode = 'booking' THEN 'booking_offered' WHEN t.status = "
      "'no_answer' THEN 'chat_no_answer' ELSE 'chat_answered' END, "
      "'patient', conv.id, nullif(t.service, 0) FROM t LEFT JOIN conv ON "
      "conv.session_hash = t.hash AND t.nolog IS NOT TRUE) "
      "INSERT INTO messages (conversation_id, role, body, status, mode, "
      "sources, timing, request_id, created_at, client_id) "
      "SELECT conv.id, v.role, v.body, v.status, v.mode, v.sources, v.timing, "
      "t.rid, to_timestamp((t.at_us + v.o) / 1000000.0), t.cid "
      "FROM cfg, t JOIN conv ON conv.session_hash = t.hash AND t.nolog IS "
      "NOT TRUE, LATERAL (VALUES "
      "(0, 'patient', t.message, NULL::text, NULL::text, '[]'::jsonb, "
      "'{}'::jsonb), (1, 'bot', t.reply, nullif(t.status, ''), "
      "nullif(t.mode, ''), t.sources, t.timing)) AS v(o, role, body, status, "
      "mode, sources, timing) ORDER BY t.at_us, t.ord, v.o "
      "ON CONFLICT (client_id, role) WHERE client_id IS NOT NULL "
      "DO NOTHING" },
    { NULL, NULL }
};
MC_RESOURCE(chatlog, NULL, stmts);

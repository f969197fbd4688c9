/*
 * mod_concierge_index.c - the retrieval index in shared memory, one copy
 * per host, swapped by generation.
 *
 *   +-----------------------------+ 0
 *   | mc_idx_hdr                  |  magic, slot size, active slot,
 *   |                             |  generation, per slot: length,
 *   |                             |  knowledge version, readers, built at
 *   +-----------------------------+ off_slot[0] (APR_ALIGN_DEFAULT)
 *   | slot 0: cc_index image      |  pointer-free (cc_index.h)
 *   +-----------------------------+ off_slot[1]
 *   | slot 1: cc_index image      |
 *   +-----------------------------+
 *
 * Writers (one at a time, under the "concierge-index" global mutex) build
 * a new image in private memory, wait until no reader holds the inactive
 * slot, copy the image there, then publish it: active = slot, generation
 * + 1.  Readers take a slot by incrementing its reader count and then
 * re-checking that it is still the active one, so a writer never
 * overwrites an image being searched (a reader that died holding a count
 * is given up on after one second; every read of an image is
 * bounds-checked, so even then nothing crashes).  Every process validates
 * an image (cc_index_check) once per generation before its first search.
 *
 * Freshness: at most once per second per host a request compares the
 * database's knowledge version with the one the active slot holds and
 * rebuilds when it moved (another host, or psql, changed the knowledge).
 * A knowledge change made through this host builds its image inside its
 * transaction, before COMMIT (mc_index_prepare: an image larger than a
 * slot refuses the change), and installs that image after it.
 *
 * A build that fails (an image larger than a slot can only come from a
 * change made outside the API) is not tried again for the same knowledge
 * version until a back-off (5 s doubling to 5 min) has passed; a new
 * version is tried at once.  /api/admin/health shows the failure.
 */
#include "apr_shm.h"
#include "apr_global_mutex.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_core.h"
#include "util_mutex.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_shm.h"
#include "mod_concierge_index.h"
#include "cc_chunk.h"
#include "cc_index.h"

#define MC_IDX_MAGIC   0x43434953u   /* "CCIS" */
#define MC_IDX_MUTEX   "concierge-index"
#define MC_IDX_CHECK_US APR_USEC_PER_SEC
/* Back-off after a failed build of one knowledge version. */
#define MC_IDX_RETRY_MIN_US (5 * APR_USEC_PER_SEC)
#define MC_IDX_RETRY_MAX_US (300 * APR_USEC_PER_SEC)

/* Why the last build failed (mc_idx_hdr.fail_code). */
#define MC_IDX_FAIL_NONE      0
#define MC_IDX_FAIL_TOO_LARGE 1
#define MC_IDX_FAIL_BUILD     2

typedef struct mc_idx_hdr {
    apr_uint32_t          magic;
    apr_uint32_t          nslots;
    apr_uint64_t          slot_size;
    apr_uint64_t          off_slot[2];
    volatile apr_uint32_t active;
    volatile apr_uint32_t generation;      /* 0: nothing built yet */
    volatile apr_uint32_t readers[2];
    volatile apr_uint32_t nchunks[2];
    volatile apr_uint64_t len[2];
    volatile apr_uint64_t kversion[2];
    volatile apr_uint64_t built_us[2];
    volatile apr_uint64_t build_us;        /* last build duration */
    volatile apr_uint64_t checked_us;      /* last version check */
    volatile apr_uint32_t failures;        /* builds that failed */
    /* The last failed build, written under the mutex; cleared by a
     * successful one.  Health reads it without the lock. */
    volatile apr_uint32_t fail_code;       /* MC_IDX_FAIL_* */
    volatile apr_uint32_t fail_streak;     /* failures of fail_kversion */
    volatile apr_uint64_t fail_kversion;
    volatile apr_uint64_t fail_needed;     /* image bytes (too large) */
    volatile apr_uint64_t retry_us;        /* no new try before */
} mc_idx_hdr;

/* An image built in private memory, not yet published (mc_index_prepare,
 * mc_index_install). */
struct mc_index_image {
    apr_pool_t   *pool;
    void         *img;
    apr_size_t    len;
    apr_int64_t   version;
    apr_uint32_t  nchunks;
};

static apr_shm_t          *idx_shm;
static mc_idx_hdr         *idx;
static apr_global_mutex_t *idx_mutex;
/* Per process: the generation this process has validated. */
static volatile apr_uint32_t idx_validated;

apr_status_t mc_index_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, MC_IDX_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t idx_cleanup(void *unused)
{
    idx_shm = NULL;
    idx = NULL;
    idx_mutex = NULL;
    return APR_SUCCESS;
}

apr_status_t mc_index_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_size_t slot = (apr_size_t)mc_config_geti(s, MC_CONF_INDEX_SIZE);
    apr_size_t off0 = APR_ALIGN(sizeof(mc_idx_hdr), 64);
    apr_size_t total = off0 + 2 * APR_ALIGN(slot, 64);
    apr_status_t rv;

    rv = mc_shm_segment(&idx_shm, total, "concierge-index.shm", pconf, s);
    if (rv != APR_SUCCESS) {
        return rv;      /* logged; ConciergeIndexSize sets its size */
    }
    idx = apr_shm_baseaddr_get(idx_shm);
    memset(idx, 0, sizeof(*idx));   /* slots are written before use */
    idx->magic = MC_IDX_MAGIC;
    idx->nslots = 2;
    idx->slot_size = slot;
    idx->off_slot[0] = off0;
    idx->off_slot[1] = off0 + APR_ALIGN(slot, 64);
    rv = mc_shm_mutex_create(&idx_mutex, MC_IDX_MUTEX, pconf, s);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_cleanup_register(pconf, NULL, idx_cleanup,
                              apr_pool_cleanup_null);
    return APR_SUCCESS;
}

void mc_index_child_init(apr_pool_t *p, server_rec *s)
{
    mc_shm_mutex_attach(&idx_mutex, MC_IDX_MUTEX, p, s);
}

/* ---- building ---------------------------------------------------------- */

static apr_status_t load_version(const mc_dbx *x, ap_dbd_t *dbd,
                                 apr_int64_t *version, const char **synonyms)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *v;

    if (mc_db_select_x(x, dbd, "cc_kn_state", &res, 0, NULL) != APR_SUCCESS
        || apr_dbd_get_row(dbd->driver, x->p, res, &row, 1) != 0) {
        return APR_EGENERAL;
    }
    v = apr_dbd_get_entry(dbd->driver, row, 0);
    *version = v ? apr_strtoi64(v, NULL, 10) : 0;
    if (synonyms) {
        *synonyms = apr_dbd_get_entry(dbd->driver, row, 1);
    }
    return APR_SUCCESS;
}

/* Build the image for the knowledge in the database, in private memory. */
static apr_status_t build_image(const mc_dbx *x, ap_dbd_t *dbd, apr_pool_t *p,
                                apr_int64_t *version, void **img,
                                apr_size_t *len, apr_uint32_t *nchunks)
{
    cc_index_params_t params;
    cc_index_builder_t *b;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *synonyms = NULL;
    apr_size_t max_chars = (apr_size_t)mc_config_geti(x->s,
                                                      MC_CONF_CHUNK_CHARS);
    cc_problem_t prob;
    apr_uint32_t n = 0;

    /* The version first: if the documents change while we read them, the
     * next check sees a newer version and builds again. */
    if (load_version(x, dbd, version, &synonyms) != APR_SUCCESS
        || mc_db_select_x(x, dbd, "cc_kn_all", &res, 0, NULL)
           != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    cc_index_params_default(&params);
    params.k1 = mc_config_getd(x->s, MC_CONFD_BM25_K1);
    params.b = mc_config_getd(x->s, MC_CONFD_BM25_B);
    params.title_weight = mc_config_getd(x->s, MC_CONFD_TITLE_WEIGHT);
    params.synonym_weight = mc_config_getd(x->s, MC_CONFD_SYNONYM_WEIGHT);
    b = cc_index_builder_create(p, &params);
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        const char *slug = apr_dbd_get_entry(dbd->driver, row, 0);
        const char *title = apr_dbd_get_entry(dbd->driver, row, 1);
        const char *body = apr_dbd_get_entry(dbd->driver, row, 2);
        apr_array_header_t *chunks;
        int i;

        if (!slug || !body) {
            continue;
        }
        chunks = cc_chunk_markdown(p, title, body, strlen(body), max_chars);
        for (i = 0; i < chunks->nelts; i++) {
            const cc_chunk_t *ch = &APR_ARRAY_IDX(chunks, i, cc_chunk_t);

            cc_index_builder_add(b, apr_psprintf(p, "%s#%d", slug, i),
                                 ch->title, ch->text, ch->len);
            n++;
        }
    }
    if (synonyms && *synonyms) {
        cc_index_builder_synonyms(b, synonyms, strlen(synonyms));
    }
    memset(&prob, 0, sizeof(prob));
    if (cc_index_build(img, len, b, p, &prob) != APR_SUCCESS) {
        MC_DBX_LOG(x, APLOG_ERR, CCLOGNO(00604) "index build failed: %s",
                   prob.message);
        return APR_EGENERAL;
    }
    *nchunks = n;
    return APR_SUCCESS;
}

/* Copy img into the inactive slot and publish it.  Caller holds the
 * index mutex. */
static apr_status_t publish(const mc_dbx *x, const void *img, apr_size_t len,
                            apr_int64_t version, apr_uint32_t nchunks)
{
    apr_uint32_t gen = apr_atomic_read32(&idx->generation);
    apr_uint32_t slot = gen == 0 ? 0 : 1 - apr_atomic_read32(&idx->active);
    apr_time_t until = apr_time_now() + apr_time_from_sec(1);

    if (len > idx->slot_size) {
        MC_DBX_LOG(x, APLOG_ERR, CCLOGNO(00605)
                   "the knowledge index needs %" APR_SIZE_T_FMT " bytes; "
                   "ConciergeIndexSize is %" APR_UINT64_T_FMT
                   ": keeping the previous index", len, idx->slot_size);
        return APR_ENOSPC;
    }
    while (apr_atomic_read32(&idx->readers[slot]) != 0
           && apr_time_now() < until) {
        apr_sleep(100);
    }
    if (apr_atomic_read32(&idx->readers[slot]) != 0) {
        MC_DBX_LOG(x, APLOG_WARNING, CCLOGNO(00606)
                   "index slot %u still has readers after 1 s; "
                   "overwriting it", slot);
    }
    memcpy((char *)idx + idx->off_slot[slot], img, len);
    idx->len[slot] = len;
    idx->kversion[slot] = (apr_uint64_t)version;
    idx->nchunks[slot] = nchunks;
    idx->built_us[slot] = (apr_uint64_t)apr_time_now();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    apr_atomic_set32(&idx->active, slot);
    apr_atomic_inc32(&idx->generation);
    return APR_SUCCESS;
}

/* A build of knowledge version `version` failed (code, and the bytes the
 * image needed when it was too large): no new try of that version before
 * the back-off.  Caller holds the index mutex. */
static void note_failure(apr_int64_t version, apr_uint32_t code,
                         apr_size_t needed)
{
    apr_uint64_t delay = MC_IDX_RETRY_MIN_US;
    apr_uint32_t streak = 1, i;

    apr_atomic_inc32(&idx->failures);
    if (idx->fail_code != MC_IDX_FAIL_NONE
        && idx->fail_kversion == (apr_uint64_t)version) {
        streak = idx->fail_streak + 1;
    }
    for (i = 1; i < streak && delay < MC_IDX_RETRY_MAX_US; i++) {
        delay *= 2;
    }
    if (delay > MC_IDX_RETRY_MAX_US) {
        delay = MC_IDX_RETRY_MAX_US;
    }
    idx->fail_streak = streak;
    idx->fail_kversion = (apr_uint64_t)version;
    idx->fail_needed = needed;
    idx->retry_us = (apr_uint64_t)apr_time_now() + delay;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    apr_atomic_set32(&idx->fail_code, code);
}

/* Is version's build known to fail, and its back-off not over? */
static int backing_off(apr_int64_t version)
{
    return apr_atomic_read32(&idx->fail_code) != MC_IDX_FAIL_NONE
           && idx->fail_kversion == (apr_uint64_t)version
           && (apr_uint64_t)apr_time_now() < idx->retry_us;
}

static apr_status_t rebuild(const mc_dbx *x, ap_dbd_t *dbd, int force)
{
    apr_pool_t *p;
    apr_int64_t version = 0, current;
    apr_time_t t0 = apr_time_now();
    apr_uint32_t nchunks = 0;
    apr_status_t rv;
    apr_size_t len = 0;
    void *img = NULL;

    if (!idx) {
        return APR_EINIT;
    }
    if (force || apr_atomic_read32(&idx->generation) == 0) {
        rv = apr_global_mutex_lock(idx_mutex);
    }
    else {
        /* Someone else is building: keep serving the current image. */
        rv = apr_global_mutex_trylock(idx_mutex);
        if (APR_STATUS_IS_EBUSY(rv)) {
            return APR_SUCCESS;
        }
    }
    if (rv != APR_SUCCESS) {
        MC_DBX_LOG(x, APLOG_ERR, CCLOGNO(00607) "index lock failed (%d)",
                   rv);
        return rv;
    }
    /* Built by another thread or process while we waited, or failed
     * there and backing off? */
    if (!force && load_version(x, dbd, &current, NULL) == APR_SUCCESS
        && ((apr_atomic_read32(&idx->generation) != 0
             && (apr_uint64_t)current
                == idx->kversion[apr_atomic_read32(&idx->active)])
            || backing_off(current))) {
        apr_global_mutex_unlock(idx_mutex);
        return backing_off(current) ? APR_EAGAIN : APR_SUCCESS;
    }
    apr_pool_create(&p, x->p);
    apr_pool_tag(p, "concierge-index-build");
    rv = build_image(x, dbd, p, &version, &img, &len, &nchunks);
    if (rv == APR_SUCCESS) {
        rv = publish(x, img, len, version, nchunks);
    }
    if (rv != APR_SUCCESS) {
        note_failure(version, rv == APR_ENOSPC ? MC_IDX_FAIL_TOO_LARGE
                                               : MC_IDX_FAIL_BUILD,
                     rv == APR_ENOSPC ? len : 0);
    }
    else {
        apr_atomic_set32(&idx->fail_code, MC_IDX_FAIL_NONE);
        idx->fail_streak = 0;
        apr_atomic_set64(&idx->build_us, (apr_uint64_t)(apr_time_now() - t0));
        MC_DBX_LOG(x, APLOG_INFO, CCLOGNO(00608)
                   "index generation %u: knowledge version %" APR_INT64_T_FMT
                   ", %u chunks, %" APR_SIZE_T_FMT " bytes",
                   apr_atomic_read32(&idx->generation), version, nchunks,
                   len);
    }
    apr_global_mutex_unlock(idx_mutex);
    apr_pool_destroy(p);
    return rv;
}

apr_status_t mc_index_rebuild(request_rec *r, ap_dbd_t *dbd, int force)
{
    mc_dbx x = { r, r->server, r->pool };

    return rebuild(&x, dbd, force);
}

apr_status_t mc_index_prepare(request_rec *r, ap_dbd_t *dbd,
                              mc_index_image **out, apr_size_t *needed,
                              apr_size_t *available)
{
    mc_dbx x = { r, r->server, r->pool };
    mc_index_image *im;
    apr_status_t rv;

    *out = NULL;
    *needed = 0;
    *available = idx ? (apr_size_t)idx->slot_size : 0;
    if (!idx) {
        return APR_EINIT;
    }
    im = apr_pcalloc(r->pool, sizeof(*im));
    apr_pool_create(&im->pool, r->pool);
    apr_pool_tag(im->pool, "concierge-index-prepare");
    /* The same connection, inside the change's transaction: the reads see
     * its uncommitted writes and its version bump. */
    rv = build_image(&x, dbd, im->pool, &im->version, &im->img, &im->len,
                     &im->nchunks);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(im->pool);
        return rv;
    }
    *needed = im->len;
    if (im->len > idx->slot_size) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(01800)
                      "knowledge change refused: its index needs %"
                      APR_SIZE_T_FMT " bytes, ConciergeIndexSize is %"
                      APR_UINT64_T_FMT, im->len, idx->slot_size);
        apr_pool_destroy(im->pool);
        return APR_ENOSPC;
    }
    *out = im;
    return APR_SUCCESS;
}

apr_status_t mc_index_install(request_rec *r, mc_index_image *im)
{
    mc_dbx x = { r, r->server, r->pool };
    apr_status_t rv;
    apr_uint32_t gen;

    if (!idx || !im) {
        return APR_EINIT;
    }
    rv = apr_global_mutex_lock(idx_mutex);
    if (rv != APR_SUCCESS) {
        MC_DBX_LOG(&x, APLOG_ERR, CCLOGNO(01801) "index lock failed (%d)",
                   rv);
        apr_pool_destroy(im->pool);
        return rv;
    }
    /* A newer change (or this one, rebuilt by a request that saw the
     * commit first) may be live already: never go back. */
    gen = apr_atomic_read32(&idx->generation);
    if (gen == 0 || idx->kversion[apr_atomic_read32(&idx->active)]
                    < (apr_uint64_t)im->version) {
        rv = publish(&x, im->img, im->len, im->version, im->nchunks);
        if (rv == APR_SUCCESS) {
            apr_atomic_set32(&idx->fail_code, MC_IDX_FAIL_NONE);
            idx->fail_streak = 0;
            MC_DBX_LOG(&x, APLOG_INFO, CCLOGNO(01802)
                       "index generation %u: knowledge version %"
                       APR_INT64_T_FMT " (built before commit), %u chunks, %"
                       APR_SIZE_T_FMT " bytes",
                       apr_atomic_read32(&idx->generation), im->version,
                       im->nchunks, im->len);
        }
    }
    apr_global_mutex_unlock(idx_mutex);
    apr_pool_destroy(im->pool);
    return rv;
}

/* At most once per second per host: has the knowledge moved? */
static void refresh(const mc_dbx *x)
{
    apr_uint64_t now = (apr_uint64_t)apr_time_now();
    apr_uint64_t last = apr_atomic_read64(&idx->checked_us);
    apr_int64_t version;
    ap_dbd_t *dbd;

    /* Without an image every request would ask; once a build has failed
     * they ask once a second like the rest. */
    if ((apr_atomic_read32(&idx->generation) != 0
         || apr_atomic_read32(&idx->fail_code) != MC_IDX_FAIL_NONE)
        && now - last < MC_IDX_CHECK_US) {
        return;
    }
    if ((apr_atomic_read32(&idx->generation) != 0
         || apr_atomic_read32(&idx->fail_code) != MC_IDX_FAIL_NONE)
        && apr_atomic_cas64(&idx->checked_us, now, last) != last) {
        return;     /* another thread is checking */
    }
    apr_atomic_set64(&idx->checked_us, now);
    /* A connection of its own, given back at once: the chat calls the LLM
     * after this and must not hold one meanwhile. */
    dbd = mc_db_open_x(x);
    if (!dbd) {
        return;     /* serve what we have */
    }
    if (load_version(x, dbd, &version, NULL) == APR_SUCCESS
        && (apr_atomic_read32(&idx->generation) == 0
            || (apr_uint64_t)version
               != idx->kversion[apr_atomic_read32(&idx->active)])
        && !backing_off(version)) {
        rebuild(x, dbd, 0);
    }
    mc_db_close_x(x, dbd);
}

void mc_index_warm(server_rec *s, apr_pool_t *p)
{
    mc_dbx x = { NULL, s, p };

    if (idx) {
        refresh(&x);
    }
}

/* ---- reading ----------------------------------------------------------- */

apr_status_t mc_index_acquire(request_rec *r, mc_index_ref *ref)
{
    int tries;

    if (!idx) {
        return APR_EINIT;
    }
    {
        mc_dbx x = { r, r->server, r->pool };

        refresh(&x);
    }
    for (tries = 0; tries < 8; tries++) {
        apr_uint32_t gen = apr_atomic_read32(&idx->generation);
        apr_uint32_t slot = apr_atomic_read32(&idx->active);

        if (gen == 0) {
            return APR_ENOENT;
        }
        apr_atomic_inc32(&idx->readers[slot]);
        if (apr_atomic_read32(&idx->active) != slot
            || apr_atomic_read32(&idx->generation) != gen) {
            apr_atomic_dec32(&idx->readers[slot]);
            continue;
        }
        ref->slot = slot;
        ref->generation = gen;
        ref->img = (const char *)idx + idx->off_slot[slot];
        ref->len = (apr_size_t)idx->len[slot];
        ref->kversion = (apr_int64_t)idx->kversion[slot];
        if (apr_atomic_read32(&idx_validated) != gen) {
            if (cc_index_check(ref->img, ref->len) != 0) {
                apr_atomic_dec32(&idx->readers[slot]);
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CCLOGNO(00609)
                              "index generation %u failed validation", gen);
                return APR_EGENERAL;
            }
            apr_atomic_set32(&idx_validated, gen);
        }
        return APR_SUCCESS;
    }
    return APR_EAGAIN;
}

void mc_index_release(mc_index_ref *ref)
{
    if (idx && ref->img) {
        apr_atomic_dec32(&idx->readers[ref->slot]);
        ref->img = NULL;
    }
}

apr_status_t mc_index_query(request_rec *r, const char *q, apr_size_t qlen,
                            int k, mc_hit *hits, int *nhits,
                            apr_uint32_t *generation)
{
    cc_hit_t raw[64];
    mc_index_ref ref;
    apr_pool_t *scratch;
    apr_status_t rv;
    int i, n;

    *nhits = 0;
    if (k > 64) {
        k = 64;
    }
    rv = mc_index_acquire(r, &ref);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&scratch, r->pool);
    n = cc_index_search(ref.img, ref.len, q, qlen, raw, k, scratch);
    for (i = 0; i < n; i++) {
        const char *text = cc_index_chunk_text(ref.img, ref.len, raw[i].chunk,
                                               &hits[i].len);
        const char *id = cc_index_chunk_id(ref.img, ref.len, raw[i].chunk);
        const char *title = cc_index_chunk_title(ref.img, ref.len,
                                                 raw[i].chunk);
        const void *sents = cc_index_chunk_sentences(ref.img, ref.len,
                                                     raw[i].chunk,
                                                     &hits[i].sents_len);

        hits[i].id = apr_pstrdup(r->pool, id ? id : "");
        hits[i].title = apr_pstrdup(r->pool, title ? title : "");
        hits[i].text = text ? apr_pstrmemdup(r->pool, text, hits[i].len) : "";
        if (!text) {
            hits[i].len = 0;
        }
        /* Copied like the text: the reader reference ends below. */
        hits[i].sents = sents ? apr_pmemdup(r->pool, sents,
                                            hits[i].sents_len) : NULL;
        hits[i].score = raw[i].score;
        hits[i].coverage = cc_index_coverage(ref.img, ref.len, q, qlen,
                                             raw[i].chunk, scratch);
    }
    if (generation) {
        *generation = ref.generation;
    }
    mc_index_release(&ref);
    apr_pool_destroy(scratch);
    *nhits = n;
    return APR_SUCCESS;
}

json_t *mc_index_health(request_rec *r)
{
    apr_uint32_t gen, slot, code;
    json_t *o, *error = NULL;

    if (!idx) {
        return json_pack("{s:b}", "attached", 0);
    }
    /* Normally built already by the warm-up thread; a health probe that
     * comes first builds it rather than report an empty index. */
    if (r) {
        mc_dbx x = { r, r->server, r->pool };

        refresh(&x);
    }
    gen = apr_atomic_read32(&idx->generation);
    slot = apr_atomic_read32(&idx->active);
    code = apr_atomic_read32(&idx->fail_code);
    if (code != MC_IDX_FAIL_NONE) {
        apr_uint64_t now = (apr_uint64_t)apr_time_now();

        error = json_pack("{s:s, s:I, s:I, s:I, s:I}",
                          "code", code == MC_IDX_FAIL_TOO_LARGE
                                  ? "index_too_large" : "build_failed",
                          "knowledge_version",
                          (json_int_t)idx->fail_kversion,
                          "needed_bytes", (json_int_t)idx->fail_needed,
                          "failures_in_a_row",
                          (json_int_t)idx->fail_streak,
                          "retry_in_ms", (json_int_t)(idx->retry_us > now
                              ? (idx->retry_us - now) / 1000 : 0));
    }
    o = json_pack("{s:b, s:i, s:I, s:I, s:i, s:I, s:I, s:I, s:i, s:I}",
                     "attached", 1,
                     "generation", (int)gen,
                     "built_ago_ms", gen ? (json_int_t)((apr_time_now()
                         - (apr_time_t)idx->built_us[slot]) / 1000) : 0,
                     "knowledge_version", gen ? (json_int_t)idx->kversion[slot] : 0,
                     "chunks", gen ? (int)idx->nchunks[slot] : 0,
                     "bytes", gen ? (json_int_t)idx->len[slot] : 0,
                     "slot_bytes", (json_int_t)idx->slot_size,
                     "last_build_ms", (json_int_t)(apr_atomic_read64(&idx->build_us) / 1000),
                     "failed_builds", (int)apr_atomic_read32(&idx->failures),
                     "readers", (json_int_t)(apr_atomic_read32(&idx->readers[0])
                                             + apr_atomic_read32(&idx->readers[1])));
    /* The last build's failure, or null once a build succeeded. */
    json_object_set_new(o, "error", error ? error : json_null());
    return o;
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_kn_state",
      "SELECT version, synonyms FROM knowledge_state WHERE id = 1" },
    { "cc_kn_all",
      "SELECT slug, title, body FROM knowledge_documents ORDER BY slug" },
    { NULL, NULL }
};
MC_RESOURCE(index, NULL, stmts);

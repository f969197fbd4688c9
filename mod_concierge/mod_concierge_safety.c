/*
 * mod_concierge_safety.c - clinical safety: the compiled risk rules of this
 * process and the screening of patient messages and generated replies
 * (the staff routes that check text and edit the rules: api/compliance.c).
 *
 * Rules live in risk_rules (PostgreSQL).  Each process keeps one compiled
 * ruleset (cc_risk, immutable, shared by all threads) and compares
 * safety_state.version with it at most once a second, recompiling when it
 * moved (a change on any host).  A ruleset in use is reference-counted and
 * freed only when the last check using it is done.  With no ruleset (the
 * database was never reachable) nothing is answered unscreened: the chat
 * answers 503.
 *
 * The locked rules (the emergency rules and "*" negators of the shipped
 * conf/risk-rules.txt, compiled into the module: scripts/risk-rules.sh)
 * are part of every ruleset, whatever the database holds; a database row
 * identical to a locked rule is skipped (the locked copy applies).  When
 * no editable rule is enabled, or the editable rules do not compile, the
 * ruleset is the locked rules alone and the gate is degraded: every
 * patient message is handed to staff (category "unscreened"; emergencies
 * still get the call instruction) and GET /api/health answers 503 with
 * the reason, so a load balancer takes the host out.
 *
 * Beside the rules, two data files read once at start-up and shared
 * read-only by every thread (cc_risk_assess): the medical vocabulary
 * (ConciergeRiskVocabulary) and the classifier's weights
 * (ConciergeRiskModel).  Each is checked (magic, version, sizes,
 * checksum) before use; a configured file that fails the check stops
 * httpd from starting rather than leaving the gate weaker than its
 * operator believes.
 */
#include <pthread.h>
#include "apr_strings.h"
#include "apr_atomic.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_safety.h"
#include "apr_file_io.h"
#include "apr_hash.h"
#include "cc_json.h"
#include "cc_risk.h"
#include "cc_vocab.h"
#include "cc_riskml.h"

typedef struct mc_rules {
    cc_ruleset_t *rs;
    apr_hash_t   *ids;      /* "category\tpattern" -> rule id (text) */
    apr_pool_t   *pool;
    apr_int64_t   version;
    int           nrules;
    int           editable; /* enabled database rules compiled */
    const char   *degraded; /* why every message goes to staff, or NULL */
    apr_time_t    loaded_at;
    int           refs;
    int           retired;
} mc_rules;

/* The locked rules (build/gen/mc_locked_rules.c), parsed once in
 * post_config: read-only afterwards. */
extern const char mc_locked_rules[];
typedef struct mc_locked_rule {
    const char *category, *lang, *kind, *pattern;
} mc_locked_rule;
static apr_array_header_t *lk_rules;    /* mc_locked_rule */
static apr_hash_t         *lk_lines;    /* "category lang kind pattern" */

/* Read-only after post_config (pconf). */
static const cc_vocab_t  *sf_vocab;
static const cc_riskml_t *sf_model;
static uint32_t           sf_vocab_terms;

static pthread_mutex_t       rl_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t       rl_load_mu = PTHREAD_MUTEX_INITIALIZER;
static mc_rules             *rl_current;
static volatile apr_uint64_t rl_checked_us;

static void rules_unref_locked(mc_rules *m)
{
    if (--m->refs == 0 && m->retired) {
        apr_pool_destroy(m->pool);
    }
}

/* Compile the enabled rules; NULL on failure (logged). */
static mc_rules *rules_load(const mc_dbx *x, ap_dbd_t *dbd,
                            apr_int64_t version)
{
    apr_pool_t *p;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *lines;
    cc_problem_t prob;
    mc_rules *m;
    const char *text;
    const char *langs = mc_config_gets(x->s, MC_CONFS_RISK_LANGS);
    int i;

    apr_pool_create(&p, NULL);
    apr_pool_tag(p, "concierge-risk-rules");
    if (mc_db_select_x(x, dbd, "cc_rules_enabled", &res, 0, NULL)
        != APR_SUCCESS) {
        apr_pool_destroy(p);
        return NULL;
    }
    lines = apr_array_make(p, 512, sizeof(char *));
    m = apr_pcalloc(p, sizeof(*m));
    m->ids = apr_hash_make(p);
    /* Locked rules first: ids -1, -2, ... in file order. */
    for (i = 0; i < lk_rules->nelts; i++) {
        const mc_locked_rule *lr = &APR_ARRAY_IDX(lk_rules, i,
                                                  mc_locked_rule);
        const char *key = apr_pstrcat(p, lr->category, "\t", lr->pattern,
                                      NULL);

        if (!apr_hash_get(m->ids, key, APR_HASH_KEY_STRING)) {
            apr_hash_set(m->ids, key, APR_HASH_KEY_STRING,
                         apr_psprintf(p, "%d", -(i + 1)));
        }
    }
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        const char *cat = apr_dbd_get_entry(dbd->driver, row, 0);
        const char *pat = apr_dbd_get_entry(dbd->driver, row, 3);
        const char *key = apr_pstrcat(p, cat, "\t", pat, NULL);
        const char *line = apr_pstrcat(p, cat, " ",
            apr_dbd_get_entry(dbd->driver, row, 1), " ",
            apr_dbd_get_entry(dbd->driver, row, 2), " ", pat, NULL);

        /* A database copy of a locked rule (a database seeded before
         * rules were locked): the locked one applies. */
        if (apr_hash_get(lk_lines, line, APR_HASH_KEY_STRING)) {
            continue;
        }
        APR_ARRAY_PUSH(lines, char *) = apr_pstrcat(p, line, "\n", NULL);
        m->editable++;
        /* The first (lowest) id of a pattern written in several
         * languages: what the rules editor opens. */
        if (!apr_hash_get(m->ids, key, APR_HASH_KEY_STRING)) {
            apr_hash_set(m->ids, key, APR_HASH_KEY_STRING,
                         apr_pstrdup(p, apr_dbd_get_entry(dbd->driver, row,
                                                          4)));
        }
    }
    text = apr_pstrcat(p, mc_locked_rules, apr_array_pstrcat(p, lines, 0),
                       NULL);
    memset(&prob, 0, sizeof(prob));
    m->rs = cc_risk_compile(p, text, strlen(text), langs, &prob);
    if (!m->rs) {
        MC_DBX_LOG(x, APLOG_ERR, CCLOGNO(01001)
                   "risk rules version %" APR_INT64_T_FMT " do not "
                   "compile: %s", version, prob.message);
        m->degraded = apr_psprintf(p, "the risk rules (version %"
                                   APR_INT64_T_FMT ") do not compile: %s",
                                   version, prob.message);
        m->editable = 0;
        /* Checked at start-up: compiles. */
        m->rs = cc_risk_compile(p, mc_locked_rules, strlen(mc_locked_rules),
                                langs, &prob);
        if (!m->rs) {
            apr_pool_destroy(p);
            return NULL;
        }
    }
    else if (m->editable == 0) {
        m->degraded = "no editable risk rule is enabled";
    }
    if (m->degraded) {
        MC_DBX_LOG(x, APLOG_ERR, CCLOGNO(01009)
                   "risk rules version %" APR_INT64_T_FMT ": %s; only the "
                   "locked emergency rules apply and every patient "
                   "message is handed to staff", version, m->degraded);
    }
    m->pool = p;
    m->version = version;
    m->loaded_at = apr_time_now();
    m->nrules = cc_risk_count(m->rs);
    return m;
}

static void rules_refresh(const mc_dbx *x, int force);

void mc_safety_reload(request_rec *r)
{
    mc_dbx x = { r, r->server, r->pool };

    rules_refresh(&x, 1);
}

void mc_safety_warm(server_rec *s, apr_pool_t *p)
{
    mc_dbx x = { NULL, s, p };

    rules_refresh(&x, 0);
}

static void rules_refresh_r(request_rec *r)
{
    mc_dbx x = { r, r->server, r->pool };

    rules_refresh(&x, 0);
}

static void rules_refresh(const mc_dbx *x, int force)
{
    apr_uint64_t now = (apr_uint64_t)apr_time_now();
    apr_uint64_t last = apr_atomic_read64(&rl_checked_us);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *v;
    apr_int64_t version;
    ap_dbd_t *dbd;
    mc_rules *m;
    int have;

    pthread_mutex_lock(&rl_mu);
    have = rl_current != NULL;
    pthread_mutex_unlock(&rl_mu);
    if (!force && have && now - last < APR_USEC_PER_SEC) {
        return;
    }
    if (!force && have
        && apr_atomic_cas64(&rl_checked_us, now, last) != last) {
        return;
    }
    apr_atomic_set64(&rl_checked_us, now);
    dbd = mc_db_open_x(x);
    if (!dbd) {
        return;
    }
    if (mc_db_select_x(x, dbd, "cc_safety_version", &res, 0, NULL)
        == APR_SUCCESS
        && apr_dbd_get_row(dbd->driver, x->p, res, &row, 1) == 0
        && (v = apr_dbd_get_entry(dbd->driver, row, 0))) {
        version = apr_strtoi64(v, NULL, 10);
        /* One compile at a time per process: the warm-up thread and the
         * first requests of a new process must not each compile the same
         * rules (seconds of CPU on a busy host); the others wait for it
         * and find the rules loaded. */
        pthread_mutex_lock(&rl_load_mu);
        pthread_mutex_lock(&rl_mu);
        have = rl_current && rl_current->version == version;
        pthread_mutex_unlock(&rl_mu);
        if (!have && (m = rules_load(x, dbd, version))) {
            pthread_mutex_lock(&rl_mu);
            if (rl_current) {
                rl_current->retired = 1;
                rules_unref_locked(rl_current);   /* the "current" ref */
            }
            m->refs = 1;
            rl_current = m;
            pthread_mutex_unlock(&rl_mu);
            MC_DBX_LOG(x, APLOG_INFO, CCLOGNO(01002)
                       "risk rules version %" APR_INT64_T_FMT ": %d rules",
                       version, m->nrules);
        }
        pthread_mutex_unlock(&rl_load_mu);
    }
    mc_db_close_x(x, dbd);
}

static mc_rules *rules_acquire(request_rec *r)
{
    mc_rules *m;

    rules_refresh_r(r);
    pthread_mutex_lock(&rl_mu);
    m = rl_current;
    if (m) {
        m->refs++;
    }
    pthread_mutex_unlock(&rl_mu);
    return m;
}

static void rules_release(mc_rules *m)
{
    pthread_mutex_lock(&rl_mu);
    rules_unref_locked(m);
    pthread_mutex_unlock(&rl_mu);
}

json_t *mc_safety_health(void)
{
    json_t *o;

    pthread_mutex_lock(&rl_mu);
    o = rl_current ? json_pack("{s:b, s:I, s:I, s:i, s:i, s:i, s:b, s:s?}",
                               "loaded", 1, "loaded_ago_ms",
                               (json_int_t)apr_time_as_msec(
                                   apr_time_now() - rl_current->loaded_at),
                               "version",
                               (json_int_t)rl_current->version, "rules",
                               rl_current->nrules, "locked",
                               lk_rules ? lk_rules->nelts : 0, "editable",
                               rl_current->editable, "degraded",
                               rl_current->degraded != NULL, "reason",
                               rl_current->degraded)
                   : json_pack("{s:b, s:i, s:b, s:s}", "loaded", 0, "locked",
                               lk_rules ? lk_rules->nelts : 0, "degraded", 1,
                               "reason", "the risk rules have not been "
                               "loaded");
    pthread_mutex_unlock(&rl_mu);
    json_object_set_new(o, "vocabulary", sf_vocab
                        ? json_pack("{s:b, s:I}", "loaded", 1, "terms",
                                    (json_int_t)sf_vocab_terms)
                        : json_pack("{s:b}", "loaded", 0));
    json_object_set_new(o, "classifier", json_pack("{s:b}", "loaded",
                                                   sf_model != NULL));
    return o;
}

const char *mc_safety_degraded(request_rec *r)
{
    const char *why = "the risk rules have not been loaded";

    rules_refresh_r(r);
    pthread_mutex_lock(&rl_mu);
    if (rl_current) {
        why = rl_current->degraded
              ? apr_pstrdup(r->pool, rl_current->degraded) : NULL;
    }
    pthread_mutex_unlock(&rl_mu);
    return why;
}

json_t *mc_safety_locked_json(void)
{
    json_t *a = json_array();
    int i;

    for (i = 0; lk_rules && i < lk_rules->nelts; i++) {
        const mc_locked_rule *lr = &APR_ARRAY_IDX(lk_rules, i,
                                                  mc_locked_rule);

        json_array_append_new(a, json_pack(
            "{s:i, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s}", "id", -(i + 1),
            "category", lr->category, "lang", lr->lang, "kind", lr->kind,
            "pattern", lr->pattern, "enabled", 1, "locked", 1, "note",
            "built into the module", "updated_by", "module"));
    }
    return a;
}

int mc_safety_locked_count(void)
{
    return lk_rules ? lk_rules->nelts : 0;
}

int mc_safety_is_locked(const char *category, const char *lang,
                        const char *kind, const char *pattern)
{
    char line[512];

    if (!lk_lines || apr_snprintf(line, sizeof(line), "%s %s %s %s",
                                  category, lang, kind, pattern)
                     >= (int)sizeof(line) - 1) {
        return 0;
    }
    return apr_hash_get(lk_lines, line, APR_HASH_KEY_STRING) != NULL;
}

/* ---- screening ------------------------------------------------------------ */

apr_status_t mc_safety_screen(request_rec *r, const char *text, int reply,
                              mc_screen *out)
{
    cc_risk_result_t res;
    mc_rules *m = rules_acquire(r);
    int i;

    memset(out, 0, sizeof(*out));
    if (!m) {
        return APR_EINIT;       /* never answer unscreened */
    }
    memset(&res, 0, sizeof(res));
    /* A generated reply is checked by the rules alone: the vocabulary and
     * the classifier learnt what patients write, not what the clinic
     * writes back. */
    cc_risk_assess(m->rs, reply ? NULL : sf_vocab, reply ? NULL : sf_model,
                   text, strlen(text), r->pool, &res);
    out->categories = cc_json_pool_own(r->pool, json_array());
    out->matches = cc_json_pool_own(r->pool, json_array());
    for (i = 0; i < CC_RISK_NCATEGORIES; i++) {
        /* A patient message is judged on the clinical categories; a
         * generated reply on medical advice (dosages, contraindications,
         * diagnoses) only: the clinic's own aftercare wording mentions
         * swelling or pregnancy without being advice to this patient. */
        if ((res.categories & (1u << i))
            && (reply ? i == CC_RISK_MEDICAL_ADVICE
                      : i != CC_RISK_MEDICAL_ADVICE)) {
            json_array_append_new(out->categories,
                                  json_string(cc_risk_category_names[i]));
        }
    }
    for (i = 0; res.matches && i < res.matches->nelts; i++) {
        const cc_risk_match_t *mt = &APR_ARRAY_IDX(res.matches, i,
                                                   cc_risk_match_t);
        size_t end = mt->end <= strlen(text) ? mt->end : strlen(text);
        size_t start = mt->start <= end ? mt->start : end;

        json_t *e = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:s%, s:b, s:b}",
            "source", mt->source == CC_RISK_SRC_VOCABULARY ? "vocabulary"
                      : mt->source == CC_RISK_SRC_CLASSIFIER ? "classifier"
                      : "rule",
            "category", cc_risk_category_names[mt->category],
            "rule", mt->rule ? mt->rule : "",
            "start", (json_int_t)start, "end", (json_int_t)end,
            "text", text + start, end - start,
            "negated", mt->negated, "fuzzy", mt->fuzzy);

        if (mt->source == CC_RISK_SRC_RULE && mt->rule) {
            const char *id = apr_hash_get(m->ids, apr_pstrcat(
                r->pool, cc_risk_category_names[mt->category], "\t",
                mt->rule, NULL), APR_HASH_KEY_STRING);

            if (id) {
                json_object_set_new(e, "rule_id",
                                    json_integer(apr_atoi64(id)));
            }
        }
        if (mt->source == CC_RISK_SRC_CLASSIFIER) {
            json_object_set_new(e, "score", json_real(mt->score));
        }
        json_array_append_new(out->matches, e);
    }
    /* Degraded: the editable rules are missing, so no patient message
     * can be judged safe to answer. */
    if (m->degraded && !reply) {
        json_array_append_new(out->categories, json_string("unscreened"));
    }
    out->risky = json_array_size(out->categories) > 0;
    out->emergency = reply ? 0 : res.emergency;
    rules_release(m);
    if (APLOGrdebug(r)) {
        /* Categories only; never the text. */
        char *cats = cc_json_dump(r->pool, out->categories, NULL);

        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, CCLOGNO(01003)
                      "screened %s: risk %d emergency %d %s",
                      reply ? "reply" : "message", out->risky, out->emergency,
                      cats ? cats : "");
    }
    return APR_SUCCESS;
}

/* ---- start-up: the vocabulary and the classifier ------------------------- */

/* The whole file in pconf, 8-byte aligned (both images are read in place). */
static void *read_image(apr_pool_t *p, server_rec *s, const char *what,
                        const char *path, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    void *buf;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    }
    if (rv == APR_SUCCESS && (fi.size <= 0 || fi.size > 256 * 1024 * 1024)) {
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS) {
        *len = (apr_size_t)fi.size;
        buf = apr_palloc(p, *len + 8);      /* APR aligns to 8 */
        rv = apr_file_read_full(f, buf, *len, NULL);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CCLOGNO(01004)
                     "%s: cannot read %s", what, path);
        return NULL;
    }
    apr_file_close(f);
    return buf;
}

/* The locked rules: one "category lang kind pattern" per line, each
 * checked by compiling the whole set with this server's languages. */
static apr_status_t locked_parse(apr_pool_t *pconf, server_rec *s)
{
    char *text = apr_pstrdup(pconf, mc_locked_rules), *line, *last = NULL;
    cc_problem_t prob;

    lk_rules = apr_array_make(pconf, 2048, sizeof(mc_locked_rule));
    lk_lines = apr_hash_make(pconf);
    memset(&prob, 0, sizeof(prob));
    if (!cc_risk_compile(pconf, mc_locked_rules, strlen(mc_locked_rules),
                         mc_config_gets(s, MC_CONFS_RISK_LANGS), &prob)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01010)
                     "the locked risk rules built into the module do not "
                     "compile: %s", prob.message);
        return APR_EGENERAL;
    }
    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        mc_locked_rule *lr = apr_array_push(lk_rules);
        char *f = apr_pstrdup(pconf, line), *rest = NULL;

        apr_hash_set(lk_lines, line, APR_HASH_KEY_STRING, lr);
        lr->category = apr_strtok(f, " ", &rest);
        lr->lang = apr_strtok(NULL, " ", &rest);
        lr->kind = apr_strtok(NULL, " ", &rest);
        lr->pattern = rest;
        if (!lr->category || !lr->lang || !lr->kind || !rest || !*rest) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01011)
                         "locked risk rule %d is not 'category lang kind "
                         "pattern'", lk_rules->nelts);
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t mc_safety_post_config(apr_pool_t *pconf, server_rec *s)
{
    const char *vpath = mc_config_gets(s, MC_CONFS_RISK_VOCAB);
    const char *mpath = mc_config_gets(s, MC_CONFS_RISK_MODEL);
    cc_problem_t prob;
    apr_size_t len;
    void *img;

    sf_vocab = NULL;
    sf_model = NULL;
    sf_vocab_terms = 0;
    memset(&prob, 0, sizeof(prob));
    if (locked_parse(pconf, s) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (vpath) {
        cc_vocab_t *v;

        if (!(img = read_image(pconf, s, "ConciergeRiskVocabulary", vpath,
                               &len))) {
            return APR_EGENERAL;
        }
        if (!(v = cc_vocab_attach(pconf, img, len, &prob))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01005)
                         "ConciergeRiskVocabulary %s is not usable: %s",
                         vpath, prob.message);
            return APR_EGENERAL;
        }
        sf_vocab = v;
        sf_vocab_terms = cc_vocab_count(v);
    }
    if (mpath) {
        cc_riskml_t *ml;

        if (!(img = read_image(pconf, s, "ConciergeRiskModel", mpath, &len))) {
            return APR_EGENERAL;
        }
        if (!(ml = cc_riskml_attach(pconf, img, len, &prob))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01006)
                         "ConciergeRiskModel %s is not usable: %s", mpath,
                         prob.message);
            return APR_EGENERAL;
        }
        /* Its vocabulary features mean what they meant in training only
         * with the same word list. */
        if (cc_riskml_header(ml)->vocab_checksum
            != (sf_vocab ? cc_vocab_checksum(sf_vocab) : 0)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, CCLOGNO(01008)
                         "ConciergeRiskModel %s was trained with another "
                         "vocabulary than ConciergeRiskVocabulary %s: "
                         "rebuild both (make risk-ml)", mpath,
                         vpath ? vpath : "(none)");
            return APR_EGENERAL;
        }
        sf_model = ml;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CCLOGNO(01007)
                 "risk layers: vocabulary %s (%u terms), classifier %s",
                 sf_vocab ? "on" : "off", sf_vocab_terms,
                 sf_model ? "on" : "off");
    return APR_SUCCESS;
}

/* ---- statements ------------------------------------------------------- */

static const mc_stmt stmts[] = {
    { "cc_safety_version", "SELECT version FROM safety_state WHERE id = 1" },
    { "cc_rules_enabled",
      "SELECT category, lang, kind, pattern, id FROM risk_rules WHERE "
      "enabled ORDER BY id" },
    { NULL, NULL }
};
MC_RESOURCE(safety, NULL, stmts);

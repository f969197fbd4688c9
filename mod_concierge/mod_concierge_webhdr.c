/*
 * mod_concierge_webhdr.c - security and cache headers for everything httpd
 * serves outside /api/ on a site with ConciergeAPI On (the patient pages,
 * /widget.js, /assets/): a Content-Security-Policy with no inline script,
 * X-Content-Type-Options, Referrer-Policy, and Cache-Control by path
 * (core cc_webhdr).  API answers are left exactly as the handlers make
 * them.
 *
 * Why hooks in the module and not mod_headers lines in conf/vhost.conf:
 *   - frame-ancestors of /embed must list every ConciergeAllowedOrigin;
 *     the module has that list, a Header line would repeat it by hand and
 *     drift from it;
 *   - mod_headers is not loaded by Debian's default configuration nor by
 *     ours, and an installation should not need another module;
 *   - the module scopes it exactly: only a server or virtual host with
 *     ConciergeAPI On (other sites of a hospital's httpd are untouched),
 *     and ConciergePageHeaders Off turns it off where the concierge shares
 *     a site with pages of the hospital's own.  An administrator's
 *     "Header set" (an output filter, later than these hooks) still wins.
 *
 * Where each header goes:
 *   - the security headers into err_headers_out, so that httpd's own
 *     error pages and redirects carry them too (set in fixups, and again
 *     by insert_error_filter for errors raised before fixups: 401, 403);
 *   - Cache-Control into headers_out, which httpd drops from an error
 *     answer: a 404 under /assets/ is never cached for a year.  A 304
 *     keeps it (httpd sends Cache-Control and ETag on a 304).
 * Subrequests are skipped (mod_dir's index lookup: its headers are merged
 * into the main request's, which has them already); internal redirects
 * are main requests and get the headers of their own path.
 */
#include "mod_concierge_config.h"
#include "mod_concierge_auth.h"
#include "mod_concierge_webhdr.h"
#include "apr_strings.h"
#include "apr_hash.h"
#include "http_request.h"
#include "http_protocol.h"
#include "cc_webhdr.h"

typedef struct wh_site {
    const char *csp_page;       /* frame-ancestors 'self' */
    const char *csp_embed;      /* ... and every ConciergeAllowedOrigin */
} wh_site;

/* server_rec * -> wh_site *; written in post_config only. */
static apr_hash_t *wh_sites;

apr_status_t mc_webhdr_post_config(apr_pool_t *pconf, server_rec *s)
{
    server_rec *sp;

    wh_sites = apr_hash_make(pconf);
    for (sp = s; sp; sp = sp->next) {
        const mc_srv_conf *conf = mc_config_get(sp);
        apr_hash_index_t *hi;
        const char **origins;
        server_rec **key;
        wh_site *w;
        int n = 0;

        if (!mc_config_geti(sp, MC_CONF_API)) {
            continue;
        }
        origins = apr_pcalloc(pconf, sizeof(*origins)
                              * (apr_hash_count(conf->allowed_origins) + 1));
        for (hi = apr_hash_first(pconf, conf->allowed_origins); hi;
             hi = apr_hash_next(hi)) {
            origins[n++] = apr_hash_this_key(hi);
        }
        w = apr_pcalloc(pconf, sizeof(*w));
        w->csp_page = cc_webhdr_csp(pconf, NULL, 0);
        w->csp_embed = cc_webhdr_csp(pconf, origins, n);
        key = apr_palloc(pconf, sizeof(*key));
        *key = sp;
        apr_hash_set(wh_sites, key, sizeof(*key), w);
    }
    return APR_SUCCESS;
}

/* A main request outside /api/ on a site that serves the API with page
 * headers on. */
static const wh_site *wh_for(const request_rec *r)
{
    if (r->main || !wh_sites || !r->uri
        || !mc_config_geti(r->server, MC_CONF_API)
        || !mc_config_geti(r->server, MC_CONF_PAGE_HEADERS)
        || mc_is_api(r)
        || (r->handler && !strcmp(r->handler, MC_HANDLER))) {
        return NULL;
    }
    return apr_hash_get(wh_sites, &r->server, sizeof(r->server));
}

static void wh_security(request_rec *r, const wh_site *w)
{
    apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                   cc_webhdr_framed(r->uri) ? w->csp_embed : w->csp_page);
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
}

static int wh_fixups(request_rec *r)
{
    const wh_site *w = wh_for(r);

    if (w) {
        wh_security(r, w);
        apr_table_setn(r->headers_out, "Cache-Control",
                       cc_webhdr_cache(r->uri));
    }
    return DECLINED;
}

static void wh_insert_error_filter(request_rec *r)
{
    const wh_site *w = wh_for(r);

    if (w) {
        wh_security(r, w);
    }
}

void mc_webhdr_register(apr_pool_t *p)
{
    ap_hook_fixups(wh_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(wh_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
}

/*
 * cc_webhdr.h - the headers of what httpd serves beside the API on a
 * concierge site (the patient pages, the widget script, hashed assets):
 * the Content-Security-Policy, with no inline script, and the
 * Cache-Control of a path.  Pure: the glue (mod_concierge_webhdr.c)
 * decides which requests get them.
 */
#ifndef CC_WEBHDR_H
#define CC_WEBHDR_H

#include <apr_pools.h>

#define CC_WEBHDR_IMMUTABLE "public, max-age=31536000, immutable"
#define CC_WEBHDR_REVALIDATE "no-cache"

/* The policy of a page, in p:
 *   default-src 'self'; script-src 'self'; style-src 'self';
 *   img-src 'self' data:; connect-src 'self'; object-src 'none';
 *   base-uri 'none'; form-action 'self'; frame-ancestors 'self' ...
 * with frame_origins[0..n) (origins as ConciergeAllowedOrigin checked
 * them: scheme://host[:port]) after 'self' in frame-ancestors, sorted and
 * without repeats, so every process writes the same header. */
char *cc_webhdr_csp(apr_pool_t *p, const char *const *frame_origins, int n);

/* 1 when path is the page the widget frames on other sites: /embed, or
 * anything under /embed/. */
int cc_webhdr_framed(const char *path);

/* The Cache-Control of a successful answer at path: files under /assets/
 * (content-hashed names) CC_WEBHDR_IMMUTABLE; everything else - HTML,
 * /widget.js, any file whose name does not change with its content -
 * CC_WEBHDR_REVALIDATE (stored, but revalidated with its ETag each
 * time). */
const char *cc_webhdr_cache(const char *path);

#endif

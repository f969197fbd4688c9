/*
 * cc_bucket.h - token-bucket arithmetic and the bounded bucket table.
 *
 * All arithmetic is integer fixed point (micro-tokens), so it is exact and
 * identical in every process.  The table is a flat, pointer-free region that
 * may live in shared memory: the caller provides the memory and the lock.
 */
#ifndef CC_BUCKET_H
#define CC_BUCKET_H

#include <stdint.h>
#include <stddef.h>

/* A rate: `limit` requests per `period_s` seconds.  Bucket capacity is
 * `limit`; it refills continuously at limit/period_s tokens per second. */
typedef struct cc_rate_t {
    uint32_t limit;
    uint32_t period_s;
} cc_rate_t;

/* Parse "<count>/<sec|min|hour>" (also "s", "second", "m", "minute", "h").
 * count 1..1000000.  Returns 0 and fills *out, or -1 with *err set to a
 * static English message naming the problem. */
int cc_rate_parse(cc_rate_t *out, const char *spec, const char **err);

typedef struct cc_bucket_t {
    int64_t  tokens_u;    /* micro-tokens available (0..limit*1e6) */
    int64_t  updated_us;  /* time of last refill, microseconds */
} cc_bucket_t;

typedef struct cc_bucket_result_t {
    int      allowed;        /* 1 when one token was taken */
    uint32_t limit;          /* rate->limit */
    uint32_t remaining;      /* whole tokens left after this request */
    uint32_t retry_after_s;  /* when refused: seconds until 1 token, >= 1;
                                0 when allowed */
    uint32_t reset_s;        /* seconds until the bucket is full again
                                (ceil), 0 when full */
} cc_bucket_result_t;

/* Start a full bucket at now_us. */
void cc_bucket_init(cc_bucket_t *b, const cc_rate_t *rate, int64_t now_us);

/* Refill for the time since updated_us (clock going backwards refills
 * nothing), then take one token if available. */
void cc_bucket_take(cc_bucket_t *b, const cc_rate_t *rate, int64_t now_us,
                    cc_bucket_result_t *res);

/* ---- bounded table ------------------------------------------------------
 * Layout at the start of the region given to cc_buckets_init:
 *
 *   +--------------------+  offset 0
 *   | cc_buckets_hdr     |  magic, nslots, counters
 *   +--------------------+
 *   | slot[0]            |  key hash, class, key bytes, bucket, last use
 *   | ...                |
 *   | slot[nslots-1]     |
 *   +--------------------+
 *
 * Open addressing with a bounded probe window.  When the window holds
 * only live buckets, a new key is given no slot: it takes from its class's
 * overflow bucket (in the header), shared by every such key, until slots
 * expire - evicting a live bucket would hand out a fresh, full one.  A slot idle for longer than
 * its rate's period is expired (a full bucket holds no state worth keeping).
 * No pointers are stored, so every process may map it at any address.
 * NOT thread-safe: the caller holds a lock around cc_buckets_take.
 */
#define CC_BUCKET_KEY_MAX 96   /* "u:" + a 64-byte user name, or "ip:" + IPv6 */

size_t cc_buckets_size(uint32_t nslots);          /* bytes needed */
/* Initialise region (size from cc_buckets_size). Returns 0 or -1. */
int cc_buckets_init(void *region, size_t size, uint32_t nslots);
/* Validate a region (magic/size); 0 when usable. */
int cc_buckets_check(const void *region, size_t size);

/* Take a token for (cls, key).  key is truncated to CC_BUCKET_KEY_MAX bytes
 * (callers pass "ip:<address>" or "u:<user>"; both fit). */
void cc_buckets_take(void *region, int cls, const char *key,
                     const cc_rate_t *rate, int64_t now_us,
                     cc_bucket_result_t *res);

/* Would a take for (cls, key) be allowed now?  Fills res as a take would
 * (allowed, remaining, retry_after_s) without taking a token, creating a
 * slot or changing anything: an unknown key has a full bucket.  Used to
 * refuse a locked-out login before any work is done; the failures are
 * then counted with cc_buckets_take. */
void cc_buckets_peek(const void *region, int cls, const char *key,
                     const cc_rate_t *rate, int64_t now_us,
                     cc_bucket_result_t *res);

/* The bucket key of a client address: "ip:<a.b.c.d>" for IPv4 (and an
 * IPv4-mapped IPv6 address), "ip6:<first 64 bits>/64" for IPv6 - one
 * subscriber usually holds a whole /64, so keying each address would
 * give it 2^64 fresh buckets.  Writes at most n bytes (NUL included);
 * returns 0, or -1 for a string that is no address (the key is then
 * "ip:?" + the text cut to fit, so such clients still share limits). */
int cc_client_key(const char *addr, char *out, size_t n);

typedef struct cc_buckets_stats_t {
    uint32_t nslots;
    uint32_t used;        /* slots holding a live bucket */
    uint64_t evictions;   /* LRU evictions because the window was full
                             (only for classes >= 16; others overflow) */
    uint64_t expirations; /* idle slots reused */
    uint64_t overflows;   /* takes by new keys on their class's shared
                             bucket because the window held only live
                             buckets */
} cc_buckets_stats_t;

void cc_buckets_stats(const void *region, int64_t now_us,
                      cc_buckets_stats_t *st);

#endif

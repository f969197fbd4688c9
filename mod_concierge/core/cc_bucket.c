/*
 * cc_bucket.c - token-bucket arithmetic and the bounded bucket table.
 *
 * Tokens are kept in micro-tokens (1 token = 1e6 micro-tokens) and time in
 * microseconds.  A rate of `limit` per `period_s` seconds refills
 * limit / period_s micro-tokens per microsecond, so the refill for an
 * elapsed time E is E * limit / period_s micro-tokens.  Products are taken
 * in 128 bits, so no realistic input can overflow.
 *
 * The refill never loses time to rounding: updated_us only advances by the
 * time that the whole micro-tokens granted correspond to (rounded up), the
 * remainder carries over to the next call.  Slow rates such as 1/hour thus
 * refill correctly even when requests arrive every few microseconds.
 */
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "cc_bucket.h"

#define CC_MICRO            INT64_C(1000000)
#define CC_RATE_COUNT_MAX   1000000u

#define CC_BUCKETS_MAGIC    0x4343424bu     /* "CCBK" */
#define CC_BUCKETS_VERSION  2u
#define CC_BUCKETS_OVERFLOW 16      /* classes with an overflow bucket */
#define CC_BUCKETS_WINDOW   16u

typedef unsigned __int128 cc_u128;
typedef __int128 cc_i128;

/* ---- rate parsing ------------------------------------------------------- */

typedef struct cc_rate_unit_t {
    const char *name;
    uint32_t    seconds;
} cc_rate_unit_t;

static const cc_rate_unit_t cc_rate_units[] = {
    { "sec",    1 },
    { "s",      1 },
    { "second", 1 },
    { "min",    60 },
    { "m",      60 },
    { "minute", 60 },
    { "hour",   3600 },
    { "h",      3600 },
};

int cc_rate_parse(cc_rate_t *out, const char *spec, const char **err)
{
    const char *s = spec;
    const char *dummy;
    uint32_t count = 0;
    size_t i;

    if (!err) {
        err = &dummy;
    }
    if (!out) {
        *err = "no rate to fill";
        return -1;
    }
    if (!s || !*s) {
        *err = "rate is empty";
        return -1;
    }
    if (*s < '0' || *s > '9') {
        *err = "rate must start with a positive whole count, as in 10/min";
        return -1;
    }
    while (*s >= '0' && *s <= '9') {
        count = count * 10 + (uint32_t)(*s - '0');
        if (count > CC_RATE_COUNT_MAX) {
            *err = "rate count must be between 1 and 1000000";
            return -1;
        }
        s++;
    }
    if (count == 0) {
        *err = "rate count must be between 1 and 1000000";
        return -1;
    }
    if (*s != '/') {
        *err = "rate must be written <count>/<unit>, as in 10/min";
        return -1;
    }
    s++;
    for (i = 0; i < sizeof(cc_rate_units) / sizeof(cc_rate_units[0]); i++) {
        if (strcmp(s, cc_rate_units[i].name) == 0) {
            out->limit = count;
            out->period_s = cc_rate_units[i].seconds;
            return 0;
        }
    }
    *err = "rate unit must be sec, min or hour";
    return -1;
}

/* ---- one bucket ----------------------------------------------------------- */

static int64_t cc_capacity_u(const cc_rate_t *rate)
{
    return (int64_t)rate->limit * CC_MICRO;
}

/* Microseconds needed to refill `need_u` micro-tokens (rounded up). */
static cc_i128 cc_time_for(const cc_rate_t *rate, int64_t need_u)
{
    cc_u128 num = (cc_u128)(uint64_t)need_u * rate->period_s;

    return (cc_i128)((num + rate->limit - 1) / rate->limit);
}

/* Whole seconds, rounded up, for a positive number of microseconds. */
static uint32_t cc_ceil_seconds(cc_i128 us)
{
    cc_i128 s;

    if (us <= 0) {
        return 0;
    }
    s = (us + CC_MICRO - 1) / CC_MICRO;
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

void cc_bucket_init(cc_bucket_t *b, const cc_rate_t *rate, int64_t now_us)
{
    b->tokens_u = cc_capacity_u(rate);
    b->updated_us = now_us;
}

static void cc_bucket_refill(cc_bucket_t *b, const cc_rate_t *rate,
                             int64_t now_us)
{
    int64_t cap = cc_capacity_u(rate);
    cc_i128 elapsed = (cc_i128)now_us - (cc_i128)b->updated_us;
    cc_i128 full_us = (cc_i128)rate->period_s * CC_MICRO;
    cc_u128 add;

    /* A corrupt or stale (limit lowered) value is brought back in range. */
    if (b->tokens_u < 0) {
        b->tokens_u = 0;
    }
    if (b->tokens_u > cap) {
        b->tokens_u = cap;
    }
    if (elapsed <= 0) {
        /* No time passed, or the clock went backwards: nothing is refilled.
         * A step back within one period (also what a process that read the
         * clock before waiting for the lock sees) keeps updated_us, so no
         * time is ever counted twice.  A larger step rebases the bucket on
         * the new clock, so it never stays frozen for more than a period. */
        if (-elapsed > full_us) {
            b->updated_us = now_us;
        }
        return;
    }
    if (b->tokens_u == cap || elapsed >= full_us) {
        b->tokens_u = cap;
        b->updated_us = now_us;
        return;
    }
    add = (cc_u128)elapsed * rate->limit / rate->period_s;
    if ((cc_i128)add >= (cc_i128)(cap - b->tokens_u)) {
        b->tokens_u = cap;
        b->updated_us = now_us;
        return;
    }
    b->tokens_u += (int64_t)add;
    /* Advance only by the time the granted micro-tokens account for. */
    b->updated_us += (int64_t)cc_time_for(rate, (int64_t)add);
}

void cc_bucket_take(cc_bucket_t *b, const cc_rate_t *rate, int64_t now_us,
                    cc_bucket_result_t *res)
{
    int64_t cap;

    memset(res, 0, sizeof(*res));
    res->limit = rate->limit;
    if (rate->limit == 0 || rate->period_s == 0) {
        /* A zero rate admits nothing; the bucket is trivially full. */
        b->tokens_u = 0;
        b->updated_us = now_us;
        res->retry_after_s = rate->period_s ? rate->period_s : 1;
        return;
    }
    cap = cc_capacity_u(rate);
    cc_bucket_refill(b, rate, now_us);

    if (b->tokens_u >= CC_MICRO) {
        b->tokens_u -= CC_MICRO;
        res->allowed = 1;
    }
    else {
        cc_i128 wait = (cc_i128)b->updated_us
                       + cc_time_for(rate, CC_MICRO - b->tokens_u)
                       - (cc_i128)now_us;
        uint32_t s = cc_ceil_seconds(wait);

        res->retry_after_s = s < 1 ? 1 : s;
    }
    res->remaining = (uint32_t)(b->tokens_u / CC_MICRO);
    if (b->tokens_u < cap) {
        cc_i128 wait = (cc_i128)b->updated_us
                       + cc_time_for(rate, cap - b->tokens_u)
                       - (cc_i128)now_us;

        res->reset_s = cc_ceil_seconds(wait);
        if (res->reset_s == 0) {
            res->reset_s = 1;
        }
    }
}

/* ---- bounded table -------------------------------------------------------- */

typedef struct cc_buckets_hdr_t {
    uint32_t magic;
    uint32_t version;
    uint32_t nslots;
    uint32_t slot_size;
    uint64_t total_size;
    uint64_t evictions;
    uint64_t expirations;
    uint64_t overflows;
    /* Per class: the one bucket every new key shares while its probe
     * window holds only live buckets (zeroed = full at first use). */
    cc_bucket_t overflow[CC_BUCKETS_OVERFLOW];
} cc_buckets_hdr_t;

typedef struct cc_buckets_slot_t {
    uint64_t    hash;
    int64_t     last_used_us;
    cc_bucket_t bucket;
    int32_t     cls;
    uint32_t    period_s;
    uint8_t     in_use;
    uint8_t     keylen;
    char        key[CC_BUCKET_KEY_MAX];
} cc_buckets_slot_t;

static cc_buckets_slot_t *cc_slots(void *region)
{
    return (cc_buckets_slot_t *)((char *)region + sizeof(cc_buckets_hdr_t));
}

static const cc_buckets_slot_t *cc_slots_const(const void *region)
{
    return (const cc_buckets_slot_t *)((const char *)region
                                       + sizeof(cc_buckets_hdr_t));
}

size_t cc_buckets_size(uint32_t nslots)
{
    uint64_t n = (uint64_t)sizeof(cc_buckets_hdr_t)
                 + (uint64_t)nslots * sizeof(cc_buckets_slot_t);

    if (n > SIZE_MAX) {
        return 0;
    }
    return (size_t)n;
}

int cc_buckets_init(void *region, size_t size, uint32_t nslots)
{
    cc_buckets_hdr_t *h = region;
    size_t need = cc_buckets_size(nslots);

    if (!region || nslots == 0 || need == 0 || size < need) {
        return -1;
    }
    memset(region, 0, need);
    h->magic = CC_BUCKETS_MAGIC;
    h->version = CC_BUCKETS_VERSION;
    h->nslots = nslots;
    h->slot_size = (uint32_t)sizeof(cc_buckets_slot_t);
    h->total_size = need;
    return 0;
}

/* The header is ours and self-consistent (so a corrupt slot count can
 * never send an access outside the region). */
static int cc_hdr_ok(const cc_buckets_hdr_t *h)
{
    return h && h->magic == CC_BUCKETS_MAGIC
           && h->version == CC_BUCKETS_VERSION
           && h->slot_size == sizeof(cc_buckets_slot_t) && h->nslots != 0
           && h->total_size == cc_buckets_size(h->nslots);
}

int cc_buckets_check(const void *region, size_t size)
{
    const cc_buckets_hdr_t *h = region;

    if (!region || size < sizeof(*h) || !cc_hdr_ok(h)
        || h->total_size > size) {
        return -1;
    }
    return 0;
}

/* FNV-1a, 64 bit, over the class byte and the key bytes. */
static uint64_t cc_key_hash(int cls, const char *key, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    h ^= (uint8_t)cls;
    h *= UINT64_C(0x100000001b3);
    for (i = 0; i < len; i++) {
        h ^= (uint8_t)key[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static int cc_slot_expired(const cc_buckets_slot_t *s, int64_t now_us)
{
    cc_i128 idle = (cc_i128)now_us - (cc_i128)s->last_used_us;

    return idle > (cc_i128)s->period_s * CC_MICRO;
}

void cc_buckets_take(void *region, int cls, const char *key,
                     const cc_rate_t *rate, int64_t now_us,
                     cc_bucket_result_t *res)
{
    cc_buckets_hdr_t *h = region;
    cc_buckets_slot_t *slots, *s, *found = NULL, *free_slot = NULL;
    cc_buckets_slot_t *lru = NULL;
    uint32_t window, start, i;
    size_t keylen;
    uint64_t hash;

    if (!cc_hdr_ok(h)) {
        /* No usable table: fail open rather than refuse every request. */
        memset(res, 0, sizeof(*res));
        res->allowed = 1;
        res->limit = rate->limit;
        res->remaining = rate->limit ? rate->limit - 1 : 0;
        return;
    }
    if (!key) {
        key = "";
    }
    keylen = strnlen(key, CC_BUCKET_KEY_MAX);
    hash = cc_key_hash(cls, key, keylen);
    slots = cc_slots(region);
    window = h->nslots < CC_BUCKETS_WINDOW ? h->nslots : CC_BUCKETS_WINDOW;
    start = (uint32_t)(hash % h->nslots);

    for (i = 0; i < window; i++) {
        s = &slots[((uint64_t)start + i) % h->nslots];
        if (!s->in_use) {
            if (!free_slot) {
                free_slot = s;
            }
            continue;
        }
        if (s->hash == hash && s->cls == cls && s->keylen == keylen
            && memcmp(s->key, key, keylen) == 0) {
            found = s;
            break;
        }
        if (cc_slot_expired(s, now_us)) {
            if (!free_slot) {
                free_slot = s;
            }
            continue;
        }
        if (!lru || s->last_used_us < lru->last_used_us) {
            lru = s;
        }
    }

    if (!found) {
        if (free_slot) {
            if (free_slot->in_use) {
                h->expirations++;
            }
            found = free_slot;
        }
        else if (cls >= 0 && cls < CC_BUCKETS_OVERFLOW) {
            /* Every slot in reach holds a live bucket.  Evicting one would
             * hand the newcomer a fresh, full bucket - and a client with
             * many addresses could wipe its own history the same way.
             * Instead every new key of the class shares one bucket until
             * slots expire (issue 12 item 7). */
            h->overflows++;
            cc_bucket_take(&h->overflow[cls], rate, now_us, res);
            return;
        }
        else {
            h->evictions++;
            found = lru;
        }
        memset(found, 0, sizeof(*found));
        found->in_use = 1;
        found->hash = hash;
        found->cls = cls;
        found->keylen = (uint8_t)keylen;
        memcpy(found->key, key, keylen);
        cc_bucket_init(&found->bucket, rate, now_us);
        found->last_used_us = now_us;
    }
    else if (now_us > found->last_used_us) {
        found->last_used_us = now_us;
    }
    found->period_s = rate->period_s;
    cc_bucket_take(&found->bucket, rate, now_us, res);
}

void cc_buckets_peek(const void *region, int cls, const char *key,
                     const cc_rate_t *rate, int64_t now_us,
                     cc_bucket_result_t *res)
{
    const cc_buckets_hdr_t *h = region;
    const cc_buckets_slot_t *slots, *s;
    cc_bucket_t copy;
    uint32_t window, start, i;
    int64_t live;
    size_t keylen;
    uint64_t hash;

    memset(res, 0, sizeof(*res));
    res->limit = rate->limit;
    res->allowed = 1;
    res->remaining = rate->limit;
    if (!cc_hdr_ok(h)) {
        return;
    }
    if (!key) {
        key = "";
    }
    keylen = strnlen(key, CC_BUCKET_KEY_MAX);
    hash = cc_key_hash(cls, key, keylen);
    slots = cc_slots_const(region);
    window = h->nslots < CC_BUCKETS_WINDOW ? h->nslots : CC_BUCKETS_WINDOW;
    start = (uint32_t)(hash % h->nslots);
    live = window;
    for (i = 0; i < window; i++) {
        s = &slots[((uint64_t)start + i) % h->nslots];
        if (!s->in_use || cc_slot_expired(s, now_us)) {
            live--;             /* a take would find room here */
        }
        if (s->in_use && s->hash == hash && s->cls == cls
            && s->keylen == keylen && memcmp(s->key, key, keylen) == 0) {
            if (cc_slot_expired(s, now_us)) {
                return;                 /* as good as full */
            }
            /* A take on a copy: the answer without the side effect.  The
             * token it takes is put back by looking at the result. */
            copy = s->bucket;
            cc_bucket_take(&copy, rate, now_us, res);
            if (res->allowed) {
                res->remaining++;
            }
            return;
        }
    }
    if (live == window && cls >= 0 && cls < CC_BUCKETS_OVERFLOW) {
        /* No room: a take would use the class's overflow bucket. */
        copy = h->overflow[cls];
        cc_bucket_take(&copy, rate, now_us, res);
        if (res->allowed) {
            res->remaining++;
        }
    }
}

void cc_buckets_stats(const void *region, int64_t now_us,
                      cc_buckets_stats_t *st)
{
    const cc_buckets_hdr_t *h = region;
    const cc_buckets_slot_t *slots;
    uint32_t i;

    memset(st, 0, sizeof(*st));
    if (!cc_hdr_ok(h)) {
        return;
    }
    st->nslots = h->nslots;
    st->evictions = h->evictions;
    st->expirations = h->expirations;
    st->overflows = h->overflows;
    slots = cc_slots_const(region);
    for (i = 0; i < h->nslots; i++) {
        if (slots[i].in_use && !cc_slot_expired(&slots[i], now_us)) {
            st->used++;
        }
    }
}

int cc_client_key(const char *addr, char *out, size_t n)
{
    struct in6_addr a6;
    struct in_addr a4;
    char buf[INET6_ADDRSTRLEN];

    if (!out || n == 0) {
        return -1;
    }
    if (addr && inet_pton(AF_INET, addr, &a4) == 1) {
        snprintf(out, n, "ip:%s", addr);
        return 0;
    }
    if (addr && inet_pton(AF_INET6, addr, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            memcpy(&a4, &a6.s6_addr[12], 4);
            if (inet_ntop(AF_INET, &a4, buf, sizeof(buf))) {
                snprintf(out, n, "ip:%s", buf);
                return 0;
            }
        }
        memset(&a6.s6_addr[8], 0, 8);
        if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf))) {
            snprintf(out, n, "ip6:%s/64", buf);
            return 0;
        }
    }
    snprintf(out, n, "ip:?%.40s", addr ? addr : "");
    return -1;
}


/*
 * cc_intent.c - booking intent, service and day recognition in a chat
 *
 * The message (first CC_INTENT_MAX_BYTES bytes) is scanned once into
 * terms (cc_words.c); cc_when.c finds the days and the part of the day.
 * Here: service scores (the message stems against the services' stems)
 * and the booking cues and vetoes, each a linear pass with a small
 * constant look around.
 */
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_intent_int.h"
#include "cc_tz.h"

#define CI_SVC_TERMS   64       /* terms kept per service */
#define CI_W           2520     /* lcm(1..10): weight of a unique term */

/* Hard vetoes: a term starting with one of these. */
static const char *const ci_hard_pre[] = {
    "cancel", "annul", "anul", "reschedul", "rebook", "postpon",
    "reprogram", "aplaz", NULL
};

/* ---- services ---------------------------------------------------------- */

/* Distinct stems of the message's terms that are not stop words. */
typedef struct ci_mset_t {
    char     (*s)[CC_TOK_MAX + 1];
    uint8_t  *len;
    uint64_t *k;
    int       n;
    uint16_t *slot;             /* index + 1, 0: empty */
    uint32_t  mask;
} ci_mset_t;

static int ci_mset_find(const ci_mset_t *ms, const char *w, size_t len,
                        uint64_t k, uint32_t *at)
{
    uint32_t s;
    uint16_t x;

    for (s = ci_slot_of(k, len) & ms->mask; (x = ms->slot[s]) != 0;
         s = (s + 1) & ms->mask) {
        if (ms->k[x - 1] == k && ms->len[x - 1] == len
            && (len <= 8 || memcmp(ms->s[x - 1] + 8, w + 8, len - 8) == 0)) {
            return x - 1;
        }
    }
    if (at) {
        *at = s;
    }
    return -1;
}

/* One service's distinct stems, and those found in the message. */
typedef struct ci_svc_terms_t {
    const ci_mset_t *ms;
    char             t[CI_SVC_TERMS][CC_TOK_MAX + 1];
    uint8_t          len[CI_SVC_TERMS];
    uint64_t         k[CI_SVC_TERMS];
    int              n;
    uint16_t        *hit;       /* message stems found */
    int              nhit;
} ci_svc_terms_t;

static int ci_svc_term(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    ci_svc_terms_t *st = baton;
    char *w = st->t[st->n];
    uint64_t k;
    int j;

    if (len > CC_TOK_MAX) {
        len = CC_TOK_MAX;
    }
    if (cc_tok_stopword(term, len)) {
        return 0;
    }
    memcpy(w, term, len);
    w[len] = '\0';
    if (len < CC_TOK_MAX) {
        len = cc_stem_english(w, len);
    }
    k = ci_key(w, len);
    for (j = 0; j < st->n; j++) {
        if (st->k[j] == k && st->len[j] == len
            && (len <= 8 || memcmp(st->t[j] + 8, w + 8, len - 8) == 0)) {
            return 0;
        }
    }
    st->len[st->n] = (uint8_t)len;
    st->k[st->n] = k;
    st->n++;
    j = ci_mset_find(st->ms, w, len, k, NULL);
    if (j >= 0) {
        st->hit[st->nhit++] = (uint16_t)j;
    }
    return st->n >= CI_SVC_TERMS;
}

static size_t ci_bounded_len(const char *s)
{
    const char *e = s ? memchr(s, '\0', CC_INTENT_MAX_SVC_TEXT) : NULL;

    if (!s) {
        return 0;
    }
    return e ? (size_t)(e - s) : CC_INTENT_MAX_SVC_TEXT;
}

static int ci_generic(const char *s)
{
    static const char *const g[] = {
        "treatment", "session", "appoint", "book", "free", "slot", "clinic",
        "servic", "procedur", "packag", "cours", "new", "full", "mini",
        "standard", "express", "basic", "premium", "delux", "minut", "min",
        "hour", "price", "special", "offer", "deal", "plus", "pro", NULL
    };

    return (*s >= '0' && *s <= '9') || cc_words_in(s, g);
}

/* Best service: index, -1 none, -2 tie.  A service scores with the
 * message's stems it has, weighted by the number of services having each:
 * only those stems are counted. */
static int ci_services(apr_pool_t *p, const ci_ctx_t *c,
                       const cc_intent_service_t *svcs, int nsvcs)
{
    ci_mset_t ms;
    ci_svc_terms_t *st;
    uint16_t *hits;
    int *first, *nhit, *df, *generic;
    int64_t best = 0, sc;
    int i, k, strong, winner = -1, per;
    uint32_t nslot = 16, at;

    if (!svcs || nsvcs <= 0) {
        return -1;
    }
    if (nsvcs > CC_INTENT_MAX_SERVICES) {
        nsvcs = CC_INTENT_MAX_SERVICES;
    }
    while (nslot < 2 * (uint32_t)c->n) {
        nslot *= 2;
    }
    ms.s = apr_palloc(p, sizeof(*ms.s) * (size_t)(c->n + 1));
    ms.len = apr_palloc(p, sizeof(*ms.len) * (size_t)(c->n + 1));
    ms.k = apr_palloc(p, sizeof(*ms.k) * (size_t)(c->n + 1));
    ms.slot = apr_pcalloc(p, sizeof(*ms.slot) * nslot);
    ms.mask = nslot - 1;
    ms.n = 0;
    for (i = 0; i < c->n; i++) {
        const ci_tok_t *t = &c->t[i];
        char *w = ms.s[ms.n];
        size_t len = t->len;
        uint64_t key;

        if (cc_tok_stopword(t->w, len)) {
            continue;
        }
        memcpy(w, t->w, len + 1);
        if (len < CC_TOK_MAX) {
            len = cc_stem_english(w, len);
        }
        key = ci_key(w, len);
        if (ci_mset_find(&ms, w, len, key, &at) < 0) {
            ms.len[ms.n] = (uint8_t)len;
            ms.k[ms.n] = key;
            ms.slot[at] = (uint16_t)(++ms.n);
        }
    }
    if (ms.n == 0) {
        return -1;              /* no service can score */
    }
    per = ms.n < CI_SVC_TERMS ? ms.n : CI_SVC_TERMS;
    hits = apr_palloc(p, sizeof(*hits) * (size_t)per * (size_t)nsvcs);
    first = apr_palloc(p, sizeof(*first) * (size_t)nsvcs);
    nhit = apr_palloc(p, sizeof(*nhit) * (size_t)nsvcs);
    df = apr_pcalloc(p, sizeof(*df) * (size_t)ms.n);
    generic = apr_palloc(p, sizeof(*generic) * (size_t)ms.n);
    st = apr_palloc(p, sizeof(*st));
    st->ms = &ms;
    for (i = 0; i < nsvcs; i++) {
        st->n = 0;
        st->nhit = 0;
        st->hit = hits + (size_t)i * (size_t)per;
        first[i] = i * per;
        if (svcs[i].name) {
            cc_tok_each(svcs[i].name, ci_bounded_len(svcs[i].name), 0,
                        ci_svc_term, st);
            if (svcs[i].aliases && st->n < CI_SVC_TERMS) {
                cc_tok_each(svcs[i].aliases, ci_bounded_len(svcs[i].aliases),
                            0, ci_svc_term, st);
            }
        }
        nhit[i] = st->nhit;
        for (k = 0; k < st->nhit; k++) {
            df[st->hit[k]]++;
        }
    }
    for (k = 0; k < ms.n; k++) {
        generic[k] = df[k] > 0 && ci_generic(ms.s[k]);
    }
    for (i = 0; i < nsvcs; i++) {
        sc = 0;
        strong = 0;
        for (k = 0; k < nhit[i]; k++) {
            int j = hits[first[i] + k];
            int64_t w = CI_W / df[j];

            if (generic[j]) {
                w /= 8;
            }
            else {
                strong = 1;
            }
            sc += w;
        }
        if (!strong || sc <= 0) {
            continue;
        }
        if (sc > best) {
            best = sc;
            winner = i;
        }
        else if (sc == best) {
            winner = -2;
        }
    }
    return winner;
}

/* ---- booking cues ------------------------------------------------------ */

/* A booking noun ("appointment") not after my/the/...: a new one. */
static int ci_new_noun(const ci_ctx_t *c, int i)
{
    return !ci_has(c, i - 1, CI_DET)
           && !(ci_has(c, i - 2, CI_DET) && !ci_has(c, i - 1, CI_NOUNS));
}

static int ci_cue_at(const ci_ctx_t *c, int i, int dated)
{
    const ci_tok_t *t = &c->t[i];

    if (t->stem & CI_S_BOOK) {
        if (ci_prefix(t, "booking")) {
            return ci_new_noun(c, i);
        }
        return !(ci_is(c, i, "booked") && ci_has(c, i - 1, CI_PAST_SUBJ));
    }
    if (ci_prefix(t, "reserv")) {
        if (ci_prefix(t, "reservation") || ci_is(c, i, "reserva")
            || ci_is(c, i, "reservas")) {
            return ci_new_noun(c, i);
        }
        return !ci_is(c, i, "reserved");
    }
    if ((t->stem & (CI_S_SCHEDUL | CI_S_APPOINT)) || ci_has(c, i, CI_CITA)) {
        return ci_new_noun(c, i);
    }
    if (!ci_has(c, i, CI_CUE_GATE)) {
        return 0;
    }
    if (ci_has(c, i, CI_AVAIL)) {
        return 1;
    }
    if (ci_has(c, i, CI_AVAILABLE)) {
        return ci_has(c, i - 1, CI_FIRST) || ci_before(c, i, 2, CI_YOU)
               || ((!ci_is(c, i, "free") || ci_before(c, i, 2, CI_ISUBJ))
                   && dated)
               || ci_before(c, i, 2, CI_SOME);
    }
    if (ci_is(c, i, "opening")) {
        return (ci_is(c, i - 1, "an") || ci_is(c, i - 1, "any"))
               && !ci_has(c, i + 1, CI_HOURS);
    }
    if (ci_is(c, i, "spot") || ci_is(c, i, "spots")) {
        return ci_has(c, i - 1, CI_SPOT_CTX);
    }
    if (ci_is(c, i, "space")) {
        return ci_before(c, i, 2, CI_SPACE_CTX)
               && !ci_has(c, i - 1, CI_PARKING);
    }
    if (ci_has(c, i, CI_COME)) {
        return ci_has(c, i + 1, CI_COME_IN) && !ci_is(c, i + 2, "touch")
               && ci_before(c, i, 3, CI_ISUBJ);
    }
    if (ci_is(c, i, "fit") || ci_is(c, i, "squeeze")) {
        return ci_has(c, i + 1, CI_SUBJ) && ci_is(c, i + 2, "in");
    }
    if (ci_is(c, i, "sign")) {
        return ci_is(c, i + 1, "up")
               || (ci_has(c, i + 1, CI_SUBJ) && ci_is(c, i + 2, "up"));
    }
    if (ci_is(c, i, "see")) {
        return dated && ci_has(c, i + 1, CI_SUBJ);
    }
    if (ci_has(c, i, CI_SOME)) {
        return dated && ci_before(c, i, 2, CI_HAVE_GOT);
    }
    if (ci_has(c, i, CI_PEDIR)) {
        return ci_is(c, i + 1, "hora") || ci_is(c, i + 1, "rdv");
    }
    return 0;
}

/* Action on an existing booking: never a new booking. */
static int ci_hard_veto(const ci_ctx_t *c)
{
    const char *const *q;
    int i, noun = 0, chg = 0;

    for (i = 0; i < c->n; i++) {
        const ci_tok_t *t = &c->t[i];

        for (q = ci_hard_pre; *q; q++) {
            if (t->w[0] == (*q)[0] && strncmp(t->w, *q, strlen(*q)) == 0) {
                return 1;
            }
        }
        if (ci_is(c, i, "re") && ci_sep(c, i, '-')
            && (c->t[i + 1].stem & CI_S_BOOK)) {
            return 1;
        }
        if (ci_has(c, i, CI_NOUNS) || (t->stem & CI_S_APPOINT)) {
            noun = 1;
        }
        if ((t->stem & CI_S_CHANGE) || ci_has(c, i, CI_CHANGE)) {
            chg = 1;
        }
    }
    return noun && chg;
}

/* A question about booking rules rather than a request. */
static int ci_soft_veto(const ci_ctx_t *c)
{
    int i;

    for (i = 0; i < c->n; i++) {
        if (!ci_has(c, i, CI_SOFT_GATE)) {
            continue;
        }
        if (ci_has(c, i, CI_SOFT)) {
            return 1;
        }
        if (ci_is(c, i, "how") && ci_has(c, i + 1, CI_HOW_Q)) {
            return 1;
        }
        if (ci_is(c, i, "what") && ci_has(c, i + 1, CI_WHAT_Q)) {
            return 1;
        }
        if ((ci_is(c, i, "do") || ci_is(c, i, "does"))
            && (ci_is(c, i + 2, "need")
                || (ci_is(c, i + 2, "have") && ci_is(c, i + 3, "to")))) {
            return 1;
        }
        if (ci_is(c, i, "walk") && ci_has(c, i + 1, CI_WALK_IN)) {
            return 1;
        }
        if (ci_is(c, i, "late") && ci_before(c, i, 2, CI_LATE_CTX)) {
            return 1;
        }
    }
    return 0;
}

/* An explicit request: "I'd like", "I want", "please", "can I book". */
static int ci_request(const ci_ctx_t *c)
{
    int i;

    for (i = 0; i < c->n; i++) {
        if (!ci_has(c, i, CI_REQ_GATE)) {
            continue;
        }
        if (ci_has(c, i, CI_WANT)) {
            return 1;
        }
        if ((ci_is(c, i, "like") || ci_is(c, i, "love"))
            && ci_has(c, i - 1, CI_WOULD)) {
            return 1;
        }
        if (ci_is(c, i, "need") && ci_has(c, i - 1, CI_SUBJ)
            && !ci_has(c, i - 2, CI_DO)) {
            return 1;
        }
        if ((ci_is(c, i, "looking") || ci_is(c, i, "hoping"))
            && ci_is(c, i + 1, "to")) {
            return 1;
        }
        if (ci_has(c, i, CI_MODAL) && ci_has(c, i + 1, CI_SUBJ)
            && (ci_has(c, i + 2, CI_VERBS)
                || (i + 2 < c->n && (c->t[i + 2].stem & CI_S_VERB)))) {
            return 1;
        }
    }
    return 0;
}

static int ci_booking(const ci_ctx_t *c, int service_hit, int dated,
                      int date_given)
{
    int i, cue = 0, req;

    for (i = 0; i < c->n && !cue; i++) {
        if (ci_cue_at(c, i, dated) && !ci_before(c, i, 3, CI_NEG)) {
            cue = 1;
        }
    }
    if (ci_hard_veto(c)) {
        return 0;
    }
    req = ci_request(c) || (c->n > 0 && ci_cue_at(c, 0, dated)
                            && ((c->t[0].stem & CI_S_BOOK)
                                || ci_prefix(&c->t[0], "reserv")));
    if (!cue && req && service_hit && date_given) {
        cue = 1;
    }
    if (!cue) {
        return 0;
    }
    return !ci_soft_veto(c) || req;
}

/* ---- entry ------------------------------------------------------------- */

int cc_intent_booking(apr_pool_t *p, const char *msg, size_t len,
                      const cc_intent_service_t *svcs, int nsvcs,
                      int64_t today, cc_book_intent_t *out)
{
    ci_tok_t local[CI_LOCAL_TERMS];
    ci_ctx_t c;
    int i, svc;

    if (!out) {
        return 0;
    }
    out->booking = 0;
    out->service = -1;
    out->ambiguous = 0;
    out->from_day = today;
    out->days = CC_INTENT_DEFAULT_DAYS;
    out->part = CC_PART_ANY;
    out->date_given = 0;
    if (!p) {
        return 0;
    }
    if (!msg) {
        len = 0;
    }
    if (len > CC_INTENT_MAX_BYTES) {
        len = CC_INTENT_MAX_BYTES;
    }
    memset(&c, 0, sizeof(c));
    c.msg = msg;
    c.len = len;
    c.today = today;
    c.twd = cc_weekday(today);
    cc_words_scan(&c, p, local, CI_LOCAL_TERMS);

    for (i = 0; i < c.n; ) {
        i += cc_when_date_at(&c, i);
    }
    for (i = 0; i < c.n; ) {
        i += cc_when_part_at(&c, i);
    }
    if (c.nr > 0) {
        int64_t lo = c.rf[0], hi = c.rf[0] + c.rd[0] - 1;

        for (i = 1; i < c.nr; i++) {
            if (c.rf[i] < lo) {
                lo = c.rf[i];
            }
            if (c.rf[i] + c.rd[i] - 1 > hi) {
                hi = c.rf[i] + c.rd[i] - 1;
            }
        }
        if (hi - lo + 1 <= CC_INTENT_MAX_SPAN) {
            out->from_day = lo;
            out->days = (int)(hi - lo + 1);
        }
        else {
            out->from_day = c.rf[0];
            out->days = c.rd[0];
        }
        out->date_given = 1;
    }
    for (i = CC_PART_MORNING; i <= CC_PART_EVENING; i++) {
        if (c.parts == (1 << i)) {
            out->part = i;
        }
    }

    svc = ci_services(p, &c, svcs, nsvcs);
    if (svc >= 0) {
        out->service = svc;
    }
    else if (svc == -2) {
        out->ambiguous = 1;
    }
    out->booking = ci_booking(&c, svc != -1, out->date_given || c.parts,
                              out->date_given);
    return out->booking;
}

/*
 * cc_tz.c - TZif (RFC 8536) parsing and UTC <-> local conversions.
 *
 * Nothing here touches TZ or the C library's time-zone machinery: the
 * zone file is decoded into an immutable cc_tz_t (transition table, local
 * time types and the footer's POSIX TZ rule) and every conversion is a pure
 * function of that value, so one loaded zone serves any number of threads.
 *
 * Instants after the last explicit transition (or all instants when the
 * file has none, as "slim" files often do) follow the footer rule, e.g.
 * "GMT0BST,M3.5.0/1,M10.5.0".  POSIX offsets are west-positive; everything
 * stored here is an east-positive UTC offset ("utoff") in seconds.
 */
#include <stdint.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "cc_tz.h"

#define CC_TZ_DEFAULT_DIR   "/usr/share/zoneinfo"
#define CC_TZ_MAX_FILE      (1024 * 1024)
#define CC_TZ_MAX_NAME      255
#define CC_TZ_MAX_TYPES     256
/* RFC 8536 3.2: utoff SHOULD lie in [-89999, 93599]. */
#define CC_TZ_MAX_UTOFF     93599
#define CC_TZ_HDR_LEN       44
#define CC_TZ_DAY           INT64_C(86400)
/* Instants are clamped to about +-35000 years before calendar arithmetic,
 * which keeps every intermediate value far from overflow. */
#define CC_TZ_T_LIMIT       (INT64_C(1) << 40)
/* Local -> UTC looks at most this many transitions around the local time. */
#define CC_TZ_MAX_NEAR      32

/* ---- types ------------------------------------------------------------- */

typedef struct cc_tz_type_t {
    int32_t utoff;
    int     isdst;
} cc_tz_type_t;

/* One date of a POSIX rule: Jn (1..365, Feb 29 never counted), n (0..365,
 * Feb 29 counted) or Mm.w.d; time is seconds after local midnight
 * (RFC 8536 allows -167..167 hours). */
typedef struct cc_tz_date_t {
    char    kind;           /* 'J', 'N' or 'M' */
    int     n, m, w, d;
    int32_t time;
} cc_tz_date_t;

typedef struct cc_tz_rule_t {
    int32_t      std_off;   /* utoff, east-positive */
    int32_t      dst_off;
    int          has_dst;
    cc_tz_date_t start, end;
    /* The rule's (start, end) instants for years cache_y0.. cache_y0 +
     * cache_n - 1, computed once when the zone is parsed (the zone is
     * immutable afterwards): slot lists convert hundreds of instants per
     * request, and most fall after the last TZif transition. */
    const int64_t *cache;
    int          cache_y0, cache_n;
    /* The same instants as one ascending list with the offset each one
     * starts (2 per year), for a binary search; NULL when a year's two
     * instants coincide (all-year DST rules keep the general path). */
    const int64_t *ext_t;
    const int32_t *ext_off;
    int          ext_n;
} cc_tz_rule_t;

#define CC_TZ_CACHE_Y0 1970
#define CC_TZ_CACHE_N  231          /* 1970..2200 */

struct cc_tz_t {
    uint32_t            ntrans;
    const int64_t      *trans;      /* strictly ascending */
    const uint8_t      *tidx;       /* < ntypes */
    uint32_t            ntypes;     /* >= 1 */
    const cc_tz_type_t *types;
    int                 has_rule;
    cc_tz_rule_t        rule;
};

/* ---- calendar ---------------------------------------------------------- */

static int64_t cc_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t cc_clamp_t(int64_t t)
{
    if (t > CC_TZ_T_LIMIT) {
        return CC_TZ_T_LIMIT;
    }
    if (t < -CC_TZ_T_LIMIT) {
        return -CC_TZ_T_LIMIT;
    }
    return t;
}

static int cc_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int cc_days_in_month(int64_t y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (m < 1 || m > 12) {
        return 0;
    }
    return dim[m - 1] + (m == 2 && cc_is_leap(y));
}

/* H. Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
int64_t cc_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t mp = ((int64_t)m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void cc_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z, era, doe, yoe, doy, mp, yy, mm, dd;

    if (days > CC_TZ_T_LIMIT) {
        days = CC_TZ_T_LIMIT;
    } else if (days < -CC_TZ_T_LIMIT) {
        days = -CC_TZ_T_LIMIT;
    }
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    dd = doy - (153 * mp + 2) / 5 + 1;
    mm = mp < 10 ? mp + 3 : mp - 9;
    yy += (mm <= 2);
    if (y) {
        *y = (int)yy;
    }
    if (m) {
        *m = (int)mm;
    }
    if (d) {
        *d = (int)dd;
    }
}

int cc_weekday(int64_t days)
{
    int64_t r = days % 7;           /* -6..6 */

    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    return (int)((r + 10) % 7);
}

/* ---- POSIX TZ rule ----------------------------------------------------- */

static int64_t cc_rule_day(const cc_tz_date_t *dt, int y)
{
    int64_t jan1 = cc_days_from_civil(y, 1, 1);
    int64_t first, day;
    int wd, dim;

    switch (dt->kind) {
    case 'J':
        day = jan1 + dt->n - 1;
        if (cc_is_leap(y) && dt->n >= 60) {
            day++;
        }
        return day;
    case 'N':
        return jan1 + dt->n;
    default:
        first = cc_days_from_civil(y, dt->m, 1);
        wd = (cc_weekday(first) + 1) % 7;       /* Sunday = 0 */
        day = first + (dt->d - wd + 7) % 7 + 7 * (int64_t)(dt->w - 1);
        dim = cc_days_in_month(y, dt->m);
        while (day >= first + dim) {
            day -= 7;
        }
        return day;
    }
}

/* The UTC instants at which DST starts and ends in year y. */
static void cc_rule_year(const cc_tz_rule_t *r, int y, int64_t *start,
                         int64_t *end)
{
    if (r->cache && y >= r->cache_y0 && y < r->cache_y0 + r->cache_n) {
        *start = r->cache[2 * (y - r->cache_y0)];
        *end = r->cache[2 * (y - r->cache_y0) + 1];
        return;
    }
    *start = cc_rule_day(&r->start, y) * CC_TZ_DAY + r->start.time
             - r->std_off;
    *end = cc_rule_day(&r->end, y) * CC_TZ_DAY + r->end.time - r->dst_off;
}

static int cc_rule_base_year(const cc_tz_rule_t *r, int64_t t)
{
    int y;

    cc_civil_from_days(cc_floor_div(t + r->std_off, CC_TZ_DAY), &y, NULL,
                       NULL);
    return y;
}

static int32_t cc_rule_offset(const cc_tz_rule_t *r, int64_t t)
{
    int64_t best = 0, first = 0, ev[2];
    int have_best = 0, best_dst = 0, first_dst = 0, have_first = 0;
    int y, yy, k;

    if (!r->has_dst) {
        return r->std_off;
    }
    if (r->ext_t && t >= r->ext_t[0] && t < r->ext_t[r->ext_n - 1]) {
        int lo = 0, hi = r->ext_n - 1, mid;   /* ext_t[lo] <= t < ext_t[hi] */

        while (hi - lo > 1) {
            mid = lo + (hi - lo) / 2;
            if (r->ext_t[mid] <= t) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return r->ext_off[lo];
    }
    t = cc_clamp_t(t);
    y = cc_rule_base_year(r, t);
    for (yy = y - 1; yy <= y + 1; yy++) {
        cc_rule_year(r, yy, &ev[1], &ev[0]);
        for (k = 0; k < 2; k++) {           /* k = 1: DST starts */
            /* At equal instants the start wins (all-year DST rules). */
            if (ev[k] <= t && (!have_best || ev[k] > best
                               || (ev[k] == best && k == 1))) {
                best = ev[k];
                best_dst = k;
                have_best = 1;
            }
            if (!have_first || ev[k] < first) {
                first = ev[k];
                first_dst = k;
                have_first = 1;
            }
        }
    }
    if (!have_best) {
        best_dst = !first_dst;
    }
    return best_dst ? r->dst_off : r->std_off;
}

/* The first rule transition strictly after t; 0 when there is none. */
static int cc_rule_next(const cc_tz_rule_t *r, int64_t t, int64_t *next)
{
    int64_t ev[2], best = 0;
    int have = 0, y, yy, k;

    if (!r->has_dst) {
        return 0;
    }
    t = cc_clamp_t(t);
    y = cc_rule_base_year(r, t);
    for (yy = y - 1; yy <= y + 2; yy++) {
        cc_rule_year(r, yy, &ev[0], &ev[1]);
        for (k = 0; k < 2; k++) {
            if (ev[k] > t && (!have || ev[k] < best)) {
                best = ev[k];
                have = 1;
            }
        }
    }
    if (have) {
        *next = best;
    }
    return have;
}

/* Parsing.  *s walks through [*, end). */

static int cc_pdigits(const char **s, const char *end, int maxdig, int *out)
{
    int v = 0, n = 0;

    while (*s < end && **s >= '0' && **s <= '9' && n < maxdig) {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    if (n == 0) {
        return -1;
    }
    *out = v;
    return 0;
}

static int cc_pname(const char **s, const char *end)
{
    const char *p = *s;
    size_t n = 0;

    if (p < end && *p == '<') {
        p++;
        while (p < end && *p != '>') {
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
                  || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-')) {
                return -1;
            }
            p++;
            n++;
        }
        if (p >= end || n < 3) {
            return -1;
        }
        *s = p + 1;
        return 0;
    }
    while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) {
        p++;
        n++;
    }
    if (n < 3) {
        return -1;
    }
    *s = p;
    return 0;
}

/* [+-]hh[:mm[:ss]] in seconds; hh at most maxh. */
static int cc_phms(const char **s, const char *end, int maxh, int32_t *out)
{
    int sign = 1, h, mi = 0, sec = 0;

    if (*s < end && (**s == '+' || **s == '-')) {
        sign = **s == '-' ? -1 : 1;
        (*s)++;
    }
    if (cc_pdigits(s, end, 3, &h) != 0 || h > maxh) {
        return -1;
    }
    if (*s < end && **s == ':') {
        (*s)++;
        if (cc_pdigits(s, end, 2, &mi) != 0 || mi > 59) {
            return -1;
        }
        if (*s < end && **s == ':') {
            (*s)++;
            if (cc_pdigits(s, end, 2, &sec) != 0 || sec > 59) {
                return -1;
            }
        }
    }
    *out = sign * (h * 3600 + mi * 60 + sec);
    return 0;
}

static int cc_pdate(const char **s, const char *end, cc_tz_date_t *dt)
{
    memset(dt, 0, sizeof(*dt));
    if (*s < end && **s == 'J') {
        (*s)++;
        dt->kind = 'J';
        if (cc_pdigits(s, end, 3, &dt->n) != 0 || dt->n < 1 || dt->n > 365) {
            return -1;
        }
    } else if (*s < end && **s == 'M') {
        (*s)++;
        dt->kind = 'M';
        if (cc_pdigits(s, end, 2, &dt->m) != 0 || dt->m < 1 || dt->m > 12
            || *s >= end || **s != '.') {
            return -1;
        }
        (*s)++;
        if (cc_pdigits(s, end, 1, &dt->w) != 0 || dt->w < 1 || dt->w > 5
            || *s >= end || **s != '.') {
            return -1;
        }
        (*s)++;
        if (cc_pdigits(s, end, 1, &dt->d) != 0 || dt->d > 6) {
            return -1;
        }
    } else {
        dt->kind = 'N';
        if (cc_pdigits(s, end, 3, &dt->n) != 0 || dt->n > 365) {
            return -1;
        }
    }
    dt->time = 7200;
    if (*s < end && **s == '/') {
        (*s)++;
        if (cc_phms(s, end, 167, &dt->time) != 0) {
            return -1;
        }
    }
    return 0;
}

static int cc_rule_parse(const char *str, size_t len, cc_tz_rule_t *r)
{
    const char *s = str, *end = str + len, *dflt;
    int32_t off;

    memset(r, 0, sizeof(*r));
    if (cc_pname(&s, end) != 0 || cc_phms(&s, end, 24, &off) != 0) {
        return -1;
    }
    r->std_off = -off;
    if (s == end) {
        return 0;
    }
    if (cc_pname(&s, end) != 0) {
        return -1;
    }
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (s < end && *s != ',') {
        if (cc_phms(&s, end, 24, &off) != 0) {
            return -1;
        }
        r->dst_off = -off;
    }
    if (s == end) {
        /* No rule given: tzcode's default (US rules since 2007). */
        dflt = ",M3.2.0,M11.1.0";
        s = dflt;
        end = dflt + strlen(dflt);
    }
    if (*s != ',') {
        return -1;
    }
    s++;
    if (cc_pdate(&s, end, &r->start) != 0 || s >= end || *s != ',') {
        return -1;
    }
    s++;
    if (cc_pdate(&s, end, &r->end) != 0 || s != end) {
        return -1;
    }
    return 0;
}

/* ---- lookups ----------------------------------------------------------- */

int32_t cc_tz_offset(const cc_tz_t *tz, int64_t t)
{
    uint32_t lo, hi, mid, n;

    if (!tz) {
        return 0;
    }
    n = tz->ntrans;
    if (n == 0 || t > tz->trans[n - 1]) {
        if (tz->has_rule) {
            return cc_rule_offset(&tz->rule, t);
        }
        return tz->types[n == 0 ? 0 : tz->tidx[n - 1]].utoff;
    }
    if (t < tz->trans[0]) {
        return tz->types[0].utoff;
    }
    /* Largest i with trans[i] <= t. */
    lo = 0;
    hi = n;
    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return tz->types[tz->tidx[lo]].utoff;
}

/* The first instant > t at which the local time type may change. */
static int cc_tz_next(const cc_tz_t *tz, int64_t t, int64_t *next)
{
    uint32_t lo, hi, mid, n = tz->ntrans;

    if (n > 0 && t < tz->trans[n - 1]) {
        lo = 0;
        hi = n - 1;             /* trans[hi] > t */
        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] > t) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        *next = tz->trans[lo];
        return 1;
    }
    if (tz->has_rule) {
        return cc_rule_next(&tz->rule, t, next);
    }
    return 0;
}

int cc_tz_next_change(const cc_tz_t *tz, int64_t t, int64_t *next)
{
    return tz ? cc_tz_next(tz, cc_clamp_t(t), next) : 0;
}

int cc_tz_day_utc(const cc_tz_t *tz, int64_t date, int64_t *midnight)
{
    cc_civil_t c;
    int64_t u, nx;

    cc_civil_from_days(date, &c.year, &c.month, &c.day);
    c.hour = c.minute = c.second = 0;
    if (cc_tz_to_utc(tz, &c, &u, NULL) != 1) {
        return 0;
    }
    if (cc_tz_next(tz, u, &nx) && nx < u + CC_TZ_DAY) {
        return 0;
    }
    *midnight = u;
    return 1;
}

void cc_civil_from_utc(const cc_tz_t *tz, int64_t t, cc_civil_t *out,
                       int32_t *offset)
{
    int32_t off;
    int64_t local, days, secs;

    t = cc_clamp_t(t);
    off = cc_tz_offset(tz, t);
    local = t + off;
    days = cc_floor_div(local, CC_TZ_DAY);
    secs = local - days * CC_TZ_DAY;
    if (out) {
        cc_civil_from_days(days, &out->year, &out->month, &out->day);
        out->hour = (int)(secs / 3600);
        out->minute = (int)(secs / 60 % 60);
        out->second = (int)(secs % 60);
    }
    if (offset) {
        *offset = off;
    }
}

int cc_tz_to_utc(const cc_tz_t *tz, const cc_civil_t *c, int64_t *t,
                 int64_t *t2)
{
    int32_t offs[CC_TZ_MAX_NEAR + 1], o;
    int64_t trans[CC_TZ_MAX_NEAR], sol[CC_TZ_MAX_NEAR + 1];
    int64_t local, cur, nx, u, gap_end;
    int noffs = 0, ntr = 0, nsol = 0, i, j, seen;

    if (t) {
        *t = 0;
    }
    if (!tz || !c || c->month < 1 || c->month > 12 || c->day < 1
        || c->day > cc_days_in_month(c->year, c->month) || c->hour < 0
        || c->hour > 23 || c->minute < 0 || c->minute > 59 || c->second < 0
        || c->second > 59 || c->year < -1000000 || c->year > 1000000) {
        return 0;
    }
    local = cc_days_from_civil(c->year, c->month, c->day) * CC_TZ_DAY
            + c->hour * 3600 + c->minute * 60 + c->second;

    /* Every offset in effect within the widest possible distance of the
     * local time: the candidates for local - utoff. */
    cur = local - CC_TZ_MAX_UTOFF - 1;
    offs[noffs++] = cc_tz_offset(tz, cur);
    while (ntr < CC_TZ_MAX_NEAR && cc_tz_next(tz, cur, &nx)
           && nx <= local + CC_TZ_MAX_UTOFF + 1) {
        trans[ntr++] = nx;
        offs[noffs++] = cc_tz_offset(tz, nx);
        cur = nx;
    }
    for (i = 0; i < noffs; i++) {
        o = offs[i];
        seen = 0;
        for (j = 0; j < i; j++) {
            if (offs[j] == o) {
                seen = 1;
                break;
            }
        }
        if (seen) {
            continue;
        }
        u = local - o;
        if (cc_tz_offset(tz, u) == o) {
            sol[nsol++] = u;
        }
    }
    if (nsol == 0) {
        /* In a gap: the transition whose old offset puts it before the
         * local time and whose new offset after it. */
        gap_end = local - cc_tz_offset(tz, local);
        for (i = 0; i < ntr; i++) {
            if (trans[i] + offs[i] <= local && trans[i] + offs[i + 1] > local) {
                gap_end = trans[i];
                break;
            }
        }
        if (t) {
            *t = gap_end;
        }
        return 0;
    }
    /* Sort the (few) solutions; distinct offsets give distinct instants. */
    for (i = 1; i < nsol; i++) {
        u = sol[i];
        for (j = i; j > 0 && sol[j - 1] > u; j--) {
            sol[j] = sol[j - 1];
        }
        sol[j] = u;
    }
    if (t) {
        *t = sol[0];
    }
    if (nsol == 1) {
        return 1;
    }
    if (t2) {
        *t2 = sol[nsol - 1];
    }
    return 2;
}

char *cc_tz_rfc3339(apr_pool_t *p, const cc_tz_t *tz, int64_t t)
{
    int32_t off, aoff;
    int64_t local, days, secs;
    int y, m, d;

    t = cc_clamp_t(t);
    off = cc_tz_offset(tz, t);
    /* RFC 3339 has no seconds in offsets (LMT has): round to the minute
     * and show the wall time for that offset, so the string still names
     * exactly the instant t. */
    off = (off >= 0 ? off + 30 : off - 30) / 60 * 60;
    aoff = off < 0 ? -off : off;
    local = t + off;
    days = cc_floor_div(local, CC_TZ_DAY);
    secs = local - days * CC_TZ_DAY;
    cc_civil_from_days(days, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                        y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
                        (int)(secs % 60), off < 0 ? '-' : '+',
                        (int)(aoff / 3600), (int)(aoff / 60 % 60));
}

/* ---- TZif parsing ------------------------------------------------------ */

typedef struct cc_tzif_hdr_t {
    char     version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} cc_tzif_hdr_t;

static uint32_t cc_be32(const unsigned char *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16)
           | ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

static int64_t cc_be64(const unsigned char *b)
{
    uint64_t v = ((uint64_t)cc_be32(b) << 32) | cc_be32(b + 4);

    return (int64_t)v;
}

static int cc_tzif_header(const unsigned char *buf, size_t len, size_t off,
                          cc_tzif_hdr_t *h, const char **why)
{
    const unsigned char *b;

    if (len < off || len - off < CC_TZ_HDR_LEN) {
        *why = "truncated header";
        return -1;
    }
    b = buf + off;
    if (memcmp(b, "TZif", 4) != 0) {
        *why = "bad magic";
        return -1;
    }
    h->version = (char)b[4];
    h->isutcnt = cc_be32(b + 20);
    h->isstdcnt = cc_be32(b + 24);
    h->leapcnt = cc_be32(b + 28);
    h->timecnt = cc_be32(b + 32);
    h->typecnt = cc_be32(b + 36);
    h->charcnt = cc_be32(b + 40);
    if (h->typecnt == 0 || h->typecnt > CC_TZ_MAX_TYPES || h->charcnt == 0
        || (h->isutcnt != 0 && h->isutcnt != h->typecnt)
        || (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
        *why = "inconsistent counts";
        return -1;
    }
    return 0;
}

/* Size of the data block after a header; 64-bit sums of 32-bit counts
 * cannot overflow. */
static uint64_t cc_tzif_block(const cc_tzif_hdr_t *h, unsigned tsz)
{
    return (uint64_t)h->timecnt * tsz + h->timecnt + (uint64_t)h->typecnt * 6
           + h->charcnt + (uint64_t)h->leapcnt * (tsz + 4) + h->isstdcnt
           + h->isutcnt;
}

static int cc_tzif_data(apr_pool_t *p, const unsigned char *b,
                        const cc_tzif_hdr_t *h, unsigned tsz, cc_tz_t *tz,
                        const char **why)
{
    int64_t *trans;
    uint8_t *tidx;
    cc_tz_type_t *types;
    const unsigned char *ti = b + (size_t)h->timecnt * tsz;
    const unsigned char *ty = ti + h->timecnt;
    uint32_t i;
    int32_t utoff;

    trans = apr_palloc(p, sizeof(*trans) * ((size_t)h->timecnt + 1));
    tidx = apr_palloc(p, (size_t)h->timecnt + 1);
    types = apr_palloc(p, sizeof(*types) * h->typecnt);
    for (i = 0; i < h->timecnt; i++) {
        trans[i] = tsz == 8 ? cc_be64(b + (size_t)i * 8)
                            : (int64_t)(int32_t)cc_be32(b + (size_t)i * 4);
        if (i > 0 && trans[i] <= trans[i - 1]) {
            *why = "transition times not ascending";
            return -1;
        }
        tidx[i] = ti[i];
        if (tidx[i] >= h->typecnt) {
            *why = "transition type index out of range";
            return -1;
        }
    }
    for (i = 0; i < h->typecnt; i++) {
        utoff = (int32_t)cc_be32(ty + (size_t)i * 6);
        if (utoff < -CC_TZ_MAX_UTOFF || utoff > CC_TZ_MAX_UTOFF
            || ty[i * 6 + 4] > 1 || ty[i * 6 + 5] >= h->charcnt) {
            *why = "bad local time type";
            return -1;
        }
        types[i].utoff = utoff;
        types[i].isdst = ty[i * 6 + 4];
    }
    tz->ntrans = h->timecnt;
    tz->trans = trans;
    tz->tidx = tidx;
    tz->ntypes = h->typecnt;
    tz->types = types;
    return 0;
}

static cc_tz_t *cc_tz_parse_why(apr_pool_t *p, const unsigned char *buf,
                                size_t len, const char **why)
{
    cc_tzif_hdr_t h;
    cc_tz_t *tz;
    uint64_t blk;
    size_t off, fstart, fend;

    *why = "no data";
    if (!p || !buf) {
        return NULL;
    }
    if (cc_tzif_header(buf, len, 0, &h, why) != 0) {
        return NULL;
    }
    blk = cc_tzif_block(&h, 4);
    if (blk > len - CC_TZ_HDR_LEN) {
        *why = "truncated data block";
        return NULL;
    }
    tz = apr_pcalloc(p, sizeof(*tz));
    if (h.version == 0) {
        return cc_tzif_data(p, buf + CC_TZ_HDR_LEN, &h, 4, tz, why) == 0
               ? tz : NULL;
    }
    /* Version 2+: skip the 32-bit block, use the 64-bit one and footer. */
    off = CC_TZ_HDR_LEN + (size_t)blk;
    if (cc_tzif_header(buf, len, off, &h, why) != 0) {
        return NULL;
    }
    off += CC_TZ_HDR_LEN;
    blk = cc_tzif_block(&h, 8);
    if (blk > len - off) {
        *why = "truncated data block";
        return NULL;
    }
    if (cc_tzif_data(p, buf + off, &h, 8, tz, why) != 0) {
        return NULL;
    }
    off += (size_t)blk;
    if (off >= len || buf[off] != '\n') {
        *why = "missing footer";
        return NULL;
    }
    fstart = off + 1;
    fend = fstart;
    while (fend < len && buf[fend] != '\n') {
        fend++;
    }
    if (fend >= len) {
        *why = "unterminated footer";
        return NULL;
    }
    if (fend > fstart) {
        if (cc_rule_parse((const char *)buf + fstart, fend - fstart,
                          &tz->rule) != 0) {
            *why = "bad TZ string in footer";
            return NULL;
        }
        tz->has_rule = 1;
        if (tz->rule.has_dst) {
            int64_t *c = apr_palloc(p, sizeof(int64_t) * 2 * CC_TZ_CACHE_N);
            int y;

            for (y = 0; y < CC_TZ_CACHE_N; y++) {
                cc_rule_year(&tz->rule, CC_TZ_CACHE_Y0 + y, &c[2 * y],
                             &c[2 * y + 1]);
            }
            tz->rule.cache = c;
            tz->rule.cache_y0 = CC_TZ_CACHE_Y0;
            tz->rule.cache_n = CC_TZ_CACHE_N;
            {
                int64_t *et = apr_palloc(p, sizeof(int64_t) * 2
                                            * CC_TZ_CACHE_N);
                int32_t *eo = apr_palloc(p, sizeof(int32_t) * 2
                                            * CC_TZ_CACHE_N);
                int n = 0, ok = 1;

                for (y = 0; y < CC_TZ_CACHE_N && ok; y++) {
                    int64_t st = c[2 * y], en = c[2 * y + 1];
                    int first_start = st < en;

                    ok = st != en;
                    et[n] = first_start ? st : en;
                    eo[n++] = first_start ? tz->rule.dst_off
                                          : tz->rule.std_off;
                    et[n] = first_start ? en : st;
                    eo[n++] = first_start ? tz->rule.std_off
                                          : tz->rule.dst_off;
                    if (n > 2 && et[n - 2] <= et[n - 3]) {
                        ok = 0;         /* not ascending: general path */
                    }
                }
                if (ok) {
                    tz->rule.ext_t = et;
                    tz->rule.ext_off = eo;
                    tz->rule.ext_n = n;
                }
            }
        }
    }
    return tz;
}

cc_tz_t *cc_tz_parse(apr_pool_t *p, const unsigned char *buf, size_t len,
                     cc_problem_t *prob)
{
    const char *why;
    cc_tz_t *tz = cc_tz_parse_why(p, buf, len, &why);

    if (!tz) {
        cc_problem_set(prob, 500, "invalid_tzif", "time zone data: %s", why);
    }
    return tz;
}

/* ---- loading ----------------------------------------------------------- */

static int cc_tz_name_ok(const char *name)
{
    const char *s, *comp;
    size_t n;

    if (!name || !*name || strlen(name) > CC_TZ_MAX_NAME || *name == '/') {
        return 0;
    }
    for (s = name; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
              || (*s >= '0' && *s <= '9') || *s == '/' || *s == '_'
              || *s == '-' || *s == '+' || *s == '.')) {
            return 0;
        }
    }
    /* No empty, "." or ".." component. */
    comp = name;
    for (;;) {
        s = strchr(comp, '/');
        n = s ? (size_t)(s - comp) : strlen(comp);
        if (n == 0 || (n == 1 && comp[0] == '.')
            || (n == 2 && comp[0] == '.' && comp[1] == '.')) {
            return 0;
        }
        if (!s) {
            break;
        }
        comp = s + 1;
    }
    return 1;
}

cc_tz_t *cc_tz_load(apr_pool_t *p, const char *dir, const char *name,
                    cc_problem_t *prob)
{
    apr_pool_t *tmp = NULL;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t got;
    unsigned char *buf;
    const char *path, *why;
    cc_tz_t *tz = NULL;

    if (!p) {
        cc_problem_set(prob, 500, "internal_error", "no pool");
        return NULL;
    }
    if (!cc_tz_name_ok(name)) {
        cc_problem_set(prob, 404, "unknown_timezone",
                       "not a time zone name");
        return NULL;
    }
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        cc_problem_set(prob, 500, "internal_error", "out of memory");
        return NULL;
    }
    path = apr_pstrcat(tmp, dir ? dir : CC_TZ_DEFAULT_DIR, "/", name, NULL);
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                      APR_FPROT_OS_DEFAULT, tmp) != APR_SUCCESS) {
        cc_problem_set(prob, 404, "unknown_timezone", "unknown time zone");
        goto done;
    }
    if (apr_file_info_get(&fi, APR_FINFO_TYPE | APR_FINFO_SIZE, f)
            != APR_SUCCESS || fi.filetype != APR_REG) {
        cc_problem_set(prob, 404, "unknown_timezone", "unknown time zone");
        goto done;
    }
    if (fi.size < 4 || fi.size > CC_TZ_MAX_FILE) {
        cc_problem_set(prob, 404, "unknown_timezone",
                       "not a time zone file");
        goto done;
    }
    buf = apr_palloc(tmp, (apr_size_t)fi.size);
    if (apr_file_read_full(f, buf, (apr_size_t)fi.size, &got) != APR_SUCCESS
        || got != (apr_size_t)fi.size) {
        cc_problem_set(prob, 500, "timezone_unreadable",
                       "time zone file could not be read");
        goto done;
    }
    if (memcmp(buf, "TZif", 4) != 0) {
        cc_problem_set(prob, 404, "unknown_timezone",
                       "not a time zone file");
        goto done;
    }
    tz = cc_tz_parse_why(p, buf, got, &why);
    if (!tz) {
        cc_problem_set(prob, 500, "invalid_tzif", "time zone data: %s", why);
    }
done:
    apr_pool_destroy(tmp);
    return tz;
}

/*
 * cc_intent.c - booking intent, service and day recognition in a chat
 * message.  See cc_intent.h for the rules.
 *
 * The message (first CC_INTENT_MAX_BYTES bytes) is tokenised once with
 * cc_tok into folded terms with their byte offsets; every term also gets
 * its Porter2 stem and stop-word flag.  Four passes follow over that
 * array, each linear in the number of terms with a small constant look
 * around: day mentions, part of the day, service scores (a hash of the
 * message stems against the services' stems), and the booking cues and
 * vetoes.  Adjacent terms are joined by one punctuation byte ("03/12",
 * "2026-12-03", "10:30") only when the offsets say so.
 */
#include <stdint.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "cc_intent.h"
#include "cc_tok.h"
#include "cc_tz.h"

#define CI_MAX_TERMS  1024      /* > CC_INTENT_MAX_BYTES / 2 */
#define CI_MAX_RANGES 16
#define CI_SVC_TERMS  64        /* terms kept per service */
#define CI_W          2520      /* lcm(1..10): weight of a unique term */

typedef struct ci_tok_t {
    char    w[CC_TOK_MAX + 1];  /* folded term */
    char    s[CC_TOK_MAX + 1];  /* its stem (== w for digits, non-ASCII) */
    size_t  start, end;         /* byte offsets in the message */
    int     stop;               /* English stop word */
    int     num;                /* leading digits' value, -1: none / huge */
    int     ndig;               /* number of leading digits */
} ci_tok_t;

typedef struct ci_ctx_t {
    const char *msg;
    size_t      len;
    ci_tok_t   *t;
    int         n;
    int64_t     today;
    int         twd;            /* weekday of today, 0 = Monday */
    int64_t     rf[CI_MAX_RANGES];
    int         rd[CI_MAX_RANGES];
    int         nr;
    int         parts;          /* bit (1 << CC_PART_*) per part seen */
} ci_ctx_t;

/* ---- terms ------------------------------------------------------------- */

static int ci_collect(void *baton, const char *term, size_t len,
                      uint32_t pos, size_t start, size_t end)
{
    ci_ctx_t *c = baton;
    ci_tok_t *t;
    size_t i, slen;

    if (c->n >= CI_MAX_TERMS) {
        return 1;
    }
    t = &c->t[c->n++];
    if (len > CC_TOK_MAX) {
        len = CC_TOK_MAX;
    }
    memcpy(t->w, term, len);
    t->w[len] = '\0';
    memcpy(t->s, term, len + 1);
    slen = len;
    if (len < CC_TOK_MAX) {
        slen = cc_stem_english(t->s, len);
    }
    t->s[slen] = '\0';
    t->start = start;
    t->end = end;
    t->stop = cc_tok_stopword(t->w, len);
    t->num = -1;
    t->ndig = 0;
    for (i = 0; i < len && t->w[i] >= '0' && t->w[i] <= '9'; i++) {
        t->ndig++;
    }
    if (t->ndig > 0 && t->ndig <= 6) {
        t->num = 0;
        for (i = 0; i < (size_t)t->ndig; i++) {
            t->num = t->num * 10 + (t->w[i] - '0');
        }
    }
    return 0;
}

static int ci_in(const char *w, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(w, *list) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Term i is w. */
static int ci_is(const ci_ctx_t *c, int i, const char *w)
{
    return i >= 0 && i < c->n && strcmp(c->t[i].w, w) == 0;
}

/* Term i is in list. */
static int ci_isl(const ci_ctx_t *c, int i, const char *const *list)
{
    return i >= 0 && i < c->n && ci_in(c->t[i].w, list);
}

/* One of the n terms before i is in list. */
static int ci_before(const ci_ctx_t *c, int i, int n, const char *const *list)
{
    int k;

    for (k = 1; k <= n; k++) {
        if (ci_isl(c, i - k, list)) {
            return 1;
        }
    }
    return 0;
}

static int ci_prefix(const char *w, const char *pre)
{
    return strncmp(w, pre, strlen(pre)) == 0;
}

/* Terms i and i+1 are separated by exactly the byte ch. */
static int ci_sep(const ci_ctx_t *c, int i, char ch)
{
    return i >= 0 && i + 1 < c->n && c->t[i + 1].start == c->t[i].end + 1
           && c->t[i].end < c->len && c->msg[c->t[i].end] == ch;
}

/* A term made of digits only, at most maxdig of them: its value, else -1. */
static int ci_plain(const ci_ctx_t *c, int i, int maxdig)
{
    const ci_tok_t *t;

    if (i < 0 || i >= c->n) {
        return -1;
    }
    t = &c->t[i];
    if (t->num < 0 || t->ndig > maxdig || t->w[t->ndig] != '\0') {
        return -1;
    }
    return t->num;
}

/* A day of the month: "3", "03", "3rd", "1st", "22nd", "1er"; 1..31. */
static int ci_daynum(const ci_ctx_t *c, int i, int need_suffix)
{
    static const char *const sfx[] = { "st", "nd", "rd", "th", "er", "e",
                                       "o", "eme", NULL };
    const ci_tok_t *t;
    const char *s;

    if (i < 0 || i >= c->n) {
        return -1;
    }
    t = &c->t[i];
    if (t->num < 1 || t->num > 31 || t->ndig > 2) {
        return -1;
    }
    s = t->w + t->ndig;
    if (*s == '\0' ? need_suffix : !ci_in(s, sfx)) {
        return -1;
    }
    return t->num;
}

/* ---- names ------------------------------------------------------------- */

typedef struct ci_name_t {
    const char *w;
    int         v;
    int         abbr;           /* weekday: ambiguous; month: abbreviation */
} ci_name_t;

static const ci_name_t ci_weekdays[] = {
    { "monday", 0, 0 }, { "mon", 0, 1 }, { "tuesday", 1, 0 },
    { "tue", 1, 0 }, { "tues", 1, 0 }, { "wednesday", 2, 0 },
    { "wed", 2, 1 }, { "weds", 2, 0 }, { "thursday", 3, 0 },
    { "thu", 3, 0 }, { "thur", 3, 0 }, { "thurs", 3, 0 },
    { "friday", 4, 0 }, { "fri", 4, 0 }, { "saturday", 5, 0 },
    { "sat", 5, 1 }, { "sunday", 6, 0 }, { "sun", 6, 1 },
    { "lunes", 0, 0 }, { "martes", 1, 0 }, { "miercoles", 2, 0 },
    { "jueves", 3, 0 }, { "viernes", 4, 0 }, { "sabado", 5, 0 },
    { "domingo", 6, 0 },
    { "lundi", 0, 0 }, { "mardi", 1, 0 }, { "mercredi", 2, 0 },
    { "jeudi", 3, 0 }, { "vendredi", 4, 0 }, { "samedi", 5, 0 },
    { "dimanche", 6, 0 },
    { NULL, 0, 0 }
};

static const ci_name_t ci_months[] = {
    { "january", 1, 0 }, { "jan", 1, 1 }, { "february", 2, 0 },
    { "feb", 2, 1 }, { "march", 3, 0 }, { "mar", 3, 1 }, { "april", 4, 0 },
    { "apr", 4, 1 }, { "may", 5, 0 }, { "june", 6, 0 }, { "jun", 6, 1 },
    { "july", 7, 0 }, { "jul", 7, 1 }, { "august", 8, 0 }, { "aug", 8, 1 },
    { "september", 9, 0 }, { "sep", 9, 1 }, { "sept", 9, 1 },
    { "october", 10, 0 }, { "oct", 10, 1 }, { "november", 11, 0 },
    { "nov", 11, 1 }, { "december", 12, 0 }, { "dec", 12, 1 },
    { "enero", 1, 0 }, { "febrero", 2, 0 }, { "marzo", 3, 0 },
    { "abril", 4, 0 }, { "mayo", 5, 0 }, { "junio", 6, 0 },
    { "julio", 7, 0 }, { "agosto", 8, 0 }, { "septiembre", 9, 0 },
    { "setiembre", 9, 0 }, { "octubre", 10, 0 }, { "noviembre", 11, 0 },
    { "diciembre", 12, 0 },
    { "janvier", 1, 0 }, { "fevrier", 2, 0 }, { "mars", 3, 0 },
    { "avril", 4, 0 }, { "mai", 5, 0 }, { "juin", 6, 0 },
    { "juillet", 7, 0 }, { "aout", 8, 0 }, { "septembre", 9, 0 },
    { "octobre", 10, 0 }, { "novembre", 11, 0 }, { "decembre", 12, 0 },
    { NULL, 0, 0 }
};

static const ci_name_t *ci_name(const ci_name_t *tab, const char *w)
{
    for (; tab->w; tab++) {
        if (strcmp(tab->w, w) == 0) {
            return tab;
        }
    }
    return NULL;
}

/* Weekday name (plural "tuesdays", "lundis" too), or NULL. */
static const ci_name_t *ci_weekday_at(const ci_ctx_t *c, int i)
{
    const ci_name_t *d;
    char buf[CC_TOK_MAX + 1];
    size_t l;

    if (i < 0 || i >= c->n) {
        return NULL;
    }
    d = ci_name(ci_weekdays, c->t[i].w);
    l = strlen(c->t[i].w);
    if (!d && l > 5 && c->t[i].w[l - 1] == 's') {
        memcpy(buf, c->t[i].w, l - 1);
        buf[l - 1] = '\0';
        d = ci_name(ci_weekdays, buf);
    }
    return d;
}

static int ci_month_at(const ci_ctx_t *c, int i, int full_only)
{
    const ci_name_t *m;

    if (i < 0 || i >= c->n) {
        return 0;
    }
    m = ci_name(ci_months, c->t[i].w);
    if (!m || (full_only && m->abbr)) {
        return 0;
    }
    return m->v;
}

static const char *const ci_part_words[] = {
    "morning", "mornings", "afternoon", "afternoons", "evening", "evenings",
    "night", "am", "pm", "matin", "soir", "tarde", "noche", "manana",
    "apres", "aprem", "lunchtime", NULL
};

/* ---- days -------------------------------------------------------------- */

static int ci_dim(int y, int m)
{
    static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                               31 };

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return d[m - 1];
}

static int ci_valid(int y, int m, int d)
{
    return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1
           && d <= ci_dim(y, m);
}

static void ci_add(ci_ctx_t *c, int64_t from, int days)
{
    if (c->nr < CI_MAX_RANGES && days > 0) {
        c->rf[c->nr] = from;
        c->rd[c->nr] = days;
        c->nr++;
    }
}

/* d/m without a year: this year, or the next year where it exists and is
 * not past. */
static void ci_add_md(ci_ctx_t *c, int m, int d)
{
    int y, tm, td, k;

    cc_civil_from_days(c->today, &y, &tm, &td);
    for (k = 0; k <= 8; k++) {
        if (ci_valid(y + k, m, d)
            && cc_days_from_civil(y + k, m, d) >= c->today) {
            ci_add(c, cc_days_from_civil(y + k, m, d), 1);
            return;
        }
    }
}

static void ci_add_ymd(ci_ctx_t *c, int y, int m, int d)
{
    if (ci_valid(y, m, d)) {
        ci_add(c, cc_days_from_civil(y, m, d), 1);
    }
}

/* An optional year after a day and month: "2026" or "de 2026"; returns
 * the terms used (0 or 1 or 2) and *y. */
static int ci_year_at(const ci_ctx_t *c, int i, int *y)
{
    int k = ci_is(c, i, "de") ? 1 : 0;
    int v = ci_plain(c, i + k, 4);

    if (v >= 1900 && v <= 2200 && c->t[i + k].ndig == 4) {
        *y = v;
        return k + 1;
    }
    return 0;
}

static int64_t ci_monday(const ci_ctx_t *c, int weeks_ahead)
{
    return c->today - c->twd + 7 * weeks_ahead;
}

/* "... on Tuesday" right after a week phrase ending before i: the day of
 * that week (not before today).  Returns the terms used, 0 if none. */
static int ci_week_day(ci_ctx_t *c, int i, int64_t monday)
{
    int k = ci_isl(c, i, (const char *const[]){ "on", "el", "le", NULL });
    const ci_name_t *d = ci_weekday_at(c, i + k);

    if (!d || monday + d->v < c->today) {
        return 0;
    }
    ci_add(c, monday + d->v, 1);
    return k + 1;
}

static const char *const ci_next_pre[] = {
    "next", "proximo", "proxima", "prochain", "prochaine", NULL
};
static const char *const ci_next_post[] = {
    "prochain", "prochaine", NULL
};
static const char *const ci_this_w[] = {
    "this", "esta", "este", "cette", "ce", "cet", NULL
};

/* "next" before term a or after term b ("martes que viene"). */
static int ci_is_next(const ci_ctx_t *c, int a, int b)
{
    return ci_isl(c, a - 1, ci_next_pre) || ci_isl(c, b + 1, ci_next_post)
           || (ci_is(c, b + 1, "que") && ci_is(c, b + 2, "viene"));
}

static int ci_weekend(ci_ctx_t *c, int a, int b)
{
    int64_t sat;

    if (ci_is_next(c, a, b)) {
        ci_add(c, ci_monday(c, 1) + 5, 2);
    }
    else if (c->twd == 6) {
        ci_add(c, c->today, 1);
    }
    else {
        sat = ci_monday(c, 0) + 5;
        ci_add(c, sat, 2);
    }
    return b - a + 1;
}

static int ci_week(ci_ctx_t *c, int i)
{
    int64_t mon;
    int k, used;

    if (ci_is(c, i + 1, "after") && ci_is(c, i + 2, "next")) {
        mon = ci_monday(c, 2);
        k = 3;
    }
    else if (ci_is_next(c, i, i)) {
        mon = ci_monday(c, 1);
        k = 1 + (ci_isl(c, i + 1, ci_next_post) ? 1
                 : ci_is(c, i + 1, "que") ? 2 : 0);
    }
    else if (ci_isl(c, i - 1, ci_this_w)) {
        mon = ci_monday(c, 0);
        k = 1;
    }
    else {
        return 1;
    }
    used = ci_week_day(c, i + k, mon);
    if (used > 0) {
        return k + used;
    }
    if (mon < c->today) {
        ci_add(c, c->today, (int)(mon + 7 - c->today));
    }
    else {
        ci_add(c, mon, 7);
    }
    return k;
}

static const char *const ci_list_w[] = {
    "or", "and", "to", "through", "thru", "until", "till", "o", "y", "ou",
    "et", NULL
};

static int ci_weekday_mention(ci_ctx_t *c, int i, const ci_name_t *d)
{
    static const char *const ctx_before[] = {
        "on", "next", "this", "coming", "every", "until", "till", "from",
        "by", "before", "or", "and", "between", NULL
    };
    static const char *const last_w[] = { "last", "past", NULL };
    int64_t day;
    int delta;

    if (d->abbr && !ci_isl(c, i - 1, ctx_before)
        && !ci_isl(c, i + 1, ci_part_words) && ci_daynum(c, i + 1, 0) < 0
        && !((ci_is(c, i + 1, "or") || ci_is(c, i + 1, "and"))
             && ci_weekday_at(c, i + 2))) {
        return 1;
    }
    if (ci_isl(c, i - 1, last_w) || ci_is(c, i + 1, "dernier")
        || ci_is(c, i + 1, "pasado")) {
        return 1;
    }
    /* "Tuesday next week", "Tuesday of next week", "Tuesday or Wednesday
     * this week": the week phrase after a list of weekdays applies to all */
    {
        int j = i + 1, listed = 0;

        for (;;) {
            if (ci_weekday_at(c, j)) {
                j++;
                listed = 1;
            }
            else if (ci_isl(c, j, ci_list_w) && ci_weekday_at(c, j + 1)) {
                j += 2;
                listed = 1;
            }
            else {
                break;
            }
        }
        j += ci_is(c, j, "of");
        if (ci_is(c, j + 1, "week")
            && (ci_is(c, j, "next") || ci_is(c, j, "this"))) {
            day = ci_monday(c, ci_is(c, j, "next") ? 1 : 0) + d->v;
            if (day >= c->today) {
                ci_add(c, day, 1);
            }
            /* the last weekday of a list consumes the week phrase */
            return listed ? 1 : j - i + 2;
        }
    }
    delta = (d->v - c->twd + 7) % 7;
    if (delta == 0 && ci_is_next(c, i, i)) {
        delta = 7;
    }
    ci_add(c, c->today + delta, 1);
    return 1;
}

/* A month range: "in December". */
static void ci_month_range(ci_ctx_t *c, int m)
{
    int y, tm, td;
    int64_t from, to;

    cc_civil_from_days(c->today, &y, &tm, &td);
    if (m < tm) {
        y++;
    }
    from = cc_days_from_civil(y, m, 1);
    to = from + ci_dim(y, m) - 1;
    if (from < c->today) {
        from = c->today;
    }
    ci_add(c, from, (int)(to - from + 1));
}

static const char *const ci_the_w[] = { "the", "le", "el", NULL };
static const char *const ci_do_w[] = { "do", "does", NULL };

/* Numeric forms starting at term i; returns the terms used (0: none). */
static int ci_date_numeric(ci_ctx_t *c, int i)
{
    int a = ci_plain(c, i, 4), b, d, m, y, k, dy;
    char sep;

    /* 2026-12-03, 2026/12/03 */
    if (a >= 1900 && c->t[i].ndig == 4) {
        sep = ci_sep(c, i, '-') ? '-' : ci_sep(c, i, '/') ? '/' : 0;
        b = ci_plain(c, i + 1, 2);
        d = ci_plain(c, i + 2, 2);
        if (sep && b >= 0 && d >= 0 && ci_sep(c, i + 1, sep)) {
            ci_add_ymd(c, a, b, d);
            return 3;
        }
        return 0;
    }
    /* 03/12, 03/12/2026, 03/12/26 */
    if (a >= 0 && c->t[i].ndig <= 2 && ci_sep(c, i, '/')) {
        b = ci_plain(c, i + 1, 2);
        if (b < 0) {
            return 0;
        }
        y = -1;
        if (ci_sep(c, i + 1, '/')) {
            y = ci_plain(c, i + 2, 4);
            if (y >= 0 && c->t[i + 2].ndig == 2) {
                y += 2000;
            }
            else if (y >= 0 && c->t[i + 2].ndig != 4) {
                y = -1;
            }
        }
        if (y >= 0) {
            ci_add_ymd(c, y, b, a);
            return 3;
        }
        if (a >= 1 && a <= 31 && b >= 1 && b <= 12) {
            ci_add_md(c, b, a);
        }
        return 2;
    }
    /* 3 December, 3rd of Dec, 3 de diciembre [2026] */
    d = ci_daynum(c, i, 0);
    if (d < 0 || ci_sep(c, i, ':')) {
        return 0;
    }
    k = ci_isl(c, i + 1, (const char *const[]){ "of", "de", NULL }) ? 2 : 1;
    m = ci_month_at(c, i + k, 0);
    if (m) {
        dy = ci_year_at(c, i + k + 1, &y);
        if (dy) {
            ci_add_ymd(c, y, m, d);
        }
        else if (d <= ci_dim(2000, m)) {
            ci_add_md(c, m, d);
        }
        return k + 1 + dy;
    }
    /* the 3rd: the next such day of a month */
    if (ci_daynum(c, i, 1) > 0
        && ci_isl(c, i - 1, ci_the_w)) {
        int yy, mm, dd, j;

        cc_civil_from_days(c->today, &yy, &mm, &dd);
        for (j = 0; j < 13; j++) {
            if (d <= ci_dim(yy, mm) && (j > 0 || d >= dd)) {
                ci_add(c, cc_days_from_civil(yy, mm, d), 1);
                break;
            }
            if (++mm > 12) {
                mm = 1;
                yy++;
            }
        }
        return 1;
    }
    return 0;
}

static const char *const ci_today_w[] = {
    "today", "todays", "tonight", "tonite", "hoy", "aujourdhui", NULL
};
static const char *const ci_tomorrow_w[] = {
    "tomorrow", "tomorrows", "tmrw", "tmr", "tomorow", "tommorow",
    "tommorrow", "demain", NULL
};
static const char *const ci_la_w[] = { "la", "las", "esta", "por", NULL };

/* A day mention starting at term i; returns the terms used (>= 1). */
static int ci_date_at(ci_ctx_t *c, int i)
{
    const ci_tok_t *t = &c->t[i];
    const ci_name_t *d;
    int k, m, dd, y;

    if (t->num >= 0) {
        k = ci_date_numeric(c, i);
        return k > 0 ? k : 1;
    }
    if ((ci_is(c, i, "day") && ci_is(c, i + 1, "after")
         && ci_isl(c, i + 2, ci_tomorrow_w))
        || (ci_is(c, i, "pasado") && ci_is(c, i + 1, "manana"))
        || (ci_is(c, i, "apres") && ci_is(c, i + 1, "demain"))) {
        ci_add(c, c->today + 2, 1);
        return ci_is(c, i, "day") ? 3 : 2;
    }
    if (ci_isl(c, i, ci_today_w)) {
        ci_add(c, c->today, 1);
        return 1;
    }
    if (ci_isl(c, i, ci_tomorrow_w)) {
        ci_add(c, c->today + 1, 1);
        return 1;
    }
    if (ci_is(c, i, "manana")) {
        if (!ci_isl(c, i - 1, ci_la_w)) {
            ci_add(c, c->today + 1, 1);
        }
        return 1;
    }
    /* this morning, esta tarde, ce soir, cet après-midi */
    if (ci_isl(c, i, ci_this_w) && ci_isl(c, i + 1, ci_part_words)) {
        ci_add(c, c->today, 1);
        return 2;
    }
    if (ci_is(c, i, "weekend") || ci_is(c, i, "weekends")
        || ci_is(c, i, "finde")) {
        return ci_weekend(c, i, i);
    }
    if (ci_is(c, i, "week") && ci_is(c, i + 1, "end")) {
        return ci_weekend(c, i, i + 1);
    }
    if (ci_is(c, i, "fin") && ci_is(c, i + 1, "de")
        && ci_is(c, i + 2, "semana")) {
        return ci_weekend(c, i, i + 2);
    }
    if (ci_is(c, i, "week") || ci_is(c, i, "semana")
        || ci_is(c, i, "semaine")) {
        return ci_week(c, i);
    }
    d = ci_weekday_at(c, i);
    if (d) {
        return ci_weekday_mention(c, i, d);
    }
    /* December 3, Dec the 3rd [2026] */
    m = ci_month_at(c, i, 0);
    if (m) {
        k = ci_is(c, i + 1, "the") ? 2 : 1;
        dd = ci_daynum(c, i + k, 0);
        if (dd > 0 && !ci_sep(c, i + k, ':')
            && !ci_is(c, i + k + 1, "am") && !ci_is(c, i + k + 1, "pm")) {
            int dy = ci_year_at(c, i + k + 1, &y);

            if (dy) {
                ci_add_ymd(c, y, m, dd);
            }
            else if (dd <= ci_dim(2000, m)) {
                ci_add_md(c, m, dd);
            }
            return k + 1 + dy;
        }
        return 1;
    }
    /* in December; in 3 days */
    if (ci_isl(c, i, (const char *const[]){ "in", "en", "dans", "durante",
                                           NULL })) {
        m = ci_month_at(c, i + 1, 1);
        if (m && ci_daynum(c, i + 2, 0) < 0) {
            ci_month_range(c, m);
            return 2;
        }
        k = ci_plain(c, i + 1, 3);
        if (k >= 1 && k <= 366
            && ci_isl(c, i + 2, (const char *const[]){ "days", "day", "dias",
                                                      "jours", NULL })) {
            ci_add(c, c->today + k, 1);
            return 3;
        }
    }
    return 1;
}

/* ---- part of the day --------------------------------------------------- */

static void ci_part_hour(ci_ctx_t *c, int h)
{
    c->parts |= 1 << (h < 12 ? CC_PART_MORNING
                      : h < 17 ? CC_PART_AFTERNOON : CC_PART_EVENING);
}

/* "am"/"pm" (or "a.m.") at term i: 1 am, 2 pm, 0 neither; *used terms. */
static int ci_ampm(const ci_ctx_t *c, int i, int *used)
{
    *used = 1;
    if (ci_is(c, i, "am")) {
        return 1;
    }
    if (ci_is(c, i, "pm")) {
        return 2;
    }
    if ((ci_is(c, i, "a") || ci_is(c, i, "p")) && ci_is(c, i + 1, "m")
        && ci_sep(c, i, '.')) {
        *used = 2;
        return ci_is(c, i, "a") ? 1 : 2;
    }
    return 0;
}

/* "am"/"pm" suffix of a time term: "10am", "10.30pm", "30am"; 1/2/0. */
static int ci_ampm_suffix(const ci_tok_t *t)
{
    const char *s = t->w + t->ndig;

    if (*s == '.' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0'
        && s[2] <= '9') {
        s += 3;
    }
    return strcmp(s, "am") == 0 ? 1 : strcmp(s, "pm") == 0 ? 2 : 0;
}

/* A clock time starting at term i; returns the terms used, 0 if none. */
static int ci_time_at(ci_ctx_t *c, int i)
{
    int h = c->t[i].num, ap, used = 0, k;

    if (h < 0 || c->t[i].ndig > 2) {
        return 0;
    }
    if (ci_sep(c, i, ':') && c->t[i + 1].ndig == 2 && c->t[i + 1].num < 60) {
        ap = ci_ampm_suffix(&c->t[i + 1]);
        k = 2;
        if (!ap && c->t[i + 1].w[2] == '\0') {
            ap = ci_ampm(c, i + 2, &used);
            k += ap ? used : 0;
        }
        if (!ap) {
            if (h > 23 || c->t[i + 1].w[2] != '\0') {
                return 0;
            }
            ci_part_hour(c, h >= 1 && h <= 7 ? h + 12 : h);
            return k;
        }
    }
    else {
        ap = ci_ampm_suffix(&c->t[i]);
        k = 1;
        if (!ap && c->t[i].w[c->t[i].ndig] == '\0') {
            ap = ci_ampm(c, i + 1, &used);
            k += ap ? used : 0;
        }
        if (!ap) {
            return 0;
        }
    }
    if (h < 1 || h > 12 || (ap == 1 && h == 12)) {
        return k;
    }
    ci_part_hour(c, ap == 2 && h < 12 ? h + 12 : h);
    return k;
}

static int ci_part_at(ci_ctx_t *c, int i)
{
    static const char *const morning[] = {
        "morning", "mornings", "morn", "matin", "matins", "matinee", NULL
    };
    static const char *const afternoon[] = {
        "afternoon", "afternoons", "arvo", "aprem", "lunch", "lunchtime",
        "lunchtimes", "midday", "noon", "mediodia", "midi", NULL
    };
    static const char *const evening[] = {
        "evening", "evenings", "tonight", "tonite", "night", "nights",
        "soir", "soirs", "soiree", NULL
    };
    static const char *const am_ctx[] = {
        "the", "in", "an", "tomorrow", "today", "or", "and", "early", NULL
    };
    static const char *const am_next[] = {
        "or", "slot", "slots", "appointment", "appointments", "please", NULL
    };
    int k, used, ap;

    k = ci_time_at(c, i);
    if (k > 0) {
        return k;
    }
    if (ci_isl(c, i, morning) || (ci_is(c, i, "before") && ci_is(c, i + 1,
                                                                 "work"))
        || (ci_is(c, i, "first") && ci_is(c, i + 1, "thing"))
        || ((ci_is(c, i, "manana") || ci_is(c, i, "mananas"))
            && ci_isl(c, i - 1, ci_la_w))) {
        c->parts |= 1 << CC_PART_MORNING;
    }
    else if (ci_isl(c, i, afternoon)
             || ((ci_is(c, i, "tarde") || ci_is(c, i, "tardes"))
                 && ci_isl(c, i - 1, ci_la_w))) {
        c->parts |= 1 << CC_PART_AFTERNOON;
    }
    else if (ci_isl(c, i, evening)
             || (ci_is(c, i, "after") && ci_is(c, i + 1, "work"))
             || ((ci_is(c, i, "noche") || ci_is(c, i, "noches"))
                 && ci_isl(c, i - 1, ci_la_w))) {
        c->parts |= 1 << CC_PART_EVENING;
    }
    else {
        ap = ci_ampm(c, i, &used);
        if (ap == 1 && used == 1 && ci_is(c, i - 1, "i")) {
            ap = 0;         /* "I am" */
        }
        if (ap == 2 || (ap == 1 && (used == 2 || ci_isl(c, i - 1, am_ctx)
                                    || ci_weekday_at(c, i - 1)
                                    || ci_isl(c, i + 1, am_next)
                                    || i + 1 == c->n))) {
            c->parts |= 1 << (ap == 1 ? CC_PART_MORNING : CC_PART_AFTERNOON);
        }
        return used;
    }
    return 1;
}

/* ---- services ---------------------------------------------------------- */

typedef struct ci_svc_terms_t {
    apr_pool_t  *p;
    const char **t;
    int          n;
} ci_svc_terms_t;

static int ci_svc_term(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    ci_svc_terms_t *st = baton;
    char w[CC_TOK_MAX + 1];
    int k;

    if (len > CC_TOK_MAX) {
        len = CC_TOK_MAX;
    }
    if (cc_tok_stopword(term, len)) {
        return 0;
    }
    memcpy(w, term, len);
    w[len] = '\0';
    if (len < CC_TOK_MAX) {
        w[cc_stem_english(w, len)] = '\0';
    }
    for (k = 0; k < st->n; k++) {
        if (strcmp(st->t[k], w) == 0) {
            return 0;
        }
    }
    st->t[st->n++] = apr_pstrdup(st->p, w);
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

    return (*s >= '0' && *s <= '9') || ci_in(s, g);
}

/* Best service: index, -1 none, -2 tie. */
static int ci_services(apr_pool_t *p, const ci_ctx_t *c,
                       const cc_intent_service_t *svcs, int nsvcs)
{
    ci_svc_terms_t *st;
    apr_hash_t *df, *msg;
    int64_t best = 0, sc;
    int i, k, strong, winner = -1;

    if (!svcs || nsvcs <= 0) {
        return -1;
    }
    if (nsvcs > CC_INTENT_MAX_SERVICES) {
        nsvcs = CC_INTENT_MAX_SERVICES;
    }
    msg = apr_hash_make(p);
    for (i = 0; i < c->n; i++) {
        if (!c->t[i].stop) {
            apr_hash_set(msg, c->t[i].s, APR_HASH_KEY_STRING, "");
        }
    }
    df = apr_hash_make(p);
    st = apr_pcalloc(p, sizeof(*st) * (size_t)nsvcs);
    for (i = 0; i < nsvcs; i++) {
        st[i].p = p;
        st[i].t = apr_palloc(p, sizeof(char *) * CI_SVC_TERMS);
        if (!svcs[i].name) {
            continue;
        }
        cc_tok_each(svcs[i].name, ci_bounded_len(svcs[i].name), 0,
                    ci_svc_term, &st[i]);
        if (svcs[i].aliases && st[i].n < CI_SVC_TERMS) {
            cc_tok_each(svcs[i].aliases, ci_bounded_len(svcs[i].aliases), 0,
                        ci_svc_term, &st[i]);
        }
        for (k = 0; k < st[i].n; k++) {
            intptr_t n = (intptr_t)apr_hash_get(df, st[i].t[k],
                                                APR_HASH_KEY_STRING);

            apr_hash_set(df, st[i].t[k], APR_HASH_KEY_STRING,
                         (void *)(n + 1));
        }
    }
    for (i = 0; i < nsvcs; i++) {
        sc = 0;
        strong = 0;
        for (k = 0; k < st[i].n; k++) {
            intptr_t n;
            int64_t w;

            if (!apr_hash_get(msg, st[i].t[k], APR_HASH_KEY_STRING)) {
                continue;
            }
            n = (intptr_t)apr_hash_get(df, st[i].t[k], APR_HASH_KEY_STRING);
            w = CI_W / (n > 0 ? n : 1);
            if (ci_generic(st[i].t[k])) {
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

static const char *const ci_det[] = {
    "my", "the", "this", "that", "our", "his", "her", "their", "mi", "mis",
    "su", "sus", "mon", "ma", "mes", "le", "ce", "cette", NULL
};
static const char *const ci_you[] = { "you", "u", "vous", "usted", NULL };
static const char *const ci_subj[] = { "i", "we", "me", "us", NULL };
static const char *const ci_isubj[] = {
    "i", "we", "me", "us", "id", "ill", "im", "wed", "were", NULL
};
static const char *const ci_neg[] = {
    "not", "dont", "cant", "cannot", "wont", "never", "didnt", "doesnt",
    "wouldnt", "no", "ne", "pas", "nunca", "jamais", NULL
};
static const char *const ci_nouns[] = {
    "appointment", "appointments", "booking", "bookings", "reservation",
    "reservations", "reserva", "reservas", "cita", "citas", "rdv",
    "rendez", "turno", "turnos", "slot", "slots", NULL
};

/* A booking noun ("appointment") not after my/the/...: a new one. */
static int ci_new_noun(const ci_ctx_t *c, int i)
{
    return !ci_isl(c, i - 1, ci_det)
           && !(ci_isl(c, i - 2, ci_det) && !ci_isl(c, i - 1, ci_nouns));
}

static int ci_cue_at(const ci_ctx_t *c, int i, int dated)
{
    static const char *const avail[] = {
        "availability", "availabilities", "disponibilidad",
        "disponibilidades", "disponibilite", "disponibilites", "slot",
        "slots", "hueco", "huecos", "creneau", "creneaux", "openings",
        "agendar", "earliest", "soonest", NULL
    };
    static const char *const available[] = {
        "available", "disponible", "disponibles", "dispo", "dispos", "free",
        NULL
    };
    static const char *const first[] = {
        "next", "first", "earliest", "soonest", NULL
    };
    static const char *const some[] = {
        "anything", "something", "anyone", "anybody", NULL
    };
    static const char *const past_subj[] = {
        "i", "we", "ive", "already", "have", "had", "was", NULL
    };
    const char *w = c->t[i].w, *s = c->t[i].s;

    if (strcmp(s, "book") == 0) {
        if (ci_prefix(w, "booking")) {
            return ci_new_noun(c, i);
        }
        return !(strcmp(w, "booked") == 0 && ci_isl(c, i - 1, past_subj));
    }
    if (ci_prefix(w, "reserv")) {
        if (ci_prefix(w, "reservation") || strcmp(w, "reserva") == 0
            || strcmp(w, "reservas") == 0) {
            return ci_new_noun(c, i);
        }
        return strcmp(w, "reserved") != 0;
    }
    if (strcmp(s, "schedul") == 0 || strcmp(s, "appoint") == 0
        || ci_in(w, (const char *const[]){ "cita", "citas", "rdv", "rendez",
                                          "turno", "turnos", NULL })) {
        return ci_new_noun(c, i);
    }
    if (ci_in(w, avail)) {
        return 1;
    }
    if (ci_in(w, available)) {
        return ci_isl(c, i - 1, first) || ci_before(c, i, 2, ci_you)
               || ((strcmp(w, "free") != 0 || ci_before(c, i, 2, ci_isubj))
                   && dated)
               || ci_before(c, i, 2, some);
    }
    if (strcmp(w, "opening") == 0) {
        return (ci_is(c, i - 1, "an") || ci_is(c, i - 1, "any"))
               && !ci_isl(c, i + 1, (const char *const[]){ "hours", "times",
                                                          "time", NULL });
    }
    if (strcmp(w, "spot") == 0 || strcmp(w, "spots") == 0) {
        return ci_isl(c, i - 1, (const char *const[]){ "any", "free", "open",
                                                      NULL });
    }
    if (strcmp(w, "space") == 0) {
        return ci_before(c, i, 2, (const char *const[]){ "any", "there",
                                                        "have", "got", NULL })
               && !ci_isl(c, i - 1, (const char *const[]){ "parking", "car",
                                                          NULL });
    }
    if (ci_in(w, (const char *const[]){ "come", "pop", "drop", "get",
                                       NULL })) {
        return ci_isl(c, i + 1, (const char *const[]){ "in", "by", "over",
                                                      NULL })
               && !ci_is(c, i + 2, "touch") && ci_before(c, i, 3, ci_isubj);
    }
    if (strcmp(w, "fit") == 0 || strcmp(w, "squeeze") == 0) {
        return ci_isl(c, i + 1, ci_subj) && ci_is(c, i + 2, "in");
    }
    if (strcmp(w, "sign") == 0) {
        return ci_is(c, i + 1, "up")
               || (ci_isl(c, i + 1, ci_subj) && ci_is(c, i + 2, "up"));
    }
    if (strcmp(w, "see") == 0) {
        return dated && ci_isl(c, i + 1, ci_subj);
    }
    if (ci_in(w, some)) {
        return dated && ci_before(c, i, 2, (const char *const[]){ "have",
                                                                 "got",
                                                                 NULL });
    }
    if (ci_in(w, (const char *const[]){ "pedir", "pido", "prendre", NULL })) {
        return ci_is(c, i + 1, "hora") || ci_is(c, i + 1, "rdv");
    }
    return 0;
}

/* Action on an existing booking: never a new booking. */
static int ci_hard_veto(const ci_ctx_t *c)
{
    static const char *const pre[] = {
        "cancel", "annul", "anul", "reschedul", "rebook", "postpon",
        "reprogram", "aplaz", NULL
    };
    static const char *const change[] = {
        "move", "chang", "modifi", "amend", "cambiar", "cambio", "mover",
        "modificar", "deplacer", "modifier", "changer", "reporter", NULL
    };
    const char *const *q;
    int i, noun = 0, chg = 0;

    for (i = 0; i < c->n; i++) {
        for (q = pre; *q; q++) {
            if (ci_prefix(c->t[i].w, *q)) {
                return 1;
            }
        }
        if (ci_is(c, i, "re") && ci_sep(c, i, '-')
            && strcmp(c->t[i + 1].s, "book") == 0) {
            return 1;
        }
        if (ci_isl(c, i, ci_nouns) || strcmp(c->t[i].s, "appoint") == 0) {
            noun = 1;
        }
        if (ci_in(c->t[i].s, change) || ci_in(c->t[i].w, change)) {
            chg = 1;
        }
    }
    return noun && chg;
}

/* A question about booking rules rather than a request. */
static int ci_soft_veto(const ci_ctx_t *c)
{
    static const char *const words[] = {
        "policy", "policies", "deposit", "deposits", "refund", "refunds",
        "refundable", "fee", "fees", "cost", "costs", "price", "prices",
        "pricing", "pay", "paying", "payment", "payments", "paid", "advance",
        "required", "require", "requirement", "necessary", "mandatory",
        "compulsory", "miss", "missed", "rules", "confirm", "confirmed",
        "confirmation", "politica", "deposito", "senal", "pagar", "pago",
        "reembolso", "precio", "cuanto", "anticipacion", "antelacion",
        "politique", "acompte", "payer", "paiement", "remboursement",
        "combien", "prix", "avance", "tarif", "tarifs", NULL
    };
    static const char *const late_ctx[] = {
        "im", "am", "be", "running", "arrive", "arriving", "was", "were",
        "run", NULL
    };
    int i;

    for (i = 0; i < c->n; i++) {
        const char *w = c->t[i].w;

        if (ci_in(w, words)) {
            return 1;
        }
        if (strcmp(w, "how") == 0
            && ci_isl(c, i + 1, (const char *const[]){ "much", "far", "long",
                                                      "early", NULL })) {
            return 1;
        }
        if (strcmp(w, "what") == 0
            && ci_isl(c, i + 1, (const char *const[]){ "happens", "if",
                                                      NULL })) {
            return 1;
        }
        if ((strcmp(w, "do") == 0 || strcmp(w, "does") == 0)
            && (ci_is(c, i + 2, "need")
                || (ci_is(c, i + 2, "have") && ci_is(c, i + 3, "to")))) {
            return 1;
        }
        if (strcmp(w, "walk") == 0
            && ci_isl(c, i + 1, (const char *const[]){ "in", "ins", NULL })) {
            return 1;
        }
        if (strcmp(w, "late") == 0 && ci_before(c, i, 2, late_ctx)) {
            return 1;
        }
    }
    return 0;
}

/* An explicit request: "I'd like", "I want", "please", "can I book". */
static int ci_request(const ci_ctx_t *c)
{
    static const char *const want[] = {
        "want", "wanna", "please", "pls", "plz", "quiero", "quisiera",
        "gustaria", "necesito", "voudrais", "veux", "aimerais", "souhaite",
        "souhaiterais", "svp", "favor", "plait", NULL
    };
    static const char *const modal[] = {
        "can", "could", "may", "puedo", "puis", "pourrais", NULL
    };
    static const char *const verbs[] = {
        "book", "reserv", "schedul", "get", "have", "make", "come", "reservar",
        NULL
    };
    int i;

    for (i = 0; i < c->n; i++) {
        const char *w = c->t[i].w;

        if (ci_in(w, want)) {
            return 1;
        }
        if ((strcmp(w, "like") == 0 || strcmp(w, "love") == 0)
            && ci_isl(c, i - 1, (const char *const[]){ "id", "would", "wed",
                                                      NULL })) {
            return 1;
        }
        if (strcmp(w, "need") == 0 && ci_isl(c, i - 1, ci_subj)
            && !ci_isl(c, i - 2, ci_do_w)) {
            return 1;
        }
        if ((strcmp(w, "looking") == 0 || strcmp(w, "hoping") == 0)
            && ci_is(c, i + 1, "to")) {
            return 1;
        }
        if (ci_in(w, modal) && ci_isl(c, i + 1, ci_subj)
            && ci_isl(c, i + 2, verbs)) {
            return 1;
        }
        if (ci_in(w, modal) && ci_isl(c, i + 1, ci_subj) && i + 2 < c->n
            && ci_in(c->t[i + 2].s, verbs)) {
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
        if (ci_cue_at(c, i, dated) && !ci_before(c, i, 3, ci_neg)) {
            cue = 1;
        }
    }
    if (ci_hard_veto(c)) {
        return 0;
    }
    req = ci_request(c) || (c->n > 0 && ci_cue_at(c, 0, dated)
                            && (strcmp(c->t[0].s, "book") == 0
                                || ci_prefix(c->t[0].w, "reserv")));
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
    c.t = apr_palloc(p, sizeof(ci_tok_t) * CI_MAX_TERMS);
    if (len > 0) {
        cc_tok_each(msg, len, 0, ci_collect, &c);
    }

    for (i = 0; i < c.n; ) {
        i += ci_date_at(&c, i);
    }
    for (i = 0; i < c.n; ) {
        i += ci_part_at(&c, i);
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

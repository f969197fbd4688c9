/*
 * cc_when.c - the days and the part of the day a booking-intent message
 * names (see cc_intent.h for the rules): one pass over the terms for day
 * mentions, one for the part of the day, each linear with a small constant
 * look around.  Adjacent terms are joined by one punctuation byte
 * ("03/12", "2026-12-03", "10:30") only when the offsets say so.
 */
#include <stdint.h>
#include <string.h>
#include "cc_intent_int.h"
#include "cc_tz.h"

/* ---- terms ------------------------------------------------------------- */

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
    if (*s == '\0' ? need_suffix : !cc_words_in(s, sfx)) {
        return -1;
    }
    return t->num;
}

/* Weekday name (plural "tuesdays", "lundis" too), or NULL. */
static const ci_name_t *ci_weekday_at(const ci_ctx_t *c, int i)
{
    const ci_word_t *e;

    if (i < 0 || i >= c->n) {
        return NULL;
    }
    e = c->t[i].e;
    return e->wd ? e->wd : e->wdpl;
}

static int ci_month_at(const ci_ctx_t *c, int i, int full_only)
{
    const ci_name_t *m;

    if (i < 0 || i >= c->n) {
        return 0;
    }
    m = c->t[i].e->mon;
    if (!m || (full_only && m->abbr)) {
        return 0;
    }
    return m->v;
}

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
    int k = ci_has(c, i, CI_ON);
    const ci_name_t *d = ci_weekday_at(c, i + k);

    if (!d || monday + d->v < c->today) {
        return 0;
    }
    ci_add(c, monday + d->v, 1);
    return k + 1;
}

/* "next" before term a or after term b ("martes que viene"). */
static int ci_is_next(const ci_ctx_t *c, int a, int b)
{
    return ci_has(c, a - 1, CI_NEXT_PRE) || ci_has(c, b + 1, CI_NEXT_POST)
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
        k = 1 + (ci_has(c, i + 1, CI_NEXT_POST) ? 1
                 : ci_is(c, i + 1, "que") ? 2 : 0);
    }
    else if (ci_has(c, i - 1, CI_THIS)) {
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

static int ci_weekday_mention(ci_ctx_t *c, int i, const ci_name_t *d)
{
    int64_t day;
    int delta;

    if (d->abbr && !ci_has(c, i - 1, CI_CTX_BEFORE)
        && !ci_has(c, i + 1, CI_PART) && ci_daynum(c, i + 1, 0) < 0
        && !((ci_is(c, i + 1, "or") || ci_is(c, i + 1, "and"))
             && ci_weekday_at(c, i + 2))) {
        return 1;
    }
    if (ci_has(c, i - 1, CI_LAST) || ci_is(c, i + 1, "dernier")
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
            else if (ci_has(c, j, CI_LIST) && ci_weekday_at(c, j + 1)) {
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
    k = ci_has(c, i + 1, CI_OF) ? 2 : 1;
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
        && ci_has(c, i - 1, CI_THE)) {
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

/* A day mention starting at term i; returns the terms used (>= 1). */
int cc_when_date_at(ci_ctx_t *c, int i)
{
    const ci_tok_t *t = &c->t[i];
    const ci_name_t *d;
    int k, m, dd, y;

    if (t->num >= 0) {
        k = ci_date_numeric(c, i);
        return k > 0 ? k : 1;
    }
    if (!(t->e->bits & CI_DATE_GATE) && !t->e->wd && !t->e->wdpl
        && !t->e->mon) {
        return 1;
    }
    if ((ci_is(c, i, "day") && ci_is(c, i + 1, "after")
         && ci_has(c, i + 2, CI_TOMORROW))
        || (ci_is(c, i, "pasado") && ci_is(c, i + 1, "manana"))
        || (ci_is(c, i, "apres") && ci_is(c, i + 1, "demain"))) {
        ci_add(c, c->today + 2, 1);
        return ci_is(c, i, "day") ? 3 : 2;
    }
    if (ci_has(c, i, CI_TODAY)) {
        ci_add(c, c->today, 1);
        return 1;
    }
    if (ci_has(c, i, CI_TOMORROW)) {
        ci_add(c, c->today + 1, 1);
        return 1;
    }
    if (ci_is(c, i, "manana")) {
        if (!ci_has(c, i - 1, CI_LA)) {
            ci_add(c, c->today + 1, 1);
        }
        return 1;
    }
    /* this morning, esta tarde, ce soir, cet après-midi */
    if (ci_has(c, i, CI_THIS) && ci_has(c, i + 1, CI_PART)) {
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
    if (ci_has(c, i, CI_IN)) {
        m = ci_month_at(c, i + 1, 1);
        if (m && ci_daynum(c, i + 2, 0) < 0) {
            ci_month_range(c, m);
            return 2;
        }
        k = ci_plain(c, i + 1, 3);
        if (k >= 1 && k <= 366
            && ci_has(c, i + 2, CI_DAYS)) {
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

int cc_when_part_at(ci_ctx_t *c, int i)
{
    int k, used, ap;

    k = ci_time_at(c, i);
    if (k > 0) {
        return k;
    }
    if (!ci_has(c, i, CI_PART_GATE)) {
        return 1;
    }
    if (ci_has(c, i, CI_MORNING)
        || (ci_is(c, i, "before") && ci_is(c, i + 1, "work"))
        || (ci_is(c, i, "first") && ci_is(c, i + 1, "thing"))
        || ((ci_is(c, i, "manana") || ci_is(c, i, "mananas"))
            && ci_has(c, i - 1, CI_LA))) {
        c->parts |= 1 << CC_PART_MORNING;
    }
    else if (ci_has(c, i, CI_AFTERNOON)
             || ((ci_is(c, i, "tarde") || ci_is(c, i, "tardes"))
                 && ci_has(c, i - 1, CI_LA))) {
        c->parts |= 1 << CC_PART_AFTERNOON;
    }
    else if (ci_has(c, i, CI_EVENING)
             || (ci_is(c, i, "after") && ci_is(c, i + 1, "work"))
             || ((ci_is(c, i, "noche") || ci_is(c, i, "noches"))
                 && ci_has(c, i - 1, CI_LA))) {
        c->parts |= 1 << CC_PART_EVENING;
    }
    else {
        ap = ci_ampm(c, i, &used);
        if (ap == 1 && used == 1 && ci_is(c, i - 1, "i")) {
            ap = 0;         /* "I am" */
        }
        if (ap == 2 || (ap == 1 && (used == 2 || ci_has(c, i - 1, CI_AM_CTX)
                                    || ci_weekday_at(c, i - 1)
                                    || ci_has(c, i + 1, CI_AM_NEXT)
                                    || i + 1 == c->n))) {
            c->parts |= 1 << (ap == 1 ? CC_PART_MORNING : CC_PART_AFTERNOON);
        }
        return used;
    }
    return 1;
}

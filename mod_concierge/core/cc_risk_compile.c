/*
 * cc_risk_compile.c - the risk engine's rule compiler.  See cc_risk.h;
 * the matcher is cc_risk_match.c.
 *
 * Compile: every line is parsed and checked first (into a scratch pool
 * that is destroyed afterwards), and only a fully valid text is copied
 * into the caller's pool, so a failed compile leaves nothing behind.  The
 * result is read-only: cc_risk_check never writes to it, keeps no state of
 * its own and allocates only from the pool it is given, so one ruleset
 * serves every thread at once.
 *
 * Pattern syntax, beyond cc_risk.h (whitespace-separated pieces):
 *   word      folded with the chat tokenizer, so "Alérgico" is "alergico"
 *             and "don't" is "dont"; a piece the tokenizer splits
 *             ("a&e", "breast-feeding") becomes consecutive terms
 *   word*     prefix; the star applies to the last term of the piece
 *   =word     exact: never typo-tolerant ("=cancer" must not match
 *             "cancel")
 *   a|b|c     one term, any of the alternatives (each one term, each may
 *             use * = #): "had ~ botox|filler*|peel ~ yesterday|monday"
 *   ~         up to 3 other terms may stand here
 *   ..        up to 8 other terms of the same sentence may stand here (at
 *             most one ".." per pattern)
 *   #         any number term ("15", "2.5")
 *   #n        the number n; #lo-hi a number whose integer part is in
 *             [lo, hi]
 *   #mg, #1-17yo
 *             a number with those letters attached ("400mg", "15yo")
 * A negator whose pattern starts with "!" is a hedge ("! not sure",
 * "! dont know"): it negates nothing and cancels every negator match that
 * starts inside it, so "I'm not sure if I'm pregnant" stays risky.  A
 * past marker that starts with "!" is a recent one ("! # weeks ago",
 * "! still"): it cancels the past markers of its clause.  An other
 * marker that starts with "+" is a third-person pronoun ("+ she|he") that
 * carries a third-party scope into the clause it opens (cc_risk_match.c).
 * Comments: a line whose first non-blank character is '#' ("#" inside a
 * pattern is the number wildcard, so there are no trailing comments).
 *
 * Typo tolerance (word and phrase rules only, alphabetic pattern terms):
 * optimal-string-alignment distance <= 1 from 5 letters (<= 2 from 9),
 * prefixes from 7 letters; always the same first letter, and for whole
 * words the same last letter (or the pattern plus a plural "s"):
 * "pregant", "diabetis", "warfrin" match; "cancel" (cancer), "aspiring"
 * (aspirin), "depressing" (depression), "station" (statin*) do not.  A
 * text term that is a stop word, or that some pattern term matches
 * exactly, is never typo-matched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_risk_int.h"

const char *const cc_risk_category_names[CC_RISK_NCATEGORIES] = {
    "pregnancy", "allergy", "chronic", "medication", "minor",
    "recent_procedure", "mental_health", "emergency", "medical_advice"
};

/* ---- compiling ----------------------------------------------------------- */

/* Terms of one tokenized piece. */
typedef struct rk_words_t {
    apr_pool_t *p;
    const char *s[RK_MAX_PTERMS + 1];
    uint16_t    len[RK_MAX_PTERMS + 1];
    int         n;
} rk_words_t;

static int rk_words_cb(void *baton, const char *term, size_t len,
                       size_t start, size_t end)
{
    rk_words_t *w = baton;

    if (w->n > RK_MAX_PTERMS) {
        return 1;
    }
    w->s[w->n] = apr_pstrmemdup(w->p, term, len);
    w->len[w->n] = (uint16_t)len;
    w->n++;
    return 0;
}

/* Copy a short fragment for an error message: printable ASCII only. */
static const char *rk_frag(apr_pool_t *p, const char *s, size_t n)
{
    char buf[32];
    size_t i, o = 0;

    for (i = 0; i < n && o < 24; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
                    && c != '\'') ? (char)c : '?';
    }
    if (i < n) {
        buf[o++] = '.';
        buf[o++] = '.';
    }
    buf[o] = '\0';
    return apr_pstrdup(p, buf);
}

int cc_risk_parse_num(const char *s, size_t n, size_t *i, uint32_t *v)
{
    uint32_t x = 0;
    size_t k = *i;

    if (k >= n || s[k] < '0' || s[k] > '9') {
        return 0;
    }
    while (k < n && s[k] >= '0' && s[k] <= '9') {
        x = x * 10 + (uint32_t)(s[k] - '0');
        if (x > RK_NUM_MAX) {
            x = RK_NUM_MAX;
        }
        k++;
    }
    *i = k;
    *v = x;
    return 1;
}

/* A number term: "#", "#n", "#lo-hi", each optionally followed by
 * letters ("#mg"). */
static const char *rk_parse_numterm(apr_pool_t *p, const char *s, size_t n,
                                    rk_alt_t *a)
{
    size_t i = 1, k;
    uint32_t lo = 0, hi = RK_NUM_MAX;
    char *suf;

    if (i < n && s[i] >= '0' && s[i] <= '9') {
        cc_risk_parse_num(s, n, &i, &lo);
        hi = lo;
        if (i < n && s[i] == '-') {
            i++;
            if (!cc_risk_parse_num(s, n, &i, &hi)) {
                return "bad number range (want #lo-hi)";
            }
        }
        if (lo > hi) {
            return "bad number range (lo > hi)";
        }
    }
    if (n - i > CC_TOK_MAX) {
        return "term too long";
    }
    suf = apr_pstrmemdup(p, s + i, n - i);
    for (k = 0; suf[k]; k++) {
        if (suf[k] >= 'A' && suf[k] <= 'Z') {
            suf[k] = (char)(suf[k] + 0x20);
        }
        else if (suf[k] < 'a' || suf[k] > 'z') {
            return "bad number term (want #, #n, #lo-hi, then letters)";
        }
    }
    memset(a, 0, sizeof(*a));
    a->type = T_NUM;
    a->lo = lo;
    a->hi = hi;
    a->s = suf;
    a->len = (uint16_t)(n - i);
    return NULL;
}

static void rk_set_alt(rk_alt_t *a, const char *s, uint16_t len, int prefix,
                       int exact, int fuzzy_kind)
{
    memset(a, 0, sizeof(*a));
    a->s = s;
    a->len = len;
    a->type = prefix ? T_PREFIX : T_LIT;
    a->mask = rk_mask(s, len);
    if (!exact && fuzzy_kind && rk_is_alpha(s, len)
        && len >= (prefix ? 7 : 5)) {
        a->edits = len >= 9 ? 2 : 1;
    }
}

typedef struct rk_parse_t {
    apr_pool_t *p;              /* scratch */
    rk_pterm_t  t[RK_MAX_PTERMS];
    int         nt;
    int         gap;            /* gap before the next term */
    int         fuzzy_kind;     /* word or phrase rule */
} rk_parse_t;

static unsigned rk_alt_class(const rk_alt_t *a)
{
    return a->type == T_NUM ? 27 : rk_first_class(a->s, a->len);
}

static const char *rk_add_term(rk_parse_t *ps, rk_alt_t *alts, int nalt)
{
    rk_pterm_t *pt;
    unsigned c;
    int k, j;

    if (ps->nt >= RK_MAX_PTERMS) {
        return "too many terms";
    }
    /* stable insertion sort by class; off[] indexes the classes */
    for (k = 1; k < nalt; k++) {
        rk_alt_t x = alts[k];

        for (j = k; j > 0 && rk_alt_class(&alts[j - 1]) > rk_alt_class(&x);
             j--) {
            alts[j] = alts[j - 1];
        }
        alts[j] = x;
    }
    pt = &ps->t[ps->nt];
    memset(pt->off, 0, sizeof(pt->off));
    for (k = 0; k < nalt; k++) {
        pt->off[rk_alt_class(&alts[k]) + 1]++;
    }
    for (c = 1; c < sizeof(pt->off); c++) {
        pt->off[c] = (uint8_t)(pt->off[c] + pt->off[c - 1]);
    }
    ps->t[ps->nt].alt = apr_pmemdup(ps->p, alts, sizeof(rk_alt_t)
                                    * (size_t)nalt);
    ps->t[ps->nt].nalt = (uint8_t)nalt;
    ps->t[ps->nt].gap = (uint8_t)ps->gap;
    ps->t[ps->nt].first = 0;
    for (k = 0; k < nalt; k++) {
        ps->t[ps->nt].first |= alts[k].type == T_NUM ? 1u << 27
                               : rk_first_bit(alts[k].s, alts[k].len);
    }
    ps->gap = 0;
    ps->nt++;
    return NULL;
}

/* Parse one whitespace-separated piece of a pattern; NULL or an error. */
static const char *rk_parse_piece(rk_parse_t *ps, const char *s, size_t n,
                                  int *fargaps, int *gaps)
{
    rk_alt_t alts[RK_MAX_ALTS];
    int nalt = 0, multi = memchr(s, '|', n) != NULL;
    size_t i = 0;

    if ((n == 1 && s[0] == '~') || (n == 2 && s[0] == '.' && s[1] == '.')) {
        if (ps->nt == 0) {
            return "a gap before the first term";
        }
        if (ps->gap) {
            return "two gaps in a row";
        }
        if (n == 1) {
            ps->gap = RK_GAP;
            ++*gaps;
        }
        else {
            ps->gap = RK_FARGAP;
            ++*fargaps;
        }
        return NULL;
    }
    while (i <= n) {
        const char *a = s + i;
        const char *bar = memchr(a, '|', n - i);
        size_t an = bar ? (size_t)(bar - a) : n - i;
        int exact = 0, prefix = 0;
        rk_words_t w;
        const char *err;
        int k;

        if (an == 0) {
            return "empty alternative";
        }
        if (nalt >= RK_MAX_ALTS) {
            return "too many alternatives";
        }
        if (a[0] == '#') {
            if ((err = rk_parse_numterm(ps->p, a, an, &alts[nalt])) != NULL) {
                return err;
            }
            nalt++;
        }
        else {
            if (a[0] == '=') {
                exact = 1;
                a++;
                an--;
            }
            if (an > 0 && a[an - 1] == '*') {
                prefix = 1;
                an--;
            }
            if (memchr(a, '*', an) || memchr(a, '~', an)
                || memchr(a, '#', an) || memchr(a, '=', an)) {
                return "'*' only ends a term, '=' and '#' only start one";
            }
            memset(&w, 0, sizeof(w));
            w.p = ps->p;
            cc_risk_tokenize(a, an, rk_words_cb, &w);
            if (w.n == 0) {
                return "empty term";
            }
            if (w.n > RK_MAX_PTERMS) {
                return "too many terms";
            }
            if (multi && w.n != 1) {
                return "an alternative is one term";
            }
            if (multi) {
                rk_set_alt(&alts[nalt++], w.s[0], w.len[0], prefix, exact,
                           ps->fuzzy_kind);
            }
            else {
                for (k = 0; k < w.n; k++) {
                    rk_alt_t one;

                    rk_set_alt(&one, w.s[k], w.len[k],
                               prefix && k == w.n - 1, exact,
                               ps->fuzzy_kind);
                    if ((err = rk_add_term(ps, &one, 1)) != NULL) {
                        return err;
                    }
                }
                return NULL;
            }
        }
        if (!bar) {
            break;
        }
        i = (size_t)(bar - s) + 1;
        if (i == n) {
            return "empty alternative";
        }
    }
    return rk_add_term(ps, alts, nalt);
}

typedef struct rk_tmp_rule_t {
    const char *text;
    rk_pterm_t *t;
    uint32_t    cats;
    int         nt;
    int         kind;
    int         anti;
    int         cont;
} rk_tmp_rule_t;

int cc_risk_lang_known(const char *s, size_t n)
{
    const char *q = CC_RISK_LANGS;

    if (n != 2) {
        return 0;
    }
    for (; *q; q += q[2] ? 3 : 2) {
        if (q[0] == s[0] && q[1] == s[1]) {
            return 1;
        }
    }
    return 0;
}

static int rk_lang_kept(const char *langs, const char *lang, size_t n)
{
    const char *q = langs;

    if (!langs || (n == 1 && lang[0] == '*')) {
        return 1;
    }
    while (*q) {
        const char *e = q, *f;

        while (*e && *e != ',') {
            e++;
        }
        while (q < e && (*q == ' ' || *q == '\t')) {
            q++;
        }
        f = e;
        while (f > q && (f[-1] == ' ' || f[-1] == '\t')) {
            f--;
        }
        if ((size_t)(f - q) == n && memcmp(q, lang, n) == 0) {
            return 1;
        }
        q = *e ? e + 1 : e;
    }
    return 0;
}

static int rk_field(const char **s, const char *e, const char **f, size_t *n)
{
    const char *q = *s;

    while (q < e && (*q == ' ' || *q == '\t')) {
        q++;
    }
    *f = q;
    while (q < e && *q != ' ' && *q != '\t') {
        q++;
    }
    *n = (size_t)(q - *f);
    *s = q;
    return *n > 0;
}

/* Parse the category field: a name, "*" or a comma list. */
static const char *rk_parse_cats(const char *f, size_t n, int kind,
                                 uint32_t *cats, apr_pool_t *sp)
{
    size_t i = 0;

    *cats = 0;
    if (n == 1 && f[0] == '*') {
        if (kind == K_WORD || kind == K_PHRASE) {
            return "category '*' is only for negator and unless rules and "
                   "the context kinds (other, self, treated, past)";
        }
        *cats = CAT_ALL;
        return NULL;
    }
    while (i < n) {
        size_t j = i;
        int c, found = -1;

        while (j < n && f[j] != ',') {
            j++;
        }
        for (c = 0; c < CC_RISK_NCATEGORIES; c++) {
            if (strlen(cc_risk_category_names[c]) == j - i
                && memcmp(cc_risk_category_names[c], f + i, j - i) == 0) {
                found = c;
            }
        }
        if (found < 0) {
            return apr_psprintf(sp, "unknown category '%s'",
                                rk_frag(sp, f + i, j - i));
        }
        *cats |= 1u << found;
        i = j + 1;
    }
    if ((kind == K_WORD || kind == K_PHRASE) && rk_popcount(*cats) != 1) {
        return "word and phrase rules take exactly one category";
    }
    return NULL;
}

/* Parse one rule line s[0..e).  Returns NULL (a rule in *r, or r->nt == 0
 * for a blank or comment line) or an error message. */
static const char *rk_parse_line(apr_pool_t *sp, const char *s,
                                 const char *e, const char *langs,
                                 rk_tmp_rule_t *r, int *kept)
{
    static const char *const kinds[K_NKINDS] = {
        "word", "phrase", "negator", "unless", "other", "self", "treated",
        "past", "clause", "list", "subject"
    };
    const char *fcat, *flang, *fkind, *q, *f;
    size_t ncat, nlang, nkind, n;
    rk_parse_t ps;
    const char *err;
    int kind = -1, k, gaps = 0, fargaps = 0;

    memset(r, 0, sizeof(*r));
    *kept = 0;
    while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    q = s;
    while (q < e && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q == e || *q == '#') {
        return NULL;
    }
    if (e - s > RK_MAX_LINE) {
        return "line too long";
    }
    rk_field(&q, e, &fcat, &ncat);
    if (!rk_field(&q, e, &flang, &nlang)) {
        return "missing language, kind and pattern";
    }
    if (!rk_field(&q, e, &fkind, &nkind)) {
        return "missing kind and pattern";
    }
    for (k = 0; k < K_NKINDS; k++) {
        if (strlen(kinds[k]) == nkind && memcmp(kinds[k], fkind, nkind) == 0) {
            kind = k;
        }
    }
    if (kind < 0) {
        return apr_psprintf(sp, "unknown kind '%s' (word, phrase, negator, "
                            "unless, other, self, treated, past, clause, "
                            "list, subject)", rk_frag(sp, fkind, nkind));
    }
    if ((err = rk_parse_cats(fcat, ncat, kind, &r->cats, sp)) != NULL) {
        return err;
    }
    if (!cc_risk_lang_known(flang, nlang)
        && !(nlang == 1 && flang[0] == '*')) {
        return apr_psprintf(sp, "unknown language '%s' (" CC_RISK_LANGS
                            ", *)", rk_frag(sp, flang, nlang));
    }
    while (q < e && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q < e && (*q == '!' || *q == '+')) {
        if (*q == '!' && kind != K_NEGATOR && kind != K_PAST) {
            return "'!' is only for negator and past patterns";
        }
        if (*q == '+' && kind != K_OTHER && kind != K_PAST) {
            return "'+' is only for other and past patterns";
        }
        r->anti = *q == '!';
        r->cont = *q == '+';
        q++;
        while (q < e && (*q == ' ' || *q == '\t')) {
            q++;
        }
    }
    if (q == e) {
        return "empty pattern";
    }
    memset(&ps, 0, sizeof(ps));
    ps.p = sp;
    ps.fuzzy_kind = kind == K_WORD || kind == K_PHRASE;
    r->text = apr_pstrmemdup(sp, q, (size_t)(e - q));
    while (rk_field(&q, e, &f, &n)) {
        if ((err = rk_parse_piece(&ps, f, n, &fargaps, &gaps)) != NULL) {
            return apr_psprintf(sp, "%s in '%s'", err, rk_frag(sp, f, n));
        }
    }
    if (ps.nt == 0) {
        return "empty pattern";
    }
    if (ps.gap) {
        return "a gap after the last term";
    }
    if (gaps > RK_MAX_GAPS || fargaps > 1) {
        return "too many gaps (at most 4 '~' and one '..')";
    }
    if (kind == K_WORD && ps.nt != 1) {
        return "a word pattern is one term (use phrase)";
    }
    if (RK_IS_WORDLIST(kind)) {
        int a;

        if (r->cats != CAT_ALL) {
            return "clause, list and subject rules take category '*'";
        }
        if (ps.nt != 1) {
            return "a clause, list or subject pattern is one term";
        }
        for (a = 0; a < ps.t[0].nalt; a++) {
            const rk_alt_t *al = &ps.t[0].alt[a];

            if (al->type != T_LIT || !rk_is_alpha(al->s, al->len)
                || al->len > 16) {
                return "a clause, list or subject word is letters only "
                       "(at most 16), no '*' or '#'";
            }
        }
    }
    r->kind = kind;
    r->nt = ps.nt;
    r->t = apr_pmemdup(sp, ps.t, sizeof(rk_pterm_t) * (size_t)ps.nt);
    *kept = rk_lang_kept(langs, flang, nlang);
    return NULL;
}

typedef struct rk_build_key_t {
    const rk_alt_t     *alt;
    apr_array_header_t *rules;      /* uint32_t */
    apr_array_header_t *frules;
    uint32_t            hash;
} rk_build_key_t;

/* The rule indices of a as rk_ref_t, each with its kind and the codes of
 * its later term with the fewest (when it has at most two). */
static rk_ref_t *rk_refs(apr_pool_t *p, const apr_array_header_t *a,
                         const rk_rule_t *rules)
{
    rk_ref_t *v = apr_pcalloc(p, sizeof(rk_ref_t) * ((size_t)a->nelts + 1));
    int i;

    for (i = 0; i < a->nelts; i++) {
        const rk_rule_t *r = &rules[APR_ARRAY_IDX(a, i, uint32_t)];
        const uint16_t *nd = r->need, *best = NULL;

        v[i].rule = APR_ARRAY_IDX(a, i, uint32_t);
        v[i].kind = r->kind;
        while (nd && *nd) {
            if (!best || *nd < *best) {
                best = nd;
            }
            nd += 1 + *nd;
        }
        if (best && *best <= 2) {
            v[i].ncode = (uint8_t)*best;
            v[i].code[0] = best[1];
            v[i].code[1] = best[*best];
        }
    }
    return v;
}

/* The code a text term needs to match alternative a (rk_sig_*), or -1
 * when any term might. */
static int rk_alt_code(const rk_alt_t *a)
{
    if (a->type == T_NUM) {
        return (int)rk_sig_class(27);
    }
    if (a->len == 0) {
        return -1;
    }
    if (a->type == T_LIT) {
        return (int)(a->edits ? rk_sig_ends(a->s[0], a->s[a->len - 1])
                     : rk_sig_code(RK_SIG_EXACT, a->s, a->len));
    }
    if (a->edits || a->len == 1) {
        return (int)rk_sig_class(rk_first_class(a->s, a->len));
    }
    return (int)(a->len == 2 ? rk_sig_code(RK_SIG_PAIR, a->s, 2)
                 : rk_sig_code(RK_SIG_PRE3, a->s, 3));
}

/* rk_rule_t.need of a rule with terms t[0..nt): the codes of terms 2..,
 * each term's once (the first term is what found the rule). */
static const uint16_t *rk_build_need(apr_pool_t *p, const rk_pterm_t *t,
                                     int nt)
{
    uint16_t v[RK_MAX_PTERMS * (RK_MAX_ALTS + 1) + 1];
    size_t n = 0;
    int i, a, j;

    for (i = 1; i < nt; i++) {
        size_t at = n++;
        int any = 0;

        v[at] = 0;
        for (a = 0; a < t[i].nalt && !any; a++) {
            int c = rk_alt_code(&t[i].alt[a]);

            if (c < 0) {
                any = 1;
                break;
            }
            for (j = 0; j < v[at] && v[at + 1 + j] != c; j++) {
            }
            if (j == v[at]) {
                v[n++] = (uint16_t)c;
                v[at]++;
            }
        }
        if (any) {
            n = at;     /* this term: no condition */
        }
    }
    if (n == 0) {
        return NULL;
    }
    v[n++] = 0;
    return apr_pmemdup(p, v, sizeof(uint16_t) * n);
}

/* Copy the parsed rules into p. */
static rk_rule_t *rk_copy_rules(apr_pool_t *p, apr_array_header_t *tmp)
{
    rk_rule_t *rules = apr_pcalloc(p, sizeof(rk_rule_t)
                                      * ((size_t)tmp->nelts + 1));
    int r, t, a;

    for (r = 0; r < tmp->nelts; r++) {
        const rk_tmp_rule_t *tr = &APR_ARRAY_IDX(tmp, r, rk_tmp_rule_t);
        rk_pterm_t *pt = apr_pcalloc(p, sizeof(rk_pterm_t) * (size_t)tr->nt);

        for (t = 0; t < tr->nt; t++) {
            rk_alt_t *al = apr_pcalloc(p, sizeof(rk_alt_t)
                                          * tr->t[t].nalt);

            for (a = 0; a < tr->t[t].nalt; a++) {
                al[a] = tr->t[t].alt[a];
                al[a].s = apr_pstrmemdup(p, al[a].s, al[a].len);
            }
            pt[t].alt = al;
            pt[t].nalt = tr->t[t].nalt;
            pt[t].gap = tr->t[t].gap;
            pt[t].first = tr->t[t].first;
            memcpy(pt[t].off, tr->t[t].off, sizeof(pt[t].off));
        }
        rules[r].text = apr_pstrdup(p, tr->text);
        rules[r].t = pt;
        rules[r].need = RK_IS_WORDLIST(tr->kind) ? NULL
                        : rk_build_need(p, pt, tr->nt);
        rules[r].nt = (uint16_t)tr->nt;
        rules[r].cats = tr->cats;
        rules[r].kind = (uint8_t)tr->kind;
        rules[r].anti = (uint8_t)tr->anti;
        rules[r].cont = (uint8_t)tr->cont;
    }
    return rules;
}

/* The words of the clause, list and subject rules and the engine's own
 * (cc_risk_break_words ...): an open-addressing table from word to the
 * flags it sets (a word in several lists or rules sets all their flags),
 * one probe per alphabetic text term. */
static void rk_wflag_add(rk_wflag_t *tab, uint32_t size, const char *s,
                         uint16_t len, uint16_t flag)
{
    uint32_t h = rk_hash(s, len, T_LIT), i;

    for (i = h & (size - 1); tab[i].s; i = (i + 1) & (size - 1)) {
        if (tab[i].len == len && memcmp(tab[i].s, s, len) == 0) {
            break;
        }
    }
    tab[i].s = s;
    tab[i].len = len;
    tab[i].hash = h;
    tab[i].flags |= flag;
}

static void rk_build_wflags(apr_pool_t *p, cc_ruleset_t *rs,
                            const rk_rule_t *rules)
{
    static const uint16_t kflag[] = { F_BREAK, F_LIST, F_SUBJ };
    const char *const *const own[] = {
        cc_risk_break_words, cc_risk_list_words, cc_risk_subject_words
    };
    rk_wflag_t *tab;
    uint32_t r, n = 0, size = 16;
    int a, l;

    for (l = 0; l < 3; l++) {
        for (a = 0; own[l][a]; a++) {
            n++;
        }
    }
    for (r = 0; r < rs->nrules; r++) {
        if (RK_IS_WORDLIST(rules[r].kind)) {
            n += rules[r].t[0].nalt;
        }
    }
    while (size < n * 2) {
        size *= 2;
    }
    tab = apr_pcalloc(p, sizeof(rk_wflag_t) * size);
    for (l = 0; l < 3; l++) {
        for (a = 0; own[l][a]; a++) {
            rk_wflag_add(tab, size, own[l][a], (uint16_t)strlen(own[l][a]),
                         kflag[l]);
        }
    }
    for (r = 0; r < rs->nrules; r++) {
        if (!RK_IS_WORDLIST(rules[r].kind)) {
            continue;
        }
        for (a = 0; a < rules[r].t[0].nalt; a++) {
            const rk_alt_t *al = &rules[r].t[0].alt[a];

            rk_wflag_add(tab, size, al->s, al->len,
                         kflag[rules[r].kind - K_CLAUSE]);
        }
    }
    rs->wflags = tab;
    rs->wflag_mask = size - 1;
}

static void rk_fzkey_set(rk_fzkey_t *f, const rk_alt_t *al, uint32_t k)
{
    f->mask = al->mask;
    f->key = k;
    f->len = al->len;
    f->last = al->s[al->len - 1];
    f->edits = al->edits;
}

/* Typo candidates: counting sort of the keys by (first letter, length). */
static void rk_build_fuzzy(apr_pool_t *p, cc_ruleset_t *rs, rk_key_t *keys)
{
    uint32_t cnt_lit[26][CC_TOK_MAX + 2], cnt_pre[27];
    uint32_t total = 0, tpre = 0, k;
    rk_fzkey_t *lit = NULL, *pre = NULL;
    int a, l, pass;

    for (pass = 0; pass < 2; pass++) {
        memset(cnt_lit, 0, sizeof(cnt_lit));
        memset(cnt_pre, 0, sizeof(cnt_pre));
        for (k = 0; k < rs->nkeys; k++) {
            const rk_alt_t *al = keys[k].alt;
            int c0;

            if (!keys[k].nfrules || al->len > CC_TOK_MAX
                || al->s[0] < 'a' || al->s[0] > 'z') {
                continue;
            }
            c0 = al->s[0] - 'a';
            if (al->type == T_LIT) {
                if (pass) {
                    rk_fzkey_set(&lit[rs->fz_lit_off[c0][al->len]
                                      + cnt_lit[c0][al->len]], al, k);
                }
                cnt_lit[c0][al->len]++;
            }
            else {
                if (pass) {
                    rk_fzkey_set(&pre[rs->fz_pre_off[c0] + cnt_pre[c0]], al,
                                 k);
                }
                cnt_pre[c0]++;
            }
        }
        if (pass) {
            break;
        }
        for (a = 0; a < 26; a++) {
            for (l = 0; l <= CC_TOK_MAX + 1; l++) {
                rs->fz_lit_off[a][l] = total;
                total += cnt_lit[a][l];
            }
            rs->fz_pre_off[a] = tpre;
            tpre += cnt_pre[a];
        }
        rs->fz_pre_off[26] = tpre;
        lit = apr_pcalloc(p, sizeof(rk_fzkey_t) * (total + 1));
        pre = apr_pcalloc(p, sizeof(rk_fzkey_t) * (tpre + 1));
    }
    rs->fz_lit = lit;
    rs->fz_pre = pre;
}

cc_ruleset_t *cc_risk_compile(apr_pool_t *p, const char *text, size_t len,
                              const char *langs, cc_problem_t *prob)
{
    apr_pool_t *sp = NULL;
    apr_array_header_t *tmp, *bkeys, *numrules;
    cc_ruleset_t *rs;
    rk_rule_t *rules;
    rk_key_t *keys;
    uint32_t *slots;
    uint64_t *kbloom;
    uint32_t r, k, nslots, nalts = 0;
    size_t i = 0;
    int line = 0;

    if (!p || (!text && len)) {
        cc_problem_set(prob, 400, "invalid_rules", "no rules text");
        return NULL;
    }
    if (apr_pool_create(&sp, p) != APR_SUCCESS) {
        cc_problem_set(prob, 500, "internal", "out of memory");
        return NULL;
    }
    tmp = apr_array_make(sp, 256, sizeof(rk_tmp_rule_t));
    while (i < len) {
        const char *s = text + i;
        const char *nl = memchr(s, '\n', len - i);
        const char *e = nl ? nl : text + len;
        const char *err;
        rk_tmp_rule_t tr;
        int kept;

        line++;
        err = rk_parse_line(sp, s, e, langs, &tr, &kept);
        if (err) {
            cc_problem_set(prob, 400, "invalid_rules", "line %d: %s", line,
                           err);
            apr_pool_destroy(sp);
            return NULL;
        }
        if (tr.nt > 0 && kept) {
            APR_ARRAY_PUSH(tmp, rk_tmp_rule_t) = tr;
            nalts += tr.t[0].nalt;
        }
        i = (size_t)(e - text) + 1;
    }

    /* Valid: build the immutable ruleset in p. */
    rs = apr_pcalloc(p, sizeof(*rs));
    rs->nrules = (uint32_t)tmp->nelts;
    rules = rk_copy_rules(p, tmp);
    bkeys = apr_array_make(sp, 256, sizeof(rk_build_key_t));
    numrules = apr_array_make(sp, 16, sizeof(uint32_t));
    nslots = 16;
    while (nslots < nalts * 2 + 2) {
        nslots *= 2;
    }
    slots = apr_pcalloc(p, sizeof(uint32_t) * nslots);
    for (r = 0; r < rs->nrules; r++) {
        const rk_pterm_t *f = &rules[r].t[0];
        int a;

        if (RK_IS_WORDLIST(rules[r].kind)) {
            continue;           /* flags for text terms: rk_build_wflags */
        }
        for (a = 0; a < f->nalt; a++) {
            const rk_alt_t *al = &f->alt[a];
            rk_build_key_t *bk = NULL;
            uint32_t h, s;

            if (al->type == T_NUM) {
                if (!numrules->nelts
                    || APR_ARRAY_IDX(numrules, numrules->nelts - 1,
                                     uint32_t) != r) {
                    APR_ARRAY_PUSH(numrules, uint32_t) = r;
                }
                continue;
            }
            h = rk_hash(al->s, al->len, al->type);
            for (s = h & (nslots - 1); slots[s]; s = (s + 1) & (nslots - 1)) {
                rk_build_key_t *c = &APR_ARRAY_IDX(bkeys, slots[s] - 1,
                                                   rk_build_key_t);

                if (rk_key_eq(c->alt, al->s, al->len, al->type)) {
                    bk = c;
                    break;
                }
            }
            if (!bk) {
                bk = apr_array_push(bkeys);
                bk->alt = al;
                bk->hash = h;
                bk->rules = apr_array_make(sp, 4, sizeof(uint32_t));
                bk->frules = apr_array_make(sp, 4, sizeof(uint32_t));
                slots[s] = (uint32_t)bkeys->nelts;
            }
            /* the same rule twice under one key ("fill*|fill*") once */
            if (!bk->rules->nelts
                || APR_ARRAY_IDX(bk->rules, bk->rules->nelts - 1,
                                 uint32_t) != r) {
                APR_ARRAY_PUSH(bk->rules, uint32_t) = r;
                if (al->edits) {
                    if (!bk->alt->edits) {
                        bk->alt = al;   /* the key's typo tolerance */
                    }
                    APR_ARRAY_PUSH(bk->frules, uint32_t) = r;
                }
            }
        }
    }
    for (r = 0; r < rs->nrules; r++) {
        if (RK_IS_CONTEXT(rules[r].kind)) {
            rs->context = 1;
        }
    }
    rk_build_wflags(p, rs, rules);
    rs->rules = rules;
    rs->slots = slots;
    rs->slot_mask = nslots - 1;
    rs->nkeys = (uint32_t)bkeys->nelts;
    keys = apr_pcalloc(p, sizeof(rk_key_t) * (rs->nkeys + 1));
    kbloom = apr_pcalloc(p, RK_KBLOOM_BITS / 8);
    for (k = 0; k < rs->nkeys; k++) {
        const rk_build_key_t *bk = &APR_ARRAY_IDX(bkeys, k, rk_build_key_t);

        kbloom[bk->hash >> 22] |= (uint64_t)1 << ((bk->hash >> 16) & 63);

        keys[k].alt = bk->alt;
        keys[k].hash = bk->hash;
        keys[k].rules = rk_refs(p, bk->rules, rules);
        keys[k].nrules = (uint32_t)bk->rules->nelts;
        keys[k].frules = rk_refs(p, bk->frules, rules);
        keys[k].nfrules = (uint32_t)bk->frules->nelts;
        if (bk->alt->type == T_PREFIX && bk->alt->len < 64) {
            rs->prefix_lens |= (uint64_t)1 << bk->alt->len;
        }
    }
    rs->keys = keys;
    rs->kbloom = kbloom;
    rs->numrules = rk_refs(p, numrules, rules);
    rs->nnumrules = (uint32_t)numrules->nelts;
    rk_build_fuzzy(p, rs, keys);
    apr_pool_destroy(sp);
    return rs;
}

int cc_risk_count(const cc_ruleset_t *rs)
{
    return rs ? (int)rs->nrules : 0;
}


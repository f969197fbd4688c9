/*
 * cc_risk_match.c - the risk engine's matcher: cc_risk_check over a
 * ruleset compiled by cc_risk_compile.c.  See cc_risk.h.
 *
 * Message text: the tokenizer's terms, plus French elision: "l'allergie",
 * "j'ai", "n'ai", "qu'il" are split after the apostrophe ("l" "allergie"),
 * in patterns too.  Between terms the engine looks at the skipped bytes:
 *   sentence break  . ! ? ; newline, and … 。 ！ ？ ； ¿ ¡
 *   comma           , ， – — and a spaced " - "
 * Clauses end at a sentence break and at a clause-break word
 * (cc_risk_break_words below, in every language of CC_RISK_LANGS: and, but, because, so, ...;
 * y, pero, porque; et, mais, parce; und, aber, weil; ma, perche, e; mas,
 * porem; maar, omdat, en; ale, bo, i, ...) and the words of "clause"
 * rules, except French "y" after a pronoun ("il y a") and a capital
 * English "I".  Phrases never span a sentence break.  "list" and
 * "subject" rules add to the list and subject words below the same way.
 *
 * Negator scope: the 4 terms after the negator in its clause; a list word
 * (or, nor, ni, ou, o, oder, noch, ne, nem, lub, albo, ani) restarts the
 * count ("not on roaccutane or any acne meds"), up to 16 terms in all.  It
 * ends early at a subject word that starts a new statement (i, im, she,
 * he, we, they, my, yo, mi, je, il, elle, ich, mein, sie, er, io, mia,
 * lei, eu, minha, ela, ik, mijn, hij, ja, moja, ona, ...) and at a comma
 * right after the negator ("No, I'm pregnant").  A match is negated when
 * its first term is in the scope of a negator whose categories include
 * the match's.
 *
 * Unless scope: the clause, further cut at commas (conservative: "I'm
 * allergic to nuts, do you offer allergy testing?" stays risky).  A match
 * is excused when an unless of its category matched in the clause of its
 * first term.  Emergency matches are never negated nor excused.
 *
 * Who a risk is about and when (kinds other, self, treated, past): see
 * cc_risk_context.c.
 *
 * Cost: the terms of a message are looked up in a hash of the distinct
 * first terms of all rules (exact, and each prefix length in use; a bloom
 * of the keys answers most misses); typo candidates come from buckets by
 * first letter and length, refused on length, last letter and letter sets
 * before a banded edit distance.  Of the rules whose first term matched,
 * only those whose every later term has a candidate in the sentence are
 * tried: the sentence's signature (a 2048-bit set of codes of its terms,
 * cc_risk_int.h) against the codes each rule needs, the most selective
 * one or two kept in the key's list beside the rule's kind, so most rules
 * are refused without being read.  All of it is built with the ruleset
 * (cc_risk_compile.c); a check allocates nothing for it.
 * cc_risk_check_naive tries every rule at every term instead: the
 * reference the unit tests hold these indexes to.  Input is read up to
 * 16 KiB; pattern backtracking is bounded by the gap limits.  The
 * excusing markers (past, self, treated) are looked up in a second pass
 * over the terms, only when something but an emergency matched (self and
 * treated only when a third party is named); their scopes then cost one
 * pass over the matches and one over the terms.  The engine's and the rules' clause, list and subject words
 * cost one hash probe per alphabetic term.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_risk_int.h"
#include "cc_risk_match_int.h"

/* Folded forms, by language (en; es; fr; de; it; pt; nl; pl).  Left out
 * on purpose, because the same form is common in another language with a
 * different role: Dutch "of" (English "of": a list word would stretch
 * negations), Polish "a" (English "a"), Polish "on" (English "on": "not on
 * warfarin" must stay negated), German "es" (Spanish "es"), Italian "il"
 * (article), English-looking "one".  Kept although they collide, since a
 * clause cut early only errs towards escalation: Dutch "en" (Spanish and
 * French "en"), Italian and Portuguese "e" (also Portuguese "é"), Polish
 * "i" (also a lower-case English "i"; rk_not_break spares a capital "I"
 * and French "il y a"). */
const char *const cc_risk_break_words[] = {
    "and", "but", "however", "although", "though", "except", "apart",
    "besides", "because", "so", "whereas", "while",
    "y", "pero", "aunque", "excepto", "salvo", "porque",
    "et", "mais", "cependant", "pourtant", "sauf", "parce",
    "und", "aber", "weil", "denn", "obwohl", "sondern", "jedoch", "ausser",
    "ma", "perche", "e", "pero", "tuttavia", "sebbene", "tranne", "quindi",
    "mas", "porem", "embora", "exceto", "entao",
    "maar", "omdat", "en", "want", "hoewel", "behalve", "dus",
    "ale", "bo", "i", "oraz", "lecz", "jednak", "poniewaz", "chociaz",
    "wiec", "poza",
    NULL
};

const char *const cc_risk_list_words[] = {
    "or", "nor", "ni", "ou", "o", "oder", "noch", "ne", "nem", "lub",
    "albo", "ani",
    NULL
};

const char *const cc_risk_subject_words[] = {
    "i", "im", "ive", "id", "she", "shes", "he", "hes", "we", "they",
    "theyre", "my", "yo", "mi", "je", "j", "il", "elle",
    "ich", "mein", "meine", "er", "sie", "wir",
    "io", "mio", "mia", "lei", "lui", "noi",
    "eu", "meu", "minha", "ele", "ela", "nos",
    "ik", "mijn", "hij", "zij", "ze", "wij",
    "ja", "moj", "moja", "moje", "ona", "oni",
    NULL
};

/* Optimal string alignment distance between a[0..la) and b[0..lb)
 * (prefix: between a and the closest prefix of b), or k + 1 when above k.
 * Lengths are at most CC_TOK_MAX. */
static int rk_osa(const char *a, int la, const char *b, int lb, int k,
                  int prefix)
{
    int r0[CC_TOK_MAX + 2], r1[CC_TOK_MAX + 2], r2[CC_TOK_MAX + 2];
    int *pp = r0, *pv = r1, *cu = r2;
    const int inf = k + 1;
    int i, j, best;

    if (la > CC_TOK_MAX || lb > CC_TOK_MAX) {
        return inf;
    }
    if (prefix) {
        if (lb < la - k) {
            return inf;
        }
        if (lb > la + k) {
            lb = la + k;
        }
    }
    else if (abs(la - lb) > k) {
        return inf;
    }
    for (j = 0; j <= lb; j++) {
        pv[j] = j <= k ? j : inf;
        pp[j] = inf;
    }
    for (i = 1; i <= la; i++) {
        int lo = i - k > 1 ? i - k : 1;
        int hi = i + k < lb ? i + k : lb;
        int rowmin;
        int *tmp;

        for (j = 0; j <= lb; j++) {
            cu[j] = inf;
        }
        cu[0] = i <= k ? i : inf;
        rowmin = cu[0];
        for (j = lo; j <= hi; j++) {
            int v = pv[j - 1] + (a[i - 1] != b[j - 1]);

            if (pv[j] + 1 < v) {
                v = pv[j] + 1;
            }
            if (cu[j - 1] + 1 < v) {
                v = cu[j - 1] + 1;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2]
                && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v) {
                v = pp[j - 2] + 1;
            }
            if (v > inf) {
                v = inf;
            }
            cu[j] = v;
            if (v < rowmin) {
                rowmin = v;
            }
        }
        if (rowmin > k) {
            return inf;
        }
        tmp = pp;
        pp = pv;
        pv = cu;
        cu = tmp;
    }
    if (!prefix) {
        return pv[lb];
    }
    best = inf;
    for (j = 0; j <= lb; j++) {
        if (pv[j] < best) {
            best = pv[j];
        }
    }
    return best;
}

/* ---- tokenizing with French elision ------------------------------------- */

typedef struct rk_split_t {
    const unsigned char *text;
    size_t               len;
    rk_term_fn          *fn;
    void                *baton;
} rk_split_t;

/* Bytes of an apostrophe at s[i], 0 when none. */
static size_t rk_apos_at(const unsigned char *s, size_t len, size_t i)
{
    if (i < len && s[i] == '\'') {
        return 1;
    }
    if (i + 1 < len && s[i] == 0xCA && s[i + 1] == 0xBC) {
        return 2;
    }
    if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0x99) {
        return 3;
    }
    return 0;
}

static int rk_split_cb(void *baton, const char *term, size_t len,
                       uint32_t pos, size_t start, size_t end)
{
    rk_split_t *sp = baton;
    const unsigned char *s = sp->text;
    size_t plen = 0, alen = 0;

    if (len >= 2 && start < sp->len) {
        unsigned char c = (unsigned char)(s[start] | 0x20);

        if (strchr("cdjlmnst", c) && c == (unsigned char)term[0]) {
            alen = rk_apos_at(s, sp->len, start + 1);
            plen = alen ? 1 : 0;
        }
        else if (c == 'q' && len >= 3 && start + 1 < sp->len
                 && (s[start + 1] | 0x20) == 'u' && term[0] == 'q'
                 && term[1] == 'u') {
            alen = rk_apos_at(s, sp->len, start + 2);
            plen = alen ? 2 : 0;
        }
    }
    if (plen && len > plen) {
        if (sp->fn(sp->baton, term, plen, start, start + plen)) {
            return 1;
        }
        return sp->fn(sp->baton, term + plen, len - plen,
                      start + plen + alen, end);
    }
    return sp->fn(sp->baton, term, len, start, end);
}

void cc_risk_tokenize(const char *text, size_t len, rk_term_fn *fn,
                      void *baton)
{
    rk_split_t sp;

    sp.text = (const unsigned char *)text;
    sp.len = len;
    sp.fn = fn;
    sp.baton = baton;
    cc_tok_each(text, len, 0, rk_split_cb, &sp);
}

/* ---- checking ------------------------------------------------------------ */



/* Look at the bytes skipped between two terms. */
static unsigned rk_gap_flags(const unsigned char *s, size_t a, size_t b)
{
    unsigned f = 0;
    int space = 0, dash = 0;
    size_t i;

    for (i = a; i < b; i++) {
        unsigned char c = s[i];

        switch (c) {
        case '.': case '!': case '?': case ';': case '\n': case '\r':
            f |= F_GSENT;
            break;
        case ',':
            f |= F_GCOMMA;
            break;
        case ' ': case '\t':
            space = 1;
            break;
        case '-':
            dash = 1;
            break;
        case 0xC2:          /* ¡ ¿ */
            if (i + 1 < b && (s[i + 1] == 0xA1 || s[i + 1] == 0xBF)) {
                f |= F_GSENT;
            }
            break;
        case 0xE2:          /* … – — */
            if (i + 2 < b && s[i + 1] == 0x80) {
                if (s[i + 2] == 0xA6) {
                    f |= F_GSENT;
                }
                else if (s[i + 2] == 0x93 || s[i + 2] == 0x94) {
                    f |= F_GCOMMA;
                }
            }
            break;
        case 0xE3:          /* 。 */
            if (i + 2 < b && s[i + 1] == 0x80 && s[i + 2] == 0x82) {
                f |= F_GSENT;
            }
            break;
        case 0xEF:          /* ！ ？ ； ． ， */
            if (i + 2 < b && s[i + 1] == 0xBC) {
                unsigned char d = s[i + 2];

                if (d == 0x81 || d == 0x9F || d == 0x9B || d == 0x8E) {
                    f |= F_GSENT;
                }
                else if (d == 0x8C) {
                    f |= F_GCOMMA;
                }
            }
            break;
        default:
            break;
        }
    }
    if (dash && space) {
        f |= F_GCOMMA;
    }
    return f;
}

/* Break words that are something else in another language: Spanish "y"
 * (and) is a clause break, French "y" after a pronoun ("il y a 6 ans",
 * "n'y", "j'y") is not; Polish "i" (and) is, English "I" written as a
 * capital is not ("6 years ago I had a C-section"). */
static int rk_not_break(const rk_text_t *tx, const char *term, size_t len,
                        size_t start)
{
    const rk_tok_t *pv;

    if (len == 1 && term[0] == 'i') {
        return start < tx->len && tx->text[start] == 'I';
    }
    if (len != 1 || term[0] != 'y' || tx->n == 0) {
        return 0;
    }
    pv = &tx->t[tx->n - 1];
    return (pv->len == 2 && memcmp(pv->s, "il", 2) == 0)
           || (pv->len == 1 && strchr("njsmt", pv->s[0]) != NULL);
}

/* The flags the rules' clause, list and subject words give term. */
static unsigned rk_wflags(const cc_ruleset_t *rs, const char *term,
                          size_t len)
{
    uint32_t h = rk_hash(term, len, T_LIT), i;

    for (i = h & rs->wflag_mask; rs->wflags[i].s;
         i = (i + 1) & rs->wflag_mask) {
        const rk_wflag_t *w = &rs->wflags[i];

        if (w->hash == h && w->len == len && memcmp(w->s, term, len) == 0) {
            return w->flags;
        }
    }
    return 0;
}

static int rk_text_cb(void *baton, const char *term, size_t len,
                      size_t start, size_t end)
{
    rk_text_t *tx = baton;
    rk_tok_t *tk;
    unsigned f;

    if (tx->n == tx->cap) {
        uint32_t cap = tx->cap ? tx->cap * 2 : 64;
        rk_tok_t *nt = apr_palloc(tx->p, sizeof(rk_tok_t) * cap);

        if (tx->n) {
            memcpy(nt, tx->t, sizeof(rk_tok_t) * tx->n);
        }
        tx->t = nt;
        tx->cap = cap;
    }
    tk = &tx->t[tx->n];
    memset(tk, 0, sizeof(*tk));
    f = rk_gap_flags(tx->text, tx->prev_end < start ? tx->prev_end : start,
                     start);
    tx->prev_end = end;
    tk->s = apr_pstrmemdup(tx->p, term, len);
    tk->len = (uint16_t)len;
    tk->start = start;
    tk->end = end;
    tk->mask = rk_mask(term, len);
    if (term[0] >= '0' && term[0] <= '9') {
        size_t i = 0;

        f |= F_NUM;
        cc_risk_parse_num(term, len, &i, &tk->num);
        if (i + 1 < len && term[i] == '.' && term[i + 1] >= '0'
            && term[i + 1] <= '9') {
            i++;
            while (i < len && term[i] >= '0' && term[i] <= '9') {
                i++;
            }
        }
        tk->suffix = (uint16_t)i;
    }
    else if (rk_is_alpha(term, len)) {
        f |= F_ALPHA;
        if (len <= 10 && cc_tok_stopword(term, len)) {
            f |= F_STOP;
        }
        /* the engine's and the rules' clause, list and subject words */
        if (len <= 16) {
            unsigned wf = rk_wflags(tx->rs, term, len);

            if ((wf & F_BREAK) && rk_not_break(tx, term, len, start)) {
                wf &= ~(unsigned)F_BREAK;
            }
            f |= wf;
        }
    }
    if (tx->n == 0) {
        f &= ~(unsigned)(F_GSENT | F_GCOMMA);
    }
    if (f & F_GSENT) {
        tx->sent++;
        tx->clause++;
        tx->scl++;
    }
    else if (f & F_BREAK) {
        tx->clause++;
        tx->scl++;
    }
    else if (f & F_GCOMMA) {
        tx->scl++;
    }
    tk->flags = (uint16_t)f;
    tk->fclass = (uint8_t)rk_first_class(term, len);
    tk->first = (1u << tk->fclass) | ((f & F_NUM) ? 1u << 27 : 0);
    tk->sent = tx->sent;
    tk->clause = tx->clause;
    tk->scl = tx->scl;
    tx->n++;
    return 0;
}

/* Exact (or prefix, or number) match of one alternative. */
static int rk_alt_exact(const rk_alt_t *a, const rk_tok_t *tk)
{
    if (a->type == T_NUM) {
        return (tk->flags & F_NUM) && tk->num >= a->lo && tk->num <= a->hi
               && (size_t)tk->len - tk->suffix == a->len
               && memcmp(tk->s + tk->suffix, a->s, a->len) == 0;
    }
    if (a->s[0] != tk->s[0]) {
        return 0;
    }
    if (a->type == T_LIT) {
        return tk->len == a->len && memcmp(tk->s, a->s, a->len) == 0;
    }
    return tk->len >= a->len && memcmp(tk->s, a->s, a->len) == 0;
}

/* Match through typo tolerance; the caller checked that tk is an
 * alphabetic non-stop-word. */
static int rk_alt_fuzzy(const rk_alt_t *a, const rk_tok_t *tk)
{
    int k = a->edits;

    if (!k || tk->s[0] != a->s[0]) {
        return 0;
    }
    if (a->type == T_LIT) {
        char lp = a->s[a->len - 1], lt = tk->s[tk->len - 1];

        /* the cheap tests first */
        if (abs((int)tk->len - (int)a->len) > k) {
            return 0;
        }
        if (lp != lt && !(lt == 's' && tk->len == a->len + 1
                          && tk->s[tk->len - 2] == lp)) {
            return 0;
        }
        if (rk_popcount(a->mask & ~tk->mask) > k
            || rk_popcount(tk->mask & ~a->mask) > k) {
            return 0;
        }
        return rk_osa(a->s, a->len, tk->s, tk->len, k, 0) <= k;
    }
    if (rk_popcount(a->mask & ~tk->mask) > k) {
        return 0;
    }
    return rk_osa(a->s, a->len, tk->s, tk->len, k, 1) <= k;
}

static int rk_term_eq(const rk_pterm_t *pt, const rk_tok_t *tk, int fuzzy)
{
    unsigned a, b = pt->off[tk->fclass], e = pt->off[tk->fclass + 1];

    if (!(pt->first & tk->first)) {
        return 0;       /* every match needs the same first letter */
    }
    if (tk->flags & F_NUM) {
        for (a = pt->off[27]; a < pt->off[28]; a++) {
            if (rk_alt_exact(&pt->alt[a], tk)) {
                return 1;
            }
        }
    }
    for (a = b; a < e; a++) {
        if (rk_alt_exact(&pt->alt[a], tk)) {
            return 1;
        }
    }
    if (fuzzy && (tk->flags & (F_ALPHA | F_STOP)) == F_ALPHA) {
        for (a = b; a < e; a++) {
            if (rk_alt_fuzzy(&pt->alt[a], tk)) {
                return 2;
            }
        }
    }
    return 0;
}

/* Match r->t[ti..] with term ti at position pos (same sentence); *last is
 * the position of the last term, *fz set when a typo was needed. */
static int rk_match(const rk_rule_t *r, int ti, const rk_text_t *tx,
                    uint32_t pos, uint32_t sent, int *fz, uint32_t *last)
{
    int m, g, maxg;

    if (pos >= tx->n || tx->t[pos].sent != sent) {
        return 0;
    }
    m = rk_term_eq(&r->t[ti], &tx->t[pos],
                   r->kind == K_WORD || r->kind == K_PHRASE);
    if (!m) {
        return 0;
    }
    if (ti + 1 == r->nt) {
        *last = pos;
        *fz |= m == 2;
        return 1;
    }
    maxg = r->t[ti + 1].gap;
    for (g = 0; g <= maxg; g++) {
        if (rk_match(r, ti + 1, tx, pos + 1 + (uint32_t)g, sent, fz, last)) {
            *fz |= m == 2;
            return 1;
        }
    }
    return 0;
}

/* The message has something each later term of a rule could match
 * (rk_rule_t.need). */
static int rk_need_met(const uint16_t *need, const uint64_t *sig)
{
    if (!need) {
        return 1;
    }
    while (*need) {
        uint16_t n = *need++, i;
        int ok = 0;

        for (i = 0; i < n && !ok; i++) {
            ok = rk_sig_has(sig, need[i]);
        }
        if (!ok) {
            return 0;
        }
        need += n;
    }
    return 1;
}



static void rk_try_rules(const cc_ruleset_t *rs, const rk_ref_t *lst,
                         uint32_t n, const rk_text_t *tx, uint32_t pos,
                         unsigned kinds, apr_array_header_t *hits)
{
    const uint64_t *sig = tx->sig;
    uint32_t i;

    for (i = 0; i < n; i++) {
        const rk_ref_t *e = &lst[i];
        const rk_rule_t *r;
        uint32_t last = pos;
        int fz = 0, h, dup = 0;

        if (!(KB(e->kind) & kinds)
            || (e->ncode && !rk_sig_has(sig, e->code[0])
                && !rk_sig_has(sig, e->code[1]))) {
            continue;
        }
        r = &rs->rules[e->rule];
        if (!rk_need_met(r->need, sig)) {
            continue;
        }
        /* a rule reached through two alternatives matches once */
        for (h = hits->nelts - 1; h >= 0; h--) {
            const rk_hit_t *o = &APR_ARRAY_IDX(hits, h, rk_hit_t);

            if (o->first != pos) {
                break;
            }
            if (o->rule == e->rule) {
                dup = 1;
                break;
            }
        }
        if (!dup && rk_match(r, 0, tx, pos, tx->t[pos].sent, &fz, &last)) {
            rk_hit_t *ht = apr_array_push(hits);

            ht->rule = e->rule;
            ht->first = pos;
            ht->last = last;
            ht->fuzzy = fz;
        }
    }
}

/* The key of s[0..n) of that type, whose rk_hash is h. */
static const rk_key_t *rk_lookup(const cc_ruleset_t *rs, const char *s,
                                 size_t n, unsigned type, uint32_t h)
{
    uint32_t i;

    if (!((rs->kbloom[h >> 22] >> ((h >> 16) & 63)) & 1)) {
        return NULL;
    }
    for (i = h & rs->slot_mask; rs->slots[i]; i = (i + 1) & rs->slot_mask) {
        const rk_key_t *k = &rs->keys[rs->slots[i] - 1];

        if (k->hash == h && rk_key_eq(k->alt, s, n, type)) {
            return k;
        }
    }
    return NULL;
}

/* What rk_alt_fuzzy would refuse first (its own tests, on the candidate's
 * copy): 0 when the key cannot match tk through a typo. */
static int rk_fz_maybe(const rk_fzkey_t *f, const rk_tok_t *tk, int prefix)
{
    int k = f->edits;

    if (prefix) {
        /* rk_osa (prefix): the term is at least the prefix minus k */
        return (int)tk->len >= (int)f->len - k
               && rk_popcount(f->mask & ~tk->mask) <= k;
    }
    if (f->last != tk->s[tk->len - 1]
        && !(tk->s[tk->len - 1] == 's' && tk->len == f->len + 1
             && tk->s[tk->len - 2] == f->last)) {
        return 0;
    }
    return rk_popcount(f->mask & ~tk->mask) <= k
           && rk_popcount(tk->mask & ~f->mask) <= k;
}

/* Every match starting at term pos of a rule of one of kinds. */
static void rk_find_at(const cc_ruleset_t *rs, const rk_text_t *tx,
                       uint32_t pos, unsigned kinds, apr_array_header_t *hits)
{
    const rk_tok_t *tk = &tx->t[pos];
    const rk_key_t *k;
    int any = 0;
    uint32_t l, i, h;

    if (tk->flags & F_NUM) {
        rk_try_rules(rs, rs->numrules, rs->nnumrules, tx, pos, kinds, hits);
    }
    k = rk_lookup(rs, tk->s, tk->len, T_LIT, rk_hash(tk->s, tk->len, T_LIT));
    if (k) {
        rk_try_rules(rs, k->rules, k->nrules, tx, pos, kinds, hits);
        any = 1;
    }
    /* the prefixes' hashes one byte at a time (rk_hash, type T_PREFIX) */
    h = 2166136261u ^ T_PREFIX;
    for (l = 1; l <= tk->len && l < 64; l++) {
        h = (h ^ (unsigned char)tk->s[l - 1]) * 16777619u;
        if (((rs->prefix_lens >> l) & 1)
            && (k = rk_lookup(rs, tk->s, l, T_PREFIX, h)) != NULL) {
            rk_try_rules(rs, k->rules, k->nrules, tx, pos, kinds, hits);
            any = 1;
        }
    }
    /* Typo candidates: same first letter, similar length (word and phrase
     * rules only). */
    if (!any && (kinds & (KB(K_WORD) | KB(K_PHRASE)))
        && (tk->flags & F_ALPHA) && !(tk->flags & F_STOP) && tk->len >= 4) {
        int a = tk->s[0] - 'a';
        int lo = tk->len - 2, hi = tk->len + 2, len;

        if (lo < 5) {
            lo = 5;
        }
        if (hi > CC_TOK_MAX) {
            hi = CC_TOK_MAX;
        }
        for (len = lo; len <= hi; len++) {
            uint32_t b = rs->fz_lit_off[a][len];
            uint32_t e = rs->fz_lit_off[a][len + 1];

            if (len < 9 && abs(len - (int)tk->len) > 1) {
                continue;
            }
            for (i = b; i < e; i++) {
                if (!rk_fz_maybe(&rs->fz_lit[i], tk, 0)) {
                    continue;
                }
                k = &rs->keys[rs->fz_lit[i].key];
                if (rk_alt_fuzzy(k->alt, tk) && !rk_alt_exact(k->alt, tk)) {
                    rk_try_rules(rs, k->frules, k->nfrules, tx, pos, kinds,
                                 hits);
                }
            }
        }
        for (i = rs->fz_pre_off[a]; i < rs->fz_pre_off[a + 1]; i++) {
            if (!rk_fz_maybe(&rs->fz_pre[i], tk, 1)) {
                continue;
            }
            k = &rs->keys[rs->fz_pre[i].key];
            if (rk_alt_fuzzy(k->alt, tk) && !rk_alt_exact(k->alt, tk)) {
                rk_try_rules(rs, k->frules, k->nfrules, tx, pos, kinds, hits);
            }
        }
    }
}

/* rk_find_at without the ruleset's indexes (cc_risk_check_naive): every
 * rule of kinds is tried at pos when its first term matches the term
 * exactly, or through a typo when no rule's first term matches it exactly
 * (the rule of the header comment), in rule order. */
static void rk_find_naive(const cc_ruleset_t *rs, const rk_text_t *tx,
                          uint32_t pos, unsigned kinds,
                          apr_array_header_t *hits)
{
    const rk_tok_t *tk = &tx->t[pos];
    int any = 0, typo;
    uint32_t r;
    unsigned a;

    for (r = 0; r < rs->nrules && !any; r++) {
        const rk_pterm_t *f = &rs->rules[r].t[0];

        for (a = 0; a < f->nalt && !RK_IS_WORDLIST(rs->rules[r].kind); a++) {
            if (f->alt[a].type != T_NUM && rk_alt_exact(&f->alt[a], tk)) {
                any = 1;
                break;
            }
        }
    }
    typo = !any && (kinds & (KB(K_WORD) | KB(K_PHRASE)))
           && (tk->flags & F_ALPHA) && !(tk->flags & F_STOP) && tk->len >= 4;
    for (r = 0; r < rs->nrules; r++) {
        const rk_rule_t *ru = &rs->rules[r];
        const rk_pterm_t *f = &ru->t[0];
        uint32_t last = pos;
        int fz = 0, ok = 0;

        if (RK_IS_WORDLIST(ru->kind) || !(KB(ru->kind) & kinds)) {
            continue;
        }
        for (a = 0; a < f->nalt && !ok; a++) {
            const rk_alt_t *al = &f->alt[a];

            ok = rk_alt_exact(al, tk)
                 || (typo && al->type != T_NUM && al->edits
                     && al->len <= CC_TOK_MAX && al->s[0] >= 'a'
                     && al->s[0] <= 'z' && rk_alt_fuzzy(al, tk));
        }
        if (ok && rk_match(ru, 0, tx, pos, tk->sent, &fz, &last)) {
            rk_hit_t *ht = apr_array_push(hits);

            ht->rule = r;
            ht->first = pos;
            ht->last = last;
            ht->fuzzy = fz;
        }
    }
}

/* Every match starting at term pos of a rule of one of kinds: through the
 * indexes, or (tx->naive) the reference way. */
static void rk_find(const cc_ruleset_t *rs, const rk_text_t *tx,
                    uint32_t pos, unsigned kinds, apr_array_header_t *hits)
{
    if (tx->naive) {
        rk_find_naive(rs, tx, pos, kinds, hits);
    }
    else {
        rk_find_at(rs, tx, pos, kinds, hits);
    }
}

/* Before trying the rules at term pos: the signature of its sentence
 * (made when pos is the sentence's first term; the passes go left to
 * right, so one sentence's signature is kept at a time). */
static void rk_sig_at(rk_text_t *tx, uint32_t pos)
{
    uint32_t sent = tx->t[pos].sent, i;

    if (pos > 0 && tx->t[pos - 1].sent == sent) {
        return;
    }
    memset(tx->sig, 0, sizeof(tx->sig));
    for (i = pos; i < tx->n && tx->t[i].sent == sent; i++) {
        const rk_tok_t *tk = &tx->t[i];

        rk_sig_set(tx->sig, rk_sig_code(RK_SIG_EXACT, tk->s, tk->len));
        if (tk->len >= 3) {
            rk_sig_set(tx->sig, rk_sig_code(RK_SIG_PRE3, tk->s, 3));
        }
        if (tk->len >= 2) {
            rk_sig_set(tx->sig, rk_sig_code(RK_SIG_PAIR, tk->s, 2));
        }
        rk_sig_set(tx->sig, rk_sig_ends(tk->s[0], tk->s[tk->len - 1]));
        if (tk->len >= 2 && tk->s[tk->len - 1] == 's') {
            rk_sig_set(tx->sig, rk_sig_ends(tk->s[0], tk->s[tk->len - 2]));
        }
        rk_sig_set(tx->sig, rk_sig_class(tk->fclass));
        if (tk->flags & F_NUM) {
            rk_sig_set(tx->sig, rk_sig_class(27));
        }
    }
}

static void rk_check(const cc_ruleset_t *rs, const char *text, size_t len,
                     apr_pool_t *p, cc_risk_result_t *out, int naive)
{
    rk_text_t tx;
    apr_array_header_t *hits;
    uint32_t *neg, *nega, *exc;
    unsigned char *hedge, *esent;
    uint32_t *lift;
    rk_ctx_t ctx;
    uint32_t i, maxscl;
    int h;

    if (!out) {
        return;
    }
    memset(out, 0, sizeof(*out));
    if (!p) {
        return;
    }
    out->matches = apr_array_make(p, 4, sizeof(cc_risk_match_t));
    if (!rs || !text || len == 0 || rs->nrules == 0) {
        return;
    }
    if (len > RK_MAX_INPUT) {
        len = RK_MAX_INPUT;
    }
    memset(&tx, 0, sizeof(tx));
    tx.rs = rs;
    tx.p = p;
    tx.text = (const unsigned char *)text;
    tx.len = len;
    tx.naive = naive;
    cc_risk_tokenize(text, len, rk_text_cb, &tx);
    if (tx.n == 0) {
        return;
    }
    /* Two passes: the rules that can make a message risky (and the third
     * parties), then - only when something but an emergency matched - the
     * markers that can excuse it: past ones, and self and treated ones
     * when a third party is named.  Most messages skip the second. */
    hits = apr_array_make(p, 16, sizeof(rk_hit_t));
    for (i = 0; i < tx.n; i++) {
        rk_sig_at(&tx, i);
        rk_find(rs, &tx, i, KB(K_WORD) | KB(K_PHRASE) | KB(K_NEGATOR)
                | KB(K_UNLESS) | KB(K_OTHER), hits);
    }
    if (hits->nelts == 0) {
        return;
    }
    if (rs->context) {
        unsigned more = 0;

        for (h = 0; h < hits->nelts; h++) {
            const rk_rule_t *r = &rs->rules[APR_ARRAY_IDX(hits, h,
                                                          rk_hit_t).rule];

            if ((r->kind == K_WORD || r->kind == K_PHRASE)
                && r->cats != CAT_EMERG) {
                more |= KB(K_PAST);
            }
            else if (r->kind == K_OTHER && !r->cont) {
                more |= KB(K_SELF) | KB(K_TREATED);
            }
        }
        if (more & KB(K_PAST)) {
            for (i = 0; i < tx.n; i++) {
                rk_sig_at(&tx, i);
                rk_find(rs, &tx, i, more, hits);
            }
        }
    }

    /* Hedges, then negator scopes and excused clauses. */
    maxscl = tx.t[tx.n - 1].scl;
    neg = apr_pcalloc(p, sizeof(uint32_t) * (tx.n + 1));
    nega = apr_pcalloc(p, sizeof(uint32_t) * (tx.n + 1));
    exc = apr_pcalloc(p, sizeof(uint32_t) * (maxscl + 1));
    hedge = apr_pcalloc(p, tx.n + 1);
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        uint32_t j;

        if (r->kind == K_NEGATOR && r->anti) {
            for (j = ht->first; j <= ht->last; j++) {
                hedge[j] = 1;
            }
        }
        else if (r->kind == K_UNLESS) {
            exc[tx.t[ht->first].scl] |= r->cats;
        }
    }
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        uint32_t c, j, stop;

        if (r->kind != K_NEGATOR || r->anti || hedge[ht->first]) {
            continue;
        }
        nega[ht->last + 1] |= r->cats;
        c = tx.t[ht->last].clause;
        stop = ht->last + RK_SCOPE;
        for (j = ht->last + 1; j <= stop && j < tx.n
             && j <= ht->last + RK_SCOPE_MAX; j++) {
            const rk_tok_t *tk = &tx.t[j];

            if (tk->clause != c || (tk->flags & F_SUBJ)
                || (j == ht->last + 1 && (tk->flags & F_GCOMMA))) {
                break;
            }
            if (tk->flags & F_LIST) {
                stop = j + RK_SCOPE;
            }
            neg[j] |= r->cats;
        }
    }

    if (rs->context) {
        rk_context(rs, &tx, hits, neg, nega, &ctx);
    }
    else {
        memset(&ctx, 0, sizeof(ctx));
    }

    /* lift[k]: 1 + the sentence of match k when only a third-party scope
     * excused it; esent[s]: sentence s has a counted emergency. */
    lift = apr_pcalloc(p, sizeof(uint32_t) * ((size_t)hits->nelts + 1));
    esent = apr_pcalloc(p, (size_t)tx.t[tx.n - 1].sent + 1);
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        const rk_tok_t *ft = &tx.t[ht->first];
        cc_risk_match_t *m;
        uint32_t bit = r->cats;
        int scoped, other;

        if (r->kind != K_WORD && r->kind != K_PHRASE) {
            continue;
        }
        scoped = (neg[ht->first] & bit) || (exc[ft->scl] & bit)
                 || (ctx.past && (ctx.past[ft->clause] & bit))
                 || (ctx.normal && (ctx.normal[ft->clause] & bit)
                     && !rk_i_before(&tx, ht->first));
        other = ctx.other && (ctx.other[ht->first] & bit & ~ctx.treated);
        m = apr_array_push(out->matches);
        m->category = (cc_risk_category_e)__builtin_ctz(bit);
        m->rule = r->text;
        m->start = ft->start;
        m->end = tx.t[ht->last].end;
        m->fuzzy = ht->fuzzy;
        m->negated = bit != CAT_EMERG && (scoped || other);
        if (m->negated && !scoped) {
            lift[out->matches->nelts - 1] = ft->sent + 1;
        }
        if (!m->negated) {
            out->categories |= bit;
            if (bit == CAT_EMERG) {
                esent[ft->sent] = 1;
            }
        }
    }
    /* Someone else in danger now is not excused: in a sentence with a
     * counted emergency, what the rules saw of the other person counts
     * too ("my 4 year old has eaten my tablets": the emergency and the
     * minor; "my mum is on warfarin. I have chest pain": not the
     * warfarin). */
    for (h = 0; (out->categories & CAT_EMERG) && h < out->matches->nelts;
         h++) {
        cc_risk_match_t *m = &APR_ARRAY_IDX(out->matches, h, cc_risk_match_t);

        if (lift[h] && esent[lift[h] - 1]) {
            m->negated = 0;
            out->categories |= 1u << m->category;
        }
    }
    out->risk = out->categories != 0;
    out->emergency = (out->categories & CAT_EMERG) != 0;
}

void cc_risk_check(const cc_ruleset_t *rs, const char *text, size_t len,
                   apr_pool_t *p, cc_risk_result_t *out)
{
    rk_check(rs, text, len, p, out, 0);
}

void cc_risk_check_naive(const cc_ruleset_t *rs, const char *text,
                         size_t len, apr_pool_t *p, cc_risk_result_t *out)
{
    rk_check(rs, text, len, p, out, 1);
}

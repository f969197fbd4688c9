/*
 * cc_risk_cues.c - the cue word table (sorted by bytes; binary search).
 */
#include <string.h>
#include "cc_risk_cues.h"

static const struct { const char *w; unsigned bits; } cues[] = {
    {"aber", 0x20},
    {"age", 0x10},
    {"aged", 0x10},
    {"ai", 0x04},
    {"ale", 0x20},
    {"alergia", 0x80},
    {"alergias", 0x80},
    {"alergica", 0x80},
    {"alergico", 0x80},
    {"allergic", 0x80},
    {"allergica", 0x80},
    {"allergico", 0x80},
    {"allergie", 0x80},
    {"allergies", 0x80},
    {"allergique", 0x80},
    {"allergisch", 0x80},
    {"allergy", 0x80},
    {"although", 0x20},
    {"anni", 0x10},
    {"anno", 0x10},
    {"ano", 0x10},
    {"anos", 0x10},
    {"ans", 0x10},
    {"arent", 0x08},
    {"assumo", 0x02},
    {"atteint", 0x04},
    {"atteinte", 0x04},
    {"aucun", 0x08},
    {"aucune", 0x08},
    {"avais", 0x04},
    {"avuto", 0x04},
    {"bez", 0x08},
    {"bieden", 0x40},
    {"bieten", 0x40},
    {"biore", 0x02},
    {"but", 0x20},
    {"can", 0x40},
    {"choruje", 0x04},
    {"could", 0x40},
    {"czy", 0x40},
    {"diagnosed", 0x04},
    {"diagnosticada", 0x04},
    {"diagnosticado", 0x04},
    {"diagnosticata", 0x04},
    {"diagnosticato", 0x04},
    {"diagnostique", 0x04},
    {"diagnostiquee", 0x04},
    {"diagnostiziert", 0x04},
    {"didnt", 0x08},
    {"do", 0x40},
    {"does", 0x40},
    {"doesnt", 0x08},
    {"dont", 0x08},
    {"estou", 0x01},
    {"estoy", 0x01},
    {"eu", 0x01},
    {"faites", 0x40},
    {"fate", 0x40},
    {"fazem", 0x40},
    {"gebruik", 0x02},
    {"gediagnosticeerd", 0x04},
    {"geen", 0x08},
    {"genommen", 0x02},
    {"got", 0x04},
    {"habe", 0x04},
    {"hacen", 0x40},
    {"had", 0x04},
    {"has", 0x04},
    {"hasnt", 0x08},
    {"hatte", 0x04},
    {"have", 0x04},
    {"havent", 0x08},
    {"heb", 0x04},
    {"history", 0x04},
    {"ho", 0x04},
    {"however", 0x20},
    {"i", 0x01},
    {"ich", 0x01},
    {"id", 0x01},
    {"ik", 0x01},
    {"im", 0x01},
    {"io", 0x01},
    {"isnt", 0x08},
    {"ive", 0x01},
    {"j", 0x01},
    {"ja", 0x01},
    {"jaar", 0x10},
    {"jahr", 0x10},
    {"jahre", 0x10},
    {"jahrig", 0x10},
    {"jahrige", 0x10},
    {"jahriger", 0x10},
    {"jai", 0x05},
    {"jamais", 0x08},
    {"jarige", 0x10},
    {"je", 0x01},
    {"jestem", 0x01},
    {"kan", 0x40},
    {"kann", 0x40},
    {"kein", 0x08},
    {"keine", 0x08},
    {"keinen", 0x08},
    {"keiner", 0x08},
    {"konnen", 0x40},
    {"kunnen", 0x40},
    {"lat", 0x10},
    {"lata", 0x10},
    {"leide", 0x04},
    {"lijd", 0x04},
    {"ma", 0x21},
    {"maar", 0x20},
    {"mai", 0x08},
    {"mais", 0x20},
    {"mam", 0x04},
    {"mas", 0x20},
    {"may", 0x40},
    {"me", 0x01},
    {"mein", 0x01},
    {"meine", 0x01},
    {"meinem", 0x01},
    {"meinen", 0x01},
    {"meiner", 0x01},
    {"mes", 0x01},
    {"meu", 0x01},
    {"meus", 0x01},
    {"mi", 0x01},
    {"mia", 0x01},
    {"mialam", 0x04},
    {"mich", 0x01},
    {"mie", 0x01},
    {"miei", 0x01},
    {"mijn", 0x01},
    {"mine", 0x01},
    {"minha", 0x01},
    {"minhas", 0x01},
    {"mio", 0x01},
    {"mir", 0x01},
    {"mis", 0x01},
    {"moge", 0x40},
    {"moi", 0x01},
    {"moj", 0x01},
    {"moja", 0x01},
    {"moje", 0x01},
    {"mon", 0x01},
    {"mozna", 0x40},
    {"my", 0x01},
    {"myself", 0x01},
    {"nai", 0x08},
    {"nao", 0x08},
    {"ne", 0x08},
    {"neem", 0x02},
    {"nehme", 0x02},
    {"nehmen", 0x02},
    {"neither", 0x08},
    {"nenhum", 0x08},
    {"nenhuma", 0x08},
    {"nessun", 0x08},
    {"nessuna", 0x08},
    {"never", 0x08},
    {"ni", 0x08},
    {"nicht", 0x08},
    {"nie", 0x08},
    {"niet", 0x08},
    {"no", 0x08},
    {"non", 0x08},
    {"none", 0x08},
    {"nooit", 0x08},
    {"nor", 0x08},
    {"not", 0x08},
    {"nothing", 0x08},
    {"nunca", 0x08},
    {"oferecem", 0x40},
    {"offer", 0x40},
    {"offers", 0x40},
    {"offrite", 0x40},
    {"ofrecen", 0x40},
    {"ohne", 0x08},
    {"old", 0x10},
    {"on", 0x02},
    {"padezco", 0x04},
    {"pas", 0x08},
    {"pero", 0x20},
    {"peut", 0x40},
    {"pode", 0x40},
    {"posso", 0x40},
    {"pouvez", 0x40},
    {"prend", 0x02},
    {"prendo", 0x02},
    {"prends", 0x02},
    {"prescribed", 0x02},
    {"preso", 0x02},
    {"pris", 0x02},
    {"proposez", 0x40},
    {"przyjmuje", 0x02},
    {"puede", 0x40},
    {"pueden", 0x40},
    {"puedo", 0x40},
    {"puis", 0x40},
    {"puo", 0x40},
    {"reacted", 0x80},
    {"reaction", 0x80},
    {"roku", 0x10},
    {"sans", 0x08},
    {"sem", 0x08},
    {"senza", 0x08},
    {"should", 0x40},
    {"sin", 0x08},
    {"slik", 0x02},
    {"soffro", 0x04},
    {"sofro", 0x04},
    {"souffre", 0x04},
    {"sous", 0x02},
    {"started", 0x02},
    {"starting", 0x02},
    {"stosuje", 0x02},
    {"suffer", 0x04},
    {"suffering", 0x04},
    {"suffers", 0x04},
    {"take", 0x02},
    {"taken", 0x02},
    {"takes", 0x02},
    {"taking", 0x02},
    {"tengo", 0x04},
    {"tenho", 0x04},
    {"though", 0x20},
    {"tive", 0x04},
    {"tomando", 0x02},
    {"tome", 0x02},
    {"tomei", 0x02},
    {"tomo", 0x02},
    {"took", 0x02},
    {"traitement", 0x02},
    {"turned", 0x10},
    {"turning", 0x10},
    {"turns", 0x10},
    {"tuve", 0x04},
    {"uczulenie", 0x80},
    {"uczulona", 0x80},
    {"uczulony", 0x80},
    {"using", 0x02},
    {"wasnt", 0x08},
    {"will", 0x40},
    {"without", 0x08},
    {"would", 0x40},
    {"year", 0x10},
    {"years", 0x10},
    {"yo", 0x11},
    {"yr", 0x10},
    {"yrs", 0x10},
    {"zdiagnozowano", 0x04},
    {"zonder", 0x08}
};

unsigned cc_risk_cue(const char *w, size_t n)
{
    size_t lo = 0, hi = sizeof(cues) / sizeof(cues[0]);

    if (n == 0 || n > 24) {
        return 0;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *c = cues[mid].w;
        size_t cn = strlen(c);
        int r = memcmp(c, w, cn < n ? cn : n);

        if (r == 0) {
            r = (cn > n) - (cn < n);
        }
        if (r == 0) {
            return cues[mid].bits;
        }
        if (r < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return 0;
}

typedef struct cue_tok_t {
    const char    *text;
    cc_cue_term_t *t;
    size_t         n, max;
    size_t         prev_end;
} cue_tok_t;

static int cue_tok_cb(void *baton, const char *term, size_t len,
                      uint32_t pos, size_t start, size_t end)
{
    cue_tok_t *k = baton;
    cc_cue_term_t *t;
    size_t i;

    if (k->n >= k->max) {
        return 1;
    }
    t = &k->t[k->n++];
    if (len > CC_TOK_MAX) {
        len = CC_TOK_MAX;
    }
    memcpy(t->s, term, len);
    t->s[len] = '\0';
    t->n = (uint8_t)len;
    t->start = start;
    t->end = end;
    t->brk = 0;
    for (i = k->prev_end; i < start; i++) {
        char c = k->text[i];

        if (c == '.' || c == ',' || c == ';' || c == '!' || c == '?'
            || c == ':' || c == '\n' || c == '(' || c == ')') {
            t->brk = 1;
            break;
        }
    }
    k->prev_end = end;
    t->digits = 1;
    for (i = 0; i < len; i++) {
        if (term[i] < '0' || term[i] > '9') {
            t->digits = 0;
            break;
        }
    }
    t->cue = cc_risk_cue(term, len);
    return 0;
}

size_t cc_risk_cue_terms(const char *text, size_t len, cc_cue_term_t *t,
                         size_t max)
{
    cue_tok_t k;

    if (!text || !t || max == 0) {
        return 0;
    }
    memset(&k, 0, sizeof(k));
    k.text = text;
    k.t = t;
    k.max = max;
    cc_tok_each(text, len, 0, cue_tok_cb, &k);
    return k.n;
}

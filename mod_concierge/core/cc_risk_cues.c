/*
 * cc_risk_cues.c - the cue word table (sorted by bytes; binary search).
 */
#include <string.h>
#include "cc_risk_cues.h"
#include "cc_vocab.h"

static const struct { const char *w; unsigned bits; } cues[] = {
    {"aber", 0x020},
    {"abitur", 0x400},
    {"ado", 0x800},
    {"adolescente", 0x800},
    {"age", 0x010},
    {"aged", 0x010},
    {"ago", 0x200},
    {"ai", 0x004},
    {"ale", 0x020},
    {"alergia", 0x080},
    {"alergias", 0x080},
    {"alergica", 0x080},
    {"alergico", 0x080},
    {"alevels", 0x400},
    {"allergic", 0x080},
    {"allergica", 0x080},
    {"allergico", 0x080},
    {"allergie", 0x080},
    {"allergies", 0x080},
    {"allergique", 0x080},
    {"allergisch", 0x080},
    {"allergy", 0x080},
    {"although", 0x020},
    {"ami", 0x100},
    {"amica", 0x100},
    {"amico", 0x100},
    {"amie", 0x100},
    {"amiga", 0x100},
    {"amigo", 0x100},
    {"anni", 0x010},
    {"anno", 0x010},
    {"ano", 0x010},
    {"anos", 0x010},
    {"ans", 0x010},
    {"antigamente", 0x200},
    {"anymore", 0x200},
    {"arent", 0x008},
    {"assumo", 0x002},
    {"atras", 0x200},
    {"atteint", 0x004},
    {"atteinte", 0x004},
    {"aucun", 0x008},
    {"aucune", 0x008},
    {"autrefois", 0x200},
    {"avais", 0x004},
    {"avuto", 0x004},
    {"bac", 0x400},
    {"bachillerato", 0x400},
    {"bambina", 0x800},
    {"bambino", 0x800},
    {"bez", 0x008},
    {"bieden", 0x040},
    {"bieten", 0x040},
    {"biore", 0x002},
    {"boyfriend", 0x100},
    {"brevet", 0x400},
    {"brugklas", 0x400},
    {"but", 0x020},
    {"can", 0x040},
    {"child", 0x800},
    {"children", 0x800},
    {"choruje", 0x004},
    {"classmates", 0x400},
    {"cleared", 0x200},
    {"colegial", 0x400},
    {"colegio", 0x400},
    {"colleague", 0x100},
    {"college", 0x400},
    {"collegien", 0x400},
    {"collegienne", 0x400},
    {"copain", 0x100},
    {"copine", 0x100},
    {"corka", 0x800},
    {"could", 0x040},
    {"crianca", 0x800},
    {"criança", 0x800},
    {"czy", 0x040},
    {"dad", 0x100},
    {"dads", 0x100},
    {"damals", 0x200},
    {"daughter", 0x800},
    {"daughters", 0x800},
    {"dawniej", 0x200},
    {"diagnosed", 0x004},
    {"diagnosticada", 0x004},
    {"diagnosticado", 0x004},
    {"diagnosticata", 0x004},
    {"diagnosticato", 0x004},
    {"diagnostique", 0x004},
    {"diagnostiquee", 0x004},
    {"diagnostiziert", 0x004},
    {"didnt", 0x008},
    {"do", 0x040},
    {"dochter", 0x800},
    {"does", 0x040},
    {"doesnt", 0x008},
    {"dont", 0x008},
    {"dziecko", 0x800},
    {"echtgenoot", 0x100},
    {"ehefrau", 0x100},
    {"ehemann", 0x100},
    {"enfant", 0x800},
    {"escola", 0x400},
    {"escuela", 0x400},
    {"eso", 0x400},
    {"esposa", 0x100},
    {"estou", 0x001},
    {"estoy", 0x001},
    {"eu", 0x001},
    {"fa", 0x200},
    {"faites", 0x040},
    {"fate", 0x040},
    {"father", 0x100},
    {"fathers", 0x100},
    {"fazem", 0x040},
    {"figli", 0x800},
    {"figlia", 0x800},
    {"figlio", 0x800},
    {"filha", 0x800},
    {"filho", 0x800},
    {"fille", 0x800},
    {"fils", 0x800},
    {"form", 0x400},
    {"formerly", 0x200},
    {"freund", 0x100},
    {"freundin", 0x100},
    {"friend", 0x100},
    {"friends", 0x100},
    {"fruher", 0x200},
    {"gcse", 0x400},
    {"gcses", 0x400},
    {"gebruik", 0x002},
    {"gediagnosticeerd", 0x004},
    {"geen", 0x008},
    {"geleden", 0x200},
    {"genommen", 0x002},
    {"gimnazjum", 0x400},
    {"girlfriend", 0x100},
    {"got", 0x004},
    {"gymnasium", 0x400},
    {"habe", 0x004},
    {"hace", 0x200},
    {"hacen", 0x040},
    {"had", 0x004},
    {"has", 0x004},
    {"hasnt", 0x008},
    {"hatte", 0x004},
    {"have", 0x004},
    {"havent", 0x008},
    {"havo", 0x400},
    {"healed", 0x200},
    {"heb", 0x004},
    {"hija", 0x800},
    {"hijas", 0x800},
    {"hijo", 0x800},
    {"hijos", 0x800},
    {"history", 0x004},
    {"ho", 0x004},
    {"homework", 0x400},
    {"however", 0x020},
    {"husband", 0x100},
    {"husbands", 0x100},
    {"i", 0x001},
    {"ich", 0x001},
    {"id", 0x001},
    {"ik", 0x001},
    {"im", 0x001},
    {"instituto", 0x400},
    {"io", 0x001},
    {"isnt", 0x008},
    {"ive", 0x001},
    {"j", 0x001},
    {"ja", 0x001},
    {"jaar", 0x010},
    {"jadis", 0x200},
    {"jahr", 0x010},
    {"jahre", 0x010},
    {"jahrig", 0x010},
    {"jahrige", 0x010},
    {"jahriger", 0x010},
    {"jai", 0x005},
    {"jamais", 0x008},
    {"jarige", 0x010},
    {"je", 0x001},
    {"jestem", 0x001},
    {"jugendliche", 0x800},
    {"kan", 0x040},
    {"kann", 0x040},
    {"kein", 0x008},
    {"keine", 0x008},
    {"keinen", 0x008},
    {"keiner", 0x008},
    {"kid", 0x800},
    {"kids", 0x800},
    {"kiedys", 0x200},
    {"kind", 0x800},
    {"kinder", 0x800},
    {"kinderen", 0x800},
    {"klasa", 0x400},
    {"klasse", 0x400},
    {"konnen", 0x040},
    {"kunnen", 0x040},
    {"lat", 0x010},
    {"lata", 0x010},
    {"leide", 0x004},
    {"liceo", 0x400},
    {"liceu", 0x400},
    {"liceum", 0x400},
    {"lijd", 0x004},
    {"longer", 0x200},
    {"lycee", 0x400},
    {"lyceen", 0x400},
    {"lyceenne", 0x400},
    {"ma", 0x021},
    {"maar", 0x020},
    {"madre", 0x100},
    {"mae", 0x100},
    {"mai", 0x008},
    {"mais", 0x020},
    {"mam", 0x004},
    {"mama", 0x100},
    {"mari", 0x100},
    {"marido", 0x100},
    {"marito", 0x100},
    {"mas", 0x020},
    {"matura", 0x400},
    {"maturita", 0x400},
    {"may", 0x040},
    {"maz", 0x100},
    {"me", 0x001},
    {"medie", 0x400},
    {"mein", 0x001},
    {"meine", 0x001},
    {"meinem", 0x001},
    {"meinen", 0x001},
    {"meiner", 0x001},
    {"mere", 0x100},
    {"mes", 0x001},
    {"meu", 0x001},
    {"meus", 0x001},
    {"mi", 0x001},
    {"mia", 0x001},
    {"mialam", 0x004},
    {"mich", 0x001},
    {"middelbare", 0x400},
    {"mie", 0x001},
    {"miei", 0x001},
    {"mijn", 0x001},
    {"mine", 0x001},
    {"minha", 0x001},
    {"minhas", 0x001},
    {"mio", 0x001},
    {"mir", 0x001},
    {"mis", 0x001},
    {"moeder", 0x100},
    {"moge", 0x040},
    {"moglie", 0x100},
    {"moi", 0x001},
    {"moj", 0x001},
    {"moja", 0x001},
    {"moje", 0x001},
    {"mom", 0x100},
    {"moms", 0x100},
    {"mon", 0x001},
    {"mother", 0x100},
    {"mothers", 0x100},
    {"mozna", 0x040},
    {"mum", 0x100},
    {"mums", 0x100},
    {"mutter", 0x100},
    {"my", 0x001},
    {"myself", 0x001},
    {"nai", 0x008},
    {"nao", 0x008},
    {"nastolatek", 0x800},
    {"nastolatka", 0x800},
    {"ne", 0x008},
    {"neem", 0x002},
    {"nehme", 0x002},
    {"nehmen", 0x002},
    {"neither", 0x008},
    {"nenhum", 0x008},
    {"nenhuma", 0x008},
    {"nessun", 0x008},
    {"nessuna", 0x008},
    {"never", 0x008},
    {"ni", 0x008},
    {"nicht", 0x008},
    {"nie", 0x008},
    {"niet", 0x008},
    {"nina", 0x800},
    {"nino", 0x800},
    {"no", 0x008},
    {"non", 0x008},
    {"none", 0x008},
    {"nooit", 0x008},
    {"nor", 0x008},
    {"not", 0x008},
    {"nothing", 0x008},
    {"novia", 0x100},
    {"novio", 0x100},
    {"nunca", 0x008},
    {"oferecem", 0x040},
    {"offer", 0x040},
    {"offers", 0x040},
    {"offrite", 0x040},
    {"ofrecen", 0x040},
    {"ohne", 0x008},
    {"old", 0x010},
    {"on", 0x002},
    {"padezco", 0x004},
    {"padre", 0x100},
    {"pai", 0x100},
    {"partner", 0x100},
    {"partners", 0x100},
    {"pas", 0x008},
    {"pere", 0x100},
    {"pero", 0x020},
    {"peut", 0x040},
    {"pode", 0x040},
    {"posso", 0x040},
    {"pouvez", 0x040},
    {"prend", 0x002},
    {"prendo", 0x002},
    {"prends", 0x002},
    {"prescribed", 0x002},
    {"preso", 0x002},
    {"previously", 0x200},
    {"pris", 0x002},
    {"prom", 0x400},
    {"proposez", 0x040},
    {"przyjaciel", 0x100},
    {"przyjaciolka", 0x100},
    {"przyjmuje", 0x002},
    {"puede", 0x040},
    {"pueden", 0x040},
    {"puedo", 0x040},
    {"puis", 0x040},
    {"puo", 0x040},
    {"ragazzina", 0x800},
    {"ragazzino", 0x800},
    {"reacted", 0x080},
    {"reaction", 0x080},
    {"realschule", 0x400},
    {"recovered", 0x200},
    {"resolved", 0x200},
    {"roku", 0x010},
    {"sans", 0x008},
    {"school", 0x400},
    {"schools", 0x400},
    {"schule", 0x400},
    {"scuola", 0x400},
    {"secundario", 0x400},
    {"sem", 0x008},
    {"senza", 0x008},
    {"should", 0x040},
    {"sin", 0x008},
    {"sixth", 0x400},
    {"slik", 0x002},
    {"soffro", 0x004},
    {"sofro", 0x004},
    {"sohn", 0x800},
    {"son", 0x800},
    {"sons", 0x800},
    {"souffre", 0x004},
    {"sous", 0x002},
    {"started", 0x002},
    {"starting", 0x002},
    {"stosuje", 0x002},
    {"suffer", 0x004},
    {"suffering", 0x004},
    {"suffers", 0x004},
    {"superiori", 0x400},
    {"syn", 0x800},
    {"szkola", 0x400},
    {"take", 0x002},
    {"taken", 0x002},
    {"takes", 0x002},
    {"taking", 0x002},
    {"tata", 0x100},
    {"teacher", 0x400},
    {"teen", 0x800},
    {"teenage", 0x800},
    {"teenager", 0x800},
    {"temu", 0x200},
    {"tengo", 0x004},
    {"tenho", 0x004},
    {"though", 0x020},
    {"tiener", 0x800},
    {"tive", 0x004},
    {"tochter", 0x800},
    {"tomando", 0x002},
    {"tome", 0x002},
    {"tomei", 0x002},
    {"tomo", 0x002},
    {"took", 0x002},
    {"traitement", 0x002},
    {"turned", 0x010},
    {"turning", 0x010},
    {"turns", 0x010},
    {"tuve", 0x004},
    {"uczulenie", 0x080},
    {"uczulona", 0x080},
    {"uczulony", 0x080},
    {"used", 0x200},
    {"using", 0x002},
    {"vader", 0x100},
    {"vater", 0x100},
    {"vmbo", 0x400},
    {"vriend", 0x100},
    {"vriendin", 0x100},
    {"vroeger", 0x200},
    {"vwo", 0x400},
    {"wasnt", 0x008},
    {"wife", 0x100},
    {"wifes", 0x100},
    {"will", 0x040},
    {"without", 0x008},
    {"would", 0x040},
    {"year", 0x010},
    {"years", 0x010},
    {"yo", 0x011},
    {"yr", 0x410},
    {"yrs", 0x010},
    {"zdiagnozowano", 0x004},
    {"zona", 0x100},
    {"zonder", 0x008},
    {"zoon", 0x800}
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

size_t cc_risk_cue_terms(const char *text, size_t len,
                         const struct cc_vocab_t *vocab, cc_cue_term_t *t,
                         size_t max)
{
    cue_tok_t k;
    size_t i;

    if (!text || !t || max == 0) {
        return 0;
    }
    memset(&k, 0, sizeof(k));
    k.text = text;
    k.t = t;
    k.max = max;
    cc_tok_each(text, len, 0, cue_tok_cb, &k);
    for (i = 0; i < k.n; i++) {
        cc_vocab_class_e cls;

        t[i].vcls = -1;
        if (vocab && !t[i].digits && t[i].n >= 4 && !t[i].cue
            && cc_vocab_lookup(vocab, t[i].s, t[i].n, &cls)) {
            t[i].vcls = (int8_t)cls;
        }
    }
    return k.n;
}

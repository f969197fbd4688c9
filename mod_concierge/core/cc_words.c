/*
 * cc_words.c - the word lists of the booking-intent parser, the
 * dictionary built from them, and the scan of a message into terms.
 *
 * Each term is looked up once in a hash of every word the rules name
 * (ci_dict, built on first use from the word lists below): the entry gives
 * a bit per list the word is in and the weekday or month it names.  The
 * few rules on the Porter2 stem of a term ("booking", "scheduled") get a
 * CI_S_* class, computed once per term and only for terms whose first two
 * letters can start such a stem.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_intent_int.h"

#define CI_MAX_TERMS   1024     /* > CC_INTENT_MAX_BYTES / 2 */

/* ---- word lists -------------------------------------------------------- */

/* days */
static const char *const ci_next_pre[] = {
    "next", "proximo", "proxima", "prochain", "prochaine", NULL
};
static const char *const ci_next_post[] = {
    "prochain", "prochaine", NULL
};
static const char *const ci_this_w[] = {
    "this", "esta", "este", "cette", "ce", "cet", NULL
};
static const char *const ci_list_w[] = {
    "or", "and", "to", "through", "thru", "until", "till", "o", "y", "ou",
    "et", NULL
};
static const char *const ci_ctx_before[] = {
    "on", "next", "this", "coming", "every", "until", "till", "from",
    "by", "before", "or", "and", "between", NULL
};
static const char *const ci_last_w[] = { "last", "past", NULL };
static const char *const ci_the_w[] = { "the", "le", "el", NULL };
static const char *const ci_do_w[] = { "do", "does", NULL };
static const char *const ci_today_w[] = {
    "today", "todays", "tonight", "tonite", "hoy", "aujourdhui", NULL
};
static const char *const ci_tomorrow_w[] = {
    "tomorrow", "tomorrows", "tmrw", "tmr", "tomorow", "tommorow",
    "tommorrow", "demain", NULL
};
static const char *const ci_la_w[] = { "la", "las", "esta", "por", NULL };
static const char *const ci_part_words[] = {
    "morning", "mornings", "afternoon", "afternoons", "evening", "evenings",
    "night", "am", "pm", "matin", "soir", "tarde", "noche", "manana",
    "apres", "aprem", "lunchtime", NULL
};
static const char *const ci_on_w[] = { "on", "el", "le", NULL };
static const char *const ci_of_w[] = { "of", "de", NULL };
static const char *const ci_in_w[] = { "in", "en", "dans", "durante", NULL };
static const char *const ci_days_w[] = {
    "days", "day", "dias", "jours", NULL
};
/* the other words a day mention can start with (ci_date_at) */
static const char *const ci_date_misc[] = {
    "day", "pasado", "apres", "manana", "weekend", "weekends", "finde",
    "week", "fin", "semana", "semaine", NULL
};

/* part of the day */
static const char *const ci_morning[] = {
    "morning", "mornings", "morn", "matin", "matins", "matinee", NULL
};
static const char *const ci_afternoon[] = {
    "afternoon", "afternoons", "arvo", "aprem", "lunch", "lunchtime",
    "lunchtimes", "midday", "noon", "mediodia", "midi", NULL
};
static const char *const ci_evening[] = {
    "evening", "evenings", "tonight", "tonite", "night", "nights",
    "soir", "soirs", "soiree", NULL
};
static const char *const ci_am_ctx[] = {
    "the", "in", "an", "tomorrow", "today", "or", "and", "early", NULL
};
static const char *const ci_am_next[] = {
    "or", "slot", "slots", "appointment", "appointments", "please", NULL
};
/* the other words a part of the day can start with (ci_part_at) */
static const char *const ci_part_misc[] = {
    "before", "first", "manana", "mananas", "tarde", "tardes", "after",
    "noche", "noches", "am", "pm", "a", "p", NULL
};

/* booking cues */
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
static const char *const ci_cita[] = {
    "cita", "citas", "rdv", "rendez", "turno", "turnos", NULL
};
static const char *const ci_avail[] = {
    "availability", "availabilities", "disponibilidad",
    "disponibilidades", "disponibilite", "disponibilites", "slot",
    "slots", "hueco", "huecos", "creneau", "creneaux", "openings",
    "agendar", "earliest", "soonest", NULL
};
static const char *const ci_available[] = {
    "available", "disponible", "disponibles", "dispo", "dispos", "free",
    NULL
};
static const char *const ci_first[] = {
    "next", "first", "earliest", "soonest", NULL
};
static const char *const ci_some[] = {
    "anything", "something", "anyone", "anybody", NULL
};
static const char *const ci_past_subj[] = {
    "i", "we", "ive", "already", "have", "had", "was", NULL
};
static const char *const ci_hours[] = { "hours", "times", "time", NULL };
static const char *const ci_spot_ctx[] = { "any", "free", "open", NULL };
static const char *const ci_space_ctx[] = {
    "any", "there", "have", "got", NULL
};
static const char *const ci_parking[] = { "parking", "car", NULL };
static const char *const ci_come[] = { "come", "pop", "drop", "get", NULL };
static const char *const ci_come_in[] = { "in", "by", "over", NULL };
static const char *const ci_have_got[] = { "have", "got", NULL };
static const char *const ci_pedir[] = { "pedir", "pido", "prendre", NULL };
/* the other words a cue can be (ci_cue_at) */
static const char *const ci_cue_misc[] = {
    "opening", "spot", "spots", "space", "fit", "squeeze", "sign", "see",
    NULL
};

/* vetoes and requests */
static const char *const ci_change[] = {
    "move", "chang", "modifi", "amend", "cambiar", "cambio", "mover",
    "modificar", "deplacer", "modifier", "changer", "reporter", NULL
};
static const char *const ci_soft[] = {
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
static const char *const ci_how_q[] = {
    "much", "far", "long", "early", NULL
};
static const char *const ci_what_q[] = { "happens", "if", NULL };
static const char *const ci_walk_in[] = { "in", "ins", NULL };
static const char *const ci_late_ctx[] = {
    "im", "am", "be", "running", "arrive", "arriving", "was", "were",
    "run", NULL
};
/* the other words a soft veto can start with (ci_soft_veto) */
static const char *const ci_soft_misc[] = {
    "how", "what", "do", "does", "walk", "late", NULL
};
static const char *const ci_want[] = {
    "want", "wanna", "please", "pls", "plz", "quiero", "quisiera",
    "gustaria", "necesito", "voudrais", "veux", "aimerais", "souhaite",
    "souhaiterais", "svp", "favor", "plait", NULL
};
static const char *const ci_would[] = { "id", "would", "wed", NULL };
static const char *const ci_modal[] = {
    "can", "could", "may", "puedo", "puis", "pourrais", NULL
};
static const char *const ci_verbs[] = {
    "book", "reserv", "schedul", "get", "have", "make", "come", "reservar",
    NULL
};
/* the other words a request can start with (ci_request) */
static const char *const ci_req_misc[] = {
    "like", "love", "need", "looking", "hoping", NULL
};

typedef struct ci_list_t {
    const char *const *words;
    uint64_t           bit;
} ci_list_t;

static const ci_list_t ci_lists[] = {
    { ci_next_pre, CI_NEXT_PRE }, { ci_next_post, CI_NEXT_POST },
    { ci_this_w, CI_THIS }, { ci_list_w, CI_LIST },
    { ci_ctx_before, CI_CTX_BEFORE }, { ci_last_w, CI_LAST },
    { ci_the_w, CI_THE }, { ci_do_w, CI_DO }, { ci_today_w, CI_TODAY },
    { ci_tomorrow_w, CI_TOMORROW }, { ci_la_w, CI_LA },
    { ci_part_words, CI_PART }, { ci_on_w, CI_ON }, { ci_of_w, CI_OF },
    { ci_in_w, CI_IN }, { ci_days_w, CI_DAYS },
    { ci_date_misc, CI_DATE_MISC }, { ci_morning, CI_MORNING },
    { ci_afternoon, CI_AFTERNOON }, { ci_evening, CI_EVENING },
    { ci_am_ctx, CI_AM_CTX }, { ci_am_next, CI_AM_NEXT },
    { ci_part_misc, CI_PART_MISC }, { ci_det, CI_DET }, { ci_you, CI_YOU },
    { ci_subj, CI_SUBJ }, { ci_isubj, CI_ISUBJ }, { ci_neg, CI_NEG },
    { ci_nouns, CI_NOUNS }, { ci_cita, CI_CITA }, { ci_avail, CI_AVAIL },
    { ci_available, CI_AVAILABLE }, { ci_first, CI_FIRST },
    { ci_some, CI_SOME }, { ci_past_subj, CI_PAST_SUBJ },
    { ci_hours, CI_HOURS }, { ci_spot_ctx, CI_SPOT_CTX },
    { ci_space_ctx, CI_SPACE_CTX }, { ci_parking, CI_PARKING },
    { ci_come, CI_COME }, { ci_come_in, CI_COME_IN },
    { ci_have_got, CI_HAVE_GOT }, { ci_pedir, CI_PEDIR },
    { ci_cue_misc, CI_CUE_MISC }, { ci_change, CI_CHANGE },
    { ci_soft, CI_SOFT }, { ci_how_q, CI_HOW_Q }, { ci_what_q, CI_WHAT_Q },
    { ci_walk_in, CI_WALK_IN }, { ci_late_ctx, CI_LATE_CTX },
    { ci_soft_misc, CI_SOFT_MISC }, { ci_want, CI_WANT },
    { ci_would, CI_WOULD }, { ci_modal, CI_MODAL }, { ci_verbs, CI_VERBS },
    { ci_req_misc, CI_REQ_MISC },
};

/* ---- names ------------------------------------------------------------- */

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

/* ---- dictionary -------------------------------------------------------- */

#define CI_DICT_MAX 1024        /* words of the lists (about 440) */

/* Built once (ci_init), read-only afterwards. */
static const ci_word_t ci_none;         /* a term in no list */
static ci_word_t      ci_dict[CI_DICT_MAX];
static int            ci_ndict;
static uint16_t       ci_slot[CI_SLOTS];        /* ci_dict index + 1 */
static uint8_t        ci_stem_pfx[26][26];      /* a CI_S_* stem's start */
static pthread_once_t ci_once = PTHREAD_ONCE_INIT;

static const ci_word_t *ci_lookup(const char *w, size_t len, uint64_t k)
{
    uint32_t s;
    uint16_t x;

    if (len > CI_WORD_MAX) {
        return &ci_none;
    }
    for (s = ci_slot_of(k, len); (x = ci_slot[s]) != 0;
         s = (s + 1) & (CI_SLOTS - 1)) {
        const ci_word_t *e = &ci_dict[x - 1];

        if (e->k == k && e->len == len
            && (len <= 8 || memcmp(e->w + 8, w + 8, len - 8) == 0)) {
            return e;
        }
    }
    return &ci_none;
}

int cc_words_in(const char *w, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(w, *list) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The CI_S_* class of a stem. */
static int ci_stem_class(const char *s)
{
    return (strcmp(s, "book") == 0 ? CI_S_BOOK : 0)
           | (strcmp(s, "schedul") == 0 ? CI_S_SCHEDUL : 0)
           | (strcmp(s, "appoint") == 0 ? CI_S_APPOINT : 0)
           | (cc_words_in(s, ci_change) ? CI_S_CHANGE : 0)
           | (cc_words_in(s, ci_verbs) ? CI_S_VERB : 0);
}

/* The CI_S_* class of the stem of w[0..len) (NUL-terminated).  Porter2
 * never lengthens a word and keeps its first two letters whenever the
 * stem has three or more (it only cuts or rewrites suffixes from the
 * third letter on; the exceptions dying/lying/tying have no CI_S_ stem),
 * so with quick set the other words are skipped without stemming. */
static int ci_stem_of(const char *w, size_t len, int quick)
{
    char s[CC_TOK_MAX + 1];
    unsigned a, b;

    if (len < 3 || len >= CC_TOK_MAX) {
        return 0;               /* stems of CC_TOK_MAX bytes are the word */
    }
    a = (unsigned char)w[0] - 'a';
    b = (unsigned char)w[1] - 'a';
    if (quick && (a >= 26 || b >= 26 || !ci_stem_pfx[a][b])) {
        return 0;
    }
    memcpy(s, w, len + 1);
    cc_stem_english(s, len);
    return ci_stem_class(s);
}

static ci_word_t *ci_dict_add(const char *w, size_t len)
{
    uint64_t k = ci_key(w, len);
    uint32_t s;
    uint16_t x;
    ci_word_t *e;

    if (len > CI_WORD_MAX) {
        return NULL;            /* no word of the lists is that long */
    }
    for (s = ci_slot_of(k, len); (x = ci_slot[s]) != 0;
         s = (s + 1) & (CI_SLOTS - 1)) {
        if (ci_dict[x - 1].len == len && memcmp(ci_dict[x - 1].w, w,
                                                len) == 0) {
            return &ci_dict[x - 1];
        }
    }
    if (ci_ndict >= CI_DICT_MAX) {
        return NULL;            /* CI_DICT_MAX covers the lists */
    }
    e = &ci_dict[ci_ndict++];
    memcpy(e->w, w, len);
    e->w[len] = '\0';
    e->len = (uint8_t)len;
    e->k = k;
    e->stem = (uint8_t)ci_stem_of(e->w, len, 0);
    ci_slot[s] = (uint16_t)ci_ndict;
    return e;
}

static void ci_init(void)
{
    static const char *const stems[] = { "book", "schedul", "appoint",
                                         NULL };
    const char *const *const targets[] = { stems, ci_change, ci_verbs };
    const char *const *q;
    const ci_name_t *d;
    ci_word_t *e;
    char buf[CI_WORD_MAX + 2];
    size_t i, len;

    for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        for (q = targets[i]; *q; q++) {
            ci_stem_pfx[(*q)[0] - 'a'][(*q)[1] - 'a'] = 1;
        }
    }
    for (i = 0; i < sizeof(ci_lists) / sizeof(ci_lists[0]); i++) {
        for (q = ci_lists[i].words; *q; q++) {
            if ((e = ci_dict_add(*q, strlen(*q))) != NULL) {
                e->bits |= ci_lists[i].bit;
            }
        }
    }
    /* weekdays, and their plurals ("tuesdays", "lundis": more than five
     * letters ending in s) */
    for (d = ci_weekdays; d->w; d++) {
        len = strlen(d->w);
        if ((e = ci_dict_add(d->w, len)) != NULL && !e->wd) {
            e->wd = d;
        }
        if (len + 1 > 5 && len + 1 <= CI_WORD_MAX) {
            memcpy(buf, d->w, len);
            buf[len] = 's';
            buf[len + 1] = '\0';
            if ((e = ci_dict_add(buf, len + 1)) != NULL && !e->wdpl) {
                e->wdpl = d;
            }
        }
    }
    for (d = ci_months; d->w; d++) {
        if ((e = ci_dict_add(d->w, strlen(d->w))) != NULL && !e->mon) {
            e->mon = d;
        }
    }
}

/* ---- terms ------------------------------------------------------------- */

static int ci_collect(void *baton, const char *term, size_t len,
                      uint32_t pos, size_t start, size_t end)
{
    ci_ctx_t *c = baton;
    ci_tok_t *t;
    size_t i;

    if (c->n >= c->cap) {
        c->full = 1;
        return 1;
    }
    t = &c->t[c->n++];
    if (len > CC_TOK_MAX) {
        len = CC_TOK_MAX;
    }
    memcpy(t->w, term, len);
    t->w[len] = '\0';
    t->len = (uint8_t)len;
    t->start = (uint32_t)start;
    t->end = (uint32_t)end;
    t->k = ci_key(t->w, len);
    t->e = ci_lookup(t->w, len, t->k);
    t->stem = (uint8_t)(t->e != &ci_none ? t->e->stem
                        : ci_stem_of(t->w, len, 1));
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

void cc_words_scan(ci_ctx_t *c, apr_pool_t *p, ci_tok_t *local, int nlocal)
{
    pthread_once(&ci_once, ci_init);
    c->t = local;
    c->cap = nlocal;
    if (c->len > 0) {
        cc_tok_each(c->msg, c->len, 0, ci_collect, c);
        if (c->full) {
            /* a long message: again, with room for every term */
            c->t = apr_palloc(p, sizeof(ci_tok_t) * CI_MAX_TERMS);
            c->cap = CI_MAX_TERMS;
            c->n = 0;
            c->full = 0;
            cc_tok_each(c->msg, c->len, 0, ci_collect, c);
        }
    }
}

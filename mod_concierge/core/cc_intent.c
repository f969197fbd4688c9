/*
 * cc_intent.c - booking intent, service and day recognition in a chat
 * message.  See cc_intent.h for the rules.
 *
 * The message (first CC_INTENT_MAX_BYTES bytes) is tokenised once with
 * cc_tok into folded terms with their byte offsets.  Each term is looked up
 * once in a hash of every word the rules name (ci_dict, built on first use
 * from the word lists below): the entry gives a bit per list the word is in
 * (ci_has) and the weekday or month it names, so the rules test bits
 * rather than compare strings.  A rule naming one word (ci_is) compares the
 * term's first eight bytes, packed in an integer, and its length.  The few
 * rules on the Porter2 stem of a term ("booking", "scheduled") get a
 * CI_S_* class, computed once per term and only for terms whose first two
 * letters can start such a stem; full stems are computed only to match
 * services.  Four passes follow over the terms, each linear with a small
 * constant look around: day mentions, part of the day, service scores
 * (the message stems against the services' stems), and the booking cues
 * and vetoes.  Adjacent terms are joined by one punctuation byte ("03/12",
 * "2026-12-03", "10:30") only when the offsets say so.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_intent.h"
#include "cc_tok.h"
#include "cc_tz.h"

#define CI_MAX_TERMS   1024     /* > CC_INTENT_MAX_BYTES / 2 */
#define CI_LOCAL_TERMS 64       /* terms kept on the stack (more: pool) */
#define CI_MAX_RANGES  16
#define CI_SVC_TERMS   64       /* terms kept per service */
#define CI_W           2520     /* lcm(1..10): weight of a unique term */

/* ---- word lists -------------------------------------------------------- */

/* Every list a rule tests a term against is a bit of the term's dictionary
 * entry; ci_lists[] below ties each list to its bit. */
#define CI_NEXT_PRE     (UINT64_C(1) << 0)
#define CI_NEXT_POST    (UINT64_C(1) << 1)
#define CI_THIS         (UINT64_C(1) << 2)
#define CI_LIST         (UINT64_C(1) << 3)
#define CI_CTX_BEFORE   (UINT64_C(1) << 4)
#define CI_LAST         (UINT64_C(1) << 5)
#define CI_THE          (UINT64_C(1) << 6)
#define CI_DO           (UINT64_C(1) << 7)
#define CI_TODAY        (UINT64_C(1) << 8)
#define CI_TOMORROW     (UINT64_C(1) << 9)
#define CI_LA           (UINT64_C(1) << 10)
#define CI_PART         (UINT64_C(1) << 11)
#define CI_ON           (UINT64_C(1) << 12)
#define CI_OF           (UINT64_C(1) << 13)
#define CI_IN           (UINT64_C(1) << 14)
#define CI_DAYS         (UINT64_C(1) << 15)
#define CI_DATE_MISC    (UINT64_C(1) << 16)
#define CI_MORNING      (UINT64_C(1) << 17)
#define CI_AFTERNOON    (UINT64_C(1) << 18)
#define CI_EVENING      (UINT64_C(1) << 19)
#define CI_AM_CTX       (UINT64_C(1) << 20)
#define CI_AM_NEXT      (UINT64_C(1) << 21)
#define CI_PART_MISC    (UINT64_C(1) << 22)
#define CI_DET          (UINT64_C(1) << 23)
#define CI_YOU          (UINT64_C(1) << 24)
#define CI_SUBJ         (UINT64_C(1) << 25)
#define CI_ISUBJ        (UINT64_C(1) << 26)
#define CI_NEG          (UINT64_C(1) << 27)
#define CI_NOUNS        (UINT64_C(1) << 28)
#define CI_CITA         (UINT64_C(1) << 29)
#define CI_AVAIL        (UINT64_C(1) << 30)
#define CI_AVAILABLE    (UINT64_C(1) << 31)
#define CI_FIRST        (UINT64_C(1) << 32)
#define CI_SOME         (UINT64_C(1) << 33)
#define CI_PAST_SUBJ    (UINT64_C(1) << 34)
#define CI_HOURS        (UINT64_C(1) << 35)
#define CI_SPOT_CTX     (UINT64_C(1) << 36)
#define CI_SPACE_CTX    (UINT64_C(1) << 37)
#define CI_PARKING      (UINT64_C(1) << 38)
#define CI_COME         (UINT64_C(1) << 39)
#define CI_COME_IN      (UINT64_C(1) << 40)
#define CI_HAVE_GOT     (UINT64_C(1) << 41)
#define CI_PEDIR        (UINT64_C(1) << 42)
#define CI_CUE_MISC     (UINT64_C(1) << 43)
#define CI_CHANGE       (UINT64_C(1) << 44)
#define CI_SOFT         (UINT64_C(1) << 45)
#define CI_HOW_Q        (UINT64_C(1) << 46)
#define CI_WHAT_Q       (UINT64_C(1) << 47)
#define CI_WALK_IN      (UINT64_C(1) << 48)
#define CI_LATE_CTX     (UINT64_C(1) << 49)
#define CI_SOFT_MISC    (UINT64_C(1) << 50)
#define CI_WANT         (UINT64_C(1) << 51)
#define CI_WOULD        (UINT64_C(1) << 52)
#define CI_MODAL        (UINT64_C(1) << 53)
#define CI_VERBS        (UINT64_C(1) << 54)
#define CI_REQ_MISC     (UINT64_C(1) << 55)

/* Gates: a term in none of a pass's lists (and naming no weekday or month
 * for the days) cannot start anything in that pass. */
#define CI_DATE_GATE (CI_TODAY | CI_TOMORROW | CI_THIS | CI_IN | CI_DATE_MISC)
#define CI_PART_GATE (CI_MORNING | CI_AFTERNOON | CI_EVENING | CI_PART_MISC)
#define CI_CUE_GATE  (CI_AVAIL | CI_AVAILABLE | CI_CUE_MISC | CI_COME \
                      | CI_SOME | CI_PEDIR)
#define CI_SOFT_GATE (CI_SOFT | CI_SOFT_MISC)
#define CI_REQ_GATE  (CI_WANT | CI_MODAL | CI_REQ_MISC)

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
static const char *const ci_hard_pre[] = {
    "cancel", "annul", "anul", "reschedul", "rebook", "postpon",
    "reprogram", "aplaz", NULL
};
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

/* What the English stem of a term is, for the rules on stems. */
#define CI_S_BOOK    0x01       /* "book" */
#define CI_S_SCHEDUL 0x02       /* "schedul" */
#define CI_S_APPOINT 0x04       /* "appoint" */
#define CI_S_CHANGE  0x08       /* in ci_change */
#define CI_S_VERB    0x10       /* in ci_verbs */

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

/* ---- dictionary -------------------------------------------------------- */

#define CI_WORD_MAX 23          /* longest word of the lists, + "s" */
#define CI_DICT_MAX 1024        /* words of the lists (about 440) */
#define CI_SLOTS    2048        /* power of two, >= 2 * CI_DICT_MAX */

typedef struct ci_word_t {
    uint64_t         k;         /* CI_KEY of w */
    uint64_t         bits;      /* CI_*: the lists the word is in */
    const ci_name_t *wd;        /* the weekday it names */
    const ci_name_t *wdpl;      /* the weekday it is the plural of */
    const ci_name_t *mon;       /* the month it names */
    uint8_t          len;
    uint8_t          stem;      /* CI_S_* of its stem */
    char             w[CI_WORD_MAX + 1];
} ci_word_t;

/* Built once (ci_init), read-only afterwards. */
static const ci_word_t ci_none;         /* a term in no list */
static ci_word_t      ci_dict[CI_DICT_MAX];
static int            ci_ndict;
static uint16_t       ci_slot[CI_SLOTS];        /* ci_dict index + 1 */
static uint8_t        ci_stem_pfx[26][26];      /* a CI_S_* stem's start */
static pthread_once_t ci_once = PTHREAD_ONCE_INIT;

/* The first 8 bytes of a word packed in an integer (zero padded). */
static inline uint64_t ci_key(const char *w, size_t len)
{
    uint64_t k = 0;
    size_t i;

    for (i = 0; i < len && i < 8; i++) {
        k |= (uint64_t)(unsigned char)w[i] << (8 * i);
    }
    return k;
}

/* ci_key of a string literal, folded by the compiler. */
#define CI_KB(s, n)                                                         \
    ((n) < sizeof(s) - 1                                                    \
     ? (uint64_t)(unsigned char)(s)[(n) < sizeof(s) - 1 ? (n) : 0]          \
       << (8 * (n)) : 0)
#define CI_KEY(s)                                                           \
    (CI_KB(s, 0) | CI_KB(s, 1) | CI_KB(s, 2) | CI_KB(s, 3) | CI_KB(s, 4)    \
     | CI_KB(s, 5) | CI_KB(s, 6) | CI_KB(s, 7))

static inline uint32_t ci_slot_of(uint64_t k, size_t len)
{
    return (uint32_t)(((k ^ ((uint64_t)len << 56))
                       * UINT64_C(0x9e3779b97f4a7c15)) >> 40)
           & (CI_SLOTS - 1);
}

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

static int ci_in(const char *w, const char *const *list)
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
           | (ci_in(s, ci_change) ? CI_S_CHANGE : 0)
           | (ci_in(s, ci_verbs) ? CI_S_VERB : 0);
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

typedef struct ci_tok_t {
    char             w[CC_TOK_MAX + 1];  /* folded term */
    uint8_t          len;                /* strlen(w) */
    uint8_t          stem;               /* CI_S_* of its stem */
    int              num;       /* leading digits' value, -1: none / huge */
    int              ndig;      /* number of leading digits */
    uint32_t         start, end;         /* byte offsets in the message */
    uint64_t         k;                  /* ci_key(w) */
    const ci_word_t *e;                  /* its entry, or &ci_none */
} ci_tok_t;

typedef struct ci_ctx_t {
    const char *msg;
    size_t      len;
    ci_tok_t   *t;
    int         n;
    int         cap;            /* room in t */
    int         full;           /* a term did not fit */
    int64_t     today;
    int         twd;            /* weekday of today, 0 = Monday */
    int64_t     rf[CI_MAX_RANGES];
    int         rd[CI_MAX_RANGES];
    int         nr;
    int         parts;          /* bit (1 << CC_PART_*) per part seen */
} ci_ctx_t;

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

/* Term i is the word s (a string literal). */
#define ci_is(c, i, s) ci_is_k((c), (i), CI_KEY("" s), sizeof(s) - 1, (s))

static inline int ci_is_k(const ci_ctx_t *c, int i, uint64_t k, size_t n,
                          const char *s)
{
    const ci_tok_t *t;

    if (i < 0 || i >= c->n) {
        return 0;
    }
    t = &c->t[i];
    return t->k == k && t->len == n
           && (n <= 8 || memcmp(t->w + 8, s + 8, n - 8) == 0);
}

/* Term t starts with s (a string literal). */
#define ci_prefix(t, s) ci_prefix_k((t), CI_KEY("" s), sizeof(s) - 1, (s))

static inline int ci_prefix_k(const ci_tok_t *t, uint64_t k, size_t n,
                              const char *s)
{
    uint64_t mask = n >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * n)) - 1;

    return t->len >= n && (t->k & mask) == k
           && (n <= 8 || memcmp(t->w + 8, s + 8, n - 8) == 0);
}

/* Term i is in one of the lists of bits. */
static inline int ci_has(const ci_ctx_t *c, int i, uint64_t bits)
{
    return i >= 0 && i < c->n && (c->t[i].e->bits & bits) != 0;
}

/* One of the n terms before i is in one of the lists of bits. */
static int ci_before(const ci_ctx_t *c, int i, int n, uint64_t bits)
{
    int k;

    for (k = 1; k <= n; k++) {
        if (ci_has(c, i - k, bits)) {
            return 1;
        }
    }
    return 0;
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
static int ci_date_at(ci_ctx_t *c, int i)
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

static int ci_part_at(ci_ctx_t *c, int i)
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

    return (*s >= '0' && *s <= '9') || ci_in(s, g);
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
    pthread_once(&ci_once, ci_init);
    memset(&c, 0, sizeof(c));
    c.msg = msg;
    c.len = len;
    c.today = today;
    c.twd = cc_weekday(today);
    c.t = local;
    c.cap = CI_LOCAL_TERMS;
    if (len > 0) {
        cc_tok_each(msg, len, 0, ci_collect, &c);
        if (c.full) {
            /* a long message: again, with room for every term */
            c.t = apr_palloc(p, sizeof(ci_tok_t) * CI_MAX_TERMS);
            c.cap = CI_MAX_TERMS;
            c.n = 0;
            c.full = 0;
            cc_tok_each(msg, len, 0, ci_collect, &c);
        }
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

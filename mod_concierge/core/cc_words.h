/*
 * cc_words.h - private to the booking-intent parser (cc_words.c,
 * cc_when.c, cc_intent.c); not a public header.  The dictionary of every
 * word the rules name: a bit per word list, the weekday or month a word
 * names, the class of its stem, and the packed key terms are compared by.
 */
#ifndef CC_WORDS_H
#define CC_WORDS_H

#include <stddef.h>
#include <stdint.h>

/* ---- word lists -------------------------------------------------------- */

/* Every list a rule tests a term against is a bit of the term's dictionary
 * entry; ci_lists[] (cc_words.c) ties each list to its bit. */
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

/* ---- dictionary -------------------------------------------------------- */

#define CI_WORD_MAX 23          /* longest word of the lists, + "s" */
#define CI_SLOTS    2048        /* power of two, >= twice the words */

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

/* w is one of the NULL-terminated list. */
int cc_words_in(const char *w, const char *const *list);

#endif

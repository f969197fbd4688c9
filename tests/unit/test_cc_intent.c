/* Unit tests: cc_intent (booking requests vs questions about booking,
 * service matching with aliases, ambiguity and whole-word matching, day
 * mentions relative to several "today" values, part of the day, Spanish
 * and French forms, robustness against arbitrary bytes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_intent.h"
#include "cc_tz.h"
#include "suites.h"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

static const cc_intent_service_t svcs[] = {
    { 10, "Chemical peel", "peel, skin peel" },                        /* 0 */
    { 11, "Dermal fillers", "lip filler, lip fillers, fillers, "
                            "cheek filler" },                          /* 1 */
    { 12, "Anti-wrinkle injections", "botox, anti wrinkle, "
                                     "wrinkle relaxing" },             /* 2 */
    { 13, "Laser hair removal", "hair removal" },                      /* 3 */
    { 14, "HydraFacial", "facial, hydra facial" },                     /* 4 */
    { 15, "Skin consultation", "consultation, consult" },              /* 5 */
    { 16, "Microneedling", "micro needling, collagen induction" },     /* 6 */
    { 17, "Laser skin resurfacing", "resurfacing" },                   /* 7 */
    { 18, "Express facial", NULL },                                    /* 8 */
    { 19, "Express glow", "" },                                        /* 9 */
};
#define NSVCS ((int)(sizeof(svcs) / sizeof(svcs[0])))

/* Today: a Tuesday, a Saturday, a Sunday, New Year's Eve (a Thursday). */
#define TUE 2026, 12, 1
#define SAT 2026, 12, 5
#define SUN 2026, 12, 6
#define NYE 2026, 12, 31

#define NONE  (-1)      /* service: no match */
#define AMB   (-2)      /* service: ambiguous */
#define ANYS  (-9)      /* service: not checked */
#define NOD   0, 0, 0, 7        /* no day given: today + 7 days */
#define NOCHK (-1), 0, 0, 0     /* days: not checked */
#define DAY(y, m, d) y, m, d, 1

typedef struct intent_case_t {
    const char *msg;
    int ty, tm, td;             /* today */
    int booking;                /* -1: not checked */
    int service;                /* index, NONE, AMB or ANYS */
    int fy, fm, fd, days;       /* expected from_day / days; fy 0: none
                                   given; fy -1: not checked */
    int part;                   /* -1: not checked */
} intent_case_t;

static const intent_case_t cases[] = {
    /* ---- booking requests --------------------------------------------- */
    { "I'd like to book a chemical peel", TUE, 1, 0, NOD, 0 },
    { "Can I make an appointment for botox?", TUE, 1, 2, NOD, 0 },
    { "Do you have any availability tomorrow afternoon?", TUE, 1, NONE,
      DAY(2026, 12, 2), 2 },
    { "Any free slots next week?", TUE, 1, NONE, 2026, 12, 7, 7, 0 },
    { "When can I come in for fillers?", TUE, 1, 1, NOD, 0 },
    { "Can I come in on Friday morning?", TUE, 1, NONE, DAY(2026, 12, 4),
      1 },
    { "Is there space on Saturday for a facial?", TUE, 1, AMB,
      DAY(2026, 12, 5), 0 },
    { "What's your next available appointment for laser hair removal?",
      TUE, 1, 3, NOD, 0 },
    { "I want to schedule a consultation", TUE, 1, 5, NOD, 0 },
    { "Please reserve me a slot for micro-needling on Thursday", TUE, 1, 6,
      DAY(2026, 12, 3), 0 },
    { "BOOKING for Botox!!! tues pm", TUE, 1, 2, DAY(2026, 12, 1), 2 },
    { "Quiero reservar una cita para mañana por la mañana", TUE, 1, NONE,
      DAY(2026, 12, 2), 1 },
    { "¿Puedo pedir cita para el martes?", TUE, 1, NONE, DAY(2026, 12, 1),
      0 },
    { "Je voudrais prendre rendez-vous jeudi après-midi", TUE, 1, NONE,
      DAY(2026, 12, 3), 2 },
    { "prendre rdv demain soir", TUE, 1, NONE, DAY(2026, 12, 2), 3 },
    { "RÉSERVER un peeling samedi", TUE, 1, 0, DAY(2026, 12, 5), 0 },
    { "Are you free tomorrow after work?", TUE, 1, NONE, DAY(2026, 12, 2),
      3 },
    { "Can you fit me in this week?", TUE, 1, NONE, 2026, 12, 1, 6, 0 },
    { "I'd like a peel on Friday", TUE, 1, 0, DAY(2026, 12, 4), 0 },
    { "hay disponibilidad el viernes?", TUE, 1, NONE, DAY(2026, 12, 4), 0 },
    { "Any openings this weekend?", SUN, 1, NONE, DAY(2026, 12, 6), 0 },
    { "are you fully booked on sat?", TUE, 1, NONE, DAY(2026, 12, 5), 0 },
    { "I'd like to book a peel, do I need to pay a deposit?", TUE, 1, 0,
      NOD, 0 },
    { "book me in for a glow", TUE, 1, 9, NOD, 0 },
    { "book a massage", TUE, 1, NONE, NOD, 0 },
    { "how do I book?", TUE, 1, NONE, NOD, 0 },
    { "What's the earliest I can get a peel?", TUE, 1, 0, NOD, 0 },
    { "I'm free any time next week, what have you got for a hydrafacial",
      TUE, 1, 4, 2026, 12, 7, 7, 0 },
    { "Can I have a hydrafacial on Monday the 7th?", TUE, 1, 4,
      DAY(2026, 12, 7), 0 },
    { "Got anything Thursday evening for botox?", TUE, 1, 2,
      DAY(2026, 12, 3), 3 },
    { "I'd like to book a peel for the 10th of january at 10:30", TUE, 1,
      0, DAY(2027, 1, 10), 1 },
    { "Necesito una cita para botox el lunes", TUE, 1, 2, DAY(2026, 12, 7),
      0 },
    { "peel 4/12 please", TUE, 1, 0, DAY(2026, 12, 4), 0 },
    /* ---- questions about booking, and other non-requests -------------- */
    { "How do I cancel my booking?", TUE, 0, NONE, NOD, 0 },
    { "What is your cancellation policy?", TUE, 0, NONE, NOD, 0 },
    { "Can I reschedule?", TUE, 0, NONE, NOD, 0 },
    { "Do I need to pay a deposit when booking?", TUE, 0, NONE, NOD, 0 },
    { "How far in advance should I book?", TUE, 0, NONE, NOD, 0 },
    { "What should I bring to my appointment?", TUE, 0, NONE, NOD, 0 },
    { "Is my booking confirmed?", TUE, 0, NONE, NOD, 0 },
    { "I can't come in on Tuesday", TUE, 0, NONE, DAY(2026, 12, 1), 0 },
    { "Can I change my appointment to Friday?", TUE, 0, NONE,
      DAY(2026, 12, 4), 0 },
    { "What are your opening hours on Saturday?", TUE, 0, NONE,
      DAY(2026, 12, 5), 0 },
    { "Is botox safe during pregnancy?", TUE, 0, 2, NOD, 0 },
    { "Do I need an appointment for a consultation?", TUE, 0, 5, NOD, 0 },
    { "¿Cómo cancelo mi cita?", TUE, 0, NONE, NOD, 0 },
    { "Je veux annuler mon rendez-vous", TUE, 0, NONE, NOD, 0 },
    { "I don't want to book anything", TUE, 0, NONE, NOD, 0 },
    { "I booked a peel last week, can I wear makeup after?", TUE, 0, 0,
      NOD, 0 },
    { "Do you accept walk-ins or do I have to book?", TUE, 0, NONE, NOD,
      0 },
    { "What happens if I'm late for my appointment?", TUE, 0, NONE, NOD,
      0 },
    { "Can I re-book my slot?", TUE, 0, NONE, NOD, 0 },
    { "I'd like to get in touch with the nurse", TUE, 0, NONE, NOD, 0 },
    { "hello", TUE, 0, NONE, NOD, 0 },
    { "is parking available?", TUE, 0, NONE, NOD, 0 },
    { "is botox available for men?", TUE, 0, 2, NOD, 0 },
    { "can i pay the deposit later?", TUE, 0, NONE, NOD, 0 },
    { "Sorry, no, I don't need to book", TUE, 0, NONE, NOD, 0 },
    { "I was free yesterday", TUE, 0, NONE, NOD, 0 },
    /* ---- services --------------------------------------------------- */
    { "lip filler", TUE, 0, 1, NOD, 0 },
    { "Anti-wrinkle treatment", TUE, 0, 2, NOD, 0 },
    { "laser", TUE, 0, AMB, NOD, 0 },
    { "laser hair removal", TUE, 0, 3, NOD, 0 },
    { "skin", TUE, 0, AMB, NOD, 0 },
    { "skin peel", TUE, 0, 0, NOD, 0 },
    { "facial", TUE, 0, AMB, NOD, 0 },
    { "an express facial", TUE, 0, 8, NOD, 0 },
    { "HYDRAFACIAL", TUE, 0, 4, NOD, 0 },
    { "collagen induction", TUE, 0, 6, NOD, 0 },
    { "express appointment", TUE, -1, NONE, NOD, 0 },
    { "an eclipse, lipstick, a clip, a refill, appealing", TUE, 0, NONE,
      NOD, 0 },
    { "Peels and fillers", TUE, 0, AMB, NOD, 0 },
    /* ---- days: Tuesday 1 December 2026 ------------------------------ */
    { "today", TUE, -1, ANYS, DAY(2026, 12, 1), 0 },
    { "tonight", TUE, -1, ANYS, DAY(2026, 12, 1), 3 },
    { "tomorrow", TUE, -1, ANYS, DAY(2026, 12, 2), 0 },
    { "the day after tomorrow", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "on Tuesday", TUE, -1, ANYS, DAY(2026, 12, 1), 0 },
    { "this Tuesday", TUE, -1, ANYS, DAY(2026, 12, 1), 0 },
    { "next Tuesday", TUE, -1, ANYS, DAY(2026, 12, 8), 0 },
    { "next Thursday", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "Monday", TUE, -1, ANYS, DAY(2026, 12, 7), 0 },
    { "Tuesday next week", TUE, -1, ANYS, DAY(2026, 12, 8), 0 },
    { "next week on Wednesday", TUE, -1, ANYS, DAY(2026, 12, 9), 0 },
    { "this week", TUE, -1, ANYS, 2026, 12, 1, 6, 0 },
    { "next week", TUE, -1, ANYS, 2026, 12, 7, 7, 0 },
    { "the week after next", TUE, -1, ANYS, 2026, 12, 14, 7, 0 },
    { "this weekend", TUE, -1, ANYS, 2026, 12, 5, 2, 0 },
    { "next weekend", TUE, -1, ANYS, 2026, 12, 12, 2, 0 },
    { "3 December", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "December 3", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "3rd Dec", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "the 3rd of December", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "03/12", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "2026-12-03", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "1 December", TUE, -1, ANYS, DAY(2026, 12, 1), 0 },
    { "30 November", TUE, -1, ANYS, DAY(2027, 11, 30), 0 },
    { "12/01/2027", TUE, -1, ANYS, DAY(2027, 1, 12), 0 },
    { "wed or thu", TUE, -1, ANYS, 2026, 12, 2, 2, 0 },
    { "Tuesday or Wednesday next week", TUE, -1, ANYS, 2026, 12, 8, 2, 0 },
    { "Tuesday, Wednesday or Friday this week", TUE, -1, ANYS,
      2026, 12, 1, 4, 0 },
    { "Tuesday of next week", TUE, -1, ANYS, DAY(2026, 12, 8), 0 },
    { "in 3 days", TUE, -1, ANYS, DAY(2026, 12, 4), 0 },
    { "on the 3rd", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "in January", TUE, -1, ANYS, 2027, 1, 1, 31, 0 },
    { "mañana", TUE, -1, ANYS, DAY(2026, 12, 2), 0 },
    { "pasado mañana", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "après-demain", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "el próximo martes", TUE, -1, ANYS, DAY(2026, 12, 8), 0 },
    { "mardi prochain", TUE, -1, ANYS, DAY(2026, 12, 8), 0 },
    { "la semana que viene", TUE, -1, ANYS, 2026, 12, 7, 7, 0 },
    { "3 de diciembre", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "le 3 décembre", TUE, -1, ANYS, DAY(2026, 12, 3), 0 },
    { "hoy", TUE, -1, ANYS, DAY(2026, 12, 1), 0 },
    { "on sat", TUE, -1, ANYS, DAY(2026, 12, 5), 0 },
    { "Can I go in the sun after a peel?", TUE, -1, 0, NOD, 0 },
    { "I sat in the waiting room for ages", TUE, -1, ANYS, NOD, 0 },
    { "May I book?", TUE, 1, ANYS, NOD, 0 },
    { "31 February", TUE, -1, ANYS, NOD, 0 },
    { "last Friday", TUE, -1, ANYS, NOD, 0 },
    /* ---- days: Saturday 5 and Sunday 6 December 2026 ------------------ */
    { "this weekend", SAT, -1, ANYS, 2026, 12, 5, 2, 0 },
    { "this week", SUN, -1, ANYS, DAY(2026, 12, 6), 0 },
    { "next week", SUN, -1, ANYS, 2026, 12, 7, 7, 0 },
    { "on Sunday", SUN, -1, ANYS, DAY(2026, 12, 6), 0 },
    { "next Sunday", SUN, -1, ANYS, DAY(2026, 12, 13), 0 },
    { "next Monday", SUN, -1, ANYS, DAY(2026, 12, 7), 0 },
    { "this weekend", SUN, -1, ANYS, DAY(2026, 12, 6), 0 },
    { "next weekend", SUN, -1, ANYS, 2026, 12, 12, 2, 0 },
    /* ---- days: Thursday 31 December 2026 ----------------------------- */
    { "tomorrow", NYE, -1, ANYS, DAY(2027, 1, 1), 0 },
    { "3 December", NYE, -1, ANYS, DAY(2027, 12, 3), 0 },
    { "31/12", NYE, -1, ANYS, DAY(2026, 12, 31), 0 },
    { "next week", NYE, -1, ANYS, 2027, 1, 4, 7, 0 },
    { "this week", NYE, -1, ANYS, 2026, 12, 31, 4, 0 },
    { "Friday", NYE, -1, ANYS, DAY(2027, 1, 1), 0 },
    { "Thursday", NYE, -1, ANYS, DAY(2026, 12, 31), 0 },
    { "next thursday", NYE, -1, ANYS, DAY(2027, 1, 7), 0 },
    { "2027-01-02", NYE, -1, ANYS, DAY(2027, 1, 2), 0 },
    { "29 Feb", NYE, -1, ANYS, DAY(2028, 2, 29), 0 },
    { "01/01/27", NYE, -1, ANYS, DAY(2027, 1, 1), 0 },
    { "in December", NYE, -1, ANYS, DAY(2026, 12, 31), 0 },
    /* ---- part of the day ---------------------------------------------- */
    { "morning", TUE, -1, ANYS, NOD, 1 },
    { "in the afternoon", TUE, -1, ANYS, NOD, 2 },
    { "evenings are best", TUE, -1, ANYS, NOD, 3 },
    { "after work", TUE, -1, ANYS, NOD, 3 },
    { "lunchtime", TUE, -1, ANYS, NOD, 2 },
    { "tomorrow am", TUE, -1, ANYS, DAY(2026, 12, 2), 1 },
    { "pm please", TUE, -1, ANYS, NOD, 2 },
    { "I am free", TUE, -1, ANYS, NOD, 0 },
    { "10am", TUE, -1, ANYS, NOD, 1 },
    { "2pm", TUE, -1, ANYS, NOD, 2 },
    { "7 pm", TUE, -1, ANYS, NOD, 3 },
    { "10:30am", TUE, -1, ANYS, NOD, 1 },
    { "at 14:00", TUE, -1, ANYS, NOD, 2 },
    { "3:30", TUE, -1, ANYS, NOD, 2 },
    { "6.30pm", TUE, -1, ANYS, NOD, 3 },
    { "before 11 a.m.", TUE, -1, ANYS, NOD, 1 },
    { "morning or afternoon", TUE, -1, ANYS, NOD, 0 },
    { "this morning", TUE, -1, ANYS, DAY(2026, 12, 1), 1 },
    { "por la tarde", TUE, -1, ANYS, NOD, 2 },
    { "le soir", TUE, -1, ANYS, NOD, 3 },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

START_TEST(test_intent_table)
{
    const intent_case_t *c = &cases[_i];
    apr_pool_t *p = new_pool();
    int64_t today = cc_days_from_civil(c->ty, c->tm, c->td);
    cc_book_intent_t o;
    int rc;

    memset(&o, 0x5a, sizeof(o));
    rc = cc_intent_booking(p, c->msg, strlen(c->msg), svcs, NSVCS, today,
                           &o);
    ck_assert_int_eq(rc, o.booking);
    if (c->booking >= 0) {
        ck_assert_msg(o.booking == c->booking, "\"%s\": booking %d, want %d",
                      c->msg, o.booking, c->booking);
    }
    if (c->service == AMB) {
        ck_assert_msg(o.ambiguous == 1 && o.service == -1,
                      "\"%s\": service %d ambiguous %d, want ambiguous",
                      c->msg, o.service, o.ambiguous);
    }
    else if (c->service != ANYS) {
        ck_assert_msg(o.service == c->service && o.ambiguous == 0,
                      "\"%s\": service %d ambiguous %d, want %d", c->msg,
                      o.service, o.ambiguous, c->service);
    }
    if (c->fy == 0) {
        ck_assert_msg(o.date_given == 0 && o.from_day == today
                      && o.days == CC_INTENT_DEFAULT_DAYS,
                      "\"%s\": date_given %d from %lld days %d, want none",
                      c->msg, o.date_given, (long long)(o.from_day - today),
                      o.days);
    }
    else if (c->fy > 0) {
        int64_t want = cc_days_from_civil(c->fy, c->fm, c->fd);
        int y, m, d;

        cc_civil_from_days(o.from_day, &y, &m, &d);
        ck_assert_msg(o.date_given == 1 && o.from_day == want
                      && o.days == c->days,
                      "\"%s\": date_given %d from %04d-%02d-%02d days %d, "
                      "want %04d-%02d-%02d days %d", c->msg, o.date_given,
                      y, m, d, o.days, c->fy, c->fm, c->fd, c->days);
    }
    if (c->part >= 0) {
        ck_assert_msg(o.part == c->part, "\"%s\": part %d, want %d", c->msg,
                      o.part, c->part);
    }
    apr_pool_destroy(p);
}
END_TEST

/* The weekday rules over a whole week of "today" values. */
START_TEST(test_intent_weekday_rules)
{
    static const char *const names[7] = {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday"
    };
    apr_pool_t *p = new_pool();
    int64_t base = cc_days_from_civil(2026, 11, 30);   /* a Monday */
    cc_book_intent_t o;
    int t, w;

    ck_assert_int_eq(cc_weekday(base), 0);
    for (t = 0; t < 7; t++) {
        int64_t today = base + t;

        for (w = 0; w < 7; w++) {
            char buf[64];
            int64_t on = today + (w - t + 7) % 7;
            int64_t nx = on == today ? today + 7 : on;

            snprintf(buf, sizeof(buf), "on %s", names[w]);
            cc_intent_booking(p, buf, strlen(buf), NULL, 0, today, &o);
            ck_assert_msg(o.date_given && o.from_day == on && o.days == 1,
                          "today %d: %s", t, buf);
            ck_assert_int_eq(cc_weekday(o.from_day), w);
            snprintf(buf, sizeof(buf), "next %s", names[w]);
            cc_intent_booking(p, buf, strlen(buf), NULL, 0, today, &o);
            ck_assert_msg(o.date_given && o.from_day == nx && o.days == 1,
                          "today %d: %s", t, buf);
            ck_assert(o.from_day > today && o.from_day <= today + 7);
        }
        cc_intent_booking(p, "next week", 9, NULL, 0, today, &o);
        ck_assert(o.from_day == base + 7 && o.days == 7);
        cc_intent_booking(p, "this week", 9, NULL, 0, today, &o);
        ck_assert(o.from_day == today && o.days == 7 - t);
        cc_intent_booking(p, "this weekend", 12, NULL, 0, today, &o);
        ck_assert(o.from_day == (t < 5 ? base + 5 : today));
        ck_assert_int_eq(o.from_day + o.days, base + 7);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_intent_bad_args)
{
    apr_pool_t *p = new_pool();
    int64_t today = cc_days_from_civil(TUE);
    cc_book_intent_t o;
    cc_intent_service_t bad[3] = {
        { 1, NULL, "peel" }, { 2, "", NULL }, { 3, "Chemical peel", NULL }
    };

    ck_assert_int_eq(cc_intent_booking(p, "book", 4, svcs, NSVCS, today,
                                       NULL), 0);
    memset(&o, 0x5a, sizeof(o));
    ck_assert_int_eq(cc_intent_booking(NULL, "book a peel", 11, svcs, NSVCS,
                                       today, &o), 0);
    ck_assert(o.booking == 0 && o.service == -1 && o.ambiguous == 0);
    ck_assert(o.from_day == today && o.days == 7 && o.part == 0
              && o.date_given == 0);
    ck_assert_int_eq(cc_intent_booking(p, NULL, 0, svcs, NSVCS, today, &o),
                     0);
    ck_assert_int_eq(cc_intent_booking(p, NULL, 99, svcs, NSVCS, today, &o),
                     0);
    ck_assert_int_eq(cc_intent_booking(p, "", 0, svcs, NSVCS, today, &o), 0);
    ck_assert(o.service == -1 && o.date_given == 0 && o.days == 7);
    /* services absent or odd */
    ck_assert_int_eq(cc_intent_booking(p, "book a peel", 11, NULL, 5, today,
                                       &o), 1);
    ck_assert_int_eq(o.service, -1);
    ck_assert_int_eq(cc_intent_booking(p, "book a peel", 11, svcs, -3,
                                       today, &o), 1);
    ck_assert_int_eq(o.service, -1);
    cc_intent_booking(p, "book a peel", 11, bad, 3, today, &o);
    ck_assert_int_eq(o.service, 2);     /* NULL name never matches */
    /* len bounds the message: "book" after it is not seen */
    ck_assert_int_eq(cc_intent_booking(p, "hi. book", 3, svcs, NSVCS, today,
                                       &o), 0);
    /* NUL bytes inside the message are separators */
    ck_assert_int_eq(cc_intent_booking(p, "book\0a\0peel", 11, svcs, NSVCS,
                                       today, &o), 1);
    ck_assert_int_eq(o.service, 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_intent_garbage)
{
    apr_pool_t *p = new_pool();
    int64_t today = cc_days_from_civil(TUE);
    size_t n = 1 << 20, i;
    char *buf = malloc(n);
    cc_book_intent_t o;
    uint32_t x = 12345;
    static const char bad_utf8[] =
        "\xff\xfe book \xc3 a \xe2\x82 peel \xed\xa0\x80 tomorrow \xf4\x90"
        "\x80\x80 morning \xc0\xaf";
    static const char *const pieces[] = {
        "book ", "tomorrow ", "03/", "12 ", "2026-", "12-", "\xc3\xa9", "am ",
        "next ", "week ", "sat ", ":", "10", "pm ", "\xff", "-", "/", "the ",
        "3rd ", "in ", "peel ", "la ", "mañana ", "cancel "
    };

    ck_assert_ptr_nonnull(buf);
    /* 1 MB of random bytes */
    for (i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char)(x >> 16);
    }
    cc_intent_booking(p, buf, n, svcs, NSVCS, today, &o);
    ck_assert(o.days >= 1 && o.days <= 31);
    ck_assert(o.part >= 0 && o.part <= 3);
    /* 1 MB of random pieces of the grammar */
    for (i = 0; i + 16 < n; ) {
        const char *s;

        x = x * 1103515245u + 12345u;
        s = pieces[(x >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
        memcpy(buf + i, s, strlen(s));
        i += strlen(s);
    }
    memset(buf + i, ' ', n - i);
    cc_intent_booking(p, buf, n, svcs, NSVCS, today, &o);
    ck_assert(o.days >= 1 && o.days <= 31);
    /* a request far past CC_INTENT_MAX_BYTES is not seen */
    memset(buf, ' ', n);
    memcpy(buf + n - 32, "book a peel tomorrow", 20);
    ck_assert_int_eq(cc_intent_booking(p, buf, n, svcs, NSVCS, today, &o),
                     0);
    ck_assert(o.service == -1 && o.date_given == 0);
    memcpy(buf, "book a peel tomorrow", 20);
    ck_assert_int_eq(cc_intent_booking(p, buf, n, svcs, NSVCS, today, &o),
                     1);
    ck_assert(o.service == 0 && o.from_day == today + 1);
    /* a 2,000-byte run of one letter: one truncated term */
    memset(buf, 'a', n);
    ck_assert_int_eq(cc_intent_booking(p, buf, n, svcs, NSVCS, today, &o),
                     0);
    /* invalid UTF-8 between the words */
    ck_assert_int_eq(cc_intent_booking(p, bad_utf8, sizeof(bad_utf8) - 1,
                                       svcs, NSVCS, today, &o), 1);
    ck_assert(o.service == 0 && o.from_day == today + 1 && o.days == 1
              && o.part == 1);
    /* every prefix of a message (cut UTF-8, cut dates) */
    {
        static const char m[] = "Réserver un peeling le 3 décembre à "
                                "10:30am, 03/12/2026 ou mañana?";
        size_t k;

        for (k = 0; k <= sizeof(m) - 1; k++) {
            cc_intent_booking(p, m, k, svcs, NSVCS, today, &o);
            ck_assert(o.days >= 1 && o.days <= 31);
        }
    }
    free(buf);
    apr_pool_destroy(p);
}
END_TEST

/* Many services, long names and alias lists: bounded, no crash. */
START_TEST(test_intent_many_services)
{
    apr_pool_t *p = new_pool();
    int64_t today = cc_days_from_civil(TUE);
    int n = 400, i;
    cc_intent_service_t *s = apr_pcalloc(p, sizeof(*s) * (size_t)n);
    char *longname = apr_palloc(p, 100000);
    cc_book_intent_t o;

    for (i = 0; i < 99999; i++) {
        longname[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 26);
    }
    longname[99999] = '\0';
    for (i = 0; i < n; i++) {
        s[i].id = i;
        s[i].name = apr_psprintf(p, "Treatment number%d", i);
        s[i].aliases = longname;
    }
    s[100].name = "Chemical peel";
    s[300].name = "Dermal fillers";     /* past CC_INTENT_MAX_SERVICES */
    cc_intent_booking(p, "book a peel", 11, s, n, today, &o);
    ck_assert_int_eq(o.service, 100);
    cc_intent_booking(p, "book fillers", 12, s, n, today, &o);
    ck_assert_int_eq(o.service, -1);
    cc_intent_booking(p, "book number17", 13, s, n, today, &o);
    ck_assert_int_eq(o.service, 17);
    cc_intent_booking(p, "a treatment", 11, s, n, today, &o);
    ck_assert(o.service == -1 && o.ambiguous == 0);  /* generic term only */
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_intent(void)
{
    Suite *s = suite_create("intent");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_intent_table, 0, NCASES);
    tcase_add_test(tc, test_intent_weekday_rules);
    tcase_add_test(tc, test_intent_bad_args);
    tcase_add_test(tc, test_intent_garbage);
    tcase_add_test(tc, test_intent_many_services);
    suite_add_tcase(s, tc);
    return s;
}

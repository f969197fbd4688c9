/*
 * cc_intent.h - booking intent in a patient's chat message: does the
 * patient ask to book (or for availability) now, which service do they
 * mean, and on which days / at which part of the day.
 *
 * Pure and deterministic: "today" is given, nothing is read from the clock
 * or the environment.  Text goes through cc_tok (case, accent and
 * punctuation folding; invalid UTF-8 bytes are separators) and only the
 * first CC_INTENT_MAX_BYTES bytes of a message are looked at, so the work
 * is bounded whatever the input.  English, plus common Spanish and French
 * forms.
 *
 * Booking intent (out->booking = 1) needs a cue, not negated ("don't",
 * "not", "can't", "no", "ne/pas" within the three words before it):
 *   - book / booking / booked ("fully booked?"; not "I booked"),
 *     reserve / reservation, schedule, availability, slot(s), earliest,
 *     soonest, "free"/"available" after "you" or "anything", "I'm free" /
 *     "available" + a day or part of day, "next/first available", "is
 *     there space", "any openings", "come in" / "pop in" after I/we/I'd,
 *     "fit me in", "sign me up", "see me" + a day, "have anything" + a
 *     day;
 *   - the nouns appointment / booking / reservation / cita / rendez-vous /
 *     rdv, unless "my/the/this/that/our" (mi, mon, ma, ...) comes just
 *     before (then the patient talks about an existing one);
 *   - a request ("I'd like", "I want", "please", quiero, je voudrais, ...)
 *     naming a service and a day: "I'd like a peel on Friday";
 *   - es: reservar, cita, pedir cita / hora, hueco, disponibilidad,
 *     agendar; fr: réserver, rendez-vous, prendre rdv, créneau,
 *     disponibilité.
 * and is vetoed by
 *   - a hard veto, always: cancel*, reschedul*, rebook* / re-book,
 *     postpon*, annul*, reprogram*, and move / change / modify / cambiar /
 *     déplacer / modifier / reporter when a booking noun is present
 *     ("can I reschedule", "how do I cancel my booking");
 *   - a soft veto, unless the message also carries a request -- "I'd
 *     like", "I want", "I need" (not "do I need"), "please", "looking
 *     to", "can/could/may I book|get|have|make|come", a first word "book"
 *     or "reserve", quiero, necesito, je voudrais, svp, ... -- so "I'd
 *     like to book a peel, is there a deposit?" stays a booking: policy,
 *     deposit, pay*, refund, fee, cost, price, confirm*, "how much",
 *     advance ("how far in advance should I book?"), "how far", "how
 *     long", "how early", "do I need", "do I have to", required,
 *     necessary, mandatory, walk-in, "I'm late", miss, "what happens",
 *     "what if" (and Spanish/French equivalents).
 *   "How do I book?" counts as a booking request (the best answer is the
 *   free slots); so does "Can I book without a deposit?" (a request wins
 *   over a soft veto).
 *
 * Service: the name and aliases of every service are tokenised, stop
 * words dropped and stemmed ("peels" -> "peel"); a service's score is the
 * sum, over its distinct terms present in the message (whole terms only:
 * "lip" never matches inside "eclipse"), of 2520 / (number of services
 * having that term), so distinctive terms weigh more.  Generic terms
 * (treatment, session, free, new, numbers, ...) weigh an eighth and
 * cannot make a match alone.  The best score wins; an equal best score
 * for two or more services gives ambiguous = 1 and service = -1.
 *
 * Dates (relative to today, the clinic's local date):
 *   today, tonight (+ evening), tomorrow, "day after tomorrow",
 *   "this morning/afternoon/evening" (today); hoy, mañana (tomorrow, but
 *   "por la mañana" is the morning), pasado mañana, aujourd'hui, demain,
 *   après-demain, ce soir, esta noche.
 *   Weekdays (Monday, mon, tue, tues, wed, weds, thu, thur, thurs, fri,
 *   sat, sun; lunes..domingo; lundi..dimanche; plurals):
 *     "Tuesday", "on/this/coming Tuesday" = the first Tuesday ON OR AFTER
 *       today (today when today is Tuesday);
 *     "next Tuesday" (el próximo martes, martes que viene, mardi
 *       prochain) = the first Tuesday STRICTLY AFTER today (7 days later
 *       when today is Tuesday, else the coming Tuesday);
 *     "Tuesday next week" / "Tuesday of next week" = that week's Tuesday,
 *       also after a list: "Tuesday or Wednesday next week";
 *     "last Tuesday" is ignored.  The ambiguous abbreviations mon, wed,
 *     sat, sun count only after on/next/this/every/until/from/by/or/and or
 *     before a part of day, a day number or "or/and <weekday>".
 *   Weeks (Monday-based): "this week" = today..Sunday; "next week" = next
 *     Monday..Sunday; "week after next" = the week after that;
 *     "this weekend" / "the weekend" = Saturday..Sunday of this week
 *     (from today when today is Saturday; Sunday only on a Sunday);
 *     "next weekend" = Saturday..Sunday of next week.
 *   Explicit: "3 December", "3rd Dec", "3rd of December", "December 3",
 *     "Dec 3rd", "3 de diciembre", "le 3 décembre", "03/12" (day/month,
 *     UK order), "03/12/2026", "03/12/26", "2026-12-03", "2026/12/03",
 *     "the 3rd" / "le 1er" (an ordinal after the/le/el: the next such day
 *     of a month, today included).  A date without
 *     a year that has already passed this year (or does not exist, 29
 *     February) means the next year where it exists; a date with a year is
 *     taken as given.  Invalid dates are ignored.
 *   "next week on Wednesday" = that day.
 *   "in N days" (N <= 366) = that day; "in December" = the rest of that
 *     month (from today when it is the current month, next year when it
 *     has passed).
 *   Several day mentions: the span from the earliest to the latest
 *   ("Tuesday or Thursday" = Tuesday..Thursday) when it is at most
 *   CC_INTENT_MAX_SPAN days, else the first mention alone.
 *   No day mentioned: from_day = today, days = 7, date_given = 0.
 *
 * Part of the day: morning / am / a.m. / before work / first thing /
 *   matin / por la mañana = 1; afternoon / pm / p.m. / lunch / lunchtime /
 *   midday / noon / après-midi / midi / por la tarde = 2 (lunchtime is
 *   12:00-14:00, inside the afternoon); evening / tonight / night / after
 *   work / soir / por la noche = 3.  Times: "10am", "10 am", "10:30am",
 *   "2pm", "14:00" (and "3:30" read as 15:30: an hour 1-7 without am/pm is
 *   taken as pm) map by hour: before 12 -> 1, 12-16 -> 2, 17 and later ->
 *   3.  "am" after "I" is the verb.  Two different parts ("morning or
 *   afternoon") give 0 (any time).
 */
#ifndef CC_INTENT_H
#define CC_INTENT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

/* Only this many bytes of a message are examined. */
#define CC_INTENT_MAX_BYTES    2000
/* Only this many services are considered (the rest are ignored), and only
 * this many bytes of each name and of each alias list. */
#define CC_INTENT_MAX_SERVICES 256
#define CC_INTENT_MAX_SVC_TEXT 512
/* Longest span (days) that several day mentions may cover. */
#define CC_INTENT_MAX_SPAN     31
/* Days looked at when the message names no day. */
#define CC_INTENT_DEFAULT_DAYS 7

typedef struct cc_intent_service_t {
    int64_t     id;
    const char *name;       /* "Chemical peel"; NULL: never matches */
    const char *aliases;    /* optional, comma-separated: "peel, skin peel" */
} cc_intent_service_t;

/* Part of the day, out->part. */
#define CC_PART_ANY       0
#define CC_PART_MORNING   1     /* before 12:00 */
#define CC_PART_AFTERNOON 2     /* 12:00-17:00 */
#define CC_PART_EVENING   3     /* 17:00 and later */

typedef struct cc_book_intent_t {
    int     booking;      /* 1: the message asks to book / for availability */
    int     service;      /* index into svcs, -1 if none or ambiguous */
    int     ambiguous;    /* 1 when two or more services matched equally */
    int64_t from_day;     /* local date (days since 1970-01-01) meant */
    int     days;         /* days from from_day (1 = that day only; 7 from
                             today when no day was named) */
    int     part;         /* CC_PART_* */
    int     date_given;   /* 1 when the message named a day or range */
} cc_book_intent_t;

/* Analyse msg[0..len) (any bytes, NUL included; a NULL msg is an empty
 * message).  today: the clinic's local date (days since the epoch, as
 * returned by cc_days_from_civil).  svcs NULL or nsvcs <= 0: no service
 * matching.  svcs[] order matters only for out->service.  Scratch memory
 * comes from p.  out is always fully written (when not NULL); the service,
 * date and part fields are filled whether or not booking is 1.  Returns
 * out->booking (0 when p or out is NULL). */
int cc_intent_booking(apr_pool_t *p, const char *msg, size_t len,
                      const cc_intent_service_t *svcs, int nsvcs,
                      int64_t today, cc_book_intent_t *out);

#endif

/* Unit tests: the extractive answer over every section of knowledge/
 * (chunked as the module does), one question of each kind the section can
 * answer, and the shape every answer must have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_answer.h"
#include "cc_chunk.h"
#include "cc_sent.h"
#include "corpus.h"
#include "suites.h"

/* ---- the knowledge base, section by section ---------------------------- */

/* For every section of knowledge/ (chunked as the module does), one
 * question of each kind the section can answer: its price ('P'), opening
 * hours or times ('H'), where it is or how to get there ('W'), and a
 * general one ('G'), with a fact the answer must hold.  The extractor gets
 * the section as its best source and the two sections after it (in file
 * order, wrapping) as distractors, as retrieval would give them. */
static const struct {
    const char *section;    /* the section's title */
    char        kind;
    const char *q;
    const char *want;       /* must appear in the answer */
} kb_cases[] = {
    { "About Harbour Skin Clinic",
      'G', "What is Harbour Skin Clinic?",
      "independent aesthetic and dermatology clinic" },
    { "About Harbour Skin Clinic",
      'W', "Where is the clinic?",
      "harbourside" },
    { "Welcome to Harbour Skin Clinic",
      'G', "When did the clinic open?",
      "2016" },
    { "Our team of practitioners",
      'G', "Who is the laser therapist?",
      "Jake Morgan" },
    { "Regulation, qualifications and insurance",
      'G', "Is the clinic registered with the CQC?",
      "Care Quality Commission" },
    { "Contact details",
      'G', "What is your email address?",
      "hello@harbourskinclinic.co.uk" },
    { "Contact details",
      'W', "What is your postal address?",
      "BS1 4QA" },
    { "Treatments we do not offer",
      'G', "Do you do thread lifts?",
      "thread lifts" },
    { "Aftercare and support",
      'G', "What support is there after my treatment?",
      "Support after your treatment" },
    { "Aftercare hotline",
      'G', "What is the aftercare line number?",
      "07700 900456" },
    { "Aftercare hotline",
      'H', "What time is the aftercare line answered?",
      "8am to 10pm" },
    { "Urgent problems outside aftercare line hours",
      'G', "What if I have difficulty breathing after treatment?",
      "999" },
    { "Urgent problems outside aftercare line hours",
      'H', "Who do I call between 10pm and 8am?",
      "NHS 111" },
    { "Free review appointments",
      'G', "Do injectable treatments include a review appointment?",
      "two weeks" },
    { "Free review appointments",
      'P', "How much does a review appointment cost?",
      "free" },
    { "If you are unhappy with your results",
      'G', "What if I am unhappy with my results?",
      "four weeks" },
    { "Feeling unwell before your appointment",
      'G', "What if I have a cold sore before my appointment?",
      "contact us before your appointment" },
    { "Booking and payment",
      'G', "How do I book and pay?",
      "How to book" },
    { "Booking through the online chat",
      'G', "Can I book through the online chat?",
      "online chat" },
    { "Booking by phone or in person",
      'G', "Can I book by phone?",
      "0117 496 0123" },
    { "Information we need when you book",
      'G', "What information do you need when I book?",
      "date of birth" },
    { "Medical history form",
      'G', "Do I have to fill in the medical history form before my first "
      "appointment?",
      "24 hours" },
    { "Booking deposits",
      'G', "Do I need to pay a deposit?",
      "deposit" },
    { "Booking deposits",
      'P', "How much is the deposit for a treatment?",
      "\xc2\xa3" "25" },
    { "Appointment confirmations and reminders",
      'G', "When do you send a text reminder?",
      "three days before" },
    { "Booking for someone else",
      'G', "Can I book for my husband?",
      "on behalf of another adult" },
    { "Payment methods we accept",
      'G', "Do you accept American Express?",
      "American Express" },
    { "When payment is taken",
      'G', "When do I pay the balance?",
      "remaining balance" },
    { "Treatment courses and packages",
      'G', "How long are courses valid?",
      "12 months" },
    { "Treatment courses and packages",
      'P', "How much is a course of three microneedling sessions?",
      "\xc2\xa3" "480" },
    { "Finance and payment plans",
      'G', "Do you offer Klarna?",
      "Klarna" },
    { "Receipts and invoices",
      'G', "Can I get a VAT invoice?",
      "invoice" },
    { "Health insurance claims",
      'G', "Will my insurer cover a dermatologist appointment?",
      "insurance" },
    { "Gift vouchers",
      'G', "Can I buy a gift voucher?",
      "voucher" },
    { "Gift vouchers",
      'P', "How much can a gift voucher be for?",
      "\xc2\xa3" "25 to \xc2\xa3" "500" },
    { "Using a gift voucher",
      'G', "How long is a gift voucher valid?",
      "12 months" },
    { "Refer a friend",
      'G', "Do you have a refer a friend scheme?",
      "friend" },
    { "Refer a friend",
      'P', "How much do I get for referring a friend?",
      "\xc2\xa3" "20" },
    { "Discounts for NHS staff, emergency services and students",
      'G', "Do NHS staff get a discount?",
      "10 percent" },
    { "Consultations",
      'G', "What types of consultation are there?",
      "consultation" },
    { "Types of consultation we offer",
      'G', "Which consultations do you offer?",
      "consultation" },
    { "Types of consultation we offer",
      'P', "How much is a skin consultation?",
      "\xc2\xa3" "60" },
    { "Aesthetic consultation for injectables",
      'G', "Do I need a consultation before anti-wrinkle injections?",
      "aesthetic consultation" },
    { "Aesthetic consultation for injectables",
      'P', "What is the cost of an aesthetic consultation?",
      "\xc2\xa3" "50" },
    { "What happens at an aesthetic consultation",
      'G', "What will my practitioner ask at the aesthetic consultation?",
      "medical history" },
    { "Cooling-off period before first injectable treatment",
      'G', "Can I have filler on the same day as my consultation?",
      "do not treat on the same day" },
    { "Skin consultation with a skin therapist",
      'G', "Which skin therapist does skin consultations?",
      "Priya Patel" },
    { "Skin consultation with a skin therapist",
      'P', "How much does a skin consultation with the skin therapist cost?",
      "\xc2\xa3" "60" },
    { "Consultant dermatologist appointments",
      'G', "Does the dermatologist treat rosacea?",
      "rosacea" },
    { "Consultant dermatologist appointments",
      'P', "How much is a follow-up dermatologist appointment?",
      "\xc2\xa3" "120" },
    { "Consultant dermatologist appointments",
      'H', "Which days does the dermatologist clinic run?",
      "Tuesdays and Thursdays" },
    { "Mole and skin checks",
      'G', "Can you check a mole that has changed?",
      "mole" },
    { "Mole and skin checks",
      'P', "How much is a full-body skin check?",
      "\xc2\xa3" "220" },
    { "Free video consultation",
      'G', "Can I have a video consultation?",
      "Video consultations" },
    { "Free video consultation",
      'P', "What does a video consultation cost?",
      "free" },
    { "Free video consultation",
      'H', "Which days do video consultations run?",
      "Monday to Friday" },
    { "Preparing for your consultation",
      'G', "What should I bring to my consultation?",
      "medicines" },
    { "Frequently asked questions",
      'G', "Do you have frequently asked questions?",
      "questions" },
    { "Do you treat men?",
      'G', "Do you treat men?",
      "men" },
    { "Can I wear make-up to my appointment?",
      'G', "Can I wear make-up to my appointment?",
      "make-up" },
    { "Do injections hurt, and is numbing cream available?",
      'G', "Do injections hurt?",
      "scratch" },
    { "Can I have more than one treatment on the same day?",
      'G', "Can I have filler and anti-wrinkle injections at the same "
      "appointment?",
      "same appointment" },
    { "Do you offer NHS treatment?",
      'G', "Can I get treatment on the NHS?",
      "see your GP" },
    { "Do I need a GP referral?",
      'G', "Do I need a referral from my GP?",
      "referral" },
    { "Do you sell skincare products?",
      'G', "Do you sell skincare products?",
      "skincare" },
    { "Can I have treatment while pregnant or breastfeeding?",
      'G', "Can I have laser hair removal while pregnant?",
      "pregnan" },
    { "How far ahead should I book before a wedding or event?",
      'G', "How far ahead should I book before my wedding?",
      "weeks" },
    { "How soon can I get an appointment?",
      'G', "Can I book an appointment within a week?",
      "within a week" },
    { "Can I choose which practitioner I see?",
      'G', "Can I choose my practitioner?",
      "practitioner" },
    { "Which injectable products do you use?",
      'G', "Which filler products do you use?",
      "hyaluronic acid fillers" },
    { "Can I have treatment before a holiday or a flight?",
      'G', "Can I fly after treatment?",
      "Flying" },
    { "Do you offer home visits?",
      'G', "Do you do home visits?",
      "home" },
    { "Can I get help in another language?",
      'G', "Can I have an interpreter?",
      "interpreter" },
    { "Can I get help in another language?",
      'P', "Does an interpreter cost extra?",
      "free of charge" },
    { "Do you have appointments for nervous patients?",
      'G', "I feel anxious, can I have a longer appointment?",
      "anxious" },
    { "Can I see before and after photos?",
      'G', "Can I see before and after photos?",
      "photographs" },
    { "Will people be able to tell I've had treatment?",
      'G', "Will my result look natural?",
      "natural" },
    { "Is there a caf\xc3\xa9" " near the clinic?",
      'G', "Is there a caf\xc3\xa9" " near the clinic?",
      "Quayside Bakery" },
    { "Is there a caf\xc3\xa9" " near the clinic?",
      'W', "Where are the caf\xc3\xa9" "s near the clinic?",
      "harbourside" },
    { "Do you treat hair loss?",
      'G', "Do you treat hair loss?",
      "hair" },
    { "Can I use my phone during treatment?",
      'G', "Can I use my phone during treatment?",
      "phone" },
    { "Can I drive after my treatment?",
      'G', "Can I drive after my treatment?",
      "drive" },
    { "Injectable treatments",
      'G', "Who carries out injectable treatments?",
      "doctors and nurse prescriber" },
    { "Anti-wrinkle injections explained",
      'G', "What are anti-wrinkle injections?",
      "botulinum toxin" },
    { "Treatment areas for anti-wrinkle injections",
      'G', "Which areas can anti-wrinkle injections treat?",
      "forehead lines" },
    { "Anti-wrinkle injection prices",
      'G', "What counts as one area for anti-wrinkle injections?",
      "one area" },
    { "Anti-wrinkle injection prices",
      'P', "How much is botox for the forehead?",
      "\xc2\xa3" "180" },
    { "How long anti-wrinkle results last",
      'G', "How long do anti-wrinkle results last?",
      "three to four months" },
    { "Preparing for anti-wrinkle injections",
      'G', "Can I drink alcohol before anti-wrinkle injections?",
      "alcohol" },
    { "Aftercare following anti-wrinkle injections",
      'G', "Can I lie down after anti-wrinkle injections?",
      "four hours" },
    { "Two-week review and top-up appointments",
      'G', "Is there a review after anti-wrinkle injections?",
      "two weeks" },
    { "Two-week review and top-up appointments",
      'P', "Do I pay for a top-up at the review?",
      "free" },
    { "When we may not be able to treat with injectables",
      'G', "Can I have injectables if I have a bleeding problem?",
      "bleeding problem" },
    { "Jaw slimming and teeth grinding treatment",
      'G', "Can you treat teeth grinding?",
      "grinding" },
    { "Jaw slimming and teeth grinding treatment",
      'P', "How much is jaw slimming?",
      "\xc2\xa3" "300" },
    { "Treatment for excessive underarm sweating",
      'G', "Can you treat excessive underarm sweating?",
      "sweating" },
    { "Treatment for excessive underarm sweating",
      'P', "What does treatment for underarm sweating cost?",
      "\xc2\xa3" "395" },
    { "Dermal fillers explained",
      'G', "What are dermal fillers made of?",
      "hyaluronic acid" },
    { "Lip filler",
      'G', "How long does lip filler last?",
      "six to nine months" },
    { "Lip filler",
      'P', "How much does lip filler cost?",
      "\xc2\xa3" "200" },
    { "Cheek filler",
      'G', "How many ml of cheek filler do most patients need?",
      "1ml to 2ml" },
    { "Cheek filler",
      'P', "How much is cheek filler?",
      "\xc2\xa3" "280" },
    { "Tear trough filler for under-eye hollows",
      'G', "Which doctor carries out tear trough filler?",
      "Dr Tom Ellis" },
    { "Tear trough filler for under-eye hollows",
      'P', "What is the price of tear trough filler?",
      "\xc2\xa3" "350" },
    { "Chin and jawline filler",
      'G', "Who carries out jawline treatments?",
      "Dr Tom Ellis" },
    { "Chin and jawline filler",
      'P', "How much is jawline filler?",
      "\xc2\xa3" "450" },
    { "Smile line and marionette line filler",
      'G', "Can filler soften marionette lines?",
      "marionette" },
    { "Smile line and marionette line filler",
      'P', "How much does marionette line filler cost?",
      "\xc2\xa3" "280" },
    { "Swelling and bruising after fillers",
      'G', "How long does bruising last after filler?",
      "week" },
    { "Aftercare following dermal fillers",
      'G', "Can I do strenuous exercise after fillers?",
      "24 hours" },
    { "Dissolving filler",
      'G', "Can you dissolve filler from another clinic?",
      "hyaluronidase" },
    { "Dissolving filler",
      'P', "How much does dissolving filler cost?",
      "\xc2\xa3" "150" },
    { "Laser hair removal",
      'G', "Who carries out laser hair removal?",
      "Jake Morgan" },
    { "How laser hair removal works",
      'G', "How does laser hair removal work?",
      "follicle" },
    { "Laser hair removal areas and prices",
      'G', "Which areas can you treat with laser hair removal?",
      "full face: \xc2\xa3" "95" },
    { "Laser hair removal areas and prices",
      'P', "How much is laser hair removal for the underarms?",
      "\xc2\xa3" "65" },
    { "Courses of laser hair removal",
      'G', "How many laser sessions will I need?",
      "six to eight sessions" },
    { "Laser patch test",
      'G', "Do I need a patch test before laser?",
      "patch test" },
    { "Laser patch test",
      'P', "Is the laser patch test free?",
      "free" },
    { "Shaving before laser hair removal",
      'G', "When should I shave the area before my session?",
      "shave" },
    { "Sun exposure and tanning around laser treatment",
      'G', "Can I have laser if I have a tan?",
      "tan" },
    { "What a laser session feels like",
      'G', "What does each laser pulse feel like?",
      "warm snap" },
    { "Laser hair removal aftercare",
      'G', "Can I use deodorant after underarm laser?",
      "deodorant" },
    { "Skin tones and hair colours we can treat",
      'G', "Can laser remove grey hair?",
      "grey" },
    { "What to wear to a laser appointment",
      'G', "What should I wear to my laser appointment?",
      "loose" },
    { "Laser hair removal for men",
      'G', "Do you do laser hair removal for men?",
      "men" },
    { "Laser hair removal for men",
      'P', "How much is laser for the back?",
      "\xc2\xa3" "180" },
    { "Clinic policies",
      'G', "What are your clinic policies?",
      "policies" },
    { "Cancellation policy",
      'G', "How much notice do I need to give to cancel?",
      "48 hours" },
    { "Late cancellations and missed appointments",
      'G', "What happens if I miss my appointment?",
      "deposit" },
    { "Rescheduling an appointment",
      'G', "How many times can I reschedule an appointment?",
      "twice" },
    { "If we need to cancel your appointment",
      'G', "What happens if the clinic cancels my appointment?",
      "refund" },
    { "Refund policy",
      'G', "Can I get a refund on my consultation fee?",
      "refund" },
    { "Refunds for unused course sessions",
      'G', "Can I get a refund for unused course sessions?",
      "refund" },
    { "Returning skincare products",
      'G', "Can I return skincare products?",
      "14 days" },
    { "Age policy",
      'G', "How old do I have to be for lip filler?",
      "18" },
    { "Photo ID and age checks",
      'G', "Do you accept a driving licence as ID?",
      "passport" },
    { "Parental consent for under-18s",
      'G', "Does a 16 year old need parental consent for laser?",
      "consent" },
    { "Chaperones",
      'G', "Can I have a chaperone?",
      "chaperone" },
    { "Chaperones",
      'P', "Is there a charge for a chaperone?",
      "free of charge" },
    { "Clinical photographs",
      'G', "Will you use my photographs on social media?",
      "consent" },
    { "Privacy and your personal data",
      'G', "Do you store my card number?",
      "card number" },
    { "How long we keep your records",
      'G', "How long do you keep chat messages?",
      "90 days" },
    { "Your data protection rights",
      'G', "Can I ask for a copy of my data?",
      "copy" },
    { "Contacting our data protection officer",
      'G', "Who is your data protection officer?",
      "Rachel Green" },
    { "The online chat assistant and your messages",
      'G', "Is the chat assistant a person?",
      "not a person" },
    { "Complaints procedure",
      'G', "How do I make a complaint?",
      "complain" },
    { "Taking a complaint further",
      'G', "Can I take my complaint further?",
      "ISCAS" },
    { "Skin treatments",
      'G', "How are skin treatments planned?",
      "skin consultation" },
    { "Chemical peels at Harbour Skin Clinic",
      'G', "What is a chemical peel?",
      "acids" },
    { "Superficial chemical peels",
      'G', "Can I go back to work after a superficial peel?",
      "work" },
    { "Superficial chemical peels",
      'P', "How much is a superficial peel?",
      "\xc2\xa3" "85" },
    { "Medium-depth chemical peels",
      'G', "How many days will my skin peel visibly after a medium-depth "
      "peel?",
      "five to seven days" },
    { "Medium-depth chemical peels",
      'P', "How much does a medium-depth peel cost?",
      "\xc2\xa3" "180" },
    { "Preparing for a chemical peel",
      'G', "When should I stop retinoids before a peel?",
      "five to seven days" },
    { "Aftercare following a chemical peel",
      'G', "How long should I apply SPF every day?",
      "SPF" },
    { "Peeling skin and other appointments",
      'G', "My skin is still peeling, can I have my facial?",
      "peeling" },
    { "Acne treatment plans",
      'G', "How long do acne treatment plans last?",
      "12 weeks" },
    { "The 12-week clear skin programme",
      'G', "What does the clear skin programme include?",
      "acne facials" },
    { "The 12-week clear skin programme",
      'P', "How much is the clear skin programme?",
      "\xc2\xa3" "495" },
    { "Acne facials with extractions",
      'G', "Does an acne facial include extraction of blackheads?",
      "extraction" },
    { "Acne facials with extractions",
      'P', "How much is an acne facial?",
      "\xc2\xa3" "75" },
    { "LED light therapy",
      'G', "What is LED light therapy?",
      "light" },
    { "LED light therapy",
      'P', "How much is an LED session?",
      "\xc2\xa3" "40" },
    { "Acne scarring treatments",
      'G', "How do you treat acne scars?",
      "microneedling" },
    { "Microneedling",
      'G', "What is microneedling?",
      "needles" },
    { "Microneedling",
      'P', "How much is microneedling?",
      "\xc2\xa3" "180" },
    { "Microneedling aftercare",
      'G', "Can I wear make-up after microneedling?",
      "24 hours" },
    { "Rosacea and facial redness",
      'G', "Can you treat rosacea?",
      "Rosacea" },
    { "Pigmentation and melasma",
      'G', "Can you treat melasma?",
      "elasma" },
    { "Harbour signature facial",
      'G', "What is the signature facial?",
      "facial" },
    { "Harbour signature facial",
      'P', "How much is the signature facial?",
      "\xc2\xa3" "75" },
    { "Visiting the clinic",
      'G', "What do I need to know about visiting the clinic?",
      "finding us" },
    { "Clinic address and how to find us",
      'G', "How do I find the entrance?",
      "entrance" },
    { "Clinic address and how to find us",
      'W', "What is your address?",
      "BS1 4QA" },
    { "Opening hours",
      'G', "What are your opening hours?",
      "9am to 6pm" },
    { "Opening hours",
      'H', "When are you open on Saturday?",
      "9am to 4pm" },
    { "Opening hours",
      'W', "Where do I find your opening hours?",
      "9am" },
    { "Late evening appointments",
      'G', "Do you have evening appointments?",
      "8pm" },
    { "Late evening appointments",
      'H', "What time are you open until on Thursdays?",
      "8pm" },
    { "Saturday appointments",
      'G', "Are dermatologist appointments available on Saturdays?",
      "Saturdays" },
    { "Saturday appointments",
      'H', "What are your Saturday hours?",
      "9am to 4pm" },
    { "Bank holiday and Christmas opening",
      'G', "Are you open on bank holidays?",
      "bank holidays" },
    { "Bank holiday and Christmas opening",
      'H', "What time do you close on Christmas Eve?",
      "1pm" },
    { "Phone line hours",
      'G', "What is your phone number?",
      "0117 496 0123" },
    { "Phone line hours",
      'H', "What are your phone line hours?",
      "9am to 5:30pm" },
    { "Car parking near the clinic",
      'G', "Is there a car park near the clinic?",
      "Prince Street" },
    { "Car parking near the clinic",
      'P', "How much does parking cost?",
      "\xc2\xa3" "2.80" },
    { "Car parking near the clinic",
      'H', "Is the car park open at night?",
      "24 hours" },
    { "Car parking near the clinic",
      'W', "Where can I park my car?",
      "Prince Street" },
    { "Blue badge parking",
      'G', "Do you have blue badge parking?",
      "blue badge" },
    { "Blue badge parking",
      'P', "Is blue badge parking free?",
      "free of charge" },
    { "Blue badge parking",
      'W', "Where are the blue badge bays?",
      "Quayside Walk" },
    { "Cycling to the clinic",
      'G', "Can I cycle to the clinic?",
      "cycle" },
    { "Cycling to the clinic",
      'W', "Where are the cycle stands?",
      "Quayside House" },
    { "Getting here by train",
      'G', "How far is Temple Meads station from the clinic?",
      "Temple Meads" },
    { "Getting here by train",
      'W', "How do I get to the clinic from Temple Meads station?",
      "Prince Street Bridge" },
    { "Getting here by bus",
      'G', "Which bus stops are near the clinic?",
      "Prince Street" },
    { "Getting here by bus",
      'W', "Where is the nearest bus stop?",
      "Prince Street" },
    { "Harbour ferry",
      'G', "Can I take the harbour ferry?",
      "ferry" },
    { "Harbour ferry",
      'W', "Where does the ferry stop?",
      "Prince Street Bridge" },
    { "Step-free access and lift",
      'G', "Is there a lift?",
      "lift" },
    { "Step-free access and lift",
      'W', "Where is the clinic, which floor?",
      "first floor" },
    { "Accessible facilities inside the clinic",
      'G', "Do you have an accessible toilet?",
      "accessible toilet" },
    { "Assistance dogs and pets",
      'G', "Can I bring my assistance dog?",
      "assistance dogs" },
    { "Bringing children or a companion",
      'G', "Can I bring my children?",
      "child" },
    { "Arriving for your appointment",
      'G', "How early should I arrive for my appointment?",
      "ten minutes" },
    { "Running late for your appointment",
      'G', "What happens if I arrive late for my appointment?",
      "15 minutes" },
    { "Wi-Fi and the waiting area",
      'G', "Do you have Wi-Fi?",
      "Wi-Fi" },
};

/* What a section can answer, from its text: 'P' a price (a "£"), 'H' a
 * time of day ("9am", "5:30pm"), 'W' an address or way there (a street,
 * bridge, station or the postcode). */
static int kb_can(const cc_chunk_t *c, char kind)
{
    const char *t = c->text;
    size_t i;

    switch (kind) {
    case 'P':
        return strstr(t, "\xc2\xa3") != NULL;
    case 'H':
        for (i = 1; t[i] && t[i + 1]; i++) {
            if ((t[i] == 'a' || t[i] == 'p') && t[i + 1] == 'm'
                && (t[i - 1] >= '0' && t[i - 1] <= '9')) {
                return 1;
            }
        }
        return 0;
    case 'W':
        return strstr(t, "BS1 ") || strstr(t, " Street") || strstr(t, " Walk")
               || strstr(t, " Bridge") || strstr(t, "station");
    default:
        return 1;
    }
}

/* The shape every extractive answer must have: at most three sentences
 * (as cc_sent_split counts them), no Markdown, no sentence that is a
 * section title alone, and no fragment (fewer than four words without a
 * digit or an amount). */
static void kb_check_shape(apr_pool_t *p, const apr_array_header_t *kb,
                           const char *q, const char *a)
{
    apr_array_header_t *ss = cc_sent_split(p, a, strlen(a), 0);
    int i, k;

    ck_assert_msg(*a != '\0', "%s: empty answer", q);
    ck_assert_msg(ss->nelts <= 3, "%s: %d sentences: %s", q, ss->nelts, a);
    ck_assert_msg(!strstr(a, "**") && !strstr(a, "##") && !strchr(a, '|')
                  && !strchr(a, '`') && !strchr(a, '\n')
                  && strncmp(a, "- ", 2) != 0 && strncmp(a, "* ", 2) != 0,
                  "%s: markup in %s", q, a);
    for (i = 0; i < ss->nelts; i++) {
        const cc_sent_t *st = &APR_ARRAY_IDX(ss, i, cc_sent_t);
        size_t n = st->e - st->s, j;
        const char *t = a + st->s;
        int words = 1, fact = 0;

        while (n > 0 && (t[n - 1] == '.' || t[n - 1] == ':')) {
            n--;
        }
        for (k = 0; k < kb->nelts; k++) {
            const char *title = APR_ARRAY_IDX(kb, k, cc_chunk_t).title;

            ck_assert_msg(strlen(title) != n
                          || strncasecmp(title, t, n) != 0,
                          "%s: a heading alone: %s", q, a);
        }
        for (j = 0; j < n; j++) {
            words += t[j] == ' ';
            fact |= (t[j] >= '0' && t[j] <= '9')
                    || (unsigned char)t[j] == 0xa3;
        }
        ck_assert_msg(words >= 4 || fact, "%s: a fragment: \"%.*s\" in %s",
                      q, (int)n, t, a);
    }
}

START_TEST(test_extract_knowledge)
{
    apr_pool_t *p = corpus_pool();
    apr_array_header_t *kb = corpus_knowledge(p, NULL);
    cc_source_t src[3];
    int used[3] = { 0, 0, 0 };
    int k, j;
    char *a;

    for (k = 0; k < kb->nelts; k++) {
        if (strcmp(APR_ARRAY_IDX(kb, k, cc_chunk_t).title,
                   kb_cases[_i].section) == 0) {
            break;
        }
    }
    ck_assert_msg(k < kb->nelts, "no section \"%s\"", kb_cases[_i].section);
    memset(src, 0, sizeof(src));
    for (j = 0; j < 3; j++) {
        const cc_chunk_t *c = &APR_ARRAY_IDX(kb, (k + j) % kb->nelts,
                                             cc_chunk_t);

        src[j].id = c->title;
        src[j].title = c->title;
        src[j].text = c->text;
        src[j].len = c->len;
        src[j].score = 3.0 - j;
    }
    a = cc_answer_extract(p, kb_cases[_i].q, src, 3, 3, used);
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(strstr(a, kb_cases[_i].want) != NULL,
                  "[%s] %s: \"%s\" not in: %s", kb_cases[_i].section,
                  kb_cases[_i].q, kb_cases[_i].want, a);
    ck_assert_int_eq(used[0] + used[1] + used[2] >= 1, 1);
    kb_check_shape(p, kb, kb_cases[_i].q, a);
    apr_pool_destroy(p);
}
END_TEST

/* The table covers every section, with every kind of question the
 * section can answer. */
START_TEST(test_extract_knowledge_coverage)
{
    static const char kinds[] = "GPHW";
    apr_pool_t *p = corpus_pool();
    apr_array_header_t *kb = corpus_knowledge(p, NULL);
    size_t i, k;
    int s;

    ck_assert_int_gt(kb->nelts, 100);
    for (s = 0; s < kb->nelts; s++) {
        const cc_chunk_t *c = &APR_ARRAY_IDX(kb, s, cc_chunk_t);

        for (k = 0; kinds[k]; k++) {
            int found = 0;

            if (!kb_can(c, kinds[k])) {
                continue;
            }
            for (i = 0; i < sizeof(kb_cases) / sizeof(kb_cases[0]); i++) {
                found |= kb_cases[i].kind == kinds[k]
                         && strcmp(kb_cases[i].section, c->title) == 0;
            }
            ck_assert_msg(found, "no '%c' question for \"%s\"", kinds[k],
                          c->title);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_answer_kb(void)
{
    Suite *s = suite_create("answer_kb");
    TCase *tc = tcase_create("knowledge");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_extract_knowledge, 0,
                        (int)(sizeof(kb_cases) / sizeof(kb_cases[0])));
    tcase_add_test(tc, test_extract_knowledge_coverage);
    suite_add_tcase(s, tc);
    return s;
}

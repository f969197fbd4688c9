/* The test corpus shared by the index, sentence-table and answer unit
 * tests (corpus.h). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_answer.h"
#include "cc_chunk.h"
#include "cc_index.h"
#include "corpus.h"

apr_pool_t *corpus_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

uint32_t corpus_lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

void *corpus_index(apr_pool_t *p, const corpus_doc_t *docs, size_t n,
                   const cc_index_params_t *params, const char *synonyms,
                   size_t *len)
{
    cc_index_builder_t *b = cc_index_builder_create(p, params);
    cc_problem_t prob;
    void *img = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        cc_index_builder_add(b, docs[i].id, docs[i].title, docs[i].text,
                             strlen(docs[i].text));
    }
    if (synonyms) {
        cc_index_builder_synonyms(b, synonyms, strlen(synonyms));
    }
    memset(&prob, 0, sizeof(prob));
    ck_assert_int_eq(cc_index_build(&img, len, b, p, &prob), APR_SUCCESS);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(((uintptr_t)img) & 7u, 0);
    ck_assert_int_eq(*len & 7u, 0);
    ck_assert_int_eq(cc_index_check(img, *len), 0);
    return img;
}

double corpus_idf(double n, double df)
{
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

double corpus_sat(const cc_index_params_t *pr, double tf, double dl,
                  double avg)
{
    return tf * (pr->k1 + 1.0)
           / (tf + pr->k1 * (1.0 - pr->b + pr->b * dl / avg));
}

/* ---- the clinic corpus ------------------------------------------------- */

const corpus_doc_t corpus_clinic[] = {
    { "hours#0", "Opening hours",
      "The clinic is open Monday to Friday from 8am to 6pm and Saturday "
      "mornings from 9am to 12pm. We are closed on Sundays and bank "
      "holidays." },
    { "parking#0", "Parking",
      "Free parking is available behind the building. Disabled bays are "
      "next to the main entrance. Bicycle racks are by the pharmacy." },
    { "appointments#0", "Booking an appointment",
      "Book an appointment online through the patient portal or call "
      "reception. Routine appointments can be booked up to four weeks "
      "ahead." },
    { "cancel#0", "Cancelling or rescheduling",
      "Please cancel at least 24 hours before your appointment so another "
      "patient can use the slot. Missed appointments may incur a fee." },
    { "prescriptions#0", "Repeat prescriptions",
      "Request repeat prescriptions through the portal or the pharmacy. "
      "Allow two working days for the doctor to sign the prescription." },
    { "vaccines#0", "Travel vaccinations",
      "Travel vaccinations such as hepatitis A, typhoid and yellow fever "
      "should be arranged six to eight weeks before departure." },
    { "flu#0", "Flu vaccine",
      "The seasonal flu jab is offered every autumn to patients over 65, "
      "pregnant women and people with long-term conditions." },
    { "acne#0", "Acne care",
      "Our dermatology nurse can advise on skin treatment plans, topical "
      "creams and when a referral is needed." },
    { "results#0", "Test results",
      "Blood test results are usually ready within five working days. You "
      "can view them in the patient portal once a doctor has reviewed "
      "them." },
    { "records#0", "Medical records",
      "You have the right to request a copy of your medical records. Submit "
      "a subject access request form at reception." },
    { "emergency#0", "Emergencies",
      "In an emergency call 999 or go to the nearest accident and "
      "emergency department. For urgent advice out of hours call 111." },
    { "physio#0", "Physiotherapy",
      "Physiotherapy sessions help with back pain, sports injuries and "
      "recovery after surgery. Self-referral is possible." },
    { "fitfly#0", "Fit to fly letters",
      "Doctors can write fit to fly letters for a private fee. Allow ten "
      "working days." },
    { "children#0", "Children's clinic",
      "Baby checks and childhood immunisations take place on Tuesday "
      "afternoons with the practice nurse." },
    { "contact#0", "Contact us",
      "Phone reception on 01234 567890 or email the practice. Reception "
      "lines are busiest before 10am." },
};
const size_t corpus_nclinic = sizeof(corpus_clinic)
                              / sizeof(corpus_clinic[0]);

void *corpus_clinic_index(apr_pool_t *p, const cc_index_params_t *params,
                          const char *synonyms, size_t *len)
{
    return corpus_index(p, corpus_clinic, corpus_nclinic, params, synonyms,
                        len);
}

/* ---- three clinic sources ----------------------------------------------- */

static const char hours_text[] =
    "- Monday to Friday: 9am to 6pm, and until 8pm on Wednesdays and "
    "Thursdays.\n"
    "- Saturday: 9am to 4pm.\n"
    "- Sunday: closed.\n"
    "\n"
    "The last appointment starts 30 minutes before closing time. Dr. Patel "
    "runs the dermatology clinic until 7 p.m. on Thursdays.";

static const char parking_text[] =
    "We do not have our own car park. The nearest is the Prince Street "
    "multi-storey car park, a three-minute walk from the clinic, which is "
    "open 24 hours and costs \xc2\xa3" "2.80 per hour.\n"
    "Blue badge holders can park free for up to 3 hours on Quayside Walk, "
    "e.g. in the two bays outside our entrance.";

static const char peel_text[] =
    "* Apply SPF 30 or higher every day for at least four weeks.\n"
    "* Do not pick, pull or scrub at flaking skin; let it come away on its "
    "own.\n"
    "* Leave make-up off for 24 hours.\n"
    "* Avoid swimming pools, saunas and hot baths for 48 hours.";

void corpus_sources(cc_source_t *src)
{
    memset(src, 0, sizeof(*src) * 3);
    src[0].id = "visiting#opening-hours";
    src[0].title = "Opening hours";
    src[0].text = hours_text;
    src[0].len = sizeof(hours_text) - 1;
    src[0].score = 3.0;
    src[1].id = "visiting#car-parking";
    src[1].title = "Car parking near the clinic";
    src[1].text = parking_text;
    src[1].len = sizeof(parking_text) - 1;
    src[1].score = 2.0;
    src[2].id = "skin#peel-aftercare";
    src[2].title = "Aftercare following a chemical peel";
    src[2].text = peel_text;
    src[2].len = sizeof(peel_text) - 1;
    src[2].score = 1.0;
}

/* The whole file at path in p, NUL-terminated; NULL when it cannot be
 * opened. */
char *corpus_slurp(apr_pool_t *p, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f) {
        return NULL;
    }
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_int_ge(n, 0);
    ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
    buf = apr_palloc(p, (apr_size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int corpus_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

apr_array_header_t *corpus_knowledge(apr_pool_t *p, const char **root)
{
    static const char *const roots[] = { ".", "..", "../.." };
    apr_array_header_t *names = apr_array_make(p, 16, sizeof(char *));
    apr_array_header_t *all = apr_array_make(p, 256, sizeof(cc_chunk_t));
    const char *top = NULL;
    DIR *d = NULL;
    struct dirent *e;
    size_t i;
    int k, j;

    for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !d; i++) {
        d = opendir(apr_pstrcat(p, roots[i], "/knowledge", NULL));
        top = roots[i];
    }
    ck_assert_msg(d != NULL, "knowledge/ not found");
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);

        if (n > 3 && strcmp(e->d_name + n - 3, ".md") == 0) {
            APR_ARRAY_PUSH(names, char *) = apr_pstrdup(p, e->d_name);
        }
    }
    closedir(d);
    qsort(names->elts, (size_t)names->nelts, sizeof(char *),
          corpus_cmp_names);
    for (k = 0; k < names->nelts; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        apr_array_header_t *ch;
        size_t len;
        char *md = corpus_slurp(p, apr_pstrcat(p, top, "/knowledge/", name,
                                               NULL), &len);

        ck_assert_msg(md != NULL, "knowledge/%s unreadable", name);
        ch = cc_chunk_markdown(p, name, md, len, 1200);
        for (j = 0; j < ch->nelts; j++) {
            *(cc_chunk_t *)apr_array_push(all) = APR_ARRAY_IDX(ch, j,
                                                               cc_chunk_t);
        }
    }
    if (root) {
        *root = top;
    }
    return all;
}

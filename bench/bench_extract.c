/*
 * bench_extract.c - the extractive chat answer alone, in process: the
 * sample knowledge indexed as the module does (cc_chunk_markdown, 1200
 * characters, synonyms.txt), then for each question of bench/chat.lua the
 * chat path's steps timed in CPU time: search (k = 3), coverage of each
 * hit, and cc_answer_extract over the hits that clear the chat thresholds
 * (score >= 3.0, coverage >= 0.4), once with the sentence tables from the
 * index image and once computing them on the fly (sents = NULL).
 *
 *   bench_extract <knowledge dir> [--rounds N]
 *
 * Each figure is the best of 5 runs of N calls (default 2000), divided by
 * N: the cost of the call, without the scheduler's noise on a shared
 * machine.  The two extract answers must be byte-for-byte identical.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_answer.h"
#include "cc_chunk.h"
#include "cc_index.h"
#include "eval_util.h"

#define BENCH_K         3       /* MC_CHAT_K */
#define BENCH_MIN_SCORE 3.0     /* ConciergeMinScore default */
#define BENCH_MIN_COV   0.4     /* ConciergeMinCoverage default */
#define BENCH_RUNS      5

static const char *const questions[] = {
    "Where can I park my car?", "How much does lip filler cost?",
    "What are your opening hours?", "Do you do laser hair removal?",
    "How do I cancel my appointment?", "Is there step-free access?",
    "How long does anti-wrinkle treatment last?",
    "What should I do after a chemical peel?",
};
#define NQ ((int)(sizeof(questions) / sizeof(questions[0])))

static double cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

typedef struct bench_q_t {
    const char  *q;
    cc_hit_t     hits[BENCH_K];
    int          nhits;
    cc_source_t  src[BENCH_K];
    int          nsrc;
} bench_q_t;

enum { STEP_SEARCH, STEP_COVERAGE, STEP_EXTRACT, STEP_EXTRACT_FLY };

/* One call of step for question b, scratch allocations in s. */
static void step(int which, const void *img, size_t len, bench_q_t *b,
                 apr_pool_t *s)
{
    cc_source_t fly[BENCH_K];
    int i;

    switch (which) {
    case STEP_SEARCH:
        cc_index_search(img, len, b->q, strlen(b->q), b->hits, BENCH_K, s);
        break;
    case STEP_COVERAGE:
        for (i = 0; i < b->nhits; i++) {
            cc_index_coverage(img, len, b->q, strlen(b->q), b->hits[i].chunk,
                              s);
        }
        break;
    case STEP_EXTRACT:
        cc_answer_extract(s, b->q, b->src, b->nsrc, 3, NULL);
        break;
    default:
        memcpy(fly, b->src, sizeof(fly));
        for (i = 0; i < b->nsrc; i++) {
            fly[i].sents = NULL;
            fly[i].sents_len = 0;
        }
        cc_answer_extract(s, b->q, fly, b->nsrc, 3, NULL);
        break;
    }
}

/* Mean CPU microseconds per call: best of BENCH_RUNS runs of rounds. */
static double measure(int which, const void *img, size_t len, bench_q_t *b,
                      int rounds, apr_pool_t *s)
{
    double best = -1.0;
    int run, i;

    for (run = 0; run < BENCH_RUNS; run++) {
        double t0 = cpu_us(), t;

        for (i = 0; i < rounds; i++) {
            step(which, img, len, b, s);
            apr_pool_clear(s);
        }
        t = (cpu_us() - t0) / rounds;
        if (best < 0.0 || t < best) {
            best = t;
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {
        "search", "coverage", "extract (tables)", "extract (on the fly)"
    };
    apr_pool_t *p, *s;
    cc_index_builder_t *b;
    cc_problem_t prob;
    bench_q_t bq[NQ];
    double sum[4] = { 0.0, 0.0, 0.0, 0.0 };
    int rounds = 2000, i, j, nchunks = 0;
    size_t len, tables = 0, text = 0;
    void *img;
    DIR *d;
    struct dirent *e;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_extract <knowledge dir> "
                "[--rounds N]\n");
        return 2;
    }
    if (argc >= 4 && !strcmp(argv[2], "--rounds")) {
        rounds = (int)strtol(argv[3], NULL, 10);
        if (rounds < 1) {
            rounds = 1;
        }
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_pool_create(&s, p);

    b = cc_index_builder_create(p, NULL);
    d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    while ((e = readdir(d))) {
        apr_array_header_t *ch;
        size_t n;
        char *md, *path;

        if (!strstr(e->d_name, ".md")) {
            continue;
        }
        path = apr_pstrcat(p, argv[1], "/", e->d_name, NULL);
        md = ev_read_file(p, "bench_extract", path, &n);
        ch = cc_chunk_markdown(p, e->d_name, md, n, 1200);
        for (j = 0; j < ch->nelts; j++) {
            const cc_chunk_t *c = &APR_ARRAY_IDX(ch, j, cc_chunk_t);

            cc_index_builder_add(b, apr_psprintf(p, "%s#%d", e->d_name, j),
                                 c->title, c->text, c->len);
            nchunks++;
        }
    }
    closedir(d);
    {
        size_t n;
        const char *path = apr_pstrcat(p, argv[1], "/synonyms.txt", NULL);
        char *syn = ev_read_file(p, "bench_extract", path, &n);

        cc_index_builder_synonyms(b, syn, n);
    }
    memset(&prob, 0, sizeof(prob));
    if (cc_index_build(&img, &len, b, p, &prob) != APR_SUCCESS
        || cc_index_check(img, len) != 0) {
        fprintf(stderr, "bench_extract: build failed: %s\n", prob.message);
        return 1;
    }
    for (i = 0; i < nchunks; i++) {
        size_t n = 0;

        cc_index_chunk_text(img, len, (uint32_t)i, &n);
        text += n;
        cc_index_chunk_sentences(img, len, (uint32_t)i, &n);
        tables += n;
    }

    /* The chat path's sources for each question. */
    for (i = 0; i < NQ; i++) {
        bench_q_t *q = &bq[i];

        memset(q, 0, sizeof(*q));
        q->q = questions[i];
        q->nhits = cc_index_search(img, len, q->q, strlen(q->q), q->hits,
                                   BENCH_K, s);
        for (j = 0; j < q->nhits; j++) {
            uint32_t c = q->hits[j].chunk;
            cc_source_t *src = &q->src[q->nsrc];

            if (q->hits[j].score < BENCH_MIN_SCORE) {
                break;
            }
            if (cc_index_coverage(img, len, q->q, strlen(q->q), c, s)
                < BENCH_MIN_COV) {
                continue;
            }
            src->id = cc_index_chunk_id(img, len, c);
            src->title = cc_index_chunk_title(img, len, c);
            src->text = cc_index_chunk_text(img, len, c, &src->len);
            src->score = q->hits[j].score;
            src->sents = cc_index_chunk_sentences(img, len, c,
                                                  &src->sents_len);
            q->nsrc++;
        }
        apr_pool_clear(s);
        {
            const char *a = apr_pstrdup(p, cc_answer_extract(
                                            s, q->q, q->src, q->nsrc, 3,
                                            NULL));
            cc_source_t fly[BENCH_K];

            memcpy(fly, q->src, sizeof(fly));
            for (j = 0; j < q->nsrc; j++) {
                fly[j].sents = NULL;
            }
            if (strcmp(a, cc_answer_extract(s, q->q, fly, q->nsrc, 3,
                                            NULL)) != 0) {
                fprintf(stderr, "bench_extract: answers differ for \"%s\"\n",
                        q->q);
                return 1;
            }
            apr_pool_clear(s);
        }
    }

    printf("knowledge: %d chunks, image %zu bytes (texts %zu, sentence "
           "tables %zu)\n", nchunks, len, text, tables);
    printf("CPU us per call, best of %d x %d rounds\n", BENCH_RUNS, rounds);
    printf("%-44s %8s %8s %8s %8s  sources\n", "question", names[0],
           "coverage", "extract", "on-the-fly");
    for (i = 0; i < NQ; i++) {
        double t[4];
        int w;

        for (w = 0; w < 4; w++) {
            t[w] = measure(w, img, len, &bq[i], rounds, s);
            sum[w] += t[w];
        }
        printf("%-44s %8.2f %8.2f %8.2f %8.2f  %d\n", bq[i].q, t[0], t[1],
               t[2], t[3], bq[i].nsrc);
    }
    printf("%-44s %8.2f %8.2f %8.2f %8.2f\n", "mean", sum[0] / NQ,
           sum[1] / NQ, sum[2] / NQ, sum[3] / NQ);
    apr_terminate();
    return 0;
}

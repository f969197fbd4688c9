/*
 * bench_index.c - the retrieval index alone, in process: build a
 * generated 10,000-chunk knowledge base and time searches over it.
 *
 *   bench_index <knowledge dir> <questions.tsv> [--chunks N]
 *               [--markdown OUT.md]
 *
 * Chunks are made from the sample knowledge's sentences, recombined, each
 * with its own title, so the vocabulary and term statistics are those of a
 * real clinic handbook grown 60-fold.  --markdown writes the same base as
 * one Markdown document (for PUT /api/admin/knowledge in make bench).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_chunk.h"
#include "cc_index.h"
#include "eval_util.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}


/* CPU time of this thread: what a search costs, without the time the
 * scheduler gave other processes on this shared 2-core machine. */
static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    apr_array_header_t *sent, *questions;
    cc_index_builder_t *b;
    cc_index_params_t params;
    cc_problem_t prob;
    const char *mdout = NULL;
    int nchunks = 10000, i, rounds;
    void *img;
    size_t len;
    double t0, build_ms, *lat, *cpu;
    DIR *d;
    struct dirent *e;
    FILE *md = NULL;
    unsigned seed = 12345;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_index <knowledge dir> <questions.tsv> "
                "[--chunks N] [--markdown OUT]\n");
        return 2;
    }
    for (i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--chunks")) {
            nchunks = (int)strtol(argv[i + 1], NULL, 10);
        }
        else if (!strcmp(argv[i], "--markdown")) {
            mdout = argv[i + 1];
        }
    }
    apr_initialize();
    apr_pool_create(&p, NULL);

    /* Sentences of the sample knowledge. */
    sent = apr_array_make(p, 1024, sizeof(char *));
    d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    while ((e = readdir(d))) {
        apr_array_header_t *ch;
        size_t n;
        char *md_text, *path;
        int j;

        if (!strstr(e->d_name, ".md")) {
            continue;
        }
        path = apr_pstrcat(p, argv[1], "/", e->d_name, NULL);
        md_text = ev_read_file(p, "bench_index", path, &n);
        if (!md_text) {
            continue;
        }
        ch = cc_chunk_markdown(p, e->d_name, md_text, n, 1200);
        for (j = 0; j < ch->nelts; j++) {
            char *s = apr_pstrdup(p, APR_ARRAY_IDX(ch, j, cc_chunk_t).text);
            char *dot;

            while ((dot = strstr(s, ". "))) {
                *dot = '\0';
                APR_ARRAY_PUSH(sent, char *) = apr_pstrcat(p, s, ".", NULL);
                s = dot + 2;
            }
            if (*s) {
                APR_ARRAY_PUSH(sent, char *) = s;
            }
        }
    }
    closedir(d);

    /* Questions. */
    {
        size_t n;
        char *tsv = ev_read_file(p, "bench_index", argv[2], &n), *line, *save = NULL;

        questions = apr_array_make(p, 256, sizeof(char *));
        for (line = tsv ? apr_strtok(tsv, "\n", &save) : NULL; line;
             line = apr_strtok(NULL, "\n", &save)) {
            char *tab = strchr(line, '\t');

            if (tab && line[0] != '#') {
                *tab = '\0';
                APR_ARRAY_PUSH(questions, char *) = line;
            }
        }
    }
    if (sent->nelts == 0 || questions->nelts == 0) {
        fprintf(stderr, "bench_index: no knowledge or no questions\n");
        return 2;
    }

    /* Generate and build. */
    if (mdout) {
        md = fopen(mdout, "w");
        if (md) {
            fputs("# Generated clinic handbook\n\n", md);
        }
    }
    cc_index_params_default(&params);
    t0 = now_ms();
    b = cc_index_builder_create(p, &params);
    for (i = 0; i < nchunks; i++) {
        char *text = "", *title;
        int k;

        for (k = 0; k < 5; k++) {
            seed = seed * 1103515245u + 12345u;
            text = apr_pstrcat(p, text, k ? " " : "",
                               APR_ARRAY_IDX(sent, (seed >> 8) % sent->nelts,
                                             char *), NULL);
        }
        title = apr_psprintf(p, "Section %d: %.60s", i,
                             APR_ARRAY_IDX(sent, (seed >> 4) % sent->nelts,
                                           char *));
        cc_index_builder_add(b, apr_psprintf(p, "gen#%d", i), title, text,
                             strlen(text));
        if (md) {
            fprintf(md, "## %s\n\n%s\n\n", title, text);
        }
    }
    if (md) {
        fclose(md);
    }
    memset(&prob, 0, sizeof(prob));
    if (cc_index_build(&img, &len, b, p, &prob) != APR_SUCCESS) {
        fprintf(stderr, "build failed: %s\n", prob.message);
        return 1;
    }
    build_ms = now_ms() - t0;

    /* Search. */
    rounds = 20000;
    lat = malloc(sizeof(double) * rounds);
    cpu = malloc(sizeof(double) * rounds);
    {
        apr_pool_t *scratch;
        cc_hit_t hits[5];

        apr_pool_create(&scratch, p);
        for (i = 0; i < rounds; i++) {
            const char *q = APR_ARRAY_IDX(questions, i % questions->nelts,
                                          char *);
            double s = now_ms(), c = cpu_ms();

            cc_index_search(img, len, q, strlen(q), hits, 5, scratch);
            lat[i] = now_ms() - s;
            cpu[i] = cpu_ms() - c;
            apr_pool_clear(scratch);
        }
    }
    qsort(lat, rounds, sizeof(double), cmp_double);
    qsort(cpu, rounds, sizeof(double), cmp_double);
    printf("index: %d chunks, %.1f MB image, built in %.0f ms (target < 2000)\n",
           nchunks, len / 1048576.0, build_ms);
    printf("search (CPU time): %d queries, p50 %.3f ms, p99 %.3f ms, "
           "max %.3f ms (target p99 < 1 ms)\n", rounds, cpu[rounds / 2],
           cpu[rounds * 99 / 100], cpu[rounds - 1]);
    printf("search (wall clock, includes preemption on this shared "
           "machine): p50 %.3f ms, p99 %.3f ms\n", lat[rounds / 2],
           lat[rounds * 99 / 100]);
    free(lat);
    free(cpu);
    apr_terminate();
    return 0;
}

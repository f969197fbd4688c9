/* eval_kb.c - see eval_kb.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include "cc_chunk.h"
#include "cc_problem.h"
#include "eval_kb.h"
#include "eval_util.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names of the *.md files in dir. */
static apr_array_header_t *list_markdown(apr_pool_t *p, const char *dir)
{
    apr_array_header_t *names = apr_array_make(p, 16, sizeof(char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_dir_open(&d, dir, p);
    if (rv != APR_SUCCESS) {
        ev_die_apr("eval", "cannot open directory", dir, rv);
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        size_t n = fi.name ? strlen(fi.name) : 0;

        if (n > 3 && strcmp(fi.name + n - 3, ".md") == 0
            && fi.name[0] != '.' && fi.filetype == APR_REG) {
            APR_ARRAY_PUSH(names, char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    if (names->nelts > 1) {
        qsort(names->elts, (size_t)names->nelts, sizeof(char *), cmp_str);
    }
    return names;
}

apr_array_header_t *ev_load_chunks(apr_pool_t *p, const char *dir, int *ndocs)
{
    apr_array_header_t *names = list_markdown(p, dir);
    apr_array_header_t *all = apr_array_make(p, 256, sizeof(ev_chunk_t));
    int i, j;

    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const char *stem = apr_pstrmemdup(p, name, strlen(name) - 3);
        const char *path = apr_pstrcat(p, dir, "/", name, NULL);
        size_t len;
        char *md = ev_read_file(p, "eval", path, &len);
        apr_array_header_t *chunks = cc_chunk_markdown(p, stem, md, len,
                                                       EV_KB_MAX_CHARS);

        for (j = 0; chunks && j < chunks->nelts; j++) {
            const cc_chunk_t *c = &APR_ARRAY_IDX(chunks, j, cc_chunk_t);
            ev_chunk_t *e = apr_array_push(all);

            e->id = apr_psprintf(p, "%s#%d", stem, j);
            e->doc = stem;
            e->title = c->title ? c->title : "";
            e->text = c->text ? c->text : "";
            e->len = c->text ? c->len : 0;
            e->section = c->section;
        }
    }
    *ndocs = names->nelts;
    return all;
}

void ev_build_index(void **img, size_t *len, apr_pool_t *p,
                    const apr_array_header_t *chunks,
                    const cc_index_params_t *params,
                    const char *syn, size_t synlen, int *malformed)
{
    cc_index_builder_t *b = cc_index_builder_create(p, params);
    cc_problem_t prob;
    apr_status_t rv;
    int i;

    if (!b) {
        fprintf(stderr, "eval: cc_index_builder_create failed\n");
        exit(2);
    }
    for (i = 0; i < chunks->nelts; i++) {
        const ev_chunk_t *c = &APR_ARRAY_IDX(chunks, i, ev_chunk_t);

        cc_index_builder_add(b, c->id, c->title, c->text, c->len);
    }
    *malformed = syn ? cc_index_builder_synonyms(b, syn, synlen) : 0;
    memset(&prob, 0, sizeof(prob));
    rv = cc_index_build(img, len, b, p, &prob);
    if (rv != APR_SUCCESS || cc_index_check(*img, *len) != 0) {
        fprintf(stderr, "eval: cc_index_build failed (%d)\n",
                (int)rv);
        exit(2);
    }
}


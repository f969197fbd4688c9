/*
 * eval_retrieval.c - retrieval evaluation over the sample knowledge base.
 *
 *   eval_retrieval <knowledge dir> <retrieval.tsv>
 *
 * Loads every <knowledge dir>/NAME.md (cc_chunk_markdown, max_chars 1200,
 * chunk ids "<file-stem>#<n>"), <knowledge dir>/synonyms.txt if present,
 * and the labelled questions ("question<TAB>expected heading<TAB>kind",
 * kind "direct" or "paraphrase"; blank lines and lines starting with '#'
 * are skipped).  For every question the rank is that of the first chunk
 * whose title equals the expected heading, within the top CC_EVAL_K hits
 * (beyond that, or not found: a miss).  Four configurations are scored in
 * the same run:
 *
 *   (a) TF-IDF cosine baseline, implemented here: cc_tok_terms with
 *       CC_TOK_STEM | CC_TOK_NOSTOP over title + text, tf * idf with
 *       idf = ln((1 + N) / (1 + df)) + 1, L2-normalised, cosine
 *   (b) BM25 over the body only (title_weight 0, synonym_weight 0),
 *       re-ranked as shipped
 *   (c) (b) + title field (default title_weight, synonym_weight 0),
 *       re-ranked as shipped
 *   (d) the shipped defaults: title field + synonym expansion, re-ranked
 *
 * "Re-ranked": (b), (c) and (d) all keep the default coverage_weight and
 * pair_weight, so their best 16 BM25 candidates are re-scored by
 * coverage^0.5 and the adjacent-pair bonus (cc_index.h).  The coverage
 * counts a synonym of a question word as present (the synonym list is in
 * every image), so (b) and (c) are not free of synonyms either: they show
 * what the title field and the expansion add to the ranking, not plain
 * BM25.
 *
 * Prints recall@1, recall@3 and MRR overall, for direct and for paraphrase
 * questions, the questions (d) misses in its top 3, and a final line
 *   eval: recall@3 <d> (target 0.90), baseline <a>
 * Exit status: 0 when recall@3 of (d) >= 0.90 and above the baseline,
 * 1 when not, 2 on a usage, input or data error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include "cc_chunk.h"
#include "cc_index.h"
#include "eval_util.h"
#include "eval_kb.h"
#include "cc_tok.h"
#include "cc_problem.h"

#define CC_EVAL_MAX_CHARS 1200
#define CC_EVAL_K         64
#define CC_EVAL_TARGET    0.90
#define CC_EVAL_TOK       (CC_TOK_STEM | CC_TOK_NOSTOP)

enum { KIND_DIRECT = 0, KIND_PARAPHRASE = 1, NKINDS = 2 };
enum { CFG_TFIDF = 0, CFG_BODY, CFG_TITLE, CFG_DEFAULT, NCFG };

static const char *const cfg_names[NCFG] = {
    "(a) TF-IDF cosine baseline",
    "(b) BM25 body, re-ranked",
    "(c) BM25 + title, re-ranked",
    "(d) (c) + synonyms (shipped)",
};

typedef struct ev_question_t {
    const char *q;
    const char *expected;
    int         kind;
    int         line;
    int         rank[NCFG]; /* 1-based, 0 = miss */
    int         first[NCFG];/* chunk ranked 1st, -1 = none */
} ev_question_t;

/* TF-IDF baseline: a posting per (term, chunk). */
typedef struct tf_post_t {
    int    chunk;
    double w;               /* tf first, then tf * idf / |d| */
} tf_post_t;

typedef struct tf_term_t {
    apr_array_header_t *post;   /* tf_post_t, in chunk order */
    double              idf;
} tf_term_t;

typedef struct tf_model_t {
    apr_hash_t *terms;          /* term -> tf_term_t * */
    int         nchunks;
} tf_model_t;

typedef struct ev_score_t {
    double r1, r3, rr;
    int    n;
} ev_score_t;



static int parse_kind(const char *s)
{
    if (strcmp(s, "direct") == 0) {
        return KIND_DIRECT;
    }
    if (strcmp(s, "paraphrase") == 0) {
        return KIND_PARAPHRASE;
    }
    return -1;
}


static apr_array_header_t *load_questions(apr_pool_t *p, const char *path)
{
    apr_array_header_t *qs = apr_array_make(p, 256, sizeof(ev_question_t));
    size_t len, pos = 0;
    char *buf = ev_read_file(p, "eval_retrieval", path, &len);
    int line = 0, bad = 0;

    while (pos < len) {
        char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        char *t1, *t2, *q, *h, *k;
        ev_question_t *e;
        int kind, c;

        line++;
        if (nl) {
            *nl = '\0';
            pos = (size_t)(nl - buf) + 1;
        }
        else {
            pos = len;
        }
        s = ev_trim(s);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        t1 = strchr(s, '\t');
        t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t1 || !t2 || strchr(t2 + 1, '\t')) {
            fprintf(stderr, "%s:%d: expected 3 tab-separated fields\n",
                    path, line);
            bad++;
            continue;
        }
        *t1 = '\0';
        *t2 = '\0';
        q = ev_trim(s);
        h = ev_trim(t1 + 1);
        k = ev_trim(t2 + 1);
        kind = parse_kind(k);
        if (*q == '\0' || *h == '\0' || kind < 0) {
            fprintf(stderr, "%s:%d: empty question or heading, or kind "
                    "not direct/paraphrase\n", path, line);
            bad++;
            continue;
        }
        e = apr_array_push(qs);
        memset(e, 0, sizeof(*e));
        e->q = q;
        e->expected = h;
        e->kind = kind;
        e->line = line;
        for (c = 0; c < NCFG; c++) {
            e->first[c] = -1;
        }
    }
    if (bad) {
        exit(2);
    }
    return qs;
}

/* Every expected heading must be the title of exactly one section
 * (a long section may have several chunks with the same title). */
static int check_headings(apr_pool_t *p, const apr_array_header_t *chunks,
                          const apr_array_header_t *qs, const char *tsv)
{
    apr_hash_t *sections = apr_hash_make(p);    /* title -> count */
    apr_hash_t *seen = apr_hash_make(p);        /* doc \n section */
    int i, bad = 0;

    for (i = 0; i < chunks->nelts; i++) {
        const ev_chunk_t *c = &APR_ARRAY_IDX(chunks, i, ev_chunk_t);
        const char *key = apr_psprintf(p, "%s\n%d", c->doc, c->section);
        int *n;

        if (apr_hash_get(seen, key, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, key, APR_HASH_KEY_STRING, "");
        n = apr_hash_get(sections, c->title, APR_HASH_KEY_STRING);
        if (!n) {
            n = apr_pcalloc(p, sizeof(*n));
            apr_hash_set(sections, c->title, APR_HASH_KEY_STRING, n);
        }
        (*n)++;
    }
    for (i = 0; i < qs->nelts; i++) {
        const ev_question_t *q = &APR_ARRAY_IDX(qs, i, ev_question_t);
        const int *n = apr_hash_get(sections, q->expected,
                                    APR_HASH_KEY_STRING);

        if (!n || *n != 1) {
            fprintf(stderr, "%s:%d: heading \"%s\" is the title of %d "
                    "sections (expected exactly 1)\n", tsv, q->line,
                    q->expected, n ? *n : 0);
            bad++;
        }
    }
    return bad;
}

/* ---- (a) TF-IDF cosine baseline ------------------------------------------ */

static tf_term_t *tf_term(apr_pool_t *p, apr_hash_t *terms, const char *t)
{
    tf_term_t *e = apr_hash_get(terms, t, APR_HASH_KEY_STRING);

    if (!e) {
        e = apr_pcalloc(p, sizeof(*e));
        e->post = apr_array_make(p, 4, sizeof(tf_post_t));
        apr_hash_set(terms, apr_pstrdup(p, t), APR_HASH_KEY_STRING, e);
    }
    return e;
}

static void tf_build(tf_model_t *m, apr_pool_t *p,
                     const apr_array_header_t *chunks)
{
    double *norm = apr_pcalloc(p, (apr_size_t)(chunks->nelts + 1)
                                  * sizeof(double));
    apr_hash_index_t *hi;
    int i, j;

    m->terms = apr_hash_make(p);
    m->nchunks = chunks->nelts;
    for (i = 0; i < chunks->nelts; i++) {
        const ev_chunk_t *c = &APR_ARRAY_IDX(chunks, i, ev_chunk_t);
        const char *doc = apr_pstrcat(p, c->title, "\n", c->text, NULL);
        apr_array_header_t *t = cc_tok_terms(p, doc, strlen(doc), CC_EVAL_TOK);

        for (j = 0; t && j < t->nelts; j++) {
            tf_term_t *e = tf_term(p, m->terms,
                                   APR_ARRAY_IDX(t, j, const char *));
            tf_post_t *last = e->post->nelts > 0
                ? &APR_ARRAY_IDX(e->post, e->post->nelts - 1, tf_post_t)
                : NULL;

            if (last && last->chunk == i) {
                last->w += 1.0;
            }
            else {
                tf_post_t *np = apr_array_push(e->post);

                np->chunk = i;
                np->w = 1.0;
            }
        }
    }
    for (hi = apr_hash_first(p, m->terms); hi; hi = apr_hash_next(hi)) {
        tf_term_t *e = apr_hash_this_val(hi);

        e->idf = log((1.0 + m->nchunks) / (1.0 + e->post->nelts)) + 1.0;
        for (j = 0; j < e->post->nelts; j++) {
            tf_post_t *pp = &APR_ARRAY_IDX(e->post, j, tf_post_t);

            pp->w *= e->idf;
            norm[pp->chunk] += pp->w * pp->w;
        }
    }
    for (hi = apr_hash_first(p, m->terms); hi; hi = apr_hash_next(hi)) {
        tf_term_t *e = apr_hash_this_val(hi);

        for (j = 0; j < e->post->nelts; j++) {
            tf_post_t *pp = &APR_ARRAY_IDX(e->post, j, tf_post_t);

            if (norm[pp->chunk] > 0.0) {
                pp->w /= sqrt(norm[pp->chunk]);
            }
        }
    }
}

/* Ranking by cosine: hits[] best first (score desc, chunk asc), at most k,
 * only scores > 0.  Returns how many. */
static int tf_search(const tf_model_t *m, apr_pool_t *scratch,
                     const char *query, cc_hit_t *hits, int k)
{
    apr_array_header_t *t = cc_tok_terms(scratch, query, strlen(query),
                                         CC_EVAL_TOK);
    apr_hash_t *qtf = apr_hash_make(scratch);
    apr_hash_index_t *hi;
    double *score, qnorm = 0.0;
    int i, n = 0;

    if (!t || t->nelts == 0 || m->nchunks == 0) {
        return 0;
    }
    for (i = 0; i < t->nelts; i++) {
        const char *term = APR_ARRAY_IDX(t, i, const char *);
        double *c = apr_hash_get(qtf, term, APR_HASH_KEY_STRING);

        if (!c) {
            c = apr_pcalloc(scratch, sizeof(*c));
            apr_hash_set(qtf, term, APR_HASH_KEY_STRING, c);
        }
        *c += 1.0;
    }
    score = apr_pcalloc(scratch, (apr_size_t)m->nchunks * sizeof(double));
    for (hi = apr_hash_first(scratch, qtf); hi; hi = apr_hash_next(hi)) {
        const char *term = apr_hash_this_key(hi);
        const double *c = apr_hash_this_val(hi);
        const tf_term_t *e = apr_hash_get(m->terms, term,
                                          APR_HASH_KEY_STRING);
        double qw;
        int j;

        if (!e) {
            continue;       /* unknown to the corpus: no weight either side */
        }
        qw = *c * e->idf;
        qnorm += qw * qw;
        for (j = 0; j < e->post->nelts; j++) {
            const tf_post_t *pp = &APR_ARRAY_IDX(e->post, j, tf_post_t);

            score[pp->chunk] += qw * pp->w;
        }
    }
    if (!(qnorm > 0.0)) {
        return 0;
    }
    /* Insertion into a sorted top-k (k is small). */
    for (i = 0; i < m->nchunks; i++) {
        double s = score[i] / sqrt(qnorm);
        int j;

        if (!(s > 0.0)) {
            continue;
        }
        if (n == k && !(s > hits[k - 1].score)) {
            continue;
        }
        j = n < k ? n++ : k - 1;
        while (j > 0 && hits[j - 1].score < s) {
            hits[j] = hits[j - 1];
            j--;
        }
        hits[j].chunk = (uint32_t)i;
        hits[j].score = s;
    }
    return n;
}

/* ---- BM25 configurations ------------------------------------------------- */

/* ---- scoring -------------------------------------------------------------- */

static void score_add(ev_score_t *s, int rank)
{
    s->n++;
    if (rank >= 1) {
        s->rr += 1.0 / rank;
        if (rank <= 1) {
            s->r1 += 1.0;
        }
        if (rank <= 3) {
            s->r3 += 1.0;
        }
    }
}

static double frac(double x, int n)
{
    return n > 0 ? x / n : 0.0;
}

static void print_cell(const ev_score_t *s)
{
    if (s->n == 0) {
        printf("   -     -     -   |");
        return;
    }
    printf(" %5.3f %5.3f %5.3f |", frac(s->r1, s->n), frac(s->r3, s->n),
           frac(s->rr, s->n));
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool, *scratch;
    apr_array_header_t *chunks, *qs;
    tf_model_t tf;
    cc_index_params_t params[NCFG];
    void *img[NCFG] = { NULL };
    size_t imglen[NCFG] = { 0 };
    ev_score_t sc[NCFG][NKINDS + 1];
    cc_index_stats_t st;
    const char *dir, *tsv, *synpath;
    char *syn = NULL;
    size_t synlen = 0;
    apr_finfo_t fi;
    int ndocs, i, c, malformed = 0, misses = 0, nkind[NKINDS] = { 0, 0 };
    double recall, baseline;

    if (argc != 3) {
        fprintf(stderr, "usage: eval_retrieval <knowledge dir> "
                "<retrieval.tsv>\n");
        return 2;
    }
    dir = argv[1];
    tsv = argv[2];
    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fprintf(stderr, "eval_retrieval: apr_app_initialize failed\n");
        return 2;
    }
    atexit(apr_terminate);
    if (apr_pool_create(&pool, NULL) != APR_SUCCESS
        || apr_pool_create(&scratch, pool) != APR_SUCCESS) {
        fprintf(stderr, "eval_retrieval: cannot create pools\n");
        return 2;
    }

    chunks = ev_load_chunks(pool, dir, &ndocs);
    if (chunks->nelts == 0) {
        fprintf(stderr, "eval_retrieval: no chunks in %s/*.md\n", dir);
        return 2;
    }
    synpath = apr_pstrcat(pool, dir, "/synonyms.txt", NULL);
    if (apr_stat(&fi, synpath, APR_FINFO_TYPE, pool) == APR_SUCCESS
        && fi.filetype == APR_REG) {
        syn = ev_read_file(pool, "eval_retrieval", synpath, &synlen);
    }
    qs = load_questions(pool, tsv);
    if (qs->nelts == 0) {
        fprintf(stderr, "eval_retrieval: no questions in %s\n", tsv);
        return 2;
    }
    if (check_headings(pool, chunks, qs, tsv) != 0) {
        return 2;
    }

    /* Build the four rankers. */
    tf_build(&tf, pool, chunks);
    for (c = CFG_BODY; c < NCFG; c++) {
        cc_index_params_default(&params[c]);
    }
    params[CFG_BODY].title_weight = 0.0;
    params[CFG_BODY].synonym_weight = 0.0;
    params[CFG_TITLE].synonym_weight = 0.0;
    for (c = CFG_BODY; c < NCFG; c++) {
        int m = 0;

        ev_build_index(&img[c], &imglen[c], pool, chunks, &params[c], syn,
                   synlen, &m);
        if (c == CFG_DEFAULT) {
            malformed = m;
        }
    }
    if (cc_index_stats(img[CFG_DEFAULT], imglen[CFG_DEFAULT], &st) != 0) {
        fprintf(stderr, "eval_retrieval: cc_index_stats failed\n");
        return 2;
    }

    /* Rank every question under every configuration. */
    memset(sc, 0, sizeof(sc));
    for (i = 0; i < qs->nelts; i++) {
        ev_question_t *q = &APR_ARRAY_IDX(qs, i, ev_question_t);

        nkind[q->kind]++;
        for (c = 0; c < NCFG; c++) {
            cc_hit_t hits[CC_EVAL_K];
            int n, h;

            apr_pool_clear(scratch);
            if (c == CFG_TFIDF) {
                n = tf_search(&tf, scratch, q->q, hits, CC_EVAL_K);
            }
            else {
                n = cc_index_search(img[c], imglen[c], q->q, strlen(q->q),
                                    hits, CC_EVAL_K, scratch);
            }
            q->rank[c] = 0;
            q->first[c] = n > 0 ? (int)hits[0].chunk : -1;
            for (h = 0; h < n; h++) {
                const ev_chunk_t *ch;

                if (hits[h].chunk >= (uint32_t)chunks->nelts) {
                    continue;
                }
                ch = &APR_ARRAY_IDX(chunks, hits[h].chunk, ev_chunk_t);
                if (strcmp(ch->title, q->expected) == 0) {
                    q->rank[c] = h + 1;
                    break;
                }
            }
            score_add(&sc[c][NKINDS], q->rank[c]);
            score_add(&sc[c][q->kind], q->rank[c]);
        }
    }

    /* Report. */
    printf("corpus: %d files, %d chunks, %u terms, %u synonym groups "
           "(%d malformed lines), avg chunk length %.1f terms\n",
           ndocs, chunks->nelts, st.nterms, st.nsynonym_groups, malformed,
           st.avg_len);
    printf("questions: %d (%d direct, %d paraphrase); a hit is the first "
           "chunk titled with the expected heading within the top %d\n",
           qs->nelts, nkind[KIND_DIRECT], nkind[KIND_PARAPHRASE], CC_EVAL_K);
    printf("BM25 defaults: k1 %.2f, b %.2f, title_weight %.2f, "
           "synonym_weight %.2f; re-rank of (b)-(d): coverage_weight %.2f, "
           "pair_weight %.2f\n\n", params[CFG_DEFAULT].k1,
           params[CFG_DEFAULT].b, params[CFG_DEFAULT].title_weight,
           params[CFG_DEFAULT].synonym_weight,
           params[CFG_DEFAULT].coverage_weight,
           params[CFG_DEFAULT].pair_weight);

    printf("%-30s |          all          |        direct         |"
           "      paraphrase       |\n", "configuration");
    printf("%-30s |", "");
    for (i = 0; i <= NKINDS; i++) {
        printf("  R@1   R@3   MRR  |");
    }
    printf("\n");
    for (c = 0; c < NCFG; c++) {
        printf("%-30s |", cfg_names[c]);
        print_cell(&sc[c][NKINDS]);
        print_cell(&sc[c][KIND_DIRECT]);
        print_cell(&sc[c][KIND_PARAPHRASE]);
        printf("\n");
    }

    for (i = 0; i < qs->nelts; i++) {
        const ev_question_t *q = &APR_ARRAY_IDX(qs, i, ev_question_t);
        const ev_chunk_t *top;

        if (q->rank[CFG_DEFAULT] >= 1 && q->rank[CFG_DEFAULT] <= 3) {
            continue;
        }
        if (misses++ == 0) {
            printf("\nmissed in the top 3 by (d):\n");
        }
        top = q->first[CFG_DEFAULT] >= 0
            ? &APR_ARRAY_IDX(chunks, q->first[CFG_DEFAULT], ev_chunk_t)
            : NULL;
        printf("  [%s] %s\n      expected: %s (rank %s)\n"
               "      1st:      %s%s%s%s\n",
               q->kind == KIND_DIRECT ? "direct" : "paraphrase", q->q,
               q->expected,
               q->rank[CFG_DEFAULT] > 0
                   ? apr_itoa(scratch, q->rank[CFG_DEFAULT]) : "none",
               top ? top->title : "(nothing)", top ? " [" : "",
               top ? top->id : "", top ? "]" : "");
    }

    recall = frac(sc[CFG_DEFAULT][NKINDS].r3, sc[CFG_DEFAULT][NKINDS].n);
    baseline = frac(sc[CFG_TFIDF][NKINDS].r3, sc[CFG_TFIDF][NKINDS].n);
    printf("\neval: recall@3 %.3f (target %.2f), baseline %.3f\n",
           recall, CC_EVAL_TARGET, baseline);
    apr_pool_destroy(pool);
    if (recall + 1e-9 < CC_EVAL_TARGET || !(recall > baseline)) {
        return 1;
    }
    return 0;
}

/* Unit tests: cc_chunk (markdown sections, splitting long sections). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_chunk.h"
#include "suites.h"

static apr_pool_t *new_pool(void)
{
    apr_pool_t *p = NULL;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* ---- table: documents without splitting -------------------------------- */

typedef struct want_t {
    const char *title;
    const char *text;
    int         section;
    int         part;
} want_t;

#define MAXW 6

typedef struct doc_case_t {
    const char *name;
    const char *doc_title;
    const char *md;
    size_t      max_chars;
    int         n;
    want_t      want[MAXW];
} doc_case_t;

static const doc_case_t doc_cases[] = {
    { "atx", "Doc",
      "# Intro\nHello world.\n## Details\nMore text.\n", 0, 2,
      { { "Intro", "Hello world.", 0, 0 },
        { "Details", "More text.", 1, 0 } } },
    { "atx levels and indent", "Doc",
      "###### Six\nsix\n   ### Indented three\nthree\n", 0, 2,
      { { "Six", "six", 0, 0 }, { "Indented three", "three", 1, 0 } } },
    { "atx not headings", "Doc",
      "####### seven\n#hashtag\n    # indented code\n", 0, 1,
      { { "Doc", "####### seven\n#hashtag\n    # indented code", 0, 0 } } },
    { "atx title as written", "Doc",
      "#   Opening *hours*  \ntext\n", 0, 1,
      { { "Opening *hours*", "text", 0, 0 } } },
    { "trailing hashes", "Doc",
      "## Parking ##\np\n### Fees ######   \nf\n# C#\nc\n# Tag #x\nt\n", 0, 4,
      { { "Parking", "p", 0, 0 }, { "Fees", "f", 1, 0 }, { "C#", "c", 2, 0 },
        { "Tag #x", "t", 3, 0 } } },
    { "setext", "Doc",
      "Opening hours\n=============\nWe open at 9.\n\nParking\n-------\n"
      "Free parking.\n", 0, 2,
      { { "Opening hours", "We open at 9.", 0, 0 },
        { "Parking", "Free parking.", 1, 0 } } },
    { "setext takes only the paragraph", "Doc",
      "# First\nbody one\n\nSecond\n===\nbody two\n", 0, 2,
      { { "First", "body one", 0, 0 }, { "Second", "body two", 1, 0 } } },
    { "setext multi-line paragraph", "Doc",
      "Long\ntitle\n---\nbody\n", 0, 1,
      { { "Long title", "body", 0, 0 } } },
    { "thematic break is not setext", "Doc",
      "# A\ntext\n\n---\nmore\n", 0, 1,
      { { "A", "text\n\n---\nmore", 0, 0 } } },
    { "list item then dashes", "Doc",
      "# A\n- item\n---\n", 0, 1,
      { { "A", "- item\n---", 0, 0 } } },
    { "text before first heading", "Guide",
      "Some intro.\n\n# First\nBody\n", 0, 2,
      { { "Guide", "Some intro.", 0, 0 }, { "First", "Body", 1, 0 } } },
    { "text before first heading, no doc title", NULL,
      "Some intro.\n# First\nBody\n", 0, 2,
      { { "", "Some intro.", 0, 0 }, { "First", "Body", 1, 0 } } },
    { "code fence", "Doc",
      "# Setup\n```sh\n# not a heading\nx = 1\n```\nAfter.\n# Next\nN\n", 0, 2,
      { { "Setup", "```sh\n# not a heading\nx = 1\n```\nAfter.", 0, 0 },
        { "Next", "N", 1, 0 } } },
    { "tilde fence, longer closer", "Doc",
      "# S\n~~~~\n# a\n~~~\n## b\n~~~~~\n# T\nt\n", 0, 2,
      { { "S", "~~~~\n# a\n~~~\n## b\n~~~~~", 0, 0 }, { "T", "t", 1, 0 } } },
    { "setext inside fence", "Doc",
      "# S\n```\nx\n===\n```\n", 0, 1,
      { { "S", "```\nx\n===\n```", 0, 0 } } },
    { "unclosed fence", "Doc",
      "# S\n```\n# a\n# b\n", 0, 1,
      { { "S", "```\n# a\n# b", 0, 0 } } },
    { "empty sections dropped", "Doc",
      "# A\n\n# B\ntext\n# C\n   \n\t\n## D\n", 0, 1,
      { { "B", "text", 0, 0 } } },
    { "empty preamble", "Doc",
      "\n\n  \n# A\na\n", 0, 1,
      { { "A", "a", 0, 0 } } },
    { "plain text", "Doc",
      "Just some text.\nSecond line.\n\nAnother paragraph.", 0, 1,
      { { "Doc", "Just some text.\nSecond line.\n\nAnother paragraph.", 0,
          0 } } },
    { "crlf", "Doc",
      "# Title\r\nLine one\r\nLine two\r\n\r\n# Two\r\nX\r\n", 0, 2,
      { { "Title", "Line one\nLine two", 0, 0 }, { "Two", "X", 1, 0 } } },
    { "crlf setext", "Doc",
      "Hours\r\n=====\r\nNine to five.\r\n", 0, 1,
      { { "Hours", "Nine to five.", 0, 0 } } },
    { "utf-8 title", "Doc",
      "# Café ☕ hours\nOuvert.\n", 0, 1,
      { { "Café ☕ hours", "Ouvert.", 0, 0 } } },
    { "empty document", "Doc", "", 0, 0, { { NULL, NULL, 0, 0 } } },
    { "only headings", "Doc", "# A\n## B\n", 0, 0, { { NULL, NULL, 0, 0 } } },
    { "split at paragraphs", "Doc",
      "# T\naaaa aaaa aaaa.\n\nbbbb bbbb bbbb.\n\ncccc cccc cccc.\n", 35, 2,
      { { "T", "aaaa aaaa aaaa.\n\nbbbb bbbb bbbb.", 0, 0 },
        { "T", "cccc cccc cccc.", 0, 1 } } },
    { "split at sentences", "Doc",
      "# T\nOne two three. Four five six! Seven eight nine? Ten.\n", 30, 2,
      { { "T", "One two three. Four five six!", 0, 0 },
        { "T", "Seven eight nine? Ten.", 0, 1 } } },
    { "split hard", "Doc",
      "# T\naaaaaaaaaabbbbbbbbbbccccc\n", 10, 3,
      { { "T", "aaaaaaaaaa", 0, 0 }, { "T", "bbbbbbbbbb", 0, 1 },
        { "T", "ccccc", 0, 2 } } },
    { "split utf-8", "Doc",
      "# T\n\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n", 5, 2,
      { { "T", "\xc3\xa9\xc3\xa9", 0, 0 },
        { "T", "\xc3\xa9\xc3\xa9", 0, 1 } } },
    { "split keeps section numbers", "Doc",
      "# A\nshort\n# B\n1234567890. 1234567890\n# C\nend\n", 12, 4,
      { { "A", "short", 0, 0 }, { "B", "1234567890.", 1, 0 },
        { "B", "1234567890", 1, 1 }, { "C", "end", 2, 0 } } },
};

START_TEST(test_doc_cases)
{
    const doc_case_t *c = &doc_cases[_i];
    apr_pool_t *p = new_pool();
    apr_array_header_t *a;
    int i;

    a = cc_chunk_markdown(p, c->doc_title, c->md, strlen(c->md), c->max_chars);
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(a->nelts == c->n, "%s: %d chunks, want %d", c->name,
                  a->nelts, c->n);
    for (i = 0; i < c->n; i++) {
        const cc_chunk_t *ch = &APR_ARRAY_IDX(a, i, cc_chunk_t);

        ck_assert_msg(strcmp(ch->title, c->want[i].title) == 0,
                      "%s[%d]: title '%s', want '%s'", c->name, i, ch->title,
                      c->want[i].title);
        ck_assert_msg(strcmp(ch->text, c->want[i].text) == 0,
                      "%s[%d]: text '%s', want '%s'", c->name, i, ch->text,
                      c->want[i].text);
        ck_assert_uint_eq(ch->len, strlen(c->want[i].text));
        ck_assert_msg(ch->section == c->want[i].section
                      && ch->part == c->want[i].part,
                      "%s[%d]: section %d part %d, want %d %d", c->name, i,
                      ch->section, ch->part, c->want[i].section,
                      c->want[i].part);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- splitting long sections ------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Every non-space byte of src, in order. */
static char *squeeze(apr_pool_t *p, const char *src, size_t n, size_t *out)
{
    char *d = apr_palloc(p, n + 1);
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            d[k++] = src[i];
        }
    }
    d[k] = '\0';
    *out = k;
    return d;
}

static int utf8_valid(const char *s, size_t n)
{
    size_t i = 0, k, need;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x80) {
            need = 0;
        }
        else if (c >= 0xF0 && c < 0xF8) {
            need = 3;
        }
        else if (c >= 0xE0 && c < 0xF0) {
            need = 2;
        }
        else if (c >= 0xC0 && c < 0xE0) {
            need = 1;
        }
        else {
            return 0;
        }
        if (need > n - i - 1) {
            return 0;
        }
        for (k = 1; k <= need; k++) {
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
        }
        i += need + 1;
    }
    return 1;
}

START_TEST(test_split_long_section)
{
    static const char *words[] = {
        "clinic", "appointment", "nurse", "é", "naïve", "über", "☕",
        "x", "reception", "portal", "prescription"
    };
    static const size_t maxes[] = { 40, 64, 100, 250, 1000 };
    apr_pool_t *p = new_pool();
    uint32_t seed = 7;
    int round;

    for (round = 0; round < 50; round++) {
        char *body = apr_palloc(p, 20000);
        size_t blen = 0, mi, k;

        /* ~6 KB of words, sentences, paragraphs and the odd long word. */
        while (blen < 6000) {
            uint32_t r = lcg(&seed);
            const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
            size_t wl = strlen(w);

            memcpy(body + blen, w, wl);
            blen += wl;
            r = lcg(&seed) % 40;
            if (r == 0) {
                memcpy(body + blen, ".\n\n", 3);
                blen += 3;
            }
            else if (r < 4) {
                memcpy(body + blen, ". ", 2);
                blen += 2;
            }
            else if (r == 4 && round % 3 == 0) {
                for (k = 0; k < 300; k++) {
                    body[blen++] = (char)('a' + k % 26);
                }
                body[blen++] = ' ';
            }
            else {
                body[blen++] = ' ';
            }
        }
        body[blen] = '\0';
        for (mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
            const char *md = apr_pstrcat(p, "intro\n# Long section\n", body,
                                         "\n# Tail\nend\n", NULL);
            apr_array_header_t *a = cc_chunk_markdown(p, "Doc", md,
                                                      strlen(md), maxes[mi]);
            const char *want;
            char *got = apr_palloc(p, blen + 1);
            size_t wn, gn = 0, sn;
            int i, parts = 0;

            ck_assert_int_ge(a->nelts, 3);
            ck_assert_str_eq(APR_ARRAY_IDX(a, 0, cc_chunk_t).title, "Doc");
            for (i = 1; i < a->nelts - 1; i++) {
                const cc_chunk_t *ch = &APR_ARRAY_IDX(a, i, cc_chunk_t);
                const char *sq;

                ck_assert_str_eq(ch->title, "Long section");
                ck_assert_int_eq(ch->section, 1);
                ck_assert_int_eq(ch->part, parts);
                parts++;
                ck_assert_msg(ch->len <= maxes[mi], "chunk of %zu > %zu",
                              ch->len, maxes[mi]);
                ck_assert_uint_eq(strlen(ch->text), ch->len);
                ck_assert_msg(utf8_valid(ch->text, ch->len),
                              "chunk splits a UTF-8 sequence");
                ck_assert(ch->len > 0 && ch->text[0] != ' '
                          && ch->text[ch->len - 1] != ' '
                          && ch->text[ch->len - 1] != '\n');
                sq = squeeze(p, ch->text, ch->len, &sn);
                memcpy(got + gn, sq, sn);
                gn += sn;
            }
            ck_assert_int_gt(parts, 1);
            ck_assert_str_eq(APR_ARRAY_IDX(a, a->nelts - 1, cc_chunk_t).title,
                             "Tail");
            ck_assert_int_eq(
                APR_ARRAY_IDX(a, a->nelts - 1, cc_chunk_t).section, 2);
            /* Nothing lost, nothing duplicated. */
            want = squeeze(p, body, blen, &wn);
            ck_assert_uint_eq(gn, wn);
            ck_assert(memcmp(got, want, wn) == 0);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_split_prefers_paragraph)
{
    apr_pool_t *p = new_pool();
    const char *md = "# T\nFirst paragraph. It has two sentences.\n\n"
                     "Second paragraph is a bit longer. And more. Yes.\n";
    apr_array_header_t *a = cc_chunk_markdown(p, NULL, md, strlen(md), 80);

    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, cc_chunk_t).text,
                     "First paragraph. It has two sentences.");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, cc_chunk_t).text,
                     "Second paragraph is a bit longer. And more. Yes.");
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_null_and_tiny_max)
{
    apr_pool_t *p = new_pool();
    apr_array_header_t *a = cc_chunk_markdown(p, "Doc", NULL, 10, 100);
    const char *md = "# T\n\xe2\x98\x95\xe2\x98\x95 ab\n";
    int i;

    ck_assert_int_eq(a->nelts, 0);
    /* max_chars smaller than one character: whole characters, progress. */
    a = cc_chunk_markdown(p, "Doc", md, strlen(md), 1);
    ck_assert_int_eq(a->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, cc_chunk_t).text, "\xe2\x98\x95");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, cc_chunk_t).text, "\xe2\x98\x95");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 2, cc_chunk_t).text, "a");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 3, cc_chunk_t).text, "b");
    for (i = 0; i < a->nelts; i++) {
        ck_assert_int_eq(APR_ARRAY_IDX(a, i, cc_chunk_t).part, i);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_binary_garbage)
{
    static const size_t maxes[] = { 0, 1, 3, 7, 64, 500 };
    apr_pool_t *p = new_pool();
    uint32_t seed = 12345;
    int round;

    for (round = 0; round < 200; round++) {
        size_t n = lcg(&seed) % 8192, i, mi;
        char *buf = malloc(n ? n : 1);

        ck_assert_ptr_nonnull(buf);
        for (i = 0; i < n; i++) {
            uint32_t r = lcg(&seed);

            /* Bias towards markdown-significant bytes. */
            switch (r % 8) {
            case 0:  buf[i] = "#=-`~\n\r \t."[(r >> 8) % 11]; break;
            case 1:  buf[i] = '\n'; break;
            default: buf[i] = (char)(r >> 4); break;
            }
        }
        for (mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
            apr_pool_t *sub = new_pool();
            apr_array_header_t *a = cc_chunk_markdown(sub, "G", buf, n,
                                                      maxes[mi]);
            int k;

            for (k = 0; k < a->nelts; k++) {
                const cc_chunk_t *ch = &APR_ARRAY_IDX(a, k, cc_chunk_t);

                ck_assert_ptr_nonnull(ch->title);
                ck_assert_ptr_nonnull(ch->text);
                ck_assert(ch->len > 0);
                ck_assert(ch->text[ch->len] == '\0');
                if (maxes[mi] >= 4) {
                    ck_assert(ch->len <= maxes[mi]);
                }
            }
            apr_pool_destroy(sub);
        }
        free(buf);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_chunk(void)
{
    Suite *s = suite_create("chunk");
    TCase *tc = tcase_create("chunk");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_doc_cases, 0,
                        (int)(sizeof(doc_cases) / sizeof(doc_cases[0])));
    tcase_add_test(tc, test_split_long_section);
    tcase_add_test(tc, test_split_prefers_paragraph);
    tcase_add_test(tc, test_null_and_tiny_max);
    tcase_add_test(tc, test_binary_garbage);
    suite_add_tcase(s, tc);
    return s;
}

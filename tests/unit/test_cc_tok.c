/* Unit tests: cc_tok (UTF-8 decoding, folding, term rules, stop words,
 * positions and offsets, robustness against arbitrary bytes). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "cc_tok.h"
#include "suites.h"

#define MAXTERMS 512

typedef struct got_t {
    int       n;
    int       stop_after;           /* return 1 after this many; 0: never */
    char      term[MAXTERMS][CC_TOK_MAX + 1];
    size_t    len[MAXTERMS];
    uint32_t  pos[MAXTERMS];
    size_t    start[MAXTERMS];
    size_t    end[MAXTERMS];
    char      joined[MAXTERMS * 8];
} got_t;

static int collect(void *baton, const char *term, size_t len, uint32_t pos,
                   size_t start, size_t end)
{
    got_t *g = baton;

    ck_assert_int_lt(g->n, MAXTERMS);
    ck_assert_uint_le(len, CC_TOK_MAX);
    ck_assert_uint_eq(strlen(term), len);
    memcpy(g->term[g->n], term, len + 1);
    g->len[g->n] = len;
    g->pos[g->n] = pos;
    g->start[g->n] = start;
    g->end[g->n] = end;
    g->n++;
    return g->stop_after && g->n >= g->stop_after;
}

/* Tokenise and join the terms with '|'. */
static const char *tok(got_t *g, const char *text, size_t len, int flags)
{
    uint32_t rc;
    size_t off = 0;
    int i;

    memset(g, 0, sizeof(*g));
    rc = cc_tok_each(text, len, flags, collect, g);
    ck_assert_uint_eq(rc, (uint32_t)g->n);
    for (i = 0; i < g->n; i++) {
        size_t l = g->len[i];

        ck_assert_uint_lt(off + l + 2, sizeof(g->joined));
        if (i) {
            g->joined[off++] = '|';
        }
        memcpy(g->joined + off, g->term[i], l);
        off += l;
    }
    g->joined[off] = '\0';
    return g->joined;
}

typedef struct tok_case_t {
    const char *in;
    int         flags;
    const char *want;           /* terms joined by '|' */
} tok_case_t;

#define ST CC_TOK_STEM
#define NS CC_TOK_NOSTOP

static const tok_case_t tok_cases[] = {
    /* case and accent folding */
    { "Hello World", 0, "hello|world" },
    { "Caf\xc3\xa9 Cr\xc3\xa8me", 0, "cafe|creme" },
    { "Stra\xc3\x9f" "e", 0, "strasse" },
    { "\xc3\x86on \xc5\x93uvre \xc3\x98re", 0, "aeon|oeuvre|ore" },
    { "\xc5\x81\xc3\xb3" "d\xc5\xba \xc3\x9e\xc3\xb3r \xc3\x90" "e "
      "\xc4\x91" "\xc3\xb0 \xc3\xbe \xc3\xa6 \xc3\xb8", 0,
      "lodz|thor|de|dd|th|ae|o" },
    { "\xc3\x91" "and\xc3\xba \xc3\x87" "a\xc3\xa7" "a", 0, "nandu|caca" },
    { "\xc3\x80\xc3\x81\xc3\x82\xc3\x83\xc3\x84\xc3\x85"
      "\xc3\xa0\xc3\xa1\xc3\xa2\xc3\xa3\xc3\xa4\xc3\xa5\xc3\xbf", 0,
      "aaaaaaaaaaaay" },
    { "\xc4\x80\xc4\x8c\xc4\x8e\xc4\x9a\xc4\x9e\xc4\xa6\xc4\xb0\xc4\xb1"
      "\xc4\xb2\xc4\xb4\xc4\xb6\xc5\x87\xc5\x90\xc5\x98\xc5\xa0\xc5\xa4"
      "\xc5\xae\xc5\xb4\xc5\xb6\xc5\xb8\xc5\xbd\xc5\xbf", 0,
      "acdeghiiijjknorstuwyyzs" },
    { "a\xc3\x97" "b\xc3\xb7" "c", 0, "a|b|c" },            /* × ÷ */
    { "\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91", 0,         /* ΑΘΗΝΑ */
      "\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1" },
    { "\xce\xa3\xce\xbf\xcf\x86\xce\xaf\xce\xb1", 0,         /* Σοφία */
      "\xcf\x83\xce\xbf\xcf\x86\xce\xaf\xce\xb1" },
    /* ПРИВЕТ мир */
    { "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2 \xd0\xbc\xd0\xb8"
      "\xd1\x80", 0,
      "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82|\xd0\xbc\xd0\xb8"
      "\xd1\x80" },
    { "\xe6\x9d\xb1\xe4\xba\xac \xe3\x80\x80 \xe9\xa7\x85", 0, /* CJK kept */
      "\xe6\x9d\xb1\xe4\xba\xac|\xe9\xa7\x85" },
    { "\xef\xbc\xa1\xef\xbd\x82\xef\xbc\x91", 0, "ab1" },     /* fullwidth */
    { "cafe\xcc\x81 na\xc3\xafve", 0, "cafe|naive" },         /* NFD mark */
    { "5\xc2\xb5g", 0, "5\xce\xbcg" },                        /* 5µg */

    /* numbers, units, currency */
    { "24h 2ml 10am 3rd", 0, "24h|2ml|10am|3rd" },
    { "\xc2\xa3" "250", 0, "\xc2\xa3" "250" },
    { "\xc2\xa3" "1,200", 0, "\xc2\xa3" "1200" },
    { "1,200 12,345,678", 0, "1200|12345678" },
    { "$1,200.50 $99", 0, "$1200.50|$99" },
    { "\xe2\x82\xac" "40 \xc2\xa5" "300", 0,
      "\xe2\x82\xac" "40|\xc2\xa5" "300" },
    { "2.5 2,5 0.25mg", 0, "2.5|2.5|0.25mg" },
    { "covid19 B12 x2", 0, "covid19|b12|x2" },
    { "\xc2\xa3 5 $x \xe2\x82\xac \xc2\xa3", 0, "5|x" },
    { "costs \xc2\xa3" "250.", 0, "costs|\xc2\xa3" "250" },
    { "end. 3. .5 1..2", 0, "end|3|5|1|2" },
    { "v1.2", 0, "v1|2" },
    { "1,2345", 0, "1.2345" },
    { "1,000,000", 0, "1000000" },
    { "abc$5", 0, "abc|$5" },
    { "10:30", 0, "10|30" },

    /* hyphens, apostrophes, punctuation */
    { "follow-up", 0, "follow|up" },
    { "well\xe2\x80\x94known \xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\xa6",
      0, "well|known|quoted" },
    { "don't patient\xe2\x80\x99s", 0, "dont|patients" },
    { "'quoted' rock 'n' roll", 0, "quoted|rock|n|roll" },
    { "it''s o'", 0, "it|s|o" },
    { "90's", 0, "90s" },
    { "a_b+c/d\\e@f#g", 0, "a|b|c|d|e|f|g" },
    { "a\xc2\xa0" "b\xc2\xad" "c\xe2\x80\x8b" "d", 0, "a|b|c|d" },
    { "hi\xf0\x9f\x98\x80there \xe2\x9c\x93ok", 0, "hi|there|ok" },

    /* stop words and stemming */
    { "The patient is not pregnant", NS, "patient|not|pregnant" },
    { "no never without before after during", NS,
      "no|never|without|before|after|during" },
    { "The patient is not pregnant", 0, "the|patient|is|not|pregnant" },
    { "Treatments injections appointments", ST, "treatment|inject|appoint" },
    { "Bleeding caresses generously", ST, "bleed|caress|generous" },
    { "The fillers and the cancellations", ST | NS, "filler|cancel" },
    { "24h covid19 \xc2\xa3" "250 2.5", ST, "24h|covid19|\xc2\xa3" "250|2.5" },
    { "Stra\xc3\x9f" "e", ST, "strass" },
    { "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", ST,
      "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0" },

    /* invalid UTF-8 is a separator */
    { "ab\xff" "cd", 0, "ab|cd" },
    { "a\xc0\xaf" "b", 0, "a|b" },                         /* overlong / */
    { "a\xe0\x80\xaf" "b", 0, "a|b" },                     /* overlong */
    { "a\xed\xa0\x80" "b", 0, "a|b" },                     /* surrogate */
    { "a\xf4\x90\x80\x80" "b", 0, "a|b" },                 /* > U+10FFFF */
    { "caf\xc3", 0, "caf" },                               /* truncated */
    { "x\xc3" "A", 0, "x|a" },
    { "\xf0\x9f\x98" "a", 0, "a" },
    { "\x80\x80\x80 ok \xfe\xfe", 0, "ok" },
    { "", 0, "" },
    { "   ,.;!?  ", 0, "" },
};

START_TEST(test_tok_table)
{
    got_t *g = malloc(sizeof(*g));
    size_t i;

    ck_assert_ptr_nonnull(g);
    for (i = 0; i < sizeof(tok_cases) / sizeof(tok_cases[0]); i++) {
        const tok_case_t *c = &tok_cases[i];
        const char *got = tok(g, c->in, strlen(c->in), c->flags);

        ck_assert_msg(strcmp(got, c->want) == 0,
                      "case %zu \"%s\" flags %d: got \"%s\", want \"%s\"",
                      i, c->in, c->flags, got, c->want);
    }
    free(g);
}
END_TEST

START_TEST(test_tok_positions)
{
    static const char text[] = "The cat's hat, and \xc2\xa3" "5 for it.";
    got_t *g = malloc(sizeof(*g));

    ck_assert_ptr_nonnull(g);
    /* no flags: every term, positions 0.. */
    ck_assert_str_eq(tok(g, text, strlen(text), 0),
                     "the|cats|hat|and|\xc2\xa3" "5|for|it");
    ck_assert_uint_eq(g->pos[0], 0);
    ck_assert_uint_eq(g->start[0], 0);
    ck_assert_uint_eq(g->end[0], 3);
    ck_assert_uint_eq(g->start[1], 4);            /* cat's */
    ck_assert_uint_eq(g->end[1], 9);
    ck_assert_uint_eq(g->start[2], 10);
    ck_assert_uint_eq(g->end[2], 13);
    ck_assert_uint_eq(g->start[4], 19);           /* £5: from the symbol */
    ck_assert_uint_eq(g->end[4], 22);
    ck_assert_uint_eq(g->pos[6], 6);
    ck_assert_uint_eq(g->end[6], strlen(text) - 1);

    /* stop words dropped but still counted in pos */
    ck_assert_str_eq(tok(g, text, strlen(text), CC_TOK_NOSTOP),
                     "cats|hat|\xc2\xa3" "5");
    ck_assert_uint_eq(g->pos[0], 1);
    ck_assert_uint_eq(g->pos[1], 2);
    ck_assert_uint_eq(g->pos[2], 4);
    ck_assert_uint_eq(g->start[2], 19);

    /* stemmed: offsets still those of the input word */
    ck_assert_str_eq(tok(g, "running  dogs", 13, CC_TOK_STEM), "run|dog");
    ck_assert_uint_eq(g->start[0], 0);
    ck_assert_uint_eq(g->end[0], 7);
    ck_assert_uint_eq(g->start[1], 9);
    ck_assert_uint_eq(g->end[1], 13);

    /* multi-byte offsets */
    ck_assert_str_eq(tok(g, "\xc3\xa9t\xc3\xa9 \xce\xb1", 8, 0),
                     "ete|\xce\xb1");
    ck_assert_uint_eq(g->start[0], 0);
    ck_assert_uint_eq(g->end[0], 5);
    ck_assert_uint_eq(g->start[1], 6);
    ck_assert_uint_eq(g->end[1], 8);
    free(g);
}
END_TEST

START_TEST(test_tok_truncation)
{
    char in[400], want[CC_TOK_MAX + 1];
    got_t *g = malloc(sizeof(*g));
    int i;

    ck_assert_ptr_nonnull(g);
    /* ASCII: exactly CC_TOK_MAX bytes */
    memset(in, 'A', 100);
    memcpy(in + 100, " next", 5);
    memset(want, 'a', CC_TOK_MAX);
    want[CC_TOK_MAX] = '\0';
    tok(g, in, 105, 0);
    ck_assert_int_eq(g->n, 2);
    ck_assert_str_eq(g->term[0], want);
    ck_assert_uint_eq(g->start[0], 0);
    ck_assert_uint_eq(g->end[0], 100);            /* the whole input word */
    ck_assert_str_eq(g->term[1], "next");
    ck_assert_uint_eq(g->pos[1], 1);

    /* exactly CC_TOK_MAX, and one more */
    tok(g, in, CC_TOK_MAX, 0);
    ck_assert_str_eq(g->term[0], want);
    tok(g, in, CC_TOK_MAX + 1, 0);
    ck_assert_str_eq(g->term[0], want);
    tok(g, in, CC_TOK_MAX - 1, 0);
    ck_assert_uint_eq(g->len[0], CC_TOK_MAX - 1);

    /* 2-byte letters: 24 of them fit */
    for (i = 0; i < 40; i++) {
        memcpy(in + 2 * i, "\xce\xb1", 2);        /* α */
    }
    tok(g, in, 80, 0);
    ck_assert_int_eq(g->n, 1);
    ck_assert_uint_eq(g->len[0], 48);
    ck_assert_uint_eq(g->end[0], 80);

    /* 'a' + 3-byte letters: never a split sequence (1 + 15 * 3 = 46) */
    in[0] = 'a';
    for (i = 0; i < 30; i++) {
        memcpy(in + 1 + 3 * i, "\xe6\x9d\xb1", 3);
    }
    tok(g, in, 91, 0);
    ck_assert_int_eq(g->n, 1);
    ck_assert_uint_eq(g->len[0], 46);

    /* 4-byte letters: 12 */
    for (i = 0; i < 20; i++) {
        memcpy(in + 4 * i, "\xf0\xa0\x80\x80", 4);
    }
    tok(g, in, 80, 0);
    ck_assert_uint_eq(g->len[0], 48);

    /* folding that expands: 30 x "ß" -> 24 x "ss" */
    for (i = 0; i < 30; i++) {
        memcpy(in + 2 * i, "\xc3\x9f", 2);
    }
    tok(g, in, 60, 0);
    ck_assert_uint_eq(g->len[0], 48);

    /* a long number stays within bounds too; stemming a 48-byte word */
    memset(in, '9', 200);
    tok(g, in, 200, 0);
    ck_assert_uint_eq(g->len[0], 48);
    memset(in, 'a', 60);
    memcpy(in + 60, "ings", 4);
    tok(g, in, 64, CC_TOK_STEM | CC_TOK_NOSTOP);
    ck_assert_int_eq(g->n, 1);
    ck_assert_uint_le(g->len[0], 48);
    free(g);
}
END_TEST

START_TEST(test_tok_empty)
{
    got_t *g = malloc(sizeof(*g));

    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(cc_tok_each(NULL, 0, 0, collect, g), 0);
    ck_assert_uint_eq(cc_tok_each(NULL, 10, 0, collect, g), 0);
    ck_assert_uint_eq(cc_tok_each("abc", 0, 0, collect, g), 0);
    ck_assert_uint_eq(cc_tok_each("abc def", 7, 0, NULL, NULL), 2);
    ck_assert_str_eq(tok(g, "the and of", 10, CC_TOK_NOSTOP), "");
    free(g);
}
END_TEST

START_TEST(test_tok_nul_inside)
{
    got_t *g = malloc(sizeof(*g));

    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(tok(g, "abc\0def", 7, 0), "abc|def");
    ck_assert_uint_eq(g->start[1], 4);
    ck_assert_str_eq(tok(g, "\0\0x\0", 4, 0), "x");
    ck_assert_str_eq(tok(g, "1\0" "5", 3, 0), "1|5");
    ck_assert_str_eq(tok(g, "1.\0" "5", 4, 0), "1|5");
    /* len stops the scan, not the NUL */
    ck_assert_str_eq(tok(g, "abcdef", 3, 0), "abc");
    free(g);
}
END_TEST

START_TEST(test_tok_all_bytes)
{
    got_t *g = malloc(sizeof(*g));
    int b;

    ck_assert_ptr_nonnull(g);
    for (b = 0; b < 256; b++) {
        char in[1];
        int alnum = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z')
                    || (b >= 'A' && b <= 'Z');

        in[0] = (char)b;
        tok(g, in, 1, 0);
        ck_assert_msg(g->n == alnum, "byte 0x%02x: %d terms", b, g->n);
        if (alnum) {
            char want[2] = { (char)(b >= 'A' && b <= 'Z' ? b + 32 : b), 0 };

            ck_assert_str_eq(g->term[0], want);
            ck_assert_uint_eq(g->start[0], 0);
            ck_assert_uint_eq(g->end[0], 1);
        }
        /* the same byte between two letters */
        {
            char in3[3] = { 'q', (char)b, 'z' };

            tok(g, in3, 3, CC_TOK_STEM | CC_TOK_NOSTOP);
            ck_assert_int_ge(g->n, 1);
            ck_assert_int_le(g->n, 2);
        }
    }
    free(g);
}
END_TEST

START_TEST(test_tok_early_stop)
{
    got_t *g = malloc(sizeof(*g));
    uint32_t rc;

    ck_assert_ptr_nonnull(g);
    memset(g, 0, sizeof(*g));
    g->stop_after = 2;
    rc = cc_tok_each("one two three four", 18, 0, collect, g);
    ck_assert_uint_eq(rc, 2);
    ck_assert_int_eq(g->n, 2);
    ck_assert_str_eq(g->term[1], "two");

    memset(g, 0, sizeof(*g));
    g->stop_after = 1;
    rc = cc_tok_each("one two", 7, 0, collect, g);
    ck_assert_uint_eq(rc, 1);
    ck_assert_int_eq(g->n, 1);
    free(g);
}
END_TEST

/* Strict UTF-8 check (no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t k, need;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1; cp = c & 0x1F; min = 0x80;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2; cp = c & 0x0F; min = 0x800;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            need = 3; cp = c & 0x07; min = 0x10000;
        }
        else {
            return 0;
        }
        if (i + need >= n) {
            return 0;                           /* truncated */
        }
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += need + 1;
    }
    return 1;
}

typedef struct fuzz_t {
    size_t    len;
    size_t    last_end;
    uint32_t  last_pos;
    int       n;
} fuzz_t;

static int fuzz_cb(void *baton, const char *term, size_t len, uint32_t pos,
                   size_t start, size_t end)
{
    fuzz_t *f = baton;

    ck_assert_uint_ge(len, 1);
    ck_assert_uint_le(len, CC_TOK_MAX);
    ck_assert_uint_eq(strlen(term), len);
    ck_assert_msg(valid_utf8((const unsigned char *)term, len),
                  "invalid UTF-8 term");
    ck_assert_uint_lt(start, end);
    ck_assert_uint_le(end, f->len);
    ck_assert_uint_ge(start, f->last_end);        /* in order, disjoint */
    if (f->n > 0) {
        ck_assert_uint_gt(pos, f->last_pos);
    }
    f->last_end = end;
    f->last_pos = pos;
    f->n++;
    return 0;
}

/* 10000 pseudo-random buffers (fixed LCG seed), each in an exactly sized
 * heap block so a sanitizer build catches any read past len. */
START_TEST(test_tok_garbage)
{
    static const char *const frags[] = {
        "\xc3\xa9", "\xc3", "\xe2\x82\xac", "\xe2\x82", "\xf0\x9f\x98\x80",
        "\xf0\x9f", "\xc2\xa3", "\xed\xa0\x80", "\xc0\x80", "\xff", "'",
        "\xe2\x80\x99", ",", ".", "$", "1", "a", "Z", " ", "\0", "-",
        "\xcc\x81", "\xef\xbc\x91", "\xce\x91", "ing", "\xc3\x9f"
    };
    uint32_t seed = 0xC0FFEEu;
    int k;

    for (k = 0; k < 10000; k++) {
        size_t len, i = 0;
        unsigned char *buf;
        int flags, mode;

        seed = seed * 1664525u + 1013904223u;
        len = (seed >> 8) % 300;
        mode = (seed >> 20) & 3;
        buf = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(buf);
        while (i < len) {
            seed = seed * 1664525u + 1013904223u;
            if (mode == 0) {                      /* raw bytes */
                buf[i++] = (unsigned char)(seed >> 24);
            }
            else {                                /* fragments */
                const char *f = frags[(seed >> 16)
                                      % (sizeof(frags) / sizeof(frags[0]))];
                size_t fl = f[0] ? strlen(f) : 1, j;

                for (j = 0; j < fl && i < len; j++) {
                    buf[i++] = (unsigned char)f[j];
                }
            }
        }
        for (flags = 0; flags < 4; flags++) {
            fuzz_t f = { len, 0, 0, 0 };
            uint32_t rc = cc_tok_each((const char *)buf, len, flags, fuzz_cb,
                                      &f);

            ck_assert_uint_eq(rc, (uint32_t)f.n);
        }
        free(buf);
    }
}
END_TEST

START_TEST(test_tok_terms)
{
    apr_pool_t *p = NULL;
    apr_array_header_t *a;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    a = cc_tok_terms(p, "The nurses' bleeding, 2ml", 25,
                     CC_TOK_STEM | CC_TOK_NOSTOP);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, char *), "nurs");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, char *), "bleed");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 2, char *), "2ml");
    a = cc_tok_terms(p, NULL, 0, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 0);
    ck_assert_ptr_null(cc_tok_terms(NULL, "x", 1, 0));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_tok_stopword)
{
    static const char *const stop[] = {
        "a", "i", "an", "the", "and", "or", "is", "are", "was", "of", "to",
        "in", "it", "its", "this", "that", "with", "for", "our", "yours",
        "because", "through", "yourself", "ourselves", "themselves",
        "yourselves", "would", "should", "which", "whom"
    };
    static const char *const keep[] = {
        "no", "not", "nor", "never", "none", "without", "before", "after",
        "during", "while", "until", "pregnant", "dont", "cant", "wont",
        "isnt", "may", "am", "pm", "us", "ill", "only", "once", "over",
        "under", "between", "aa", "zz", "thee", "thea", "yourselvesx", "b",
        "z", "x"
    };
    size_t i;

    for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
        ck_assert_msg(cc_tok_stopword(stop[i], strlen(stop[i])),
                      "\"%s\" should be a stop word", stop[i]);
    }
    for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        ck_assert_msg(!cc_tok_stopword(keep[i], strlen(keep[i])),
                      "\"%s\" should not be a stop word", keep[i]);
    }
    ck_assert_int_eq(cc_tok_stopword("the", 2), 0);   /* "th" */
    ck_assert_int_eq(cc_tok_stopword("thee", 3), 1);  /* "the" */
    ck_assert_int_eq(cc_tok_stopword("The", 3), 0);   /* folded input only */
    ck_assert_int_eq(cc_tok_stopword("", 0), 0);
    ck_assert_int_eq(cc_tok_stopword(NULL, 3), 0);
}
END_TEST

/* Same results from several threads at once (no shared mutable state). */
static const char thread_text[] =
    "Patients' appointments: \xc2\xa3" "1,200 for 24h care, "
    "Caf\xc3\xa9 \xce\x91\xce\x92 don't follow-up generously.";

static void *thread_main(void *arg)
{
    got_t *g = malloc(sizeof(*g));
    const char *want = arg;
    int k, ok = 1;

    if (!g) {
        return (void *)0;
    }
    for (k = 0; k < 2000 && ok; k++) {
        memset(g, 0, sizeof(*g));
        cc_tok_each(thread_text, sizeof(thread_text) - 1,
                    CC_TOK_STEM | CC_TOK_NOSTOP, collect, g);
        ok = g->n == 11 && strcmp(g->term[10], want) == 0;
    }
    free(g);
    return (void *)(intptr_t)ok;
}

START_TEST(test_tok_threads)
{
    pthread_t t[4];
    got_t *g = malloc(sizeof(*g));
    int i;

    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(tok(g, thread_text, sizeof(thread_text) - 1,
                         CC_TOK_STEM | CC_TOK_NOSTOP),
                     "patient|appoint|\xc2\xa3" "1200|24h|care|cafe|"
                     "\xce\xb1\xce\xb2|dont|follow|up|generous");
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_main,
                                        "generous"), 0);
    }
    for (i = 0; i < 4; i++) {
        void *rv = NULL;

        ck_assert_int_eq(pthread_join(t[i], &rv), 0);
        ck_assert_msg(rv == (void *)1, "thread %d saw different terms", i);
    }
    free(g);
}
END_TEST

Suite *suite_tok(void)
{
    Suite *s = suite_create("tok");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tok_table);
    tcase_add_test(tc, test_tok_positions);
    tcase_add_test(tc, test_tok_truncation);
    tcase_add_test(tc, test_tok_empty);
    tcase_add_test(tc, test_tok_nul_inside);
    tcase_add_test(tc, test_tok_all_bytes);
    tcase_add_test(tc, test_tok_early_stop);
    tcase_add_test(tc, test_tok_garbage);
    tcase_add_test(tc, test_tok_terms);
    tcase_add_test(tc, test_tok_stopword);
    tcase_add_test(tc, test_tok_threads);
    suite_add_tcase(s, tc);
    return s;
}

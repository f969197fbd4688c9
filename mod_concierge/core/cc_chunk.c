/*
 * cc_chunk.c - split a knowledge document into sections and chunks.
 *
 * One pass over the lines of the document (LF or CRLF endings; a trailing
 * CR is dropped from every line).  Lines inside a fenced code block are
 * body text whatever they look like.  An ATX heading or a setext underline
 * closes the current section and opens the next one; a setext heading's
 * title is the paragraph right above the underline (its lines joined with
 * a space), which is taken out of the previous section's body.
 *
 * A closed section's body is its lines joined with '\n' and trimmed.  An
 * empty body yields nothing (and takes no section ordinal, so the ordinals
 * of the chunks returned are 0, 1, 2, ... without gaps).  A body longer
 * than max_chars bytes is cut into parts: at the last blank line that
 * keeps the part within max_chars, else after the last sentence end
 * (".", "!" or "?", possibly followed by closing quotes or brackets, then
 * white space) or line end, else hard at max_chars, moved back to the
 * start of a UTF-8 sequence.  Every part is trimmed.  max_chars 0 means
 * no limit.
 */
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "cc_bytes.h"
#include "cc_chunk.h"

typedef struct cc_line_t {
    const char *s;
    size_t      n;
} cc_line_t;

typedef struct cc_chunker_t {
    apr_pool_t         *p;
    apr_array_header_t *out;        /* cc_chunk_t */
    apr_array_header_t *body;       /* cc_line_t of the open section */
    const char         *title;      /* of the open section */
    size_t              max_chars;
    int                 section;    /* next section ordinal */
    int                 para_start; /* body index of the open paragraph,
                                       -1 after a blank line, -2 inside
                                       a list, quote, table or code */
} cc_chunker_t;

static void cc_trim(const char **s, size_t *n)
{
    const char *b = *s;
    size_t len = *n;

    while (len > 0 && cc_is_space((unsigned char)b[0])) {
        b++;
        len--;
    }
    while (len > 0 && cc_is_space((unsigned char)b[len - 1])) {
        len--;
    }
    *s = b;
    *n = len;
}

static int cc_blank(const cc_line_t *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (!cc_is_space((unsigned char)l->s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Leading spaces of a line (tabs count as 4, enough for "up to 3"). */
static size_t cc_indent(const cc_line_t *l, size_t *width)
{
    size_t i = 0, w = 0;

    while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t')) {
        w += l->s[i] == '\t' ? 4 : 1;
        i++;
    }
    *width = w;
    return i;
}

/* A fence line: up to 3 spaces, then 3+ '`' or '~'.  Returns the run
 * length and sets *ch, or 0. */
static size_t cc_fence(const cc_line_t *l, char *ch, int *only_ws_after)
{
    size_t w, i = cc_indent(l, &w), run = 0, j;
    char c;

    if (w > 3 || i >= l->n) {
        return 0;
    }
    c = l->s[i];
    if (c != '`' && c != '~') {
        return 0;
    }
    while (i + run < l->n && l->s[i + run] == c) {
        run++;
    }
    if (run < 3) {
        return 0;
    }
    *only_ws_after = 1;
    for (j = i + run; j < l->n; j++) {
        if (!cc_is_space((unsigned char)l->s[j])) {
            *only_ws_after = 0;
            break;
        }
    }
    *ch = c;
    return run;
}

/* An ATX heading: up to 3 spaces, 1-6 '#', then a space, a tab or the end
 * of the line.  Sets the title (trimmed, closing '#' run removed). */
static int cc_atx(const cc_line_t *l, const char **t, size_t *tn)
{
    size_t w, i = cc_indent(l, &w), hashes = 0, e;
    const char *s;
    size_t n;

    if (w > 3) {
        return 0;
    }
    while (i + hashes < l->n && l->s[i + hashes] == '#') {
        hashes++;
    }
    if (hashes < 1 || hashes > 6) {
        return 0;
    }
    i += hashes;
    if (i < l->n && l->s[i] != ' ' && l->s[i] != '\t') {
        return 0;
    }
    s = l->s + i;
    n = l->n - i;
    cc_trim(&s, &n);
    /* Closing sequence: a run of '#' that is the whole content or follows
     * white space ("C#" keeps its '#'). */
    e = n;
    while (e > 0 && s[e - 1] == '#') {
        e--;
    }
    if (e < n && (e == 0 || s[e - 1] == ' ' || s[e - 1] == '\t')) {
        n = e;
        cc_trim(&s, &n);
    }
    *t = s;
    *tn = n;
    return 1;
}

/* A setext underline: up to 3 spaces, a run of '=' or of '-', then only
 * white space. */
static int cc_setext_underline(const cc_line_t *l)
{
    size_t w, i = cc_indent(l, &w);
    char c;

    if (w > 3 || i >= l->n) {
        return 0;
    }
    c = l->s[i];
    if (c != '=' && c != '-') {
        return 0;
    }
    while (i < l->n && l->s[i] == c) {
        i++;
    }
    while (i < l->n && cc_is_space((unsigned char)l->s[i])) {
        i++;
    }
    return i == l->n;
}

/* Could this line start a paragraph that a setext underline turns into a
 * heading?  Not list items, block quotes, tables or indented code. */
static int cc_paragraph_line(const cc_line_t *l)
{
    size_t w, i = cc_indent(l, &w);
    char c;

    if (w > 3 || i >= l->n) {
        return 0;
    }
    c = l->s[i];
    if (c == '>' || c == '|') {
        return 0;
    }
    if ((c == '-' || c == '*' || c == '+')
        && (i + 1 == l->n || l->s[i + 1] == ' ' || l->s[i + 1] == '\t')) {
        return 0;
    }
    if (c >= '0' && c <= '9') {
        size_t j = i;

        while (j < l->n && l->s[j] >= '0' && l->s[j] <= '9') {
            j++;
        }
        if (j < l->n && (l->s[j] == '.' || l->s[j] == ')')
            && (j + 1 == l->n || l->s[j + 1] == ' ' || l->s[j + 1] == '\t')) {
            return 0;
        }
    }
    return 1;
}

/* ---- splitting --------------------------------------------------------- */

static int cc_closer(char c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']';
}

/* Length of the first part of s[0..n) (n > max, s[0] not white space). */
static size_t cc_cut(const char *s, size_t n, size_t max)
{
    size_t k, para = 0, sent = 0, cut, back;

    for (k = 1; k <= max; k++) {
        char c = s[k];

        if (c == '\n') {
            size_t m = k + 1;

            while (m < n && (s[m] == ' ' || s[m] == '\t' || s[m] == '\r')) {
                m++;
            }
            if (m < n && s[m] == '\n') {
                para = k;
            }
            sent = k;
        }
        else if (cc_is_space((unsigned char)c)) {
            size_t j = k;

            while (j > 0 && cc_closer(s[j - 1])) {
                j--;
            }
            if (j > 0 && (s[j - 1] == '.' || s[j - 1] == '!'
                          || s[j - 1] == '?')) {
                sent = k;
            }
        }
    }
    if (para > 0) {
        return para;
    }
    if (sent > 0) {
        return sent;
    }
    /* Hard cut, never inside a UTF-8 sequence: back up over continuation
     * bytes to the lead byte of the sequence that straddles max. */
    cut = max;
    back = cut;
    while (back > 0 && cut - back < 3
           && ((unsigned char)s[back] & 0xC0) == 0x80) {
        back--;
    }
    if (back < cut && (unsigned char)s[back] >= 0xC0) {
        if (back > 0) {
            return back;
        }
        /* max is smaller than the first character: take the character. */
        cut = 1;
        while (cut < n && ((unsigned char)s[cut] & 0xC0) == 0x80) {
            cut++;
        }
        return cut;
    }
    return cut;
}

static void cc_emit(cc_chunker_t *c, const char *title, const char *body,
                    size_t n)
{
    size_t pos = 0;
    int part = 0;

    while (pos < n) {
        const char *s;
        size_t rest, cut, pn;
        cc_chunk_t *ch;

        while (pos < n && cc_is_space((unsigned char)body[pos])) {
            pos++;
        }
        if (pos >= n) {
            break;
        }
        rest = n - pos;
        cut = (c->max_chars == 0 || rest <= c->max_chars)
              ? rest : cc_cut(body + pos, rest, c->max_chars);
        s = body + pos;
        pn = cut;
        cc_trim(&s, &pn);
        pos += cut;
        if (pn == 0) {
            continue;
        }
        ch = apr_array_push(c->out);
        ch->title = title;
        ch->text = apr_pstrmemdup(c->p, s, pn);
        ch->len = pn;
        ch->section = c->section;
        ch->part = part++;
    }
}

/* Close the open section: join, trim, split, emit. */
static void cc_flush(cc_chunker_t *c)
{
    const cc_line_t *lines = (const cc_line_t *)c->body->elts;
    size_t total = 0, at = 0, n;
    const char *s;
    char *buf;
    int i;

    for (i = 0; i < c->body->nelts; i++) {
        total += lines[i].n + 1;
    }
    if (total > 0) {
        buf = apr_palloc(c->p, total);
        for (i = 0; i < c->body->nelts; i++) {
            if (lines[i].n > 0) {
                memcpy(buf + at, lines[i].s, lines[i].n);
            }
            at += lines[i].n;
            buf[at++] = '\n';
        }
        s = buf;
        n = at;
        cc_trim(&s, &n);
        if (n > 0) {
            cc_emit(c, c->title, s, n);
            c->section++;
        }
    }
    apr_array_clear(c->body);
    c->para_start = -1;
}

apr_array_header_t *cc_chunk_markdown(apr_pool_t *p, const char *doc_title,
                                      const char *md, size_t len,
                                      size_t max_chars)
{
    cc_chunker_t c;
    size_t pos = 0;
    char fence_ch = 0;
    size_t fence_run = 0;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.out = apr_array_make(p, 16, sizeof(cc_chunk_t));
    c.body = apr_array_make(p, 64, sizeof(cc_line_t));
    c.title = apr_pstrdup(p, doc_title ? doc_title : "");
    c.max_chars = max_chars;
    c.para_start = -1;
    if (!md) {
        len = 0;
    }

    while (pos < len) {
        const char *nl = memchr(md + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - md) : len;
        cc_line_t line;
        const char *t;
        size_t tn, run;
        char ch;
        int only_ws;

        line.s = md + pos;
        line.n = end - pos;
        if (line.n > 0 && line.s[line.n - 1] == '\r') {
            line.n--;
        }
        pos = nl ? end + 1 : len;

        if (fence_run > 0) {
            run = cc_fence(&line, &ch, &only_ws);
            if (run >= fence_run && ch == fence_ch && only_ws) {
                fence_run = 0;
            }
            *(cc_line_t *)apr_array_push(c.body) = line;
            c.para_start = -1;
            continue;
        }
        run = cc_fence(&line, &ch, &only_ws);
        if (run > 0) {
            fence_run = run;
            fence_ch = ch;
            *(cc_line_t *)apr_array_push(c.body) = line;
            c.para_start = -1;
            continue;
        }
        if (cc_atx(&line, &t, &tn)) {
            cc_flush(&c);
            c.title = apr_pstrmemdup(p, t, tn);
            continue;
        }
        if (c.para_start >= 0 && cc_setext_underline(&line)) {
            const cc_line_t *pl = (const cc_line_t *)c.body->elts;
            int first = c.para_start, i;
            size_t total = 0, at = 0;
            char *title;

            for (i = first; i < c.body->nelts; i++) {
                total += pl[i].n + 1;
            }
            title = apr_palloc(p, total + 1);
            for (i = first; i < c.body->nelts; i++) {
                const char *s = pl[i].s;
                size_t n = pl[i].n;

                cc_trim(&s, &n);
                if (at > 0) {
                    title[at++] = ' ';
                }
                memcpy(title + at, s, n);
                at += n;
            }
            title[at] = '\0';
            c.body->nelts = first;
            cc_flush(&c);
            c.title = title;
            continue;
        }
        if (cc_blank(&line)) {
            c.para_start = -1;
        }
        else if (c.para_start == -1) {
            c.para_start = cc_paragraph_line(&line) ? c.body->nelts : -2;
        }
        *(cc_line_t *)apr_array_push(c.body) = line;
    }
    cc_flush(&c);
    return c.out;
}

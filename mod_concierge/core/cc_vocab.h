/*
 * cc_vocab.h - the medical vocabulary: a sorted, pointer-free image of
 * folded medical terms (English and German, from Debian's medical word
 * lists minus everyday words; see docs/VOCABULARY.md), each with a class
 * guessed from its ending.  Built by tools/vocab_build.c into
 * build/risk-vocab.bin; attached read-only and shared by every thread.
 *
 * Image layout (all integers little-endian as written by the host; the
 * builder and the reader are the same machine type):
 *
 *   +--------------------------+ 0
 *   | cc_vocab_hdr_t           |  magic "CCVOCAB1", version, counts,
 *   |                          |  FNV-1a 64 checksum of everything after it
 *   +--------------------------+ sizeof(hdr)
 *   | cc_vocab_entry_t[count]  |  sorted by folded term (memcmp, then len)
 *   +--------------------------+
 *   | string bytes             |  terms, not NUL-terminated
 *   +--------------------------+ total
 *
 * Every entry's offset+length is checked at attach, so a lookup never
 * reads outside the image.
 */
#ifndef CC_VOCAB_H
#define CC_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "cc_problem.h"

#define CC_VOCAB_MAGIC   "CCVOCAB1"
#define CC_VOCAB_VERSION 1u

typedef enum {
    CC_VOCAB_OTHER = 0,       /* medical, class unknown */
    CC_VOCAB_DRUG,            /* -mab -pril -olol -statin -cillin ... */
    CC_VOCAB_CONDITION,       /* -itis -osis -emia -oma -pathy ... */
    CC_VOCAB_PROCEDURE,       /* -ectomy -plasty -otomy -scopy ... */
    CC_VOCAB_NCLASSES
} cc_vocab_class_e;

extern const char *const cc_vocab_class_names[CC_VOCAB_NCLASSES];

/* Source language bits of an entry. */
#define CC_VOCAB_LANG_EN 0x1u
#define CC_VOCAB_LANG_DE 0x2u

typedef struct cc_vocab_hdr_t {
    char     magic[8];
    uint32_t version;
    uint32_t count;           /* entries */
    uint32_t strings_len;     /* bytes of the string area */
    uint32_t hdr_size;        /* sizeof(cc_vocab_hdr_t) */
    uint32_t nclass[CC_VOCAB_NCLASSES];
    uint64_t total;           /* image size in bytes */
    uint64_t checksum;        /* FNV-1a 64 of bytes [hdr_size, total) */
} cc_vocab_hdr_t;

typedef struct cc_vocab_entry_t {
    uint32_t off;             /* into the string area */
    uint8_t  len;             /* 1..CC_TOK_MAX */
    uint8_t  cls;             /* cc_vocab_class_e */
    uint8_t  langs;           /* CC_VOCAB_LANG_* */
    uint8_t  pad;
} cc_vocab_entry_t;

typedef struct cc_vocab_t cc_vocab_t;

/* Validate img[0..len) (magic, version, sizes, checksum, every entry in
 * bounds and in order) and return a handle that borrows img (which must
 * outlive it).  NULL with prob set ("invalid_vocab") when anything is
 * wrong. */
cc_vocab_t *cc_vocab_attach(apr_pool_t *p, const void *img, size_t len,
                            cc_problem_t *prob);

/* Number of terms; the image's checksum (recorded by the classifier it
 * was trained with). */
uint32_t cc_vocab_count(const cc_vocab_t *v);
uint64_t cc_vocab_checksum(const cc_vocab_t *v);

/* Is the folded term w[0..n) a medical term?  Returns 1 and sets *cls
 * (may be NULL) when it is, 0 otherwise.  Thread-safe, no allocation. */
int cc_vocab_lookup(const cc_vocab_t *v, const char *w, size_t n,
                    cc_vocab_class_e *cls);

/* The class the ending of folded w[0..n) suggests (CC_VOCAB_OTHER when
 * none does).  Used by the builder; exposed for tests. */
cc_vocab_class_e cc_vocab_guess_class(const char *w, size_t n);

/* FNV-1a 64 over b[0..n), continuing from h (start with
 * CC_FNV64_INIT).  Shared by the vocabulary and the model images. */
#define CC_FNV64_INIT 0xcbf29ce484222325ULL
uint64_t cc_fnv64(uint64_t h, const void *b, size_t n);

/* Build an image from folded terms (need not be sorted or unique; a
 * duplicate keeps the union of its language bits).  terms[i] is
 * NUL-terminated, langs[i] its CC_VOCAB_LANG_* bits.  The image is
 * allocated from p. */
apr_status_t cc_vocab_build(void **img, size_t *len, apr_pool_t *p,
                            const char *const *terms, const uint8_t *langs,
                            size_t n);

#endif

/*
 * cc_risk_context.c - who a risk is about and when, for cc_risk_check
 * (cc_risk_match.c): the scopes in which a rule's match is excused.
 *
 * Who a risk is about (kinds other, self, treated; rk_context):
 *   - an "other" match (a third party: "my husband", "ma fille", "mein
 *     Mann") opens a third-party scope at its FIRST term, so "my pregnant
 *     friend" is inside it, for the categories on its line;
 *   - the scope runs to the end of its clause; it goes on into the next
 *     clause of the same sentence only when that clause opens with a "+"
 *     other match (a pronoun or an "and": "... and he is diabetic"), its
 *     first term or the one after the clause-break word;
 *   - a "self" match (the writer: i, me, we, ich, yo, estoy, je, io, eu,
 *     ik, ja, ...; or the clinic addressed: you, vous, usted) ends every
 *     open scope at its first term ("my friend and I are both pregnant");
 *     a scope never reaches back before its marker;
 *   - a "treated" match anywhere in the message ("book my daughter in",
 *     "can she have", "for her", "she wants lip filler", "so am I", "me
 *     too", "my mum says it's ok", "swallowed") says the third party is
 *     the patient, the writer has it too, or someone is in danger now: no
 *     third-party scope excuses its categories in that message;
 *   - a treated match with a negated term in it ("il veut pas de
 *     botox", "she doesnt want filler") says nothing;
 *   - a match is excused when its first term lies in a scope of its
 *     category.  An "other" marker right after, or inside the scope of,
 *     negators covering all its categories opens nothing ("not my
 *     husband");
 *   - except in a sentence with a counted emergency: someone else in
 *     danger now, what the rules saw of that person counts too ("my 4
 *     year old has eaten my tablets": minor and medication with the
 *     emergency; "my mum is on warfarin. I can't breathe": not the
 *     warfarin).  Only the categories change: the message is an
 *     emergency either way.
 * When a risk is (kind past):
 *   - a "past" match (long ago: "years ago", "in 2019", "as a child";
 *     resolved: "fully recovered", "all clear", "no longer") excuses
 *     matches of its categories in its clause;
 *   - a "!" past match (recent: "3 weeks ago", "last month", "still",
 *     "recently") cancels every past marker of its SENTENCE ("surgery 3
 *     weeks ago, C-section years ago" stays risky);
 *   - a past marker, recent or not, negated as above counts for nothing
 *     ("not fully recovered", "never again");
 *   - a resolution (a past marker of chronic or mental_health) whose own
 *     clause names nothing of its categories also excuses the clause
 *     before it in the same sentence (rk_resolved_back);
 *   - a "+" past match (a normal result: "all normal", "nella norma") is
 *     not cancelled by a recent one, and excuses no match that follows a
 *     first-person "I" in its clause (rk_i_before).
 * Emergency matches are never excused by either; the rules file decides
 * which categories each marker excuses (a long-ago time: treatment windows
 * only, never allergies).  Excused matches are reported with negated=1.
 *
 */
#include <stdint.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "cc_risk_int.h"
#include "cc_risk_match_int.h"



/* A resolution ("fully recovered", "grew out of it", "nunca mais voltou":
 * a past marker that excuses chronic conditions or mental health) most
 * often closes the sentence about what it resolves, in the clause after
 * it: "childhood asthma but grew out of it", "als Kind hatte ich Asthma,
 * seit der Pubertaet komplett weg".  When the marker's own clause names
 * nothing of its categories, it also excuses the clause before it in the
 * same sentence.  A clause that names its own risk ("I'm on warfarin, but
 * my eczema cleared up") keeps the resolution to itself. */
#define RESOLVED_CATS ((1u << CC_RISK_CHRONIC) | (1u << CC_RISK_MENTAL_HEALTH))

static void rk_resolved_back(const cc_ruleset_t *rs, const rk_text_t *tx,
                             const apr_array_header_t *hits,
                             const unsigned char *resolved, uint32_t *pastc)
{
    uint32_t maxcl = tx->t[tx->n - 1].clause;
    uint32_t *named = apr_pcalloc(tx->p, sizeof(uint32_t) * (maxcl + 1));
    uint32_t *sent = apr_palloc(tx->p, sizeof(uint32_t) * (maxcl + 1));
    uint32_t j, c;
    int h;

    for (j = 0; j < tx->n; j++) {
        sent[tx->t[j].clause] = tx->t[j].sent;
    }
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];

        if (r->kind == K_WORD || r->kind == K_PHRASE) {
            named[tx->t[ht->first].clause] |= r->cats;
        }
    }
    for (c = maxcl; c > 0; c--) {
        uint32_t cats = pastc[c];

        if (resolved[c] && (named[c] & cats) == 0
            && sent[c - 1] == sent[c]) {
            pastc[c - 1] |= cats;
        }
    }
}

/* "I" (in any of the languages) before term i in its clause: "I have a
 * thyroid problem, bloods otherwise all normal" is a history however
 * normal the rest is. */
int rk_i_before(const rk_text_t *tx, uint32_t i)
{
    static const char *const first_person[] = {
        "i", "im", "ive", "id", "yo", "je", "j", "ich", "io", "eu", "ik",
        "ja", NULL
    };
    uint32_t k;

    for (k = i; k > 0 && tx->t[k - 1].clause == tx->t[i].clause; k--) {
        const rk_tok_t *tk = &tx->t[k - 1];
        int w;

        for (w = 0; tk->len <= 3 && first_person[w]; w++) {
            if (strlen(first_person[w]) == tk->len
                && memcmp(first_person[w], tk->s, tk->len) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* The third-party and past scopes of a message (see the header comment).
 * neg[] holds the negator scopes and nega[] the term right after each
 * negator (a scope ends early at a subject word such as "my"): a marker
 * there, for negators covering all its categories, opens nothing ("not
 * fully recovered", "not my husband"); the narrow "stopped" (pregnancy)
 * leaves "stopped roaccutane in 2019" past. */
void rk_context(const cc_ruleset_t *rs, const rk_text_t *tx,
                const apr_array_header_t *hits, const uint32_t *neg,
                const uint32_t *nega, rk_ctx_t *ctx)
{
    uint32_t maxcl = tx->t[tx->n - 1].clause;
    uint32_t *open = NULL, *pastc = NULL;
    unsigned char *cont = NULL, *self = NULL, *recent = NULL;
    unsigned char *resolved = NULL;
    uint32_t *normc = NULL;
    uint32_t j, cur = 0;
    int h, any_other = 0, any_past = 0;

    memset(ctx, 0, sizeof(*ctx));
    for (h = 0; h < hits->nelts; h++) {
        const rk_hit_t *ht = &APR_ARRAY_IDX(hits, h, rk_hit_t);
        const rk_rule_t *r = &rs->rules[ht->rule];
        uint32_t cats = r->cats & ~CAT_EMERG;
        uint32_t pcats = cats & ~(1u << CC_RISK_MEDICAL_ADVICE);
        int negated = pcats
                      && ((neg[ht->first] | nega[ht->first]) & pcats) == pcats;

        if (!open && (r->kind == K_OTHER || r->kind == K_SELF)) {
            open = apr_pcalloc(tx->p, sizeof(uint32_t) * tx->n);
            cont = apr_pcalloc(tx->p, tx->n);
            self = apr_pcalloc(tx->p, tx->n);
        }
        switch (r->kind) {
        case K_TREATED: {
            /* negated anywhere in it, it says nothing: "il veut pas de
             * botox", "she doesnt want filler" */
            uint32_t k, all = CAT_ALL & ~CAT_EMERG
                              & ~(1u << CC_RISK_MEDICAL_ADVICE);
            int off = 0;

            for (k = ht->first; k <= ht->last && k < tx->n && !off; k++) {
                off = ((neg[k] | nega[k]) & all) == all;
            }
            if (!off) {
                ctx->treated |= r->cats;
            }
            break;
        }
        case K_OTHER:
            if (r->cont) {
                cont[ht->first] = 1;
            }
            else if (!negated) {
                open[ht->first] |= cats;
                any_other = 1;
            }
            break;
        case K_SELF:
            self[ht->first] = 1;
            break;
        case K_PAST:
            if (!pastc) {
                /* per clause; recent per sentence (never more of them) */
                pastc = apr_pcalloc(tx->p, sizeof(uint32_t) * (maxcl + 1));
                recent = apr_pcalloc(tx->p, maxcl + 1);
            }
            if (negated) {
                break;          /* "not fully recovered", "never again" */
            }
            if (r->anti) {
                recent[tx->t[ht->first].sent] = 1;
            }
            else {
                /* "+": a normal result ("all normal", "nella norma"), not
                 * a time: a recent time does not cancel it ("checked last
                 * week, all normal") */
                if (r->cont && !normc) {
                    normc = apr_pcalloc(tx->p,
                                        sizeof(uint32_t) * (maxcl + 1));
                }
                (r->cont ? normc : pastc)[tx->t[ht->first].clause] |= cats;
                any_past = 1;
                if (cats & RESOLVED_CATS) {
                    if (!resolved) {
                        resolved = apr_pcalloc(tx->p, maxcl + 1);
                    }
                    resolved[tx->t[ht->first].clause] = 1;
                }
            }
            break;
        default:
            break;
        }
    }
    if (resolved) {
        rk_resolved_back(rs, tx, hits, resolved, pastc);
        if (normc) {
            rk_resolved_back(rs, tx, hits, resolved, normc);
        }
    }
    if (any_past) {
        for (j = 0; j < tx->n; j++) {
            if (recent[tx->t[j].sent]) {
                pastc[tx->t[j].clause] = 0;
            }
        }
        ctx->past = pastc;
        ctx->normal = normc;
    }
    if (!any_other || (ctx->treated & CAT_ALL & ~CAT_EMERG)
                      == (CAT_ALL & ~CAT_EMERG)) {
        return;
    }
    /* Left to right: a scope opens at an other marker, ends at a self
     * marker and at the end of its clause, unless the next clause of the
     * same sentence opens with a "+" pronoun (its first term, or the one
     * after a clause-break word). */
    ctx->other = apr_palloc(tx->p, sizeof(uint32_t) * tx->n);
    for (j = 0; j < tx->n; j++) {
        const rk_tok_t *tk = &tx->t[j];

        if (cur && j > 0 && tk->clause != tx->t[j - 1].clause) {
            int carried = tk->sent == tx->t[j - 1].sent
                          && (cont[j]
                              || ((tk->flags & F_BREAK) && j + 1 < tx->n
                                  && tx->t[j + 1].clause == tk->clause
                                  && cont[j + 1]));

            if (!carried) {
                cur = 0;
            }
        }
        if (self[j]) {
            cur = 0;
        }
        cur |= open[j];
        ctx->other[j] = cur;
    }
}

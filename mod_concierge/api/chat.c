/*
 * api/chat.c - POST /api/chat and GET /api/chat/{session_id}.
 *
 *   message ──> screen (compliance seam) ──> retrieve (shm index)
 *           ──> below ConciergeGroundingMinScore: no_answer + offer staff
 *           ──> LLM (if configured, breaker closed) ──> grounding check
 *                   └─ unsupported / failed / slow ──> extractive answer
 *           ──> store patient message + reply (one transaction)
 *
 * The LLM runs with no database connection held and no lock.  Session ids
 * are 256-bit random tokens; only their SHA-256 is stored.
 *
 * Every reply (POST and GET) carries staff presence: "staff_available"
 * and "staff_next_available_at" (mc_booking_staff; absent only when the
 * clinic model cannot be read).  Out of hours the holding reply after an
 * escalation says when the team will next reply, in the clinic's zone,
 * instead of "usually within N minutes"; an emergency's reply is the same
 * at any hour.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "mod_concierge_api.h"
#include "mod_concierge_config.h"
#include "mod_concierge_db.h"
#include "mod_concierge_index.h"
#include "mod_concierge_booking.h"
#include "mod_concierge_chatlog.h"
#include "mod_concierge_llm.h"
#include "mod_concierge_safety.h"
#include "mod_concierge_escalation.h"
#include "cc_json.h"
#include "cc_answer.h"
#include "cc_token.h"
#include "cc_clinic.h"

#define MC_CHAT_K         3
#define MC_CHAT_SOURCE_TEXT 2000   /* bytes of a source shown with a reply */

static const char mc_no_answer_reply[] =
    "I'm sorry, I couldn't find that in our clinic's information, and I "
    "won't guess. Would you like me to pass your question to our team? "
    "They can reply here, or you can call the clinic.";

/* ---- sessions ------------------------------------------------------------ */

/* What the database knows of a conversation token (its SHA-256). */
typedef struct conv_state {
    int         found;
    int         expired;    /* idle past ConciergeChatIdleExpiry */
    int         escalated;  /* an escalation refers to it */
    const char *id;
} conv_state;

/* Look the conversation up, on dbd or (NULL) on a connection given back
 * at once.  Expiry is decided by PostgreSQL from the last message's time
 * (one clock for every host): idle longer than ConciergeChatIdleExpiry,
 * and no unresolved escalation - a conversation staff are working on
 * never expires under the patient. */
static apr_status_t conv_lookup(request_rec *r, ap_dbd_t *dbd,
                                const char *hash, conv_state *cs)
{
    ap_dbd_t *own = dbd ? NULL : mc_db_open(r);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[2];
    apr_status_t rv;

    memset(cs, 0, sizeof(*cs));
    if (!dbd && !(dbd = own)) {
        return APR_EGENERAL;
    }
    args[0] = MC_I64(r->pool, mc_config_geti(r->server,
                                             MC_CONF_CHAT_IDLE_S));
    args[1] = hash;
    rv = mc_db_select(r, dbd, "cc_conv_find", &res, 2, args);
    if (rv == APR_SUCCESS
        && apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) == 0) {
        const char *e = apr_dbd_get_entry(dbd->driver, row, 1);
        const char *x = apr_dbd_get_entry(dbd->driver, row, 2);

        cs->found = 1;
        cs->id = apr_pstrdup(r->pool, apr_dbd_get_entry(dbd->driver, row,
                                                        0));
        cs->expired = e && *e == 't';
        cs->escalated = x && *x == 't';
    }
    if (own) {
        mc_db_close(r, own);
    }
    return rv;
}

/* ---- storing ---------------------------------------------------------------- */

typedef struct chat_turn_ids {
    const char *session;
    const char *hash;
    const char *cid;         /* client_message_id or NULL */
} chat_turn_ids;

typedef struct chat_turn {
    const char *session;     /* token */
    const char *hash;
    int         known;       /* the session exists */
    const char *message;
    const char *cid;         /* client_message_id, lower case, or NULL */
    const char *reply;
    const char *status;
    const char *mode;
    json_t     *sources;
    json_t     *timing;
    const char *reply_q;       /* reply as a JSON string, once made */
    const char *sources_txt;   /* sources as JSON text, once made */
} chat_turn;

/* The turn as the row the chat log writer stores (group commit), written
 * by hand: the message and reply texts are quoted once, and the reply's
 * quoted text is reused for the answer.  The writer also appends the
 * turn's event (chat_answered, chat_no_answer, booking_offered).  A turn
 * not kept (ConciergeChatLog off, in a conversation never escalated) is
 * its event alone: no text, no session; failing to store it does not fail
 * the answer. */
static apr_status_t store_turn(request_rec *r, chat_turn *t, const char *rid,
                               int keep, apr_int64_t service)
{
    const char *row, *at = MC_I64(r->pool, r->request_time);
    apr_status_t rv;

    if (!keep) {
        row = apr_pstrcat(r->pool, "{\"ord\":0,\"hash\":\"\",\"nolog\":true,"
                          "\"status\":\"", t->status, "\",\"mode\":\"",
                          t->mode, "\",\"service\":",
                          MC_I64(r->pool, service), ",\"at_us\":", at, "}",
                          NULL);
        rv = mc_chatlog_store(r, row);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, CCLOGNO(00803)
                          "chat event not recorded");
        }
        return APR_SUCCESS;
    }
    if (!t->reply_q) {
        t->reply_q = cc_json_quote(r->pool, t->reply, strlen(t->reply));
    }
    if (!t->sources_txt) {
        t->sources_txt = cc_json_dump(r->pool, t->sources, NULL);
    }
    row = apr_pstrcat(r->pool, "{\"ord\":0,\"hash\":\"", t->hash,
                      "\",\"status\":\"", t->status, "\",\"rid\":\"", rid,
                      "\",\"message\":", cc_json_quote(r->pool, t->message,
                                                     strlen(t->message)),
                      ",\"reply\":", t->reply_q, ",\"mode\":\"", t->mode,
                      "\",\"sources\":", t->sources_txt, ",\"timing\":",
                      cc_json_dump(r->pool, t->timing, NULL), ",\"service\":",
                      MC_I64(r->pool, service), ",\"at_us\":", at,
                      t->cid ? ",\"cid\":\"" : "", t->cid ? t->cid : "",
                      t->cid ? "\"" : "", "}", NULL);
    return mc_chatlog_store(r, row);
}

/* A turn that was not stored, or whose storing did not finish in time
 * (APR_INCOMPLETE): the patient is told which. */
static int not_stored(mc_ctx *c, apr_status_t rv)
{
    if (rv == APR_INCOMPLETE) {
        return mc_error(c, 503, "save_unconfirmed", "we could not confirm "
                        "that your message was saved; send it again with the "
                        "same client_message_id and it will not be stored "
                        "twice");
    }
    return mc_error(c, 503, "db_unavailable", "your message was not saved; "
                    "please send it again");
}

/* The service a booking offer is for (its "book" action), or 0. */
static apr_int64_t offered_service(json_t *actions)
{
    json_t *a = json_array_get(actions, 0);
    json_t *id = json_object_get(json_object_get(a, "service"), "id");

    return json_is_integer(id) ? (apr_int64_t)json_integer_value(id) : 0;
}

/* ---- replies that are not answers ------------------------------------------ */

/* Out of hours: when the team will be back, not a promise of minutes
 * nobody is there to keep (NULL while staff are there, or unknown). */
static const char *away_words(request_rec *r, const mc_staff *st)
{
    if (!st->known || st->available) {
        return NULL;
    }
    return st->next
        ? apr_pstrcat(r->pool, "Our team is away now; they will reply here "
                      "on ", cc_clinic_when_words(r->pool,
                          mc_booking_tz(r->server), st->next), ".", NULL)
        : "Our team is away now; they will reply here as soon as they are "
          "back. If you cannot wait, please call the clinic.";
}

static const char *holding_reply(request_rec *r, int emergency,
                                 const mc_staff *st)
{
    const char *away;
    apr_int64_t sla;

    if (emergency) {
        return apr_psprintf(r->pool, "If this is an emergency, please call "
                            "%s now or go to your nearest A&E - don't wait "
                            "for a reply here. We have also alerted our "
                            "clinical team, who will contact you.",
                            mc_config_gets(r->server,
                                           MC_CONFS_EMERGENCY_NUMBER));
    }
    sla = mc_config_geti(r->server, MC_CONF_ESCALATION_SLA_MIN);
    if ((away = away_words(r, st)) != NULL) {
        return apr_pstrcat(r->pool, "Thank you for telling us. Because this "
                           "concerns your health, a member of our clinical "
                           "team will reply to you here personally. ", away,
                           " Please don't book or change any treatment until "
                           "they have spoken with you.", NULL);
    }
    return apr_psprintf(r->pool, "Thank you for telling us. Because this "
                        "concerns your health, a member of our clinical team "
                        "will reply to you here personally, usually within %"
                        APR_INT64_T_FMT " minute%s during opening hours. "
                        "Please don't book or change any treatment until "
                        "they have spoken with you.", sla,
                        sla == 1 ? "" : "s");
}

/* The reply when the patient asked for a person ("Ask our team"). */
static const char *request_reply(request_rec *r, const mc_staff *st)
{
    apr_int64_t sla = mc_config_geti(r->server, MC_CONF_ESCALATION_SLA_MIN);
    const char *away = away_words(r, st);

    if (away) {
        return apr_pstrcat(r->pool, "Thank you - we have passed your "
                           "question to our team. ", away, NULL);
    }
    return apr_psprintf(r->pool, "Thank you - we have passed your question "
                        "to our team, who will reply to you here, usually "
                        "within %" APR_INT64_T_FMT " minute%s during opening "
                        "hours.", sla, sla == 1 ? "" : "s");
}

static const char mc_waiting_reply[] =
    "Thank you - your message has been added to your conversation with our "
    "team, who will reply here.";

/* Escalate: store everything in one transaction and answer with the
 * holding reply.  source: "message" (the patient's) or "reply" (a
 * generated reply was blocked). */
static int escalate(mc_ctx *c, chat_turn_ids *ids, const char *message,
                    const mc_screen *scr, const char *source,
                    const mc_staff *st, const char *reply)
{
    request_rec *r = c->r;

    if (!reply) {
        reply = holding_reply(r, scr->emergency, st);
    }
    apr_int64_t esc = 0;
    json_t *out;

    if (mc_escalation_create(r, ids->hash, message, reply, scr, source,
                             ids->cid, &esc) != APR_SUCCESS) {
        return mc_error(c, 503, "db_unavailable", "your message could not be "
                        "passed to our team; please call the clinic");
    }
    out = json_pack("{s:s, s:s, s:s, s:[], s:I, s:{s:O}}",
                    "session_id", ids->session,
                    "status", scr->emergency ? "emergency" : "escalated",
                    "reply", reply, "sources", "escalation_id",
                    (json_int_t)esc, "risk", "categories", scr->categories);
    if (scr->emergency) {
        json_object_set_new(out, "actions", json_pack(
            "[{s:s, s:s, s:s}]", "type", "call_emergency", "label",
            "Call emergency services", "number",
            mc_config_gets(r->server, MC_CONFS_EMERGENCY_NUMBER)));
    }
    mc_booking_staff_json(r, st, out);
    return mc_reply(c, 200, out);
}

/* ---- retries (client_message_id) ------------------------------------------ *
 *
 * A client that got no answer - a timeout, a dropped connection, a 503 -
 * sends the same message again with the same client_message_id.  When the
 * first copy was stored, the retry gets its reply instead of a second
 * turn.  Within a conversation the id must come with that conversation's
 * token.  A first message has no token yet (the answer carrying it was
 * lost), so its retry is given a fresh token for the new conversation -
 * only while that conversation holds nothing but this one turn, and only
 * for an hour: the id is then a short-lived bearer secret for what the
 * patient just typed, and no more. */

#define MC_CHAT_REPLAY_NEW_S 3600

/* 1 when s is a UUID (8-4-4-4-12 hex digits); copied to lower case. */
static const char *client_id_parse(apr_pool_t *p, const char *s)
{
    char *out;
    int i;

    if (strlen(s) != 36) {
        return NULL;
    }
    out = apr_pstrdup(p, s);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (out[i] != '-') {
                return NULL;
            }
        }
        else if (!apr_isxdigit(out[i])) {
            return NULL;
        }
        else {
            out[i] = (char)apr_tolower(out[i]);
        }
    }
    return out;
}

/* Answer a retry of a stored turn (returns the handler's status), or
 * return DECLINED when the id is new. */
static int replay(mc_ctx *c, chat_turn *t, const char *session,
                  const mc_staff *st)
{
    request_rec *r = c->r;
    const char *args[2], *v, *hash, *status, *reply, *token = session;
    ap_dbd_t *dbd = mc_db_open(r);
    apr_dbd_results_t *res;
    json_t *row, *out;
    int fresh;

    if (!dbd) {
        return mc_error_db(c);
    }
    args[0] = t->cid;
    if (mc_db_select(r, dbd, "cc_chat_replay", &res, 1, args)
        != APR_SUCCESS) {
        mc_db_close(r, dbd);
        return mc_error_db(c);
    }
    v = mc_db_value(r, dbd, res, 0);
    if (!v || !(row = mc_pg_json(r, v))) {
        mc_db_close(r, dbd);
        return DECLINED;
    }
    hash = json_string_value(json_object_get(row, "hash"));
    fresh = json_is_true(json_object_get(row, "fresh"));
    if (session ? strcmp(hash ? hash : "", t->hash) != 0 : !fresh) {
        mc_db_close(r, dbd);
        return mc_error(c, 409, "client_message_id_used", "that "
                        "client_message_id belongs to another message; use "
                        "a new one for each message");
    }
    if (!session) {
        /* The lost answer's token is replaced: nobody holds it. */
        int n = 0;

        token = cc_token_new(r->pool);
        if (!token) {
            mc_db_close(r, dbd);
            return mc_error(c, 500, "internal_error", "no random source");
        }
        args[0] = cc_sha256_hex(r->pool, token, strlen(token));
        args[1] = hash;
        if (mc_db_query(r, dbd, "cc_chat_replay_token", &n, 2, args)
            != APR_SUCCESS) {
            mc_db_close(r, dbd);
            return mc_error_db(c);
        }
        if (n != 1) {
            mc_db_close(r, dbd);
            return mc_error(c, 409, "client_message_id_used", "that "
                            "client_message_id belongs to another message; "
                            "use a new one for each message");
        }
    }
    mc_db_close(r, dbd);
    status = json_string_value(json_object_get(row, "status"));
    reply = json_string_value(json_object_get(row, "reply"));
    if (!reply) {
        /* A message added to a conversation staff hold: no bot reply. */
        status = "escalated";
        reply = mc_waiting_reply;
    }
    out = json_pack("{s:s, s:s, s:s, s:O, s:b}", "session_id", token,
                    "status", status ? status : "answered", "reply", reply,
                    "sources", json_is_array(json_object_get(row, "sources"))
                               ? json_object_get(row, "sources")
                               : json_array(),
                    "replayed", 1);
    if (json_is_integer(json_object_get(row, "escalation_id"))) {
        json_object_set(out, "escalation_id",
                        json_object_get(row, "escalation_id"));
    }
    mc_booking_staff_json(r, st, out);
    return mc_reply(c, 200, out);
}

/* ---- POST /api/chat ----------------------------------------------------- */

static int mc_api_chat_post(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *session = NULL, *message = NULL, *cid = NULL;
    apr_size_t max_chars = (apr_size_t)mc_config_geti(r->server,
                                                      MC_CONF_CHAT_MAX_CHARS);
    double min_score = mc_config_getd(r->server, MC_CONFD_MIN_SCORE);
    double min_cov = mc_config_getd(r->server, MC_CONFD_MIN_COVERAGE);
    int logging = (int)mc_config_geti(r->server, MC_CONF_CHAT_LOG);
    int keep = logging;
    apr_time_t t0 = apr_time_now(), t1;
    cc_source_t src[MC_CHAT_K];
    int used[MC_CHAT_K] = { 0 };
    mc_hit hits[MC_CHAT_K];
    mc_llm_result llm;
    mc_screen scr;
    mc_staff staff;
    chat_turn_ids ids;
    apr_int64_t esc_open = 0;
    json_error_t jerr;
    chat_turn t;
    json_t *out, *sources, *shown;
    apr_status_t rv;
    int n = 0, i, nsrc = 0, to_staff = 0;

    memset(&t, 0, sizeof(t));
    memset(&llm, 0, sizeof(llm));
    if (json_unpack_ex(c->body, &jerr, JSON_STRICT, "{s?s, s:s, s?s, s?b}",
                       "session_id", &session, "message", &message,
                       "client_message_id", &cid, "to_staff",
                       &to_staff) != 0) {
        return mc_error(c, 400, "invalid_body", "expected {\"session_id\"?: "
                        "string, \"message\": string, "
                        "\"client_message_id\"?: UUID, \"to_staff\"?: "
                        "bool}: %s", jerr.text);
    }
    if (cid && !(t.cid = client_id_parse(r->pool, cid))) {
        return mc_error(c, 400, "invalid_client_message_id",
                        "client_message_id must be a UUID "
                        "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    }
    while (*message == ' ' || *message == '\n' || *message == '\t'
           || *message == '\r') {
        message++;
    }
    if (!*message) {
        return mc_error(c, 422, "empty_message", "the message is empty");
    }
    if (cc_utf8_chars(message) > max_chars) {
        return mc_error(c, 422, "message_too_long", "messages are at most %"
                        APR_SIZE_T_FMT " characters", max_chars);
    }
    if (session && !cc_token_valid(session)) {
        return mc_error(c, 400, "invalid_session", "session_id is not one "
                        "this service issued");
    }
    t.message = message;
    /* Staff presence for every reply below (and the holding reply's
     * words).  Unknown when the model cannot be read: the reply then says
     * nothing about it rather than something untrue. */
    if (mc_booking_staff(c, &staff) != APR_SUCCESS) {
        memset(&staff, 0, sizeof(staff));
    }

    /* A stored conversation is looked up on a connection that is given
     * back before the LLM is called.  With logging on it must exist; with
     * it off, only escalated conversations are stored, and one that is
     * must be found (staff have it: the bot stays silent in it, and its
     * turns are kept).  An expired one is not continued: the message
     * starts a new conversation under a new token. */
    if (session) {
        conv_state cs;

        t.hash = cc_sha256_hex(r->pool, session, strlen(session));
        if (conv_lookup(r, NULL, t.hash, &cs) != APR_SUCCESS) {
            return mc_error_db(c);
        }
        if (cs.found && !cs.expired) {
            t.known = 1;
            keep = keep || cs.escalated;
        }
        else if (cs.expired) {
            session = NULL;     /* a new conversation, a new token */
        }
        else if (logging) {
            return mc_error(c, 404, "session_not_found", "no conversation "
                            "with that session_id; start a new one");
        }
    }
    if (t.known) {
        t.session = session;
    }
    else {
        t.session = session ? session : cc_token_new(r->pool);
        if (!t.session) {
            return mc_error(c, 500, "internal_error", "no random source");
        }
        t.hash = cc_sha256_hex(r->pool, t.session, strlen(t.session));
    }

    /* A retry of a stored turn gets that turn's reply.  (With the chat
     * log off nothing is stored to find: the id is not kept.) */
    if (t.cid && logging) {
        int st = replay(c, &t, t.known ? t.session : NULL, &staff);

        if (st != DECLINED) {
            return st;
        }
    }
    else {
        t.cid = NULL;
    }
    ids.session = t.session;
    ids.hash = t.hash;
    ids.cid = t.cid;
    /* Every message is screened before retrieval or the LLM see it. */
    if (mc_safety_screen(r, message, 0, &scr) != APR_SUCCESS) {
        return mc_error(c, 503, "rules_unavailable", "our safety checks are "
                        "not available right now; please call the clinic");
    }
    /* A conversation handed to staff: the bot stays silent until they
     * resolve it.  An emergency always raises a new, top-priority
     * escalation; another risk joins the open one. */
    if (t.known && !scr.emergency
        && (esc_open = mc_escalation_open_for(r, t.hash)) != 0) {
        if (mc_escalation_add_patient_message(r, t.hash, message, esc_open,
                                              &scr, t.cid) != APR_SUCCESS) {
            return mc_error(c, 503, "db_unavailable", "your message could "
                            "not be saved; please try again");
        }
        out = json_pack("{s:s, s:s, s:s, s:[], s:I}", "session_id",
                        t.session, "status", "escalated", "reply",
                        mc_waiting_reply, "sources", "escalation_id",
                        (json_int_t)esc_open);
        mc_booking_staff_json(r, &staff, out);
        return mc_reply(c, 200, out);
    }
    if (scr.risky || scr.emergency) {
        return escalate(c, &ids, message, &scr, "message", &staff, NULL);
    }
    /* "Ask our team" (the offer of a no_answer reply): the patient asked
     * for a person, so a person gets it, as an escalation of its own
     * kind; the holding reply does not speak of health. */
    if (to_staff) {
        scr.risky = 1;
        scr.categories = cc_json_pool_own(r->pool,
                                          json_pack("[s]", "patient_request"));
        scr.matches = cc_json_pool_own(r->pool, json_array());
        return escalate(c, &ids, message, &scr, "message", &staff,
                        request_reply(r, &staff));
    }
    /* "Can I book a peel next Tuesday afternoon?": live availability,
     * not knowledge, answers that. */
    {
        const char *offer = NULL;
        json_t *actions = mc_booking_offer(c, message, &offer);

        if (actions) {
            cc_json_pool_own(r->pool, actions);
            t.status = "answered";
            t.mode = "booking";
            t.reply = offer;
            t.sources = cc_json_pool_own(r->pool, json_array());
            t.timing = cc_json_pool_own(r->pool, json_pack(
                "{s:I}", "total_ms", (json_int_t)((apr_time_now() - t0)
                                                  / 1000)));
            if ((rv = store_turn(r, &t, c->rid, keep,
                                 offered_service(actions))) != APR_SUCCESS) {
                return not_stored(c, rv);
            }
            out = json_pack("{s:s, s:s, s:s, s:[], s:O}", "session_id",
                            t.session, "status", t.status, "reply", t.reply,
                            "sources", "actions", actions);
            mc_booking_staff_json(r, &staff, out);
            return mc_reply(c, 200, out);
        }
    }
    out = json_object();
    /* Pool-owned: every early return leaves nothing behind. */
    sources = cc_json_pool_own(r->pool, json_array());
    shown = cc_json_pool_own(r->pool, json_array());
    cc_json_pool_own(r->pool, out);
    {
        rv = mc_index_query(r, message, strlen(message), MC_CHAT_K, hits, &n,
                            NULL);
        if (rv != APR_SUCCESS) {
            return mc_error(c, 503, "index_unavailable", "the clinic's "
                            "knowledge is not available right now");
        }
        t1 = apr_time_now();
        for (i = 0; i < n; i++) {
            /* Only chunks that clear both thresholds can ground an answer:
             * a strong enough match, on enough of what was asked. */
            if (hits[i].score < min_score) {
                break;
            }
            if (hits[i].coverage < min_cov) {
                continue;
            }
            src[nsrc].id = hits[i].id;
            src[nsrc].title = hits[i].title;
            src[nsrc].text = hits[i].text;
            src[nsrc].len = hits[i].len;
            src[nsrc].score = hits[i].score;
            src[nsrc].sents = hits[i].sents;
            src[nsrc].sents_len = hits[i].sents_len;
            nsrc++;
        }
        if (nsrc == 0) {
            t.status = "no_answer";
            t.mode = "none";
            t.reply = mc_no_answer_reply;
            json_object_set_new(out, "actions", json_pack(
                "[{s:s, s:s}]", "type", "contact_staff", "label",
                "Ask our team"));
        }
        else {
            int cited[MC_CHAT_K] = { 0 };
            const char *why = NULL;

            t.status = "answered";
            mc_llm_answer(r, message, src, nsrc, &llm);
            if (llm.ok
                && cc_answer_supported(r->pool, llm.answer, src, nsrc,
                                       mc_config_getd(r->server,
                                                      MC_CONFD_MIN_OVERLAP),
                                       cited, &why)) {
                mc_screen rs;
                const char *clean = cc_answer_strip_citations(r->pool,
                                                              llm.answer);

                /* Every generated reply is screened before the patient
                 * sees it: medical advice is blocked and escalated. */
                if (mc_safety_screen(r, clean, 1, &rs) != APR_SUCCESS) {
                    return mc_error(c, 503, "rules_unavailable", "our safety "
                                    "checks are not available right now");
                }
                if (rs.risky || rs.emergency) {
                    return escalate(c, &ids, message, &rs, "reply",
                                    &staff, NULL);
                }
                t.mode = "llm";
                t.reply = clean;
                memcpy(used, cited, sizeof(used));
            }
            else if (llm.ok) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CCLOGNO(00801)
                              "LLM answer not grounded (%s): answering "
                              "extractively", why ? why : "unknown");
            }
            if (!t.mode) {
                t.mode = "extractive";
                t.reply = cc_answer_extract(r->pool, message, src, nsrc, 3,
                                            used);
            }
            for (i = 0; i < nsrc; i++) {
                if (used[i]) {
                    size_t len = cc_source_len(&src[i]);

                    json_array_append_new(sources, json_pack(
                        "{s:s, s:s, s:f}", "id", src[i].id, "title",
                        src[i].title, "score", src[i].score));
                    /* The reply shows the section too (the page's
                     * expandable source); the chat log keeps the ids. */
                    if (len > MC_CHAT_SOURCE_TEXT) {
                        len = MC_CHAT_SOURCE_TEXT;
                        while (len > 0 && ((unsigned char)src[i].text[len]
                                           & 0xC0) == 0x80) {
                            len--;
                        }
                    }
                    json_array_append_new(shown, json_pack(
                        "{s:s, s:s, s:f, s:s%}", "id", src[i].id, "title",
                        src[i].title, "score", src[i].score, "text",
                        src[i].text ? src[i].text : "", len));
                }
            }
        }
        t.timing = json_pack("{s:I, s:I, s:i, s:s?}",
                             "retrieval_us", (json_int_t)(t1 - t0),
                             "llm_ms", (json_int_t)llm.ms,
                             "llm_attempts", llm.attempts,
                             "llm_error", llm.error);
    }
    t.sources = sources;
    if (!t.timing) {
        t.timing = json_object();
    }
    cc_json_pool_own(r->pool, t.timing);
    json_object_set_new(t.timing, "total_ms",
                        json_integer((apr_time_now() - t0) / 1000));
    if ((rv = store_turn(r, &t, c->rid, keep, 0)) != APR_SUCCESS) {
        return not_stored(c, rv);
    }
    if (APLOGrdebug(r)) {
        /* Lengths and ids only: never the text. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, CCLOGNO(00802)
                      "chat: %" APR_SIZE_T_FMT " bytes in, status %s, mode "
                      "%s, %d sources", strlen(message), t.status, t.mode,
                      (int)json_array_size(sources));
    }
    if (json_object_size(out) == 0) {
        /* The common answer, written by hand (the texts are made once,
         * for the chat log and for the reply). */
        const char *text;

        if (!t.reply_q) {
            t.reply_q = cc_json_quote(r->pool, t.reply, strlen(t.reply));
        }
        if (!t.sources_txt) {
            t.sources_txt = cc_json_dump(r->pool, sources, NULL);
        }
        text = apr_pstrcat(r->pool, "{\"session_id\":\"", t.session,
                           "\",\"status\":\"", t.status, "\",\"reply\":",
                           t.reply_q, ",\"sources\":",
                           cc_json_dump(r->pool, shown, NULL),
                           mc_booking_staff_text(r, &staff), "}", NULL);
        return mc_reply_raw(c, 200, "application/json", text, strlen(text));
    }
    json_object_set_new(out, "session_id", json_string(t.session));
    json_object_set_new(out, "status", json_string(t.status));
    json_object_set_new(out, "reply", json_string(t.reply));
    json_object_set(out, "sources", shown);
    mc_booking_staff_json(r, &staff, out);
    json_incref(out);
    return mc_reply(c, 200, out);
}

/* ---- GET /api/chat (X-Chat-Token) --------------------------------------------- *
 *
 * The conversation token is a bearer secret: in a URL it would reach
 * access logs, proxies and the browser's history, so it travels in a
 * header.  The old form, GET /api/chat/{token}, answers 410 without
 * looking the token up. */

static int mc_api_chat_moved(mc_ctx *c)
{
    return mc_error(c, 410, "moved", "send the conversation token in the "
                    "X-Chat-Token header of GET /api/chat");
}

static int mc_api_chat_get(mc_ctx *c)
{
    request_rec *r = c->r;
    const char *session = apr_table_get(r->headers_in, "X-Chat-Token");
    const char *args[1], *rows;
    apr_dbd_results_t *res;
    conv_state cs;
    ap_dbd_t *dbd;
    json_t *msgs, *out;
    mc_staff staff;

    if (!session) {
        return mc_error(c, 400, "chat_token_required", "send the "
                        "conversation token (session_id) in the X-Chat-Token "
                        "header");
    }
    if (!cc_token_valid(session)) {
        return mc_error(c, 404, "session_not_found", "no such conversation");
    }
    dbd = mc_api_db(c);
    if (!dbd) {
        return OK;
    }
    if (conv_lookup(r, dbd, cc_sha256_hex(r->pool, session, strlen(session)),
                    &cs) != APR_SUCCESS) {
        return mc_error_db(c);
    }
    /* An expired conversation is not the patient's to read any more. */
    if (!cs.found || cs.expired) {
        return mc_error(c, 404, "session_not_found", "no such conversation");
    }
    args[0] = cs.id;
    if (mc_db_select(r, dbd, "cc_conv_messages", &res, 1, args) != APR_SUCCESS
        || !(rows = mc_db_value(r, dbd, res, 0))) {
        return mc_error_db(c);
    }
    msgs = mc_pg_json(r, rows);
    if (!msgs) {
        return mc_error(c, 500, "internal_error", "messages unreadable");
    }
    out = json_pack("{s:s, s:O}", "session_id", session, "messages", msgs);
    if (mc_booking_staff(c, &staff) == APR_SUCCESS) {
        mc_booking_staff_json(r, &staff, out);
    }
    return mc_reply(c, 200, out);
}

/* ---- routes and statements ---------------------------------------------- */

static const mc_route routes[] = {
    { "POST", "/api/chat", mc_api_chat_post, MC_ROLE_PUBLIC,
      MC_RL_CHAT, 16 * KB, MC_BODY_JSON,
      "A patient message: a grounded answer, a booking offer or a hand-over "
      "to staff",
      MC_SHAPE("chat_message"), MC_SHAPE("chat_reply") },
    { "GET", "/api/chat", mc_api_chat_get, MC_ROLE_PUBLIC,
      MC_RL_BROWSE, 0, MC_BODY_JSON,
      "The patient's own conversation, with staff replies (token in "
      "X-Chat-Token)", NULL, MC_SHAPE("conversation") },
    { "GET", "/api/chat/{session_id}", mc_api_chat_moved, MC_ROLE_PUBLIC,
      MC_RL_NONE, 0, MC_BODY_JSON,
      "Gone: the token is sent in X-Chat-Token to GET /api/chat (410)",
      NULL, NULL },
    { NULL }
};

static const mc_stmt stmts[] = {
    /* id, expired, escalated ever: see conv_lookup */
    { "cc_conv_find",
      "SELECT c.id, c.last_message_at < now() - make_interval(secs => %lld) "
      "AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.conversation_id "
      "= c.id AND e.status <> 'resolved'), EXISTS (SELECT 1 FROM "
      "escalations e WHERE e.conversation_id = c.id) FROM conversations c "
      "WHERE c.session_hash = %s" },
    /* A stored turn by its client_message_id: the conversation (its token
     * hash; "fresh" when it holds only this turn and is under an hour
     * old), the reply, and the conversation's latest escalation. */
    { "cc_chat_replay",
      "SELECT json_build_object('hash', c.session_hash, 'fresh', c.messages "
      "<= 2 AND c.created_at > now() - interval '" 
      APR_STRINGIFY(MC_CHAT_REPLAY_NEW_S) " seconds', "
      "'status', b.status, 'reply', b.body, 'sources', b.sources, "
      "'escalation_id', (SELECT max(e.id) FROM escalations e WHERE "
      "e.conversation_id = c.id))::text FROM messages p JOIN conversations c "
      "ON c.id = p.conversation_id LEFT JOIN messages b ON b.client_id = "
      "p.client_id AND b.role = 'bot' WHERE p.client_id = %s::uuid AND "
      "p.role = 'patient'" },
    { "cc_chat_replay_token",
      "UPDATE conversations SET session_hash = %s WHERE session_hash = %s "
      "AND messages <= 2" },
    { "cc_conv_messages",
      "SELECT coalesce(json_agg(json_build_object('id', id, 'role', role, "
      "'body', body, 'status', status, 'sources', sources, 'at', created_at) "
      "ORDER BY id), '[]')::text FROM messages WHERE conversation_id = %lld" },
    { NULL, NULL }
};
MC_RESOURCE(chat, routes, stmts);

#!/usr/bin/env python3
"""A fake Stripe: the API calls Concierge makes for per-booking payment
(Checkout Sessions, refunds), a pay page for the patient, and a control
port that moves objects along and hands out webhook events.

    fake_stripe.py --port N [--portfile F]
                   [--control-port M] [--control-portfile F2]
                   --secret-key sk_test_... [--host H] [--verbose]

Two HTTP servers on 127.0.0.1 (or --host): the API on --port and the
control endpoints on --control-port (default 0 = a free port).  With
--port 0 a free port is chosen; --portfile / --control-portfile receive
the ports, written atomically once both sockets listen (the control one
first), as tests/fakes/fake_google.py does.  Python standard library only;
Stripe's form notation and error shape live in tests/fakes/stripe_form.py.
Webhook signatures are not made here: tests/node/stripe_sign.js makes them
with Stripe's own library (FIELD_NOTES D1).

Every API call (base /v1), checked as Stripe documents it (FIELD_NOTES D1):
  - "Authorization: Basic base64(<secret key>:)" (or "Bearer <key>") equal
    to --secret-key, else 401 invalid_request_error.
  - POST bodies: Content-Type application/x-www-form-urlencoded, UTF-8,
    bracket notation: a[b][0][c]=v is {"a":{"b":[{"c":"v"}]}}.  List
    indices must be 0..n-1 without gaps or leading zeros; the keys under a
    "metadata" stay strings.  Each parameter once (else 400
    parameter_duplicate), no empty brackets, no parameter both a value and
    a hash.  Unknown parameters (at any depth) -> 400 parameter_unknown
    "Received unknown parameter: line_items[0][foo]".
  - POST needs "Idempotency-Key" (Stripe makes it optional; this fake
    requires it so the tests prove it is always sent): 1..255 characters,
    else 400.  Once execution begins (after auth, rate limiting and
    parameter validation) the first answer is saved per key, whatever its
    status (2xx, a 4xx such as amount_too_large, or an injected 500) and
    replayed byte for byte with "Idempotent-Replayed: true" and
    "Original-Request: req_..."; the same key with another path or other
    parameters (the parsed form) -> 400 idempotency_error; a key held by a
    request still in flight -> 409 idempotency_error.  Validation errors,
    injected 429s and "down" are not saved: the key can be retried.
  - Errors use Stripe's shape {"error":{"type","code","param","message"}}
    (code/param when they apply) and every answer has a "Request-Id".
    Rejections are written to stderr as "fake_stripe: REJECT <method>
    <path> -> <status> <code>: <message>".

    POST /v1/checkout/sessions
        required: mode=payment; line_items[n][quantity] (integer >= 1),
        line_items[n][price_data][currency] (3 lowercase letters, the same
        in every item), [unit_amount] (integer >= 0),
        [product_data][name] (non-empty) (n = 0.., at least one item);
        success_url, cancel_url (absolute http(s) URLs); expires_at
        (integer epoch seconds, now + 30 min - 5 s .. now + 24 h, else 400
        parameter_invalid_integer).  optional: client_reference_id (<= 200
        characters), metadata[k] (<= 50 keys, key <= 40, value <= 500
        characters; an empty value is dropped), payment_intent_data
        [metadata][k] / [description], customer_email, locale ("auto",
        "de", "en-GB", ...).  Missing -> 400 parameter_missing with param.
        200: a checkout.session (id cs_test_..., url = this fake's pay page
        http://<host>:<port>/checkout/<id>, status "open", payment_status
        "unpaid", amount_subtotal/amount_total, currency, expires_at,
        client_reference_id, metadata, customer_email, success_url,
        cancel_url, payment_intent null, created, livemode false, mode
        "payment").  An open session past expires_at reads as expired.
    GET  /v1/checkout/sessions/{id}          404 resource_missing if unknown
    POST /v1/checkout/sessions/{id}/expire   no parameters; only while
        open (else 400, code "checkout_session_not_open"; this code is the
        fake's own), then status "expired" and url null
    POST /v1/refunds
        payment_intent=pi_... or charge=ch_... (one required; both must
        agree), of a paid session (unknown -> 404 resource_missing;
        unpaid -> 400 payment_intent_unexpected_state); amount (integer,
        1..what is left, else 400 amount_too_large; default all that is
        left; nothing left -> 400 charge_already_refunded), reason
        (duplicate | fraudulent | requested_by_customer), metadata[k].
        200: a refund (id re_..., status "succeeded", or "pending" while
        control's refunds_pending is on).  Failed refunds give their amount
        back.
    GET  /v1/refunds?payment_intent=pi_...|charge=ch_...&limit=N (1..100,
        default 10): {"object":"list","data":[newest first],"has_more",
        "url":"/v1/refunds"}
    GET  /v1/refunds/{id}
  The pay page (no auth, not logged as an API call, no failure injection):
    GET  /checkout/{id}      HTML: the items and amount, a "Pay" form
                             (POST /checkout/{id}/pay) and a "Cancel" link
                             to cancel_url; 404 unknown; a closed session
                             says so (410)
    POST /checkout/{id}/pay  pays it (as control's /pay) and answers 303 to
                             success_url ({CHECKOUT_SESSION_ID} replaced);
                             409 when not open

Failure rules (control POST /fail), applied to API calls only, each taken
by the next `count` matching calls (method and path prefix optional):
    fail        500 api_error once execution began (saved under the key);
                "apply": true runs the call first, then answers the 500
    rate_limit  429 rate_limit with "Retry-After: <seconds, default 1>"
                (not saved)
    hang        sleep `seconds` (<= 300; cut short by /reset or
                /clear_failures), then answer normally; a POST holds its
                idempotency key while it sleeps
    down        read the request, then close the connection without an
                answer; count 0 or absent = until /clear_failures or /reset

Control endpoints (control port, JSON; 400 {"error":..} on a bad request,
404 unknown; every path also answers with a "/__" prefix, as the other
fakes' do):
    GET  /requests[?path=prefix]  {"requests":[{"seq","time","method",
             "path","query","headers" (lower-case names),"form" (parsed,
             null when not a form),"idempotency_key","status","replayed",
             "injected" (mode or null),"error" (code or null)}]} (the last
             10000 API calls, oldest first)
    POST /reset            every object, key, log entry and rule cleared
    POST /fail             {"mode":"fail|rate_limit|hang|down","count":N,
                            "path":prefix,"method":M,"seconds":S,
                            "apply":bool}
    POST /clear_failures   pending rules cleared, hangs woken
    POST /sessions/{id}/pay     {"async":false}: status complete; a
             payment_intent pi_... and a charge ch_... are made;
             payment_status "paid" (or "unpaid" with async true, until
             /async).  Only while open.
    POST /sessions/{id}/async   {"succeeded":true|false}: payment_status
             "paid" or stays "unpaid" (the payment failed)
    POST /sessions/{id}/expire  open -> expired
    GET  /sessions/{id}         the session as the API shows it
    POST /refunds_pending       {"on":true|false}
    POST /refunds/{id}/status   {"status":"succeeded|failed|canceled"}
    GET  /refunds/{id}
    GET  /event?type=T&(session=cs_...|refund=re_...|payment_intent=pi_...
             |charge=ch_...)[&id=evt_...]  a Stripe Event for the object's
             state now: {"id":"evt_...","object":"event","api_version":
             "2024-06-20","created","livemode":false,"type":T,"data":
             {"object":{...}},"pending_webhooks":1,"request":{"id":null,
             "idempotency_key":null}}.  T: checkout.session.completed |
             .async_payment_succeeded | .async_payment_failed | .expired
             (a checkout.session), charge.refunded (the charge: id,
             object, amount, amount_captured, amount_refunded, refunded,
             currency, payment_intent, metadata = the payment intent's,
             paid, status, created, livemode), refund.created |
             refund.updated | refund.failed (the refund).  A new id per
             call unless id= is given.
"""

import argparse
import base64
import html
import json
import re
import secrets
import socket
import string
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import fakelib
from stripe_form import (META, StripeError, bad, check_schema, check_url,
                         clean_meta, get_int, parse_form, required)

MAX_BODY = 1024 * 1024
MAX_LOG = 10000
MAX_HANG = 300
API_VERSION = "2024-06-20"
EXPIRES_MIN = 1800
EXPIRES_MAX = 86400
EXPIRES_SLACK = 5
ALNUM = string.ascii_letters + string.digits
CURRENCY_RE = re.compile(r"^[a-z]{3}$")
LOCALE_RE = re.compile(r"^(auto|[a-z]{2}(-[A-Z]{2})?)$")
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
SESSION_EVENTS = ("checkout.session.completed",
                  "checkout.session.async_payment_succeeded",
                  "checkout.session.async_payment_failed",
                  "checkout.session.expired")
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed")
SESSION_PARAMS = {
    "mode": str, "success_url": str, "cancel_url": str, "expires_at": str,
    "client_reference_id": str, "customer_email": str, "locale": str,
    "metadata": META,
    "payment_intent_data": {"metadata": META, "description": str},
    "line_items": [{"quantity": str,
                    "price_data": {"currency": str, "unit_amount": str,
                                   "product_data": {"name": str,
                                                    "description": str}}}],
}
REFUND_PARAMS = {"payment_intent": str, "charge": str, "amount": str,
                 "reason": str, "metadata": META}


def log(msg):
    sys.stderr.write("fake_stripe: %s\n" % msg)
    sys.stderr.flush()


def new_id(prefix, n=24):
    return prefix + "".join(secrets.choice(ALNUM) for _ in range(n))


class State:
    def __init__(self, secret_key, base_url):
        self.lock = threading.Lock()
        self.secret_key = secret_key
        self.base_url = base_url
        self.wake = threading.Event()
        self.reset()

    def reset(self):
        self.sessions = {}      # cs id -> session object (+ "_items")
        self.intents = {}       # pi id -> {"session","charge","metadata"}
        self.charges = {}       # ch id -> pi id
        self.refunds = {}       # re id -> refund object (+ "_seq")
        self.keys = {}          # idempotency key -> saved answer
        self.inflight = set()
        self.log = []
        self.seq = 0
        self.rules = []
        self.refunds_pending = False
        self.wake.set()
        self.wake = threading.Event()

    def take_rule(self, modes, method, path):
        for r in self.rules:
            if r["mode"] in modes and \
                    (not r["method"] or r["method"] == method) and \
                    path.startswith(r["path"] or ""):
                if r["count"]:
                    r["count"] -= 1
                    if r["count"] == 0:
                        self.rules.remove(r)
                return dict(r)
        return None

    def session(self, sid):
        s = self.sessions.get(sid)
        if s and s["status"] == "open" and time.time() >= s["expires_at"]:
            s["status"], s["url"] = "expired", None
        return s

    def session_view(self, s):
        return {k: v for k, v in s.items() if not k.startswith("_")}

    def pay(self, s, async_=False):
        if s["status"] != "open":
            raise ValueError("session %s is %s, not open"
                             % (s["id"], s["status"]))
        pi, ch = new_id("pi_"), new_id("ch_")
        self.intents[pi] = {"session": s["id"], "charge": ch,
                            "created": int(time.time()),
                            "metadata": dict(s["_pi_metadata"])}
        self.charges[ch] = pi
        s.update(status="complete", url=None, payment_intent=pi,
                 payment_status="unpaid" if async_ else "paid",
                 customer_details={"email": s["customer_email"]})

    def refunded(self, pi):
        return sum(r["amount"] for r in self.refunds.values()
                   if r["payment_intent"] == pi and
                   r["status"] in ("succeeded", "pending"))

    def charge_view(self, pi):
        it = self.intents[pi]
        s = self.sessions[it["session"]]
        paid = s["payment_status"] == "paid"
        done = self.refunded(pi)
        return {"id": it["charge"], "object": "charge",
                "amount": s["amount_total"],
                "amount_captured": s["amount_total"] if paid else 0,
                "amount_refunded": done,
                "refunded": paid and done >= s["amount_total"],
                "currency": s["currency"], "payment_intent": pi,
                "metadata": dict(it["metadata"]), "paid": paid,
                "captured": paid,
                "status": "succeeded" if paid else "pending",
                "created": it["created"], "livemode": False}

    def refund_view(self, r):
        return {k: v for k, v in r.items() if not k.startswith("_")}


# --- the API server ----------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-stripe/1.0"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            log("%s - %s" % (self.address_string(), fmt % args))

    def send_raw(self, status, body, ctype, headers=None):
        fakelib.reply(self, status, body, ctype, headers)

    def send_json(self, status, body, headers=None):
        self.send_raw(status, body, "application/json", headers)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        body = fakelib.read_body(self, MAX_BODY)
        if body is None:
            self.close_connection = True
        if path.startswith("/checkout/"):
            self.pay_page(method, path, body or b"")
            return
        st = self.server.state
        rec = {"time": time.time(), "method": method, "path": path,
               "query": split.query,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "form": None, "idempotency_key":
                   self.headers.get("Idempotency-Key"),
               "status": None, "replayed": False, "injected": None,
               "error": None}
        with st.lock:
            st.seq += 1
            rec["seq"] = st.seq
            st.log.append(rec)
            del st.log[:-MAX_LOG]
            down = st.take_rule(("down",), method, path)
            hang = st.take_rule(("hang",), method, path)
        if down:
            log("INJECT down: closing %s %s unanswered" % (method, path))
            rec["injected"] = "down"
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.pending_hang = hang
        req_id = new_id("req_", 14)
        headers = {"Request-Id": req_id, "Stripe-Version": API_VERSION}
        try:
            status, raw, extra = self.api(method, path, split.query, body,
                                          rec, req_id)
            headers.update(extra)
        except StripeError as e:
            status, raw = e.status, json.dumps(e.payload(), indent=2).encode()
            rec["error"] = e.code or e.etype
            log("REJECT %s %s -> %d %s: %s" % (method, path, e.status,
                                              e.code or e.etype, e.message))
            if e.retry_after is not None:
                headers["Retry-After"] = str(e.retry_after)
        self.hang_now()
        rec["status"] = status
        self.send_json(status, raw, headers)

    def hang_now(self):
        hang, self.pending_hang = self.pending_hang, None
        if hang:
            log("hanging %s for %s s" % (self.path, hang["seconds"]))
            self.server.state.wake.wait(hang["seconds"])

    def authorized(self):
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        scheme, _, cred = auth.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, _ = base64.b64decode(
                    cred.strip(), validate=True).decode(
                    "utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return secrets.compare_digest(user, st.secret_key)
        if scheme.lower() == "bearer":
            return secrets.compare_digest(cred.strip(), st.secret_key)
        return False

    def api(self, method, path, query, body, rec, req_id):
        """Answers (status, body bytes, extra headers) or raises
        StripeError."""
        st = self.server.state
        if body is None:
            raise StripeError(413, "Request body too large or unreadable")
        if not self.authorized():
            raise StripeError(401, "Invalid API Key provided (use HTTP "
                              "Basic auth with the secret key as user, or "
                              "a Bearer token).")
        with st.lock:
            rl = st.take_rule(("rate_limit",), method, path)
        if rl:
            rec["injected"] = "rate_limit"
            e = StripeError(429, "Request rate limit exceeded. Learn more "
                            "about rate limits here https://stripe.com/"
                            "docs/rate-limits.", "rate_limit")
            e.retry_after = int(rl.get("seconds") or 1)
            raise e
        route = self.route(method, path)
        if method == "GET":
            qs = urllib.parse.parse_qs(query, keep_blank_values=True)
            self.hang_now()
            self.injected_fail(method, path, rec, None)
            return 200, json.dumps(route(qs), indent=2).encode(), {}
        if method != "POST":
            raise StripeError(404, "Unrecognized request URL (%s: %s)."
                              % (method, path))
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != \
                "application/x-www-form-urlencoded":
            raise bad("Content-Type must be application/x-www-form-"
                      "urlencoded, not %r" % ctype, "parameter_invalid")
        form = parse_form(body)
        rec["form"] = form
        key = self.headers.get("Idempotency-Key")
        if key is None or not 1 <= len(key) <= 255:
            raise bad("This fake needs an Idempotency-Key header of 1..255 "
                      "characters on every POST", "idempotency_key_invalid")
        route(form, validate_only=True)
        with st.lock:
            saved = st.keys.get(key)
            if key in st.inflight:
                raise StripeError(409, "There is currently another in-"
                                  "progress request using this Idempotent "
                                  "Key (that probably means you submitted "
                                  "twice, and the other request is still "
                                  "going through): %s. Please try again "
                                  "later." % key, etype="idempotency_error")
            if saved and (saved["path"] != path or saved["form"] != form):
                raise StripeError(400, "Keys for idempotent requests can "
                                  "only be used with the same parameters "
                                  "they were first used with. Try using a "
                                  "key other than '%s' if you meant to "
                                  "execute a different request." % key,
                                  etype="idempotency_error")
            if not saved:
                st.inflight.add(key)
        if saved:
            rec["replayed"] = True
            return saved["status"], saved["body"], {
                "Idempotent-Replayed": "true",
                "Original-Request": saved["request_id"]}
        try:
            self.hang_now()
            try:
                self.injected_fail(method, path, rec, lambda: route(form))
                status, raw = 200, json.dumps(route(form), indent=2).encode()
            except StripeError as e:
                if not e.saved:
                    raise
                status, raw = e.status, json.dumps(e.payload(),
                                                   indent=2).encode()
                rec["error"] = e.code or e.etype
                log("ANSWER %s %s -> %d %s: %s (saved under the key)" % (
                    method, path, e.status, e.code or e.etype, e.message))
            with st.lock:
                st.keys[key] = {"path": path, "form": form, "status": status,
                                "body": raw, "request_id": req_id}
            return status, raw, {}
        finally:
            with st.lock:
                st.inflight.discard(key)

    def injected_fail(self, method, path, rec, apply):
        st = self.server.state
        with st.lock:
            f = st.take_rule(("fail",), method, path)
        if not f:
            return
        rec["injected"] = "fail"
        if f.get("apply") and apply:
            try:
                apply()
            except StripeError:
                pass
        raise StripeError(500, "An unknown error occurred (injected by "
                          "fake_stripe).", etype="api_error", saved=True)

    def route(self, method, path):
        parts = path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            raise StripeError(404, "Unrecognized request URL (%s: %s)."
                              % (method, path))
        p = parts[1:]
        if method == "POST" and p == ["checkout", "sessions"]:
            return self.create_session
        if method == "GET" and len(p) == 3 and p[:2] == ["checkout",
                                                           "sessions"]:
            return lambda qs: self.get_session(p[2])
        if method == "POST" and len(p) == 4 and p[:2] == [
                "checkout", "sessions"] and p[3] == "expire":
            return lambda form, validate_only=False: self.expire_session(
                p[2], form, validate_only)
        if method == "POST" and p == ["refunds"]:
            return self.create_refund
        if method == "GET" and p == ["refunds"]:
            return self.list_refunds
        if method == "GET" and len(p) == 2 and p[0] == "refunds":
            return lambda qs: self.get_refund(p[1])
        raise StripeError(404, "Unrecognized request URL (%s: %s)."
                          % (method, path))

    # --- Checkout Sessions ---------------------------------------------------

    def create_session(self, form, validate_only=False):
        st = self.server.state
        check_schema(form, SESSION_PARAMS, "")
        mode = required(form, "mode")
        if mode != "payment":
            raise bad("Invalid mode: this fake takes only \"payment\"",
                      "parameter_invalid", "mode")
        required(form, "line_items")
        items, currency, total = [], None, 0
        for i in range(len(form["line_items"])):
            q = get_int(required(form, "line_items", i, "quantity"),
                        "line_items[%d][quantity]" % i, 1, 999999)
            pd = "line_items[%d][price_data]" % i
            cur = required(form, "line_items", i, "price_data", "currency")
            if not CURRENCY_RE.match(cur):
                raise bad("Invalid currency: %s" % cur, "parameter_invalid",
                          pd + "[currency]")
            if currency and cur != currency:
                raise bad("All line items must use the same currency",
                          "parameter_invalid", pd + "[currency]")
            currency = cur
            ua = get_int(required(form, "line_items", i, "price_data",
                                  "unit_amount"), pd + "[unit_amount]",
                         0, 99999999)
            name = required(form, "line_items", i, "price_data",
                            "product_data", "name")
            items.append({"name": name, "quantity": q, "unit_amount": ua})
            total += q * ua
        for u in ("success_url", "cancel_url"):
            check_url(required(form, u), u)
        now = int(time.time())
        exp = get_int(required(form, "expires_at"), "expires_at")
        if exp < now + EXPIRES_MIN - EXPIRES_SLACK:
            raise bad("The `expires_at` timestamp must be at least 30 "
                      "minutes from Checkout Session creation.",
                      "parameter_invalid_integer", "expires_at")
        if exp > now + EXPIRES_MAX:
            raise bad("The `expires_at` timestamp must be less than 24 "
                      "hours from Checkout Session creation.",
                      "parameter_invalid_integer", "expires_at")
        cri = form.get("client_reference_id")
        if cri is not None and not 1 <= len(cri) <= 200:
            raise bad("client_reference_id must be 1..200 characters",
                      "parameter_invalid", "client_reference_id")
        email = form.get("customer_email")
        if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                              email):
            raise bad("Invalid email address: %s" % email, "email_invalid",
                      "customer_email")
        loc = form.get("locale")
        if loc is not None and not LOCALE_RE.match(loc):
            raise bad("Invalid locale: %s" % loc, "parameter_invalid",
                      "locale")
        if validate_only:
            return None
        sid = new_id("cs_test_", 58)
        s = {"id": sid, "object": "checkout.session",
             "amount_subtotal": total, "amount_total": total,
             "cancel_url": form["cancel_url"], "client_reference_id": cri,
             "created": now, "currency": currency,
             "customer_details": None, "customer_email": email,
             "expires_at": exp, "livemode": False, "locale": loc,
             "metadata": clean_meta(form.get("metadata")),
             "mode": "payment", "payment_intent": None,
             "payment_status": "unpaid", "status": "open",
             "success_url": form["success_url"],
             "url": "%s/checkout/%s" % (st.base_url, sid),
             "_items": items,
             "_pi_metadata": clean_meta(
                 form.get("payment_intent_data", {}).get("metadata"))}
        with st.lock:
            st.sessions[sid] = s
            return st.session_view(s)

    def get_session(self, sid):
        st = self.server.state
        with st.lock:
            s = st.session(sid)
            if not s:
                raise StripeError(404, "No such checkout.session: '%s'" % sid,
                                  "resource_missing", "session")
            return st.session_view(s)

    def expire_session(self, sid, form, validate_only):
        check_schema(form, {}, "")
        if validate_only:
            return None
        st = self.server.state
        with st.lock:
            s = st.session(sid)
            if not s:
                raise StripeError(404, "No such checkout.session: '%s'" % sid,
                                  "resource_missing", "session", saved=True)
            if s["status"] != "open":
                raise StripeError(400, "Only Checkout Sessions with a status "
                                  "in [\"open\"] can be expired (this one "
                                  "is %s)." % s["status"],
                                  "checkout_session_not_open", saved=True)
            s["status"], s["url"] = "expired", None
            return st.session_view(s)

    # --- refunds -------------------------------------------------------------

    def create_refund(self, form, validate_only=False):
        st = self.server.state
        check_schema(form, REFUND_PARAMS, "")
        pi, ch = form.get("payment_intent"), form.get("charge")
        if not pi and not ch:
            raise bad("Missing required param: payment_intent.",
                      "parameter_missing", "payment_intent")
        amount = None
        if "amount" in form:
            amount = get_int(form["amount"], "amount", 1)
        reason = form.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise bad("Invalid reason: must be one of %s"
                      % ", ".join(REFUND_REASONS), "parameter_invalid",
                      "reason")
        if validate_only:
            return None
        with st.lock:
            if ch:
                if ch not in st.charges:
                    raise StripeError(404, "No such charge: '%s'" % ch,
                                      "resource_missing", "charge",
                                      saved=True)
                if pi and st.charges[ch] != pi:
                    raise StripeError(400, "The charge %s does not belong "
                                      "to %s" % (ch, pi),
                                      "parameter_invalid", "charge",
                                      saved=True)
                pi = st.charges[ch]
            if pi not in st.intents:
                raise StripeError(404, "No such payment_intent: '%s'" % pi,
                                  "resource_missing", "payment_intent",
                                  saved=True)
            it = st.intents[pi]
            s = st.sessions[it["session"]]
            if s["payment_status"] != "paid":
                raise StripeError(400, "This PaymentIntent (%s) does not "
                                  "have a successful charge to refund." % pi,
                                  "payment_intent_unexpected_state",
                                  "payment_intent", saved=True)
            left = s["amount_total"] - st.refunded(pi)
            if left <= 0:
                raise StripeError(400, "Charge %s has already been refunded."
                                  % it["charge"], "charge_already_refunded",
                                  saved=True)
            if amount is None:
                amount = left
            if amount > left:
                raise StripeError(400, "Refund amount (%d) is greater than "
                                  "unrefunded amount on charge (%d)"
                                  % (amount, left), "amount_too_large",
                                  "amount", saved=True)
            st.seq += 1
            r = {"id": new_id("re_"), "object": "refund", "amount": amount,
                 "balance_transaction": None, "charge": it["charge"],
                 "created": int(time.time()), "currency": s["currency"],
                 "metadata": clean_meta(form.get("metadata")),
                 "payment_intent": pi, "reason": reason,
                 "receipt_number": None,
                 "status": "pending" if st.refunds_pending else "succeeded",
                 "_seq": st.seq}
            st.refunds[r["id"]] = r
            return st.refund_view(r)

    def list_refunds(self, qs):
        st = self.server.state
        for k, v in qs.items():
            if k not in ("payment_intent", "charge", "limit"):
                raise bad("Received unknown parameter: %s" % k,
                          "parameter_unknown", k)
            if len(v) != 1:
                raise bad("Received parameter twice: %s" % k,
                          "parameter_duplicate", k)
        limit = get_int(qs["limit"][0], "limit", 1, 100) \
            if "limit" in qs else 10
        pi = qs.get("payment_intent", [None])[0]
        ch = qs.get("charge", [None])[0]
        with st.lock:
            rs = [r for r in st.refunds.values()
                  if (pi is None or r["payment_intent"] == pi) and
                  (ch is None or r["charge"] == ch)]
            rs.sort(key=lambda r: r["_seq"], reverse=True)
            return {"object": "list",
                    "data": [st.refund_view(r) for r in rs[:limit]],
                    "has_more": len(rs) > limit, "url": "/v1/refunds"}

    def get_refund(self, rid):
        st = self.server.state
        with st.lock:
            r = st.refunds.get(rid)
            if not r:
                raise StripeError(404, "No such refund: '%s'" % rid,
                                  "resource_missing", "id")
            return st.refund_view(r)

    # --- the pay page --------------------------------------------------------

    def pay_page(self, method, path, body):
        st = self.server.state
        m = re.match(r"^/checkout/([A-Za-z0-9_]+)(/pay)?$", path)
        with st.lock:
            s = st.session(m.group(1)) if m else None
            if not s:
                self.page(404, "Not found", "<p>There is no such checkout "
                          "session.</p>")
                return
            s = dict(s)
        if method == "GET" and not m.group(2):
            self.pay_form(s)
            return
        if method != "POST" or not m.group(2):
            self.page(405, "Not allowed", "<p>Use the Pay button.</p>")
            return
        with st.lock:
            try:
                st.pay(st.sessions[s["id"]])
            except ValueError:
                self.page(409, "Not open", "<p>This checkout session is "
                          "%s.</p>" % html.escape(s["status"]))
                return
        self.send_raw(303, b"", "text/plain", {"Location": s[
            "success_url"].replace("{CHECKOUT_SESSION_ID}", s["id"])})

    def pay_form(self, s):
        esc = html.escape
        if s["status"] != "open":
            self.page(410, "Checkout closed", "<p>This checkout session is "
                      "%s. Please go back to the clinic's page.</p>"
                      % esc(s["status"]))
            return
        rows = "".join("<li>%s &times; %d: %s</li>" % (
            esc(it["name"]), it["quantity"],
            esc(money(it["unit_amount"] * it["quantity"], s["currency"])))
            for it in s["_items"])
        total = money(s["amount_total"], s["currency"])
        self.page(200, "Pay %s" % total, (
            "<ul>%s</ul><p>Total: <strong id=\"total\">%s</strong></p>"
            "<form method=\"post\" action=\"/checkout/%s/pay\">"
            "<button type=\"submit\" id=\"pay\">Pay %s</button></form>"
            "<p><a id=\"cancel\" href=\"%s\">Cancel</a></p>") % (
            rows, esc(total), esc(s["id"]), esc(total),
            esc(s["cancel_url"])))

    def page(self, status, title, inner):
        doc = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8"
               "\"><meta name=\"viewport\" content=\"width=device-width, "
               "initial-scale=1\"><title>%s - fake Stripe Checkout</title>"
               "<style>body{font-family:sans-serif;max-width:30em;margin:2em"
               " auto;padding:0 1em;color:#1a1a1a;background:#fff}button{"
               "font-size:1.1em;padding:.5em 1.5em;background:#1d4ed8;color:"
               "#fff;border:0;border-radius:4px}a{color:#1d4ed8}"
               ":focus{outline:3px solid #f59e0b}</style></head><body><main>"
               "<h1>%s</h1>%s</main></body></html>") % (
            html.escape(title), html.escape(title), inner)
        self.send_raw(status, doc.encode("utf-8"),
                      "text/html; charset=utf-8")


def money(minor, currency):
    if currency in ZERO_DECIMAL:
        return "%s %d" % (currency.upper(), minor)
    return "%s %d.%02d" % (currency.upper(), minor // 100, minor % 100)


# --- the control server ------------------------------------------------------

class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-stripe-control/1.0"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            log("control: %s" % (fmt % args))

    def send(self, status, payload):
        fakelib.reply_json(self, status, payload)

    def handle_any(self, method):
        raw = fakelib.read_body(self, MAX_BODY)
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        if path.startswith("/__"):
            path = "/" + path[3:]
        qs = {k: v[-1] for k, v in urllib.parse.parse_qs(
            split.query, keep_blank_values=True).items()}
        try:
            req = json.loads(raw) if raw and raw.strip() else {}
            if not isinstance(req, dict):
                raise ValueError("body is not a JSON object")
            out = self.control(method, path.strip("/").split("/"), qs, req)
        except LookupError as ex:
            self.send(404, {"error": str(ex).strip("'\"")})
            return
        except (ValueError, TypeError) as ex:
            log("control: refused %s %s: %s" % (method, self.path, ex))
            self.send(400, {"error": str(ex)})
            return
        self.send(200, out)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def control(self, method, p, qs, req):
        st = self.server.state
        with st.lock:
            if method == "GET" and p == ["requests"]:
                pre = qs.get("path", "")
                return {"requests": [dict(r) for r in st.log
                                     if r["path"].startswith(pre)]}
            if method == "GET" and p == ["event"]:
                return self.event(st, qs)
            if method == "POST" and p == ["reset"]:
                st.reset()
                return {"ok": True}
            if method == "POST" and p == ["fail"]:
                return self.add_rule(st, req)
            if method == "POST" and p == ["clear_failures"]:
                st.rules = []
                st.wake.set()
                st.wake = threading.Event()
                return {"ok": True}
            if method == "POST" and p == ["refunds_pending"]:
                st.refunds_pending = bool(req.get("on", True))
                return {"refunds_pending": st.refunds_pending}
            if len(p) == 2 and p[0] == "sessions" and method == "GET":
                return st.session_view(self.session_of(st, p[1]))
            if len(p) == 3 and p[0] == "sessions" and method == "POST":
                s = self.session_of(st, p[1])
                if p[2] == "pay":
                    st.pay(s, bool(req.get("async", False)))
                elif p[2] == "async":
                    if s["status"] != "complete" or not s["payment_intent"]:
                        raise ValueError("session %s is not awaiting an "
                                         "async payment" % s["id"])
                    ok = req.get("succeeded", True)
                    if not isinstance(ok, bool):
                        raise ValueError("succeeded must be true or false")
                    s["payment_status"] = "paid" if ok else "unpaid"
                elif p[2] == "expire":
                    if s["status"] != "open":
                        raise ValueError("session %s is %s, not open"
                                         % (s["id"], s["status"]))
                    s["status"], s["url"] = "expired", None
                else:
                    raise LookupError("unknown control endpoint")
                return st.session_view(s)
            if len(p) == 2 and p[0] == "refunds" and method == "GET":
                return st.refund_view(self.refund_of(st, p[1]))
            if p[:1] == ["refunds"] and p[2:] == ["status"] and \
                    len(p) == 3 and method == "POST":
                r = self.refund_of(st, p[1])
                status = req.get("status")
                if status not in ("succeeded", "failed", "canceled",
                                  "pending"):
                    raise ValueError("status must be succeeded, failed, "
                                     "canceled or pending")
                r["status"] = status
                if status == "failed":
                    r["failure_reason"] = req.get("failure_reason", "unknown")
                return st.refund_view(r)
        raise LookupError("unknown control endpoint")

    @staticmethod
    def session_of(st, sid):
        s = st.session(sid)
        if not s:
            raise LookupError("no session %s" % sid)
        return s

    @staticmethod
    def refund_of(st, rid):
        if rid not in st.refunds:
            raise LookupError("no refund %s" % rid)
        return st.refunds[rid]

    @staticmethod
    def add_rule(st, req):
        mode = req.get("mode")
        if mode not in ("fail", "rate_limit", "hang", "down"):
            raise ValueError("mode must be fail, rate_limit, hang or down")
        count = req.get("count", 0 if mode == "down" else 1)
        if not isinstance(count, int) or count < 0 or \
                (count == 0 and mode != "down"):
            raise ValueError("count must be a positive integer (0 = until "
                             "cleared, for down only)")
        seconds = req.get("seconds")
        if mode == "hang" and (not isinstance(seconds, (int, float)) or
                               not 0 < seconds <= MAX_HANG):
            raise ValueError("hang needs seconds in (0, %d]" % MAX_HANG)
        for k in ("path", "method"):
            if req.get(k) is not None and not isinstance(req[k], str):
                raise ValueError("%s must be a string" % k)
        rule = {"mode": mode, "count": count, "path": req.get("path"),
                "method": req.get("method"), "seconds": seconds,
                "apply": bool(req.get("apply", False))}
        st.rules.append(rule)
        return {"rules": [dict(r) for r in st.rules]}

    def event(self, st, qs):
        etype = qs.get("type", "")
        if etype in SESSION_EVENTS:
            obj = st.session_view(self.session_of(st, qs.get("session", "")))
        elif etype == "charge.refunded":
            pi = qs.get("payment_intent") or st.charges.get(
                qs.get("charge", ""))
            if pi not in st.intents:
                raise LookupError("no payment_intent %s" % pi)
            obj = st.charge_view(pi)
        elif etype in REFUND_EVENTS:
            obj = st.refund_view(self.refund_of(st, qs.get("refund", "")))
        else:
            raise ValueError("type must be one of %s" % ", ".join(
                SESSION_EVENTS + ("charge.refunded",) + REFUND_EVENTS))
        return {"id": qs.get("id") or new_id("evt_"), "object": "event",
                "api_version": API_VERSION, "created": int(time.time()),
                "data": {"object": obj}, "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": etype}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--portfile")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--control-portfile")
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not args.secret_key.startswith(("sk_test_", "rk_test_")):
        ap.error("--secret-key must be a test-mode key (sk_test_...)")

    api = fakelib.Server((args.host, args.port), Handler)
    ctl = fakelib.Server((args.host, args.control_port), ControlHandler)
    port, cport = api.server_address[1], ctl.server_address[1]
    state = State(args.secret_key, "http://%s:%d" % (args.host, port))
    api.state = ctl.state = state
    api.verbose = ctl.verbose = args.verbose

    t = threading.Thread(target=ctl.serve_forever,
                         kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if args.control_portfile:
        fakelib.write_portfile(args.control_portfile, cport)
    if args.portfile:
        fakelib.write_portfile(args.portfile, port)
    log("API on %s:%d, control on %s:%d" % (args.host, port, args.host,
                                            cport))

    def stop_control():
        ctl.shutdown()
        ctl.server_close()

    fakelib.serve_until_term(api, stop_control)


if __name__ == "__main__":
    main()

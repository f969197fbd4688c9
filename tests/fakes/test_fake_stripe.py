#!/usr/bin/env python3
"""Self-check for tests/fakes/fake_stripe.py (Python standard library only).

    python3 tests/fakes/test_fake_stripe.py [--verbose]

Starts the fake on free ports and checks that it refuses what Stripe
refuses: a missing or wrong secret key (401), a POST without an
Idempotency-Key or with a JSON body, a missing or unknown parameter (named
in "param"), an expires_at outside 30 min..24 h, broken bracket notation
(gaps, duplicates); that it parses bracket notation into nested objects;
that an Idempotency-Key replays the first answer (Idempotent-Replayed),
refuses other parameters or another path (idempotency_error), is not
spent by a validation error or an injected 429, keeps an injected 500, and
answers 409 while its first request hangs; that "down" closes connections
unanswered; that the pay page pays and redirects; that refunds respect
what is left (amount_too_large, charge_already_refunded), can be pending
and failed, and list newest first; and that the control events have
Stripe's shape.  The last line is "test_fake_stripe.py: N checks, N
failed"; exits 0 when every check passes.
"""

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_stripe.py")
KEY = "sk_test_fake_stripe_check_0123456789"

checks = 0
failures = []
verbose = "--verbose" in sys.argv
serial = [0]


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL: %s" % what)
    elif verbose:
        print("ok: %s" % what)


def new_key():
    serial[0] += 1
    return "idem-%d-%d" % (os.getpid(), serial[0])


def session_form(**over):
    """Checkout Session parameters (list of pairs); over replaces a plain
    one or, with the value None, removes it."""
    f = [("mode", "payment"),
         ("line_items[0][quantity]", "1"),
         ("line_items[0][price_data][currency]", "eur"),
         ("line_items[0][price_data][unit_amount]", "4500"),
         ("line_items[0][price_data][product_data][name]", "Consultation"),
         ("success_url", "http://clinic.example/paid?s={CHECKOUT_SESSION_ID}"),
         ("cancel_url", "http://clinic.example/cancelled"),
         ("expires_at", str(int(time.time()) + 3600)),
         ("client_reference_id", "booking-42"),
         ("metadata[booking_id]", "42")]
    d = dict(f)
    for k, v in over.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return list(d.items())


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fake_stripe_test.")
        pf = os.path.join(self.dir, "api.port")
        cf = os.path.join(self.dir, "control.port")
        self.logfile = os.path.join(self.dir, "fake_stripe.log")
        self.logf = open(self.logfile, "w")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--portfile", pf,
             "--control-port", "0", "--control-portfile", cf,
             "--secret-key", KEY], stdout=self.logf, stderr=self.logf)
        self.port = self.cport = None
        for _ in range(200):
            if os.path.exists(pf) and os.path.exists(cf):
                self.port = int(open(pf).read())
                self.cport = int(open(cf).read())
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.close()
            sys.exit("the fake did not start; log:\n" +
                     open(self.logfile).read())

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()

    def raw(self, port, method, path, body=None, headers=None, timeout=20):
        """(status, headers dict lower-case, body bytes); raises on a
        connection closed without an answer."""
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return (r.status, {k.lower(): v for k, v in r.getheaders()},
                    r.read())
        finally:
            c.close()

    def api(self, method, path, form=None, key="new", auth=KEY,
            ctype="application/x-www-form-urlencoded", body=None):
        h = {}
        if auth is not None:
            h["Authorization"] = "Basic " + base64.b64encode(
                (auth + ":").encode()).decode()
        if method == "POST":
            if key == "new":
                key = new_key()
            if key is not None:
                h["Idempotency-Key"] = key
            if body is None:
                body = urllib.parse.urlencode(form or [])
            h["Content-Type"] = ctype
        st, hd, raw = self.raw(self.port, method, path, body, h)
        return st, hd, (json.loads(raw) if raw else None), raw

    def ctl(self, method, path, body=None, want=200):
        st, _, raw = self.raw(self.cport, method, path,
                              json.dumps(body) if body is not None else None)
        out = json.loads(raw)
        if want is not None and st != want:
            raise RuntimeError("control %s %s -> %d %s" % (method, path, st,
                                                           out))
        return out if want is not None else (st, out)

    def session(self, **over):
        st, _, s, _ = self.api("POST", "/v1/checkout/sessions",
                               session_form(**over))
        if st != 200:
            raise RuntimeError("session not created: %d %s" % (st, s))
        return s

    def paid(self, async_=False):
        s = self.session()
        return self.ctl("POST", "/sessions/%s/pay" % s["id"],
                        {"async": async_})


def err(b):
    return (b or {}).get("error", {})


def test_auth(env):
    st, _, b, _ = env.api("GET", "/v1/refunds", auth=None)
    check(st == 401 and err(b).get("type") == "invalid_request_error",
          "no Authorization: 401 invalid_request_error (%d %s)" % (st, b))
    st, _, _, _ = env.api("GET", "/v1/refunds", auth="sk_test_wrong")
    check(st == 401, "a wrong secret key: 401")
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions", session_form(),
                          auth="sk_test_wrong")
    check(st == 401, "a POST with a wrong key: 401")
    st, _, b, _ = env.api("GET", "/v1/refunds")
    check(st == 200 and b["object"] == "list", "Basic <key>: accepted")
    st, _, _ = env.raw(env.port, "GET", "/v1/refunds", None,
                       {"Authorization": "Bearer " + KEY})
    check(st == 200, "Bearer <key>: accepted")


def test_validation(env):
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions", session_form(),
                          key=None)
    check(st == 400, "a POST without Idempotency-Key: 400")
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions", session_form(),
                          key="k" * 256)
    check(st == 400, "an Idempotency-Key of 256 characters: 400")
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions", session_form(),
                          key="k" * 255)
    check(st == 200, "an Idempotency-Key of 255 characters: accepted")
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions",
                          body=json.dumps(dict(session_form())),
                          ctype="application/json")
    check(st == 400, "a JSON body: 400")
    for name in ("success_url", "cancel_url", "expires_at", "mode",
                 "line_items[0][quantity]",
                 "line_items[0][price_data][currency]",
                 "line_items[0][price_data][unit_amount]",
                 "line_items[0][price_data][product_data][name]"):
        form = [(k, v) for k, v in session_form() if k != name]
        st, _, b, _ = env.api("POST", "/v1/checkout/sessions", form)
        check(st == 400 and err(b).get("code") == "parameter_missing" and
              err(b).get("param") == name,
              "missing %s: 400 parameter_missing param=%s (%s)"
              % (name, name, err(b)))
    for k, v, param in (("foo", "1", "foo"),
                        ("line_items[0][bar]", "1", "line_items[0][bar]"),
                        ("payment_intent_data[x]", "1",
                         "payment_intent_data[x]")):
        st, _, b, _ = env.api("POST", "/v1/checkout/sessions",
                              session_form() + [(k, v)])
        check(st == 400 and err(b).get("code") == "parameter_unknown" and
              err(b).get("param") == param,
              "unknown %s: 400 parameter_unknown (%s)" % (k, err(b)))
    now = int(time.time())
    for v, ok in ((now + 600, False), (now + 1790, False),
                  (now + 1800, True), (now + 86400, True),
                  (now + 86400 + 60, False), ("soon", False)):
        st, _, b, _ = env.api("POST", "/v1/checkout/sessions",
                              session_form(expires_at=str(v)))
        if ok:
            check(st == 200, "expires_at now%+d: accepted (%s)"
                  % (v - now, err(b)))
        else:
            check(st == 400 and err(b).get("param") == "expires_at" and
                  err(b).get("code") == "parameter_invalid_integer",
                  "expires_at %s: 400 parameter_invalid_integer (%s)"
                  % (v if isinstance(v, str) else "now%+d" % (v - now),
                     err(b)))
    for over, what in (({"line_items[0][quantity]": "0"}, "quantity 0"),
                       ({"line_items[0][price_data][currency]": "EUR"},
                        "upper-case currency"),
                       ({"success_url": "/relative"}, "a relative URL"),
                       ({"client_reference_id": "x" * 201},
                        "client_reference_id of 201"),
                       ({"metadata[%s]" % ("k" * 41): "v"},
                        "a metadata key of 41"),
                       ({"mode": "subscription"}, "mode subscription")):
        form = dict(session_form())
        form.update(over)
        st, _, b, _ = env.api("POST", "/v1/checkout/sessions",
                              list(form.items()))
        check(st == 400, "%s: 400 (%s)" % (what, err(b)))


def test_brackets(env):
    form = session_form() + [
        ("line_items[1][quantity]", "2"),
        ("line_items[1][price_data][currency]", "eur"),
        ("line_items[1][price_data][unit_amount]", "1000"),
        ("line_items[1][price_data][product_data][name]", "Aftercare kit"),
        ("metadata[0]", "zero"),
        ("payment_intent_data[metadata][booking_id]", "42"),
        ("customer_email", "pat@example.org"), ("locale", "de")]
    st, _, s, _ = env.api("POST", "/v1/checkout/sessions", form)
    check(st == 200 and s["amount_total"] == 6500 and
          s["metadata"] == {"booking_id": "42", "0": "zero"},
          "two line items: amount_total 4500 + 2 x 1000 (%s)"
          % (s if st != 200 else s["amount_total"]))
    rec = env.ctl("GET", "/requests?path=/v1/checkout")["requests"][-1]
    f = rec["form"]
    check(isinstance(f.get("line_items"), list) and
          len(f["line_items"]) == 2 and
          f["line_items"][1]["price_data"]["product_data"]["name"] ==
          "Aftercare kit" and
          f["payment_intent_data"] == {"metadata": {"booking_id": "42"}} and
          f["metadata"]["0"] == "zero",
          "bracket notation parsed into nested lists and hashes (%s)" % f)
    check(rec["headers"].get("idempotency-key", "").startswith("idem-") and
          rec["status"] == 200, "the request log has headers and status")
    check(s["id"].startswith("cs_test_") and s["object"] ==
          "checkout.session" and s["status"] == "open" and
          s["payment_status"] == "unpaid" and s["payment_intent"] is None and
          s["livemode"] is False and s["mode"] == "payment" and
          s["url"] == "http://127.0.0.1:%d/checkout/%s" % (env.port,
                                                          s["id"]) and
          s["client_reference_id"] == "booking-42" and
          s["customer_email"] == "pat@example.org" and
          isinstance(s["created"], int) and isinstance(s["expires_at"], int),
          "the checkout.session has Stripe's fields")
    for extra, what in (([("line_items[2][quantity]", "1")],
                         "a gap in the indices"),
                        ([("mode", "payment")], "a parameter twice"),
                        ([("metadata", "x")], "a value and a hash"),
                        ([("line_items[01][quantity]", "1")],
                         "a leading zero")):
        st, _, b, _ = env.api("POST", "/v1/checkout/sessions",
                              session_form() + extra)
        check(st == 400, "%s: 400 (%s)" % (what, err(b)))
    st, _, s2, _ = env.api("GET", "/v1/checkout/sessions/" + s["id"])
    check(st == 200 and s2 == s, "GET the session: the same object")
    st, _, b, _ = env.api("GET", "/v1/checkout/sessions/cs_test_nope")
    check(st == 404 and err(b).get("code") == "resource_missing",
          "GET an unknown session: 404 resource_missing")


def test_idempotency(env):
    k = new_key()
    form = session_form()
    st1, h1, s1, raw1 = env.api("POST", "/v1/checkout/sessions", form, key=k)
    st2, h2, s2, raw2 = env.api("POST", "/v1/checkout/sessions", form, key=k)
    check(st1 == st2 == 200 and raw1 == raw2 and
          h2.get("idempotent-replayed") == "true" and
          "idempotent-replayed" not in h1,
          "the same key and parameters: the first answer replayed")
    form2 = [(a, "43" if a == "metadata[booking_id]" else v)
             for a, v in form]
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions", form2, key=k)
    check(st == 400 and err(b).get("type") == "idempotency_error",
          "the same key, other parameters: 400 idempotency_error (%s)"
          % err(b))
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions/%s/expire"
                          % s1["id"], [], key=k)
    check(st == 400 and err(b).get("type") == "idempotency_error",
          "the same key on another path: 400 idempotency_error")
    k2 = new_key()
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions",
                          [p for p in form if p[0] != "mode"], key=k2)
    st2, h2, _, _ = env.api("POST", "/v1/checkout/sessions", form, key=k2)
    check(st == 400 and st2 == 200 and "idempotent-replayed" not in h2,
          "a validation error is not saved: the key can be retried")

    env.ctl("POST", "/fail", {"mode": "fail", "count": 1})
    k3 = new_key()
    st, _, b, raw = env.api("POST", "/v1/checkout/sessions", form, key=k3)
    st2, h2, _, raw2 = env.api("POST", "/v1/checkout/sessions", form, key=k3)
    check(st == 500 and err(b).get("type") == "api_error" and st2 == 500 and
          raw2 == raw and h2.get("idempotent-replayed") == "true",
          "an injected 500 is saved and replayed under its key")
    st, _, _, _ = env.api("POST", "/v1/checkout/sessions", form)
    check(st == 200, "the 500 was taken once: a new key succeeds")

    env.ctl("POST", "/fail", {"mode": "rate_limit", "count": 1,
                              "seconds": 2})
    k4 = new_key()
    st, h, b, _ = env.api("POST", "/v1/checkout/sessions", form, key=k4)
    st2, h2, _, _ = env.api("POST", "/v1/checkout/sessions", form, key=k4)
    check(st == 429 and h.get("retry-after") == "2" and
          err(b).get("code") == "rate_limit" and st2 == 200 and
          "idempotent-replayed" not in h2,
          "an injected 429 has Retry-After and is not saved")

    env.ctl("POST", "/fail", {"mode": "fail", "count": 1,
                              "path": "/v1/refunds"})
    st, _, _, _ = env.api("POST", "/v1/checkout/sessions", form)
    check(st == 200, "a failure for /v1/refunds leaves sessions alone")
    env.ctl("POST", "/clear_failures")


def test_hang_and_down(env):
    form = session_form()
    env.ctl("POST", "/fail", {"mode": "hang", "count": 1, "seconds": 1.5})
    k = new_key()
    out = {}

    def first():
        t0 = time.time()
        out["first"] = env.api("POST", "/v1/checkout/sessions", form, key=k)
        out["took"] = time.time() - t0

    t = threading.Thread(target=first)
    t.start()
    time.sleep(0.5)
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions", form, key=k)
    t.join()
    check(st == 409 and err(b).get("type") == "idempotency_error",
          "the key of a request in flight: 409 idempotency_error (%d)" % st)
    check(out["first"][0] == 200 and out["took"] >= 1.4,
          "hang: the request waits, then succeeds (%.2f s)" % out["took"])

    env.ctl("POST", "/fail", {"mode": "down", "count": 1})
    try:
        env.api("GET", "/v1/refunds")
        closed = False
    except (http.client.HTTPException, ConnectionError, OSError):
        closed = True
    check(closed, "down: the connection closes without an answer")
    st, _, _, _ = env.api("GET", "/v1/refunds")
    check(st == 200, "down for one call: the next call is answered")
    env.ctl("POST", "/fail", {"mode": "down"})
    k = new_key()
    n = 0
    for _ in range(2):
        try:
            env.api("POST", "/v1/checkout/sessions", form, key=k)
        except (http.client.HTTPException, ConnectionError, OSError):
            n += 1
    env.ctl("POST", "/clear_failures")
    st, h, _, _ = env.api("POST", "/v1/checkout/sessions", form, key=k)
    check(n == 2 and st == 200 and "idempotent-replayed" not in h,
          "down until cleared; nothing saved under the key")
    recs = env.ctl("GET", "/requests")["requests"]
    check(sum(1 for r in recs if r["injected"] == "down") == 3,
          "the request log marks the calls closed by down")


def test_pay_page_and_expire(env):
    s = env.session()
    st, h, page = env.raw(env.port, "GET", "/checkout/" + s["id"])
    text = page.decode()
    check(st == 200 and h["content-type"].startswith("text/html") and
          "EUR 45.00" in text and "/checkout/%s/pay" % s["id"] in text and
          "http://clinic.example/cancelled" in text and "<script" not in text
          and "lang=\"en\"" in text, "the pay page shows amount, Pay, Cancel")
    st, h, _ = env.raw(env.port, "POST", "/checkout/%s/pay" % s["id"], b"",
                       {"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 303 and h.get("location") ==
          "http://clinic.example/paid?s=" + s["id"],
          "Pay: 303 to success_url with {CHECKOUT_SESSION_ID} replaced")
    s2 = env.ctl("GET", "/sessions/" + s["id"])
    check(s2["status"] == "complete" and s2["payment_status"] == "paid" and
          s2["payment_intent"].startswith("pi_") and s2["url"] is None,
          "after Pay: complete, paid, a payment_intent")
    st, _, _ = env.raw(env.port, "POST", "/checkout/%s/pay" % s["id"])
    check(st == 409, "Pay again: 409")
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions/%s/expire"
                          % s["id"], [])
    check(st == 400, "expire a complete session: 400 (%s)" % err(b))
    s3 = env.session()
    st, _, b, _ = env.api("POST", "/v1/checkout/sessions/%s/expire"
                          % s3["id"], [])
    check(st == 200 and b["status"] == "expired",
          "expire an open session: expired")
    st, _, _ = env.raw(env.port, "GET", "/checkout/" + s3["id"])
    check(st == 410, "the pay page of an expired session: 410")
    st, _ = env.ctl("POST", "/sessions/%s/pay" % s3["id"], {}, want=None)
    check(st == 400, "control pay of an expired session: 400")


def refund(env, **form):
    st, _, b, _ = env.api("POST", "/v1/refunds", list(form.items()))
    return st, b


def test_refunds(env):
    s = env.paid()
    pi = s["payment_intent"]
    st, r1 = refund(env, payment_intent=pi, amount="1000",
                    reason="requested_by_customer", **{"metadata[b]": "42"})
    check(st == 200 and r1["id"].startswith("re_") and
          r1["object"] == "refund" and r1["amount"] == 1000 and
          r1["status"] == "succeeded" and r1["payment_intent"] == pi and
          r1["charge"].startswith("ch_") and r1["currency"] == "eur" and
          r1["metadata"] == {"b": "42"} and
          r1["reason"] == "requested_by_customer",
          "a partial refund: a refund object (%s)" % r1)
    st, b = refund(env, payment_intent=pi, amount="4000")
    check(st == 400 and err(b).get("code") == "amount_too_large",
          "more than is left: 400 amount_too_large")
    st, b = refund(env, payment_intent=pi, amount="0")
    check(st == 400, "amount 0: 400")
    st, b = refund(env, payment_intent=pi, reason="changed_mind")
    check(st == 400 and err(b).get("param") == "reason", "a bad reason: 400")
    st, r2 = refund(env, charge=r1["charge"])
    check(st == 200 and r2["amount"] == 3500 and r2["payment_intent"] == pi,
          "by charge, no amount: what is left (3500)")
    st, b = refund(env, payment_intent=pi, amount="1")
    check(st == 400 and err(b).get("code") == "charge_already_refunded",
          "fully refunded: 400 charge_already_refunded")
    st, b = refund(env, payment_intent="pi_nope")
    check(st == 404 and err(b).get("code") == "resource_missing",
          "an unknown payment_intent: 404")
    st, b = refund(env)
    check(st == 400 and err(b).get("code") == "parameter_missing",
          "no payment_intent: 400 parameter_missing")
    st, _, lst, _ = env.api("GET", "/v1/refunds?payment_intent=%s&limit=5"
                            % pi)
    check(st == 200 and lst["object"] == "list" and
          [r["id"] for r in lst["data"]] == [r2["id"], r1["id"]] and
          lst["has_more"] is False and lst["url"] == "/v1/refunds",
          "list refunds: newest first")
    st, _, lst, _ = env.api("GET", "/v1/refunds?payment_intent=%s&limit=1"
                            % pi)
    check(len(lst["data"]) == 1 and lst["has_more"] is True,
          "list with limit 1: has_more")
    ev = env.ctl("GET", "/event?type=charge.refunded&payment_intent=" + pi)
    ch = ev["data"]["object"]
    check(ch["object"] == "charge" and ch["id"] == r1["charge"] and
          ch["amount"] == 4500 and ch["amount_refunded"] == 4500 and
          ch["refunded"] is True and ch["payment_intent"] == pi,
          "charge.refunded: the charge, fully refunded")

    a = env.paid(async_=True)
    check(a["status"] == "complete" and a["payment_status"] == "unpaid",
          "an async payment: complete but unpaid")
    st, b = refund(env, payment_intent=a["payment_intent"])
    check(st == 400, "refund of an unpaid async payment: 400")
    ev = env.ctl("GET", "/event?type=checkout.session.async_payment_failed"
                 "&session=" + a["id"])
    check(ev["data"]["object"]["payment_status"] == "unpaid",
          "async_payment_failed event: unpaid session")
    a = env.ctl("POST", "/sessions/%s/async" % a["id"], {"succeeded": True})
    check(a["payment_status"] == "paid", "async succeeded: paid")

    env.ctl("POST", "/refunds_pending", {"on": True})
    st, r3 = refund(env, payment_intent=a["payment_intent"], amount="500")
    check(st == 200 and r3["status"] == "pending", "refunds_pending: pending")
    env.ctl("POST", "/refunds/%s/status" % r3["id"], {"status": "failed"})
    ev = env.ctl("GET", "/event?type=refund.updated&refund=" + r3["id"])
    check(ev["data"]["object"]["status"] == "failed" and
          ev["data"]["object"]["object"] == "refund",
          "refund.updated event: the failed refund")
    ev = env.ctl("GET", "/event?type=charge.refunded&payment_intent=" +
                 a["payment_intent"])
    check(ev["data"]["object"]["amount_refunded"] == 0 and
          ev["data"]["object"]["refunded"] is False,
          "a failed refund gives its amount back")


def test_events(env):
    s = env.paid()
    ev = env.ctl("GET", "/event?type=checkout.session.completed&session=" +
                 s["id"])
    check(ev["id"].startswith("evt_") and ev["object"] == "event" and
          ev["api_version"] == "2024-06-20" and ev["livemode"] is False and
          ev["type"] == "checkout.session.completed" and
          ev["pending_webhooks"] == 1 and
          ev["request"] == {"id": None, "idempotency_key": None} and
          isinstance(ev["created"], int) and
          ev["data"]["object"]["object"] == "checkout.session" and
          ev["data"]["object"]["id"] == s["id"] and
          ev["data"]["object"]["payment_status"] == "paid" and
          ev["data"]["object"]["metadata"] == {"booking_id": "42"},
          "checkout.session.completed: Stripe's event shape")
    ev2 = env.ctl("GET", "/event?type=checkout.session.completed&session=" +
                  s["id"])
    ev3 = env.ctl("GET", "/event?type=checkout.session.completed&session=%s"
                  "&id=evt_fixed" % s["id"])
    check(ev2["id"] != ev["id"] and ev3["id"] == "evt_fixed",
          "a new event id per call unless id= is given")
    x = env.session()
    env.ctl("POST", "/sessions/%s/expire" % x["id"])
    ev = env.ctl("GET", "/event?type=checkout.session.expired&session=" +
                 x["id"])
    check(ev["data"]["object"]["status"] == "expired",
          "checkout.session.expired: the expired session")
    st, _ = env.ctl("GET", "/event?type=invoice.paid&session=" + s["id"],
                    want=None)
    check(st == 400, "an event type the fake does not make: 400")
    st, _ = env.ctl("GET", "/event?type=checkout.session.completed"
                    "&session=cs_test_nope", want=None)
    check(st == 404, "an event for an unknown session: 404")
    env.ctl("POST", "/reset")
    st, _, _, _ = env.api("GET", "/v1/checkout/sessions/" + s["id"])
    check(st == 404 and env.ctl("GET", "/requests")["requests"][-1][
        "status"] == 404, "reset forgets sessions; the log starts again")


def main():
    env = Env()
    try:
        for t in (test_auth, test_validation, test_brackets,
                  test_idempotency, test_hang_and_down,
                  test_pay_page_and_expire, test_refunds, test_events):
            env.ctl("POST", "/reset")
            try:
                t(env)
            except Exception as ex:      # report and go on
                check(False, "%s raised %r" % (t.__name__, ex))
    finally:
        env.close()
        if failures:
            print("--- fake log ---")
            print(open(env.logfile).read()[-4000:])
        shutil.rmtree(env.dir, ignore_errors=True)
    print("%s: %d checks, %d failed" % (os.path.basename(__file__), checks,
                                        len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

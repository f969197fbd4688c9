#!/usr/bin/env python3
"""A fake webhook receiver that checks Concierge's signed deliveries.

    fake_webhook.py --port N --secret S [--portfile F] [--verbose]

Accepts POST on any path (other than the control paths) on 127.0.0.1 and
checks each delivery exactly as mod_concierge/core/cc_notify.h documents:

    X-Concierge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
                           "<t>.<raw body>")>      (any number of v1 entries,
                           one must match; |now - t| <= 300 s;
                           hmac.compare_digest)
    X-Concierge-Event, X-Concierge-Delivery   present and non-empty
    Content-Type                               application/json
    body                                       JSON

Every delivery is recorded as {path, headers, body, valid, reason, status,
mode, time}: headers holds the signature, event, delivery, content-type and
user-agent headers; body is the parsed JSON (null if it is not JSON);
reason is null when valid, else what failed; status is the HTTP status the
fake answered.

Answers by mode:
    ok     200 {"ok": true} for a valid delivery, 400 {"error": reason}
           for an invalid one
    down   503 (the delivery is still recorded)
    500    500
    slow   sleeps 10 s, then answers as ok

Control endpoints (not recorded):
    POST /__mode   {"mode": "ok" | "down" | "500" | "slow"}
    GET  /__stats  {"deliveries": [...], "count": n, "invalid": n,
                    "accepted": n (answered 200), "mode": "..."}
    POST /__reset  deliveries cleared, mode ok

With --port 0 a free port is chosen; --portfile receives it (written
atomically once the socket listens).  Only the Python standard library.
"""

import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import fakelib

MODES = ("ok", "down", "500", "slow")
CONTROL_PATHS = ("/__mode", "/__stats", "/__reset")
TOLERANCE_S = 300
SLOW_SECONDS = 10
MAX_BODY = 1024 * 1024
RECORDED_HEADERS = ("Content-Type", "X-Concierge-Signature",
                    "X-Concierge-Event", "X-Concierge-Delivery",
                    "User-Agent")


def verify_signature(header, secret, raw_body, now, tolerance=TOLERANCE_S):
    """None when the header is valid for raw_body, else the reason.

    Grammar (as cc_notify_verify): comma-separated key=value items,
    optional blanks around an item; exactly one t= of decimal digits; any
    number of v1= entries, one of which must equal the lowercase hex
    HMAC-SHA256 over b"<t>." + raw_body; unknown keys are ignored."""
    if header is None:
        return "missing X-Concierge-Signature"
    t_values = []
    v1_values = []
    for item in header.split(","):
        item = item.strip(" \t")
        key, sep, value = item.partition("=")
        if not sep or not key:
            return "malformed signature item %r" % item[:40]
        value = value.strip(" \t")
        if key == "t":
            t_values.append(value)
        elif key == "v1":
            v1_values.append(value)
    if len(t_values) != 1:
        return "signature needs exactly one t="
    t_str = t_values[0]
    if not t_str or len(t_str) > 18 or not all("0" <= c <= "9"
                                               for c in t_str):
        return "t=%r is not a unix time" % t_str[:40]
    t = int(t_str)
    if abs(now - t) > tolerance:
        return "timestamp %d is %d s from now (tolerance %d)" % (
            t, now - t, tolerance)
    if not v1_values:
        return "signature has no v1="
    expected = hmac.new(secret, t_str.encode("ascii") + b"." + raw_body,
                        hashlib.sha256).hexdigest()
    ok = False
    for v in v1_values:
        # compare_digest on str requires ASCII; anything else cannot match
        if v.isascii() and hmac.compare_digest(v, expected):
            ok = True
    if not ok:
        return "no v1 signature matches"
    return None


class State:
    """Shared by all handler threads; every access holds the lock."""

    def __init__(self, secret):
        self.secret = secret
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.mode = "ok"
        self.deliveries = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-webhook/1.0"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_webhook: %s - %s\n"
                             % (self.address_string(), fmt % args))

    def read_body(self):
        """The request body as bytes, or None when it cannot be read."""
        return fakelib.read_body(self, MAX_BODY)

    def send(self, status, payload):
        fakelib.reply_json(self, status, payload)

    # --- control endpoints ------------------------------------------------

    def control(self, method, body):
        st = self.server.state
        if self.path == "/__stats" and method == "GET":
            with st.lock:
                dl = list(st.deliveries)
                out = {"deliveries": dl,
                       "count": len(dl),
                       "invalid": sum(1 for d in dl if not d["valid"]),
                       "accepted": sum(1 for d in dl if d["status"] == 200),
                       "mode": st.mode}
            self.send(200, out)
        elif self.path == "/__reset" and method == "POST":
            with st.lock:
                st.reset()
            self.send(200, {"ok": True})
        elif self.path == "/__mode" and method == "POST":
            try:
                mode = json.loads(body or b"")["mode"]
            except (ValueError, TypeError, KeyError):
                mode = None
            if mode not in MODES:
                self.send(400, {"error": "mode must be one of: "
                                + ", ".join(MODES)})
                return
            with st.lock:
                st.mode = mode
            self.send(200, {"mode": mode})
        else:
            self.send(404, {"error": "unknown control endpoint"})

    # --- deliveries -------------------------------------------------------

    def check(self, body):
        """(reason or None, parsed JSON body or None)."""
        st = self.server.state
        if body is None:
            return "unreadable or oversized body", None
        parsed = None
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            parsed = None
            json_ok = False
        else:
            json_ok = True
        reason = verify_signature(self.headers.get("X-Concierge-Signature"),
                                  st.secret, body, int(time.time()))
        if reason:
            return reason, parsed
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            return "Content-Type %r is not application/json" % ctype, parsed
        for h in ("X-Concierge-Event", "X-Concierge-Delivery"):
            if not (self.headers.get(h) or "").strip():
                return "missing %s" % h, parsed
        if not json_ok:
            return "body is not valid JSON", None
        return None, parsed

    def delivery(self, body):
        st = self.server.state
        reason, parsed = self.check(body)
        with st.lock:
            mode = st.mode
        if mode == "slow":
            time.sleep(SLOW_SECONDS)
        if mode == "down":
            status = 503
        elif mode == "500":
            status = 500
        else:
            status = 400 if reason else 200
        record = {
            "path": self.path,
            "headers": {h.lower(): self.headers.get(h)
                        for h in RECORDED_HEADERS
                        if self.headers.get(h) is not None},
            "body": parsed,
            "valid": reason is None,
            "reason": reason,
            "status": status,
            "mode": mode,
            "time": time.time(),
        }
        with st.lock:
            st.deliveries.append(record)
        if status == 200:
            self.send(200, {"ok": True})
        elif status == 400:
            self.send(400, {"error": reason})
        elif status == 503:
            self.send(503, {"error": "service unavailable"})
        else:
            self.send(500, {"error": "internal server error"})

    # --- dispatch ---------------------------------------------------------

    def dispatch(self, method):
        body = self.read_body()
        if body is None:
            self.close_connection = True
        if self.path in CONTROL_PATHS:
            self.control(method, body)
        elif method == "POST":
            self.delivery(body)
        else:
            self.send(405, {"error": "only POST is accepted"})

    def do_POST(self):
        self.dispatch("POST")

    def do_GET(self):
        self.dispatch("GET")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")




def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--portfile")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    srv = fakelib.Server((args.host, args.port), Handler)
    srv.state = State(args.secret.encode("utf-8"))
    srv.verbose = args.verbose
    port = srv.server_address[1]
    if args.portfile:
        fakelib.write_portfile(args.portfile, port)
    if args.verbose:
        sys.stderr.write("fake_webhook: listening on %s:%d\n"
                         % (args.host, port))

    fakelib.serve_until_term(srv)


if __name__ == "__main__":
    main()

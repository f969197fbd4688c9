#!/usr/bin/env python3
"""A fake Google: the OAuth 2.0 token endpoint (service-account JWT bearer
grant) and the Calendar API v3 calls Concierge makes.

    fake_google.py --port N [--portfile F]
                   [--control-port M] [--control-portfile F2]
                   (--pubkey PEM --client-email EMAIL | --service-account JSON)
                   [--token-url URL] [--scope SCOPE] [--token-lifetime S]
                   [--host H] [--verbose]

Two HTTP servers on 127.0.0.1 (or --host): the API on --port and the
control endpoints on --control-port (default 0 = a free port).  With
--port 0 a free port is chosen; --portfile / --control-portfile receive
the ports, written atomically once both sockets listen (the control one
first), as tests/fakes/fake_smtp.py does.

--pubkey is the service account's public key (a private key PEM works
too: the public half is derived with `openssl pkey -pubout`); the modulus
and exponent are read once at startup from `openssl pkey -pubin -noout
-text`.  --service-account takes a Google JSON key file instead and uses
its client_email and private_key.  --token-url is the exact "aud" the
JWT must carry; it may contain "{port}" (replaced by the API port) and
defaults to "http://<host>:<port>/token".  Only the Python standard
library and the openssl command are used.

Token endpoint, checked as Google documents it (FIELD_NOTES D2):
    POST /token
    Content-Type: application/x-www-form-urlencoded
    grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
    (exactly these two fields, each once)
  JWT: three base64url parts without padding; header {"alg":"RS256",
  "typ":"JWT"} (an optional string "kid" is allowed); RSASSA-PKCS1-v1_5
  SHA-256 signature (pow(sig, e, n) compared with the full EMSA encoding
  00 01 FF..FF 00 DigestInfo(SHA-256) hash); claims: iss = the client
  e-mail, aud = the token URL, scope a space-separated list containing
  --scope (default https://www.googleapis.com/auth/calendar), iat an
  integer not in the future (Google refuses an iat ahead of its own clock:
  signers date it a little in the past for skew) and at most 300 s in the
  past, exp an integer with iat < exp <= iat +
  3600, no "sub" (no domain-wide delegation here); JSON without
  duplicate keys.
  Answers 200 {"access_token":"ya29.fake-...","expires_in":L,
  "token_type":"Bearer"} (L = token lifetime, default 3600), or Google's
  OAuth error shape {"error":"invalid_grant","error_description":"..."}
  with 400 (invalid_request, unsupported_grant_type, invalid_grant,
  invalid_scope, unauthorized_client).

Calendar API (base /calendar/v3), every call needs "Authorization: Bearer
<token issued here and not expired>" (else 401 authError):
    POST   /calendar/v3/freeBusy
        {"timeMin","timeMax" RFC 3339, optional "timeZone",
         "items":[{"id":..}] 1..50}; timeMax > timeMin (else 400
         timeRangeEmpty), range <= 90 days (else 400 timeRangeTooLong).
        200 {"kind":"calendar#freeBusy","timeMin","timeMax","calendars":
        {id: {"busy":[{"start","end"}]}}}: busy = the intervals set by
        control plus the calendar's confirmed events (unless events_busy
        is off), clipped to the range, merged, UTC "Z".  A calendar given
        an error by control gets {"errors":[{"domain":"global","reason":R}],
        "busy":[]} inside the 200.
    POST   /calendar/v3/calendars/{calendarId}/events          insert
    GET    /calendar/v3/calendars/{calendarId}/events/{eventId} get
    PUT    /calendar/v3/calendars/{calendarId}/events/{eventId} update
    PATCH  /calendar/v3/calendars/{calendarId}/events/{eventId} patch
    DELETE /calendar/v3/calendars/{calendarId}/events/{eventId} delete
        calendarId is URL-decoded.  Event bodies: JSON object; "id"
        optional, base32hex 0-9a-v, 5..1024 characters (400 invalid);
        "start"/"end" objects with "dateTime" (RFC 3339) and "timeZone"
        (non-empty) (400 required/invalid), end > start (400
        timeRangeEmpty); "summary"/"description" strings; non-empty
        "attendees" -> 403 forbiddenForServiceAccounts (what Google says to
        a service account without domain-wide delegation).  Query
        "sendUpdates" must be all|externalOnly|none when present.
        Insert with an id that exists (even deleted) -> 409 duplicate.
        Update/patch/get of an unknown id -> 404 notFound; update/patch
        of a deleted event -> 410 deleted; the body's id, if any, must be
        the path's.  Delete -> 204 with an empty body; again -> 410
        deleted; unknown -> 404 notFound.  A calendar marked "notFound"
        by control, or not among --shared (the calendars shared with the
        service account, when given), answers 404 notFound to every event
        call and is never created; freeBusy lists it with that error.
  Every rejection uses Google's error shape
    {"error":{"code":C,"message":M,"errors":[{"domain":"global",
     "reason":R,"message":M}],"status":S}}
  (domain "usageLimits" for rate-limit reasons) and is written to stderr
  (the log file the harness gives) as "fake_google: REJECT <method>
  <path> -> <status> <reason>: <why>".

Control endpoints (on the control port; JSON bodies; 400 {"error":..}
on a bad request; it_fake_ctl asserts 200):
    GET  /__state  (alias /__stats)
        {"events": {calendarId: [{"id","summary","description","status"
                    ("confirmed"|"cancelled"),"start","end" (dateTime
                    strings as sent),"timeZone","start_ts","end_ts" (UTC
                    seconds),"sequence","created","updated"}]},
         "busy": {calendarId: [{"start","end"}]},
         "calendar_errors": {calendarId: reason},
         "requests": [{"seq","time","method","path","status","reason"
                       (null when accepted),"injected","calendar",
                       "event"}]   (the last 10000; control calls are
                       not logged),
         "counters": {"token_requests","tokens_issued","token_refused",
                      "api_requests","unauthorized","rejected",
                      "injected","hung"},
         "config": {"token_url","client_email","scope","token_lifetime",
                    "events_busy"},
         "failures": [pending rules], "hangs": [pending rules],
         "tokens_active": n}
    POST /__reset           events, busy, errors, log, counters, tokens,
                            rules cleared; config back to the command line
    POST /__busy            {"calendar": id, "busy": [{"start","end"}]}
                            replaces that calendar's busy list ([] clears)
    POST /__calendar_error  {"calendar": id, "reason": "notFound" |
                            "internalError" | ... | null (clears)}
    POST /__fail            {"status": 429|500|503|403|401|...,
                             "count": 1, "reason": R (default by status:
                             429 rateLimitExceeded, 5xx backendError, 403
                             forbidden, 401 authError, ...), "message": M,
                             "body": any JSON (sent verbatim instead of
                             the generated error), "method": "POST",
                             "path_prefix": "/calendar/v3/calendars/",
                             "retry_after": seconds, "apply": false}
                            the next `count` API requests matching method
                            and path prefix (both optional) get that
                            status.  apply=true runs the request first and
                            then answers the failure (the "request
                            reached Google, the reply was lost" case).
                            /token failures use the OAuth error shape.
    POST /__hang            {"seconds": S (<= 300), "count": 1, "method",
                             "path_prefix"}: the next matching API
                            requests sleep S seconds, then proceed
    POST /__config          any of {"token_lifetime": 1..86400,
                             "token_url", "client_email", "scope",
                             "events_busy": bool}
    POST /__expire_tokens   every issued token expires now (-> 401)
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import fakelib

MAX_BODY = 1024 * 1024
MAX_LOG = 10000
MAX_BUSY = 20000
MAX_HANG = 300
IAT_SKEW = 300
JWT_MAX_LIFETIME = 3600
FREEBUSY_MAX_RANGE = 90 * 86400
FREEBUSY_MAX_ITEMS = 50
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_SCOPE = "https://www.googleapis.com/auth/calendar"
API = "/calendar/v3"
RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded",
                "quotaExceeded")
# DigestInfo prefix for SHA-256 (RFC 8017 section 9.2, note 1).
SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")
EVENT_ID_RE = re.compile(r"^[0-9a-v]{5,1024}$")
RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?"
    r"([Zz]|[+-]\d{2}:\d{2})$")
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                409: "ALREADY_EXISTS", 410: "NOT_FOUND",
                412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
                504: "DEADLINE_EXCEEDED"}
DEFAULT_REASONS = {400: "badRequest", 401: "authError", 403: "forbidden",
                   404: "notFound", 409: "duplicate", 410: "deleted",
                   412: "conditionNotMet", 429: "rateLimitExceeded"}
DEFAULT_MESSAGES = {
    "authError": "Invalid Credentials",
    "forbidden": "Forbidden",
    "notFound": "Not Found",
    "duplicate": "The requested identifier already exists.",
    "deleted": "Resource has been deleted",
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "backendError": "Backend Error",
    "badRequest": "Bad Request",
    "conditionNotMet": "Precondition Failed",
}


def log(msg):
    sys.stderr.write("fake_google: %s\n" % msg)
    sys.stderr.flush()


# --- crypto and encodings ---------------------------------------------------

def load_rsa_public(pem_bytes):
    """(n, e) of an RSA key given as PEM (public or private), read from
    `openssl pkey -pubin -noout -text`."""
    if b"PRIVATE KEY" in pem_bytes:
        pem_bytes = subprocess.run(
            ["openssl", "pkey", "-pubout"], input=pem_bytes,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            check=True).stdout
    text = subprocess.run(
        ["openssl", "pkey", "-pubin", "-noout", "-text"], input=pem_bytes,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        check=True).stdout.decode("ascii", "replace")
    m = re.search(r"Modulus:\s*\n((?:[ \t]+[0-9a-fA-F:]+\s*\n)+)", text)
    ex = re.search(r"Exponent:\s*(\d+)", text)
    if not m or not ex:
        raise ValueError("not an RSA public key:\n" + text[:300])
    n = int(re.sub(r"[^0-9a-fA-F]", "", m.group(1)), 16)
    return n, int(ex.group(1))


def b64url_decode(s):
    """Strict base64url without padding -> bytes, or None."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s) or len(s) % 4 == 1:
        return None
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    # canonical: re-encoding gives the same text (no stray low bits)
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != s:
        return None
    return raw


def rs256_verify(n, e, signing_input, sig):
    """RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017 8.2.2):
    the signature must be exactly k bytes, s < n, and pow(s, e, n) must
    equal the full EMSA-PKCS1-v1_5 encoding byte for byte."""
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= n:
        return False
    em = pow(s, e, n).to_bytes(k, "big")
    t = SHA256_DIGESTINFO + hashlib.sha256(signing_input).digest()
    if k < len(t) + 11:
        return False
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, expected)


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %r" % k)
        d[k] = v
    return d


def json_strict(raw):
    """Parse JSON bytes (UTF-8, no duplicate keys); raises ValueError."""
    return json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)


def parse_rfc3339(s):
    """UTC seconds of a strict RFC 3339 date-time, or None."""
    if not isinstance(s, str):
        return None
    m = RFC3339_RE.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if h > 23 or mi > 59 or sec > 59:
        return None
    try:
        base = datetime(y, mo, d, h, mi, sec, tzinfo=timezone.utc)
    except ValueError:
        return None
    off = m.group(8)
    if off not in ("Z", "z"):
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            return None
        delta = timedelta(hours=oh, minutes=om)
        base = base - delta if off[0] == "+" else base + delta
    return int(base.timestamp())


def utc_str(t, millis=False):
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def google_error(status, reason, message):
    domain = "usageLimits" if reason in RATE_REASONS else "global"
    return {"error": {"code": status, "message": message,
                      "errors": [{"domain": domain, "reason": reason,
                                  "message": message}],
                      "status": STATUS_NAMES.get(status, "UNKNOWN")}}


class Reject(Exception):
    """A request refused: status, reason, message (and the OAuth flag)."""

    def __init__(self, status, reason, message, oauth=False):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.oauth = oauth


# --- state -------------------------------------------------------------------

class State:
    """Shared by all handler threads; every access holds the lock."""

    def __init__(self, n, e, client_email, token_url, scope, lifetime,
                 shared=None):
        self.n, self.e = n, e
        # The calendars shared with the service account (None: every one).
        self.shared = set(shared) if shared else None
        self.initial = {"client_email": client_email, "token_url": token_url,
                        "scope": scope, "token_lifetime": lifetime,
                        "events_busy": True}
        self.lock = threading.Lock()
        self.reset()

    def calendar_error(self, cid):
        """The reason a calendar is in error (lock held), or None.  One
        not shared with the service account is "notFound", as Google
        answers: it is never created by writing to it."""
        if cid in self.cal_errors:
            return self.cal_errors[cid]
        if self.shared is not None and cid not in self.shared:
            return "notFound"
        return None

    def reset(self):
        self.config = dict(self.initial)
        self.events = {}            # calendar -> {id: event}
        self.busy = {}              # calendar -> [(start, end)]
        self.cal_errors = {}        # calendar -> reason
        self.tokens = {}            # token -> expiry (time.time())
        self.failures = []
        self.hangs = []
        self.log = []
        self.seq = 0
        self.counters = {k: 0 for k in (
            "token_requests", "tokens_issued", "token_refused",
            "api_requests", "unauthorized", "rejected", "injected", "hung")}

    def record(self, entry):
        self.seq += 1
        entry["seq"] = self.seq
        self.log.append(entry)
        if len(self.log) > MAX_LOG:
            del self.log[:len(self.log) - MAX_LOG]

    @staticmethod
    def take_rule(rules, method, path):
        for r in rules:
            if r["method"] and r["method"] != method:
                continue
            if r["path_prefix"] and not path.startswith(r["path_prefix"]):
                continue
            r["count"] -= 1
            if r["count"] <= 0:
                rules.remove(r)
            return dict(r)
        return None


def event_view(cal_events):
    out = []
    for ev in cal_events.values():
        out.append({"id": ev["id"], "summary": ev.get("summary"),
                    "description": ev.get("description"),
                    "status": ev["status"],
                    "start": ev["start"]["dateTime"],
                    "end": ev["end"]["dateTime"],
                    "timeZone": ev["start"].get("timeZone"),
                    "start_ts": ev["start_ts"], "end_ts": ev["end_ts"],
                    "sequence": ev["sequence"], "created": ev["created"],
                    "updated": ev["updated"]})
    return out


# --- the API server ----------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-google/1.0"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            log("%s - %s" % (self.address_string(), fmt % args))

    def send(self, status, payload, extra_headers=None):
        try:
            self.send_response(status)
            if status != 204:
                body = json.dumps(payload).encode()
                self.send_header("Content-Type",
                                 "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
            for k, v in (extra_headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if status != 204:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # --- dispatch ---------------------------------------------------------

    def dispatch(self, method):
        st = self.server.state
        body = fakelib.read_body(self, MAX_BODY)
        if body is None:
            self.close_connection = True
        path = urllib.parse.urlsplit(self.path).path
        ctx = {"calendar": None, "event": None}

        with st.lock:
            hang = st.take_rule(st.hangs, method, path)
            if hang:
                st.counters["hung"] += 1
        if hang:
            log("hanging %s %s for %s s" % (method, self.path,
                                            hang["seconds"]))
            time.sleep(hang["seconds"])
        with st.lock:
            fail = st.take_rule(st.failures, method, path)
            if fail:
                st.counters["injected"] += 1

        if fail and not fail["apply"]:
            self.answer_failure(method, path, fail, ctx)
            return
        try:
            if body is None:
                raise Reject(413 if path != "/token" else 400,
                             "uploadTooLarge" if path != "/token"
                             else "invalid_request",
                             "request body unreadable or over %d bytes"
                             % MAX_BODY, oauth=path == "/token")
            status, payload = self.route(method, path, body, ctx)
        except Reject as r:
            if fail:
                self.answer_failure(method, path, fail, ctx)
                return
            self.reject(method, r, ctx)
            return
        if fail:
            self.answer_failure(method, path, fail, ctx)
            return
        with st.lock:
            st.record({"time": time.time(), "method": method,
                       "path": self.path, "status": status, "reason": None,
                       "injected": False, "calendar": ctx["calendar"],
                       "event": ctx["event"]})
        self.send(status, payload)

    def reject(self, method, r, ctx):
        st = self.server.state
        log("REJECT %s %s -> %d %s: %s" % (method, self.path, r.status,
                                          r.reason, r.message))
        with st.lock:
            st.counters["rejected"] += 1
            if r.status == 401 and not r.oauth:
                st.counters["unauthorized"] += 1
            st.record({"time": time.time(), "method": method,
                       "path": self.path, "status": r.status,
                       "reason": "%s: %s" % (r.reason, r.message),
                       "injected": False, "calendar": ctx["calendar"],
                       "event": ctx["event"]})
        if r.oauth:
            self.send(r.status, {"error": r.reason,
                                 "error_description": r.message})
        else:
            self.send(r.status, google_error(r.status, r.reason, r.message))

    def answer_failure(self, method, path, fail, ctx):
        st = self.server.state
        status = fail["status"]
        reason = fail["reason"] or DEFAULT_REASONS.get(
            status, "backendError" if status >= 500 else "badRequest")
        message = fail["message"] or DEFAULT_MESSAGES.get(reason, reason)
        if fail["body"] is not None:
            payload = fail["body"]
        elif path == "/token":
            payload = {"error": reason, "error_description": message}
        else:
            payload = google_error(status, reason, message)
        headers = {}
        if fail["retry_after"] is not None:
            headers["Retry-After"] = str(fail["retry_after"])
        log("INJECT %s %s -> %d %s%s" % (
            method, self.path, status, reason,
            " (after applying it)" if fail["apply"] else ""))
        with st.lock:
            st.record({"time": time.time(), "method": method,
                       "path": self.path, "status": status,
                       "reason": "injected: %s" % reason, "injected": True,
                       "calendar": ctx["calendar"], "event": ctx["event"]})
        self.send(status, payload, headers)

    def route(self, method, path, body, ctx):
        st = self.server.state
        if path == "/token":
            with st.lock:
                st.counters["token_requests"] += 1
            try:
                return self.token(method, body)
            except Reject:
                with st.lock:
                    st.counters["token_refused"] += 1
                raise
        if path == API + "/freeBusy" or path.startswith(API + "/calendars/"):
            with st.lock:
                st.counters["api_requests"] += 1
            self.authorize()
            if path == API + "/freeBusy":
                if method != "POST":
                    raise Reject(405, "httpMethodNotAllowed",
                                 "freeBusy takes POST")
                return self.freebusy(body)
            return self.events(method, path, body, ctx)
        raise Reject(404, "notFound", "no such endpoint %s" % path)

    # --- OAuth token endpoint ------------------------------------------------

    def token(self, method, body):
        st = self.server.state

        def refuse(code, why):
            raise Reject(400, code, why, oauth=True)

        if method != "POST":
            refuse("invalid_request", "the token endpoint takes POST")
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != \
                "application/x-www-form-urlencoded":
            refuse("invalid_request", "Content-Type %r is not "
                   "application/x-www-form-urlencoded" % ctype[:80])
        try:
            form = urllib.parse.parse_qs(body.decode("ascii"),
                                         keep_blank_values=True,
                                         strict_parsing=True,
                                         max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            refuse("invalid_request", "the body is not a form")
        extra = sorted(set(form) - {"grant_type", "assertion"})
        if extra:
            refuse("invalid_request", "unexpected form fields %r" % extra)
        if len(form.get("grant_type", [])) != 1:
            refuse("invalid_request", "grant_type missing or repeated")
        if form["grant_type"][0] != GRANT_TYPE:
            refuse("unsupported_grant_type",
                   "Invalid grant_type: %s" % form["grant_type"][0][:80])
        if len(form.get("assertion", [])) != 1:
            refuse("invalid_request", "assertion missing or repeated")
        with st.lock:
            cfg = dict(st.config)
            n, e = st.n, st.e
        claims = self.check_jwt(form["assertion"][0], cfg, n, e)
        tok = "ya29.fake-" + secrets.token_urlsafe(32)
        lifetime = cfg["token_lifetime"]
        with st.lock:
            st.tokens[tok] = time.time() + lifetime
            st.counters["tokens_issued"] += 1
        log("token issued to %s, %d s" % (claims["iss"], lifetime))
        return 200, {"access_token": tok, "expires_in": lifetime,
                     "token_type": "Bearer"}

    @staticmethod
    def check_jwt(jwt, cfg, n, e):
        def bad(why, code="invalid_grant"):
            raise Reject(400, code, why, oauth=True)

        parts = jwt.split(".")
        if len(parts) != 3:
            bad("Invalid JWT: %d parts, need 3" % len(parts))
        raw = [b64url_decode(p) for p in parts]
        if any(r is None for r in raw):
            bad("Invalid JWT: a part is not unpadded base64url")
        try:
            header = json_strict(raw[0])
            claims = json_strict(raw[1])
        except (UnicodeDecodeError, ValueError) as ex:
            bad("Invalid JWT: header/claims not JSON (%s)" % str(ex)[:80])
        if not isinstance(header, dict) or not isinstance(claims, dict):
            bad("Invalid JWT: header/claims not objects")
        if header.get("alg") != "RS256" or header.get("typ") != "JWT":
            bad("Invalid JWT header %r: need alg RS256, typ JWT"
                % json.dumps(header)[:120])
        if set(header) - {"alg", "typ", "kid"} or (
                "kid" in header and not isinstance(header["kid"], str)):
            bad("Invalid JWT header members %r" % sorted(header))
        signing_input = (parts[0] + "." + parts[1]).encode("ascii")
        if not rs256_verify(n, e, signing_input, raw[2]):
            bad("Invalid JWT Signature.")
        if claims.get("iss") != cfg["client_email"]:
            bad("Invalid JWT: iss %r is not the service account %r"
                % (str(claims.get("iss"))[:80], cfg["client_email"]))
        if claims.get("aud") != cfg["token_url"]:
            bad("Invalid JWT: aud %r is not %r"
                % (str(claims.get("aud"))[:200], cfg["token_url"]))
        if "sub" in claims:
            bad("Client is unauthorized to retrieve access tokens using "
                "this method (sub without domain-wide delegation)",
                "unauthorized_client")
        scope = claims.get("scope")
        if not isinstance(scope, str) or \
                cfg["scope"] not in scope.split(" "):
            bad("scope %r does not contain %r"
                % (str(scope)[:200], cfg["scope"]), "invalid_scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        if type(iat) is not int or type(exp) is not int:
            bad("Invalid JWT: iat and exp must be integers")
        now = time.time()
        if iat > now or now - iat > IAT_SKEW or not iat < exp <= iat + \
                JWT_MAX_LIFETIME:
            bad("Invalid JWT: Token must be a short-lived token (60 "
                "minutes) and in a reasonable timeframe. Check your iat and "
                "exp values in the JWT claim. (iat %d, exp %d, now %d)"
                % (iat, exp, int(now)))
        return claims

    # --- Calendar -----------------------------------------------------------

    def authorize(self):
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise Reject(401, "authError", "Request is missing required "
                         "authentication credential (Authorization: Bearer)")
        tok = auth[len("Bearer "):]
        with st.lock:
            exp = st.tokens.get(tok)
        if exp is None:
            raise Reject(401, "authError", "Invalid Credentials (a token "
                         "this fake did not issue)")
        if exp <= time.time():
            raise Reject(401, "authError", "Invalid Credentials (the token "
                         "expired)")

    @staticmethod
    def json_body(body):
        try:
            obj = json_strict(body)
        except (UnicodeDecodeError, ValueError) as ex:
            raise Reject(400, "parseError", "Parse Error (%s)"
                         % str(ex)[:80])
        if not isinstance(obj, dict):
            raise Reject(400, "parseError", "the body is not a JSON object")
        return obj

    def require_json(self):
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise Reject(400, "parseError", "Content-Type %r is not "
                         "application/json" % ctype[:80])

    def freebusy(self, body):
        st = self.server.state
        self.require_json()
        req = self.json_body(body)
        for f in ("timeMin", "timeMax"):
            if f not in req:
                raise Reject(400, "required", "Missing %s." % f)
        tmin = parse_rfc3339(req["timeMin"])
        tmax = parse_rfc3339(req["timeMax"])
        if tmin is None or tmax is None:
            raise Reject(400, "invalid", "timeMin/timeMax %r/%r are not RFC "
                         "3339" % (str(req["timeMin"])[:40],
                                   str(req["timeMax"])[:40]))
        if tmax <= tmin:
            raise Reject(400, "timeRangeEmpty",
                         "The specified time range is empty.")
        if tmax - tmin > FREEBUSY_MAX_RANGE:
            raise Reject(400, "timeRangeTooLong", "The requested time range "
                         "is too long (%d days > 90)."
                         % ((tmax - tmin) // 86400))
        if "timeZone" in req and not isinstance(req["timeZone"], str):
            raise Reject(400, "invalid", "timeZone is not a string")
        items = req.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= \
                FREEBUSY_MAX_ITEMS:
            raise Reject(400, "invalid", "items must list 1 to %d calendars"
                         % FREEBUSY_MAX_ITEMS)
        ids = []
        for it in items:
            if not isinstance(it, dict) or not isinstance(it.get("id"), str) \
                    or not it["id"] or set(it) != {"id"}:
                raise Reject(400, "invalid", "every item is {\"id\": "
                             "\"<calendar>\"}")
            ids.append(it["id"])
        cals = {}
        with st.lock:
            for cid in ids:
                reason = st.calendar_error(cid)
                if reason:
                    cals[cid] = {"errors": [{"domain": "global",
                                             "reason": reason}],
                                 "busy": []}
                    continue
                spans = list(st.busy.get(cid, []))
                if st.config["events_busy"]:
                    spans += [(ev["start_ts"], ev["end_ts"])
                              for ev in st.events.get(cid, {}).values()
                              if ev["status"] == "confirmed"]
                cals[cid] = {"busy": [{"start": utc_str(s), "end": utc_str(e)}
                                      for s, e in merge(spans, tmin, tmax)]}
        return 200, {"kind": "calendar#freeBusy",
                     "timeMin": utc_str(tmin, True),
                     "timeMax": utc_str(tmax, True), "calendars": cals}

    def check_query(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query,
                                  keep_blank_values=True)
        su = q.get("sendUpdates")
        if su is not None and (len(su) != 1 or su[0] not in
                               ("all", "externalOnly", "none")):
            raise Reject(400, "invalid", "Invalid value for sendUpdates: %r"
                         % su)

    @staticmethod
    def check_times(ev):
        for f in ("start", "end"):
            v = ev.get(f)
            if not isinstance(v, dict):
                raise Reject(400, "required", "Missing %s time." % f)
            if "dateTime" not in v:
                raise Reject(400, "required", "%s.dateTime is required here "
                             "(all-day events are not used)" % f)
            if parse_rfc3339(v["dateTime"]) is None:
                raise Reject(400, "invalid", "%s.dateTime %r is not RFC 3339"
                             % (f, str(v["dateTime"])[:40]))
            if not isinstance(v.get("timeZone"), str) or not v["timeZone"]:
                raise Reject(400, "required", "%s.timeZone is required" % f)
            if set(v) - {"dateTime", "timeZone"}:
                raise Reject(400, "invalid", "%s has unexpected members %r"
                             % (f, sorted(v)))
        s = parse_rfc3339(ev["start"]["dateTime"])
        e = parse_rfc3339(ev["end"]["dateTime"])
        if e <= s:
            raise Reject(400, "timeRangeEmpty",
                         "The specified time range is empty.")
        return s, e

    @staticmethod
    def check_fields(ev):
        for f in ("summary", "description"):
            if f in ev and not isinstance(ev[f], str):
                raise Reject(400, "invalid", "%s is not a string" % f)
        att = ev.get("attendees")
        if att:
            raise Reject(403, "forbiddenForServiceAccounts",
                         "Service accounts cannot invite attendees without "
                         "Domain-Wide Delegation of Authority.")
        if "id" in ev and (not isinstance(ev["id"], str)
                           or not EVENT_ID_RE.match(ev["id"])):
            raise Reject(400, "invalid", "Invalid resource id value: %r "
                         "(base32hex 0-9a-v, 5-1024 characters)"
                         % str(ev["id"])[:60])

    def events(self, method, path, body, ctx):
        st = self.server.state
        rest = path[len(API + "/calendars/"):]
        segs = rest.split("/")
        if len(segs) not in (2, 3) or segs[1] != "events" or not segs[0] \
                or (len(segs) == 3 and not segs[2]):
            raise Reject(404, "notFound", "no such endpoint %s" % path)
        try:
            cid = urllib.parse.unquote(segs[0], errors="strict")
            eid = urllib.parse.unquote(segs[2], errors="strict") \
                if len(segs) == 3 else None
        except UnicodeDecodeError:
            raise Reject(400, "invalid", "path is not UTF-8")
        ctx["calendar"], ctx["event"] = cid, eid
        self.check_query()
        with st.lock:
            cal_missing = st.calendar_error(cid) == "notFound"
        if cal_missing:
            raise Reject(404, "notFound", "Not Found (calendar %r)" % cid)
        now = utc_str(time.time(), True)

        if eid is None:
            if method != "POST":
                raise Reject(405, "httpMethodNotAllowed",
                             "%s on the events collection" % method)
            self.require_json()
            ev = self.json_body(body)
            self.check_fields(ev)
            s, e = self.check_times(ev)
            with st.lock:
                cal = st.events.setdefault(cid, {})
                new_id = ev.get("id") or "".join(
                    secrets.choice("0123456789abcdefghijklmnopqrstuv")
                    for _ in range(26))
                ctx["event"] = new_id
                if new_id in cal:
                    raise Reject(409, "duplicate", "The requested identifier "
                                 "already exists.")
                stored = self.store(ev, new_id, s, e, now, now, 0)
                cal[new_id] = stored
                return 200, self.resource(stored)

        with st.lock:
            cur = st.events.get(cid, {}).get(eid)
        if cur is None:
            raise Reject(404, "notFound", "Not Found (event %r)" % eid)
        if method == "GET":
            return 200, self.resource(cur)
        if method == "DELETE":
            with st.lock:
                if cur["status"] == "cancelled":
                    raise Reject(410, "deleted", "Resource has been deleted")
                cur["status"] = "cancelled"
                cur["updated"] = now
                cur["sequence"] += 1
            return 204, None
        if method not in ("PUT", "PATCH"):
            raise Reject(405, "httpMethodNotAllowed",
                         "%s on an event" % method)
        self.require_json()
        upd = self.json_body(body)
        if "id" in upd and upd["id"] != eid:
            raise Reject(400, "invalid", "the body id %r is not the path's "
                         "%r" % (str(upd["id"])[:60], eid))
        self.check_fields(upd)
        with st.lock:
            if cur["status"] == "cancelled":
                raise Reject(410, "deleted", "Resource has been deleted")
            if method == "PATCH":
                merged = {k: cur[k] for k in ("summary", "description",
                                              "start", "end") if k in cur}
                merged.update(upd)
            else:
                merged = upd
        s, e = self.check_times(merged)
        with st.lock:
            stored = self.store(merged, eid, s, e, cur["created"], now,
                                cur["sequence"] + 1)
            st.events[cid][eid] = stored
            return 200, self.resource(stored)

    @staticmethod
    def store(ev, eid, s, e, created, updated, sequence):
        out = {"id": eid, "status": "confirmed",
               "start": dict(ev["start"]), "end": dict(ev["end"]),
               "start_ts": s, "end_ts": e, "created": created,
               "updated": updated, "sequence": sequence}
        for f in ("summary", "description"):
            if f in ev:
                out[f] = ev[f]
        return out

    @staticmethod
    def resource(ev):
        r = {"kind": "calendar#event",
             "etag": "\"%d\"" % (abs(hash((ev["id"], ev["sequence"])))),
             "id": ev["id"], "status": ev["status"],
             "htmlLink": "https://www.google.com/calendar/event?eid=" +
                         ev["id"],
             "created": ev["created"], "updated": ev["updated"],
             "start": ev["start"], "end": ev["end"],
             "iCalUID": ev["id"] + "@google.com",
             "sequence": ev["sequence"]}
        for f in ("summary", "description"):
            if f in ev:
                r[f] = ev[f]
        return r

    def do_POST(self):
        self.dispatch("POST")

    def do_GET(self):
        self.dispatch("GET")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")


def merge(spans, tmin, tmax):
    """Intervals clipped to [tmin, tmax), sorted, overlapping ones merged."""
    clipped = sorted((max(s, tmin), min(e, tmax)) for s, e in spans
                     if e > tmin and s < tmax)
    out = []
    for s, e in clipped:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


# --- the control server ------------------------------------------------------

class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-google-control/1.0"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            log("control: %s" % (fmt % args))

    def send(self, status, payload):
        fakelib.reply_json(self, status, payload)

    def fail(self, why):
        log("control: refused %s: %s" % (self.path, why))
        self.send(400, {"error": why})

    def do_GET(self):
        fakelib.read_body(self, MAX_BODY)
        st = self.server.state
        if self.path not in ("/__state", "/__stats"):
            self.send(404, {"error": "unknown control endpoint"})
            return
        now = time.time()
        with st.lock:
            out = {
                "events": {c: event_view(evs) for c, evs in st.events.items()},
                "busy": {c: [{"start": utc_str(s), "end": utc_str(e)}
                             for s, e in v] for c, v in st.busy.items()},
                "calendar_errors": dict(st.cal_errors),
                "requests": list(st.log),
                "counters": dict(st.counters),
                "config": dict(st.config),
                "failures": [dict(r) for r in st.failures],
                "hangs": [dict(r) for r in st.hangs],
                "tokens_active": sum(1 for x in st.tokens.values()
                                     if x > now),
            }
        self.send(200, out)

    def do_POST(self):
        st = self.server.state
        raw = fakelib.read_body(self, MAX_BODY)
        if raw is None:
            self.fail("unreadable body")
            return
        try:
            req = json_strict(raw) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError) as ex:
            self.fail("body is not JSON: %s" % ex)
            return
        if not isinstance(req, dict):
            self.fail("body is not a JSON object")
            return
        handler = {
            "/__reset": self.c_reset, "/__busy": self.c_busy,
            "/__calendar_error": self.c_calendar_error,
            "/__fail": self.c_fail, "/__hang": self.c_hang,
            "/__config": self.c_config,
            "/__expire_tokens": self.c_expire_tokens,
        }.get(self.path)
        if handler is None:
            self.send(404, {"error": "unknown control endpoint"})
            return
        try:
            out = handler(st, req)
        except ValueError as ex:
            self.fail(str(ex))
            return
        self.send(200, out)

    @staticmethod
    def c_reset(st, req):
        with st.lock:
            st.reset()
        return {"ok": True}

    @staticmethod
    def calendar_of(req):
        cid = req.get("calendar")
        if not isinstance(cid, str) or not cid:
            raise ValueError("\"calendar\" must be a non-empty string")
        return cid

    def c_busy(self, st, req):
        cid = self.calendar_of(req)
        busy = req.get("busy")
        if not isinstance(busy, list) or len(busy) > MAX_BUSY:
            raise ValueError("\"busy\" must be a list of at most %d "
                             "{start, end}" % MAX_BUSY)
        spans = []
        for b in busy:
            s = parse_rfc3339(b.get("start")) if isinstance(b, dict) else None
            e = parse_rfc3339(b.get("end")) if isinstance(b, dict) else None
            if s is None or e is None or e <= s:
                raise ValueError("bad busy interval %r" % (b,))
            spans.append((s, e))
        with st.lock:
            st.busy[cid] = spans
        return {"calendar": cid, "busy": len(spans)}

    def c_calendar_error(self, st, req):
        cid = self.calendar_of(req)
        reason = req.get("reason")
        if reason is not None and (not isinstance(reason, str) or
                                   not reason):
            raise ValueError("\"reason\" must be a string or null")
        with st.lock:
            if reason is None:
                st.cal_errors.pop(cid, None)
            else:
                st.cal_errors[cid] = reason
        return {"calendar": cid, "reason": reason}

    @staticmethod
    def rule_common(req):
        count = req.get("count", 1)
        if type(count) is not int or not 1 <= count <= 100000:
            raise ValueError("\"count\" must be an integer 1..100000")
        method = req.get("method")
        if method is not None and method not in ("GET", "POST", "PUT",
                                                 "PATCH", "DELETE"):
            raise ValueError("\"method\" must be an HTTP method")
        prefix = req.get("path_prefix")
        if prefix is not None and (not isinstance(prefix, str) or
                                   not prefix.startswith("/")):
            raise ValueError("\"path_prefix\" must start with /")
        return {"count": count, "method": method, "path_prefix": prefix}

    def c_fail(self, st, req):
        rule = self.rule_common(req)
        status = req.get("status")
        if type(status) is not int or not 400 <= status <= 599:
            raise ValueError("\"status\" must be an integer 400..599")
        for f in ("reason", "message"):
            if req.get(f) is not None and not isinstance(req[f], str):
                raise ValueError("\"%s\" must be a string" % f)
        ra = req.get("retry_after")
        if ra is not None and (type(ra) is not int or ra < 0):
            raise ValueError("\"retry_after\" must be a non-negative integer")
        apply = req.get("apply", False)
        if not isinstance(apply, bool):
            raise ValueError("\"apply\" must be a boolean")
        rule.update({"status": status, "reason": req.get("reason"),
                     "message": req.get("message"), "body": req.get("body"),
                     "retry_after": ra, "apply": apply})
        with st.lock:
            st.failures.append(rule)
        return {"ok": True, "rule": rule}

    def c_hang(self, st, req):
        rule = self.rule_common(req)
        secs = req.get("seconds")
        if not isinstance(secs, (int, float)) or isinstance(secs, bool) or \
                not 0 < secs <= MAX_HANG:
            raise ValueError("\"seconds\" must be a number in (0, %d]"
                             % MAX_HANG)
        rule["seconds"] = secs
        with st.lock:
            st.hangs.append(rule)
        return {"ok": True, "rule": rule}

    @staticmethod
    def c_config(st, req):
        unknown = set(req) - {"token_lifetime", "token_url", "client_email",
                              "scope", "events_busy"}
        if unknown:
            raise ValueError("unknown config keys %r" % sorted(unknown))
        lt = req.get("token_lifetime")
        if lt is not None and (type(lt) is not int or not 1 <= lt <= 86400):
            raise ValueError("\"token_lifetime\" must be 1..86400")
        for f in ("token_url", "client_email", "scope"):
            if f in req and (not isinstance(req[f], str) or not req[f]):
                raise ValueError("\"%s\" must be a non-empty string" % f)
        if "events_busy" in req and not isinstance(req["events_busy"], bool):
            raise ValueError("\"events_busy\" must be a boolean")
        with st.lock:
            st.config.update(req)
            return {"config": dict(st.config)}

    @staticmethod
    def c_expire_tokens(st, req):
        now = time.time()
        with st.lock:
            for t in st.tokens:
                st.tokens[t] = now - 1
            return {"expired": len(st.tokens)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--portfile")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--control-portfile")
    ap.add_argument("--pubkey")
    ap.add_argument("--client-email")
    ap.add_argument("--service-account")
    ap.add_argument("--token-url")
    ap.add_argument("--scope", default=DEFAULT_SCOPE)
    ap.add_argument("--token-lifetime", type=int, default=3600)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--shared", default="",
                    help="comma-separated calendars shared with the service "
                         "account; any other is notFound (default: all)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    if args.service_account:
        with open(args.service_account, "rb") as f:
            sa = json.loads(f.read().decode("utf-8"))
        pem = sa["private_key"].encode("ascii")
        email = args.client_email or sa["client_email"]
    else:
        if not args.pubkey or not args.client_email:
            ap.error("--pubkey and --client-email (or --service-account) "
                     "are required")
        with open(args.pubkey, "rb") as f:
            pem = f.read()
        email = args.client_email
    if not 1 <= args.token_lifetime <= 86400:
        ap.error("--token-lifetime must be 1..86400")
    n, e = load_rsa_public(pem)

    api = fakelib.Server((args.host, args.port), Handler)
    ctl = fakelib.Server((args.host, args.control_port), ControlHandler)
    port = api.server_address[1]
    cport = ctl.server_address[1]
    token_url = (args.token_url or "http://%s:{port}/token" % args.host)
    token_url = token_url.replace("{port}", str(port))
    state = State(n, e, email, token_url, args.scope, args.token_lifetime,
                  [c for c in args.shared.split(",") if c])
    api.state = ctl.state = state
    api.verbose = ctl.verbose = args.verbose

    t = threading.Thread(target=ctl.serve_forever,
                         kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if args.control_portfile:
        fakelib.write_portfile(args.control_portfile, cport)
    if args.portfile:
        fakelib.write_portfile(args.portfile, port)
    log("API on %s:%d, control on %s:%d; RSA-%d key, iss %s, aud %s"
        % (args.host, port, args.host, cport, n.bit_length(), email,
           token_url))

    def stop_control():
        ctl.shutdown()
        ctl.server_close()

    fakelib.serve_until_term(api, stop_control)


if __name__ == "__main__":
    main()

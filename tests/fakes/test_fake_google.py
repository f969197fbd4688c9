#!/usr/bin/env python3
"""Self-check for tests/fakes/fake_google.py (Python standard library and
the openssl command only).

    python3 tests/fakes/test_fake_google.py [--verbose]

Generates two RSA keys with openssl, starts the fake on free ports, signs
JWT assertions with `openssl dgst -sha256 -sign`, and checks that the fake
issues a token for a correct assertion and refuses every broken one (bad
signature, wrong iss/aud/scope, stale iat, long lifetime, alg none, wrong
grant type or content type); that the Calendar endpoints need a valid,
unexpired token; that an event can be inserted (and 409 on the same id),
moved with PUT and PATCH, read back through /__state and freeBusy, and
deleted (204, then 410; 404 when unknown); that freeBusy carries busy
times and per-calendar errors inside a 200; and that injected failures,
"apply" failures and hangs behave.  Exits 0 when every check passes.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_google.py")
EMAIL = "concierge@clinic-test.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/calendar"
CAL = "clinic@group.calendar.google.com"
CAL_Q = urllib.parse.quote(CAL, safe="")
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

checks = 0
failures = []
verbose = "--verbose" in sys.argv


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL: %s" % what)
    elif verbose:
        print("ok: %s" % what)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fake_google_test.")
        self.key = os.path.join(self.dir, "key.pem")
        self.other = os.path.join(self.dir, "other.pem")
        self.pub = os.path.join(self.dir, "pub.pem")
        for k in (self.key, self.other):
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                            "-pkeyopt", "rsa_keygen_bits:2048", "-out", k],
                           check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout",
                        "-out", self.pub], check=True)
        self.portfile = os.path.join(self.dir, "api.port")
        self.cportfile = os.path.join(self.dir, "control.port")
        self.logfile = os.path.join(self.dir, "fake_google.log")
        self.logf = open(self.logfile, "w")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--portfile", self.portfile,
             "--control-port", "0", "--control-portfile", self.cportfile,
             "--pubkey", self.pub, "--client-email", EMAIL],
            stdout=self.logf, stderr=self.logf)
        self.port = self.cport = None
        for _ in range(200):
            if os.path.exists(self.portfile) and \
                    os.path.exists(self.cportfile):
                self.port = int(open(self.portfile).read())
                self.cport = int(open(self.cportfile).read())
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.close()
            sys.exit("the fake did not start; log:\n" +
                     open(self.logfile).read())
        self.token_url = "http://127.0.0.1:%d/token" % self.port

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()

    # --- HTTP ---------------------------------------------------------------

    def http(self, method, url, body=None, headers=None, timeout=20):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else body.encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def api(self, method, path, obj=None, token=None, ctype=None):
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        body = None
        if obj is not None:
            body = json.dumps(obj)
            headers["Content-Type"] = ctype or "application/json"
        return self.http(method, "http://127.0.0.1:%d%s" % (self.port, path),
                         body, headers)

    def ctl(self, method, path, obj=None):
        st, out = self.http(method, "http://127.0.0.1:%d%s"
                            % (self.cport, path),
                            json.dumps(obj) if obj is not None else None,
                            {"Content-Type": "application/json"})
        if st != 200:
            raise AssertionError("control %s %s: %d %r"
                                 % (method, path, st, out))
        return out

    # --- JWT ---------------------------------------------------------------

    def jwt(self, claims=None, header=None, key=None, drop=(), **over):
        now = int(time.time())
        c = {"iss": EMAIL, "scope": SCOPE, "aud": self.token_url,
             "iat": now, "exp": now + 3600}
        c.update(claims or {})
        c.update(over)
        for k in drop:
            c.pop(k, None)
        h = header or {"alg": "RS256", "typ": "JWT"}
        signing_input = (b64url(json.dumps(h, separators=(",", ":"))
                                .encode()) + "." +
                         b64url(json.dumps(c, separators=(",", ":"))
                                .encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                              key or self.key],
                             input=signing_input.encode(),
                             stdout=subprocess.PIPE, check=True).stdout
        return signing_input + "." + b64url(sig)

    def token_request(self, assertion, grant=GRANT,
                      ctype="application/x-www-form-urlencoded", raw=None):
        body = raw if raw is not None else urllib.parse.urlencode(
            {"grant_type": grant, "assertion": assertion})
        return self.http("POST", self.token_url, body,
                         {"Content-Type": ctype})

    def get_token(self):
        st, out = self.token_request(self.jwt())
        if st != 200:
            raise AssertionError("token: %d %r" % (st, out))
        return out["access_token"]


def event(eid, start, end, **kw):
    ev = {"summary": "Consultation",
          "start": {"dateTime": start, "timeZone": "Europe/London"},
          "end": {"dateTime": end, "timeZone": "Europe/London"}}
    if eid:
        ev["id"] = eid
    ev.update(kw)
    return ev


def google_reason(out):
    try:
        return out["error"]["errors"][0]["reason"]
    except (KeyError, IndexError, TypeError):
        return None


def test_token(env):
    st, out = env.token_request(env.jwt())
    check(st == 200 and out["token_type"] == "Bearer" and
          out["expires_in"] == 3600 and
          out["access_token"].startswith("ya29."), "token issued: %r" % out)
    # The raw form exactly as cc_gcal_token_form writes it.
    st, _ = env.token_request(None, raw="grant_type=urn%3Aietf%3Aparams%3A"
                              "oauth%3Agrant-type%3Ajwt-bearer&assertion=" +
                              env.jwt())
    check(st == 200, "percent-encoded grant_type accepted")

    bad = [
        ("bad signature", env.jwt(key=env.other), "invalid_grant"),
        ("wrong iss", env.jwt(iss="someone@else.example"), "invalid_grant"),
        ("wrong aud", env.jwt(aud="https://oauth2.googleapis.com/token"),
         "invalid_grant"),
        ("no scope", env.jwt(drop=("scope",)), "invalid_scope"),
        ("other scope", env.jwt(scope="https://www.googleapis.com/auth/"
                                "calendar.readonly"), "invalid_scope"),
        ("iat 10 min ahead", env.jwt(iat=int(time.time()) + 600,
                                     exp=int(time.time()) + 1200),
         "invalid_grant"),
        ("iat 30 s ahead", env.jwt(iat=int(time.time()) + 30,
                                   exp=int(time.time()) + 1200),
         "invalid_grant"),
        ("iat 10 min old", env.jwt(iat=int(time.time()) - 600,
                                   exp=int(time.time()) + 600),
         "invalid_grant"),
        ("lifetime 3601", env.jwt(exp=int(time.time()) + 3601),
         "invalid_grant"),
        ("exp == iat", env.jwt(exp=int(time.time())), "invalid_grant"),
        ("iat string", env.jwt(iat=str(int(time.time()))), "invalid_grant"),
        ("sub present", env.jwt(sub="doctor@clinic.example"),
         "unauthorized_client"),
        ("alg HS256", env.jwt(header={"alg": "HS256", "typ": "JWT"}),
         "invalid_grant"),
        ("two parts", ".".join(env.jwt().split(".")[:2]), "invalid_grant"),
        ("padded", env.jwt() + "=", "invalid_grant"),
    ]
    parts = env.jwt().split(".")
    none_hdr = b64url(b'{"alg":"none","typ":"JWT"}')
    bad.append(("alg none", none_hdr + "." + parts[1] + ".", "invalid_grant"))
    other_claims = b64url(json.dumps({"iss": EMAIL, "scope": SCOPE,
                                      "aud": env.token_url,
                                      "iat": int(time.time()),
                                      "exp": int(time.time()) + 60})
                          .encode())
    bad.append(("claims swapped under old signature",
                parts[0] + "." + other_claims + "." + parts[2],
                "invalid_grant"))
    for name, assertion, code in bad:
        st, out = env.token_request(assertion)
        check(st == 400 and isinstance(out, dict) and out.get("error") == code
              and out.get("error_description"),
              "token refused (%s): %d %r" % (name, st, out))
    st, out = env.token_request(env.jwt(), grant="client_credentials")
    check(st == 400 and out["error"] == "unsupported_grant_type",
          "wrong grant_type refused")
    st, out = env.token_request(env.jwt(), ctype="application/json")
    check(st == 400 and out["error"] == "invalid_request",
          "wrong Content-Type refused")
    s = env.ctl("GET", "/__state")
    check(s["counters"]["tokens_issued"] == 2 and
          s["counters"]["token_refused"] == len(bad) + 2,
          "token counters %r" % s["counters"])
    log = open(env.logfile).read()
    check("REJECT POST /token -> 400 invalid_grant: Invalid JWT Signature."
          in log, "rejections are logged with the reason")


def test_auth(env):
    st, out = env.api("POST", "/calendar/v3/freeBusy",
                      {"timeMin": "2026-11-26T00:00:00Z",
                       "timeMax": "2026-11-27T00:00:00Z",
                       "items": [{"id": CAL}]})
    check(st == 401 and google_reason(out) == "authError" and
          out["error"]["code"] == 401 and
          out["error"]["status"] == "UNAUTHENTICATED",
          "no token: 401 in Google's shape: %r" % out)
    st, out = env.api("POST", "/calendar/v3/calendars/%s/events" % CAL_Q,
                      event("abcde12345", "2026-11-26T09:00:00Z",
                            "2026-11-26T09:30:00Z"), token="ya29.forged")
    check(st == 401, "unknown token: 401")
    env.ctl("POST", "/__config", {"token_lifetime": 1})
    tok = env.get_token()
    time.sleep(1.5)
    st, out = env.api("POST", "/calendar/v3/freeBusy",
                      {"timeMin": "2026-11-26T00:00:00Z",
                       "timeMax": "2026-11-27T00:00:00Z",
                       "items": [{"id": CAL}]}, token=tok)
    check(st == 401, "expired token: 401")
    env.ctl("POST", "/__config", {"token_lifetime": 3600})
    tok = env.get_token()
    env.ctl("POST", "/__expire_tokens")
    st, _ = env.api("POST", "/calendar/v3/freeBusy",
                    {"timeMin": "2026-11-26T00:00:00Z",
                     "timeMax": "2026-11-27T00:00:00Z",
                     "items": [{"id": CAL}]}, token=tok)
    check(st == 401, "expired by control: 401")


def test_events(env):
    tok = env.get_token()
    base = "/calendar/v3/calendars/%s/events" % CAL_Q
    eid = "7c9525fd8718753c3494eabe1509caf1"
    st, out = env.api("POST", base + "?sendUpdates=none",
                      event(eid, "2026-11-26T09:00:00+00:00",
                            "2026-11-26T09:30:00+00:00"), token=tok)
    check(st == 200 and out["id"] == eid and out["status"] == "confirmed",
          "insert: %d %r" % (st, out))
    st, out = env.api("POST", base, event(eid, "2026-11-26T09:00:00Z",
                                          "2026-11-26T09:30:00Z"), token=tok)
    check(st == 409 and google_reason(out) == "duplicate",
          "insert same id: 409 duplicate")
    st, out = env.api("POST", base, event(None, "2026-11-26T11:00:00Z",
                                          "2026-11-26T11:30:00Z"), token=tok)
    check(st == 200 and len(out["id"]) >= 5, "insert without id")

    for name, ev, code, reason in [
        ("uppercase id", event("ABCDE12345", "2026-11-26T09:00:00Z",
                               "2026-11-26T09:30:00Z"), 400, "invalid"),
        ("short id", event("abcd", "2026-11-26T09:00:00Z",
                           "2026-11-26T09:30:00Z"), 400, "invalid"),
        ("w in id", event("abcdw", "2026-11-26T09:00:00Z",
                          "2026-11-26T09:30:00Z"), 400, "invalid"),
        ("end == start", event("abcde00001", "2026-11-26T09:00:00Z",
                               "2026-11-26T10:00:00+01:00"), 400,
         "timeRangeEmpty"),
        ("end < start", event("abcde00002", "2026-11-26T09:00:00Z",
                              "2026-11-26T08:00:00Z"), 400,
         "timeRangeEmpty"),
        ("no offset", event("abcde00003", "2026-11-26T09:00:00",
                            "2026-11-26T09:30:00Z"), 400, "invalid"),
        ("Feb 30", event("abcde00004", "2026-02-30T09:00:00Z",
                         "2026-02-30T09:30:00Z"), 400, "invalid"),
        ("no timeZone", {"id": "abcde00005",
                         "start": {"dateTime": "2026-11-26T09:00:00Z"},
                         "end": {"dateTime": "2026-11-26T09:30:00Z"}}, 400,
         "required"),
        ("attendees", event("abcde00006", "2026-11-26T09:00:00Z",
                            "2026-11-26T09:30:00Z",
                            attendees=[{"email": "p@x.example"}]), 403,
         "forbiddenForServiceAccounts"),
    ]:
        st, out = env.api("POST", base, ev, token=tok)
        check(st == code and google_reason(out) == reason,
              "insert refused (%s): %d %r" % (name, st, out))
    st, out = env.api("POST", base + "?sendUpdates=sometimes",
                      event("abcde00007", "2026-11-26T09:00:00Z",
                            "2026-11-26T09:30:00Z"), token=tok)
    check(st == 400, "bad sendUpdates refused")

    # move with PUT, then PATCH the summary
    st, out = env.api("PUT", base + "/" + eid,
                      event(eid, "2026-11-27T14:00:00Z",
                            "2026-11-27T14:45:00Z", summary="Moved"),
                      token=tok)
    check(st == 200 and out["start"]["dateTime"] == "2026-11-27T14:00:00Z"
          and out["sequence"] == 1, "update (move): %d %r" % (st, out))
    st, out = env.api("PATCH", base + "/" + eid, {"summary": "Patched"},
                      token=tok)
    check(st == 200 and out["summary"] == "Patched" and
          out["end"]["dateTime"] == "2026-11-27T14:45:00Z", "patch")
    st, out = env.api("PUT", base + "/abcdeunknown1",
                      event(None, "2026-11-27T14:00:00Z",
                            "2026-11-27T14:45:00Z"), token=tok)
    check(st == 404 and google_reason(out) == "notFound",
          "update unknown: 404")
    st, out = env.api("PUT", base + "/" + eid,
                      event("abcdeother", "2026-11-27T14:00:00Z",
                            "2026-11-27T14:45:00Z"), token=tok)
    check(st == 400, "update with another body id refused")

    s = env.ctl("GET", "/__state")
    evs = {e["id"]: e for e in s["events"][CAL]}
    check(evs[eid]["start"] == "2026-11-27T14:00:00Z" and
          evs[eid]["summary"] == "Patched" and
          evs[eid]["status"] == "confirmed" and
          evs[eid]["start_ts"] == 1795788000, "state shows the move: %r"
          % evs.get(eid))

    # freeBusy: the event, control busy times, per-calendar errors
    env.ctl("POST", "/__busy", {"calendar": CAL, "busy": [
        {"start": "2026-11-27T13:30:00Z", "end": "2026-11-27T14:10:00Z"},
        {"start": "2026-11-28T08:00:00+01:00",
         "end": "2026-11-28T09:00:00+01:00"}]})
    env.ctl("POST", "/__calendar_error", {"calendar": "broken@x",
                                          "reason": "internalError"})
    st, out = env.api("POST", "/calendar/v3/freeBusy",
                      {"timeMin": "2026-11-27T00:00:00Z",
                       "timeMax": "2026-11-29T00:00:00Z", "timeZone": "UTC",
                       "items": [{"id": CAL}, {"id": "broken@x"}]},
                      token=tok)
    check(st == 200 and out["calendars"][CAL]["busy"] == [
        {"start": "2026-11-27T13:30:00Z", "end": "2026-11-27T14:45:00Z"},
        {"start": "2026-11-28T07:00:00Z", "end": "2026-11-28T08:00:00Z"}],
        "freeBusy merges busy and events: %r" % out)
    check(out["calendars"]["broken@x"]["errors"][0]["reason"] ==
          "internalError", "freeBusy per-calendar error inside a 200")
    check(out["timeMin"] == "2026-11-27T00:00:00.000Z", "timeMin echoed")
    for name, body, reason in [
        ("empty range", {"timeMin": "2026-11-27T00:00:00Z",
                         "timeMax": "2026-11-27T00:00:00Z",
                         "items": [{"id": CAL}]}, "timeRangeEmpty"),
        ("91 days", {"timeMin": "2026-11-01T00:00:00Z",
                     "timeMax": "2027-01-31T00:00:01Z",
                     "items": [{"id": CAL}]}, "timeRangeTooLong"),
        ("bad time", {"timeMin": "2026-11-27", "timeMax":
                      "2026-11-28T00:00:00Z", "items": [{"id": CAL}]},
         "invalid"),
        ("no items", {"timeMin": "2026-11-27T00:00:00Z",
                      "timeMax": "2026-11-28T00:00:00Z", "items": []},
         "invalid"),
    ]:
        st, out = env.api("POST", "/calendar/v3/freeBusy", body, token=tok)
        check(st == 400 and google_reason(out) == reason,
              "freeBusy refused (%s): %d %r" % (name, st, out))

    # delete: 204 empty, then 410, unknown 404
    st, out = env.api("DELETE", base + "/" + eid + "?sendUpdates=none",
                      token=tok)
    check(st == 204 and out is None, "delete: 204 empty")
    st, out = env.api("DELETE", base + "/" + eid, token=tok)
    check(st == 410 and google_reason(out) == "deleted", "delete again: 410")
    st, out = env.api("DELETE", base + "/abcdeunknown1", token=tok)
    check(st == 404, "delete unknown: 404")
    st, out = env.api("PATCH", base + "/" + eid, {"summary": "x"}, token=tok)
    check(st == 410, "patch deleted: 410")
    st, out = env.api("POST", base, event(eid, "2026-11-26T09:00:00Z",
                                          "2026-11-26T09:30:00Z"), token=tok)
    check(st == 409, "insert a deleted id: 409")
    s = env.ctl("GET", "/__state")
    evs = {e["id"]: e for e in s["events"][CAL]}
    check(evs[eid]["status"] == "cancelled", "state shows the deletion")

    env.ctl("POST", "/__calendar_error", {"calendar": CAL,
                                          "reason": "notFound"})
    st, out = env.api("POST", base, event("abcde99999",
                                          "2026-11-26T09:00:00Z",
                                          "2026-11-26T09:30:00Z"), token=tok)
    check(st == 404, "calendar marked notFound: 404 on events")
    env.ctl("POST", "/__calendar_error", {"calendar": CAL, "reason": None})


def test_failures(env):
    tok = env.get_token()
    base = "/calendar/v3/calendars/%s/events" % CAL_Q
    env.ctl("POST", "/__fail", {"status": 503, "count": 2, "method": "POST",
                                "path_prefix": "/calendar/v3/calendars/"})
    ev = event("fa11ed00001", "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z")
    st1, out1 = env.api("POST", base, ev, token=tok)
    st2, _ = env.api("POST", base, ev, token=tok)
    st3, _ = env.api("POST", base, ev, token=tok)
    check(st1 == 503 and st2 == 503 and st3 == 200 and
          google_reason(out1) == "backendError",
          "fail next 2 with 503, then succeed: %d %d %d" % (st1, st2, st3))

    env.ctl("POST", "/__fail", {"status": 403,
                                "reason": "rateLimitExceeded"})
    st, out = env.api("DELETE", base + "/fa11ed00001", token=tok)
    check(st == 403 and google_reason(out) == "rateLimitExceeded" and
          out["error"]["errors"][0]["domain"] == "usageLimits",
          "403 rateLimitExceeded: %r" % out)
    env.ctl("POST", "/__fail", {"status": 429, "retry_after": 2})
    st, out = env.api("DELETE", base + "/fa11ed00001", token=tok)
    check(st == 429, "429 injected")
    # matching by method: a GET passes, the DELETE fails
    env.ctl("POST", "/__fail", {"status": 500, "method": "DELETE"})
    st_get, _ = env.api("GET", base + "/fa11ed00001", token=tok)
    st_del, _ = env.api("DELETE", base + "/fa11ed00001", token=tok)
    check(st_get == 200 and st_del == 500, "method filter")
    st, _ = env.api("DELETE", base + "/fa11ed00001", token=tok)
    check(st == 204, "delete after the failure")

    # apply: the insert happens, the reply is lost; the retry gets 409
    env.ctl("POST", "/__fail", {"status": 500, "apply": True})
    ev = event("a991ied0001", "2026-12-02T09:00:00Z", "2026-12-02T09:30:00Z")
    st1, _ = env.api("POST", base, ev, token=tok)
    st2, _ = env.api("POST", base, ev, token=tok)
    check(st1 == 500 and st2 == 409, "apply=true: 500 then 409")

    # token endpoint failure uses the OAuth shape
    env.ctl("POST", "/__fail", {"status": 400, "reason": "invalid_grant",
                                "path_prefix": "/token"})
    st, out = env.token_request(env.jwt())
    check(st == 400 and out == {"error": "invalid_grant",
                                "error_description": "invalid_grant"},
          "injected token failure: %r" % out)
    env.ctl("POST", "/__fail", {"status": 401})
    st, out = env.api("GET", base + "/a991ied0001", token=tok)
    check(st == 401 and google_reason(out) == "authError", "401 injected")

    # custom body verbatim
    env.ctl("POST", "/__fail", {"status": 502, "body": {"custom": True}})
    st, out = env.api("GET", base + "/a991ied0001", token=tok)
    check(st == 502 and out == {"custom": True}, "custom body")

    # hang
    env.ctl("POST", "/__hang", {"seconds": 1.5})
    t0 = time.time()
    st, _ = env.api("GET", base + "/a991ied0001", token=tok)
    dt = time.time() - t0
    check(st == 200 and dt >= 1.4, "hang 1.5 s: %.2f s" % dt)

    s = env.ctl("GET", "/__state")
    inj = [r for r in s["requests"] if r["injected"]]
    check(len(inj) == 9 and s["counters"]["injected"] == 9 and
          s["counters"]["hung"] == 1 and not s["failures"] and
          not s["hangs"], "state counts injections: %r" % s["counters"])
    check(all(r["reason"] for r in s["requests"] if r["status"] >= 400),
          "every rejection in the log has a reason")


def test_control(env):
    for path, body in [("/__busy", {"calendar": CAL, "busy": [
                            {"start": "2026-11-27T14:00:00Z",
                             "end": "2026-11-27T13:00:00Z"}]}),
                       ("/__fail", {"status": 200}),
                       ("/__hang", {"seconds": 1000}),
                       ("/__config", {"token_lifetime": 0}),
                       ("/__config", {"nonsense": 1})]:
        st, _ = env.http("POST", "http://127.0.0.1:%d%s" % (env.cport, path),
                         json.dumps(body),
                         {"Content-Type": "application/json"})
        check(st == 400, "control refuses %s %r" % (path, body))
    env.ctl("POST", "/__reset")
    s = env.ctl("GET", "/__state")
    check(s["events"] == {} and s["requests"] == [] and
          s["tokens_active"] == 0, "reset clears the state")


def main():
    env = Env()
    try:
        for t in (test_token, test_auth, test_events, test_failures,
                  test_control):
            env.ctl("POST", "/__reset")
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

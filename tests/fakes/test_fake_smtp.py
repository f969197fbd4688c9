#!/usr/bin/env python3
"""Self-check for tests/fakes/fake_smtp.py (Python standard library and
the openssl command only).

    python3 tests/fakes/test_fake_smtp.py [--verbose]

Starts the fake as Postfix's submission service (STARTTLS required, AUTH
only under TLS) and checks with smtplib that it refuses what Postfix
refuses: AUTH before STARTTLS (503), MAIL before STARTTLS and before AUTH
(530), a wrong password (535), a wrong XOAUTH2 token (334 with the JSON
error, then 535), a bare host name in EHLO and a sender or recipient
without a fully qualified domain (504 at RCPT); and that it verifies its
certificate against the test CA, takes PLAIN, LOGIN and XOAUTH2, records
each message with tls/auth/helo, and answers 421 in "down" mode.
Exits 0 when every check passes.
"""

import base64
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_smtp.py")
USER = "concierge@clinic.example"
PASS = "submission-password-1"
TOKEN = "ya29.fake-token"
HELO = "concierge.clinic.example"

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


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fake-smtp-check.")
        self.logfile = os.path.join(self.dir, "fake.log")
        pf, cf = (os.path.join(self.dir, n) for n in ("port", "cport"))
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--portfile", pf,
             "--control-portfile", cf, "--tls-dir",
             os.path.join(self.dir, "tls"), "--require-tls", "--user", USER,
             "--password", PASS, "--bearer", TOKEN],
            stdout=open(self.logfile, "w"), stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(pf) and os.path.exists(cf):
                break
            time.sleep(0.05)
        self.port = int(open(pf).read())
        self.cport = int(open(cf).read())
        self.ctx = ssl.create_default_context(
            cafile=os.path.join(self.dir, "tls", "ca.pem"))

    def ctl(self, method, path, body=None):
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.cport, path), method=method,
            data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def smtp(self, helo=HELO):
        s = smtplib.SMTP("127.0.0.1", self.port, local_hostname=helo,
                         timeout=10)
        s.ehlo()
        return s

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def code_of(fn):
    try:
        r = fn()
        return r[0] if isinstance(r, tuple) else 250
    except smtplib.SMTPResponseException as ex:
        return ex.smtp_code
    except smtplib.SMTPRecipientsRefused as ex:
        return list(ex.recipients.values())[0][0]
    except smtplib.SMTPSenderRefused as ex:
        return ex.smtp_code


def test_before_tls(env):
    s = env.smtp()
    check(s.has_extn("starttls"), "STARTTLS offered before TLS")
    check(not s.has_extn("auth"), "AUTH not offered before TLS")
    check(s.docmd("AUTH", "PLAIN " + base64.b64encode(
        ("\0%s\0%s" % (USER, PASS)).encode()).decode())[0] == 503,
        "AUTH before STARTTLS: 503")
    check(s.docmd("MAIL", "FROM:<%s>" % USER)[0] == 530,
          "MAIL before STARTTLS: 530")
    s.quit()


def test_tls_and_auth(env):
    s = env.smtp()
    s.starttls(context=env.ctx)             # verifies against the test CA
    s.ehlo()
    check(s.has_extn("auth") and not s.has_extn("starttls"),
          "AUTH offered after TLS, STARTTLS no more")
    check(s.docmd("MAIL", "FROM:<%s>" % USER)[0] == 530,
          "MAIL before AUTH: 530")
    check(code_of(lambda: s.login(USER, "wrong")) == 535,
          "wrong password: 535")
    s.login(USER, PASS)
    check(code_of(lambda: s.sendmail(USER, ["team@clinic.example"],
                                     "Subject: x\r\n\r\nbody\r\n")) == 250,
          "message accepted after STARTTLS and AUTH")
    s.quit()
    m = env.ctl("GET", "/__stats")["messages"][-1]
    check(m["tls"] is True and m["auth_user"] == USER
          and m["helo"] == HELO and m["auth_mech"] in ("PLAIN", "LOGIN"),
          "recorded tls/auth/helo: %r" % m)
    untrusted = ssl.create_default_context()
    s = env.smtp()
    try:
        s.starttls(context=untrusted)
        check(False, "certificate verified without the test CA")
    except ssl.SSLError:
        check(True, "certificate refused without the test CA")
    s.close()


def test_xoauth2(env):
    for token, want in ((TOKEN, 235), ("ya29.expired", 535)):
        s = env.smtp()
        s.starttls(context=env.ctx)
        s.ehlo()
        blob = base64.b64encode(("user=%s\x01auth=Bearer %s\x01\x01"
                                 % (USER, token)).encode()).decode()
        code, msg = s.docmd("AUTH", "XOAUTH2 " + blob)
        if want == 535:
            check(code == 334 and b"401" in base64.b64decode(msg),
                  "wrong token: 334 with the JSON error")
            code = s.docmd("")[0]
        check(code == want, "XOAUTH2 %s: %d" % (token, code))
        s.quit()


def test_fqdn(env):
    for helo, sender, rcpt, what in (
            ("web01", USER, "team@clinic.example", "EHLO web01"),
            (HELO, "concierge@localhost", "team@clinic.example",
             "sender @localhost"),
            (HELO, USER, "team@web01", "recipient @web01")):
        s = env.smtp(helo)
        s.starttls(context=env.ctx)
        s.ehlo(helo)
        s.login(USER, PASS)
        check(code_of(lambda: s.sendmail(sender, [rcpt], "x\r\n")) == 504,
              "%s: 504" % what)
        s.quit()
    s = env.smtp("[127.0.0.1]")
    s.starttls(context=env.ctx)
    s.ehlo("[127.0.0.1]")
    s.login(USER, PASS)
    check(code_of(lambda: s.sendmail(USER, ["team@clinic.example"],
                                     "x\r\n")) == 250,
          "an address literal in EHLO is accepted")
    s.quit()


def test_down(env):
    env.ctl("POST", "/__mode", {"mode": "down"})
    check(code_of(lambda: smtplib.SMTP("127.0.0.1", env.port,
                                       local_hostname=HELO,
                                       timeout=5)) == 421,
          "down: 421 greeting")
    env.ctl("POST", "/__mode", {"mode": "ok"})


def main():
    env = Env()
    try:
        for t in (test_before_tls, test_tls_and_auth, test_xoauth2,
                  test_fqdn, test_down):
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

#!/usr/bin/env python3
"""A minimal SMTP submission server (RFC 5321 subset) that records what it
receives, as strict as Postfix's submission service.

    fake_smtp.py --port N [--portfile F] [--control-port M]
                 [--control-portfile F2] [--verbose]
                 [--tls-dir D [--implicit-tls] [--require-tls]]
                 [--user U [--password P] [--bearer T]]

Enough of RFC 5321 for libcurl's SMTP client, on 127.0.0.1: greeting 220;
EHLO (250 multi-line: 8BITMIME, SIZE, HELP, and STARTTLS / AUTH as below),
HELO, STARTTLS (RFC 3207), AUTH PLAIN / LOGIN / XOAUTH2 (RFC 4954, with or
without an initial response), MAIL FROM:<addr> [params], RCPT TO:<addr>
[params], DATA (354, read until a line ".", dot-stuffing undone), RSET,
NOOP, QUIT; any other command gets 502.  Commands out of sequence get 503.

Like Postfix (reject_non_fqdn_helo_hostname, reject_non_fqdn_sender,
reject_non_fqdn_recipient; smtpd_delay_reject, so at RCPT): an EHLO name
that is not a fully qualified domain (or an address literal), or a sender
or recipient whose domain is not, gets 504 5.5.2.

TLS (--tls-dir D): a test CA and a server certificate for 127.0.0.1 and
localhost (and --host) are made with openssl in D; D/ca.pem (what the client must
trust) is written before the port files.  STARTTLS is offered before TLS;
after it the session starts again (EHLO anew).  --implicit-tls: TLS from
the first byte (smtps) instead.  --require-tls (smtpd_tls_security_level
= encrypt): MAIL or AUTH before TLS gets 530 5.7.0 Must issue a STARTTLS
command first.  --no-starttls: the files are made but TLS is never
offered (a server that cannot encrypt, for clients that must refuse it).

AUTH (--user): advertised only once the session is under TLS when TLS is
configured (smtpd_tls_auth_only); AUTH before then gets 503 5.5.1; MAIL
before a successful AUTH gets 530 5.7.0 Authentication required; a wrong
password or token gets 535 5.7.8 (XOAUTH2: first 334 with the JSON error,
as Microsoft and Google answer, then 535 after the client's empty line).
--password enables PLAIN and LOGIN, --bearer XOAUTH2.

Each accepted message is recorded as {mail_from, rcpt_to: [...], data,
helo, mail_params, tls, auth_mech, auth_user, time}: data is the message
as received (line ends kept exactly as sent, so a bare LF shows;
dot-stuffing removed; without the terminating "."), decoded as UTF-8
(invalid bytes replaced).  A text line over 1000 octets (CRLF included)
or a message over 10 MiB gets 552.  Refusals are recorded too, as
{"code", "command"} in "refusals" (the command's verb only).

Control: a small HTTP server on 127.0.0.1, another port (--control-port, 0 =
free port; --control-portfile receives it):
    GET  /__stats  {"messages": [...], "count": n, "connections": n,
                    "refusals": [...], "mode": "..."}
    POST /__mode   {"mode": "ok" | "down"}   down: answer the greeting with
                   421 and close the connection
    POST /__reset  messages and counters cleared, mode ok

With --port 0 a free port is chosen; --portfile receives it.  Both port
files are written atomically once both sockets listen (the control one
first).  Only the Python standard library (socketserver, http.server,
ssl) and the openssl command.
"""

import argparse
import base64
import json
import os
import re
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import fakelib

MODES = ("ok", "down")
HOSTNAME = "fake-smtp.test"
MAX_LINE = 1000             # RFC 5321 4.5.3.1.6 text line, CRLF included
MAX_CMD = 512               # RFC 5321 4.5.3.1.4 command line
MAX_MESSAGE = 10 * 1024 * 1024
MAX_RCPT = 100
IDLE_TIMEOUT = 60

FQDN_RE = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                     r"[A-Za-z0-9])?\.)+(?:[A-Za-z0-9-]*[A-Za-z-][A-Za-z0-9-]*)$")
LITERAL_RE = re.compile(r"^\[(?:\d{1,3}\.){3}\d{1,3}\]$")


def fqdn(name):
    return bool(FQDN_RE.match(name)) and not name.endswith("-")


def fqdn_address(addr):
    local, at, domain = addr.rpartition("@")
    return bool(at) and bool(local) and fqdn(domain)


MAIL_RE = re.compile(r"^MAIL FROM:\s?<([^<>\s]*)>(?:\s+(.*))?$", re.I)
RCPT_RE = re.compile(r"^RCPT TO:\s?<([^<>\s]+)>(?:\s+(.*))?$", re.I)


class State:
    """Shared by all threads; every access holds the lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.mode = "ok"
        self.messages = []
        self.refusals = []
        self.connections = 0


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT

    def log(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_smtp: " + (fmt % args) + "\n")

    def reply(self, code, *lines):
        """One reply; several lines become a multi-line reply."""
        lines = lines or ("",)
        out = []
        for i, text in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out.append("%d%s%s\r\n" % (code, sep, text))
        data = "".join(out).encode("utf-8")
        self.log("S: %r", data)
        if code >= 400 and code != 421:
            st = self.server.state
            with st.lock:
                st.refusals.append({"code": code, "command": self.verb})
        self.wfile.write(data)
        self.wfile.flush()

    def readline(self, limit):
        """(content, line end, too_long) for the next line; content is None
        at EOF.  limit counts the CRLF; a longer line is discarded up to
        its end and flagged."""
        line = self.rfile.readline(limit + 1)
        if not line:
            return None, b"", False
        if not line.endswith(b"\n"):
            if len(line) > limit:
                while True:
                    more = self.rfile.readline(65536)
                    if not more or more.endswith(b"\n"):
                        break
                return b"", b"\r\n", True
            return line, b"", False             # EOF without a line end
        if line.endswith(b"\r\n"):
            content, end = line[:-2], b"\r\n"
        else:
            content, end = line[:-1], b"\n"
        return content, end, len(content) > limit - 2

    def reset_transaction(self):
        self.mail_from = None
        self.mail_params = ""
        self.rcpt_to = []

    def start_tls(self):
        """Wraps the connection in TLS; the session starts again."""
        conn = self.server.tls.wrap_socket(self.request, server_side=True)
        self.request = self.connection = conn
        self.rfile = conn.makefile("rb")
        self.wfile = conn.makefile("wb")
        self.tls = True
        self.helo = None
        self.auth_mech = self.auth_user = None
        self.reset_transaction()

    def handle(self):
        st = self.server.state
        with st.lock:
            st.connections += 1
            mode = st.mode
        self.verb = ""
        self.helo = None
        self.tls = False
        self.auth_mech = self.auth_user = None
        self.reset_transaction()
        try:
            if self.server.implicit_tls:
                self.start_tls()
            if mode == "down":
                self.reply(421, "4.3.2 %s Service not available, closing "
                           "transmission channel" % HOSTNAME)
                return
            self.reply(220, "%s ESMTP fake_smtp ready" % HOSTNAME)
            while True:
                raw, _, too_long = self.readline(MAX_CMD)
                if raw is None:
                    return
                if too_long:
                    self.reply(500, "5.5.2 Line too long")
                    continue
                line = raw.decode("utf-8", "replace")
                self.log("C: %r", line)
                if not self.command(line):
                    return
        except (socket.timeout, ConnectionError, BrokenPipeError,
                ssl.SSLError, OSError):
            return

    def auth_offered(self):
        return self.server.user is not None and (
            self.tls or self.server.tls is None)

    def mechanisms(self):
        out = []
        if self.server.password is not None:
            out += ["PLAIN", "LOGIN"]
        if self.server.bearer is not None:
            out.append("XOAUTH2")
        return out

    def read_b64(self):
        """The client's next line, base64-decoded; None when it cancels
        ("*"), EOF or not base64."""
        raw, _, _ = self.readline(MAX_CMD)
        if raw is None or raw.strip() == b"*":
            return None
        try:
            return base64.b64decode(raw.strip(), validate=True)
        except ValueError:
            return None

    def auth(self, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        initial = parts[1] if len(parts) > 1 else None
        if self.helo is None:
            self.reply(503, "5.5.1 Error: send HELO/EHLO first")
            return
        if not self.auth_offered():
            self.reply(503, "5.5.1 Error: authentication not enabled")
            return
        if self.auth_user is not None:
            self.reply(503, "5.5.1 Error: already authenticated")
            return
        if mech not in self.mechanisms():
            self.reply(535, "5.7.8 Error: authentication failed: "
                       "Invalid authentication mechanism")
            return

        def first():
            if initial is None:
                self.reply(334, "")
                return self.read_b64()
            if initial == "=":
                return b""
            try:
                return base64.b64decode(initial, validate=True)
            except ValueError:
                return None

        ok, user = False, None
        if mech == "PLAIN":
            blob = first()
            fields = blob.split(b"\0") if blob is not None else []
            if len(fields) == 3:
                user = fields[1].decode("utf-8", "replace")
                ok = (user == self.server.user and fields[2].decode(
                    "utf-8", "replace") == self.server.password)
        elif mech == "LOGIN":
            if initial is None:
                self.reply(334, base64.b64encode(b"Username:").decode())
                name = self.read_b64()
            else:
                name = first()
            if name is not None:
                self.reply(334, base64.b64encode(b"Password:").decode())
                pw = self.read_b64()
                user = name.decode("utf-8", "replace")
                ok = (pw is not None and user == self.server.user
                      and pw.decode("utf-8", "replace")
                      == self.server.password)
        else:                                   # XOAUTH2
            blob = first()
            m = re.match(rb"^user=([^\x01]+)\x01auth=Bearer ([^\x01]+)"
                         rb"\x01\x01$", blob or b"")
            if m:
                user = m.group(1).decode("utf-8", "replace")
                ok = (user == self.server.user and m.group(2).decode(
                    "utf-8", "replace") == self.server.bearer)
            if not ok:
                err = json.dumps({"status": "401", "schemes": "bearer",
                                  "scope": "https://mail.google.com/"})
                self.reply(334, base64.b64encode(err.encode()).decode())
                self.readline(MAX_CMD)          # the client's empty line
        if not ok:
            self.reply(535, "5.7.8 Error: authentication failed")
            return
        self.auth_mech, self.auth_user = mech, user
        self.reply(235, "2.7.0 Authentication successful")

    def command(self, line):
        """Handles one command line; False to close the connection."""
        verb = line.split(" ", 1)[0].upper()
        arg = line[len(verb):].strip()
        self.verb = verb
        srv = self.server
        if verb == "STARTTLS":
            if srv.tls is None or self.tls:
                self.reply(502, "5.5.1 Error: command not implemented")
            elif self.helo is None:
                self.reply(503, "5.5.1 Error: send HELO/EHLO first")
            else:
                self.reply(220, "2.0.0 Ready to start TLS")
                self.start_tls()
            return True
        if verb == "AUTH":
            self.auth(arg)
            return True
        if (verb == "MAIL" and srv.require_tls and not self.tls
                and self.helo is not None):
            self.reply(530, "5.7.0 Must issue a STARTTLS command first")
            return True
        if (verb == "MAIL" and srv.user is not None and self.auth_user is None
                and self.helo is not None):
            self.reply(530, "5.7.0 Authentication required")
            return True
        if verb == "EHLO" or verb == "HELO":
            if not arg:
                self.reply(501, "5.5.4 Syntax: %s hostname" % verb)
                return True
            self.helo = arg
            self.reset_transaction()
            if verb == "EHLO":
                ext = ["8BITMIME", "SIZE %d" % MAX_MESSAGE]
                if srv.tls is not None and not self.tls:
                    ext.append("STARTTLS")
                if self.auth_offered():
                    ext.append("AUTH " + " ".join(self.mechanisms()))
                self.reply(250, "%s Hello %s" % (HOSTNAME, arg), *ext,
                           "HELP")
            else:
                self.reply(250, "%s Hello %s" % (HOSTNAME, arg))
        elif verb == "MAIL":
            m = MAIL_RE.match(line)
            if self.helo is None:
                self.reply(503, "5.5.1 Error: send HELO/EHLO first")
            elif self.mail_from is not None:
                self.reply(503, "5.5.1 Error: nested MAIL command")
            elif not m:
                self.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
            else:
                size = re.search(r"(?i)\bSIZE=(\d+)", m.group(2) or "")
                if size and int(size.group(1)) > MAX_MESSAGE:
                    self.reply(552, "5.3.4 Message size exceeds fixed limit")
                    return True
                self.mail_from = m.group(1)
                self.mail_params = m.group(2) or ""
                self.reply(250, "2.1.0 Ok")
        elif verb == "RCPT":
            m = RCPT_RE.match(line)
            if self.mail_from is None:
                self.reply(503, "5.5.1 Error: need MAIL command")
            elif not m:
                self.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
            elif len(self.rcpt_to) >= MAX_RCPT:
                self.reply(452, "4.5.3 Error: too many recipients")
            elif not (fqdn(self.helo) or LITERAL_RE.match(self.helo)):
                self.reply(504, "5.5.2 <%s>: Helo command rejected: need "
                           "fully-qualified hostname" % self.helo)
            elif self.mail_from and not fqdn_address(self.mail_from):
                self.reply(504, "5.5.2 <%s>: Sender address rejected: need "
                           "fully-qualified address" % self.mail_from)
            elif not fqdn_address(m.group(1)):
                self.reply(504, "5.5.2 <%s>: Recipient address rejected: "
                           "need fully-qualified address" % m.group(1))
            else:
                self.rcpt_to.append(m.group(1))
                self.reply(250, "2.1.5 Ok")
        elif verb == "DATA":
            if arg:
                self.reply(501, "5.5.4 Syntax: DATA")
            elif self.mail_from is None or not self.rcpt_to:
                self.reply(503, "5.5.1 Error: need RCPT command")
            else:
                self.reply(354, "End data with <CR><LF>.<CR><LF>")
                return self.data()
        elif verb == "RSET":
            self.reset_transaction()
            self.reply(250, "2.0.0 Ok")
        elif verb == "NOOP":
            self.reply(250, "2.0.0 Ok")
        elif verb == "QUIT":
            self.reply(221, "2.0.0 Bye")
            return False
        else:
            self.reply(502, "5.5.2 Error: command not recognized")
        return True

    def data(self):
        """Reads the message up to the "." line; False on EOF."""
        st = self.server.state
        lines = []
        size = 0
        too_big = False
        while True:
            raw, end, too_long = self.readline(MAX_LINE)
            if raw is None:
                return False
            if raw == b"." and end:
                break
            if too_long:
                too_big = True       # RFC 5321: 500 after the data ends
                continue
            if raw.startswith(b"."):
                raw = raw[1:]        # undo dot-stuffing
            size += len(raw) + len(end)
            if size > MAX_MESSAGE:
                too_big = True
                continue
            lines.append(raw + end)
        if too_big:
            self.reset_transaction()
            self.reply(552, "5.3.4 Message too big or line too long")
            return True
        data = b"".join(lines)
        record = {
            "mail_from": self.mail_from,
            "rcpt_to": list(self.rcpt_to),
            "data": data.decode("utf-8", "replace"),
            "helo": self.helo,
            "mail_params": self.mail_params,
            "tls": self.tls,
            "auth_mech": self.auth_mech,
            "auth_user": self.auth_user,
            "time": time.time(),
        }
        with st.lock:
            st.messages.append(record)
            n = len(st.messages)
        self.reset_transaction()
        self.reply(250, "2.0.0 Ok: queued as %d" % n)
        return True


class SMTPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-smtp-control/1.0"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_smtp control: %s\n" % (fmt % args))

    def send(self, status, payload):
        fakelib.reply_json(self, status, payload)

    def body(self):
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > 65536:
            self.close_connection = True
            return None
        return self.rfile.read(n)

    def do_GET(self):
        st = self.server.state
        if self.path == "/__stats":
            with st.lock:
                msgs = list(st.messages)
                out = {"messages": msgs, "count": len(msgs),
                       "connections": st.connections,
                       "refusals": list(st.refusals), "mode": st.mode}
            self.send(200, out)
        else:
            self.send(404, {"error": "unknown control endpoint"})

    def do_POST(self):
        st = self.server.state
        body = self.body()
        if self.path == "/__reset":
            with st.lock:
                st.reset()
            self.send(200, {"ok": True})
        elif self.path == "/__mode":
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




def make_tls(d, host):
    """A test CA and a server certificate signed by it (127.0.0.1,
    localhost and host), made with openssl in d; d/ca.pem is written
    last."""
    os.makedirs(d, exist_ok=True)

    def run(*cmd):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    j = lambda n: os.path.join(d, n)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-days", "2", "-subj", "/CN=fake_smtp test CA",
        "-keyout", j("ca.key"), "-out", j("ca.tmp"))
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes",
        "-subj", "/CN=localhost", "-keyout", j("server.key"),
        "-out", j("server.csr"))
    with open(j("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost%s\n"
                "extendedKeyUsage=serverAuth\n"
                % ("" if host == "127.0.0.1" else ",IP:" + host))
    run("openssl", "x509", "-req", "-in", j("server.csr"), "-CA",
        j("ca.tmp"), "-CAkey", j("ca.key"), "-CAcreateserial", "-days", "2",
        "-extfile", j("ext.cnf"), "-out", j("server.pem"))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(j("server.pem"), j("server.key"))
    os.replace(j("ca.tmp"), j("ca.pem"))
    return ctx


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--portfile")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--control-portfile")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--tls-dir")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--require-tls", action="store_true")
    ap.add_argument("--no-starttls", action="store_true")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--bearer")
    args = ap.parse_args()
    if (args.implicit_tls or args.require_tls) and not args.tls_dir:
        ap.error("--implicit-tls and --require-tls need --tls-dir")
    if args.user is None and (args.password or args.bearer):
        ap.error("--password and --bearer need --user")

    state = State()
    smtp = SMTPServer((args.host, args.port), SMTPHandler)
    smtp.state = state
    smtp.verbose = args.verbose
    smtp.tls = make_tls(args.tls_dir, args.host) if args.tls_dir else None
    if args.no_starttls:
        smtp.tls = None     # the certificate exists; TLS is never offered
    smtp.implicit_tls = args.implicit_tls
    smtp.require_tls = args.require_tls
    smtp.user = args.user
    smtp.password = args.password
    smtp.bearer = args.bearer
    ctl = fakelib.Server(("127.0.0.1", args.control_port), ControlHandler)
    ctl.state = state
    ctl.verbose = args.verbose
    port = smtp.server_address[1]
    cport = ctl.server_address[1]

    t = threading.Thread(target=ctl.serve_forever, kwargs={
        "poll_interval": 0.2}, daemon=True)
    t.start()
    if args.control_portfile:
        fakelib.write_portfile(args.control_portfile, cport)
    if args.portfile:
        fakelib.write_portfile(args.portfile, port)
    if args.verbose:
        sys.stderr.write("fake_smtp: SMTP on %s:%d, control on %s:%d\n"
                         % (args.host, port, args.host, cport))

    def stop_control():
        ctl.shutdown()
        ctl.server_close()

    fakelib.serve_until_term(smtp, stop_control)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A minimal SMTP server (RFC 5321 subset) that records what it receives.

    fake_smtp.py --port N [--portfile F] [--control-port M]
                 [--control-portfile F2] [--verbose]

Enough of RFC 5321 for libcurl's SMTP client, on 127.0.0.1, no TLS, no
AUTH: greeting 220; EHLO (250 multi-line: 8BITMIME, SIZE, HELP; no
STARTTLS), HELO, MAIL FROM:<addr> [params], RCPT TO:<addr> [params], DATA
(354, read until a line ".", dot-stuffing undone), RSET, NOOP, QUIT; any
other command gets 502.  Commands out of sequence get 503.  The null
reverse-path MAIL FROM:<> is accepted.

Each accepted message is recorded as {mail_from, rcpt_to: [...], data,
helo, mail_params, time}: data is the message as received (line ends
kept exactly as sent, so a bare LF shows; dot-stuffing removed; without
the terminating "."), decoded as UTF-8 (invalid bytes replaced).  A text
line over 1000 octets (CRLF included) or a message over 10 MiB gets 552.

Control: a small HTTP server on another port (--control-port, default 0 =
free port; --control-portfile receives it):
    GET  /__stats  {"messages": [...], "count": n, "connections": n,
                    "mode": "..."}
    POST /__mode   {"mode": "ok" | "down"}   down: answer the greeting with
                   421 and close the connection
    POST /__reset  messages and counters cleared, mode ok

With --port 0 a free port is chosen; --portfile receives it.  Both port
files are written atomically once both sockets listen (the control one
first).  Only the Python standard library (socketserver, http.server).
"""

import argparse
import json
import re
import socket
import socketserver
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

    def handle(self):
        st = self.server.state
        with st.lock:
            st.connections += 1
            mode = st.mode
        self.helo = None
        self.reset_transaction()
        try:
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
        except (socket.timeout, ConnectionError, BrokenPipeError):
            return

    def command(self, line):
        """Handles one command line; False to close the connection."""
        verb = line.split(" ", 1)[0].upper()
        arg = line[len(verb):].strip()
        if verb == "EHLO" or verb == "HELO":
            if not arg:
                self.reply(501, "5.5.4 Syntax: %s hostname" % verb)
                return True
            self.helo = arg
            self.reset_transaction()
            if verb == "EHLO":
                self.reply(250, "%s Hello %s" % (HOSTNAME, arg), "8BITMIME",
                           "SIZE %d" % MAX_MESSAGE, "HELP")
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
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

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
                       "connections": st.connections, "mode": st.mode}
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




def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--portfile")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--control-portfile")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    state = State()
    smtp = SMTPServer((args.host, args.port), SMTPHandler)
    smtp.state = state
    smtp.verbose = args.verbose
    ctl = fakelib.Server((args.host, args.control_port), ControlHandler)
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

#!/usr/bin/env python3
"""A fake OpenAI-compatible chat-completions API (Groq's URL shape).

    fake_llm.py --port N --key KEY --model MODEL [--portfile F] [--verbose]

Serves POST /openai/v1/chat/completions on 127.0.0.1 and checks every
request strictly: the path, "Authorization: Bearer KEY", a JSON
Content-Type, and a JSON body whose "model" is MODEL and whose "messages"
are a "system" then a "user" message ({role, content} strings), the user
message quoting source [S1].  A request that breaks a rule gets a 400 with
an OpenAI-style error body and is recorded as a violation.

Control endpoints (not counted as requests):
    POST /__mode   {"mode": "good" | "offcontext" | "noanswer" | "hang" |
                    "429" | "429once" | "500" | "500once" | "badjson" |
                    "length" | "401"}
    GET  /__stats  {"requests": n, "violations": [...], "last_request": {...},
                    "mode": "..."}
    POST /__reset  counters, violations and last request cleared, mode good

Modes:
    good        the first sentence of source [S1] followed by " [S1]"
    offcontext  "You should take 400mg of ibuprofen twice a day [S1]."
    noanswer    "NO_ANSWER"
    hang        sleeps 30 s, then answers as good (other requests proceed)
    429, 500    that status (429 with "retry-after: 1") and an error body
    429once,    the first chat request after the mode was set gets 429/500,
    500once     later ones are answered as good
    badjson     200 with the body "not json"
    length      the good answer cut off after its third word, with
                finish_reason "length" (max_completion_tokens reached)
    401         401 {"error": {"message": "Invalid API Key", "type":
                "invalid_request_error", "code": "invalid_api_key"}}

Requests must also carry "max_completion_tokens" (a positive integer; the
older "max_tokens" is refused, as it is deprecated).

With --port 0 a free port is chosen; --portfile receives it (written
atomically once the socket listens).  Only the Python standard library.
"""

import argparse
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

import fakelib

CHAT_PATH = "/openai/v1/chat/completions"
MODES = ("good", "offcontext", "noanswer", "hang", "429", "429once",
         "500", "500once", "badjson", "length", "401")
OFFCONTEXT = "You should take 400mg of ibuprofen twice a day [S1]."
HANG_SECONDS = 30
MAX_BODY = 4 * 1024 * 1024


class State:
    """Shared by all handler threads; every access holds the lock."""

    def __init__(self, key, model):
        self.key = key
        self.model = model
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.mode = "good"
        self.once_pending = False
        self.requests = 0
        self.violations = []
        self.last_request = None


def first_sentence_of_s1(user_content):
    """The first sentence of the text of source [S1] in the user message,
    which lists sources as "[Sn] <title>\\n<text>"."""
    m = re.search(r"(?m)^\s*\[S1\][ \t]*(.*)$", user_content)
    if not m:
        return ""
    rest = user_content[m.end():]
    end = re.search(r"(?m)^\s*(\[S\d+\]|Question:)", rest)
    if end:
        rest = rest[:end.start()]
    text = rest.strip() or m.group(1).strip()
    # The first paragraph, Markdown list markers and headings dropped.
    para = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    lines = [re.sub(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|#+\s*|>\s*)", "", ln)
             for ln in para.splitlines()]
    flat = " ".join(ln.strip() for ln in lines if ln.strip())
    parts = re.split(r"(?<=[.!?])\s+", flat, maxsplit=1)
    return parts[0].strip() if parts else ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-llm/1.0"

    # --- plumbing -------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_llm: %s - %s\n"
                             % (self.address_string(), fmt % args))

    def read_body(self):
        """The request body as bytes, or None when it cannot be read."""
        return fakelib.read_body(self, MAX_BODY)

    def send(self, status, payload, extra_headers=None, raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra_headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_error_json(self, status, message, etype, code=None,
                        extra_headers=None):
        err = {"message": message, "type": etype}
        if code:
            err["code"] = code
        self.send(status, {"error": err}, extra_headers)

    # --- control endpoints ------------------------------------------------

    def control(self, method, body):
        st = self.server.state
        if self.path == "/__stats" and method == "GET":
            with st.lock:
                out = {"requests": st.requests,
                       "violations": list(st.violations),
                       "last_request": st.last_request,
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
                self.send_error_json(400, "mode must be one of: "
                                     + ", ".join(MODES),
                                     "invalid_request_error")
                return
            with st.lock:
                st.mode = mode
                st.once_pending = mode in ("429once", "500once")
            self.send(200, {"mode": mode})
        else:
            self.send_error_json(404, "unknown control endpoint",
                                 "invalid_request_error")

    # --- the chat completions endpoint -----------------------------------

    def check(self, method, body):
        """(violation or None, parsed body or None)."""
        st = self.server.state
        if method != "POST":
            return "method %s not allowed" % method, None
        if self.path != CHAT_PATH:
            return "unexpected path %r" % self.path, None
        if self.headers.get("Authorization") != "Bearer " + st.key:
            return "missing or wrong Authorization header", None
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            return "Content-Type %r is not application/json" % ctype, None
        if body is None:
            return "unreadable or oversized body", None
        try:
            req = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return "body is not valid JSON", None
        if not isinstance(req, dict):
            return "body is not a JSON object", req
        if req.get("model") != st.model:
            return "model %r is not %r" % (req.get("model"), st.model), req
        mct = req.get("max_completion_tokens")
        if type(mct) is not int or mct < 1 or "max_tokens" in req:
            return ("max_completion_tokens must be a positive integer (and "
                    "max_tokens absent)"), req
        msgs = req.get("messages")
        if not isinstance(msgs, list):
            return "messages is not a list", req
        for m in msgs:
            if (not isinstance(m, dict)
                    or not isinstance(m.get("role"), str)
                    or not isinstance(m.get("content"), str)):
                return "every message needs string role and content", req
        roles = [m["role"] for m in msgs]
        if roles != ["system", "user"]:
            return "messages must be system then user, got %r" % roles, req
        if "[S1]" not in msgs[1]["content"]:
            return "user message does not contain [S1]", req
        return None, req

    def completion(self, model, content, req, finish="stop"):
        words = sum(len(m.get("content", "").split())
                    for m in req.get("messages", []))
        out_words = len(content.split())
        return {
            "id": "chatcmpl-" + uuid.uuid4().hex,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": finish,
            }],
            "usage": {"prompt_tokens": words,
                      "completion_tokens": out_words,
                      "total_tokens": words + out_words},
        }

    def chat(self, method, body):
        st = self.server.state
        violation, req = self.check(method, body)
        with st.lock:
            st.requests += 1
            st.last_request = req
            if violation:
                st.violations.append(violation)
            mode = st.mode
            if not violation and st.once_pending:
                st.once_pending = False
            elif mode in ("429once", "500once"):
                mode = "good"
        if violation:
            self.send_error_json(400, violation, "invalid_request_error")
            return
        if mode in ("429", "429once"):
            self.send_error_json(
                429, "Rate limit reached for model %s. Please try again in "
                "1s." % st.model, "requests", "rate_limit_exceeded",
                {"retry-after": "1"})
            return
        if mode in ("500", "500once"):
            self.send_error_json(500, "Internal server error",
                                 "internal_server_error")
            return
        if mode == "401":
            self.send_error_json(401, "Invalid API Key",
                                 "invalid_request_error", "invalid_api_key")
            return
        if mode == "badjson":
            self.send(200, None, raw=b"not json")
            return
        if mode == "hang":
            time.sleep(HANG_SECONDS)
        if mode == "offcontext":
            content = OFFCONTEXT
        elif mode == "noanswer":
            content = "NO_ANSWER"
        else:
            content = first_sentence_of_s1(req["messages"][1]["content"])
            content = (content + " [S1]").strip()
        if mode == "length":
            content = " ".join(content.split()[:3])
            self.send(200, self.completion(st.model, content, req, "length"))
            return
        self.send(200, self.completion(st.model, content, req))

    # --- dispatch ---------------------------------------------------------

    def dispatch(self, method):
        body = self.read_body()
        if body is None:
            self.close_connection = True
        if self.path in ("/__mode", "/__stats", "/__reset"):
            self.control(method, body)
        else:
            self.chat(method, body)

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
    ap.add_argument("--key", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--portfile")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    srv = fakelib.Server((args.host, args.port), Handler)
    srv.state = State(args.key, args.model)
    srv.verbose = args.verbose
    port = srv.server_address[1]
    if args.portfile:
        fakelib.write_portfile(args.portfile, port)
    if args.verbose:
        sys.stderr.write("fake_llm: listening on %s:%d\n" % (args.host, port))

    fakelib.serve_until_term(srv)


if __name__ == "__main__":
    main()

"""Plumbing shared by the fake services in tests/fakes (standard library
only): the request-body reader, the threaded HTTP server, the port file
and the serve-until-SIGTERM loop."""

import json
import os
import signal
from http.server import ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def read_body(handler, max_body):
    """The request body of a BaseHTTPRequestHandler as bytes (chunked or
    Content-Length), or None when it cannot be read or exceeds max_body."""
    te = handler.headers.get("Transfer-Encoding", "")
    if te.lower() == "chunked":
        chunks = []
        total = 0
        while True:
            line = handler.rfile.readline(1024)
            if not line:
                return None
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while handler.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                           b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > max_body:
                return None
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline(1024)
    length = handler.headers.get("Content-Length")
    if length is None:
        return b""
    try:
        n = int(length)
    except ValueError:
        return None
    if n < 0 or n > max_body:
        return None
    return handler.rfile.read(n)


def reply(handler, status, body, ctype, headers=None):
    """Answer a BaseHTTPRequestHandler's request: status, Content-Type,
    Content-Length, the extra headers (a dict) and body (bytes).  A client
    that went away is not an error: the connection is closed."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


def reply_json(handler, status, payload):
    """reply() with payload as JSON."""
    reply(handler, status, json.dumps(payload).encode(), "application/json")


def write_portfile(path, port):
    """Write the port atomically (the harness polls for the file)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def serve_until_term(srv, cleanup=None):
    """Serve until SIGTERM or Ctrl-C, then close (and run cleanup)."""
    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if cleanup:
            cleanup()
        srv.server_close()

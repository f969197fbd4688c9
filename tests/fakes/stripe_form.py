"""Stripe's request conventions for tests/fakes/fake_stripe.py (Python
standard library only): the error type with Stripe's error shape, the
bracket-notation form parser (a[b][0][c]=v -> {"a":{"b":[{"c":"v"}]}}),
a schema check that names unknown parameters as Stripe does, and the
small parameter checks (integers, required parameters, URLs, metadata
limits)."""

import re
import urllib.parse

INT_RE = re.compile(r"^-?[0-9]+$")
KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
META = "metadata"   # schema marker: a hash of strings with Stripe's limits

class StripeError(Exception):
    """An API error.  saved: execution had begun, so the answer is kept
    under the idempotency key."""

    def __init__(self, status, message, code=None, param=None,
                 etype="invalid_request_error", saved=False):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.param, self.etype, self.saved = param, etype, saved
        self.retry_after = None

    def payload(self):
        err = {"type": self.etype, "message": self.message}
        if self.code:
            err["code"] = self.code
        if self.param:
            err["param"] = self.param
        return {"error": err}


def bad(message, code="parameter_invalid", param=None):
    return StripeError(400, message, code, param)


# --- form parsing (Stripe's bracket notation) --------------------------------

def parse_form(body):
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True,
                                       strict_parsing=True,
                                       errors="strict") if text else []
    except (UnicodeDecodeError, ValueError) as ex:
        raise bad("The request body is not a valid form: %s" % ex,
                  "parameter_invalid")
    root, seen = {}, set()
    for key, value in pairs:
        if key in seen:
            raise bad("Received parameter twice: %s" % key,
                      "parameter_duplicate", key)
        seen.add(key)
        m = KEY_RE.match(key)
        if not m:
            raise bad("Invalid parameter name: %s" % key, param=key)
        segs = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        if "" in segs:
            raise bad("Empty brackets are not taken here: %s" % key,
                      param=key)
        node = root
        for seg in segs[:-1]:
            node = node.setdefault(seg, {})
            if not isinstance(node, dict):
                raise bad("Parameter %s is both a value and a hash" % key,
                          param=key)
        if segs[-1] in node:
            raise bad("Parameter %s is both a value and a hash" % key,
                      param=key)
        node[segs[-1]] = value
    return listify(root, "", False)


def listify(node, name, is_meta):
    """Hashes whose keys are all integers become lists (indices 0..n-1);
    the keys of a metadata hash stay strings."""
    if not isinstance(node, dict):
        return node
    out = {k: listify(v, "%s[%s]" % (name, k) if name else k,
                      k == "metadata") for k, v in node.items()}
    if is_meta or not out or not all(k.isdigit() for k in out):
        return out
    idx = sorted(int(k) for k in out)
    if idx != list(range(len(idx))) or any(
            k != str(int(k)) for k in out):
        raise bad("Invalid array: the indices of %s must be 0..%d without "
                  "gaps" % (name, len(idx) - 1), param=name)
    return [out[str(i)] for i in idx]


def check_schema(value, schema, name):
    if schema is str:
        if not isinstance(value, str):
            raise bad("Invalid string: %s must be a plain value" % name,
                      "parameter_invalid_string", name)
    elif schema == META:
        check_metadata(value, name)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            raise bad("Invalid array: %s" % name, param=name)
        for i, item in enumerate(value):
            check_schema(item, schema[0], "%s[%d]" % (name, i))
    else:
        if not isinstance(value, dict):
            raise bad("Invalid hash: %s" % (name or "body"), param=name)
        for k, v in value.items():
            sub = "%s[%s]" % (name, k) if name else k
            if k not in schema:
                raise bad("Received unknown parameter: %s" % sub,
                          "parameter_unknown", sub)
            check_schema(v, schema[k], sub)


def check_metadata(value, name):
    if not isinstance(value, dict):
        raise bad("Invalid hash: %s" % name, param=name)
    if len(value) > 50:
        raise bad("Invalid %s: at most 50 keys" % name, param=name)
    for k, v in value.items():
        if not isinstance(v, str):
            raise bad("Invalid value for %s[%s]: metadata values are "
                      "strings" % (name, k), param="%s[%s]" % (name, k))
        if len(k) > 40:
            raise bad("Invalid %s: keys are at most 40 characters" % name,
                      param="%s[%s]" % (name, k))
        if len(v) > 500:
            raise bad("Invalid %s: values are at most 500 characters"
                      % name, param="%s[%s]" % (name, k))


def get_int(value, name, lo=None, hi=None):
    if not isinstance(value, str) or not INT_RE.match(value):
        raise bad("Invalid integer: %s" % value,
                  "parameter_invalid_integer", name)
    n = int(value)
    if lo is not None and n < lo:
        raise bad("Invalid integer: %s (%s must be at least %d)"
                  % (value, name, lo), "parameter_invalid_integer", name)
    if hi is not None and n > hi:
        raise bad("Invalid integer: %s (%s must be at most %d)"
                  % (value, name, hi), "parameter_invalid_integer", name)
    return n


def required(form, *path):
    """form[path[0]][path[1]]..., or 400 parameter_missing naming the
    whole path (also when a hash on the way is absent)."""
    name = path[0] + "".join("[%s]" % p for p in path[1:])
    node = form
    for p in path:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            node = None
        if node is None or node == "":
            raise bad("Missing required param: %s." % name,
                      "parameter_missing", name)
    return node


def check_url(value, name):
    u = urllib.parse.urlsplit(value)
    if u.scheme not in ("http", "https") or not u.netloc or len(value) > 5000:
        raise bad("Not a valid URL", "url_invalid", name)


def clean_meta(m):
    return {k: v for k, v in (m or {}).items() if v != ""}


# --- state -------------------------------------------------------------------

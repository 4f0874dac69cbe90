#!/usr/bin/env python3
"""End-to-end checks of shortlink-server's HTTP API (/api/v1), with Python's standard
library only, against a running server and the test cluster (tests/api/run.sh starts both
and sets the environment below). Each check prints `ok   name` or
`FAIL name: want ..., got ...` with the request and the answer; the last line is
`N passed, N failed`, and the exit status is 1 on any failure.

Environment: SL_API_URL, SL_REDIRECT_URL, SL_ADMIN_URL (http://127.0.0.1:PORT);
SL_FIXTURES (JSON: domains and the keys run.sh made); SL_PSQL (psql's command line as
the superuser, one argument a line); SL_API_ROLE; SL_SECRETS_OUT (every key secret this
program sees is appended there, for the log check); SL_HEADER_TIMEOUT,
SL_MAX_HEADER_BYTES, SL_MAX_CONNECTIONS (the server's limits).
"""

import base64
import html
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

API = urllib.parse.urlsplit(os.environ["SL_API_URL"])
REDIRECT = urllib.parse.urlsplit(os.environ["SL_REDIRECT_URL"])
ADMIN = urllib.parse.urlsplit(os.environ["SL_ADMIN_URL"])
FIXTURES = json.load(open(os.environ["SL_FIXTURES"]))
PSQL = os.environ["SL_PSQL"].splitlines()
SECRETS_OUT = os.environ["SL_SECRETS_OUT"]
HEADER_TIMEOUT = float(os.environ.get("SL_HEADER_TIMEOUT", "2"))
MAX_HEADER_BYTES = int(os.environ.get("SL_MAX_HEADER_BYTES", "16384"))
MAX_CONNECTIONS = int(os.environ.get("SL_MAX_CONNECTIONS", "48"))

A, A2, B = FIXTURES["domains"]["a"], FIXTURES["domains"]["a2"], FIXTURES["domains"]["b"]
KEYS = FIXTURES["keys"]
RUN = str(int(time.time()))
STARTED = dt.datetime.now(dt.timezone.utc).isoformat()
V1 = "/api/v1"
PROBLEM = "application/problem+json"
SECRET_RE = re.compile(r"sl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}")
NOWHERE = 999999999  # an id no link or key has
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

passed = failed = 0
lock = threading.Lock()
# Every answer from the API: (method, path, status, had a key, rate-limit headers present).
ANSWERS = []


def secret(name):
    return KEYS[name]["secret"]


def remember_secret(s):
    if not s:
        return
    with open(SECRETS_OUT, "a") as f:
        f.write(s + "\n")


for k in KEYS.values():
    remember_secret(k["secret"])


class Resp:
    """One HTTP exchange: what was asked and what came back."""

    def __init__(self, method, path, req_body, status, headers, body):
        self.method, self.path, self.req_body = method, path, req_body
        self.status, self.headers, self.body = status, headers, body
        self._json = ...

    def h(self, name):
        return self.headers.get(name)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def json(self):
        if self._json is ...:
            try:
                self._json = json.loads(self.body)
            except Exception:
                self._json = None
        return self._json

    def get(self, *path):
        v = self.json
        for p in path:
            try:
                v = v[p]
            except Exception:
                return None
        return v

    def __str__(self):
        req = self.req_body
        if isinstance(req, (bytes, bytearray)):
            req = req[:200].decode("utf-8", "replace") + ("…" if len(req) > 200 else "")
        body = self.body[:400].decode("utf-8", "replace") + ("…" if len(self.body) > 400 else "")
        return f"{self.method} {self.path} {req or ''} -> {self.status} {self.h('content-type')} {body}"


def call(method, path, key=None, body=None, raw=None, headers=None, base=API, timeout=60,
         content_type="application/json"):
    """One request on a connection of its own. key: a fixture key name or a secret."""
    hdrs = {"Connection": "close"}
    if key is not None:
        hdrs["Authorization"] = "Bearer " + (KEYS[key]["secret"] if key in KEYS else key)
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None and content_type is not None:
        hdrs["Content-Type"] = content_type
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        out = Resp(method, path, data, r.status, r.headers, r.read())
    finally:
        conn.close()
    if base is API:
        with lock:
            ANSWERS.append((method, path, out.status, key is not None,
                            all(out.h(h) is not None for h in
                                ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))))
    return out


def q(path, **params):
    """path?params, None values left out."""
    params = {k: v for k, v in params.items() if v is not None}
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def check(name, want, got, r=None):
    global passed, failed
    with lock:
        if want == got:
            print(f"ok   {name}")
            passed += 1
        else:
            print(f"FAIL {name}: want {want!r}, got {got!r}" + (f"\n     {r}" if r is not None else ""))
            failed += 1
    return want == got


def check_in(name, allowed, got, r=None):
    """got must be one of allowed (where the contract leaves the choice open)."""
    return check(name, "/".join(map(str, sorted(allowed))), "/".join(map(str, sorted(allowed))) if got in allowed else got, r)


def problem(name, r, status):
    """r is an RFC 9457 problem document with this status (or one of a set of them)."""
    statuses = set(status) if isinstance(status, (set, tuple)) else {status}
    allowed = "/".join(map(str, sorted(statuses)))
    shape = ((r.h("content-type") or "").startswith(PROBLEM) and isinstance(r.json, dict)
             and r.get("status") == r.status and isinstance(r.get("title"), str) and "type" in r.json)
    got = f"{allowed if r.status in statuses else r.status} {'problem+json' if shape else 'not problem+json'}"
    return check(name, f"{allowed} problem+json", got, r)


def sql(query, role=None):
    cmd = list(PSQL)
    if role:
        cmd[cmd.index("-U") + 1] = role
    out = subprocess.run(cmd + ["-c", query], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def sql_key(name, opts):
    """A key of workspace e2e_a made in SQL (named for this run): (id, secret)."""
    row = sql(f"SELECT id || ' ' || secret FROM shortlink.create_api_key('e2e_a', '{name}-{RUN}', "
              f"'{json.dumps(opts)}')")
    kid, secret = row.split()
    remember_secret(secret)
    return kid, secret


def iso(t):
    return t.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")) if isinstance(s, str) else None


def now():
    return dt.datetime.now(dt.timezone.utc)


def slug(name):
    return f"{name}-{RUN}"


def create(key, body, name=None):
    r = call("POST", f"{V1}/links", key, body)
    if name:
        check(name, 201, r.status, r)
    return r


def link_count(where):
    return int(sql(f"SELECT count(*) FROM shortlink.links WHERE {where}"))


def workspace_links(domains):
    ds = ",".join(f"'{d}'" for d in domains)
    return {int(x) for x in sql(f"SELECT id FROM shortlink.links WHERE domain IN ({ds})").split()}


def click(code, domain, ip=None, ua=BROWSER, referer=None, country=None, n=1):
    ipv = f"'{ip}'::inet" if ip else "NULL"
    ref = f"'{referer}'" if referer else "NULL"
    cty = f"'{country}'" if country else "NULL"
    sql(f"SELECT count((shortlink.record_click('{code}', '{domain}', {ipv}, '{ua}', {ref}, {cty}, "
        f"NULL, NULL)).status) FROM generate_series(1, {n})")


def walk(key, path, **params):
    """Every link through cursor paging: (ids in order, pages, the last answer)."""
    ids, cursor, pages = [], None, 0
    while True:
        r = call("GET", q(path, cursor=cursor, **params), key)
        pages += 1
        if r.status != 200 or not isinstance(r.get("data"), list):
            return ids, pages, r
        ids += [x.get("id") for x in r.json["data"]]
        cursor = r.get("nextCursor")
        if cursor is None or pages > 1000:
            return ids, pages, r


SECTIONS = []


def section(fn):
    SECTIONS.append(fn)
    return fn


# ---------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/links"), ("post", "/links"), ("get", "/links/count"), ("get", "/links/info"),
    ("post", "/links/bulk"), ("patch", "/links/bulk"), ("delete", "/links/bulk"),
    ("get", "/links/{}"), ("patch", "/links/{}"), ("delete", "/links/{}"),
    ("post", "/links/{}/disable"), ("post", "/links/{}/enable"), ("get", "/links/{}/qr"),
    ("get", "/analytics"), ("get", "/events"),
    ("get", "/domains"), ("post", "/domains"), ("delete", "/domains/{}"),
    ("get", "/keys"), ("post", "/keys"), ("get", "/keys/{}"), ("delete", "/keys/{}"),
]


@section
def openapi():
    """GET /api/v1/openapi.json: OpenAPI 3.1, every route, no key needed"""
    r = call("GET", f"{V1}/openapi.json")
    check("openapi.json without a key: 200", 200, r.status, r)
    check("… JSON", True, (r.h("content-type") or "").startswith("application/json") and r.json is not None)
    doc = r.json or {}
    check("… OpenAPI 3.1", "3.1", str(doc.get("openapi", ""))[:3])
    base = ""
    servers = doc.get("servers") or []
    if servers:
        base = urllib.parse.urlsplit(servers[0].get("url", "")).path.rstrip("/")
    have = set()
    for p, ops in (doc.get("paths") or {}).items():
        full = re.sub(r"\{[^}]*\}", "{}", base + p)
        if full.startswith(V1):
            full = full[len(V1):]
        for m in ops:
            if m.lower() in ("get", "post", "put", "patch", "delete", "head", "options"):
                have.add((m.lower(), full))
    check("… documents every route of the API", [], [f"{m.upper()} {V1}{p}" for m, p in ROUTES if (m, p) not in have])
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    check("… declares the bearer key scheme", True,
          any(s.get("type") == "http" and str(s.get("scheme", "")).lower() == "bearer" for s in schemes.values()))


@section
def authentication():
    """Authorization: Bearer: missing, malformed, unknown keys get 401 problems"""
    problem("no Authorization header: 401", call("GET", f"{V1}/links"), 401)
    problem("a key that does not exist (well formed): 401",
            call("GET", f"{V1}/links", "sl_ABCDEFGH_" + "x" * 43), 401)
    problem("a malformed key: 401", call("GET", f"{V1}/links", "not-a-key"), 401)
    problem("a real key with a character changed: 401",
            call("GET", f"{V1}/links", secret("a-admin")[:-1] + ("A" if secret("a-admin")[-1] != "A" else "B")), 401)
    problem("Basic instead of Bearer: 401",
            call("GET", f"{V1}/links", headers={"Authorization": "Basic " + secret("a-admin")}), 401)
    problem("Bearer with nothing after it: 401",
            call("GET", f"{V1}/links", headers={"Authorization": "Bearer "}), 401)
    r = call("GET", f"{V1}/links", "a-admin")
    check("a good key: 200", 200, r.status, r)
    for path in ("/links/1", "/analytics?groupBy=count", "/events?format=ndjson", "/domains", "/keys"):
        problem(f"no key on GET {V1}{path}: 401", call("GET", V1 + path), 401)
    problem("no key on POST /links: 401", call("POST", f"{V1}/links", body={"url": "https://example.com/"}), 401)


LINK_KEYS = ["id", "domain", "code", "shortUrl", "url", "linkType", "redirectType", "title",
             "description", "image", "tags", "cloaked", "passwordProtected", "forwardParameters",
             "blockBots", "metaPixelId", "googleTagId", "webhookUrls", "callbackUrl", "expiredUrl",
             "expiresAt", "expired", "maxClicks", "disabled", "tracking", "metadata", "clicks",
             "botClicks", "uniqueVisitors", "lastClickedAt", "createdAt", "updatedAt", "qrCode"]


@section
def create_links():
    """POST /api/v1/links: every field of the body, and the link object"""
    expires = now() + dt.timedelta(days=1)
    body = {
        "url": "https://example.com/full?x=1", "domain": A, "customSlug": slug("full"),
        "title": "Full <title>", "description": "Every field", "image": "https://img.example.com/a.png",
        "redirectType": "PERMANENT_301", "linkType": "URL", "cloaked": True, "password": "open sesame 7731",
        "expiresAt": iso(expires), "maxClicks": 100, "tagIds": ["tid-1", "red"],
        "forwardParameters": True, "blockBots": True, "utmSource": "news", "utmMedium": "email",
        "utmCampaign": "spring", "utmTerm": "shoes", "utmContent": "banner",
        "metaPixelId": "123456789012345", "googleTagId": "G-ABC123",
        "webhookUrls": ["https://hooks.example.com/a"], "metadata": {"k": "v", "n": 1},
        "expiredUrl": "https://example.com/gone", "callbackUrl": "https://hooks.example.com/cb",
        "customField": "cf", "dltHeader": "ACME", "contactPhone": "+1 415-555-0123",
    }
    r = create("a-admin", body, "every field: 201")
    L = r.json or {}
    check("… the link object has every field", [], [k for k in LINK_KEYS if k not in L], r)
    check("… id is an integer", True, isinstance(L.get("id"), int) and not isinstance(L.get("id"), bool))
    check("… domain and code", (A, slug("full")), (L.get("domain"), L.get("code")))
    check("… shortUrl ends with domain/code", True, str(L.get("shortUrl")).endswith(f"{A}/{slug('full')}"), r)
    check("… url is the destination (with the utm parameters)", True,
          str(L.get("url")).startswith("https://example.com/full?x=1") and "utm_source=news" in str(L.get("url")), r)
    check("… redirectType 301", 301, L.get("redirectType"))
    check("… linkType URL", "URL", L.get("linkType"))
    check("… title, description, image", ("Full <title>", "Every field", "https://img.example.com/a.png"),
          (L.get("title"), L.get("description"), L.get("image")))
    check("… tags hold tagIds", ["red", "tid-1"], sorted(L.get("tags") or []))
    check("… cloaked, passwordProtected, forwardParameters, blockBots", [True] * 4,
          [L.get("cloaked"), L.get("passwordProtected"), L.get("forwardParameters"), L.get("blockBots")])
    check("… the password is never in the answer", False, b"open sesame 7731" in r.body)
    check("… metaPixelId, googleTagId", ("123456789012345", "G-ABC123"), (L.get("metaPixelId"), L.get("googleTagId")))
    check("… webhookUrls, callbackUrl, expiredUrl",
          (["https://hooks.example.com/a"], "https://hooks.example.com/cb", "https://example.com/gone"),
          (L.get("webhookUrls"), L.get("callbackUrl"), L.get("expiredUrl")))
    got_exp = parse_time(L.get("expiresAt"))
    check("… expiresAt as given", True, got_exp is not None and abs((got_exp - expires).total_seconds()) < 1, r)
    check("… expired false, maxClicks 100, disabled false, tracking true", [False, 100, False, True],
          [L.get("expired"), L.get("maxClicks"), L.get("disabled"), L.get("tracking")])
    check("… metadata", {"k": "v", "n": 1}, L.get("metadata"))
    check("… no clicks yet", [0, 0, 0, None], [L.get("clicks"), L.get("botClicks"), L.get("uniqueVisitors"), L.get("lastClickedAt")])
    check("… createdAt is now", True,
          parse_time(L.get("createdAt")) is not None and abs((parse_time(L.get("createdAt")) - now()).total_seconds()) < 60)
    check("… qrCode is the URL of its QR image", True, isinstance(L.get("qrCode"), str) and "qr" in L.get("qrCode", ""), r)
    if isinstance(L.get("qrCode"), str) and L["qrCode"].startswith("http"):
        u = urllib.parse.urlsplit(L["qrCode"])
        if (u.hostname, u.port) == (API.hostname, API.port):
            qr = call("GET", u.path + ("?" + u.query if u.query else ""), "a-admin")
            check("… which answers an image", True, qr.status == 200 and (qr.h("content-type") or "").startswith("image/"), qr)

    r = create("a-admin", {"url": "https://example.com/u", "domain": A, "customSlug": slug("utm"),
                           "utmSource": "news", "utmCampaign": "spring"}, "utm parameters: 201")
    loc = redirect_location(slug("utm"), A)
    check("… the redirect carries them", True, loc is not None and "utm_source=news" in loc and "utm_campaign=spring" in loc, loc)

    r = create("a-admin", {"url": "https://example.com/tags", "domain": A, "tags": ["red", "blue"]})
    check("tags: 201, stored", (201, ["blue", "red"]), (r.status, sorted(r.get("tags") or [])), r)
    r = create("a-admin", {"url": "https://example.com/tags2", "domain": A, "tagIds": ["a"], "tags": ["b"]})
    problem("tagIds and tags with two values: 422 (the schema allows both names, one value)", r, 422)
    check("… naming tags", True, b"tags" in r.body, r)
    r = create("a-admin", {"url": "https://example.com/tags3", "domain": A, "tagIds": ["a"], "tags": ["a"]})
    check("tagIds and tags with one value: 201, stored once", (201, ["a"]), (r.status, r.get("tags")), r)
    r = create("a-admin", {"url": "https://example.com/302", "domain": A, "redirectType": 302})
    check("redirectType as the integer 302: 201, 302", (201, 302), (r.status, r.get("redirectType")), r)
    r = create("a-admin", {"url": "https://example.com/301", "domain": A, "redirectType": 301})
    check("redirectType as the integer 301: 201, 301", (201, 301), (r.status, r.get("redirectType")), r)
    r = create("a-admin", {"url": "https://example.com/t", "domain": A, "redirectType": "TEMPORARY_302"})
    check("redirectType TEMPORARY_302: 302", (201, 302), (r.status, r.get("redirectType")), r)
    r = create("a-admin", {"url": "mailto:support@example.com?subject=Hi", "domain": A, "linkType": "mailto"})
    check("linkType in lower case (mailto): 201, MAILTO", (201, "MAILTO"), (r.status, r.get("linkType")), r)
    r = create("a-admin", {"url": "tel:+1 (415) 555-0123", "domain": A, "linkType": "Tel"})
    check("linkType Tel: 201, TEL", (201, "TEL"), (r.status, r.get("linkType")), r)
    r = create("a-admin", {"url": "sms:+14155550123", "domain": A, "linkType": "SMS"})
    check("linkType SMS: 201, SMS", (201, "SMS"), (r.status, r.get("linkType")), r)
    r = create("a-admin", {"url": "https://example.com/w", "domain": A,
                           "webhookUrls": "https://hooks.example.com/1,https://hooks.example.com/2"})
    check("webhookUrls as a comma-separated string: both", (201, ["https://hooks.example.com/1", "https://hooks.example.com/2"]),
          (r.status, r.get("webhookUrls")), r)
    r = create("a-admin", {"url": "https://example.com/len", "domain": A, "length": 12})
    check("length 12: a 12-character code", (201, 12), (r.status, len(r.get("code") or "")), r)
    r = create("a-admin", {"url": "https://example.com/exp", "domain": A, "expireIn": 3600})
    e = parse_time(r.get("expiresAt"))
    check("expireIn 3600: expiresAt an hour ahead", True,
          r.status == 201 and e is not None and abs((e - now()).total_seconds() - 3600) < 60, r)
    r = create("a-admin", {"url": "https://example.com/nt", "domain": A, "tracking": False})
    check("tracking false", (201, False), (r.status, r.get("tracking")), r)
    r = create("a-admin", {"url": "https://example.com/deep", "domain": A,
                           "metadata": nested(10)})
    check("metadata nested 10 deep: 201", 201, r.status, r)


def nested(depth):
    v = {}
    for _ in range(depth - 1):
        v = {"a": v}
    return v


def redirect_location(code, domain, ua=BROWSER):
    r = call("GET", f"/{code}", base=REDIRECT, headers={"Host": domain, "User-Agent": ua})
    return r.h("location") if r.status in (301, 302) else f"status {r.status}"


def redirect_status(code, domain):
    return call("GET", f"/{code}", base=REDIRECT, headers={"Host": domain, "User-Agent": BROWSER}).status


@section
def create_errors():
    """POST /api/v1/links refused: 409, 422 naming the field, 400, 413, 415, never 500"""
    before = link_count(f"domain IN ('{A}', '{A2}')")
    r = create("a-admin", {"url": "https://example.com/taken", "domain": A, "customSlug": slug("taken")}, "a custom slug: 201")
    r = create("a-admin", {"url": "https://example.com/taken2", "domain": A, "customSlug": slug("taken")})
    problem("the same customSlug again: 409", r, 409)
    base = {"url": "https://example.com/ok", "domain": A}
    for case in [
        ({"url": "not a url"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"expireIn": -5}, "expireIn"),
        # A redirectType other than PERMANENT_301, TEMPORARY_302, 301 and 302 is outside the
        # documented enum: the body breaks its schema, 400 (a value the schema allows and
        # the database refuses is 422).
        ({"redirectType": 307}, "redirectType", 400),
        ({"redirectType": "SEE_OTHER_303"}, "redirectType", 400),
        ({"length": 2 ** 31}, "length", 400),
        ({"linkType": "ftp"}, "linkType"),
        ({"maxClicks": 0}, "maxClicks"),
        ({"metaPixelId": "abc"}, "metaPixelId"),
        ({"googleTagId": "nope"}, "googleTagId"),
        ({"contactPhone": "12"}, "contactPhone"),
        ({"webhookUrls": ["not a url"]}, "webhookUrls"),
        ({"expiredUrl": "ftp://example.com/x"}, "expiredUrl"),
        ({"callbackUrl": "nope"}, "callbackUrl"),
        ({"image": "nope"}, "image"),
        ({"customSlug": "bad slug!"}, "customSlug"),
        ({"length": 1000}, "length"),
        ({"expiresAt": "yesterday-ish"}, "expiresAt"),
        ({"title": "x" * 100000}, "title"),
    ]:
        extra, field, statuses = (case + (422,))[:3]
        r = call("POST", f"{V1}/links", "a-admin", {**base, **extra})
        what = json.dumps(extra)[:60]
        problem(f"invalid {what}: {'/'.join(map(str, sorted(statuses))) if isinstance(statuses, set) else statuses}", r, statuses)
        check(f"… errors[0].field is {field}", field, r.get("errors", 0, "field"), r)
    r = call("POST", f"{V1}/links", "a-admin", {**base, "bogusField": 1})
    problem("an unknown field: 400", r, 400)
    check("… naming it", True, b"bogusField" in r.body, r)
    r = call("POST", f"{V1}/links", "a-admin", {**base, "custom_slug": "x"})
    problem("a snake_case field (not the API's name): 400", r, 400)
    check("… naming it", True, b"custom_slug" in r.body, r)
    problem("malformed JSON: 400", call("POST", f"{V1}/links", "a-admin", raw=b'{"url": "https://exa'), 400)
    problem("url of the wrong type: 400", call("POST", f"{V1}/links", "a-admin", {"url": 5}), 400)
    problem("maxClicks of the wrong type: 400", call("POST", f"{V1}/links", "a-admin", {**base, "maxClicks": "ten"}), 400)
    problem("cloaked of the wrong type: 400", call("POST", f"{V1}/links", "a-admin", {**base, "cloaked": "yes"}), 400)
    problem("metadata not an object: 400 or 422", call("POST", f"{V1}/links", "a-admin", {**base, "metadata": [1]}), {400, 422})
    problem("an array instead of an object: 400", call("POST", f"{V1}/links", "a-admin", [base]), 400)
    problem("no url: 400 or 422", call("POST", f"{V1}/links", "a-admin", {"domain": A}), {400, 422})
    problem("an empty body: 400", call("POST", f"{V1}/links", "a-admin", raw=b""), {400, 415})
    big = json.dumps({**base, "description": "x" * (1 << 20)}).encode()
    problem("a body over 1 MiB: 413", call("POST", f"{V1}/links", "a-admin", raw=big), 413)
    problem("Content-Type text/plain: 415",
            call("POST", f"{V1}/links", "a-admin", raw=json.dumps(base).encode(), content_type="text/plain"), 415)
    problem("no Content-Type: 415",
            call("POST", f"{V1}/links", "a-admin", raw=json.dumps(base).encode(), content_type=None), 415)
    problem("invalid UTF-8: 400",
            call("POST", f"{V1}/links", "a-admin", raw=b'{"url": "https://example.com/\xff\xfe", "domain": "' + A.encode() + b'"}'), 400)
    problem("JSON nested 65 deep: 400", call("POST", f"{V1}/links", "a-admin", {**base, "metadata": nested(65)}), 400)
    problem("JSON nested 10,000 deep: 400",
            call("POST", f"{V1}/links", "a-admin", raw=b'{"url": "https://example.com/", "metadata": ' + b"[" * 10000 + b"]" * 10000 + b"}"), 400)
    problem("a domain of no workspace: 4xx", call("POST", f"{V1}/links", "a-admin", {**base, "domain": "nowhere.invalid"}), {400, 404, 422})
    check("the refused requests made no link", before + 1, link_count(f"domain IN ('{A}', '{A2}')"))


@section
def one_link():
    """GET, info, PATCH, disable, enable, QR and DELETE of one link"""
    r = create("a-admin", {"url": "https://example.com/one", "domain": A, "customSlug": slug("one"),
                           "title": "One", "tags": ["x"], "expireIn": 86400}, "create: 201")
    L = r.json or {}
    lid = L.get("id")
    g = call("GET", f"{V1}/links/{lid}", "a-admin")
    check("GET /links/{id}: 200, the same link", (200, lid, slug("one")), (g.status, g.get("id"), g.get("code")), g)
    i = call("GET", q(f"{V1}/links/info", domain=A, code=slug("one")), "a-admin")
    check("GET /links/info?domain&code: 200, the same link", (200, lid), (i.status, i.get("id")), i)
    problem("info of a code no link has: 404", call("GET", q(f"{V1}/links/info", domain=A, code="no-such-code"), "a-admin"), 404)
    problem("info without code: 400 or 422", call("GET", q(f"{V1}/links/info", domain=A), "a-admin"), {400, 422})
    problem("GET a link id no link has: 404", call("GET", f"{V1}/links/{NOWHERE}", "a-admin"), 404)
    problem("GET a link id that is no number: 400 or 404", call("GET", f"{V1}/links/abc", "a-admin"), {400, 404})

    click(slug("one"), A, "198.51.100.10", n=3)
    p = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"url": "https://example.com/one-new"})
    check("PATCH url: 200, the new url", (200, "https://example.com/one-new"), (p.status, p.get("url")), p)
    check("… clicks kept", 3, p.get("clicks"), p)
    check("… updatedAt set", True, p.get("updatedAt") is not None, p)
    check("… the redirect goes to the new url", "https://example.com/one-new", redirect_location(slug("one"), A))
    a = call("GET", q(f"{V1}/analytics", groupBy="count", linkId=lid, bots="include"), "a-admin")
    check("… its click history kept (analytics: 4 clicks)", 4, a.get("clicks"), a)
    p = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"title": None, "expiresAt": None, "tags": None})
    check("PATCH null clears title, expiresAt, tags", (200, None, None, []),
          (p.status, p.get("title"), p.get("expiresAt"), p.get("tags")), p)
    p = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"title": "Again", "maxClicks": 50, "redirectType": 301})
    check("PATCH several fields", (200, "Again", 50, 301), (p.status, p.get("title"), p.get("maxClicks"), p.get("redirectType")), p)
    check("… the code unchanged", slug("one"), p.get("code"))
    r = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"maxClicks": 0})
    problem("PATCH a value the database refuses: 422", r, 422)
    r = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"redirectType": 307})
    problem("PATCH a value outside the schema: 400", r, 400)
    check("… errors[0].field redirectType", "redirectType", r.get("errors", 0, "field"), r)
    r = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"bogusField": 1})
    problem("PATCH an unknown field: 400", r, 400)
    check("… naming it", True, b"bogusField" in r.body, r)
    problem("PATCH malformed JSON: 400", call("PATCH", f"{V1}/links/{lid}", "a-admin", raw=b"{"), 400)
    problem("PATCH a link id no link has: 404", call("PATCH", f"{V1}/links/{NOWHERE}", "a-admin", {"title": "x"}), 404)
    g = call("GET", f"{V1}/links/{lid}", "a-admin")
    check("the refused PATCHes changed nothing", ("Again", 301), (g.get("title"), g.get("redirectType")), g)

    d = call("POST", f"{V1}/links/{lid}/disable", "a-admin")
    check("disable: 200, disabled", (200, True), (d.status, d.get("disabled")), d)
    check("… the redirect answers 410", 410, redirect_status(slug("one"), A))
    e = call("POST", f"{V1}/links/{lid}/enable", "a-admin")
    check("enable: 200, not disabled", (200, False), (e.status, e.get("disabled")), e)
    check("… the redirect answers 301 again", 301, redirect_status(slug("one"), A))
    problem("disable a link id no link has: 404", call("POST", f"{V1}/links/{NOWHERE}/disable", "a-admin"), 404)

    s = call("GET", f"{V1}/links/{lid}/qr?format=svg", "a-admin")
    check("QR as SVG: 200 image/svg+xml <svg", (200, "image/svg+xml", True),
          (s.status, (s.h("content-type") or "").split(";")[0], b"<svg" in s.body[:500]), s)
    p = call("GET", f"{V1}/links/{lid}/qr?format=png", "a-admin")
    check("QR as PNG: 200 image/png, a PNG", (200, "image/png", b"\x89PNG\r\n\x1a\n"),
          (p.status, (p.h("content-type") or "").split(";")[0], p.body[:8]), p)
    problem("QR format gif: 400 or 422", call("GET", f"{V1}/links/{lid}/qr?format=gif", "a-admin"), {400, 422})
    problem("QR of a link id no link has: 404", call("GET", f"{V1}/links/{NOWHERE}/qr", "a-admin"), 404)

    x = call("DELETE", f"{V1}/links/{lid}", "a-admin")
    check("DELETE: 204, no body", (204, b""), (x.status, x.body), x)
    problem("… then GET: 404", call("GET", f"{V1}/links/{lid}", "a-admin"), 404)
    problem("… DELETE again: 404", call("DELETE", f"{V1}/links/{lid}", "a-admin"), 404)
    check("… the redirect answers 404", 404, redirect_status(slug("one"), A))


@section
def lists():
    """GET /api/v1/links and /links/count: filters, sorting, cursor paging"""
    bodies = []
    for i in range(30):
        b = {"url": f"https://example.com/list/{i}", "domain": A2 if i % 3 == 0 else A,
             "customSlug": slug(f"list{i}"), "tags": ["even"] if i % 2 == 0 else ["odd"], "title": f"list {i}"}
        if i in (4, 5, 6):
            b["url"] = f"https://example.com/needle/{i}"
        bodies.append(b)
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        made = list(ex.map(lambda b: create("a-admin", b), bodies))
    check("30 links created", [201] * 30, [r.status for r in made])
    ids = [r.get("id") for r in made]
    # Clicks for sorting: link i gets i % 5.
    sql("SELECT count(shortlink.record_click(l.code, l.domain, '198.51.100.20', '" + BROWSER + "', NULL, NULL, NULL, NULL)) "
        f"FROM shortlink.links l, generate_series(1, 4) g WHERE l.code LIKE 'list%-{RUN}' "
        f"AND g <= (substring(l.code from 'list([0-9]+)')::int % 5)")
    old = ids[:5]
    sql(f"UPDATE shortlink.links SET created_at = now() - interval '10 days' WHERE id IN ({','.join(map(str, old))})")
    sql(f"UPDATE shortlink.links SET expires_at = now() - interval '1 minute' WHERE id = {ids[7]}")
    for lid in ids[8:10]:
        call("POST", f"{V1}/links/{lid}/disable", "a-admin")

    every = workspace_links([A, A2])
    got, pages, last = walk("a-admin", f"{V1}/links", limit=7)
    check("cursor paging (limit 7) walks every link of the workspace exactly once", (len(every), every),
          (len(got), set(got)), last)
    check("… in pages of at most 7, the last one's nextCursor null", (True, None),
          (pages >= len(every) // 7, last.get("nextCursor")), last)
    c = call("GET", f"{V1}/links/count", "a-admin")
    check("count: every link", len(every), c.get("count"), c)
    for sort, order, key in [("clicks", "desc", "clicks"), ("createdAt", "asc", "createdAt"),
                             ("lastClickedAt", "desc", "lastClickedAt"), ("clicks", "asc", "clicks")]:
        got, pages, last = walk("a-admin", f"{V1}/links", limit=4, sort=sort, order=order)
        check(f"sort={sort}&order={order}, limit 4: every link exactly once", (len(every), every), (len(got), set(got)), last)
        # The order itself, on one page holding all.
        r = call("GET", q(f"{V1}/links", limit=1000, sort=sort, order=order), "a-admin")
        vals = [x.get(key) for x in r.get("data") or []]
        nonnull = [v for v in vals if v is not None]
        if key != "clicks":
            nonnull = [parse_time(v) for v in nonnull]
        check(f"… in {order}ending {key} order", True,
              r.status == 200 and nonnull == sorted(nonnull, reverse=order == "desc") and len(vals) == len(every), r)
    sets = {
        "domain": ({"domain": A2}, workspace_links([A2])),
        "tag": ({"tag": "even"}, {int(x) for x in sql(f"SELECT id FROM shortlink.links WHERE 'even' = ANY(tags) AND domain IN ('{A}','{A2}')").split()}),
        "search": ({"search": "needle"}, set(ids[4:7])),
        "createdBefore": ({"createdBefore": iso(now() - dt.timedelta(days=5))}, set(old)),
        "createdAfter": ({"createdAfter": iso(now() - dt.timedelta(days=5))}, every - set(old)),
        "disabled=true": ({"disabled": "true"}, set(ids[8:10])),
        "expired=true": ({"expired": "true"}, {ids[7]}),
        "tag and domain": ({"tag": "even", "domain": A2}, {ids[i] for i in range(0, 30, 6)}),
    }
    for name, (params, want) in sets.items():
        got, _, last = walk("a-admin", f"{V1}/links", limit=3, **params)
        check(f"filter {name}: exactly its links", (len(want), sorted(want)), (len(got), sorted(i for i in got if i is not None)), last)
        c = call("GET", q(f"{V1}/links/count", **params), "a-admin")
        check(f"… count with the same filter: {len(want)}", len(want), c.get("count"), c)
    got, _, last = walk("a-admin", f"{V1}/links", limit=50, disabled="false")
    check("filter disabled=false: every link but the two", len(every) - 2, len(got), last)
    r = call("GET", q(f"{V1}/links", limit=1000), "a-admin")
    check("limit 1000: 200", 200, r.status, r)
    r = call("GET", f"{V1}/links", "a-admin")
    check("no limit: at most 100 (the default)", True, r.status == 200 and len(r.get("data") or []) == min(100, len(every)), r)
    for params in [{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"sort": "title"}, {"order": "up"},
                   {"cursor": "not-a-cursor"}, {"createdAfter": "last tuesday"}, {"disabled": "maybe"}]:
        problem(f"GET /links?{urllib.parse.urlencode(params)}: 400 or 422",
                call("GET", q(f"{V1}/links", **params), "a-admin"), {400, 422})
    for params in [{"createdAfter": "last tuesday"}, {"disabled": "maybe"}, {"expired": "perhaps"}]:
        problem(f"GET /links/count?{urllib.parse.urlencode(params)}: 400 or 422",
                call("GET", q(f"{V1}/links/count", **params), "a-admin"), {400, 422})


@section
def bulk():
    """POST, PATCH and DELETE /api/v1/links/bulk: per-item answers in order"""
    good1 = {"url": "https://example.com/bulk/1", "domain": A, "customSlug": slug("bulk1")}
    good2 = {"url": "https://example.com/bulk/2", "domain": A2, "customSlug": slug("bulk2")}
    items = [good1, {"url": "not a url", "domain": A}, good2,
             {"url": "https://example.com/bulk/3", "domain": A, "customSlug": slug("bulk1")},
             {"domain": A}]
    for unreadable, what in (({"url": "https://example.com/bulk/4", "domain": A, "bogusField": True}, "an unknown field"),
                             ({"url": 5, "domain": A}, "a url that is not a string"),
                             ([None, None], "not an object")):
        r = call("POST", f"{V1}/links/bulk", "a-admin", items + [unreadable])
        problem(f"POST bulk with an item of {what}: 400 for the whole request", r, 400)
        check("… saying which item", True, "item 5" in str(r.get("detail")), r)
        check("… and made no link", 0, link_count(f"url LIKE 'https://example.com/bulk/%'"))
    r = call("POST", f"{V1}/links/bulk", "a-admin", items)
    check("POST bulk, good and bad items: 207", 207, r.status, r)
    res = r.get("results") or []
    check("… one result per item, in request order", [0, 1, 2, 3, 4], [x.get("index") for x in res], r)
    check("… statuses 201, 422, 201, 409, 422", [201, 422, 201, 409, 422], [x.get("status") for x in res], r)
    check("… a link for each good item, a problem for each bad one", [True, False, True, False, False],
          [isinstance(x.get("link"), dict) for x in res])
    check("… the problems carry their status", [422, 409, 422],
          [(x.get("error") or {}).get("status") for x in res if x.get("status") != 201])
    check("… the 422 names the field", "url", ((res[1:2] or [{}])[0].get("error") or {}).get("errors", [{}])[0].get("field") if len(res) > 1 else None)
    g1 = (res[0].get("link") or {}).get("id") if res else None
    g2 = (res[2].get("link") or {}).get("id") if len(res) > 2 else None
    check("… the good ones exist", [200, 200],
          [call("GET", f"{V1}/links/{g}", "a-admin").status for g in (g1, g2)])
    check("… and only they", 2, link_count(f"url LIKE 'https://example.com/bulk/%'"))

    r = call("POST", f"{V1}/links/bulk", "a-admin",
             [{"url": f"https://example.com/bulk-ok/{i}", "domain": A} for i in range(3)])
    check("POST bulk, all good: 200, three 201", (200, [201] * 3), (r.status, [x.get("status") for x in r.get("results") or []]), r)
    problem("POST bulk []: 400 or 422", call("POST", f"{V1}/links/bulk", "a-admin", []), {400, 422})
    r = call("POST", f"{V1}/links/bulk", "a-admin", [{"url": f"https://example.com/bulk-many/{i}", "domain": A} for i in range(1001)])
    problem("POST bulk of 1001: 400, 413 or 422", r, {400, 413, 422})
    check("… made no link", 0, link_count("url LIKE 'https://example.com/bulk-many/%'"))
    r = call("POST", f"{V1}/links/bulk", "a-admin", [{"url": f"https://example.com/bulk-1000/{i}", "domain": A} for i in range(1000)])
    check("POST bulk of 1000: 200, 1000 links", (200, 1000), (r.status, link_count("url LIKE 'https://example.com/bulk-1000/%'")), r)
    problem("POST bulk, not an array: 400", call("POST", f"{V1}/links/bulk", "a-admin", good1), 400)
    problem("POST bulk, malformed JSON: 400", call("POST", f"{V1}/links/bulk", "a-admin", raw=b"[{"), 400)

    r = call("PATCH", f"{V1}/links/bulk", "a-admin",
             [{"id": g1, "title": "bulk title"}, {"id": NOWHERE, "title": "x"}, {"id": g2, "maxClicks": 0}])
    check("PATCH bulk, good and bad: 207, statuses 200, 404, 422", (207, [200, 404, 422]),
          (r.status, [x.get("status") for x in r.get("results") or []]), r)
    check("… in order", [0, 1, 2], [x.get("index") for x in r.get("results") or []])
    check("… the good one changed, the bad one not", ("bulk title", None),
          (call("GET", f"{V1}/links/{g1}", "a-admin").get("title"), call("GET", f"{V1}/links/{g2}", "a-admin").get("maxClicks")))
    r = call("PATCH", f"{V1}/links/bulk", "a-admin", [{"id": g1, "title": "not this"}, {"title": "x"}])
    problem("PATCH bulk, an item without id: 400 for the whole request", r, 400)
    r = call("PATCH", f"{V1}/links/bulk", "a-admin", [{"id": g1, "title": "not this"}, {"id": g2, "title": 7}])
    problem("PATCH bulk, an item with a title not a string: 400 for the whole request", r, 400)
    check("… no item of either changed", "bulk title", call("GET", f"{V1}/links/{g1}", "a-admin").get("title"))
    r = call("DELETE", f"{V1}/links/bulk", "a-admin", {"ids": [g1, NOWHERE]})
    check_in("DELETE bulk, one real, one not: 200 or 207", {200, 207}, r.status, r)
    if r.get("results") is not None:
        check("… per-item statuses 204, 404", [204, 404], [x.get("status") for x in r.get("results")], r)
    check("… the real one is gone, the other kept", (404, 200),
          (call("GET", f"{V1}/links/{g1}", "a-admin").status, call("GET", f"{V1}/links/{g2}", "a-admin").status))
    problem("DELETE bulk, ids not a list: 400", call("DELETE", f"{V1}/links/bulk", "a-admin", {"ids": "1,2"}), 400)


@section
def idempotency():
    """Idempotency-Key: the first answer again, one link, also from 10 connections at once"""
    body = {"url": f"https://example.com/idem/{RUN}", "domain": A}
    k1 = f"idem-1-{RUN}"
    r1 = call("POST", f"{V1}/links", "a-admin", body, headers={"Idempotency-Key": k1})
    r2 = call("POST", f"{V1}/links", "a-admin", body, headers={"Idempotency-Key": k1})
    check("POST with a key: 201", 201, r1.status, r1)
    check("… the retry gets the same status and body", (r1.status, r1.body), (r2.status, r2.body), r2)
    check("… one link made", 1, link_count(f"url = 'https://example.com/idem/{RUN}'"))
    r3 = call("POST", f"{V1}/links", "a-admin", {**body, "title": "other"}, headers={"Idempotency-Key": k1})
    problem("the same key with another body: 422", r3, 422)
    rb = call("POST", f"{V1}/links", "b-admin", body, headers={"Idempotency-Key": k1})
    check("the same key and body from another workspace's key: not the first answer", True,
          rb.body != r1.body and rb.get("id") != r1.get("id"), rb)

    body = {"url": f"https://example.com/idem-race/{RUN}", "domain": A}
    k2 = f"idem-race-{RUN}"
    barrier = threading.Barrier(10)

    def racer(_):
        barrier.wait(timeout=30)
        return call("POST", f"{V1}/links", "a-admin", body, headers={"Idempotency-Key": k2})

    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        answers = list(ex.map(racer, range(10)))
    check("10 identical requests at once on 10 connections: exactly one link", 1,
          link_count(f"url = 'https://example.com/idem-race/{RUN}'"))
    check("… all 10 answers identical", 1, len({(a.status, a.body) for a in answers}),
          answers[0] if len({(a.status, a.body) for a in answers}) == 1 else " | ".join(f"{a.status} {a.body[:80]!r}" for a in answers))
    check("… and 201", [201] * 10, [a.status for a in answers])

    lid = r1.get("id")
    k3 = f"idem-patch-{RUN}"
    p1 = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"title": "t1"}, headers={"Idempotency-Key": k3})
    call("PATCH", f"{V1}/links/{lid}", "a-admin", {"title": "t2"})
    p2 = call("PATCH", f"{V1}/links/{lid}", "a-admin", {"title": "t1"}, headers={"Idempotency-Key": k3})
    check("PATCH with a key, retried after another change: the first answer again", (200, p1.body), (p2.status, p2.body), p2)
    k4 = f"idem-delete-{RUN}"
    d1 = call("DELETE", f"{V1}/links/{lid}", "a-admin", headers={"Idempotency-Key": k4})
    d2 = call("DELETE", f"{V1}/links/{lid}", "a-admin", headers={"Idempotency-Key": k4})
    check("DELETE with a key, retried: 204 both times", (204, 204), (d1.status, d2.status), d2)
    before = sql("SELECT count(*) FROM shortlink.api_keys")
    r = call("POST", f"{V1}/keys", "a-admin", {"name": f"idem-key-{RUN}"}, headers={"Idempotency-Key": f"idem-key-{RUN}"})
    problem("POST /keys with an Idempotency-Key: 400 (a secret is never stored to replay)", r, 400)
    check("… naming the header", "Idempotency-Key", r.get("errors", 0, "field"), r)
    check("… and made no key", before, sql("SELECT count(*) FROM shortlink.api_keys"))
    check("no idempotency record of this run holds a secret", "0",
          sql(f"SELECT count(*) FROM shortlink.api_idempotency WHERE created_at >= '{STARTED}' "
              "AND response::text ~ 'sl_[A-Za-z0-9]{8}_'"))


@section
def rate_limits():
    """RateLimit-* headers on every answer; 429 with Retry-After past the key's limit"""
    seen = []
    for i in range(5):
        r = call("GET", f"{V1}/links", "a-rate")
        seen.append((r.status, r.h("RateLimit-Limit"), r.h("RateLimit-Remaining")))
        if i == 0:
            reset = r.h("RateLimit-Reset")
            check("RateLimit-Reset: whole seconds up to a minute", True,
                  reset is not None and reset.isdigit() and 0 <= int(reset) <= 60, r)
    check("a key with rate_limit 5: five answers, remaining 4 to 0",
          [(200, "5", str(n)) for n in (4, 3, 2, 1, 0)], seen)
    r = call("GET", f"{V1}/links", "a-rate")
    problem("the sixth within the minute: 429", r, 429)
    ra = r.h("Retry-After")
    check("… with Retry-After in seconds", True, ra is not None and ra.isdigit() and 1 <= int(ra) <= 60, r)
    check("… and the RateLimit headers", ("5", "0"), (r.h("RateLimit-Limit"), r.h("RateLimit-Remaining")), r)
    problem("… a POST too: 429", call("POST", f"{V1}/links", "a-rate", {"url": "https://example.com/rl", "domain": A}), 429)
    check("… which made no link", 0, link_count("url = 'https://example.com/rl'"))
    r = call("GET", f"{V1}/links", "a-admin")
    check("another key of the same workspace is not limited by it", 200, r.status, r)
    r = call("GET", f"{V1}/links/{NOWHERE}", "a-admin")
    check("a 404 carries the RateLimit headers", True, r.h("RateLimit-Remaining") is not None, r)
    r = call("POST", f"{V1}/links", "a-admin", {"url": "nope", "domain": A})
    check("a 422 carries the RateLimit headers", True, r.h("RateLimit-Remaining") is not None, r)


def analytics(key, **params):
    return call("GET", q(f"{V1}/analytics", **params), key)


def by_key(r):
    return {x.get("key"): x.get("clicks") for x in r.json} if isinstance(r.json, list) else r.json


@section
def analytics_checks():
    """GET /api/v1/analytics: every groupBy against clicks recorded in SQL"""
    an1 = create("a-admin", {"url": "https://example.com/an1", "domain": A, "customSlug": slug("an1")}, "link an1: 201")
    an2 = create("a-admin", {"url": "https://example.com/an2", "domain": A, "customSlug": slug("an2"), "tags": ["an"]})
    id1, id2 = an1.get("id"), an2.get("id")
    click(slug("an1"), A, "198.51.100.7", BROWSER, "https://news.example.com/a", "DE", n=2)
    click(slug("an1"), A, "203.0.113.9", CHROME_WIN, "https://social.example.org/x", "FR")
    click(slug("an1"), A, "192.0.2.55", IPHONE, None, "US")
    click(slug("an1"), A, "66.249.66.1", GOOGLEBOT, None, "US", n=2)
    click(slug("an2"), A, "198.51.100.99", CHROME_WIN, None, "DE")
    start, end = iso(now() - dt.timedelta(hours=3)), iso(now() + dt.timedelta(hours=1))

    r = analytics("a-admin", groupBy="count", linkId=id1, bots="exclude")
    check("count, bots excluded: 4 clicks, 3 visitors", (200, 4, 3), (r.status, r.get("clicks"), r.get("uniqueVisitors")), r)
    r = analytics("a-admin", groupBy="count", linkId=id1, bots="include")
    check("count, bots included: 6 clicks of which 2 bots", (6, 2), (r.get("clicks"), r.get("botClicks")), r)
    r = analytics("a-admin", groupBy="count", linkId=id1, bots="only")
    check("count, bots only: 2 clicks", 2, r.get("clicks"), r)
    g = call("GET", f"{V1}/links/{id1}", "a-admin")
    check("the link object counts them too (clicks, botClicks, uniqueVisitors)", (4, 2, 3),
          (g.get("clicks"), g.get("botClicks"), g.get("uniqueVisitors")), g)
    check("… and lastClickedAt is now", True,
          parse_time(g.get("lastClickedAt")) is not None and abs((parse_time(g.get("lastClickedAt")) - now()).total_seconds()) < 120, g)
    r = analytics("a-admin", groupBy="countries", linkId=id1, bots="exclude")
    check("countries", {"DE": 2, "FR": 1, "US": 1}, by_key(r), r)
    for group, want in [("browsers", [2, 1, 1]), ("os", [2, 1, 1]), ("devices", [3, 1])]:
        r = analytics("a-admin", groupBy=group, linkId=id1, bots="exclude")
        # Rows of bots alone (clicks 0, botClicks n) may be listed: bots are left out of clicks.
        got = sorted((x.get("clicks") for x in r.json if x.get("clicks")), reverse=True) if isinstance(r.json, list) else r.json
        check(f"{group}: clicks per key {want}", want, got, r)
    r = analytics("a-admin", groupBy="referers", linkId=id1, bots="exclude")
    check("referers: news.example.com twice", 2,
          next((x.get("clicks") for x in (r.json or []) if "news.example.com" in str(x.get("key"))), None), r)
    for group in ("regions", "cities", "deviceModels", "osVersions"):
        r = analytics("a-admin", groupBy=group, linkId=id1)
        check(f"{group}: 200, a list of key/clicks/uniqueVisitors/botClicks", True,
              r.status == 200 and isinstance(r.json, list)
              and all({"key", "clicks", "uniqueVisitors", "botClicks"} <= set(x) for x in r.json), r)
    r = analytics("a-admin", groupBy="timeseries", linkId=id1, start=start, end=end, interval="hour", bots="exclude")
    check("timeseries by hour: the buckets add up to 4", (200, 4),
          (r.status, sum(x.get("clicks", 0) for x in r.json) if isinstance(r.json, list) else None), r)
    check("… each bucket has its start", True, isinstance(r.json, list) and all(parse_time(x.get("start")) for x in r.json), r)
    r = analytics("a-admin", groupBy="timeseries", linkId=id1, start=start, end=end, interval="day",
                  timezone="Europe/Paris", bots="exclude")
    check("timeseries by day in Europe/Paris: 4", 4, sum(x.get("clicks", 0) for x in r.json) if isinstance(r.json, list) else r.json, r)
    r = analytics("a-admin", groupBy="topLinks", domain=A, bots="exclude")
    top = r.json if isinstance(r.json, list) else []
    mine = next((x for x in top if x.get("linkId") == id1), {})
    check("topLinks: an1 with 4 clicks, its code and domain", (4, slug("an1"), A),
          (mine.get("clicks"), mine.get("code"), mine.get("domain")), r)
    check("… most clicked first", True, [x.get("clicks") for x in top] == sorted((x.get("clicks") for x in top), reverse=True), r)
    r = analytics("a-admin", groupBy="count", tag="an", bots="exclude")
    check("tag=an: an2's one click", 1, r.get("clicks"), r)
    r = analytics("a-admin", groupBy="count", linkId=id1, start=iso(now() + dt.timedelta(hours=1)),
                  end=iso(now() + dt.timedelta(hours=2)))
    check("a window in the future: 0 clicks", 0, r.get("clicks"), r)
    problem("linkId of no link: 404", analytics("a-admin", groupBy="count", linkId=NOWHERE), 404)
    for params in [{"groupBy": "colours"}, {"groupBy": "count", "bots": "maybe"},
                   {"groupBy": "timeseries", "interval": "fortnight"}, {"groupBy": "count", "start": "soon"},
                   {"groupBy": "timeseries", "timezone": "Mars/Olympus_Mons"}, {"groupBy": "count", "linkId": "abc"}]:
        problem(f"analytics?{urllib.parse.urlencode(params)}: 400 or 422", analytics("a-admin", **params), {400, 422})


def read_stream(path, key, timeout=300):
    """GET path: (status, headers, lines, seconds)."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(API.hostname, API.port, timeout=timeout)
    conn.request("GET", path, headers={"Authorization": "Bearer " + secret(key), "Connection": "close"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    with lock:
        ANSWERS.append(("GET", path, r.status, True, r.headers.get("RateLimit-Remaining") is not None))
    return r.status, r.headers, body, time.monotonic() - t0


@section
def events():
    """GET /api/v1/events: 20,000 click events streamed as NDJSON and CSV"""
    r = create("a-admin", {"url": "https://example.com/ev", "domain": A, "customSlug": slug("ev")}, "link ev: 201")
    lid = r.get("id")
    n = 20000
    t0 = time.monotonic()
    sql(f"""CREATE TEMP TABLE ev_status (status text);
            INSERT INTO ev_status SELECT (shortlink.record_click('{slug("ev")}', '{A}',
                ('198.51.' || (g % 200) || '.' || (g % 250))::inet, '{BROWSER}', NULL, 'DE', NULL, NULL)).status
            FROM generate_series(1, {n}) g""")
    print(f"     ({n} clicks recorded in {time.monotonic() - t0:.1f} s)")
    check(f"{n} click events in the database", n,
          int(sql(f"SELECT count(*) FROM shortlink.click_events WHERE link_id = {lid}")))
    status, headers, body, secs = read_stream(q(f"{V1}/events", format="ndjson", linkId=lid), "a-admin")
    lines = body.splitlines()
    print(f"     (NDJSON: {len(body)} bytes in {secs:.1f} s)")
    check("NDJSON: 200, chunked", (200, "chunked"), (status, headers.get("Transfer-Encoding")))
    check("… Content-Type application/x-ndjson", True, "ndjson" in (headers.get("Content-Type") or ""))
    check(f"… {n} lines", n, len(lines))
    bad = 0
    for line in lines:
        try:
            assert isinstance(json.loads(line), dict)
        except Exception:
            bad += 1
    check("… each a JSON object", 0, bad)
    status, headers, body, secs = read_stream(q(f"{V1}/events", format="csv", linkId=lid), "a-admin")
    lines = body.decode("utf-8", "replace").splitlines()
    header = 1 if lines and not re.search(r"[0-9]", lines[0]) else 0
    print(f"     (CSV: {len(body)} bytes in {secs:.1f} s{', with a header line' if header else ''})")
    check("CSV: 200, chunked, text/csv", (200, "chunked", "text/csv"),
          (status, headers.get("Transfer-Encoding"), (headers.get("Content-Type") or "").split(";")[0]))
    check(f"… {n} lines (and the header)", n, len(lines) - header)
    status, headers, body, _ = read_stream(q(f"{V1}/events", format="ndjson", domain=A,
                                             start=iso(now() + dt.timedelta(hours=1)), end=iso(now() + dt.timedelta(hours=2))), "a-admin")
    check("a window in the future: no line", (200, 0), (status, len(body.splitlines())))
    on_a2 = int(sql("SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id "
                    f"WHERE l.domain = '{A2}'"))
    status, headers, body, _ = read_stream(q(f"{V1}/events", format="ndjson", domain=A2), "a-admin")
    check(f"domain filter: the {on_a2} events of that domain's links", (200, on_a2), (status, len(body.splitlines())))
    problem("format=xml: 400 or 422", call("GET", q(f"{V1}/events", format="xml"), "a-admin"), {400, 422})
    problem("linkId of no link: 404", call("GET", q(f"{V1}/events", format="ndjson", linkId=NOWHERE), "a-admin"), 404)


@section
def domains():
    """GET, POST and DELETE /api/v1/domains"""
    r = call("GET", f"{V1}/domains", "a-admin")
    names = {d.get("domain") for d in r.json} if isinstance(r.json, list) else set()
    check("GET /domains: 200, the workspace's two", (200, {A, A2}), (r.status, names), r)
    new = f"new-{RUN}.a.test"
    r = call("POST", f"{V1}/domains", "a-admin", {"domain": new})
    check("POST /domains: 201", (201, new), (r.status, r.get("domain")), r)
    problem("… again: 409", call("POST", f"{V1}/domains", "a-admin", {"domain": new}), 409)
    r = call("POST", f"{V1}/domains", "a-admin", {"domain": "not a domain!"})
    problem("an invalid domain: 422", r, 422)
    check("… errors[0].field domain", "domain", r.get("errors", 0, "field"), r)
    problem("an unknown field: 400", call("POST", f"{V1}/domains", "a-admin", {"domain": "x.a.test", "bogusField": 1}), 400)
    problem("no domain: 400 or 422", call("POST", f"{V1}/domains", "a-admin", {}), {400, 422})
    problem("a domain of another workspace: 409", call("POST", f"{V1}/domains", "a-admin", {"domain": B}), 409)
    r = create("a-admin", {"url": "https://example.com/nd", "domain": new}, "a link on the new domain: 201")
    problem("DELETE a domain a link uses: 409", call("DELETE", f"{V1}/domains/{new}", "a-admin"), 409)
    call("DELETE", f"{V1}/links/{r.get('id')}", "a-admin")
    r = call("DELETE", f"{V1}/domains/{new}", "a-admin")
    check("DELETE once no link uses it: 204", 204, r.status, r)
    problem("… again: 404", call("DELETE", f"{V1}/domains/{new}", "a-admin"), 404)
    problem("DELETE a domain of no one: 404", call("DELETE", f"{V1}/domains/nowhere-{RUN}.test", "a-admin"), 404)
    r = call("GET", f"{V1}/domains", "a-admin")
    check("GET /domains: the two again", {A, A2}, {d.get("domain") for d in r.json} if isinstance(r.json, list) else r.status, r)


@section
def keys():
    """GET, POST, DELETE /api/v1/keys: the secret shown once, scopes no wider than the creator's"""
    r = call("GET", f"{V1}/keys", "a-admin")
    listed = r.json if isinstance(r.json, list) else (r.get("data") or [])
    ids = {k.get("id") for k in listed}
    check("GET /keys: 200, the workspace's keys", (200, True),
          (r.status, {KEYS["a-admin"]["id"], KEYS["a-rate"]["id"], KEYS["a-own"]["id"]} <= ids), r)
    check("… no key of another workspace", False, KEYS["b-admin"]["id"] in ids or KEYS["fuzz"]["id"] in ids)
    check("… no secret in the list", (False, False),
          (bool(SECRET_RE.search(r.body.decode("utf-8", "replace"))), any(k.get("secret") for k in listed)), r)
    r = call("POST", f"{V1}/keys", "a-admin", {"name": f"api-made-{RUN}", "scopes": ["links:read"]})
    check("POST /keys: 201", 201, r.status, r)
    new_secret = r.get("secret") or ""
    remember_secret(new_secret)
    check("… the secret, once", True, bool(SECRET_RE.fullmatch(new_secret)), r)
    check("… its scopes", ["links:read"], r.get("scopes"), r)
    kid = r.get("id")
    g = call("GET", f"{V1}/keys/{kid}", "a-admin")
    check("GET /keys/{id}: 200, without the secret", (200, kid, False),
          (g.status, g.get("id"), new_secret.encode() in g.body or bool(g.get("secret"))), g)
    check("the new key reads links", 200, call("GET", f"{V1}/links", new_secret).status)
    problem("… and may not write them: 403",
            call("POST", f"{V1}/links", new_secret, {"url": "https://example.com/k", "domain": A}), 403)
    r = call("DELETE", f"{V1}/keys/{kid}", "a-admin")
    check("DELETE /keys/{id}: 204", 204, r.status, r)
    problem("… the revoked key at once: 401", call("GET", f"{V1}/links", new_secret), 401)
    problem("… and gone from the API: GET /keys/{id} 404", call("GET", f"{V1}/keys/{kid}", "a-admin"), 404)
    problem("… PATCH 404", call("PATCH", f"{V1}/keys/{kid}", "a-admin", {"name": "again"}), 404)
    problem("… DELETE again 404", call("DELETE", f"{V1}/keys/{kid}", "a-admin"), 404)
    check("… not listed", False, kid in [k.get("id") for k in call("GET", f"{V1}/keys", "a-admin").json or []])
    r = call("GET", f"{V1}/keys?includeRevoked=true", "a-admin")
    check("… listed with includeRevoked=true, revokedAt set", True,
          any(k.get("id") == kid and k.get("revokedAt") for k in r.json or []), r)
    r = call("POST", f"{V1}/keys", "a-admin", {"name": f"api-full-{RUN}", "scopes": ["links:read", "links:write"],
                                               "domains": [A2], "ownLinksOnly": True, "rateLimit": 10,
                                               "expiresAt": iso(now() + dt.timedelta(days=1))})
    remember_secret(r.get("secret") or "")
    check("POST /keys with every field: 201, each as given", (201, [A2], True, 10),
          (r.status, r.get("domains"), r.get("ownLinksOnly"), r.get("rateLimit")), r)
    r = call("POST", f"{V1}/keys", "a-admin", {"name": "x", "scopes": ["links:fly"]})
    problem("an unknown scope: 422", r, 422)
    check("… errors[0].field scopes", "scopes", r.get("errors", 0, "field"), r)
    problem("an unknown field: 400", call("POST", f"{V1}/keys", "a-admin", {"name": "x", "bogusField": 1}), 400)
    r = call("POST", f"{V1}/keys", "a-admin", {"name": f"x-{RUN}", "domains": [B]})
    check("a key restricted to another workspace's domain: refused", True, r.status in (403, 404, 422), r)
    remember_secret(r.get("secret") or "")
    r = call("POST", f"{V1}/keys", "a-no-domains:write", {"name": f"wider-{RUN}", "scopes": ["domains:write"]})
    problem("a key creating a key with a scope it lacks: 403", r, 403)
    remember_secret(r.get("secret") or "")
    r = call("POST", f"{V1}/keys", "a-no-domains:write", {"name": f"default-scopes-{RUN}"})
    remember_secret(r.get("secret") or "")
    check("… nor by leaving scopes out (all scopes)", True, r.status == 403 or (
        r.status == 201 and "domains:write" not in (r.get("scopes") or [])), r)
    r = call("POST", f"{V1}/keys", "a-no-domains:write", {"name": f"narrower-{RUN}", "scopes": ["links:read"]})
    check("… but one with scopes it has: 201", 201, r.status, r)
    remember_secret(r.get("secret") or "")
    r = call("POST", f"{V1}/keys", "a-domain2", {"name": f"escape-{RUN}", "scopes": ["links:read"]})
    remember_secret(r.get("secret") or "")
    check("a domain-restricted key cannot make an unrestricted one", True,
          r.status in (403, 422) or (r.status == 201 and r.get("domains") == [A2]), r)
    problem("GET /keys/{id} of no key: 404", call("GET", f"{V1}/keys/{NOWHERE}", "a-admin"), 404)
    problem("DELETE /keys/{id} of no key: 404", call("DELETE", f"{V1}/keys/{NOWHERE}", "a-admin"), 404)


# Each endpoint and the scope it needs; {id} is a link (or key) of workspace A.
SCOPED = [
    ("links:read", "GET", "/links", None), ("links:read", "GET", "/links/count", None),
    ("links:read", "GET", "/links/{id}", None), ("links:read", "GET", "/links/info?domain={A}&code={code}", None),
    ("links:read", "GET", "/links/{id}/qr", None),
    ("links:write", "POST", "/links", {"url": "https://example.com/scope", "domain": "{A}"}),
    ("links:write", "PATCH", "/links/{id}", {"title": "scoped"}),
    ("links:write", "DELETE", "/links/{id}", None),
    ("links:write", "POST", "/links/{id}/disable", None), ("links:write", "POST", "/links/{id}/enable", None),
    ("links:write", "POST", "/links/bulk", [{"url": "https://example.com/scope", "domain": "{A}"}]),
    ("links:write", "PATCH", "/links/bulk", [{"id": "{id}", "title": "scoped"}]),
    ("links:write", "DELETE", "/links/bulk", {"ids": ["{id}"]}),
    ("analytics:read", "GET", "/analytics?groupBy=count", None),
    ("analytics:read", "GET", "/analytics?groupBy=count&linkId={id}", None),
    ("analytics:read", "GET", "/events?format=ndjson", None),
    ("domains:read", "GET", "/domains", None),
    ("domains:write", "POST", "/domains", {"domain": "scoped-{RUN}.a.test"}),
    ("domains:write", "DELETE", "/domains/{A2}", None),
    ("sending:read", "GET", "/sending-lists", None), ("sending:read", "GET", "/offers", None),
    ("sending:write", "PUT", "/sending-lists/7", {"phoneNumber": "+18005550007"}),
    ("sending:write", "DELETE", "/sending-lists/7", None),
    ("sending:write", "PUT", "/offers/scoped", {"destination": "https://example.com/offer"}),
    ("sending:write", "DELETE", "/offers/scoped", None),
    ("keys:manage", "GET", "/keys", None), ("keys:manage", "GET", "/keys/{key}", None),
    ("keys:manage", "POST", "/keys", {"name": "scoped-{RUN}", "scopes": ["links:read"]}),
    ("keys:manage", "DELETE", "/keys/{key}", None),
]


def fill(v, ctx):
    if isinstance(v, str):
        out = v.format(**ctx)
        return int(out) if v in ("{id}",) else out
    if isinstance(v, list):
        return [fill(x, ctx) for x in v]
    if isinstance(v, dict):
        return {k: fill(x, ctx) for k, x in v.items()}
    return v


@section
def scopes():
    """Each scope refused alone: a key with every scope but one gets 403 where it is needed"""
    r = create("a-admin", {"url": "https://example.com/scoped", "domain": A, "customSlug": slug("scoped"),
                           "title": "untouched"}, "a link to aim at: 201")
    before = r.json
    ctx = {"id": r.get("id"), "A": A, "A2": A2, "code": slug("scoped"), "RUN": RUN, "key": KEYS["a-read-only"]["id"]}
    links_before = link_count(f"domain IN ('{A}', '{A2}')")
    for scope, method, path, body in SCOPED:
        r = call(method, V1 + fill(path, ctx), f"a-no-{scope}", fill(body, ctx))
        problem(f"{method} {path} without {scope}: 403", r, 403)
    after = call("GET", f"{V1}/links/{ctx['id']}", "a-admin")
    check("the refused requests changed nothing", (before.get("title"), before.get("disabled"), before.get("updatedAt")),
          (after.get("title"), after.get("disabled"), after.get("updatedAt")), after)
    check("… made no link and deleted none", links_before, link_count(f"domain IN ('{A}', '{A2}')"))
    check("… left the domain and the key", (A2, 200),
          (sql(f"SELECT domain FROM shortlink.domains WHERE domain = '{A2}'"), call("GET", f"{V1}/links", "a-read-only").status))
    for scope in ("links:read", "links:write", "analytics:read", "domains:read", "domains:write", "sending:read",
                  "sending:write", "keys:manage"):
        path = f"{V1}/domains" if scope != "domains:read" else f"{V1}/links"
        check(f"the key without {scope} may do the rest (GET {path}: 200)", 200, call("GET", path, f"a-no-{scope}").status)
    problem("a links:read-only key: POST /links 403", call("POST", f"{V1}/links", "a-read-only",
                                                          {"url": "https://example.com/ro", "domain": A}), 403)
    problem("… PATCH /links/{id} 403", call("PATCH", f"{V1}/links/{ctx['id']}", "a-read-only", {"title": "ro"}), 403)
    problem("… DELETE /links/{id} 403", call("DELETE", f"{V1}/links/{ctx['id']}", "a-read-only"), 403)
    check("… but reads the link: 200", 200, call("GET", f"{V1}/links/{ctx['id']}", "a-read-only").status)


@section
def write_scopes_read():
    """A write scope grants reading its resource: links:write reads links, domains:write domains"""
    k = "a-write-only"  # links:write and domains:write, no read scope
    r = create(k, {"url": "https://example.com/wo", "domain": A, "customSlug": slug("wo")},
               "a links:write key without links:read: POST /links 201")
    lid = r.get("id")
    g = call("GET", f"{V1}/links/{lid}", k)
    check("… reads back the link it made: 200, the same link", (200, lid, slug("wo")), (g.status, g.get("id"), g.get("code")), g)
    got, _, last = walk(k, f"{V1}/links", limit=100, search="example.com/wo")
    check("… lists it", True, lid in got, last)
    c = call("GET", f"{V1}/links/count", k)
    check("… counts links: 200", (200, True), (c.status, isinstance(c.get("count"), int) and c.get("count") >= 1), c)
    i = call("GET", q(f"{V1}/links/info", domain=A, code=slug("wo")), k)
    check("… finds it by domain and code: 200", (200, lid), (i.status, i.get("id")), i)
    qr = call("GET", f"{V1}/links/{lid}/qr?format=svg", k)
    check("… its QR code: 200", 200, qr.status, qr)
    r = call("GET", f"{V1}/domains", k)
    check("a domains:write key without domains:read: GET /domains 200, the workspace's", (200, {A, A2}),
          (r.status, {d.get("domain") for d in r.json} if isinstance(r.json, list) else None), r)
    problem("… but no analytics (analytics:read is no write scope's): 403",
            call("GET", q(f"{V1}/analytics", groupBy="count", linkId=lid), k), 403)
    problem("… nor events: 403", call("GET", q(f"{V1}/events", format="ndjson"), k), 403)
    problem("… nor keys: 403", call("GET", f"{V1}/keys", k), 403)
    check("… DELETE its link: 204", 204, call("DELETE", f"{V1}/links/{lid}", k).status)


@section
def restricted_keys():
    """Domain-restricted and own_links_only keys see 404 outside their links"""
    on_a = create("a-admin", {"url": "https://example.com/ra", "domain": A, "customSlug": slug("ra"), "title": "ra"}, "a link on A: 201")
    on_a2 = create("a-admin", {"url": "https://example.com/ra2", "domain": A2, "customSlug": slug("ra2")}, "a link on A2: 201")
    ia, ia2 = on_a.get("id"), on_a2.get("id")
    click(slug("ra"), A, "198.51.100.30")
    k = "a-domain2"
    problem("domain-restricted key: a link of another domain by id: 404", call("GET", f"{V1}/links/{ia}", k), 404)
    problem("… by domain and code: 404", call("GET", q(f"{V1}/links/info", domain=A, code=slug("ra")), k), 404)
    problem("… PATCH: 404", call("PATCH", f"{V1}/links/{ia}", k, {"title": "x"}), 404)
    problem("… DELETE: 404", call("DELETE", f"{V1}/links/{ia}", k), 404)
    problem("… disable: 404", call("POST", f"{V1}/links/{ia}/disable", k), 404)
    problem("… QR: 404", call("GET", f"{V1}/links/{ia}/qr", k), 404)
    problem("… analytics of it: 404", analytics(k, groupBy="count", linkId=ia), 404)
    check("… its own domain's link: 200", 200, call("GET", f"{V1}/links/{ia2}", k).status)
    got, _, last = walk(k, f"{V1}/links", limit=100)
    check("… lists only its domain's links", workspace_links([A2]), set(got), last)
    check("… counts only them", len(workspace_links([A2])), call("GET", f"{V1}/links/count", k).get("count"))
    r = call("GET", f"{V1}/domains", k)
    check("… GET /domains: only its domain", {A2}, {d.get("domain") for d in r.json} if isinstance(r.json, list) else r.status, r)
    n = link_count(f"url = 'https://example.com/ra-new'")
    r = call("POST", f"{V1}/links", k, {"url": "https://example.com/ra-new", "domain": A})
    check("… creating on another domain: refused (403, 404 or 422)", True, r.status in (403, 404, 422), r)
    check("… and nothing made", n, link_count(f"url = 'https://example.com/ra-new'"))
    r = create(k, {"url": "https://example.com/ra-new2", "domain": A2}, "… creating on its domain: 201")
    r = call("GET", q(f"{V1}/events", format="ndjson", linkId=ia), k)
    problem("… events of another domain's link: 404", r, 404)
    check("… link ra unchanged", ("ra", False), (call("GET", f"{V1}/links/{ia}", "a-admin").get("title"),
                                                 call("GET", f"{V1}/links/{ia}", "a-admin").get("disabled")))

    k = "a-own"
    r = create(k, {"url": "https://example.com/own", "domain": A, "customSlug": slug("own")}, "own_links_only key: creates: 201")
    own = r.get("id")
    check("… reads its own link", 200, call("GET", f"{V1}/links/{own}", k).status)
    problem("… a link another key made: 404", call("GET", f"{V1}/links/{ia}", k), 404)
    problem("… by domain and code: 404", call("GET", q(f"{V1}/links/info", domain=A, code=slug("ra")), k), 404)
    problem("… PATCH it: 404", call("PATCH", f"{V1}/links/{ia}", k, {"title": "x"}), 404)
    problem("… DELETE it: 404", call("DELETE", f"{V1}/links/{ia}", k), 404)
    problem("… analytics of it: 404", analytics(k, groupBy="count", linkId=ia), 404)
    got, _, last = walk(k, f"{V1}/links", limit=100)
    check("… lists only its own", [own], got, last)
    check("… counts only its own", 1, call("GET", f"{V1}/links/count", k).get("count"))
    r = analytics(k, groupBy="count", bots="include")
    check("… analytics of the workspace: only its links' clicks (none)", 0, r.get("clicks"), r)
    r = call("PATCH", f"{V1}/links/bulk", k, [{"id": ia, "title": "x"}, {"id": own, "title": "mine"}])
    check("… PATCH bulk: 404 for the other's, 200 for its own", [404, 200], [x.get("status") for x in r.get("results") or []], r)
    check("the admin key sees the own-links key's link", 200, call("GET", f"{V1}/links/{own}", "a-admin").status)
    check("link ra unchanged", "ra", call("GET", f"{V1}/links/{ia}", "a-admin").get("title"))


@section
def expiry_and_revocation():
    """An expired key and a revoked one get 401 at once"""
    _, s = sql_key("expiring", {"expire_in": 2, "rate_limit": 1000000})
    check("a key with expire_in 2: 200 at first", 200, call("GET", f"{V1}/links", s).status)
    time.sleep(3)
    problem("… 3 s later: 401", call("GET", f"{V1}/links", s), 401)
    r = call("GET", f"{V1}/links", "a-revoke")
    check("a key before revocation: 200", 200, r.status, r)
    sql(f"SELECT shortlink.revoke_api_key({KEYS['a-revoke']['id']})")
    problem("… revoked in SQL: 401 on the very next request", call("GET", f"{V1}/links", "a-revoke"), 401)
    problem("… for writes too", call("POST", f"{V1}/links", "a-revoke", {"url": "https://example.com/rv", "domain": A}), 401)


@section
def one_statement_creation():
    """POST /links by a key the server has seen: one statement (api_shorten), same rules"""
    kid, s = sql_key("one-statement", {"rate_limit": 4})
    made = []
    for i in range(4):
        r = call("POST", f"{V1}/links", s, {"url": f"https://example.com/one-st/{i}", "domain": A,
                                           "title": f"t{i}", "tags": ["one-st"]})
        made.append((r.status, r.get("title"), r.get("tags"), r.get("clicks"), r.h("RateLimit-Remaining")))
    check("four creations by one key, the first presenting it the full way: 201 each, the whole link, counts 0",
          [(201, f"t{i}", ["one-st"], 0, str(3 - i)) for i in range(4)], made)
    r = call("POST", f"{V1}/links", s, {"url": "https://example.com/one-st/over", "domain": A})
    problem("the fifth within the minute (rate_limit 4), counted before the statement: 429", r, 429)
    check("… which made no link", 0, link_count("url = 'https://example.com/one-st/over'"))
    sql(f"SELECT shortlink.update_api_key({kid}, '{{\"rate_limit\": 100, \"scopes\": [\"links:read\"]}}')")
    r = call("POST", f"{V1}/links", s, {"url": "https://example.com/one-st/ro", "domain": A})
    problem("its scopes narrowed in SQL to links:read: 403 at once", r, 403)
    check("… the new rate limit in its headers", "100", r.h("RateLimit-Limit"), r)
    sql(f"SELECT shortlink.update_api_key({kid}, '{{\"scopes\": [\"links:write\"], \"domains\": [\"{A2}\"]}}')")
    problem("restricted to another domain: its old domain refused",
            call("POST", f"{V1}/links", s, {"url": "https://example.com/one-st/dom", "domain": A}), {403, 404, 422})
    check("… its own domain works", 201,
          call("POST", f"{V1}/links", s, {"url": "https://example.com/one-st/dom2", "domain": A2}).status)
    sql(f"SELECT shortlink.revoke_api_key({kid})")
    problem("revoked in SQL: 401 on the very next creation", call("POST", f"{V1}/links", s,
            {"url": "https://example.com/one-st/rv", "domain": A2}), 401)
    check("… and the refused ones made nothing", 0,
          link_count("url IN ('https://example.com/one-st/ro', 'https://example.com/one-st/dom', 'https://example.com/one-st/rv')"))
    check("the links made are the key's workspace's", "4 1",
          sql("SELECT count(*) FILTER (WHERE domain = '" + A + "') || ' ' || count(*) FILTER (WHERE domain = '" + A2 +
              "') FROM shortlink.links WHERE url LIKE 'https://example.com/one-st/%'"))


SEEDS = os.environ.get("SL_SEEDS", "")
CELLCAST = "/api/v2/tracking-link"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
CELLCAST_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def seed(name):
    """The text of a seed document (../shared/seeds), or None when the folder is absent."""
    path = os.path.join(SEEDS, name)
    return open(path, encoding="utf-8").read() if SEEDS and os.path.exists(path) else None


def seed_examples(text):
    """The request bodies a document prints (curl's --data '…', as printed, byte for byte)
    and the JSON answers it prints, each with the title before it."""
    bodies = [m.encode() for m in re.findall(r"--data '(.*?)'", text, re.S)]
    answers, decoder = [], json.JSONDecoder()
    i = max(text.find("Responses"), 0)
    while (start := text.find("json\n{", i)) >= 0:
        title = text[i:start].strip()
        value, end = decoder.raw_decode(text, start + len("json\n"))
        answers.append((title, value))
        i = end
    return bodies, answers


def cellcast(body, key="a-admin", method="POST", path=CELLCAST, headers=None):
    """A request as Cellcast's document sends it: the key in Authorization as it is."""
    secret_ = KEYS[key]["secret"] if key in KEYS else key
    hdrs = {"Authorization": secret_, **(headers or {})}
    return call(method, path, raw=body, headers=hdrs,
                content_type="application/json" if body is not None else None)


@section
def cellcast_drop_in():
    """Cellcast drop-in: the seed's requests byte for byte, its answers field for field"""
    text = seed("000_a6fe5f66f0bbeb18.txt")
    if text is None:
        print(f"skip: no seed documents in {SEEDS!r} (SL_SEEDS; ../shared/seeds beside the clone)")
        return
    bodies, answers = seed_examples(text)
    check("the document prints 3 requests and 4 answers", (3, 4), (len(bodies), len(answers)))
    ok_doc = answers[0][1]
    taken_doc = next(v for t, v in answers if "Already" in t)
    missing_doc = next(v for t, v in answers if "Missing" in t)
    head = [k for k in ok_doc if k not in ("data",)]
    made = []
    for body in bodies:
        sent = json.loads(body)
        r = cellcast(body)
        made.append(r)
        name = f"POST {CELLCAST} {body.decode()[:60]!r}"
        check(f"{name}: 200", 200, r.status, r)
        j = r.json or {}
        check("… every top-level field, in the document's order", list(ok_doc), list(j), r)
        check("… the envelope's values as printed", {k: ok_doc[k] for k in head},
              {k: j.get(k) for k in head}, r)
        d = j.get("data") or {}
        check("… every field of data, in the document's order", list(ok_doc["data"]), list(d), r)
        code = sent.get("shortUrl")
        if code:
            check("… shortUrl is the code asked", code, d.get("shortUrl"))
        else:
            check("… a generated shortUrl: 4 letters and digits", True,
                  bool(re.fullmatch(r"[A-Za-z0-9]{4}", str(d.get("shortUrl")))), r)
        check("… upstreamUrl as given", sent["upstreamUrl"], d.get("upstreamUrl"))
        check("… _id and user have an ObjectId's shape", (True, True),
              (bool(OBJECT_ID.match(str(d.get("_id")))), bool(OBJECT_ID.match(str(d.get("user"))))))
        check("… createdAt and updatedAt as Cellcast writes times", (True, True),
              (bool(CELLCAST_TIME.match(str(d.get("createdAt")))), bool(CELLCAST_TIME.match(str(d.get("updatedAt"))))))
        check("… click 0, linkSequenceNumber 0, __v 0, expireAt null (never expires)",
              (0, 0, 0, None), (d.get("click"), d.get("linkSequenceNumber"), d.get("__v"), d.get("expireAt")))
        check("… the link is the key's workspace's first domain's, in the database", "1",
              sql(f"SELECT count(*) FROM shortlink.links WHERE id = {int(str(d.get('_id')), 16)} "
                  f"AND domain = '{A}' AND code = '{d.get('shortUrl')}'") if OBJECT_ID.match(str(d.get("_id"))) else None)
        want = sent["upstreamUrl"] if "://" in sent["upstreamUrl"] else "https://" + sent["upstreamUrl"]
        check("… and redirects to the destination (over https without a scheme)", True,
              str(redirect_location(d.get("shortUrl"), A)).rstrip("/") == want.rstrip("/"))
    r = cellcast(bodies[0])
    check(f"the first request again: 400 {taken_doc['message']!r}", 400, r.status, r)
    check("… the document's answer exactly", taken_doc, r.json, r)
    for body in (b'{\n"shortUrl": "nourl"\n}', b"{}", b'{"upstreamUrl": ""}', b'{"upstreamUrl": null}'):
        r = cellcast(body)
        check(f"{body.decode()!r}: the document's 400 'upstreamUrl is required' exactly",
              (400, missing_doc), (r.status, r.json), r)
    for bad in ("ab", "a-b-c", "abc def", "ünï"):
        r = cellcast(json.dumps({"shortUrl": bad, "upstreamUrl": "https://example.com/x"}).encode())
        check(f"shortUrl {bad!r}: 400 in the envelope, status false", (400, False, "toast"),
              (r.status, r.get("status"), r.get("message_type")), r)
    r = cellcast(json.dumps({"upstreamUrl": "https://10.0.0.1/private"}).encode())
    check("a destination the database refuses (a private address): 422 in the envelope, its message",
          (422, False, True), (r.status, r.get("status"), "private" in str(r.get("message")).lower() or
                              "address" in str(r.get("message")).lower()), r)
    r = cellcast(b'{"upstreamUrl": ', key="a-admin")
    check("a body that is not JSON: 400 in the envelope", (400, False), (r.status, r.get("status")), r)
    r = cellcast(json.dumps({"upstreamUrl": "https://example.com/ct"}).encode(), headers={"Content-Type": "text/plain"})
    check("not JSON by its Content-Type: 415 in the envelope", (415, False), (r.status, r.get("status")), r)
    for name, key in (("an unknown key", "sl_ABCDEFGH_" + "x" * 43), ("no key", "")):
        r = cellcast(json.dumps({"upstreamUrl": "https://example.com/nokey"}).encode(), key=key)
        check(f"{name}: 401, invalid_token 1, status false", (401, 1, False),
              (r.status, r.get("invalid_token"), r.get("status")), r)
        check("… the rest of the envelope as printed", [k for k in missing_doc if k != "message"],
              [k for k in (r.json or {}) if k != "message"], r)
    r = cellcast(json.dumps({"upstreamUrl": f"https://example.com/cellcast-ro/{RUN}"}).encode(), key="a-read-only")
    check("a key without links:write: 403 in the envelope", (403, False), (r.status, r.get("status")), r)
    check("… which made nothing", 0, link_count(f"url = 'https://example.com/cellcast-ro/{RUN}'"))
    kid, s = sql_key("cellcast-revoked", {})
    check("a new key works", 200, cellcast(json.dumps({"upstreamUrl": f"https://example.com/rv/{RUN}"}).encode(), key=s).status)
    sql(f"SELECT shortlink.revoke_api_key({kid})")
    r = cellcast(json.dumps({"upstreamUrl": f"https://example.com/rv2/{RUN}"}).encode(), key=s)
    check("… revoked: 401 with invalid_token 1 on its next request", (401, 1), (r.status, r.get("invalid_token")), r)
    r = cellcast(json.dumps({"upstreamUrl": f"https://example.com/a2/{RUN}"}).encode(), key="a-domain2")
    check("a key restricted to another domain of the workspace: its link goes there", (200, "1"),
          (r.status, sql(f"SELECT count(*) FROM shortlink.links WHERE domain = '{A2}' "
                         f"AND code = '{r.get('data', 'shortUrl')}'")), r)
    body = json.dumps({"upstreamUrl": f"https://example.com/idem/cellcast/{RUN}"}).encode()
    r1 = cellcast(body, headers={"Idempotency-Key": f"cellcast-{RUN}"})
    r2 = cellcast(body, headers={"Idempotency-Key": f"cellcast-{RUN}"})
    check("Idempotency-Key: the retry gets the first answer, one link", (200, r1.body, 1),
          (r2.status, r2.body, link_count(f"url = 'https://example.com/idem/cellcast/{RUN}'")), r2)
    check("… marked replayed", "true", r2.h("Idempotent-Replayed"))
    check("RateLimit headers on Cellcast's answers too", True,
          all(r1.h(h) is not None for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")))

    # The list ("Get Tracking Links"): _id, shortUrl, longUrl, newest first, paged.
    r = cellcast(None, method="GET", path=q(CELLCAST, limit=1000))
    check(f"GET {CELLCAST}: 200, status true", (200, True), (r.status, r.get("status")), r)
    items = r.get("data") or []
    check("… each item is _id, shortUrl, longUrl", True,
          bool(items) and all(list(x) == ["_id", "shortUrl", "longUrl"] for x in items), r)
    ids = {x.get("_id") for x in items}
    check("… holds the links made above", True,
          all((m.get("data", "_id") in ids) for m in made), r)
    mine = {x.get("shortUrl"): x for x in items}
    first = made[0].get("data") or {}
    check("… longUrl is the destination stored (https:// added, as the parser writes it)",
          "https://www.cellcast.com/", (mine.get(first.get("shortUrl")) or {}).get("longUrl"))
    seen, path, pages = [], q(CELLCAST, limit=2), 0
    while path and pages < 500:
        r = cellcast(None, method="GET", path=path)
        pages += 1
        seen += [x.get("_id") for x in (r.get("data") or [])]
        nxt = re.match(r'<([^>]+)>; rel="next"', r.h("Link") or "")
        path = nxt.group(1) if nxt else None
    check("paging by 2 through Link: rel=\"next\" gives the same links in the same order",
          [x.get("_id") for x in items], seen)
    r = cellcast(None, key="b-admin", method="GET", path=q(CELLCAST, limit=1000))
    check("another workspace's key lists none of them", set(),
          ids & {x.get("_id") for x in (r.get("data") or [])}, r)
    r = cellcast(None, method="GET", path=q(CELLCAST, limit=0))
    check("limit 0: 400 in the envelope", (400, False), (r.status, r.get("status")), r)
    doc = call("GET", f"{V1}/openapi.json").json or {}
    ops = (doc.get("paths") or {}).get(CELLCAST) or {}
    check("the OpenAPI document describes both, tagged cellcast", (True, True),
          ("cellcast" in (ops.get("post") or {}).get("tags", []), "cellcast" in (ops.get("get") or {}).get("tags", [])))
    check("… with Cellcast's key scheme (the Authorization header as it is)", "apiKey",
          ((doc.get("components") or {}).get("securitySchemes") or {}).get("cellcastKey", {}).get("type"))


EXOTEL_LINK_FIELDS = ["sid", "short_url", "short_code", "long_url", "tracking", "custom_field",
                      "expires_at", "created_time", "last_viewed", "total_clicks", "url_shorten_header"]
EXOTEL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


TRACKLY_PATHS = ("/api/v2/links/shorten", "/v2/links/shorten")
TRACKLY_DOMAIN = "yourdomain.com"


def trackly(body, key="trackly-admin", path=TRACKLY_PATHS[0]):
    """A request as Trackly's document sends it: the key in X-Api-Key."""
    secret_ = KEYS[key]["secret"] if key in KEYS else key
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call("POST", path, raw=raw, headers={"X-Api-Key": secret_})


def trackly_error(name, r, status, code):
    j = r.json if isinstance(r.json, dict) else {}
    check(f"{name}: {status} {code}, with a message", (status, code, True),
          (r.status, j.get("error"), isinstance(j.get("message"), str) and bool(j.get("message"))), r)


@section
def trackly_drop_in():
    """Trackly drop-in: sending lists and offers through /api/v1, the seed's requests byte for byte, every error code"""
    text = seed("001_013661cf650e3231.txt")
    if text is None:
        print(f"skip: no seed documents in {SEEDS!r}")
        return
    bodies = list(dict.fromkeys(m.encode() for m in re.findall(r"-d '(.*?)'", text, re.S)))
    decoder, answers, i = json.JSONDecoder(), [], 0
    while (start := text.find('{\n  "shortUrl"', i)) >= 0:
        value, i = decoder.raw_decode(text, start)
        answers.append(value)
    check("the document prints 2 distinct requests and answers", (2, True), (len(bodies), len(answers) >= 1))
    doc = answers[0]
    sent = [json.loads(b) for b in bodies]
    list_id = next(s["listId"] for s in sent if "listId" in s)
    phone = next(s["phoneNumber"] for s in sent if "phoneNumber" in s)
    offer_id = next(s["offerId"] for s in sent if "offerId" in s)
    # The workspace's data, as its owner sets it through /api/v1 (scope sending:write).
    r = call("PUT", f"{V1}/sending-lists/{list_id}", "trackly-admin",
             {"phoneNumber": phone, "domain": TRACKLY_DOMAIN, "name": "main"})
    check(f"PUT /sending-lists/{list_id}: 200, the list", (200, list_id, phone, TRACKLY_DOMAIN),
          (r.status, r.get("listId"), r.get("phoneNumber"), r.get("domain")), r)
    r = call("PUT", f"{V1}/sending-lists/43", "trackly-admin", {"phoneNumber": "+1 (800) 555-1243"})
    check("PUT /sending-lists/43 without a domain: 200, the number without separators, domain null",
          (200, "+18005551243", None), (r.status, r.get("phoneNumber"), r.get("domain")), r)
    problem("PUT a list on a domain of another workspace: 422",
            call("PUT", f"{V1}/sending-lists/44", "trackly-admin", {"phoneNumber": "+18005551244", "domain": A}), 422)
    problem("PUT a list with a number that is not E.164: 422",
            call("PUT", f"{V1}/sending-lists/44", "trackly-admin", {"phoneNumber": "555-1244"}), 422)
    problem("PUT a second list with list 42's number: 409",
            call("PUT", f"{V1}/sending-lists/45", "trackly-admin", {"phoneNumber": phone}), 409)
    template = "https://example.com/offer?aff_sub={{contact.phone}}&c={{link.code}}"
    r = call("PUT", f"{V1}/offers/{offer_id}", "trackly-admin", {"destination": template, "filterBots": True})
    check(f"PUT /offers/{offer_id}: 200, active, filterBots", (200, offer_id, template, True, True),
          (r.status, r.get("offerId"), r.get("destination"), r.get("filterBots"), r.get("active")), r)
    r = call("PUT", f"{V1}/offers/paused", "trackly-admin", {"destination": "https://example.com/p", "active": False})
    check("PUT an inactive offer: 200", (200, False), (r.status, r.get("active")), r)
    problem("PUT an offer whose destination is not http(s): 422",
            call("PUT", f"{V1}/offers/bad", "trackly-admin", {"destination": "ftp://example.com/"}), 422)
    problem("PUT an offer with a broken macro: 422",
            call("PUT", f"{V1}/offers/bad", "trackly-admin", {"destination": "https://example.com/?p={{contact"}), 422)
    r = call("GET", f"{V1}/sending-lists", "trackly-admin")
    check("GET /sending-lists: the workspace's two lists, by id", (200, [42, 43]),
          (r.status, [x.get("listId") for x in r.json] if isinstance(r.json, list) else None), r)
    r = call("GET", f"{V1}/offers", "trackly-read")
    check("GET /offers with sending:read: both offers", (200, [offer_id, "paused"]),
          (r.status, [x.get("offerId") for x in r.json] if isinstance(r.json, list) else None), r)
    check("another workspace sees none of them", (200, []), (lambda g: (g.status, g.json))(call("GET", f"{V1}/offers", "a-admin")))
    problem("GET /sending-lists/999: 404", call("GET", f"{V1}/sending-lists/999", "trackly-admin"), 404)

    codes = []
    for path in TRACKLY_PATHS:
        for body in bodies:
            req = json.loads(body)
            r = trackly(body, path=path)
            name = f"POST {path} {body.decode()[:50]!r}"
            check(f"{name}: 200", 200, r.status, r)
            j = r.json if isinstance(r.json, dict) else {}
            check("… every field of the document's answer, in its order", list(doc), list(j), r)
            check("… shortUrl is https://<domain>/<linkId>, on the list's domain",
                  (f"https://{TRACKLY_DOMAIN}/{j.get('linkId')}", TRACKLY_DOMAIN),
                  (j.get("shortUrl"), j.get("domain")), r)
            codes.append(j.get("linkId"))
            if "offerId" in req:
                want = (f"https://example.com/offer?aff_sub=%2B15551234567&c={j.get('linkId')}", offer_id, True)
            else:
                want = (req["url"], None, False)
            check("… destinationUrl (the offer's template filled), offerId, filterBots (the offer's)",
                  want, (j.get("destinationUrl"), j.get("offerId"), j.get("filterBots")), r)
            stored = sql(f"SELECT metadata::text || ' ' || block_bots FROM shortlink.links "
                         f"WHERE domain = '{TRACKLY_DOMAIN}' AND code = '{j.get('linkId')}'")
            want_md = json.dumps(req.get("metadata", {}), sort_keys=True)
            got_md, _, bots = stored.rpartition(" ")
            check("… metadata stored on the link; bots refused as the answer says",
                  (json.loads(want_md), "true" if want[2] else "false"),
                  (json.loads(got_md) if got_md else None, bots))
    check("every call makes a new link (no deduplication)", len(codes), len(set(codes)))
    offer_code = codes[1] if "offerId" in json.loads(bodies[1]) else codes[0]
    r = call("GET", f"/{offer_code}", base=REDIRECT, headers={"Host": TRACKLY_DOMAIN, "User-Agent": BROWSER})
    check("the offer's link redirects a person to the filled destination", (302, True),
          (r.status, (r.h("location") or "").startswith("https://example.com/offer?aff_sub=%2B15551234567")), r)
    r = call("GET", f"/{offer_code}", base=REDIRECT, headers={"Host": TRACKLY_DOMAIN, "User-Agent": GOOGLEBOT})
    check("… and refuses a crawler (filter_bots)", (403, None), (r.status, r.h("location")), r)

    url = "https://example.com/x"
    trackly_error("no url nor offerId", trackly({"listId": 42}), 400, "missing_url_or_offer")
    trackly_error("no listId nor phoneNumber", trackly({"url": url}), 400, "missing_list_identifier")
    trackly_error("an ftp url", trackly({"url": "ftp://example.com/f", "listId": 42}), 400, "invalid_url")
    trackly_error("a url without a scheme", trackly({"url": "example.com/f", "listId": 42}), 400, "invalid_url")
    trackly_error("a phoneNumber not E.164", trackly({"url": url, "phoneNumber": "555-1234"}), 400, "invalid_phone")
    trackly_error("a contactPhone not E.164",
                  trackly({"offerId": offer_id, "listId": 42, "contactPhone": "12"}), 400, "invalid_phone")
    trackly_error("a key without links:write", trackly({"url": url, "listId": 42}, key="trackly-read"),
                  403, "product_not_enabled")
    trackly_error("an unknown offer", trackly({"offerId": "nope", "listId": 42}), 404, "offer_not_found")
    trackly_error("an inactive offer", trackly({"offerId": "paused", "listId": 42}), 404, "offer_not_found")
    trackly_error("another workspace's offer and list are not found",
                  trackly({"url": url, "listId": 42}, key="a-admin"), 404, "list_not_found")
    trackly_error("an unknown listId", trackly({"url": url, "listId": 999}), 404, "list_not_found")
    trackly_error("an unknown phoneNumber", trackly({"url": url, "phoneNumber": "+18005559999"}), 404, "list_not_found")
    trackly_error("a list without a domain", trackly({"url": url, "listId": 43}), 409, "no_domain_configured")
    trackly_error("an unknown key", trackly({"url": url, "listId": 42}, key="sl_nope"), 401, "unauthorized")
    r = call("POST", TRACKLY_PATHS[0], raw=b'{"url": ', headers={"X-Api-Key": KEYS["trackly-admin"]["secret"]})
    trackly_error("a body that is not JSON", r, 400, "invalid_request")
    before = link_count(f"domain = '{TRACKLY_DOMAIN}'")
    check("the refused requests made no link", len(codes), before)
    r = call("DELETE", f"{V1}/offers/paused", "trackly-admin")
    check("DELETE /offers/paused: 204, then 404", (204, 404),
          (r.status, call("DELETE", f"{V1}/offers/paused", "trackly-admin").status), r)
    r = call("DELETE", f"{V1}/sending-lists/43", "trackly-admin")
    check("DELETE /sending-lists/43: 204", 204, r.status, r)


def exotel_requests(text):
    """Every request body Exotel's document prints: curl's --data-raw and PHP's
    CURLOPT_POSTFIELDS as printed, and the JavaScript, Python and Ruby strings decoded."""
    bodies = [m.encode() for m in re.findall(r"--data-raw '(.*?)'", text, re.S)]
    bodies += [m.encode() for m in re.findall(r"CURLOPT_POSTFIELDS =>'(.*?)'", text, re.S)]
    bodies += [json.loads('"' + m + '"').encode()
               for m in re.findall(r'(?:payload|postData|request\.body) = "((?:[^"\\]|\\.)*)"', text)]
    return bodies


def exotel(method, path, body=None, key="exotel-admin", auth=None):
    """A request as Exotel's clients send one: HTTP basic auth with the key's two halves."""
    if auth is None:
        whole = KEYS[key]["secret"]
        user, token = whole[:11], whole[12:]
        auth = base64.b64encode(f"{user}:{token}".encode()).decode()
    return call(method, path, raw=body, headers={"Authorization": f"Basic {auth}"},
                content_type="application/json" if body is not None else None)


@section
def exotel_drop_in():
    """Exotel drop-in: the seeds' requests byte for byte (trailing commas), 200/207, codes"""
    text = seed("003_df3b59fc0c87cff4.txt")
    if text is None:
        print(f"skip: no seed documents in {SEEDS!r}")
        return
    base = "/v2/accounts/exotel/links"
    bodies = exotel_requests(text)
    check("the document prints 10 request bodies (curl, PHP, JavaScript, Python, Ruby)", 10, len(bodies))
    sids = []
    for n, body in enumerate(bodies):
        r = exotel("POST", base, body)
        sent = json.loads(re.sub(r",\s*([}\]])", r"\1", body.decode()))["links"][0]
        check(f"POST {base} body {n} as printed (trailing commas): 200", 200, r.status, r)
        j = r.json or {}
        check("… the envelope's fields", ["request_id", "method", "http_code", "metadata", "response"], list(j), r)
        check("… request_id 32 hexadecimal digits, method POST, http_code 200, 1 of 1 made", (True, "POST", 200,
              {"failed": 0, "total": 1, "success": 1}),
              (bool(re.fullmatch(r"[0-9a-f]{32}", str(j.get("request_id")))), j.get("method"), j.get("http_code"),
               j.get("metadata")), r)
        item = (j.get("response") or [{}])[0]
        check("… the item: code 200, error_data null, status success", (200, None, "success"),
              (item.get("code"), item.get("error_data"), item.get("status")), r)
        d = item.get("data") or {}
        check("… every link field, in the document's order", EXOTEL_LINK_FIELDS, list(d), r)
        check("… long_url, tracking, url_shorten_header as sent",
              (sent["long_url"], True, sent.get("url_shorten_header", "")),
              (d.get("long_url"), d.get("tracking"), d.get("url_shorten_header")), r)
        check("… sid 32 hexadecimal digits; short_url ends with /short_code", (True, True),
              (bool(re.fullmatch(r"[0-9a-f]{32}", str(d.get("sid")))),
               str(d.get("short_url")).endswith("/" + str(d.get("short_code")))), r)
        created, expires = parse_time_exotel(d.get("created_time")), parse_time_exotel(d.get("expires_at"))
        check("… times as YYYY-MM-DD HH:mm:ss, expiring expire_in (100 s) after creation", 100,
              round((expires - created).total_seconds()) if created and expires else None, r)
        check("… last_viewed null, total_clicks 0", (None, 0), (d.get("last_viewed"), d.get("total_clicks")))
        sids.append(d.get("sid"))
    check("each request made its own link (no deduplication)", len(bodies), len(set(sids)))
    sid = sids[0]
    r = exotel("GET", f"{base}/{sid}")
    check(f"GET {base}/<sid>: 200, the same link", (200, "GET", sid), (r.status, r.get("method"),
          r.get("response", 0, "data", "sid")), r)
    check("… every link field", EXOTEL_LINK_FIELDS, list(r.get("response", 0, "data") or {}), r)
    code = r.get("response", 0, "data", "short_code")
    click(code, r.get("response", 0, "data", "short_url").split("/")[2])
    r = exotel("GET", f"{base}/{code}")
    check("GET by short code after a click: total_clicks 1, last_viewed a time", (200, 1, True),
          (r.status, r.get("response", 0, "data", "total_clicks"),
           bool(EXOTEL_TIME.match(str(r.get("response", 0, "data", "last_viewed"))))), r)
    for name, path, want in (("an unknown sid", f"{base}/{'f' * 32}", 1012), ("an unknown code", f"{base}/nosuchcode", 1012)):
        r = exotel("GET", path)
        check(f"GET {name}: 404, code 1012", (404, want, "GET"), (r.status, r.get("response", 0, "code"), r.get("method")), r)
    sql(f"UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE id = {int(sid, 16)}")
    r = exotel("GET", f"{base}/{sid}")
    check("GET an expired link: 404, code 1012", (404, 1012), (r.status, r.get("response", 0, "code")), r)

    flat = {"long_url": f"https://example.com/exotel/flat/{RUN}", "tracking": "false",
            "shorten_url_header": "ACME", "custom_field": "Order 42", "custom_domain": "go.exotel2.test"}
    r = exotel("POST", base, json.dumps(flat).encode())
    d = r.get("response", 0, "data") or {}
    check("the flat form (one link's fields): 200; tracking \"false\", the other header spelling, custom_field, custom_domain",
          (200, False, "ACME", "Order 42", True), (r.status, d.get("tracking"), d.get("url_shorten_header"),
          d.get("custom_field"), str(d.get("short_url")).startswith("https://go.exotel2.test/")), r)
    created, expires = parse_time_exotel(d.get("created_time")), parse_time_exotel(d.get("expires_at"))
    check("… expire_in 31 days by default", 31 * 86400,
          round((expires - created).total_seconds()) if created and expires else None)
    mixed = {"links": [{"long_url": f"https://example.com/exotel/ok/{RUN}"}, {"expire_in": 100},
                       {"long_url": "https://example.com/x", "expire_in": 59},
                       {"long_url": "https://example.com/x", "tracking": "maybe"},
                       {"long_url": "https://example.com/x", "custom_field": "x" * 1025},
                       {"long_url": "not a url"}]}
    r = exotel("POST", base, json.dumps(mixed).encode())
    check("some made, some refused: 207, metadata 1 of 6", (207, 207, {"failed": 5, "total": 6, "success": 1}),
          (r.status, r.get("http_code"), r.get("metadata")), r)
    check("… each refusal with its code (1001 missing, 1002 invalid)", [200, 1001, 1002, 1002, 1002, 1002],
          [x.get("code") for x in (r.get("response") or [])], r)
    check("… error_data names the code and what", True,
          all(x.get("error_data", {}).get("code") == x.get("code") and x.get("error_data", {}).get("description")
              for x in (r.get("response") or [])[1:]), r)
    check("… only the good one made", 1, link_count(f"url LIKE 'https://example.com/exotel/ok/{RUN}%'"))
    r = exotel("POST", base, json.dumps({"links": [{"expire_in": 100}]}).encode())
    check("every item refused: 400 with its code", (400, 1001), (r.status, r.get("response", 0, "code")), r)
    r = exotel("POST", base, b'{"links": [')
    check("a body that does not parse: 400, code 1007", (400, 1007), (r.status, r.get("response", 0, "code")), r)
    r = exotel("POST", base, json.dumps(flat).encode(), auth=base64.b64encode(b"sl_nobody0:wrong").decode())
    check("wrong credentials: 401, code 1015", (401, 1015), (r.status, r.get("response", 0, "code")), r)
    r = call("POST", base, raw=json.dumps(flat).encode())
    check("no credentials: 401, code 1015", (401, 1015), (r.status, r.get("response", 0, "code")), r)
    whole = KEYS["exotel-admin"]["secret"]
    r = exotel("POST", base, json.dumps({"long_url": f"https://example.com/exotel/whole/{RUN}"}).encode(),
               auth=base64.b64encode(f"any:{whole}".encode()).decode())
    check("the whole key as the token: 200", 200, r.status, r)
    r = exotel("POST", "/v2/accounts/e2e_a/links", json.dumps(flat).encode())
    check("another account's sid in the path: 403, code 1010", (403, 1010), (r.status, r.get("response", 0, "code")), r)
    r = exotel("GET", f"/v2/accounts/e2e_a/links/{sids[1]}")
    check("… GET too", (403, 1010), (r.status, r.get("response", 0, "code")), r)
    r = exotel("GET", f"/v2/accounts/e2e_a/links/{sids[1]}", key="a-admin")
    check("an exotel link from another workspace's key and account: 404, code 1012", (404, 1012),
          (r.status, r.get("response", 0, "code")), r)
    doc = call("GET", f"{V1}/openapi.json").json or {}
    paths = doc.get("paths") or {}
    check("the OpenAPI document describes both, tagged exotel", (True, True),
          ("exotel" in (paths.get("/v2/accounts/{account_sid}/links", {}).get("post") or {}).get("tags", []),
           "exotel" in (paths.get("/v2/accounts/{account_sid}/links/{sid}", {}).get("get") or {}).get("tags", [])))


EXOTEL_CALLBACK_FIELDS = ["sid", "short_url", "short_code", "long_url", "Tracking", "custom_field", "Expires_at",
                          "Created_time", "Last_viewed", "Total_clicks", "Account_sid", "Date_created", "city",
                          "Country", "IP", "Postal_code", "Region", "Accuracy_radius", "OS_version", "OS_name",
                          "Device_name", "Platform_type"]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def hook_bodies(path_suffix, want, wait=20.0):
    """The requests the webhook receiver got at a path ending in path_suffix: at least
    `want` of them, waiting up to `wait` seconds for the dispatcher."""
    path, got = os.environ.get("SL_HOOK_BODIES", ""), []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                got = [json.loads(line) for line in f if line.strip()]
            got = [g for g in got if str(g.get("path", "")).endswith(path_suffix)]
            if len(got) >= want:
                break
        time.sleep(0.25)
    return got


@section
def exotel_callback():
    """Exotel's click callback: a link made through the Exotel route calls back a real receiver with Exotel's fields"""
    hook = os.environ.get("SL_HOOK_URL")
    if not hook:
        print("skip: no webhook receiver (SL_HOOK_URL)")
        return
    base = "/v2/accounts/exotel/links"
    given = f"https://hooks.example.com/exotel-callback/{RUN}"
    body = {"long_url": f"https://example.com/exotel/callback/{RUN}", "expire_in": 3600, "tracking": True,
            "callback_url": given, "custom_field": "Order 7"}
    r = exotel("POST", base, json.dumps(body).encode())
    d = r.get("response", 0, "data") or {}
    check("POST with a callback_url: 200", 200, r.status, r)
    code, domain = d.get("short_code"), str(d.get("short_url", "")).split("/")[2] if d.get("short_url") else None
    lid = int(d.get("sid") or "0", 16)
    g = call("GET", f"{V1}/links/{lid}", "exotel-admin")
    check("… the link calls back in Exotel's format (callbackFormat)", ("exotel", given),
          (g.get("callbackFormat"), g.get("callbackUrl")), g)
    # The API refuses loopback callback URLs (as it should): the receiver's address is put
    # in by the database's owner, the format and everything else as the route made them.
    target = f"{hook}/exotel-callback/{RUN}"
    sql(f"UPDATE shortlink.links SET callback_url = '{target}' WHERE id = {lid}")
    r = call("GET", f"/{code}", base=REDIRECT, headers={"Host": domain, "User-Agent": IPHONE})
    check("a person clicks it: 302 to the destination", (302, body["long_url"]), (r.status, r.h("location")), r)
    got = hook_bodies(f"/exotel-callback/{RUN}", 1)
    check("the receiver got one callback, signed", (1, True),
          (len(got), all(g.get("signature_ok") for g in got)))
    cb = got[0]["body"] if got and isinstance(got[0].get("body"), dict) else {}
    check("… with exactly Exotel's fields, in Exotel's casing", sorted(EXOTEL_CALLBACK_FIELDS), sorted(cb))
    check("… the link's values (sid, short_url, short_code, long_url, Tracking, custom_field, Account_sid)",
          (d.get("sid"), d.get("short_url"), code, body["long_url"], True, "Order 7", "exotel"),
          (cb.get("sid"), cb.get("short_url"), cb.get("short_code"), cb.get("long_url"), cb.get("Tracking"),
           cb.get("custom_field"), cb.get("Account_sid")))
    created = parse_time_exotel(d.get("created_time"))
    expires = parse_time_exotel(d.get("expires_at"))
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else None
    check("… its times in ISO 8601, UTC: Created_time and Date_created the creation, Expires_at the expiry",
          (stamp(created), stamp(created), stamp(expires)),
          (cb.get("Created_time"), cb.get("Date_created"), cb.get("Expires_at")))
    check("… the click's: Last_viewed ISO 8601 now, Total_clicks 1", (True, 1),
          (bool(ISO_UTC.match(str(cb.get("Last_viewed")))), cb.get("Total_clicks")))
    check("… and the client's: OS_name, OS_version, Device_name, Platform_type",
          ("iOS", "17.4", "iPhone", "mobile"),
          (cb.get("OS_name"), cb.get("OS_version"), cb.get("Device_name"), cb.get("Platform_type")))
    check("… IP the address as stored (loopback here, its last octet zeroed)", True,
          str(cb.get("IP", "")).startswith("127.0.0."))
    call("GET", f"/{code}", base=REDIRECT, headers={"Host": domain, "User-Agent": IPHONE})
    got = hook_bodies(f"/exotel-callback/{RUN}", 2)
    check("a second click: a second callback, Total_clicks 2", [1, 2],
          sorted(g["body"].get("Total_clicks") for g in got if isinstance(g.get("body"), dict)))


@section
def pixel_page():
    """Retargeting pixels: a person gets the pixel page (its CSP the vendors' origins only); HEAD and bots the redirect"""
    r = create("a-admin", {"url": "https://example.com/pixel?p=1", "domain": A, "customSlug": slug("pixel"),
                           "metaPixelId": "1234567890", "googleTagId": "G-PIX1"}, "a link with both pixels: 201")
    code = r.get("code")
    hdr = {"Host": A, "User-Agent": BROWSER}
    g = call("GET", f"/{code}", base=REDIRECT, headers=hdr)
    csp = g.h("content-security-policy") or ""
    check("a person: 200, the page, no Location, never cached", (200, None, "no-store", True),
          (g.status, g.h("location"), g.h("cache-control"), "text/html" in (g.h("content-type") or "")), g)
    check("… the page loads both pixels with the link's ids and forwards without JavaScript too",
          [True] * 4, ['fbq(\'init\',"1234567890")' in g.text, 'gtag(\'config\',"G-PIX1")' in g.text,
                       '<meta http-equiv="refresh" content="0;url=https://example.com/pixel?p=1">' in g.text,
                       'href="https://example.com/pixel?p=1"' in g.text], g)
    sources = dict(p.strip().split(" ", 1) for p in csp.split(";") if " " in p.strip())
    check("… its CSP: nothing by default, scripts its own (by hash) and the two vendors' only",
          ("'none'", True, "https://connect.facebook.net https://www.googletagmanager.com"),
          (sources.get("default-src"), sources.get("script-src", "").startswith("'sha256-"),
           sources.get("script-src", "").split(" ", 1)[-1]))
    h = call("HEAD", f"/{code}", base=REDIRECT, headers=hdr)
    check("HEAD: the redirect, no page", (302, "https://example.com/pixel?p=1"), (h.status, h.h("location")), h)
    b = call("GET", f"/{code}", base=REDIRECT, headers={"Host": A, "User-Agent": GOOGLEBOT})
    check("a crawler: the redirect, no page", (302, "https://example.com/pixel?p=1"), (b.status, b.h("location")), b)
    lid = r.get("id")
    g = call("GET", f"{V1}/links/{lid}", "a-admin")
    check("the person's click counted, the crawler's apart", (1, 1), (g.get("clicks"), g.get("botClicks")), g)


def parse_time_exotel(s):
    try:
        return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


SEED_002_TYPES = ["PERMANENT_301 | TEMPORARY_302", "URL | MAILTO | TEL | SMS", "string (ISO 8601)",
                  "string[]", "string", "boolean", "number"]


def seed_002_fields(text):
    """The body fields seed 002 documents (`urlstringbodyrequired`, …), in its order."""
    body = text[text.find("Bodyapplication/json"):text.find("Last updated")]
    names = []
    for line in body.splitlines():
        line = line.strip()
        for t in SEED_002_TYPES:
            i = line.find(t + "body")
            if i > 0 and re.fullmatch(r"[a-z][A-Za-z]*", line[:i]):
                names.append(line[:i])
                break
    return names


@section
def dub_seed_round_trip():
    """Seed 002 (Dub-style): every documented field round-trips and changes the redirect"""
    text = seed("002_83e442f79cf31b90.txt")
    if text is None:
        print(f"skip: no seed documents in {SEEDS!r}")
        return
    fields = seed_002_fields(text)
    check("the document lists its 23 body fields", 23, len(fields), fields)
    expires = now() + dt.timedelta(days=2)
    values = {
        "url": "https://example.com/dub?x=1", "domain": A, "customSlug": slug("dub"),
        "title": "Dub title", "description": "Dub description", "image": "https://img.example.com/dub.png",
        "redirectType": "PERMANENT_301", "linkType": "URL", "cloaked": False, "password": "dub pass 123",
        "expiresAt": iso(expires), "maxClicks": 50, "tagIds": ["dub-a", "dub-b"],
        "forwardParameters": True, "blockBots": True, "utmSource": "sms", "utmMedium": "text",
        "utmCampaign": "winter", "utmTerm": "boots", "utmContent": "top",
        "metaPixelId": "1234567890", "googleTagId": "G-DUB123",
        "webhookUrls": "https://hooks.example.com/a,https://hooks.example.com/b",
    }
    check("the test gives a value to every documented field", [], [f for f in fields if f not in values])
    r = create("a-admin", {k: values[k] for k in fields}, "every documented field in one POST /api/v1/links: 201")
    L = r.json or {}
    got = call("GET", f"{V1}/links/{L.get('id')}", "a-admin").json or {}
    # Each field as the link shows it (the names the API answers with).
    shown = {
        "url": str(got.get("url", "")).startswith("https://example.com/dub?x=1"),
        "domain": got.get("domain") == A, "customSlug": got.get("code") == slug("dub"),
        "title": got.get("title") == "Dub title", "description": got.get("description") == "Dub description",
        "image": got.get("image") == values["image"], "redirectType": got.get("redirectType") == 301,
        "linkType": got.get("linkType") == "URL", "cloaked": got.get("cloaked") is False,
        "password": got.get("passwordProtected") is True,
        "expiresAt": parse_time(got.get("expiresAt")) is not None
        and abs((parse_time(got.get("expiresAt")) - expires).total_seconds()) < 1,
        "maxClicks": got.get("maxClicks") == 50, "tagIds": got.get("tags") == ["dub-a", "dub-b"],
        "forwardParameters": got.get("forwardParameters") is True, "blockBots": got.get("blockBots") is True,
        "metaPixelId": got.get("metaPixelId") == "1234567890", "googleTagId": got.get("googleTagId") == "G-DUB123",
        "webhookUrls": got.get("webhookUrls") == ["https://hooks.example.com/a", "https://hooks.example.com/b"],
    }
    for k in ("utmSource", "utmMedium", "utmCampaign", "utmTerm", "utmContent"):
        shown[k] = f"{'utm_' + k[3:].lower()}={values[k]}" in str(got.get("url"))
    check("every field comes back on GET (a name the API answers with, or its effect)",
          [], [f for f in fields if not shown.get(f)], got)
    code = slug("dub")
    hdr = {"Host": A, "User-Agent": BROWSER}
    r = call("GET", f"/{code}", base=REDIRECT, headers=hdr)
    check("password: the redirect asks for it (401, a form) instead of redirecting", (401, None),
          (r.status, r.h("location")), r)
    given = urllib.parse.urlencode({"password": "dub pass 123"}).encode()
    r = call("POST", f"/{code}?ref=sms", base=REDIRECT, raw=given, headers=hdr,
             content_type="application/x-www-form-urlencoded")
    refresh = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]*)">', r.text)
    dest = html.unescape(refresh.group(1)) if refresh else ""
    check("… given: the pixel page (metaPixelId, googleTagId; in Chromium: tests/browser), "
          "loading both with the link's ids", (200, True, True),
          (r.status, 'fbq(\'init\',"1234567890")' in r.text, 'gtag(\'config\',"G-DUB123")' in r.text), r)
    wanted = ("utm_source=sms", "utm_medium=text", "utm_campaign=winter", "utm_term=boots", "utm_content=top", "ref=sms")
    check("… forwarding to the destination with the UTM parameters and the forwarded ref=sms (forwardParameters)",
          (True, True), (dest.startswith("https://example.com/dub?"), all(p in dest for p in wanted)), r)
    # Without its pixels, the link redirects as its redirectType says.
    p = call("PATCH", f"{V1}/links/{L.get('id')}", "a-admin", {"metaPixelId": None, "googleTagId": None})
    check("PATCH metaPixelId and googleTagId null: 200, cleared", (200, None, None),
          (p.status, p.get("metaPixelId"), p.get("googleTagId")), p)
    r = call("POST", f"/{code}?ref=sms", base=REDIRECT, raw=given, headers=hdr,
             content_type="application/x-www-form-urlencoded")
    loc = r.h("location") or ""
    check("… the password given: 301 (redirectType) to the destination", (301, True),
          (r.status, loc.startswith("https://example.com/dub?")), r)
    check("… with the UTM parameters and the forwarded ref=sms (forwardParameters)", True,
          all(p in loc for p in wanted), r)
    bot = {"Host": A, "User-Agent": GOOGLEBOT}
    r = call("GET", f"/{code}", base=REDIRECT, headers=bot)
    check("blockBots: a crawler is not redirected (the password asked first)", (401, None),
          (r.status, r.h("location")), r)
    r = call("POST", f"/{code}", base=REDIRECT, raw=urllib.parse.urlencode({"password": "dub pass 123"}).encode(),
             headers=bot, content_type="application/x-www-form-urlencoded")
    check("… and refused (403) even with the password", (403, None), (r.status, r.h("location")), r)
    # Without a password, on links of their own: the click limit and the expiry.
    lim = create("a-admin", {"url": "https://example.com/dub-limit", "domain": A, "customSlug": slug("dub-limit"),
                             "maxClicks": 1}, "maxClicks 1: 201")
    check("maxClicks: the first click redirects, the second is gone (410)", [302, 410],
          [redirect_status(slug("dub-limit"), A), redirect_status(slug("dub-limit"), A)], lim)
    soon = create("a-admin", {"url": "https://example.com/dub-exp", "domain": A, "customSlug": slug("dub-exp"),
                              "expiresAt": iso(now() + dt.timedelta(hours=1))}, "expiresAt in an hour: 201")
    before = redirect_status(slug("dub-exp"), A)
    sql(f"UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE id = {soon.get('id')}")
    check("expiresAt: redirects before, gone (410) after", (302, 410), (before, redirect_status(slug("dub-exp"), A)))
    mail = create("a-admin", {"url": "mailto:sales@example.com", "domain": A, "customSlug": slug("dub-mail"),
                              "linkType": "MAILTO"}, "linkType MAILTO: 201")
    check("linkType MAILTO: the redirect goes to the mailto: address", "mailto:sales@example.com",
          redirect_location(slug("dub-mail"), A), mail)
    cl = create("a-admin", {"url": "https://example.com/dub-cloak", "domain": A, "customSlug": slug("dub-cloak"),
                            "cloaked": True, "title": "Cloaked title"}, "cloaked: 201")
    r = call("GET", f"/{slug('dub-cloak')}", base=REDIRECT, headers=hdr)
    check("cloaked: a page of its own (200) framing the destination, with the title", (200, True, True),
          (r.status, b"https://example.com/dub-cloak" in r.body, b"Cloaked title" in r.body), cl)


@section
def isolation():
    """Tenant isolation: B's key gets 404 for every object of A, and A's are unchanged"""
    r = create("a-admin", {"url": "https://example.com/iso", "domain": A, "customSlug": slug("iso"),
                           "title": "A's", "tags": ["iso"]}, "A's link: 201")
    la = r.get("id")
    click(slug("iso"), A, "198.51.100.40", n=2)
    rb = create("b-admin", {"url": "https://example.com/iso-b", "domain": B, "customSlug": slug("isob"), "tags": ["iso"]},
                "B's link: 201")
    lb = rb.get("id")
    click(slug("isob"), B, "198.51.100.41", n=3)
    snap = call("GET", f"{V1}/links/{la}", "a-admin").body
    nowhere = call("GET", f"{V1}/links/{NOWHERE}", "b-admin")
    k = "b-admin"
    attempts = [
        ("GET", f"/links/{la}", None), ("GET", q("/links/info", domain=A, code=slug("iso")), None),
        ("PATCH", f"/links/{la}", {"title": "B's now", "url": "https://evil.example/"}),
        ("POST", f"/links/{la}/disable", None), ("POST", f"/links/{la}/enable", None),
        ("GET", f"/links/{la}/qr", None), ("GET", f"/links/{la}/qr?format=png", None),
        ("DELETE", f"/links/{la}", None),
        ("GET", q("/analytics", groupBy="count", linkId=la), None),
        ("GET", q("/analytics", groupBy="timeseries", linkId=la), None),
        ("GET", q("/events", format="ndjson", linkId=la), None),
        ("DELETE", f"/domains/{A}", None),
        ("GET", f"/keys/{KEYS['a-admin']['id']}", None), ("DELETE", f"/keys/{KEYS['a-admin']['id']}", None),
    ]
    for method, path, body in attempts:
        r = call(method, V1 + path, k, body)
        problem(f"B: {method} {path.replace(str(la), '{A link}')}: 404", r, 404)
        if r.status == 404 and path.startswith("/links/") and "info" not in path:
            check("… exactly like a link that does not exist (type and title)", (nowhere.get("type"), nowhere.get("title")),
                  (r.get("type"), r.get("title")), r)
    r = call("PATCH", f"{V1}/links/bulk", k, [{"id": la, "title": "B's now"}])
    check("B: PATCH bulk with A's id: 404 for it", [404], [x.get("status") for x in r.get("results") or []], r)
    r = call("DELETE", f"{V1}/links/bulk", k, {"ids": [la]})
    check("B: DELETE bulk with A's id: A's link stays", 200, call("GET", f"{V1}/links/{la}", "a-admin").status, r)
    if r.get("results") is not None:
        check("… per item: 404", [404], [x.get("status") for x in r.get("results")], r)
    r = call("POST", f"{V1}/links", k, {"url": "https://example.com/iso-b2", "domain": A, "customSlug": slug("isob2")})
    check("B: creating a link on A's domain: refused (403, 404 or 422)", True, r.status in (403, 404, 422), r)
    check("… nothing made", 0, link_count(f"code = '{slug('isob2')}'"))
    r = call("POST", f"{V1}/links", k, {"url": "https://example.com/iso-b3", "domain": A, "customSlug": slug("iso")})
    check("B: A's code on A's domain: not 201", True, r.status != 201, r)
    got, _, last = walk(k, f"{V1}/links", limit=50)
    b_links = workspace_links([B])
    check("B's list: exactly B's links", b_links, set(got), last)
    got, _, last = walk(k, f"{V1}/links", limit=50, domain=A)
    check("B's list filtered by A's domain: none of A's", set(), set(got) & workspace_links([A, A2]), last)
    got, _, last = walk(k, f"{V1}/links", limit=50, tag="iso")
    check("B's list by a tag both use: only B's", {lb}, set(got), last)
    c = call("GET", f"{V1}/links/count", k)
    check("B's count: B's links", len(b_links), c.get("count"), c)
    c = call("GET", q(f"{V1}/links/count", domain=A), k)
    check("B's count with A's domain: 0 (or 404)", True, c.get("count") == 0 or c.status == 404, c)
    c = call("GET", q(f"{V1}/links/count", search="iso"), k)
    check("B's count by search: B's one", 1, c.get("count"), c)
    b_clicks = int(sql("SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id "
                       f"WHERE l.domain = '{B}'"))
    r = analytics(k, groupBy="count", bots="include")
    check(f"B's analytics: B's {b_clicks} clicks only", b_clicks, r.get("clicks"), r)
    r = analytics(k, groupBy="count", bots="include", domain=A)
    check("B's analytics with A's domain: 0 (or 404)", True, r.get("clicks") == 0 or r.status == 404, r)
    r = analytics(k, groupBy="count", bots="include", tag="iso")
    check("B's analytics by a tag both use: B's clicks only", 3, r.get("clicks"), r)
    r = analytics(k, groupBy="topLinks", bots="include")
    check("B's topLinks: B's links only", {lb}, {x.get("linkId") for x in r.json} if isinstance(r.json, list) else r.status, r)
    for group in ("countries", "browsers", "referers", "timeseries"):
        r = analytics(k, groupBy=group, bots="include")
        check(f"B's {group}: B's clicks only", b_clicks,
              sum(x.get("clicks", 0) for x in r.json) if isinstance(r.json, list) else r.status, r)
    status, _, body, _ = read_stream(q(f"{V1}/events", format="ndjson"), k)
    check(f"B's events: B's {b_clicks} lines", (200, b_clicks), (status, len(body.splitlines())))
    status, _, body, _ = read_stream(q(f"{V1}/events", format="ndjson", domain=A), k)
    check("B's events with A's domain: none (or 404)", True, (status == 200 and not body.strip()) or status == 404)
    r = call("GET", f"{V1}/domains", k)
    check("B's domains: B's only", {B}, {d.get("domain") for d in r.json} if isinstance(r.json, list) else r.status, r)
    r = call("GET", f"{V1}/keys", k)
    listed = r.json if isinstance(r.json, list) else (r.get("data") or [])
    check("B's keys: none of A's", set(), {x.get("id") for x in listed} & {v["id"] for n, v in KEYS.items() if n.startswith("a-")}, r)
    r = call("POST", f"{V1}/links/{la}/disable", "b-admin", headers={"Idempotency-Key": "iso-" + RUN})
    check("B's disable with an idempotency key: 404 too", 404, r.status, r)
    check("A's link unchanged after all of B's attempts", snap, call("GET", f"{V1}/links/{la}", "a-admin").body)
    check("A's domain still there", A, sql(f"SELECT domain FROM shortlink.domains WHERE domain = '{A}'"))
    check("A's admin key still works", 200, call("GET", f"{V1}/links", "a-admin").status)
    check("A's link still redirects", "https://example.com/iso", redirect_location(slug("iso"), A))
    check("another workspace's key (fuzz) gets 404 for A's link too", 404, call("GET", f"{V1}/links/{la}", "fuzz").status)


def raw_exchange(base, data, wait=10.0):
    """Sends data on a fresh connection; the first bytes of the answer, or '' on close."""
    s = socket.create_connection((base.hostname, base.port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                break
        return out.decode("latin-1")
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "timeout"
    finally:
        s.close()


def status_of(answer):
    m = re.match(r"HTTP/1\.[01] (\d{3})", answer)
    return int(m.group(1)) if m else answer[:40] or "closed"


def dribble(base):
    """A request head sent one byte every 0.3 s: (seconds until answered or closed, status)."""
    s = socket.create_connection((base.hostname, base.port), timeout=10)
    head = b"GET /api/v1/links HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    t0 = time.monotonic()
    answer = b""
    try:
        for byte in head:
            s.sendall(bytes([byte]))
            r, _, _ = select.select([s], [], [], 0.3)
            if r:
                answer = s.recv(4096) or b"closed"
                break
            if time.monotonic() - t0 > HEADER_TIMEOUT * 4:
                break
    except (ConnectionResetError, BrokenPipeError):
        answer = b"reset"
    finally:
        s.close()
    return time.monotonic() - t0, status_of(answer.decode("latin-1")) if answer not in (b"closed", b"reset") else answer.decode()


@section
def limits():
    """Every listener: slow heads 408 or closed, big heads 431, too many connections 503"""
    listeners = [("API", API, "/api/v1/openapi.json"), ("redirect", REDIRECT, "/robots.txt"), ("admin", ADMIN, "/healthz")]
    for name, base, path in listeners:
        secs, got = dribble(base)
        check(f"{name}: a head dribbled past the {HEADER_TIMEOUT:.0f} s header timeout: 408 or closed", True,
              secs < HEADER_TIMEOUT + 2 and got in (408, "closed", "reset"), f"after {secs:.1f} s: {got}")
        big = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * 20480}\r\nConnection: close\r\n\r\n".encode()
        check(f"{name}: 20 KB of headers over --max-header-bytes {MAX_HEADER_BYTES}: 431", 431,
              status_of(raw_exchange(base, big)))
        check(f"{name}: a plain request still answers 200", 200,
              status_of(raw_exchange(base, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())))
    for name, base, path in listeners:
        held = []
        try:
            for _ in range(MAX_CONNECTIONS):
                held.append(socket.create_connection((base.hostname, base.port), timeout=5))
            time.sleep(0.3)
            got = status_of(raw_exchange(base, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(), wait=5))
        finally:
            for s in held:
                s.close()
        check(f"{name}: connection {MAX_CONNECTIONS + 1} over --max-connections {MAX_CONNECTIONS}: 503", 503, got)
        time.sleep(0.5)
        check(f"{name}: once they close, 200 again", 200,
              status_of(raw_exchange(base, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())))


@section
def answers():
    """Across every answer of this run: no 5xx, RateLimit headers wherever a key was good"""
    with lock:
        seen = list(ANSWERS)
    five = [f"{m} {p[:80]} -> {s}" for m, p, s, _, _ in seen if s >= 500]
    check(f"no 5xx among {len(seen)} answers", [], five)
    missing = [f"{m} {p[:80]} -> {s}" for m, p, s, keyed, rl in seen if keyed and s != 401 and not rl]
    check("RateLimit-Limit, -Remaining and -Reset on every answer to a good key", [], missing[:10])


def main():
    for fn in SECTIONS:
        print(f"\n==> {fn.__doc__}")
        try:
            fn()
        except Exception as e:  # one section's surprise must not hide the others' results
            check(f"{fn.__name__} ran to the end", "no exception", f"{type(e).__name__}: {e}")
            traceback.print_exc(limit=3)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

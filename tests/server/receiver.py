#!/usr/bin/env python3
"""A webhook receiver for the end-to-end test: records every POST it gets, one line each,
"<webhook-id> <signature ok: 1|0> <status answered>", into the file given, and answers
after --delay seconds. --fail-first N answers 503 to the first N requests (retries).
--bodies FILE appends each request as one JSON line: {"id", "signature_ok", "path",
"body"} (the body parsed as JSON).
Verifies Standard Webhooks signatures: v1,base64(HMAC-SHA256(key, id.timestamp.body)).
  receiver.py PORT LOG SECRET [--delay S] [--fail-first N] [--bodies FILE]
Loopback only; stops on SIGTERM."""
import argparse, base64, hashlib, hmac, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("log")
ap.add_argument("secret")
ap.add_argument("--delay", type=float, default=0.0)
ap.add_argument("--fail-first", type=int, default=0)
ap.add_argument("--bodies")
args = ap.parse_args()
key = args.secret.encode()
lock = threading.Lock()
seen = [0]


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        wid = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        want = "v1," + base64.b64encode(
            hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
        ok = hmac.compare_digest(want, self.headers.get("webhook-signature", ""))
        with lock:
            seen[0] += 1
            status = 503 if seen[0] <= args.fail_first else 200
            # Recorded on arrival: a sender killed before the answer still delivered it.
            with open(args.log, "a") as f:
                f.write(f"{wid} {int(ok)} {status}\n")
            if args.bodies:
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = body.decode("utf-8", "replace")
                with open(args.bodies, "a") as f:
                    f.write(json.dumps({"id": wid, "signature_ok": ok, "path": self.path,
                                        "body": parsed}) + "\n")
        time.sleep(args.delay)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *a):
        pass


class Server(ThreadingHTTPServer):
    # The listen backlog: the dispatcher opens up to --dispatch-batch connections at once,
    # and connections beyond http.server's default of 5 would wait for a SYN retry (1 s).
    request_queue_size = 256


Server(("127.0.0.1", args.port), Hook).serve_forever()

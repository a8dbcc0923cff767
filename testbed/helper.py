#!/usr/bin/env python3
"""Testbed helper: the loopback HTTP server that kwok port-forwards to, the writer that keeps
the web containers' log file growing (so `kubectl logs -f` has something to follow), and the
validating admission webhook (HTTPS) whose denials carry hostile text.
usage: helper.py <port> <live-log-file> <webhook-port> <webhook-cert> <webhook-key>"""
import http.server, json, os, random, ssl, sys, threading, time, datetime

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from hostile import CORPUS  # noqa: E402

PORT, LIVE = int(sys.argv[1]), sys.argv[2]
WEBHOOK_PORT, WEBHOOK_CERT, WEBHOOK_KEY = int(sys.argv[3]), sys.argv[4], sys.argv[5]
MAX_LINES = 5000  # bound the file: rewrite the tail when it grows past this
# The label (on the object) that makes the webhook deny a change: "deny" always,
# "deny-unless-dry-run" only a real one. Evictions are denied whatever the pod.
LABEL = "flotilla.dev/hostile-webhook"
DENIAL = "HOSTILE-WEBHOOK" + CORPUS


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"server": "flotilla-testbed", "path": self.path}).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Admission(http.server.BaseHTTPRequestHandler):
    """Answers the AdmissionReviews of the ValidatingWebhookConfiguration the seed registers
    (assets/testbed/common/90-hostile-webhook.yaml: namespaces labelled
    flotilla.dev/hostile-webhook=on only)."""

    timeout = 10  # seconds a silent connection is kept

    def do_POST(self):
        try:
            review = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            req = review["request"]
        except (ValueError, KeyError):
            self.send_error(400)
            return
        labels = ((req.get("object") or {}).get("metadata") or {}).get("labels") or {}
        wanted = labels.get(LABEL)
        deny = (req.get("kind", {}).get("kind") == "Eviction" or wanted == "deny"
                or (wanted == "deny-unless-dry-run" and not req.get("dryRun")))
        answer = {"uid": req.get("uid", ""), "allowed": not deny}
        if deny:
            answer["status"] = {"code": 403, "reason": "Forbidden", "message": DENIAL}
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "response": answer}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_webhook():
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(WEBHOOK_CERT, WEBHOOK_KEY)
    tls.set_alpn_protocols(["http/1.1"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", WEBHOOK_PORT), Admission)
    # The handshake happens in each request's thread (on its first read), not in accept():
    # one slow client must not hold up the others.
    server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.serve_forever()


def cri(msg):
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    return f"{ts} stdout F {msg}\n"


def writer():
    paths = ["/", "/api/items", "/api/cart", "/healthz", "/static/app.js", "/login"]
    n = 0
    while True:
        status = random.choice([200] * 12 + [304, 404, 500])
        line = (f'10.0.0.{random.randint(2, 250)} - - "GET {random.choice(paths)} HTTP/1.1" '
                f'{status} {random.randint(120, 9000)} "-" "curl/8.5"')
        with open(LIVE, "a") as f:
            f.write(cri(line))
        n += 1
        if n % 500 == 0:
            with open(LIVE) as f:
                lines = f.readlines()
            if len(lines) > MAX_LINES:
                tmp = LIVE + ".tmp"
                with open(tmp, "w") as f:
                    f.writelines(lines[-MAX_LINES // 2:])
                os.replace(tmp, LIVE)
        time.sleep(2)


threading.Thread(target=writer, daemon=True).start()
threading.Thread(target=serve_webhook, daemon=True).start()
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

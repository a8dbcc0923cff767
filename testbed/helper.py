#!/usr/bin/env python3
"""Testbed helper: the loopback HTTP server that kwok port-forwards to, and the writer that keeps
the web containers' log file growing (so `kubectl logs -f` has something to follow).
usage: helper.py <port> <live-log-file>"""
import http.server, json, os, random, sys, threading, time, datetime

PORT, LIVE = int(sys.argv[1]), sys.argv[2]
MAX_LINES = 5000  # bound the file: rewrite the tail when it grows past this


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
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

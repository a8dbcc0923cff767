#!/usr/bin/env python3
"""Writes the CRI-format log files kwok serves as container logs (see kwok/debug.yaml).
usage: gen-logs.py <dir>"""
import datetime, json, os, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from hostile import CORPUS  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=30)


def write(name, lines, step=1.5):
    with open(os.path.join(out, name), "w") as f:
        for i, (stream, msg) in enumerate(lines):
            ts = (start + datetime.timedelta(seconds=i * step)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
            f.write(f"{ts} {stream} F {msg}\n")


def j(level, msg, **kw):
    return json.dumps({"level": level, "msg": msg, **kw})


app = [("stdout", "starting service version=1.4.2 commit=3f9c2ab"),
       ("stdout", j("info", "listening", addr=":8080")),
       ("stdout", j("info", "connected to database", host="postgres.data.svc", pool=10))]
for i in range(60):
    app.append(("stdout", j("info", "request served", method="GET", path=f"/api/items/{i}",
                            status=200, duration_ms=3 + i % 17)))
    if i % 15 == 7:
        app.append(("stderr", j("warn", "slow query", query="SELECT * FROM orders", duration_ms=812)))
    if i % 20 == 13:
        app.append(("stderr", j("error", "upstream timeout", upstream="payments:443", retry=i % 3)))
app.append(("stdout", "plain text line: cache warmed (4096 entries)"))
# A hostile line: a pod must not be able to drive the operator's terminal.
app.append(("stdout", "ESCAPE-TEST \x1b[31mred\x1b[0m \x1b]0;pwned-title\x07 \x1b[2J end"))
app.append(("stdout", j("info", "healthy", uptime_s=1800)))
write("app.log", app)
# Container "hostile" (tests/testbed_write/hostile.rs): nothing but hostile text, on both streams.
write("hostile.log", [("stdout", "HOSTILE-LOG" + CORPUS), ("stderr", "HOSTILE-LOG-ERR" + CORPUS)])
write("app-previous.log", [("stdout", "starting service version=1.4.1"),
                           ("stderr", j("error", "config reload failed", file="/etc/app/config.yaml")),
                           ("stderr", "received SIGTERM, shutting down")])

write("crash-current.log", [("stdout", "starting crasher v0.3.1"),
                            ("stdout", "loading config from /etc/crasher/config.yaml"),
                            ("stderr", "connecting to redis://cache:6379 ...")])
write("crash-previous.log", [("stdout", "starting crasher v0.3.1"),
                             ("stdout", "loading config from /etc/crasher/config.yaml"),
                             ("stderr", "connecting to redis://cache:6379 ..."),
                             ("stderr", "panic: dial tcp 10.96.0.12:6379: connect: connection refused"),
                             ("stderr", ""),
                             ("stderr", "goroutine 1 [running]:"),
                             ("stderr", "main.main()"),
                             ("stderr", "\t/src/cmd/crasher/main.go:42 +0x1d5"),
                             ("stderr", "exit status 2")], step=0.2)

web = [("stdout", f'10.0.0.{i % 200 + 2} - - "GET /index.html HTTP/1.1" 200 {512 + i} "-" "curl/8.5"')
       for i in range(40)]
write("web-previous.log", [("stdout", "nginx: [notice] start worker processes"),
                           ("stderr", "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address in use)")])
live = os.path.join(out, "web-live.log")
if not os.path.exists(live):
    write("web-live.log", [("stdout", "nginx: [notice] start worker processes")] + web)

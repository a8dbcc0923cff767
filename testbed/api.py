#!/usr/bin/env python3
"""Minimal admin call to a testbed apiserver (things kubectl cannot do in one request, such as
DELETE on a collection). usage: api.py <cluster-dir> <METHOD> <path>"""
import json, re, ssl, sys, urllib.request

cdir, method, path = sys.argv[1:4]
server = re.search(r"server:\s*(\S+)", open(f"{cdir}/kubeconfig.yaml").read()).group(1)
ctx = ssl.create_default_context(cafile=f"{cdir}/pki/ca.crt")
ctx.load_cert_chain(f"{cdir}/pki/admin.crt", f"{cdir}/pki/admin.key")
req = urllib.request.Request(server + path, method=method)
with urllib.request.urlopen(req, context=ctx, timeout=600) as resp:
    body = json.load(resp)
print(body.get("kind", ""), len(body.get("items") or []))

#!/usr/bin/env python3
"""Prints Helm v3 release Secrets (storage driver "secret") for one testbed cluster as YAML.
Each release gets revision 1 (superseded) and revision 2 (deployed), like `helm install` followed
by `helm upgrade`. Secret data "release" = base64(gzip(json(release))), exactly as Helm stores it.
usage: gen-helm.py <cluster>"""
import base64, datetime, gzip, json, sys

cluster = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
# name, namespace, chart, [(chart version, app version, values) per revision]
RELEASES = {
    "dev":     [("shop-frontend", "shop", "frontend", [("1.2.0", "2.4.0", {"replicaCount": 1}),
                                                        ("1.3.0", "2.5.0", {"replicaCount": 2, "ingress": {"enabled": True}})])],
    "staging": [("shop-frontend", "shop", "frontend", [("1.3.0", "2.5.0", {"replicaCount": 2}),
                                                        ("1.4.0", "2.6.0", {"replicaCount": 3, "ingress": {"enabled": True}})])],
    "prod":    [("shop-frontend", "shop", "frontend", [("1.3.0", "2.5.0", {"replicaCount": 3}),
                                                        ("1.3.1", "2.5.1", {"replicaCount": 5, "ingress": {"enabled": True}})]),
                ("payments-gateway", "payments", "gateway", [("0.9.0", "1.0.0", {"tls": True}),
                                                             ("0.9.1", "1.0.1", {"tls": True, "replicas": 2})])],
}[cluster]

TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
"""


def ts(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


docs = []
for name, ns, chart, revs in RELEASES:
    first = now - datetime.timedelta(days=3)
    for i, (cver, aver, values) in enumerate(revs, start=1):
        deployed = first + datetime.timedelta(days=i - 1, hours=i)
        last = i == len(revs)
        status = "deployed" if last else "superseded"
        manifest = (f"---\n# Source: {chart}/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\n"
                    f"metadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/managed-by: Helm\n"
                    f"    helm.sh/chart: {chart}-{cver}\nspec:\n  replicas: {values.get('replicaCount', 1)}\n")
        release = {
            "name": name,
            "info": {"first_deployed": ts(first), "last_deployed": ts(deployed), "deleted": "",
                     "description": "Install complete" if i == 1 else "Upgrade complete",
                     "status": status, "notes": f"{name} is available at http://{name}.{ns}.svc\n"},
            "chart": {"metadata": {"name": chart, "version": cver, "appVersion": aver, "apiVersion": "v2",
                                   "description": f"The {chart} chart", "type": "application"},
                      "lock": None,
                      "templates": [{"name": "templates/deployment.yaml",
                                     "data": base64.b64encode(TEMPLATE.encode()).decode()}],
                      "values": {"replicaCount": 1, "image": {"repository": f"registry.example.com/{chart}",
                                                              "tag": aver}},
                      "schema": None, "files": []},
            "config": values,
            "manifest": manifest,
            "hooks": [],
            "version": i,
            "namespace": ns,
        }
        blob = base64.b64encode(gzip.compress(json.dumps(release).encode())).decode()
        docs.append(f"""apiVersion: v1
kind: Secret
type: helm.sh/release.v1
metadata:
  name: sh.helm.release.v1.{name}.v{i}
  namespace: {ns}
  labels:
    name: {name}
    owner: helm
    status: {status}
    version: "{i}"
    modifiedAt: "{int(deployed.timestamp())}"
stringData:
  release: {blob}
""")
print("---\n".join(docs), end="")

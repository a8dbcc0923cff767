#!/usr/bin/env bash
# Builds the testbed's Kubernetes binaries from the Go module proxy (the only source this
# machine can reach) and caches them outside the repo. Rebuilds only what is missing.
# usage: build-binaries.sh <out-dir> [all|kwok|etcd|kube|metrics-server]
set -euo pipefail
source "$(dirname "$0")/versions.env"
OUT=${1:?output dir}
mkdir -p "$OUT"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
log() { printf '[testbed build] %s\n' "$*" >&2; }

build_kube() {
  local need=0
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do [[ -x $OUT/$b ]] || need=1; done
  ((need)) || return 0
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $K8S_VERSION (cold: ~20 min)"
  local w staging minor kmod gover staged ldf
  w=$(mktemp -d); trap 'rm -rf "$w"' RETURN
  staging="v0.${K8S_VERSION#v1.}"
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  (cd "$w"
    go mod init k8sbins >/dev/null 2>&1
    # k8s.io/kubernetes requires its staging modules at v0.0.0 through replace directives that
    # only apply inside its own repo; re-point each at its published tag.
    kmod=$(go list -m -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')
    read -r gover staged < <(go mod edit -json "$kmod" | python3 -c '
import json,sys; m=json.load(sys.stdin)
st=[r["Path"] for r in m.get("Require",[]) if r["Path"].startswith("k8s.io/") and r["Version"]=="v0.0.0"]
print(m["Go"], " ".join(st))')
    go mod edit -go="$gover" -godebug="default=go$(cut -d. -f1,2 <<<"$gover")"
    for m in $staged; do go mod edit -replace="$m=$m@$staging"; done
    pkgs="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl"
    go get $(for p in $pkgs; do echo "$p@$K8S_VERSION"; done)
    ldf="-s -w"
    for kv in "gitVersion=$K8S_VERSION" "gitMajor=1" "gitMinor=$minor" "gitTreeState=clean" "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do
      ldf="$ldf -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
    done
    go build -trimpath -tags=selinux,notest -ldflags="$ldf" -o "$OUT/" $pkgs)
  "$OUT/kube-apiserver" --version >&2
}

build_etcd() {
  [[ -x $OUT/etcd ]] && return 0
  log "building etcd $ETCD_VERSION"
  local w; w=$(mktemp -d); trap 'rm -rf "$w"' RETURN
  (cd "$w"
    go mod init etcdbins >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3)
  "$OUT/etcd" --version >&2
}

build_kwok() {
  [[ -x $OUT/kwok && -x $OUT/kwokctl ]] && return 0
  log "building kwok and kwokctl $KWOK_VERSION"
  GOBIN="$OUT" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  # The stage/logs kustomizations ship in the module zip; keep a copy next to the binaries.
  local src; src=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize
  if [[ -d $src ]]; then rm -rf "$OUT/kustomize"; cp -r "$src" "$OUT/kustomize"; chmod -R u+w "$OUT/kustomize"; fi
}

# metrics-server serves metrics.k8s.io from kwok's simulated kubelet /metrics/resource. Its own
# go.mod has no replace lines, so `go install` works; the version is stamped the way its Makefile
# does (kwokctl reads `metrics-server --version`). The kustomize base in the module zip (APIService,
# Service, RBAC, Deployment) is copied next to it: kwokctl keeps the APIService and turns the
# Service into an ExternalName for 127.0.0.1, so nothing is fetched from GitHub.
build_metrics_server() {
  local bin=$OUT/metrics-server-$METRICS_SERVER_VERSION man=$OUT/metrics-server-$METRICS_SERVER_VERSION-manifests
  if [[ ! -x $bin ]]; then
    log "building metrics-server $METRICS_SERVER_VERSION"
    local w ldf="-s -w" kv; w=$(mktemp -d); trap 'rm -rf "$w"' RETURN
    for kv in "gitVersion=$METRICS_SERVER_VERSION" "gitTreeState=clean" "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do
      ldf="$ldf -X k8s.io/client-go/pkg/version.$kv"
    done
    GOBIN="$w" go install -trimpath -ldflags "$ldf" "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION"
    mv "$w/metrics-server" "$bin"
    "$bin" --version >&2
  fi
  if [[ ! -f $man/base/kustomization.yaml ]]; then
    local src; src=$(go mod download -json "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION" |
      python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')/manifests/base
    [[ -f $src/kustomization.yaml ]] || { log "no manifests/base in the metrics-server module"; exit 1; }
    rm -rf "$man"; mkdir -p "$man"; cp -r "$src" "$man/base"; chmod -R u+w "$man"
  fi
}

# helm-<v> (v3) and helm4-<v>: the version is stamped the way helm's Makefile does, so
# `helm version` names it.
build_helm() {
  local name=$1 module=$2 version=$3 bin=$OUT/$1-$3
  [[ -x $bin ]] && return 0
  log "building $name $version"
  local w; w=$(mktemp -d); trap 'rm -rf "$w"' RETURN
  GOBIN="$w" go install -trimpath -ldflags "-s -w -X $module/internal/version.version=$version" "$module/cmd/helm@$version"
  mv "$w/helm" "$bin"
  "$bin" version --short >&2
}

case "${2:-all}" in
  all) build_kwok; build_etcd; build_kube; build_metrics_server
       build_helm helm helm.sh/helm/v3 "$HELM_VERSION"; build_helm helm4 helm.sh/helm/v4 "$HELM4_VERSION" ;;
  kwok) build_kwok ;; etcd) build_etcd ;; kube) build_kube ;; metrics-server) build_metrics_server ;;
  helm) build_helm helm helm.sh/helm/v3 "$HELM_VERSION"; build_helm helm4 helm.sh/helm/v4 "$HELM4_VERSION" ;;
esac

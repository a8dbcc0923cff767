# shellcheck shell=bash
# Shared variables and helpers for testbed/tb. Sourced, never executed.

TB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)          # testbed/
REPO=$(cd "$TB_SRC/.." && pwd)                                  # repository root
# shellcheck source=versions.env
source "$TB_SRC/versions.env"

# Binaries are cached outside the repo, keyed on every component version.
BIN=${FLOTILLA_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/testbed}/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}
# metrics-server is versioned inside that dir (adding or bumping it keeps the other binaries).
MS_BIN=$BIN/metrics-server-$METRICS_SERVER_VERSION
MS_MANIFESTS=$BIN/metrics-server-$METRICS_SERVER_VERSION-manifests/base
HELM=$BIN/helm-$HELM_VERSION
HELM4=$BIN/helm4-$HELM4_VERSION
# Everything that runs lives under the repo's build output.
WORK=$REPO/target/testbed
KCFG=$WORK/kubeconfig                 # the one kubeconfig users and tests see (contexts dev/staging/prod)
VIEWER_KCFG=$WORK/kubeconfig-viewer   # <cluster>-viewer contexts (ServiceAccount token, RBAC-limited)
DEFAULT_CLUSTERS=(dev staging prod)
# The cluster whose apiserver logs every request (kwok/audit-policy.yaml) to
# clusters/<name>/logs/audit.log. dev: no test stops or freezes it, and with the fewest nodes
# it has the least background traffic, so its log grows slowest.
AUDITED_CLUSTER=dev

export KWOK_WORKDIR=$WORK
# kwokctl merges its contexts into $KUBECONFIG; keep that away from ~/.kube/config.
export KUBECONFIG=$WORK/kwokctl.kubeconfig
# kwokctl looks kubectl up on PATH (it would download one otherwise).
export PATH=$BIN:$PATH

log()  { printf '\033[1m[tb]\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[31m[tb] error:\033[0m %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

kubectl_tb() { "$BIN/kubectl" --kubeconfig "$KCFG" "$@"; }
kc() { local ctx=$1; shift; "$BIN/kubectl" --kubeconfig "$KCFG" --context "$ctx" "$@"; }

cluster_dir() { echo "$WORK/clusters/$1"; }
cluster_exists() { [[ -f $(cluster_dir "$1")/kwok.yaml ]]; }
# A zombie (exited, not yet reaped by its adoptive parent) counts as dead.
pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }; [[ ${stat:0:1} != Z ]]
}
component_pid() { cat "$(cluster_dir "$1")/pids/$2.pid" 2>/dev/null || true; }
component_running() { pid_alive "$(component_pid "$1" "$2")"; }

# https://127.0.0.1:<port> of a cluster's apiserver, from kwokctl's per-cluster kubeconfig.
apiserver_url() {
  sed -n 's/^ *server: *//p' "$(cluster_dir "$1")/kubeconfig.yaml" 2>/dev/null | head -n1
}

# All clusters kwokctl knows in our workdir.
known_clusters() {
  local d
  for d in "$WORK"/clusters/*/; do [[ -f $d/kwok.yaml ]] && basename "$d"; done
}

have_binaries() {
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl; do
    [[ -x $BIN/$b ]] || return 1
  done
  [[ -d $BIN/kustomize/stage && -d $BIN/kustomize/metrics && -x $MS_BIN && -f $MS_MANIFESTS/kustomization.yaml &&
    -x $HELM && -x $HELM4 ]]
}

# Whether <cluster>'s apiserver writes an audit log (clusters created before it did do not).
has_audit_log() { grep -q -- '--audit-policy-file=' "$(cluster_dir "$1")/kwok.yaml" 2>/dev/null; }
# Clusters created before metrics-server was part of the testbed have no such component.
# (kwok.yaml lists a component's binary only when it runs; patches name it either way.)
has_metrics_server() { grep -q '^  binary: .*/bin/metrics-server$' "$(cluster_dir "$1")/kwok.yaml" 2>/dev/null; }
# metrics.k8s.io serves node and pod usage (kubectl top fails until the first CPU rates exist).
metrics_answer() {
  local out
  out=$(kc "$1" top nodes --no-headers 2>/dev/null) && [[ -n $out ]] &&
    out=$(kc "$1" top pods -A --no-headers 2>/dev/null) && [[ -n $out ]]
}

# Wait until <cluster>'s apiserver answers /readyz (admin credentials), up to $2 seconds.
wait_ready() {
  local name=$1 timeout=${2:-60} t0=$SECONDS
  until "$BIN/kubectl" --kubeconfig "$(cluster_dir "$name")/kubeconfig.yaml" get --raw /readyz >/dev/null 2>&1; do
    ((SECONDS - t0 < timeout)) || return 1
    sleep 0.2
  done
}

# After an apiserver outage the controller manager and scheduler either renew their leader
# lease or exit (renew deadline 10 s): wait until each has renewed since `since` (epoch seconds)
# and start, through kwokctl, whichever exited meanwhile.
settle_controllers() {
  local name=$1 since=$2 t0=$SECONDS c renew ok
  local kcfg; kcfg="$(cluster_dir "$name")/kubeconfig.yaml"
  while ((SECONDS - t0 < 40)); do
    ok=1
    for c in kube-controller-manager kube-scheduler; do
      if ! component_running "$name" "$c"; then
        "$BIN/kwokctl" --name "$name" start cluster >>"$WORK/logs/kwokctl-$name.log" 2>&1 || return 1
        ok=0; continue
      fi
      renew=$("$BIN/kubectl" --kubeconfig "$kcfg" -n kube-system get lease "$c" \
        -o 'jsonpath={.spec.renewTime}' 2>/dev/null || true)
      [[ -n $renew ]] && (($(date -d "$renew" +%s) >= since)) || ok=0
    done
    ((ok)) && return 0
    sleep 0.5
  done
  return 1
}

# Every process started from our workdir: kwokctl runs components with cwd = the cluster dir, the
# helper server records its pid. Prints "pid cmd" lines.
testbed_processes() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ $cwd == "$WORK"/* || $cwd == "$WORK" ]] || continue
    [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
    printf '%s %s\n' "${p#/proc/}" "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-120)"
  done
}

# shellcheck shell=bash
# Clusterpedia for testbed/tb (`tb clusterpedia <sub>`): a host cluster `hub` (etcd +
# kube-apiserver only), a PostgreSQL instance of our own, Clusterpedia's clustersynchro-manager and
# apiserver as local processes, the apiserver served through hub's aggregation layer, and one
# PediaCluster per testbed cluster. Everything listens on 127.0.0.1 and lives under
# target/testbed/clusterpedia/. Sourced by tb after lib.sh and clusters.sh.

# Clusterpedia's source (with vendor/) is not in this repository: it sits beside it in
# ../shared/third_party/ (see its README). CI builds from a clone elsewhere (e.g. /tmp/ci-clone),
# where ../shared does not exist: FLOTILLA_THIRD_PARTY overrides the directory, and
# /work/shared/third_party (the machine's copy) is the fallback.
pedia_third_party() {
  local d
  if [[ -n ${FLOTILLA_THIRD_PARTY:-} ]]; then echo "$FLOTILLA_THIRD_PARTY"; return; fi
  for d in "$REPO/../shared/third_party" /work/shared/third_party; do
    [[ -d $d ]] && { (cd "$d" && pwd); return; }
  done
}
PEDIA_TARBALL=$(compgen -G "$(pedia_third_party)/clusterpedia-*.tar.gz" | sort | tail -n1 || true)
# Binaries (and the CRDs from deploy/) are cached per source commit, like the Kubernetes ones.
PEDIA_COMMIT=$(basename "${PEDIA_TARBALL:-clusterpedia-unknown.tar.gz}" .tar.gz); PEDIA_COMMIT=${PEDIA_COMMIT#clusterpedia-}
PEDIA_BIN=${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/clusterpedia-$PEDIA_COMMIT

PEDIA=$WORK/clusterpedia              # pg/ (PostgreSQL data), logs/, pids/, kwok/ (hub), apiserver certs
PEDIA_KCFG=$WORK/kubeconfig-pedia     # context "hub" only: never in $KCFG, whose contexts tests iterate
PEDIA_NS=clusterpedia-system
HUB=hub
# hub lives in a kwokctl workdir of its own, so known_clusters (write_kubeconfig, status, seed,
# wait-metrics, thaw) never sees it; its processes still run from under $WORK (tb down's check).
HUB_WORKDIR=$PEDIA/kwok
# What every PediaCluster syncs (no secrets).
PEDIA_SYNC='[{"group":"","resources":["pods","services","namespaces","nodes","configmaps","events"]},
 {"group":"apps","resources":["deployments","statefulsets","daemonsets","replicasets"]},
 {"group":"batch","resources":["jobs","cronjobs"]}]'

have_pedia_binaries() {
  [[ -x $PEDIA_BIN/apiserver && -x $PEDIA_BIN/clustersynchro-manager ]] &&
    compgen -G "$PEDIA_BIN/crds/*.yaml" >/dev/null
}

# `tb clusterpedia build`: vendor mode, no network; only what is missing (binaries, CRDs).
pedia_build() {
  local t0 w src; t0=$(now_ms)
  have_pedia_binaries && return 0
  [[ -f $PEDIA_TARBALL ]] || die "no clusterpedia-*.tar.gz in $(pedia_third_party || echo '../shared/third_party') (set FLOTILLA_THIRD_PARTY, or TB_CLUSTERPEDIA=0 to do without)"
  w=$(mktemp -d)
  tar -xzf "$PEDIA_TARBALL" -C "$w" || { rm -rf "$w"; die "cannot unpack $PEDIA_TARBALL"; }
  src=$(find "$w" -mindepth 1 -maxdepth 1 -type d | head -n1)
  mkdir -p "$PEDIA_BIN/crds"
  # The CRDs (PediaCluster, ClusterSyncResources, policy.*) go with the binaries: up needs no tarball.
  cp "$src"/deploy/*.clusterpedia.io_*.yaml "$PEDIA_BIN/crds/"
  if [[ ! -x $PEDIA_BIN/apiserver || ! -x $PEDIA_BIN/clustersynchro-manager ]]; then
    command -v go >/dev/null || { rm -rf "$w"; die "go is not installed"; }
    log "building Clusterpedia $PEDIA_COMMIT into $PEDIA_BIN (vendor mode; cold: 4-9 min)"
    if ! (cd "$src" && GOTOOLCHAIN=local GOFLAGS=-mod=vendor CGO_ENABLED=0 \
        go build -trimpath -ldflags "-s -w" -o "$PEDIA_BIN/" ./cmd/apiserver ./cmd/clustersynchro-manager); then
      rm -rf "$w"; die "Clusterpedia build failed"
    fi
  fi
  rm -rf "$w"
  have_pedia_binaries || die "build finished but Clusterpedia binaries are missing in $PEDIA_BIN"
  log "Clusterpedia binaries ready in $PEDIA_BIN ($(elapsed "$t0"))"
}

hubctl() { KWOK_WORKDIR=$HUB_WORKDIR "$BIN/kwokctl" --name "$HUB" "$@"; }
hub_dir() { echo "$HUB_WORKDIR/clusters/$HUB"; }
hub_exists() { [[ -f $(hub_dir)/kwok.yaml ]]; }
hub_running() { pid_alive "$(cat "$(hub_dir)/pids/kube-apiserver.pid" 2>/dev/null)"; }
hk() { "$BIN/kubectl" --kubeconfig "$PEDIA_KCFG" --context "$HUB" "$@"; }
pedia_pid() { cat "$PEDIA/pids/$1.pid" 2>/dev/null || true; }
pedia_running() { pid_alive "$(pedia_pid "$1")"; }
pedia_port() { cat "$PEDIA/$1.port" 2>/dev/null; }
# One port per service, chosen once and kept (start/stop reuse it).
pedia_port_init() { [[ -s $PEDIA/$1.port ]] || free_port >"$PEDIA/$1.port"; }

# ---- PostgreSQL ------------------------------------------------------------------------------

# Debian puts the server binaries in /usr/lib/postgresql/<major>/bin, off PATH.
pg_bindir() {
  local d
  d=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n1 || true)
  if [[ -n $d && -x $d/initdb ]]; then echo "$d"; return; fi
  d=$(command -v initdb 2>/dev/null) && dirname "$(readlink -f "$d")"
}

# The server refuses to run as root: as root, run it as the postgres user (the package makes it).
pg_as() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_postgres_installed() {
  [[ -n $(pg_bindir) ]] && return 0
  ((EUID == 0)) || die "PostgreSQL is not installed: sudo apt-get install postgresql"
  log "installing PostgreSQL (apt-get install postgresql)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } ||
    die "apt-get install postgresql failed"
  [[ -n $(pg_bindir) ]] || die "postgresql installed but no initdb in /usr/lib/postgresql/*/bin"
  # Debian's postinst may start a "main" cluster on 5432: the testbed runs its own instance.
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster "$(basename "$(dirname "$(pg_bindir)")")" main stop >/dev/null 2>&1 || true
  fi
}

pg_running() { pg_as "$(pg_bindir)/pg_ctl" -D "$PEDIA/pg" status >/dev/null 2>&1; }

# An instance of our own in $PEDIA/pg: TCP on 127.0.0.1 only (no Unix socket), password auth,
# durability off (a test fixture), database and role "clusterpedia".
ensure_postgres() {
  local bin pw t0; t0=$(now_ms)
  ensure_postgres_installed
  bin=$(pg_bindir)
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "no postgres user (the postgresql package creates it)"
    runuser -u postgres -- test -x "$PEDIA" ||
      die "the postgres user cannot reach $PEDIA (a parent directory is not world-executable)"
  fi
  pedia_port_init postgres
  if [[ ! -f $PEDIA/pg/PG_VERSION ]]; then
    rm -rf "$PEDIA/pg"; mkdir -p "$PEDIA/pg"
    [[ -s $PEDIA/pg-superuser.pw ]] || openssl rand -hex 16 >"$PEDIA/pg-superuser.pw"
    [[ -s $PEDIA/pg-clusterpedia.pw ]] || openssl rand -hex 16 >"$PEDIA/pg-clusterpedia.pw"
    chmod 600 "$PEDIA"/pg-*.pw
    # initdb (as postgres) reads the superuser's password from a copy it may open.
    install -m 600 "$PEDIA/pg-superuser.pw" "$PEDIA/pg-init.pw"
    if ((EUID == 0)); then chown postgres: "$PEDIA/pg" "$PEDIA/pg-init.pw"; fi
    pg_as "$bin/initdb" -D "$PEDIA/pg" -U postgres --pwfile="$PEDIA/pg-init.pw" --auth-local=peer \
      --auth-host=scram-sha-256 -E UTF8 --no-locale >>"$PEDIA/logs/initdb.log" 2>&1 ||
      die "initdb failed (see $PEDIA/logs/initdb.log)"
    rm -f "$PEDIA/pg-init.pw"
    cat >>"$PEDIA/pg/postgresql.conf" <<'EOF'
# flotilla testbed: a throw-away fixture
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
  fi
  if ! pg_running; then
    # pg_ctl -l writes as postgres: the log lives in the data dir, linked from logs/.
    pg_as "$bin/pg_ctl" -D "$PEDIA/pg" -l "$PEDIA/pg/postgres.log" -o "-p $(pedia_port postgres)" \
      -w -t 60 start >>"$PEDIA/logs/pg_ctl.log" 2>&1 ||
      die "postgres did not start (see $PEDIA/pg/postgres.log)"
    ln -sf "$PEDIA/pg/postgres.log" "$PEDIA/logs/postgres.log"
  fi
  head -n1 "$PEDIA/pg/postmaster.pid" >"$PEDIA/pids/postgres.pid"
  if [[ ! -f $PEDIA/pg/.flotilla-db ]]; then
    pw=$(cat "$PEDIA/pg-clusterpedia.pw")
    PGPASSWORD=$(cat "$PEDIA/pg-superuser.pw") "$bin/psql" -q -h 127.0.0.1 -p "$(pedia_port postgres)" \
      -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE clusterpedia LOGIN PASSWORD '$pw'" -c "CREATE DATABASE clusterpedia OWNER clusterpedia" \
      >>"$PEDIA/logs/psql.log" 2>&1 || die "creating the clusterpedia database failed (see $PEDIA/logs/psql.log)"
    touch "$PEDIA/pg/.flotilla-db"
  fi
  log "postgres: 127.0.0.1:$(pedia_port postgres), database clusterpedia ($(elapsed "$t0"))"
}

pg_query() {   # <sql>: as the clusterpedia role
  PGPASSWORD=$(cat "$PEDIA/pg-clusterpedia.pw") "$(pg_bindir)/psql" -h 127.0.0.1 -p "$(pedia_port postgres)" \
    -U clusterpedia -d clusterpedia -At -c "$1" 2>/dev/null
}

wait_pedia_tables() {   # [timeout]
  local timeout=${1:-60} t=$SECONDS
  until [[ -n $(pg_query "SELECT to_regclass('public.resources')") ]]; do
    pedia_running clustersynchro-manager ||
      die "clustersynchro-manager exited (see $PEDIA/logs/clustersynchro-manager.log)"
    ((SECONDS - t < timeout)) || die "clustersynchro-manager made no tables in ${timeout}s (see $PEDIA/logs/clustersynchro-manager.log)"
    sleep 0.2
  done
}

stop_postgres() {
  [[ -f $PEDIA/pg/PG_VERSION ]] || return 0
  pg_running || return 0
  pg_as "$(pg_bindir)/pg_ctl" -D "$PEDIA/pg" -m fast -w -t 30 stop >>"$PEDIA/logs/pg_ctl.log" 2>&1 ||
    log "pg_ctl stop failed (see $PEDIA/logs/pg_ctl.log)"
}

# ---- hub ---------------------------------------------------------------------------------------

# etcd + kube-apiserver only: no controller manager, scheduler, kwok or metrics-server. The
# requestheader flags make the front-proxy identity (admin.crt, CN kwok-admin) trusted by the
# aggregated Clusterpedia apiserver, which reads them from kube-system/extension-apiserver-authentication.
render_hub_config() {
  cat >"$PEDIA/kwokctl-hub.yaml" <<EOF
kind: KwokctlConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $K8S_VERSION
  kubeBinaryPrefix: $BIN
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kubectlBinary: $BIN/kubectl
  etcdBinary: $BIN/etcd
  kwokControllerBinary: $BIN/kwok
  components: [etcd, kube-apiserver]
  disableQPSLimits: true
  quietPull: true
componentsPatches:
- name: kube-apiserver
  extraArgs:
  - {key: endpoint-reconciler-type, value: none}
  - {key: requestheader-client-ca-file, value: pki/ca.crt}
  - {key: requestheader-allowed-names, value: kwok-admin}
  - {key: requestheader-username-headers, value: X-Remote-User}
  - {key: requestheader-group-headers, value: X-Remote-Group}
  - {key: requestheader-extra-headers-prefix, value: X-Remote-Extra-}
- name: etcd
  extraArgs:
  - {key: unsafe-no-fsync, value: "true"}
EOF
}

hub_url() { sed -n 's/^ *server: *//p' "$(hub_dir)/kubeconfig.yaml" 2>/dev/null | head -n1; }

ensure_hub() {
  local t0 logf=$PEDIA/logs/kwokctl-hub.log kcfg; t0=$(now_ms)
  if hub_exists; then
    hub_running || { log "$HUB: starting"; hubctl start cluster >>"$logf" 2>&1 || die "$HUB: start failed (see $logf)"; }
  else
    rm -rf "$(hub_dir)"
    render_hub_config
    log "$HUB: creating cluster (etcd + kube-apiserver)"
    hubctl create cluster -c "$PEDIA/kwokctl-hub.yaml" --kubeconfig "$PEDIA/kwokctl-hub.kubeconfig" \
      --wait 2m >>"$logf" 2>&1 || die "$HUB: create failed (see $logf)"
  fi
  kcfg=$(hub_dir)/kubeconfig.yaml
  local t=$SECONDS
  until "$BIN/kubectl" --kubeconfig "$kcfg" get --raw /readyz >/dev/null 2>&1; do
    ((SECONDS - t < 120)) || die "$HUB: apiserver not ready (see $logf)"
    sleep 0.2
  done
  # kubeconfig-pedia: the one context "hub", admin, credentials embedded.
  local tmp=$PEDIA_KCFG.tmp.$$ pki; pki=$(hub_dir)/pki
  rm -f "$tmp"
  "$BIN/kubectl" config --kubeconfig "$tmp" set-cluster "$HUB" --server "$(hub_url)" \
    --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
  "$BIN/kubectl" config --kubeconfig "$tmp" set-credentials "$HUB" \
    --client-certificate "$pki/admin.crt" --client-key "$pki/admin.key" --embed-certs >/dev/null
  "$BIN/kubectl" config --kubeconfig "$tmp" set-context "$HUB" --cluster "$HUB" --user "$HUB" >/dev/null
  "$BIN/kubectl" config --kubeconfig "$tmp" use-context "$HUB" >/dev/null
  chmod 600 "$tmp"; mv "$tmp" "$PEDIA_KCFG"
  log "$HUB: ready at $(hub_url) ($(elapsed "$t0"))"
}

# ---- Clusterpedia processes ---------------------------------------------------------------------

write_storage_config() {
  (umask 077; cat >"$PEDIA/storage.yaml") <<EOF
type: postgres
host: 127.0.0.1
port: "$(pedia_port postgres)"
user: clusterpedia
password: "$(cat "$PEDIA/pg-clusterpedia.pw")"
database: clusterpedia
sslMode: disable
log:
  stdout: true
  level: Warn
EOF
}

# The flags of each process (start reuses them: same ports, same files).
pedia_cmd() {
  local kcfg; kcfg=$(hub_dir)/kubeconfig.yaml
  case $1 in
    apiserver)
      printf '%s\n' "$PEDIA_BIN/apiserver" --bind-address=127.0.0.1 --secure-port="$(pedia_port apiserver)" \
        --cert-dir="$PEDIA/certs" --kubeconfig="$kcfg" --authentication-kubeconfig="$kcfg" \
        --authorization-kubeconfig="$kcfg" --storage-config="$PEDIA/storage.yaml" -v=2 ;;
    clustersynchro-manager)
      printf '%s\n' "$PEDIA_BIN/clustersynchro-manager" --kubeconfig="$kcfg" \
        --storage-config="$PEDIA/storage.yaml" --leader-elect=false \
        --metrics-host=127.0.0.1 --metrics-port="$(pedia_port synchro-metrics)" \
        --kube-api-qps=200 --kube-api-burst=400 -v=2 ;;
  esac
}

start_pedia_process() {   # <apiserver|clustersynchro-manager>
  local name=$1 argv
  pedia_running "$name" && return 0
  mapfile -t argv < <(pedia_cmd "$name")
  (cd "$PEDIA" && CLUSTERPEDIA_NAMESPACE=$PEDIA_NS exec setsid "${argv[@]}" \
    >>"$PEDIA/logs/$name.log" 2>&1 </dev/null) &
  echo $! >"$PEDIA/pids/$name.pid"
}

stop_pedia_process() {   # <name>
  local pid; pid=$(pedia_pid "$1")
  if pid_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done   # 5 s, then KILL
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$PEDIA/pids/$1.pid"
}

apiservice_available() {
  [[ $(hk get apiservice v1beta1.clusterpedia.io \
    -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}' 2>/dev/null) == True ]]
}

# Until the apiserver answers on its own port and through hub (the aggregator re-checks an
# unavailable APIService every few seconds).
wait_pedia_apiserver() {   # [timeout]
  local timeout=${1:-120} t=$SECONDS port; port=$(pedia_port apiserver)
  until curl -sfk --max-time 2 "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && apiservice_available &&
    hk get --raw /apis/clusterpedia.io/v1beta1 >/dev/null 2>&1; do
    pedia_running apiserver || die "clusterpedia apiserver exited (see $PEDIA/logs/apiserver.log)"
    ((SECONDS - t < timeout)) || die "clusterpedia apiserver not answering through $HUB after ${timeout}s (see $PEDIA/logs/apiserver.log)"
    sleep 0.5
  done
}

# Like metrics-server's in the testbed clusters (kwokctl's way): an ExternalName Service for
# 127.0.0.1 and an APIService naming the process's port. Clusterpedia has one API group,
# clusterpedia.io/v1beta1 (resources, collectionresources); its serving certificate is
# self-signed (--cert-dir), hence insecureSkipTLSVerify as kwokctl does.
apply_apiservice() {
  hk apply --server-side --force-conflicts --field-manager=flotilla-testbed -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: clusterpedia-apiserver, namespace: $PEDIA_NS}
spec: {type: ExternalName, externalName: 127.0.0.1}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.clusterpedia.io}
spec:
  group: clusterpedia.io
  version: v1beta1
  groupPriorityMinimum: 1000
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: clusterpedia-apiserver, namespace: $PEDIA_NS, port: $(pedia_port apiserver)}
EOF
}

# ---- PediaClusters -----------------------------------------------------------------------------

# <pedia name> <testbed cluster>: the member's apiserver and admin client certificate.
pediacluster_json() {
  local pki; pki=$(cluster_dir "$2")/pki
  printf '{"apiVersion":"cluster.clusterpedia.io/v1alpha2","kind":"PediaCluster","metadata":{"name":"%s","labels":{"flotilla.dev/testbed-cluster":"%s"}},"spec":{"apiserver":"%s","caData":"%s","certData":"%s","keyData":"%s","syncResources":%s}}\n' \
    "$1" "$2" "$(apiserver_url "$2")" "$(base64 -w0 <"$pki/ca.crt")" "$(base64 -w0 <"$pki/admin.crt")" \
    "$(base64 -w0 <"$pki/admin.key")" "$(tr -d '\n' <<<"$PEDIA_SYNC")"
}

# dev, staging, prod, then m001..mNNN pointing at them in turn (one "name cluster" per line).
pedia_members() {   # <aliases>
  local n=$1 i c
  for c in "${DEFAULT_CLUSTERS[@]}"; do echo "$c $c"; done
  for ((i = 1; i <= n; i++)); do
    printf 'm%03d %s\n' "$i" "${DEFAULT_CLUSTERS[(i - 1) % ${#DEFAULT_CLUSTERS[@]}]}"
  done
}

apply_pediaclusters() {   # <aliases>
  local n=$1 name cluster want have extra
  want=$(pedia_members "$n" | awk '{print $1}')
  while read -r name cluster; do pediacluster_json "$name" "$cluster"; done < <(pedia_members "$n") |
    hk apply --server-side --force-conflicts --field-manager=flotilla-testbed -f - >/dev/null
  # Aliases of an earlier, larger `up N` go, and are gone before `up` returns: tests count the
  # index's clusters (its finalizer clears their rows from postgres, ~2 s per cluster).
  have=$(hk get pediaclusters -o name 2>/dev/null | sed 's|.*/||')
  mapfile -t extra < <(grep -vxF -f <(echo "$want") <<<"$have" || true)
  if [[ -n ${extra[0]:-} ]]; then
    hk delete pediacluster "${extra[@]}" --wait=true --timeout=300s >/dev/null ||
      die "PediaClusters ${extra[*]} not deleted within 300 s"
  fi
  echo "$n" >"$PEDIA/aliases"
}

# Per PediaCluster: "name ready synced" (synced: every resource's sync condition is Syncing).
pediacluster_states() {
  hk get pediaclusters -o json | python3 -c '
import json, sys
for c in json.load(sys.stdin)["items"]:
    st = c.get("status") or {}
    ready = any(x["type"] == "Ready" and x["status"] == "True" for x in st.get("conditions") or [])
    conds = [s for g in st.get("syncResources") or [] for r in g.get("resources") or [] for s in r.get("syncConditions") or []]
    synced = bool(conds) and all(s.get("status") == "Syncing" for s in conds)
    print(c["metadata"]["name"], "yes" if ready else "no", "yes" if synced else "no")' 2>/dev/null
}

# Pods per cluster as Clusterpedia serves them through hub (annotation shadow.clusterpedia.io/cluster-name).
pedia_pod_counts() {
  hk get --raw /apis/clusterpedia.io/v1beta1/resources/api/v1/pods 2>/dev/null | python3 -c '
import collections, json, sys
n = collections.Counter(p["metadata"].get("annotations", {}).get("shadow.clusterpedia.io/cluster-name", "?")
                        for p in json.load(sys.stdin)["items"])
for k, v in sorted(n.items()): print(k, v)' 2>/dev/null
}

# Until every PediaCluster is Ready with all its resources Syncing, and each one's pod count
# through Clusterpedia equals its member's (kubectl get pods -A). CLUSTERPEDIA_TIMEOUT (default 300) s.
pedia_wait() {
  local timeout=${CLUSTERPEDIA_TIMEOUT:-300} t0 n states counts name cluster c got bad
  local -A want=()
  t0=$(now_ms)
  { hub_running && [[ -f $PEDIA_KCFG ]]; } || die "Clusterpedia is not up: testbed/tb clusterpedia up"
  n=$(cat "$PEDIA/aliases" 2>/dev/null || echo 0)
  while :; do
    bad=()
    for c in "${DEFAULT_CLUSTERS[@]}"; do want[$c]=$(kc "$c" get pods -A -o name 2>/dev/null | wc -l); done
    states=$(pediacluster_states 2>/dev/null || true)
    counts=$(pedia_pod_counts || true)
    while read -r name cluster; do
      grep -qx "$name yes yes" <<<"$states" || { bad+=("$name:not-ready"); continue; }
      got=$(awk -v n="$name" '$1 == n {print $2}' <<<"$counts")
      [[ ${got:-0} == "${want[$cluster]}" ]] || bad+=("$name:pods=${got:-0}/${want[$cluster]}")
    done < <(pedia_members "$n")
    ((${#bad[@]})) || break
    (( $(now_ms) - t0 < timeout * 1000 )) ||
      die "Clusterpedia not synced after ${timeout}s: ${bad[*]:0:10} (see $PEDIA/logs/)"
    sleep 1
  done
  log "clusterpedia: $((${#DEFAULT_CLUSTERS[@]} + n)) PediaClusters ready, pod counts match the members ($(elapsed "$t0"))"
}

# ---- commands ----------------------------------------------------------------------------------

pedia_up() {
  local n=${1:-0} t0 c; t0=$(now_ms)
  [[ $n =~ ^[0-9]+$ ]] || die "usage: tb clusterpedia up [aliases]"
  have_pedia_binaries || die "Clusterpedia binaries missing in $PEDIA_BIN: run testbed/tb clusterpedia build"
  for c in "${DEFAULT_CLUSTERS[@]}"; do
    { cluster_exists "$c" && wait_ready "$c" 5; } || die "testbed cluster $c is not up: run testbed/tb up first"
  done
  mkdir -p "$PEDIA/logs" "$PEDIA/pids" "$PEDIA/certs"
  ensure_postgres
  ensure_hub
  hk apply --server-side --force-conflicts --field-manager=flotilla-testbed -f "$PEDIA_BIN/crds/" >/dev/null
  hk create namespace "$PEDIA_NS" --dry-run=client -o yaml | hk apply -f - >/dev/null
  hk wait --for condition=established --timeout=60s crd/pediaclusters.cluster.clusterpedia.io >/dev/null
  write_storage_config
  pedia_port_init apiserver; pedia_port_init synchro-metrics
  # Both create the tables at start and fail if the other did it meanwhile: the manager first.
  start_pedia_process clustersynchro-manager
  wait_pedia_tables 60
  start_pedia_process apiserver
  apply_apiservice
  apply_pediaclusters "$n"
  wait_pedia_apiserver 120
  pedia_wait
  log "clusterpedia up: $((${#DEFAULT_CLUSTERS[@]} + n)) PediaClusters in $(elapsed "$t0") — kubeconfig $PEDIA_KCFG (context $HUB)"
}

pedia_stop() {
  local pid; pid=$(pedia_pid apiserver)
  pid_alive "$pid" || { log "clusterpedia apiserver already stopped"; return 0; }
  stop_pedia_process apiserver
  log "clusterpedia apiserver stopped (pid $pid): clusterpedia.io through $HUB fails"
}

pedia_start() {
  local t0; t0=$(now_ms)
  { [[ -f $PEDIA/storage.yaml && -s $PEDIA/apiserver.port ]] && hub_running; } ||
    die "Clusterpedia is not up: testbed/tb clusterpedia up"
  start_pedia_process apiserver
  wait_pedia_apiserver 120
  log "clusterpedia apiserver answering through $HUB on 127.0.0.1:$(pedia_port apiserver) ($(elapsed "$t0"))"
}

# Pids of the processes running from $PEDIA (cwd): hub's, postgres', Clusterpedia's.
pedia_processes() {
  local pid rest cwd
  while read -r pid rest; do
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || continue
    [[ $cwd == "$PEDIA" || $cwd == "$PEDIA"/* ]] && echo "$pid"
  done < <(testbed_processes)
  return 0
}

pedia_rss() { local p; p=$1; [[ -n $p ]] && awk '/^VmRSS/ {printf "%d MB", $2 / 1024}' "/proc/$p/status" 2>/dev/null; }

pedia_status() {
  local p pid
  if ! hub_exists; then echo "clusterpedia: down"; return 0; fi
  printf '%-24s %-8s %-8s %-8s %s\n' PROCESS STATE PID RSS ADDRESS
  for p in postgres clustersynchro-manager apiserver; do
    pid=$(pedia_pid "$p")
    if pid_alive "$pid"; then
      printf '%-24s %-8s %-8s %-8s %s\n' "$p" running "$pid" "$(pedia_rss "$pid")" \
        "$(case $p in postgres) echo "127.0.0.1:$(pedia_port postgres)" ;; apiserver) echo "https://127.0.0.1:$(pedia_port apiserver)" ;; *) echo "metrics 127.0.0.1:$(pedia_port synchro-metrics)" ;; esac)"
    else printf '%-24s %-8s\n' "$p" stopped; fi
  done
  if hub_running; then
    printf '%-24s %-8s %-8s %-8s %s\n' "$HUB (kube-apiserver)" running "$(cat "$(hub_dir)/pids/kube-apiserver.pid")" \
      "$(pedia_rss "$(cat "$(hub_dir)/pids/kube-apiserver.pid")")" "$(hub_url)"
    printf 'APIService v1beta1.clusterpedia.io available: %s\n' "$(apiservice_available && echo yes || echo no)"
    hk get pediaclusters -o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,REASON:.status.conditions[?(@.type=="Ready")].reason,HEALTHY:.status.conditions[?(@.type=="ClusterHealthy")].reason,SYNCHRO:.status.conditions[?(@.type=="SynchroRunning")].reason,APISERVER:.spec.apiserver' 2>/dev/null || true
  else
    printf '%-24s %-8s\n' "$HUB (kube-apiserver)" stopped
  fi
  return 0
}

# Stop the processes and postgres, delete hub. The testbed clusters keep running.
pedia_down() {
  local t0 left sig; t0=$(now_ms)
  [[ -d $PEDIA ]] || { rm -f "$PEDIA_KCFG"; return 0; }
  stop_pedia_process apiserver
  stop_pedia_process clustersynchro-manager
  stop_postgres
  if [[ -x $BIN/kwokctl ]] && hub_exists; then
    hubctl delete cluster >>"$PEDIA/logs/kwokctl-hub.log" 2>&1 || log "$HUB: kwokctl delete cluster failed; killing its processes"
  fi
  # Whatever still runs from $PEDIA (hub's components, postgres and its backends).
  for sig in TERM KILL; do
    left=$(pedia_processes)
    [[ -z $left ]] && break
    log "leftover clusterpedia processes, sending SIG$sig: $(tr '\n' ' ' <<<"$left")"
    # shellcheck disable=SC2086
    kill -s "$sig" $left 2>/dev/null || true
    for _ in $(seq 30); do [[ -z $(pedia_processes) ]] && break; sleep 0.1; done
  done
  rm -rf "$PEDIA" "$PEDIA_KCFG"
  log "clusterpedia down ($(elapsed "$t0"))"
}

pedia_env() { printf 'export FLOTILLA_TESTBED_PEDIA_KUBECONFIG=%q\n' "$PEDIA_KCFG"; }

cmd_clusterpedia() {
  local sub=${1:-help}; shift || true
  case $sub in
    build) pedia_build ;;
    up) pedia_up "$@" ;;
    wait) pedia_wait ;;
    stop) pedia_stop ;;
    start) pedia_start ;;
    status) pedia_status ;;
    down) pedia_down ;;
    env) pedia_env ;;
    *) cat >&2 <<EOF
usage: testbed/tb clusterpedia <build|up [aliases]|wait|stop|start|status|down|env>
  build        build apiserver + clustersynchro-manager into $PEDIA_BIN (when missing)
  up [N]       postgres, host cluster "$HUB", Clusterpedia through hub's aggregation layer,
               PediaClusters ${DEFAULT_CLUSTERS[*]} (+ N aliases m001.. of them); waits until synced
  wait         wait until every PediaCluster is ready and its pod count matches its member's
  stop|start   stop / start again only the Clusterpedia apiserver (clusterpedia.io fails meanwhile)
  status       processes, ports, PediaCluster conditions
  down         stop Clusterpedia and postgres, delete $HUB (the testbed clusters keep running)
  env          export FLOTILLA_TESTBED_PEDIA_KUBECONFIG=$PEDIA_KCFG
EOF
       [[ $sub == help ]] || exit 2 ;;
  esac
}

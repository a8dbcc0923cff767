# shellcheck shell=bash
# Cluster lifecycle helpers for testbed/tb: kwok config, kwokctl create/start, kubeconfig, helper
# server, tear-down checks, scale mode. Sourced by tb after lib.sh.

# The kwokctl options file (binaries, 127.0.0.1, flags) for every cluster.
# TB_METRICS_SERVER=0: clusters created from it run no metrics-server (no scrapes during benchmarks).
render_kwokctl_config() {   # [out-dir]
  local drop=()
  [[ ${TB_METRICS_SERVER:-1} == 0 ]] && drop=(-e '/^  enable: \[metrics-server\]$/d')
  sed "${drop[@]}" -e "s|@MS_BIN@|$MS_BIN|g" -e "s|@MS_MANIFESTS@|$MS_MANIFESTS|g" -e "s|@BIN@|$BIN|g" \
    -e "s|@K8S_VERSION@|$K8S_VERSION|g" -e "s|@FAKEBIN@|$TB_SRC/fakebin|g" -e "s|@PATH@|$PATH|g" \
    "$TB_SRC/kwok/kwokctl.yaml" >"${1:-$WORK}/kwokctl.yaml"
}

# kwok's own fast stages + the chaos failure stage + ours + logs/exec/port-forward rules + the
# simulated kubelet /metrics/resource endpoint and per-container usage (for metrics-server).
# (Supplying any Stage means kwokctl adds none of its defaults, so the defaults are listed here.)
render_kwok_config() {   # <helper-port> [out-dir]
  local port=$1 out=${2:-$WORK} f
  {
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml \
      pod/chaos/pod-container-running-failed.yaml; do
      cat "$BIN/kustomize/stage/$f"; printf '\n---\n'
    done
    cat "$TB_SRC/kwok/stages.yaml"; printf '\n---\n'
    cat "$BIN/kustomize/metrics/resource/metrics-resource.yaml"; printf '\n---\n'
    cat "$TB_SRC/kwok/usage.yaml"; printf '\n---\n'
    sed -e "s|@WORK@|$WORK|g" -e "s|@HELPER_PORT@|$port|g" "$TB_SRC/kwok/debug.yaml"
  } >"$out/kwok-config.yaml"
}

# `kwokctl create cluster --dry-run` prints every command and every "# Download <url>" it would
# run. Only loopback URLs (and the in-cluster service-account issuer name) may appear.
check_no_downloads() {
  local dir=$WORK/dry-run out bad
  mkdir -p "$WORK/logs" "$dir"
  render_kwokctl_config "$dir"
  render_kwok_config 1 "$dir"
  out=$("$BIN/kwokctl" --name tb-dry-run --dry-run create cluster -c "$dir/kwokctl.yaml" -c "$dir/kwok-config.yaml" \
    --kubeconfig "$dir/kubeconfig" 2>&1) || { printf '%s\n' "$out" >&2; die "kwokctl --dry-run failed"; }
  printf '%s\n' "$out" >"$WORK/logs/dry-run.txt"
  # "# Download <src> to <dst>" is printed for local sources too; only an absolute path is fine.
  bad=$( { grep -E '^# Download' <<<"$out" | grep -Ev '^# Download /' || true
           grep -Eo 'https?://[^ "]+' <<<"$out" |
             grep -Ev '^https?://(127\.0\.0\.1|localhost)([:/]|$)|^https://kubernetes\.default\.svc' || true; } )
  [[ -z $bad ]] || { printf '%s\n' "$bad" >&2; die "kwokctl would download something (see $WORK/logs/dry-run.txt)"; }
  grep -q 'kube-apiserver' <<<"$out" || die "unexpected kwokctl --dry-run output (see $WORK/logs/dry-run.txt)"
  log "kwokctl --dry-run: no downloads, all binaries local"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Log files, exec dir, the webhook's certificate, helper server, kwok config.
prepare_workdir() {
  mkdir -p "$WORK/logs" "$WORK/exec"
  [[ -f $WORK/logs/app.log && -f $WORK/logs/hostile.log ]] || python3 "$TB_SRC/gen-logs.py" "$WORK/logs"
  [[ -f $WORK/logs/attach.log ]] ||
    printf '%s stdout F attached to the testbed debug container\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)" \
      >"$WORK/logs/attach.log"
  [[ -f $WORK/helper.port ]] || free_port >"$WORK/helper.port"
  [[ -f $WORK/webhook.port ]] || free_port >"$WORK/webhook.port"
  webhook_tls
  start_helper
  render_kwokctl_config
  render_kwok_config "$(cat "$WORK/helper.port")"
}

# The admission webhook the helper serves (HTTPS, 127.0.0.1): a self-signed certificate,
# which is also the caBundle the seed registers it with.
webhook_tls() {
  local dir=$WORK/webhook
  [[ -f $dir/tls.crt && -f $dir/tls.key ]] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=flotilla-testbed-webhook -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" >>"$WORK/logs/openssl.log" 2>&1 ||
    die "openssl could not make the webhook's certificate (see $WORK/logs/openssl.log)"
  chmod 600 "$dir/tls.key"
}

start_helper() {
  local port wport; port=$(cat "$WORK/helper.port"); wport=$(cat "$WORK/webhook.port")
  if [[ -f $WORK/helper.pid ]] && pid_alive "$(cat "$WORK/helper.pid")"; then
    port_open "$wport" && return 0
    stop_helper   # started before it served the webhook: start the one that does
  fi
  (cd "$WORK" && exec setsid python3 "$TB_SRC/helper.py" "$port" "$WORK/logs/web-live.log" \
    "$wport" "$WORK/webhook/tls.crt" "$WORK/webhook/tls.key" \
    >>"$WORK/logs/helper.log" 2>&1 </dev/null) &
  echo $! >"$WORK/helper.pid"
  for _ in $(seq 50); do
    port_open "$port" && port_open "$wport" && return 0
    sleep 0.1
  done
  die "helper server did not start on 127.0.0.1:$port and :$wport (see $WORK/logs/helper.log)"
}

stop_helper() {
  local pid
  pid=$(cat "$WORK/helper.pid" 2>/dev/null || true)
  if pid_alive "$pid"; then kill "$pid"; fi
  rm -f "$WORK/helper.pid"
}

# The audited cluster's kwokctl flags: the policy, and a rotated log (blocking writes, so an
# event is in the file when its request returns; at most 2 × 64 MB, the oldest dropped).
audit_flags() {   # <name>
  [[ $1 == "$AUDITED_CLUSTER" ]] || return 0
  printf '%s\n' --kube-audit-policy "$TB_SRC/kwok/audit-policy.yaml" \
    --extra-args kube-apiserver=audit-log-maxsize=64 --extra-args kube-apiserver=audit-log-maxbackup=1
}

# Create the cluster, or start it if it exists but is stopped.
ensure_cluster() {
  local name=$1 t0 logf=$WORK/logs/kwokctl-$1.log audit
  t0=$(now_ms)
  mapfile -t audit < <(audit_flags "$name")
  if cluster_exists "$name"; then
    local c all=1 cs=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller)
    if has_metrics_server "$name"; then cs+=(metrics-server)
    elif [[ ${TB_METRICS_SERVER:-1} != 0 ]]; then
      log "$name: created without metrics-server (kubectl top fails); tb down + tb up recreates it"
    fi
    if ((${#audit[@]})) && ! has_audit_log "$name"; then
      log "$name: created without an audit log (tests/testbed_write/readonly_tour.rs needs it); tb down + tb up recreates it"
    fi
    for c in "${cs[@]}"; do
      component_running "$name" "$c" || all=0
    done
    ((all)) && return 0
    log "$name: starting stopped components"
    "$BIN/kwokctl" --name "$name" start cluster >>"$logf" 2>&1 || die "$name: start failed (see $logf)"
  else
    rm -rf "$(cluster_dir "$name")"   # a half-created cluster (no kwok.yaml) from an earlier failure
    log "$name: creating cluster"
    "$BIN/kwokctl" --name "$name" create cluster -c "$WORK/kwokctl.yaml" -c "$WORK/kwok-config.yaml" \
      "${audit[@]}" --kubeconfig "$WORK/kwokctl-$name.kubeconfig" --wait 2m >>"$logf" 2>&1 ||
      die "$name: create failed (see $logf)"
  fi
  wait_ready "$name" 120 || die "$name: apiserver not ready (see $logf)"
  restart_exited "$name" || die "$name: components keep exiting at start (see $logf)"
  log "$name: ready at $(apiserver_url "$name") ($(elapsed "$t0"))"
}

# Waits until kwok has given every node its conditions (it does within seconds of a node's
# creation), so a test that reads a node right after `up` finds it as it will stay.
wait_nodes_reported() {   # <name>
  local name=$1 t0=$SECONDS got
  while ((SECONDS - t0 < 60)); do
    got=$(kc "$name" get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[*].type}{"\n"}{end}' 2>/dev/null || true)
    [[ -n $got ]] && ! grep -q '=$' <<<"$got" && return 0
    sleep 0.5
  done
  log "$name: nodes without conditions after 60 s: $(grep '=$' <<<"$got" | tr '\n' ' ')"
}

# A component that exited while its cluster started (metrics-server panics when the apiserver
# does not answer yet) is started again now, before the next cluster picks its ports: a port is
# held only while its component runs, and another cluster's etcd once took metrics-server's,
# which left metrics.k8s.io unavailable and every namespace deletion stuck.
restart_exited() {   # <name>
  local name=$1 c try down
  local cs=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller)
  has_metrics_server "$name" && cs+=(metrics-server)
  for try in 1 2 3; do
    sleep 1   # one that is about to fail has failed by now
    down=()
    for c in "${cs[@]}"; do component_running "$name" "$c" || down+=("$c"); done
    ((${#down[@]})) || return 0
    log "$name: ${down[*]} exited at start; starting again ($try)"
    "$BIN/kwokctl" --name "$name" start cluster >>"$WORK/logs/kwokctl-$name.log" 2>&1 || return 1
    wait_ready "$name" 60 || return 1
  done
  return 1
}

# One kubeconfig with contexts named exactly like the clusters, credentials embedded.
write_kubeconfig() {
  local tmp=$KCFG.tmp.$$ name pki
  rm -f "$tmp"
  for name in $(known_clusters); do
    pki=$(cluster_dir "$name")/pki
    "$BIN/kubectl" config --kubeconfig "$tmp" set-cluster "$name" --server "$(apiserver_url "$name")" \
      --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
    "$BIN/kubectl" config --kubeconfig "$tmp" set-credentials "$name" \
      --client-certificate "$pki/admin.crt" --client-key "$pki/admin.key" --embed-certs >/dev/null
    "$BIN/kubectl" config --kubeconfig "$tmp" set-context "$name" --cluster "$name" --user "$name" >/dev/null
  done
  if [[ -f $tmp ]]; then
    "$BIN/kubectl" config --kubeconfig "$tmp" use-context "$(known_clusters | head -n1)" >/dev/null
    chmod 600 "$tmp"
    mv "$tmp" "$KCFG"
  fi
}

# Kill whatever still runs from target/testbed (cwd or arguments). Non-zero if something survives.
kill_leftovers() {
  local pids sig
  for sig in TERM KILL; do
    pids=$(testbed_processes | awk '{print $1}')
    [[ -z $pids ]] && return 0
    log "leftover testbed processes, sending SIG$sig:"; testbed_processes >&2
    # shellcheck disable=SC2086
    kill -s "$sig" $pids 2>/dev/null || true
    for _ in $(seq 50); do [[ -z $(testbed_processes) ]] && return 0; sleep 0.1; done
  done
  [[ -z $(testbed_processes) ]]
}

# Benchmark mode: <pods> pods spread over [nodes] simulated nodes in namespace "scale".
# Pods are pre-bound (spec.nodeName, round robin), so the scheduler is not the bottleneck;
# SCALE_WORKERS kwokctl loaders create them concurrently. 0 removes them.
scale_cluster() {
  local name=${1:?usage: tb scale <cluster> <pods> [nodes]} pods=${2:?usage: tb scale <cluster> <pods> [nodes]}
  local nodes=${3:-$(( pods / 100 > 0 ? pods / 100 : 1 ))} t0 per running have w n pids=()
  local workers=${SCALE_WORKERS:-8} logf=$WORK/logs/scale-$1.log
  cluster_exists "$name" || die "no testbed cluster named $name"
  t0=$(now_ms)
  have=$(kc "$name" get pods -n scale --no-headers 2>/dev/null | wc -l)
  if ((pods == 0 || (have > 0 && have != pods))); then
    # One DELETE on the collection with grace 0 (no kubelet round trip), then namespace and nodes.
    kc "$name" delete --raw "/api/v1/namespaces/scale/pods?gracePeriodSeconds=0" >/dev/null 2>&1 || true
    kc "$name" delete namespace scale --ignore-not-found --wait=true --timeout=10m >/dev/null
    kc "$name" delete nodes -l kwok.x-k8s.io/kwokctl-scale=scale-node --wait=true >/dev/null
    log "$name: scale pods and nodes removed in $(elapsed "$t0")"
    ((pods == 0)) && return 0
    t0=$(now_ms)
  elif ((have == pods)); then
    log "$name: already $pods scale pods"; return 0
  fi
  per=$(( (pods + nodes - 1) / nodes ))
  "$BIN/kwokctl" --name "$name" scale node scale-node --replicas "$nodes" \
    --param ".allocatable.pods=$(( per * 2 > 110 ? per * 2 : 110 ))" \
    --param '.nodeIPs=[]' --param '.podCIDRs=["10.128.0.0/24"]' >>"$logf" 2>&1 ||
    die "$name: scale node failed (see $logf)"
  log "$name: $nodes nodes in $(elapsed "$t0")"
  kc "$name" create namespace scale --dry-run=client -o yaml | kc "$name" apply -f - >/dev/null
  per=$(( (pods + workers - 1) / workers ))
  for ((w = 0; w < workers; w++)); do
    n=$(( pods - w * per < per ? pods - w * per : per )); ((n > 0)) || break
    "$BIN/kwokctl" --name "$name" -c "$TB_SRC/kwok/scale-pod.yaml" scale scale-pod "scale-pod-$w" \
      --replicas "$n" -n scale --param ".nodes=$nodes" --param ".offset=$w" >>"$logf" 2>&1 &
    pids+=($!)
  done
  for w in "${pids[@]}"; do wait "$w" || die "$name: scale pod failed (see $logf)"; done
  log "$name: $pods pods created in $(elapsed "$t0")"
  while :; do   # count the pods kwok has not made Running yet (the server filters; cheap)
    running=$(kc "$name" get pods -n scale -o name --field-selector=status.phase!=Running 2>/dev/null | wc -l)
    ((running == 0)) && break
    sleep 3
  done
  log "$name: $pods pods Running on $nodes nodes after $(elapsed "$t0")"
}

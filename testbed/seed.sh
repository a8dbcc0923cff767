# shellcheck shell=bash
# Seeding: renders assets/testbed/ for one cluster and applies it. Sourced by tb after lib.sh.
ASSETS=$REPO/assets/testbed

# Fingerprint of everything that defines the seed; stored in the cluster so `up` re-seeds only
# when the seed changed (re-applying would otherwise add Deployment revisions on every `up`).
seed_hash() {
  cat "$ASSETS"/common/*.yaml "$ASSETS"/templates/*.yaml "$ASSETS"/clusters/*/* \
    "$TB_SRC/seed.sh" <(cd "$ASSETS/charts" && find . -type f | sort | xargs cat) \
    "$WORK/webhook.port" "$WORK/webhook/tls.crt" | sha256sum | cut -c1-16
}

# Substitute ${KEY} placeholders from values.env (plus CLUSTER, K8S_VERSION and extra KEY=VALUE args).
render() {
  local file=$1 values=$2; shift 2
  local args=() kv
  while IFS= read -r kv; do
    [[ $kv =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
    args+=(-e "s|\${${BASH_REMATCH[1]}}|${BASH_REMATCH[2]}|g")
  done < <(cat "$values"; printf '%s\n' "$@")
  sed "${args[@]}" "$file"
}

render_seed() {
  local name=$1 out=$2 values f i nodes zones=(a b c)
  values=$ASSETS/clusters/$name/values.env
  [[ -f $values ]] || values=$ASSETS/clusters/dev/values.env   # any other name: dev's shape
  rm -rf "$out"; mkdir -p "$out"
  local common=("CLUSTER=$name" "K8S_VERSION=$K8S_VERSION"
    "WEBHOOK_URL=https://127.0.0.1:$(cat "$WORK/webhook.port")/validate"
    "WEBHOOK_CA_BUNDLE=$(base64 -w0 <"$WORK/webhook/tls.crt")")
  for f in "$ASSETS"/common/*.yaml; do render "$f" "$values" "${common[@]}" >"$out/$(basename "$f")"; done
  nodes=$(sed -n 's/^NODES=//p' "$values")
  for ((i = 0; i < nodes; i++)); do
    render "$ASSETS/templates/node.yaml" "$values" "${common[@]}" "NODE=$name-node-$i" \
      "ZONE=zone-${zones[i % 3]}" "POD_CIDR=10.244.$i.0/24"
    echo ---
  done >"$out/03-nodes.yaml"
  if [[ -d $ASSETS/clusters/$name ]]; then
    for f in "$ASSETS/clusters/$name"/*.yaml; do
      [[ -e $f ]] || continue
      # namespaces.yaml goes with phase 1 (00-*), everything else after the common files.
      if [[ $(basename "$f") == namespaces.yaml ]]; then i=00; else i=70; fi
      render "$f" "$values" "${common[@]}" >"$out/$i-$name-$(basename "$f")"
    done
  fi
}

seed_cluster() {
  local name=$1 dir=$WORK/seed/$1 hash have t0
  t0=$(now_ms)
  hash=$(seed_hash)
  have=$(kc "$name" get configmap -n kube-public flotilla-testbed -o 'jsonpath={.data.seed}' 2>/dev/null || true)
  if [[ $have == "$hash" ]]; then log "$name: seed up to date"; return 0; fi
  render_seed "$name" "$dir"
  local apply=(apply --server-side --force-conflicts --field-manager=flotilla-testbed)
  # Phase 1: namespaces, CRD, storage, nodes, then the LimitRange/quota (before any pod exists).
  local phase1=() f
  for f in "$dir"/0[0-3]-*.yaml; do phase1+=(-f "$f"); done
  kc "$name" "${apply[@]}" "${phase1[@]}" >/dev/null
  kc "$name" "${apply[@]}" -f "$dir/05-policy.yaml" >/dev/null
  kc "$name" wait --for condition=established --timeout=60s crd/databases.demo.flotilla.dev >/dev/null
  kc "$name" wait --for condition=established --timeout=60s crd/backups.velero.io \
    crd/restores.velero.io crd/schedules.velero.io crd/backupstoragelocations.velero.io >/dev/null
  # Phase 2: everything else.
  local rest=()
  for f in "$dir"/*.yaml; do
    case $(basename "$f") in 00-*|01-*|02-*|03-*|05-*) ;; *) rest+=(-f "$f") ;; esac
  done
  kc "$name" "${apply[@]}" "${rest[@]}" >/dev/null
  seed_history "$name"   # re-applying resets images to revision 1; replay the later revisions
  seed_helm "$name"
  kc "$name" create configmap -n kube-public flotilla-testbed --from-literal=seed="$hash" \
    --dry-run=client -o yaml | kc "$name" "${apply[@]}" -f - >/dev/null
  log "$name: seeded ($(elapsed "$t0"))"
}

# Things only a sequence of changes produces: Deployment revisions (rollback targets) and a
# rollout that cannot finish.
seed_history() {
  local name=$1 v
  for v in 1.26 1.27; do
    kc "$name" -n shop set image deployment/web web="nginx:$v" >/dev/null
    kc "$name" -n shop annotate deployment/web --overwrite kubernetes.io/change-cause="image nginx:$v" >/dev/null
  done
  # Custom resource status (apply cannot set a status subresource): Phase column values.
  local ns db
  while read -r ns db; do
    kc "$name" -n "$ns" patch database "$db" --subresource=status --type=merge \
      -p "{\"status\":{\"phase\":\"$([[ $db == sessions ]] && echo Provisioning || echo Ready)\"}}" >/dev/null
  done < <(kc "$name" get databases -A --no-headers -o custom-columns=NS:.metadata.namespace,N:.metadata.name)
  seed_incident "$name"
  kc "$name" -n shop patch deployment/checkout -p '{"spec":{"template":{"metadata":{"labels":{"flotilla.dev/not-ready":"true"}},"spec":{"containers":[{"name":"checkout","image":"registry.example.com/shop/checkout:2.1.0"}]}}}}' >/dev/null
}

# The two incidents triage correlates with the change before them. staging: shop/web rolled out
# to an image whose pods never become ready. prod: the ConfigMap shop/api reads changed, then
# a restart whose pods crash-loop (kwok's stages, selected by the labels the template carries).
seed_incident() {
  local name=$1
  case $name in
    staging)
      kc "$name" -n shop patch deployment/web -p '{"metadata":{"annotations":{"kubernetes.io/change-cause":"image nginx:1.28-rc1"}},"spec":{"template":{"metadata":{"labels":{"flotilla.dev/not-ready":"true"}},"spec":{"containers":[{"name":"web","image":"nginx:1.28-rc1"}]}}}}' >/dev/null
      ;;
    prod)
      kc "$name" -n shop patch configmap/api-config --type merge \
        -p '{"data":{"CACHE_URL":"redis://cache-v2:6380"}}' >/dev/null
      sleep 2   # the restart comes after the change, as an operator's would
      kc "$name" -n shop patch deployment/api -p "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"flotilla.dev/crashloop\":\"true\"},\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"$(date -u +%FT%TZ)\"}}}}}" >/dev/null
      ;;
  esac
}

# Helm releases written by helm itself (v3, and v4 for `worker`), from the chart in
# assets/testbed/charts, packaged per version. Each line: cluster release driver helm
# chart-version app-version values… (one line per revision, in order); "*" is every cluster.
HELM_RELEASES='
dev     frontend secret v3 1.2.0 2.4.0 replicaCount=1
dev     frontend secret v3 1.3.0 2.5.0 replicaCount=2 message=bonjour
staging frontend secret v3 1.3.0 2.5.0 replicaCount=2
staging frontend secret v3 1.4.0 2.6.0 replicaCount=3
staging frontend secret v3 1.4.1 2.6.1 replicaCount=3 message=patched
prod    frontend secret v3 1.3.0 2.5.0 replicaCount=3
prod    frontend secret v3 1.3.1 2.5.1 replicaCount=4
*       worker   secret v4 2.0.0 3.0.0 replicaCount=1
dev     legacy   configmap v3 0.9.0 1.0.0 replicaCount=1
'
HELM_NS=apps

helm_tb() {
  local name=$1 driver=$2 v=$3; shift 3
  local cmd=(env "HELM_DRIVER=$driver" "HELM_CACHE_HOME=$WORK/helm/cache"
    "HELM_CONFIG_HOME=$WORK/helm/config" "HELM_DATA_HOME=$WORK/helm/data"
    "$([[ $v == v4 ]] && echo "$HELM4" || echo "$HELM")" --kubeconfig "$KCFG"
    --kube-context "$name" -n "$HELM_NS" "$@")
  if [[ -n ${HELM_EXEC:-} ]]; then exec "${cmd[@]}"; fi
  "${cmd[@]}"
}

helm_chart() {
  local version=$1 app=$2 out=$WORK/helm/charts
  [[ -f $out/frontend-$version.tgz ]] ||
    "$HELM" package "$ASSETS/charts/frontend" --version "$version" --app-version "$app" -d "$out" >/dev/null
  echo "$out/frontend-$version.tgz"
}

seed_helm() {
  local name=$1 cluster release driver v version app r sets d
  rm -rf "$WORK/helm/charts"
  # Start over: a changed seed re-installs every release (their revisions are the fixture).
  for d in secret configmap; do
    for r in $(helm_tb "$name" "$d" v3 list -a -q); do
      helm_tb "$name" "$d" v3 uninstall "$r" --no-hooks >/dev/null 2>&1 || true
    done
  done
  kc "$name" -n "$HELM_NS" delete secret,configmap -l owner=helm --ignore-not-found >/dev/null
  while read -r cluster release driver v version app sets; do
    [[ -n $cluster && ($cluster == "$name" || $cluster == '*') ]] || continue
    local args=()
    for r in $sets; do args+=(--set "$r"); done
    helm_tb "$name" "$driver" "$v" upgrade --install "$release" "$(helm_chart "$version" "$app")" \
      "${args[@]}" >/dev/null
  done <<<"$HELM_RELEASES"
  [[ $name == staging ]] || return 0
  # A failed install: the server refuses the Service's port.
  helm_tb "$name" secret v3 install broken "$(helm_chart 0.1.0 0.1.0)" --set service.port=99999 \
    >/dev/null 2>&1 && die "$name: helm install broken succeeded"
  # A release stuck in pending-upgrade (the "another operation is in progress" trap): helm is
  # killed while it waits for pods that never become ready.
  helm_tb "$name" secret v3 install stuck "$(helm_chart 1.0.0 1.0.0)" >/dev/null
  # exec: $! must be helm itself, not a subshell whose helm would outlive the kill (and mark
  # the release failed when its --wait times out).
  local chart; chart=$(helm_chart 1.0.1 1.0.1)
  (exec > /dev/null 2>&1; HELM_EXEC=1 helm_tb "$name" secret v3 upgrade stuck "$chart" \
    --set notReady=true --wait --timeout 30m) &
  local pid=$! i
  for ((i = 0; i < 300; i++)); do
    [[ $(kc "$name" -n "$HELM_NS" get secret sh.helm.release.v1.stuck.v2 \
      -o 'jsonpath={.metadata.labels.status}' 2>/dev/null) == pending-upgrade ]] && break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  [[ $(kc "$name" -n "$HELM_NS" get secret sh.helm.release.v1.stuck.v2 \
    -o 'jsonpath={.metadata.labels.status}') == pending-upgrade ]] || die "$name: stuck is not pending-upgrade"
}

# Contexts <cluster>-viewer: the shop/viewer ServiceAccount (may only read pods in "shop").
write_viewer_kubeconfig() {
  local tmp=$VIEWER_KCFG.tmp.$$ name token
  rm -f "$tmp"
  for name in $(known_clusters); do
    token=$(kc "$name" -n shop create token viewer --duration=720h) || continue
    "$BIN/kubectl" config --kubeconfig "$tmp" set-cluster "$name" --server "$(apiserver_url "$name")" \
      --certificate-authority "$(cluster_dir "$name")/pki/ca.crt" --embed-certs >/dev/null
    "$BIN/kubectl" config --kubeconfig "$tmp" set-credentials "$name-viewer" --token "$token" >/dev/null
    "$BIN/kubectl" config --kubeconfig "$tmp" set-context "$name-viewer" --cluster "$name" \
      --user "$name-viewer" --namespace shop >/dev/null
  done
  if [[ -f $tmp ]]; then chmod 600 "$tmp"; mv "$tmp" "$VIEWER_KCFG"; fi
}

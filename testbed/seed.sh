# shellcheck shell=bash
# Seeding: renders assets/testbed/ for one cluster and applies it. Sourced by tb after lib.sh.
ASSETS=$REPO/assets/testbed

# Fingerprint of everything that defines the seed; stored in the cluster so `up` re-seeds only
# when the seed changed (re-applying would otherwise add Deployment revisions on every `up`).
seed_hash() {
  cat "$ASSETS"/common/*.yaml "$ASSETS"/templates/*.yaml "$ASSETS"/clusters/*/* \
    "$TB_SRC/seed.sh" "$TB_SRC/gen-helm.py" | sha256sum | cut -c1-16
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
  local common=("CLUSTER=$name" "K8S_VERSION=$K8S_VERSION")
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
  python3 "$TB_SRC/gen-helm.py" "$name" >"$out/60-helm-releases.yaml" 2>/dev/null ||
    python3 "$TB_SRC/gen-helm.py" dev >"$out/60-helm-releases.yaml"
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
  # Phase 2: everything else.
  local rest=()
  for f in "$dir"/*.yaml; do
    case $(basename "$f") in 00-*|01-*|02-*|03-*|05-*) ;; *) rest+=(-f "$f") ;; esac
  done
  kc "$name" "${apply[@]}" "${rest[@]}" >/dev/null
  seed_history "$name"   # re-applying resets images to revision 1; replay the later revisions
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
  kc "$name" -n shop patch deployment/checkout -p '{"spec":{"template":{"metadata":{"labels":{"flotilla.dev/not-ready":"true"}},"spec":{"containers":[{"name":"checkout","image":"registry.example.com/shop/checkout:2.1.0"}]}}}}' >/dev/null
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

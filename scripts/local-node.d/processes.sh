# scripts/local-node: the node's processes — start, wait for, stop — and the up/down/status/env commands. Sourced.

node_ip() {
  ip -4 route get 1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") {print $(i + 1); exit}}'
}

# alive NAME: its pid file names a live process whose command line mentions our state dir (so a pid
# recycled after a reboot is never taken for ours, and never killed by `down`).
alive() {
  local pid; pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  local cmdline; cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *"$STATE/"* ]]
}

start() { # name, command...
  local name=$1; shift
  if alive "$name"; then return 0; fi
  setsid "$@" >"$STATE/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/$name.pid"
}

wait_for() { # what, seconds, log, command...
  local what=$1 seconds=$2 logfile=$3; shift 3
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "ERROR: timed out after ${seconds}s waiting for $what; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      exit 1
    fi
    sleep 0.3
  done
}

start_etcd() {
  mkdir -p "$STATE/etcd"
  start etcd etcd --name local-node --data-dir "$STATE/etcd/data" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster local-node=http://127.0.0.1:2380 --heartbeat-interval=10 --election-timeout=100
  wait_for etcd 60 "$STATE/etcd.log" curl -sf --max-time 3 http://127.0.0.1:2379/health
}

start_apiserver() {
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=127.0.0.1 --secure-port=6443 --advertise-address="$(node_ip)" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc --api-audiences=https://kubernetes.default.svc \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=Node,RBAC --anonymous-auth=false \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-cluster-ip-range=10.0.0.0/24 --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --profiling=false --v=1
  wait_for kube-apiserver 120 "$STATE/kube-apiserver.log" \
    curl -sf --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" https://127.0.0.1:6443/readyz
}

start_containerd() {
  mkdir -p "$STATE/containerd" "$STATE/cni"
  cat > "$STATE/cni/10-loopback.conflist" <<'CNI'
{"cniVersion": "0.4.0", "name": "loopback-only", "plugins": [{"type": "loopback"}]}
CNI
  cat > "$STATE/containerd/config.toml" <<TOML
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$STATE/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.6"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
TOML
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 "$STATE/containerd.log" timeout 5 ctr -a "$SOCK" version
}

start_kubelet() {
  mkdir -p "$STATE/kubelet"
  cat > "$STATE/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(kubelet_address)
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true, cacheTTL: 2m0s}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
  webhook: {cacheAuthorizedTTL: 5m0s, cacheUnauthorizedTTL: 30s}
cgroupDriver: cgroupfs
# kubelet 1.35+ refuses to start on cgroup v1 (these machines) unless told not to; 1.31-1.34 only warn
failCgroupV1: false
# /statusz and /flagz served, as they are by default from 1.36 (alpha before): the differential suite then checks
# the kubelet's own records for them (statusz; configz) instead of its 404 for a path it does not serve
featureGates: {ComponentStatusz: true, ComponentFlagz: true}
containerRuntimeEndpoint: unix://$SOCK
failSwapOn: false
enableDebuggingHandlers: true
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# the stream benchmark follows an 80 MiB log from its start: keep it in one file
containerLogMaxSize: 200Mi
YAML
  start kubelet "$BIN/kubelet" --config="$STATE/kubelet/config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$(node_ip)" --root-dir="$STATE/kubelet/root" --v=1
  wait_for kubelet 60 "$STATE/kubelet.log" curl -sf --max-time 3 http://127.0.0.1:10248/healthz
}

kctl() { "$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" --request-timeout=10s "$@"; }

node_ready() { [ "$(kctl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
pod_running() { [ "$(kctl -n default get pod logger -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }

apply_cluster_objects() {
  # no controller-manager runs: create what it would (the default ServiceAccount, which ServiceAccount
  # admission wants, and kube-root-ca.crt, which projected service-account volumes mount)
  kctl -n default create configmap kube-root-ca.crt --from-file=ca.crt="$PKI/ca.crt" \
    --dry-run=client -o yaml | kctl apply -f - >/dev/null
  kctl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: default}
---
# the API server's own client toward kubelets (logs, exec, port-forward, node proxy), as the Kubernetes docs grant it
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:kube-apiserver-to-kubelet"}
rules:
- apiGroups: [""]
  resources: [nodes/proxy, nodes/stats, nodes/log, nodes/spec, nodes/metrics]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:kube-apiserver"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kube-apiserver-to-kubelet"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kubelet-auth-proxy-to-kubelet}
rules:
- apiGroups: [""]
  resources: [nodes/proxy, nodes/stats, nodes/metrics, nodes/log, nodes/pods, nodes/healthz, nodes/configz, nodes/statusz, nodes/checkpoint]
  verbs: [get, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kubelet-auth-proxy-to-kubelet}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubelet-auth-proxy-to-kubelet}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kubelet-auth-proxy}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kubelet-auth-proxy-auth-delegator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kubelet-auth-proxy}
YAML
}

start_test_pod() {
  pod_running && return 0
  kctl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: logger, namespace: default}
spec:
  nodeName: $NODE_NAME
  hostNetwork: true
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: logger
    image: docker.io/local/busybox:1
    imagePullPolicy: Never
    command: ["/bin/sh", "-c", "httpd -p 127.0.0.1:18080 -h /tmp; nc -ll -p 18081 -e cat & i=0; while true; do i=\$((i+1)); echo \"line \$i\"; sleep 1; done"]
YAML
  wait_for "pod default/logger Running" 120 "$STATE/kubelet.log" pod_running
}

write_env() {
  cat > "$STATE/env" <<ENV
export KUBECONFIG=$STATE/admin.kubeconfig
export LOCAL_NODE_NAME=$NODE_NAME
export LOCAL_NODE_IP=$(node_ip)
export KUBERNETES_VERSION=$K8S_VERSION
export APISERVER_URL=https://127.0.0.1:6443
export KUBELET_URL=https://127.0.0.1:10250
export KUBELET_CA_FILE=$PKI/ca.crt
export CLUSTER_CA_FILE=$PKI/ca.crt
export CLUSTER_CA_KEY_FILE=$PKI/ca.key
export SERVICE_ACCOUNT_KEY_FILE=$PKI/sa.key
export ADMIN_CLIENT_CERT_FILE=$PKI/admin.crt
export ADMIN_CLIENT_KEY_FILE=$PKI/admin.key
export PROXY_CLIENT_CERT_FILE=$PKI/proxy.crt
export PROXY_CLIENT_KEY_FILE=$PKI/proxy.key
export PROXY_KUBECONFIG=$STATE/proxy.kubeconfig
export APISERVER_KUBELET_CLIENT_CERT_FILE=$PKI/apiserver-kubelet-client.crt
export APISERVER_KUBELET_CLIENT_KEY_FILE=$PKI/apiserver-kubelet-client.key
export CONTAINERD_ADDRESS=$SOCK
export KUBELET_LAYOUT=$(cat "$MODE_FILE")
export FRONT_PROXY_URL=$(if [ "$(cat "$MODE_FILE")" = behind-proxy ]; then echo "https://$(node_ip):10250"; fi)
ENV
}

step() { # name, function...: runs it and logs how long it took
  local t0; t0=$(date +%s%N)
  "${@:2}"
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  log "$1 ($((ms / 1000)).$((ms % 1000 / 100))s)"
}

print_usage() {
  cat >&2 <<USAGE
Use the node:
  source $STATE/env
  kubectl get node \$LOCAL_NODE_NAME                      # admin kubeconfig (\$KUBECONFIG)
  curl --cacert \$KUBELET_CA_FILE --cert \$ADMIN_CLIENT_CERT_FILE --key \$ADMIN_CLIENT_KEY_FILE \$KUBELET_URL/pods
  curl --cacert \$KUBELET_CA_FILE --cert \$PROXY_CLIENT_CERT_FILE --key \$PROXY_CLIENT_KEY_FILE \$KUBELET_URL/containerLogs/default/logger/logger?tailLines=3
  scripts/local-node status | down
USAGE
}

MODE_FILE="$STATE/mode"
kubelet_address() { if [ "$(cat "$MODE_FILE" 2>/dev/null)" = behind-proxy ]; then echo 127.0.0.1; else echo 0.0.0.0; fi; }

start_front_proxy() {
  local ip; ip=$(node_ip)
  # started the way the image starts it (JVM settings, ahead-of-time bean definitions, class data sharing);
  # scripts/proxy-java builds the jar when it is missing or older than the sources
  start proxy "$REPO/scripts/proxy-java" -- \
    --kubelet-auth-proxy.node-name="$NODE_NAME" \
    --kubelet-auth-proxy.listen.address="$ip" --kubelet-auth-proxy.listen.port=10250 \
    --kubelet-auth-proxy.tls.cert-file="$PKI/proxy-serving.crt" --kubelet-auth-proxy.tls.key-file="$PKI/proxy-serving.key" \
    --kubelet-auth-proxy.tls.client-ca-file="$PKI/ca.crt" \
    --kubelet-auth-proxy.upstream.url=https://127.0.0.1:10250 --kubelet-auth-proxy.upstream.ca-file="$PKI/ca.crt" \
    --kubelet-auth-proxy.upstream.client-cert-file="$PKI/proxy.crt" --kubelet-auth-proxy.upstream.client-key-file="$PKI/proxy.key" \
    --kubelet-auth-proxy.api-server.kubeconfig="$STATE/proxy.kubeconfig" \
    --management.server.address=127.0.0.1 --management.server.port=10445
  wait_for "kubelet-auth-proxy on $ip:10250" 120 "$STATE/proxy.log" curl -sf http://127.0.0.1:10445/actuator/health/readiness
}

set_mode() { # direct | behind-proxy: restarts the kubelet (and starts or stops the proxy) when the layout changes
  local want=$1 have; have=$(cat "$MODE_FILE" 2>/dev/null || echo direct)
  [ "$want" = "$have" ] && return 0
  log "switching the kubelet layout from $have to $want"
  echo "$want" > "$MODE_FILE"
  alive kubelet && stop_pid "$(cat "$STATE/kubelet.pid")"
  alive proxy && stop_pid "$(cat "$STATE/proxy.pid")"
  return 0
}

CONTROLLERS_FILE="$STATE/controllers"
VERSION_FILE="$STATE/version"
controllers_on() { [ "$(cat "$CONTROLLERS_FILE" 2>/dev/null)" = on ]; }

start_controllers() { # kube-controller-manager and kube-scheduler, for workloads (DaemonSets) installed on the node
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --use-service-account-credentials=true \
    --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false --v=1
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --v=1
  wait_for kube-controller-manager 90 "$STATE/kube-controller-manager.log" curl -skf --max-time 2 https://127.0.0.1:10257/healthz
  wait_for kube-scheduler 90 "$STATE/kube-scheduler.log" curl -skf --max-time 2 https://127.0.0.1:10259/healthz
}

cmd_up() {
  local mode="" controllers="" option
  for option in "$@"; do
    case "$option" in
      --kubelet-behind-proxy) mode=behind-proxy ;;
      --kubelet-direct) mode=direct ;;
      --with-controllers) controllers=on ;;
      --without-controllers) controllers=off ;;
      *) die "unknown option $option" ;;
    esac
  done
  mkdir -p "$STATE"
  # one node per state directory, of one version: `up` never takes a running node of another version for this one
  local running_version; running_version=$(cat "$VERSION_FILE" 2>/dev/null || sed -n 's/^export KUBERNETES_VERSION=//p' "$STATE/env" 2>/dev/null || true)
  if [ -n "$running_version" ] && [ "$running_version" != "$K8S_VERSION" ]; then
    die "the node in $STATE runs Kubernetes $running_version, not K8S_VERSION=$K8S_VERSION: run scripts/local-node down first"
  fi
  echo "$K8S_VERSION" > "$VERSION_FILE"
  if [ -n "$controllers" ]; then
    echo "$controllers" > "$CONTROLLERS_FILE"
    if [ "$controllers" = off ]; then stop_names kube-scheduler kube-controller-manager; fi
  fi
  [ -n "$mode" ] && set_mode "$mode"
  [ -s "$MODE_FILE" ] || echo direct > "$MODE_FILE"
  local t0; t0=$(date +%s)
  for c in $COMPONENTS; do [ -x "$BIN/$c" ] || { cmd_install; break; }; done
  mkdir -p "$STATE"
  local behind=false; [ "$(cat "$MODE_FILE")" = behind-proxy ] && behind=true
  if alive etcd && alive kube-apiserver && alive containerd && alive kubelet && { ! $behind || alive proxy; } \
      && { ! controllers_on || { alive kube-controller-manager && alive kube-scheduler; }; } && node_ready && pod_running; then
    write_env
    log "node $NODE_NAME is already up (checked in $(since "$t0")); env in $STATE/env"
    print_usage
    return 0
  fi
  [ -n "$(node_ip)" ] || die "no non-loopback IPv4 address (ip -4 route get 1)"
  # kubelet mount propagation (Bidirectional/HostToContainer) wants a shared root mount
  mount --make-rshared / 2>/dev/null || true
  step "PKI ready" make_pki
  step "etcd ready" start_etcd
  step "kube-apiserver ready" start_apiserver
  step "cluster objects applied" apply_cluster_objects
  step "containerd ready" start_containerd
  step "images imported" build_images
  step "kubelet healthy" start_kubelet
  if $behind; then step "kubelet-auth-proxy listening on $(node_ip):10250 in front of the kubelet" start_front_proxy; fi
  if controllers_on; then step "kube-controller-manager and kube-scheduler ready" start_controllers; fi
  step "node $NODE_NAME Ready" wait_for "node $NODE_NAME Ready" 120 "$STATE/kubelet.log" node_ready
  step "pod default/logger Running" start_test_pod
  write_env
  log "node $NODE_NAME up in $(since "$t0") (Kubernetes $K8S_VERSION, node IP $(node_ip), kubelet layout $(cat "$MODE_FILE")); env in $STATE/env"
  print_usage
}

# ---------------------------------------------------------------- down / status / env
descendants() { local p; for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$p"; echo "$p"; done; }

stop_pid() { # pid...: TERM all at once, wait up to 10 s, then KILL what is left
  local p left
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    left=""; for p in "$@"; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
    [ -z "$left" ] && return 0
    sleep 0.2
  done
  log "pid(s)$left did not stop in 10s; killing them"
  for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
}

stop_names() { # name...: stops those of our processes that are alive, together
  local n pids=()
  for n in "$@"; do if alive "$n"; then pids+=("$(cat "$STATE/$n.pid")"); fi; done
  [ ${#pids[@]} -eq 0 ] || stop_pid "${pids[@]}"
}

mounts_under_state() { # deepest first; only targets strictly inside $STATE
  findmnt -rn -o TARGET 2>/dev/null | awk -v s="$STATE/" 'index($0, s) == 1' | sort -r
}

cmd_down() {
  [ -d "$STATE" ] || { log "nothing to stop ($STATE does not exist)"; return 0; }
  local t0; t0=$(date +%s)
  stop_names proxy kube-scheduler kube-controller-manager kubelet
  # containers: the shims started by our containerd (found by its socket path) and everything below them
  local shim p
  for shim in $(pgrep -f "containerd-shim.* -address $SOCK( |\$)" || true); do
    for p in $(descendants "$shim"); do kill -KILL "$p" 2>/dev/null || true; done
    kill -KILL "$shim" 2>/dev/null || true
  done
  stop_names containerd kube-apiserver
  stop_names etcd
  local target
  for _ in 1 2 3; do
    mounts_under_state | while read -r target; do
      umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true
    done
    [ -z "$(mounts_under_state)" ] && break
    sleep 0.5
  done
  if [ -n "$(mounts_under_state)" ]; then
    die "still mounted under $STATE (not removing it):"$'\n'"$(mounts_under_state)"
  fi
  # empty cgroups the kubelet made (cgroupfs driver); rmdir never removes a cgroup that has processes
  find /sys/fs/cgroup -maxdepth 2 -type d -name kubepods 2>/dev/null | while read -r cg; do
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf --one-file-system "$STATE"
  log "stopped and removed $STATE in $(since "$t0")"
}

cmd_status() {
  local ok=0 name names="etcd kube-apiserver containerd kubelet"
  controllers_on && names="$names kube-controller-manager kube-scheduler"
  [ "$(cat "$MODE_FILE" 2>/dev/null)" = behind-proxy ] && names="$names proxy"
  for name in $names; do
    if alive "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"), log $STATE/$name.log)"; else echo "$name: stopped"; ok=1; fi
  done
  if [ -s "$STATE/admin.kubeconfig" ] && node_ready; then echo "node $NODE_NAME: Ready"; else echo "node $NODE_NAME: not ready"; ok=1; fi
  if [ -s "$STATE/admin.kubeconfig" ] && pod_running; then echo "pod default/logger: Running"; else echo "pod default/logger: not running"; ok=1; fi
  return $ok
}

cmd_env() {
  [ -s "$STATE/env" ] || die "no $STATE/env: run scripts/local-node up first"
  cat "$STATE/env"
}


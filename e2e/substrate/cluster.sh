#!/usr/bin/env bash
# Starts and stops a real single-node Kubernetes on this machine: etcd, kube-apiserver (TLS,
# service accounts, DRA resource.k8s.io/v1), controller-manager, scheduler, containerd 2 (CDI), kubelet
# (cgroupfs on cgroup v1, DRA on), CNI bridge networking, kube-proxy and CoreDNS as a pod.
#
#   cluster.sh up       start it (builds the tools and images first if they are not cached)
#   cluster.sh down     stop it and remove everything it made; safe to run twice
#   cluster.sh status   say whether it runs
#   cluster.sh env      print `export KUBECONFIG=...` for the running cluster
#   cluster.sh netpol   (re)start NetworkPolicy enforcement in the running cluster (`up` does it)
#
# All state lives under $SLURMKUBE_STATE (default /var/lib/slurmkube-cluster).
set -euo pipefail
. "$(dirname "$0")/common.sh"

NODE_NAME=${SLURMKUBE_NODE_NAME:-slurmkube-node}
POD_CIDR=10.244.0.0/16
NODE_POD_SUBNET=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
BRIDGE=skube0
API_PORT=6443
ETCD_PORT=2379
NETPOL_METRICS_PORT=9080
NETPOL_QUEUE=98
PORTS=($API_PORT $ETCD_PORT 2380 10250 10256 10257 10259 10249 $NETPOL_METRICS_PORT)

S=$SLURMKUBE_STATE
PKI=$S/pki
RUN=$S/run
LOGS=$S/logs
CONTAINERD_SOCK=$S/containerd/containerd.sock
ALL_BIN=$SLURMKUBE_CACHE/bin/all-$KUBERNETES_VERSION

kubectl() { "$ALL_BIN/kubectl" --kubeconfig "$S/kubeconfig" "$@"; }
ctr_() { "$CONTAINERD_BIN/ctr" --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# ---------------------------------------------------------------- prerequisites
check_prerequisites() {
  require_root "cluster.sh up"
  local avail_kb
  avail_kb=$(df -Pk "$(dirname "$S")" | awk 'NR==2 {print $4}')
  [ "$avail_kb" -gt $((5 * 1024 * 1024)) ] || die "less than 5 GiB free under $(dirname "$S"); free some disk or set SLURMKUBE_STATE to a larger file system"
  local p
  for p in "${PORTS[@]}"; do
    if ss -Hltn "sport = :$p" | grep -q .; then
      die "port $p is already in use ($(ss -Hltnp "sport = :$p" | sed -n 's/.*users:((\("[^"]*"\).*/\1/p' | head -n1)); stop what holds it (or run 'cluster.sh down' if it is an old local cluster)"
    fi
  done
  [ -d /sys/fs/cgroup/memory ] || die "cgroup v1 memory controller not mounted at /sys/fs/cgroup/memory; this substrate needs cgroup v1 (cgroupfs)"
  for b in runc iptables conntrack ip ss; do
    command -v "$b" >/dev/null || die "$b is missing: run e2e/substrate/install-packages.sh"
  done
  [ -x "$CONTAINERD_BIN/containerd" ] || die "containerd $CONTAINERD_VERSION is not built: run e2e/substrate/build-tools.sh"
  [ -x /usr/lib/cni/bridge ] || die "CNI plugins are missing: run e2e/substrate/install-packages.sh"
}

host_ip() { ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n1; }

# ---------------------------------------------------------------- certificates
# sign NAME CN [O] [SANS]: a key and a certificate signed by the cluster CA.
sign() {
  local name=$1 cn=$2 org=${3:-} sans=${4:-}
  local subj="/CN=$cn"; [ -n "$org" ] && subj="/O=$org$subj"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [ -n "$sans" ] && echo "subjectAltName=$sans"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig FILE USER: a kubeconfig that authenticates with the client certificate USER.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: slurmkube
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$2.crt")
    client-key-data: $(base64 -w0 "$PKI/$2.key")
contexts:
- name: slurmkube
  context: {cluster: slurmkube, user: $2}
current-context: slurmkube
EOF
  chmod 600 "$1"
}

make_pki() {
  mkdir -p "$PKI" && chmod 700 "$PKI"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -subj "/CN=slurmkube-local-ca" \
    -days 365 -sha256 -out "$PKI/ca.crt" 2>/dev/null
  local ip=$1
  sign apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$ip"
  sign apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  sign admin slurmkube-admin system:masters
  sign controller-manager system:kube-controller-manager
  sign scheduler system:kube-scheduler
  sign kube-proxy system:kube-proxy
  sign kubelet "system:node:$NODE_NAME" system:nodes "DNS:$NODE_NAME,IP:$ip,IP:127.0.0.1"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  kubeconfig "$S/kubeconfig" admin
  kubeconfig "$S/controller-manager.kubeconfig" controller-manager
  kubeconfig "$S/scheduler.kubeconfig" scheduler
  kubeconfig "$S/kube-proxy.kubeconfig" kube-proxy
  kubeconfig "$S/kubelet.kubeconfig" kubelet
}

# ---------------------------------------------------------------- processes
# start NAME COMMAND...: runs a daemon in its own session, logging to $LOGS/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  for _ in $(seq "$secs"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "$what did not come up within ${secs}s; its log is in $LOGS"
}

stop_process() {
  local name=$1 pidfile=$RUN/$1.pid
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- components
start_etcd() {
  mkdir -p "$S/etcd" && chmod 700 "$S/etcd"
  start etcd "$ALL_BIN/etcd" --name slurmkube --data-dir "$S/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster slurmkube=http://127.0.0.1:2380 --listen-metrics-urls "" \
    --quota-backend-bytes 2147483648 --unsafe-no-fsync
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  local ip=$1
  start kube-apiserver "$ALL_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 0.0.0.0 --secure-port "$API_PORT" --advertise-address "$ip" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --runtime-config resource.k8s.io/v1=true \
    --allow-privileged=true \
    --profiling=false
  wait_for kube-apiserver 90 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz"
}

start_control_plane() {
  start kube-controller-manager "$ALL_BIN/kube-controller-manager" \
    --kubeconfig "$S/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$S/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$S/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --cluster-cidr "$POD_CIDR" --allocate-node-cidrs=false \
    --controllers '*,bootstrapsigner,tokencleaner' \
    --enable-hostpath-provisioner=true
  start kube-scheduler "$ALL_BIN/kube-scheduler" \
    --kubeconfig "$S/scheduler.kubeconfig" \
    --authentication-kubeconfig "$S/scheduler.kubeconfig" \
    --authorization-kubeconfig "$S/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false
}

start_containerd() {
  mkdir -p "$S/containerd" "$S/cni/net.d" "$S/cni/ipam"
  # Version 3 is containerd 2's own format (the CRI plugin is split into images and runtime).
  # CDI is on: the devices a DRA driver returns as CDI names reach the container (devices,
  # mounts, environment) from the specs in the two standard directories.
  cat >"$S/containerd/config.toml" <<EOF
version = 3
root = "$S/containerd/root"
state = "$S/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$S/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "slurmkube.local/pause:catatonit-1"
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = ""
[plugins."io.containerd.cri.v1.runtime"]
  # The sandbox lacks CAP_SYS_RESOURCE: lowering oom_score_adj would fail.
  restrict_oom_score_adj = true
  enable_selinux = false
  enable_cdi = true
  cdi_spec_dirs = ["/etc/cdi", "/var/run/cdi"]
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$S/cni/net.d"
EOF
  # One bridge for all pods of this node; portmap for hostPort, firewall so forwarded pod
  # traffic is accepted even when the FORWARD policy is DROP.
  cat >"$S/cni/net.d/10-slurmkube.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "slurmkube",
  "plugins": [
    {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$S/cni/ipam",
              "ranges": [[{"subnet": "$NODE_POD_SUBNET"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
EOF
  # The shim is found on PATH, next to the daemon.
  start containerd env PATH="$CONTAINERD_BIN:$PATH" "$CONTAINERD_BIN/containerd" --config "$S/containerd/config.toml"
  wait_for containerd 30 ctr_ version
  # The sandbox and DNS images come from the cache: there is no registry to pull from.
  "$SUBSTRATE_DIR/images.sh" load "$("$SUBSTRATE_DIR/images.sh" pause)" "$("$SUBSTRATE_DIR/images.sh" coredns)"
}

start_kubelet() {
  local ip=$1
  mkdir -p "$S/kubelet"
  cat >"$S/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: /etc/resolv.conf
failSwapOn: false
protectKernelDefaults: false
makeIPTablesUtilChains: false
serializeImagePulls: false
# The disk is shared with everything else on the machine: never evict for disk pressure.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
podPidsLimit: -1
# Mounted ConfigMaps and Secrets are refreshed at each pod sync: every 10 s here instead of every
# minute, so that configuration and key rotation tests need not wait for a real cluster's pace.
syncFrequency: 10s
# Room for the 200-slurmd-pod benchmark (bench/nodeset-large.sh real); the node's /24 pod subnet
# holds 253 addresses.
maxPods: 240
EOF
  start kubelet "$ALL_BIN/kubelet" \
    --config "$S/kubelet-config.yaml" --kubeconfig "$S/kubelet.kubeconfig" \
    --root-dir "$S/kubelet" --hostname-override "$NODE_NAME" --node-ip "$ip" \
    --v 1
}

start_kube_proxy() {
  cat >"$S/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $S/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
# The bridge sends pod-to-pod replies without iptables when br_netfilter is not a module
# here; masquerading every service packet keeps replies on the path that undoes the DNAT.
iptables: {masqueradeAll: true}
conntrack: {maxPerCore: 0}
EOF
  start kube-proxy "$ALL_BIN/kube-proxy" --config "$S/kube-proxy-config.yaml"
}

# A default StorageClass backed by the controller-manager's single-node hostPath provisioner, so
# that PersistentVolumeClaims (slurmctld state, the accounting database) bind as on a real cluster.
deploy_storage() {
  kubectl apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}

deploy_coredns() {
  sed -e "s/@DNS_SERVICE_IP@/$DNS_SERVICE_IP/g" -e "s/@COREDNS_VERSION@/$COREDNS_VERSION/g" \
    "$SUBSTRATE_DIR/coredns.yaml" | kubectl apply -f - >/dev/null
}

# NetworkPolicies are enforced by kube-network-policies: it decides, in userspace, on the first
# packet of each connection that nfqueue hands it. Its own nftables rules need the kernel's nft
# `queue` expression (CONFIG_NFT_QUEUE), which this machine's kernel lacks: the sync of its table
# fails ("netlink receive: no such file or directory") and it queues nothing. The xtables NFQUEUE
# target is built in, so the same packets go to its queue from here: every new connection
# forwarded to or from a pod (pod to pod on the bridge, Service traffic after kube-proxy's DNAT).
# Traffic from the node itself (kubelet probes) is not forwarded and so never queued, as its own
# rules exempt the node's root processes. --queue-bypass: while no enforcer listens (it restarts,
# or is not deployed yet) connections pass instead of the whole cluster losing its network.
NETPOL_CHAIN=KUBE-NETWORK-POLICIES
netpol_rules() {
  iptables -t mangle -N "$NETPOL_CHAIN" 2>/dev/null || iptables -t mangle -F "$NETPOL_CHAIN"
  iptables -t mangle -A "$NETPOL_CHAIN" -m conntrack --ctstate NEW -j NFQUEUE --queue-num "$NETPOL_QUEUE" --queue-bypass
  local dir
  for dir in -s -d; do
    iptables -t mangle -C FORWARD "$dir" "$POD_CIDR" -j "$NETPOL_CHAIN" 2>/dev/null \
      || iptables -t mangle -I FORWARD 1 "$dir" "$POD_CIDR" -j "$NETPOL_CHAIN"
  done
}

deploy_network_policies() {
  "$SUBSTRATE_DIR/images.sh" load "$("$SUBSTRATE_DIR/images.sh" netpol)"
  sed -e "s/@VERSION@/$KUBE_NETWORK_POLICIES_VERSION/g" -e "s/@METRICS_PORT@/$NETPOL_METRICS_PORT/g" \
    -e "s/@QUEUE@/$NETPOL_QUEUE/g" "$SUBSTRATE_DIR/network-policies.yaml" | kubectl apply -f - >/dev/null
  kubectl -n kube-system rollout status daemonset/kube-network-policies --timeout=120s >/dev/null \
    || die "kube-network-policies did not start; kubectl -n kube-system logs daemonset/kube-network-policies"
  netpol_rules
}

save_sysctl() {
  local key=$1 want=$2 file=/proc/sys/${1//.//}
  [ -f "$file" ] || return 0
  [ -f "$RUN/sysctl.$key" ] || cat "$file" >"$RUN/sysctl.$key"
  echo "$want" >"$file"
}

up() {
  check_prerequisites
  if [ -f "$RUN/kube-apiserver.pid" ]; then die "a local cluster is already running; run 'cluster.sh down' first"; fi
  "$SUBSTRATE_DIR/install-packages.sh"
  "$SUBSTRATE_DIR/build-tools.sh" >/dev/null
  local ip; ip=$(host_ip)
  [ -n "$ip" ] || die "cannot find this machine's IP address (no default route)"
  rm -rf "$S" && mkdir -p "$RUN" "$LOGS"
  log "starting a local Kubernetes $KUBERNETES_VERSION (state in $S, node IP $ip)"
  save_sysctl net.ipv4.ip_forward 1
  save_sysctl net.bridge.bridge-nf-call-iptables 1
  make_pki "$ip"
  start_etcd
  start_apiserver "$ip"
  start_control_plane
  start_containerd
  start_kubelet "$ip"
  start_kube_proxy
  wait_for "node $NODE_NAME" 120 kubectl get node "$NODE_NAME"
  kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null \
    || die "node $NODE_NAME did not become Ready; see $LOGS/kubelet.log"
  deploy_storage
  deploy_coredns
  kubectl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null \
    || die "CoreDNS did not become ready; kubectl -n kube-system describe pods -l k8s-app=kube-dns"
  deploy_network_policies
  log "cluster is up: export KUBECONFIG=$S/kubeconfig"
}

# ---------------------------------------------------------------- teardown
remove_pods() {
  [ -S "$CONTAINERD_SOCK" ] || return 0
  local id
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  sleep 1
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true; done
  for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
}

remove_network() {
  local ns
  # CNI named every pod network namespace cni-<uuid>; deleting one removes its veth pair too.
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do ip netns delete "$ns" 2>/dev/null || true; done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE" 2>/dev/null || true
  if [ -x "$ALL_BIN/kube-proxy" ]; then "$ALL_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  # Whatever chains kube-proxy, the kubelet and CNI made: drop every KUBE-* and CNI-* chain and the rules that use them.
  local save restore
  for save in iptables-save ip6tables-save; do
    restore=${save/-save/-restore}
    command -v "$save" >/dev/null || continue
    if "$save" 2>/dev/null | grep -qE 'KUBE-|CNI-'; then
      "$save" | grep -vE 'KUBE-|CNI-' | "$restore" || log "could not clean $save rules"
    fi
  done
}

remove_mounts() {
  # Deepest first, so that nested mounts go before their parents.
  local m
  for m in $(awk -v s="$S" 'index($2, s) == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for m in $(awk '$2 ~ "^/run/netns/cni-" || $2 ~ "^/var/run/netns/cni-" {print $2}' /proc/self/mounts); do
    umount "$m" 2>/dev/null || true; rm -f "$m"
  done
}

remove_cgroups() {
  local c
  for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
    [ -d "$c" ] || continue
    find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

restore_sysctls() {
  local f key
  for f in "$RUN"/sysctl.*; do
    [ -f "$f" ] || continue
    key=${f##*/sysctl.}
    cat "$f" >"/proc/sys/${key//.//}" 2>/dev/null || true
  done
}

down() {
  require_root "cluster.sh down"
  [ -d "$S" ] || { log "no local cluster state in $S: nothing to do"; return 0; }
  log "stopping the local cluster in $S"
  local c
  for c in kube-proxy kubelet; do stop_process "$c"; done
  remove_pods
  for c in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_process "$c"; done
  # Shims outlive containerd by design; ours are the ones that talk to our socket.
  pkill -9 -f "containerd-shim.*-address $CONTAINERD_SOCK" 2>/dev/null || true
  remove_network
  remove_mounts
  remove_cgroups
  restore_sysctls
  # Where the hostPath provisioner puts volumes (a fixed path of the controller-manager's).
  rm -rf /tmp/hostpath-provisioner
  rm -rf "$S"
  log "local cluster removed"
}

status() {
  if [ -f "$RUN/kube-apiserver.pid" ] && kill -0 "$(cat "$RUN/kube-apiserver.pid")" 2>/dev/null; then
    echo "running: export KUBECONFIG=$S/kubeconfig"
    kubectl get nodes -o wide
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  netpol) require_root "cluster.sh netpol"; [ -f "$RUN/kube-apiserver.pid" ] || die "no local cluster is running"
    "$SUBSTRATE_DIR/build-tools.sh" >/dev/null; deploy_network_policies; log "NetworkPolicies are enforced" ;;
  env) echo "export KUBECONFIG=$S/kubeconfig PATH=$ALL_BIN:\$PATH" ;;
  *) die "usage: cluster.sh up|down|status|env|netpol" ;;
esac

# scripts/local-node: the node's PKI — one CA, serving and client certificates, kubeconfigs. Sourced.

issue() { # name, subject, extendedKeyUsage, [subjectAltName]
  local name=$1 subject=$2 eku=$3 san=${4:-}
  [ -s "$PKI/$name.crt" ] && return 0
  local ext="$PKI/$name.ext"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$eku" > "$ext"
  [ -n "$san" ] && printf 'subjectAltName=%s\n' "$san" >> "$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$PKI/$name.key" \
    -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
    -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}

kubeconfig() { # file, user cert name
  cat > "$STATE/$1" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: local
  context: {cluster: local, user: $2}
current-context: local
KCFG
}

make_pki() {
  mkdir -p "$PKI"
  if [ ! -s "$PKI/ca.crt" ]; then
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
      -subj "/CN=local-node-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  local ip; ip=$(node_ip)
  issue apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$ip,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
  issue proxy-serving "/CN=kubelet-auth-proxy" serverAuth "IP:$ip,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
  issue kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:127.0.0.1,IP:$ip,DNS:$NODE_NAME,DNS:localhost"
  issue kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  issue admin "/O=system:masters/CN=local-admin" clientAuth
  issue proxy "/CN=kubelet-auth-proxy" clientAuth
  issue controller-manager "/CN=system:kube-controller-manager" clientAuth
  issue scheduler "/CN=system:kube-scheduler" clientAuth
  kubeconfig admin.kubeconfig admin
  kubeconfig kubelet.kubeconfig kubelet-client
  kubeconfig proxy.kubeconfig proxy
  kubeconfig controller-manager.kubeconfig controller-manager
  kubeconfig scheduler.kubeconfig scheduler
}


# scripts/local-node: installing — Debian packages and the Kubernetes binaries built from the k8s.io/kubernetes
# Go module (cached under $CACHE). Sourced by scripts/local-node; uses its variables and log/die.

# ---------------------------------------------------------------- install
APT_PACKAGES="prometheus etcd-server etcd-client containerd runc containernetworking-plugins busybox-static jq openssl iproute2 iptables gcc libc6-dev conntrack curl util-linux procps"

install_packages() {
  local missing=()
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Go package of each buildable component's "app" (imported by the build module so `go mod tidy` sees it).
app_package() {
  case "$1" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy) echo "k8s.io/kubernetes/cmd/$1/app" ;;
    kubectl) echo "k8s.io/kubernetes/cmd/kubectl" ;;  # no app package; `go build -mod=mod` records its sums
    *) die "unknown component $1" ;;
  esac
}

# build_kube COMPONENT...: builds each missing binary of $K8S_VERSION into $BIN from the k8s.io/kubernetes
# module. The throw-away build module (go.mod/go.sum) is generated here, against the Go module proxy.
build_kube() {
  local need=() c
  for c in "$@"; do [ -x "$BIN/$c" ] || need+=("$c"); done
  [ ${#need[@]} -eq 0 ] && { log "kube binaries $K8S_VERSION ($*) cached in $BIN"; return 0; }
  command -v go >/dev/null || die "go (/usr/local/go/bin/go) is needed to build Kubernetes $K8S_VERSION"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local patch="${K8S_VERSION##*.}"
  local staging_version="v0.$minor.$patch"
  local mod="$CACHE/k8s/$K8S_VERSION/build"
  mkdir -p "$mod" "$BIN"
  export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
  local stamp="$K8S_VERSION $*"
  if [ ! -s "$mod/go.sum" ] || [ "$(cat "$mod/.components" 2>/dev/null)" != "$stamp" ]; then
    local t0; t0=$(date +%s)
    log "generating the build module for k8s.io/kubernetes $K8S_VERSION (staging modules => $staging_version)"
    local gomod
    gomod=$(cd "$mod" && rm -f go.mod go.sum tools.go && go mod init local/kubebuild >/dev/null 2>&1 &&
            go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod) \
      || die "cannot download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
    {
      echo "module local/kubebuild"
      echo
      grep -E '^go [0-9.]+' "$gomod"
      echo
      echo "require k8s.io/kubernetes $K8S_VERSION"
      echo
      # k8s.io/kubernetes requires its staging modules at v0.0.0 (replaced by ./staging in its own repo)
      grep -E '^[[:space:]]+k8s\.io/[A-Za-z0-9._-]+ v0\.0\.0$' "$gomod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
    } > "$mod/go.mod"
    grep -q '^replace k8s.io/client-go ' "$mod/go.mod" || die "no staging replaces found in $gomod"
    {
      printf 'package main\n\nimport (\n'
      for c in "$@"; do [ "$c" = kubectl ] || printf '\t_ "%s"\n' "$(app_package "$c")"; done
      printf ')\n\nfunc main() {}\n'
    } > "$mod/tools.go"
    (cd "$mod" && go mod tidy 2> "$mod/tidy.log") || { tail -n 30 "$mod/tidy.log" >&2; die "go mod tidy failed"; }
    echo "$stamp" > "$mod/.components"
    log "build module ready in $(since "$t0")"
  fi
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  for c in "${need[@]}"; do
    local t0; t0=$(date +%s)
    log "building $c $K8S_VERSION (go build -p 2, CGO_ENABLED=0; cold: kube-apiserver ~9 min, the others 1-2 min more on 2 cores)"
    (cd "$mod" && go build -p 2 -trimpath -ldflags "$ldflags" -o "$BIN/$c.tmp" "k8s.io/kubernetes/cmd/$c") \
      || die "building $c failed"
    mv "$BIN/$c.tmp" "$BIN/$c"
    log "built $c in $(since "$t0")"
  done
}

cmd_install() {
  local t0; t0=$(date +%s)
  install_packages
  log "apt packages ready ($(since "$t0"))"
  # shellcheck disable=SC2086
  build_kube $COMPONENTS
  log "install done in $(since "$t0"): $(for c in $COMPONENTS; do "$BIN/$c" --version 2>/dev/null | head -1; done | tr '\n' ' ')"
}

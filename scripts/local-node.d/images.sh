# scripts/local-node: container images made from files, no registry — the sandbox (pause, from pause.c) and a
# busybox workload image, as one-layer docker-archive tars imported into containerd. Sourced.

# One-layer docker-archive image from a root directory: ctr imports it under $2.
image_tar() { # rootdir, name, out, entrypoint-json
  local root=$1 name=$2 out=$3 entry=$4 work; work=$(mktemp -d)
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$work/layer.tar" .
  local layer; layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/$layer" && mv "$work/layer.tar" "$work/$layer/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":%s,"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$entry" "$layer" > "$work/config.json"
  local config; config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$config.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config" "$name" "$layer" > "$work/manifest.json"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$out" .
  rm -rf "$work"
}

build_images() {
  local images="$CACHE/images"
  mkdir -p "$images"
  if [ ! -s "$images/pause.tar" ]; then
    local root; root=$(mktemp -d)
    cp "$LIB/pause.c" "$root/pause.c"
    gcc -static -O2 -o "$root/pause" "$root/pause.c" && rm "$root/pause.c"
    image_tar "$root" registry.k8s.io/pause:3.6 "$images/pause.tar" '["/pause"]'
    rm -rf "$root"
  fi
  if [ ! -s "$images/busybox.tar" ]; then
    local root; root=$(mktemp -d)
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" && chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
    image_tar "$root" docker.io/local/busybox:1 "$images/busybox.tar" '["/bin/sh"]'
    rm -rf "$root"
  fi
  for tarball in pause busybox; do
    timeout 60 ctr -a "$SOCK" -n k8s.io images import "$images/$tarball.tar" >/dev/null \
      || die "importing $images/$tarball.tar into containerd failed (see $STATE/containerd.log)"
  done
}

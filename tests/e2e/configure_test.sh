#!/usr/bin/env bash
# End to end for `oci-hardenctl configure` (issue 17, item 5): for each engine, a COPY of a real
# configuration file is configured with --default, the private engine of tests/e2e/engines.sh is
# started from the result, and a container it runs by default goes through oci-harden (an audit
# record of its create, and for Docker and Podman what the kernel shows inside it).
#   1. Docker: a daemon.json with other settings -> dockerd's default runtime is "hardened";
#      `docker run` (no --runtime) runs with oci-harden's capability set and NoNewPrivs
#   2. Podman: Debian's containers.conf -> `podman info` names "hardened" as the runtime;
#      a container runs through it
#   3. containerd: a CRI node's config.toml -> containerd starts with it, the CRI plugin runs a
#      pod through oci-harden with no runtime_handler (default_runtime_name), the annotations
#      org.oci-harden.* reach the runtime (an opt-out annotation is seen in the record)
#   and for each: a second run changes nothing, one backup was kept, the restart is named.
# Needs root, dockerd, containerd, ctr, podman, jq, runc, python3 with grpc (as cri_test.sh) and
# a built bin/. Run it serialized with the other e2e suites:
#   flock /tmp/oci-harden-e2e.lock bash tests/e2e/configure_test.sh
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
# shellcheck source=../lib/common.sh
source tests/lib/common.sh
# shellcheck source=engines.sh
source tests/e2e/engines.sh

need_root || exit_summary
need dockerd "$DOCKER_CLI" containerd ctr podman jq runc busybox "$ROOT/bin/oci-harden" "$ROOT/bin/oci-hardenctl" ||
  exit_summary
CTL=$ROOT/bin/oci-hardenctl

T=$(mktemp -d /var/tmp/ocih-configure.XXXXXX) || exit 5
chmod 0711 "$T"
DK=$T/docker
PM=$T/podman
C=$T/containerd
STUBS=$T/stubs
CLIENT=tests/e2e/cri/cri_client.py
cri() { /usr/bin/python3 "$CLIENT" call "$STUBS" "$C/containerd.sock" "$@"; }
cleanup() {
  local id
  if [[ -S "$C/containerd.sock" ]]; then
    for id in $(CRI_CALL_TIMEOUT=20 cri ListPodSandbox 2>/dev/null | jq -r '.items[]?.id'); do
      CRI_CALL_TIMEOUT=30 cri StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null 2>&1
      CRI_CALL_TIMEOUT=30 cri RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null 2>&1
    done
  fi
  docker_stop "$DK"
  podman_stop "$PM"
  containerd_stop "$C"
  _engine_runc_cleanup "$T"/runc-root/*
  _engine_umount_under "$T"
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ------------------------------------------------------------------ policy and wrapper
mkdir -p "$T/etc" "$T/conf" "$T/runc-root" && chmod 0755 "$T/etc"
POLICY=$T/etc/policy.json
jq --arg log "$T/audit.jsonl" --arg st "$T/run" --arg sock "$DK/docker.sock" \
  '{audit_log: $log, user_namespace: {state_dir: $st, unavailable: "record"},
    engine_sockets: (.engine_sockets + [$sock])}' profiles/policy-default.json > "$POLICY" && chmod 0644 "$POLICY"
# Engines run the runtime with their own environment: an exec'ing wrapper carries the policy.
printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$POLICY" "$ROOT/bin/oci-harden" > "$T/hardened"
chmod 0755 "$T/hardened"
audit() { [[ -n "$(jq -c "select($1)" "$T/audit.jsonl" 2>/dev/null)" ]]; }
backups() { find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1").oci-harden.bak-*" | wc -l; }

# configure_twice ENGINE FILE RESTART_WORDS: configure --default, then again; checks both.
configure_twice() {
  local engine=$1 file=$2 restart=$3 out
  out=$("$CTL" configure "$engine" --default --runtime-path "$T/hardened" --config "$file" 2>&1)
  check "$engine: configure exits 0" test $? -eq 0 || echo "$out"
  check "$engine: configure names the restart ($restart)" grep -qF "$restart" <<<"$out"
  check "$engine: one backup of the old file, as it was" test "$(backups "$file")" -eq 1
  out=$("$CTL" configure "$engine" --default --runtime-path "$T/hardened" --config "$file" 2>&1)
  check "$engine: a second configure changes nothing and says so" grep -q "already configured; nothing changed" <<<"$out"
  check "$engine: and makes no second backup" test "$(backups "$file")" -eq 1
}

# ------------------------------------------------------------------ 1. Docker
printf '{\n  "log-level": "info",\n  "runtimes": {"plain-runc": {"path": "/usr/bin/runc"}}\n}\n' > "$T/conf/daemon.json"
configure_twice docker "$T/conf/daemon.json" "systemctl restart docker"
check "docker: daemon.json keeps the other runtime and sets the default" \
  jq -e '.runtimes["plain-runc"].path == "/usr/bin/runc" and .runtimes.hardened == {"path": "'"$T/hardened"'"}
         and ."default-runtime" == "hardened"' "$T/conf/daemon.json"
if docker_start "$DK" "$(cat "$T/conf/daemon.json")"; then
  pass "docker: dockerd starts with the configured daemon.json"
  check "docker: dockerd's default runtime is hardened" \
    test "$(docker_cmd "$DK" info --format '{{.DefaultRuntime}}' 2>/dev/null)" = hardened
  docker_import_busybox "$DK" ocih-configure:1 >/dev/null 2>&1
  out=$(docker_cmd "$DK" run --rm --network none ocih-configure:1 cat /proc/self/status 2>&1)
  check "docker: docker run (no --runtime) succeeds" grep -q '^CapEff:' <<<"$out" || echo "$out"
  check "docker: the container has NoNewPrivs 1 (oci-harden's, Docker's default is 0)" grep -qE '^NoNewPrivs:\s+1' <<<"$out"
  check "docker: CapEff is not Docker's default set 00000000a80425fb" \
    bash -c '! grep -qE "^CapEff:\s+00000000a80425fb" <<<"$0"' "$out"
  check "docker: the audit log has the container's create, applied" \
    audit '.event == "create" and .decision == "applied" and (.bundle | test("moby"))'
else
  fail "docker: dockerd starts with the configured daemon.json" "see the log tail above"
fi
docker_stop "$DK"

# ------------------------------------------------------------------ 2. Podman
mkdir -p "$PM/etc"
cp /usr/share/containers/containers.conf "$PM/etc/containers.conf" 2>/dev/null ||
  printf '[engine]\n' > "$PM/etc/containers.conf"
configure_twice podman "$PM/etc/containers.conf" "no restart needed"
# podman info without --runtime (podman_cmd passes one): in its own store, so the one below
# keeps podman_cmd's storage settings.
check "podman: podman info names hardened as its OCI runtime" \
  test "$(CONTAINERS_CONF=$PM/etc/containers.conf TMPDIR=$T timeout 60 podman --root "$T/podman-info/root" \
          --runroot "$T/podman-info/runroot" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
          info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)" = hardened
make_busybox_rootfs "$T/rootfs" >/dev/null 2>&1
out=$(tar -C "$T/rootfs" -c . | podman_cmd "$PM" import -c 'CMD ["/bin/sh"]' - ocih-configure:1 2>&1)
check "podman: import exits 0" test $? -eq 0 || echo "$out"
# podman_cmd passes --runtime "$PODMAN_RUNTIME": the name, resolved through engine.runtimes.
out=$(PODMAN_RUNTIME=hardened podman_cmd "$PM" run --rm "${PODMAN_RUN_ARGS[@]}" ocih-configure:1 cat /proc/self/status 2>&1)
check "podman: run through the configured runtime succeeds" grep -q '^CapEff:' <<<"$out" || echo "$out"
check "podman: the container has NoNewPrivs 1" grep -qE '^NoNewPrivs:\s+1' <<<"$out"
check "podman: the audit log has a create through Podman, applied" \
  audit '.event == "create" and .decision == "applied" and (.bundle | test("overlay-containers|'"$PM"'"))'
podman_stop "$PM"

# ------------------------------------------------------------------ 3. containerd with its CRI plugin
if ! /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null; then
  skip "python3-grpcio and python3-grpc-tools (tools/install-deps.sh)"
  exit_summary
fi
/usr/bin/python3 "$CLIENT" gen "$STUBS" >/dev/null || { fail "CRI client" "protoc could not generate the stubs"; exit_summary; }
mkdir -p "$T/pause-rootfs/bin" "$T/cni-bin" "$T/cni-conf"
cp /bin/busybox "$T/pause-rootfs/bin/busybox"
cri_image_archive "$T/pause.tar" oci-harden.test/pause:1 "$T/pause-rootfs" '["/bin/busybox", "sleep", "2147483647"]' ||
  fail "containerd: pause image archive"
ln -s /usr/lib/cni/loopback "$T/cni-bin/loopback"
cp tests/e2e/cri/ocih-pod-veth "$T/cni-bin/ocih-pod-veth"
printf '{"cniVersion": "0.4.0", "name": "ocih-pod", "plugins": [{"type": "ocih-pod-veth", "address": "10.88.78.2/24"}]}\n' \
  > "$T/cni-conf/10-ocih-pod.conflist"
# A CRI node's config as an administrator has it (runc the default), before configure; the
# "hardened" runtime's options table already holds Root (runc's state under $T): configure adds
# BinaryName to it.
cat > "$T/conf/config.toml" <<EOF
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "oci-harden.test/pause:1"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$T/cni-bin"
    conf_dir = "$T/cni-conf"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    # runc, as shipped
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$T/runc-root"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardened.options]
      Root = "$T/runc-root"
EOF
configure_twice containerd "$T/conf/config.toml" "systemctl restart containerd"
# containerd_cri_start writes version, root, state and socket itself, then this body.
if containerd_cri_start "$C" "$(grep -v '^version' "$T/conf/config.toml")"; then
  pass "containerd: starts with the configured config.toml"
  check "containerd: its own config dump shows runtime hardened with BinaryName" \
    bash -c 'containerd --config "$0" config dump | grep -qF "BinaryName = \"$1\""' "$C/config.toml" "$T/hardened"
  out=$(ctr_cmd "$C" -n k8s.io images import "$T/pause.tar" 2>&1)
  check "containerd: ctr -n k8s.io images import pause" test $? -eq 0 || echo "$out"
  pod=$(jq -nc '{metadata: {name: "cfg", uid: "cfg-uid", namespace: "ocih-ns", attempt: 0}, hostname: "cfg",
                annotations: {"org.oci-harden.opt-out": "readonly-rootfs"},
                linux: {security_context: {namespace_options: {network: "POD", pid: "CONTAINER", ipc: "POD"}}}}')
  out=$(cri RunPodSandbox "{\"config\": $pod}" 2>&1)
  check "containerd: RunPodSandbox with no runtime_handler succeeds" test $? -eq 0 || echo "$out"
  pod_id=$(jq -r '.pod_sandbox_id // empty' <<<"$out" 2>/dev/null)
  check "containerd: the pause container went through oci-harden (audit: create applied)" \
    audit "(.container == \"${pod_id:-none}\") and .event == \"create\" and .decision == \"applied\""
  check "containerd: pod_annotations passed the pod's org.oci-harden.opt-out (audit: granted)" \
    audit "(.container == \"${pod_id:-none}\") and .event == \"create\" and .opt_outs.granted == [\"readonly-rootfs\"]"
  [[ -n "$pod_id" ]] && { cri StopPodSandbox "{\"pod_sandbox_id\": \"$pod_id\"}" >/dev/null 2>&1;
                          cri RemovePodSandbox "{\"pod_sandbox_id\": \"$pod_id\"}" >/dev/null 2>&1; }
else
  fail "containerd: starts with the configured config.toml" "see the log tail above"
fi
containerd_stop "$C"

exit_summary

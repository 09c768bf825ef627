#!/usr/bin/env bash
# End to end: pods through containerd's CRI plugin, as a kubelet starts them, with the runtime
# handler "hardened" (deploy/containerd-config.toml) running oci-harden.
#
# No kubelet here: tests/e2e/cri/cri_client.py speaks the kubelet's side of the CRI (runtime.v1
# over gRPC, the subset in tests/e2e/cri/runtime_v1_subset.proto) to a private containerd with
# its CRI plugin enabled: own root, state and socket under a temporary directory, CNI from a
# private bin/conf directory (Debian's loopback plugin plus tests/e2e/cri/ocih-pod-veth, which
# keeps its veth pair inside the pod), network namespaces under containerd's state, runc's state
# under the test directory, a pause image and a busybox image built here and imported (nothing is
# pulled). The README's "On a Kubernetes node" walks the same steps.
#
# Every check looks at what the CRI call returned (its gRPC error is what `kubectl describe pod`
# shows), at the kernel's view from inside the container (ExecSync of /proc/self/status), or at
# the host's cgroup files of the container's process.
# CRI_KEEP=DIR keeps containerd's log, the audit log and the captured config.json files there.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/common.sh
source tests/e2e/engines.sh

START=$(date +%s)
need_root || exit_summary
need containerd ctr runc jq busybox sha256sum nsenter ip gcc /usr/bin/python3 /usr/lib/cni/loopback ||
  exit_summary
if ! /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null; then
  skip "python3-grpcio and python3-grpc-tools (tools/install-deps.sh)"
  exit_summary
fi
OCIH=$PWD/bin/oci-harden
if [[ ! -x "$OCIH" ]]; then
  fail "prerequisite" "bin/oci-harden not built (run make)"
  exit_summary
fi

T=$(mktemp -d /var/tmp/ocih-cri.XXXXXX)
chmod 0711 "$T"
C=$T/containerd
SUFFIX=${T##*.}
# Every pod's cgroups live under this parent (a kubelet's would be /kubepods/...).
CGPARENT=/ocih-cri-$SUFFIX
CLIENT=tests/e2e/cri/cri_client.py
STUBS=$T/stubs
SOCK=$C/containerd.sock
PAUSE_IMAGE=oci-harden.test/pause:1
BUSYBOX_IMAGE=oci-harden.test/busybox:1

# cri METHOD [JSON]: one CRI call; the response (JSON) on stdout, "rpc error: ..." on stderr.
cri() { /usr/bin/python3 "$CLIENT" call "$STUBS" "$SOCK" "$@"; }

cleanup() {
  local id d
  if [[ -S "$SOCK" ]]; then
    for id in $(CRI_CALL_TIMEOUT=20 cri ListPodSandbox 2>/dev/null | jq -r '.items[]?.id'); do
      CRI_CALL_TIMEOUT=30 cri StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null 2>&1
      CRI_CALL_TIMEOUT=30 cri RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null 2>&1
    done
  fi
  containerd_stop "$C"
  _engine_runc_cleanup "$T"/runc-root/*
  _engine_umount_under "$T"
  for d in /sys/fs/cgroup/*"$CGPARENT" /sys/fs/cgroup/*/*"$CGPARENT"; do
    [[ -d "$d" ]] || continue
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
    rmdir "$d" 2>/dev/null
  done
  if [[ -n "${CRI_KEEP:-}" ]]; then
    mkdir -p "$CRI_KEEP"
    cp -r "$C/containerd.log" "$T/audit.jsonl" "$T/calls.jsonl" "$T/captured" "$CRI_KEEP/" 2>/dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the client, the images, the CNI directory, the runtime
/usr/bin/python3 "$CLIENT" gen "$STUBS" >/dev/null ||
  { fail "CRI client" "protoc could not generate the runtime.v1 stubs"; exit_summary; }

make_busybox_rootfs "$T/busybox-rootfs" || { fail "busybox rootfs" "make_busybox_rootfs failed"; exit_summary; }
# A setuid-root program that prints what it got: with no_new_privs the kernel ignores the bit.
cat > "$T/suidprobe.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  printf("ruid=%d euid=%d\n", (int)getuid(), (int)geteuid());
  while (f && fgets(line, sizeof line, f)) fputs(line, stdout);
  return 0;
}
EOF
if gcc -static -O2 -o "$T/busybox-rootfs/bin/suidprobe" "$T/suidprobe.c" 2>"$T/gcc.log"; then
  chmod 4755 "$T/busybox-rootfs/bin/suidprobe"
else
  fail "setuid probe" "gcc -static failed: $(head -n 3 "$T/gcc.log")"
fi
mkdir -p "$T/pause-rootfs/bin"
cp /bin/busybox "$T/pause-rootfs/bin/busybox"
cri_image_archive "$T/pause.tar" "$PAUSE_IMAGE" "$T/pause-rootfs" '["/bin/busybox", "sleep", "2147483647"]' &&
  cri_image_archive "$T/busybox.tar" "$BUSYBOX_IMAGE" "$T/busybox-rootfs" '["/bin/sh"]' ||
  { fail "image archives" "cri_image_archive failed"; exit_summary; }

mkdir -p "$T/cni-bin" "$T/cni-conf" "$T/etc" "$T/runc-root"
ln -s /usr/lib/cni/loopback "$T/cni-bin/loopback"
cp tests/e2e/cri/ocih-pod-veth "$T/cni-bin/ocih-pod-veth"
printf '{"cniVersion": "0.4.0", "name": "ocih-pod", "plugins": [{"type": "ocih-pod-veth", "address": "10.88.77.2/24"}]}\n' \
  > "$T/cni-conf/10-ocih-pod.conflist"

chmod 0755 "$T/etc"
jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
  '{runtime: "/usr/bin/runc", audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
# containerd's shim runs the runtime with its own environment: the wrapper carries the policy,
# and a logging runtime in front of it copies each config.json the CRI plugin hands over.
printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$T/etc/policy.json" "$OCIH" > "$T/hardened"
chmod 0755 "$T/hardened"
make_logging_runtime "$T/logged" "$T/calls.jsonl" "$T/captured" "$T/hardened"

# The node's config: the CRI plugin's own settings, then deploy/containerd-config.toml's runtime
# "hardened" as shipped, pointed at the wrapper, with runc's state under $T.
# restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, and the pause container's
# oom_score_adj -998 fails in plain runc too.
runtime_toml=$(grep -v '^version' deploy/containerd-config.toml |
  sed -e "s|^  BinaryName = \"/usr/local/bin/oci-harden\"|  BinaryName = \"$T/logged\"\n  Root = \"$T/runc-root\"|")
cri_toml="[plugins.\"io.containerd.grpc.v1.cri\"]
  sandbox_image = \"$PAUSE_IMAGE\"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = \"127.0.0.1\"
  stream_server_port = \"0\"
  [plugins.\"io.containerd.grpc.v1.cri\".cni]
    bin_dir = \"$T/cni-bin\"
    conf_dir = \"$T/cni-conf\"
    max_conf_num = 1
  [plugins.\"io.containerd.grpc.v1.cri\".containerd]
    default_runtime_name = \"runc\"
    snapshotter = \"overlayfs\"
  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]
    runtime_type = \"io.containerd.runc.v2\"
  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]
    Root = \"$T/runc-root\"
$runtime_toml"

# status_hex KEY TEXT: the value of a /proc/PID/status line; cap_mask N...: that mask in hex.
status_hex() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }
cap_mask() { local m=0 n; for n in "$@"; do m=$((m | (1 << n))); done; printf '%016x' "$m"; }
audit() { [[ -n "$(jq -c "select($1)" "$T/audit.jsonl" 2>/dev/null)" ]]; }
# host_cgroup_file PID CONTROLLER V1_FILE V2_FILE: the file of PID's cgroup, read on the host.
host_cgroup_file() {
  local pid=$1 ctl=$2 v1=$3 v2=$4 path
  path=$(awk -F: -v c="$ctl" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' "/proc/$pid/cgroup")
  if [[ -n "$path" && -r "/sys/fs/cgroup/$ctl$path/$v1" ]]; then
    cat "/sys/fs/cgroup/$ctl$path/$v1"
    return
  fi
  path=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
  cat "/sys/fs/cgroup$path/$v2" 2>/dev/null || cat "/sys/fs/cgroup/unified$path/$v2"
}

# pod_config NAME [JQ_FILTER]: a PodSandboxConfig as a kubelet sends it (metadata, the pod's
# labels and annotations, cgroup parent), changed by JQ_FILTER.
pod_config() {
  jq -nc --arg n "$1" --arg cg "$CGPARENT" "{
    metadata: {name: \$n, uid: (\$n + \"-uid\"), namespace: \"ocih-ns\", attempt: 0},
    hostname: \$n, labels: {\"io.kubernetes.pod.name\": \$n},
    annotations: {\"kubernetes.io/config.source\": \"api\"},
    linux: {cgroup_parent: \$cg, security_context: {namespace_options: {network: \"POD\", pid: \"CONTAINER\", ipc: \"POD\"}}}
  } ${2:+| $2}"
}
# run_pod POD_CONFIG_JSON: RunPodSandbox with the handler "hardened"; prints the response/error.
run_pod() { cri RunPodSandbox "{\"config\": $1, \"runtime_handler\": \"hardened\"}"; }
# container_config NAME [JQ_FILTER]: a busybox ContainerConfig running `sleep`, with the masked
# and read-only /proc paths a kubelet sends for procMount Default (pkg/securitycontext).
container_config() {
  jq -nc --arg n "$1" --arg img "$BUSYBOX_IMAGE" "{
    metadata: {name: \$n, attempt: 0}, image: {image: \$img},
    command: [\"/bin/sleep\", \"3600\"], labels: {\"io.kubernetes.container.name\": \$n},
    linux: {security_context: {namespace_options: {network: \"POD\", pid: \"CONTAINER\", ipc: \"POD\"},
      masked_paths: [\"/proc/asound\", \"/proc/acpi\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\",
        \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/proc/scsi\", \"/sys/firmware\",
        \"/sys/devices/virtual/powercap\"],
      readonly_paths: [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"]}}
  } ${2:+| $2}"
}
# create_container POD_ID CONTAINER_CONFIG POD_CONFIG: CreateContainer; prints the response/error.
create_container() {
  cri CreateContainer "{\"pod_sandbox_id\": \"$1\", \"config\": $2, \"sandbox_config\": $3}"
}
# create_start POD_ID CONTAINER_CONFIG POD_CONFIG: CreateContainer, then StartContainer (the
# runtime's create runs at StartContainer in containerd 1.6); the first error, or the id.
create_start() {
  local out id
  out=$(create_container "$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
  id=$(jq -r '.container_id' <<<"$out")
  out=$(cri StartContainer "{\"container_id\": \"$id\"}" 2>&1) || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$id"
}
exec_sync() {  # exec_sync CONTAINER_ID CMD...: ExecSync; the response JSON
  local id=$1
  shift
  cri ExecSync "$(jq -nc --arg id "$id" '{container_id: $id, cmd: $ARGS.positional, timeout: 30}' --args -- "$@")"
}
container_pid() { cri ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid'; }
remove_pod() {
  cri StopPodSandbox "{\"pod_sandbox_id\": \"$1\"}" >/dev/null 2>&1
  cri RemovePodSandbox "{\"pod_sandbox_id\": \"$1\"}" >/dev/null 2>&1
}

# ---- 0. the node: containerd with the CRI plugin, the images imported where the CRI plugin looks
check "containerd with its CRI plugin starts on private paths" containerd_cri_start "$C" "$cri_toml" ||
  exit_summary
check "its config names none of the host's containerd or CNI paths" \
  bash -c '! grep -nE "/run/containerd|/var/lib/containerd|/etc/cni|/opt/cni" "$0"' "$C/config.toml"
out=$(cri Version '{"version": "v1"}' 2>&1)
if ! check "the CRI plugin answers runtime.v1 Version" grep -q '"runtime_api_version": "v1"' <<<"$out"; then
  echo "$out"
  grep -F 'io.containerd.grpc.v1.cri' "$C/containerd.log" | tail -n 3
  exit_summary
fi
for img in pause busybox; do
  out=$(ctr_cmd "$C" -n k8s.io images import "$T/$img.tar" 2>&1)
  check "ctr -n k8s.io images import $img" test $? -eq 0 || echo "$out"
done

# ---- 1. a pod with the "hardened" handler: the pause container runs, hardened, not broken
POD=$(pod_config web)
out=$(run_pod "$POD" 2>&1)
if ! check "RunPodSandbox with runtime_handler hardened succeeds" test $? -eq 0; then
  echo "$out"
  exit_summary
fi
pod_id=$(jq -r '.pod_sandbox_id // empty' <<<"$out" 2>/dev/null)
st=$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"${pod_id:-none}\", \"verbose\": true}" 2>&1)
check "PodSandboxStatus: SANDBOX_READY" test "$(jq -r '.status.state' <<<"$st" 2>/dev/null)" = SANDBOX_READY
check "PodSandboxStatus: runtime_handler hardened, pod IP from CNI" \
  test "$(jq -r '"\(.status.runtime_handler) \(.status.network.ip)"' <<<"$st" 2>/dev/null)" = "hardened 10.88.77.2"
check "oci-harden hardened the pause container (audit: create applied)" \
  audit "(.container == \"${pod_id:-none}\") and .event == \"create\" and .decision == \"applied\""
pause_pid=$(jq -r '.info.info | fromjson | .pid' <<<"$st" 2>/dev/null)
if [[ "$pause_pid" =~ ^[0-9]+$ ]] && kill -0 "$pause_pid" 2>/dev/null; then
  pass "the pause process is alive (pid $pause_pid)"
  s=$(cat "/proc/$pause_pid/status")
  check "pause: NoNewPrivs 1, Seccomp 2" test "$(status_hex NoNewPrivs "$s")$(status_hex Seccomp "$s")" = 12
else
  fail "the pause process is alive" "PodSandboxStatus info: $(head -c 300 <<<"$st")"
fi

# ---- 2. a busybox container in it, and what the kernel enforces inside
out=$(create_container "$pod_id" "$(container_config app)" "$POD" 2>&1)
check "CreateContainer busybox in the hardened pod" test $? -eq 0 || echo "$out"
app=$(jq -r '.container_id // empty' <<<"$out" 2>/dev/null)
out=$(cri StartContainer "{\"container_id\": \"${app:-none}\"}" 2>&1)
check "StartContainer" test $? -eq 0 || echo "$out"
cs=$(cri ContainerStatus "{\"container_id\": \"${app:-none}\"}" 2>&1)
check "ContainerStatus: CONTAINER_RUNNING" test "$(jq -r '.status.state' <<<"$cs" 2>/dev/null)" = CONTAINER_RUNNING
# shellcheck disable=SC2016  # expanded by the container's shell
probe='cat /proc/self/status; echo "uid_map: $(cat /proc/self/uid_map)";
  touch /rootfile 2>/dev/null && echo "root-write: ok" || echo "root-write: denied";
  touch /tmp/x && echo "tmp-write: ok" || echo "tmp-write: denied";
  echo "root-mount: $(awk '\''$5 == "/" {print $6}'\'' /proc/self/mountinfo)"'
r=$(exec_sync "${app:-none}" /bin/sh -c "$probe" 2>&1)
check "ExecSync runs (exit 0)" test "$(jq -r '.exit_code' <<<"$r" 2>/dev/null)" = 0 || echo "$r"
out=$(jq -r '.stdout' <<<"$r" 2>/dev/null)
check "inside: NoNewPrivs 1" test "$(status_hex NoNewPrivs "$out")" = 1
check "inside: Seccomp 2 (filter)" test "$(status_hex Seccomp "$out")" = 2
# containerd's default capability set ∩ the policy's allow-list: CAP_NET_RAW (13) is gone.
want=$(cap_mask 0 1 3 4 5 6 7 8 10 18 27 29 31)
check "inside: CapEff is the CRI default set minus CAP_NET_RAW ($want)" test "$(status_hex CapEff "$out")" = "$want"
check "inside: CapAmb empty" test "$(status_hex CapAmb "$out")" = 0000000000000000
check "inside: / is mounted read-only" grep -Eq '^root-mount: ro(,|$)' <<<"$out"
check "inside: writing to / fails" grep -q 'root-write: denied' <<<"$out"
check "inside: writing to /tmp works (readonly-rootfs's tmpfs)" grep -q 'tmp-write: ok' <<<"$out"
uidmap=$(sed -n 's/^uid_map: *//p' <<<"$out")

app_pid=$(container_pid "${app:-none}" 2>/dev/null)
if [[ "$app_pid" =~ ^[0-9]+$ ]]; then
  check "pids limit 1024 in the container's cgroup" test "$(host_cgroup_file "$app_pid" pids pids.max pids.max)" = 1024
  check "memory limit 1 GiB in the container's cgroup" \
    test "$(host_cgroup_file "$app_pid" memory memory.limit_in_bytes memory.max)" = 1073741824
  quota=$(host_cgroup_file "$app_pid" cpu cpu.cfs_quota_us cpu.max)
  check "cpu quota of 2 CPUs in the container's cgroup" grep -Eqx '200000( 100000)?' <<<"$quota"
  check "the container's cgroup is under the pod's parent" grep -q ":pids:$CGPARENT/" "/proc/$app_pid/cgroup"
else
  fail "the container has a pid" "ContainerStatus: $(head -c 300 <<<"$cs")"
fi

# ---- 3. refusals: the reason reaches the CRI caller
refused() {  # refused NAME RULE MSG_REGEX OUTPUT RC
  local name=$1 rule=$2 re=$3 output=$4 rc=$5
  check "$name: the CRI call fails" test "$rc" -ne 0
  check "$name: the gRPC error names rule $rule and the field" \
    grep -Eq "rpc error: code = .*refused by ([a-z-]+, )*${rule}[,:].*$re" <<<"$output" ||
    printf '    | %s\n' "$output" | head -n 5
  echo "    CRI error: $(head -c 600 <<<"$output")"
}
out=$(run_pod "$(pod_config hostpid '.linux.security_context.namespace_options.pid = "NODE"')" 2>&1)
refused "pod with host PID" host-namespaces 'pid namespace missing from linux\.namespaces' "$out" $?
out=$(run_pod "$(pod_config hostnet '.linux.security_context.namespace_options.network = "NODE"')" 2>&1)
refused "pod with host network" host-namespaces 'network namespace missing from linux\.namespaces' "$out" $?
check "no refused sandbox is left READY" \
  test -z "$(cri ListPodSandbox | jq -r '.items[] | select(.metadata.name == "hostpid" or .metadata.name == "hostnet") | select(.state == "SANDBOX_READY") | .id')"

# security_context.privileged needs the pod privileged too; the privileged pod's sandbox itself
# passes (containerd gives the pause container no privileges of its own).
PRIVPOD=$(pod_config privpod '.linux.security_context.privileged = true')
out=$(run_pod "$PRIVPOD" 2>&1)
check "a pod with security_context.privileged: its sandbox runs" test $? -eq 0 || echo "$out"
priv_pod=$(jq -r '.pod_sandbox_id // empty' <<<"$out" 2>/dev/null)
out=$(create_start "${priv_pod:-none}" "$(container_config priv '.linux.security_context.privileged = true')" "$PRIVPOD" 2>&1)
refused "privileged container" privileged 'linux.maskedPaths is empty' "$out" $?
[[ -n "$priv_pod" ]] && remove_pod "$priv_pod"

out=$(create_start "$pod_id" "$(container_config hostrun \
  '.mounts = [{container_path: "/host-run", host_path: "/var/run"}]')" "$POD" 2>&1)
refused "hostPath /var/run" sensitive-mounts 'mounted at /host-run \(mounts\[[0-9]+\]\)' "$out" $?

# ---- 4. ExecSync cannot escalate
# CRI's ExecSync carries a command only (no user, no capabilities, no privileged): the exec'd
# process is the container's own spec process, as containerd stored it before oci-harden rewrote
# it. A container asking for CAP_SYS_ADMIN without no_new_privs: stripped at create, and again
# on every exec.
out=$(create_start "$pod_id" "$(container_config capadd \
  '.linux.security_context.capabilities = {add_capabilities: ["CAP_SYS_ADMIN"]} | .linux.security_context.run_as_user = {value: 1000}')" "$POD" 2>&1)
check "a container asking for CAP_SYS_ADMIN, as uid 1000: started (the capability stripped)" test $? -eq 0 ||
  echo "$out"
capadd=$(tail -n 1 <<<"$out")
r=$(exec_sync "${capadd:-none}" /bin/cat /proc/self/status 2>&1)
out=$(jq -r '.stdout' <<<"$r" 2>/dev/null)
check "exec: NoNewPrivs 1, Seccomp 2" test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")" = 12 || echo "$r"
check "exec: CapEff empty for uid 1000 (CAP_SYS_ADMIN not there)" test "$(status_hex CapEff "$out")" = 0000000000000000
check "exec: CAP_SYS_ADMIN not in its CapBnd" \
  test "$(( 0x$(status_hex CapBnd "$out" || echo 1fffff) & (1 << 21) ))" -eq 0 -a -n "$(status_hex CapBnd "$out")"
check "audit: the exec was hardened (CAP_SYS_ADMIN removed)" \
  audit ".container == \"${capadd:-none}\" and .event == \"exec\" and (.changes | any(.rule == \"exec\" and (.before | tostring | test(\"CAP_SYS_ADMIN\"))))"
r=$(exec_sync "${capadd:-none}" /bin/suidprobe 2>&1)
out=$(jq -r '.stdout' <<<"$r" 2>/dev/null)
check "exec of a setuid-root binary: euid stays 1000" grep -q '^ruid=1000 euid=1000$' <<<"$out" || echo "$r"
check "exec of a setuid-root binary: CapEff stays empty" test "$(status_hex CapEff "$out")" = 0000000000000000

# ---- 4b. container_annotations "org.oci-harden.*": an allowed opt-out reaches oci-harden
out=$(create_start "$pod_id" "$(container_config optout \
  '.annotations = {"org.oci-harden.opt-out": "readonly-rootfs", "example.com/not-passed": "x"}')" "$POD" 2>&1)
check "a container annotated org.oci-harden.opt-out=readonly-rootfs starts" test $? -eq 0 || echo "$out"
optout=$(tail -n 1 <<<"$out")
r=$(exec_sync "${optout:-none}" /bin/sh -c 'touch /rootfile && echo root-write: ok' 2>&1)
check "opt-out readonly-rootfs: writing to / works" grep -q 'root-write: ok' <<<"$(jq -r '.stdout' <<<"$r")" || echo "$r"
check "audit: the opt-out granted, the annotation passed through, the other one not" \
  audit ".container == \"${optout:-none}\" and .event == \"create\" and .opt_outs.granted == [\"readonly-rootfs\"]"
f=$(ls "$T"/captured/config-*-"${optout:-none}".json 2>/dev/null | head -n 1)
check "the CRI plugin passed org.oci-harden.opt-out and dropped example.com/not-passed" \
  jq -e '.annotations["org.oci-harden.opt-out"] == "readonly-rootfs" and (.annotations | has("example.com/not-passed") | not)' "${f:-/dev/null}"

# ---- 5. user namespaces
# containerd 1.6 has no userns_options (CRI API 1.27 / containerd 1.7): a pod asking for one
# (hostUsers: false) gets none. oci-harden cannot add its own here either: containerd's bundle
# directory is 0700 (the mapped root cannot reach the rootfs) and an overlayfs mount cannot be
# idmapped (mount_setattr MOUNT_ATTR_IDMAP: EINVAL); so user_namespace.unavailable decides ("record" by default: the container
# runs, as host root, and the audit record says so; "refuse": the reason reaches the CRI caller).
echo "    uid_map inside the busybox container: $uidmap"
check "default policy (unavailable: record): the audit record says the container runs as host root" \
  audit ".container == \"${app:-none}\" and .event == \"create\" and .user.user_namespace == false and .user.root_on_host == true"
check "... and notes why: the bundle's rootfs is not reachable by the mapped root" \
  audit ".container == \"${app:-none}\" and .event == \"create\" and (.notes | any(.rule == \"user-namespace\" and (.note | test(\"no user namespace added .*not reachable by the mapped root\"))))"
USERNS_POD=$(pod_config userns '.linux.security_context.namespace_options.userns_options =
  {mode: "POD", uids: [{host_id: 2000000, container_id: 0, length: 65536}], gids: [{host_id: 2000000, container_id: 0, length: 65536}]}')
out=$(run_pod "$USERNS_POD" 2>&1)
rc=$?
userns_pod=$(jq -r '.pod_sandbox_id // empty' <<<"$out" 2>/dev/null)
check "a pod with userns_options (hostUsers: false) runs" test "$rc" -eq 0 || echo "$out"
f=$(ls "$T"/captured/config-*-"${userns_pod:-none}".json 2>/dev/null | head -n 1)
if [[ -n "$f" ]] && jq -e '[.linux.namespaces[]?.type] | index("user")' "$f" >/dev/null; then
  echo "    containerd handed a user namespace to the runtime for hostUsers: false"
  st=$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$userns_pod\", \"verbose\": true}" 2>&1)
  p=$(jq -r '.info.info | fromjson | .pid' <<<"$st" 2>/dev/null)
  check "hostUsers: false: the pause process runs in the pod's mapping (host uid 2000000)" \
    grep -Eq '^ +0 +2000000 +65536' "/proc/${p:-0}/uid_map"
else
  check "containerd $(containerd --version | awk '{print $3}'): userns_options reach the runtime as no user namespace at all" \
    test -n "$f"
fi
[[ -n "$userns_pod" ]] && remove_pod "$userns_pod"
jq '.user_namespace.unavailable = "refuse"' "$T/etc/policy.json" > "$T/etc/policy.tmp" &&
  chmod 0644 "$T/etc/policy.tmp" && mv "$T/etc/policy.tmp" "$T/etc/policy.json"
out=$(run_pod "$(pod_config userns-refuse)" 2>&1)
refused "user_namespace.unavailable refuse" user-namespace 'no user namespace can be added: .*not reachable by the mapped root' "$out" $?
jq '.user_namespace.unavailable = "record"' "$T/etc/policy.json" > "$T/etc/policy.tmp" &&
  chmod 0644 "$T/etc/policy.tmp" && mv "$T/etc/policy.tmp" "$T/etc/policy.json"

# ---- 6. golden captures: what the CRI plugin hands the runtime
f=$(ls "$T"/captured/config-*-"${pod_id:-none}".json 2>/dev/null | head -n 1)
check "captured the sandbox's config.json" test -s "$f"
f=$(ls "$T"/captured/config-*-"${app:-none}".json 2>/dev/null | head -n 1)
check "captured the busybox container's config.json" test -s "$f"

# ---- 7. teardown through the CRI, then nothing left
remove_pod "$pod_id"
check "StopPodSandbox + RemovePodSandbox: the pod is gone" \
  test -z "$(cri ListPodSandbox | jq -r '.items[]?.id')"
containerd_stop "$C"
check "no containerd or shim of this test left" test -z "$(_engine_pids_under "$C")"
check "nothing of this test left mounted" \
  test -z "$(awk -v t="$T" '$5 == t || index($5, t "/") == 1' /proc/self/mountinfo)"
echo "    cri_test.sh took $(($(date +%s) - START)) s"
exit_summary

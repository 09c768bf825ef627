#!/usr/bin/env bash
# End to end: oci-harden under a real containerd (1.6), driven by `ctr`.
#
# A private containerd (its own root, state and socket under a temporary directory) runs each
# container through its runc shim (runtime io.containerd.runc.v2) with options.BinaryName set to
# a wrapper that execs bin/oci-harden with this test's policy. `ctr run --runc-binary PATH` is
# how ctr sets BinaryName: ctr cannot name a runtime registered in the config (`--runtime
# hardened` is refused: "invalid runtime name"), those entries are read by the CRI plugin only,
# i.e. by Kubernetes. The config entry (deploy/containerd-config.toml) is checked by decoding it
# with the CRI plugin's own config types (`containerd config dump`).
#
# Every check looks at the kernel's view from inside the container (/proc/self/status, uid_map,
# mountinfo), at the host's cgroup files, or at what ctr itself printed.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need containerd ctr runc jq busybox sha256sum || exit_summary
OCIH=$PWD/bin/oci-harden
if [[ ! -x "$OCIH" || ! -x bin/oci-harden-hook ]]; then
  fail "prerequisite" "bin/oci-harden not built (run make)"
  exit_summary
fi

T=$(mktemp -d /var/tmp/ocih-ctr.XXXXXX)
chmod 0711 "$T"
C=$T/containerd
# A containerd namespace of this run's own: ctr puts its tasks in the cgroup /NS/ID, and the
# parent /NS is removed at the end.
NS=ocih-${T##*.}
export CONTAINERD_NAMESPACE=$NS
cleanup() {
  local d
  containerd_stop "$C"
  # oci-harden's idmapped root filesystems live under the policy's state_dir ($T/run).
  _engine_umount_under "$T"
  for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
    [[ -d "$d" ]] && rmdir "$d" 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs" "make_busybox_rootfs failed"; exit_summary; }
mkdir -p "$T/etc"
chmod 0755 "$T/etc"
write_policy() {  # write_policy [extra jq filter]
  jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
    "{runtime: \"/usr/bin/runc\", audit_log: \$log, user_namespace: {state_dir: \$st}} ${1:+| $1}" \
    > "$T/etc/policy.json.tmp" && chmod 0644 "$T/etc/policy.json.tmp" &&
    mv "$T/etc/policy.json.tmp" "$T/etc/policy.json"
}
write_policy
# containerd's shim runs the runtime with its own environment: the wrapper carries the policy.
printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$T/etc/policy.json" "$OCIH" > "$T/hardened"
chmod 0755 "$T/hardened"
# The same, behind a runtime that logs how the shim called it.
make_logging_runtime "$T/logged" "$T/calls.jsonl" "$T/captured" "$T/hardened"

# The runtime entry of deploy/containerd-config.toml, pointed at the wrapper ("version = 2" is
# already in containerd's default config).
runtime_toml=$(grep -v '^version' deploy/containerd-config.toml | sed "s|/usr/local/bin/oci-harden|$T/hardened|")

# status_hex KEY TEXT: the value of a /proc/PID/status line; cap_mask N...: that mask in hex.
status_hex() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }
cap_mask() { local m=0 n; for n in "$@"; do m=$((m | (1 << n))); done; printf '%016x' "$m"; }
# audit JQ_FILTER: the audit log has a record that the filter selects.
# (Not jq -e: with several inputs, jq 1.6's status is that of the last input's result.)
audit() { [[ -n "$(jq -c "select($1)" "$T/audit.jsonl")" ]]; }
hardened_run() {  # hardened_run [FLAGS...] --rootfs DIR ID CMD...: ctr run through oci-harden
  ctr_run "$C" --rm --runtime io.containerd.runc.v2 --runc-binary "$T/hardened" "$@"
}
lacks() { ! grep -q -- "$1" <<<"$2"; }
task_listed() { ctr_cmd "$C" tasks ls -q | grep -qx "$1"; }
container_listed() { ctr_cmd "$C" containers ls -q | grep -qx "$1"; }
not_listed() { ! task_listed "$1" && ! container_listed "$1"; }
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

# ---- 0. the engine and its configuration
check "containerd starts on private paths" containerd_start "$C" "$runtime_toml" || exit_summary
sed 's|^disabled_plugins = .*|disabled_plugins = []|' "$C/config.toml" > "$T/cri.toml"
dump=$(containerd --config "$T/cri.toml" config dump 2>&1)
section=$(grep -A 14 -F '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardened]' <<<"$dump")
check "config: runtime 'hardened' decodes with runtime_type io.containerd.runc.v2" \
  grep -q 'runtime_type = "io.containerd.runc.v2"' <<<"$section"
section=$(grep -A 4 -F '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardened.options]' <<<"$dump")
check "config: its options.BinaryName is the oci-harden wrapper" \
  grep -qF "BinaryName = \"$T/hardened\"" <<<"$section"

# ---- 1. the shim calls BinaryName, and that is oci-harden
out=$(ctr_run "$C" --rm --runtime io.containerd.runc.v2 --runc-binary "$T/logged" \
  --rootfs "$T/rootfs" c-logged /bin/true 2>&1)
check "ctr run through a logging runtime in front of oci-harden exits 0" test $? -eq 0 || echo "$out"
shim_call() {  # shim_call SUBCOMMAND BUNDLE: the shim ran BinaryName with them
  [[ -n "$(jq -c --arg c "$1" --arg b "$2" 'select((.argv | index($c)) and (.argv | index($b)) and
    (.parent | test("containerd-shim-runc-v2")))' "$T/calls.jsonl")" ]]
}
check "the runc shim called BinaryName for create, with --bundle in containerd's state" \
  shim_call create "$C/state/io.containerd.runtime.v2.task/$NS/c-logged"
check "oci-harden audited that create as applied" \
  audit '.container == "c-logged" and .event == "create" and .decision == "applied"'
check "audit: engine guessed as containerd (from the bundle path)" \
  audit '.container == "c-logged" and .event == "create" and .engine == "containerd"'
check "audit: the bundle is containerd's task directory" \
  audit ".container == \"c-logged\" and .event == \"create\" and .bundle == \"$C/state/io.containerd.runtime.v2.task/$NS/c-logged\""

# ---- 2. from inside: what the kernel enforces
# shellcheck disable=SC2016  # expanded by the container's shell
probe='cat /proc/self/status; echo "uid_map: $(cat /proc/self/uid_map)";
  touch /rootfile 2>/dev/null && echo "root-write: ok" || echo "root-write: denied";
  touch /tmp/x && echo "tmp-write: ok" || echo "tmp-write: denied";
  echo "root-mount: $(awk '\''$5 == "/" {print $6}'\'' /proc/self/mountinfo)"'
out=$(hardened_run --rootfs "$T/rootfs" c-probe /bin/sh -c "$probe" 2>&1)
check "ctr run --runc-binary oci-harden exits 0" test $? -eq 0 || echo "$out"
check "NoNewPrivs: 1" test "$(status_hex NoNewPrivs "$out")" = 1
check "Seccomp: 2 (filter)" test "$(status_hex Seccomp "$out")" = 2
# ctr's default set ∩ the policy's allow-list: CAP_NET_RAW (13) is gone.
want=$(cap_mask 0 1 3 4 5 6 7 8 10 18 27 29 31)
check "CapEff is ctr's default set minus CAP_NET_RAW ($want)" test "$(status_hex CapEff "$out")" = "$want"
check "CapBnd equals CapEff" test "$(status_hex CapBnd "$out")" = "$want"
check "CapAmb empty" test "$(status_hex CapAmb "$out")" = 0000000000000000
check "/ is mounted read-only" grep -Eq '^root-mount: ro(,|$)' <<<"$out"
check "writing to / fails" grep -q 'root-write: denied' <<<"$out"
check "writing to /tmp works (readonly-rootfs's tmpfs)" grep -q 'tmp-write: ok' <<<"$out"
check "uid_map: container root is host uid 1000000" grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
check "audit: c-probe runs as host uid 1000000, not host root" \
  audit '.container == "c-probe" and .event == "create" and .user.root_on_host == false and .user.host_uid == 1000000'

# Limits: read from the host's cgroup files of a running task.
out=$(ctr_run "$C" -d --runtime io.containerd.runc.v2 --runc-binary "$T/hardened" \
  --rootfs "$T/rootfs" c-limits /bin/sleep 300 2>&1)
check "a detached task starts" test $? -eq 0 || echo "$out"
pid=$(ctr_cmd "$C" tasks ls | awk '$1 == "c-limits" {print $2}')
if [[ "$pid" =~ ^[0-9]+$ ]]; then
  check "pids limit 1024 in the task's cgroup" test "$(host_cgroup_file "$pid" pids pids.max pids.max)" = 1024
  check "memory limit 1 GiB in the task's cgroup" \
    test "$(host_cgroup_file "$pid" memory memory.limit_in_bytes memory.max)" = 1073741824
  quota=$(host_cgroup_file "$pid" cpu cpu.cfs_quota_us cpu.max)
  check "cpu quota of 2 CPUs in the task's cgroup" grep -Eqx '200000( 100000)?' <<<"$quota"
  st=$(cat "/proc/$pid/status" 2>&1)
  check "the task's own status: NoNewPrivs 1, Seccomp 2" \
    test "$(status_hex NoNewPrivs "$st")$(status_hex Seccomp "$st")" = 12
else
  fail "task c-limits has a pid" "ctr tasks ls: $(ctr_cmd "$C" tasks ls 2>&1)"
fi
ctr_cmd "$C" tasks kill -s KILL c-limits >/dev/null 2>&1
timeout 20 bash -c "until ! ctr -a '$C/containerd.sock' tasks ls -q | grep -qx c-limits || ctr -a '$C/containerd.sock' tasks delete c-limits >/dev/null 2>&1; do sleep 0.2; done"
ctr_cmd "$C" containers delete c-limits >/dev/null 2>&1
check "c-limits is gone" not_listed c-limits

# ---- 3. refusals: nothing starts, ctr prints the reason
refused() {  # refused NAME ID RULE MSG_REGEX OUTPUT RC
  local name=$1 id=$2 rule=$3 re=$4 output=$5 rc=$6
  check "$name: ctr run fails" test "$rc" -ne 0
  check "$name: ctr's error names the rule" grep -Eq "refused by ([a-z-]+, )*${rule}[,:].*$re" <<<"$output" ||
    printf '    | %s\n' "$output" | head -n 5
  check "$name: no task, no container left" not_listed "$id"
  check "$name: audit record refused by $rule" \
    audit ".container == \"$id\" and .decision == \"refused\" and (.refused | any(.rule == \"$rule\"))"
}
out=$(hardened_run --privileged --rootfs "$T/rootfs" c-priv /bin/true 2>&1)
refused "--privileged" c-priv privileged 'linux.maskedPaths is empty' "$out" $?
out=$(hardened_run --annotation org.oci-harden.opt-out=privileged --rootfs "$T/rootfs" c-optpriv /bin/true 2>&1)
refused "opt-out of privileged (not in opt_out_allowed)" c-optpriv opt-out \
  'asks to skip privileged, which the policy does not allow' "$out" $?
out=$(hardened_run --mount type=bind,src=/etc,dst=/hostetc,options=rbind:ro --rootfs "$T/rootfs" c-etc /bin/true 2>&1)
refused "--mount of /etc" c-etc sensitive-mounts '/etc is mounted at /hostetc' "$out" $?
out=$(hardened_run --mount type=bind,src=/,dst=/host,options=rbind:rw --rootfs "$T/rootfs" c-root /bin/true 2>&1)
refused "--mount bind of /" c-root sensitive-mounts '/ is mounted at /host' "$out" $?
out=$(hardened_run --mount "type=bind,src=$C/containerd.sock,dst=/run/containerd/containerd.sock,options=bind" \
  --rootfs "$T/rootfs" c-sock /bin/true 2>&1)
refused "bind onto containerd's socket path" c-sock sensitive-mounts 'containerd.sock' "$out" $?
# A second procfs has none of the masked or read-only paths (/hp/sys/kernel/core_pattern).
out=$(hardened_run --mount type=proc,src=proc,dst=/hp,options=rw --rootfs "$T/rootfs" c-proc /bin/true 2>&1)
refused "--mount type=proc at /hp" c-proc pseudo-filesystems 'proc filesystem is mounted at /hp' "$out" $?
out=$(hardened_run --mount type=tmpfs,src=tmpfs,dst=/proc/sys --rootfs "$T/rootfs" c-procsys /bin/true 2>&1)
refused "--mount tmpfs over /proc/sys" c-procsys pseudo-filesystems 'mounted at /proc/sys' "$out" $?
# `ctr run --config` hands in a whole spec: a hook of its own would run on the host, as root.
ctr_cmd "$C" oci spec > "$T/spec-hook-base.json"
jq --arg root "$T/rootfs" --arg m "$T/hook-pwned" '.root.path = $root |
  .linux.cgroupsPath = "/\(env.CONTAINERD_NAMESPACE)/c-hook" | .process.args = ["/bin/true"] |
  .process.terminal = false | .hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", "touch \($m)"]}]}' \
  "$T/spec-hook-base.json" > "$T/spec-hook.json"
out=$(hardened_run --config "$T/spec-hook.json" c-hook 2>&1)
refused "ctr run --config with a /bin/sh prestart hook" c-hook hooks 'hooks.prestart\[0\].path /bin/sh runs /' "$out" $?
check "ctr run --config: the foreign hook never ran" test ! -e "$T/hook-pwned"

# ---- 4. an allowed opt-out is honoured, and recorded
out=$(hardened_run --annotation org.oci-harden.opt-out=readonly-rootfs --rootfs "$T/rootfs" c-optout \
  /bin/sh -c "$probe" 2>&1)
check "opt-out readonly-rootfs: ctr run exits 0" test $? -eq 0 || echo "$out"
# --rootfs is a plain directory: never idmapped (issue 18.1), so / is host root's inside and the
# opt-out shows as a read-write mount, written through the image's own 1777 /tmp.
check "opt-out readonly-rootfs: / is mounted read-write, the image's /tmp writable" \
  bash -c 'grep -Eq "^root-mount: rw(,|$)" <<<"$0" && grep -q "tmp-write: ok" <<<"$0"' "$out"
check "opt-out readonly-rootfs: the other rules still hold (NoNewPrivs 1, Seccomp 2)" \
  test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")" = 12
check "opt-out readonly-rootfs: audit opt_outs.granted" \
  audit '.container == "c-optout" and .event == "create" and .opt_outs.granted == ["readonly-rootfs"] and .opt_outs.denied == []'
rm -f "$T/rootfs/rootfile"

# ---- 5. exec: works, and never gets more than the container
# ctr run has no --user: the container's spec comes from a file (`ctr run --config`).
ctr_cmd "$C" oci spec > "$T/spec.json"
# `ctr oci spec` names the namespace's cgroup (/NS) as the container's: a container there would
# put every later one under its device rules.
jq --arg root "$T/rootfs" '.root.path = $root | .process.user = {uid: 1000, gid: 1000} |
  .linux.cgroupsPath = "/\(env.CONTAINERD_NAMESPACE)/c-user" |
  .process.args = ["/bin/sleep", "300"] | .process.terminal = false' "$T/spec.json" > "$T/spec-1000.json"
out=$(ctr_run "$C" -d --runtime io.containerd.runc.v2 --runc-binary "$T/logged" \
  --config "$T/spec-1000.json" c-user 2>&1)
check "a container running as uid 1000 starts" test $? -eq 0 || echo "$out"
ctr_exec() { ctr_cmd "$C" tasks exec --fifo-dir "$C/fifo" "$@"; }
out=$(ctr_exec --exec-id e-plain c-user /bin/sh -c 'id; cat /proc/self/status' 2>&1)
check "ctr task exec works" test $? -eq 0 || echo "$out"
check "exec: runs as uid 1000" grep -q '^uid=1000 gid=1000' <<<"$out"
check "the shim called BinaryName as 'exec --process FILE'" \
  test -n "$(jq -c 'select((.argv | index("exec")) and (.argv | index("--process")) and .argv[-1] == "c-user")' "$T/calls.jsonl")"
check "exec: NoNewPrivs 1, Seccomp 2, CapEff empty" \
  test "$(status_hex NoNewPrivs "$out")/$(status_hex Seccomp "$out")/$(status_hex CapEff "$out")" = 1/2/0000000000000000
check "audit: the exec applied (its --process file rewritten)" \
  audit '.container == "c-user" and .event == "exec" and .decision == "applied"'
out=$(ctr_exec --exec-id e-root --user 0 c-user /bin/id 2>&1)
rc=$?
check "exec --user 0 into a uid-1000 container: refused" test "$rc" -ne 0
check "exec --user 0: ctr's error names the exec rule and uid 0" \
  grep -q 'refused by exec: the exec asks for uid 0, but the container runs as uid 1000' <<<"$out" ||
  printf '    | %s\n' "$out" | head -n 3
check "exec --user 0: it never ran (no uid=0 output)" lacks 'uid=0' "$out"
check "audit: exec refused (exec.escalation refuse)" \
  audit '.container == "c-user" and .event == "exec" and .decision == "refused" and (.refused | any(.reason | test("uid 0")))'
check "the container still runs after the refused exec" task_listed c-user

# A container created with --cap-add CAP_SYS_ADMIN: stripped at create; ctr's exec copies the
# container's original process (with CAP_SYS_ADMIN) and that is stripped again.
out=$(ctr_run "$C" -d --runtime io.containerd.runc.v2 --runc-binary "$T/hardened" --cap-add CAP_SYS_ADMIN \
  --rootfs "$T/rootfs" c-capadd /bin/sleep 300 2>&1)
check "--cap-add CAP_SYS_ADMIN: the container starts (capability stripped)" test $? -eq 0 || echo "$out"
pid=$(ctr_cmd "$C" tasks ls | awk '$1 == "c-capadd" {print $2}')
check "--cap-add CAP_SYS_ADMIN: not in the task's CapBnd" \
  test "$(( 0x$(awk '$1 == "CapBnd:" {print $2}' "/proc/${pid:-0}/status" 2>/dev/null || echo 1fffff) & (1 << 21) ))" -eq 0
out=$(ctr_exec --exec-id e-cap c-capadd /bin/cat /proc/self/status 2>&1)
check "exec into it works" test $? -eq 0 || echo "$out"
check "exec: CAP_SYS_ADMIN not in its CapEff" \
  test "$(( 0x$(status_hex CapEff "$out") & (1 << 21) ))" -eq 0 -a -n "$(status_hex CapEff "$out")"
check "audit: the exec's CAP_SYS_ADMIN was removed" \
  audit '.container == "c-capadd" and .event == "exec" and (.changes | any(.rule == "exec" and (.before | tostring | test("CAP_SYS_ADMIN"))))'
for id in c-user c-capadd; do
  ctr_cmd "$C" tasks kill -s KILL "$id" >/dev/null 2>&1
done

# ---- 6. crun as the wrapped runtime (where crun works on this host's cgroup layout)
if crun_usable; then
  write_policy '.runtime = "/usr/bin/crun"'
  out=$(hardened_run --rootfs "$T/rootfs" c-crun /bin/sh -c "$probe" 2>&1)
  check "crun: ctr run through oci-harden → crun exits 0" test $? -eq 0 || echo "$out"
  check "crun: NoNewPrivs 1, Seccomp 2" test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")" = 12
  check "crun: writing to / fails" grep -q 'root-write: denied' <<<"$out"
  check "crun: uid_map 0 1000000 65536" grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
  check "crun: audit record names crun as the runtime" \
    audit '.container == "c-crun" and .event == "create" and .runtime == "/usr/bin/crun"'
  write_policy
else
  skip "crun as the wrapped runtime: crun cannot create containers on this cgroup layout (crun_hybrid_fix)"
fi

# ---- 7. stopping leaves nothing behind
containerd_stop "$C"
check "no containerd or shim of this test left" test -z "$(_engine_pids_under "$C")"
check "nothing of this test left mounted" \
  test -z "$(awk -v t="$T" '$5 == t || index($5, t "/") == 1' /proc/self/mountinfo)"
check "no task cgroup of this test left" \
  test -z "$(find /sys/fs/cgroup/ -mindepth 2 -maxdepth 3 -type d -path "*/$NS/*" 2>/dev/null)"

exit_summary

#!/usr/bin/env bash
# End to end: oci-harden under a real Podman (4.3, rootful), `podman --runtime WRAPPER`.
#
# Podman keeps everything under a temporary directory (podman_cmd: --root, --runroot, --tmpdir,
# its own containers.conf); the image is a busybox root filesystem brought in with
# `podman import` (no registry). Podman runs the runtime through conmon, with no global flags
# and --bundle from another directory; the wrapper carries the policy, whose "runtime" is runc.
#
# Every check looks at the kernel's view from inside the container (/proc/self/status, uid_map,
# mountinfo), at the host's cgroup files, or at what podman itself printed.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need podman conmon runc jq busybox tar || exit_summary
OCIH=$PWD/bin/oci-harden
if [[ ! -x "$OCIH" || ! -x bin/oci-harden-hook ]]; then
  fail "prerequisite" "bin/oci-harden not built (run make)"
  exit_summary
fi

T=$(mktemp -d /var/tmp/ocih-pod.XXXXXX)
chmod 0711 "$T"
P=$T/podman
cleanup() {
  podman_stop "$P"
  # oci-harden's idmapped root filesystems live under the policy's state_dir ($T/run).
  _engine_umount_under "$T"
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs" "make_busybox_rootfs failed"; exit_summary; }
mkdir -p "$T/etc" "$T/cid"
chmod 0755 "$T/etc"
write_policy() {  # write_policy [extra jq filter]
  jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
    "{runtime: \"/usr/bin/runc\", audit_log: \$log, user_namespace: {state_dir: \$st}} ${1:+| $1}" \
    > "$T/etc/policy.json.tmp" && chmod 0644 "$T/etc/policy.json.tmp" &&
    mv "$T/etc/policy.json.tmp" "$T/etc/policy.json"
}
write_policy
# conmon runs the runtime with Podman's environment: the wrapper carries the policy.
printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$T/etc/policy.json" "$OCIH" > "$T/hardened"
chmod 0755 "$T/hardened"
# The same, behind a runtime that logs each call and keeps a copy of the config.json Podman
# wrote (before oci-harden rewrites it).
make_logging_runtime "$T/logged" "$T/calls.jsonl" "$T/captured" "$T/hardened"
export PODMAN_RUNTIME=$T/logged
IMAGE=localhost/ocih-busybox:e2e

status_hex() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }
# (Not jq -e: with several inputs, jq 1.6's status is that of the last input's result.)
audit() { [[ -n "$(jq -c "select($1)" "$T/audit.jsonl")" ]]; }
lacks() { ! grep -q -- "$1" <<<"$2"; }
# prun NAME [PODMAN RUN FLAGS...] IMAGE CMD...: podman run --rm; the id goes to $T/cid/NAME.
prun() {
  local name=$1
  shift
  rm -f "$T/cid/$name"
  podman_cmd "$P" run --rm --cidfile "$T/cid/$name" "${PODMAN_RUN_ARGS[@]}" "$@"
}
cid() { cat "$T/cid/$1" 2>/dev/null; }
# The mask of the capabilities Podman asked for that the policy allows (built-in allow-list).
declare -A CAPNUM=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_FOWNER]=3 [CAP_FSETID]=4 [CAP_KILL]=5
  [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8 [CAP_NET_BIND_SERVICE]=10 [CAP_SYS_CHROOT]=18
  [CAP_MKNOD]=27 [CAP_AUDIT_WRITE]=29 [CAP_SETFCAP]=31)
allowed_mask() {  # allowed_mask CAPTURED_CONFIG
  local m=0 c
  for c in $(jq -r '.process.capabilities.bounding[]?' "$1"); do
    [[ -n "${CAPNUM[$c]:-}" ]] && m=$((m | (1 << CAPNUM[$c])))
  done
  printf '%016x' "$m"
}
captured() {  # the config.json Podman wrote for container ID (the last, if several)
  local f=("$T/captured"/config-*-"$1".json)
  [[ -e "${f[-1]}" ]] && echo "${f[-1]}"
}
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
running() { [[ "$(podman_cmd "$P" inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]; }

# ---- 0. the image
out=$(tar -C "$T/rootfs" -c . | podman_cmd "$P" import -c 'CMD ["/bin/sh"]' - "$IMAGE" 2>&1)
check "podman import exits 0" test $? -eq 0 || { echo "$out"; exit_summary; }

# ---- 1. from inside: what the kernel enforces
# shellcheck disable=SC2016  # expanded by the container's shell
probe='cat /proc/self/status; echo "uid_map: $(cat /proc/self/uid_map)";
  touch /rootfile 2>/dev/null && echo "root-write: ok" || echo "root-write: denied";
  touch /tmp/x && echo "tmp-write: ok" || echo "tmp-write: denied";
  echo "root-mount: $(awk '\''$5 == "/" {print $6}'\'' /proc/self/mountinfo)"'
out=$(prun probe "$IMAGE" sh -c "$probe" 2>&1)
check "podman run --runtime oci-harden exits 0" test $? -eq 0 || echo "$out"
id=$(cid probe)
check "conmon called the runtime for create with --bundle and no global flags" \
  test -n "$(jq -c --arg id "$id" 'select(.argv[1] == "create" and (.argv | index("--bundle")) and .argv[-1] == $id)' "$T/calls.jsonl")"
check "oci-harden audited the create, engine podman" \
  audit ".container == \"$id\" and .event == \"create\" and .decision == \"applied\" and .engine == \"podman\""
check "NoNewPrivs: 1" test "$(status_hex NoNewPrivs "$out")" = 1
check "Seccomp: 2 (filter)" test "$(status_hex Seccomp "$out")" = 2
check "Podman's own seccomp profile is kept (judged by effect: no seccomp change recorded)" \
  audit ".container == \"$id\" and .event == \"create\" and ([.changes[]? | select(.rule == \"seccomp\")] | length) == 0"
conf=$(captured "$id")
want=$(allowed_mask "$conf")
check "CapEff is what Podman asked for ∩ the allow-list ($want)" test "$(status_hex CapEff "$out")" = "$want"
check "CapBnd equals CapEff" test "$(status_hex CapBnd "$out")" = "$want"
if jq -e '.process.capabilities.bounding | index("CAP_NET_RAW")' "$conf" >/dev/null; then
  check "CAP_NET_RAW (asked for by Podman) is gone" test "$(( 0x$(status_hex CapEff "$out") & (1 << 13) ))" -eq 0
fi
check "/ is mounted read-only" grep -Eq '^root-mount: ro(,|$)' <<<"$out"
check "writing to / fails" grep -q 'root-write: denied' <<<"$out"
check "writing to /tmp works (readonly-rootfs's tmpfs)" grep -q 'tmp-write: ok' <<<"$out"
# Podman's overlay root cannot be idmapped and its layers are not searchable by the mapped
# root: the policy's user namespace is unavailable ("record"), and the audit record says so.
if grep -Eq 'uid_map: +0 +0 +4294967295' <<<"$out"; then
  check "no user namespace: the audit record says host root (unavailable: record)" \
    audit ".container == \"$id\" and .event == \"create\" and .user.user_namespace == false and .user.root_on_host == true"
else
  check "a user namespace: container root is not host root" \
    audit ".container == \"$id\" and .event == \"create\" and .user.root_on_host == false"
  check "uid_map does not map 0 to 0" lacks 'uid_map: *0 *0 ' "$out"
fi

# Podman's own mapping (--uidmap/--gidmap) is kept.
out=$(prun userns --uidmap 0:1000000:65536 --gidmap 0:1000000:65536 "$IMAGE" sh -c "$probe" 2>&1)
check "--uidmap 0:1000000:65536: podman run exits 0" test $? -eq 0 || echo "$out"
check "--uidmap: uid_map inside is 0 1000000 65536" grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
check "--uidmap: still NoNewPrivs 1, Seccomp 2, read-only /" \
  test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")$(grep -c 'root-write: denied' <<<"$out")" = 121
check "--uidmap: audit says not host root, mapping kept (no user-namespace change)" \
  audit ".container == \"$(cid userns)\" and .event == \"create\" and .user.root_on_host == false and .user.host_uid == 1000000 and (.changes | all(.rule != \"user-namespace\"))"

# Limits, from the host's cgroup files of a running container: Podman's own pids limit above
# the policy's maximum is clamped; memory and CPU get the policy's defaults.
rm -f "$T/cid/limits"
out=$(podman_cmd "$P" run -d --cidfile "$T/cid/limits" "${PODMAN_RUN_ARGS[@]}" --pids-limit 100000 \
  "$IMAGE" sleep 300 2>&1)
check "a detached container starts" test $? -eq 0 || echo "$out"
pid=$(podman_cmd "$P" inspect --format '{{.State.Pid}}' "$(cid limits)" 2>/dev/null)
if [[ "$pid" =~ ^[1-9][0-9]*$ ]]; then
  check "--pids-limit 100000 clamped to the policy's max 32768 in the cgroup" \
    test "$(host_cgroup_file "$pid" pids pids.max pids.max)" = 32768
  check "memory limit 1 GiB in the cgroup" \
    test "$(host_cgroup_file "$pid" memory memory.limit_in_bytes memory.max)" = 1073741824
  check "cpu quota of 2 CPUs in the cgroup" \
    grep -Eqx '200000( 100000)?' <<<"$(host_cgroup_file "$pid" cpu cpu.cfs_quota_us cpu.max)"
else
  fail "the detached container has a pid" "got '$pid'"
fi
check "audit: the pids clamp is recorded" \
  audit ".container == \"$(cid limits)\" and (.changes | any(.rule == \"pids-limit\" and .before == 100000 and .after == 32768))"
podman_cmd "$P" rm -f -t 0 "$(cid limits)" >/dev/null 2>&1

# ---- 2. refusals: nothing starts, podman prints the reason
refused() {  # refused NAME KEY RULE MSG_REGEX OUTPUT RC (KEY: the name given to prun)
  local name=$1 id=$2 rule=$3 re=$4 output=$5 rc=$6
  id=$(cid "$id")
  check "$name: podman run fails" test "$rc" -ne 0
  check "$name: podman's error names the rule" grep -Eq "refused by ([a-z-]+, )*${rule}[,:].*$re" <<<"$output" ||
    printf '    | %s\n' "$output" | head -n 5
  check "$name: the container never started" \
    test -n "$id" -a -z "$(jq -c --arg id "$id" 'select(.argv[1] == "start" and .argv[-1] == $id)' "$T/calls.jsonl")"
  check "$name: audit record refused by $rule" \
    audit ".container == \"$id\" and .decision == \"refused\" and (.refused | any(.rule == \"$rule\"))"
}
out=$(prun privileged --privileged "$IMAGE" true 2>&1)
refused "--privileged" privileged privileged 'linux.maskedPaths is empty' "$out" $?
out=$(prun hostroot -v /:/host "$IMAGE" true 2>&1)
refused "-v /:/host" hostroot sensitive-mounts '/ is mounted at /host' "$out" $?
out=$(prun pidhost --pid host "$IMAGE" true 2>&1)
refused "--pid host" pidhost host-namespaces 'pid namespace' "$out" $?
out=$(prun optpriv --annotation org.oci-harden.opt-out=privileged "$IMAGE" true 2>&1)
refused "opt-out of privileged" optpriv opt-out 'asks to skip privileged, which the policy does not allow' "$out" $?
out=$(prun etc -v /etc:/hostetc:ro "$IMAGE" true 2>&1)
refused "-v /etc:/hostetc:ro" etc sensitive-mounts '/etc is mounted at /hostetc' "$out" $?

# ---- 3. an allowed opt-out is honoured, and recorded
out=$(prun optout --annotation org.oci-harden.opt-out=readonly-rootfs "$IMAGE" sh -c "$probe" 2>&1)
check "opt-out readonly-rootfs: podman run exits 0" test $? -eq 0 || echo "$out"
check "opt-out readonly-rootfs: / is writable" grep -q 'root-write: ok' <<<"$out"
check "opt-out readonly-rootfs: the other rules still hold (NoNewPrivs 1, Seccomp 2)" \
  test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")" = 12
check "opt-out readonly-rootfs: audit opt_outs.granted" \
  audit ".container == \"$(cid optout)\" and .event == \"create\" and .opt_outs.granted == [\"readonly-rootfs\"] and .opt_outs.denied == []"

# ---- 4. exec: works, and never gets more than the container
rm -f "$T/cid/ex"
out=$(podman_cmd "$P" run -d --cidfile "$T/cid/ex" "${PODMAN_RUN_ARGS[@]}" "$IMAGE" sleep 300 2>&1)
check "a container for exec starts" test $? -eq 0 || echo "$out"
ex=$(cid ex)
pid=$(podman_cmd "$P" inspect --format '{{.State.Pid}}' "$ex" 2>/dev/null)
ctr_capeff=$(awk '$1 == "CapEff:" {print $2}' "/proc/${pid:-0}/status" 2>/dev/null)
out=$(podman_cmd "$P" exec "$ex" cat /proc/self/status 2>&1)
check "podman exec works" test $? -eq 0 || echo "$out"
check "exec: NoNewPrivs 1, Seccomp 2" test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")" = 12
check "exec: CapEff is the container's ($ctr_capeff)" test -n "$ctr_capeff" -a "$(status_hex CapEff "$out")" = "$ctr_capeff"
check "audit: the exec was judged (its --process file)" \
  audit ".container == \"$ex\" and .event == \"exec\" and .decision != \"refused\""

# exec --privileged, policy exec.escalation "refuse" (the default): refused.
out=$(podman_cmd "$P" exec --privileged "$ex" cat /proc/self/status 2>&1)
rc=$?
check "exec --privileged (escalation: refuse): refused" test "$rc" -ne 0
check "exec --privileged: podman's error names the exec rule" \
  grep -q 'refused by exec: the exec asks for every capability (exec --privileged)' <<<"$out" ||
  printf '    | %s\n' "$out" | head -n 3
check "exec --privileged: the process never ran" lacks 'CapEff' "$out"
check "audit: exec --privileged refused" \
  audit ".container == \"$ex\" and .event == \"exec\" and .decision == \"refused\" and (.refused | any(.reason | test(\"every capability\")))"
check "the container still runs" running "$ex"

# The same with exec.escalation "clamp": it runs, with no more than the container has.
write_policy '.exec.escalation = "clamp"'
out=$(podman_cmd "$P" exec --privileged "$ex" cat /proc/self/status 2>&1)
check "exec --privileged (escalation: clamp): runs" test $? -eq 0 || echo "$out"
check "exec --privileged clamped: CapEff is the container's ($ctr_capeff)" \
  test -n "$ctr_capeff" -a "$(status_hex CapEff "$out")" = "$ctr_capeff"
check "exec --privileged clamped: CapBnd has no CAP_SYS_ADMIN" \
  test -n "$(status_hex CapBnd "$out")" -a "$(( 0x$(status_hex CapBnd "$out") & (1 << 21) ))" -eq 0
check "exec --privileged clamped: NoNewPrivs 1, Seccomp 2" \
  test "$(status_hex NoNewPrivs "$out")$(status_hex Seccomp "$out")" = 12
write_policy
podman_cmd "$P" rm -f -t 0 "$ex" >/dev/null 2>&1

# A container running as uid 1000: exec --user 0 is an escalation.
rm -f "$T/cid/ex1000"
out=$(podman_cmd "$P" run -d --cidfile "$T/cid/ex1000" --user 1000:1000 "${PODMAN_RUN_ARGS[@]}" "$IMAGE" sleep 300 2>&1)
check "a uid-1000 container starts" test $? -eq 0 || echo "$out"
ex=$(cid ex1000)
out=$(podman_cmd "$P" exec "$ex" id 2>&1)
check "exec into it runs as uid 1000" grep -Eq '^uid=1000[ (].* gid=1000[ (]' <<<"$out" || echo "$out"
out=$(podman_cmd "$P" exec --user 0 "$ex" id 2>&1)
rc=$?
check "exec --user 0 into a uid-1000 container: refused" test "$rc" -ne 0
check "exec --user 0: podman's error names the exec rule and uid 0" \
  grep -q 'refused by exec: the exec asks for uid 0, but the container runs as uid 1000' <<<"$out" ||
  printf '    | %s\n' "$out" | head -n 3
check "exec --user 0: it never ran (no uid=0 output)" lacks 'uid=0' "$out"
check "the uid-1000 container still runs" running "$ex"
podman_cmd "$P" rm -f -t 0 "$ex" >/dev/null 2>&1

# ---- 5. stopping leaves nothing behind
ids=$(jq -r '.container' "$T/audit.jsonl" | sort -u)
podman_stop "$P"
check "no conmon, runtime or podman process of this test left" test -z "$(_engine_pids_under "$P")"
check "nothing of this test left mounted" \
  test -z "$(awk -v t="$T" '$5 == t || index($5, t "/") == 1' /proc/self/mountinfo)"
left=""
for id in $ids; do
  [[ -e "/run/runc/$id" ]] && left+=" $id"
done
check "no runc state of this test's containers left in /run/runc" test -z "$left"

exit_summary

#!/usr/bin/env bash
# End to end under Docker (issue 5): a private dockerd (tests/e2e/engines.sh docker_start: its
# own data root, exec root and socket under a temporary directory) with deploy/daemon.json's
# "hardened" runtime pointed at a wrapper that execs bin/oci-harden with this test's policy, and
# "userns-remap": "default". A busybox root filesystem is imported as the image (no registry).
# Every check looks from inside the container (the kernel's /proc and cgroup files) or at what
# `docker` itself printed, and at the audit log.
#   1. a hardened container: NoNewPrivs, seccomp, capabilities, read-only /, writable /tmp,
#      the policy's pids/memory/cpu limits, the dockremap uid mapping
#   2. refusals whose reason reaches `docker run`'s own stderr: --privileged, the engine socket,
#      / bound in, --pid host; --cap-add SYS_ADMIN is stripped
#   2b. --security-opt seccomp=<allow-all> replaced by the policy's profile (seen from inside),
#      Docker's default profile kept and in force; Podman's default profile
#      (--security-opt seccomp=podman.json) replaced: it counts only in Podman's bundles
#   3. a named volume, and volumes that show the host (/, /etc, a procfs: refused); 4. docker exec, exec --privileged, exec -u 0; 5. the audit log
#   6. --runtime runc, the daemon's default, is unchanged (the control)
#   7. a second daemon (deploy/daemon-default-runtime.json without userns-remap): the default
#      runtime is oci-harden, and user_namespace.unavailable "record" / "refuse"
# Needs root, dockerd (Debian's docker.io), jq, runc, busybox-static and a built bin/.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
# shellcheck source=../lib/common.sh
source tests/lib/common.sh
# shellcheck source=engines.sh
source tests/e2e/engines.sh

need_root || exit_summary
need dockerd "$DOCKER_CLI" jq runc cc "$ROOT/bin/oci-harden" "$ROOT/bin/oci-harden-hook" || exit_summary

T=$(mktemp -d /var/tmp/ocih-docker.XXXXXX) || exit 5
chmod 0711 "$T"
DK=$T/docker    # the userns-remap daemon
DK2=$T/docker2  # the second daemon: default-runtime hardened, no userns-remap
SOCK_DIR_MADE=""
cleanup() {
  docker_stop "$DK"
  docker_stop "$DK2"
  # `docker run -v /var/run/docker.sock:/s` creates a missing source as a directory on the
  # host; remove it again if this test made it (rmdir: only if still an empty directory).
  [[ -n "$SOCK_DIR_MADE" ]] && rmdir /var/run/docker.sock 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ------------------------------------------------------------------ policy, wrapper, daemon
mkdir -p "$T/etc" "$T/out" "$T/cid" && chmod 0755 "$T/etc"
POLICY=$T/etc/policy.json
# The private daemon's socket is an engine socket too: add it to the built-in list.
write_policy() {  # write_policy UNAVAILABLE
  jq --arg log "$T/audit.jsonl" --arg st "$T/run" --arg sock "$DK/docker.sock" \
    --arg sock2 "$DK2/docker.sock" --arg un "$1" \
    '{audit_log: $log,
      user_namespace: {state_dir: $st, unavailable: $un},
      engine_sockets: (.engine_sockets + [$sock, $sock2])}' \
    profiles/policy-default.json > "$POLICY.tmp" && chmod 0644 "$POLICY.tmp" && mv "$POLICY.tmp" "$POLICY"
}
write_policy record
# The effective policy: the built-in defaults, overridden key by key by the policy file.
EFFECTIVE=$(jq -s '.[0] * .[1]' profiles/policy-default.json "$POLICY")
pol() { jq -r "$1" <<<"$EFFECTIVE"; }

# dockerd runs the runtime with its own environment: an exec'ing wrapper carries the policy
# (never "runtimeArgs": dockerd wraps those in a shell script that does not exec).
cat > "$T/oci-harden" <<EOF
#!/bin/sh
OCI_HARDEN_POLICY=$POLICY exec $ROOT/bin/oci-harden "\$@"
EOF
chmod 0755 "$T/oci-harden"

# deploy/daemon.json as shipped, with the runtime path pointed at the wrapper.
DAEMON_JSON=$(jq -c --arg p "$T/oci-harden" '.runtimes.hardened.path = $p' deploy/daemon.json)
check "deploy/daemon.json registers runtime hardened with userns-remap default" \
  jq -e '.runtimes.hardened.path and ."userns-remap" == "default" and (.runtimes.hardened | has("runtimeArgs") | not)' \
  deploy/daemon.json

if ! docker_start "$DK" "$DAEMON_JSON"; then
  fail "dockerd starts with $DAEMON_JSON" "see the log tail above"
  exit_summary
fi
pass "dockerd (userns-remap) answers on $DK/docker.sock"
IMG=ocih-busybox
check "docker import of a busybox root filesystem" docker_import_busybox "$DK" "$IMG" || exit_summary

# dk TAG ARGS...: docker ARGS against the private daemon; stdout, stderr and the exit status
# go to $T/out/TAG.{out,err,rc}.
dk() {
  local tag=$1
  shift
  docker_cmd "$DK" "$@" > "$T/out/$tag.out" 2> "$T/out/$tag.err"
  echo $? > "$T/out/$tag.rc"
}
out() { cat "$T/out/$1.out"; }
err() { cat "$T/out/$1.err"; }
rc() { cat "$T/out/$1.rc"; }
cid() { cat "$T/cid/$1" 2>/dev/null; }
# hrun TAG DOCKER_RUN_ARGS... -- CMD...: docker run --rm --runtime hardened --network none, the
# container id written to $T/cid/TAG.
hrun() {
  local tag=$1
  shift
  dk "$tag" run --rm --cidfile "$T/cid/$tag" --runtime hardened --network none "$@"
}
# show TAG: what docker printed (for a failing check's output)
show() { echo "exit $(rc "$1")"; echo "--- stdout"; out "$1"; echo "--- stderr"; err "$1"; }

# audit_for CID: the audit records of one container, one compact JSON object a line.
audit_for() { jq -c --arg c "$1" 'select(.container == $c)' "$T/audit.jsonl" 2>/dev/null; }
# audit_has CID FILTER: 0 if some record of container CID satisfies the jq boolean FILTER
# (jq 1.6's -e looks at the last input only, so decide over all of them here); else prints them.
audit_has() {
  [[ -n "$1" ]] || { echo "no container id"; return 1; }
  jq -n -e --arg c "$1" "any(inputs | select(.container == \$c); $2)" "$T/audit.jsonl" >/dev/null && return 0
  echo "no record of container $1 with: $2"
  audit_for "$1" | cut -c1-600
  return 1
}

# ------------------------------------------------------------------ capabilities as a mask
CAP_NAMES=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL
  CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST
  CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO
  CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE
  CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE
  CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM
  CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE)
cap_mask() {  # cap_mask NAME...: the /proc/PID/status hex form of this set
  local m=0 n i
  for n in "$@"; do
    for i in "${!CAP_NAMES[@]}"; do
      [[ "${CAP_NAMES[$i]}" == "$n" ]] && m=$((m | (1 << i)))
    done
  done
  printf '%016x' "$m"
}
cap_bit() { local i; for i in "${!CAP_NAMES[@]}"; do [[ "${CAP_NAMES[$i]}" == "$1" ]] && echo "$i"; done; }
has_cap() { (( (16#$1 >> $(cap_bit "$2")) & 1 )); }  # has_cap HEXMASK NAME
# What Docker grants by default (its captured spec), kept by the policy's allow-list: the
# capabilities rule never adds one.
mapfile -t EXPECTED_CAPS < <(jq -r --argjson allow "$(pol '.capabilities')" \
  '.process.capabilities.bounding[] | select(. as $c | $allow | index($c))' tests/golden/docker-captured/plain.json)
EXPECTED_MASK=$(cap_mask "${EXPECTED_CAPS[@]}")

# ------------------------------------------------------------------ 1. a hardened container
# shellcheck disable=SC2016  # expanded inside the container
PROBE='grep -E "^(NoNewPrivs|Seccomp|CapEff|CapPrm|CapBnd):" /proc/self/status
echo "uid_map: $(head -n 1 /proc/self/uid_map | tr -s " " | sed "s/^ //")"
if touch /probe-root 2>/dev/null; then echo "rootfs: writable"; else echo "rootfs: read-only"; fi
if echo ok > /tmp/probe && [ "$(cat /tmp/probe)" = ok ]; then echo "tmp: writable"; else echo "tmp: not writable"; fi
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
  echo "cgroup: v2"
  echo "pids: $(cat /sys/fs/cgroup/pids.max)"
  echo "memory: $(cat /sys/fs/cgroup/memory.max)"
  echo "cpu: $(cat /sys/fs/cgroup/cpu.max)"
else
  echo "cgroup: v1"
  echo "pids: $(cat /sys/fs/cgroup/pids/pids.max)"
  echo "memory: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
  echo "cpu: $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
fi
echo "rw-cgroupfs: $(awk "{ for (i = 7; \$i != \"-\"; i++) ; } index(\$5, \"/sys/fs/cgroup\") == 1 && \$(i + 1) ~ /^cgroup2?\$/ && \$6 !~ /^ro/ { n++ } END { print n + 0 }" /proc/self/mountinfo)"'
field() { sed -n "s/^$2:[[:space:]]*//p" "$T/out/$1.out" | head -n 1; }  # field TAG NAME

hrun plain "$IMG" sh -c "$PROBE"
check "docker run --runtime hardened --network none starts" test "$(rc plain)" = 0 ||
  show plain | sed 's/^/    | /'
check "hardened: NoNewPrivs 1" test "$(field plain NoNewPrivs)" = 1
check "hardened: Seccomp 2 (filter)" test "$(field plain Seccomp)" = 2
CAPEFF=$(field plain CapEff)
check_caps() {  # check_caps HEXMASK: Docker's defaults ∩ the allow-list, no SYS_ADMIN, no NET_RAW
  local m=$1
  [[ -n "$m" ]] || { echo "no CapEff line"; return 1; }
  if has_cap "$m" CAP_SYS_ADMIN || has_cap "$m" CAP_NET_RAW; then
    echo "CapEff $m holds CAP_SYS_ADMIN or CAP_NET_RAW"
    return 1
  fi
  [[ "$m" == "$EXPECTED_MASK" ]] || { echo "CapEff $m, expected $EXPECTED_MASK (${EXPECTED_CAPS[*]})"; return 1; }
}
check "hardened: CapEff = Docker's defaults within the allow-list ($EXPECTED_MASK), no SYS_ADMIN/NET_RAW" \
  check_caps "$CAPEFF"
check "hardened: CapBnd = CapEff" test "$(field plain CapBnd)" = "$CAPEFF"
check "hardened: / is read-only (touch fails)" test "$(field plain rootfs)" = read-only
check "hardened: /tmp is writable" test "$(field plain tmp)" = writable

CPU_PERIOD=$(pol '.limits.cpu.period')
CPU_QUOTA=$(pol "(.limits.cpu.default * $CPU_PERIOD) | floor")
check "hardened: pids limit = policy default $(pol .limits.pids.default) (cgroup $(field plain cgroup))" \
  test "$(field plain pids)" = "$(pol .limits.pids.default)"
check "hardened: memory limit = policy default $(pol .limits.memory.default)" \
  test "$(field plain memory)" = "$(pol .limits.memory.default)"
check "hardened: cpu quota/period = $CPU_QUOTA $CPU_PERIOD (policy default $(pol .limits.cpu.default) CPUs)" \
  test "$(field plain cpu)" = "$CPU_QUOTA $CPU_PERIOD"
# Docker leaves the cgroup mount read-write under userns-remap (no cgroup namespace on a v1
# host); pseudo-filesystems makes it read-only: no cgroup hierarchy is mounted rw inside.
check "hardened: every cgroup hierarchy is mounted read-only (mountinfo)" test "$(field plain rw-cgroupfs)" = 0
# dockerd created dockremap and its ranges at start (once per host).
REMAP=$(awk -F: '$1 == "dockremap" {print $2 " " $3; exit}' /etc/subuid)
uid_map_is_dockremap() {
  [[ -n "$REMAP" && "$(field plain uid_map)" == "0 $REMAP" ]] ||
    { echo "uid_map inside: '$(field plain uid_map)'; dockremap in /etc/subuid: '$REMAP'"; return 1; }
}
check "hardened: uid_map is dockremap's range (0 ${REMAP:-?}), not 0 0" uid_map_is_dockremap

# Docker's own prestart hook (libnetwork-setkey, written as /proc/<dockerd pid>/exe) is there
# only for a container on a network of its own: judged by the binary it runs (dockerd), it passes.
dk netcreate network create --driver bridge ocih-hooknet
dk hooknet run -d --cidfile "$T/cid/hooknet" --runtime hardened --network ocih-hooknet "$IMG" sleep 60
check "a container on a bridge network (Docker's libnetwork-setkey hook) starts" test "$(rc hooknet)" = 0 ||
  show hooknet | sed 's/^/    | /'
HOOK_BUNDLE=$(jq -r --arg c "$(cid hooknet)" 'select(.container == $c and .event == "create") | .bundle' "$T/audit.jsonl" | head -n 1)
# The hooks rule rewrites /proc/<dockerd>/exe to the allowed_hooks path of the same file
# (dockerd dispatches on args[0], so the hook still runs as libnetwork-setkey).
check "  ... its spec names Docker's hook by dockerd's allowed path: $(jq -c '.hooks.prestart[0].path' "$HOOK_BUNDLE/config.json")" \
  jq -e '.hooks.prestart[0] | (.path | test("^/usr/(local/)?s?bin/dockerd$")) and .args[0] == "libnetwork-setkey"' "$HOOK_BUNDLE/config.json"
check "  ... and the audit record has the rewrite from /proc/<dockerd>/exe, under rule hooks" \
  jq -e --arg c "$(cid hooknet)" -s 'map(select(.container == $c and .event == "create") | .changes[]
    | select(.rule == "hooks" and .path == "hooks.prestart[0].path" and (.before | test("^/proc/[0-9]+/exe$")))) | length > 0' "$T/audit.jsonl"
dk hooknet-rm rm -f "$(cid hooknet)"
dk netrm network rm ocih-hooknet

# ------------------------------------------------------------------ 2. refusals
# refused TAG RULE: docker's exit non-zero, oci-harden's message in docker's own stderr, and an
# audit record (decision "refused") naming RULE for that container.
refused() {
  local tag=$1 rule=$2 c
  [[ "$(rc "$tag")" != 0 ]] || { echo "docker exited 0"; show "$tag"; return 1; }
  grep -q "oci-harden: refused by .*$rule" "$T/out/$tag.err" ||
    { echo "no 'oci-harden: refused by ... $rule' in docker's stderr"; show "$tag"; return 1; }
  c=$(cid "$tag")
  [[ -n "$c" ]] || { echo "no container id (cidfile)"; return 1; }
  audit_has "$c" ".event == \"create\" and .decision == \"refused\" and any(.refused[]; .rule == \"$rule\")"
}

# The userns-remap daemon refuses --privileged and --pid host by itself; --userns host takes
# that away so that the spec reaches oci-harden.
hrun privileged --userns host --privileged "$IMG" true
check "--privileged (--userns host): refused by oci-harden's privileged rule" refused privileged privileged
check "--privileged: the message docker shows is oci-harden's" grep -q 'OCI runtime create failed: oci-harden: refused by privileged' "$T/out/privileged.err"

if [[ ! -e /var/run/docker.sock ]]; then
  SOCK_DIR_MADE=1  # docker creates the missing source as a directory; cleanup removes it
fi
hrun docker-sock -v /var/run/docker.sock:/s "$IMG" true
check "-v /var/run/docker.sock:/s: refused by sensitive-mounts" refused docker-sock sensitive-mounts
hrun private-sock -v "$DK/docker.sock:/s" "$IMG" true
check "-v <this daemon's socket>:/s (engine_sockets): refused by sensitive-mounts" refused private-sock sensitive-mounts
hrun host-root -v /:/host "$IMG" true
check "-v /:/host: refused by sensitive-mounts" refused host-root sensitive-mounts
hrun pid-host --userns host --pid host "$IMG" true
check "--pid host (--userns host): refused by host-namespaces" refused pid-host host-namespaces

# --cap-add SYS_ADMIN: the capabilities rule strips what is outside the allow-list (it does not
# refuse); the container starts without it and the audit record says what was dropped.
hrun cap-add --cap-add SYS_ADMIN "$IMG" sh -c "$PROBE"
check "--cap-add SYS_ADMIN: starts" test "$(rc cap-add)" = 0 || show cap-add | sed 's/^/    | /'
check "--cap-add SYS_ADMIN: stripped, CapEff $(field cap-add CapEff) = $EXPECTED_MASK" check_caps "$(field cap-add CapEff)"
cap_add_record() {
  audit_has "$(cid cap-add)" '.event == "create" and .decision == "applied" and .refused == []
      and any(.changes[]; .rule == "capabilities" and .path == "process.capabilities.bounding"
        and (.before | index("CAP_SYS_ADMIN")) != null and (.after | index("CAP_SYS_ADMIN")) == null)'
}
check "--cap-add SYS_ADMIN: audit record applied, capabilities dropped CAP_SYS_ADMIN, nothing refused" \
  cap_add_record

# ------------------------------------------------------------------ 2b. seccomp by effect
# --security-opt seccomp=<allow-all>: the profile is judged by what its filter does and replaced
# by the policy's; Docker's own default profile (every plain container) is kept unchanged. Seen
# from inside with the static syscall probe (tests/tools/probe_syscalls.c) bound in read-only.
mkdir -p "$T/probe"
cc -static -pthread -O2 -o "$T/probe/probe_syscalls" tests/tools/probe_syscalls.c &&
  chmod 0755 "$T/probe" "$T/probe/probe_syscalls"
echo '{"defaultAction": "SCMP_ACT_ALLOW"}' > "$T/allow-all.json"
SECCOMP_PROBE='/probe/probe_syscalls; unshare -U true 2>/dev/null && echo "unshare-U: ok" || echo "unshare-U: failed"'
probe_line() { grep -E "^$2( |: )" "$T/out/$1.out" | head -n 1; }  # probe_line TAG NAME
dk sc-ctl run --rm --runtime runc --network none --security-opt "seccomp=$T/allow-all.json" \
  -v "$T/probe:/probe:ro" "$IMG" sh -c "$SECCOMP_PROBE"
check "--runtime runc, seccomp=allow-all (control): unshare -U works ($(probe_line sc-ctl unshare-U))" \
  test "$(probe_line sc-ctl unshare-U)" = "unshare-U: ok"
hrun sc-allowall --security-opt "seccomp=$T/allow-all.json" -v "$T/probe:/probe:ro" "$IMG" sh -c "$SECCOMP_PROBE"
check "seccomp=allow-all: starts" test "$(rc sc-allowall)" = 0 || show sc-allowall | sed 's/^/    | /'
for p in "unshare errno=1" "clone_newuser errno=1" "keyctl errno=1" "io_uring_setup errno=1" "unshare-U: failed"; do
  check "seccomp=allow-all: the policy's profile is in force: $p" test "$(probe_line sc-allowall "${p%% *}")" = "$p"
done
check "seccomp=allow-all: audit record: the profile replaced, the open calls named" \
  audit_has "$(cid sc-allowall)" '.event == "create" and any(.changes[]; .rule == "seccomp"
      and .before.defaultAction == "SCMP_ACT_ALLOW" and (.before.open | length) > 0)'
hrun sc-default -v "$T/probe:/probe:ro" "$IMG" sh -c "$SECCOMP_PROBE"
check "Docker's default profile: starts" test "$(rc sc-default)" = 0 || show sc-default | sed 's/^/    | /'
check "Docker's default profile: kept (no seccomp change in the audit record)" \
  audit_has "$(cid sc-default)" '.event == "create" and ([.changes[] | select(.rule == "seccomp")] | length) == 0'
check "Docker's default profile: in force (io_uring_setup, allowed by Docker and denied by the policy, is not EPERM: $(probe_line sc-default io_uring_setup))" \
  test -n "$(probe_line sc-default io_uring_setup)" -a "$(probe_line sc-default io_uring_setup)" != "io_uring_setup errno=1"
check "Docker's default profile: unshare still denied" test "$(probe_line sc-default unshare)" = "unshare errno=1"
# Podman's default profile handed to a Docker container (it allows unshare and keyctl): Podman's
# default counts only in Podman's own bundles, so here it is judged against Docker's and replaced.
cp profiles/engine-seccomp-podman.json "$T/podman.json"
dk sc-podctl run --rm --runtime runc --network none --security-opt "seccomp=$T/podman.json" \
  -v "$T/probe:/probe:ro" "$IMG" sh -c "$SECCOMP_PROBE"
check "--runtime runc, seccomp=podman.json (control): unshare works ($(probe_line sc-podctl unshare))" \
  test "$(probe_line sc-podctl unshare)" = "unshare ok"
hrun sc-podman --security-opt "seccomp=$T/podman.json" -v "$T/probe:/probe:ro" "$IMG" sh -c "$SECCOMP_PROBE"
check "seccomp=podman.json: starts" test "$(rc sc-podman)" = 0 || show sc-podman | sed 's/^/    | /'
for p in "unshare errno=1" "clone_newuser errno=1" "keyctl errno=1" "unshare-U: failed"; do
  check "seccomp=podman.json: the policy's profile is in force: $p" test "$(probe_line sc-podman "${p%% *}")" = "$p"
done
check "seccomp=podman.json: audit record: replaced against Docker's, Podman's not a reference here" \
  audit_has "$(cid sc-podman)" '.event == "create" and any(.changes[]; .rule == "seccomp"
      and .before.compared_with == "docker" and .before.not_used.podman != null)'

# ------------------------------------------------------------------ 3. a named volume
TOKEN=vol-$RANDOM-$$
hrun vol-write -v data:/data "$IMG" sh -c "echo $TOKEN > /data/token"
check "named volume: a hardened container writes to -v data:/data" test "$(rc vol-write)" = 0 ||
  show vol-write | sed 's/^/    | /'
hrun vol-read -v data:/data "$IMG" cat /data/token
check "named volume: a second container reads it back" test "$(out vol-read)" = "$TOKEN"

# ------------------------------------------------------------------ 3b. volumes that show the host
# A local-driver volume can be a bind of any host directory or a procfs (issue 12): judged by
# what it shows, not by its path under the volumes directory.
# refused_saying TAG TEXT: refused by sensitive-mounts, and docker's stderr says TEXT.
refused_saying() {
  refused "$1" sensitive-mounts || return 1
  grep -qF -- "$2" "$T/out/$1.err" || { echo "no '$2' in docker's stderr"; show "$1"; return 1; }
}
dk vol-hostroot volume create -d local -o type=none -o o=bind -o device=/ hostroot
hrun hostroot-read -v hostroot:/host "$IMG" cat /host/etc/hostname
check "volume hostroot (a bind of /): host file read refused" \
  refused_saying hostroot-read "is a bind of the host's / ("
hrun hostroot-write --userns host -v hostroot:/host "$IMG" sh -c 'echo x > /host/tmp/f'
check "volume hostroot (--userns host): host file write refused" \
  refused_saying hostroot-write "is a bind of the host's / ("
dk vol-hostetc volume create -d local -o type=none -o o=bind -o device=/etc hostetc
hrun hostetc -v hostetc:/e "$IMG" true
check "volume showing /etc: refused" refused_saying hostetc "is a bind of the host's /etc ("
dk vol-hostproc volume create -d local -o type=proc -o device=proc hostproc
hrun hostproc --userns host -v hostproc:/hp "$IMG" test -w /hp/sys/kernel/core_pattern
check "volume hostproc (a procfs): refused" refused_saying hostproc "on a proc filesystem"
docker_cmd "$DK" volume rm -f hostroot hostetc hostproc >/dev/null 2>&1
hrun vol-again -v data:/data "$IMG" cat /data/token
check "named volume: an ordinary volume still works after them" test "$(out vol-again)" = "$TOKEN"

# ------------------------------------------------------------------ 4. docker exec
# ex-root runs as root, ex-user as uid 1000.
dk ex-root run -d --cidfile "$T/cid/ex-root" --runtime hardened --network none "$IMG" sleep 600
dk ex-user run -d --cidfile "$T/cid/ex-user" --runtime hardened --network none --user 1000 "$IMG" sleep 600
check "exec: two long-running hardened containers start (root, --user 1000)" \
  test "$(rc ex-root) $(rc ex-user)" = "0 0"
dk exec-plain exec "$(cid ex-root)" sh -c 'grep -E "^(NoNewPrivs|CapEff):" /proc/self/status'
check "docker exec works in a hardened container" test "$(rc exec-plain)" = 0 || show exec-plain | sed 's/^/    | /'
check "docker exec: NoNewPrivs 1, CapEff = the container's ($EXPECTED_MASK)" \
  test "$(field exec-plain NoNewPrivs) $(field exec-plain CapEff)" = "1 $EXPECTED_MASK"
dk exec-user exec "$(cid ex-user)" id -u
check "docker exec into the --user 1000 container runs as 1000" test "$(out exec-user)" = 1000

ESCALATION=$(pol '.exec.escalation')
# exec_escalation TAG CID WHAT: per exec.escalation, refused with the message in docker exec's
# own output and an exec record "refused" -- or clamped (CapEff no more than the container's).
exec_escalation() {
  local tag=$1 c=$2
  if [[ "$ESCALATION" == refuse ]]; then
    [[ "$(rc "$tag")" != 0 ]] || { echo "docker exec exited 0"; show "$tag"; return 1; }
    grep -q 'oci-harden: refused by exec' "$T/out/$tag.err" "$T/out/$tag.out" ||
      { echo "no 'refused by exec' in docker exec's output"; show "$tag"; return 1; }
    audit_has "$c" '.event == "exec" and .decision == "refused" and any(.refused[]; .rule == "exec")'
  else
    [[ "$(rc "$tag")" == 0 ]] || { echo "clamped exec failed"; show "$tag"; return 1; }
    local m
    m=$(sed -n 's/^CapEff:\s*//p' "$T/out/$tag.out")
    (( (16#$m & ~16#$EXPECTED_MASK) == 0 )) || { echo "CapEff $m beyond $EXPECTED_MASK"; return 1; }
    ! grep -q '^uid=0' "$T/out/$tag.out" || { echo "ran as uid 0"; return 1; }
    audit_has "$c" '.event == "exec" and .decision == "applied" and any(.changes[]; .rule == "exec")'
  fi
}
# shellcheck disable=SC2016  # expanded inside the container
PROBE_EXEC='echo "uid=$(id -u)"; grep "^CapEff:" /proc/self/status'
dk exec-priv exec --privileged "$(cid ex-root)" sh -c "$PROBE_EXEC"
check "docker exec --privileged: $ESCALATION (exec.escalation)" exec_escalation exec-priv "$(cid ex-root)"
dk exec-priv-user exec --privileged "$(cid ex-user)" sh -c "$PROBE_EXEC"
check "docker exec --privileged into the --user 1000 container: $ESCALATION" exec_escalation exec-priv-user "$(cid ex-user)"
dk exec-u0 exec -u 0 "$(cid ex-user)" sh -c "$PROBE_EXEC"
check "docker exec -u 0 into the --user 1000 container: $ESCALATION" exec_escalation exec-u0 "$(cid ex-user)"
check "docker exec: an exec record \"applied\" for the allowed exec" \
  audit_has "$(cid ex-root)" '.event == "exec" and .decision == "applied"'
docker_cmd "$DK" rm -f "$(cid ex-root)" "$(cid ex-user)" >/dev/null 2>&1

# ------------------------------------------------------------------ 6. the control: plain runc
dk control run --rm --cidfile "$T/cid/control" --runtime runc --network none "$IMG" sh -c "$PROBE"
check "--runtime runc (the default) still starts" test "$(rc control)" = 0 || show control | sed 's/^/    | /'
control_unchanged() {
  if [[ "$(field control NoNewPrivs) $(field control rootfs) $(field control pids)" == "0 writable max" ]] &&
     has_cap "$(field control CapEff)" CAP_NET_RAW; then
    return 0
  fi
  cat "$T/out/control.out"
  return 1
}
check "--runtime runc: unchanged (NoNewPrivs 0, / writable, NET_RAW kept, no pids limit)" control_unchanged
no_record_for_control() { [[ -n "$(cid control)" ]] && ! grep -qF "$(cid control)" "$T/audit.jsonl"; }
check "--runtime runc: no audit record (oci-harden not involved)" no_record_for_control

# ------------------------------------------------------------------ 5. the audit log
audit_lines_valid() {
  local n=0 line
  while IFS= read -r line; do
    n=$((n + 1))
    jq -e -c 'select(.v == 1 and (.event | type) == "string" and (.decision | type) == "string")' \
      <<<"$line" >/dev/null || { echo "line $n is not a valid v1 record: $line"; return 1; }
  done < "$T/audit.jsonl"
  ((n > 0)) || { echo "empty audit log"; return 1; }
  echo "$n records"
}
check "audit log: every line is a JSON record (jq -c . on each line)" audit_lines_valid
applied_for_each() {
  local tag c
  for tag in plain cap-add vol-write vol-read ex-root ex-user; do
    c=$(cid "$tag")
    [[ -n "$c" ]] || { echo "$tag: no container id"; return 1; }
    audit_has "$c" '.event == "create" and .decision == "applied"' || { echo "($tag)"; return 1; }
  done
}
check "audit log: an \"applied\" create record for each started hardened container" applied_for_each
check "audit log: the hardened container's record keeps dockremap (user.root_on_host false)" \
  audit_has "$(cid plain)" '.event == "create" and .user.root_on_host == false and .user.user_namespace == true'

# ------------------------------------------------------------------ 7. default-runtime, no remap
docker_stop "$DK"
DAEMON2_JSON=$(jq -c --arg p "$T/oci-harden" '.runtimes.hardened.path = $p | del(."userns-remap")' \
  deploy/daemon-default-runtime.json)
check "deploy/daemon-default-runtime.json makes hardened the default runtime" \
  jq -e '."default-runtime" == "hardened" and .runtimes.hardened.path' deploy/daemon-default-runtime.json
if docker_start "$DK2" "$DAEMON2_JSON"; then
  pass "second dockerd (default-runtime hardened, no userns-remap) answers"
  docker_import_busybox "$DK2" "$IMG" >/dev/null 2>&1
  d2() { local tag=$1; shift; docker_cmd "$DK2" "$@" > "$T/out/$tag.out" 2> "$T/out/$tag.err"; echo $? > "$T/out/$tag.rc"; }
  # No --runtime: the daemon's default is oci-harden. user_namespace.unavailable is "record".
  d2 default run --rm --cidfile "$T/cid/default" --network none "$IMG" sh -c "$PROBE"
  check "default-runtime hardened: docker run without --runtime is hardened (NoNewPrivs 1, / read-only)" \
    test "$(rc default) $(field default NoNewPrivs) $(field default rootfs)" = "0 1 read-only" ||
    show default | sed 's/^/    | /'
  # Overlay2 layers cannot carry a user namespace oci-harden adds: "record" lets the container
  # start and the record says it runs as host root -- as the kernel shows.
  unavailable_record() {
    audit_has "$(cid default)" '.event == "create" and .decision == "applied" and .user.root_on_host == true' ||
      return 1
    [[ "$(field default uid_map)" == "0 0 "* ]] || { echo "uid_map inside: $(field default uid_map)"; return 1; }
  }
  check "unavailable \"record\": starts; the audit record says host root, uid_map inside is 0 0" \
    unavailable_record
  write_policy refuse
  d2 unavail run --rm --cidfile "$T/cid/unavail" --network none "$IMG" true
  check "unavailable \"refuse\": docker run prints oci-harden's reason (user-namespace)" \
    refused unavail user-namespace
  write_policy record
  docker_stop "$DK2"
else
  fail "second dockerd (default-runtime hardened) starts" "see the log tail above"
fi

exit_summary

#!/usr/bin/env bash
# Integration: rule pseudo-filesystems in front of the real runc 1.1.5 (and crun 1.8.1).
#   - a second procfs at /hp, a cgroup2 at /mnt, a tmpfs over /proc/sys: refused, never created;
#   - sysfs and cgroupfs asked for read-write, without a user namespace (the opt-out Docker's
#     overlay2 needs) and with the one oci-harden adds: read-only inside, seen through the
#     kernel (/proc/self/mountinfo, access(2) by `test -w`); nothing is ever written to /sys;
#   - a control run of the same spec straight under runc shows the mounts read-write, so the
#     checks can fail;
#   - with a new user and a new cgroup namespace the spec's rw sysfs is left as it is (Docker's).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-pseudofs.XXXXXX)
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { remove_test_dir "$T" "$T/state" "$T/plain-state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc"
write_policy() { write_test_policy "$T" "$@"; }  # write_policy RUNTIME [extra jq filter]
write_policy /usr/bin/runc
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() {  # new_bundle NAME ARGS_JSON [jq filter]: a writable root
  make_test_bundle "$T/$1" "$T/rootfs" "$2" ".root.readonly = false${3:+ | $3}"
}

# Prints the per-mount options and the filesystem type of /sys and of every mount at or below
# /sys/fs/cgroup, and whether /sys/power/state and the pids limit can be opened for writing.
# Nothing is written: `exec 3>>FILE` opens (O_WRONLY|O_APPEND; the file exists, so nothing is
# created) and closes again, and a kernfs attribute acts only on write(2). The kernel checks a
# read-only mount (EROFS) and the file's owner (EACCES) at open. busybox's `test -w` cannot tell:
# it answers "yes" for uid 0 without asking the kernel.
mountinfo_probe='awk '"'"'{ for (i = 7; $i != "-"; i++) ; } $5 == "/sys" || $5 == "/sys/fs/cgroup" || index($5, "/sys/fs/cgroup/") == 1 {print "mnt", $5, $6, $(i + 1)}'"'"' /proc/self/mountinfo'
probe="$mountinfo_probe"';
  (exec 3>>/sys/power/state) 2>/dev/null && echo "sys-power-state: writable" || echo "sys-power-state: not writable";
  for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do
    [ -e $f ] && { (exec 3>>$f) 2>/dev/null && echo "pids-max: writable" || echo "pids-max: not writable"; }; done; true'
json_args() { printf '["sh","-c",%s]' "$(jq -Rn --arg p "$1" '$p')"; }
probe_args=$(json_args "$probe")

# The spec asks for sysfs and cgroupfs read-write.
rw_filter='.mounts |= map(if .type == "sysfs" or .type == "cgroup" then .options = ((.options // []) - ["ro"] + ["rw"]) else . end)'

# every_mount_ro OUT: /sys and every cgroup filesystem are mounted read-only. runc 1.1.5 and
# crun 1.8.1 put a tmpfs of the container's own at /sys/fs/cgroup on a cgroup v1 host (it holds
# only the controller mountpoints and links) and leave it read-write, as Docker shows it too.
every_mount_ro() {
  grep -q '^mnt /sys ' <<<"$1" || return 1
  grep -Eq '^mnt /sys/fs/cgroup[^ ]* [^ ]+ cgroup2?$' <<<"$1" || return 1
  ! grep '^mnt ' <<<"$1" | awk '$4 != "tmpfs" && $3 !~ /^ro(,|$)/' | grep -q .
}
# cgroup_rw OUT: a cgroup filesystem is mounted read-write.
cgroup_rw() { grep -Eq '^mnt /sys/fs/cgroup[^ ]* rw[^ ]* cgroup2?$' <<<"$1"; }
# sys_rw OUT: /sys itself is mounted read-write.
sys_rw() { grep -Eq '^mnt /sys rw(,|$)' <<<"$1"; }

refused() {  # refused NAME ID BUNDLE: runs and expects a refusal by pseudo-filesystems
  local name=$1 id=$2 b=$3 out rc before
  before=$(sha256sum < "$b/config.json")
  out=$("$OCIH" --root "$T/state" --log "$T/$id.log" --log-format json run --bundle "$b" "$id" 2>&1)
  rc=$?
  check "$name: exits 1" test "$rc" -eq 1
  check "$name: stderr names pseudo-filesystems" grep -q 'refused by .*pseudo-filesystems' <<<"$out" ||
    echo "$out"
  check "$name: runc --log has the reason" \
    jq_any 'select(.level == "error") | select(.msg | test("pseudo-filesystems"))' "$T/$id.log"
  check "$name: never created" bash -c "! runc --root '$T/state' state '$id' >/dev/null 2>&1"
  check "$name: config.json untouched" test "$(sha256sum < "$b/config.json")" = "$before"
}

# ---- 1. pseudo-filesystems away from home, and mounts over masked or read-only paths
B=$(new_bundle second-proc '["true"]' \
  '.mounts += [{"destination":"/hp","type":"proc","source":"proc","options":["rw"]}]')
refused "second procfs at /hp (ctr run --mount type=proc,...)" pf-hp "$B"
check "second procfs: the reason says where proc may be" grep -q 'proc is allowed only at /proc' "$T/pf-hp.log"
B=$(new_bundle cgroup2-mnt '["true"]' \
  '.mounts += [{"destination":"/mnt","type":"cgroup2","source":"cgroup2"}]')
refused "cgroup2 at /mnt" pf-cg2 "$B"
B=$(new_bundle tmpfs-proc-sys '["true"]' \
  '.mounts += [{"destination":"/proc/sys","type":"tmpfs","source":"tmpfs"}]')
refused "tmpfs over /proc/sys" pf-procsys "$B"
check "audit record 'refused' names pseudo-filesystems" \
  jq_any 'select(.container == "pf-hp" and .decision == "refused") | .refused[] | select(.rule == "pseudo-filesystems")' "$T/audit.jsonl"

# ---- 2. control: the same rw spec straight under runc (no oci-harden) is read-write
# (It opens only the container's own pids limit, never a /sys file.)
pids_probe='for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do
    [ -e $f ] && { (exec 3>>$f) 2>/dev/null && echo "pids-max: writable" || echo "pids-max: not writable"; }; done; true'
B=$(new_bundle plain-rw "$(json_args "$mountinfo_probe; $pids_probe")" "$rw_filter")
out=$(cd "$B" && runc --root "$T/plain-state" run pf-plain 2>&1)
check "control: plain runc mounts /sys read-write (the checks below can fail)" sys_rw "$out" || echo "$out"
check "control: plain runc mounts the cgroup hierarchies read-write" cgroup_rw "$out"
check "control: plain runc lets the container open its pids limit for writing" \
  grep -q 'pids-max: writable' <<<"$out"

# ---- 3. sysfs and cgroup rw, no user namespace (opted out): read-only inside
B=$(new_bundle nouserns "$probe_args" \
  "$rw_filter | .annotations[\"org.oci-harden.opt-out\"] = \"user-namespace\"")
out=$(cd "$B" && "$OCIH" --root "$T/state" run pf-nouserns 2>&1)
rc=$?
check "no userns: runs" test "$rc" -eq 0 || echo "$out"
check "no userns: no user namespace (uid_map of the hardened spec absent)" \
  test "$(jq '.linux.uidMappings // [] | length' "$B/config.json")" -eq 0
check "no userns: /sys and every cgroup mount read-only in mountinfo" every_mount_ro "$out" ||
  echo "$out"
check "no userns: /sys/power/state cannot be opened for writing" grep -q 'sys-power-state: not writable' <<<"$out"
check "no userns: the pids limit cannot be opened for writing" grep -q 'pids-max: not writable' <<<"$out"
check "no userns: the rewrite is recorded" \
  jq_any 'select(.container == "pf-nouserns" and .event == "run") | .changes[] | select(.rule == "pseudo-filesystems" and (.path | test("options")))' "$T/audit.jsonl"

# ---- 4. the user namespace oci-harden adds, no cgroup namespace: still read-only
B=$(new_bundle userns "$probe_args" "$rw_filter")
out=$(cd "$B" && "$OCIH" --root "$T/state" run pf-userns 2>&1)
rc=$?
check "added userns: runs" test "$rc" -eq 0 || echo "$out"
check "added userns: a user namespace was added" \
  test "$(jq '.linux.uidMappings // [] | length' "$B/config.json")" -gt 0
check "added userns: /sys and every cgroup mount read-only in mountinfo" every_mount_ro "$out" ||
  echo "$out"

# ---- 5. a new user namespace and a new cgroup namespace: the spec's rw sysfs is kept
B=$(new_bundle ownns "$probe_args" \
  "$rw_filter | .linux.namespaces += [{\"type\":\"cgroup\"}]")
out=$(cd "$B" && "$OCIH" --root "$T/state" run pf-ownns 2>&1)
rc=$?
check "own user and cgroup namespaces: runs" test "$rc" -eq 0 || echo "$out"
check "own user and cgroup namespaces: /sys left read-write, as Docker does" sys_rw "$out" ||
  echo "$out"
check "own user and cgroup namespaces: /sys/power/state still cannot be opened (host-owned)" \
  grep -q 'sys-power-state: not writable' <<<"$out"

# ---- 6. a network namespace joined by path (a pod's): user-namespace binds the host's /sys,
# with its submounts (the host's cgroup hierarchies); no cgroup mount in the spec, so they show
touch "$T/netns"
if ! unshare --net="$T/netns" true; then
  fail "a network namespace bound at $T/netns" "unshare --net failed"
else
  B=$(new_bundle podnet "$(json_args "$mountinfo_probe")" \
    ".linux.namespaces |= map(if .type == \"network\" then .path = \"$T/netns\" else . end) |
     .mounts |= map(select(.type != \"cgroup\"))")
  out=$(cd "$B" && "$OCIH" --root "$T/state" run pf-podnet 2>&1)
  rc=$?
  check "joined netns: runs" test "$rc" -eq 0 || echo "$out"
  check "joined netns: /sys is the host's, bound recursively read-only (rro)" \
    test "$(jq -c '.mounts[] | select(.destination == "/sys") | [.type, (.options | index("rro") != null)]' "$B/config.json")" = '["bind",true]'
  check "joined netns: the host's cgroup hierarchies show below /sys/fs/cgroup" \
    grep -Eq '^mnt /sys/fs/cgroup/[^ ]+ [^ ]+ cgroup2?$' <<<"$out" || echo "$out"
  check "joined netns: every mount below /sys read-only" \
    bash -c '! grep "^mnt " <<<"$1" | awk '"'"'$3 !~ /^ro(,|$)/'"'"' | grep -q .' _ "$out" || echo "$out"
fi

# ---- 7. crun as the wrapped runtime
if ! need crun; then
  :
elif ! crun_usable && ! crun_hybrid_fix; then
  fail "crun usable on this host" "crun cannot create containers on this cgroup layout"
else
  write_policy /usr/bin/crun
  B=$(new_bundle crun-hp '["true"]' \
    '.mounts += [{"destination":"/hp","type":"proc","source":"proc"}]')
  refused "crun: second procfs at /hp" pf-crun-hp "$B"
  B=$(new_bundle crun-nouserns "$probe_args" \
    "$rw_filter | .annotations[\"org.oci-harden.opt-out\"] = \"user-namespace\"")
  out=$(cd "$B" && "$OCIH" --root "$T/crun-state" run pf-crun 2>&1)
  rc=$?
  check "crun, no userns: runs" test "$rc" -eq 0 || echo "$out"
  check "crun, no userns: /sys and every cgroup mount read-only in mountinfo" every_mount_ro "$out" ||
    echo "$out"
  check "crun, no userns: /sys/power/state cannot be opened for writing" grep -q 'sys-power-state: not writable' <<<"$out"
  crun --root "$T/crun-state" delete -f pf-crun >/dev/null 2>&1
  write_policy /usr/bin/runc
fi

exit_summary

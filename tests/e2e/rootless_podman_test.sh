#!/usr/bin/env bash
# End to end: oci-harden under rootless Podman (issue 17.3). A test user with subordinate ids
# (ocih-rootless, created idempotently) runs `podman --runtime WRAPPER run` with its own storage
# and XDG_RUNTIME_DIR; conmon runs oci-harden inside the user's namespace ("0 UID 1", ...), where
# the administrator's root-owned policy shows as the overflow uid.
#
# Checks: a hardened container runs (capabilities cut to the allow-list, NoNewPrivs, read-only
# root, container root is the user on the host), the record lands in the per-user log
# (rootless.audit_log, default $XDG_STATE_HOME/oci-harden/audit.jsonl) with user.root_on_host false
# and host_uid the user's uid, the administrator's policy applies (a capability it takes away,
# a refused --privileged), a policy owned by the user is refused, and an unreadable
# administrator's policy is refused with a message saying how to fix it.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/common.sh

need_root || exit_summary
need podman conmon runc jq busybox tar newuidmap newgidmap runuser useradd || exit_summary
OCIH=$PWD/bin/oci-harden
if [[ ! -x "$OCIH" ]]; then
  fail "prerequisite" "bin/oci-harden not built (run make)"
  exit_summary
fi

U=ocih-rootless
if ! id "$U" >/dev/null 2>&1; then
  useradd -m -s /bin/sh "$U" || { fail "prerequisite" "useradd $U"; exit_summary; }
fi
UID_=$(id -u "$U")
HOME_=$(getent passwd "$U" | cut -d: -f6)
for f in /etc/subuid /etc/subgid; do
  grep -q "^$U:" "$f" || echo "$U:300000:65536" >> "$f"
done
# The binary must be reachable by the user (a worktree under /root is not).
if ! runuser -u "$U" -- test -x "$OCIH"; then
  fail "prerequisite" "$OCIH is not executable by $U (every directory above it needs o+x)"
  exit_summary
fi
RUNDIR=/run/user/$UID_
mkdir -p "$RUNDIR" && chown "$U:" "$RUNDIR" && chmod 0700 "$RUNDIR"

T=$(mktemp -d /var/tmp/ocih-rootless.XXXXXX)
chmod 0755 "$T"
# The user's own default storage (~/.local/share/containers/storage, runroot
# $XDG_RUNTIME_DIR/containers): the paths the default policy's allowed_paths name. The user is
# the test's own; its storage is reset before and after.
LOG=$HOME_/.local/state/oci-harden/audit.jsonl
as_user() { runuser -u "$U" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME_" USER="$U" \
  XDG_RUNTIME_DIR="$RUNDIR" "$@"; }
pod() {
  as_user timeout 120 podman --storage-driver overlay --cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
  pod rm -af -t 0 >/dev/null 2>&1
  as_user podman system reset -f >/dev/null 2>&1
  rm -rf "$T" "$HOME_/.local/state/oci-harden" "$HOME_/user-policy.json"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$HOME_/.local/state/oci-harden"
as_user podman system reset -f >/dev/null 2>&1

make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs" "make_busybox_rootfs failed"; exit_summary; }
tar -C "$T/rootfs" -cf "$T/busybox.tar" . && chmod 0644 "$T/busybox.tar"
mkdir -p "$T/etc" && chmod 0755 "$T/etc"
# The administrator's policy (root's, 0644): runc, and CAP_KILL taken off the allow-list. No
# audit_log the user could write: a rootless run must use rootless.audit_log.
write_policy() {  # write_policy MODE [extra jq filter]
  jq -n '{runtime: "/usr/bin/runc", capabilities: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
    "CAP_FSETID", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"]}'" ${2:+| $2}" > "$T/etc/policy.json"
  chmod "$1" "$T/etc/policy.json"
}
write_policy 0644
printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$T/etc/policy.json" "$OCIH" > "$T/hardened"
chmod 0755 "$T/hardened"
IMAGE=localhost/ocih-busybox:rootless
last() { jq -c "select($1)" "$LOG" 2>/dev/null | tail -n 1; }
status_hex() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }

# ---- 0. the image, and rootless podman itself (plain runc)
out=$(pod import -c 'CMD ["/bin/sh"]' "$T/busybox.tar" "$IMAGE" 2>&1)
check "rootless podman import exits 0" test $? -eq 0 || { echo "$out"; exit_summary; }
out=$(pod run --rm --network none --runtime /usr/bin/runc "$IMAGE" cat /proc/self/uid_map 2>&1)
check "rootless podman runs with plain runc (the setup works)" grep -Eq "^ *0 +$UID_ +1\$" <<<"$out" || echo "$out"

# ---- 1. a hardened container
# shellcheck disable=SC2016  # expanded by the container's shell
probe='cat /proc/self/status; echo "uid_map: $(head -n 1 /proc/self/uid_map)";
  touch /rootfile 2>/dev/null && echo "root-write: ok" || echo "root-write: denied";
  touch /tmp/x && echo "tmp-write: ok" || echo "tmp-write: denied"'
out=$(pod run --rm --network none --runtime "$T/hardened" "$IMAGE" sh -c "$probe" 2>&1)
check "rootless podman run --runtime oci-harden exits 0" test $? -eq 0 || echo "$out"
check "NoNewPrivs: 1" test "$(status_hex NoNewPrivs "$out")" = 1
check "Seccomp: 2 (filter)" test "$(status_hex Seccomp "$out")" = 2
capeff=$(status_hex CapEff "$out")
check "CAP_KILL (taken off by the administrator's policy) is not effective" \
  test -n "$capeff" -a "$(( 0x${capeff:-0} & (1 << 5) ))" -eq 0
check "CAP_NET_RAW is not effective" test -n "$capeff" -a "$(( 0x${capeff:-0} & (1 << 13) ))" -eq 0
check "writing to / fails (read-only root)" grep -q 'root-write: denied' <<<"$out"
check "writing to /tmp works (readonly-rootfs's tmpfs)" grep -q 'tmp-write: ok' <<<"$out"
check "container root is the user on the host (uid_map 0 $UID_)" grep -Eq "uid_map: +0 +$UID_ +1" <<<"$out"

# ---- 2. the per-user record
check "the record is in the per-user log $LOG" test -s "$LOG"
check "nothing was written to the administrator's /var/log/oci-harden by the user" \
  test -z "$(find /var/log/oci-harden -user "$U" 2>/dev/null)"
rec=$(last '.event == "create"')
check "record: create, applied, engine podman" \
  test "$(jq -r '[.decision, .engine] | join(" ")' <<<"$rec" 2>/dev/null)" = "applied podman"
check "record: user.root_on_host false, host_uid $UID_, rootless true" \
  test "$(jq -c '[.user.root_on_host, .user.host_uid, .user.rootless]' <<<"$rec" 2>/dev/null)" = "[false,$UID_,true]"
check "record: the administrator's policy by path" \
  test "$(jq -r '.policy.path' <<<"$rec" 2>/dev/null)" = "$T/etc/policy.json"
check "record: the user-namespace note says container root is host uid $UID_" \
  test -n "$(jq -r --arg u "$UID_" '.notes[] | select(.rule == "user-namespace" and (.note | contains("container root is host uid " + $u)))' <<<"$rec" 2>/dev/null)"
check "record: no 'unavailable' note claiming host root" \
  test -z "$(jq -r '.notes[] | select(.note | contains("unavailable"))' <<<"$rec" 2>/dev/null)"
# The user's report, no log named: the user's own log, not the administrator's.
rep=$(as_user "${OCIH%/*}/oci-hardenctl" report --policy "$T/etc/policy.json" --format json 2>&1)
check "oci-hardenctl report as the user (no log named) reads the per-user log" \
  test "$(jq -r --arg id "$(jq -r .container <<<"$rec")" '[.containers[] | select(.id == $id)] | length' <<<"$rep" 2>/dev/null)" = 1 ||
  echo "$rep" | head -5
# The limits: where an unprivileged runtime cannot set them (cgroup v1 or hybrid, as on the test
# machine; v2 without delegation), none is added and the record says so; where it can, they are.
if [[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]]; then
  check "record: no pids limit claimed on this cgroup v1/hybrid host" \
    test "$(jq -c '[.changes[] | select(.path == "linux.resources.pids.limit")] | length' <<<"$rec" 2>/dev/null)" = 0
  check "record: the pids-limit note says the container runs without the limit" \
    test -n "$(jq -r '.notes[] | select(.rule == "pids-limit" and (.note | contains("runs without this limit")))' <<<"$rec" 2>/dev/null)"
else
  check "record: a pids limit set on this cgroup v2 host" \
    test "$(jq -c '[.changes[] | select(.path == "linux.resources.pids.limit")] | length' <<<"$rec" 2>/dev/null)" = 1
fi
# The hook (oci-harden-hook beside oci-harden) records into the same per-user log.
if [[ -x bin/oci-harden-hook ]]; then
  check "the hook's verify record is in the per-user log" test -n "$(last '.event == "verify"')"
  check "the hook's stop record is in the per-user log" test -n "$(last '.event == "stop"')"
fi
mode=$(stat -c %a "$LOG" 2>/dev/null) dmode=$(stat -c %a "$(dirname "$LOG")" 2>/dev/null)
check "the per-user log is 0600 in a 0700 directory, owned by the user" \
  test "$mode/$dmode/$(stat -c %U "$LOG" 2>/dev/null)" = "600/700/$U"

# ---- 3. the administrator's policy refuses
out=$(pod run --rm --network none --privileged --runtime "$T/hardened" "$IMAGE" true 2>&1)
rc=$?
check "--privileged is refused (podman exits non-zero)" test "$rc" -ne 0
check "--privileged: the message names the rule" grep -q "privileged" <<<"$out" || echo "$out"
check "--privileged: recorded as refused in the per-user log" test -n "$(last '.decision == "refused"')"

# ---- 3b. exec into a running container: judged, recorded with the user's host uid
cid=$(pod run -d --network none --runtime "$T/hardened" "$IMAGE" sleep 60 2>&1 | tail -n 1)
out=$(pod exec "$cid" sh -c 'grep NoNewPrivs /proc/self/status' 2>&1)
check "podman exec into a hardened rootless container works, NoNewPrivs 1" grep -Eq 'NoNewPrivs:\s+1' <<<"$out" || echo "$cid $out"
check "exec record: requested and granted user are host uid $UID_, not host root" \
  test "$(last '.event == "exec"' | jq -c '[.requested.host_uid, .requested.root_on_host, .granted.root_on_host]' 2>/dev/null)" = "[$UID_,false,false]"
pod rm -f -t 0 "$cid" >/dev/null 2>&1

# ---- 4. trust: a policy the user owns is not the administrator's
as_user sh -c "cp '$T/etc/policy.json' '$HOME_/user-policy.json' && chmod 0644 '$HOME_/user-policy.json'"
printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$HOME_/user-policy.json" "$OCIH" > "$T/user-policy-runtime"
chmod 0755 "$T/user-policy-runtime"
out=$(pod run --rm --network none --runtime "$T/user-policy-runtime" "$IMAGE" true 2>&1)
check "a policy owned by the user is refused (podman exits non-zero)" test $? -ne 0
check "the refusal says it is not owned by root, with the host uid" grep -q "not owned by root (uid 0, host uid $UID_)" <<<"$out" || echo "$out"

# ---- 5. an administrator's policy the user cannot read: refused, saying how to fix
write_policy 0600
out=$(pod run --rm --network none --runtime "$T/hardened" "$IMAGE" true 2>&1)
check "an unreadable administrator's policy is refused (podman exits non-zero)" test $? -ne 0
check "the refusal says to make it readable" grep -q "chmod 0644" <<<"$out" || echo "$out"
write_policy 0644

exit_summary

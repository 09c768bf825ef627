#!/usr/bin/env bash
# Integration (issue 18, items 1 and 9): the user namespace oci-harden adds, in front of the
# real runc and crun, judged from the host with stat.
#   1. a root filesystem that is a plain directory under world-searchable parents
#      (`ctr run --rootfs /srv/app` style) is never idmapped: what the container's root writes
#      there is not owned by host uid 0;
#   2. a root filesystem that is a filesystem of its own below a root-only (0700) directory, as
#      the engines' are, still gets the idmapped root and runs;
#   3. a hardened start (run, and run -d then exec) with stdin on /dev/null (and stderr on
#      /dev/zero) changes the owner and mode of no host file: /dev/null, /dev/zero, the bundle
#      and its parents. crun 1.8.1 chowns
#      its non-terminal standard streams to the container's root before it enters the user
#      namespace; oci-harden hands it private device nodes instead.
#   5. stdout on a regular host file: refused under crun (it would chown the file), runs under
#      runc; its owner never changes; through a pipe it runs under both.
#   4. (runc) a user namespace joined by path is judged and recorded by its real maps: one that
#      maps 0 to 0 is refused whatever the spec claims; another's real mapping replaces the
#      spec's.
# Needs root, runc, busybox-static, jq and unshare; crun where installed (a failure under CI=true
# if not).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need runc busybox jq stat unshare || exit_summary

OCIH=$PWD/bin/oci-harden
mkdir -p /srv
T=$(mktemp -d /srv/ocih-userns.XXXXXX)
chmod 0755 "$T"   # world-searchable, as a shared host directory is
RUNTIMES=(runc)
cleanup() {
  local rt
  for rt in "${RUNTIMES[@]}"; do
    for id in $("/usr/bin/$rt" --root "$T/state-$rt" list -q 2>/dev/null); do
      "/usr/bin/$rt" --root "$T/state-$rt" delete -f "$id" >/dev/null 2>&1
    done
  done
  remove_test_dir "$T"
}
trap cleanup EXIT

mkdir -p "$T/etc"
write_policy() {  # write_policy RUNTIME
  jq -n --arg rt "$1" --arg log "$T/audit.jsonl" --arg st "$T/run" \
    '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
  chmod 0644 "$T/etc/policy.json"
}
export OCI_HARDEN_POLICY=$T/etc/policy.json

# The open rootfs: a plain directory of the host's filesystem, every parent 0755.
make_busybox_rootfs "$T/open/rootfs" || { fail "busybox rootfs" "make_busybox_rootfs failed"; exit_summary; }
chmod 0755 "$T/open"
# The closed rootfs: a tmpfs of its own below a 0700 root-only directory (an engine's data root).
mkdir -p "$T/closed/rootfs"
chmod 0700 "$T/closed"
mount -t tmpfs -o mode=0755 ocih-userns-rootfs "$T/closed/rootfs" &&
  make_busybox_rootfs "$T/closed/rootfs" || { fail "tmpfs rootfs" "mount or populate failed"; exit_summary; }

# bundle NAME ROOTFS SCRIPT: readonly-rootfs is opted out so that the container's root may
# write into its root filesystem, which is what the escape needs.
bundle() {
  local b=$T/$1
  mkdir -p "$b"
  (cd "$b" && runc spec) || return 1
  jq --arg root "$2" --arg s "$3" \
    '.root.path = $root | .root.readonly = false | .process.terminal = false |
     .process.args = ["sh", "-c", $s] | .annotations["org.oci-harden.opt-out"] = "readonly-rootfs"' \
    "$b/config.json" > "$b/c.tmp" && mv "$b/c.tmp" "$b/config.json"
  echo "$b"
}
# audit_has ID FILTER: a run record of container ID for which FILTER is true
audit_has() { jq_any "select(.container == \"$1\" and .event == \"run\") | $2" "$T/audit.jsonl"; }
# owner:group:mode of each path, one line each
owners() { stat -c '%n %u:%g:%a' "$@" 2>&1; }
# The setuid file the attack of 18.1 leaves behind: a copy of busybox, setuid.
escape='cp /bin/busybox /tmp/suid && chmod 4755 /tmp/suid; echo "uid_map: $(cat /proc/self/uid_map)"; ls -ln /tmp/suid'

for rt in runc crun; do
  if [[ $rt == crun ]]; then
    if ! need crun; then continue; fi
    if ! crun_usable && ! crun_hybrid_fix; then
      fail "crun usable on this host" "crun cannot create containers on this cgroup layout"
      continue
    fi
    RUNTIMES+=(crun)
  fi
  write_policy "/usr/bin/$rt"

  # ---- 1. the open rootfs is not idmapped: no host-uid-0 file appears in it
  rm -f "$T/open/rootfs/tmp/suid"
  B=$(bundle "open-$rt" "$T/open/rootfs" "$escape")
  out=$(cd "$B" && "$OCIH" --root "$T/state-$rt" run "open-$rt" 2>&1 </dev/null)
  rc=$?
  if [[ -e "$T/open/rootfs/tmp/suid" ]]; then
    owner=$(stat -c %u "$T/open/rootfs/tmp/suid")
    check "$rt: open rootfs: the container's setuid file is not host uid 0's (owner $owner)" test "$owner" != 0
  else
    # Refused or unable to write: either way nothing of host root's was made.
    check "$rt: open rootfs: refused, or the container could not write (rc $rc)" test "$rc" != 0
  fi
  check "$rt: open rootfs: root.path was not moved to an idmapped mount" \
    test "$(jq -r .root.path "$B/config.json")" = "$T/open/rootfs"
  check "$rt: open rootfs: the audit record notes why it is not idmapped" \
    audit_has "open-$rt" '[.notes[]? | select(.rule == "user-namespace") | .note | test("not idmapped")] | any'
  check "$rt: open rootfs: container root is not host root (uid_map 0 1000000)" \
    grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
  "$OCIH" --root "$T/state-$rt" delete -f "open-$rt" >/dev/null 2>&1

  # ---- 2. the closed rootfs keeps the idmapped root, and runs
  rm -f "$T/closed/rootfs/tmp/suid"
  B=$(bundle "closed-$rt" "$T/closed/rootfs" "$escape")
  out=$(cd "$B" && "$OCIH" --root "$T/state-$rt" run "closed-$rt" 2>&1 </dev/null)
  rc=$?
  check "$rt: closed rootfs: runs (exit 0)" test "$rc" -eq 0 || echo "$out"
  check "$rt: closed rootfs: root.path is the idmapped mount under state_dir" \
    test "$(jq -r .root.path "$B/config.json")" = "$T/run/closed-$rt/rootfs"
  check "$rt: closed rootfs: uid_map 0 1000000 65536" grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
  # Through the idmapped mount the file is host uid 0's on disk; only root can reach it.
  check "$rt: closed rootfs: the file is root's on disk, below a directory others cannot search" \
    bash -c '[[ "$(stat -c %u "$0/rootfs/tmp/suid")" == 0 && "$(stat -c %a "$0")" == 700 ]]' "$T/closed"
  check "$rt: closed rootfs: an unprivileged user cannot reach it" \
    bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups stat '$T/closed/rootfs/tmp/suid' >/dev/null 2>&1"
  "$OCIH" --root "$T/state-$rt" delete -f "closed-$rt" >/dev/null 2>&1

  # ---- 3. no host file's owner or mode changes across a hardened start (stdin /dev/null)
  B=$(bundle "stdio-$rt" "$T/open/rootfs" 'echo started')
  watched=(/dev/null /dev/zero "$B" "$B/config.json" "$T" /srv /)
  before=$(owners "${watched[@]}")
  out=$(cd "$B" && "$OCIH" --root "$T/state-$rt" run "stdio-$rt" </dev/null 2>/dev/zero)
  rc=$?
  after=$(owners "${watched[@]}")
  check "$rt: stdin on /dev/null: the container starts" test "$rc" -eq 0 -a "$out" = started
  check "$rt: no owner or mode changed: /dev/null, /dev/zero, the bundle and its parents" \
    test "$before" = "$after" || diff <(echo "$before") <(echo "$after")
  "$OCIH" --root "$T/state-$rt" delete -f "stdio-$rt" >/dev/null 2>&1

  # ---- 4. the same for a detached container and an exec into it (crun chowns there too)
  B=$(bundle "exec-$rt" "$T/open/rootfs" 'sleep 30')
  before=$(owners "${watched[@]}")
  (cd "$B" && "$OCIH" --root "$T/state-$rt" run -d "exec-$rt" </dev/null >/dev/null 2>/dev/zero)
  rc=$?
  out=$("$OCIH" --root "$T/state-$rt" exec "exec-$rt" sh -c 'echo "exec uid_map: $(cat /proc/self/uid_map)"' \
    </dev/null 2>/dev/zero)
  after=$(owners "${watched[@]}")
  check "$rt: run -d and exec with stdin on /dev/null work" \
    bash -c '[[ $0 == 0 ]] && grep -Eq "exec uid_map: +0 +1000000 " <<<"$1"' "$rc" "$out"
  check "$rt: no owner or mode changed across run -d and exec" \
    test "$before" = "$after" || diff <(echo "$before") <(echo "$after")
  # exec with stdout on a regular host file: crun would chown it (refused); runc runs.
  exec_file=$T/exec-stdout-$rt.txt
  : > "$exec_file"; chown 0:0 "$exec_file"; chmod 0644 "$exec_file"
  before=$(owners "$exec_file")
  "$OCIH" --root "$T/state-$rt" exec "exec-$rt" echo exec-ran </dev/null >"$exec_file" 2>"$T/exec-err-$rt.txt"
  rc=$?
  check "$rt: exec with stdout on a regular file: its owner did not change" test "$before" = "$(owners "$exec_file")"
  if [[ $rt == crun ]]; then
    check "crun: exec with stdout on a regular file: refused" \
      bash -c '[[ $0 != 0 ]] && grep -q "exec: refused by user-namespace: stdout (descriptor 1)" "$1"' "$rc" "$T/exec-err-$rt.txt"
  else
    check "runc: exec with stdout on a regular file: runs" grep -qx exec-ran "$exec_file"
  fi
  "$OCIH" --root "$T/state-$rt" delete -f "exec-$rt" >/dev/null 2>&1

  # ---- 5. stdout on a regular host file: crun 1.8.1 would chown it to the container's root
  # (as host root, before entering the user namespace), so oci-harden refuses under crun; runc
  # leaves it alone and runs. Through a pipe it runs under both.
  B=$(bundle "file-$rt" "$T/open/rootfs" 'echo started')
  out_file=$T/stdout-$rt.txt
  : > "$out_file"; chown 0:0 "$out_file"; chmod 0644 "$out_file"
  before=$(owners "$out_file")
  (cd "$B" && "$OCIH" --root "$T/state-$rt" run "file-$rt" </dev/null >"$out_file" 2>"$T/err-$rt.txt")
  rc=$?
  after=$(owners "$out_file")
  "$OCIH" --root "$T/state-$rt" delete -f "file-$rt" >/dev/null 2>&1
  check "$rt: stdout on a regular file: its owner and mode did not change" \
    test "$before" = "$after" || diff <(echo "$before") <(echo "$after")
  if [[ $rt == crun ]]; then
    check "crun: stdout on a regular file: refused, naming the file and the way out" \
      bash -c '[[ $0 != 0 ]] && grep -q "refused by user-namespace: stdout (descriptor 1) is $1, a regular file" "$2" &&
               grep -q "redirect through a pipe" "$2"' "$rc" "$out_file" "$T/err-$rt.txt"
  else
    check "runc: stdout on a regular file: runs (runc does not chown host root's file)" \
      bash -c '[[ $0 == 0 ]] && grep -qx started "$1"' "$rc" "$out_file"
  fi
  out=$(cd "$B" && "$OCIH" --root "$T/state-$rt" run "pipe-$rt" </dev/null 2>&1 | cat)
  "$OCIH" --root "$T/state-$rt" delete -f "pipe-$rt" >/dev/null 2>&1
  check "$rt: stdout through a pipe (| cat): runs" test "$out" = started
done

# ---- 5. (runc) a user namespace joined by path is judged by its real maps (issue 18.4)
write_policy /usr/bin/runc
# hold_userns OUTER: a process in a new user namespace mapping 0-65535 to OUTER-..., its pid
hold_userns() {
  unshare --user sleep 120 >/dev/null 2>&1 &
  local pid=$! i
  for i in $(seq 50); do
    [[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]] && break
    sleep 0.1
  done
  # Root outside writes the maps (newuidmap would ask /etc/subuid).
  echo "0 $1 65536" > "/proc/$pid/uid_map" && echo "0 $1 65536" > "/proc/$pid/gid_map"
  echo "$pid"
}
joined() {  # joined NAME PID: a bundle that joins PID's user namespace, claiming 0 -> 1000000
  bundle "$1" "$T/open/rootfs" 'echo "uid_map: $(cat /proc/self/uid_map)"' >/dev/null || return 1
  jq --arg ns "/proc/$2/ns/user" \
    '.linux.namespaces += [{"type": "user", "path": $ns}] |
     .linux.uidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}] |
     .linux.gidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}]' \
    "$T/$1/config.json" > "$T/$1/c.tmp" && mv "$T/$1/c.tmp" "$T/$1/config.json"
  echo "$T/$1"
}
liar=$(hold_userns 0)
B=$(joined joined-root "$liar")
out=$(cd "$B" && "$OCIH" --root "$T/state-runc" run joined-root 2>&1 </dev/null)
rc=$?
check "joined namespace that really maps 0 to 0 (spec says 1000000): refused" \
  bash -c '[[ $0 != 0 ]] && grep -q "really maps container uid 0 to host uid 0" <<<"$1"' "$rc" "$out" || echo "$out"
check "joined: the record says root on the host (the real map)" \
  jq_any 'select(.container == "joined-root" and .decision == "refused") | .user.root_on_host == true' "$T/audit.jsonl"
kill "$liar" 2>/dev/null
honest=$(hold_userns 2000000)
B=$(joined joined-other "$honest")
out=$(cd "$B" && "$OCIH" --root "$T/state-runc" run joined-other 2>&1 </dev/null)
check "joined namespace mapping 0 to 2000000: runs, and the kernel shows that map inside" \
  grep -Eq 'uid_map: +0 +2000000 +65536' <<<"$out" || echo "$out"
check "joined namespace mapping 0 to 2000000 (spec says 1000000): the spec's mappings become the real ones" \
  jq -e '.linux.uidMappings == [{"containerID": 0, "hostID": 2000000, "size": 65536}]' "$B/config.json"
check "joined: the record says host uid 2000000" \
  jq_any 'select(.container == "joined-other" and (.event == "run")) | .user.host_uid == 2000000' "$T/audit.jsonl"
"$OCIH" --root "$T/state-runc" delete -f joined-other >/dev/null 2>&1

# ---- 6. (runc) a namespace path through a symlink is pinned to its target (breaker finding 9):
# the link's owner could re-point it between oci-harden's look and runc's open, so runc is handed
# the target judged, and a namespace file in a directory a non-root user can write is refused.
B=$(joined joined-link "$honest")
ln -s "/proc/$honest/ns/user" "$T/nslink"
jq --arg l "$T/nslink" '(.linux.namespaces[] | select(.type == "user")).path = $l' "$B/config.json" > "$B/c.tmp" &&
  mv "$B/c.tmp" "$B/config.json"
out=$(cd "$B" && "$OCIH" --root "$T/state-runc" run joined-link 2>&1 </dev/null)
check "namespace path through a symlink: runs in the target's namespace (0 -> 2000000 inside)" \
  grep -Eq 'uid_map: +0 +2000000 +65536' <<<"$out" || echo "$out"
check "namespace path through a symlink: the hardened config.json names the target, not the link" \
  jq -e --arg t "/proc/$honest/ns/user" '[.linux.namespaces[] | select(.type == "user")][0].path == $t' "$B/config.json"
check "namespace path through a symlink: the rewrite is recorded" \
  jq_any "select(.container == \"joined-link\") | [.changes[]? | .rule == \"host-namespaces\" and .before == \"$T/nslink\"] | any" "$T/audit.jsonl"
"$OCIH" --root "$T/state-runc" delete -f joined-link >/dev/null 2>&1
B=$(joined joined-userdir "$honest")
mkdir -p "$T/userdir" && chown 65534:65534 "$T/userdir" && touch "$T/userdir/ns" &&
  mount --bind "/proc/$honest/ns/user" "$T/userdir/ns"
jq --arg l "$T/userdir/ns" '(.linux.namespaces[] | select(.type == "user")).path = $l' "$B/config.json" > "$B/c.tmp" &&
  mv "$B/c.tmp" "$B/config.json"
out=$(cd "$B" && "$OCIH" --root "$T/state-runc" run joined-userdir 2>&1 </dev/null)
rc=$?
check "namespace file in a directory uid 65534 owns: refused (they could swap it)" \
  bash -c '[[ $0 != 0 ]] && grep -q "which a non-root user can redirect" <<<"$1"' "$rc" "$out" || echo "$out"
umount "$T/userdir/ns" 2>/dev/null
kill "$honest" 2>/dev/null

# ---- 7. (runc) the paths engines pass still run: another process's /proc/PID/ns/net (Docker's
# --network container:X, a pod sandbox's), kept as it is, and CNI's /var/run/netns/NAME, named by
# its canonical path (/var/run is a symlink to /run on most hosts).
unshare --net sleep 120 >/dev/null 2>&1 &
netpid=$!
NETNS=ocih-nspath-$$
for i in $(seq 50); do
  [[ "$(readlink "/proc/$netpid/ns/net")" != "$(readlink /proc/self/ns/net)" ]] && break
  sleep 0.1
done
ip netns add "$NETNS"
for case in proc cni; do
  if [[ $case == proc ]]; then
    p=/proc/$netpid/ns/net want=$p inside=$(readlink "/proc/$netpid/ns/net")
  else
    p=/var/run/netns/$NETNS want=$(readlink -f /var/run/netns)/$NETNS
    inside="net:[$(stat -L -c %i "/run/netns/$NETNS")]"
  fi
  B=$(bundle "net-$case" "$T/open/rootfs" 'echo "netns: $(readlink /proc/self/ns/net)"')
  jq --arg p "$p" '(.linux.namespaces[] | select(.type == "network")).path = $p' "$B/config.json" > "$B/c.tmp" &&
    mv "$B/c.tmp" "$B/config.json"
  out=$(cd "$B" && "$OCIH" --root "$T/state-runc" run "net-$case" 2>&1 </dev/null)
  check "network namespace joined by $p: runs in it ($inside)" grep -qF "netns: $inside" <<<"$out" || echo "$out"
  check "network namespace joined by $p: config.json names $want" \
    jq -e --arg w "$want" '[.linux.namespaces[] | select(.type == "network")][0].path == $w' "$B/config.json"
  "$OCIH" --root "$T/state-runc" delete -f "net-$case" >/dev/null 2>&1
done
ip netns del "$NETNS"
kill "$netpid" 2>/dev/null

umount -l "$T/closed/rootfs" 2>/dev/null
exit_summary

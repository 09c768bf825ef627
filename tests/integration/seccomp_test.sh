#!/usr/bin/env bash
# Integration: the shipped seccomp profiles, checked offline and then seen from inside a
# container run by real runc through oci-harden.
#   1. `oci-hardenctl profile check` passes every shipped profiles/seccomp-*.json (the
#      capability-groups file too) and fails a broken one;
#   2. default policy: tests/tools/probe_syscalls.c (built static into the rootfs) sees
#      CLONE_NEWUSER, unshare, mount and keyctl fail with EPERM, while threads, fork, a shell
#      script, ls, ps and loopback networking work;
#   3. seccomp-strict.json as the policy's seccomp.profile (replace true): calls the default
#      profile allows (memfd_create, AF_NETLINK sockets, pidfd_open) fail with EPERM.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq cc timeout bin/oci-harden bin/oci-hardenctl || exit_summary

OCIH=$PWD/bin/oci-harden
CTL=$PWD/bin/oci-hardenctl
T=$(mktemp -d /var/tmp/ocih-seccomp.XXXXXX) || { fail "mktemp"; exit_summary; }
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

# ---- 1. offline: every shipped profile is clean, a broken one is not
for f in profiles/seccomp-*.json; do
  check "profile check $f exits 0" "$CTL" profile check "$f"
done
out=$("$CTL" profile check profiles/seccomp-default.json 2>&1)
check "profile check prints a BPF size for x86_64" grep -Eq '^  bpf SCMP_ARCH_X86_64: [1-9][0-9]* instructions$' <<<"$out"
jq '.syscalls += [{"names": ["no_such_syscall", "read"], "action": "SCMP_ACT_ALLOW"}]' \
  profiles/seccomp-default.json > "$T/broken.json"
out=$("$CTL" profile check "$T/broken.json" 2>&1)
rc=$?
check "a profile with an unknown name and a duplicate: exit 1" test "$rc" -eq 1
check "the unknown name is reported" grep -q 'error: unknown syscall "no_such_syscall"' <<<"$out"
check "the duplicate is reported" grep -q 'error: duplicate: "read"' <<<"$out"
echo '{"defaultAction": ' > "$T/truncated.json"
"$CTL" profile check "$T/truncated.json" >/dev/null 2>&1
check "invalid JSON: exit 2" test "$?" -eq 2

# ---- the container: busybox, the static probe, a script
make_busybox_rootfs "$T/rootfs" || { fail "make_busybox_rootfs"; exit_summary; }
mkdir -p "$T/rootfs/mnt" "$T/rootfs/www"
if ! out=$(cc -static -pthread -O2 -o "$T/rootfs/bin/probe_syscalls" tests/tools/probe_syscalls.c 2>&1); then
  fail "cc -static probe_syscalls.c" "$out"
  exit_summary
fi
echo hello-loopback > "$T/rootfs/www/index.html"
cat > "$T/rootfs/bin/inside.sh" <<'EOF'
#!/bin/sh
# Runs as the container's process: the probe, then ordinary tools, one "name: result" line each.
/bin/probe_syscalls
echo "seccomp-mode: $(awk '$1 == "Seccomp:" {print $2}' /proc/self/status)"
echo "script: ok"
ls / >/dev/null && echo "ls: ok" || echo "ls: failed"
ps -o pid,comm | grep -q '^ *1 ' && echo "ps: ok" || echo "ps: failed"
unshare -U true 2>/dev/null && echo "unshare-U: ok" || echo "unshare-U: failed"
httpd -p 127.0.0.1:8080 -h /www && sleep 0.3
# busybox-static's wget crashes (SIGSEGV) even without any filter, so HTTP is spoken through nc.
got=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | timeout 10 nc 127.0.0.1 8080 | tail -n 1)
[ "$got" = hello-loopback ] && echo "loopback: ok" || echo "loopback: failed ($got)"
EOF
chmod 0755 "$T/rootfs/bin/inside.sh"

mkdir -p "$T/etc"
chmod 0755 "$T/etc"
write_policy() { write_test_policy "$T" /usr/bin/runc "$@"; }  # write_policy [extra jq filter]
export OCI_HARDEN_POLICY=$T/etc/policy.json

# run_probe ID: runs inside.sh in a fresh bundle through oci-harden; prints its output.
run_probe() {
  local b=$T/bundle-$1
  make_bundle "$b" --rootfs "$T/rootfs" -- /bin/inside.sh >/dev/null || return 1
  (cd "$b" && timeout 60 "$OCIH" --root "$T/state" run "$1" 2>&1)
}
line() { grep -E "^$1( |: )" <<<"$2" | head -n 1; }
expect() {  # expect NAME OUTPUT "probe result"
  local got
  got=$(line "$1" "$2")
  if [[ "$got" == "$3" ]]; then pass "$4: $3"; else fail "$4: $3" "got '${got:-nothing}'"; fi
}

# ---- 2. the default policy (built-in seccomp-default.json)
write_policy
out=$(run_probe sc-default)
rc=$?
check "default: run exits 0" test "$rc" -eq 0 || printf '%s\n' "$out" | sed 's/^/    | /'
expect seccomp-mode "$out" "seccomp-mode: 2" "default (kernel: filter mode)"
for p in clone_newuser unshare mount keyctl bpf ptrace io_uring_setup userfaultfd; do
  expect "$p" "$out" "$p errno=1" default
done
expect unshare-U "$out" "unshare-U: failed" default
for p in pthread_create fork memfd_create pidfd_open socket_netlink socket_inet epoll_create1; do
  expect "$p" "$out" "$p ok" default
done
for p in script ls ps loopback; do
  expect "$p" "$out" "$p: ok" default
done

# ---- 3. seccomp-strict.json as the policy's profile, replacing the default
install -m 0644 profiles/seccomp-strict.json "$T/etc/seccomp-strict.json"
write_policy ".seccomp = {profile: \"$T/etc/seccomp-strict.json\", replace: true}"
out=$(run_probe sc-strict)
rc=$?
check "strict: run exits 0" test "$rc" -eq 0 || printf '%s\n' "$out" | sed 's/^/    | /'
expect seccomp-mode "$out" "seccomp-mode: 2" "strict (kernel: filter mode)"
check "strict: the audit record shows the profile replaced by the policy's" \
  jq_any 'select(.container == "sc-strict" and .event == "run") | .changes[] | select(.rule == "seccomp")' "$T/audit.jsonl"
for p in memfd_create socket_netlink pidfd_open; do
  expect "$p" "$out" "$p errno=1" strict   # allowed by the default profile (checked above)
done
for p in clone_newuser mount keyctl; do
  expect "$p" "$out" "$p errno=1" strict
done
for p in pthread_create fork socket_inet; do
  expect "$p" "$out" "$p ok" strict
done
for p in script ls; do
  expect "$p" "$out" "$p: ok" strict
done

exit_summary

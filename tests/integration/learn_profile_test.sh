#!/usr/bin/env bash
# Integration (issue 15, the offline side): `oci-hardenctl profile learn` turns a hand-written
# recording (tests/golden/learned/recording-sh.json: what `sh -c 'echo hi'` in busybox calls, and
# what runc 1.1.5 itself calls after it installs the filter) into a profile that the real runtime
# loads: the workload runs, and calls it never made fail from inside the container. Controls show
# the same calls work under the base profile, so the refusals are the learned profile's doing.
# `profile check` passes on the output, `profile diff` tells the two apart, and a base wider than
# the policy's profile is refused with nothing written.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

CTL=$PWD/bin/oci-hardenctl
OCIH=$PWD/bin/oci-harden
REC=$PWD/tests/golden/learned/recording-sh.json
T=$(mktemp -d /var/tmp/ocih-learn.XXXXXX)
cleanup() { remove_test_dir "$T" "$T/runc-state" "$T/crun-state" "$T/shim-state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
write_test_policy "$T" /usr/bin/runc   # the built-in seccomp-default profile

# run_with PROFILE RUNTIME ARGS_JSON: runs the container with linux.seccomp = PROFILE directly
# under RUNTIME (no oci-harden in between: the profile as written is what is loaded); prints its
# output, returns its exit status.
n=0
run_with() {
  local profile=$1 runtime=$2 args=$3 b
  n=$((n + 1))
  b=$(make_test_bundle "$T/b$n" "$T/rootfs" "$args" '.process.noNewPrivileges = true') || return 99
  jq --slurpfile p "$profile" '.linux.seccomp = $p[0]' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
  (cd "$b" && timeout 60 "$runtime" --root "$T/${runtime##*/}-state" run "learn-$n" 2>&1)
}

# ---- 1. learn from the recording under the policy's profile
out=$("$CTL" profile learn --policy "$OCI_HARDEN_POLICY" -o "$T/learned.json" "$REC" 2>&1)
rc=$?
check "profile learn exits 0" test "$rc" -eq 0 || echo "$out"
check "profile learn says how many it allows against the base" grep -Eq 'workload sh-echo: 1 recording, [0-9]+ syscalls allowed \(the base allows [0-9]+\)' <<<"$out"
check "the recording's directory is read like the file" \
  bash -c "mkdir -p '$T/rec/sh-echo' && cp '$REC' '$T/rec/sh-echo/learn-sh-1.json' && '$CTL' profile learn --policy '$OCI_HARDEN_POLICY' '$T/rec/sh-echo' 2>/dev/null | cmp - '$T/learned.json'"
learned=$(jq '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length' "$T/learned.json")
base=$(jq '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length' profiles/seccomp-default.json)
check "the learned profile allows less than a third of the default ($learned of $base)" test $((learned * 3)) -lt "$base"
check "profile check passes on it" "$CTL" profile check "$T/learned.json"
"$CTL" profile diff profiles/seccomp-default.json "$T/learned.json" > "$T/diff.txt" 2>&1
rc=$?
check "profile diff default learned exits 1 (they differ)" test "$rc" -eq 1
check "profile diff names unshare-free calls the default has (mkdir)" grep -qx "only in profiles/seccomp-default.json: mkdir" "$T/diff.txt"
check "profile diff of a profile with itself exits 0" "$CTL" profile diff "$T/learned.json" "$T/learned.json"

# ---- 2. runc loads it: the workload runs, what it never called fails
for runtime in /usr/sbin/runc /usr/bin/crun; do
  rt=${runtime##*/}
  if [[ ! -x "$runtime" ]]; then
    [[ $rt == crun ]] && { skip "crun not installed"; continue; }
    runtime=$(command -v runc)
  fi
  out=$(run_with "$T/learned.json" "$runtime" '["sh","-c","echo hi"]')
  rc=$?
  check "$rt: sh -c 'echo hi' runs under the learned profile" test "$rc" -eq 0 -a "$out" = hi || echo "$out"
  out=$(run_with "$T/learned.json" "$runtime" '["unshare","-U","true"]')
  rc=$?
  check "$rt: unshare -U true fails under the learned profile" test "$rc" -ne 0
  check "$rt: ... with EPERM from the filter" grep -q 'unshare(0x10000000): Operation not permitted' <<<"$out"
  out=$(run_with profiles/seccomp-default.json "$runtime" '["sh","-c","mkdir /dev/shm/d && echo made"]')
  check "$rt: control: mkdir works under the default profile" test "$out" = made || echo "$out"
  out=$(run_with "$T/learned.json" "$runtime" '["sh","-c","mkdir /dev/shm/d && echo made"]')
  check "$rt: mkdir (allowed by the default, never recorded) fails under the learned profile" \
    grep -q "Operation not permitted" <<<"$out"
done

# ---- 2b. through oci-harden: the learned profile as the policy's seccomp.profile is installed by
# the seccomp rule (with the rest of the hardening: user namespace, read-only root, the hook)
install -m 0644 "$T/learned.json" "$T/etc/learned.json"
write_test_policy "$T" "$(command -v runc)" ".seccomp = {profile: \"$T/etc/learned.json\"}"
chmod 0711 "$T"   # the container's root (a mapped uid) walks to its rootfs below
b=$(make_test_bundle "$T/via-shim" "$T/rootfs" '["sh","-c","echo hi; unshare -U true || echo unshare-refused; grep Seccomp: /proc/self/status"]')
out=$(cd "$b" && timeout 60 "$OCIH" --root "$T/shim-state" run learn-shim 2>&1)
rc=$?
check "oci-harden run with the learned profile as the policy's: exits 0" test "$rc" -eq 0 || echo "$out"
check "... the workload runs (hi)" grep -qx hi <<<"$out"
check "... unshare -U is refused" grep -qx unshare-refused <<<"$out"
check "... under a seccomp filter (Seccomp: 2)" grep -Eq '^Seccomp:\s+2$' <<<"$out"
check "... the audit record says the policy's profile was installed" \
  jq_any 'select(.container == "learn-shim" and .event == "run") | .changes[] | select(.rule == "seccomp")' "$T/audit.jsonl"
write_test_policy "$T" /usr/bin/runc

# ---- 3. a base that allows unshare (Podman's default profile, as a policy's profile): learning
# removes it, and runc then refuses it where the base let it run
install -m 0644 profiles/engine-seccomp-podman.json "$T/etc/podman-profile.json"
write_test_policy "$T" /usr/bin/runc ".seccomp = {profile: \"$T/etc/podman-profile.json\"}"
out=$("$CTL" profile learn --policy "$OCI_HARDEN_POLICY" -o "$T/learned-podman.json" "$REC" 2>&1)
check "profile learn on Podman's profile exits 0" test $? -eq 0 || echo "$out"
out=$(run_with "$T/etc/podman-profile.json" "$(command -v runc)" '["sh","-c","unshare -U true && echo unshared"]')
check "control: unshare -U true runs under Podman's profile" test "$out" = unshared || echo "$out"
out=$(run_with "$T/learned-podman.json" "$(command -v runc)" '["sh","-c","unshare -U true && echo unshared"]')
# (Podman's profile answers what it does not list with ENOSYS: "Function not implemented")
check "unshare -U true fails under the profile learned from it" \
  bash -c 'grep -q "unshare(0x10000000): Function not implemented" <<<"$1" && ! grep -q unshared <<<"$1"' _ "$out"
out=$(run_with "$T/learned-podman.json" "$(command -v runc)" '["sh","-c","echo hi"]')
check "sh -c 'echo hi' still runs under it" test "$out" = hi || echo "$out"

# ---- 4. never wider: Podman's profile as --base under the default policy is refused
write_test_policy "$T" /usr/bin/runc
out=$("$CTL" profile learn --policy "$OCI_HARDEN_POLICY" --base profiles/engine-seccomp-podman.json -o "$T/wide.json" \
  "$T/rec/sh-echo" 2>&1)
rc=$?
check "a base wider than the policy's profile: exit 1" test "$rc" -eq 1 || echo "$out"
check "... naming what it lets through" grep -q "lets through calls the policy's profile denies" <<<"$out"
check "... and nothing written" test ! -e "$T/wide.json"

# ---- 5. --policy-name: the named policy's profile is the one judged against (and the base)
write_test_policy "$T" /usr/bin/runc ".policies = {dev: {seccomp: {profile: \"$T/etc/podman-profile.json\"}}} |
  .selectors = [{match: {engine: \"podman\"}, policy: \"dev\"}]"
out=$("$CTL" profile learn --policy "$OCI_HARDEN_POLICY" --base profiles/engine-seccomp-podman.json -o "$T/dev.json" "$REC" 2>&1)
check "--base Podman's under the policy's top level: exit 1" test $? -eq 1 || echo "$out"
out=$("$CTL" profile learn --policy "$OCI_HARDEN_POLICY" --policy-name dev -o "$T/dev.json" "$REC" 2>&1)
check "--policy-name dev (Podman's profile): exit 0" test $? -eq 0 || echo "$out"
check "... learned from the named policy's profile (unshare was not seen: not in it; clone is, unconditional)" \
  test "$(jq -c '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | (index("clone") != null) and (index("unshare") == null)' "$T/dev.json")" = true
"$CTL" profile learn --policy "$OCI_HARDEN_POLICY" --policy-name nosuch "$REC" >/dev/null 2>&1
check "--policy-name of no named policy: exit 2" test $? -eq 2

exit_summary

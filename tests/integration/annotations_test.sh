#!/usr/bin/env bash
# Integration (rule runtime-annotations): annotations that crun 1.8.1 obeys on the host as root
# are refused before crun runs. run.oci.hooks.stdout / run.oci.hooks.stderr would make crun
# create or append to any host file as root (the hooks' output, which oci-harden-hook's own
# line carries the caller's container id into); judged here from the host: the target files
# are neither created nor changed. An ordinary annotation still runs under crun and runc.
# Needs root, runc, crun, busybox-static and jq (a failure under CI=true if crun is missing).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need runc crun busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /tmp/ocih-annotations.XXXXXX)
cleanup() {
  local rt id
  for rt in runc crun; do
    for id in $("/usr/bin/$rt" --root "$T/state-$rt" list -q 2>/dev/null); do
      "/usr/bin/$rt" --root "$T/state-$rt" delete -f "$id" >/dev/null 2>&1
    done
  done
  remove_test_dir "$T"
}
trap cleanup EXIT

if ! crun_usable && ! crun_hybrid_fix; then
  fail "crun usable on this host" "crun cannot create containers on this cgroup layout"
  exit_summary
fi
make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs" "make_busybox_rootfs failed"; exit_summary; }

write_policy() {  # write_policy RUNTIME
  jq -n --arg rt "$1" --arg log "$T/audit.jsonl" --arg st "$T/run" \
    '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/policy.json"
}
export OCI_HARDEN_POLICY=$T/policy.json

# bundle NAME JQ-FILTER: a busybox bundle that prints "started", the filter applied to it
bundle() {
  local b=$T/$1
  mkdir -p "$b"
  (cd "$b" && runc spec) || return 1
  jq --arg root "$T/rootfs" "
    .root.path = \$root | .process.terminal = false | .process.args = [\"echo\", \"started\"] | $2" \
    "$b/config.json" > "$b/c.tmp" && mv "$b/c.tmp" "$b/config.json"
  echo "$b"
}

victim=$T/victim
newfile=$T/newfile-by-crun
echo "original content" > "$victim"; chmod 600 "$victim"
before=$(stat -c '%s %Y %u:%g:%a' "$victim"; sha256sum "$victim")

write_policy /usr/bin/crun
B=$(bundle hooks-out ".annotations[\"run.oci.hooks.stderr\"] = \"$victim\" |
                      .annotations[\"run.oci.hooks.stdout\"] = \"$newfile\"")
out=$(cd "$B" && "$OCIH" --root "$T/state-crun" run attacker-chosen-text </dev/null 2>&1 | cat)
"$OCIH" --root "$T/state-crun" delete -f attacker-chosen-text >/dev/null 2>&1
check "crun: run.oci.hooks.stdout/stderr: refused, naming both annotations" \
  bash -c 'grep -q "refused by runtime-annotations" <<<"$0" &&
           grep -q "annotations\[\"run.oci.hooks.stdout\"\]" <<<"$0" &&
           grep -q "annotations\[\"run.oci.hooks.stderr\"\]" <<<"$0"' "$out"
check "crun: the container did not start" bash -c '! grep -qx started <<<"$0"' "$out"
check "crun: the host file named by run.oci.hooks.stdout was not created" test ! -e "$newfile"
after=$(stat -c '%s %Y %u:%g:%a' "$victim"; sha256sum "$victim")
check "crun: the host file named by run.oci.hooks.stderr is unchanged" test "$before" = "$after"
check "crun: the refusal is in the audit record" \
  jq_any 'select(.container == "attacker-chosen-text") | .decision == "refused" and
          ([.refused[]? | .rule] | index("runtime-annotations") != null)' "$T/audit.jsonl"

B=$(bundle seccomp-plugins '.annotations["run.oci.seccomp.plugins"] = "/tmp/evil.so"')
out=$(cd "$B" && "$OCIH" --root "$T/state-crun" run plugins </dev/null 2>&1 | cat)
"$OCIH" --root "$T/state-crun" delete -f plugins >/dev/null 2>&1
check "crun: run.oci.seccomp.plugins: refused" grep -q 'annotations\["run.oci.seccomp.plugins"\]' <<<"$out"

B=$(bundle criu '.annotations["org.criu.config"] = "/tmp/criu.conf"')
out=$(cd "$B" && "$OCIH" --root "$T/state-crun" run criu </dev/null 2>&1 | cat)
"$OCIH" --root "$T/state-crun" delete -f criu >/dev/null 2>&1
check "crun: org.criu.config: refused" grep -q 'annotations\["org.criu.config"\]' <<<"$out"

for rt in crun runc; do
  write_policy "/usr/bin/$rt"
  B=$(bundle "plain-$rt" '.annotations["org.example.team"] = "web" |
                          .annotations["run.oci.seccomp_fail_unknown_syscall"] = "1"')
  out=$(cd "$B" && "$OCIH" --root "$T/state-$rt" run "plain-$rt" </dev/null 2>&1 | cat)
  "$OCIH" --root "$T/state-$rt" delete -f "plain-$rt" >/dev/null 2>&1
  check "$rt: an ordinary annotation and a safe-list run.oci. key: runs" grep -qx started <<<"$out" ||
    echo "$out"
done

exit_summary

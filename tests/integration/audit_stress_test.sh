#!/usr/bin/env bash
# 200 concurrent oci-harden invocations against one audit log, with a fake runtime: exactly 200
# valid JSON lines, none torn or interleaved, every bundle rewritten whole.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need jq runc || exit_summary

N=200
T=$(mktemp -d /var/tmp/ocih-stress.XXXXXX)
chmod 0711 "$T"
# The fake runtime never starts a container, so no poststop hook removes the idmapped rootfs
# mounts oci-harden makes under the state directory: the trap does.
cleanup() { remove_test_dir "$T"; }
trap cleanup EXIT
mkdir -p "$T/etc"
# The fake runtime lists what its inherited descriptors point at: none of the files oci-harden
# opens (policy, audit log, config.json, the bundle directory, /proc) may reach the runtime.
cat > "$T/fake-runtime" <<FAKE
#!/bin/sh
echo run >> "$T/runs"
for fd in /proc/\$\$/fd/*; do readlink "\$fd"; done | grep -E 'policy\.json|audit\.jsonl|config\.json|/b[0-9]+\$|^/proc|oci-harden' >> "$T/leaks"
exit 0
FAKE
chmod 0755 "$T/fake-runtime"
jq -n --arg log "$T/audit.jsonl" --arg rt "$T/fake-runtime" --arg st "$T/run" \
  '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json

mkdir -p "$T/tpl/rootfs"
(cd "$T/tpl" && runc spec)
# Large annotations make each record several KB, so a torn write would show.
jq --arg big "$(head -c 3000 /dev/zero | tr '\0' x)" \
  '.process.terminal = false | .annotations["io.kubernetes.pod.name"] = $big' \
  "$T/tpl/config.json" > "$T/tpl/c" && mv "$T/tpl/c" "$T/tpl/config.json"
for i in $(seq 1 $N); do cp -r "$T/tpl" "$T/b$i"; done

pids=()
for i in $(seq 1 $N); do
  bin/oci-harden --root "$T/state" create --bundle "$T/b$i" "stress-$i" >"$T/out.$i" 2>&1 &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done

check "all $N invocations exited 0" test "$failed" -eq 0
check "exactly $N lines in the audit log" test "$(wc -l < "$T/audit.jsonl")" -eq $N
check "every line is one valid JSON object" bash -c "jq -c . '$T/audit.jsonl' | wc -l | grep -qx $N"
check "each container recorded exactly once" \
  bash -c "jq -r .container '$T/audit.jsonl' | sort -u | wc -l | grep -qx $N"
check "every bundle's config.json is valid and hardened" \
  bash -c "for i in \$(seq 1 $N); do jq -e '.process.noNewPrivileges == true' '$T'/b\$i/config.json >/dev/null || exit 1; done"
check "no temporary files left in the bundles" \
  bash -c "! ls -a '$T'/b*/ | grep -q oci-harden"
check "the runtime was executed $N times" test "$(wc -l < "$T/runs")" -eq $N
check "no descriptor leaked into the runtime" bash -c "test ! -s '$T/leaks' || { sort '$T/leaks' | uniq -c; exit 1; }"

exit_summary

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
chmod 0700 "$T"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/etc"
# The fake runtime counts the descriptors it inherited: none of oci-harden's may leak into it.
cat > "$T/fake-runtime" <<FAKE
#!/bin/sh
ls /proc/\$\$/fd | wc -l >> "$T/fds"
FAKE
chmod 0755 "$T/fake-runtime"
"$T/fake-runtime" && baseline=$(cat "$T/fds") && rm "$T/fds"
jq -n --arg log "$T/audit.jsonl" --arg rt "$T/fake-runtime" '{runtime: $rt, audit_log: $log}' > "$T/etc/policy.json"
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
check "no descriptor leaked into the runtime ($baseline open in each)" \
  bash -c "sort -u '$T/fds' | grep -qx '$baseline' && test \$(sort -u '$T/fds' | wc -l) -eq 1"

exit_summary

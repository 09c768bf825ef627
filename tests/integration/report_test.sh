#!/usr/bin/env bash
# Integration: `oci-hardenctl report` and `explain` on what real runc runs through oci-harden
# record (issue 17 items 6 and 7): the node's name in every record (the hook's too), the rollout
# table, --wide, --since AGE, capabilities as differences, Q7 when the verify hook is off, the
# Prometheus textfile written by rename, the "no log yet" exit status, and explain's capability
# differences and its refusal of a process file.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
CTL=$PWD/bin/oci-hardenctl
T=$(mktemp -d /var/tmp/ocih-report-it.XXXXXX)
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
new_bundle() { make_test_bundle "$T/$1" "$T/rootfs" "$2" "${3:-}"; }
caps='.process.capabilities.bounding += ["CAP_NET_RAW","CAP_SYS_CHROOT"] |
      .process.capabilities.effective += ["CAP_NET_RAW","CAP_SYS_CHROOT"] |
      .process.capabilities.permitted += ["CAP_NET_RAW","CAP_SYS_CHROOT"]'

# ---- 0. before any container: no log yet is "nothing to report" (exit 3), said in one line
write_test_policy "$T" /usr/bin/runc
out=$("$CTL" report --policy "$OCI_HARDEN_POLICY" 2>&1)
rc=$?
check "no log yet: exit 3" test "$rc" -eq 3
check "no log yet: the message names the log and why" \
  grep -qx "oci-hardenctl: no audit log at $T/audit.jsonl yet: no container has started through oci-harden on this host, or the policy's audit_log points elsewhere" <<<"$out"

# ---- 1. three containers: hooked (the default), hook off, refused
B=$(new_bundle hooked '["true"]' "$caps")
(cd "$B" && "$OCIH" --root "$T/state" run rep-hooked-0123456789abcdef0123456789abcdef >/dev/null 2>&1)
check "hooked container ran" test $? -eq 0
write_test_policy "$T" /usr/bin/runc '.hook = "none"'
B=$(new_bundle nohook '["true"]')
(cd "$B" && "$OCIH" --root "$T/state" run rep-nohook >/dev/null 2>&1)
check "container under hook none ran" test $? -eq 0
B=$(new_bundle refused '["true"]' '.mounts += [{"destination":"/sock","type":"bind","source":"/var/run/docker.sock","options":["bind"]}]')
(cd "$B" && "$OCIH" --root "$T/state" run rep-refused >/dev/null 2>&1)
check "refused container exits 1" test $? -eq 1
"$OCIH" --root "$T/state" delete -f rep-hooked-0123456789abcdef0123456789abcdef >/dev/null 2>&1
"$OCIH" --root "$T/state" delete -f rep-nohook >/dev/null 2>&1

# ---- 2. every record names this node, the hook's verify and stop records too
node=$(uname -n)
check "every record has host = $(uname -n)" jq -n -e --arg h "$node" '[inputs | .host == $h] | all' "$T/audit.jsonl"
check "the hook's verify and stop records carry it too" \
  jq -n -e --arg h "$node" '[inputs | select(.event == "stop" or .event == "verify") | .host == $h] | (length >= 2 and all)' "$T/audit.jsonl"

# ---- 3. the table
rep=$("$CTL" report "$T/audit.jsonl" 2>&1)
check "short ids by default" grep -q '^rep-hooked-0  ' <<<"$rep"
check "capabilities as differences (-NET_RAW)" grep -q -- '-NET_RAW' <<<"$rep"
check "rollout table: sensitive-mounts refused 1" grep -Eq '^sensitive-mounts +0 +1 +0 +0$' <<<"$rep"
check "placement table names this node" grep -Eq "^rep-nohook +$node " <<<"$rep"
check "Q7: the hook-off container is 'cannot know', not running" \
  grep -q 'cannot know for 1 more, started without the verify hook' <<<"$rep"
check "Q7: the hooked one stopped (its hook wrote the stop record)" \
  grep -q 'Q7  containers running now (started, no stop record): 0;' <<<"$rep"
wide=$("$CTL" report --wide "$T/audit.jsonl" 2>&1)
check "--wide shows the whole id" grep -q '^rep-hooked-0123456789abcdef0123456789abcdef  ' <<<"$wide"
check "--since 1h keeps this run" bash -c "'$CTL' report --since 1h --format json '$T/audit.jsonl' | jq -e '.totals.containers == 3'"
check "--since with a future RFC 3339 time keeps nothing" \
  bash -c "'$CTL' report --since 2999-01-01T00:00:00Z --format json '$T/audit.jsonl' | jq -e '.totals.containers == 0'"
check "--since garbage is a usage error (64)" bash -c "'$CTL' report --since yesterday '$T/audit.jsonl' >/dev/null 2>&1; test \$? -eq 64"

# ---- 4. Prometheus textfile, written by rename
"$CTL" report --format prometheus --output "$T/oci_harden.prom" "$T/audit.jsonl"
check "--output writes the file, exit 0" test $? -eq 0
check "decisions counter for the refusal" \
  grep -qx 'oci_harden_decisions_total{rule="sensitive-mounts",decision="refused"} 1' "$T/oci_harden.prom"
check "one TYPE per metric name" bash -c "grep '^# TYPE' '$T/oci_harden.prom' | awk '{print \$3}' | sort | uniq -d | grep -q . && exit 1 || exit 0"
check "running state unknown: 1" grep -qx 'oci_harden_containers_running{state="unknown"} 1' "$T/oci_harden.prom"
check "--output without a FILE is a usage error (64)" bash -c "'$CTL' report --output >/dev/null 2>&1; test \$? -eq 64"
check "--output= without a FILE is a usage error (64)" bash -c "'$CTL' report --output= '$T/audit.jsonl' >/dev/null 2>&1; test \$? -eq 64"
check "no temporary file left beside it" bash -c "test \$(ls -A '$T' | grep -c '^\.oci_harden') -eq 0"

# ---- 5. explain: capabilities as differences; a process file is refused as one
B=$(new_bundle explain '["true"]' "$caps")
ex=$("$CTL" explain --policy "$OCI_HARDEN_POLICY" "$B/config.json" 2>&1)
check "explain: one line of capability differences for the three sets" \
  grep -Eq '^capabilities +process.capabilities: .*-CAP_NET_RAW.* \(bounding, effective, permitted\)$' <<<"$ex"
check "explain: no full capability arrays" bash -c '! grep -q "process.capabilities.bounding:" <<<"$0"' "$ex"
jq '.process' "$B/config.json" > "$T/process.json"
ex=$("$CTL" explain --policy "$OCI_HARDEN_POLICY" "$T/process.json" 2>&1)
rc=$?
check "explain of a process file: exit 2" test "$rc" -eq 2
check "explain of a process file says it is one" grep -q "process.json is a process file (runc exec --process" <<<"$ex"

exit_summary

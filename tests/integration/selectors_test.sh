#!/usr/bin/env bash
# Integration: one policy per workload, through the real runc. A bundle where the CRI plugin's
# containers live (containerd namespace k8s.io) whose namespace annotation says kube-system gets
# the "privileged" policy (audit mode: nothing changed); the same annotation in a Docker-shaped
# bundle (containerd namespace moby), or a kube-system label the policy does not list, is ignored
# and the default applies. Checked from inside the container (CapEff in /proc/self/status), in the
# audit records (policy_name), in `oci-hardenctl report` and `oci-hardenctl explain`.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
CTL=$PWD/bin/oci-hardenctl
T=$(mktemp -d /var/tmp/ocih-sel.XXXXXX)
chmod 0711 "$T"
# shellcheck disable=SC2317  # called through trap and check
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc"
jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" '{
  runtime: "/usr/bin/runc", audit_log: $log, user_namespace: {state_dir: $st},
  selector_labels: ["example.com/tier"],
  policies: {privileged: {mode: "audit"}},
  selectors: [{match: {namespace: "kube-system"}, policy: "privileged"},
              {match: {engine: "kubernetes", label: {key: "example.com/tier", value: "system"}}, policy: "privileged"}]
}' > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json

TASKS=$T/containerd/io.containerd.runtime.v2.task
# new_bundle NAMESPACE ID ANNOTATIONS_JSON: a bundle where containerd's shim would put it.
new_bundle() {
  local b=$TASKS/$1/$2
  mkdir -p "$b"
  (cd "$b" && runc spec)
  jq --arg root "$T/rootfs" --argjson ann "$3" '
    .root.path = $root | .process.terminal = false | .annotations = $ann |
    .process.args = ["sh", "-c", "grep CapEff /proc/self/status"] |
    .process.capabilities.effective += ["CAP_SYS_ADMIN"] |
    .process.capabilities.permitted += ["CAP_SYS_ADMIN"] |
    .process.capabilities.bounding += ["CAP_SYS_ADMIN"]' "$b/config.json" > "$b/c.tmp" && mv "$b/c.tmp" "$b/config.json"
  echo "$b"
}
# has_sys_admin OUTPUT: CapEff shows CAP_SYS_ADMIN (bit 21).
# shellcheck disable=SC2317  # called through check
has_sys_admin() { local hex; hex=$(awk '$1 == "CapEff:" {print $2}' <<<"$1"); [[ -n "$hex" ]] && (( (0x$hex >> 21) & 1 )); }
# shellcheck disable=SC2317  # called through check
lacks_sys_admin() { grep -q '^CapEff:' <<<"$1" && ! has_sys_admin "$1"; }
run_in() {  # run_in BUNDLE ID
  (cd "$1" && "$OCIH" --root "$T/state" run "$2" 2>&1)
}
record() { jq -c --arg id "$1" 'select(.container == $id and .event == "run")' "$T/audit.jsonl" | tail -1; }

# ---- 1. the CRI plugin's namespace annotation selects "privileged" (audit: nothing changed)
B=$(new_bundle k8s.io sel-kube '{"io.kubernetes.cri.sandbox-namespace":"kube-system","io.kubernetes.cri.container-type":"container"}')
out=$(run_in "$B" sel-kube); rc=$?
check "kube-system pod runs (exit 0)" test "$rc" -eq 0 || echo "$out"
check "kube-system pod keeps CAP_SYS_ADMIN (privileged policy, audit mode)" has_sys_admin "$out" || echo "$out"
check "record names policy privileged, decision audited" \
  test "$(record sel-kube | jq -r '.policy_name + " " + .decision')" = "privileged audited"

# ---- 2. the same annotation in a Docker-shaped bundle is ignored: the default applies
B=$(new_bundle moby sel-moby '{"io.kubernetes.cri.sandbox-namespace":"kube-system"}')
out=$(run_in "$B" sel-moby); rc=$?
check "forged namespace in a moby bundle runs (exit 0)" test "$rc" -eq 0 || echo "$out"
check "forged namespace: CAP_SYS_ADMIN dropped (default policy)" lacks_sys_admin "$out" || echo "$out"
check "forged namespace: record names policy default, decision applied" \
  test "$(record sel-moby | jq -r '.policy_name + " " + .decision')" = "default applied"

# ---- 3. another namespace under the CRI plugin, and a label key variant the policy does not list
B=$(new_bundle k8s.io sel-apps '{"io.kubernetes.cri.sandbox-namespace":"apps","io.kubernetes.pod.namespace":"kube-system","Example.com/tier":"system"}')
out=$(run_in "$B" sel-apps); rc=$?
check "apps pod with forged pod.namespace and label variant runs (exit 0)" test "$rc" -eq 0 || echo "$out"
check "apps pod: CAP_SYS_ADMIN dropped (default policy)" lacks_sys_admin "$out" || echo "$out"
check "apps pod: record names policy default" test "$(record sel-apps | jq -r .policy_name)" = default

# ---- 4. the listed label, under the CRI plugin, selects "privileged"
B=$(new_bundle k8s.io sel-label '{"io.kubernetes.cri.sandbox-namespace":"apps","example.com/tier":"system"}')
out=$(run_in "$B" sel-label); rc=$?
check "listed label selects privileged" has_sys_admin "$out" || echo "$out"
check "listed label: record names policy privileged" test "$(record sel-label | jq -r .policy_name)" = privileged

# ---- 5. exec into a kube-system container is judged by the container's own policy
B=$(new_bundle k8s.io sel-exec '{"io.kubernetes.cri.sandbox-namespace":"kube-system"}')
jq '.process.args = ["sleep", "60"]' "$B/config.json" > "$B/c.tmp" && mv "$B/c.tmp" "$B/config.json"
(cd "$B" && "$OCIH" --root "$T/state" create sel-exec >/dev/null 2>&1 && runc --root "$T/state" start sel-exec)
out=$("$OCIH" --root "$T/state" exec sel-exec grep CapEff /proc/self/status 2>&1); rc=$?
check "exec into the kube-system container runs (exit 0)" test "$rc" -eq 0 || echo "$out"
check "exec record names policy privileged" \
  test "$(jq -r 'select(.container == "sel-exec" and .event == "exec") | .policy_name' "$T/audit.jsonl" | tail -1)" = privileged

# ---- 5. report and explain name the policy
rep=$("$CTL" report --format json "$T/audit.jsonl")
check "report: sel-kube ran under privileged" \
  test "$(jq -r '.containers[] | select(.id == "sel-kube") | .policy' <<<"$rep")" = privileged
check "report: sel-moby ran under default" \
  test "$(jq -r '.containers[] | select(.id == "sel-moby") | .policy' <<<"$rep")" = default
check "report table has a POLICY column" bash -c "'$CTL' report '$T/audit.jsonl' | grep -q POLICY"
cfg=$TASKS/moby/sel-moby/config.json
ex=$("$CTL" explain --policy "$T/etc/policy.json" --engine kubernetes \
  --annotation io.kubernetes.cri.sandbox-namespace=kube-system "$cfg" 2>&1)
check "explain --engine kubernetes --annotation: policy privileged by selectors[0]" \
  grep -q 'applies: policy "privileged" (by selectors\[0\]; engine kubernetes), mode audit' <<<"$ex" || echo "$ex"
ex=$("$CTL" explain --policy "$T/etc/policy.json" --id sel-moby --annotation io.kubernetes.cri.sandbox-namespace=kube-system "$cfg" 2>&1)
check "explain of a moby bundle: the annotation selects nothing" \
  grep -q 'applies: policy "default" (no selector matched; engine docker)' <<<"$ex" || echo "$ex"

for id in sel-kube sel-moby sel-apps sel-label sel-exec; do runc --root "$T/state" delete -f "$id" >/dev/null 2>&1; done
exit_summary

#!/usr/bin/env bash
# Integration: exceptions with an owner and an end (org.oci-harden.opt-out-reason/-until/-owner)
# and trusted-registries (allowed_registries), through oci-harden in front of the real runc.
# An expired exception never starts and says when it ended; a live one runs (its rule skipped,
# seen from inside: / is writable) and is recorded with its owner, reason and end.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-exc.XXXXXX)
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { [[ -n "${KEEP:-}" ]] && return; remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc"
jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
  '{runtime: "/usr/bin/runc", audit_log: $log, user_namespace: {state_dir: $st},
    opt_out_requires: ["reason", "until"],
    allowed_registries: ["registry.example.com", "docker.io/library/"], unknown_image: "record"}' \
  > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json

# new_bundle NAME ARGS_JSON [jq filter on config.json]
new_bundle() {
  local b=$T/$1
  mkdir -p "$b"
  (cd "$b" && runc spec)
  jq --arg root "$T/rootfs" --argjson args "$2" \
    ".root.path = \$root | .process.terminal = false | .process.args = \$args | .root.readonly = false ${3:+| $3}" \
    "$b/config.json" > "$b/c.tmp" && mv "$b/c.tmp" "$b/config.json"
  echo "$b"
}
never_started() { ! runc --root "$T/state" state "$1" >/dev/null 2>&1; }
record_of() { jq -c "select(.container == \"$1\" and .event == \"run\")" "$T/audit.jsonl" | tail -n 1; }

probe='touch /tmp/x 2>/dev/null && echo "tmp-write: ok" || echo "tmp-write: denied"; grep NoNewPrivs /proc/self/status'
probe_args="[\"sh\",\"-c\",$(jq -Rn --arg p "$probe" '$p')]"
optout='.annotations["org.oci-harden.opt-out"] = "readonly-rootfs"'

# ---- 1. an expired exception is refused, with the date it ended
B=$(new_bundle expired "$probe_args" "$optout |
  .annotations[\"org.oci-harden.opt-out-until\"] = \"2020-01-31\" |
  .annotations[\"org.oci-harden.opt-out-reason\"] = \"legacy app\" |
  .annotations[\"org.oci-harden.opt-out-owner\"] = \"team-a\"")
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-expired 2>&1)
rc=$?
check "expired exception: run exits 1" test "$rc" -eq 1
check "expired exception: the message names the field and when it expired" \
  grep -q 'refused by opt-out: annotations\["org.oci-harden.opt-out-until"\] = "2020-01-31": the exception expired at 2020-01-31T23:59:59Z, owner "team-a"' <<<"$out" \
  || echo "$out"
check "expired exception: never started" never_started it-expired
check "expired exception: audit record 'refused' by opt-out, with owner, reason and end" \
  jq -e 'select(.decision == "refused") | (.refused[0].rule == "opt-out") and .opt_outs.owner == "team-a"
         and .opt_outs.reason == "legacy app" and .opt_outs.expires == "2020-01-31T23:59:59Z"' <<<"$(record_of it-expired)"

# ---- 2. a live exception (ending today, UTC) runs, its rule skipped, and is recorded
today=$(date -u +%F)
B=$(new_bundle live "$probe_args" "$optout |
  .annotations[\"org.oci-harden.opt-out-until\"] = \"$today\" |
  .annotations[\"org.oci-harden.opt-out-reason\"] = \"writes its cache under /\" |
  .annotations[\"org.oci-harden.opt-out-owner\"] = \"team-b@example.com\" |
  .annotations[\"io.kubernetes.cri.image-name\"] = \"busybox:1.36\"")
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-live 2>&1)
rc=$?
check "live exception (until today): run exits 0" test "$rc" -eq 0 || echo "$out"
# The rootfs is a plain directory under /var/tmp, not idmapped: / is host root's and nobody's
# inside, so the skipped rule shows as a read-write root without the /tmp tmpfs, written through
# the image's own 1777 /tmp (as in runc_test.sh).
check "live exception: readonly-rootfs skipped (root read-write, no /tmp tmpfs, /tmp writable inside)" \
  bash -c 'jq -e ".root.readonly == false and ([.mounts[] | select(.destination == \"/tmp\")] | length == 0)" "$0/config.json" >/dev/null &&
           grep -q "tmp-write: ok" <<<"$1"' "$B" "$out"
check "live exception: other rules still apply (NoNewPrivs 1)" grep -Eq 'NoNewPrivs:[[:space:]]+1' <<<"$out"
check "live exception: audit record granted, with reason, owner and end" \
  jq -e ".opt_outs.granted == [\"readonly-rootfs\"] and .opt_outs.reason == \"writes its cache under /\"
         and .opt_outs.owner == \"team-b@example.com\" and .opt_outs.expires == \"${today}T23:59:59Z\"" <<<"$(record_of it-live)"

# ---- 3. a malformed date, and a missing reason the policy requires
B=$(new_bundle malformed '["true"]' "$optout | .annotations[\"org.oci-harden.opt-out-until\"] = \"2027-02-30\" |
  .annotations[\"org.oci-harden.opt-out-reason\"] = \"x\"")
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-malformed 2>&1)
check "malformed date: refused, naming the field and why" \
  grep -q 'opt-out-until"\] = "2027-02-30": "2027-02-30" is not an RFC 3339 date.*day 30 does not exist' <<<"$out" || echo "$out"
check "malformed date: never started" never_started it-malformed
B=$(new_bundle noreason '["true"]' "$optout | .annotations[\"org.oci-harden.opt-out-until\"] = \"$today\"")
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-noreason 2>&1)
check "opt_out_requires: a missing reason is refused, naming the key" \
  grep -q 'org.oci-harden.opt-out-reason"\] is missing, empty or blank.*opt_out_requires' <<<"$out" || echo "$out"
check "opt_out_requires: never started" never_started it-noreason

# ---- 4. trusted-registries: another registry refused; an unknown image recorded
B=$(new_bundle evil '["true"]' '.annotations["io.kubernetes.cri.image-name"] = "registry.example.com.evil.com/x:1"')
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-evil 2>&1)
check "image from another registry: refused, naming the registry" \
  grep -q 'refused by trusted-registries: .*from registry registry.example.com.evil.com, which allowed_registries does not list' <<<"$out" || echo "$out"
check "image from another registry: never started" never_started it-evil
B=$(new_bundle unknown '["true"]')
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-unknown 2>&1)
check "unknown image (unknown_image: record): runs" test $? -eq 0 || echo "$out"
check "unknown image: the audit record says the image is unknown" \
  jq -e '[.notes[] | select(.rule == "trusted-registries" and (.note | test("no image name")))] | length == 1' <<<"$(record_of it-unknown)"

# ---- 4b. in audit mode an expired exception is recorded, not refused, and the skipped rule is what would apply
jq '.mode = "audit"' "$T/etc/policy.json" > "$T/etc/audit-policy.json"
chmod 0644 "$T/etc/audit-policy.json"
B=$(new_bundle audited '["true"]' "$optout | .annotations[\"org.oci-harden.opt-out-until\"] = \"2020-01-31\" |
  .annotations[\"org.oci-harden.opt-out-reason\"] = \"x\"")
out=$(cd "$B" && OCI_HARDEN_POLICY=$T/etc/audit-policy.json "$OCIH" --root "$T/state" run it-audited 2>&1)
check "audit mode: an expired exception runs" test $? -eq 0 || echo "$out"
check "audit mode: recorded 'audited' with the expiry as what would refuse it, readonly-rootfs not granted" \
  jq -e '.decision == "audited" and ([.refused[] | select(.rule == "opt-out" and (.reason | test("expired at 2020-01-31T23:59:59Z")))] | length == 1)
         and .opt_outs.granted == [] and ([.changes[] | select(.rule == "readonly-rootfs")] | length > 0)' <<<"$(record_of it-audited)"

# ---- 5. oci-hardenctl report lists the live exception (ending today: within a week), not the expired one
rep=$(bin/oci-hardenctl report "$T/audit.jsonl" 2>&1)
check "report: the live exception with owner, reason and days left, marked as ending within a week" \
  bash -c 'grep -A1 "^! it-live  until $1 (0 days left)  owner team-b@example.com  skips readonly-rootfs\$" <<<"$0" |
           grep -q "^    reason: writes its cache under /\$"' "$rep" "$today" \
  || echo "$rep" | sed -n '/Live exceptions/,/^$/p'
check "report: the expired exception is not listed as live" bash -c '! grep -q "it-expired  until" <<<"$0"' "$rep"
check "report --format json: totals.exceptions" \
  jq -e '.totals.exceptions.live == 1 and .totals.exceptions.ending_within_week == 1' \
  <<<"$(bin/oci-hardenctl report --format json "$T/audit.jsonl" 2>/dev/null)"

exit_summary

#!/usr/bin/env bash
# Integration: linux.resources.unified (cgroup v2 files runc 1.1.5 and crun 1.8.1 write AFTER the
# typed limits) cannot lift the pids, memory or cpu limit, at create or at `update -r`.
#   - under limits.above_max "refuse", each lifting entry, and a key that is a path
#     ("../pids.max"), is refused by the rule that owns the limit: exit 1, the rule named,
#     config.json untouched, the runtime (a stub that records being called) never runs;
#   - under "clamp" (the default) each lifting entry is rewritten to the maximum in the
#     config.json the runtime reads, and recorded as a change; a spelling the kernel reads
#     otherwise than as a plain decimal ("64G") is refused all the same;
#   - `oci-harden update -r FILE` with such a unified map is refused the same way (the stub is
#     asked only for `state`), or under "clamp" passed with the file rewritten;
#   - a unified map within the policy passes oci-harden; then the real runc: on a cgroup v1 host
#     (this machine) runc 1.1.5 refuses any unified map ("cannot use unified on cgroup v1"), on a
#     v2 host the container reads the pids.max it asked for.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-unified.XXXXXX) || { fail "mktemp"; exit_summary; }
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs"; exit_summary; }
mkdir -p "$T/etc"
write_policy() { write_test_policy "$T" "$@"; }  # write_policy RUNTIME [extra jq filter]
limits() {  # limits ABOVE_MAX: a jq filter setting small maxima (4096 pids, 256 MiB, 1 CPU)
  echo ".limits = {above_max: \"$1\", pids: {default: 1024, max: 4096}, memory: {default: 67108864, max: 268435456}, cpu: {default: 1, max: 1}}"
}
STUB=$T/stub-runtime
printf '#!/bin/sh\necho "$*" >> %s/stub-calls\ntouch %s/stub-ran\nexit 0\n' "$T" "$T" > "$STUB"
chmod 0755 "$STUB"
write_policy "$STUB" "$(limits refuse)"
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() {  # new_bundle NAME UNIFIED_JSON
  make_test_bundle "$T/$1" "$T/rootfs" '["cat", "/sys/fs/cgroup/pids.max"]' ".linux.resources.unified = $2"
}

# ---- 1. create under above_max "refuse": lifting entries refused, the runtime never runs
refused() {  # refused NAME UNIFIED_JSON RULE
  local name=$1 B before out rc
  rm -f "$T/stub-ran"
  B=$(new_bundle "$name" "$2")
  before=$(sha256sum < "$B/config.json")
  out=$("$OCIH" --root "$T/state" create --bundle "$B" "$name" 2>&1)
  rc=$?
  check "$name: refused (exit 1)" test "$rc" -eq 1
  check "$name: the refusal names $3 and the unified key" grep -q "refused by $3: .*linux.resources.unified\[" <<<"$out"
  check "$name: the runtime never ran" test ! -e "$T/stub-ran"
  check "$name: config.json untouched" test "$(sha256sum < "$B/config.json")" = "$before"
}
refused pids-max '{"pids.max":"max"}' pids-limit
refused memory-max '{"memory.max":"max"}' memory-limit
refused memory-high '{"memory.high":"max"}' memory-limit
refused swap-max '{"memory.swap.max":"max"}' memory-limit
refused cpu-max '{"cpu.max":"max 100000"}' cpu-limit
refused cpu-max-suffix '{"cpu.max":"100000000 1000"}' cpu-limit
refused parent-path '{"../pids.max":"max"}' cgroups-path

# ---- 1b. create under above_max "clamp": lifting entries rewritten to the maxima, the runtime runs
write_policy "$STUB" "$(limits clamp)"
rm -f "$T/stub-ran"
B=$(new_bundle clamped '{"pids.max":"max","memory.max":"max","memory.high":"max","memory.swap.max":"max","cpu.max":"max 100000","memory.low":"max","cpu.weight":"500"}')
out=$("$OCIH" --root "$T/state" create --bundle "$B" clamped 2>&1)
rc=$?
check "clamp: passed to the runtime (exit 0)" test "$rc" -eq 0
check "clamp: the runtime ran" test -e "$T/stub-ran"
u=$(jq -c '.linux.resources.unified' "$B/config.json")
check "clamp: pids.max rewritten to 4096" test "$(jq -r '.["pids.max"]' <<<"$u")" = 4096
check "clamp: memory.max rewritten to 268435456" test "$(jq -r '.["memory.max"]' <<<"$u")" = 268435456
check "clamp: memory.high rewritten to 268435456" test "$(jq -r '.["memory.high"]' <<<"$u")" = 268435456
check "clamp: memory.swap.max rewritten to 0" test "$(jq -r '.["memory.swap.max"]' <<<"$u")" = 0
check "clamp: cpu.max rewritten to 100000 100000" test "$(jq -r '.["cpu.max"]' <<<"$u")" = "100000 100000"
check "clamp: memory.low and cpu.weight kept" test "$(jq -r '.["memory.low"] + " " + .["cpu.weight"]' <<<"$u")" = "max 500"
check "clamp: the record names the unified entries changed" \
  jq_any '.event == "create" and .container == "clamped" and ([.changes[]?.path] | index("linux.resources.unified[\"pids.max\"]") != null)' "$T/audit.jsonl"
rm -f "$T/stub-ran"
B=$(new_bundle clamp-odd '{"memory.max":"64G"}')
before=$(sha256sum < "$B/config.json")
out=$("$OCIH" --root "$T/state" create --bundle "$B" clamp-odd 2>&1)
rc=$?
check "clamp: a suffixed size is refused all the same (exit 1)" test "$rc" -eq 1
check "clamp: the refusal says it is not a plain decimal" grep -q 'memory-limit: .*"64G" is not a plain decimal' <<<"$out"
check "clamp: the runtime never ran" test ! -e "$T/stub-ran"
check "clamp: config.json untouched" test "$(sha256sum < "$B/config.json")" = "$before"
write_policy "$STUB" "$(limits refuse)"

# ---- 2. update -r FILE with a lifting unified map: refused before the runtime updates anything
# (a unified cpu.max makes oci-harden ask `runtime state` for the container's period first).
rm -f "$T/stub-calls"
echo '{"unified":{"pids.max":"max","memory.max":"max","cpu.max":"max 100000"}}' > "$T/r.json"
out=$("$OCIH" --root "$T/state" update -r "$T/r.json" c1 2>&1)
rc=$?
check "update -r: refused (exit 1)" test "$rc" -eq 1
check "update -r: the refusal names update and unified[\"pids.max\"]" grep -q 'update.*unified\["pids.max"\]' <<<"$out"
check "update -r: the runtime was never asked to update" bash -c "! grep -qw update '$T/stub-calls' 2>/dev/null"
check "update -r: the runtime was asked for the container's state" grep -qw state "$T/stub-calls"

# ---- 2b. the same update under "clamp": the file the runtime reads holds the maxima
write_policy "$STUB" "$(limits clamp)"
rm -f "$T/stub-calls"
echo '{"cpu":{"period":100000},"unified":{"pids.max":"max","memory.max":"max","cpu.max":"max"}}' > "$T/r.json"
out=$("$OCIH" --root "$T/state" update -r "$T/r.json" c1 2>&1)
rc=$?
check "update -r (clamp): passed (exit 0)" test "$rc" -eq 0
check "update -r (clamp): the runtime was asked to update" grep -qw update "$T/stub-calls"
check "update -r (clamp): the file holds the maxima" test "$(jq -c '.unified' "$T/r.json")" = \
  '{"pids.max":"4096","memory.max":"268435456","cpu.max":"100000 100000"}'

# ---- 3. within the policy: passes oci-harden; what the real runc does with it
rm -f "$T/stub-ran"
B=$(new_bundle within '{"pids.max":"100","memory.high":"max"}')
check "within: oci-harden passes it to the runtime" "$OCIH" --root "$T/state" create --bundle "$B" within
check "within: the runtime ran" test -e "$T/stub-ran"
write_policy /usr/sbin/runc
B=$(new_bundle within-runc '{"pids.max":"100"}')
out=$("$OCIH" --root "$T/state" run --bundle "$B" within-runc 2>&1)
rc=$?
if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
  check "within (cgroup v2): the container runs" test "$rc" -eq 0
  check "within (cgroup v2): its pids.max is 100" grep -qx 100 <<<"$out"
else
  check "within (cgroup v1): runc 1.1.5 refuses a unified map itself" test "$rc" -ne 0
  check "within (cgroup v1): runc says why" grep -q "cannot use unified on cgroup v1" <<<"$out"
fi
runc --root "$T/state" delete -f within-runc >/dev/null 2>&1

exit_summary

#!/usr/bin/env bash
# Integration: linux.resources.unified (cgroup v2 files runc 1.1.5 and crun 1.8.1 write AFTER the
# typed limits) cannot lift the pids, memory or cpu limit, at create or at `update -r`.
#   - each lifting entry, and a key that is a path ("../pids.max"), is refused by the rule that
#     owns the limit: exit 1, the rule named, config.json untouched, the runtime (a stub that
#     records being called) never runs;
#   - `oci-harden update -r FILE` with such a unified map is refused the same way (the stub is
#     asked only for `state`);
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
STUB=$T/stub-runtime
printf '#!/bin/sh\necho "$*" >> %s/stub-calls\ntouch %s/stub-ran\nexit 0\n' "$T" "$T" > "$STUB"
chmod 0755 "$STUB"
write_policy "$STUB"
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() {  # new_bundle NAME UNIFIED_JSON
  make_test_bundle "$T/$1" "$T/rootfs" '["cat", "/sys/fs/cgroup/pids.max"]' ".linux.resources.unified = $2"
}

# ---- 1. create: lifting entries refused, the runtime never runs
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
refused swap-max '{"memory.swap.max":"max"}' memory-limit
refused cpu-max '{"cpu.max":"max 100000"}' cpu-limit
refused cpu-max-suffix '{"cpu.max":"100000000 1000"}' cpu-limit
refused parent-path '{"../pids.max":"max"}' cgroups-path

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

#!/usr/bin/env bash
# Integration (issue 14): verification and the stop's work off the start path, with real runc.
#  - poststart: the hook returns at once and a detached worker verifies and records; no record is
#    lost, also when a hundred containers start at once.
#  - delete: `oci-harden delete` passes runc's exit status and output on; the poststop hook
#    records the stop and removes the idmapped root inside runc's delete, once (the stop token),
#    also when no delete comes through oci-harden (`run`, or runc's own delete).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-offpath.XXXXXX)
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT
[[ -n "${KEEP:-}" ]] && trap - EXIT

# The rootfs a tmpfs of its own (which this kernel idmaps) below a directory closed to others,
# so that create makes an idmapped root (in state_dir $T/run, which others can reach).
mkdir -p "$T/closed/rootfs" && chmod 0700 "$T/closed" && mount -t tmpfs -o mode=0755 tmpfs "$T/closed/rootfs" ||
  { fail "mount a tmpfs on $T/closed/rootfs"; exit_summary; }
make_busybox_rootfs "$T/closed/rootfs"
write_test_policy "$T" /usr/bin/runc
LOG=$T/audit.jsonl
count() { jq -n "[inputs | select($1)] | length" "$LOG"; }  # count FILTER: records matching
# wait_count FILTER N: until N records match (the detached worker records after the start).
wait_count() {
  local i
  for ((i = 0; i < 150; i++)); do
    [[ $(count "$1") -ge $2 ]] && return 0
    sleep 0.1
  done
  return 1
}

# ---- 1. create, start, delete through oci-harden: the stop is recorded once
# (runc 1.1 runs poststart hooks at create already; the verify record is waited for either way)
B=$(make_test_bundle "$T/b-del" "$T/closed/rootfs" '["true"]')
# create's standard streams stay the container's until it ends: files, never a pipe a test reads.
quiet() { "$@" >>"$T/quiet.out" 2>&1 </dev/null; }
check "create through oci-harden" quiet "$OCIH" --root "$T/state" create --bundle "$B" off-del
check "the idmapped root is there after create" test -d "$T/run/off-del/rootfs"
check "start through oci-harden" quiet "$OCIH" --root "$T/state" start off-del
check "the verify record comes (from the detached worker)" wait_count '.event == "verify" and .container == "off-del"' 1
for ((i = 0; i < 50; i++)); do
  [[ $(runc --root "$T/state" state off-del 2>/dev/null | jq -r .status) == stopped ]] && break
  sleep 0.1
done
out=$("$OCIH" --root "$T/state" delete off-del 2>"$T/del.err")
rc=$?
check "delete through oci-harden exits 0" test "$rc" -eq 0
check "delete prints nothing of its own (stdout)" test -z "$out"
check "delete prints nothing of its own (stderr)" test ! -s "$T/del.err"
check "runc no longer has the container" bash -c "! runc --root '$T/state' state off-del >/dev/null 2>&1"
check "one stop record for off-del" test "$(count '.event == "stop" and .container == "off-del"')" -eq 1
check "the stop record is the poststop hook's (it does the stop's work inside runc's delete)" \
  jq_any 'select(.event == "stop" and .container == "off-del") | .recorded_by == null' "$LOG"
check "the idmapped root and the state directory are removed" test ! -e "$T/run/off-del"
# Docker's second delete is `delete --force`, which runc answers with 0 for a container it no
# longer has: no second stop record.
check "a second delete --force exits as runc's does (0)" quiet "$OCIH" --root "$T/state" delete --force off-del
check "still one stop record for off-del" test "$(count '.event == "stop" and .container == "off-del"')" -eq 1
check "one verify record for off-del" test "$(count '.event == "verify" and .container == "off-del"')" -eq 1

# ---- 2. a delete runc refuses: runc's status and words, no record, no words of oci-harden's
runc --root "$T/state" delete off-missing >/dev/null 2>"$T/runc.err"
want=$?
"$OCIH" --root "$T/state" delete off-missing >/dev/null 2>"$T/oh.err"
got=$?
check "delete of a missing container fails as runc's does (status $want)" test "$got" -eq "$want" -a "$want" -ne 0
check "its stderr is runc's alone" \
  cmp <(sed 's/time="[^"]*"//' "$T/runc.err") <(sed 's/time="[^"]*"//' "$T/oh.err")
check "no stop record for a delete that failed" test "$(count '.container == "off-missing"')" -eq 0
check "no stop token or state directory left behind" test ! -e "$T/run/off-missing"

# ---- 3. run: runc deletes the container itself, so the poststop hook records the stop
B=$(make_test_bundle "$T/b-run" "$T/closed/rootfs" '["true"]')
check "run through oci-harden" quiet "$OCIH" --root "$T/state" run --bundle "$B" off-run
check "one stop record for off-run, by the hook" \
  test "$(count '.event == "stop" and .container == "off-run" and .recorded_by == null')" -eq 1
check "the idmapped root of off-run is removed" test ! -e "$T/run/off-run"
check "a verify record for off-run" wait_count '.event == "verify" and .container == "off-run"' 1
# The hook reads the view before it returns: a short container's checks are judged, all ok.
check "off-run's verify record: every check ok (the view was taken before /bin/true ended)" \
  jq_any 'select(.event == "verify" and .container == "off-run") | (.checks | length > 5) and all(.checks[]; .ok)' "$LOG"

# ---- 4. created through oci-harden, deleted by runc itself: the hook still records the stop
B=$(make_test_bundle "$T/b-rdel" "$T/closed/rootfs" '["true"]')
check "create through oci-harden (runc deletes)" quiet "$OCIH" --root "$T/state" create --bundle "$B" off-rdel
check "runc's own delete -f" quiet runc --root "$T/state" delete -f off-rdel
check "one stop record for off-rdel, by the hook" \
  test "$(count '.event == "stop" and .container == "off-rdel" and .recorded_by == null')" -eq 1

# ---- 5. a hundred starts at once: every container's verification is recorded
N=100
for ((i = 0; i < N; i++)); do make_test_bundle "$T/b-many-$i" "$T/closed/rootfs" '["true"]' >/dev/null; done
for ((i = 0; i < N; i++)); do
  "$OCIH" --root "$T/state" run --bundle "$T/b-many-$i" "off-many-$i" >/dev/null 2>>"$T/many.err" &
done
wait
check "$N concurrent runs: $N run records" test "$(count '.event == "run" and (.container | startswith("off-many-"))')" -eq "$N"
wait_count '.event == "verify" and (.container | startswith("off-many-"))' "$N"
check "$N concurrent runs: a verify record for every container" \
  test "$(jq -n '[inputs | select(.event == "verify") | .container | select(startswith("off-many-"))] | unique | length' "$LOG")" -eq "$N"
check "$N concurrent runs: no container verified twice" \
  test "$(count '.event == "verify" and (.container | startswith("off-many-"))')" -eq "$N"
check "$N concurrent runs: every verification judged, all checks ok" \
  test "$(count '.event == "verify" and (.container | startswith("off-many-")) and (.checks | length > 5) and all(.checks[]; .ok)')" -eq "$N"
check "$N concurrent runs: a stop record for every container" \
  test "$(count '.event == "stop" and (.container | startswith("off-many-"))')" -eq "$N"

exit_summary

#!/usr/bin/env bash
# Integration (issue 14, the breaker's two finds): exactly one stop record per container and its
# idmapped root removed, whoever comes, with real runc.
#  (a) `oci-harden delete` SIGKILLed right after the runtime's delete returned, before its own
#      work (a created container has no poststop hook: its delete records the stop,
#      hook_plan.hh): the engine's retry records it, once, and removes the idmapped root; with no
#      retry, the next create of the same id records the earlier container's stop before its own
#      start, and the new container still gets its own record.
#  (b) concurrent `oci-harden delete`s of one container: one stop record, the root gone.
#  (c) a taker that died holding the stop token (left in place by hand, as a hook SIGKILLed
#      between the token and its record leaves it): the next comer takes it over and records.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=${STOP_ONCE_OCIH:-$PWD/bin/oci-harden}  # another build, to see the finds come back
# STOP_ONCE_RUNTIME=crun runs the same under crun (the wrapper keeps the name runc: a path
# oci-harden's runtime checks accept either way).
RUNC=$(command -v "${STOP_ONCE_RUNTIME:-runc}")
[[ -n "$RUNC" ]] || { fail "no ${STOP_ONCE_RUNTIME:-runc} on PATH"; exit_summary; }
T=$(mktemp -d /var/tmp/ocih-stop-once.XXXXXX)
chmod 0711 "$T"
cleanup() {
  local id
  for id in $("$RUNC" --root "$T/state" list -q 2>/dev/null); do "$RUNC" --root "$T/state" delete -f "$id" >/dev/null 2>&1; done
  remove_test_dir "$T" "$T/state"
}
trap cleanup EXIT
[[ -n "${KEEP:-}" ]] && trap - EXIT

# The rootfs a tmpfs of its own (which this kernel idmaps) below a directory closed to others,
# so that create makes an idmapped root (in state_dir $T/run).
mkdir -p "$T/closed/rootfs" && chmod 0700 "$T/closed" && mount -t tmpfs -o mode=0755 tmpfs "$T/closed/rootfs" ||
  { fail "mount a tmpfs on $T/closed/rootfs"; exit_summary; }
make_busybox_rootfs "$T/closed/rootfs"

# The runtime oci-harden runs: runc itself (exec'd, the same process), except that a delete of
# the id in $T/stop-after first stops its parent, the `oci-harden delete` that forked it, and
# writes its pid. The test SIGKILLs that delete once runc has exited (a zombie its stopped
# parent has not reaped): the bad moment, the runtime's delete done and oci-harden's own work
# after it not begun.
mkdir -p "$T/wrap"
cat >"$T/wrap/runc" <<WRAP
#!/bin/bash
if [[ " \$* " == *" delete "* && "\${@: -1}" == "\$(cat "$T/stop-after" 2>/dev/null)" ]]; then
  kill -STOP "\$PPID"
  echo "\$\$" >"$T/runtime.pid"
fi
exec "$RUNC" "\$@"
WRAP
chmod 0755 "$T/wrap/runc"
# delete_killed_after_runtime ID: `oci-harden delete ID`, SIGKILLed at that moment; its status.
delete_killed_after_runtime() {
  local dpid rpid i st=
  echo "$1" >"$T/stop-after"
  rm -f "$T/runtime.pid"
  "$OCIH" --root "$T/state" delete "$1" >/dev/null 2>&1 </dev/null &
  dpid=$!
  for ((i = 0; i < 200; i++)); do
    rpid=$(cat "$T/runtime.pid" 2>/dev/null)
    [[ -n "$rpid" ]] && st=$(awk '{print $3}' "/proc/$rpid/stat" 2>/dev/null)
    [[ "$st" == Z ]] && break
    sleep 0.05
  done
  : >"$T/stop-after"
  kill -KILL "$dpid"
  wait "$dpid" 2>/dev/null
  local rc=$?
  [[ "$st" == Z ]] || { echo "runc's delete did not end while its parent was stopped" >&2; return 99; }
  return "$rc"
}
write_test_policy "$T" "$T/wrap/runc"
LOG=$T/audit.jsonl
count() { jq -n "[inputs | select($1)] | length" "$LOG"; }  # count FILTER: records matching
stops() { count ".event == \"stop\" and .container == \"$1\""; }
quiet() { "$@" >>"$T/quiet.out" 2>&1 </dev/null; }
mounted() { grep -qF " $1 " /proc/self/mountinfo; }
# created ID [ARGS_JSON]: a busybox container (`true` by default) created through oci-harden,
# its idmapped root made.
created() {
  local b
  b=$(make_test_bundle "$T/b-$1" "$T/closed/rootfs" "${2:-[\"true\"]}") &&
    quiet "$OCIH" --root "$T/state" create --bundle "$b" "$1" && mounted "$T/run/$1/rootfs"
}
# gone ID: runc no longer has it, its idmapped root is unmounted and its state directory removed.
gone() {
  ! "$RUNC" --root "$T/state" state "$1" >/dev/null 2>&1 && ! mounted "$T/run/$1/rootfs" && test ! -e "$T/run/$1"
}

# ---- (a) delete SIGKILLed after runc's delete, before its own work
check "(a) create so-kill (an idmapped root)" created so-kill
delete_killed_after_runtime so-kill
rc=$?
check "(a) oci-harden delete was SIGKILLed after runc's delete ended (status 137)" test "$rc" -eq 137
check "(a) no poststop hook in a created container's config" \
  test "$(jq '[.hooks.poststop // [] | .[] | select(.args[1] == "poststop")] | length' "$T/b-so-kill/config.json")" -eq 0
check "(a) the stop is left to the next comer (stop-at-delete kept)" test -e "$T/run/so-kill/stop-at-delete"
check "(a) the engine's retry, delete --force, exits 0" quiet "$OCIH" --root "$T/state" delete --force so-kill
check "(a) one stop record for so-kill, by the retry" \
  test "$(count '.event == "stop" and .container == "so-kill" and .recorded_by == "delete"')" -eq 1 -a "$(stops so-kill)" -eq 1
check "(a) so-kill is gone: runc's state, the idmapped root, the state directory" gone so-kill
check "(a) another retry adds nothing" quiet "$OCIH" --root "$T/state" delete --force so-kill
check "(a) still one stop record for so-kill" test "$(stops so-kill)" -eq 1
# Killed again with no retry after it: the next create of this id records the earlier stop.
check "(a) create so-kill2" created so-kill2
delete_killed_after_runtime so-kill2
check "(a) no stop record for so-kill2 yet" test "$(stops so-kill2)" -eq 0
check "(a) a new container of the same id" created so-kill2
check "(a) its create recorded the earlier container's stop" \
  test "$(count '.event == "stop" and .container == "so-kill2" and .recorded_by == "create"')" -eq 1
check "(a) delete of the new so-kill2" quiet "$OCIH" --root "$T/state" delete so-kill2
check "(a) two stop records for so-kill2, one per container" test "$(stops so-kill2)" -eq 2
check "(a) so-kill2 is gone" gone so-kill2

# ---- (b) concurrent deletes of one container, several rounds (plain and --force)
ROUNDS=${STOP_ONCE_ROUNDS:-12}
DELETES=${STOP_ONCE_DELETES:-4}
made=0
for ((r = 0; r < ROUNDS; r++)); do created "so-con-$r" && made=$((made + 1)); done
check "(b) $ROUNDS containers created" test "$made" -eq "$ROUNDS"
for ((r = 0; r < ROUNDS; r++)); do
  force=
  ((r % 2)) && force=--force
  for ((i = 0; i < DELETES; i++)); do
    "$OCIH" --root "$T/state" delete $force "so-con-$r" >/dev/null 2>>"$T/con.err" </dev/null &
  done
  wait
done
bad=0
for ((r = 0; r < ROUNDS; r++)); do
  n=$(stops "so-con-$r")
  ((n == 1)) || { bad=$((bad + 1)); echo "so-con-$r: $n stop records" >>"$T/con.bad"; }
done
check "(b) $DELETES concurrent deletes x $ROUNDS containers: exactly one stop record each" \
  bash -c "test $bad -eq 0 || cat '$T/con.bad'"
gone_all=0
for ((r = 0; r < ROUNDS; r++)); do gone "so-con-$r" && gone_all=$((gone_all + 1)); done
check "(b) every container gone: runc's state, the idmapped root, the state directory" test "$gone_all" -eq "$ROUNDS"

# ---- (b2) concurrent `delete --force` of running containers: every runc kills, waits and
# destroys, so several deletes may succeed for one container
made=0
for ((r = 0; r < ROUNDS; r++)); do
  created "so-run-$r" '["sleep","60"]' && quiet "$OCIH" --root "$T/state" start "so-run-$r" && made=$((made + 1))
done
check "(b2) $ROUNDS containers running" test "$made" -eq "$ROUNDS"
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < DELETES; i++)); do
    "$OCIH" --root "$T/state" delete --force "so-run-$r" >/dev/null 2>>"$T/run.err" </dev/null &
  done
done
wait
bad=0
: >"$T/run.bad"
for ((r = 0; r < ROUNDS; r++)); do
  n=$(stops "so-run-$r")
  ((n == 1)) || { bad=$((bad + 1)); echo "so-run-$r: $n stop records" >>"$T/run.bad"; }
done
check "(b2) $DELETES concurrent delete --force x $ROUNDS running containers: exactly one stop record each" \
  bash -c "test $bad -eq 0 || cat '$T/run.bad'"
gone_all=0
for ((r = 0; r < ROUNDS; r++)); do gone "so-run-$r" && gone_all=$((gone_all + 1)); done
check "(b2) every container gone" test "$gone_all" -eq "$ROUNDS"

# ---- (c) a token whose taker died before its record is taken over
check "(c) create so-dead" created so-dead
# What a hook SIGKILLed between its token and its record leaves: the token, no "recorded", no lock.
printf '%s\n' 999999 >"$T/run/so-dead/stop-token" && chmod 0600 "$T/run/so-dead/stop-token"
check "(c) delete through oci-harden" quiet "$OCIH" --root "$T/state" delete so-dead
check "(c) one stop record for so-dead, taken over" \
  test "$(count '.event == "stop" and .container == "so-dead" and .taken_over == true')" -eq 1 -a "$(stops so-dead)" -eq 1
check "(c) so-dead is gone" gone so-dead

# ---- (d) the breaker's finds against the created container's stop (issue 14)
# Same id under two runtime roots (two containerd namespaces): the second create is refused, and
# the first container's stop is its own delete's, once.
check "(d) create so-dup under --root state" created so-dup
B=$(make_test_bundle "$T/b-so-dup2" "$T/closed/rootfs" '["true"]')
"$OCIH" --root "$T/state2" create --bundle "$B" so-dup </dev/null >"$T/dup.out" 2>&1
rc=$?
check "(d) so-dup under --root state2 is refused (status $rc)" test "$rc" -ne 0
check "(d) ... naming the other root" grep -q "in use under another runtime root ($T/state" "$T/dup.out"
check "(d) runc under state2 has no so-dup" bash -c "! '$RUNC' --root '$T/state2' state so-dup >/dev/null 2>&1"
check "(d) no stop record for the running so-dup" test "$(stops so-dup)" -eq 0
check "(d) so-dup's idmapped root still mounted" mounted "$T/run/so-dup/rootfs"
check "(d) delete so-dup" quiet "$OCIH" --root "$T/state" delete so-dup
check "(d) one stop record for so-dup, with its own bundle" \
  test "$(count ".event == \"stop\" and .container == \"so-dup\" and .bundle == \"$T/b-so-dup\"")" -eq 1
check "(d) so-dup is gone" gone so-dup
# oci-harden-hook as a createRuntime hook with "poststop" (a spec, ctr --config, Podman's
# --hooks-dir): refused, nothing recorded but the refusal.
HOOK=$(dirname "$OCIH")/oci-harden-hook
B=$(make_test_bundle "$T/b-so-early" "$T/closed/rootfs" '["true"]' \
  ".hooks.createRuntime = [{path: \"$HOOK\", args: [\"oci-harden-hook\", \"poststop\"]}]")
"$OCIH" --root "$T/state" create --bundle "$B" so-early </dev/null >"$T/early.out" 2>&1
rc=$?
check "(d) oci-harden-hook as a createRuntime hook: refused (status $rc)" test "$rc" -eq 1
check "(d) ... naming hooks.createRuntime[0].path" grep -q "hooks.createRuntime\[0\].path" "$T/early.out"
check "(d) no stop record for so-early" test "$(stops so-early)" -eq 0

exit_summary

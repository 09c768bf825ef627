#!/usr/bin/env bash
# Integration (issue 15): learn mode and learned profiles at launch, with real runc and crun.
#   1. learn mode (policy key learn): a busybox workload is recorded under runc and under crun;
#      the recording lists what it ran (getdents64 for ls, clone for the pipeline) and not what
#      it did not (unshare), with dropped 0; the create record says mode "learn" and one
#      seccomp_learn record names the recording;
#   2. a learned profile written by hand from the two recordings (the seen names and the
#      always-allowed ones kept from the generic profile, as `oci-hardenctl profile learn` does)
#      enforced (seccomp_learned, errno): the workload passes, `unshare -U` gets EPERM, and the
#      seccomp_watch record lists unshare as denied; audit mode lets it run and records it;
#      kill ends the caller with SIGSYS;
#   3. a learned profile wider than the policy's is refused at policy load;
#   4. 50 concurrent learn-mode containers under runc each leave a recording with dropped 0;
#   5. exec into a learn-mode container works, and the exec'd process's calls are recorded.
# The generic profile here is the default one plus unshare, so that unshare is something the
# generic profile allows and the workload never uses.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc crun busybox jq timeout bin/oci-harden bin/oci-harden-hook || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-learn.XXXXXX) || { fail "mktemp"; exit_summary; }
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state-runc" "$T/state-crun"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs" || { fail "make_busybox_rootfs"; exit_summary; }
mkdir -p "$T/etc" && chmod 0755 "$T/etc"
jq '.syscalls += [{"names": ["unshare"], "action": "SCMP_ACT_ALLOW"}]' profiles/seccomp-default.json > "$T/etc/generic.json"
chmod 0644 "$T/etc/generic.json"
GENERIC=".seccomp = {profile: \"$T/etc/generic.json\", replace: true}"
WORK='echo hi; ls / >/dev/null; cat /etc/passwd | wc -l'

# start RUNTIME ID SCRIPT: one fresh bundle, run through oci-harden (stdio through a pipe: crun
# chowns files under a user namespace). Prints the container's output.
start() {
  local b=$T/bundle-$2
  make_bundle "$b" --rootfs "$T/rootfs" -- sh -c "$3" >/dev/null || return 1
  (cd "$b" && timeout 60 "$OCIH" --root "$T/state-$1" run "$2" 2>&1 | cat)
}
# wait_record ID EVENT: the recorder writes its record when the container's filter has no users.
wait_record() {
  local i
  for i in $(seq 100); do
    jq_any "select(.container == \"$1\" and .event == \"$2\")" "$T/audit.jsonl" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
record_of() { jq -c "select(.container == \"$1\" and .event == \"$2\")" "$T/audit.jsonl" | tail -n 1; }

# ---- 1. learn mode under runc and crun
for rt in runc crun; do
  write_test_policy "$T" "/usr/bin/$rt" "$GENERIC | .learn = \"busy\" | .learn_dir = \"$T/learn\""
  out=$(start "$rt" "learn-$rt" "$WORK")
  check "$rt learn: the workload ran" grep -qx hi <<<"$out" || printf '%s\n' "$out" | sed 's/^/    | /'
  wait_record "learn-$rt" seccomp_learn
  rec=$T/learn/busy/learn-$rt.json
  check "$rt learn: a recording at <learn_dir>/<name>/<id>.json" test -f "$rec"
  check "$rt learn: the recording is mode 0600" test "$(stat -c %a "$rec" 2>/dev/null)" = 600
  check "$rt learn: it lists getdents64 (ls)" jq -e '[.syscalls[].name] | index("getdents64")' "$rec"
  check "$rt learn: it lists clone with its flags (the pipeline)" \
    jq -e '.syscalls[] | select(.name == "clone") | .args[0].index == 0 and (.args[0].values | length) > 0' "$rec"
  check "$rt learn: it does not list unshare" jq -e '[.syscalls[].name] | index("unshare") | not' "$rec"
  check "$rt learn: dropped 0, notifications > 0" jq -e '.dropped == 0 and .notifications > 0' "$rec"
  check "$rt learn: its fields" jq -e '.oci_harden_recording == 1 and .learn == "busy" and (.base_profile.digest | startswith("sha256:")) and (.always_allowed | index("write"))' "$rec"
  check "$rt learn: the create record says mode learn" \
    jq_any "select(.container == \"learn-$rt\" and .event == \"run\") | .seccomp.mode == \"learn\" and .seccomp.workload == \"busy\"" "$T/audit.jsonl"
  check "$rt learn: one seccomp_learn record naming the recording" \
    test "$(jq -c "select(.container == \"learn-$rt\" and .event == \"seccomp_learn\" and .recording == \"$rec\" and .dropped == 0)" "$T/audit.jsonl" | wc -l)" -eq 1
  check "$rt learn: the socket is gone" test ! -e "$T/run/learn-$rt/seccomp.sock"
done

# the same bundle run again (its config.json names oci-harden's socket now): recorded again
out=$(cd "$T/bundle-learn-crun" && timeout 60 "$OCIH" --root "$T/state-crun" run learn-crun 2>&1 | cat)
check "crun learn, the same bundle again: the workload ran" grep -qx hi <<<"$out" || printf '%s\n' "$out" | sed 's/^/    | /'
for i in $(seq 50); do
  (($(jq -c 'select(.container == "learn-crun" and .event == "seccomp_learn")' "$T/audit.jsonl" | wc -l) >= 2)) && break
  sleep 0.1
done
check "crun learn, the same bundle again: recorded again" \
  test "$(jq -c 'select(.container == "learn-crun" and .event == "seccomp_learn" and .dropped == 0)' "$T/audit.jsonl" | wc -l)" -eq 2

# a container neither recorded nor under a learned profile: the create record names the profile too
write_test_policy "$T" /usr/bin/runc "$GENERIC"
out=$(start runc plain-runc "$WORK")
check "plain: the workload ran" grep -qx hi <<<"$out"
check "plain: the create record's seccomp says source policy, mode enforce, no digest (costly for every create)" \
  jq_any "select(.container == \"plain-runc\" and .event == \"run\") | .seccomp.source == \"policy\" and .seccomp.mode == \"enforce\" and .seccomp.profile == \"$T/etc/generic.json\" and .seccomp.digest == null" "$T/audit.jsonl"

# ---- 2. a learned profile from both recordings, enforced
jq -s --slurpfile g "$T/etc/generic.json" '
  ([.[].syscalls[].name] + .[0].always_allowed | unique) as $keep
  | $g[0] | .syscalls |= map(if .action == "SCMP_ACT_ALLOW"
                              then .names |= map(select(. as $n | $keep | index($n)))
                              else . end | select((.names | length) > 0))' \
  "$T/learn/busy/learn-runc.json" "$T/learn/busy/learn-crun.json" > "$T/etc/busy.json"
chmod 0644 "$T/etc/busy.json"
allowed_learned=$(jq '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length' "$T/etc/busy.json")
allowed_generic=$(jq '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length' "$T/etc/generic.json")
echo "    learned profile: $allowed_learned names allowed, generic: $allowed_generic"
check "the learned profile allows less than a third of the generic one" test $((allowed_learned * 3)) -lt "$allowed_generic"
TRY="$WORK; unshare -U true; echo \"unshare rc=\$?\""
for rt in runc crun; do
  write_test_policy "$T" "/usr/bin/$rt" "$GENERIC | .seccomp_learned = {profile: \"$T/etc/busy.json\"}"
  out=$(start "$rt" "enf-$rt" "$TRY")
  check "$rt enforce: the workload passes" grep -qx hi <<<"$out" || printf '%s\n' "$out" | sed 's/^/    | /'
  check "$rt enforce: unshare -U gets EPERM" grep -q "Operation not permitted" <<<"$out"
  check "$rt enforce: unshare -U fails" grep -qx "unshare rc=1" <<<"$out"
  wait_record "enf-$rt" seccomp_watch
  check "$rt enforce: the create record names the learned profile" \
    jq_any "select(.container == \"enf-$rt\" and .event == \"run\") | .seccomp.source == \"learned\" and .seccomp.mode == \"enforce\" and .seccomp.workload == \"busy\" and .seccomp.allowed == $allowed_learned" "$T/audit.jsonl"
  check "$rt enforce: the watch record lists unshare as denied" \
    jq_any "select(.container == \"enf-$rt\" and .event == \"seccomp_watch\") | .action == \"denied\" and (.violations | map(.name) | index(\"unshare\"))" "$T/audit.jsonl"
done
# audit: the call runs, and is recorded
write_test_policy "$T" /usr/bin/runc "$GENERIC | .seccomp_learned = {profile: \"$T/etc/busy.json\", mode: \"audit\"}"
out=$(start runc audit-runc "$TRY")
check "audit: the workload passes" grep -qx hi <<<"$out"
check "audit: unshare is not refused" bash -c '! grep -q "Operation not permitted" <<<"$1"' _ "$out"
wait_record audit-runc seccomp_watch
check "audit: the watch record lists unshare as recorded" \
  jq_any 'select(.container == "audit-runc" and .event == "seccomp_watch") | .action == "recorded" and (.violations | map(.name) | index("unshare"))' "$T/audit.jsonl"
# kill: the caller ends with SIGSYS (128 + 31)
write_test_policy "$T" /usr/bin/runc "$GENERIC | .seccomp_learned = {profile: \"$T/etc/busy.json\", action: \"kill\"}"
out=$(start runc kill-runc "$TRY")
check "kill: the workload passes" grep -qx hi <<<"$out"
check "kill: unshare -U is killed by SIGSYS" grep -qx "unshare rc=159" <<<"$out" || printf '%s\n' "$out" | sed 's/^/    | /'

# ---- 3. never wider than the policy's profile
jq '.syscalls += [{"names": ["keyctl"], "action": "SCMP_ACT_ALLOW"}]' "$T/etc/busy.json" > "$T/etc/wide.json"
chmod 0644 "$T/etc/wide.json"
write_test_policy "$T" /usr/bin/runc "$GENERIC | .seccomp_learned = {profile: \"$T/etc/wide.json\"}"
out=$(start runc wide-runc "$WORK")
check "wider: the container does not start" bash -c '! grep -qx hi <<<"$1"' _ "$out"
check "wider: the error names the key, the file and the call" \
  grep -q "seccomp_learned.profile: $T/etc/wide.json: it is wider than the policy's profile: it lets through keyctl" <<<"$out" \
  || printf '%s\n' "$out" | sed 's/^/    | /'

# ---- 4. 50 concurrent learn-mode containers under runc
write_test_policy "$T" /usr/bin/runc "$GENERIC | .learn = \"many\" | .learn_dir = \"$T/learn\""
for i in $(seq 50); do
  make_bundle "$T/bundle-many-$i" --rootfs "$T/rootfs" -- sh -c "$WORK" >/dev/null || fail "bundle many-$i"
done
for i in $(seq 50); do
  (cd "$T/bundle-many-$i" && timeout 120 "$OCIH" --root "$T/state-runc" run "many-$i" >/dev/null 2>&1 | cat) &
done
wait
for i in $(seq 50); do wait_record "many-$i" seccomp_learn; done
n=$(ls "$T/learn/many" 2>/dev/null | grep -c '^many-[0-9]*\.json$')
check "50 concurrent: 50 recordings" test "$n" -eq 50
bad=$(for f in "$T"/learn/many/*.json; do jq -r 'select(.dropped != 0 or .notifications == 0) | .container_id' "$f"; done)
check "50 concurrent: every recording has dropped 0 and notifications" test -z "$bad"
check "50 concurrent: 50 seccomp_learn records, dropped 0" \
  test "$(jq -c 'select(.event == "seccomp_learn" and .workload == "many" and .dropped == 0)' "$T/audit.jsonl" | wc -l)" -eq 50

# ---- 5. exec into a learn-mode container (runc): the recorder keeps its socket for the exec'd
# process's filter, answers it, and records its calls with the container's.
write_test_policy "$T" /usr/bin/runc "$GENERIC | .learn = \"execd\" | .learn_dir = \"$T/learn\""
make_bundle "$T/bundle-execd" --rootfs "$T/rootfs" -- sleep 3 >/dev/null || fail "bundle execd"
(cd "$T/bundle-execd" && timeout 60 "$OCIH" --root "$T/state-runc" create execd </dev/null >/dev/null 2>&1)
timeout 60 "$OCIH" --root "$T/state-runc" start execd
out=$(timeout 30 "$OCIH" --root "$T/state-runc" exec execd ls /etc 2>&1)
check "exec into a learn-mode container works (runc exec connects to the recorder again)" grep -qx passwd <<<"$out" \
  || printf '%s\n' "$out" | sed 's/^/    | /'
timeout 30 "$OCIH" --root "$T/state-runc" kill execd KILL >/dev/null 2>&1
for i in $(seq 50); do [[ "$(timeout 10 runc --root "$T/state-runc" state execd 2>/dev/null | jq -r .status)" == stopped ]] && break; sleep 0.1; done
timeout 30 "$OCIH" --root "$T/state-runc" delete execd >/dev/null 2>&1
check "the exec'd process's calls are in the container's recording (getdents64 from ls)" \
  bash -c "for i in \$(seq 100); do [[ -f '$T/learn/execd/execd.json' ]] && break; sleep 0.1; done; jq -e '(.dropped == 0) and ([.syscalls[].name] | index(\"getdents64\") != null)' '$T/learn/execd/execd.json'"

exit_summary

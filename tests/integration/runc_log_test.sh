#!/usr/bin/env bash
# Integration: oci-harden's diagnostics next to runc's own. A record oci-harden writes to runc's
# --log file has the shape runc 1.1.5 gives its own records (text and JSON, with and without
# --debug, the same time format and zone), containerd's way of finding the last error finds it,
# stderr carries the bare message and no debug record, and a --debug create leaves a file that
# is still one JSON record per line once runc has added its own.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
HOOK=$PWD/bin/oci-harden-hook
T=$(mktemp -d /var/tmp/ocih-runclog.XXXXXX)
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc"
jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
  '{runtime: "/usr/bin/runc", audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() {  # new_bundle NAME [jq filter on config.json]
  local b=$T/$1
  mkdir -p "$b"
  (cd "$b" && runc spec)
  jq --arg root "$T/rootfs" ".root.path = \$root | .process.terminal = false | .process.args = [\"sleep\",\"30\"] ${2:+| $2}" \
    "$b/config.json" > "$b/c.tmp" && mv "$b/c.tmp" "$b/config.json"
  echo "$b"
}

# A record with its values replaced by their names: what is left is the shape (keys, their
# order, quoting, separators).
shape() {
  sed -E 's/"time":"[^"]*"/"time":T/; s/"msg":"([^"\\]|\\.)*"/"msg":M/; s/"file":"[^"]*"/"file":F/; s/"func":"[^"]*"/"func":G/;
          s/time="[^"]*"/time=T/; s/msg=("([^"\\]|\\.)*"|[^ ]*)/msg=M/; s/func="[^"]*"/func=G/; s/file="[^"]*"/file=F/' "$1"
}

REFUSED=$(new_bundle refused '.linux.namespaces |= map(select(.type != "network"))')

# ---- 1. the same shape as runc's own record, for each format, with and without --debug
for fmt in json text; do
  for dbg in "" --debug; do
    name="$fmt${dbg:+ $dbg}"
    rm -f "$T/runc.log" "$T/ours.log"
    runc $dbg --root "$T/state" --log "$T/runc.log" --log-format "$fmt" state no-such-container >/dev/null 2>&1
    "$OCIH" $dbg --root "$T/state" --log "$T/ours.log" --log-format "$fmt" run --bundle "$REFUSED" c-refused \
      >"$T/out" 2>"$T/err"
    rc=$?
    check "$name: the refused run exits 1" test "$rc" -eq 1
    # Under --debug the audit append also logs its lock wait (bench/concurrency.sh reads it):
    # one debug record, set aside here; without --debug there is none.
    if [[ -n "$dbg" ]]; then
      check "$name: the audit record's lock wait, one debug record" \
        test "$(grep -c 'audit record: lock waited [0-9]* us, held [0-9]* us, fdatasync [0-9]* us' "$T/ours.log")" -eq 1
      grep -v 'audit record: lock waited' "$T/ours.log" > "$T/ours.tmp" && mv "$T/ours.tmp" "$T/ours.log"
    fi
    check "$name: one record in our --log" test "$(wc -l < "$T/ours.log")" -eq 1
    check "$name: our record has runc's shape ($(shape "$T/runc.log"))" \
      diff <(shape "$T/runc.log") <(shape "$T/ours.log")
    check "$name: stderr is the bare message, one line, then its fix" \
      bash -c "test \"\$(wc -l < '$T/err')\" -eq 2 && head -n 1 '$T/err' | grep -qx 'oci-harden: refused by host-namespaces: .*network namespace missing.*' && tail -n 1 '$T/err' | grep -q '^  fix: .*--network=host'"
    check "$name: nothing on stdout" test ! -s "$T/out"
  done
done

# The time: Go's RFC3339 in the local zone, as runc stamps it.
rm -f "$T/runc.log" "$T/ours.log"
TZ=Asia/Kolkata runc --root "$T/state" --log "$T/runc.log" --log-format json state no-such-container >/dev/null 2>&1
TZ=Asia/Kolkata "$OCIH" --root "$T/state" --log "$T/ours.log" --log-format json run --bundle "$REFUSED" c-refused >/dev/null 2>&1
check "the time zone is runc's (TZ=Asia/Kolkata: +05:30)" bash -c \
  "jq -e '.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+]05:30\$\")' '$T/runc.log' '$T/ours.log' >/dev/null"

# ---- 2. containerd reads the last error-level record (pkg/process getLastRuntimeError): ours
rm -f "$T/ours.log"
echo '{"level":"info","msg":"earlier","time":"2026-01-01T00:00:00Z"}' > "$T/ours.log"
"$OCIH" --debug --root "$T/state" --log "$T/ours.log" --log-format json run --bundle "$REFUSED" c-refused >/dev/null 2>"$T/err"
check "the last error record is the refusal, as stderr has it" bash -c \
  "test \"oci-harden: \$(jq -rs '[.[] | select(.level == \"error\")] | last | .msg | ltrimstr(\"oci-harden: \")' '$T/ours.log')\" = \"\$(cat '$T/err')\""
check "an earlier record is kept (append)" bash -c "head -n 1 '$T/ours.log' | grep -q earlier"

# ---- 3. --debug on a container that starts: our debug record, then runc's, one JSON each
B=$(new_bundle started)
rm -f "$T/debug.log"
"$OCIH" --debug --root "$T/state" --log "$T/debug.log" --log-format json create --bundle "$B" c-debug \
  </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "--debug create exits 0" test "$rc" -eq 0 || cat "$T/err"
check "--debug: every line of the log is one JSON record" bash -c "jq -c . '$T/debug.log' >/dev/null && test \"\$(jq -c . '$T/debug.log' | wc -l)\" -eq \"\$(wc -l < '$T/debug.log')\""
check "--debug: the first record is ours, after the audit lock line (debug, the runtime it executes, the caller)" bash -c \
  "grep -v 'audit record: lock waited' '$T/debug.log' | head -n 1 | jq -e '.level == \"debug\" and .msg == \"oci-harden: create: exec /usr/bin/runc\" and (.file | startswith(\"shim/cli/main.cc:\")) and .func == \"main\"'"
check "--debug: runc's own records follow" test "$(wc -l < "$T/debug.log")" -ge 2
check "--debug: nothing of ours on stderr" bash -c "! grep -q 'oci-harden' '$T/err'"

# A pass-through command under --debug: runc's output alone, on both streams.
"$OCIH" --debug --root "$T/state" --log "$T/debug.log" state c-debug >"$T/ours.out" 2>"$T/ours.err"
runc --debug --root "$T/state" --log "$T/runc-debug.log" state c-debug >"$T/runc.out" 2>"$T/runc.err"
check "--debug state: stdout is runc's" diff "$T/runc.out" "$T/ours.out"
check "--debug state: stderr is runc's" diff "$T/runc.err" "$T/ours.err"
runc --root "$T/state" delete -f c-debug >/dev/null 2>&1

# ---- 4. the hook's messages reach stderr bare (runc puts them in its hook error)
out=$(echo 'not json' | "$HOOK" poststart 2>&1)
rc=$?
check "hook: a bad state exits 1" test "$rc" -eq 1
check "hook: one bare line on stderr" test "$out" = "oci-harden-hook: the runtime's state on stdin is not a JSON object"

exit_summary

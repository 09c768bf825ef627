#!/usr/bin/env bash
# The edge of exec and update, live through bin/oci-harden with a logging fake runtime (it answers
# `state` with the container's bundle, records every other call and what it read on stdin):
#   - a failure after the decision (the --process file cannot be rewritten: read-only directory;
#     cannot be replaced: immutable file) is on record as refused, never as applied, and the
#     runtime is not executed;
#   - disabled_rules ["exec"] / ["update"]: the request reaches the runtime as it came, recorded
#     "unchanged"; enabled, CAP_SYS_ADMIN is dropped and limits are clamped;
#   - update -r -: the runtime reads the clamped resources on its stdin (audit mode: as sent);
#   - the runtime failing to execute after an applied create is on record (refused, after-decision);
#   - a host-network refusal is on record with its structured field and kind.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc jq chattr mount umount || exit_summary

OCIH=$PWD/bin/oci-harden
[[ -x "$OCIH" ]] || { fail "bin/oci-harden missing" "run make first"; exit_summary; }

T=$(mktemp -d /var/tmp/ocih-edge.XXXXXX)
chmod 0711 "$T"
cleanup() {
  chattr -i "$T"/p/* >/dev/null 2>&1
  umount "$T/ro" >/dev/null 2>&1
  remove_test_dir "$T"
}
trap cleanup EXIT

mkdir -p "$T/c1/rootfs" "$T/etc" "$T/p" "$T/ro"
(cd "$T/c1" && runc spec) || { fail "runc spec"; exit_summary; }
printf '{"id":"c1","pid":0,"status":"running","bundle":"%s"}\n' "$T/c1" > "$T/state.json"
cat > "$T/fake-runtime" <<EOF
#!/bin/sh
case " \$* " in
  *" state "*) cat "$T/state.json"; exit 0 ;;
esac
echo "\$*" >> "$T/runtime.log"
case " \$* " in
  *" update "*) cat > "$T/update.stdin" ;;
esac
EOF
chmod 0755 "$T/fake-runtime"
: > "$T/runtime.log"

# policy FILE [jq filter]: a root-owned policy with the fake runtime and a private audit log.
policy() {
  jq -n --arg rt "$T/fake-runtime" --arg log "$T/audit.jsonl" --arg st "$T/state" \
    "{runtime: \$rt, audit_log: \$log, user_namespace: {state_dir: \$st}, exec: {escalation: \"clamp\"}} ${2:+| $2}" > "$1"
  chmod 0644 "$1"
}
policy "$T/etc/policy.json"
policy "$T/etc/no-exec.json" '.disabled_rules = ["exec", "update"]'
policy "$T/etc/audit.json" '.mode = "audit"'
export OCI_HARDEN_POLICY=$T/etc/policy.json

# A --process file asking for CAP_SYS_ADMIN, without no_new_privs: the rule rewrites it.
jq '.process | .noNewPrivileges = false | .capabilities.bounding += ["CAP_SYS_ADMIN"] | .capabilities.effective += ["CAP_SYS_ADMIN"]' \
  "$T/c1/config.json" > "$T/proc.json"

runs() { wc -l < "$T/runtime.log"; }
last_exec() { jq -c 'select(.event == "exec")' "$T/audit.jsonl" | tail -n 1; }
ocih() { (cd / && timeout 20 "$OCIH" "$@" </dev/null >"$T/out" 2>"$T/err"); }

# ---- exec --process: the rewrite cannot be prepared (read-only directory)
cp "$T/proc.json" "$T/ro/proc.json"
mount --bind "$T/ro" "$T/ro" && mount -o remount,bind,ro "$T/ro" || { fail "read-only bind mount"; exit_summary; }
before=$(runs)
: > "$T/audit.jsonl"
ocih --root "$T/rs" exec --process "$T/ro/proc.json" c1
rc=$?
check "exec --process, read-only directory: fails" test "$rc" -ne 0
check "exec --process, read-only directory: runtime not executed" test "$(runs)" -eq "$before"
check "exec --process, read-only directory: on record as refused" \
  jq -e -s '[.[] | select(.event == "exec")] | length == 1 and .[0].decision == "refused" and (.[0].refused | length > 0)' "$T/audit.jsonl"
umount "$T/ro"

# ---- exec --process: the rewrite cannot replace the file (immutable)
cp "$T/proc.json" "$T/p/immutable.json"
chattr +i "$T/p/immutable.json" || { fail "chattr +i"; exit_summary; }
before=$(runs)
: > "$T/audit.jsonl"
ocih --root "$T/rs" exec --process "$T/p/immutable.json" c1
rc=$?
chattr -i "$T/p/immutable.json"
check "exec --process, immutable file: fails" test "$rc" -ne 0
check "exec --process, immutable file: runtime not executed" test "$(runs)" -eq "$before"
check "exec --process, immutable file: last exec record is refused, not applied" \
  test "$(last_exec | jq -r .decision)" = refused
check "exec --process, immutable file: no temporary file left" bash -c "! ls -A '$T/p' | grep -q '^\.'"

# ---- exec: enabled, CAP_SYS_ADMIN dropped; disabled_rules ["exec"]: as it came
cp "$T/proc.json" "$T/p/on.json"
: > "$T/audit.jsonl"
ocih --root "$T/rs" exec --process "$T/p/on.json" c1
check "exec rule on: runs" test $? -eq 0
check "exec rule on: CAP_SYS_ADMIN dropped from the file" bash -c "! grep -q CAP_SYS_ADMIN '$T/p/on.json'"
check "exec rule on: on record as applied" test "$(last_exec | jq -r .decision)" = applied
cp "$T/proc.json" "$T/p/off.json"
: > "$T/audit.jsonl"
OCI_HARDEN_POLICY=$T/etc/no-exec.json ocih --root "$T/rs" exec --process "$T/p/off.json" c1
check "disabled_rules exec: runs" test $? -eq 0
check "disabled_rules exec: the file keeps CAP_SYS_ADMIN" grep -q CAP_SYS_ADMIN "$T/p/off.json"
check "disabled_rules exec: on record as unchanged, no changes" \
  bash -c "last=\$(jq -c 'select(.event == \"exec\")' '$T/audit.jsonl' | tail -n 1); jq -e '.decision == \"unchanged\" and (.changes | length == 0)' <<<\"\$last\""
OCI_HARDEN_POLICY=$T/etc/no-exec.json ocih --root "$T/rs" exec --cap CAP_SYS_ADMIN c1 sh
check "disabled_rules exec: --cap CAP_SYS_ADMIN reaches the runtime" \
  bash -c "tail -n 1 '$T/runtime.log' | grep -q -- '--cap CAP_SYS_ADMIN'"
ocih --root "$T/rs" exec --cap CAP_SYS_ADMIN c1 sh
check "exec rule on: --cap CAP_SYS_ADMIN removed from the runtime's argv" \
  bash -c "! tail -n 1 '$T/runtime.log' | grep -q CAP_SYS_ADMIN"

# ---- update -r -: what the runtime reads on stdin
upd() {  # upd POLICY JSON: update -r - with JSON on stdin
  (cd / && printf '%s' "$2" | OCI_HARDEN_POLICY=$1 timeout 20 "$OCIH" --root "$T/rs" update -r - c1 >"$T/out" 2>"$T/err")
}
rm -f "$T/update.stdin"
upd "$T/etc/policy.json" '{"pids":{"limit":-1}}'
check "update -r -: runs" test $? -eq 0
check "update -r -: the runtime reads the clamped limit" jq -e '.pids.limit == 32768' "$T/update.stdin"
rm -f "$T/update.stdin"
upd "$T/etc/no-exec.json" '{"pids":{"limit":-1}}'
check "disabled_rules update: the runtime reads the limit as sent" jq -e '.pids.limit == -1' "$T/update.stdin"
rm -f "$T/update.stdin"
upd "$T/etc/audit.json" '{"pids":{"limit":-1}}'
check "audit mode: the runtime reads the limit as sent" jq -e '.pids.limit == -1' "$T/update.stdin"

# ---- the runtime cannot be executed after an applied create: that is on record too
printf '#!/nonexistent/interpreter\n' > "$T/bad-interp" && chmod 0755 "$T/bad-interp"
policy "$T/etc/bad-runtime.json" ".runtime = \"$T/bad-interp\""
mkdir -p "$T/bi/rootfs" && cp "$T/c1/config.json" "$T/bi/config.json"
: > "$T/audit.jsonl"
(cd "$T/bi" && OCI_HARDEN_POLICY=$T/etc/bad-runtime.json timeout 20 "$OCIH" --root "$T/rs" create bi </dev/null >/dev/null 2>&1)
check "runtime exec fails: exit 7" test $? -eq 7
check "runtime exec fails: applied, then a refused record naming the failure" \
  jq -e -s 'map(select(.event == "create")) | length == 2 and .[0].decision == "applied" and .[1].decision == "refused"
            and .[1].refused[0].rule == "host-action" and .[1].refused[0].kind == "after-decision"' "$T/audit.jsonl"

# ---- a host-network refusal: structured field and kind on record
mkdir -p "$T/hn/rootfs"
jq '.linux.namespaces |= map(select(.type != "network"))' "$T/c1/config.json" > "$T/hn/config.json"
: > "$T/audit.jsonl"
(cd "$T/hn" && timeout 20 "$OCIH" --root "$T/rs" create hn </dev/null >/dev/null 2>&1)
check "host network: refused" jq -e 'select(.event == "create") | .decision == "refused"' "$T/audit.jsonl"
check "host network: the refusal names its field and kind" \
  jq -e 'select(.event == "create") | .refused[] | select(.rule == "host-namespaces" and .field == "linux.namespaces" and .kind == "host-network-namespace")' "$T/audit.jsonl"

exit_summary

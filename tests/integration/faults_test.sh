#!/usr/bin/env bash
# Faults: what the real bin/oci-harden does when its inputs or the machine fail it. For each: the
# exit status (shim/cli/exit_codes.hh), one line on stderr naming the file (and the field, where one
# is at fault), config.json intact byte for byte (or whole and hardened), no temporary file left,
# and, through a logging fake runtime, proof that the runtime was not executed when it must not be.
#
#   policy    missing, unreadable (root without CAP_DAC_*), a directory, a FIFO, empty, corrupt,
#             wrong type, unknown key, world-writable, group-writable directory, not root-owned
#   config    missing, empty, truncated, a directory, a FIFO, a symlink out of the bundle, 65 MiB,
#             bundle directory missing
#   bundle    read-only (ro bind mount), immutable directory, immutable config.json
#   disk      full tmpfs when writing the new config
#   audit     directory missing (one level: created; two: exit 6), full, a symlink;
#             audit_failure "allow" proceeds
#   runtime   missing, not executable, a directory, oci-harden itself, a script whose interpreter
#             is missing (exec fails after the rewrite)
#   SIGKILL   at random points of 100 creates of a 3 MB config: old or new file, never a partial one
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc jq sha256sum setpriv chattr mkfifo || exit_summary

OCIH=$PWD/bin/oci-harden
[[ -x "$OCIH" ]] || { fail "bin/oci-harden missing" "run make first"; exit_summary; }

T=$(mktemp -d /var/tmp/ocih-faults.XXXXXX)
chmod 0711 "$T"
cleanup() {
  chattr -R -i "$T" >/dev/null 2>&1
  remove_test_dir "$T"
}
trap cleanup EXIT

# ---- fixtures
cat > "$T/fake-runtime" <<EOF
#!/bin/sh
echo "\$*" >> "$T/runtime.log"
EOF
chmod 0755 "$T/fake-runtime"
: > "$T/runtime.log"

mkdir -p "$T/etc" "$T/audit"
chmod 0755 "$T/etc"
# write_policy FILE [jq filter]: a root-owned 0644 policy with the fake runtime and private paths.
write_policy() {
  local file=$1
  jq -n --arg rt "$T/fake-runtime" --arg log "$T/audit/audit.jsonl" --arg st "$T/state" \
    "{runtime: \$rt, audit_log: \$log, user_namespace: {state_dir: \$st}} ${2:+| $2}" > "$file"
  chmod 0644 "$file"
  chown root:root "$file"
}
write_policy "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json

mkdir -p "$T/tpl/rootfs"
(cd "$T/tpl" && runc spec) || { fail "runc spec"; exit_summary; }
jq '.process.terminal = false | .process.noNewPrivileges = false' "$T/tpl/config.json" > "$T/tpl/c" &&
  mv "$T/tpl/c" "$T/tpl/config.json"

n=0
new_bundle() {  # new_bundle: BUNDLE= a fresh bundle (config.json from the template)
  n=$((n + 1))
  BUNDLE=$T/b/$n
  mkdir -p "$BUNDLE/rootfs"
  cp "$T/tpl/config.json" "$BUNDLE/config.json"
}
sha() { sha256sum < "$1" | cut -d' ' -f1; }

# attempt BUNDLE [VAR=VALUE...]: one `create`; sets RC, ERR (stderr text), EXECED (runtime runs).
attempt() {
  local b=$1 before
  shift
  before=$(wc -l < "$T/runtime.log")
  ID=c$n-$RANDOM
  (cd / && env "$@" timeout 20 "$OCIH" --root "$T/rs" --log "$T/runc.log" --log-format json \
    create --bundle "$b" "$ID") > "$T/stdout" 2> "$T/stderr"
  RC=$?
  ERR=$(cat "$T/stderr")
  EXECED=$(($(wc -l < "$T/runtime.log") - before))
}

one_line_with() {  # one_line_with TEXT...: stderr is one line containing every TEXT (a refusal's "  fix:" lines aside)
  local t
  [[ $(printf '%s\n' "$ERR" | grep -vc '^  fix: ') -eq 1 && -n "$ERR" ]] || { echo "stderr: $ERR"; return 1; }
  for t in "$@"; do
    [[ "$ERR" == *"$t"* ]] || { echo "stderr lacks \"$t\": $ERR"; return 1; }
  done
}

# expect_failure NAME CODE TEXT...: exit CODE, one stderr line with every TEXT, runtime not run.
expect_failure() {
  local name=$1 code=$2
  shift 2
  check "$name: exit $code" test "$RC" -eq "$code" || echo "    | stderr: $ERR"
  check "$name: one line on stderr naming ${1:-it}" one_line_with "$@"
  check "$name: runtime not executed" test "$EXECED" -eq 0
}

intact() {  # intact NAME BUNDLE SHA
  check "$1: config.json intact byte for byte" test "$(sha "$2/config.json")" = "$3"
}
no_temp() {  # no_temp NAME BUNDLE
  check "$1: no temporary file left" bash -c "! ls -A '$2' | grep -q '^\.config\.json\.oci-harden\.'"
}

# ---- baseline: a clean create runs the runtime once with the same argv; a refused one does not
new_bundle; B=$BUNDLE
attempt "$B"
check "baseline: exit 0" test "$RC" -eq 0 || echo "    | $ERR"
check "baseline: runtime executed once" test "$EXECED" -eq 1
check "baseline: runtime got the same argv" \
  grep -qx -- "--root $T/rs --log $T/runc.log --log-format json create --bundle $B $ID" "$T/runtime.log"
check "baseline: config.json hardened" jq -e '.process.noNewPrivileges == true' "$B/config.json"
no_temp "baseline" "$B"

new_bundle; B=$BUNDLE
jq '.process.capabilities.bounding = [range(0;38) as $i | "CAP_\($i)"] |
    .linux.namespaces |= map(select(.type != "network"))' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
S=$(sha "$B/config.json")
attempt "$B"
expect_failure "refused container" 1 "refused by host-namespaces" "network namespace missing"
intact "refused container" "$B" "$S"
check "refused container: reason in runc's --log (JSON, level error)" \
  bash -c "tail -n 1 '$T/runc.log' | jq -e '.level == \"error\" and (.msg | contains(\"network namespace missing\"))'"
check "refused container: audit record 'refused'" \
  bash -c "jq -e 'select(.container == \"$ID\" and .decision == \"refused\")' '$T/audit/audit.jsonl' >/dev/null"

# ---- policy faults
policy_case() {  # policy_case NAME POLICY_PATH CODE TEXT...
  local name=$1 pol=$2 code=$3 b s
  shift 3
  new_bundle; b=$BUNDLE
  s=$(sha "$b/config.json")
  attempt "$b" OCI_HARDEN_POLICY="$pol"
  expect_failure "$name" "$code" "$@"
  intact "$name" "$b" "$s"
}
P=$T/p
mkdir -p "$P" && chmod 0755 "$P"

policy_case "policy missing" "$P/nope.json" 3 "$P/nope.json" "No such file or directory"

write_policy "$P/unreadable.json"
chmod 0000 "$P/unreadable.json"
new_bundle; b=$BUNDLE; s=$(sha "$b/config.json")
# Root reads any file; without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH mode 0000 stops it.
before=$(wc -l < "$T/runtime.log")
(cd / && OCI_HARDEN_POLICY="$P/unreadable.json" timeout 20 setpriv --bounding-set -dac_override,-dac_read_search \
  "$OCIH" --root "$T/rs" create --bundle "$b" unreadable) > "$T/stdout" 2> "$T/stderr"
RC=$? ERR=$(cat "$T/stderr") EXECED=$(($(wc -l < "$T/runtime.log") - before))
expect_failure "policy unreadable (root without CAP_DAC_OVERRIDE)" 3 "$P/unreadable.json" "Permission denied"
intact "policy unreadable" "$b" "$s"

mkdir -p "$P/dir.json"
policy_case "policy is a directory" "$P/dir.json" 3 "$P/dir.json" "not a regular file"

mkfifo -m 0644 "$P/fifo.json"
policy_case "policy is a FIFO (no writer: must not block)" "$P/fifo.json" 3 "$P/fifo.json" "not a regular file"

: > "$P/empty.json"; chmod 0644 "$P/empty.json"
policy_case "policy empty" "$P/empty.json" 3 "$P/empty.json"

write_policy "$P/corrupt.json"
head -c 40 "$T/etc/policy.json" > "$P/c" && cat "$P/c" > "$P/corrupt.json"
policy_case "policy corrupt (truncated JSON)" "$P/corrupt.json" 3 "$P/corrupt.json" "invalid JSON"

write_policy "$P/type.json" '.mode = 5'
policy_case "policy field of the wrong type" "$P/type.json" 3 "$P/type.json" "mode"

write_policy "$P/value.json" '.audit_failure = "maybe"'
policy_case "policy field with a bad value" "$P/value.json" 3 "$P/value.json" "audit_failure"

write_policy "$P/unknown.json" '.capabilites = []'
policy_case "policy unknown key (a typo)" "$P/unknown.json" 3 "$P/unknown.json" "capabilites"

write_policy "$P/ww.json"
chmod 0666 "$P/ww.json"
policy_case "policy world-writable" "$P/ww.json" 3 "$P/ww.json" "writable by group or others"

mkdir -p "$T/gw" && chmod 0775 "$T/gw" && write_policy "$T/gw/policy.json"
policy_case "policy in a group-writable directory" "$T/gw/policy.json" 3 "$T/gw" "writable by group or others"

write_policy "$P/owned.json"
chown 1000:1000 "$P/owned.json"
policy_case "policy not owned by root" "$P/owned.json" 3 "$P/owned.json" "not owned by root (uid 1000)"

mkdir -p "$T/od" && chmod 0755 "$T/od" && write_policy "$T/od/policy.json" && chown 1000 "$T/od"
policy_case "policy directory not owned by root" "$T/od/policy.json" 3 "$T/od" "not owned by root"

# ---- config.json faults
config_case() {  # config_case NAME BUNDLE CODE TEXT...
  local name=$1 b=$2 code=$3
  shift 3
  attempt "$b"
  expect_failure "$name" "$code" "$@"
  no_temp "$name" "$b"
}
new_bundle; b=$BUNDLE; rm "$b/config.json"
config_case "config.json missing" "$b" 4 "$b/config.json" "No such file or directory"
check "config.json missing: audit record 'refused' by rule spec" \
  bash -c "jq -e 'select(.container == \"$ID\" and .decision == \"refused\" and .refused[0].rule == \"spec\")' '$T/audit/audit.jsonl' >/dev/null"

new_bundle; b=$BUNDLE; : > "$b/config.json"
config_case "config.json empty" "$b" 4 "$b/config.json"
check "config.json empty: still empty" test ! -s "$b/config.json"

new_bundle; b=$BUNDLE; head -c 700 "$T/tpl/config.json" > "$b/config.json"; s=$(sha "$b/config.json")
config_case "config.json truncated" "$b" 4 "$b/config.json" "invalid JSON"
intact "config.json truncated" "$b" "$s"

new_bundle; b=$BUNDLE; rm "$b/config.json"; mkdir "$b/config.json"
config_case "config.json a directory" "$b" 4 "$b/config.json" "not a regular file"

new_bundle; b=$BUNDLE; rm "$b/config.json"; mkfifo "$b/config.json"
config_case "config.json a FIFO (must not block)" "$b" 4 "$b/config.json" "not a regular file"

cp "$T/tpl/config.json" "$T/outside.json"; s=$(sha "$T/outside.json")
new_bundle; b=$BUNDLE; rm "$b/config.json"; ln -s "$T/outside.json" "$b/config.json"
config_case "config.json a symlink out of the bundle" "$b" 4 "$b/config.json" "symbolic link"
check "config.json symlink: the file outside is untouched" test "$(sha "$T/outside.json")" = "$s"
check "config.json symlink: still a symlink" test -L "$b/config.json"

new_bundle; b=$BUNDLE; rm "$b/config.json"; ln -s /etc/passwd "$b/config.json"; s=$(sha /etc/passwd)
config_case "config.json a symlink to /etc/passwd" "$b" 4 "$b/config.json" "symbolic link"
check "config.json symlink: /etc/passwd untouched" test "$(sha /etc/passwd)" = "$s"

new_bundle; b=$BUNDLE; truncate -s 65M "$b/config.json"
config_case "config.json of 65 MiB" "$b" 4 "$b/config.json" "larger than"

config_case "bundle directory missing" "$T/b/no-such-bundle" 5 "$T/b/no-such-bundle" "No such file or directory"

# ---- a bundle that cannot be written
new_bundle; b=$BUNDLE; s=$(sha "$b/config.json")
mount --bind "$b" "$b" && mount -o remount,bind,ro "$b"
attempt "$b"
expect_failure "bundle read-only (ro bind mount)" 5 "$b/config.json" "Read-only file system"
intact "bundle read-only" "$b" "$s"
umount "$b"
no_temp "bundle read-only" "$b"

new_bundle; b=$BUNDLE; s=$(sha "$b/config.json")
chattr +i "$b"
attempt "$b"
expect_failure "bundle directory immutable" 5 "$b/config.json" "Operation not permitted"
chattr -i "$b"
intact "bundle directory immutable" "$b" "$s"
no_temp "bundle directory immutable" "$b"

new_bundle; b=$BUNDLE; s=$(sha "$b/config.json")
chattr +i "$b/config.json"
attempt "$b"
expect_failure "config.json immutable (rename fails)" 5 "$b/config.json" "rename"
chattr -i "$b/config.json"
intact "config.json immutable" "$b" "$s"
no_temp "config.json immutable" "$b"

# ---- disk full when writing the new config: the old one stays, byte for byte
mkdir -p "$T/small"
mount -t tmpfs -o size=1m tmpfs "$T/small"
mkdir -p "$T/small/b/rootfs"
jq '.annotations["x.pad"] = ("y" * 200000)' \
  "$T/tpl/config.json" > "$T/small/b/config.json"
s=$(sha "$T/small/b/config.json")
dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null  # until ENOSPC
attempt "$T/small/b"
expect_failure "disk full" 5 "$T/small/b/config.json" "No space left on device"
intact "disk full" "$T/small/b" "$s"
no_temp "disk full" "$T/small/b"
rm -f "$T/small/fill"
attempt "$T/small/b"
check "disk full: after space is freed the same create succeeds" test "$RC" -eq 0 -a "$EXECED" -eq 1

# ---- audit faults
audit_case() {  # audit_case NAME FILTER CODE TEXT...: policy with FILTER, expect a failure
  local name=$1 filter=$2 code=$3 b s
  shift 3
  write_policy "$P/audit.json" "$filter"
  new_bundle; b=$BUNDLE; s=$(sha "$b/config.json")
  attempt "$b" OCI_HARDEN_POLICY="$P/audit.json"
  expect_failure "$name" "$code" "$@"
  intact "$name" "$b" "$s"
  no_temp "$name" "$b"
}
audit_case "audit directory missing (two levels)" ".audit_log = \"$T/nodir/sub/audit.jsonl\"" 6 \
  "cannot write the audit record" "$T/nodir/sub"

write_policy "$P/audit.json" ".audit_log = \"$T/onelevel/audit.jsonl\""
new_bundle; b=$BUNDLE
attempt "$b" OCI_HARDEN_POLICY="$P/audit.json"
check "audit directory missing (one level): created, exit 0" test "$RC" -eq 0 -a "$EXECED" -eq 1
check "audit directory missing (one level): created 0700 with one record" \
  bash -c "test \"\$(stat -c %a '$T/onelevel')\" = 700 && test \"\$(wc -l < '$T/onelevel/audit.jsonl')\" -eq 1"

write_policy "$P/audit.json" ".audit_log = \"$T/nodir2/sub/audit.jsonl\" | .audit_failure = \"allow\""
new_bundle; b=$BUNDLE
attempt "$b" OCI_HARDEN_POLICY="$P/audit.json"
check "audit directory missing, audit_failure allow: proceeds (exit 0, runtime run)" \
  test "$RC" -eq 0 -a "$EXECED" -eq 1
check "audit directory missing, audit_failure allow: config hardened" \
  jq -e '.process.noNewPrivileges == true' "$b/config.json"

mkdir -p "$T/afull"
mount -t tmpfs -o size=64k tmpfs "$T/afull"
# One whole line filling exactly one page: the next record needs a page the filesystem lacks.
printf '{"v":1,"event":"old","pad":"%s"}\n' "$(head -c 4065 /dev/zero | tr '\0' p)" > "$T/afull/audit.jsonl"
dd if=/dev/zero of="$T/afull/fill" bs=4k 2>/dev/null
audit_case "audit filesystem full" ".audit_log = \"$T/afull/audit.jsonl\"" 6 \
  "cannot write the audit record" "$T/afull/audit.jsonl" "No space left on device"
check "audit filesystem full: the log holds only whole lines" \
  bash -c "jq -c . '$T/afull/audit.jsonl' >/dev/null && test \"\$(tail -c 1 '$T/afull/audit.jsonl' | od -An -c | tr -d ' ')\" = '\\n'"

check "audit filesystem full: the partial record was cut off again (4096 bytes)" \
  test "$(stat -c %s "$T/afull/audit.jsonl")" -eq 4096
write_policy "$P/audit.json" ".audit_log = \"$T/afull/audit.jsonl\" | .audit_failure = \"allow\""
new_bundle; b=$BUNDLE
attempt "$b" OCI_HARDEN_POLICY="$P/audit.json"
check "audit filesystem full, audit_failure allow: proceeds" test "$RC" -eq 0 -a "$EXECED" -eq 1
rm -f "$T/afull/fill"

mkdir -p "$T/alink" && ln -s "$T/elsewhere.jsonl" "$T/alink/audit.jsonl"
audit_case "audit log a symlink" ".audit_log = \"$T/alink/audit.jsonl\"" 6 \
  "cannot write the audit record" "$T/alink/audit.jsonl"
check "audit log a symlink: its target was not created" test ! -e "$T/elsewhere.jsonl"

# ---- runtime faults
runtime_case() {  # runtime_case NAME RUNTIME CODE TEXT...
  local name=$1 rt=$2 code=$3 b s
  shift 3
  write_policy "$P/rt.json" ".runtime = \"$rt\""
  new_bundle; b=$BUNDLE; s=$(sha "$b/config.json")
  attempt "$b" OCI_HARDEN_POLICY="$P/rt.json"
  expect_failure "$name" "$code" "$@"
  intact "$name" "$b" "$s"
}
runtime_case "runtime missing" "$T/no-runtime" 7 "$T/no-runtime" "No such file or directory"
cp "$T/fake-runtime" "$T/noexec-runtime" && chmod 0644 "$T/noexec-runtime"
runtime_case "runtime not executable" "$T/noexec-runtime" 7 "$T/noexec-runtime" "not an executable file"
mkdir -p "$T/dir-runtime"
runtime_case "runtime a directory" "$T/dir-runtime" 7 "$T/dir-runtime" "not an executable file"
runtime_case "runtime is oci-harden itself" "$OCIH" 7 "$OCIH" "oci-harden itself"

printf '#!/nonexistent/interpreter\n' > "$T/bad-interp" && chmod 0755 "$T/bad-interp"
write_policy "$P/rt.json" ".runtime = \"$T/bad-interp\""
new_bundle; b=$BUNDLE
attempt "$b" OCI_HARDEN_POLICY="$P/rt.json"
expect_failure "runtime exec fails (missing interpreter)" 7 "exec $T/bad-interp" "No such file or directory"
check "runtime exec fails: config.json whole (hardened, parses)" \
  jq -e '.process.noNewPrivileges == true' "$b/config.json"
no_temp "runtime exec fails" "$b"

# ---- SIGKILL between write and rename: the bundle holds the old file or the new one
K=$T/kill
mkdir -p "$K"
# About 3 MB: parsing, writing and fsyncing it takes long enough to be hit at every step.
jq '.process.env += [range(0; 30000) | "V\(.)=" + ("x" * 90)]' "$T/tpl/config.json" > "$K/orig.json"
old=$(sha "$K/orig.json")
mkdir -p "$K/ref/rootfs" && cp "$K/orig.json" "$K/ref/config.json"
start=$(date +%s%N)
attempt "$K/ref"
dur=$((($(date +%s%N) - start) / 1000000))
check "SIGKILL: the reference create succeeds" test "$RC" -eq 0
[[ $dur -lt 20 ]] && dur=20
# The new file names its own bundle and container id, so it is recognised by content: the whole
# document parses (a torn file would not) and carries the rewrite and all 30000 extra entries.
is_new='.process.noNewPrivileges == true and (.process.env | length) == 30002'
check "SIGKILL: the reference output is recognised as new" jq -e "$is_new" "$K/ref/config.json"
olds=0 news=0 partial=0 temps=0
for i in $(seq 1 100); do
  b=$K/b$i
  mkdir -p "$b/rootfs" && cp "$K/orig.json" "$b/config.json"
  "$OCIH" --root "$T/rs" create --bundle "$b" "kill$i" >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM -v d=$dur 'BEGIN { printf "%.3f", (r % (d * 12 / 10)) / 1000 }')"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [[ $(sha "$b/config.json") == "$old" ]]; then
    olds=$((olds + 1))
  elif jq -e "$is_new" "$b/config.json" >/dev/null 2>&1; then
    news=$((news + 1))
  else
    partial=$((partial + 1))
    echo "    | b$i: config.json is neither the old nor a whole new file"
  fi
  temps=$((temps + $(ls -A "$b" | grep -c '^\.config\.json\.oci-harden\.')))
  rm -rf "$b"
done
echo "    SIGKILL x100 (create takes ~${dur} ms): $olds old, $news new, $partial partial; $temps temporary files left behind"
check "SIGKILL x100: config.json is always the old or the new file, never partial" test "$partial" -eq 0
check "SIGKILL x100: the audit log holds only whole JSON lines" jq -c . "$T/audit/audit.jsonl"

exit_summary

#!/usr/bin/env bash
# Integration: runc exec and runc update through oci-harden, and oci-harden-hook, against the
# real runc. What an exec'd process holds is read from the kernel (/proc/self/status inside
# the container); what the hook saw is read from its audit records; enforcement is shown by a
# container the hook kills.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-exec.XXXXXX)
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc"
chmod 0755 "$T/etc"
write_policy() { write_test_policy "$T" "" "$@"; }  # write_policy [extra jq filter]
write_policy
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() {  # new_bundle NAME ARGS_JSON [jq filter on config.json] -> prints the bundle dir
  make_test_bundle "$T/$1" "$T/rootfs" "$2" ".root.readonly = false${3:+ | $3}"
}
status_hex() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }
# run_detached NAME BUNDLE: create + start through oci-harden, stdio off the test's pipes
run_detached() {
  "$OCIH" --root "$T/state" create --bundle "$2" "$1" </dev/null >"$T/$1.create" 2>&1 &&
    "$OCIH" --root "$T/state" start "$1" >/dev/null 2>&1
}
oci_exec() { timeout 30 "$OCIH" --root "$T/state" exec "$@" </dev/null; }
SYS_ADMIN_BIT=$((1 << 21))

# ---- 1. exec into a root container: flags and --process files
B=$(new_bundle ex-root '["sleep","120"]')
check "a root container starts through oci-harden" run_detached ex-root "$B"

out=$(oci_exec ex-root grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status 2>&1)
check "plain exec runs" grep -q '^NoNewPrivs:' <<<"$out"
check "plain exec: NoNewPrivs 1 (forced on)" test "$(status_hex NoNewPrivs "$out")" = 1
check "plain exec: no CAP_SYS_ADMIN in CapEff" test $((0x$(status_hex CapEff "$out") & SYS_ADMIN_BIT)) -eq 0

# A capability outside the policy's allow-list is dropped (as create drops it); one inside the
# allow-list that the container does not have is an escalation (runc spec's container has
# CAP_AUDIT_WRITE, CAP_KILL and CAP_NET_BIND_SERVICE only).
out=$(oci_exec --cap CAP_SYS_ADMIN ex-root grep '^CapEff:' /proc/self/status 2>&1)
check "exec --cap CAP_SYS_ADMIN (outside the allow-list) runs without it" \
  test $((0x$(status_hex CapEff "$out") & SYS_ADMIN_BIT)) -eq 0
out=$(oci_exec --cap CAP_CHOWN ex-root true 2>&1)
rc=$?
check "exec --cap CAP_CHOWN (the container lacks it) refused" test "$rc" -ne 0
check "  ... the message names the rule and the capability" grep -q 'refused by exec: .*CAP_CHOWN' <<<"$out"

# --process files, as containerd and Docker send them.
jq '.process | .args = ["grep","-E","^(CapEff|NoNewPrivs):","/proc/self/status"] | .noNewPrivileges = false' \
  "$B/config.json" > "$T/proc-plain.json"
out=$(oci_exec --process "$T/proc-plain.json" ex-root 2>&1)
check "exec --process: runs, NoNewPrivs 1 though the file said false" test "$(status_hex NoNewPrivs "$out")" = 1
jq '.capabilities.bounding += ["CAP_SYS_ADMIN"] | .capabilities.effective += ["CAP_SYS_ADMIN"] |
    .capabilities.permitted += ["CAP_SYS_ADMIN"]' "$T/proc-plain.json" > "$T/proc-sysadmin.json"
out=$(oci_exec --process "$T/proc-sysadmin.json" ex-root 2>&1)
check "exec --process with CAP_SYS_ADMIN: runs without it" test $((0x$(status_hex CapEff "$out") & SYS_ADMIN_BIT)) -eq 0
check "  ... the exec record shows CAP_SYS_ADMIN dropped" \
  jq_any 'select(.event == "exec" and .container == "ex-root") | .changes[] | select(.path == "process.capabilities.bounding" and (.before | index("CAP_SYS_ADMIN")) and ((.after | index("CAP_SYS_ADMIN")) | not))' "$T/audit.jsonl"
jq '.capabilities.bounding += ["CAP_CHOWN"] | .capabilities.effective += ["CAP_CHOWN"] |
    .capabilities.permitted += ["CAP_CHOWN"]' "$T/proc-plain.json" > "$T/proc-chown.json"
cp "$T/proc-chown.json" "$T/proc-chown.orig"
out=$(oci_exec --process "$T/proc-chown.json" ex-root 2>&1)
check "exec --process with CAP_CHOWN (the container lacks it) refused" test $? -ne 0
check "  ... naming the capability" grep -q 'refused by exec: .*CAP_CHOWN' <<<"$out"
check "exec records: the refused exec names CAP_CHOWN" \
  jq_any 'select(.event == "exec" and .decision == "refused" and .container == "ex-root") | .refused[] | select(.reason | test("CAP_CHOWN"))' "$T/audit.jsonl"
check "exec records: an applied exec for the plain one" \
  jq_any 'select(.event == "exec" and .container == "ex-root" and (.decision == "applied" or .decision == "unchanged"))' "$T/audit.jsonl"
check "exec records name the container's bundle (from the runtime's state)" \
  jq -n -e --arg b "$B" '[inputs | select(.event == "exec" and .container == "ex-root") | .bundle == $b] |
    length > 0 and all' "$T/audit.jsonl"

# The same under exec.escalation clamp: it runs, without the capability.
write_policy '.exec.escalation = "clamp"'
cp "$T/proc-chown.orig" "$T/proc-chown.json"
out=$(oci_exec --process "$T/proc-chown.json" ex-root 2>&1)
check "clamp: exec --process with CAP_CHOWN runs" grep -q '^CapEff:' <<<"$out"
check "clamp: ... and CapEff has no CAP_CHOWN" test $((0x$(status_hex CapEff "$out") & 1)) -eq 0
check "clamp: the process file was rewritten in place" \
  bash -c "! jq -e '.capabilities.bounding | index(\"CAP_CHOWN\")' '$T/proc-chown.json' >/dev/null"
write_policy

# ---- 2. exec as root into a container whose process is not root
B=$(new_bundle ex-user '["sleep","120"]' '.process.user = {uid: 1000, gid: 1000}')
check "a uid-1000 container starts" run_detached ex-user "$B"
out=$(oci_exec ex-user id -u 2>&1)
check "exec into it runs as 1000" test "$out" = 1000
out=$(oci_exec --user 0:0 ex-user id -u 2>&1)
rc=$?
check "exec --user 0 into a uid-1000 container refused" test "$rc" -ne 0
check "  ... naming the rule and the uid" grep -q 'refused by exec: .*--user 0' <<<"$out"
check "  ... and nothing ran as 0" bash -c "! grep -qx 0 <<<'$out'"
out=$(oci_exec --no-new-privs=false ex-user true 2>&1)
check "exec --no-new-privs=false refused" grep -q 'refused by exec' <<<"$out"

# ---- 3. update: limits held to the policy's maxima (pids max 32768, above_max clamp)
check "update --pids-limit within the maximum" "$OCIH" --root "$T/state" update --pids-limit 2000 ex-root
pids_file() {  # the container's pids.max on the host, v2 or v1
  local pid cg
  pid=$(runc --root "$T/state" state "$1" | jq -r .pid)
  if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
    cg=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
    echo "/sys/fs/cgroup$cg/pids.max"
  else
    cg=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' "/proc/$pid/cgroup")
    echo "/sys/fs/cgroup/pids$cg/pids.max"
  fi
}
check "  ... the kernel shows pids.max 2000" test "$(cat "$(pids_file ex-root)")" = 2000
"$OCIH" --root "$T/state" update --pids-limit 1000000 ex-root >/dev/null 2>&1
check "update --pids-limit 1000000 is clamped to 32768" test "$(cat "$(pids_file ex-root)")" = 32768
echo '{"pids": {"limit": -1}}' | "$OCIH" --root "$T/state" update -r - ex-root >/dev/null 2>&1
check "update -r - with an unlimited pids limit is clamped to 32768" test "$(cat "$(pids_file ex-root)")" = 32768
check "update records name the clamp" \
  jq_any 'select(.event == "update" and .container == "ex-root") | .changes[] | select(.after == 32768)' "$T/audit.jsonl"

# ---- 4. the hook: verify records, stop record, cleanup
probe_b=$(new_bundle hooked '["true"]')
check "a short container runs through oci-harden" bash -c "cd '$probe_b' && '$OCIH' --root '$T/state' run hooked </dev/null >/dev/null 2>&1"
check "verify record with every check ok" \
  jq_any 'select(.event == "verify" and .container == "hooked") | (.checks | length > 5) and all(.checks[]; .ok)' "$T/audit.jsonl"
check "verify checks include no_new_privs, seccomp, uid_map, rootfs_readonly" \
  jq_any 'select(.event == "verify" and .container == "hooked") | [.checks[].check] | contains(["no_new_privs","seccomp","uid_map","rootfs_readonly"])' "$T/audit.jsonl"
check "stop record after the container ended" \
  jq_any 'select(.event == "stop" and .container == "hooked")' "$T/audit.jsonl"
"$OCIH" --root "$T/state" delete hooked >/dev/null 2>&1
check "the idmapped rootfs is gone after stop" bash -c "! awk '{print \$5}' /proc/self/mountinfo | grep -q '$T/run/hooked/'"

# A poststart hook of the engine's, which runs before oci-harden-hook, lifts the pids limit the
# spec promised: the verification must see it. Under verify: enforce the container is killed.
lift='pid=$(sed -n "s/.*\"pid\":\([0-9]*\).*/\1/p"); if [ -e /sys/fs/cgroup/cgroup.controllers ]; then cg=$(awk -F: "\$1==\"0\"{print \$3}" /proc/$pid/cgroup); echo max > /sys/fs/cgroup$cg/pids.max; else cg=$(awk -F: "\$2 ~ /(^|,)pids(,|$)/ {print \$3}" /proc/$pid/cgroup); echo max > /sys/fs/cgroup/pids$cg/pids.max; fi'
hook_filter=".hooks.poststart = [{path: \"/bin/sh\", args: [\"sh\", \"-c\", $(jq -Rn --arg l "$lift" '$l')]}]"
# The rule "hooks" judges a hook by its binary: the shell stands for the engine's hook here, so the
# policy lists it.
write_policy '.allowed_hooks += ["/bin/sh"]'
B=$(new_bundle lifted-rec '["sleep","2"]' "$hook_filter")
(cd "$B" && timeout 60 "$OCIH" --root "$T/state" run lifted-rec </dev/null >/dev/null 2>&1)
check "verify record: the lifted pids limit is a failed check" \
  jq_any 'select(.event == "verify" and .container == "lifted-rec") | .checks[] | select((.check | test("pids")) and (.ok | not))' "$T/audit.jsonl"
check "verify record (record mode): the container was not killed" \
  jq_any 'select(.event == "verify" and .container == "lifted-rec") | (.killed // false) | not' "$T/audit.jsonl"

write_policy '.verify = "enforce" | .allowed_hooks += ["/bin/sh"]'
B=$(new_bundle lifted-enf '["sleep","30"]' "$hook_filter")
start=$(date +%s)
(cd "$B" && timeout 60 "$OCIH" --root "$T/state" run lifted-enf </dev/null >/dev/null 2>&1)
rc=$?
elapsed=$(($(date +%s) - start))
check "verify enforce: the container was killed at once (rc $rc, ${elapsed}s of a 30 s sleep)" \
  test "$rc" -ne 0 -a "$elapsed" -lt 25
check "verify enforce: the record says killed" \
  jq_any 'select(.event == "verify" and .container == "lifted-enf") | .killed == true' "$T/audit.jsonl"
write_policy

# The hook bounds itself (alarm), since under crun it is given no timeout: here its stdin never
# reaches end of file (a FIFO with a writer held open), as if the runtime never closed it, and
# SIGALRM is ignored by the caller (inherited across exec). It must end by itself after 10 s.
mkfifo "$T/never"
exec 9<>"$T/never"
start=$(date +%s)
OCI_HARDEN_POLICY=$T/etc/policy.json timeout -s KILL 30 \
  bash -c "trap '' ALRM; exec '$PWD/bin/oci-harden-hook' poststart" <"$T/never" >/dev/null 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
exec 9>&-
check "a hook whose stdin never ends stops itself by SIGALRM after 10 s (rc $rc, ${elapsed}s)" \
  test "$rc" -eq 142 -a "$elapsed" -ge 9 -a "$elapsed" -lt 20

exit_summary

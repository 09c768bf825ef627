#!/usr/bin/env bash
# Integration: oci-harden in front of the real runc (and crun). Every check looks from inside
# the container, through the kernel (/proc/self/status, uid_map, mountinfo, cgroup files),
# never at oci-harden's own output alone.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-it.XXXXXX)
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc"
write_policy() { write_test_policy "$T" "$@"; }  # write_policy RUNTIME [extra jq filter]
write_policy /usr/bin/runc
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() { make_test_bundle "$T/$1" "$T/rootfs" "$2" "${3:-}"; }  # new_bundle NAME ARGS_JSON [jq filter]

probe='cat /proc/self/status; echo "uid_map: $(cat /proc/self/uid_map)";
  touch /rootfile 2>/dev/null && echo "root-write: ok" || echo "root-write: denied";
  touch /tmp/x && echo "tmp-write: ok" || echo "tmp-write: denied";
  for f in pids/pids.max memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us pids.max memory.max cpu.max; do
    [ -r /sys/fs/cgroup/$f ] && echo "cg $f: $(cat /sys/fs/cgroup/$f)"; done; true'

status_hex() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }
# Capability mask (hex, 16 digits) of the given capability numbers.
cap_mask() { local m=0 n; for n in "$@"; do m=$((m | (1 << n))); done; printf '%016x' "$m"; }

# ---- 1. run: the kernel shows the hardening
B=$(new_bundle plain "[\"sh\",\"-c\",$(jq -Rn --arg p "$probe" '$p')]" \
  '.process.capabilities.bounding += ["CAP_SYS_ADMIN","CAP_NET_RAW","CAP_CHOWN"] |
   .process.capabilities.effective += ["CAP_SYS_ADMIN","CAP_NET_RAW","CAP_CHOWN"] |
   .process.capabilities.permitted += ["CAP_SYS_ADMIN","CAP_NET_RAW","CAP_CHOWN"]')
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-plain 2>&1)
rc=$?
check "run through oci-harden exits 0" test "$rc" -eq 0 || echo "$out"
check "NoNewPrivs: 1" test "$(status_hex NoNewPrivs "$out")" = 1
check "Seccomp: 2 (filter)" test "$(status_hex Seccomp "$out")" = 2
want=$(cap_mask 0 5 10 29)  # CHOWN KILL NET_BIND_SERVICE AUDIT_WRITE: allow-list ∩ requested
check "CapBnd is the allow-list ∩ requested ($want)" test "$(status_hex CapBnd "$out")" = "$want"
check "CapEff has no CAP_SYS_ADMIN" test "$(( 0x$(status_hex CapEff "$out") & (1 << 21) ))" -eq 0
check "CapAmb empty" test "$(status_hex CapAmb "$out")" = 0000000000000000
check "writing to / fails" grep -q 'root-write: denied' <<<"$out"
check "writing to /tmp works" grep -q 'tmp-write: ok' <<<"$out"
check "uid_map shows the remap (0 1000000 65536)" grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
check "pids limit 1024 in the cgroup" grep -Eq 'cg (pids/pids.max|pids.max): 1024' <<<"$out"
check "memory limit 1 GiB in the cgroup" grep -Eq 'cg (memory/memory.limit_in_bytes|memory.max): 1073741824' <<<"$out"
check "cpu quota 2 CPUs in the cgroup" grep -Eq 'cg (cpu/cpu.cfs_quota_us: 200000|cpu.max: 200000 100000)' <<<"$out"
check "config.json was rewritten (noNewPrivileges true)" \
  test "$(jq .process.noNewPrivileges "$B/config.json")" = true
check "audit record 'applied' for it-plain" \
  jq_any 'select(.container == "it-plain") | select(.event == "run" and .decision == "applied")' "$T/audit.jsonl"
check "idmapped rootfs removed at delete" test ! -e "$T/run/it-plain/rootfs" -o -z "$(ls -A "$T/run/it-plain/rootfs" 2>/dev/null)"

# ---- 2. a refused bundle never starts, and the reason reaches runc's --log
B=$(new_bundle refused '["true"]' \
  '.mounts += [{"destination":"/host","type":"bind","source":"/","options":["rbind"]},
               {"destination":"/sock","type":"bind","source":"/var/run/docker.sock","options":["bind"]}]')
before=$(sha256sum < "$B/config.json")
out=$("$OCIH" --root "$T/state" --log "$T/refused.log" --log-format json run --bundle "$B" it-refused 2>&1)
rc=$?
check "refused run exits 1" test "$rc" -eq 1
check "stderr names the rule and the path" grep -q 'refused by sensitive-mounts: .*/ is mounted at /host' <<<"$out"
check "both offending mounts are named" grep -q '/var/run/docker.sock' <<<"$out"
check "runc --log has the error record (json)" \
  jq_any 'select(.level == "error") | select(.msg | test("refused by sensitive-mounts"))' "$T/refused.log"
check "the container was never created" bash -c "! runc --root '$T/state' state it-refused >/dev/null 2>&1"
check "config.json untouched on refusal" test "$(sha256sum < "$B/config.json")" = "$before"
check "audit record 'refused' names the rule" \
  jq_any 'select(.container == "it-refused" and .decision == "refused") | .refused[] | select(.rule == "sensitive-mounts")' "$T/audit.jsonl"

# ---- 3. create + start from another cwd with --bundle; pass-through commands print runc's output
B=$(new_bundle created '["sleep","30"]')
# A created container's init keeps the stdio it was given until start: not the pipe check reads.
check "create with --bundle from another cwd" \
  bash -c "cd / && '$OCIH' --root '$T/state' create --bundle '$B' it-created </dev/null >'$T/create.out' 2>&1 || { cat '$T/create.out'; exit 1; }"
check "state passes through unchanged" bash -c \
  "diff <('$OCIH' --root '$T/state' state it-created) <(runc --root '$T/state' state it-created)"
check "start passes through" "$OCIH" --root "$T/state" start it-created
check "state says running" bash -c "runc --root '$T/state' state it-created | jq -e '.status == \"running\"'"
check "kill passes through" "$OCIH" --root "$T/state" kill it-created KILL
sleep 0.5
check "delete passes through" "$OCIH" --root "$T/state" delete -f it-created
check "features output equals runc's" bash -c "diff <('$OCIH' features) <(runc features)"
first=$("$OCIH" --version | head -n 1)
check "--version starts with runc's own first line" test "$first" = "$(runc --version | head -n 1)"
check "--version ends with oci-harden's line" bash -c "'$OCIH' --version | tail -n 1 | grep -q '^oci-harden version'"
check "--help answers for itself" bash -c "'$OCIH' --help | grep -q 'sensitive-mounts'"

# ---- 4. opt-outs: allowed one honoured, denied one never starts
B=$(new_bundle optout "[\"sh\",\"-c\",$(jq -Rn --arg p "$probe" '$p')]" \
  '.annotations["org.oci-harden.opt-out"] = "readonly-rootfs" | .root.readonly = false')  # runc spec writes readonly: true
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-optout 2>&1)
# The rootfs is a plain directory under /var/tmp: never idmapped (issue 18.1), so / is host
# root's and read as nobody's inside; the opt-out shows as a read-write root without the tmpfs,
# written through the image's own 1777 /tmp.
check "allowed opt-out: the root filesystem is read-write inside (no read-only root, no /tmp tmpfs)" \
  bash -c 'jq -e ".root.readonly == false and ([.mounts[] | select(.destination == \"/tmp\")] | length == 0)" "$0/config.json" >/dev/null &&
           grep -q "tmp-write: ok" <<<"$1"' "$B" "$out"
check "allowed opt-out: other rules still apply (NoNewPrivs 1)" test "$(status_hex NoNewPrivs "$out")" = 1
check "allowed opt-out recorded as granted" \
  jq_any 'select(.container == "it-optout") | .opt_outs.granted == ["readonly-rootfs"]' "$T/audit.jsonl"
B=$(new_bundle optdeny '["true"]' '.annotations["org.oci-harden.opt-out"] = "capabilities"')
out=$(cd "$B" && "$OCIH" --root "$T/state" run it-optdeny 2>&1)
check "denied opt-out refused, naming the rule" grep -q 'refused by opt-out: .*capabilities' <<<"$out"
check "denied opt-out never started" bash -c "! runc --root '$T/state' state it-optdeny >/dev/null 2>&1"

# ---- 5. crun as the wrapped runtime
# On a hybrid cgroup host crun needs the unified hierarchy's leftover controllers as v1
# hierarchies (tests/e2e/engines.sh crun_hybrid_fix); a pure v1 or v2 host needs nothing.
if ! need crun; then
  :
elif ! crun_usable && ! crun_hybrid_fix; then
  fail "crun usable on this host" "crun cannot create containers on this cgroup layout"
else
  write_policy /usr/bin/crun
  B=$(new_bundle crun "[\"sh\",\"-c\",$(jq -Rn --arg p "$probe" '$p')]")
  out=$(cd "$B" && "$OCIH" --root "$T/crun-state" run it-crun 2>&1)
  check "crun: NoNewPrivs: 1" test "$(status_hex NoNewPrivs "$out")" = 1
  check "crun: Seccomp: 2" test "$(status_hex Seccomp "$out")" = 2
  check "crun: writing to / fails" grep -q 'root-write: denied' <<<"$out"
  check "crun: uid_map shows the remap" grep -Eq 'uid_map: +0 +1000000 +65536' <<<"$out"
  check "crun: audit record names crun as the runtime" \
    jq_any 'select(.container == "it-crun" and .event == "run") | .runtime == "/usr/bin/crun"' "$T/audit.jsonl"
  "$OCIH" --root "$T/crun-state" delete -f it-crun >/dev/null 2>&1
  write_policy /usr/bin/runc
fi

# ---- 6. oci-hardenctl report on what this run recorded
rep=$(bin/oci-hardenctl report --format json "$T/audit.jsonl" 2>"$T/report.err")
check "report reads the run's log without a malformed line" test ! -s "$T/report.err"
check "report: it-plain ran, not as host root, seccomp installed" \
  jq -e '.containers[] | select(.id == "it-plain") | .root_on_host == false and .seccomp == "installed"' <<<"$rep"
check "report: it-refused refused by sensitive-mounts" \
  jq -e '.containers[] | select(.id == "it-refused") | .state == "refused" and (.refused.rules | index("sensitive-mounts"))' <<<"$rep"
check "report: it-optout opted out of readonly-rootfs" \
  jq -e '.containers[] | select(.id == "it-optout") | .opt_outs.granted == ["readonly-rootfs"]' <<<"$rep"
check "report: it-optdeny's denied opt-out shown" \
  jq -e '.containers[] | select(.id == "it-optdeny") | .opt_outs.denied | index("capabilities")' <<<"$rep"
check "report table names every container of the run" \
  bash -c "bin/oci-hardenctl report '$T/audit.jsonl' | grep -o -E '^(it-plain|it-refused|it-optout|it-optdeny|it-created) ' | sort -u | wc -l | grep -qx 5"

exit_summary

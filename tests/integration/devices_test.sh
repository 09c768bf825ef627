#!/usr/bin/env bash
# Integration: devices, apparmor, oom-score-adj and cgroups-path in front of the real runc.
#   - character-device rules outside the runtimes' defaults (with CAP_MKNOD, the container makes
#     the node itself) are refused: runc never runs, config.json is untouched;
#   - Docker's default device list runs, and inside it a node the container makes of another
#     device cannot be opened (the kernel's device cgroup says so, not oci-harden's output);
#   - a device of allowed_devices opens by its numbers on this host;
#   - oomScoreAdj below the policy's minimum is raised: the container reads the raised value from
#     /proc/self/oom_score_adj (a positive minimum, which needs no privilege), and -1000 is
#     rewritten to -997 in config.json. Root here lacks CAP_SYS_RESOURCE, so the kernel refuses
#     any negative value and runc 1.1.5 fails to start such a container ("failed to update
#     /proc/self/oom_score_adj: Permission denied"); where the capability is present the test
#     reads -997 from inside instead;
#   - a cgroupsPath that is the root cgroup is refused. Those cases run with a stub runtime that
#     records being called: runc 1.1.5 given "/" joins the root cgroup and, when it fails, tries to
#     rmdir every cgroup below the root, so a regression must not reach the real runc;
#   - AppArmor: where the host has it, "unconfined" becomes docker-default; where it has not (this
#     machine), the spec runs unchanged and the audit record notes it.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-devices.XXXXXX) || { fail "mktemp"; exit_summary; }
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs"; exit_summary; }
mkdir -p "$T/etc"
write_policy() { write_test_policy "$T" "$@"; }  # write_policy RUNTIME [extra jq filter]
write_policy /usr/bin/runc
export OCI_HARDEN_POLICY=$T/etc/policy.json

# A runtime that only records that it ran.
STUB=$T/stub-runtime
printf '#!/bin/sh\ntouch %s/stub-ran\nexit 0\n' "$T" > "$STUB"
chmod 0755 "$STUB"

new_bundle() { make_test_bundle "$T/$1" "$T/rootfs" "$2" "${3:-}"; }  # new_bundle NAME ARGS_JSON [jq filter]

DOCKER_DEVICES=$(jq -c .linux.resources.devices tests/golden/docker-captured/plain.json)
MKNOD='.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] |
       .process.capabilities.permitted += ["CAP_MKNOD"]'
# No user namespace (an allowed opt-out): only then can the container's root make device nodes.
NO_USERNS='.annotations["org.oci-harden.opt-out"] = "user-namespace"'

# ---- 1. rules that open host devices are refused; runc never runs
refused_rule() {  # refused_rule NAME RULE_JSON WHAT
  local name=$1 rule=$2 what=$3 B before out rc
  B=$(new_bundle "$name" '["true"]' \
    "$MKNOD | $NO_USERNS | .linux.resources.devices = [{\"allow\":false,\"access\":\"rwm\"}, $rule]")
  before=$(sha256sum < "$B/config.json")
  out=$("$OCIH" --root "$T/state" --log "$T/$name.log" --log-format json run --bundle "$B" "$name" 2>&1)
  rc=$?
  check "$name: refused (exit 1)" test "$rc" -eq 1
  check "$name: the refusal names devices and $what" grep -q "refused by devices: .*$what" <<<"$out"
  check "$name: runc's --log has the reason" \
    jq_any 'select(.level == "error") | select(.msg | test("refused by devices"))' "$T/$name.log"
  check "$name: never created" bash -c "! runc --root '$T/state' state '$name' >/dev/null 2>&1"
  check "$name: config.json untouched" test "$(sha256sum < "$B/config.json")" = "$before"
}
refused_rule dev-c1-all '{"allow":true,"type":"c","major":1,"access":"rwm"}' 'every minor of the memory devices'
refused_rule dev-kmsg '{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}' '/dev/kmsg'
refused_rule dev-tty1 '{"allow":true,"type":"c","major":4,"minor":1,"access":"rw"}' "virtual consoles"
refused_rule dev-vcsa '{"allow":true,"type":"c","major":7,"access":"rwm"}' 'console screens'
refused_rule dev-kvm '{"allow":true,"type":"c","major":10,"minor":232,"access":"rw"}' '/dev/kvm'
refused_rule dev-misc-all '{"allow":true,"type":"c","major":10,"access":"rwm"}' 'every minor of the misc devices'
check "audit record 'refused' by devices for dev-c1-all" \
  jq_any 'select(.container == "dev-c1-all" and .decision == "refused") | .refused[] | select(.rule == "devices")' "$T/audit.jsonl"

# ---- 2. Docker's default device list runs; the kernel still keeps other devices closed
# Nodes are made in /dev (runc's tmpfs, without nodev; the /tmp oci-harden mounts is nodev).
probe='echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c;
  mknod /dev/p-kmsg c 1 11 && echo kmsg-made; true 2>/dev/null >/dev/p-kmsg && echo kmsg-open || echo kmsg-denied;
  mknod /dev/p-kvm c 10 232 && echo kvm-made; true 2>/dev/null <>/dev/p-kvm && echo kvm-open || echo kvm-denied; true'
B=$(new_bundle docker-defaults "[\"sh\",\"-c\",$(jq -Rn --arg p "$probe" '$p')]" \
  "$MKNOD | $NO_USERNS | .root.readonly = false | .linux.resources.devices = $DOCKER_DEVICES")
out=$("$OCIH" --root "$T/state" run --bundle "$B" docker-defaults 2>&1)
rc=$?
check "Docker's default devices: runs (exit 0)" test "$rc" -eq 0 || echo "$out"
check "Docker's default devices: /dev/null writable inside" grep -qx 'null-ok' <<<"$out"
check "Docker's default devices: /dev/zero and /dev/urandom readable" \
  test "$(grep -cx '4' <<<"$out")" -eq 2
check "inside: the container can make a kmsg node (CAP_MKNOD, c *:* m)" grep -qx 'kmsg-made' <<<"$out"
check "inside: but the kernel's device cgroup refuses to open it" grep -qx 'kmsg-denied' <<<"$out"
check "inside: a kvm node the container made cannot be opened" \
  bash -c "grep -qx 'kvm-made' <<<\"\$1\" && grep -qx 'kvm-denied' <<<\"\$1\"" _ "$out"
check "audit record 'applied' for docker-defaults" \
  jq_any 'select(.container == "docker-defaults" and .decision == "applied")' "$T/audit.jsonl"

# ---- 3. allowed_devices opens the device by its numbers on this host
if [[ -c /dev/fuse ]]; then
  fuse=$(stat -c '%t:%T' /dev/fuse)
  fmaj=$((16#${fuse%:*})) fmin=$((16#${fuse#*:}))
  write_policy /usr/bin/runc '.allowed_devices = ["/dev/fuse"]'
  B=$(new_bundle fuse "[\"sh\",\"-c\",\"mknod /dev/p-fuse c $fmaj $fmin && true <>/dev/p-fuse && echo fuse-open\"]" \
    "$MKNOD | $NO_USERNS | .root.readonly = false |
     .linux.resources.devices = $DOCKER_DEVICES + [{\"allow\":true,\"type\":\"c\",\"major\":$fmaj,\"minor\":$fmin,\"access\":\"rw\"}]")
  out=$("$OCIH" --root "$T/state" run --bundle "$B" fuse 2>&1)
  check "allowed_devices /dev/fuse: c $fmaj:$fmin rw runs and opens" grep -qx 'fuse-open' <<<"$out" || echo "$out"
  B=$(new_bundle fuse-wide '["true"]' \
    "$MKNOD | .linux.resources.devices = [{\"allow\":true,\"type\":\"c\",\"major\":$fmaj,\"access\":\"rw\"}]")
  out=$("$OCIH" --root "$T/state" run --bundle "$B" fuse-wide 2>&1)
  check "allowed_devices /dev/fuse: its whole major (c $fmaj:* rw) is still refused" \
    grep -q 'refused by devices' <<<"$out"
  write_policy /usr/bin/runc
else
  skip "/dev/fuse (a character device to list in allowed_devices)"
fi

# ---- 4. oomScoreAdj
B=$(new_bundle oom-min '["cat","/proc/self/oom_score_adj"]' '.process.oomScoreAdj = -1000')
write_policy /usr/bin/runc '.oom_score_adj_min = 100'
out=$("$OCIH" --root "$T/state" run --bundle "$B" oom-min 2>&1)
check "oom_score_adj_min 100: the container reads 100 from the kernel" test "$out" = 100 || echo "$out"
write_policy /usr/bin/runc
B=$(new_bundle oom-default '["cat","/proc/self/oom_score_adj"]' '.process.oomScoreAdj = -1000')
out=$("$OCIH" --root "$T/state" run --bundle "$B" oom-default 2>&1)
check "oomScoreAdj -1000 rewritten to -997 in config.json" test "$(jq .process.oomScoreAdj "$B/config.json")" = -997
check "audit record has the change -1000 -> -997" \
  jq_any 'select(.container == "oom-default") | .changes[] | select(.rule == "oom-score-adj" and .before == -1000 and .after == -997)' "$T/audit.jsonl"
if (echo -1 > /proc/self/oom_score_adj) 2>/dev/null; then
  check "oomScoreAdj -1000: the container reads -997 from the kernel" test "$out" = -997 || echo "$out"
else
  # No CAP_SYS_RESOURCE here: the kernel refuses every negative value, and runc with it.
  check "oomScoreAdj -997 (no CAP_SYS_RESOURCE): runc fails on the kernel's EACCES, not on oci-harden" \
    grep -q 'oom_score_adj: Permission denied' <<<"$out" || echo "$out"
fi
runc --root "$T/state" delete -f oom-default >/dev/null 2>&1

# ---- 5. cgroupsPath: the root cgroup is refused (stub runtime: see the header)
write_policy "$STUB"
n=0
for path in / /../.. //; do
  n=$((n + 1))
  B=$(new_bundle "cg-root$n" '["true"]' ".linux.cgroupsPath = \"$path\"")
  rm -f "$T/stub-ran"
  out=$("$OCIH" --root "$T/state" create --bundle "$B" "cg-root$n" </dev/null 2>&1)
  rc=$?
  check "cgroupsPath \"$path\": refused (exit 1) by cgroups-path" \
    bash -c "test $rc -eq 1 && grep -q 'refused by cgroups-path: .*is the root cgroup' <<<'$out'"
  check "cgroupsPath \"$path\": the runtime never ran" test ! -e "$T/stub-ran"
done
B=$(new_bundle cg-sd '["true"]' '.linux.cgroupsPath = "system.slice:docker:-.slice"')
rm -f "$T/stub-ran"
out=$("$OCIH" --root "$T/state" create --bundle "$B" cg-sd </dev/null 2>&1)
check "cgroupsPath systemd unit -.slice: refused" grep -q 'refused by cgroups-path: .*root slice' <<<"$out"
check "cgroupsPath systemd unit -.slice: the runtime never ran" test ! -e "$T/stub-ran"
write_policy /usr/bin/runc
B=$(new_bundle cg-child '["sh","-c","cat /proc/self/cgroup"]' '.linux.cgroupsPath = "/ocih-devices-test"')
out=$("$OCIH" --root "$T/state" run --bundle "$B" cg-child 2>&1)
check "cgroupsPath /ocih-devices-test runs, in that cgroup" grep -q ':/ocih-devices-test$' <<<"$out" || echo "$out"
B=$(new_bundle cg-absent '["true"]' 'del(.linux.cgroupsPath)')
check "cgroupsPath absent runs (runc's default path)" "$OCIH" --root "$T/state" run --bundle "$B" cg-absent

# ---- 6. apparmor: unconfined
B=$(new_bundle aa '["true"]' '.process.apparmorProfile = "unconfined"')
if [[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" == Y* ]]; then
  if grep -q '^docker-default ' /sys/kernel/security/apparmor/profiles 2>/dev/null; then
    "$OCIH" --root "$T/state" run --bundle "$B" aa >/dev/null 2>&1
    check "AppArmor: unconfined replaced by docker-default" \
      test "$(jq -r .process.apparmorProfile "$B/config.json")" = docker-default
  else
    out=$("$OCIH" --root "$T/state" run --bundle "$B" aa 2>&1)
    check "AppArmor without docker-default loaded: unconfined refused" grep -q 'refused by apparmor' <<<"$out"
  fi
else
  # runc 1.1.5 itself fails to apply any profile, "unconfined" included, where AppArmor is off
  # ("write /proc/self/attr/exec: invalid argument"): oci-harden passes the spec on unchanged.
  before=$(jq -c .process "$B/config.json")
  out=$("$OCIH" --root "$T/state" run --bundle "$B" aa 2>&1)
  check "no AppArmor on this host: not refused by oci-harden, process unchanged" \
    bash -c "! grep -q 'refused by' <<<\"\$1\" && test \"\$2\" = \"\$(jq -c '.process | del(.noNewPrivileges, .capabilities)' '$B/config.json')\"" \
    _ "$out" "$(jq -c 'del(.noNewPrivileges, .capabilities)' <<<"$before")"
  check "no AppArmor on this host: the audit record notes it" \
    jq_any 'select(.container == "aa") | .notes[] | select(.rule == "apparmor" and (.note | test("no AppArmor")))' "$T/audit.jsonl"
fi

exit_summary

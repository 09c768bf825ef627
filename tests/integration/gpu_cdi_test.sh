#!/usr/bin/env bash
# Integration (issue 17.2): a CDI-shaped spec through oci-harden and the real runc. No GPU is
# needed to prove the rule path: the spec is what the CDI library writes for a device (a node in
# linux.devices, its cgroup rule, read-only binds of driver libraries, a toolkit hook), built from
# this machine's own character device (/dev/cpu/0/cpuid, whose major the policy names by its
# driver's name in /proc/devices, as profiles/policy-gpu.json names nvidia-uvm's) and one of its
# libraries. Under profiles/policy-gpu.json plus those two names it runs, and the container
# sees the node and the read-only library; under the default policy it is refused, each refusal
# naming rule, field and thing. profiles/policy-gpu.json itself is checked with `harden` on an
# NVIDIA CDI spec (nodes this machine does not have: their numbers decide).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
CTL=$PWD/bin/oci-hardenctl
DEV=/dev/cpu/0/cpuid
LIB=/usr/lib/x86_64-linux-gnu/libz.so.1   # a symlink to libz.so.1.2.13: judged and pinned as that
if [[ ! -c $DEV ]] || ! grep -q ' cpu/cpuid$' /proc/devices; then
  skip "$DEV (the cpuid driver) is not on this machine"
  exit_summary
fi
if [[ ! -e $LIB ]]; then skip "$LIB is not on this machine"; exit_summary; fi
MAJOR=$(( 0x$(stat -c %t "$DEV") ))
MINOR=$(( 0x$(stat -c %T "$DEV") ))
REAL_LIB=$(readlink -f "$LIB")

T=$(mktemp -d /var/tmp/ocih-gpu.XXXXXX)
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT
make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/rootfs/usr/lib/cdi"

# The CDI library's edits for one device: the node, its cgroup rule (exact numbers, "rwm"), the
# driver's files bound read-only (options as nvidia-ctk writes them), a createContainer hook.
cdi='.linux.devices = [{"path": $dev, "type": "c", "major": $ma, "minor": $mi, "fileMode": 384, "uid": 0, "gid": 0}]
  | .linux.resources.devices += [{"allow": true, "type": "c", "major": $ma, "minor": $mi, "access": "rwm"}]
  | .mounts += [{"destination": "/usr/lib/cdi/libz.so.1", "type": "bind", "source": $lib,
                 "options": ["ro", "nosuid", "nodev", "bind"]}]
  | .hooks.createContainer = [{"path": "/usr/bin/true",
      "args": ["nvidia-ctk", "hook", "update-ldcache", "--folder", "/usr/lib/cdi"]}]'
probe='ls -l '"$DEV"'; cat /proc/self/mountinfo | grep " /usr/lib/cdi/libz.so.1 "; 
  head -c 4 /usr/lib/cdi/libz.so.1 | od -c | head -1;
  (echo x >> /usr/lib/cdi/libz.so.1) 2>/dev/null && echo lib-write: ok || echo lib-write: denied'
new_bundle() {  # new_bundle NAME [extra jq filter]
  make_test_bundle "$T/$1" "$T/rootfs" "[\"sh\",\"-c\",$(jq -Rn --arg p "$probe" '$p')]" "${2:-.}" >/dev/null &&
    jq --arg dev "$DEV" --argjson ma "$MAJOR" --argjson mi "$MINOR" --arg lib "$LIB" "$cdi" \
      "$T/$1/config.json" > "$T/$1/c.tmp" && mv "$T/$1/c.tmp" "$T/$1/config.json" && echo "$T/$1"
}

# The GPU profile, plus this machine's stand-ins: the cpuid driver by name, libz by glob, and
# /usr/bin/true as the toolkit hook (allowed only as "hook update-ldcache").
gpu_policy() {
  write_test_policy "$T" /usr/bin/runc "$(jq -c . profiles/policy-gpu.json) as \$gpu | . + \$gpu
    | .allowed_device_numbers += [\"c cpu/cpuid:*\"]
    | .allowed_readonly_paths += [\"/usr/lib/x86_64-linux-gnu/libz.so.*\"]
    | .allowed_hooks += [\"/usr/bin/true\"]
    | .allowed_hook_args += [\"/usr/bin/true hook update-ldcache\", \"/usr/bin/true hook create-symlinks\"]"
}

# ---- 1. profiles/policy-gpu.json loads, and admits an NVIDIA CDI spec's nodes, rules and binds
nv=$(jq '.linux.devices = [{"path":"/dev/nvidia0","type":"c","major":195,"minor":0},
                            {"path":"/dev/nvidiactl","type":"c","major":195,"minor":255}]
  | .linux.resources.devices += [{"allow":true,"type":"c","major":195,"minor":0,"access":"rwm"},
                                 {"allow":true,"type":"c","major":195,"minor":255,"access":"rwm"}]
  | .mounts += [{"destination":"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05","type":"bind",
                 "source":"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05","options":["ro","nosuid","nodev","bind"]},
                {"destination":"/usr/bin/nvidia-smi","type":"bind","source":"/usr/bin/nvidia-smi",
                 "options":["ro","nosuid","nodev","bind"]}]' tests/golden/containerd-captured/ctr-run.json)
if [[ -e /dev/nvidia0 ]]; then
  skip "this machine has /dev/nvidia0: the harden check of policy-gpu.json assumes it has none"
else
  out=$("$CTL" harden --policy profiles/policy-gpu.json - <<<"$nv" 2>&1 >/dev/null)
  check "harden --policy profiles/policy-gpu.json admits the NVIDIA CDI spec" test $? -eq 0 || echo "$out"
  out=$("$CTL" harden - <<<"$nv" 2>&1 >/dev/null)
  check "the default policy refuses it (exit 1)" test $? -eq 1
  check "... naming the GPU cgroup rule" grep -q 'linux.resources.devices\[[0-9]*\] (c 195:0 rwm) opens a host device' <<<"$out"
  check "... the nodes" grep -q "linux.devices passes host devices not in the policy's allowed_devices: /dev/nvidia0, /dev/nvidiactl" <<<"$out"
  check "... and the library bind" grep -q 'libnvidia-ml.so.535.104.05 (mounts\[[0-9]*\]): under sensitive host path' <<<"$out"
  rw=$(jq '(.mounts[] | select(.destination == "/usr/bin/nvidia-smi") | .options) = ["rw","bind"]' <<<"$nv")
  out=$("$CTL" harden --policy profiles/policy-gpu.json - <<<"$rw" 2>&1 >/dev/null)
  check "policy-gpu.json refuses the same bind read-write" grep -q 'nvidia-smi is mounted read-write at /usr/bin/nvidia-smi (mounts\[[0-9]*\]): the policy allows it only read-only' <<<"$out"
fi
uvm=$(jq '.linux.resources.devices += [{"allow":true,"type":"c","major":235,"minor":0,"access":"rwm"}]' <<<"$nv")
if grep -q ' nvidia-uvm$' /proc/devices; then
  skip "nvidia-uvm is loaded here: the not-loaded case cannot be shown"
else
  out=$("$CTL" harden --policy profiles/policy-gpu.json - <<<"$uvm" 2>&1 >/dev/null)
  check "a major policy-gpu.json names by driver (nvidia-uvm) opens nothing while the driver is not loaded" \
    grep -q '(c 235:0 rwm) opens a host device, which is neither a runtime default device nor in the policy.s allowed_devices or allowed_device_numbers' <<<"$out"
fi

# ---- 2. the CDI-shaped spec runs under the GPU policy
gpu_policy
B=$(new_bundle run)
out=$("$OCIH" --root "$T/state" run --bundle "$B" gpu-run 2>&1)
rc=$?
check "runc run under the GPU policy exits 0" test "$rc" -eq 0 || echo "$out"
check "the container has the node with the host's numbers ($MAJOR, $MINOR)" \
  grep -Eq "^c.* $MAJOR, +$MINOR .*$DEV" <<<"$out"
check "the library is mounted read-only" grep -Eq ' /usr/lib/cdi/libz.so.1 ro,' <<<"$out"
check "the library is readable (ELF)" grep -q 'E   L   F' <<<"$out"
check "writing the library fails" grep -q 'lib-write: denied' <<<"$out"
check "the bind source was pinned to the canonical library ($REAL_LIB)" \
  test "$(jq -r '.mounts[] | select(.destination == "/usr/lib/cdi/libz.so.1") | .source' "$B/config.json")" = "$REAL_LIB"
check "the audit record says applied" \
  jq_any 'select(.container == "gpu-run" and .event == "run" and .decision == "applied")' "$T/audit.jsonl"

# ---- 2b. the same under crun, where it is installed
if command -v crun >/dev/null; then
  gpu_policy
  jq '.runtime = "'"$(command -v crun)"'"' "$T/etc/policy.json" > "$T/etc/p.tmp" && mv "$T/etc/p.tmp" "$T/etc/policy.json"
  chmod 0644 "$T/etc/policy.json"
  B=$(new_bundle crun)
  out=$("$OCIH" --root "$T/state" run --bundle "$B" gpu-crun 2>&1)
  check "crun run under the GPU policy exits 0" test $? -eq 0 || echo "$out"
  check "crun: the node with the host's numbers" grep -Eq "^c.* $MAJOR, +$MINOR .*$DEV" <<<"$out"
  check "crun: the library is read-only" grep -q 'lib-write: denied' <<<"$out"
  gpu_policy
else
  skip "crun is not installed"
fi

# ---- 3. the GPU policy's limits, live: the hook as another tool, the library read-write,
# another device's numbers at the node's path
B=$(new_bundle hookargs '.')
jq '.hooks.createContainer[0].args = ["nvidia-ctk", "runtime", "configure", "--runtime=docker"]' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
out=$("$OCIH" --root "$T/state" run --bundle "$B" gpu-hookargs 2>&1)
check "a toolkit hook run as 'runtime configure' is refused (exit 1)" test $? -eq 1
check "... naming field and binary" grep -q 'refused by hooks: hooks.createContainer\[0\].args ("runtime configure --runtime=docker") runs /usr/bin/true' <<<"$out"
B=$(new_bundle rwlib '.')
jq '(.mounts[] | select(.destination == "/usr/lib/cdi/libz.so.1") | .options) = ["rw", "bind"]' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
out=$("$OCIH" --root "$T/state" run --bundle "$B" gpu-rwlib 2>&1)
check "the library bound read-write is refused (exit 1)" test $? -eq 1
check "... naming field and the real file" grep -q "$LIB (canonical $REAL_LIB) is mounted read-write at /usr/lib/cdi/libz.so.1 (mounts\[[0-9]*\]): the policy allows it only read-only" <<<"$out"
B=$(new_bundle tty '.')
jq '.linux.devices[0].path = "/dev/tty1"' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
out=$("$OCIH" --root "$T/state" run --bundle "$B" gpu-tty 2>&1)
check "allowed numbers at /dev/tty1 (the host's console) are refused (exit 1)" test $? -eq 1
check "... naming the node, its numbers and what the host has there" \
  grep -q "device /dev/tty1 (linux.devices\[0\]): numbers c $MAJOR:$MINOR are not /dev/tty1's on the host (c 4:1" <<<"$out"
check "none of the refused containers exists" bash -c "! runc --root '$T/state' list -q | grep -q gpu-"

# ---- 4. the same spec under the default policy is refused, naming rule, field and thing
write_test_policy "$T" /usr/bin/runc
B=$(new_bundle default '.')
before=$(sha256sum < "$B/config.json")
out=$("$OCIH" --root "$T/state" run --bundle "$B" gpu-default 2>&1)
check "under the default policy: refused (exit 1)" test $? -eq 1
check "... the cgroup rule, by rule and field" \
  grep -Eq "refused by [a-z, -]*devices.*linux.resources.devices\[[0-9]+\] \(c $MAJOR:$MINOR rwm\) opens a host device" <<<"$out"
check "... the node" grep -q "device $DEV (linux.devices\[0\]) is not in the policy's allowed_devices" <<<"$out"
check "... the library bind (under a sensitive path)" \
  grep -q "$LIB (canonical $REAL_LIB) is mounted at /usr/lib/cdi/libz.so.1 (mounts\[[0-9]*\]): under sensitive host path" <<<"$out"
check "... the hook binary" grep -q 'hooks.createContainer\[0\].path /usr/bin/true runs .*which is not a hook binary the policy allows' <<<"$out"
check "... with the fix: the device numbers key and the GPU profile" \
  grep -q '^  fix: .*allowed_device_numbers (a GPU node: profiles/policy-gpu.json)' <<<"$out"
check "... with the fix: the hook's arguments key" grep -q '^  fix: .*allowed_hook_args' <<<"$out"
check "config.json untouched on refusal" test "$(sha256sum < "$B/config.json")" = "$before"

exit_summary

#!/usr/bin/env bash
# make demo: one ordinary container and one refused one (--privileged), through oci-harden,
# under a private dockerd when Docker can start here, else under plain runc. Shows what the
# audit log recorded and what the kernel shows inside the container; cleans up after itself.
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib/common.sh
source tests/e2e/engines.sh

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-demo.XXXXXX)
chmod 0711 "$T"
mkdir -p "$T/etc" && chmod 0755 "$T/etc"
jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
  '{audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json
# dockerd runs the runtime with its own environment: a wrapper script carries the policy path.
cat > "$T/oci-harden" <<WRAP
#!/bin/sh
OCI_HARDEN_POLICY=$T/etc/policy.json exec $OCIH "\$@"
WRAP
chmod 0755 "$T/oci-harden"

probe='grep -E "^(NoNewPrivs|Seccomp|CapEff|CapBnd):" /proc/self/status; echo "uid_map: $(cat /proc/self/uid_map)";
  touch /x 2>/dev/null && echo "write to /: allowed" || echo "write to /: denied (read-only root)";
  touch /tmp/x && echo "write to /tmp: allowed (tmpfs)"'

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show_audit() {
  banner "audit log ($T/audit.jsonl)"
  jq -c '{event, decision, container: (.container[0:12]), changes: (.changes | length),
          refused: [.refused[] | .rule], root_on_host: .user.root_on_host}' "$T/audit.jsonl"
}

make_busybox_rootfs "$T/rootfs"
if docker_start "$T/docker" "{\"runtimes\":{\"hardened\":{\"path\":\"$T/oci-harden\"}},\"userns-remap\":\"default\"}"; then
  trap 'docker_stop "$T/docker"; rm -rf "$T"' EXIT
  D=(docker -H "unix://$T/docker/docker.sock")
  docker_import_busybox "$T/docker" busybox-demo "$T/rootfs" >/dev/null
  banner "docker run --runtime hardened busybox-demo sh -c <probe>"
  "${D[@]}" run --rm --runtime hardened --network none busybox-demo sh -c "$probe"
  banner "docker run --runtime hardened --privileged busybox-demo true   (must be refused)"
  "${D[@]}" run --rm --runtime hardened --network none --privileged busybox-demo true
  echo "(docker run exited $?)"
else
  echo "demo: Docker could not start here; showing the same with plain runc instead."
  trap 'rm -rf "$T"' EXIT
  mkdir -p "$T/ok" "$T/bad"
  for b in ok bad; do
    (cd "$T/$b" && runc spec)
    jq --arg r "$T/rootfs" --arg p "$probe" \
      '.root.path = $r | .process.terminal = false | .process.args = ["sh","-c",$p]' \
      "$T/$b/config.json" > "$T/$b/c" && mv "$T/$b/c" "$T/$b/config.json"
  done
  # What --privileged produces: every capability, every device, nothing masked.
  jq '.process.capabilities.bounding = ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"] |
      .linux.maskedPaths = [] | .linux.resources.devices = [{"allow": true, "access": "rwm"}]' \
      "$T/bad/config.json" > "$T/bad/c" && mv "$T/bad/c" "$T/bad/config.json"
  banner "oci-harden run (runc): an ordinary busybox container"
  (cd "$T/ok" && "$OCIH" --root "$T/state" run demo-ok)
  banner "oci-harden run (runc): what --privileged produces (must be refused)"
  (cd "$T/bad" && "$OCIH" --root "$T/state" run demo-privileged)
  echo "(oci-harden exited $?)"
  banner "what oci-harden changed in the ordinary container's config.json"
  jq -r 'select(.container == "demo-ok") | .changes[] | "\(.rule)\t\(.path)"' "$T/audit.jsonl"
fi
show_audit

#!/usr/bin/env bash
# make demo: one ordinary container and one refused one (--privileged), through oci-harden,
# under a private dockerd when Docker can start here, else under plain runc. Shows what the
# kernel shows inside the hardened container, the refusal as `docker run` prints it, and what
# the audit log recorded; cleans up after itself whatever happens.
# The private dockerd (tests/e2e/engines.sh docker_start) has its own data root, exec root and
# socket under a temporary directory: a host's own Docker is never touched.
# DEMO_ENGINE=runc skips Docker and shows the runc fallback.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
source tests/lib/common.sh
source tests/e2e/engines.sh

OCIH=$PWD/bin/oci-harden
if [[ "$(id -u)" != 0 ]]; then
  echo "demo: run as root (it starts a container engine and containers)" >&2
  exit 2
fi
if [[ ! -x "$OCIH" ]]; then
  echo "demo: $OCIH is missing: run make first" >&2
  exit 2
fi

T=$(mktemp -d /var/tmp/ocih-demo.XXXXXX) || exit 5
chmod 0711 "$T"
trap 'docker_stop "$T/docker"; timeout 10 runc --root "$T/state" delete -f demo-ok >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$T/etc" && chmod 0755 "$T/etc"
jq -n --arg log "$T/audit.jsonl" --arg st "$T/run" \
  '{audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json
# dockerd runs the runtime with its own environment: an exec'ing wrapper carries the policy path
# (not "runtimeArgs": dockerd wraps those in a shell script that does not exec).
cat > "$T/oci-harden" <<WRAP
#!/bin/sh
OCI_HARDEN_POLICY=$T/etc/policy.json exec $OCIH "\$@"
WRAP
chmod 0755 "$T/oci-harden"

# What the kernel shows inside the container (cgroup v2, or v1 as on hybrid hosts).
# shellcheck disable=SC2016  # expanded inside the container
probe='grep -E "^(NoNewPrivs|Seccomp|CapEff):" /proc/self/status
echo "uid_map:    $(head -n 1 /proc/self/uid_map | tr -s " " | sed "s/^ //")   (container uid, host uid, count)"
touch /x 2>/dev/null && echo "write to /: allowed" || echo "write to /: denied (read-only root)"
touch /tmp/x && echo "write to /tmp: allowed (tmpfs)"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
  echo "pids.max: $(cat /sys/fs/cgroup/pids.max)  memory.max: $(cat /sys/fs/cgroup/memory.max)  cpu.max: $(cat /sys/fs/cgroup/cpu.max)"
else
  echo "pids.max: $(cat /sys/fs/cgroup/pids/pids.max)  memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)  cpu quota/period: $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
fi'

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show_audit() {
  banner "audit log ($T/audit.jsonl): one JSON line per decision"
  jq -c '{event, decision, container: (.container[0:12]), changes: (.changes | length),
          refused: [.refused[] | .rule] | unique, root_on_host: .user.root_on_host}' "$T/audit.jsonl"
  banner "why the refused container was refused (audit record)"
  jq -r 'select(.decision == "refused") | .refused[] | "  \(.rule): \(.reason)"' "$T/audit.jsonl" | cut -c1-220
  banner "what oci-harden-hook verified from the kernel's view after start (verify record)"
  jq -r 'select(.event == "verify") | .checks[]? | "  \(.check): expected \(.expected), actual \(.actual), ok \(.ok)"' "$T/audit.jsonl"
}

make_busybox_rootfs "$T/rootfs" || exit 1
if [[ "${DEMO_ENGINE:-docker}" != runc ]] &&
   docker_start "$T/docker" "$(jq -c --arg p "$T/oci-harden" '.runtimes.hardened.path = $p' deploy/daemon.json)"; then
  banner "a private dockerd with this daemon.json (deploy/daemon.json, runtime path pointed at a wrapper)"
  jq -c "{runtimes, \"userns-remap\"}" "$T/docker/etc/daemon.json"
  docker_import_busybox "$T/docker" busybox-demo "$T/rootfs" >/dev/null || exit 1
  D=(docker_cmd "$T/docker")

  banner "docker run --rm --runtime hardened --network none busybox-demo sh -c <probe>"
  "${D[@]}" run --rm --runtime hardened --network none busybox-demo sh -c "$probe"
  ok_rc=$?
  echo "(docker run exited $ok_rc)"

  banner "what oci-harden changed in that container's config.json (audit record)"
  jq -r 'select(.event == "create" and .decision == "applied") | .changes[] | "  \(.rule)\t\(.path)"' "$T/audit.jsonl"

  banner "docker run --rm --runtime hardened --network none --userns host --privileged busybox-demo true   (must be refused)"
  echo "(--userns host: this userns-remap daemon would refuse --privileged by itself; here oci-harden decides)"
  "${D[@]}" run --rm --runtime hardened --network none --userns host --privileged busybox-demo true
  bad_rc=$?
  echo "(docker run exited $bad_rc)"
else
  if [[ "${DEMO_ENGINE:-docker}" == runc ]]; then
    echo "demo: DEMO_ENGINE=runc: showing the same with plain runc, without Docker."
  else
    echo "demo: Docker could not start here; showing the same with plain runc instead."
  fi
  mkdir -p "$T/ok" "$T/bad"
  for b in ok bad; do
    (cd "$T/$b" && runc spec) || exit 1
    jq --arg r "$T/rootfs" --arg p "$probe" \
      '.root.path = $r | .process.terminal = false | .process.args = ["sh","-c",$p]' \
      "$T/$b/config.json" > "$T/$b/c" && mv "$T/$b/c" "$T/$b/config.json"
  done
  # What --privileged produces: every capability, every device, nothing masked.
  jq '.process.capabilities.bounding = ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ"] |
      .linux.maskedPaths = [] | .linux.resources.devices = [{"allow": true, "access": "rwm"}]' \
      "$T/bad/config.json" > "$T/bad/c" && mv "$T/bad/c" "$T/bad/config.json"
  banner "oci-harden run (runc): an ordinary busybox container"
  (cd "$T/ok" && "$OCIH" --root "$T/state" run demo-ok)
  ok_rc=$?
  echo "(oci-harden exited $ok_rc)"
  banner "what oci-harden changed in the ordinary container's config.json (audit record)"
  jq -r 'select(.container == "demo-ok" and .event != "verify" and .event != "stop") | .changes[] | "  \(.rule)\t\(.path)"' "$T/audit.jsonl"
  banner "oci-harden run (runc): what --privileged produces (must be refused)"
  (cd "$T/bad" && "$OCIH" --root "$T/state" run demo-privileged)
  bad_rc=$?
  echo "(oci-harden exited $bad_rc)"
fi
show_audit
# make demo fails when the demo did not show what it says: the ordinary container ran, the
# --privileged one was refused, and the audit log says so.
if ((ok_rc == 0 && bad_rc != 0)) &&
   jq -e -n '[inputs] | any(.decision == "applied") and any(.decision == "refused" and any(.refused[]; .rule == "privileged"))' \
     "$T/audit.jsonl" >/dev/null; then
  echo; echo "demo: OK (one container hardened, one refused, both in the audit log)"
else
  echo; echo "demo: FAILED (ordinary container exit $ok_rc, --privileged exit $bad_rc; see above)" >&2
  exit 1
fi

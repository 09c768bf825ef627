#!/bin/sh
# The hand-written alternative to oci-harden that the benchmark compares against: what an
# administrator would put between the engine and runc with a shell and jq. For create and run
# it rewrites config.json with one jq program doing what oci-harden's default policy does to a
# `runc spec` bundle (capability allow-list, no-new-privileges, read-only root with tmpfs on
# /tmp /run /var/tmp, more masked paths, pids/memory/cpu limits, the same seccomp profile with
# only this host's architectures (as oci-harden installs it), private propagation, a user
# namespace without an idmapped root), replaces it by rename, and
# appends one unsynced log line; then it execs the runtime. It checks and refuses nothing, and
# does not parse runc's grammar properly: it is not a security tool, only a yardstick.
#   JQ_HARDEN_RUNTIME  the runtime to exec (default /usr/bin/runc)
#   JQ_HARDEN_SECCOMP  the OCI seccomp profile to install (default profiles/seccomp-default.json)
#   JQ_HARDEN_LOG      the log file (default /var/log/jq-harden.log)
RT=${JQ_HARDEN_RUNTIME:-/usr/bin/runc}
SECCOMP=${JQ_HARDEN_SECCOMP:-$(dirname "$0")/../profiles/seccomp-default.json}
LOG=${JQ_HARDEN_LOG:-/var/log/jq-harden.log}

case $(uname -m) in
  x86_64) ARCHES='["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"]' ;;
  aarch64) ARCHES='["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"]' ;;
  *) ARCHES=null ;;
esac

cmd="" bundle="" id="" prev=""
for a in "$@"; do
  if [ -z "$cmd" ]; then
    case "$prev" in --root|--log|--log-format|--criu) prev=""; continue ;; esac
    case "$a" in -*) prev=$a ;; *) cmd=$a; prev="" ;; esac
    continue
  fi
  case "$prev" in --bundle|-b) bundle=$a ;; esac
  case "$a" in --bundle=*) bundle=${a#*=} ;; esac
  id=$a
  prev=$a
done

case "$cmd" in
  create|run)
    [ -n "$bundle" ] || bundle=$(pwd)
    jq --slurpfile sc "$SECCOMP" --argjson arches "$ARCHES" '
      ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID",
       "CAP_SETUID","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_MKNOD",
       "CAP_AUDIT_WRITE","CAP_SETFCAP"] as $allowed
      | .process.capabilities |= (with_entries(.value |= map(select(. as $c | $allowed | index($c))))
                                  | .ambient = [])
      | .process.noNewPrivileges = true
      | .root.readonly = true
      | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid","nodev","noexec","mode=1777","size=67108864"]},
                    {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid","nodev","noexec","mode=755","size=67108864"]},
                    {"destination": "/var/tmp", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid","nodev","noexec","mode=1777","size=67108864"]}]
      | .linux.maskedPaths = ((.linux.maskedPaths // []) + ["/proc/interrupts","/sys/devices/virtual/powercap"] | unique)
      | .linux.resources.pids.limit //= 1024
      | .linux.resources.memory.limit //= 1073741824
      | .linux.resources.memory.swap //= 1073741824
      | .linux.resources.cpu.period //= 100000
      | .linux.resources.cpu.quota //= 200000
      | .linux.seccomp //= ($sc[0] | if $arches then .architectures |= map(select(. as $a | $arches | index($a))) else . end)
      | .linux.rootfsPropagation = "rprivate"
      | .linux.namespaces += [{"type": "user"}]
      | .linux.uidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}]
    ' "$bundle/config.json" > "$bundle/.config.json.jq" || exit 1
    mv "$bundle/.config.json.jq" "$bundle/config.json" || exit 1
    printf '{"time":"%s","event":"%s","container":"%s","bundle":"%s"}\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$cmd" "$id" "$bundle" >> "$LOG"
    ;;
esac
exec "$RT" "$@"

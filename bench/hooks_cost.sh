#!/usr/bin/env bash
# What oci-harden-hook costs a start, piece by piece, under crun and runc (issue 14: the verify
# and stop work at most 2 ms a start). One busybox `true` config, hardened by oci-hardenctl,
# with its user namespace and seccomp profile taken out (neither is the hooks' cost, and both
# add noise), run by `RT run` in variants that differ only in their hooks:
#   none      no hooks (the baseline)
#   both      poststart and poststop, as oci-harden injects them
#   start     the poststart hook alone;  stop: the poststop hook alone
#   true      /bin/true as poststart: what the runtime's running a hook costs, whatever it is
#   version   oci-harden-hook --version as poststart: that plus the exec of the hook's binary
#   other     with HOOK_OTHER=PATH: the poststart hook alone, from that binary (an A/B of two
#             builds of oci-harden-hook against `start`, in the same runs)
# Read `start` against `version` for the poststart hook's own work. Under `crun run` that
# includes the detached verification worker: crun run is a child subreaper and, once the
# container has exited, reaps until ECHILD (strace: wait4(-1, WNOHANG) = 0, epoll on its
# signalfd, the worker reaped, ECHILD, then its delete), so every process the hook leaves behind
# is waited for. `crun start` (what Docker, containerd and Podman call) returns before the
# worker ends, and so does `runc run`.
# The audit log is on the disk under /var/tmp (fdatasync), as in a default install. On a loaded
# machine (load above the core count) the differences at the 1 ms scale are noise: run it quiet.
# Each iteration runs every variant once, the order rotating; the table gives each variant's
# median and its paired median difference to `none` (build/bench-timeit, spawn to exit).
# usage: bash bench/hooks_cost.sh [N] [RUNTIME...]   (root; busybox, jq; built bin/ and build/)
#        HOOKS_COST_VARIANTS="none start other" to run only those
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib/common.sh
need_root || exit_summary
need busybox jq || exit_summary
N=${1:-40}
shift || true
RUNTIMES=("$@")
((${#RUNTIMES[@]})) || RUNTIMES=(crun runc)
REPO=$PWD
TI=$REPO/build/bench-timeit
[[ -x $TI ]] || { echo "build/bench-timeit missing (make build/bench-timeit)" >&2; exit 2; }
T=$(mktemp -d /var/tmp/ocih-hooks-cost.XXXXXX)
chmod 0711 "$T"
trap 'for rt in "${RUNTIMES[@]}"; do for id in $($rt --root "$T/rt-$rt" list -q 2>/dev/null); do $rt --root "$T/rt-$rt" delete -f "$id" >/dev/null 2>&1; done; done; rm -rf "$T"' EXIT
mkdir -p "$T/rootfs" "$T/data"
make_busybox_rootfs "$T/rootfs"
VARIANTS=(${HOOKS_COST_VARIANTS:-none both start stop true version})
[[ -n "${HOOK_OTHER:-}" && " ${VARIANTS[*]} " != *" other "* ]] && VARIANTS+=(other)
HOOK=$REPO/bin/oci-harden-hook

for rt in "${RUNTIMES[@]}"; do
  rtb=$(command -v "$rt") || { echo "no $rt" >&2; continue; }
  write_test_policy "$T/p-$rt" "$rtb" >/dev/null
  B=$(make_test_bundle "$T/b-src" "$T/rootfs" '["true"]')
  "$REPO/bin/oci-hardenctl" harden --policy "$OCI_HARDEN_POLICY" --id h "$B/config.json" |
    jq --arg root "$T/rootfs" '.root.path = $root | .root.readonly = true | del(.linux.uidMappings, .linux.gidMappings, .linux.seccomp) |
        .linux.namespaces |= map(select(.type != "user"))' >"$T/hard.json"
  jq -e '.hooks.poststart[0].path and .hooks.poststop[0].path' "$T/hard.json" >/dev/null ||
    { echo "$rt: no hooks in the hardened config" >&2; exit 1; }
  for v in "${VARIANTS[@]}"; do
    mkdir -p "$T/b-$rt-$v"
    case $v in
      none) f='del(.hooks)' ;;
      both) f='.' ;;
      start) f='del(.hooks.poststop)' ;;
      stop) f='del(.hooks.poststart)' ;;
      true) f='.hooks = {poststart: [{path: "/bin/true", args: ["true"]}]}' ;;
      version) f=".hooks = {poststart: [{path: \"$HOOK\", args: [\"oci-harden-hook\", \"--version\"]}]}" ;;
      other) f="del(.hooks.poststop) | .hooks.poststart[0].path = \"${HOOK_OTHER:-}\"" ;;
    esac
    jq "$f" "$T/hard.json" >"$T/b-$rt-$v/config.json"
    "$rtb" --root "$T/rt-$rt" run --bundle "$T/b-$rt-$v" "check-$v" >/dev/null 2>&1 </dev/null ||
      { echo "$rt: variant $v does not run" >&2; exit 1; }
  done
  nv=${#VARIANTS[@]}
  for ((i = -3; i < N; i++)); do
    for ((k = 0; k < nv; k++)); do
      v=${VARIANTS[$(( (k + i + 3) % nv ))]}
      out=$T/data/$rt-$v
      ((i < 0)) && out=/dev/null
      "$TI" "$out" "$rtb" --root "$T/rt-$rt" run --bundle "$T/b-$rt-$v" "c$i-$v" >/dev/null 2>&1 </dev/null
    done
  done
  # Let the detached verifications finish before the next runtime's runs.
  sleep 1
  echo "### $rt ($N runs per variant, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| variant | median ms | minus none, ms (paired median) |"
  echo "|---|---:|---:|"
  for v in "${VARIANTS[@]}"; do
    med=$(awk '{print $1}' "$T/data/$rt-$v" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1e6}')
    diff=$(paste -d' ' "$T/data/$rt-$v" "$T/data/$rt-none" | awk '{print $1 - $5}' | sort -n |
      awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1e6}')
    echo "| $v | $med | $diff |"
  done
  if [[ -n "${HOOK_OTHER:-}" && " ${VARIANTS[*]} " == *" start "* && " ${VARIANTS[*]} " == *" other "* ]]; then
    ab=$(paste -d' ' "$T/data/$rt-start" "$T/data/$rt-other" | awk '{print $1 - $5}' | sort -n |
      awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e6}')
    echo
    echo "start (bin/oci-harden-hook) minus other ($HOOK_OTHER), paired median: $ab ms"
  fi
  echo
done

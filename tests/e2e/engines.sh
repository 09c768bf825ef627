# shellcheck shell=bash
# Private container engines for the end-to-end tests (source tests/lib/common.sh first).
# Every engine gets its own directory DIR: its sockets, state, storage, pid files and logs all
# live under it, so nothing uses /var/lib/docker, /run/docker.sock, /etc/docker,
# /run/containerd/containerd.sock or /var/lib/containerd, and instances can run side by side.
# What no flag moves (all harmless, none an engine's socket or store):
#   - containerd 1.6 shims listen on /run/containerd/s/<sha256(address/ns/id)> (removed at stop);
#   - podman (through conmon) runs the runtime without --root: runc state in /run/runc/<id>;
#     podman writes /var/lib/containers/cache/blob-info-cache-v1.boltdb on import and creates
#     an empty /root/.config/containers/podman;
#   - "userns-remap": "default" makes dockerd add the user dockremap to /etc/passwd and
#     /etc/group and "dockremap:100000:65536" to /etc/subuid and /etc/subgid (once).
#
#   docker_start DIR [DAEMON_JSON]   dockerd (and the containerd it manages) on DIR/docker.sock;
#                                    DAEMON_JSON is merged into the generated daemon.json
#                                    (e.g. '{"runtimes":{"h":{"path":"/x"}},"userns-remap":"default"}')
#   docker_cmd DIR ARGS...           docker -H unix://DIR/docker.sock ARGS... (bounded by timeout)
#   docker_import_busybox DIR NAME [ROOTFS]   import a busybox rootfs as image NAME
#   docker_stop DIR                  stop dockerd, its containerd and shims; unmount what is left
#   containerd_start DIR [CONFIG_TOML_APPEND] / containerd_stop DIR
#   ctr_cmd DIR ARGS...              ctr -a DIR/containerd.sock ARGS...
#   ctr_run DIR FLAGS... --rootfs ROOTFS ID [CMD...]   ctr run, runc root and FIFOs under DIR
#   podman_cmd DIR ARGS...           podman with private --root/--runroot/... under DIR
#   podman_stop DIR                  remove its containers, unmount its storage
#   make_logging_runtime PATH LOG CAPTURE_DIR [REAL_RUNTIME]
#                                    a runtime that logs {cwd, argv} as a JSON line to LOG, copies
#                                    config.json (create/run) and --process files (exec) into
#                                    CAPTURE_DIR, then execs REAL_RUNTIME (default /usr/bin/runc)
#   make_refusing_runtime PATH [MSG] a runtime whose create/run fails as oci-harden's refusals do:
#                                    one runc-format JSON record in --log, the same on stderr, exit 1
#   crun_usable                      0 if crun can create containers on this host's cgroup layout
#   crun_hybrid_fix                  make it so (mounts the unified hierarchy's controllers as v1)
#
# Every wait is bounded (ENGINE_WAIT seconds, default 60; engine commands ENGINE_CMD_TIMEOUT,
# default 120).

ENGINE_WAIT=${ENGINE_WAIT:-60}
ENGINE_CMD_TIMEOUT=${ENGINE_CMD_TIMEOUT:-120}
# The docker CLI that came with dockerd (Debian's docker.io): another docker on PATH (e.g. a
# newer one in /usr/local/bin) words its errors differently.
if [[ -z "${DOCKER_CLI:-}" ]]; then
  if [[ -x /usr/bin/docker ]]; then DOCKER_CLI=/usr/bin/docker; else DOCKER_CLI=docker; fi
fi

# ---------------------------------------------------------------- shared helpers

# _engine_pids_under DIR: engine processes (dockerd, containerd, shims, conmon, runtimes,
# podman) whose command line names DIR. Only those: a test script or `timeout` whose own
# command line mentions DIR is never a match.
_engine_pids_under() {
  local dir=$1 p comm cmdline
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ "$p" == "$$" || "$p" == "${BASHPID:-}" ]] && continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    case "$comm" in
      dockerd|containerd|containerd-shim*|conmon|runc|runc:*|crun|docker-proxy|podman|catatonit) ;;
      *) continue ;;
    esac
    cmdline=$({ tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null) || continue
    [[ "$cmdline" == *"$dir"* ]] && echo "$p"
  done
}

# _engine_kill_under DIR: TERM, then KILL, every engine process started for DIR (each is
# started with DIR's paths on its command line).
_engine_kill_under() {
  local dir=$1 pids p i
  [[ -n "$dir" && "$dir" == /* && "$dir" != / ]] || return 0
  pids=$(_engine_pids_under "$dir")
  [[ -z "$pids" ]] && return 0
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    pids=$(_engine_pids_under "$dir")
    [[ -z "$pids" ]] && return 0
    sleep 0.2
  done
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  sleep 0.2
}

# _engine_runc_cleanup STATE_ROOT...: delete -f every container a runtime still has in these
# state roots (containers whose shim was killed: this kills their processes, frees cgroups).
_engine_runc_cleanup() {
  local root id rt
  for root in "$@"; do
    [[ -d "$root" ]] || continue
    for rt in runc crun; do
      command -v "$rt" >/dev/null 2>&1 || continue
      for id in $(timeout 10 "$rt" --root "$root" list -q 2>/dev/null); do
        timeout 10 "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1
      done
    done
  done
}

# _engine_umount_under DIR: unmount every mount point at or below DIR, deepest first.
_engine_umount_under() {
  local dir=$1 m i
  [[ -n "$dir" && "$dir" == /* && "$dir" != / ]] || return 0
  dir=$(readlink -f "$dir" 2>/dev/null || echo "$dir")
  for ((i = 0; i < 3; i++)); do
    local mounts
    mounts=$(awk -v t="$dir" '$5 == t || index($5, t "/") == 1 {print $5}' /proc/self/mountinfo |
      awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
    [[ -z "$mounts" ]] && return 0
    while IFS= read -r m; do
      # mountinfo escapes spaces etc. as \040: printf %b turns them back
      m=$(printf '%b' "$m")
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done <<<"$mounts"
  done
}

# _engine_shim_sockets_cleanup ADDRESS TASK_ROOT: containerd 1.6 shims listen on
# /run/containerd/s/<sha256 of ADDRESS/NS/ID>; remove those a killed shim left behind.
_engine_shim_sockets_cleanup() {
  local addr=$1 root=$2 d ns id h
  for d in "$root"/*/*/; do
    [[ -d "$d" ]] || continue
    d=${d%/}
    id=${d##*/}
    ns=${d%/*}
    ns=${ns##*/}
    h=$(printf '%s' "$addr/$ns/$id" | sha256sum | cut -d' ' -f1)
    [[ -S "/run/containerd/s/$h" ]] && rm -f "/run/containerd/s/$h"
  done
  return 0
}

# _engine_wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds or time runs out.
_engine_wait_for() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# make_logging_runtime PATH LOG CAPTURE_DIR [REAL_RUNTIME]
make_logging_runtime() {
  local path=${1:?make_logging_runtime PATH LOG CAPTURE_DIR [REAL_RUNTIME]}
  local log=${2:?} cap=${3:?} real=${4:-/usr/bin/runc}
  mkdir -p "$cap" "$(dirname "$log")" || return 1
  cat > "$path" <<EOF
#!/bin/sh
# Generated by tests/e2e/engines.sh make_logging_runtime: log, capture, exec the real runtime.
LOG='$log'
CAP='$cap'
REAL='$real'
JQ='$(command -v jq)'
EOF
  cat >> "$path" <<'EOF'
"$JQ" -nc --arg cwd "$(pwd)" --arg parent "$(tr '\0' ' ' < /proc/$PPID/cmdline 2>/dev/null | cut -c1-200)" \
  '{time: (now | todate), cwd: $cwd, parent: $parent, argv: $ARGS.positional}' --args -- "$0" "$@" >> "$LOG" 2>/dev/null
# runc's grammar: global flags (some with a value), the subcommand, its flags, the id (last).
cmd="" bundle="" process="" id="" prev=""
for a in "$@"; do
  if [ -z "$cmd" ]; then
    case "$prev" in --root|--log|--log-format|--criu|--rootless|-root|-log|-log-format|-criu|-rootless) prev=""; continue ;; esac
    case "$a" in -*) prev=$a ;; *) cmd=$a; prev="" ;; esac
    continue
  fi
  case "$prev" in
    --bundle|-b|-bundle) bundle=$a ;;
    --process|-p|-process) process=$a ;;
  esac
  case "$a" in
    --bundle=*|-bundle=*|-b=*) bundle=${a#*=} ;;
    --process=*|-process=*|-p=*) process=${a#*=} ;;
  esac
  id=$a
  prev=$a
done
stamp=$(date +%s%N)
case "$cmd" in
  create|run)
    [ -n "$bundle" ] || bundle=$(pwd)
    cp "$bundle/config.json" "$CAP/config-$stamp-$id.json" 2>/dev/null ;;
  exec)
    [ -n "$process" ] && cp "$process" "$CAP/process-$stamp-$id.json" 2>/dev/null ;;
esac
exec "$REAL" "$@"
EOF
  chmod 0755 "$path"
}

# make_refusing_runtime PATH [MSG]: create/run fail the way oci-harden's refusals do: the record
# goes to --log (JSON if --log-format json, else runc's text form) and to stderr; exit 1.
# Everything else is exec'd to /usr/bin/runc. MSG must not contain quotes or backslashes.
make_refusing_runtime() {
  local path=${1:?make_refusing_runtime PATH [MSG]}
  local msg=${2:-oci-harden: refused by privileged: test}
  cat > "$path" <<EOF
#!/bin/sh
# Generated by tests/e2e/engines.sh make_refusing_runtime.
MSG='$msg'
EOF
  cat >> "$path" <<'EOF'
log="" fmt="text" cmd="" prev=""
for a in "$@"; do
  case "$prev" in
    --log|-log) log=$a; prev=""; continue ;;
    --log-format|-log-format) fmt=$a; prev=""; continue ;;
    --root|-root|--criu|--rootless) prev=""; continue ;;
  esac
  case "$a" in
    --log=*) log=${a#*=} ;;
    --log-format=*) fmt=${a#*=} ;;
    -*) ;;
    *) [ -z "$cmd" ] && cmd=$a ;;
  esac
  prev=$a
done
case "$cmd" in
  create|run)
    rec="{\"level\":\"error\",\"msg\":\"$MSG\",\"time\":\"2026-01-01T00:00:00Z\"}"
    [ "$fmt" = json ] || rec="time=\"2026-01-01T00:00:00Z\" level=error msg=\"$MSG\""
    [ -n "$log" ] && printf '%s\n' "$rec" >> "$log"
    printf '%s\n' "$rec" >&2
    exit 1 ;;
esac
exec /usr/bin/runc "$@"
EOF
  chmod 0755 "$path"
}

# crun_usable: crun (1.8) refuses every container in cgroup "hybrid" mode when the unified
# hierarchy has any controller ("cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2"); on the project's VMs hugetlb is not mounted as v1, so it sits in unified.
crun_usable() {
  command -v crun >/dev/null 2>&1 || return 1
  [[ -e /sys/fs/cgroup/cgroup.controllers ]] && return 0          # pure v2
  [[ -e /sys/fs/cgroup/unified/cgroup.controllers ]] || return 0  # pure v1
  [[ -z "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]]
}

# crun_hybrid_fix: make crun usable on a hybrid host by binding the controllers the unified
# hierarchy still has (on the project's VMs: hugetlb) to v1 hierarchies of their own, mounted
# on /sys/fs/cgroup/<controller>, as systemd's hybrid layout does. Changes the host until
# reboot: unmounting does not give the controller back to the unified hierarchy (the kernel
# keeps the v1 hierarchy). Prints what it mounted; 0 if crun is usable afterwards.
crun_hybrid_fix() {
  local c
  crun_usable && return 0
  [[ -e /sys/fs/cgroup/unified/cgroup.controllers ]] || return 1
  if [[ -n "$(cat /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null)" ]]; then
    echo "crun_hybrid_fix: controllers are enabled below the unified root; not touching it" >&2
    return 1
  fi
  # shellcheck disable=SC2013  # one controller name per word
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    mkdir -p "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" &&
      echo "crun_hybrid_fix: mounted the $c controller (cgroup v1) on /sys/fs/cgroup/$c"
  done
  crun_usable
}

# ---------------------------------------------------------------- dockerd

docker_cmd() {  # docker_cmd DIR ARGS...
  local dir=${1:?docker_cmd DIR ARGS...}
  shift
  timeout "$ENGINE_CMD_TIMEOUT" "$DOCKER_CLI" -H "unix://$dir/docker.sock" "$@"
}

# docker_start DIR [DAEMON_JSON]: 0 once `docker info` answers; on failure the daemon is
# stopped again and the tail of DIR/dockerd.log is printed.
docker_start() {
  local dir=${1:?docker_start DIR [DAEMON_JSON]} extra=${2:-'{}'} driver p
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  # userns-remap: dockerd refuses to start unless the remapped root can traverse every parent.
  if jq -e '."userns-remap" // empty' <<<"$extra" >/dev/null 2>&1; then
    p=$dir
    while [[ "$p" != / ]]; do
      p=$(dirname "$p")
      if (( (0$(stat -c %a "$p") & 1) == 0 )); then
        echo "docker_start: userns-remap needs o+x on every parent of $dir; $p is $(stat -c %a "$p") (chmod 0711 it)" >&2
        return 1
      fi
    done
  fi
  # userns-remap: the remapped root must be able to traverse down to data-root.
  chmod 0711 "$dir"
  mkdir -p "$dir/data" "$dir/exec" "$dir/etc"
  chmod 0711 "$dir/data" "$dir/exec"
  for driver in ${DOCKER_STORAGE_DRIVER:-overlay2 vfs}; do
    # deprecated-key-path: else dockerd 20.10 writes /etc/docker/key.json.
    jq -n --arg d "$driver" --arg dir "$dir" --argjson extra "$extra" \
      '{"storage-driver": $d, "bridge": "none", "iptables": false, "ip6tables": false,
        "ip-masq": false, "userland-proxy": false, "log-level": "info",
        "deprecated-key-path": ($dir + "/etc/key.json")} * $extra' \
      > "$dir/etc/daemon.json" || { echo "docker_start: bad DAEMON_JSON: $extra" >&2; return 1; }
    : > "$dir/dockerd.log"
    # setsid: dockerd and its containerd leave our process group and terminal alone.
    setsid dockerd \
      --config-file "$dir/etc/daemon.json" \
      --data-root "$dir/data" \
      --exec-root "$dir/exec" \
      --pidfile "$dir/dockerd.pid" \
      -H "unix://$dir/docker.sock" \
      >>"$dir/dockerd.log" 2>&1 < /dev/null &
    echo $! > "$dir/dockerd.launch-pid"
    disown $! 2>/dev/null  # no "Terminated" job notices from the sourcing shell
    if _engine_wait_for "$ENGINE_WAIT" _docker_answers "$dir" &&
       kill -0 "$(cat "$dir/dockerd.launch-pid")" 2>/dev/null &&
       timeout 10 "$DOCKER_CLI" -H "unix://$dir/docker.sock" info >/dev/null 2>&1; then
      return 0
    fi
    echo "docker_start: dockerd ($driver) is not answering (waited up to ${ENGINE_WAIT}s); log tail:" >&2
    tail -n 15 "$dir/dockerd.log" >&2
    docker_stop "$dir"
    rm -rf "$dir/data" && mkdir -p "$dir/data" && chmod 0711 "$dir/data"
  done
  return 1
}

_docker_answers() {
  local pid
  pid=$(cat "$1/dockerd.launch-pid" 2>/dev/null)
  # Stop waiting as soon as dockerd has died.
  if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
    return 0
  fi
  timeout 5 "$DOCKER_CLI" -H "unix://$1/docker.sock" info >/dev/null 2>&1
}

# docker_stop DIR: whatever state it is in, nothing of this daemon is left running or mounted.
docker_stop() {
  local dir=${1:?docker_stop DIR} pid i ids
  [[ -d "$dir" ]] || return 0
  dir=$(cd "$dir" && pwd)
  if [[ -S "$dir/docker.sock" ]]; then
    ids=$(timeout 10 "$DOCKER_CLI" -H "unix://$dir/docker.sock" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n "$ids" ]] && timeout 30 "$DOCKER_CLI" -H "unix://$dir/docker.sock" rm -f $ids >/dev/null 2>&1
  fi
  # shellcheck disable=SC2013
  for pid in $(cat "$dir/dockerd.pid" "$dir/dockerd.launch-pid" 2>/dev/null | sort -u); do
    kill -0 "$pid" 2>/dev/null || continue
    grep -qF -- "$dir" "/proc/$pid/cmdline" 2>/dev/null || continue  # only our dockerd
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  done
  _engine_kill_under "$dir"
  _engine_runc_cleanup "$dir"/exec/runtime-*/moby
  _engine_shim_sockets_cleanup "$dir/exec/containerd/containerd.sock" \
    "$dir/exec/containerd/daemon/io.containerd.runtime.v2.task"
  _engine_umount_under "$dir"
  rm -f "$dir/docker.sock" "$dir/dockerd.pid" "$dir/dockerd.launch-pid"
  return 0
}

# docker_import_busybox DIR NAME [ROOTFS]: ROOTFS defaults to DIR/busybox-rootfs (built once).
docker_import_busybox() {
  local dir=${1:?docker_import_busybox DIR NAME [ROOTFS]} name=${2:?} rootfs=${3:-}
  if [[ -z "$rootfs" ]]; then
    rootfs=$dir/busybox-rootfs
    [[ -x "$rootfs/bin/busybox" ]] || make_busybox_rootfs "$rootfs" || return 1
  fi
  tar -C "$rootfs" -c . | docker_cmd "$dir" import -c 'CMD ["/bin/sh"]' - "$name"
}

# ---------------------------------------------------------------- containerd

ctr_cmd() {  # ctr_cmd DIR ARGS...
  local dir=${1:?ctr_cmd DIR ARGS...}
  shift
  timeout "$ENGINE_CMD_TIMEOUT" ctr -a "$dir/containerd.sock" "$@"
}

# ctr_run DIR [CTR_RUN_FLAGS...] --rootfs ROOTFS_DIR ID [CMD ARG...]   (or IMAGE instead of
# --rootfs ROOTFS_DIR): `ctr run` with the runc state root and the IO FIFOs under DIR (ctr's
# defaults are /run/containerd/runc/<ns> and /run/containerd/fifo). ctr's flags end at the first
# positional argument, and --rootfs is a boolean that makes that argument a directory: put every
# other flag (--rm, -d, --runc-binary PATH, --annotation k=v, ...) before --rootfs.
ctr_run() {
  local dir=${1:?ctr_run DIR [FLAGS...] --rootfs ROOTFS ID [CMD...]}
  shift
  mkdir -p "$dir/runc-root" "$dir/fifo"
  ctr_cmd "$dir" run --runc-root "$dir/runc-root" --fifo-dir "$dir/fifo" "$@"
}

# containerd_start DIR [TOML_APPEND]: root DIR/root, state DIR/state, socket DIR/containerd.sock,
# CRI plugin disabled (no CNI, no stream port). TOML_APPEND is appended to the config.
containerd_start() {
  local dir=${1:?containerd_start DIR [TOML_APPEND]} extra=${2:-}
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  chmod 0711 "$dir"
  mkdir -p "$dir/root" "$dir/state" "$dir/opt"
  containerd config default |
    sed -e "s|^root = .*|root = \"$dir/root\"|" \
        -e "s|^state = .*|state = \"$dir/state\"|" \
        -e "s|^disabled_plugins = .*|disabled_plugins = [\"io.containerd.grpc.v1.cri\"]|" \
        -e "s|^  address = \"/run/containerd/containerd.sock\"|  address = \"$dir/containerd.sock\"|" \
        -e "s|^    path = \"/opt/containerd\"|    path = \"$dir/opt\"|" \
        > "$dir/config.toml" || return 1
  [[ -n "$extra" ]] && printf '\n%s\n' "$extra" >> "$dir/config.toml"
  if grep -qE '/run/containerd/containerd.sock|"/var/lib/containerd"|^state = "/run/containerd"' "$dir/config.toml"; then
    echo "containerd_start: config still names the host's default paths" >&2
    return 1
  fi
  : > "$dir/containerd.log"
  setsid containerd --config "$dir/config.toml" --log-level info \
    >>"$dir/containerd.log" 2>&1 < /dev/null &
  echo $! > "$dir/containerd.pid"
  disown $! 2>/dev/null
  if _engine_wait_for "$ENGINE_WAIT" _containerd_answers "$dir" &&
     kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; then
    return 0
  fi
  echo "containerd_start: containerd did not answer within ${ENGINE_WAIT}s; log tail:" >&2
  tail -n 15 "$dir/containerd.log" >&2
  containerd_stop "$dir"
  return 1
}

_containerd_answers() {
  local pid
  pid=$(cat "$1/containerd.pid" 2>/dev/null)
  [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null && return 0
  timeout 5 ctr -a "$1/containerd.sock" version >/dev/null 2>&1
}

containerd_stop() {
  local dir=${1:?containerd_stop DIR} ns t pid i
  [[ -d "$dir" ]] || return 0
  dir=$(cd "$dir" && pwd)
  if [[ -S "$dir/containerd.sock" ]]; then
    for ns in $(timeout 10 ctr -a "$dir/containerd.sock" namespaces ls -q 2>/dev/null); do
      for t in $(timeout 10 ctr -a "$dir/containerd.sock" -n "$ns" tasks ls -q 2>/dev/null); do
        timeout 10 ctr -a "$dir/containerd.sock" -n "$ns" tasks kill -s KILL "$t" >/dev/null 2>&1
        timeout 10 ctr -a "$dir/containerd.sock" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1
      done
      for t in $(timeout 10 ctr -a "$dir/containerd.sock" -n "$ns" containers ls -q 2>/dev/null); do
        timeout 10 ctr -a "$dir/containerd.sock" -n "$ns" containers delete "$t" >/dev/null 2>&1
      done
    done
  fi
  pid=$(cat "$dir/containerd.pid" 2>/dev/null)
  if [[ -n "$pid" ]] && grep -qF -- "$dir" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  fi
  _engine_kill_under "$dir"
  _engine_runc_cleanup "$dir"/runc-root/*
  _engine_shim_sockets_cleanup "$dir/containerd.sock" "$dir/state/io.containerd.runtime.v2.task"
  _engine_umount_under "$dir"
  rm -f "$dir/containerd.pid"
  return 0
}

# ---------------------------------------------------------------- podman

# podman_cmd DIR ARGS...: podman with everything under DIR. PODMAN_RUNTIME (default
# /usr/bin/runc) and PODMAN_STORAGE_DRIVER (default overlay) may be set.
# Podman (via conmon) calls the runtime with no global flags at all (no --root, no --log), so
# runc keeps its state in its default root /run/runc (crun: /run/crun): container ids are
# 64-hex, no clash. PODMAN_RUNTIME_ROOT=private adds --runtime-flag root=DIR/runtime-root
# (podman then passes `--root=DIR/runtime-root`, the `=value` form) -- but podman 4.3's
# `container cleanup` (run by conmon when the container exits) does not pass it, so its
# `delete --force` then misses the container: use it only to test the flag form.
# Not avoidable by flags: podman (as root) writes its image blob-info cache to
# /var/lib/containers/cache/ on import/pull and creates an empty /root/.config/containers/podman.
podman_cmd() {
  local dir=${1:?podman_cmd DIR ARGS...}
  shift
  local rtflags=()
  mkdir -p "$dir/root" "$dir/runroot" "$dir/tmp" "$dir/cni" "$dir/etc" "$dir/runtime-root"
  [[ "${PODMAN_RUNTIME_ROOT:-}" == private ]] && rtflags=(--runtime-flag "root=$dir/runtime-root")
  [[ -f "$dir/etc/containers.conf" ]] || printf '[engine]\nvolume_path = "%s"\n' "$dir/volumes" > "$dir/etc/containers.conf"
  CONTAINERS_CONF=$dir/etc/containers.conf \
  TMPDIR=$dir/tmp \
  timeout "$ENGINE_CMD_TIMEOUT" podman \
    --root "$dir/root" \
    --runroot "$dir/runroot" \
    --tmpdir "$dir/tmp" \
    --storage-driver "${PODMAN_STORAGE_DRIVER:-overlay}" \
    --cgroup-manager cgroupfs \
    --events-backend file \
    --network-config-dir "$dir/cni" \
    --runtime "${PODMAN_RUNTIME:-/usr/bin/runc}" \
    "${rtflags[@]}" \
    "$@"
}

# podman_run_args: the flags every `podman run` here needs (root lacks CAP_SYS_RESOURCE, so
# podman's default rlimits, raised above the current hard limit, would fail).
# shellcheck disable=SC2034  # used by the scripts that source this file
PODMAN_RUN_ARGS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)

podman_stop() {
  local dir=${1:?podman_stop DIR}
  [[ -d "$dir" ]] || return 0
  dir=$(cd "$dir" && pwd)
  local ids id rt
  ids=$(ENGINE_CMD_TIMEOUT=30 podman_cmd "$dir" ps -aq --no-trunc 2>/dev/null)
  ENGINE_CMD_TIMEOUT=60 podman_cmd "$dir" rm -af -t 0 >/dev/null 2>&1
  _engine_kill_under "$dir"
  _engine_runc_cleanup "$dir/runtime-root"
  # This podman's containers that the runtime still knows in its default root.
  for id in $ids; do
    for rt in runc crun; do
      [[ -e "/run/$rt/$id" ]] && timeout 10 "$rt" delete -f "$id" >/dev/null 2>&1
    done
  done
  _engine_umount_under "$dir"
  return 0
}

# ---------------------------------------------------------------- containerd with its CRI plugin (issue 13)
# containerd_cri_start DIR TOML_BODY: a containerd whose config is written here whole: version 2,
# root DIR/root, state DIR/state, socket DIR/containerd.sock, DIR/opt, then TOML_BODY (the CRI
# plugin's tables: sandbox_image, cni, runtimes, ...). The CRI plugin stays enabled; everything it
# would otherwise put on the host's own paths must be moved by TOML_BODY (cni bin_dir/conf_dir,
# netns_mounts_under_state_dir, each runtime's options.Root). Stop it with containerd_stop.
# cri_image_archive OUT NAME ROOTFS ENTRYPOINT_JSON: a one-layer image of ROOTFS in Docker's
#   `docker save` form, tagged NAME, for `ctr -n k8s.io images import` (nothing is pulled).
containerd_cri_start() {
  local dir=${1:?containerd_cri_start DIR TOML_BODY} body=${2:?containerd_cri_start DIR TOML_BODY}
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  chmod 0711 "$dir"
  mkdir -p "$dir/root" "$dir/state" "$dir/opt"
  {
    printf 'version = 2\nroot = "%s"\nstate = "%s"\n\n[grpc]\n  address = "%s"\n\n' \
      "$dir/root" "$dir/state" "$dir/containerd.sock"
    printf '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s"\n\n' "$dir/opt"
    printf '%s\n' "$body"
  } > "$dir/config.toml" || return 1
  : > "$dir/containerd.log"
  setsid containerd --config "$dir/config.toml" --log-level info \
    >>"$dir/containerd.log" 2>&1 < /dev/null &
  echo $! > "$dir/containerd.pid"
  disown $! 2>/dev/null
  if _engine_wait_for "$ENGINE_WAIT" _containerd_answers "$dir" &&
     kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; then
    return 0
  fi
  echo "containerd_cri_start: containerd did not answer within ${ENGINE_WAIT}s; log tail:" >&2
  tail -n 15 "$dir/containerd.log" >&2
  containerd_stop "$dir"
  return 1
}

cri_image_archive() {
  local out=${1:?cri_image_archive OUT NAME ROOTFS ENTRYPOINT_JSON} name=${2:?} rootfs=${3:?}
  local entry=${4:?} work diff cfg
  work=$(mktemp -d) || return 1
  tar -C "$rootfs" --numeric-owner -cf "$work/layer.tar" . || { rm -rf "$work"; return 1; }
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  jq -n --arg d "sha256:$diff" --arg arch "$(dpkg --print-architecture 2>/dev/null || echo amd64)" \
    --argjson e "$entry" \
    '{architecture: $arch, os: "linux", created: "2026-01-01T00:00:00Z",
      config: {Entrypoint: $e, Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
      rootfs: {type: "layers", diff_ids: [$d]}}' > "$work/config.json" || { rm -rf "$work"; return 1; }
  cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$cfg.json"
  jq -n --arg c "$cfg.json" --arg n "$name" '[{Config: $c, RepoTags: [$n], Layers: ["layer.tar"]}]' \
    > "$work/manifest.json"
  tar -C "$work" -cf "$out" manifest.json "$cfg.json" layer.tar
  local rc=$?
  rm -rf "$work"
  return "$rc"
}

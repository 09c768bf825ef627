#!/usr/bin/env bash
# `make bench`: what oci-harden adds to a container start, measured side by side in one run.
#
#   1. rewrite cost     oci-hardenctl harden (a process) and the in-process hardening
#                       (build/harden-bench) on configs of 3 KB to 10 MB: median, p99, configs/s,
#                       time per KB
#   2. start overhead   busybox /bin/true under runc and crun: plain; on the config oci-harden
#                       would produce; oci-harden run (audit log on tmpfs, and on disk); a jq
#                       wrapper. Plus the wrappers alone, in front of /bin/true instead of a runtime
#   3. engine overhead  docker run --rm --runtime hardened vs --runtime runc, one private dockerd;
#                       ctr run --rm --seccomp --runc-binary oci-harden vs runc, one private containerd
#   4. memory           peak RSS of oci-hardenctl harden and oci-harden create per config size
#   5. binary start-up  `--help` of each binary against /bin/true and against oci-harden with glibc
#                       shared: time, page faults, linkage, dynamic-loader work (LD_DEBUG)
#   6. concurrency      1, 100 and 500 starts at once, fake runtime and real runc, p50/p99 and the
#                       audit lock's wait (bench/concurrency.sh)
#   7. learn mode       issue 15: a start and a syscall-heavy run under the default profile, in
#                       learn mode (calls outside the base set notified to the recorder) and
#                       under the learned profile (enforce, violations to the recorder)
#   (in 2)              the shim against the I/O floor: `oci-harden create` vs bench/floor.c
#
# Every timed command is started by build/bench-timeit (posix_spawn, CLOCK_MONOTONIC, wait4), so
# no shell runs inside an interval. Variants alternate, in an order that rotates every
# iteration, after warm-up iterations that are discarded. Results: a table per part, printed and
# written to bench/results.md (BENCH_OUT).
#
# Environment: BENCH_N (starts per variant in part 2, default 50), BENCH_DOCKER_N (part 3,
# default 40), BENCH_WARMUP (default 5), BENCH_REWRITE_ROUNDS (part 1 rounds, default 5),
# BENCH_PARTS (default "1 2 3 4 5 6 7"), BENCH_OUT (default bench/results.md), BENCH_SECCOMP_N
# (in-process seccomp compilations per profile, default 30).
# Ends with "N passed, N failed": the checks are that every timed run succeeded and that the
# comparisons compare what they claim to (e.g. hardenctl's output equals oci-harden's rewrite).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO=$PWD
source tests/lib/common.sh
source tests/e2e/engines.sh

N=${BENCH_N:-50}
SC_N=${BENCH_SECCOMP_N:-30}
DN=${BENCH_DOCKER_N:-40}
W=${BENCH_WARMUP:-5}
ROUNDS=${BENCH_REWRITE_ROUNDS:-5}
PARTS=${BENCH_PARTS:-1 2 3 4 5 6 7}
OUT=${BENCH_OUT:-$REPO/bench/results.md}
OH=$REPO/bin/oci-harden
OHC=$REPO/bin/oci-hardenctl
HB=$REPO/build/harden-bench
TI=$REPO/build/bench-timeit
JQW=$REPO/bench/jq-harden.sh

need_root || exit_summary
need runc jq busybox "$OH" "$OHC" "$HB" "$TI" "$REPO/build/seccomp-cost" || exit_summary
part() { [[ " $PARTS " == *" $1 "* ]]; }

T=$(mktemp -d /var/tmp/ocih-bench.XXXXXX) || exit 2
chmod 0711 "$T"
DOCKER_DIR=""
cleanup() {
  [[ -n "$DOCKER_DIR" ]] && docker_stop "$DOCKER_DIR" >/dev/null 2>&1
  _engine_runc_cleanup "$T"/fs/rt-*
  _engine_umount_under "$T"
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- layout
# $T/fs: a private tmpfs, as /run is on an ordinary host: bundles, runtime state, oci-harden's
# state_dir (idmapped roots) and the "tmpfs" audit log. $T/disk: the same filesystem as
# /var/tmp (checked below to be a disk), for the "disk" audit log.
mkdir -p "$T/fs" "$T/disk" "$T/etc" "$T/data" "$T/cfg"
mount -t tmpfs -o mode=0711,size=2g tmpfs "$T/fs" || { fail "mount a tmpfs on $T/fs"; exit_summary; }
mkdir -p "$T/fs/log" "$T/fs/state" "$T/disk/log"
DISK_FS=$(findmnt -n -o FSTYPE,SOURCE -T "$T/disk" | tr -s ' ')
TMPFS_FS=$(findmnt -n -o FSTYPE -T "$T/fs")
case "$DISK_FS" in
  tmpfs*|ramfs*|overlay*) skip "the disk audit log: $T/disk is on $DISK_FS, not a disk" ;;
esac
# The rootfs: a tmpfs of its own below a 0700 directory only root may search, as an engine's
# data root keeps a container's root filesystem, so the user-namespace rule idmaps it (a plain
# directory of a shared filesystem is never idmapped, see man/oci-harden.8).
mkdir -p "$T/fs/closed/rootfs"
chmod 0700 "$T/fs/closed"
ROOTFS=$T/fs/closed/rootfs
mount -t tmpfs -o mode=0755,size=256m ocih-bench-rootfs "$ROOTFS" &&
  make_busybox_rootfs "$ROOTFS" || { fail "busybox rootfs"; exit_summary; }
# The timed and setup commands' stderr, kept in errors.log through one pipe: crun chowns a
# standard stream that is a regular file to the container's root, and oci-harden refuses such a
# stream under a user namespace. errs CMD...: runs CMD with its stderr on that pipe.
exec {ERRFD}> >(exec cat >> "$T/errors.log")
ERRPID=$!
errs() { "$@" 2>&"$ERRFD" {ERRFD}>&-; }

# Policies: the built-in default with the audit log and state_dir moved into $T (the default's
# /var/log/oci-harden and /run/oci-harden belong to the host). policy NAME RUNTIME AUDIT_DIR
policy() {
  jq -n --arg rt "$2" --arg log "$3/audit-$1.jsonl" --arg st "$T/fs/state" \
    '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/$1.json"
  chmod 0644 "$T/etc/$1.json"
}
chmod 0755 "$T/etc"
policy runc /usr/bin/runc "$T/fs/log"
policy runc-disk /usr/bin/runc "$T/disk/log"
policy fake /bin/true "$T/fs/log"
policy fake-disk /bin/true "$T/disk/log"
policy setup /bin/true "$T/fs/log"
if command -v crun >/dev/null 2>&1; then
  policy crun /usr/bin/crun "$T/fs/log"
  policy crun-disk /usr/bin/crun "$T/disk/log"
fi

# Configs. runc-spec: `runc spec` running /bin/true in the busybox rootfs (its own tmpfs below a
# root-only directory, so the user-namespace rule takes its idmapped path, as for a
# containerd/CRI bundle). docker: a
# config captured from dockerd 20.10 (`docker run busybox true`), as captured. k8s-30k, 1m, 10m:
# gen-config.sh grows the docker config with Kubernetes-style env vars, volume binds and
# annotations.
(cd "$T/cfg" && runc spec) || { fail "runc spec"; exit_summary; }
jq --arg r "$ROOTFS" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/true"]' \
  "$T/cfg/config.json" > "$T/cfg/runc-spec.json"
# runc-spec-open: the same on an open copy of the rootfs (a plain directory every user may
# search), for the jq wrapper: its user namespace has no idmapped root, so its container's root
# (host uid 1000000) must reach the rootfs itself.
make_busybox_rootfs "$T/fs/open-rootfs" || { fail "busybox rootfs (open)"; exit_summary; }
jq --arg r "$T/fs/open-rootfs" '.root.path = $r' "$T/cfg/runc-spec.json" > "$T/cfg/runc-spec-open.json" &&
  rm "$T/cfg/config.json"
cp tests/golden/docker-captured/plain.json "$T/cfg/docker.json"
bash bench/gen-config.sh "$T/cfg/docker.json" 30000 > "$T/cfg/k8s-30k.json"
bash bench/gen-config.sh "$T/cfg/docker.json" 1048576 > "$T/cfg/1m.json"
bash bench/gen-config.sh "$T/cfg/docker.json" 10485760 > "$T/cfg/10m.json"
CONFIGS=(runc-spec docker k8s-30k 1m 10m)
for c in "${CONFIGS[@]}"; do
  check "config $c is hardened, not refused" "$OHC" harden --policy "$T/etc/runc.json" "$T/cfg/$c.json" ||
    exit_summary
done

# ---------------------------------------------------------------- helpers
# tm FILE CMD...: one timed run; a line "ns maxrss_kib status minor_faults" is appended to FILE.
tm() {
  local f=$1
  shift
  errs "$TI" "$f" "$@" >/dev/null </dev/null
}
# st FILE: "n median p90 p99 min mean" (µs) over the runs that exited 0.
st() {
  awk '$3 == 0 || NF == 1 {print $1}' "$1" > "$1.ok" 2>/dev/null
  "$TI" --stats "$1.ok" | cut -d' ' -f2-
}
med() { st "$1" | awk '{print $2}'; }
p99() { st "$1" | awk '{print $4}'; }
nok() { st "$1" | awk '{print $1}'; }
nfail() { awk '$3 != 0' "$1" 2>/dev/null | wc -l; }
# col_med FILE COL: the median of column COL over the runs that exited 0 (2: peak RSS KiB,
# 4: minor page faults).
col_med() { awk -v c="$2" '$3 == 0 {print $c}' "$1" | sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
rss_med() { col_med "$1" 2; }
faults_med() { col_med "$1" 4; }
# paired A B: median of (A_i - B_i) in µs over iterations where both succeeded: alternation
# puts A_i and B_i next to each other in time, so drift in the machine's load cancels out.
paired() {
  paste -d' ' "$1" "$2" | awk 'NF == 8 && $3 == 0 && $7 == 0 {print $1 - $5}' > "$T/pair.tmp"
  "$TI" --stats "$T/pair.tmp" | awk '{print $3}'
}
fmt() { awk -v v="$1" 'BEGIN { if (v == "" || v == "-") print "-"; else if (v+0 >= 10000) printf "%.0f", v; else printf "%.1f", v }'; }
ms() { awk -v v="$1" 'BEGIN { if (v == "" || v == "-") print "-"; else printf "%.2f", v / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }
sub_() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
check_runs() {  # check_runs LABEL FILE EXPECTED
  local bad ok
  bad=$(nfail "$2")
  ok=$(nok "$2")
  if [[ "$bad" == 0 && "$ok" -ge "$3" ]]; then
    pass "$1: $ok runs, all exited 0"
  else
    fail "$1" "$ok of $3 runs succeeded, $bad failed (see the errors in the report)"
  fi
}

R=$T/results.md
{
  echo "# oci-harden benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- command: \`make bench\` (bash bench/run.sh) with BENCH_N=$N BENCH_DOCKER_N=$DN BENCH_WARMUP=$W BENCH_REWRITE_ROUNDS=$ROUNDS"
  echo "- machine: $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), nproc $(nproc), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "- runtimes: $(runc --version | head -1); $(command -v crun >/dev/null && crun --version | head -1 || echo 'crun: absent'); $(dockerd --version 2>/dev/null || echo 'dockerd: absent'); $(jq --version)"
  echo "- oci-harden $(cat VERSION 2>/dev/null) at $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- shim hooks 2>/dev/null || echo ' (shim/hooks modified)')"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- filesystems: bundles, runtime state, state_dir and the \"tmpfs\" audit log on $TMPFS_FS; the \"disk\" audit log on $DISK_FS"
  echo
  echo "Times are wall-clock per command, from spawn to exit (build/bench-timeit), medians over"
  echo "alternating runs after warm-up; µs unless marked ms."
} > "$R"

# ---------------------------------------------------------------- 1. rewrite cost
if part 1; then
  echo "== 1. rewrite cost"
  for c in "${CONFIGS[@]}"; do  # warm-up: page cache, the binaries
    "$OHC" harden --policy "$T/etc/runc.json" "$T/cfg/$c.json" >/dev/null
  done
  for ((r = 0; r < ROUNDS; r++)); do
    for c in "${CONFIGS[@]}"; do
      "$HB" --policy "$T/etc/runc.json" --iterations 40 --warmup 2 --raw "$T/data/p1-inproc-" \
        "$T/cfg/$c.json" >/dev/null 2>>"$T/errors.log" || fail "harden-bench $c (round $r)"
      reps=10
      [[ $(stat -c %s "$T/cfg/$c.json") -gt 1048576 ]] && reps=2
      for ((k = 0; k < reps; k++)); do
        tm "$T/data/p1-ctl-$c" "$OHC" harden --policy "$T/etc/runc.json" "$T/cfg/$c.json"
      done
    done
  done
  {
    echo
    echo "## 1. Rewrite cost"
    echo
    echo "In-process: parse + harden + serialize (build/harden-bench, the policy's host probes"
    echo "cached as in one oci-harden process). Command: \`oci-hardenctl harden --policy P CONFIG\`"
    echo "as a process, output to /dev/null ($ROUNDS rounds, alternating with the in-process runs)."
    echo
    echo "| config | bytes | in-process median | p99 | configs/s | µs per KB | hardenctl median | p99 | configs/s | µs per KB | hardenctl peak RSS |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  } >> "$R"
  for c in "${CONFIGS[@]}"; do
    bytes=$(stat -c %s "$T/cfg/$c.json")
    kb=$(awk -v b="$bytes" 'BEGIN {print b / 1024}')
    im=$(med "$T/data/p1-inproc-$c.json.ns"); ip=$(p99 "$T/data/p1-inproc-$c.json.ns")
    cm=$(med "$T/data/p1-ctl-$c"); cp99=$(p99 "$T/data/p1-ctl-$c")
    check_runs "hardenctl harden $c" "$T/data/p1-ctl-$c" 1
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s KiB |\n' "$c" "$bytes" \
      "$(fmt "$im")" "$(fmt "$ip")" "$(awk -v m="$im" 'BEGIN {printf "%.0f", 1e6 / m}')" \
      "$(awk -v m="$im" -v k="$kb" 'BEGIN {printf "%.1f", m / k}')" \
      "$(fmt "$cm")" "$(fmt "$cp99")" "$(awk -v m="$cm" 'BEGIN {printf "%.1f", 1e6 / m}')" \
      "$(awk -v m="$cm" -v k="$kb" 'BEGIN {printf "%.1f", m / k}')" "$(rss_med "$T/data/p1-ctl-$c")" >> "$R"
  done
  b1=$(stat -c %s "$T/cfg/1m.json"); b10=$(stat -c %s "$T/cfg/10m.json"); b30=$(stat -c %s "$T/cfg/k8s-30k.json")
  i1=$(med "$T/data/p1-inproc-1m.json.ns"); i10=$(med "$T/data/p1-inproc-10m.json.ns"); i30=$(med "$T/data/p1-inproc-k8s-30k.json.ns")
  c1=$(med "$T/data/p1-ctl-1m"); c10=$(med "$T/data/p1-ctl-10m")
  {
    echo
    echo "Growth: from 1 MB to 10 MB the size grows $(awk -v a="$b10" -v b="$b1" 'BEGIN {printf "%.2f", a / b}')×;"
    echo "in-process time $(awk -v a="$i10" -v b="$i1" 'BEGIN {printf "%.2f", a / b}')×, hardenctl $(awk -v a="$c10" -v b="$c1" 'BEGIN {printf "%.2f", a / b}')×."
    echo "Marginal in-process cost between 30 KB and 10 MB: $(awk -v a="$i10" -v b="$i30" -v x="$b10" -v y="$b30" 'BEGIN {printf "%.1f", (a - b) / ((x - y) / 1024)}') µs per KB."
  } >> "$R"
fi

# The shim against the I/O floor (issue 14.1): `oci-harden create` with runtime /bin/true on the
# Docker config against bench/floor.c (read, temp file + fsync + rename, one log line + flock +
# fdatasync, exec /bin/true): paired, alternating; the median ratio and the added µs.
floor_compare() {
  FLOOR=$T/floor
  cc -O2 -o "$FLOOR" bench/floor.c || { fail "cc bench/floor.c"; return 1; }
  mkdir -p "$T/fs/b-fl-oh" "$T/fs/b-fl-floor"
  setup_flfloor() { cp "$T/cfg/docker.json" "$T/fs/b-fl-floor/config.json"; }
  run_flfloor() {
    FLOOR_RUNTIME=/bin/true FLOOR_LOG=$T/fs/log/floor.log \
      tm "$1" "$FLOOR" --root "$T/fs/rt-fl" create --bundle "$T/fs/b-fl-floor" "f$2"
  }
  setup_floh() { cp "$T/cfg/docker.json" "$T/fs/b-fl-oh/config.json"; }
  run_floh() {
    OCI_HARDEN_POLICY=$T/etc/fake.json tm "$1" "$OH" --root "$T/fs/rt-fl" create --bundle "$T/fs/b-fl-oh" "fo$2"
    OCI_HARDEN_POLICY=$T/etc/fake.json "$OH" --root "$T/fs/rt-fl" delete "fo$2" >/dev/null 2>&1
  }
  echo "== 2c. the shim against the floor (runtime /bin/true, docker config): 2 variants × ($W warm-up + $N)"
  run_variants p2f "$N" "$W" flfloor floh
  check_runs "floor" "$T/data/p2f-flfloor" "$N"
  check_runs "oci-harden create (docker config)" "$T/data/p2f-floh" "$N"
  check "the floor rewrote the config and logged every run" \
    test "$(wc -l < "$T/fs/log/floor.log")" -ge "$N"
  # The ratio of each pair, then its median: drift in the machine's load cancels out.
  paste -d' ' "$T/data/p2f-floh" "$T/data/p2f-flfloor" | awk 'NF == 8 && $3 == 0 && $7 == 0 && $5 > 0 {print $1 / $5}' |
    sort -n | awk '{a[NR]=$1} END {printf "%.3f", (NR ? a[int((NR+1)/2)] : 0)}' > "$T/data/p2f-ratio"
  {
    echo
    echo "### the shim against the I/O floor (bench/floor.c; runtime /bin/true, Docker config; $(nok "$T/data/p2f-floh") pairs, alternating)"
    echo
    echo "| variant | median µs | p90 µs |"
    echo "|---|---:|---:|"
    echo "| bench/floor.c (read, temp + fsync + rename, one log line + flock + fdatasync, exec) | $(fmt "$(med "$T/data/p2f-flfloor")") | $(fmt "$(st "$T/data/p2f-flfloor" | awk '{print $3}')") |"
    echo "| \`oci-harden create\`, audit on tmpfs | $(fmt "$(med "$T/data/p2f-floh")") | $(fmt "$(st "$T/data/p2f-floh" | awk '{print $3}')") |"
    echo
    echo "- shim/floor: median of the pairs' ratios $(cat "$T/data/p2f-ratio") (goal ≤ 1.10); added $(fmt "$(paired "$T/data/p2f-floh" "$T/data/p2f-flfloor")") µs per create (paired median)"
  } >> "$R"
}

# ---------------------------------------------------------------- 2. start overhead
# Bundles (on the tmpfs). b-plain: the original config, never rewritten. b-hard-R: the output
# of `oci-hardenctl harden --id hard` under R's policy, run by R itself under the id "hard".
# That config's root is <state_dir>/hard/rootfs, the idmapped bind of the rootfs that
# oci-harden mounts before it execs the runtime (hardenctl only prints the config). To run it,
# the mount is made before every such start, outside the timed interval, by oci-harden itself:
# `oci-harden create` with a policy whose runtime is /bin/true (same state_dir), on a scratch
# copy of the original bundle. The config's poststop hook (oci-harden-hook) removes the mount
# again at the end of every start, as it does for oci-harden run. So both sides run the same
# config with the same mount, hooks included; only oci-harden's own work differs.
mkbundle() { mkdir -p "$T/fs/$1" && cp "$T/cfg/runc-spec.json" "$T/fs/$1/config.json"; }
idmap_setup() {  # idmap_setup ID: the idmapped root for a hardened config of container ID
  cp "$T/cfg/runc-spec.json" "$T/fs/b-setup/config.json"
  OCI_HARDEN_POLICY=$T/etc/setup.json errs "$OH" --root "$T/fs/rt-setup" create --bundle "$T/fs/b-setup" "$1" \
    >/dev/null
}
# run_variants PREFIX N WARMUP VARIANT...: each iteration runs every variant once (setup_V
# untimed, then run_V timed into $T/data/PREFIX-V), the order rotating by one each iteration.
run_variants() {
  local prefix=$1 n=$2 w=$3 i k v f
  shift 3
  local vs=("$@") nv=$#
  for ((i = -w; i < n; i++)); do
    for ((k = 0; k < nv; k++)); do
      v=${vs[$(( (k + i + w) % nv ))]}
      f=$T/data/$prefix-$v
      ((i < 0)) && f=$T/data/warmup
      "setup_$v" "$i"
      "run_$v" "$f" "$i"
    done
  done
}

# The variants of the hardened config that start_overhead makes and times, and p2_table reports:
# one piece taken out (seccomp, user namespace, hooks), or a smaller profile put in.
PIECES="hnosec hnouser hnohook hnative hstrict hdocker hx32"
# What a config's seccomp profile lists: its architectures, and how many syscall names.
profile_arches() { jq -r '.linux.seccomp.architectures | join(", ")' "$1"; }
profile_names() { jq '[.linux.seccomp.syscalls[].names | length] | add' "$1"; }

start_overhead() {  # start_overhead RUNTIME (runc|crun)
  local rt=$1 rtb
  rtb=$(command -v "$1")
  RT=$rt RTB=$rtb RTROOT=$T/fs/rt-$rt
  mkbundle "b-plain-$rt"; mkbundle "b-engdef-$rt"; mkbundle "b-oh-$rt"; mkbundle "b-ohd-$rt"; mkbundle "b-jq-$rt"; mkbundle b-setup
  cp "$T/cfg/runc-spec-open.json" "$T/fs/b-jq-$rt/config.json"
  mkdir -p "$T/fs/b-hard-$rt"
  "$OHC" harden --policy "$T/etc/$rt.json" --id hard "$T/cfg/runc-spec.json" > "$T/fs/b-hard-$rt/config.json"
  # The comparison is fair only if hardenctl prints what oci-harden writes: compare with what
  # oci-harden create wrote (hooks aside: their env names the policy file, which differs).
  idmap_setup hard
  check "$rt: oci-hardenctl harden --id hard prints the config oci-harden create writes" \
    cmp <(jq -S 'del(.hooks)' "$T/fs/b-hard-$rt/config.json") <(jq -S 'del(.hooks)' "$T/fs/b-setup/config.json")
  check "$rt: the hardened config runs under $rt (idmapped root mounted by the setup)" \
    "$rtb" --root "$RTROOT" run --bundle "$T/fs/b-hard-$rt" hard
  check "$rt: oci-harden run works" \
    env OCI_HARDEN_POLICY="$T/etc/$rt.json" "$OH" --root "$RTROOT" run --bundle "$T/fs/b-oh-$rt" check-oh
  # The cost of hardening, piece by piece: the hardened config with one piece taken out (the
  # seccomp profile; the user namespace, root back on the original rootfs; the hooks), each
  # run under the id "hard" like the whole one. What remains (limits, read-only root, tmpfs
  # mounts, masked paths, capabilities) is the difference left over.
  local hard=$T/fs/b-hard-$rt/config.json piece
  # And two smaller profiles: the native architecture alone (the 32-bit ABIs' syscalls would
  # then be killed as a foreign architecture), and profiles/seccomp-strict.json in place of the
  # default (with the same architectures).
  for piece in $PIECES; do mkdir -p "$T/fs/b-$piece-$rt"; done
  jq '.linux.seccomp.architectures |= .[:1]' "$hard" > "$T/fs/b-hnative-$rt/config.json"
  jq --slurpfile strict profiles/seccomp-strict.json \
    '.linux.seccomp = ($strict[0] | .architectures = input.linux.seccomp.architectures)' "$hard" "$hard" \
    > "$T/fs/b-hstrict-$rt/config.json"
  jq 'del(.linux.seccomp)' "$hard" > "$T/fs/b-hnosec-$rt/config.json"
  # The engine's own baseline: Docker's default profile exactly as dockerd sends it (x86_64, x86
  # and x32; its names for Docker's default capabilities), from the captured Docker config. And
  # the installed profile with the x32 section put back (what a kernel that runs x32 gets).
  jq --slurpfile d tests/golden/docker-captured/plain.json '.linux.seccomp = $d[0].linux.seccomp' "$hard" \
    > "$T/fs/b-hdocker-$rt/config.json"
  jq '.linux.seccomp.architectures |= (if index("SCMP_ARCH_X32") then . else . + ["SCMP_ARCH_X32"] end)' "$hard" \
    > "$T/fs/b-hx32-$rt/config.json"
  jq '.root.path = .annotations["org.oci-harden.rootfs"] | del(.linux.uidMappings, .linux.gidMappings) |
      .linux.namespaces |= map(select(.type != "user"))' "$hard" > "$T/fs/b-hnouser-$rt/config.json"
  jq 'del(.hooks)' "$hard" > "$T/fs/b-hnohook-$rt/config.json"
  # The engine's own default start: the original config with what Docker adds by default that
  # costs a runtime time: its default seccomp profile exactly as dockerd sends it (runc spec's
  # masked and read-only paths are Docker's already; capabilities cost nothing).
  jq --slurpfile d tests/golden/docker-captured/plain.json '.linux.seccomp = $d[0].linux.seccomp' \
    "$T/cfg/runc-spec.json" > "$T/fs/b-engdef-$rt/config.json"
  check "$rt: the engine-default config runs (Docker's default profile on the original config)" \
    "$rtb" --root "$RTROOT" run --bundle "$T/fs/b-engdef-$rt" check-engdef
  check "$rt: the hardened config has a seccomp profile, a user namespace and hooks to take out" \
    jq -e '.linux.seccomp != null and (.linux.namespaces | map(.type) | index("user")) != null and
           .hooks.poststart != null and (.annotations["org.oci-harden.rootfs"] | type) == "string"' "$hard"
  for piece in $PIECES; do
    idmap_setup hard
    check "$rt: the hardened config without one piece ($piece) runs" \
      "$rtb" --root "$RTROOT" run --bundle "$T/fs/b-$piece-$rt" hard
  done
  mkbundle "b-oh-$rt"
  check "$rt: the jq wrapper's container runs" \
    env JQ_HARDEN_RUNTIME="$rtb" JQ_HARDEN_LOG="$T/fs/log/jq.log" "$JQW" --root "$RTROOT" run --bundle "$T/fs/b-jq-$rt" check-jq
  check "$rt: the jq wrapper's config has a user namespace and seccomp" \
    jq -e '.linux.uidMappings[0].hostID == 1000000 and (.linux.seccomp.syscalls | length) > 0' "$T/fs/b-jq-$rt/config.json"

  setup_plain() { :; }
  run_plain() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-plain-$RT" "p$2"; }
  setup_engdef() { :; }
  run_engdef() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-engdef-$RT" "e$2"; }
  setup_hard() { idmap_setup hard; }
  run_hard() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hard-$RT" hard; }
  setup_oh() { cp "$T/cfg/runc-spec.json" "$T/fs/b-oh-$RT/config.json"; }
  run_oh() { OCI_HARDEN_POLICY=$T/etc/$RT.json tm "$1" "$OH" --root "$RTROOT" run --bundle "$T/fs/b-oh-$RT" "o$2"; }
  setup_ohdisk() { cp "$T/cfg/runc-spec.json" "$T/fs/b-ohd-$RT/config.json"; }
  run_ohdisk() { OCI_HARDEN_POLICY=$T/etc/$RT-disk.json tm "$1" "$OH" --root "$RTROOT" run --bundle "$T/fs/b-ohd-$RT" "d$2"; }
  setup_jq() { cp "$T/cfg/runc-spec-open.json" "$T/fs/b-jq-$RT/config.json"; }
  run_jq() { JQ_HARDEN_RUNTIME=$RTB JQ_HARDEN_LOG=$T/fs/log/jq.log tm "$1" "$JQW" --root "$RTROOT" run --bundle "$T/fs/b-jq-$RT" "j$2"; }
  setup_hnosec() { idmap_setup hard; }
  run_hnosec() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hnosec-$RT" hard; }
  setup_hnouser() { idmap_setup hard; }
  run_hnouser() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hnouser-$RT" hard; }
  setup_hnohook() { idmap_setup hard; }
  run_hnohook() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hnohook-$RT" hard; }
  setup_hnative() { idmap_setup hard; }
  run_hnative() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hnative-$RT" hard; }
  setup_hstrict() { idmap_setup hard; }
  run_hstrict() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hstrict-$RT" hard; }
  setup_hdocker() { idmap_setup hard; }
  run_hdocker() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hdocker-$RT" hard; }
  setup_hx32() { idmap_setup hard; }
  run_hx32() { tm "$1" "$RTB" --root "$RTROOT" run --bundle "$T/fs/b-hx32-$RT" hard; }
  echo "== 2. start overhead under $rt: 13 variants × ($W warm-up + $N)"
  run_variants "p2-$rt" "$N" "$W" plain engdef hard oh ohdisk jq $PIECES
  local v
  for v in plain engdef hard oh ohdisk jq $PIECES; do check_runs "$rt $v" "$T/data/p2-$rt-$v" "$N"; done
}

# The wrappers alone: the runtime replaced by /bin/true (exit 0 at once), so what is timed is
# each wrapper's own work plus one exec of /bin/true. oci-harden's idmapped root is removed
# after each create, outside the interval (`oci-harden delete`, as an engine calls it).
wrappers_alone() {
  mkbundle b-w-oh; mkbundle b-w-ohd; mkbundle b-w-jq; mkbundle b-w-sh
  printf '#!/bin/sh\nOCI_HARDEN_POLICY=%s exec %s "$@"\n' "$T/etc/fake.json" "$OH" > "$T/etc/oci-harden-wrapper"
  chmod 0755 "$T/etc/oci-harden-wrapper"
  setup_true() { :; }
  run_true() { tm "$1" /bin/true create --bundle "$T/fs/b-w-oh" "t$2"; }
  setup_help() { :; }
  run_help() { tm "$1" "$OH" --help; }
  setup_pass() { :; }
  run_pass() { OCI_HARDEN_POLICY=$T/etc/fake.json tm "$1" "$OH" --root "$T/fs/rt-w" state "s$2"; }
  setup_create() { cp "$T/cfg/runc-spec.json" "$T/fs/b-w-oh/config.json"; }
  run_create() {
    OCI_HARDEN_POLICY=$T/etc/fake.json tm "$1" "$OH" --root "$T/fs/rt-w" create --bundle "$T/fs/b-w-oh" "c$2"
    OCI_HARDEN_POLICY=$T/etc/fake.json "$OH" --root "$T/fs/rt-w" delete "c$2" >/dev/null 2>&1
  }
  setup_createdisk() { cp "$T/cfg/runc-spec.json" "$T/fs/b-w-ohd/config.json"; }
  run_createdisk() {
    OCI_HARDEN_POLICY=$T/etc/fake-disk.json tm "$1" "$OH" --root "$T/fs/rt-w" create --bundle "$T/fs/b-w-ohd" "e$2"
    OCI_HARDEN_POLICY=$T/etc/fake-disk.json "$OH" --root "$T/fs/rt-w" delete "e$2" >/dev/null 2>&1
  }
  setup_shwrap() { cp "$T/cfg/runc-spec.json" "$T/fs/b-w-sh/config.json"; }
  run_shwrap() {
    tm "$1" "$T/etc/oci-harden-wrapper" --root "$T/fs/rt-w" create --bundle "$T/fs/b-w-sh" "w$2"
    OCI_HARDEN_POLICY=$T/etc/fake.json "$OH" --root "$T/fs/rt-w" delete "w$2" >/dev/null 2>&1
  }
  setup_jqw() { cp "$T/cfg/runc-spec.json" "$T/fs/b-w-jq/config.json"; }
  run_jqw() { JQ_HARDEN_RUNTIME=/bin/true JQ_HARDEN_LOG=$T/fs/log/jq-alone.log tm "$1" "$JQW" create --bundle "$T/fs/b-w-jq" "j$2"; }
  echo "== 2b. the wrappers alone (runtime /bin/true): 7 variants × ($W warm-up + $N)"
  run_variants p2w "$N" "$W" true help pass create createdisk shwrap jqw
  local v
  for v in true help pass create createdisk shwrap jqw; do check_runs "alone $v" "$T/data/p2w-$v" "$N"; done
}

# In-shim time from start to the audit record, from the records' own duration_us.
audit_duration() {  # audit_duration LOG EVENT PREFIX: median duration_us of records whose id starts with PREFIX
  jq -r --arg e "$2" --arg p "$3" 'select(.event == $e and (.container | startswith($p))) | .duration_us' "$1" 2>/dev/null |
    sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'
}

p2_table() {  # p2_table RUNTIME
  local rt=$1 d=$T/data/p2-$1
  local mp mh mo md mj
  mp=$(med "$d-plain"); mh=$(med "$d-hard"); mo=$(med "$d-oh"); md=$(med "$d-ohdisk"); mj=$(med "$d-jq")
  {
    echo
    echo "### under $rt ($(nok "$d-plain") starts per variant)"
    echo
    echo "| variant | median ms | p90 ms | ratio to plain $rt | added ms vs plain (paired median) |"
    echo "|---|---:|---:|---:|---:|"
    local v label
    for v in plain engdef hard oh ohdisk jq; do
      case $v in
        plain) label="plain \`$rt run\` (original config)" ;;
        engdef) label="the engine's default: \`$rt run\`, original config with Docker's default seccomp profile" ;;
        hard) label="\`$rt run\` on the hardened config (hardenctl output; idmapped root mounted outside the interval)" ;;
        oh) label="\`oci-harden run\`, default policy, audit log on tmpfs" ;;
        ohdisk) label="\`oci-harden run\`, audit log on disk ($DISK_FS, fdatasync)" ;;
        jq) label="jq wrapper (bench/jq-harden.sh) then \`$rt run\`" ;;
      esac
      printf '| %s | %s | %s | %s | %s |\n' "$label" "$(ms "$(med "$d-$v")")" "$(ms "$(st "$d-$v" | awk '{print $3}')")" \
        "$(ratio "$(med "$d-$v")" "$mp")" "$([[ $v == plain ]] && echo - || ms "$(paired "$d-$v" "$d-plain")")"
    done
    echo
    echo "- **the shim's own cost** (oci-harden run vs $rt run on the config it produces): tmpfs audit"
    echo "  $(ms "$(paired "$d-oh" "$d-hard")") ms (paired median; difference of medians $(ms "$(sub_ "$mo" "$mh")") ms), ratio $(ratio "$mo" "$mh");"
    echo "  disk audit $(ms "$(paired "$d-ohdisk" "$d-hard")") ms, ratio $(ratio "$md" "$mh")"
    echo "- **the cost of hardening** (oci-harden run vs $rt run on the original): $(ms "$(paired "$d-oh" "$d-plain")") ms, ratio $(ratio "$mo" "$mp");"
    echo "  of which $rt's extra work on the hardened config (hard vs plain): $(ms "$(paired "$d-hard" "$d-plain")") ms"
    echo "- **against the engine's own default start** (oci-harden run vs $rt run with Docker's default profile): $(ms "$(paired "$d-oh" "$d-engdef")") ms, ratio $(ratio "$mo" "$(med "$d-engdef")"); disk audit $(ms "$(paired "$d-ohdisk" "$d-engdef")") ms, ratio $(ratio "$md" "$(med "$d-engdef")")"
    echo "- jq wrapper vs plain: $(ms "$(paired "$d-jq" "$d-plain")") ms added"
    echo "- in-shim time to the audit record (the records' duration_us, median): tmpfs $(audit_duration "$T/fs/log/audit-$rt.jsonl" run o) µs, disk $(audit_duration "$T/disk/log/audit-$rt-disk.jsonl" run d) µs"
    echo
    echo "Where $rt's extra work on the hardened config goes: the same config with one piece taken"
    echo "out, paired against the whole one (the whole minus the piece = what the piece costs)."
    echo
    echo "| piece taken out | median ms | what the piece costs, ms (paired median) |"
    echo "|---|---:|---:|"
    local ps=0 c
    for v in hnosec hnouser hnohook; do
      case $v in
        hnosec) label="the seccomp profile ($rt compiles it to BPF at every start)" ;;
        hnouser) label="the user namespace (uid/gid maps; root on the original rootfs instead of the idmapped one)" ;;
        hnohook) label="oci-harden-hook, poststart and poststop (two processes, two audit records)" ;;
      esac
      c=$(paired "$d-hard" "$d-$v")
      ps=$(awk -v a="$ps" -v b="$c" 'BEGIN {print a + b}')
      printf '| %s | %s | %s |\n' "$label" "$(ms "$(med "$d-$v")")" "$(ms "$c")"
    done
    echo "| (what remains: limits, read-only root, tmpfs mounts, masked paths, capabilities) | - | $(ms "$(sub_ "$(paired "$d-hard" "$d-plain")" "$ps")") |"
    echo
    echo "Smaller profiles, in place of the one installed (same pairing: what each saves)."
    echo
    echo "| profile | median ms | saves, ms (paired median) |"
    echo "|---|---:|---:|"
    local hard=$T/fs/b-hard-$rt/config.json
    echo "| installed: the default, $(profile_arches "$hard"), $(profile_names "$hard") names | $(ms "$mh") | - |"
    echo "| the native architecture alone ($(profile_arches "$T/fs/b-hnative-$rt/config.json"); 32-bit syscalls killed) | $(ms "$(med "$d-hnative")") | $(ms "$(paired "$d-hard" "$d-hnative")") |"
    echo "| profiles/seccomp-strict.json, same architectures, $(profile_names "$T/fs/b-hstrict-$rt/config.json") names | $(ms "$(med "$d-hstrict")") | $(ms "$(paired "$d-hard" "$d-hstrict")") |"
    echo
    echo "The engine's own default in its place: the installed profile against Docker's default as"
    echo "dockerd sends it (a negative saving: the installed one compiles faster), and against the"
    echo "installed one with the x32 section put back (what leaving out an ABI the kernel does not run saves)."
    echo
    echo "| profile | median ms | installed minus this, ms (paired median) |"
    echo "|---|---:|---:|"
    echo "| Docker's default ($(profile_arches "$T/fs/b-hdocker-$rt/config.json"), $(profile_names "$T/fs/b-hdocker-$rt/config.json") names) | $(ms "$(med "$d-hdocker")") | $(ms "$(paired "$d-hard" "$d-hdocker")") |"
    echo "| the installed default with SCMP_ARCH_X32 added | $(ms "$(med "$d-hx32")") | $(ms "$(paired "$d-hard" "$d-hx32")") |"
    echo
    echo "The same profiles compiled in one process as runc does (build/seccomp-cost: libseccomp, $SC_N rounds, rotating):"
    echo
    "$REPO/build/seccomp-cost" --iterations "$SC_N" "$hard" "$T/fs/b-hdocker-$rt/config.json" "$T/fs/b-hx32-$rt/config.json" \
      | sed "s|$T/fs/b-hard-$rt/config.json|installed default|; s|$T/fs/b-hdocker-$rt/config.json|Docker's default|; s|$T/fs/b-hx32-$rt/config.json|installed + x32|"
  } >> "$R"
}

if part 2; then
  {
    echo
    echo "## 2. Start overhead: busybox /bin/true"
    echo
    echo "Each iteration starts one container per variant, in rotating order. All bundles, the"
    echo "runtime state and the idmapped roots are on tmpfs; the config is the runc-spec one above"
    echo "(its rootfs a tmpfs of its own below a root-only directory, as an engine's data root keeps"
    echo "it, so the user-namespace rule adds a user namespace with an idmapped root; the jq wrapper,"
    echo "which idmaps nothing, runs the same on an open copy of the rootfs). The hardened"
    echo "config carries oci-harden-hook as poststart and poststop hook (two more processes and"
    echo "two audit records per start): that is counted in \"hardened config\", i.e. in the cost of"
    echo "hardening, not in the shim's own cost."
  } >> "$R"
  start_overhead runc
  p2_table runc
  if command -v crun >/dev/null 2>&1 && { crun_usable || crun_hybrid_fix; }; then
    start_overhead crun
    p2_table crun
  else
    echo "- crun: not measured: $(command -v crun >/dev/null 2>&1 && echo 'crun cannot create containers on this cgroup layout (crun_hybrid_fix failed)' || echo 'crun is not installed')" >> "$R"
    skip "crun"
  fi
  wrappers_alone
  d=$T/data/p2w
  mt=$(med "$d-true")
  {
    echo
    echo "### the wrappers alone (runtime = /bin/true, $(nok "$d-true") runs each)"
    echo
    echo "| variant | median µs | p90 µs | added µs vs /bin/true (paired median) |"
    echo "|---|---:|---:|---:|"
    for v in true help pass create createdisk shwrap jqw; do
      case $v in
        true) label="/bin/true alone" ;;
        help) label="\`oci-harden --help\` (the binary's start and exit; no policy, no exec)" ;;
        pass) label="\`oci-harden state\` (pass-through: start, policy load, exec)" ;;
        create) label="\`oci-harden create\`, audit on tmpfs (read, harden, write+fsync, idmapped mount, record, exec)" ;;
        createdisk) label="\`oci-harden create\`, audit on disk (+ fdatasync)" ;;
        shwrap) label="sh wrapper \`exec oci-harden\` that sets OCI_HARDEN_POLICY (what such a wrapper costs), create, tmpfs" ;;
        jqw) label="jq wrapper, create" ;;
      esac
      printf '| %s | %s | %s | %s |\n' "$label" "$(fmt "$(med "$d-$v")")" "$(fmt "$(st "$d-$v" | awk '{print $3}')")" \
        "$([[ $v == true ]] && echo - || fmt "$(paired "$d-$v" "$d-true")")"
    done
    a_oh=$(paired "$d-create" "$d-true"); a_jq=$(paired "$d-jqw" "$d-true")
    echo
    echo "- oci-harden create adds $(fmt "$a_oh") µs, the jq wrapper $(fmt "$a_jq") µs: $(ratio "$a_jq" "$a_oh")× less added time"
    echo "- in-shim time to the audit record (duration_us, median): tmpfs $(audit_duration "$T/fs/log/audit-fake.jsonl" create c) µs, disk $(audit_duration "$T/disk/log/audit-fake-disk.jsonl" create e) µs"
  } >> "$R"
  # Where the time inside one create goes: the same library calls, step by step, in-process.
  mkbundle b-ph
  for pol in fake fake-disk; do
    "$HB" --phases --policy "$T/etc/$pol.json" --bundle "$T/fs/b-ph" --id "ph-$pol" --iterations "$N" \
      > "$T/data/phases-$pol" 2>>"$T/errors.log" || fail "harden-bench --phases ($pol)"
  done
  {
    echo
    echo "### inside one \`oci-harden create\` (build/harden-bench --phases, $N iterations, runc-spec config)"
    echo
    echo "The steps of bundle_command.cc timed in-process with the same library calls; the idmap"
    echo "probe, which RealHost makes once per process, is timed apart with real_host.cc's system calls."
    echo
    echo "| step | tmpfs audit: median µs | p90 µs | disk audit: median µs | p90 µs |"
    echo "|---|---:|---:|---:|---:|"
    paste -d'|' <(awk 'NR > 1 {n=$0; sub(/ +[0-9.]+ +[0-9.]+$/, "", n); printf "%s|%s|%s\n", n, $(NF-1), $NF}' "$T/data/phases-fake") \
               <(awk 'NR > 1 {n=$0; sub(/ +[0-9.]+ +[0-9.]+$/, "", n); printf "%s|%s|%s\n", n, $(NF-1), $NF}' "$T/data/phases-fake-disk") |
      awk -F'|' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $6}'
  } >> "$R"
  floor_compare
fi

# ---------------------------------------------------------------- 3. engine overhead
if part 3; then
  echo "== 3. engine overhead: docker, 2 variants × (3 warm-up + $DN)"
  if need dockerd "$DOCKER_CLI"; then
    DOCKER_DIR=$T/docker
    policy docker /usr/bin/runc "$T/fs/log"
    # The hardened runtime is oci-harden itself, registered by path as deploy/daemon.json does.
    # dockerd's environment reaches the runtime (dockerd -> its containerd -> the shim -> the
    # runtime), so the policy is named there; an installed oci-harden reads
    # /etc/oci-harden/policy.json the same way, without a wrapper. A twin runtime,
    # hardened-logged, writes each call's arguments down for the untimed count at the end.
    printf '#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\nexec %s "$@"\n' "$T/data/docker-calls" "$OH" > "$T/etc/oci-harden-logged"
    chmod 0755 "$T/etc/oci-harden-logged"
    # dockerd's exec root (its containerd's state: the bundles, config.json among them) on a
    # tmpfs, as /run/docker is on a host: config.json's fsyncs cost what they cost there.
    mkdir -p "$DOCKER_DIR/exec" && mount -t tmpfs -o mode=0711,size=256m ocih-bench-exec "$DOCKER_DIR/exec"
    if OCI_HARDEN_POLICY=$T/etc/docker.json docker_start "$DOCKER_DIR" \
         "{\"runtimes\":{\"hardened\":{\"path\":\"$OH\"},\"hardened-logged\":{\"path\":\"$T/etc/oci-harden-logged\"}}}" &&
       docker_import_busybox "$DOCKER_DIR" ocih-bench-busybox "$ROOTFS" >/dev/null; then
      nrec_check=$(wc -l < "$T/fs/log/audit-docker.jsonl" 2>/dev/null || echo 0)
      check "docker run --runtime hardened works" docker_cmd "$DOCKER_DIR" run --rm --network none --runtime hardened ocih-bench-busybox /bin/true
      check "the hardened runtime read the bench's policy from dockerd's environment (a create record in its audit log)" \
        test "$(tail -n +"$((nrec_check + 1))" "$T/fs/log/audit-docker.jsonl" 2>/dev/null | jq -r 'select(.event == "create") | .decision' | head -1)" = applied
      sock=unix://$DOCKER_DIR/docker.sock
      setup_dplain() { :; }
      run_dplain() { tm "$1" "$DOCKER_CLI" -H "$sock" run --rm --network none --runtime runc ocih-bench-busybox /bin/true; }
      setup_dhard() { :; }
      run_dhard() { tm "$1" "$DOCKER_CLI" -H "$sock" run --rm --network none --runtime hardened ocih-bench-busybox /bin/true; }
      run_variants p3 "$DN" 3 dplain dhard
      check_runs "docker --runtime runc" "$T/data/p3-dplain" "$DN"
      check_runs "docker --runtime hardened" "$T/data/p3-dhard" "$DN"
      dp=$(med "$T/data/p3-dplain"); dh=$(med "$T/data/p3-dhard")
      # Untimed, after the timed runs: which runtime commands one `docker run --rm` makes (the
      # logged twin writes its arguments down), and how many audit records (the hooks') it adds.
      nrec0=$(wc -l < "$T/fs/log/audit-docker.jsonl")
      docker_cmd "$DOCKER_DIR" run --rm --network none --runtime hardened-logged ocih-bench-busybox /bin/true >/dev/null 2>&1
      calls=$(awk '{ for (i = 1; i <= NF; i++) {
                       if ($i ~ /^--(root|log|log-format|criu)$/) { i++; continue }
                       if ($i !~ /^-/) { print $i; break } } }' "$T/data/docker-calls" 2>/dev/null |
              sort | uniq -c | awk '{printf "%s%s ×%s", (NR > 1 ? ", " : ""), $2, $1}')
      ncalls=$(wc -l < "$T/data/docker-calls" 2>/dev/null || echo 0)
      records=$(tail -n +"$((nrec0 + 1))" "$T/fs/log/audit-docker.jsonl" | jq -r .event | sort | uniq -c |
                awk '{printf "%s%s ×%s", (NR > 1 ? ", " : ""), $2, $1}')
      ncreate=$(jq -r 'select(.event == "create") | .container' "$T/fs/log/audit-docker.jsonl" 2>/dev/null | wc -l)
      nuserns=$(jq -r 'select(.event == "create" and ([.changes[]?.rule] | index("user-namespace") != null)) | .container' "$T/fs/log/audit-docker.jsonl" 2>/dev/null | wc -l)
      {
        echo
        echo "## 3. Engine overhead: \`docker run --rm --network none busybox /bin/true\`"
        echo
        echo "One private dockerd ($(dockerd --version | cut -d, -f1), overlay2 unless it fell back to vfs), both runtimes registered; $(nok "$T/data/p3-dplain") runs each, alternating after 3 warm-ups. The hardened runtime is bin/oci-harden itself, registered by path as in deploy/daemon.json; the policy is named in dockerd's environment, which reaches the runtime. dockerd's exec root (the bundles) is on a tmpfs, as /run is on a host; its data root (the image layers) on $DISK_FS."
        echo
        echo "| variant | median ms | p90 ms | ratio |"
        echo "|---|---:|---:|---:|"
        echo "| --runtime runc | $(ms "$dp") | $(ms "$(st "$T/data/p3-dplain" | awk '{print $3}')") | 1.000 |"
        echo "| --runtime hardened | $(ms "$dh") | $(ms "$(st "$T/data/p3-dhard" | awk '{print $3}')") | $(ratio "$dh" "$dp") |"
        echo
        echo "- added per docker run: $(ms "$(paired "$T/data/p3-dhard" "$T/data/p3-dplain")") ms (paired median); oci-harden added a user namespace in $nuserns of $ncreate create records (in-shim time to the record, median: $(audit_duration "$T/fs/log/audit-docker.jsonl" create "") µs)"
        echo "- storage driver: $(docker_cmd "$DOCKER_DIR" info --format '{{.Driver}}' 2>/dev/null)"
        echo "- one \`docker run --rm\` called the hardened runtime $ncalls times ($calls); its audit records: ${records:-none}"
      } >> "$R"
    else
      fail "docker" "dockerd did not start or the image import failed"
      echo -e "\n## 3. Engine overhead\n\nnot measured: the private dockerd did not start" >> "$R"
    fi
    docker_stop "$DOCKER_DIR"
    umount -l "$DOCKER_DIR/exec" 2>/dev/null
    DOCKER_DIR=""
  else
    echo -e "\n## 3. Engine overhead\n\nnot measured: dockerd or $DOCKER_CLI missing" >> "$R"
  fi
fi

# ---------------------------------------------------------------- 3b. ctr run
if part 3; then
  echo "== 3b. engine overhead: ctr run, 2 variants × (3 warm-up + $DN)"
  if need containerd ctr; then
    CTR_DIR=$T/containerd
    policy ctr /usr/bin/runc "$T/fs/log"
    # As with dockerd: containerd's environment reaches the shim and the runtime.
    # containerd's state (the bundles) on a tmpfs, as /run/containerd is on a host.
    mkdir -p "$CTR_DIR/state" && mount -t tmpfs -o mode=0711,size=256m ocih-bench-ctr-state "$CTR_DIR/state"
    if OCI_HARDEN_POLICY=$T/etc/ctr.json containerd_start "$CTR_DIR"; then
      cn=0
      setup_cplain() { :; }
      run_cplain() { cn=$((cn + 1)); tm "$1" ctr -a "$CTR_DIR/containerd.sock" run --runc-root "$CTR_DIR/runc-root" --fifo-dir "$CTR_DIR/fifo" --rm --seccomp --runc-binary /usr/bin/runc --rootfs "$ROOTFS" "p$cn" /bin/true; }
      setup_chard() { :; }
      run_chard() { cn=$((cn + 1)); tm "$1" ctr -a "$CTR_DIR/containerd.sock" run --runc-root "$CTR_DIR/runc-root" --fifo-dir "$CTR_DIR/fifo" --rm --seccomp --runc-binary "$OH" --rootfs "$ROOTFS" "h$cn" /bin/true; }
      mkdir -p "$CTR_DIR/runc-root" "$CTR_DIR/fifo"
      nrec_check=$(wc -l < "$T/fs/log/audit-ctr.jsonl" 2>/dev/null || echo 0)
      check "ctr run --runc-binary oci-harden works" ctr_run "$CTR_DIR" --rm --seccomp --runc-binary "$OH" --rootfs "$ROOTFS" h0 /bin/true
      check "the hardened runtime read the bench's policy from containerd's environment (a create record in its audit log)" \
        test "$(tail -n +"$((nrec_check + 1))" "$T/fs/log/audit-ctr.jsonl" 2>/dev/null | jq -r 'select(.event == "create") | .decision' | head -1)" = applied
      run_variants p3c "$DN" 3 cplain chard
      check_runs "ctr run --runc-binary runc" "$T/data/p3c-cplain" "$DN"
      check_runs "ctr run --runc-binary oci-harden" "$T/data/p3c-chard" "$DN"
      cp_=$(med "$T/data/p3c-cplain"); ch_=$(med "$T/data/p3c-chard")
      ncreate=$(jq -r 'select(.event == "create") | .container' "$T/fs/log/audit-ctr.jsonl" 2>/dev/null | wc -l)
      nuserns=$(jq -r 'select(.event == "create" and ([.changes[]?.rule] | index("user-namespace") != null)) | .container' "$T/fs/log/audit-ctr.jsonl" 2>/dev/null | wc -l)
      {
        echo
        echo "## 3b. Engine overhead: \`ctr run --rm --seccomp --rootfs busybox /bin/true\`"
        echo
        echo "One private containerd ($(containerd --version | awk '{print $3}')), the same busybox root filesystem as part 2 (a directory, so oci-harden idmaps it into the user namespace it adds); \`--runc-binary\` picks runc or bin/oci-harden; both with \`--seccomp\` (containerd's default profile, as the CRI plugin gives a pod: the engine's own default, not an unconfined container); $(nok "$T/data/p3c-cplain") runs each, alternating after 3 warm-ups; the policy is named in containerd's environment."
        echo
        echo "| variant | median ms | p90 ms | ratio |"
        echo "|---|---:|---:|---:|"
        echo "| --runc-binary runc | $(ms "$cp_") | $(ms "$(st "$T/data/p3c-cplain" | awk '{print $3}')") | 1.000 |"
        echo "| --runc-binary oci-harden | $(ms "$ch_") | $(ms "$(st "$T/data/p3c-chard" | awk '{print $3}')") | $(ratio "$ch_" "$cp_") |"
        echo
        echo "- added per ctr run: $(ms "$(paired "$T/data/p3c-chard" "$T/data/p3c-cplain")") ms (paired median); oci-harden added a user namespace in $nuserns of $ncreate create records (in-shim time to the record, median: $(audit_duration "$T/fs/log/audit-ctr.jsonl" create "") µs)"
      } >> "$R"
    else
      fail "containerd" "containerd did not start"
      echo -e "\n## 3b. Engine overhead: ctr run\n\nnot measured: the private containerd did not start" >> "$R"
    fi
    _engine_runc_cleanup "$CTR_DIR/runc-root"/*
    containerd_stop "$CTR_DIR"
    umount -l "$CTR_DIR/state" 2>/dev/null
  else
    echo -e "\n## 3b. Engine overhead: ctr run\n\nnot measured: containerd or ctr missing" >> "$R"
  fi
fi

# ---------------------------------------------------------------- 4. memory
if part 4; then
  echo "== 4. memory"
  {
    echo
    echo "## 4. Memory: peak RSS (ru_maxrss, median of the runs)"
    echo
    echo "\`oci-harden create\` runs with runtime /bin/true (its RSS after the exec is far below"
    echo "oci-harden's, so the peak is oci-harden's); hardenctl's figures are from part 1."
    echo
    echo "| config | bytes | oci-harden create | oci-hardenctl harden |"
    echo "|---|---:|---:|---:|"
  } >> "$R"
  for c in "${CONFIGS[@]}"; do
    mkdir -p "$T/fs/b-m-$c"
    for ((k = 0; k < 5; k++)); do
      cp "$T/cfg/$c.json" "$T/fs/b-m-$c/config.json"
      OCI_HARDEN_POLICY=$T/etc/fake.json tm "$T/data/p4-$c" "$OH" --root "$T/fs/rt-w" create --bundle "$T/fs/b-m-$c" "m$k"
      OCI_HARDEN_POLICY=$T/etc/fake.json "$OH" --root "$T/fs/rt-w" delete "m$k" >/dev/null 2>&1
    done
    check_runs "oci-harden create $c (memory)" "$T/data/p4-$c" 5
    ctl=$( [[ -s "$T/data/p1-ctl-$c" ]] && echo "$(rss_med "$T/data/p1-ctl-$c") KiB" || echo "-")
    echo "| $c | $(stat -c %s "$T/cfg/$c.json") | $(rss_med "$T/data/p4-$c") KiB | $ctl |" >> "$R"
  done
  for ((k = 0; k < 5; k++)); do tm "$T/data/p4-true" /bin/true; done
  echo "| (/bin/true alone) | - | $(rss_med "$T/data/p4-true") KiB | - |" >> "$R"
fi

# ---------------------------------------------------------------- 5. binary start-up
if part 5; then
  # Spawn to exit of `--help` (the binary's start and exit: no policy, no exec), the variants
  # alternating as in part 2; oci-harden-dynlibc is oci-harden linked as before the static PIE.
  # The baseline is /bin/true without arguments (GNU true --help loads the locale first).
  DYN=$REPO/build/oci-harden-dynlibc
  HOOKB=$REPO/bin/oci-harden-hook
  echo "== 5. binary start-up: --help, 5 variants × ($W warm-up + $N)"
  setup_btrue() { :; }; run_btrue() { tm "$1" /bin/true; }
  setup_bstatic() { :; }; run_bstatic() { tm "$1" "$OH" --help; }
  setup_bdyn() { :; }; run_bdyn() { tm "$1" "$DYN" --help; }
  setup_bctl() { :; }; run_bctl() { tm "$1" "$OHC" --help; }
  setup_bhook() { :; }; run_bhook() { tm "$1" "$HOOKB" --help; }
  if need "$DYN" "$HOOKB"; then
    run_variants p5 "$N" "$W" btrue bstatic bdyn bctl bhook
    for v in btrue bstatic bdyn bctl bhook; do check_runs "start-up $v" "$T/data/p5-$v" "$N"; done
  fi
  ld_stats() {  # cycles in the dynamic loader, relocations (empty for a static binary)
    LD_DEBUG=statistics "$@" 2>&1 >/dev/null </dev/null |
      awk '/total startup time in dynamic loader/ {c=$(NF-1)} /number of relocations:/ {r=$NF} END {print c, r}'
  }
  linkage() {  # "static PIE" or the shared libraries ldd lists
    if ! readelf -lW "$1" | grep -q INTERP; then echo "static PIE"; return; fi
    ldd "$1" 2>/dev/null | awk '$1 !~ /linux-vdso|ld-linux/ {print $1}' | tr '\n' ' '
  }
  {
    echo
    echo "## 5. Binary start-up"
    echo
    echo "\`--help\` of each binary (start, print, exit: no policy, no exec) and \`/bin/true\` alone, spawn to exit,"
    echo "$(nok "$T/data/p5-btrue") runs each, alternating after $W warm-ups; page faults are the"
    echo "process's minor faults (ru_minflt). oci-harden-dynlibc is oci-harden linked as it was before"
    echo "the static PIE (glibc and libm shared; libstdc++, yajl, libseccomp, libcap-ng static)."
    echo
    echo "| binary | linkage | median µs | p90 µs | added µs vs /bin/true (paired median) | page faults | dynamic-loader cycles | relocations |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for v in btrue bstatic bdyn bctl bhook; do
      case $v in
        btrue) b=/bin/true ;; bstatic) b=$OH ;; bdyn) b=$DYN ;; bctl) b=$OHC ;; bhook) b=$HOOKB ;;
      esac
      read -r cyc rel < <(ld_stats "$b" --help)
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(basename "$b")" "$(linkage "$b")" \
        "$(fmt "$(med "$T/data/p5-$v")")" "$(fmt "$(st "$T/data/p5-$v" | awk '{print $3}')")" \
        "$([[ $v == btrue ]] && echo - || fmt "$(paired "$T/data/p5-$v" "$T/data/p5-btrue")")" \
        "$(faults_med "$T/data/p5-$v")" "${cyc:--}" "${rel:--}"
    done
    echo
    echo "- the static PIE against the same code with glibc shared: $(fmt "$(paired "$T/data/p5-bstatic" "$T/data/p5-bdyn")") µs per start (paired median)"
  } >> "$R"
fi

if part 6; then
  check "part 6: concurrency (bench/concurrency.sh)" bash bench/concurrency.sh "$T/part6.md"
  [[ -f "$T/part6.md" ]] && cat "$T/part6.md" >> "$R"
fi

# ---------------------------------------------------------------- 7. learn mode
if part 7; then
  echo "== 7. learn mode: 3 policies × 2 workloads × ($W warm-up + $N)"
  L=$T/fs/learn7 RTROOT7=$T/fs/rt-learn
  mkdir -p "$L"
  jq -n --arg log "$T/fs/log/audit-learn.jsonl" --arg st "$T/fs/state" --arg ld "$L/rec" \
    '{runtime: "/usr/bin/runc", audit_log: $log, user_namespace: {state_dir: $st}, learn_dir: $ld}' > "$T/etc/l-default.json"
  jq '.learn = "bench"' "$T/etc/l-default.json" > "$T/etc/l-learn.json"
  chmod 0644 "$T/etc/l-default.json" "$T/etc/l-learn.json"
  # The workloads: a start (/bin/true) and a run of 5000 stat calls (each one notified in learn
  # mode: newfstatat is outside the base set).
  loop='i=0; while [ $i -lt 5000 ]; do [ -e /etc/passwd ]; i=$((i + 1)); done'
  lbundle() {  # lbundle NAME CMD...: a fresh runc-spec bundle running CMD
    local args a
    # One --arg per element (jq 1.6 would read a "-c" after --args as its own option).
    args=$(for a in "${@:2}"; do jq -n --arg a "$a" '$a'; done | jq -cs .)
    mkbundle "$1" && jq --argjson args "$args" '.process.args = $args' "$T/fs/$1/config.json" > "$T/fs/$1/c.tmp" &&
      mv "$T/fs/$1/c.tmp" "$T/fs/$1/config.json" && cp "$T/fs/$1/config.json" "$T/fs/$1/orig.json"
  }
  # Two recordings of each workload, then the learned profile from all four.
  for w in true loop; do
    for k in 1 2; do
      if [[ $w == true ]]; then lbundle "l-rec-$w$k" /bin/true; else lbundle "l-rec-$w$k" sh -c "$loop"; fi
      check "part 7: learn mode records the $w workload ($k)" \
        env OCI_HARDEN_POLICY="$T/etc/l-learn.json" "$OH" --root "$RTROOT7" run --bundle "$T/fs/l-rec-$w$k" "lr-$w$k"
    done
  done
  check "part 7: oci-hardenctl profile learn" "$OHC" profile learn --policy "$T/etc/l-learn.json" -o "$L/learned.json" "$L/rec/bench"
  jq --arg p "$L/learned.json" '.seccomp_learned = {profile: $p, mode: "enforce", action: "errno"}' "$T/etc/l-default.json" > "$T/etc/l-enforce.json"
  chmod 0644 "$T/etc/l-enforce.json"
  for v in dtrue ltrue etrue dloop lloop eloop; do
    if [[ $v == ?true ]]; then lbundle "l-$v" /bin/true; else lbundle "l-$v" sh -c "$loop"; fi
  done
  l7pol() { case $1 in d*) echo "$T/etc/l-default.json" ;; l*) echo "$T/etc/l-learn.json" ;; e*) echo "$T/etc/l-enforce.json" ;; esac; }
  for v in dtrue ltrue etrue dloop lloop eloop; do
    eval "setup_$v() { cp \"\$T/fs/l-$v/orig.json\" \"\$T/fs/l-$v/config.json\"; }"
    eval "run_$v() { OCI_HARDEN_POLICY=$(l7pol $v) tm \"\$1\" \"\$OH\" --root \"\$RTROOT7\" run --bundle \"\$T/fs/l-$v\" \"$v\$2\"; }"
  done
  run_variants p7 "$N" "$W" dtrue ltrue etrue dloop lloop eloop
  for v in dtrue ltrue etrue dloop lloop eloop; do check_runs "part 7 $v" "$T/data/p7-$v" "$N"; done
  lallowed=$(jq -r 'select(.event == "run" and (.container | startswith("etrue"))) | .seccomp.allowed' "$T/fs/log/audit-learn.jsonl" | head -1)
  lgeneric=$(jq -r 'select(.event == "run" and (.container | startswith("etrue"))) | .seccomp.generic_allowed' "$T/fs/log/audit-learn.jsonl" | head -1)
  ldrop=$(jq -s '[.[] | select(.event == "seccomp_learn") | .dropped] | add' "$T/fs/log/audit-learn.jsonl")
  lrecs=$(jq -s '[.[] | select(.event == "seccomp_learn")] | length' "$T/fs/log/audit-learn.jsonl")
  {
    echo
    echo "## 7. Learn mode (issue 15): what recording and a learned profile cost"
    echo
    echo "\`oci-harden run\` of a busybox bundle under runc, audit log on tmpfs, $N runs per variant, alternating after $W warm-ups."
    echo "Policies: the default; learn mode (every call the default profile allows outside the always-allowed base set goes to"
    echo "the recorder, \`oci-harden-hook record\`, which answers CONTINUE); the profile learned from four recordings of these"
    echo "two workloads, enforced (it allows $lallowed syscalls against $lgeneric; calls outside it, were there any, would go to the recorder)."
    echo "Workloads: \`/bin/true\` (a start), and a shell loop of 5000 \`[ -e /etc/passwd ]\` (5000 newfstatat calls, each notified in learn mode)."
    echo
    echo "| workload | default ms | learn ms | learn added, ms (paired median) | learned profile ms | learned added, ms (paired median) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for w in true loop; do
      echo "| $w | $(ms "$(med "$T/data/p7-d$w")") | $(ms "$(med "$T/data/p7-l$w")") | $(ms "$(paired "$T/data/p7-l$w" "$T/data/p7-d$w")") | $(ms "$(med "$T/data/p7-e$w")") | $(ms "$(paired "$T/data/p7-e$w" "$T/data/p7-d$w")") |"
    done
    echo
    echo "- per notified call in learn mode: $(awk -v a="$(paired "$T/data/p7-lloop" "$T/data/p7-dloop")" -v b="$(paired "$T/data/p7-ltrue" "$T/data/p7-dtrue")" 'BEGIN { printf "%.1f", (a - b) / 5000 }') µs ((loop added − true added) / 5000)"
    echo "- recordings: $lrecs seccomp_learn records, dropped in all: $ldrop"
  } >> "$R"
  _engine_runc_cleanup "$RTROOT7"
fi

exec {ERRFD}>&-
wait "$ERRPID" 2>/dev/null
{
  echo
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ -s "$T/errors.log" ]]; then
    echo "- errors printed by timed or setup commands (first 10 lines):"
    echo
    echo '```'
    head -n 10 "$T/errors.log"
    echo '```'
  fi
} >> "$R"

cp "$R" "$OUT"
echo
cat "$R"
echo
exit_summary

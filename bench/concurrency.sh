#!/usr/bin/env bash
# `make bench`, part 6 (issue 14, item 4): what oci-harden adds to a start when many start at
# once. At each concurrency level C, C starts are released together (they wait on one lock that
# is then dropped) and each is timed by build/bench-timeit from its spawn to its exit:
#   - fake runtime: `oci-harden create` on Docker's captured config with runtime /bin/true (the
#     shim's whole work: read, harden, write + fsync, the audit record + fdatasync, exec), against
#     /bin/true alone started the same way: the difference of medians is what the shim adds;
#   - real runc: `oci-harden run` of a busybox /bin/true bundle (default policy: idmapped root,
#     seccomp, hooks) against `runc run` of the same original bundle.
# The audit log is on disk (this filesystem, fdatasync), as /var/log/oci-harden is. Every start
# runs with runc's --debug --log, so oci-harden logs how long its audit record waited for the
# lock and how long its write + fdatasync took under it: the serialisation, measured.
#
# Usage: bench/concurrency.sh OUTPUT.md   (levels: BENCH_CONC_LEVELS, default "1 100 500";
# BENCH_CONC_RUNC_LEVELS, default the same; level 1 is BENCH_CONC_SOLO sequential starts,
# default 30). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO=$PWD
source tests/lib/common.sh

OUTMD=${1:?usage: bench/concurrency.sh OUTPUT.md}
LEVELS=${BENCH_CONC_LEVELS:-1 100 500}
RLEVELS=${BENCH_CONC_RUNC_LEVELS:-$LEVELS}
SOLO=${BENCH_CONC_SOLO:-30}
OH=$REPO/bin/oci-harden
TI=$REPO/build/bench-timeit

need_root || exit_summary
need runc jq busybox flock "$OH" "$TI" || exit_summary

T=$(mktemp -d /var/tmp/ocih-conc.XXXXXX) || exit 2
chmod 0711 "$T"
cleanup() {
  if [[ -n "${KEYS_WAS:-}" ]]; then
    echo "$KEYS_WAS" > /proc/sys/kernel/keys/maxkeys; echo "$BYTES_WAS" > /proc/sys/kernel/keys/maxbytes
  fi
  local d
  for d in "$T"/fs/rt-*; do
    [[ -d "$d" ]] || continue
    runc --root "$d" list -q 2>/dev/null | while read -r id; do runc --root "$d" delete -f "$id" >/dev/null 2>&1; done
  done
  umount -R "$T/fs" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every container oci-harden starts has the same user namespace mapping (host uid 1000000 as its
# root), and runc's init creates a session keyring as that uid: the kernel's per-user quota
# (kernel.keys.maxkeys, 200 by default) stops the 200-somethingth concurrent one with "unable to
# create session key: disk quota exceeded". Raised for the run, restored after (README says so).
KEYS_WAS=$(cat /proc/sys/kernel/keys/maxkeys) BYTES_WAS=$(cat /proc/sys/kernel/keys/maxbytes)
KEYS_BENCH=5000
echo "$KEYS_BENCH" > /proc/sys/kernel/keys/maxkeys && echo $((KEYS_BENCH * 100)) > /proc/sys/kernel/keys/maxbytes

mkdir -p "$T/fs" "$T/disk" "$T/etc" "$T/data" "$T/cfg"
mount -t tmpfs -o mode=0711,size=4g tmpfs "$T/fs" || { fail "mount a tmpfs on $T/fs"; exit_summary; }
mkdir -p "$T/fs/state" "$T/disk/log"
# The rootfs: a tmpfs of its own below a 0700 directory, as an engine's data root keeps one, so
# the default policy idmaps it (a plain shared directory is never idmapped).
mkdir -p "$T/fs/closed/rootfs"
chmod 0700 "$T/fs/closed"
mount -t tmpfs -o mode=0755,size=256m ocih-conc-rootfs "$T/fs/closed/rootfs" &&
  make_busybox_rootfs "$T/fs/closed/rootfs" || { fail "busybox rootfs"; exit_summary; }
policy() {  # policy NAME RUNTIME
  jq -n --arg rt "$2" --arg log "$T/disk/log/audit-$1.jsonl" --arg st "$T/fs/state" \
    '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/$1.json"
  chmod 0644 "$T/etc/$1.json"
}
chmod 0755 "$T/etc"
policy fake /bin/true
policy runc /usr/bin/runc
cp tests/golden/docker-captured/plain.json "$T/cfg/docker.json"
(cd "$T/cfg" && runc spec) || { fail "runc spec"; exit_summary; }
jq --arg r "$T/fs/closed/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/true"]' \
  "$T/cfg/config.json" > "$T/cfg/runc-spec.json"

# release C JOBFN: runs JOBFN 0..C-1 in the background, each blocked on $T/gate until all are
# spawned, then lets them go at once and waits for all.
release() {
  local c=$1 fn=$2 i
  exec {gate}>"$T/gate"
  flock -x "$gate"
  for ((i = 0; i < c; i++)); do
    ( flock -s "$T/gate" true; "$fn" "$i" ) &
  done
  sleep 0.2
  flock -u "$gate"
  exec {gate}>&-
  wait
}
# Each variant's bundles (none for /bin/true): a directory, and the config every bundle is a
# fresh copy of. go_V starts the start number $1 of variant V at level $C.
declare -A BDIR=([fake]=$T/fs/b [ohrunc]=$T/fs/r [plain]=$T/fs/p)
declare -A BCFG=([fake]=$T/cfg/docker.json [ohrunc]=$T/cfg/runc-spec.json [plain]=$T/cfg/runc-spec.json)
bundle() {  # bundle VARIANT I
  [[ -n "${BDIR[$1]:-}" ]] || return 0
  mkdir -p "${BDIR[$1]}/$2" && cp "${BCFG[$1]}" "${BDIR[$1]}/$2/config.json"
}
# level_run C VARIANT: C starts of VARIANT at once (C = 1: $SOLO sequential starts); the times
# in $T/data/C-VARIANT (one "ns maxrss status faults" line each), oci-harden's --debug lines in
# $T/logs-VARIANT-C.
level_run() {
  local c=$1 v=$2 i
  rm -rf "$T/data/$c-$v" "$T/logs-$v-$c" "${BDIR[$v]:-$T/none}"
  mkdir -p "$T/logs-$v-$c"
  if ((c == 1)); then
    for ((i = 0; i < SOLO; i++)); do bundle "$v" "$i"; go_"$v" "$i"; done
  else
    for ((i = 0; i < c; i++)); do bundle "$v" "$i"; done
    release "$c" "go_$v"
  fi
}
stats() {  # stats FILE: "n p50 p99" in ms over the runs that exited 0
  awk '$3 == 0 {print $1}' "$1" > "$1.ok"
  "$TI" --stats "$1.ok" | awk '{printf "%d %.2f %.2f", $2, $3 / 1000, $5 / 1000}'
}
lockwait() {  # lockwait LOGDIR: "p50 p99 max" of the audit lock wait, and p50 of the record's fdatasync, in ms
  cat "$1"/*.log 2>/dev/null | sed -n 's/.*lock waited \([0-9]*\) us, held [0-9]* us, fdatasync \([0-9]*\) us.*/\1 \2/p' > "$1.w"
  awk '{print $1}' "$1.w" | sort -n | awk '{a[NR]=$1} END {if (!NR) {print "- - - -"; exit}
    printf "%.2f %.2f %.2f ", a[int((NR+1)/2)]/1000, a[int(NR*0.99+0.999)]/1000, a[NR]/1000}'
  awk '{print $2}' "$1.w" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.2f %d", a[int((NR+1)/2)]/1000, NR}'
}

# ---- the fake runtime: oci-harden create (runtime /bin/true) vs /bin/true
go_fake() {
  OCI_HARDEN_POLICY=$T/etc/fake.json "$TI" "$T/data/$C-fake" "$OH" --debug --log "$T/logs-fake-$C/$1.log" \
    --root "$T/fs/rt-fake" create --bundle "$T/fs/b/$1" "f$C-$1" >/dev/null 2>>"$T/errors.log"
}
go_true() { "$TI" "$T/data/$C-true" /bin/true >/dev/null 2>>"$T/errors.log"; }

# ---- real runc: oci-harden run vs runc run, busybox /bin/true
go_ohrunc() {
  OCI_HARDEN_POLICY=$T/etc/runc.json "$TI" "$T/data/$C-ohrunc" "$OH" --debug --log "$T/logs-ohrunc-$C/$1.log" \
    --root "$T/fs/rt-runc" run --bundle "$T/fs/r/$1" "h$C-$1-$RANDOM" >/dev/null 2>>"$T/errors.log"
}
go_plain() {
  "$TI" "$T/data/$C-plain" runc --root "$T/fs/rt-plain" run --bundle "$T/fs/p/$1" "p$C-$1-$RANDOM" \
    >/dev/null 2>>"$T/errors.log"
}

FAKE_ROWS=() RUNC_ROWS=()
for C in $LEVELS; do
  echo "== 6. concurrency $C: fake runtime" >&2
  level_run "$C" true
  level_run "$C" fake
  want=$C; ((C == 1)) && want=$SOLO
  check "fake runtime, $C at once: all $want creates exited 0" test "$(awk '$3 == 0' "$T/data/$C-fake" | wc -l)" -eq "$want"
  check "fake runtime, $C at once: $want audit records" test "$(grep -c "\"f$C-" "$T/disk/log/audit-fake.jsonl")" -eq "$want"
  read -r n1 t50 t99 < <(stats "$T/data/$C-true")
  read -r n2 f50 f99 < <(stats "$T/data/$C-fake")
  read -r w50 w99 wmax d50 nw < <(lockwait "$T/logs-fake-$C")
  FAKE_ROWS+=("| $C | $n2 | $t50 | $t99 | $f50 | $f99 | $(awk -v a="$f50" -v b="$t50" 'BEGIN {printf "%.2f", a - b}') | $w50 | $w99 | $wmax | $d50 |")
done
for C in $RLEVELS; do
  echo "== 6. concurrency $C: runc" >&2
  level_run "$C" plain
  level_run "$C" ohrunc
  want=$C; ((C == 1)) && want=$SOLO
  check "runc, $C at once: all $want plain runs exited 0" test "$(awk '$3 == 0' "$T/data/$C-plain" | wc -l)" -eq "$want"
  check "runc, $C at once: all $want oci-harden runs exited 0" test "$(awk '$3 == 0' "$T/data/$C-ohrunc" | wc -l)" -eq "$want"
  check "runc, $C at once: the hardened root is an idmapped mount under state_dir" \
    jq -e --arg s "$T/fs/state/" '.root.path | startswith($s)' "$T/fs/r/0/config.json"
  # Every container's create record and its verification (poststart) and stop records.
  check "runc, $C at once: a create record for each" test "$(grep -c "\"event\":\"run\".*\"container\":\"h$C-" "$T/disk/log/audit-runc.jsonl")" -eq "$want"
  # The verification (poststart) may finish after the start returns: give it a moment.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    (($(grep -c "\"event\":\"verify\".*\"container\":\"h$C-" "$T/disk/log/audit-runc.jsonl") >= want)) && break
    sleep 1
  done
  check "runc, $C at once: a verification record for each" test "$(grep -c "\"event\":\"verify\".*\"container\":\"h$C-" "$T/disk/log/audit-runc.jsonl")" -eq "$want"
  check "runc, $C at once: a stop record for each" test "$(grep -c "\"event\":\"stop\".*\"container\":\"h$C-" "$T/disk/log/audit-runc.jsonl")" -eq "$want"
  read -r n1 p50 p99 < <(stats "$T/data/$C-plain")
  read -r n2 h50 h99 < <(stats "$T/data/$C-ohrunc")
  read -r w50 w99 wmax d50 nw < <(lockwait "$T/logs-ohrunc-$C")
  RUNC_ROWS+=("| $C | $n2 | $p50 | $p99 | $h50 | $h99 | $(awk -v a="$h50" -v b="$p50" 'BEGIN {printf "%.2f", a - b}') | $w50 | $w99 | $wmax | $d50 |")
done

{
  echo
  echo "## 6. Concurrency: many starts at once"
  echo
  echo "At each level C, C starts are spawned, held on one lock, and released together; each is"
  echo "timed from its spawn to its exit (build/bench-timeit). Level 1 is $SOLO starts one after"
  echo "another. The audit log is on disk (\`$(findmnt -n -o FSTYPE,SOURCE -T "$T/disk" | tr -s ' ')\`, fdatasync per record); the lock"
  echo "columns come from oci-harden's own --debug lines: how long each record waited for the other"
  echo "writers' lock (held for the one write), and its own fdatasync, made after the lock is released."
  echo "$(nproc) CPUs. kernel.keys.maxkeys raised from $KEYS_WAS to $KEYS_BENCH for the run (see below)."
  echo
  echo "Fake runtime: \`oci-harden create\` on Docker's captured config, runtime /bin/true, against"
  echo "/bin/true alone (ms):"
  echo
  echo "| C | starts | /bin/true p50 | p99 | oci-harden create p50 | p99 | added p50 | lock wait p50 | p99 | max | fdatasync p50 |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${FAKE_ROWS[@]}"
  echo
  echo "Real runc: \`oci-harden run\` of a busybox /bin/true bundle (default policy) against \`runc run\`"
  echo "of the same original bundle (ms):"
  echo
  echo "| C | starts | runc run p50 | p99 | oci-harden run p50 | p99 | added p50 | lock wait p50 | p99 | max | fdatasync p50 |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${RUNC_ROWS[@]}"
  if [[ -s "$T/errors.log" ]]; then
    echo
    echo "Errors printed by timed commands (first 5 lines):"
    echo
    echo '```'
    head -n 5 "$T/errors.log"
    echo '```'
  fi
} > "$OUTMD"
exit_summary

#!/usr/bin/env bash
# bench/runc_log.sh BEFORE AFTER: what the diagnostic logger costs one start, two oci-harden
# binaries side by side (e.g. a copy of bin/oci-harden from before a change, and bin/oci-harden).
# The pieces of bench/run.sh's "wrappers alone" (part 2b): the runtime is /bin/true, bundles,
# state and audit log on a private tmpfs, every run timed by build/bench-timeit, variants
# alternating in an order that rotates each iteration, warm-up runs discarded. Variants, each
# for both binaries:
#   help     `--help` (start-up and exit: no policy, no log)
#   create   create --log L --log-format json, hardened and handed to the runtime (nothing logged)
#   refused  the same with a bundle refused by host-namespaces (one error record to L, and stderr)
#   debug    create --debug --log L --log-format json (one debug record before the exec)
# Prints the median and p90 (µs) per variant, and the median of the paired differences.
# Environment: BENCH_N (default 200), BENCH_WARMUP (default 10).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
source tests/lib/common.sh

OLD=${1:?usage: bench/runc_log.sh BEFORE_BINARY AFTER_BINARY}
NEW=${2:?usage: bench/runc_log.sh BEFORE_BINARY AFTER_BINARY}
N=${BENCH_N:-200}
W=${BENCH_WARMUP:-10}
TI=$PWD/build/bench-timeit
need_root || exit_summary
need runc jq busybox perf "$OLD" "$NEW" "$TI" || exit_summary

T=$(mktemp -d /var/tmp/ocih-logbench.XXXXXX) || exit 2
chmod 0711 "$T"
cleanup() { remove_test_dir "$T"; }
trap cleanup EXIT
mkdir -p "$T/fs"
mount -t tmpfs -o mode=0711,size=256m tmpfs "$T/fs" || { fail "mount a tmpfs"; exit_summary; }
mkdir -p "$T/fs/state" "$T/fs/rt" "$T/fs/data" "$T/fs/b-ok" "$T/fs/b-no"
make_busybox_rootfs "$T/fs/rootfs"
jq -n --arg log "$T/fs/audit.jsonl" --arg st "$T/fs/state" \
  '{runtime: "/bin/true", audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/policy.json"
chmod 0644 "$T/policy.json"
export OCI_HARDEN_POLICY=$T/policy.json
(cd "$T" && runc spec)
jq --arg r "$T/fs/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/true"]' \
  "$T/config.json" > "$T/spec.json"
jq '.linux.namespaces |= map(select(.type != "network"))' "$T/spec.json" > "$T/fs/b-no/config.json"

D=$T/fs/data
# Each run twice over: wall clock (bench-timeit: what the engine waits for) and, under perf
# stat, the CPU time the start costs (task-clock, from exec to exit: unlike wall clock, not
# inflated by waiting for a CPU on a loaded machine).
timed() {  # timed VARIANT BINARY ITERATION ARGS...
  local v=$1 bin=$2 i=$3 f rc
  shift 3
  f=$D/$v
  ((i < 0)) && f=$D/warmup
  "$TI" "$f" "$bin" "$@" >/dev/null 2>>"$T/stderr.log" </dev/null
  [[ $v == *-help ]] || "$bin" --root "$T/fs/rt" delete "c$i" >/dev/null 2>&1
  [[ $v == *-create || $v == *-debug ]] && cp "$T/spec.json" "$T/fs/b-ok/config.json"
  perf stat -x, -o "$D/perf.out" -e task-clock -- "$bin" "$@" >/dev/null 2>>"$T/stderr.log" </dev/null
  rc=$?
  awk -F, -v rc="$rc" '$3 == "task-clock" {printf "%.0f %d\n", $1 * 1000, rc}' "$D/perf.out" >> "$f.cpu"
}
run() {  # run VARIANT ITERATION
  local v=$1 i=$2 bin=$NEW
  [[ $v == old-* ]] && bin=$OLD
  case $v in
    *-help) timed "$v" "$bin" "$i" --help ;;
    *-create | *-debug)
      cp "$T/spec.json" "$T/fs/b-ok/config.json"
      local dbg=""
      [[ $v == *-debug ]] && dbg=--debug
      timed "$v" "$bin" "$i" $dbg --root "$T/fs/rt" --log "$T/fs/log-$v.json" --log-format json \
        create --bundle "$T/fs/b-ok" "c$i"
      "$bin" --root "$T/fs/rt" delete "c$i" >/dev/null 2>&1 ;;
    *-refused)
      timed "$v" "$bin" "$i" --root "$T/fs/rt" --log "$T/fs/log-$v.json" --log-format json \
        create --bundle "$T/fs/b-no" "r$i" ;;
  esac
}
VARIANTS=(old-help new-help old-create new-create old-refused new-refused old-debug new-debug)
nv=${#VARIANTS[@]}
for ((i = -W; i < N; i++)); do
  for ((k = 0; k < nv; k++)); do run "${VARIANTS[$(((k + i + W) % nv))]}" "$i"; done
done

stat_of() { awk '{print $1}' "$D/$1" > "$D/$1.ns"; "$TI" --stats "$D/$1.ns" | awk '{printf "%s %.1f %.1f %.1f", $2, $3, $4, $6}'; }
cpu() { awk '{print $1}' "$D/$1.cpu" | sort -n | awk '{a[NR] = $1} END {printf "%d %d", a[int((NR + 1) / 2)], a[int(NR * 0.9)]}'; }
cpu_paired() { paste -d' ' "$D/$1.cpu" "$D/$2.cpu" | awk '{print $3 - $1}' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
faults() { awk '{print $4}' "$D/$1" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
paired() {  # paired A B: median of A_i - B_i, µs
  paste -d' ' "$D/$1" "$D/$2" | awk '{print $5 - $1}' > "$D/pair"
  "$TI" --stats "$D/pair" | awk '{printf "%.1f", $3}'
}
echo "variant: runs, µs (before → after): median, p90, min; median of the paired differences; minor page faults (median)"
for v in help create refused debug; do
  read -r n1 m1 p1 x1 <<<"$(stat_of "old-$v")"
  read -r n2 m2 p2 x2 <<<"$(stat_of "new-$v")"
  echo "$v: n=$n1/$n2 median $m1 → $m2, p90 $p1 → $p2, min $x1 → $x2, paired $(paired "old-$v" "new-$v"), faults $(faults "old-$v") → $(faults "new-$v")"
done
echo "CPU time (perf stat task-clock), µs (before → after): median, p90; median of the paired differences"
for v in help create refused debug; do
  read -r c1 q1 <<<"$(cpu "old-$v")"
  read -r c2 q2 <<<"$(cpu "new-$v")"
  echo "$v: median $c1 → $c2, p90 $q1 → $q2, paired $(cpu_paired "old-$v" "new-$v")"
done
check "every create exited 0" bash -c "awk '\$3 != 0 {exit 1}' '$D/old-create' '$D/new-create' '$D/old-debug' '$D/new-debug'"
check "every refused create exited 1" bash -c "awk '\$3 != 1 {exit 1}' '$D/old-refused' '$D/new-refused'"
check "the refusal reached each --log ($((2 * (N + W))) records each)" bash -c \
  "test \$(grep -c '\"level\":\"error\"' '$T/fs/log-old-refused.json') -eq $((2 * (N + W))) && test \$(grep -c '\"level\":\"error\"' '$T/fs/log-new-refused.json') -eq $((2 * (N + W)))"
check "--debug: after writes a debug record per create, before none" bash -c \
  "test \$(grep -c '\"level\":\"debug\"' '$T/fs/log-new-debug.json') -eq $((2 * (N + W))) && ! test -s '$T/fs/log-old-debug.json'"
check "every run under perf exited as timed (0 for create, 1 for refused)" bash -c \
  "awk '\$2 != 0 {print FILENAME \": \" \$0; bad = 1} END {exit bad}' '$D'/*-help.cpu '$D'/*-create.cpu '$D'/*-debug.cpu &&
   awk '\$2 != 1 {print FILENAME \": \" \$0; bad = 1} END {exit bad}' '$D'/*-refused.cpu; tail -n 5 '$T/stderr.log'"
check "no record for a create that was not refused or debugged" bash -c "! test -e '$T/fs/log-old-create.json' && ! test -e '$T/fs/log-new-create.json'"
exit_summary

#!/usr/bin/env bash
# The shim against the I/O floor alone (part 2c of bench/run.sh, without the rest of `make bench`):
#
#   bash bench/floor.sh [N] [BINARY...]
#
# times bench/floor.c and `oci-harden create` (runtime /bin/true, Docker's captured config, the
# audit log and state_dir on a private tmpfs) alternating, N rounds (default 200) after 10
# warm-up rounds, the order rotating every round. Each BINARY (default bin/oci-harden) is one more
# variant in the same rounds, so two builds of oci-harden can be compared side by side
# (before/after). Prints, per binary: the medians, the median of the pairs' ratios to the floor
# and the paired median of the added µs; then the paired median difference between consecutive
# binaries. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO=$PWD
source tests/lib/common.sh
N=${1:-200}
shift $(($# > 0 ? 1 : 0))
BINS=("$@")
((${#BINS[@]})) || BINS=("$REPO/bin/oci-harden")
W=10
TI=$REPO/build/bench-timeit
need_root || exit_summary
need jq cc "$TI" "${BINS[@]}" || exit_summary

T=$(mktemp -d /var/tmp/ocih-floor.XXXXXX) || exit 2
chmod 0711 "$T"
cleanup() { umount "$T/fs" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/fs" "$T/etc" "$T/data"
mount -t tmpfs -o mode=0711,size=256m tmpfs "$T/fs" || { fail "mount a tmpfs on $T/fs"; exit_summary; }
mkdir -p "$T/fs/log" "$T/fs/state"
chmod 0755 "$T/etc"
jq -n --arg log "$T/fs/log/audit.jsonl" --arg st "$T/fs/state" \
  '{runtime: "/bin/true", audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/fake.json"
chmod 0644 "$T/etc/fake.json"
cc -O2 -o "$T/floor" bench/floor.c || { fail "cc bench/floor.c"; exit_summary; }

variants=(floor)
for ((b = 0; b < ${#BINS[@]}; b++)); do
  variants+=("oh$b")
  mkdir -p "$T/fs/b-oh$b"
done
mkdir -p "$T/fs/b-floor"
run_one() {  # run_one VARIANT FILE I
  local v=$1 f=$2 i=$3 b
  if [[ $v == floor ]]; then
    cp tests/golden/docker-captured/plain.json "$T/fs/b-floor/config.json"
    FLOOR_RUNTIME=/bin/true FLOOR_LOG=$T/fs/log/floor.log \
      "$TI" "$f" "$T/floor" --root "$T/fs/rt" create --bundle "$T/fs/b-floor" "f$i" >/dev/null </dev/null 2>>"$T/errors.log"
  else
    b=${v#oh}
    cp tests/golden/docker-captured/plain.json "$T/fs/b-$v/config.json"
    OCI_HARDEN_POLICY=$T/etc/fake.json "$TI" "$f" "${BINS[$b]}" --root "$T/fs/rt" create \
      --bundle "$T/fs/b-$v" "o$b-$i" >/dev/null </dev/null 2>>"$T/errors.log"
    OCI_HARDEN_POLICY=$T/etc/fake.json "${BINS[$b]}" --root "$T/fs/rt" delete "o$b-$i" >/dev/null 2>&1
  fi
}
nv=${#variants[@]}
for ((i = -W; i < N; i++)); do
  for ((k = 0; k < nv; k++)); do
    v=${variants[$(((k + i + W) % nv))]}
    f=$T/data/$v
    ((i < 0)) && f=$T/data/warmup
    run_one "$v" "$f" "$i"
  done
done

med() { awk '$3 == 0 {print $1 / 1000}' "$1" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'; }
pmed() {  # pmed A B OP: median over pairs of A OP B (OP: ratio or diff)
  paste -d' ' "$1" "$2" | awk -v op="$3" 'NF == 8 && $3 == 0 && $7 == 0 {print (op == "ratio" ? $1 / $5 : ($1 - $5) / 1000)}' |
    sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "floor: median $(med "$T/data/floor") µs ($(awk '$3 == 0' "$T/data/floor" | wc -l) ok runs)"
for ((b = 0; b < ${#BINS[@]}; b++)); do
  echo "${BINS[$b]}: median $(med "$T/data/oh$b") µs; ratio $(pmed "$T/data/oh$b" "$T/data/floor" ratio); added $(pmed "$T/data/oh$b" "$T/data/floor" diff) µs (paired medians)"
  check "${BINS[$b]}: every create exited 0" test "$(awk '$3 != 0' "$T/data/oh$b" | wc -l)" = 0
  ((b > 0)) && echo "  vs ${BINS[$((b - 1))]}: $(pmed "$T/data/oh$b" "$T/data/oh$((b - 1))" diff) µs (paired median)"
done
check "the floor exited 0 every time" test "$(awk '$3 != 0' "$T/data/floor" | wc -l)" = 0
check "oci-harden recorded every create" test "$(grep -c '"event":"create"' "$T/fs/log/audit.jsonl")" -ge "$((N * ${#BINS[@]}))"
[[ -s "$T/errors.log" ]] && { echo "stderr of the runs:"; sort "$T/errors.log" | uniq -c | head; }
exit_summary

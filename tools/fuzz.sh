#!/usr/bin/env bash
# make fuzz FUZZ_SECONDS=N: builds each libFuzzer target with ASan+UBSan (clang) and runs it for
# N seconds on a seed corpus made from the golden and captured configs. Prints executions and
# coverage per target; a crash fails the run and leaves its input in build/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I. -Ibuild/gen -DOCI_HARDEN_VERSION='"fuzz"')
libs=(-lyajl -lseccomp -lcap-ng -lz)
srcs=$(ls shim/*.cc shim/rules/*.cc | grep -vE 'shim/(main|hardenctl_main)\.cc$')
make -s build/gen/embedded.cc
seed=$out/seed
mkdir -p "$seed"
find tests/golden tests/unit/data -name '*.json' -size -1M -exec cp {} "$seed/" \; 2>/dev/null || true
status=0
for target in tests/fuzz/*_fuzz.cc; do
  name=$(basename "$target" .cc)
  echo "== $name: building"
  clang++ "${flags[@]}" "$target" $srcs build/gen/embedded.cc "${libs[@]}" -o "$out/$name"
  mkdir -p "$out/$name.corpus" "$out/$name.crashes"
  echo "== $name: running ${secs}s"
  if ! (cd "$out/$name.crashes" && ASAN_OPTIONS=detect_leaks=1 "../$name" -max_total_time="$secs" \
        -max_len=1048576 -print_final_stats=1 "../$name.corpus" "../seed" 2>&1 |
        grep -E 'stat::number_of_executed_units|cov:|ERROR|SUMMARY|Done' | tail -n 4); then
    status=1
  fi
  if ls "$out/$name.crashes"/crash-* >/dev/null 2>&1; then
    echo "$name: CRASH, inputs in $out/$name.crashes"
    status=1
  fi
done
exit $status

#!/usr/bin/env bash
# The test command behind `make check`: the Catch2 unit tests, then every integration and
# end-to-end script under tests/integration and tests/e2e. Each script ends with its own
# "N passed, N failed" line; this runner adds them up and ends with the grand total.
# OCIH_UNIT_TESTS names the unit-test binary (make check SANITIZE=... sets build-san/unit-tests).
# Under CI=true a missing prerequisite is a failure; elsewhere a script may skip, saying why.
set -uo pipefail
cd "$(dirname "$0")/.."

total_pass=0
total_fail=0
failed_suites=()

add_counts() {  # add_counts SUITE OUTPUT_FILE
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
  if [[ -z "$line" ]]; then
    echo "run-all: $1 printed no summary line: counted as one failure"
    total_fail=$((total_fail + 1))
    failed_suites+=("$1")
    return
  fi
  p=${line%% passed*}
  f=${line#*passed, }
  f=${f%% failed*}
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  ((f > 0)) && failed_suites+=("$1")
  return 0
}

# Unit tests: Catch2's own summary, then one line in the common form (SKIP_UNIT=1: make integration).
out=$(mktemp)
if [[ "${SKIP_UNIT:-0}" != 1 ]]; then
"${OCIH_UNIT_TESTS:-build/unit-tests}" --use-colour no 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
cases=$(grep -E '^test cases:' "$out" | tail -n 1)
if [[ "$cases" =~ test\ cases:\ *([0-9]+)\ *\|\ *([0-9]+)\ passed\ *\|\ *([0-9]+)\ failed ]]; then
  echo "${BASH_REMATCH[2]} passed, ${BASH_REMATCH[3]} failed" > "$out.sum"
elif grep -qE '^All tests passed \(([0-9]+) assertions? in ([0-9]+) test cases?\)' "$out"; then
  n=$(grep -oE 'in [0-9]+ test case' "$out" | grep -oE '[0-9]+' | tail -n 1)
  echo "$n passed, 0 failed" > "$out.sum"
else
  echo "0 passed, 1 failed" > "$out.sum"
fi
((rc != 0)) && ! grep -q ' [1-9][0-9]* failed' "$out.sum" && echo "0 passed, 1 failed" > "$out.sum"
echo "unit: $(cat "$out.sum")"
add_counts unit "$out.sum"
fi

for script in tests/integration/*.sh tests/e2e/*_test.sh; do
  [[ -f "$script" ]] || continue
  name=${script#tests/}
  echo
  echo "=== $name"
  bash "$script" 2>&1 | tee "$out"
  add_counts "$name" "$out"
done
rm -f "$out" "$out.sum"

echo
((${#failed_suites[@]})) && echo "failed suites: ${failed_suites[*]}"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))

#!/usr/bin/env bash
# make lint: clang-tidy (checks in .clang-tidy) and cppcheck (suppressions in
# tools/cppcheck-suppressions.txt) over shim/ and hooks/, with the Makefile's own compile flags
# written to build-lint/compile_commands.json. Any finding fails the run.
#   LINT_JOBS=N    clang-tidy processes in parallel (default: the number of CPUs)
#   LINT_FILES="shim/core/json.cc ..."   only these files (both tools)
set -uo pipefail
cd "$(dirname "$0")/.."
out=build-lint
mkdir -p "$out"
for tool in clang-tidy run-clang-tidy cppcheck; do
  command -v "$tool" >/dev/null || { echo "lint: $tool missing (bash tools/install-deps.sh)"; exit 1; }
done

# The flags the Makefile compiles with (without the dependency-file ones), so the tools see the
# same macros and include paths as the build.
flags=$(make -s --no-print-directory -f Makefile -f - lint-print-flags <<'EOF'
lint-print-flags:
	$(info $(CPPFLAGS) $(MOUNT_CFLAGS) $(filter-out -MD -MP,$(CXXFLAGS)))@:
EOF
) || { echo "lint: cannot read the Makefile's flags"; exit 1; }
make -s build/gen/embedded.cc  # included by nothing in shim/, but on the include path

if [[ -n "${LINT_FILES:-}" ]]; then
  read -r -a files <<<"$LINT_FILES"
else
  mapfile -t files < <(ls shim/*/*.cc shim/core/rules/*.cc hooks/*.cc)
fi

python3 - "$PWD" "$out/compile_commands.json" "$flags" "${files[@]}" <<'EOF'
import json, shlex, sys
root, dest, flags, files = sys.argv[1], sys.argv[2], shlex.split(sys.argv[3]), sys.argv[4:]
cmds = [{"directory": root, "file": f,
         "arguments": ["clang++"] + flags + ["-c", f, "-o", "/dev/null"]} for f in files]
json.dump(cmds, open(dest, "w"), indent=1)
EOF

status=0
start=$SECONDS
echo "== clang-tidy ($(clang-tidy --version | grep -oE 'version [0-9.]+'), ${#files[@]} files)"
# run-clang-tidy prints each file's command line and diagnostics; keep the diagnostics.
run-clang-tidy -quiet -p "$out" -j "${LINT_JOBS:-$(nproc)}" "${files[@]/#/$PWD/}" \
  2>&1 | sed -E 's/\x1b\[[0-9;]*m//g' >"$out/clang-tidy.log"
tidy_rc=${PIPESTATUS[0]}
grep -E '(warning|error):' "$out/clang-tidy.log" | grep -v '^[0-9]* warnings generated' |
  sort -u > "$out/clang-tidy.findings"
if ((tidy_rc != 0)) || [[ -s "$out/clang-tidy.findings" ]]; then
  # Each finding with its context lines.
  grep -E -A3 '(warning|error):' "$out/clang-tidy.log" | grep -vE '^clang-tidy|^[0-9]+ warnings'
  echo "clang-tidy: $(wc -l < "$out/clang-tidy.findings") findings (exit $tidy_rc); log $out/clang-tidy.log"
  status=1
else
  echo "clang-tidy: clean ($((SECONDS - start))s)"
fi

start=$SECONDS
echo "== cppcheck ($(cppcheck --version))"
# Only the project's headers: without the system ones cppcheck guesses at library macros, and
# missingIncludeSystem is suppressed for that reason.
if cppcheck --quiet --std=c++17 --language=c++ --enable=warning,style,performance,portability \
     --library=posix --inline-suppr --suppressions-list=tools/cppcheck-suppressions.txt --error-exitcode=1 \
     -j "${LINT_JOBS:-$(nproc)}" --cppcheck-build-dir="$out" \
     -I. -D__GNUC__ -D__linux__ -D__x86_64__ "${files[@]}" 2>"$out/cppcheck.log"; then
  echo "cppcheck: clean ($((SECONDS - start))s)"
else
  cat "$out/cppcheck.log"
  echo "cppcheck: $(grep -cE '^[^ ].*: (error|warning|style|performance|portability|information):' \
    "$out/cppcheck.log") findings; log $out/cppcheck.log"
  status=1
fi
exit $status

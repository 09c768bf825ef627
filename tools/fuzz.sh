#!/usr/bin/env bash
# make fuzz FUZZ_SECONDS=N: builds each libFuzzer target in tests/fuzz with clang, ASan and UBSan
# (objects in build-fuzz/, through the Makefile), then runs each for N seconds on a seed corpus:
#   json_fuzz, policy_fuzz, spec_harden_fuzz   the golden and captured configs, the profiles,
#                                              and the bypass seeds in tests/fuzz/seeds/spec
#   runc_args_fuzz                             engine command lines (NUL-separated words)
#   audit_report_fuzz                          the sample audit log, whole, cut, and gzipped
#   operation_fuzz                             exec and update: a JSON object, NUL, argv words
#   engine_config_fuzz                         configure's engine files (a byte for the engine, the file)
#   learned_profile_fuzz                       a base seccomp profile, NUL, a recording (or a recording
#                                              alone): the learned profile is never wider than its base
# The corpus each run grows is kept in build-fuzz/corpus/<target> and used again next time.
# Prints, per target, the executions, exec/s and coverage (cov: edges, ft: features) libFuzzer
# reports; a crash, leak, timeout or sanitizer report fails the run and leaves the input in
# build-fuzz/crashes/<target>/ (make it a unit test in tests/unit, then fix the code).
# FUZZ_TARGETS="json_fuzz policy_fuzz" runs only those.
# FUZZ_SEED=N fixes libFuzzer's random seed (default: a new one each run). With a fixed seed and
# an empty corpus directory, runs of the same code begin with the same inputs and findings, then
# drift apart (libFuzzer's time-based limits), so a longer local run with the seed CI uses
# (FUZZ_SEED=1) covers most, not all, of what CI's pass will try.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
B=build-fuzz
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (bash tools/install-deps.sh)"; exit 1; }

targets=()
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  for f in tests/fuzz/*_fuzz.cc; do targets+=("$(basename "$f" .cc)"); done
fi

echo "== fuzz: building ${targets[*]}"
make -s -j"${FUZZ_JOBS:-2}" B=$B CXX=clang++ SANITIZE=fuzzer-no-link,address,undefined \
  "${targets[@]/#/$B/fuzz/}"

# ---- seed corpora ----
seeds=$B/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{json,policy,spec,argv,audit,op}
seed() {  # seed DIR FILE...: copied under names made from their paths (several share a name)
  local dir=$1 f
  shift
  for f in "$@"; do [[ -f "$f" ]] && cp "$f" "$seeds/$dir/${f//\//_}"; done
  return 0
}
seed json tests/unit/data/*.json tests/golden/*/*.json profiles/*.json
seed policy profiles/policy-*.json $(find tests -name 'policy*.json' -size -64k)
seed spec tests/unit/data/*.json tests/golden/*/*.json tests/fuzz/seeds/spec/*.json
n=0
# (n is counted before the pipeline: a redirection on its last command is expanded in a subshell)
argv_seed() { n=$((n + 1)); printf '%s\0' "$@" | head -c -1 > "$seeds/argv/$n"; }
argv_seed --root /run/docker/runtime-runc/moby --log /run/x/log.json --log-format json \
  create --bundle /run/containerd/b/id --pid-file /run/x/init.pid --console-socket /tmp/s id
argv_seed --root /run/containerd/runc/k8s.io --systemd-cgroup create -b /b --no-pivot id
argv_seed run -d --bundle /b --pid-file /p --no-new-keyring id
argv_seed --root /r exec --process /tmp/p.json --detach --pid-file /p --console-socket /s id
argv_seed exec -t --cap CAP_SYS_ADMIN --env A=B -u 0:0 --cwd / --privileged id sh -c true
argv_seed update -r - id
argv_seed update --cpu-period 1000 id
argv_seed update --cpu-p=18446744073709551615 id
argv_seed run --config /tmp/other.json -b /b id
argv_seed create -df/tmp/other.json --bun /b id
argv_seed exec -process /p.json id sh
argv_seed update --memory 100M --pids-limit 10 --cpu-shares 512 id
argv_seed --debug=true --rootless=auto --criu /usr/sbin/criu restore --bundle /b --image-path /i id
argv_seed checkpoint --image-path /i --leave-running id
argv_seed kill --all id KILL
argv_seed delete --force id
argv_seed state id
argv_seed start id
argv_seed ps --format json id
argv_seed features
argv_seed --version
argv_seed create --help
argv_seed spec --rootless
cp tests/unit/data/*.jsonl "$seeds/audit/"
for f in tests/unit/data/*.jsonl; do
  gzip -c "$f" > "$seeds/audit/$(basename "$f").gz"
  i=0
  while IFS= read -r line; do printf '%s\n' "$line" > "$seeds/audit/$(basename "$f").$((i += 1))"; done < "$f"
done

op_seed() { n=$((n + 1)); { printf '%s\0' "$1"; shift; printf '%s\0' "$@" | head -c -1; } > "$seeds/op/$n"; }
op_seed '{}' update --pids-limit 100000 --memory 64g --cpu-quota 900000 --cpu-period 100000 id
op_seed '{}' update --memory=512m --memory-swap=-1 --pids-limit=-1 id
op_seed '{"pids":{"limit":100000},"memory":{"limit":99999999999,"swap":-1},"cpu":{"quota":1000000,"period":100000}}' \
  update -r - id
op_seed '{"unified":{"pids.max":"max","memory.max":"max","memory.swap.max":"max","cpu.max":"max 100000","../x":"1"}}' \
  update -r - id
# The fuzzer's find (a key twice: runc applies the last): refused, never half-clamped.
op_seed '{"unified":{"memory.max":"max","memory.max":"max"},"Pids":{"limit":1},"pids":{"limit":0}}' update -r - id
op_seed null exec --cap CAP_SYS_ADMIN --user 0:0 --additional-gids 0 --no-new-privs=false -t id sh
op_seed null exec --apparmor unconfined --process-label x --cgroup a:b -e A=B id sh -c true
for f in tests/golden/docker-captured/exec-*process.json tests/unit/data/docker-exec-process.json; do
  op_seed "$(tr -d '\n' < "$f")" exec --process /p.json -d id
done

# engine_config_fuzz: the first byte picks the engine (0 docker, 1 containerd, 2 podman).
mkdir -p "$seeds/engine"
for f in tests/unit/data/engine-config/*; do
  case $f in *.json) e='\000' ;; *.toml) e='\001' ;; *) e='\002' ;; esac
  { printf %b "$e"; cat "$f"; } > "$seeds/engine/$(basename "$f")"
done

# learned_profile_fuzz: a base profile, NUL, a recording; or a recording alone (the default base).
mkdir -p "$seeds/learn"
for r in tests/golden/learned/recording-*.json tests/fuzz/seeds/learn/*.json; do
  [[ -f "$r" ]] || continue
  cp "$r" "$seeds/learn/$(basename "$r")"
  for b in profiles/seccomp-default.json profiles/seccomp-strict.json profiles/engine-seccomp-*.json; do
    { cat "$b"; printf '\0'; cat "$r"; } > "$seeds/learn/$(basename "$b" .json)+$(basename "$r")"
  done
done

seed_dir() {
  case $1 in
    json_fuzz) echo json ;; policy_fuzz) echo policy ;; spec_harden_fuzz) echo spec ;;
    runc_args_fuzz) echo argv ;; audit_report_fuzz) echo audit ;; operation_fuzz) echo op ;;
    engine_config_fuzz) echo engine ;; learned_profile_fuzz) echo learn ;; *) echo json ;;
  esac
}

# ---- runs ----
status=0
summary=()
for t in "${targets[@]}"; do
  corpus=$B/corpus/$t crashes=$B/crashes/$t log=$B/logs/$t.log
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  echo "== $t: ${secs}s on $(ls "$seeds/$(seed_dir "$t")" | wc -l) seeds + $(ls "$corpus" | wc -l) corpus inputs"
  start=$SECONDS
  rc=0
  # -timeout: one input taking over 10 s is a finding; -rss_limit_mb: so is 2 GiB of memory.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$B/fuzz/$t" -max_total_time="$secs" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" "$seeds/$(seed_dir "$t")" >"$log" 2>&1 || rc=$?
  # The last status line ("#N DONE cov: ... ft: ... corp: ...", or the last pulse before a crash).
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  result=ok
  if ((rc != 0)) || ls "$crashes"/* >/dev/null 2>&1; then
    result="FAILED (exit $rc)"
    status=1
    grep -E 'ERROR|SUMMARY|runtime error|^==[0-9]+==|deadly signal|Test unit written' "$log" | head -n 20
    echo "$t: inputs in $crashes/, full log $log"
  fi
  line=$(printf '%-18s %4ds  execs %-9s exec/s %-6s cov %-5s ft %-6s corpus %-5s %s' \
    "$t" $((SECONDS - start)) "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result")
  echo "$line"
  summary+=("$line")
done
echo
echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit $status

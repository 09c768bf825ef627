#!/usr/bin/env bash
# Integration: the container's own hooks judged by the binary they run (rule "hooks"), under the
# real runc and crun. A refused hook must not have run (its marker file is absent); an allowed
# one must still run (its marker is there).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/e2e/engines.sh

need_root || exit_summary
need runc crun busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-hooks.XXXXXX)
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
cleanup() { remove_test_dir "$T" "$T/state-runc"; crun --root "$T/state-crun" list -q 2>/dev/null |
  while read -r id; do crun --root "$T/state-crun" delete -f "$id" >/dev/null 2>&1; done; remove_test_dir "$T"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
mkdir -p "$T/etc" "$T/bin"
chmod 0755 "$T/etc" "$T/bin"
write_policy() { write_test_policy "$T" "$@"; }  # write_policy RUNTIME [extra jq filter]
export OCI_HARDEN_POLICY=$T/etc/policy.json

new_bundle() {  # new_bundle NAME HOOKS_JSON -> prints the bundle dir
  make_test_bundle "$T/$1" "$T/rootfs" '["true"]' ".root.readonly = false | .hooks = $2"
}
# Through a pipe: crun 1.8.1 would chown a regular file given as stdout (oci-harden refuses that).
run_ctr() {  # run_ctr RUNTIME NAME BUNDLE: oci-harden run, output in $T/NAME.out
  timeout 60 "$OCIH" --root "$T/state-$1" run --bundle "$3" "$2" </dev/null 2>&1 | cat >"$T/$2.out"
  return "${PIPESTATUS[0]}"
}

# An allowed hook program (on the policy's allowed_hooks below) and the shell behind a link
# named like dockerd.
cat > "$T/bin/okhook" <<EOF
#!/bin/sh
touch "\$1"
EOF
chmod 0755 "$T/bin/okhook"
ln -s /bin/sh "$T/bin/dockerd"

RUNTIMES=(runc)
# On a hybrid cgroup host crun needs the unified hierarchy's leftover controllers as v1
# hierarchies (tests/e2e/engines.sh crun_hybrid_fix); a pure v1 or v2 host needs nothing.
if crun_usable || crun_hybrid_fix; then
  RUNTIMES+=(crun)
else
  fail "crun usable on this host" "crun cannot create containers on this cgroup layout"
fi

for rt in "${RUNTIMES[@]}"; do
  write_policy "$(command -v $rt)" ".allowed_hooks += [\"$T/bin/okhook\"]"

  # A shell as a prestart hook: it would run on the host as root.
  m=$T/$rt-pwned-sh
  B=$(new_bundle "$rt-sh" "{\"prestart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"touch $m\"]}]}")
  run_ctr "$rt" "$rt-sh" "$B"
  check "$rt: a /bin/sh prestart hook is refused" grep -q 'refused by hooks: hooks.prestart\[0\].path /bin/sh runs /' "$T/$rt-sh.out"
  check "$rt:   ... and did not run" test ! -e "$m"

  # The same shell behind a link named dockerd, as createRuntime.
  m=$T/$rt-pwned-link
  B=$(new_bundle "$rt-link" "{\"createRuntime\":[{\"path\":\"$T/bin/dockerd\",\"args\":[\"libnetwork-setkey\",\"-c\",\"touch $m\"]}]}")
  run_ctr "$rt" "$rt-link" "$B"
  check "$rt: a link named dockerd to /bin/sh is refused as the shell" \
    grep -q "hooks.createRuntime\[0\].path $T/bin/dockerd runs /.*not a hook binary the policy allows" "$T/$rt-link.out"
  check "$rt:   ... and did not run" test ! -e "$m"

  # /proc/<pid>/exe of a running shell, as poststart (after the container started).
  m=$T/$rt-pwned-proc
  B=$(new_bundle "$rt-proc" "{\"poststart\":[{\"path\":\"/proc/$$/exe\",\"args\":[\"bash\",\"-c\",\"touch $m\"]}]}")
  run_ctr "$rt" "$rt-proc" "$B"
  check "$rt: /proc/<this shell>/exe as a hook is refused as bash" grep -q "hooks.poststart\[0\].path /proc/$$/exe runs /.*bash" "$T/$rt-proc.out"
  check "$rt:   ... and did not run" test ! -e "$m"

  # An allowed hook, reached through a path with "..": runs, and the container runs.
  m=$T/$rt-ok
  B=$(new_bundle "$rt-ok" "{\"prestart\":[{\"path\":\"$T/etc/../bin/okhook\",\"args\":[\"okhook\",\"$m\"]}]}")
  run_ctr "$rt" "$rt-ok" "$B"
  rc=$?
  check "$rt: a hook on allowed_hooks passes and the container runs (rc $rc: $(tail -c 300 "$T/$rt-ok.out"))" test "$rc" -eq 0
  check "$rt:   ... and the hook ran" test -e "$m"
done

# A hook's env (the loader acts on it before the hook's own code) and a hook path re-pointed
# between create and the hook's run (poststop runs at delete).
cat > "$T/bin/evilhook" <<EOF
#!/bin/sh
touch "$T/swapped-ran"
EOF
chmod 0755 "$T/bin/evilhook"
EVIL_SO=
if command -v gcc >/dev/null 2>&1; then
  printf '#include <stdio.h>\n__attribute__((constructor)) static void f(void){FILE*x=fopen("%s","a");if(x)fclose(x);}\n' \
    "$T/preload-ran" > "$T/evil.c"
  gcc -shared -fPIC -o "$T/evil.so" "$T/evil.c" && EVIL_SO=$T/evil.so
fi
for rt in "${RUNTIMES[@]}"; do
  write_policy "$(command -v $rt)" ".allowed_hooks += [\"$T/bin/okhook\"]"

  # An allowed hook with LD_PRELOAD (an .so that leaves a marker, where gcc is here).
  m=$T/$rt-pwned-env
  rm -f "$T/preload-ran"
  B=$(new_bundle "$rt-env" "{\"prestart\":[{\"path\":\"$T/bin/okhook\",\"args\":[\"okhook\",\"$m\"],\"env\":[\"PATH=/usr/bin:/bin\",\"LD_PRELOAD=${EVIL_SO:-$T/none.so}\"]}]}")
  run_ctr "$rt" "$rt-env" "$B"
  check "$rt: an allowed hook with LD_PRELOAD in its env is refused, naming the entry" \
    grep -q 'refused by hooks: hooks.prestart\[0\].env\[1\] "LD_PRELOAD"' "$T/$rt-env.out"
  check "$rt:   ... and neither the hook nor the preloaded library ran" \
    bash -c "test ! -e '$m' && test ! -e '$T/preload-ran'"

  # An allowed hook reached through a symlink, re-pointed at another program after create.
  rm -f "$T/swapped-ran"
  ln -sfn "$T/bin/okhook" "$T/bin/swap-$rt"
  B=$(new_bundle "$rt-swap" "{\"poststop\":[{\"path\":\"$T/bin/swap-$rt\",\"args\":[\"okhook\",\"$T/$rt-swap-ok\"]}]}")
  # stdio on /dev/null: under crun a regular file is refused (crun would chown it), and a pipe
  # would be held open by the created container's init until it is started.
  "$OCIH" --root "$T/state-$rt" create --bundle "$B" "$rt-swap" </dev/null >/dev/null 2>&1
  check "$rt: a symlinked hook passes create" \
    "$rt" --root "$T/state-$rt" state "$rt-swap"
  check "$rt:   ... its path in the hardened config.json is the allowed path" \
    test "$(jq -r '.hooks.poststop[0].path' "$B/config.json")" = "$T/bin/okhook"
  ln -sfn "$T/bin/evilhook" "$T/bin/swap-$rt"
  "$OCIH" --root "$T/state-$rt" start "$rt-swap" >/dev/null 2>&1
  for _ in $(seq 50); do
    [[ $("$rt" --root "$T/state-$rt" state "$rt-swap" 2>/dev/null | jq -r .status) == stopped ]] && break
    sleep 0.1
  done
  "$OCIH" --root "$T/state-$rt" delete "$rt-swap" >/dev/null 2>&1
  check "$rt:   ... re-pointing the link after create did not run the other program at delete" \
    test ! -e "$T/swapped-ran"
  check "$rt:   ... the allowed hook ran as poststop" test -e "$T/$rt-swap-ok"
done

# crun's --config/-f FILE: crun would run FILE, not the config.json oci-harden hardened. Every
# spelling crun accepts is refused before anything runs (the other file would run a shell hook).
B=$(new_bundle cfg '{}')
m=$T/cfg-pwned
jq --arg m "$m" '.hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", "touch \($m)"]}]}' "$B/config.json" > "$T/other.json"
for rt in "${RUNTIMES[@]}"; do
  write_policy "$(command -v $rt)"
  for spelling in "--config $T/other.json" "--config=$T/other.json" "-f $T/other.json" "--conf $T/other.json" \
                  "-f$T/other.json" "-df $T/other.json"; do
    # shellcheck disable=SC2086  # the spelling is several words on purpose
    timeout 60 "$OCIH" --root "$T/state-$rt" run --bundle "$B" $spelling "cfg-$rt" </dev/null >"$T/cfg.out" 2>&1
    rc=$?
    check "$rt: run $spelling is refused (rc $rc): $(head -c 200 "$T/cfg.out")" \
      bash -c "test $rc -ne 0 && grep -Eq 'refused by runtime-flags: --config|by crun and as another flag by runc' '$T/cfg.out'"
  done
  check "$rt:   ... and the other file's hook never ran" test ! -e "$m"
  if [[ $rt == crun ]]; then  # runc has no -f
    check "$rt: -f config.json (the bundle's own) still runs" \
      timeout 60 "$OCIH" --root "$T/state-$rt" run --bundle "$B" -f config.json "cfg-ok-$rt"
  fi
done

# update (rule "update"): the CPU share is quota/period, judged together. The policy allows 1 CPU;
# the container starts with 1 CPU (100000/100000); an update naming only a period of 1000 would
# leave it 100 CPUs. Read back from the container's cgroup.
cpu_of() {  # cpu_of RUNTIME ID: "QUOTA PERIOD" from the container's cgroup (v1 or v2)
  local pid cg
  pid=$("$1" --root "$T/state-$1" state "$2" | jq -r .pid)
  cg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' "/proc/$pid/cgroup")
  if [[ -n "$cg" ]]; then
    echo "$(cat /sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu$cg/cpu.cfs_period_us)"
  else
    cg=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
    cat "/sys/fs/cgroup$cg/cpu.max"
  fi
}
cpus_x100() { awk '{ if ($1 == "max" || $1 < 0) print 999999; else print int($1 * 100 / $2) }' <<<"$1"; }
write_policy "$(command -v runc)" '.limits.cpu = {default: 1, max: 1, period: 100000}'
B=$(new_bundle upd '{}')
jq '.process.args = ["sleep", "120"]' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
"$OCIH" --root "$T/state-runc" create --bundle "$B" upd </dev/null >/dev/null 2>&1 && "$OCIH" --root "$T/state-runc" start upd
check "update: the container starts at 1 CPU ($(cpu_of runc upd))" test "$(cpus_x100 "$(cpu_of runc upd)")" -le 100
"$OCIH" --root "$T/state-runc" update --cpu-period 1000 upd >"$T/upd.out" 2>&1
check "update --cpu-period 1000: still at most 1 CPU ($(cpu_of runc upd))" test "$(cpus_x100 "$(cpu_of runc upd)")" -le 100
check "  ... the period was applied (the update ran, clamped)" grep -q ' 1000$' <<<"$(cpu_of runc upd)"
echo '{"cpu": {"period": 2000}}' | "$OCIH" --root "$T/state-runc" update -r - upd >/dev/null 2>&1
check "update -r with only a period 2000: still at most 1 CPU ($(cpu_of runc upd))" test "$(cpus_x100 "$(cpu_of runc upd)")" -le 100
"$OCIH" --root "$T/state-runc" update --cpu-quota 100000 upd >/dev/null 2>&1
check "update --cpu-quota 100000 alone (period now 2000): still at most 1 CPU ($(cpu_of runc upd))" \
  test "$(cpus_x100 "$(cpu_of runc upd)")" -le 100
"$OCIH" --root "$T/state-runc" update --cpu-period 18446744073709551615 upd >"$T/upd-huge.out" 2>&1
check "update --cpu-period 2^64-1: no negative quota written ($(cpu_of runc upd))" \
  bash -c "! grep -q -- '=-' <<<'$(jq -c 'select(.event == "update") | .changes' "$T/audit.jsonl" | tail -n 1)' && test \"\$(cut -d' ' -f1 <<<'$(cpu_of runc upd)')\" != -1"
"$OCIH" --root "$T/state-runc" update --cpu-quota 50000 --cpu-period 100000 upd >/dev/null 2>&1
check "update naming both, within the maximum, is applied as asked ($(cpu_of runc upd))" \
  test "$(cpu_of runc upd)" = "50000 100000"
write_policy "$(command -v runc)" '.limits.cpu = {default: 1, max: 1, period: 100000} | .limits.above_max = "refuse"'
"$OCIH" --root "$T/state-runc" update --cpu-period 1000 upd >"$T/upd-ref.out" 2>&1
check "update --cpu-period 1000 under above_max refuse: refused, naming the period" \
  grep -q 'refused by update: cpu.quota (the container.s current one) at period 1000' "$T/upd-ref.out"
runc --root "$T/state-runc" delete -f upd >/dev/null 2>&1

check "every refusal is in the audit log, under rule hooks" \
  test "$(jq -c 'select(.decision == "refused") | .refused[] | select(.rule == "hooks")' "$T/audit.jsonl" | wc -l)" -ge 6

exit_summary

#!/usr/bin/env bash
# Concurrency and load, against one policy and one audit log.
#
#   1. 500 `create`s at once, fake runtime: 400 clean bundles and 100 refused (privileged) ones,
#      each record several KB (beyond PIPE_BUF, so a torn append would show). Exactly 500 records,
#      every one a whole JSON line, each container once with the right decision; no crash (every
#      exit 0 or 1); the runtime exec'd for exactly the 400 clean ones, each time inheriting no
#      descriptor of oci-harden's; every clean bundle hardened, no temporary file left.
#   2. 20 `create`s at once on one bundle: config.json ends whole and hardened, no temp file.
#   3. 100 containers started at once through the real runc (create, start, wait, delete, as an
#      engine does): every one ran, and the kernel shows each was hardened (NoNewPrivs 1, seccomp
#      filter); nothing is left afterwards: no container, no mount under the state directory.
# (tests/integration/audit_stress_test.sh, 200 creates of one kind, is kept as the quick version.)
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc jq busybox || exit_summary

OCIH=$PWD/bin/oci-harden
[[ -x "$OCIH" ]] || { fail "bin/oci-harden missing" "run make first"; exit_summary; }

T=$(mktemp -d /var/tmp/ocih-conc.XXXXXX)
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/runc"; }
trap cleanup EXIT

mkdir -p "$T/etc"
chmod 0755 "$T/etc"
write_policy() {  # write_policy RUNTIME AUDIT_LOG
  jq -n --arg rt "$1" --arg log "$2" --arg st "$T/state" \
    '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
  chmod 0644 "$T/etc/policy.json"
}
export OCI_HARDEN_POLICY=$T/etc/policy.json

# ---- 1. 500 creates at once, fake runtime
mkdir -p "$T/fds"
cat > "$T/fake-runtime" <<FAKE
#!/bin/sh
# One line per exec (the container id, its last argument), and the list of the descriptors it
# came with. ls writes straight to a file: a command substitution would hold a pipe open in this
# shell while ls looks, and the count would race.
for last; do :; done
ls /proc/\$\$/fd > "$T/fds/\$last"
echo "\$last" >> "$T/runtime.log"
FAKE
chmod 0755 "$T/fake-runtime"
# What the runtime inherits when started exactly as oci-harden is below, but directly.
(cd / && exec timeout 120 "$T/fake-runtime" create baseline) > "$T/out.baseline" 2>&1
baseline=$(tr '\n' ' ' < "$T/fds/baseline")
rm -f "$T/runtime.log" "$T/fds/baseline"
write_policy "$T/fake-runtime" "$T/audit.jsonl"

mkdir -p "$T/tpl/rootfs"
(cd "$T/tpl" && runc spec)
jq --arg big "$(head -c 3000 /dev/zero | tr '\0' x)" \
  '.process.terminal = false | .annotations["io.kubernetes.pod.name"] = $big' \
  "$T/tpl/config.json" > "$T/tpl/c" && mv "$T/tpl/c" "$T/tpl/config.json"
# What --privileged asks for: every capability up to CAP_AUDIT_READ (Docker's table).
jq '.process.capabilities.bounding = ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER",
  "CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK",
  "CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT",
  "CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ"]' \
  "$T/tpl/config.json" > "$T/refused.json"

N=500
REFUSED_EVERY=5  # every 5th bundle asks for --privileged: 100 of 500
for i in $(seq 1 $N); do
  mkdir -p "$T/b$i/rootfs"
  if ((i % REFUSED_EVERY == 0)); then cp "$T/refused.json" "$T/b$i/config.json"
  else cp "$T/tpl/config.json" "$T/b$i/config.json"; fi
done

pids=()
for i in $(seq 1 $N); do
  # Through a pipe, as engines do (a regular-file stdout is refused under crun).
  (cd / && timeout 120 "$OCIH" --root "$T/rs" create --bundle "$T/b$i" "load-$i" 2>&1 | cat >"$T/out.$i"
   exit "${PIPESTATUS[0]}") &
  pids+=($!)
done
bad=0 refused=0 ok=0
for i in $(seq 1 $N); do
  wait "${pids[$((i - 1))]}"
  rc=$?
  case $rc in
    0) ok=$((ok + 1)) ;;
    1) refused=$((refused + 1)) ;;
    *) bad=$((bad + 1)); echo "    | load-$i exited $rc: $(head -c 300 "$T/out.$i")" ;;
  esac
done
clean=$((N - N / REFUSED_EVERY))
check "500 at once: no crash or other failure (every exit 0 or 1)" test "$bad" -eq 0
check "500 at once: $clean exited 0, $((N / REFUSED_EVERY)) refused (exit 1)" \
  test "$ok" -eq "$clean" -a "$refused" -eq $((N / REFUSED_EVERY))
check "500 at once: exactly $N records in the audit log" test "$(wc -l < "$T/audit.jsonl")" -eq $N
check "500 at once: every record is one whole JSON object" \
  bash -c "jq -c . '$T/audit.jsonl' | wc -l | grep -qx $N"
check "500 at once: each container recorded exactly once" \
  bash -c "jq -r .container '$T/audit.jsonl' | sort -u | wc -l | grep -qx $N"
check "500 at once: the refused ones recorded as refused by privileged, the others applied" \
  bash -c "jq -r '[.container, .decision, (.refused | map(.rule) | join(\",\"))] | @tsv' '$T/audit.jsonl' |
    awk -F'\t' '{ split(\$1, a, \"-\"); want = (a[2] % $REFUSED_EVERY == 0) ? \"refused\" : \"applied\";
      if (\$2 != want || (want == \"refused\" && \$3 !~ /privileged/)) { print; bad = 1 } } END { exit bad }'"
check "500 at once: the runtime ran exactly for the $clean clean ones" \
  bash -c "test \$(wc -l < '$T/runtime.log') -eq $clean &&
    ! awk '{ split(\$1, a, \"-\"); if (a[2] % $REFUSED_EVERY == 0) bad = 1 } END { exit !bad }' '$T/runtime.log'"
# The fake runtime never deletes: take down the idmapped roots oci-harden mounted for them.
for m in $(awk -v t="$T/state/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
  umount -l "$m" 2>/dev/null
done
check "500 at once: no descriptor leaked into the runtime (each had fds $baseline)" \
  bash -c "test \$(ls '$T/fds' | wc -l) -eq $clean &&
    for f in '$T'/fds/*; do test \"\$(tr '\\n' ' ' < \$f)\" = '$baseline' || { echo \$f: \$(cat \$f); exit 1; }; done"
check "500 at once: every clean bundle hardened, every refused one untouched" \
  bash -c "for i in \$(seq 1 $N); do
    if ((i % $REFUSED_EVERY == 0)); then cmp -s '$T/refused.json' '$T'/b\$i/config.json || exit 1
    else jq -e '.process.noNewPrivileges == true and .root.readonly == true' '$T'/b\$i/config.json >/dev/null || exit 1; fi
  done"
check "500 at once: no temporary file left in any bundle" bash -c "! ls -A '$T'/b*/ | grep -q oci-harden"

# ---- 2. 20 creates at once on the same bundle
mkdir -p "$T/same/rootfs"
cp "$T/tpl/config.json" "$T/same/config.json"
pids=()
for i in $(seq 1 20); do
  (cd / && exec timeout 60 "$OCIH" --root "$T/rs" create --bundle "$T/same" "same-$i") >/dev/null 2>&1 &
  pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
check "one bundle x20: every create exited 0" test "$bad" -eq 0
check "one bundle x20: config.json whole and hardened" \
  jq -e '.process.noNewPrivileges == true and .root.readonly == true' "$T/same/config.json"
check "one bundle x20: no temporary file left" bash -c "! ls -A '$T/same' | grep -q oci-harden"
rm -rf "$T"/b[0-9]*

# ---- 3. 100 real containers at once through runc
M=100
write_policy /usr/bin/runc "$T/audit-runc.jsonl"
make_busybox_rootfs "$T/rootfs" || { fail "busybox rootfs"; exit_summary; }
(cd "$T/tpl" && rm -f config.json && runc spec)
jq --arg root "$T/rootfs" '.root.path = $root | .process.terminal = false |
  .process.args = ["sh", "-c", "grep -E \"^(NoNewPrivs|Seccomp):\" /proc/self/status; sleep 1"]' \
  "$T/tpl/config.json" > "$T/tpl/c" && mv "$T/tpl/c" "$T/tpl/config.json"

# one_container I: create, start, wait until stopped, delete: an engine's sequence.
one_container() {
  local i=$1 id=par-$1 b=$T/r$1 st n
  mkdir -p "$b" && cp "$T/tpl/config.json" "$b/config.json"
  timeout 60 "$OCIH" --root "$T/runc" create --bundle "$b" "$id" > "$b/out" 2>&1 < /dev/null || {
    echo "create failed" >> "$b/out"; return 1; }
  timeout 60 "$OCIH" --root "$T/runc" start "$id" >> "$b/err" 2>&1 || { echo "start failed" >> "$b/out"; return 1; }
  # The wait asks runc itself: a real engine waits on the pid, and 100 pollers each running the
  # shim ten times a second would only measure the poll (and, with a sanitizer build of the
  # shim at ~0.1 s of CPU a start, starve the poststart hooks past runc's 10 s hook timeout).
  for n in $(seq 1 600); do
    st=$(runc --root "$T/runc" state "$id" 2>/dev/null | jq -r .status)
    [[ "$st" == stopped ]] && break
    sleep 0.1
  done
  [[ "$st" == stopped ]] || { echo "never stopped ($st)" >> "$b/out"; return 1; }
  timeout 60 "$OCIH" --root "$T/runc" delete "$id" >> "$b/err" 2>&1 || { echo "delete failed" >> "$b/out"; return 1; }
}
# With a sanitizer build (make check SANITIZE=...) every oci-harden and hook process costs about
# 0.1 s of CPU before it does anything; 100 containers at once on a 2-CPU machine then starve the
# poststart hooks past the 10 s timeout runc enforces on them. That run starts them in waves of
# 10 per CPU (each wave all at once): the sanitizers look for memory errors, the plain build
# carries the 100-at-once load.
wave=$M
if [[ -n "${OCIH_SANITIZE:-}" ]]; then
  wave=$((10 * $(nproc)))
  echo "    sanitizer build ($OCIH_SANITIZE): waves of $wave containers at once"
fi
start=$(date +%s)
bad=0
for ((first = 1; first <= M; first += wave)); do
  pids=()
  for ((i = first; i < first + wave && i <= M; i++)); do
    one_container "$i" &
    pids+=($!)
  done
  for ((k = 0; k < ${#pids[@]}; k++)); do
    i=$((first + k))
    wait "${pids[$k]}" || { bad=$((bad + 1)); echo "    | par-$i: $(tail -n 3 "$T/r$i/out" "$T/r$i/err" 2>/dev/null | tr '\n' ' ')"; }
  done
done
echo "    $M containers through runc in $(($(date +%s) - start)) s"
check "$M real containers, $wave at once: every one created, started, stopped and deleted" test "$bad" -eq 0
check "$M real containers, $wave at once: the kernel shows NoNewPrivs 1 in each" \
  bash -c "test \$(grep -lE '^NoNewPrivs:[[:space:]]+1' '$T'/r*/out | wc -l) -eq $M"
check "$M real containers, $wave at once: the kernel shows a seccomp filter in each" \
  bash -c "test \$(grep -lE '^Seccomp:[[:space:]]+2' '$T'/r*/out | wc -l) -eq $M"
check "$M real containers, $wave at once: $M create records, all applied, all whole JSON" \
  bash -c "jq -c . '$T/audit-runc.jsonl' >/dev/null &&
    test \$(jq -r 'select(.event == \"create\") | .decision' '$T/audit-runc.jsonl' | grep -cx applied) -eq $M"
check "$M real containers, $wave at once: no container left in runc" \
  test -z "$(runc --root "$T/runc" list -q 2>/dev/null)"
check "$M real containers, $wave at once: delete left no mount under the state directory" \
  bash -c "! awk -v s='$T/state/par-' 'index(\$5, s) == 1' /proc/self/mountinfo | grep -q ."

exit_summary

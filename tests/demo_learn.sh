#!/usr/bin/env bash
# make demo-learn: record a small real workload, learn its seccomp profile, enforce it.
#
#   1. learn    the workload (busybox httpd serving a page to a wget on the loopback) runs
#               through oci-harden under runc with the policy's "learn" key: the default
#               profile, with every call outside the always-allowed base set reported to
#               oci-harden's recorder, which writes one recording per container. Two runs.
#   2. profile  oci-hardenctl profile learn merges the two recordings into an OCI profile
#               (never wider than the policy's), profile check passes on it, profile diff
#               shows it against the default.
#   3. enforce  a policy with "seccomp_learned" naming that profile: the same workload still
#               serves its page; a call it never made (symlinkat, from `ln -s`) now fails
#               with EPERM, where the default profile lets it through; the watch record names
#               it, and oci-hardenctl report shows the profile in force.
# Cleans up after itself whatever happens. DEMO_RUNTIME=crun runs it under crun instead.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
source tests/lib/common.sh

OCIH=$PWD/bin/oci-harden
OCIHCTL=$PWD/bin/oci-hardenctl
RUNTIME=$(command -v "${DEMO_RUNTIME:-runc}") || { echo "demo-learn: ${DEMO_RUNTIME:-runc} is not installed" >&2; exit 2; }
if [[ "$(id -u)" != 0 ]]; then
  echo "demo-learn: run as root (it starts containers)" >&2
  exit 2
fi
for b in "$OCIH" "$OCIHCTL" "$PWD/bin/oci-harden-hook"; do
  [[ -x "$b" ]] || { echo "demo-learn: $b is missing: run make first" >&2; exit 2; }
done

T=$(mktemp -d /var/tmp/ocih-demo-learn.XXXXXX) || exit 5
chmod 0711 "$T"
cleanup() {
  local id
  for id in learn-1 learn-2 enforced-ok enforced-ln default-ln; do
    timeout 10 "$RUNTIME" --root "$T/state" delete -f "$id" >/dev/null 2>&1
  done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo-learn: $*" >&2; exit 1; }

mkdir -p "$T/etc" "$T/learn" && chmod 0755 "$T/etc"
# The policies: the built-in default with the audit log, state and recordings moved into $T.
policy() {  # policy FILE JQ_FILTER
  jq -n --arg rt "$RUNTIME" --arg log "$T/audit.jsonl" --arg st "$T/run" --arg ld "$T/learn" \
    "{runtime: \$rt, audit_log: \$log, user_namespace: {state_dir: \$st}, learn_dir: \$ld} $2" > "$1" &&
    chmod 0644 "$1"
}
policy "$T/etc/learn.json" '| .learn = "demo-httpd"' || exit 1
policy "$T/etc/default.json" '' || exit 1

make_busybox_rootfs "$T/rootfs" >/dev/null || exit 1
# The workload: httpd on 127.0.0.1:8080 serving /tmp/www, one page fetched by wget, httpd stopped.
# shellcheck disable=SC2016  # expanded inside the container
workload='mkdir -p /tmp/www && echo "hello from a container under its learned profile" > /tmp/www/index.html
httpd -p 127.0.0.1:8080 -h /tmp/www
i=0; while [ $i -lt 50 ] && ! wget -q -O - http://127.0.0.1:8080/index.html 2>/dev/null; do i=$((i + 1)); usleep 20000; done
kill $(pidof httpd)'
bundle() {  # bundle DIR CMD...: a bundle on the shared rootfs (a fresh config.json per container, as an engine writes one)
  make_bundle "$1" --rootfs "$T/rootfs" -- "${@:2}" >/dev/null
}
run_in() {  # run_in POLICY ID BUNDLE: oci-harden run, the container's output on stdout
  OCI_HARDEN_POLICY=$1 "$OCIH" --root "$T/state" run --bundle "$3" "$2" < /dev/null
}

banner "1. learn: the workload, twice, under the default profile with the recorder ($(basename "$RUNTIME"))"
for id in learn-1 learn-2; do
  bundle "$T/b-$id" sh -c "$workload" || exit 1
  out=$(run_in "$T/etc/learn.json" "$id" "$T/b-$id") || die "the workload failed in learn mode: $out"
  echo "$id: $out"
done
recs=("$T"/learn/demo-httpd/*.json)
[[ -e "${recs[0]}" ]] || die "no recording under $T/learn/demo-httpd"
for r in "${recs[@]}"; do
  jq -r '"recording \(.container_id): \(.syscalls | map(.name) | unique | length) distinct calls seen, \(.notifications) notifications, \(.dropped) dropped"' "$r"
done
jq -r 'select(.event == "seccomp_learn") | "audit record: seccomp_learn \(.container) -> \(.recording)"' "$T/audit.jsonl"

banner "2. profile: oci-hardenctl profile learn, check, diff"
"$OCIHCTL" profile learn --policy "$T/etc/learn.json" -o "$T/etc/learned-httpd.json" "$T/learn/demo-httpd" ||
  die "profile learn failed"
"$OCIHCTL" profile check "$T/etc/learned-httpd.json" || die "profile check failed on the learned profile"
"$OCIHCTL" profile diff "$T/etc/learned-httpd.json" "$PWD/profiles/seccomp-default.json" > "$T/diff.txt"
head -n 5 "$T/diff.txt"
echo "... ($(wc -l < "$T/diff.txt") lines: $T/diff.txt)"

banner "3. enforce: the same workload under its learned profile"
policy "$T/etc/enforce.json" \
  "| .seccomp_learned = {profile: \"$T/etc/learned-httpd.json\", mode: \"enforce\", action: \"errno\"}" || exit 1
bundle "$T/b-enforced-ok" sh -c "$workload" || exit 1
out=$(run_in "$T/etc/enforce.json" enforced-ok "$T/b-enforced-ok") || die "the workload failed under its learned profile: $out"
echo "enforced-ok: $out"
[[ "$out" == *"hello from a container"* ]] || die "the page was not served under the learned profile"
jq -r 'select((.event == "create" or .event == "run") and .container == "enforced-ok") | .seccomp |
  "profile in force: \(.source) \(.profile) (\(.digest[0:19])...): \(.allowed) syscalls allowed, against \(.generic_allowed) in the default profile"' "$T/audit.jsonl"

banner "a call the workload never made: ln -s (symlinkat)"
for id in default-ln enforced-ln; do
  bundle "$T/b-$id" sh -c 'ln -s /etc/hostname /tmp/link && echo "ln -s: allowed"' || exit 1
done
out=$(run_in "$T/etc/default.json" default-ln "$T/b-default-ln" 2>&1)
echo "under the default profile: $out"
out=$(run_in "$T/etc/enforce.json" enforced-ln "$T/b-enforced-ln" 2>&1)
echo "under the learned profile: $out"
[[ "$out" == *"Operation not permitted"* ]] || die "symlinkat was not refused under the learned profile"
jq -r 'select(.event == "seccomp_watch" and .container == "enforced-ln") |
  "audit record: seccomp_watch \(.container): \(.violations | map("\(.name) ×\(.count)") | join(", ")) (\(.action))"' "$T/audit.jsonl"

banner "oci-hardenctl report: the profile per workload"
"$OCIHCTL" report "$T/audit.jsonl" | sed -n '/[Ss]eccomp\|[Ww]orkload/,$p' | head -n 20

allowed=$(jq -r 'select((.event == "create" or .event == "run") and .container == "enforced-ok") | .seccomp.allowed' "$T/audit.jsonl")
generic=$(jq -r 'select((.event == "create" or .event == "run") and .container == "enforced-ok") | .seccomp.generic_allowed' "$T/audit.jsonl")
banner "before and after: $generic syscalls allowed by the default profile, $allowed by the learned one"
if [[ -z "$allowed" || -z "$generic" ]] || (( allowed * 3 >= generic )); then
  die "the learned profile allows $allowed of $generic: not less than a third"
fi
echo "demo-learn: ok"

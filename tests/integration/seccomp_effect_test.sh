#!/usr/bin/env bash
# Integration: seccomp by effect (issue 12, item 4), seen from inside containers run by real runc.
#   1. control: runc alone runs a bundle whose linux.seccomp is {"defaultAction":
#      "SCMP_ACT_ALLOW"}, and in it unshare(CLONE_NEWUSER) works (the escape exists);
#   2. the same bundle through oci-harden: the profile is replaced by the policy's, the audit
#      record names what was open, and inside CLONE_NEWUSER, unshare, keyctl and `unshare -U` fail;
#   3. Docker's own default profile (as dockerd writes it) is kept unchanged, and in effect:
#      io_uring_setup, which Docker allows and the policy's profile denies, is not refused with EPERM;
#   4. Docker's profile plus unshare: replaced, the record names unshare(CLONE_NEWUSER);
#   5. seccomp.weaker "refuse": refused, nothing runs, the reason names the open calls;
#   6. SCMP_ACT_NOTIFY with a listenerPath not on seccomp.allowed_listeners: refused;
#   7. Podman's default profile (it allows unshare and keyctl) in a plain runc bundle, even
#      annotated as libpod's: replaced, inside unshare(CLONE_NEWUSER) and keyctl fail, the record
#      names the references used and why Podman's was not one; in a bundle shaped as Podman's
#      (<storage>/overlay-containers/<id>/userdata, the id of the command line) it is kept.
# shellcheck disable=SC2016  # $docker in the single-quoted strings is jq's, not the shell's
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq cc timeout bin/oci-harden || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-sceffect.XXXXXX) || { fail "mktemp"; exit_summary; }
chmod 0711 "$T"   # the container's root (uid 1000000 on the host) walks to its rootfs below
# shellcheck disable=SC2317  # called by the trap
cleanup() { remove_test_dir "$T" "$T/state" "$T/state-runc"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs" || { fail "make_busybox_rootfs"; exit_summary; }
mkdir -p "$T/rootfs/mnt"
if ! out=$(cc -static -pthread -O2 -o "$T/rootfs/bin/probe_syscalls" tests/tools/probe_syscalls.c 2>&1); then
  fail "cc -static probe_syscalls.c" "$out"
  exit_summary
fi
cat > "$T/rootfs/bin/inside.sh" <<'EOF'
#!/bin/sh
/bin/probe_syscalls
unshare -U true 2>/dev/null && echo "unshare-U: ok" || echo "unshare-U: failed"
EOF
chmod 0755 "$T/rootfs/bin/inside.sh"

mkdir -p "$T/etc"
chmod 0755 "$T/etc"
write_policy() { write_test_policy "$T" /usr/bin/runc "$@"; }  # write_policy [extra jq filter]
export OCI_HARDEN_POLICY=$T/etc/policy.json
DOCKER_PROFILE=$(jq -c '.linux.seccomp' tests/golden/docker-captured/plain.json)

# bundle ID JQ-FILTER: a bundle running inside.sh whose linux.seccomp is set by the filter.
bundle() {
  local b=$T/bundle-$1
  make_bundle "$b" --rootfs "$T/rootfs" -- /bin/inside.sh >/dev/null || return 1
  jq --argjson docker "$DOCKER_PROFILE" "$2" "$b/config.json" > "$b/config.json.new" &&
    mv "$b/config.json.new" "$b/config.json"
}
run_oci() { (cd "$T/bundle-$1" && timeout 60 "$OCIH" --root "$T/state" run "$1" 2>&1); }
line() { grep -E "^$1( |: )" <<<"$2" | head -n 1; }
expect() {  # expect NAME OUTPUT "probe result" LABEL
  local got
  got=$(line "$1" "$2")
  if [[ "$got" == "$3" ]]; then pass "$4: $3"; else fail "$4: $3" "got '${got:-nothing}'"; fi
}
record() {  # record ID: the audit record of the container's run
  jq -c --arg id "$1" 'select(.container == $id and .event == "run")' "$T/audit.jsonl" | tail -n 1
}
ALLOW_ALL='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW"}'
write_policy

# ---- 1. control: runc alone honours the allow-all profile
bundle ctl "$ALLOW_ALL" || fail "bundle ctl"
out=$(cd "$T/bundle-ctl" && timeout 60 runc --root "$T/state-runc" run ctl 2>&1)
expect unshare "$out" "unshare ok" "runc alone, allow-all profile"
expect clone_newuser "$out" "clone_newuser ok" "runc alone, allow-all profile"

# ---- 2. through oci-harden: replaced by the policy's profile
bundle allowall "$ALLOW_ALL" || fail "bundle allowall"
out=$(run_oci allowall)
rc=$?
check "allow-all: run exits 0" test "$rc" -eq 0 || printf '%s\n' "$out" | sed 's/^/    | /'
for p in clone_newuser unshare keyctl; do
  expect "$p" "$out" "$p errno=1" "allow-all through oci-harden"
done
expect unshare-U "$out" "unshare-U: failed" "allow-all through oci-harden"
check "allow-all: config.json now holds the policy's default action" \
  test "$(jq -r '.linux.seccomp.defaultAction' "$T/bundle-allowall/config.json")" = SCMP_ACT_ERRNO
rec=$(record allowall)
check "allow-all: the audit record names the calls that were open" \
  jq -e '.changes[] | select(.rule == "seccomp") | .before.open | length > 0' <<<"$rec"

# ---- 3. Docker's default profile: kept, in effect
# (container id "dockdef", not "docker": runc's default cgroup is /<id>, and /docker is dockerd's own)
bundle dockdef '.linux.seccomp = $docker' || fail "bundle dockdef"
out=$(run_oci dockdef)
rc=$?
check "docker profile: run exits 0" test "$rc" -eq 0 || printf '%s\n' "$out" | sed 's/^/    | /'
check "docker profile: config.json keeps Docker's profile unchanged" \
  jq -e --argjson docker "$DOCKER_PROFILE" '.linux.seccomp == $docker' "$T/bundle-dockdef/config.json"
rec=$(record dockdef)
check "docker profile: no seccomp change in the audit record" \
  jq -e '[.changes[]? | select(.rule == "seccomp")] | length == 0' <<<"$rec"
got=$(line io_uring_setup "$out")
check "docker profile: io_uring_setup (allowed by Docker, denied by the policy) is not EPERM ($got)" \
  test -n "$got" -a "$got" != "io_uring_setup errno=1"
expect unshare "$out" "unshare errno=1" "docker profile"

# ---- 4. Docker's profile with unshare added
bundle dockunshare '.linux.seccomp = $docker | .linux.seccomp.syscalls += [{names: ["unshare"], action: "SCMP_ACT_ALLOW"}]' ||
  fail "bundle dockunshare"
out=$(run_oci dockunshare)
expect unshare "$out" "unshare errno=1" "docker profile plus unshare"
expect unshare-U "$out" "unshare-U: failed" "docker profile plus unshare"
rec=$(record dockunshare)
check "docker profile plus unshare: the record names unshare(CLONE_NEWUSER) against Docker's" \
  jq -e '.changes[] | select(.rule == "seccomp") | .before | .compared_with == "docker" and
         (.open | any(startswith("unshare(CLONE_NEWUSER)")))' <<<"$rec"

# ---- 5. seccomp.weaker refuse
write_policy '.seccomp.weaker = "refuse"'
bundle refuse "$ALLOW_ALL" || fail "bundle refuse"
out=$(run_oci refuse)
rc=$?
check "weaker refuse: run exits non-zero" test "$rc" -ne 0
check "weaker refuse: the reason names the rule and the open calls" \
  grep -q 'seccomp.*linux.seccomp lets through calls the policy.s profile denies' <<<"$out"
check "weaker refuse: nothing ran" test -z "$(line unshare "$out")"

# ---- 6. SCMP_ACT_NOTIFY to a listener the policy does not name
write_policy
bundle notify '.linux.seccomp = $docker | .linux.seccomp.listenerPath = "/run/agent.sock" |
  .linux.seccomp.syscalls += [{names: ["mount"], action: "SCMP_ACT_NOTIFY"}]' || fail "bundle notify"
out=$(run_oci notify)
rc=$?
check "notify: run exits non-zero" test "$rc" -ne 0
check "notify: the reason names the listener" grep -q 'listenerPath "/run/agent.sock"' <<<"$out"

# ---- 7. Podman's default profile: a reference only in Podman's own bundle
PODMAN_PROFILE=$(jq -c . profiles/engine-seccomp-podman.json)
podman_bundle() {  # podman_bundle DIR: a bundle at DIR with Podman's profile, annotated as libpod's
  make_bundle "$1" --rootfs "$T/rootfs" -- /bin/inside.sh >/dev/null || return 1
  jq --argjson podman "$PODMAN_PROFILE" \
    '.linux.seccomp = $podman | .annotations["io.container.manager"] = "libpod"' "$1/config.json" \
    > "$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}
podman_bundle "$T/bundle-podelse" || fail "bundle podelse"
out=$(run_oci podelse)
rc=$?
check "podman profile elsewhere: run exits 0" test "$rc" -eq 0 || printf '%s\n' "$out" | sed 's/^/    | /'
for p in clone_newuser unshare keyctl; do
  expect "$p" "$out" "$p errno=1" "podman profile in a plain runc bundle"
done
expect unshare-U "$out" "unshare-U: failed" "podman profile in a plain runc bundle"
rec=$(record podelse)
check "podman profile elsewhere: the record names the references and why Podman's is not one" \
  jq -e '.changes[] | select(.rule == "seccomp") | .before | .compared_with == "docker" and
         .references == ["policy", "docker"] and (.not_used.podman | test("is not Podman.s")) and
         (.open | any(startswith("unshare(CLONE_NEWUSER)")))' <<<"$rec"
# Control: the same profile in Podman's bundle shape is Podman's default and stays.
pb=$T/store/overlay-containers/podown/userdata
mkdir -p "$T/store/overlay-containers/podown"
podman_bundle "$pb" || fail "bundle podown"
out=$( (cd "$pb" && timeout 60 "$OCIH" --root "$T/state" run podown 2>&1) )
rc=$?
check "podman profile in Podman's bundle: run exits 0" test "$rc" -eq 0 || printf '%s\n' "$out" | sed 's/^/    | /'
check "podman profile in Podman's bundle: config.json keeps it unchanged" \
  jq -e --argjson podman "$PODMAN_PROFILE" '.linux.seccomp == $podman' "$pb/config.json"
got=$(line keyctl "$out")
check "podman profile in Podman's bundle: keyctl (Podman allows it) is not EPERM ($got)" \
  test -n "$got" -a "$got" != "keyctl errno=1"
exit_summary

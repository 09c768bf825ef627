#!/usr/bin/env bash
# Integration: a refusal says how to fix it. A refused `run` through bin/oci-harden ends its
# stderr, and its record in runc's --log (JSON and text), with a "  fix:" line naming the flag
# for the engine that asked (Podman's, known from its bundle path; every engine's otherwise) and
# the policy key; the audit record's refused entries carry "fix". A container that runs as host
# root (no user namespace could be added) says why and the fix in explain and in its record.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq || exit_summary

OCIH=$PWD/bin/oci-harden
CTL=$PWD/bin/oci-hardenctl
T=$(mktemp -d /var/tmp/ocih-fix.XXXXXX)
chmod 0711 "$T"
cleanup() { remove_test_dir "$T" "$T/state"; }
trap cleanup EXIT

make_busybox_rootfs "$T/rootfs"
write_test_policy "$T" /usr/bin/runc
new_bundle() { make_test_bundle "$1" "$T/rootfs" "$2" "${3:-}"; }  # new_bundle DIR ARGS_JSON [jq filter]

# ---- 1. a bind of the host's / : stderr and runc's --log end with the fix
B=$(new_bundle "$T/b-root" '["true"]' '.mounts += [{"destination":"/host","type":"bind","source":"/","options":["rbind"]}]')
"$OCIH" --root "$T/state" --log "$T/json.log" --log-format json run --bundle "$B" fix-root >"$T/out" 2>"$T/err"
rc=$?
check "refused run exits 1" test "$rc" -eq 1
check "stderr: the first line is the refusal, as before" \
  bash -c "head -n 1 '$T/err' | grep -q '^oci-harden: refused by sensitive-mounts: / is mounted at /host'"
check "stderr: the last line is the fix (the -v that asked, allowed_paths)" \
  bash -c "tail -n 1 '$T/err' | grep -qF '  fix: remove -v /:/host (docker/podman run) / the hostPath volume / (pod spec); or policy: add the source to allowed_paths'"
check "runc --log (json): the error record's message ends with the same fix" \
  bash -c "test \"\$(jq -rs '[.[] | select(.level == \"error\")] | last | .msg' '$T/json.log' | tail -n 1)\" = \"\$(tail -n 1 '$T/err')\""
"$OCIH" --root "$T/state" --log "$T/text.log" --log-format text run --bundle "$B" fix-root >/dev/null 2>&1
check "runc --log (text): the record ends with the fix" \
  bash -c "tail -n 1 '$T/text.log' | grep -q 'level=error msg=\".*\\\\n  fix: remove -v /:/host.*allowed_paths.*\"'"
check "audit record: the refused entry carries the fix" \
  jq_any 'select(.container == "fix-root" and .decision == "refused") | .refused[]
          | select(.rule == "sensitive-mounts" and (.field | test("^mounts\\[[0-9]+\\][.]source$"))
                   and (.fix | test("allowed_paths")))' "$T/audit.jsonl"

# ---- 2. Podman's bundle (containers/storage's path): the fix names podman run's flag
ID=fixpodman0123
B=$(new_bundle "$T/storage/overlay-containers/$ID/userdata" '["true"]' '.linux.namespaces |= map(select(.type != "pid"))')
"$OCIH" --root "$T/state" --log "$T/podman.log" --log-format json run --bundle "$B" "$ID" >/dev/null 2>"$T/err"
rc=$?
check "podman: refused run exits 1" test "$rc" -eq 1
check "podman: the fix names --pid=host for podman run" \
  bash -c "tail -n 1 '$T/err' | grep -qF '  fix: remove --pid=host (podman run); or policy: add \"host-namespaces\" to disabled_rules'"
check "podman: the --log record ends with it too" \
  bash -c "jq -rs '[.[] | select(.level == \"error\")] | last | .msg' '$T/podman.log' | tail -n 1 | grep -qF -- '--pid=host (podman run)'"

# ---- 2b. oci-hardenctl harden --engine kubernetes: the pod spec's field
jq '.linux.namespaces |= map(select(.type != "network"))' "$T/b-root/config.json" > "$T/k8s.json"
"$CTL" harden --engine kubernetes "$T/k8s.json" >/dev/null 2>"$T/err"
check "harden --engine kubernetes: the fix names hostNetwork: true (pod spec)" \
  grep -qxF '  fix: remove hostNetwork: true (pod spec); or policy: add "host-namespaces" to disabled_rules' "$T/err"

# ---- 3. an opt-out the policy allows is offered, with the details opt_out_requires asks for
write_test_policy "$T" /usr/bin/runc '.limits.above_max = "refuse" | .opt_out_requires = ["owner", "reason"]'
B=$(new_bundle "$T/b-pids" '["true"]' '.linux.resources.pids.limit = 1000000')
"$OCIH" --root "$T/state" run --bundle "$B" fix-pids >/dev/null 2>"$T/err"
check "pids: refused, and the fix offers the opt-out with owner and reason" \
  bash -c "tail -n 1 '$T/err' | grep -qF 'annotate org.oci-harden.opt-out=pids-limit org.oci-harden.opt-out-owner=<owner> org.oci-harden.opt-out-reason=<reason>'"
check "pids: and the policy key" bash -c "tail -n 1 '$T/err' | grep -qF 'policy: raise limits.pids.max'"

# ---- 4. host root: explain and the record say why and the fix
# A root filesystem under a directory every user can search cannot be idmapped safely, the mapped
# root cannot read it (0700), and this policy does not refuse (unavailable: record): the
# container runs as host root.
write_test_policy "$T" /usr/bin/runc
mkdir -p "$T/open" && chmod 0755 "$T/open"
make_busybox_rootfs "$T/open/rootfs"
chmod 0700 "$T/open/rootfs"
B=$(make_test_bundle "$T/open/b" "$T/open/rootfs" '["true"]')
"$CTL" explain "$B/config.json" >"$T/explain" 2>&1
check "explain: runs as host root" grep -qx 'runs as host root: yes' "$T/explain" || cat "$T/explain"
check "explain: why (the user-namespace note)" grep -q '^  why: no user namespace added' "$T/explain"
check "explain: the fix names every engine's way and an idmappable root for runc" \
  bash -c "grep -q '^  fix: Docker: \"userns-remap\" in daemon.json; Kubernetes: hostUsers: false.*Podman: --userns=auto; a runc bundle: a root filesystem the mapped root can read, or one that can be idmapped' '$T/explain'"
"$OCIH" --root "$T/state" run --bundle "$B" fix-hostroot </dev/null >/dev/null 2>"$T/err"
rc=$?
check "host root: the container runs (record, not refuse)" test "$rc" -eq 0 || cat "$T/err"
check "record: user.root_on_host with root_on_host_reason and fix" \
  jq_any 'select(.container == "fix-hostroot" and .event == "run") | .user
          | (.root_on_host == true and (.root_on_host_reason | startswith("no user namespace added"))
             and (.fix | test("userns-remap")))' "$T/audit.jsonl"
exit_summary

#!/usr/bin/env bash
# audit_syslog: with the policy key on, oci-harden (create) and oci-harden-hook (poststart,
# poststop) send each audit record to syslog(3) as well as to the audit log; with it off,
# nothing. A listener of the test's own is bound on /dev/log inside a private mount namespace
# (over the host's socket, or over an empty file the test makes when the host has none), so the
# host's syslog never sees these records. The runtime is a fake one: only the records matter.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need jq runc python3 unshare bin/oci-harden bin/oci-harden-hook || exit_summary

T=$(mktemp -d /var/tmp/ocih-syslog.XXXXXX)
chmod 0711 "$T"
made_dev_log=0
cleanup() {
  [[ -n "${listener:-}" ]] && kill "$listener" 2>/dev/null
  ((made_dev_log)) && rm -f /dev/log
  remove_test_dir "$T"
}
trap cleanup EXIT

# The listener: one line per datagram received on $T/log.sock.
python3 - "$T/log.sock" "$T/syslog.out" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(1 << 20).rstrip(b"\n") + b"\n")
EOF
listener=$!
for _ in $(seq 1 50); do [[ -S "$T/log.sock" ]] && break; sleep 0.1; done
check "the test's syslog listener is up" test -S "$T/log.sock"
if [[ ! -e /dev/log ]]; then
  : > /dev/log && made_dev_log=1
fi

cat > "$T/fake-runtime" <<'FAKE'
#!/bin/sh
exit 0
FAKE
chmod 0755 "$T/fake-runtime"
mkdir -p "$T/etc" "$T/b/rootfs"
(cd "$T/b" && runc spec)
write_policy() {  # write_policy SYSLOG(true|false)
  jq -n --arg log "$T/audit.jsonl" --arg rt "$T/fake-runtime" --arg st "$T/run" --argjson sl "$1" \
    '{runtime: $rt, audit_log: $log, audit_syslog: $sl, user_namespace: {state_dir: $st}}' > "$T/etc/policy.json"
  chmod 0644 "$T/etc/policy.json"
}
export OCI_HARDEN_POLICY=$T/etc/policy.json

# in_ns CMD...: CMD with the listener's socket on /dev/log (a private mount namespace).
in_ns() {
  unshare -m --propagation private bash -c 'mount --bind "$1" /dev/log && shift && exec "$@"' \
    in_ns "$T/log.sock" "$@"
}

# wait_lines N: until the listener has written N lines (at most 5 s).
wait_lines() {
  for _ in $(seq 1 50); do
    [[ $(wc -l < "$T/syslog.out" 2>/dev/null || echo 0) -ge $1 ]] && return 0
    sleep 0.1
  done
  return 1
}

write_policy true
check "create with audit_syslog true" in_ns bin/oci-harden --root "$T/state" create --bundle "$T/b" sl-1
check "  ... one datagram reached /dev/log" wait_lines 1
state() {  # state STATUS PID
  printf '{"ociVersion":"1.0.2","id":"sl-1","status":"%s","pid":%s,"bundle":"%s"}' "$1" "$2" "$T/b"
}
sleep 30 & sleeper=$!
in_ns bin/oci-harden-hook poststart < <(state running "$sleeper") >/dev/null 2>&1
kill "$sleeper" 2>/dev/null
in_ns bin/oci-harden-hook poststop < <(state stopped 0) >/dev/null 2>&1
check "the hook's poststart and poststop records reached /dev/log too" wait_lines 3

# Each datagram: "<85>TIMESTAMP oci-harden[PID]: RECORD" (authpriv.notice = 10 * 8 + 5).
check "every datagram is authpriv.notice from ident oci-harden" \
  bash -c "test \$(grep -cE '^<85>.* oci-harden\\[[0-9]+\\]: \\{' '$T/syslog.out') -eq \$(wc -l < '$T/syslog.out')"
sed -E 's/^<85>[^{]* oci-harden\[[0-9]+\]: //' "$T/syslog.out" > "$T/records"
check "the datagrams are the audit log's records, byte for byte, in order" cmp "$T/records" "$T/audit.jsonl"
check "  ... create, verify and stop" \
  bash -c "test \"\$(jq -r .event '$T/records' | tr '\n' ' ')\" = 'create verify stop '"

write_policy false
: > "$T/syslog.out"
check "create with audit_syslog false" in_ns bin/oci-harden --root "$T/state" create --bundle "$T/b" sl-2
in_ns bin/oci-harden-hook poststop < <(state stopped 0) >/dev/null 2>&1
sleep 0.5
check "  ... the audit log has the records, syslog nothing" \
  bash -c "test \$(wc -l < '$T/audit.jsonl') -eq 5 && test ! -s '$T/syslog.out'"

exit_summary

#!/usr/bin/env bash
# make install / make uninstall into a DESTDIR: binaries, profiles, man pages, deploy examples,
# a root-owned 0644 policy that a second install never overwrites and uninstall keeps.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need make || exit_summary
D=$(mktemp -d /var/tmp/ocih-install.XXXXXX)
trap 'rm -rf "$D"' EXIT

check "make install DESTDIR=… PREFIX=/opt/oh" make -s install DESTDIR="$D" PREFIX=/opt/oh
for f in bin/oci-harden bin/oci-hardenctl bin/oci-harden-hook; do
  check "installed $f, executable" test -x "$D/opt/oh/$f"
done
for f in share/man/man8/oci-harden.8 share/man/man8/oci-hardenctl.8 share/man/man8/oci-harden-hook.8 \
         share/man/man5/oci-harden.json.5 share/oci-harden/policy-default.json \
         share/oci-harden/policy-restricted.json share/oci-harden/seccomp-default.json \
         share/oci-harden/deploy/daemon.json share/oci-harden/deploy/containerd-config.toml \
         share/oci-harden/deploy/kubernetes/runtimeclass.yaml share/oci-harden/deploy/logrotate.d/oci-harden; do
  check "installed $f" test -f "$D/opt/oh/$f"
done
P=$D/etc/oci-harden/policy.json
check "default policy installed, equal to profiles/policy-default.json" cmp -s "$P" profiles/policy-default.json
if [[ "$(id -u)" == 0 ]]; then
  check "policy root-owned, mode 644" test "$(stat -c '%u %a' "$P")" = "0 644"
fi
# The binaries run as root: built as PIE, with full RELRO (BIND_NOW and a GNU_RELRO segment), a
# stack that is not executable, and (plain build) the stack protector and _FORTIFY_SOURCE.
# The three binaries are static PIEs, with no imports to look at: what is checked is
# that oci-harden's own functions (oci_harden::) call __stack_chk_fail and a fortified __*_chk.
own_hardening_calls() {  # FILE
  objdump -d --no-show-raw-insn -C "$1" | awk '
    /^[0-9a-f]+ <.*>:$/ { ours = ($0 ~ /oci_harden::/) }
    ours && /call.*<__stack_chk_fail/ { sp++ }
    ours && /call.*<_+[a-z0-9]+_chk[@>]/ && !/__stack_chk_fail/ { fortified++ }
    END { exit !(sp > 0 && fortified > 0) }'
}
for b in oci-harden oci-hardenctl oci-harden-hook; do
  f=$D/opt/oh/bin/$b
  check "$b: position-independent executable" bash -c "readelf -h '$f' | grep -q 'Type: *DYN'"
  check "$b: full RELRO" bash -c "readelf -d '$f' | grep -q 'BIND_NOW' && readelf -lW '$f' | grep -q GNU_RELRO"
  check "$b: stack not executable" bash -c "readelf -lW '$f' | awk '/GNU_STACK/ { exit (\$7 ~ /E/) }'"
  if [[ -z "${OCIH_SANITIZE:-}" ]]; then
    check "$b: stack protector and fortified calls in its own code" own_hardening_calls "$f"
  fi
done
# On the start path, no dynamic loader (the Makefile says why); the hook too, since it reads
# mountinfo without libmount (issue 14).
if [[ -z "${OCIH_SANITIZE:-}" ]]; then
  for b in oci-harden oci-hardenctl oci-harden-hook; do
    check "$b: static PIE (no interpreter, no shared library)" \
      bash -c "! readelf -lW '$D/opt/oh/bin/$b' | grep -q INTERP && ! readelf -d '$D/opt/oh/bin/$b' | grep -q NEEDED"
  done
fi
check "the installed binary runs and names its rules" bash -c "'$D/opt/oh/bin/oci-harden' --help | grep -q user-namespace"
echo '{"mode": "audit"}' > "$P"
check "a second install keeps the administrator's policy" \
  bash -c "make -s install DESTDIR='$D' PREFIX=/opt/oh >/dev/null && grep -q audit '$P'"
check "make uninstall" make -s uninstall DESTDIR="$D" PREFIX=/opt/oh
check "uninstall removed binaries, share and man pages" \
  bash -c "test -z \"\$(find '$D/opt' -type f)\""
check "uninstall kept the policy" grep -q audit "$P"

exit_summary

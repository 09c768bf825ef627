#!/usr/bin/env bash
# The administrator's commands of issue 17 item 5, as an administrator runs them (no engine):
#   oci-hardenctl configure: exit statuses, --dry-run writes nothing, a refused file is left as it
#     was (exit 2, file and line named), a relative --runtime-path and an unknown engine are usage;
#   oci-hardenctl policy check: 0 valid, 1 invalid (field named), 2 not JSON / unreadable;
#   oci-harden-hook --version; make install DESTDIR=...: the logrotate file installed, an
#     administrator's edited one kept.
# The engines started from configured files: tests/e2e/configure_test.sh.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
# shellcheck source=../lib/common.sh
source tests/lib/common.sh
need jq make "$ROOT/bin/oci-hardenctl" "$ROOT/bin/oci-harden-hook" || exit_summary
CTL=$ROOT/bin/oci-hardenctl
T=$(mktemp -d /var/tmp/ocih-configure-cli.XXXXXX) || exit 5
trap 'rm -rf "$T"' EXIT

# rc_of CMD...: the exit status of CMD (its output into $T/out, $T/err)
rc_of() { "$@" > "$T/out" 2> "$T/err"; echo $?; }

# ---- configure
printf '{"debug": true}\n' > "$T/daemon.json"
check "configure --dry-run exits 0" test "$(rc_of "$CTL" configure docker --dry-run --config "$T/daemon.json" --runtime-path /usr/local/bin/oci-harden)" = 0
check "--dry-run prints the new file" jq -e '.runtimes.hardened.path == "/usr/local/bin/oci-harden" and .debug' "$T/out"
check "--dry-run says it would change and wrote nothing" grep -q "would change; nothing written" "$T/err"
check "--dry-run left the file as it was" test "$(cat "$T/daemon.json")" = '{"debug": true}'
check "--dry-run made no backup" test -z "$(find "$T" -maxdepth 1 -name '*.oci-harden.bak-*')"

printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  x = """\nmulti"""\n' > "$T/config.toml"
cp "$T/config.toml" "$T/config.toml.orig"
check "configure refuses a TOML file it cannot read: exit 2" \
  test "$(rc_of "$CTL" configure containerd --config "$T/config.toml" --runtime-path /usr/local/bin/oci-harden)" = 2
check "the refusal names file, line and fault, and that nothing changed" \
  grep -qF "$T/config.toml:3: multi-line strings (\"\"\") are not supported; nothing changed" "$T/err"
check "the refused file is byte for byte as it was" cmp "$T/config.toml" "$T/config.toml.orig"
printf '[plugins.cri]\n' > "$T/v1.toml"
check "configure refuses containerd's version 1 config: exit 2" \
  test "$(rc_of "$CTL" configure containerd --config "$T/v1.toml" --runtime-path /usr/local/bin/oci-harden)" = 2
check "and says to migrate it" grep -q "containerd config migrate" "$T/err"
check "a relative --runtime-path is usage (64)" \
  test "$(rc_of "$CTL" configure docker --config "$T/daemon.json" --runtime-path oci-harden)" = 64
check "an unknown engine is usage (64)" test "$(rc_of "$CTL" configure cri-o)" = 64
check "configure without an engine is usage (64)" test "$(rc_of "$CTL" configure)" = 64
check "configure --help answers" bash -c '"$0" configure --help | grep -q "docker|containerd|podman"' "$CTL"

# A missing containerd config starts as `containerd config default` (containerd 1.6 here: version 2).
if command -v containerd >/dev/null 2>&1; then
  check "configure containerd on a missing file: exit 0" \
    test "$(rc_of "$CTL" configure containerd --dry-run --config "$T/missing.toml" --runtime-path /usr/local/bin/oci-harden)" = 0
  check "  it starts from containerd config default (its grpc address kept)" \
    grep -qF 'address = "/run/containerd/containerd.sock"' "$T/out"
  check "  with the runtime added under the CRI plugin" \
    grep -qF '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardened]' "$T/out"
  check "  and a dry run created nothing" test ! -e "$T/missing.toml"
  check "  a real run creates it from the default" \
    bash -c '"$0" configure containerd --config "$1" --runtime-path /usr/local/bin/oci-harden | grep -q "created from the output of .containerd config default."' \
    "$CTL" "$T/missing.toml"
  check "  and containerd reads the result" bash -c 'containerd --config "$0" config dump | grep -qF "BinaryName = \"/usr/local/bin/oci-harden\""' "$T/missing.toml"
else
  skip "containerd (a missing config.toml starts as its default)"
fi

# ---- policy check
cp profiles/policy-default.json "$T/good.json"
jq '.pids_limit = "many"' profiles/policy-default.json > "$T/bad.json" 2>/dev/null ||
  jq '.no_such_key = 1' profiles/policy-default.json > "$T/bad.json"
printf '{"mode": ' > "$T/broken.json"
check "policy check of the default policy: exit 0, OK" \
  bash -c 'out=$("$0" policy check "$1") && grep -q ": OK (mode enforce, digest sha256:" <<<"$out"' "$CTL" "$T/good.json"
check "policy check of an invalid policy: exit 1, INVALID with the field" \
  test "$(rc_of "$CTL" policy check "$T/good.json" "$T/bad.json")" = 1
check "  and it names the file and says INVALID" grep -qF "$T/bad.json: INVALID: policy $T/bad.json:" "$T/out"
check "  and the valid one is still OK" grep -qF "$T/good.json: OK" "$T/out"
check "policy check of a file that is not JSON: exit 2" test "$(rc_of "$CTL" policy check "$T/broken.json")" = 2
check "policy check of a missing file: exit 2" test "$(rc_of "$CTL" policy check "$T/none.json")" = 2
check "policy without check is usage (64)" test "$(rc_of "$CTL" policy "$T/good.json")" = 64

# ---- oci-harden-hook --version
check "oci-harden-hook --version: exit 0, same format as the others" \
  bash -c '[[ "$("$0" --version)" == "oci-harden-hook version $(cat VERSION 2>/dev/null || echo 0.1.0)" ]]' \
  "$ROOT/bin/oci-harden-hook"

# ---- make install: the logrotate file
if make -s install DESTDIR="$T/dest" > "$T/install.log" 2>&1; then
  check "make install puts the logrotate file in /etc/logrotate.d" cmp deploy/logrotate.d/oci-harden "$T/dest/etc/logrotate.d/oci-harden"
  echo "# edited by the administrator" >> "$T/dest/etc/logrotate.d/oci-harden"
  make -s install DESTDIR="$T/dest" > "$T/install.log" 2>&1
  check "a second make install keeps the administrator's edited logrotate file" \
    grep -q "edited by the administrator" "$T/dest/etc/logrotate.d/oci-harden"
else
  fail "make install DESTDIR=..." "$(tail -n 5 "$T/install.log")"
fi

exit_summary

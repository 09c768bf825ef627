#!/usr/bin/env bash
# Integration: sensitive-mounts judges a bind source by what it IS on this machine (real bind
# mounts, a procfs and a sysfs, symlinks, UNIX sockets), not by its path. A data root under the
# test directory stands in for /var/lib/docker (made sensitive, with Docker's allowed patterns)
# so that nothing is created under the host's /var/lib. Each trick is refused through
# bin/oci-harden create; a plain volume directory still runs under runc and is seen inside.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh

need_root || exit_summary
need runc busybox jq gcc || exit_summary

OCIH=$PWD/bin/oci-harden
T=$(mktemp -d /var/tmp/ocih-mi.XXXXXX)
chmod 0711 "$T"
LISTENERS=()
cleanup() {
  local p
  for p in "${LISTENERS[@]}"; do kill "$p" 2>/dev/null; done
  remove_test_dir "$T" "$T/state"   # unmounts everything under $T first
}
trap cleanup EXIT

D=$T/data                       # the stand-in data root
ID=c0ffee0123456789             # this container's id
mkdir -p "$D/volumes" "$D/containers/$ID" "$D/containers/other" "$T/srv" "$T/etc" "$T/bin"
make_busybox_rootfs "$T/rootfs"
jq --arg rt /usr/sbin/runc --arg log "$T/audit.jsonl" --arg st "$T/run" --arg d "$D" \
  '{runtime: $rt, audit_log: $log, user_namespace: {state_dir: $st},
    sensitive_paths: (.sensitive_paths + [$d]),
    allowed_paths: (.allowed_paths + [$d + "/volumes/*/_data", $d + "/containers/{id}"])}' \
  profiles/policy-default.json > "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
export OCI_HARDEN_POLICY=$T/etc/policy.json

# volume NAME: a named-volume-like directory, printed.
volume() { mkdir -p "$D/volumes/$1/_data" && echo "$D/volumes/$1/_data"; }

# bundle NAME SOURCE [OPTIONS_JSON] [DEST] [CMD]: a bundle whose only extra mount binds SOURCE
# at DEST (default /v) and that runs sh -c CMD (default cat /v/marker).
bundle() {
  local b=$T/b-$1
  mkdir -p "$b"
  (cd "$b" && runc spec) || return 1
  jq --arg root "$T/rootfs" --arg src "$2" --argjson o "${3:-[\"rbind\"]}" --arg dst "${4:-/v}" \
    --arg cmd "${5:-cat /v/marker}" \
    '.root.path = $root | .process.terminal = false | .process.args = ["sh", "-c", $cmd] |
     .mounts += [{destination: $dst, type: "bind", source: $src, options: $o}]' \
    "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
  echo "$b"
}

# refused NAME SOURCE PATTERN [OPTIONS_JSON]: oci-harden create refuses, naming PATTERN.
refused() {
  local b out rc
  b=$(bundle "$1" "$2" "${4:-}")
  # Into a file: a wrongly created container's init would hold a $(...) pipe open for ever.
  "$OCIH" --root "$T/state" create -b "$b" "$ID" >"$T/create.out" 2>&1 </dev/null
  rc=$?
  out=$(cat "$T/create.out")
  runc --root "$T/state" delete -f "$ID" >/dev/null 2>&1
  if [[ $rc -ne 0 && "$out" == *"refused by sensitive-mounts"* && "$out" == *$3* ]]; then
    pass "$1: refused"
  else
    fail "$1: refused" "rc=$rc: $out"
  fi
}

# ---- 1. a plain volume still runs, and the container sees its file
V=$(volume plain)
echo plain-ok > "$V/marker"
chmod -R a+rX "$D"
B=$(bundle plain "$V")
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "a plain volume runs under runc and its file is seen inside" test "$out" = plain-ok ||
  echo "$out"

# ---- 2. volumes that show the host: /, /etc, the engine socket's directory (/run)
for src in / /etc /run; do
  name=host$(tr / _ <<<"$src")
  V=$(volume "$name")
  mount --bind "$src" "$V"
  refused "volume showing $src" "$V" "is a bind of the host's $src "
done
# The same at an allowed engine path (this container's own directory) and at an unlisted one.
mkdir -p "$D/containers/$ID/mounts/x" "$T/srv/etc"
mount --bind /etc "$D/containers/$ID/mounts/x"
refused "this container's directory showing /etc" "$D/containers/$ID/mounts/x" "bind of the host's /etc"
mount --bind /etc "$T/srv/etc"
refused "an unlisted directory showing /etc" "$T/srv/etc" "bind of the host's /etc"

# ---- 3. a procfs and a sysfs at a volume path, and symlinks into them
V=$(volume hostproc)
mount -t proc proc "$V"
refused "a procfs at a volume path" "$V" "on a proc"
V=$(volume hostsys)
mount -t sysfs sysfs "$V"
refused "a sysfs at a volume path" "$V" "on a sysfs"
ln -s "$D/volumes/hostproc/_data/sys" "$T/srv/to-proc"
refused "a symlink into the procfs" "$T/srv/to-proc" "on a proc"
ln -s /etc "$T/srv/to-etc"
refused "a symlink to /etc" "$T/srv/to-etc" "/etc"
V=$(volume link)
rmdir "$V" && ln -s / "$V"
refused "a volume that is a symlink to /" "$V" "a parent of sensitive host paths"

# ---- 4. sources through /proc or inside the container's own tree
refused "/proc/self/cwd/.. (the bundle for runc)" "/proc/self/cwd/../../../etc" "goes through /proc/self"
refused "<root>/proc/1/root" "$T/rootfs/proc/1/root" "goes through /proc/1"
refused "inside the root filesystem" "$T/rootfs/etc" "inside the container's own root filesystem"

# A root filesystem that is a bind of the host's / under another name.
mkdir -p "$T/srv/approot"
mount --bind / "$T/srv/approot"
B=$(bundle approot "$D/volumes/plain/_data")
jq --arg r "$T/srv/approot" '.root.path = $r' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
"$OCIH" --root "$T/state" create -b "$B" "$ID" >"$T/create.out" 2>&1 </dev/null
rc=$?
runc --root "$T/state" delete -f "$ID" >/dev/null 2>&1
check "a root.path that is a bind of / is refused" \
  grep -q "root.path $T/srv/approot is a bind of the host's / " "$T/create.out" ||
  { echo "rc=$rc"; cat "$T/create.out"; }
umount "$T/srv/approot"

# ---- 5. the runtime's state, oci-harden's state, another container's directory
mkdir -p "$T/state" "$T/run"
refused "the runtime's --root" "$T/state" "a sensitive host path"
refused "oci-harden's state_dir" "$T/run" "a sensitive host path"
refused "another container's directory" "$D/containers/other" "under sensitive host path $D"
refused "this container's directory carrying a bind of /etc (rbind)" "$D/containers/$ID" \
  "carrying the mount at $D/containers/$ID/mounts/x (the host's /etc"
umount "$D/containers/$ID/mounts/x"
echo own > "$D/containers/$ID/hosts"
B=$(bundle own "$D/containers/$ID" '["rbind"]' /v 'cat /v/hosts')
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "this container's own directory is allowed and seen inside" test "$out" = own || echo "$out"

# ---- 6. an engine's socket at a path of its own, a hard link of it, and an ordinary socket
cat > "$T/listener.c" <<'EOF'
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char** argv) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (argc < 2 || bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 1) != 0) return 1;
  pause();
  return 0;
}
EOF
gcc -O2 -o "$T/bin/dockerd" "$T/listener.c" && cp "$T/bin/dockerd" "$T/bin/plain-server"
mkdir -p "$T/sock"
"$T/bin/dockerd" "$T/sock/api.sock" & LISTENERS+=($!)
"$T/bin/plain-server" "$T/sock/plain.sock" & LISTENERS+=($!)
for _ in $(seq 50); do [[ -S "$T/sock/api.sock" && -S "$T/sock/plain.sock" ]] && break; sleep 0.1; done
refused "an engine socket at a non-standard path" "$T/sock/api.sock" "dockerd listens"
ln "$T/sock/api.sock" "$T/sock/innocent"
refused "a hard link of the engine socket" "$T/sock/innocent" "dockerd listens"
B=$(bundle plainsock "$T/sock/plain.sock" '["bind"]' /plain.sock 'test -S /plain.sock && echo sock')
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "a socket no engine listens on is allowed and seen inside" test "$out" = sock || echo "$out"
# The directory that holds the socket (repro 10: dockerd's --exec-root/containerd), and one that
# holds a hard link of it (repro 16: a docker-group user may make one).
refused "a directory holding a socket dockerd listens on" "$T/sock" "it holds the socket $T/sock/api.sock"
mkdir -p "$T/srv/sockdir"
ln "$T/sock/api.sock" "$T/srv/sockdir/x.sock"
refused "a directory that may hold a hard link of dockerd's socket" "$T/srv/sockdir" \
  "perhaps a hard link of the socket $T/sock/api.sock"
rm -f "$T/sock/innocent" "$T/srv/sockdir/x.sock"
echo sockdir-ok > "$T/srv/sockdir/marker"
chmod a+rx "$T/srv" "$T/srv/sockdir" && chmod a+r "$T/srv/sockdir/marker"
B=$(bundle sockdir "$T/srv/sockdir")
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "once the link is gone, that directory runs" test "$out" = sockdir-ok || echo "$out"

# ---- 6b. remount: a later entry may not change an earlier read-only mount's flags
# (runc 1.1.5 mounts with MS_REMOUNT and the read-only volume becomes writable)
V=$(volume rovol)
B=$(bundle remount "$V" '["rbind","ro"]' /v 'touch /v/written && echo wrote')
jq --arg src "$T/srv" '.mounts += [{destination: "/v", type: "bind", source: $src,
  options: ["bind", "remount", "rw"]}]' "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
"$OCIH" --root "$T/state" create -b "$B" "$ID" >"$T/create.out" 2>&1 </dev/null
rc=$?
runc --root "$T/state" delete -f "$ID" >/dev/null 2>&1
if [[ $rc -ne 0 && "$(cat "$T/create.out")" == *'has "remount"'* ]]; then
  pass "a remount entry over a read-only volume: refused"
else
  fail "a remount entry over a read-only volume: refused" "rc=$rc: $(cat "$T/create.out")"
fi
check "a remount entry over a read-only volume: nothing was written" test ! -e "$V/written"

# ---- 6c. the audit log's directory and its parents
# A rw bind of /var/log let a container rewrite /var/log/oci-harden/audit.jsonl, its own record.
# Here the log is moved to a directory of its own, $T/alog, for this section.
cp "$T/etc/policy.json" "$T/etc/policy.saved"
jq --arg log "$T/alog/audit.jsonl" '.audit_log = $log' "$T/etc/policy.saved" > "$T/etc/policy.json"
refused "the audit log's directory, rw" "$T/alog" "parent of sensitive host path $T/alog/audit.jsonl" '["rbind","rw"]'
ln -s "$T/alog" "$T/srv/logs-link"
refused "a symlink to the audit log's directory" "$T/srv/logs-link" "$T/alog/audit.jsonl"
refused "the audit log itself" "$T/alog/audit.jsonl" "a sensitive host path" '["bind","rw"]'
check "the refusals were recorded in that audit log" \
  test "$(jq -c 'select(.decision == "refused")' "$T/alog/audit.jsonl" | wc -l)" -eq 3
mkdir -p "$T/alog-beside"
echo beside-ok > "$T/alog-beside/marker"
B=$(bundle beside "$T/alog-beside")
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "a directory beside the audit log's still runs" test "$out" = beside-ok || echo "$out"
mv "$T/etc/policy.saved" "$T/etc/policy.json"

# ---- 6d. a passing bind's source is pinned to the canonical path judged
# The adversary flipped a symlink between oci-harden's judgement and runc's mount (repro 13):
# the hardened config.json names the judged directory, so the flip changes nothing.
V=$(volume pinned)
echo pinned-ok > "$V/marker"
chmod a+rx "$D/volumes/pinned" "$V" && chmod a+r "$V/marker"
ln -s "$V" "$T/srv/pin-link"
B=$(bundle pinned "$T/srv/pin-link")
"$OCIH" --root "$T/state" create -b "$B" "$ID" >"$T/create.out" 2>&1 </dev/null
rc=$?
src=$(jq -r '.mounts[] | select(.destination == "/v") | .source' "$B/config.json")
check "a symlinked source: created" test "$rc" -eq 0 || cat "$T/create.out"
check "a symlinked source: the hardened config.json names the judged directory" test "$src" = "$V" ||
  echo "source is $src"
runc --root "$T/state" delete -f "$ID" >/dev/null 2>&1
# The flip after judgement: runc (here run directly on the hardened config.json, as oci-harden's
# exec of it would be) mounts after the link was pointed at /etc.
rm "$T/srv/pin-link" && ln -s /etc "$T/srv/pin-link"
out=$(runc --root "$T/state" run -b "$B" "$ID" 2>&1 </dev/null)
runc --root "$T/state" delete -f "$ID" >/dev/null 2>&1
check "a symlinked source flipped to /etc after judgement: runc binds the volume, not /etc" \
  test "$out" = pinned-ok || echo "$out"
# A relative source: judged from the bundle, written absolute.
mkdir -p "$T/b-relative/shared" && echo rel-ok > "$T/b-relative/shared/marker"
chmod -R a+rX "$T/b-relative"
B=$(bundle relative shared)
"$OCIH" --root "$T/state" create -b "$B" "$ID" >"$T/create.out" 2>&1 </dev/null
rc=$?
runc --root "$T/state" delete -f "$ID" >/dev/null 2>&1
check "a relative source is written absolute" \
  test "$rc" -eq 0 -a "$(jq -r '.mounts[] | select(.destination == "/v") | .source' "$B/config.json")" = "$(realpath "$B")/shared" ||
  cat "$T/create.out"

# ---- 6e. a file with more than one name: the others cannot be judged (repro 14: a hard link of
# /etc/shadow at an innocent path). A file of the test's own stands in for /etc/shadow.
echo secret > "$T/etc/shadow-standin"
ln "$T/etc/shadow-standin" "$T/srv/hl-innocent"
refused "a hard link at an innocent path" "$T/srv/hl-innocent" "a file with 2 hard links" '["bind","ro"]'
echo one-name > "$T/srv/one-name"
chmod a+r "$T/srv/one-name"
B=$(bundle onename "$T/srv/one-name" '["bind","ro"]' /one-name 'cat /one-name')
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "a file with one name still runs and is seen inside" test "$out" = one-name || echo "$out"
if [[ -e /etc/localtime ]]; then  # a symlink into zoneinfo, whose files may be hard-linked
  B=$(bundle localtime /etc/localtime '["bind","ro"]' /etc/localtime 'test -s /etc/localtime && echo tz')
  out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
  check "a read-only bind of /etc/localtime still runs ($(stat -L -c %h /etc/localtime) links)" \
    test "$out" = tz || echo "$out"
fi

# ---- 7. binds: allowed-only
jq '.binds = "allowed-only"' "$T/etc/policy.json" > "$T/etc/p2" && mv "$T/etc/p2" "$T/etc/policy.json"
chmod 0644 "$T/etc/policy.json"
mkdir -p "$T/srv/www"
refused "allowed-only: an unlisted directory" "$T/srv/www" "only the allowed lists may be bound"
B=$(bundle plain2 "$D/volumes/plain/_data")
out=$("$OCIH" --root "$T/state" run -b "$B" "$ID" 2>&1)
check "allowed-only: a plain volume still runs" test "$out" = plain-ok || echo "$out"

exit_summary

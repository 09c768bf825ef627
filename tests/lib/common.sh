# shellcheck shell=bash
# Helpers sourced by tests/integration/*.sh, tests/e2e/*_test.sh and tests/demo.sh.
#
#   need CMD...            prerequisites: under CI=true a missing one is a failure (counted);
#                          elsewhere prints "SKIP: <what is missing>". Returns non-zero if any is
#                          missing, so callers write `need runc jq || exit_summary`.
#   need_root              the same, for "must run as root"
#   pass NAME / fail NAME MSG / check NAME CMD...   counters; check runs CMD quietly, shows its
#                          output on failure, returns CMD's status
#   summary                prints "N passed, N failed"; non-zero if anything failed
#   exit_summary           summary, then exit with its status
#   make_busybox_rootfs DIR          a busybox root filesystem built from /bin/busybox (static)
#   make_bundle DIR [--rootfs SRC] [--] [CMD ARG...]
#                          DIR/rootfs (or root.path = SRC) + `runc spec` config.json with
#                          process.args = CMD ARG... (default: sh), terminal false
#   write_test_policy DIR RUNTIME [JQ]   DIR/etc/policy.json: RUNTIME, audit log and userns state
#                          under DIR, then the jq filter JQ; exports OCI_HARDEN_POLICY
#   make_test_bundle DIR ROOTFS ARGS_JSON [JQ]   `runc spec` bundle at DIR on ROOTFS running
#                          ARGS_JSON, then the jq filter JQ on its config.json; prints DIR
#
# Works under `set -u`; never calls `exit` except in exit_summary.

OCIH_PASSED=${OCIH_PASSED:-0}
OCIH_FAILED=${OCIH_FAILED:-0}
OCIH_SKIPPED=${OCIH_SKIPPED:-0}

_ocih_is_ci() { [[ "${CI:-}" == true || "${CI:-}" == 1 ]]; }

pass() {  # pass NAME
  OCIH_PASSED=$((OCIH_PASSED + 1))
  printf 'PASS: %s\n' "$1"
}

fail() {  # fail NAME [MSG]
  OCIH_FAILED=$((OCIH_FAILED + 1))
  if [[ -n "${2:-}" ]]; then
    printf 'FAIL: %s: %s\n' "$1" "$2"
  else
    printf 'FAIL: %s\n' "$1"
  fi
}

skip() {  # skip WHAT: a missing prerequisite (a failure under CI=true)
  if _ocih_is_ci; then
    fail "prerequisite" "$1 (CI=true: prerequisites must be present)"
  else
    OCIH_SKIPPED=$((OCIH_SKIPPED + 1))
    printf 'SKIP: %s\n' "$1"
  fi
}

need() {  # need CMD...: every command must be on PATH (or be an executable path)
  local c missing=()
  for c in "$@"; do
    if [[ "$c" == */* ]]; then
      [[ -x "$c" ]] || missing+=("$c")
    else
      command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  skip "missing ${missing[*]}"
  return 1
}

need_root() {
  [[ "$(id -u)" == 0 ]] && return 0
  skip "needs root"
  return 1
}

check() {  # check NAME CMD...: pass if CMD exits 0; its output is shown only on failure
  local name=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if ((rc == 0)); then
    pass "$name"
  else
    fail "$name" "exit $rc"
    [[ -n "$out" ]] && printf '%s\n' "$out" | head -n 40 | sed 's/^/    | /'
  fi
  return "$rc"
}

summary() {
  printf '%d passed, %d failed\n' "$OCIH_PASSED" "$OCIH_FAILED"
  ((OCIH_FAILED == 0))
}

exit_summary() {
  summary
  exit $?
}

# remove_test_dir DIR [RUNC_ROOT...]: a test's teardown. Deletes every container runc still
# knows under each RUNC_ROOT, lazily unmounts everything mounted below DIR (deepest first: the
# idmapped roots oci-harden made, tmpfs fixtures), then removes DIR.
remove_test_dir() {
  local dir=${1:?remove_test_dir DIR [RUNC_ROOT...]} root id m
  shift
  for root in "$@"; do
    for id in $(runc --root "$root" list -q 2>/dev/null); do
      runc --root "$root" delete -f "$id" >/dev/null 2>&1
    done
  done
  for m in $(awk -v t="$dir" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "$dir"
}

# make_busybox_rootfs DIR: /bin/busybox (Debian's busybox-static) and its applet links, root and
# nobody (65534) in /etc/passwd and /etc/group, and the usual empty mountpoints.
make_busybox_rootfs() {
  local dir=${1:?make_busybox_rootfs DIR}
  local bb=${BUSYBOX:-/bin/busybox} d a
  if [[ ! -x "$bb" ]]; then
    echo "make_busybox_rootfs: $bb not found (apt-get install busybox-static)" >&2
    return 1
  fi
  if ldd "$bb" >/dev/null 2>&1; then
    echo "make_busybox_rootfs: $bb is dynamically linked; need busybox-static" >&2
    return 1
  fi
  mkdir -p "$dir" || return 1
  for d in bin sbin usr/bin usr/sbin etc tmp proc sys dev run var/tmp root home; do
    mkdir -p "$dir/$d" || return 1
  done
  chmod 1777 "$dir/tmp" "$dir/var/tmp"
  chmod 0700 "$dir/root"
  cp "$bb" "$dir/bin/busybox" || return 1
  chmod 0755 "$dir/bin/busybox"
  # --list-full gives each applet's install path (usr/bin/[, sbin/acpid, ...).
  while IFS= read -r a; do
    [[ -z "$a" || "$a" == bin/busybox ]] && continue
    [[ -e "$dir/$a" || -L "$dir/$a" ]] && continue
    ln -s /bin/busybox "$dir/$a" || return 1
  done < <("$dir/bin/busybox" --list-full 2>/dev/null)
  if [[ ! -e "$dir/bin/sh" ]]; then
    # Older busybox without --list-full: let it install its own links, inside the rootfs.
    if [[ "$(id -u)" == 0 ]]; then
      chroot "$dir" /bin/busybox --install -s || return 1
    else
      for a in $("$dir/bin/busybox" --list); do
        [[ -e "$dir/bin/$a" ]] || ln -s busybox "$dir/bin/$a"
      done
    fi
  fi
  cat > "$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat > "$dir/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
EOF
  chmod 0644 "$dir/etc/passwd" "$dir/etc/group"
  : > "$dir/etc/hosts"
  : > "$dir/etc/hostname"
  : > "$dir/etc/resolv.conf"
  return 0
}

# make_bundle DIR [--rootfs SRC] [--] [CMD ARG...]: an OCI bundle runc can run as is.
# Without --rootfs, DIR/rootfs is built (once) and root.path is "rootfs".
make_bundle() {
  local dir=${1:?make_bundle DIR [--rootfs SRC] [--] [CMD ARG...]}
  shift
  local rootfs="" args a
  if [[ "${1:-}" == --rootfs ]]; then
    rootfs=${2:?make_bundle: --rootfs needs a path}
    shift 2
  fi
  [[ "${1:-}" == -- ]] && shift
  (($# == 0)) && set -- sh
  mkdir -p "$dir" || return 1
  if [[ -z "$rootfs" ]]; then
    [[ -x "$dir/rootfs/bin/busybox" ]] || make_busybox_rootfs "$dir/rootfs" || return 1
    rootfs=rootfs
  fi
  rm -f "$dir/config.json"
  (cd "$dir" && runc spec) || return 1
  # One --arg per element: jq 1.6 would parse a "-c" after --args as its own option.
  args=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .) || return 1
  jq --arg root "$rootfs" --argjson args "$args" \
    '.root.path = $root | .process.terminal = false | .process.args = $args' \
    "$dir/config.json" > "$dir/config.json.tmp" && mv "$dir/config.json.tmp" "$dir/config.json"
}

# write_test_policy DIR RUNTIME [JQ_FILTER]: a test's policy, DIR/etc/policy.json (mode 0644):
# RUNTIME ("" leaves the policy's own), the audit log DIR/audit.jsonl, user-namespace state in
# DIR/run, then JQ_FILTER over that object; exports OCI_HARDEN_POLICY naming the file.
write_test_policy() {
  local dir=${1:?write_test_policy DIR RUNTIME [JQ_FILTER]} runtime=${2-}
  mkdir -p "$dir/etc" || return 1
  jq -n --arg rt "$runtime" --arg log "$dir/audit.jsonl" --arg st "$dir/run" \
    "{audit_log: \$log, user_namespace: {state_dir: \$st}} | if \$rt == \"\" then . else .runtime = \$rt end ${3:+| $3}" \
    > "$dir/etc/policy.json" || return 1
  chmod 0644 "$dir/etc/policy.json"
  export OCI_HARDEN_POLICY=$dir/etc/policy.json
}

# make_test_bundle DIR ROOTFS ARGS_JSON [JQ_FILTER]: a bundle at DIR: `runc spec`'s config.json
# with root.path ROOTFS, terminal false, process.args ARGS_JSON (a JSON array), then JQ_FILTER
# over it. Prints DIR.
make_test_bundle() {
  local dir=${1:?make_test_bundle DIR ROOTFS ARGS_JSON [JQ_FILTER]} rootfs=${2:?} args=${3:?}
  mkdir -p "$dir" || return 1
  rm -f "$dir/config.json"
  (cd "$dir" && runc spec) || return 1
  jq --arg root "$rootfs" --argjson args "$args" \
    ".root.path = \$root | .process.terminal = false | .process.args = \$args ${4:+| $4}" \
    "$dir/config.json" > "$dir/config.json.tmp" && mv "$dir/config.json.tmp" "$dir/config.json" || return 1
  echo "$dir"
}

# jq_any FILTER FILE: true if FILTER yields a truthy value for any JSON value in FILE (one
# record per line). Plain `jq -e` looks only at the last output, and the hook's verify and stop
# records come after the one a test is looking for.
jq_any() {
  jq -n -e "[inputs | $1] | any" "$2" >/dev/null
}

#!/usr/bin/env bash
# Keeps the man pages in step with the code. Every list it checks against is read from the code
# (or from the built binaries' own tables), never written out here, so a rule, policy key, exit
# status, command, flag, audit field or hook check added to the code without its man page entry
# fails this test:
#   - each page renders with no warning (groff -man -ww -z, man --warnings -l);
#   - oci-harden(8): every rule id of shim/core/rules/registry.cc (and of `oci-hardenctl rules` and
#     `oci-harden --help`), every pseudo-rule id that refusals use, is an entry of RULES, and the
#     entry names the rule's CIS checks and cheat-sheet practices as the registry does; every
#     subcommand of shim/cli/main.cc's table is in COMMANDS; every status of shim/cli/exit_codes.hh is
#     an entry of EXIT STATUS; every audit record field of shim/host/audit.cc (and the event-specific
#     ones of hooks/ and shim/cli/operation_command.cc) is in AUDIT LOG; $OCI_HARDEN_POLICY is in
#     ENVIRONMENT;
#   - oci-harden.json(5): every key path of profiles/policy-default.json (nested ones too) is an
#     entry of KEYS, every key name shim/core/policy.cc reads is in the page (and in the default
#     policy), and the DEFAULTS block equals profiles/policy-default.json;
#   - oci-hardenctl(8): every command of its table is an entry of COMMANDS, every option of
#     shim/cli/hardenctl_main.cc is in the page, its exit statuses are entries of EXIT STATUS;
#   - oci-harden-hook(8): every check name of hooks/ is in the page, its exit statuses are
#     entries of EXIT STATUS.
# MANPAGES_DIR (default man) checks the pages of another directory against this tree's code: a
# copy with an entry removed must fail (that is how the checks were shown to be able to fail).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/common.sh
source tests/lib/common.sh

MAN=${MANPAGES_DIR:-man}
PAGES=(oci-harden.8 oci-hardenctl.8 oci-harden-hook.8 oci-harden.json.5)

need groff man jq perl bin/oci-harden bin/oci-hardenctl || exit_summary

T=$(mktemp -d /var/tmp/ocih-manpages.XXXXXX) || { fail "mktemp"; exit_summary; }
chmod 0711 "$T"
trap 'rm -rf "$T"' EXIT

# The page's roff source with the escapes the pages use turned into plain text, one roff line per
# line, so that ".B no\-new\-privileges" reads ".B no-new-privileges".
norm() {
  sed -e 's/\\-/-/g' -e 's/\\(hy/-/g' -e 's/\\&//g' -e 's/\\(dq/"/g' -e "s/\\\\(aq/'/g" \
      -e 's/\\ / /g' -e 's/\\f[BIRP]//g' -e 's/\\c$//' -e 's/\\e/\\/g' "$1"
}

# section FILE NAME: the normalised lines of section NAME (from ".SH NAME" to the next ".SH").
section() {
  norm "$1" | awk -v name="$2" '
    /^\.SH / { s = substr($0, 5); gsub(/"/, "", s); on = (s == name); next }
    on { print }'
}

# has_token TEXT_FILE WORD: WORD appears, not as part of a longer identifier.
# shellcheck disable=SC2317
has_token() {
  local re
  re=$(printf '%s' "$2" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g')
  grep -qE "(^|[^A-Za-z0-9_-])${re}([^A-Za-z0-9_-]|\$)" "$1"
}

# has_tag TEXT_FILE WORD: an entry whose tag is ".B WORD" (the line after a .TP, or a .PP line).
# shellcheck disable=SC2317
has_tag() { grep -qxF ".B $2" "$1"; }

# entry TEXT_FILE WORD: the text of the entry tagged ".B WORD", up to the next entry or heading.
entry() {
  awk -v tag=".B $2" '
    $0 == tag { on = 1; next }
    on && /^\.(TP|PP|SH|SS)/ { exit }
    on { print }' "$1"
}

# check_all NAME FN FILE WORDS...: one check; passes when `FN FILE word` holds for every word.
# shellcheck disable=SC2317  # has_token, has_tag and in_default are called through FN
check_all() {
  local name=$1 fn=$2 file=$3 w missing=()
  shift 3
  if (($# == 0)); then
    fail "$name" "nothing extracted from the code: the extraction itself is broken"
    return
  fi
  for w in "$@"; do "$fn" "$file" "$w" || missing+=("$w"); done
  if ((${#missing[@]} == 0)); then
    pass "$name ($# checked)"
  else
    fail "$name" "missing: ${missing[*]}"
  fi
}

# ---------------------------------------------------------------- every page renders cleanly

for p in "${PAGES[@]}"; do
  if [[ ! -f "$MAN/$p" ]]; then
    fail "$p exists" "$MAN/$p is missing"
    continue
  fi
  out=$(groff -man -ww -z "$MAN/$p" 2>&1)
  if [[ -z "$out" ]]; then pass "$p: groff -man -ww -z prints nothing"; else fail "$p: groff -ww" "$out"; fi
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN/$p" 2>&1 >/dev/null)
  if [[ -z "$out" ]]; then pass "$p: man --warnings -l prints nothing"; else fail "$p: man --warnings" "$out"; fi
done

# ---------------------------------------------------------------- oci-harden(8)

H8=$MAN/oci-harden.8
section "$H8" RULES > "$T/rules"
section "$H8" COMMANDS > "$T/commands"
section "$H8" "EXIT STATUS" > "$T/exit"
section "$H8" "AUDIT LOG" > "$T/audit"
section "$H8" ENVIRONMENT > "$T/env"

# Rule table: "kind<TAB>id<TAB>cis<TAB>practice" for each RuleInfo literal of all_rules(); an entry
# of kind RuleKind::kExec or kUpdate is an operation rule, any other a container rule.
perl -0777 -ne '
  while (/\{"([a-z][a-z-]*)",\s*"([^"]*)",\s*"([^"]*)",([^{}]*)\}/g) {
    my ($id, $cis, $practice, $rest) = ($1, $2, $3, $4);
    my $kind = $rest =~ /RuleKind::k(Exec|Update)\b/ ? "operation" : "container";
    print "$kind\t$id\t$cis\t$practice\n";
  }
' shim/core/rules/registry.cc > "$T/registry"
mapfile -t container_ids < <(awk -F'\t' '$1 == "container" { print $2 }' "$T/registry")
mapfile -t operation_ids < <(awk -F'\t' '$1 == "operation" { print $2 }' "$T/registry")
mapfile -t all_ids < <(awk -F'\t' '{ print $2 }' "$T/registry")

# The binaries print the same table (container rules, then operation rules): the extraction above
# must agree with them.
bin/oci-hardenctl rules | awk 'NR > 1 { print $1 }' > "$T/ctl-rules"
if diff <(printf '%s\n' "${all_ids[@]}") "$T/ctl-rules" > "$T/diff" 2>&1; then
  pass "registry.cc's rule ids are what oci-hardenctl rules lists (${#all_ids[@]})"
else
  fail "registry.cc's rule ids are what oci-hardenctl rules lists" "$(cat "$T/diff")"
fi
bin/oci-harden --help | awk '/^Rules/ { on = 1; next } on && /^$/ { exit } on { print $1 }' > "$T/help-rules"
if diff "$T/ctl-rules" "$T/help-rules" > "$T/diff" 2>&1; then
  pass "oci-harden --help lists the same rules"
else
  fail "oci-harden --help lists the same rules" "$(cat "$T/diff")"
fi

# Pseudo-rules: rule ids refusals are made under that no registry entry has (opt-out, spec, ...).
mapfile -t pseudo_ids < <(
  perl -0777 -ne 'while (/(?:begin_rule\(|Refusal\{)"([a-z][a-z-]*)"/g) { print "$1\n" }' \
    shim/*/*.cc shim/core/rules/*.cc hooks/*.cc | sort -u |
    grep -vxF -f <(printf '%s\n' "${container_ids[@]}" "${operation_ids[@]}"))

check_all "oci-harden(8) RULES has an entry for every container rule" has_tag "$T/rules" "${container_ids[@]}"
check_all "oci-harden(8) RULES has an entry for every operation rule" has_tag "$T/rules" "${operation_ids[@]}"
check_all "oci-harden(8) RULES has an entry for every pseudo-rule of refusals" has_tag "$T/rules" "${pseudo_ids[@]}"

# Each rule's entry names the CIS checks and practices the registry gives it ("-" for none).
bad=()
while IFS=$'\t' read -r _ id cis practice; do
  entry "$T/rules" "$id" | tr '\n' ' ' > "$T/entry"
  [[ -s "$T/entry" ]] || continue  # a missing entry is reported above
  if [[ "$cis" == "-" || -z "$cis" ]]; then
    grep -qF "CIS Docker -" "$T/entry" || bad+=("$id: no \"CIS Docker -\"")
  else
    grep -qF "CIS Docker" "$T/entry" || bad+=("$id: no \"CIS Docker\"")
    for n in ${cis//,/ }; do
      grep -qE "(^|[^0-9.])${n//./\\.}([^0-9]|\$)" "$T/entry" || bad+=("$id: CIS $n")
    done
  fi
  if [[ -z "$practice" ]]; then
    grep -qF "practice -" "$T/entry" || bad+=("$id: no \"practice -\"")
  else
    for n in ${practice//,/ }; do
      grep -qE "practices? ([0-9]+, )*${n}([^0-9]|\$)" "$T/entry" || bad+=("$id: practice $n")
    done
  fi
done < "$T/registry"
if ((${#bad[@]} == 0)); then
  pass "every rule entry names its CIS checks and practices as registry.cc does"
else
  fail "every rule entry names its CIS checks and practices as registry.cc does" "${bad[*]}"
fi

mapfile -t subcommands < <(perl -ne 'print "$1\n" if /^\s*\{"([a-z]+)", \w+, "/' shim/cli/main.cc)
check_all "oci-harden(8) COMMANDS names every subcommand of shim/cli/main.cc" has_token "$T/commands" "${subcommands[@]}"

mapfile -t codes < <(perl -ne 'print "$1\n" if /constexpr int kExit\w+ = (\d+);/' shim/cli/exit_codes.hh)
check_all "oci-harden(8) EXIT STATUS has an entry for every status of exit_codes.hh" has_tag "$T/exit" "${codes[@]}"

# Audit fields: the record's own (entries), those of its nested objects (named in the section).
mapfile -t top_fields < <(
  { perl -ne 'print "$1\n" while /\br\.set\("(\w+)"/g' shim/host/audit.cc
    perl -ne 'print "$1\n" while /\b(?:e\.)?extra\.set\("(\w+)"/g' hooks/hook_main.cc shim/cli/operation_command.cc
  } | sort -u)
mapfile -t nested_fields < <(perl -ne 'print "$1\n" while /\b(?:pol|ch|opt|x|out|j)\.set\("(\w+)"/g' \
  shim/host/audit.cc hooks/hook_main.cc | sort -u)
mapfile -t decisions < <(perl -ne 'if (/kDecisions\[\] = \{([^}]*)\}/) { my $l = $1; print "$1\n" while $l =~ /"(\w+)"/g }' \
  shim/cli/report.cc)
check_all "oci-harden(8) AUDIT LOG has an entry for every record field" has_tag "$T/audit" "${top_fields[@]}"
check_all "oci-harden(8) AUDIT LOG names every nested record field" has_token "$T/audit" "${nested_fields[@]}"
check_all "oci-harden(8) AUDIT LOG names every decision" has_token "$T/audit" "${decisions[@]}"

mapfile -t env_vars < <(perl -ne 'print "$1\n" while /getenv\("(\w+)"\)/g' shim/*/*.cc hooks/*.cc | sort -u)
check_all "oci-harden(8) ENVIRONMENT has an entry for every variable the code reads" has_tag "$T/env" "${env_vars[@]}"

# ---------------------------------------------------------------- oci-harden.json(5)

J5=$MAN/oci-harden.json.5
section "$J5" KEYS > "$T/keys"
norm "$J5" > "$T/json5"
mapfile -t leaf_keys < <(jq -r '[paths(type != "object")] | map(select(all(.[]; type == "string")))
                               | .[] | join(".")' profiles/policy-default.json)
mapfile -t object_keys < <(jq -r '[paths(type == "object")] | map(select(all(.[]; type == "string")))
                                 | .[] | join(".")' profiles/policy-default.json)
check_all "oci-harden.json(5) KEYS has an entry for every key of policy-default.json" has_tag "$T/keys" "${leaf_keys[@]}"
check_all "oci-harden.json(5) KEYS names every object of policy-default.json" has_token "$T/keys" "${object_keys[@]}"

mapfile -t code_keys < <(perl -0777 -ne 'print "$1\n" while /(?:read_\w+(?:<\w+>)?\(\s*(?:r|sub),\s*|\btake\()"(\w+)"/g' \
  shim/core/policy.cc | sort -u)
jq -r '[paths | .[-1] | strings] | unique | .[]' profiles/policy-default.json > "$T/default-names"
# shellcheck disable=SC2317
in_default() { grep -qxF "$2" "$1"; }
check_all "every key shim/core/policy.cc reads is in profiles/policy-default.json" in_default "$T/default-names" "${code_keys[@]}"
check_all "oci-harden.json(5) names every key shim/core/policy.cc reads" has_token "$T/keys" "${code_keys[@]}"

norm "$J5" | awk '/^\.\\" BEGIN DEFAULT POLICY/ { on = 1; next } /^\.\\" END DEFAULT POLICY/ { on = 0 }
                  on && !/^\./ { print }' > "$T/defaults.json"
if jq -S . "$T/defaults.json" > "$T/a" 2>"$T/err" && jq -S . profiles/policy-default.json > "$T/b" &&
   diff "$T/a" "$T/b" > "$T/diff"; then
  pass "oci-harden.json(5) DEFAULTS equals profiles/policy-default.json"
else
  fail "oci-harden.json(5) DEFAULTS equals profiles/policy-default.json" "$(cat "$T/err" "$T/diff" 2>/dev/null | head -20)"
fi

# ---------------------------------------------------------------- oci-hardenctl(8)

C8=$MAN/oci-hardenctl.8
section "$C8" COMMANDS > "$T/ctl-commands"
section "$C8" "EXIT STATUS" > "$T/ctl-exit"
norm "$C8" > "$T/ctl"
mapfile -t ctl_commands < <(perl -ne 'print "$1\n" if /^\s*\{"([a-z]+)", cmd_\w+,/' shim/cli/hardenctl_main.cc)
bin/oci-hardenctl --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' > "$T/ctl-help"
if diff <(printf '%s\n' "${ctl_commands[@]}") "$T/ctl-help" > "$T/diff" 2>&1; then
  pass "hardenctl_main.cc's commands are what oci-hardenctl --help lists (${#ctl_commands[@]})"
else
  fail "hardenctl_main.cc's commands are what oci-hardenctl --help lists" "$(cat "$T/diff")"
fi
check_all "oci-hardenctl(8) COMMANDS has an entry for every command" has_tag "$T/ctl-commands" "${ctl_commands[@]}"
mapfile -t ctl_flags < <(perl -ne 'print "$1\n" while /"(--[a-z][a-z-]*)"/g' shim/cli/hardenctl_main.cc | sort -u)
check_all "oci-hardenctl(8) names every option of hardenctl_main.cc" has_token "$T/ctl" "${ctl_flags[@]}"
mapfile -t ctl_codes < <(perl -ne 'if (/constexpr int kOk = /) { print "$1\n" while /= (\d+)/g }' shim/cli/hardenctl_main.cc)
check_all "oci-hardenctl(8) EXIT STATUS has an entry for every status" has_tag "$T/ctl-exit" "${ctl_codes[@]}"

# ---------------------------------------------------------------- oci-harden-hook(8)

K8=$MAN/oci-harden-hook.8
norm "$K8" > "$T/hook"
section "$K8" "EXIT STATUS" > "$T/hook-exit"
mapfile -t checks < <(
  { perl -ne 'print "$1\n" while /(?:make_check\(|Check\{|\blimit\()"(\w+)"/g' hooks/*.cc
    perl -ne 'print "cap_$1\n" while /"(\w+)", "Cap[A-Z][a-z]+"/g' shim/host/process_verify.cc
  } | sort -u)
check_all "oci-harden-hook(8) names every check of hooks/" has_token "$T/hook" "${checks[@]}"
mapfile -t hook_codes < <(perl -ne 'print "$1\n" while /return (\d+);/g' hooks/hook_main.cc | sort -u)
check_all "oci-harden-hook(8) EXIT STATUS has an entry for every status" has_tag "$T/hook-exit" "${hook_codes[@]}"
check_all "oci-harden-hook(8) names its stages and the policy variable" has_token "$T/hook" \
  poststart poststop "${env_vars[@]}"

exit_summary

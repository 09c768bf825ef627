#!/usr/bin/env bash
# The mutation check (`make mutate`): for each rule, build the unit tests once with its refusals
# thrown away and once with its rewrites thrown away, run them, and expect a failure each time.
# Prints a table (rule, refusal-off, rewrite-off: killed or SURVIVED) and exits 1 when a mutation
# survives. Only shim/core/rules/registry.cc is recompiled for a mutant (with
# -DOCI_HARDEN_MUTATE_OFF="<rule-id>" -DOCI_HARDEN_MUTATE_REWRITE=0|1, which only this script
# passes), into its own directory, and linked ahead of the library: the shipped build never sees
# the switch.
#
# The Makefile passes the build's flags: MUTATE_CXX, MUTATE_CPPFLAGS, MUTATE_CXXFLAGS,
# MUTATE_LDFLAGS, MUTATE_LINK (the unit tests' objects, library and libraries), MUTATE_DIR.
# MUTATE_RULES="a b" limits the run to those rules; MUTATE_TESTS, a Catch2 test spec, to some
# tests (e.g. '~[golden]': does anything but the golden files kill it?).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${MUTATE_CXX:?run through make mutate}"
dir=${MUTATE_DIR:-build-mutate}
mkdir -p "$dir"
rules=${MUTATE_RULES:-$(bin/oci-hardenctl rules | awk 'NR > 1 { print $1 }')}
[[ -n "$rules" ]] || { echo "mutate: no rules listed by bin/oci-hardenctl rules" >&2; exit 2; }

# The source of a rule: shim/core/rules/<id>.cc, or the file defining rule_<id_with_underscores>.
rule_file() {
  local f="shim/core/rules/$1.cc"
  [[ -f $f ]] || f=$(grep -l "^void rule_${1//-/_}(RuleContext" shim/core/rules/*.cc | head -1)
  echo "$f"
}

# Whether the rule's source can refuse (0) or rewrite (1) at all.
rule_can() {  # RULE 0|1
  local f pattern='\.refuse\('
  f=$(rule_file "$1")
  [[ $2 == 1 ]] && pattern='(ctx|ctx_)\.(set|erase|record|request)\('
  [[ -n $f ]] && grep -qE "$pattern" "$f"
}

# One mutant: echoes 'killed by "<test case>"', "SURVIVED <n> dropped" or "n/a <why>".
mutant() {  # RULE 0|1
  local rule=$1 rewrite=$2 obj="$dir/registry-$1-$2.o" bin="$dir/unit-tests-$1-$2" log="$dir/$1-$2.log"
  eval "$MUTATE_CXX $MUTATE_CPPFLAGS $MUTATE_CXXFLAGS" \
    "-DOCI_HARDEN_MUTATE_OFF='\"$rule\"' -DOCI_HARDEN_MUTATE_REWRITE=$rewrite" \
    -c shim/core/rules/registry.cc -o "$obj"
  eval "$MUTATE_CXX $MUTATE_CXXFLAGS $MUTATE_LDFLAGS" "$obj" "$MUTATE_LINK" -o "$bin"
  local rc=0
  "$bin" --abort ${MUTATE_TESTS:+"$MUTATE_TESTS"} >"$log" 2>&1 || rc=$?
  rm -f "$bin"
  local report
  report=$(grep '^mutate: ' "$log" | tail -1)
  if [[ $rc -ne 0 ]]; then
    # Catch2's console reporter names the failing test case on the line after the first rule.
    local where
    where=$(awk '/^-+$/ { getline; print; exit }' "$log")
    echo "killed by \"${where:-exit $rc}\""
  elif [[ "$report" == *"not in the rule table"* ]]; then
    echo "n/a not in the rule table"
  elif [[ "$report" == *": 0 dropped"* ]] && ! rule_can "$rule" "$rewrite"; then
    echo "n/a the rule has none"
  else
    echo "SURVIVED ${report#*: }"
  fi
}

survivors=0
start=$SECONDS
printf '%-22s | %-60s | %s\n' RULE REFUSAL-OFF REWRITE-OFF
for rule in $rules; do
  refusal=$(mutant "$rule" 0)
  rewrite=$(mutant "$rule" 1)
  [[ $refusal == SURVIVED* ]] && survivors=$((survivors + 1))
  [[ $rewrite == SURVIVED* ]] && survivors=$((survivors + 1))
  printf '%-22s | %-60s | %s\n' "$rule" "${refusal:0:60}" "$rewrite"
done
echo "$(wc -w <<<"$rules") rules, $survivors surviving mutations, $((SECONDS - start)) s (logs in $dir/)"
[[ $survivors -eq 0 ]]

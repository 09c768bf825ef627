#!/usr/bin/env bash
# gen-config.sh BASE TARGET_BYTES [ROOT_PATH] > OUT: a config.json of about TARGET_BYTES, grown
# from BASE (a real engine config) the way Kubernetes pods grow theirs: per unit, two environment
# variables (service-discovery style), one read-only bind of a kubelet pod volume (configmap /
# secret / projected), and one pod annotation. Every unit has the same shape and size, so the
# configs of different sizes differ only in how many units they have (for the time-per-KB
# comparison). Bind sources lie under /var/lib/kubelet/pods/*/volumes, which the default
# policy allows; nothing in a unit is refused. ROOT_PATH, if given, replaces root.path.
set -uo pipefail
base=${1:?gen-config.sh BASE TARGET_BYTES [ROOT_PATH]}
target=${2:?gen-config.sh BASE TARGET_BYTES [ROOT_PATH]}
root=${3:-}

gen() {  # gen UNITS
  jq -c --argjson n "$1" --arg root "$root" '
    def pad(s; w): (s | tostring) as $t | ("00000000" + $t)[-w:];
    "6f1c2a3e-0d4b-4c55-9a61-3b0e2f7d8c91" as $pod
    | (if $root == "" then . else .root.path = $root end)
    | .process.env += [range($n) as $i
        | ("SVC_" + pad($i; 6) + "_SERVICE_HOST=10.96." + (($i / 256 | floor) % 256 | tostring) + "." + ($i % 256 | tostring)),
          ("SVC_" + pad($i; 6) + "_SERVICE_PORT_HTTP=" + ((8000 + $i % 1000) | tostring))]
    | .mounts += [range($n) as $i
        | (["configmap", "secret", "projected"][$i % 3]) as $kind
        | {destination: ("/etc/pod/" + $kind + "/vol-" + pad($i; 6)),
           type: "bind",
           source: ("/var/lib/kubelet/pods/" + $pod + "/volumes/kubernetes.io~" + $kind + "/vol-" + pad($i; 6)),
           options: ["rbind", "rprivate", "ro"]}]
    | .annotations = ((.annotations // {}) + ([range($n) as $i
        | {key: ("example.com/pod-label-" + pad($i; 6)), value: ("team-" + ($i % 97 | tostring) + "-svc")}]
        | from_entries))
  ' "$base"
}

size_of() { gen "$1" | wc -c; }
s0=$(size_of 0) || exit 1
s100=$(size_of 100) || exit 1
unit=$(( (s100 - s0) / 100 ))
n=$(( (target - s0) / unit ))
(( n < 0 )) && n=0
gen "$n"

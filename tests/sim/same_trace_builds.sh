#!/usr/bin/env bash
# A run is a pure function of (scenario, seed), whatever the build: every scenario, and one seed of
# each sweep mode, prints the same trace hash from two tandem-sim binaries (scripts/test compares
# the Release build of build-bench with the sanitizer build).
# Usage: same_trace_builds.sh TANDEM_SIM_A TANDEM_SIM_B SCENARIO_DIR
set -euo pipefail
first=$1
second=$2
scenarios=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

hash_of() {  # hash_of SIM replay-or-run arguments...
  local sim=$1 out status=0
  shift
  out=$("$sim" "$@" 2>&1) || status=$?
  ((status <= 1)) || { echo "$* exited $status" >&2; exit 1; }
  grep -oE 'trace [0-9a-f]{16}' <<<"$out" | tail -1
}

compared=0
differ=0
check() {  # check LABEL ARGS...
  local label=$1 a b
  shift
  a=$(hash_of "$first" "$@")
  b=$(hash_of "$second" "$@")
  compared=$((compared + 1))
  if [[ -z $a || $a != "$b" ]]; then
    echo "DIFFERENT: $label: '$a' vs '$b'"
    differ=$((differ + 1))
  fi
}

for file in "$scenarios"/*.toml; do check "$(basename "$file")" run "$file"; done
for mode in "" "crashes = true" "quorum = true" "small_writes = true" 'protocol = "A"' \
            "lossy_network = true" "diskless_client = true"; do
  printf '[sweep]\nseed = 7\n%s\n' "$mode" >"$work/seed7.toml"
  check "sweep seed 7 ${mode:-(plain)}" replay "$work/seed7.toml"
done
echo "same_trace_builds: $compared runs compared, $differ different"
((differ == 0))

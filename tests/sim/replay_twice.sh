#!/usr/bin/env bash
# `tandem-sim replay` is deterministic: the same file and seed, run twice, print the same trace hash.
# Usage: replay_twice.sh TANDEM_SIM FILE [replay options...]
set -euo pipefail
sim=$1
shift
hash_of() {
  local out status=0
  out=$("$sim" replay "$@") || status=$?
  ((status <= 1)) || { echo "replay exited $status" >&2; exit 1; }
  grep -E '^trace [0-9a-f]{16}$' <<<"$out"
}
first=$(hash_of "$@")
second=$(hash_of "$@")
echo "first:  $first"
echo "second: $second"
[[ -n $first && $first == "$second" ]]

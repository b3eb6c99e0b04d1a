#!/usr/bin/env bash
# A failing sweep writes a reproducer that `tandem-sim replay` runs to the same failure: same trace
# hash, same violations, exit 1. The failure comes from a planted core bug, asked for in a [sweep]
# file (planted bugs are no command-line flag).
# Usage: reproducer_replays.sh TANDEM_SIM WORK_DIR
set -euo pipefail
sim=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cat >"$work/planted.toml" <<'TOML'
[sweep]
planted = "no-bitmap-while-away"
TOML

status=0
"$sim" sweep "$work/planted.toml" --seeds 1..3 --jobs 2 --out "$work/failures" >"$work/sweep.txt" || status=$?
cat "$work/sweep.txt"
[[ $status == 1 ]] || { echo "FAIL: the sweep exited $status, expected 1 (a violation)"; exit 1; }

# The first failing run: its trace hash, its violations and its reproducer.
failing=$(grep -m1 ': FAILED' "$work/sweep.txt")
sweep_hash=$(grep -oE 'trace [0-9a-f]{16}' <<<"$failing")
reproducer=$(grep -m1 -oE 'reproducer: [^ ]+\.toml' "$work/sweep.txt" | cut -d' ' -f2)
[[ -f $reproducer && -f ${reproducer%.toml}.trace.jsonl ]] || { echo "FAIL: no reproducer files"; exit 1; }
sweep_violations=$(awk -v first="$failing" '$0 == first {on = 1; next} on && /^  violation: / {sub(/^  violation: /, ""); print; next} on {exit}' "$work/sweep.txt")

status=0
"$sim" replay "$reproducer" >"$work/replay.txt" || status=$?
cat "$work/replay.txt"
[[ $status == 1 ]] || { echo "FAIL: the replay exited $status, expected 1"; exit 1; }
replay_hash=$(grep -oE '^trace [0-9a-f]{16}$' "$work/replay.txt")
replay_violations=$(sed -n 's/^  failure: //p' "$work/replay.txt")
[[ $sweep_hash == "$replay_hash" ]] || { echo "FAIL: $sweep_hash vs $replay_hash"; exit 1; }
[[ -n $sweep_violations && $sweep_violations == "$replay_violations" ]] || {
  echo "FAIL: the replay's violations differ from the sweep's"; exit 1; }
echo "ok: $reproducer replays to the same failure ($replay_hash)"

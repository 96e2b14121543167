#!/usr/bin/env bash
# fuzz/make-run-state-seeds.sh RUN — writes the seeds of fuzz_run_state (fuzz/seeds/fuzz_run_state/) from a real run
# folder RUN made by `xstilts run` (e.g. KEEP=1 bash tests/cli_run_state.sh keeps its tiny run in /tmp/.../a).
# Each state file twice: as written (sealed: the seal's check) and without its "sha256" line (the target seals it
# and reaches the field checks behind the seal). The run folder's own path is replaced by RUN. The result is
# committed; fuzz/make-seeds.sh leaves this folder alone.
set -euo pipefail
R=${1:?usage: fuzz/make-run-state-seeds.sh RUN}
R=${R%/}
C=fuzz/seeds/fuzz_run_state
rm -rf "$C"
mkdir -p "$C"
one() { # one NAME MODE FILE
  { printf "\\$(printf %o "$2")"; cat "$3"; } > "$C/$1"
  grep -q '^  "sha256": ' "$3" || return 0
  # without the seal: the line goes, and the comma the line before it ended with
  { printf "\\$(printf %o "$2")"; grep -v '^  "sha256": ' "$3" | sed -z 's/,\n}\n$/\n}\n/'; } > "$C/$1-unsealed"
}
p1=$(find "$R/phase1" -name phase1.json | sort | head -1)
cs=$(find "$R/cells" -name started.json | sort | head -1)
st=$(find "$R/cells" -name steps.tsv | sort | head -1)
one started 0 "$cs"
one phase1 1 "$p1"
one run 2 "$R/run.json"
one steps 3 "$st"
{ printf '\004'; sed "s|$R|RUN|g; s|$(dirname "$R")|RUN|g" "$R/run.log"; } > "$C/runlog"
# run.json names the folders it was made with: replaced (the sealed copy keeps them: the seal covers them)
sed -i "s|$(dirname "$R")|RUN|g" "$C/run-unsealed"
echo "fuzz_run_state seeds: $(ls "$C" | wc -l) files, $(du -sh "$C" | cut -f1)"

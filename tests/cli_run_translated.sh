#!/usr/bin/env bash
# cli_run_translated.sh — a translate-train row of `xstilts run`: phase 1 of {"intermediate": ["mnli"], "translated":
# true, "translated_langs": ["sw"]} trains on the English MNLI file and XTREME's translated TSV (the fixture
# en-sw-translated.tsv, 12 pairs) as one task on one head. Asserts: the job reads both files (run.log notes: 5 English
# examples, 12 more from the translated file), and trains on all 17: one epoch at batch 4 is ceil(17 / 4) = 5
# updates (phase1.json "steps"; English alone would be 2); the plan counts the translated file with the pair reader
# (17 examples, 5 updates for the row); a malformed translated line stops phase 1 with its file:line.
set -eu
XS=${XS:-build/xstilts}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/xstilts-run-tr-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
F=tests/fixtures/data
"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$T/model" --seed 3 >/dev/null 2>&1 \
  || fail "init"
D=$T/data
mkdir -p "$D/MNLI"
cp $F/mnli/MNLI/train.tsv "$D/MNLI/train.tsv"
for l in deu; do
  head -n 8 tests/fixtures/tatoeba/tatoeba.$l-eng.$l > "$D/t.$l"; head -n 8 tests/fixtures/tatoeba/tatoeba.$l-eng.eng > "$D/t.eng"
done
study() {  # study FILE TRANSLATIONS
  cat > "$1" <<JSON
{
  "model": "$T/model", "data": "$D", "intermediate_data": "$D", "translations": "$2", "seeds": [1],
  "intermediate_hparams": {"epochs": 1, "batch": 4, "accum": 1, "max_len": 48, "lr": 1e-3},
  "paths": {"tatoeba": {"test": {"de": ["t.deu", "t.eng"]}}},
  "targets": [{"task": "tatoeba", "langs": ["de"], "hparams": {"max_len": 32}}],
  "rows": [{"name": "mnli-tt", "intermediate": ["mnli"], "translated": true, "translated_langs": ["sw"]}]
}
JSON
}
TR=$PWD/$F/xtreme_translations
study "$T/study.json" "$TR"
"$XS" run "$T/study.json" --out "$T/p" --dry-run >"$T/plan" 2>&1 || fail "plan: $(cat "$T/plan")"
awk '$1 == "mnli-tt" {print $4, $5}' "$T/plan" | grep -qx '17 5' || fail "the plan does not count 5 + 12 examples: $(cat "$T/plan")"
"$XS" run "$T/study.json" --out "$T/run" >"$T/run.out" 2>"$T/run.err" || fail "run: $(tail -5 "$T/run.err")"
L=$T/run/run.log
grep -q '"msg":"mnli: 5 training examples' "$L" || fail "English file: $(grep note "$L" | head)"
grep -q '"msg":"mnli: 12 more training examples ([0-9]* rows) from [^"]*en-sw-translated.tsv"' "$L" || fail "translated file: $(grep note "$L" | head)"
P=$T/run/phase1/mnli-tt/seed-1/phase1.json
grep -q '"steps": 5' "$P" || fail "updates: $(cat "$P")"
[ -s "$T/run/cells/mnli-tt/tatoeba/seed-1/cell.json" ] || fail "no cell.json"
echo "ok: translate-train row: 5 English + 12 translated examples, 5 updates for one epoch at batch 4"
# progress: stderr is not a terminal here, so no bar (one line per phase); on a terminal (script(1)) one bar per phase
grep -q $'\r' "$T/run.err" && fail "a progress bar drawn on a non-terminal: $(cat -v "$T/run.err" | head -3)"
if command -v script >/dev/null 2>&1; then
  script -qec "$XS run $T/study.json --out $T/tty" /dev/null > "$T/tty.out" 2>&1 || fail "run on a tty: $(tail -3 "$T/tty.out")"
  grep -aq $'\rphase 1 mnli-tt/seed-1 \\[#*\\.*\\] [1-5]/5 loss [0-9.]* [0-9]* tok/s ETA [0-9][0-9]:[0-9][0-9]:[0-9][0-9]' "$T/tty.out" \
    || fail "no phase-1 bar on a terminal: $(cat -v "$T/tty.out" | tail -5)"
  grep -aq 'phase 1 mnli-tt/seed-1 \[########################\] 5/5' "$T/tty.out" || fail "the phase-1 bar does not reach 5/5"
  grep -aq $'\rphase 3 mnli-tt/tatoeba/seed-1 \\[#*\\.*\\] 2/2 sides embedded [0-9]* tok/s' "$T/tty.out" || fail "no phase-3 bar"
  cmp -s "$T/run/cells/mnli-tt/tatoeba/seed-1/pred/test-de.tsv" "$T/tty/cells/mnli-tt/tatoeba/seed-1/pred/test-de.tsv" \
    || fail "the terminal run predicted otherwise"
  echo "ok: progress bars with ETA and tok/s on a terminal, none elsewhere"
fi
# a malformed translated file: phase 1 fails naming it
mkdir -p "$T/bad/XNLI/translate-train"
{ head -n 3 "$TR/XNLI/translate-train/en-sw-translated.tsv"; printf 'only\tthree\tfields\n'; } > "$T/bad/XNLI/translate-train/en-sw-translated.tsv"
study "$T/bad.json" "$T/bad"
rc=0; "$XS" run "$T/bad.json" --out "$T/run2" >/dev/null 2>"$T/bad.err" || rc=$?
[ $rc -eq 1 ] && grep -q 'en-sw-translated.tsv:4: expected 5 tab-separated fields' "$T/bad.err" || fail "malformed: $rc $(cat "$T/bad.err")"
echo "ok: a malformed translated line is refused with its file:line"

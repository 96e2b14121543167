#!/usr/bin/env bash
# cli_run_exec.sh — `xstilts run` executes a tiny study end to end: a random-init tiny model, a baseline and two
# intermediate rows (HellaSwag, CommonsenseQA fixture slices, 3 updates each), three targets of three kinds (PAWS-X
# classification, UD-POS tagging, Tatoeba retrieval) on fixture slices. Asserts: every phase-1 job has phase1.json,
# every cell a cell.json per docs/RUN.md (dev / test metrics in percent, curve, best_step, phase1 block), results.csv
# and report.md are written; a second run says "nothing to do" and changes no file; a run killed with SIGKILL in
# phase 2 of the hellaswag row (phase 1 and the baseline's cells done, a phase-2 checkpoint written) and run again
# resumes that cell, redoes nothing done, and gives the same results.csv and the same cell.json files (wall_s
# aside) as the uninterrupted run; a changed target hparam makes only that target's cells stale (refused
# without --force, nothing changed; redone with it); SIGTERM during that redo exits 130 and the rerun finishes.
set -eu
XS=${XS:-build/xstilts}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/xstilts-run-exec-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
F=tests/fixtures/data

"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$T/model" --seed 3 >/dev/null 2>&1 \
  || fail "init"
# the data: slices of the fixtures (the English "training" files are dev fixtures: a test, not a study)
D=$T/data
mkdir -p "$D"
cp $F/hellaswag/hellaswag_train.jsonl "$D/hellaswag.jsonl"
head -n 6 $F/commonsenseqa/train_rand_split.jsonl > "$D/csqa.jsonl"
head -n 25 $F/pawsx/x-final/de/dev_2k.tsv > "$D/pawsx_train.tsv"   # header + 24 pairs
{ head -n 1 $F/pawsx/x-final/de/dev_2k.tsv; sed -n 26,37p $F/pawsx/x-final/de/dev_2k.tsv; } > "$D/pawsx_dev.tsv"
cp $F/ud/en_ewt-ud-dev.conllu "$D/en_ewt-ud-dev.conllu"
cp $F/ud/de_gsd-ud-test.conllu "$D/de_gsd-ud-test.conllu"
for l in deu fra; do
  head -n 12 tests/fixtures/tatoeba/tatoeba.$l-eng.$l > "$D/tatoeba.$l-eng.$l"
  head -n 12 tests/fixtures/tatoeba/tatoeba.$l-eng.eng > "$D/tatoeba.$l-eng.eng"
done
study() {  # study FILE PAWSX_LR
  cat > "$1" <<EOF
{
  "title": "run exec test",
  "model": "$T/model",
  "data": "$D",
  "intermediate_data": "$D",
  "seeds": [1],
  "hparams": {"max_len": 32, "batch": 4, "accum": 1, "lr": 1e-3, "eval_every": 2, "eval_examples": 12, "patience": 5,
              "max_steps": 6},
  "intermediate_hparams": {"max_steps": 3, "max_len": 48},
  "paths": {
    "hellaswag": {"train": "hellaswag.jsonl"},
    "commonsenseqa": {"train": "csqa.jsonl"},
    "pawsx": {"format": "pawsx", "train": "pawsx_train.tsv", "dev": "pawsx_dev.tsv", "eval_dev": {"de": "pawsx_dev.tsv"},
              "test": null},
    "udpos": {"format": "conllu", "train": "en_ewt-ud-dev.conllu", "dev": "en_ewt-ud-dev.conllu", "eval_dev": null,
              "test": {"de": "de_gsd-ud-test.conllu"}},
    "tatoeba": {"test": {"de": ["tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng"],
                         "fr": ["tatoeba.fra-eng.fra", "tatoeba.fra-eng.eng"]}}
  },
  "targets": [{"task": "pawsx", "langs": ["de"], "hparams": {"lr": $2}}, {"task": "udpos", "langs": ["de"]},
              {"task": "tatoeba", "langs": ["de", "fr"], "hparams": {"max_len": 32}}],
  "rows": [
    {"name": "baseline", "intermediate": []},
    {"name": "hellaswag", "intermediate": ["hellaswag"]},
    {"name": "csqa", "intermediate": ["commonsenseqa"]}
  ]
}
EOF
}
study "$T/study.json" 1e-3
snapshot() { (cd "$1" && find . -type f ! -name run.log ! -name .lock ! -name report.html ! -name '*.svg' | sort | xargs sha256sum); }
# cell.json without wall_s (the only field that depends on the machine's speed) and its seal (which covers wall_s)
cells() { for f in $(cd "$1" && find cells -name cell.json | sort); do echo "== $f"; sed 's/"wall_s": [0-9.e+-]*/"wall_s": X/; s/"sha256": "[0-9a-f]*"/"sha256": X/' "$1/$f"; done; }

# ---- uninterrupted ----
"$XS" run "$T/study.json" --out "$T/a" >"$T/a.out" 2>"$T/a.err" || fail "run: $(tail -5 "$T/a.err")"
for r in hellaswag csqa; do
  grep -q '"status": "done"' "$T/a/phase1/$r/seed-1/phase1.json" || fail "no phase1.json for $r"
  [ -s "$T/a/phase1/$r/seed-1/model.safetensors" ] || fail "no phase-1 model for $r"
done
[ "$(find "$T/a/cells" -name cell.json | wc -l)" -eq 9 ] || fail "cells: $(find "$T/a/cells" -name cell.json)"
C=$T/a/cells/hellaswag/pawsx/seed-1/cell.json
grep -q '"major_metric": "accuracy"' "$C" || fail "pawsx major metric"
grep -q '"de": {' "$C" || fail "pawsx dev de: $(cat "$C")"
grep -q '"phase1": {' "$C" && grep -q '"row": "hellaswag"' "$C" || fail "phase1 block"
[ "$(grep -c '"dev_metric"' "$C")" -eq 3 ] || fail "curve: 6 updates, eval every 2: $(cat "$C")"
grep -q '"best_step": [246]' "$C" || fail "best_step"
grep -q '"phase1": null' "$T/a/cells/baseline/udpos/seed-1/cell.json" || fail "baseline phase1 must be null"
grep -q '"test": {' "$T/a/cells/baseline/udpos/seed-1/cell.json" || fail "udpos test"
grep -q '"f1"' "$T/a/cells/baseline/udpos/seed-1/cell.json" || fail "udpos f1"
T1=$T/a/cells/csqa/tatoeba/seed-1/cell.json
grep -q '"curve": \[\]' "$T1" && grep -q '"best_step": null' "$T1" || fail "tatoeba curve / best_step: $(cat "$T1")"
grep -q '"fr": {' "$T1" && grep -q '"accuracy"' "$T1" || fail "tatoeba accuracy: $(cat "$T1")"
[ "$(wc -l < "$T/a/cells/csqa/tatoeba/seed-1/pred/test-de.tsv")" -eq 12 ] || fail "tatoeba predictions"
[ -s "$T/a/submission/csqa/seed-1/udpos/test-de.tsv" ] || fail "no submission file"
for f in results.csv results.json report.md report.html; do [ -s "$T/a/$f" ] || fail "no $f"; done
grep -q '^hellaswag,' "$T/a/results.csv" || grep -q 'hellaswag' "$T/a/results.csv" || fail "results.csv rows"
grep -q '"event":"phase1_end","job":"hellaswag/seed-1"' "$T/a/run.log" || fail "run.log phase1_end"
grep -q '"event":"step","cell":"csqa/udpos/seed-1","step":6' "$T/a/run.log" || fail "run.log step events"
grep -q '"event":"cell_end","cell":"baseline/tatoeba/seed-1"' "$T/a/run.log" || fail "run.log cell_end"
grep -q "phase 1 hellaswag/seed-1" "$T/a.err" && grep -q "cell csqa/pawsx/seed-1: done" "$T/a.err" || fail "progress lines"
echo "ok: uninterrupted: 2 phase-1 jobs, 9 cells, report"

# ---- again: nothing to do, nothing changes ----
snapshot "$T/a" > "$T/snap1"
"$XS" run "$T/study.json" --out "$T/a" >"$T/b.out" 2>"$T/b.err" || fail "rerun: $(tail -3 "$T/b.err")"
grep -q "nothing to do" "$T/b.err" || fail "rerun did not say nothing to do: $(cat "$T/b.err")"
snapshot "$T/a" > "$T/snap2"
cmp -s "$T/snap1" "$T/snap2" || fail "the rerun changed files: $(diff "$T/snap1" "$T/snap2" | head)"
echo "ok: rerun: nothing to do, no file changed"

# ---- SIGKILL in phase 2, then the same command: the same results ----
"$XS" run "$T/study.json" --out "$T/k" >/dev/null 2>"$T/k.err" & pid=$!
# killed in phase 2 of the hellaswag row: phase 1 and the baseline's 3 cells are done by then
ckpt() { ls -d "$1"/cells/hellaswag/*/seed-1/model/checkpoint-* 2>/dev/null | grep -v '\.tmp\.' | head -1; }
for i in $(seq 1 600); do
  [ -n "$(ckpt "$T/k")" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill -9 $pid 2>/dev/null || fail "the run ended before a phase-2 checkpoint existed"
wait $pid 2>/dev/null || true
ck=$(ckpt "$T/k")
done_before=$(find "$T/k/cells" -name cell.json | wc -l)
[ "$done_before" -ge 3 ] && [ ! -e "$T/k/cells/hellaswag/pawsx/seed-1/cell.json" ] || fail "killed at an unexpected point: $done_before cells done"
"$XS" run "$T/study.json" --out "$T/k" >/dev/null 2>"$T/k2.err" || fail "rerun after kill: $(tail -3 "$T/k2.err")"
grep -q "done: [0-9]* phase-1 job(s) and [1-6] cell(s) run" "$T/k2.err" || fail "the rerun redid done work: $(grep 'done:' "$T/k2.err")"
grep -q '"event":"note","cell":"hellaswag/pawsx/seed-1","msg":"[^"]*resum' "$T/k/run.log" || fail "no resume note for the killed cell"
cmp -s "$T/a/results.csv" "$T/k/results.csv" || fail "results.csv differs after SIGKILL + rerun: $(diff "$T/a/results.csv" "$T/k/results.csv")"
cells "$T/a" > "$T/ca"; cells "$T/k" > "$T/ck"
cmp -s "$T/ca" "$T/ck" || fail "cell.json differ after SIGKILL + rerun: $(diff "$T/ca" "$T/ck" | head -20)"
echo "ok: killed at ${ck#$T/k/} ($done_before cells done), rerun: results.csv and every cell.json (wall_s aside) identical"

# ---- a changed target hparam: its 3 cells stale; refused, then redone with --force ----
study "$T/study2.json" 2e-3
rc=0; "$XS" run "$T/study2.json" --out "$T/a" >/dev/null 2>"$T/c.err" || rc=$?
[ $rc -eq 1 ] && grep -q "3 cells / phase-1 jobs are stale" "$T/c.err" || fail "stale: $rc $(cat "$T/c.err")"
snapshot "$T/a" > "$T/snap3"
cmp -s "$T/snap1" "$T/snap3" || fail "a refused run changed files: $(diff "$T/snap1" "$T/snap3" | head)"
# --force, stopped by SIGTERM in phase 2 (checkpoint, exit 130), then the same command finishes
n0=$(wc -l < "$T/a/run.log")
"$XS" run "$T/study2.json" --out "$T/a" --force >/dev/null 2>"$T/s.err" & pid=$!
for i in $(seq 1 600); do  # the first checkpoint of the redo (step 2 is saved, then logged)
  tail -n +$((n0 + 1)) "$T/a/run.log" | grep -q '"event":"step","cell":"[a-z]*/pawsx/seed-1","step":2' && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill -TERM $pid 2>/dev/null || fail "the run ended before SIGTERM"
rc=0; wait $pid || rc=$?
[ $rc -eq 130 ] || fail "SIGTERM: exit $rc, want 130: $(tail -3 "$T/s.err")"
grep -q "stopped; the running job saved a checkpoint" "$T/s.err" || fail "SIGTERM message: $(tail -2 "$T/s.err")"
grep -q '"event":"phase2_stopped"' "$T/a/run.log" || fail "run.log: no phase2_stopped"
echo "ok: SIGTERM in phase 2 exits 130"
"$XS" run "$T/study2.json" --out "$T/a" --force >/dev/null 2>"$T/f.err" || fail "--force: $(tail -3 "$T/f.err")"
grep -q "done: 0 phase-1 job(s) and [1-3] cell(s) run" "$T/f.err" || fail "--force redid: $(grep 'done:' "$T/f.err")"
[ "$(find "$T/a/cells" -name cell.json | wc -l)" -eq 9 ] || fail "cells after --force"
cmp -s "$T/ca" <(cells "$T/a") && fail "the pawsx cells did not change"
for r in baseline hellaswag csqa; do
  cmp -s <(sed 's/"wall_s": [0-9.e+-]*//; s/"sha256": "[0-9a-f]*"//' "$T/k/cells/$r/udpos/seed-1/cell.json") \
         <(sed 's/"wall_s": [0-9.e+-]*//; s/"sha256": "[0-9a-f]*"//' "$T/a/cells/$r/udpos/seed-1/cell.json") || fail "udpos cell of $r changed"
done
echo "ok: a pawsx lr change: 3 stale cells refused, redone with --force, the others kept"

# ---- a sized-down study: train_examples and predict_examples (the first N of a file) ----
cat > "$T/small.json" <<EOF2
{
  "model": "$T/model", "data": "$D", "seeds": [1],
  "hparams": {"max_len": 32, "batch": 4, "accum": 1, "lr": 1e-3, "eval_every": 0, "max_steps": 2},
  "paths": {
    "udpos": {"format": "conllu", "train": "en_ewt-ud-dev.conllu", "dev": "en_ewt-ud-dev.conllu", "eval_dev": null,
              "test": {"de": "de_gsd-ud-test.conllu"}},
    "tatoeba": {"test": {"de": ["tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng"]}}
  },
  "targets": [{"task": "udpos", "langs": ["de"], "hparams": {"train_examples": 5, "predict_examples": 3}},
              {"task": "tatoeba", "langs": ["de"], "hparams": {"max_len": 32, "predict_examples": 4}}],
  "rows": [{"name": "baseline", "intermediate": []}]
}
EOF2
"$XS" run "$T/small.json" --out "$T/s" --dry-run >"$T/s.plan" 2>&1 || fail "small plan: $(cat "$T/s.plan")"
awk '$1 == "udpos" {print $2}' "$T/s.plan" | grep -qx 5 || fail "small plan: udpos train examples: $(grep '^  udpos' "$T/s.plan")"
awk '$1 == "tatoeba" {print $5}' "$T/s.plan" | grep -qx 8 || fail "small plan: tatoeba eval examples: $(grep '^  tatoeba' "$T/s.plan")"
"$XS" run "$T/small.json" --out "$T/s" >/dev/null 2>"$T/s.err" || fail "small run: $(tail -3 "$T/s.err")"
P=$T/s/cells/baseline
[ "$(grep -c '^$' "$P/udpos/seed-1/pred/test-de.tsv")" -eq 3 ] || fail "predict_examples 3: $(grep -c '^$' "$P/udpos/seed-1/pred/test-de.tsv") sentences"
[ "$(wc -l < "$P/tatoeba/seed-1/pred/test-de.tsv")" -eq 4 ] || fail "predict_examples 4: tatoeba lines"
grep -q 'udpos: 5 training examples' "$T/s.err" "$T/s/run.log" || fail "train_examples 5: $(grep -h 'training examples' "$T/s.err" "$T/s/run.log" | head -3)"
[ ! -e "$T/s/submission" ] || fail "a limited cell wrote submission files: $(find "$T/s/submission")"
echo "ok: train_examples and predict_examples take the first N of a file; no submission from a limited cell"

# ---- one run per folder: a folder in use (its .lock held) is refused before anything is read or written ----
snapshot "$T/s" > "$T/lock1"
exec 9<"$T/s/.lock"
flock -n 9 || fail "the test could not take the lock"
rc=0; "$XS" run "$T/small.json" --out "$T/s" --force >/dev/null 2>"$T/l.err" || rc=$?
exec 9<&-
[ $rc -eq 1 ] && grep -q "$T/s: is in use by another xstilts process" "$T/l.err" || fail "a locked folder: $rc $(cat "$T/l.err")"
snapshot "$T/s" > "$T/lock2"
cmp -s "$T/lock1" "$T/lock2" || fail "a refused run on a locked folder changed files"
"$XS" run "$T/small.json" --out "$T/s" >/dev/null 2>"$T/l.err" || fail "after the lock: $(cat "$T/l.err")"
grep -q "nothing to do" "$T/l.err" || fail "after the lock: $(cat "$T/l.err")"
echo "ok: a second run on a folder in use is refused and changes nothing"

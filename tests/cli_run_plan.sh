#!/usr/bin/env bash
# cli_run_plan.sh — `xstilts run --dry-run` on the study's XLM-R Large grid (examples/xlmr-large-study.json)
# against a folder laid out as XTREME's download/ (tiny valid files of the right names, made here), the
# counts it prints (cells = rows x targets x seeds, phase-1 jobs = non-baseline rows x seeds, examples per
# file), run.json and its hashes, cell states in the run folder, and every class of bad config failing
# before anything starts with file:line:column and the JSON path.
set -eu
XS=${XS:-build/xstilts}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/xstilts-run-plan-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
checks=0
ok() { checks=$((checks + 1)); }

# ---- a tiny random-init model with XLM-R's tokenizer layout ----
"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$T/model" >/dev/null 2>&1 \
  || fail "init"

# ---- XTREME's download/ (google-research/xtreme scripts/download_data.sh + utils_preprocess.py) ----
D=$T/download
mkdir -p "$D"/{xnli,pawsx,udpos,panx,squad,xquad,mlqa/MLQA_V1/dev,mlqa/MLQA_V1/test,bucc2018,tatoeba}
mkdir -p "$D"/tydiqa/tydiqa-goldp-v1.1-train "$D"/tydiqa/tydiqa-goldp-v1.1-dev
XNLI="ar bg de el en es fr hi ru sw th tr ur vi zh"
PAWSX="de en es fr ja ko zh"
UDPOS="af ar bg de el en es et eu fa fi fr he hi hu id it ja kk ko mr nl pt ru ta te th tl tr ur vi yo zh"
PANX="ar he vi id jv ms tl eu ml ta te af nl en de el bn hi mr ur fa fr it pt es bg ru ja ka ko th sw yo my zh kk tr et fi hu"
XQUAD="en es de el ru tr ar vi th zh hi"
MLQA="en es de ar hi vi zh"
TYDIQA="en ar bn fi id ko ru sw te"
BUCC="de fr ru zh"
TATOEBA="ar he vi id jv tl eu ml ta te af nl de el bn hi mr ur fa fr it pt es bg ru ja ka ko th sw zh kk tr et fi hu"
qa() {  # a SQuAD v1.1 file with $2 questions
  local qs="" i
  for i in $(seq 1 "$2"); do qs="$qs${qs:+,}{\"id\": \"q$i\", \"question\": \"What is big?\", \"answers\": [{\"text\": \"Paris\", \"answer_start\": 0}]}"; done
  printf '{"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "Paris is big.", "qas": [%s]}]}]}\n' "$qs" > "$1"
}
printf 'The cat sat.\tA cat sat.\tentailment\nIt rains.\tIt is dry.\tcontradiction\nHe ran.\tHe moved.\tentailment\n' > "$D/xnli/train-en.tsv"
for l in $XNLI; do
  printf 'Ein Satz.\tNoch einer.\tneutral\nZwei.\tDrei.\tentailment\n' > "$D/xnli/dev-$l.tsv"
  printf 'Ein Satz.\tNoch einer.\n' > "$D/xnli/test-$l.tsv"
done
printf 'One two.\tTwo one.\t0\nSame.\tSame.\t1\n' > "$D/pawsx/train-en.tsv"
for l in $PAWSX; do printf 'Eins.\tZwei.\t0\n' > "$D/pawsx/dev-$l.tsv"; printf 'Eins.\tZwei.\n' > "$D/pawsx/test-$l.tsv"; done
for t in udpos panx; do
  if [ $t = udpos ]; then langs=$UDPOS; tag=NOUN; else langs=$PANX; tag=B-PER; fi
  printf 'Paris\t%s\nis\tO\n\nBig\t%s\n\n' $tag $tag > "$D/$t/train-en.tsv"
  for l in $langs; do
    case " kk th tl yo " in *" $l "*) [ $t = udpos ] || printf 'Paris\t%s\n\n' $tag > "$D/$t/dev-$l.tsv" ;;
      *) printf 'Paris\t%s\n\n' $tag > "$D/$t/dev-$l.tsv" ;; esac
    printf 'Paris\n\n' > "$D/$t/test-$l.tsv"
  done
done
qa "$D/squad/train-v1.1.json" 4
qa "$D/squad/dev-v1.1.json" 2
for l in $XQUAD; do qa "$D/xquad/xquad.$l.json" 1; done
for l in $MLQA; do
  qa "$D/mlqa/MLQA_V1/dev/dev-context-$l-question-$l.json" 1
  qa "$D/mlqa/MLQA_V1/test/test-context-$l-question-$l.json" 1
done
qa "$D/tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json" 3
for l in $TYDIQA; do qa "$D/tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.$l.dev.json" 1; done
for l in $BUCC; do
  for s in dev test; do
    printf '%s-000001\tHallo Welt\n%s-000002\tGuten Tag\n' $l $l > "$D/bucc2018/$l-en.$s.$l"
    printf 'en-000001\tHello world\nen-000002\tGood day\n' > "$D/bucc2018/$l-en.$s.en"
  done
  printf '%s-000001\ten-000001\n' $l > "$D/bucc2018/$l-en.dev.gold"
done
for l in $TATOEBA; do printf 'Hallo\nWelt\n' > "$D/tatoeba/$l-en.$l"; printf 'Hello\nWorld\n' > "$D/tatoeba/$l-en.en"; done
# XTREME's translate-train files (gs://xtreme_translations layout)
TR=$D/xtreme_translations
mkdir -p "$TR/XNLI/translate-train" "$TR/SQuAD/translate-train"
for l in ar bg de el es fr hi ru sw th tr ur vi zh; do
  printf 'The cat.\tA cat.\tDie Katze.\tEine Katze.\tentailment\n' > "$TR/XNLI/translate-train/en-$l-translated.tsv"
done
for l in ar de el es hi ru th tr vi zh; do qa "$TR/SQuAD/translate-train/squad.translate.train.en-$l.json" 1; done

# ---- the intermediate tasks (publishers' file names; the reader fixtures as their content) ----
I=$T/intermediate
F=tests/fixtures/data
mkdir -p "$I"/{MNLI,QQP,snli_1.0,anli_v1.0/R1,anli_v1.0/R2,anli_v1.0/R3,squad,squad2,hellaswag,ccg,cosmosqa,commonsenseqa,mlm}
cp $F/mnli/MNLI/train.tsv "$I/MNLI/train.tsv"
cp $F/qqp/QQP/dev.tsv "$I/QQP/train.tsv"
cp $F/snli/snli_1.0/snli_1.0_dev.jsonl "$I/snli_1.0/snli_1.0_train.jsonl"
for r in R1 R2 R3; do cp $F/anli/anli_v1.0/R1/dev.jsonl "$I/anli_v1.0/$r/train.jsonl"; done
qa "$I/squad/train-v1.1.json" 5
cp $F/squad/dev-v2.0.json "$I/squad2/train-v2.0.json"
cp $F/hellaswag/hellaswag_train.jsonl "$I/hellaswag/hellaswag_train.jsonl"
cp $F/ccg/ccg.train "$I/ccg/ccg.train"
cp $F/cosmosqa/train.csv "$I/cosmosqa/train.csv"
cp $F/commonsenseqa/train_rand_split.jsonl "$I/commonsenseqa/train_rand_split.jsonl"
for l in ar bg de el en es fr hi ru sw th tr ur vi zh; do printf 'one line\n\ntwo lines\n' > "$I/mlm/$l.txt"; done
ok

export XSTILTS_MODEL=$T/model XTREME_DATA=$D XSTILTS_INTERMEDIATE=$I

# ---- the study's grid passes --dry-run, with the right counts ----
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run --throughput 1000 >"$T/plan" 2>"$T/err" \
  || fail "dry-run of the large grid: $(cat "$T/err")"
grep -qx 'rows: 14 (baseline: baseline)' "$T/plan" || fail "rows: $(grep '^rows' "$T/plan")"
grep -q '^targets: 9 (2 retrieval' "$T/plan" || fail "targets: $(grep '^targets' "$T/plan")"
grep -qx 'seeds: 3' "$T/plan" || fail "seeds"
grep -q '^cells: 378 (14 rows x 9 targets x 3 seeds)$' "$T/plan" || fail "cells: $(grep '^cells' "$T/plan")"
grep -q '^phase-1 jobs: 39 (13 rows with intermediate tasks x 3 seeds' "$T/plan" || fail "jobs: $(grep '^phase-1' "$T/plan")"
grep -q '^state: cells 0 done, 0 partial, 0 stale, 378 to do' "$T/plan" || fail "state: $(grep '^state' "$T/plan")"
[ ! -e "$T/run" ] || fail "--dry-run created the run folder"
ok
# examples counted with the real readers: xnli train 3, dev subset evaluations; pawsx train 2; squad 4 (xquad, mlqa)
awk '$1 == "xnli" {print $2}' "$T/plan" | grep -qx 3 || fail "xnli train examples: $(grep '^  xnli' "$T/plan")"
awk '$1 == "pawsx" {print $2}' "$T/plan" | grep -qx 2 || fail "pawsx train examples"
awk '$1 == "xquad" {print $2}' "$T/plan" | grep -qx 4 || fail "xquad train examples (SQuAD train)"
awk '$1 == "tydiqa" {print $2}' "$T/plan" | grep -qx 3 || fail "tydiqa train examples"
awk '$1 == "udpos" {print $2}' "$T/plan" | grep -qx 2 || fail "udpos train sentences"
# retrieval: no training; eval examples = BUCC 4 langs x (dev 2+2+1 gold + test 2+2) = 36, Tatoeba 36 x 4 = 144
awk '$1 == "bucc2018" {print $2, $3, $5}' "$T/plan" | grep -qx '0 0 36' || fail "bucc2018 row: $(grep '^  bucc2018' "$T/plan")"
awk '$1 == "tatoeba" {print $2, $3, $5}' "$T/plan" | grep -qx '0 0 144' || fail "tatoeba row"
# phase 1: mnli = 6 rows of the MNLI fixture; the translated row adds 14 translated files of 1 row each
awk '$1 == "mnli" && $2 == "mnli" {print $3}' "$T/plan" | grep -qx 5 || fail "mnli job examples: $(grep '^  mnli ' "$T/plan")"
awk '$1 == "mnli-translated" {print $4}' "$T/plan" | grep -qx 19 || fail "mnli-translated examples: $(grep '^  mnli-translated' "$T/plan")"
grep -q '^estimated hours: ' "$T/plan" || fail "no hours"
grep -q '^throughput: 1000 training tokens/s' "$T/plan" || fail "throughput"
ok

# ---- --plan-only: run.json is written, nothing trained (execution: tests/cli_run_exec.sh) ----
set +e; "$XS" run examples/xlmr-large-study.json --out "$T/run" --plan-only >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 0 ] || fail "run --plan-only: exit $rc, want 0: $(cat "$T/err")"
grep -q "plan-only: nothing was trained" "$T/err" || fail "run: $(cat "$T/err")"
[ -f "$T/run/run.json" ] || fail "no run.json"
[ "$(grep -c '"config_hash": "[0-9a-f]\{64\}"' "$T/run/run.json")" -eq $((378 + 39 + 1)) ] || fail "run.json hashes: $(grep -c config_hash "$T/run/run.json")"
h1=$(grep '^config_hash: ' "$T/plan" | cut -d' ' -f2)
grep -q "^  \"config_hash\": \"$h1\"" "$T/run/run.json" || fail "run.json's config_hash differs from the dry-run's $h1"
[ ! -e "$T/run/cells" ] || fail "cells folder made though nothing ran"
# what xstilts report reads from run.json: the title, rows and targets with their "name"s in order, seeds
grep -q '^  "title": "X-STILTs on XLM-R Large' "$T/run/run.json" || fail "run.json title"
[ "$(grep -o '^      "name": "[a-z0-9.-]*"' "$T/run/run.json" | head -14 | tr -d ' \n')" = \
  "$(printf '"name":"%s"' baseline anli mnli qqp squad squad2 hellaswag ccg cosmosqa commonsenseqa multitask mnli-mlm mnli-translated squad-translated)" ] \
  || fail "run.json row names: $(grep -o '^      "name": "[a-z0-9.-]*"' "$T/run/run.json" | head -14)"
[ "$(grep -o '^      "name": "[a-z0-9.-]*"' "$T/run/run.json" | sed -n '15,$p' | tr -d ' \n')" = \
  "$(printf '"name":"%s"' xnli pawsx udpos panx xquad mlqa tydiqa bucc2018 tatoeba)" ] || fail "run.json target names"
ok

# ---- hashes: a target override changes exactly that target's cells (14 rows x 3 seeds) and the config hash ----
sed 's/"targets": \["xnli"/"targets": [{"task": "xnli", "hparams": {"lr": 2e-5}}/' examples/xlmr-large-study.json > "$T/study2.json"
sed -i "s|\"model\": \"\${XSTILTS_MODEL}\"|\"model\": \"$T/model\"|" "$T/study2.json"
set +e; "$XS" run "$T/study2.json" --out "$T/run2" --plan-only >/dev/null 2>"$T/err"; set -e
[ -f "$T/run2/run.json" ] || fail "run2: $(cat "$T/err")"
n=$(diff <(grep '"config_hash"' "$T/run/run.json") <(grep '"config_hash"' "$T/run2/run.json") | grep -c '^<' || true)
[ "$n" -eq 43 ] || fail "an xnli lr override changed $n hashes, want 42 cells + the config's"
ok

# a row's phase-1 setting changes its 3 jobs, its 9 x 3 cells and the config hash, nothing else
sed 's/{"name": "mnli", "intermediate": \["mnli"\]}/{"name": "mnli", "intermediate": ["mnli"], "hparams": {"lr": 2e-5}}/' \
  examples/xlmr-large-study.json > "$T/study3.json"
sed -i "s|\"model\": \"\${XSTILTS_MODEL}\"|\"model\": \"$T/model\"|" "$T/study3.json"
set +e; "$XS" run "$T/study3.json" --out "$T/run3" --plan-only >/dev/null 2>"$T/err"; set -e
[ -f "$T/run3/run.json" ] || fail "run3: $(cat "$T/err")"
n=$(diff <(grep '"config_hash"' "$T/run/run.json") <(grep '"config_hash"' "$T/run3/run.json") | grep -c '^<' || true)
[ "$n" -eq 31 ] || fail "a phase-1 lr override of one row changed $n hashes, want 3 jobs + 27 cells + the config's"
# the same data in another folder: the same hashes (files are identified by relative path and size)
cp -r "$D" "$T/download-moved"
"$XS" run examples/xlmr-large-study.json --out "$T/none" --dry-run --data "$T/download-moved" >"$T/plan-moved" 2>/dev/null \
  || fail "dry-run with --data"
[ "$(grep '^config_hash: ' "$T/plan-moved")" = "config_hash: $h1" ] || fail "moving the data changed the config hash"
# one byte more in one test file: that target's cells change
printf 'x\ty\n' >> "$T/download-moved/pawsx/test-ko.tsv"
"$XS" run examples/xlmr-large-study.json --out "$T/none" --dry-run --data "$T/download-moved" >"$T/plan-moved2" 2>/dev/null \
  || fail "dry-run with a changed file"
[ "$(grep '^config_hash: ' "$T/plan-moved2")" != "config_hash: $h1" ] || fail "a changed file left the config hash as it was"
ok

# run.json of another config in the run folder is named
"$XS" run "$T/study2.json" --out "$T/run" --dry-run >/dev/null 2>"$T/err" || fail "dry-run study2 on run: $(cat "$T/err")"
grep -q "$T/run/run.json was written by another config (config_hash ${h1:0:16}..." "$T/err" || fail "no note: $(cat "$T/err")"
# the global block's early stopping is phase 2's: phase 1 resolves to eval_every 0, the cells to 50
printf '{"model": "%s", "data": "%s", "intermediate_data": "%s", "hparams": {"eval_every": 50, "patience": 4},\n "targets": ["xnli"], "rows": [{"name": "m", "intermediate": ["mnli"]}]}\n' \
  "$T/model" "$D" "$I" > "$T/es.json"
set +e; "$XS" run "$T/es.json" --out "$T/run-es" --plan-only >/dev/null 2>"$T/err"; set -e
[ -f "$T/run-es/run.json" ] || fail "es: $(cat "$T/err")"
[ "$(grep -c '"eval_every": 0$' "$T/run-es/run.json")" -eq 1 ] && [ "$(grep -c '"eval_every": 50,' "$T/run-es/run.json")" -eq 1 ] \
  && [ "$(grep -c '"patience": 4,' "$T/run-es/run.json")" -eq 1 ] || fail "phase-1 early stopping: $(grep -E 'eval_every|patience' "$T/run-es/run.json")"
ok

# ---- cell state from the run folder ----
# the cell (mnli, xnli, seed 1): its hash from run.json (hashes follow in cell order: rows x targets x seeds)
cell_hash=$(awk '/"cells": \[/{c=1} c && /"config_hash"/{n++; if (n == 1 + 9*3) {gsub(/[",]/, "", $2); print $2; exit}}' "$T/run/run.json")
[ ${#cell_hash} -eq 64 ] || fail "could not read a cell hash from run.json"
C=$T/run/cells/anli/xnli/seed-1
mkdir -p "$C"
printf '{"format": "xstilts-cell", "version": 1, "row": "anli", "target": "xnli", "seed": 1, "config_hash": "%s", "status": "done"}\n' "$cell_hash" > "$C/cell.json"
"${B:-build}/tests/test_report" --seal "$C/cell.json"  # sealed as xstilts run writes it (core/seal.h)
mkdir -p "$T/run/cells/anli/xnli/seed-2" && echo x > "$T/run/cells/anli/xnli/seed-2/step-1000.ckpt"
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run >"$T/plan2" 2>/dev/null || fail "dry-run on the run folder"
grep -q '^state: cells 1 done, 1 partial, 0 stale, 376 to do' "$T/plan2" || fail "state: $(grep '^state' "$T/plan2")"
sed -i "s/$cell_hash/$(printf '%064d' 0)/" "$C/cell.json"
"${B:-build}/tests/test_report" --seal "$C/cell.json"
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run >"$T/plan3" 2>/dev/null || fail "dry-run with a stale cell"
grep -q '^state: cells 0 done, 1 partial, 1 stale, 376 to do' "$T/plan3" || fail "stale: $(grep '^state' "$T/plan3")"
set +e; "$XS" run examples/xlmr-large-study.json --out "$T/run" --plan-only >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "1 cells / phase-1 jobs are stale.*--force.*cells/anli/xnli/seed-1: made with another config" "$T/err" \
  || fail "stale without --force: $rc $(cat "$T/err")"
set +e; "$XS" run examples/xlmr-large-study.json --out "$T/run" --force --plan-only >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc -eq 0 ] && grep -q "plan-only: nothing was trained" "$T/err" || fail "--force: $(cat "$T/err")"
ok

# ---- damaged state files (core/seal.h): a corrupt cell.json without started.json is refused, with started.json
# of the plan's hash it is redone (partial, the damage listed); a damaged run.json is written again ----
sed -i "s/$(printf '%064d' 0)/$cell_hash/" "$C/cell.json"   # the plan's hash, the seal now wrong
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run >"$T/plan4" 2>/dev/null || fail "dry-run with a damaged cell"
grep -q '^state: cells 0 done, 1 partial, 0 stale, 376 to do' "$T/plan4" && grep -q '^damaged state files: 1 (cells 1 corrupt' "$T/plan4" \
  && grep -q "cells/anli/xnli/seed-1/cell.json: its content does not match its \"sha256\" seal" "$T/plan4" \
  || fail "damaged cell: $(grep -A2 '^state' "$T/plan4")"
set +e; "$XS" run examples/xlmr-large-study.json --out "$T/run" --plan-only >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "1 cells / phase-1 jobs have damaged state files.*remove such a folder.*--force.*cells/anli/xnli/seed-1/cell.json: its content does not match" "$T/err" \
  || fail "corrupt without --force: $rc $(cat "$T/err")"
printf '{"config_hash": "%s", "t": 1}\n' "$cell_hash" > "$C/started.json"
"${B:-build}/tests/test_report" --seal "$C/started.json"
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run >"$T/plan5" 2>/dev/null || fail "dry-run with a damaged cell"
grep -q '^state: cells 0 done, 2 partial, 0 stale, 376 to do' "$T/plan5" && grep -q '^damaged state files: 1 (cells 0 corrupt' "$T/plan5" \
  || fail "damaged cell with started.json: $(grep -A2 '^state' "$T/plan5")"
printf 'x' >> "$T/run/run.json"
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run >/dev/null 2>"$T/err" || fail "dry-run with a damaged run.json"
grep -q "warning: $T/run/run.json: truncated" "$T/err" || fail "damaged run.json: $(cat "$T/err")"
ok

# ---- bad configs: each fails before anything starts, with file:line:column and the JSON path ----
bad() {  # bad NAME EXPECTED-REGEX  (config in $T/NAME.json)
  set +e; "$XS" run "$T/$1.json" --out "$T/bad-run" --dry-run >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [ $rc -eq 1 ] || fail "$1: exit $rc, want 1 ($(cat "$T/err"))"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$1: not one line: $(cat "$T/err")"
  grep -Eq "^xstilts run: $T/$1.json:$2" "$T/err" || fail "$1: $(cat "$T/err") (want $T/$1.json:$2)"
  [ ! -s "$T/out" ] || fail "$1: printed a plan"
  [ ! -e "$T/bad-run" ] || fail "$1: made the run folder"
  ok
}
mk() { printf '%s\n' "$2" > "$T/$1.json"; }
HEAD='{"model": "${XSTILTS_MODEL}", "data": "${XTREME_DATA}", "intermediate_data": "${XSTILTS_INTERMEDIATE}",'
mk unknown_task "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []},
          {\"name\": \"a\", \"intermediate\": [\"mnli\"]},
          {\"name\": \"b\", \"intermediate\": [\"mnly\"]}]}"
bad unknown_task '5:42: rows\[2\]\.intermediate\[0\]: unknown task "mnly" \(known: anli, mnli, .*\)$'
mk unknown_target "$HEAD
 \"targets\": [\"xnli\", \"xnlii\"], \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
bad unknown_target '2:22: targets\[1\]: unknown task "xnlii" \(targets: xnli, pawsx, .*\)$'
mk dup_row "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []},
   {\"name\": \"mnli\", \"intermediate\": [\"mnli\"]},
   {\"name\": \"mnli\", \"intermediate\": [\"squad\"]}]}"
bad dup_row '5:13: rows\[2\]\.name: duplicate row name "mnli" \(also rows\[1\]\)$'
mk wrong_type "$HEAD
 \"targets\": [\"xnli\"], \"seeds\": \"1\",
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
bad wrong_type '2:32: seeds: expected a non-empty list of integers$'
mk wrong_hparam "$HEAD
 \"targets\": [\"xnli\"],
 \"hparams\": {\"epochs\": 2,
             \"lr\": \"fast\"},
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
bad wrong_hparam '4:20: hparams\.lr: expected a number \(peak learning rate\)$'
mk unknown_key "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": [], \"hparms\": {}}]}"
bad unknown_key '3:62: rows\[0\]\.hparms: unknown key "hparms" \(known: name, intermediate, .*\)$'
mk no_english_train "$HEAD
 \"paths\": {\"pawsx\": {\"train\": null}},
 \"targets\": [\"xnli\", \"pawsx\"],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
bad no_english_train '3:22: targets\[1\]: target "pawsx" has no English training data \(paths\.pawsx\.train is null\)$'
mk retrieval_intermediate "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"t\", \"intermediate\": [\"tatoeba\"]}]}"
bad retrieval_intermediate '3:42: rows\[0\]\.intermediate\[0\]: "tatoeba" is a retrieval task with no training data'
mk missing_file "$HEAD
 \"targets\": [{\"task\": \"xnli\", \"langs\": [\"en\", \"sw\"]}],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
rm "$D/xnli/test-sw.tsv"
bad missing_file "2:14: targets\\[0\\]: test file of xnli sw: $D/xnli/test-sw.tsv: cannot open: No such file or directory\$"
printf 'Ein Satz.\tNoch einer.\n' > "$D/xnli/test-sw.tsv"
mk missing_intermediate "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"c\", \"intermediate\": [\"qqp\", \"cosmosqa\"]}]}"
mv "$I/cosmosqa/train.csv" "$T/cosmos.csv"
bad missing_intermediate "3:49: rows\\[0\\]\\.intermediate\\[1\\]: training file of cosmosqa: $I/cosmosqa/train.csv: cannot open"
mv "$T/cosmos.csv" "$I/cosmosqa/train.csv"
mk bad_lang "$HEAD
 \"targets\": [{\"task\": \"pawsx\", \"langs\": [\"de\", \"sw\"]}],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
bad bad_lang '2:48: targets\[0\]\.langs\[1\]: "sw" is not a language of PAWS-X'
mk untranslated "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"h\", \"intermediate\": [\"hellaswag\"], \"translated\": true}]}"
bad untranslated '3:42: rows\[0\]\.intermediate\[0\]: "translated": XTREME published no translation of "hellaswag"'
mk bad_sampler "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"m\", \"intermediate\": [\"mnli\", \"qqp\"], \"sampler\": {\"kind\": \"specified\", \"weights\": [1]}}]}"
bad bad_sampler '3:102: rows\[0\]\.sampler\.weights: expected a list of 2 numbers'
mk no_env '{"model": "${XSTILTS_NO_SUCH_VAR}", "data": "x", "targets": ["xnli"], "rows": []}'
bad no_env '1:11: model: "\$\{XSTILTS_NO_SUCH_VAR\}": the environment variable XSTILTS_NO_SUCH_VAR is not set'
mk syntax "$HEAD
 \"targets\": [\"xnli\",],
 \"rows\": []}"
bad syntax '2:21: invalid JSON: '
mk dup_key "$HEAD
 \"targets\": [\"xnli\"], \"targets\": [\"pawsx\"], \"rows\": []}"
bad dup_key '2:.*invalid JSON: duplicate object key'
mk retrieval_hparams "$HEAD
 \"targets\": [{\"task\": \"tatoeba\", \"hparams\": {\"layer\": 7, \"lr\": 1e-5}}],
 \"rows\": [{\"name\": \"baseline\", \"intermediate\": []}]}"
bad retrieval_hparams '2:64: targets\[0\]\.hparams\.lr: "lr" does not apply here \(a retrieval target takes max_len, layer, pool and predict_examples\)$'
mk phase1_scope "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"m\", \"intermediate\": [\"mnli\"], \"hparams\": {\"patience\": 3}}]}"
bad phase1_scope '3:75: rows\[0\]\.hparams\.patience: "patience" does not apply here \(phase 1 trains its epochs'
mk two_baselines "$HEAD
 \"targets\": [\"xnli\"],
 \"rows\": [{\"name\": \"b1\", \"intermediate\": []}, {\"name\": \"b2\", \"intermediate\": []}]}"
bad two_baselines '3:78: rows\[1\]\.intermediate: a second baseline row'

# ---- examples/mini-study.json: valid against a tree laid out as ../shared/data (the reader fixtures as content) ----
M=$T/mini-data
F=tests/fixtures/data
mkdir -p "$M"/{hellaswag,commonsenseqa,xnli,tydiqa-goldp,tatoeba} "$M"/ud/{UD_English-EWT,UD_German-GSD,UD_French-GSD,UD_Chinese-GSD}
cp $F/hellaswag/hellaswag_val.jsonl "$M/hellaswag/"
cp $F/commonsenseqa/dev_rand_split.hf-format.jsonl "$M/commonsenseqa/"
# myXNLI's dev set as the machines hold it: 830 premises x 3 hypotheses, English + Myanmar columns; Swahili aligned
awk 'BEGIN{OFS="\t"; print "genre","label","sentence1_en","sentence2_en","sentence1_my","sentence2_my";
  split("entailment neutral contradiction", L, " ");
  for (p = 1; p <= 830; p++) for (h = 1; h <= 3; h++) print "fiction", L[h], "Premise " p ".", "Hypothesis " p "-" h ".", "my" p, "my" p h}' \
  > "$M/xnli/my.genre.dev.tsv"
awk 'BEGIN{FS=OFS="\t"} NR==1{print "genre","label","sentence1_sw","sentence2_sw"; next} {print $1,$2,"sw " $3,"sw " $4}' \
  "$M/xnli/my.genre.dev.tsv" > "$M/xnli/sw.genre.dev.tsv"
cp $F/tydiqa/tydiqa-goldp-dev-english.json "$M/tydiqa-goldp/tydiqa-goldp-train-english.json"
cp $F/tydiqa/tydiqa-goldp-dev-english.json "$M/tydiqa-goldp/"
for l in arabic finnish indonesian russian; do cp $F/tydiqa/tydiqa-goldp-dev-arabic.json "$M/tydiqa-goldp/tydiqa-goldp-dev-$l.json"; done
cp $F/ud/en_ewt-ud-dev.conllu "$M/ud/UD_English-EWT/"
cp $F/ud/en_ewt-ud-dev.conllu "$M/ud/UD_English-EWT/en_ewt-ud-test.conllu"
cp $F/ud/de_gsd-ud-test.conllu "$M/ud/UD_German-GSD/"
cp $F/ud/fr_gsd-ud-test.conllu "$M/ud/UD_French-GSD/"
cp $F/ud/zh_gsd-ud-test.conllu "$M/ud/UD_Chinese-GSD/"
for l in ara deu fra hin swh cmn; do printf 'a\nb\nc\n' > "$M/tatoeba/tatoeba.$l-eng.$l"; printf 'A\nB\nC\n' > "$M/tatoeba/tatoeba.$l-eng.eng"; done
scripts/mini-study-data.sh "$M" "$T/ms-data" >/dev/null 2>"$T/err" || fail "mini-study-data.sh: $(cat "$T/err")"
[ "$(wc -l < "$T/ms-data/xnli/en.genre.train.tsv")" = 1201 ] && [ "$(wc -l < "$T/ms-data/xnli/en.genre.dev.tsv")" = 301 ] &&
  [ "$(wc -l < "$T/ms-data/xnli/sw.genre.test.tsv")" = 991 ] || fail "mini-study-data.sh: the XNLI split sizes"
# premise 400 is the last of train, 401 the first of dev, 501 the first of test (in Swahili too)
tail -n 1 "$T/ms-data/xnli/en.genre.train.tsv" | grep -q 'Premise 400\.' && sed -n 2p "$T/ms-data/xnli/en.genre.dev.tsv" | grep -q 'Premise 401\.' &&
  sed -n 2p "$T/ms-data/xnli/sw.genre.test.tsv" | grep -q 'sw Premise 501\.' || fail "mini-study-data.sh: the split by premise"
# a source whose Swahili file is not aligned is refused, and nothing is made
sed -i '1604s/entailment/neutral/' "$M/xnli/sw.genre.dev.tsv"
if scripts/mini-study-data.sh "$M" "$T/ms-bad" >/dev/null 2>"$T/err" || [ -e "$T/ms-bad" ] || ! grep -q 'not aligned' "$T/err"; then
  fail "mini-study-data.sh: a misaligned Swahili file: $(cat "$T/err")"
fi
XSTILTS_DATA=$T/ms-data "$XS" run examples/mini-study.json --out "$T/mini-run" --dry-run --throughput 100 >"$T/mini" 2>"$T/err" \
  || fail "mini-study: $(cat "$T/err")"
grep -q '^cells: 12 (3 rows x 4 targets x 1 seeds)$' "$T/mini" || fail "mini cells: $(grep '^cells' "$T/mini")"
grep -q '^phase-1 jobs: 2 ' "$T/mini" || fail "mini jobs"
# tatoeba: 6 languages x (3 + 3) lines; udpos: the EWT dev fixture's sentences as training data
awk '$1 == "tatoeba" {print $5}' "$T/mini" | grep -qx 36 || fail "mini tatoeba: $(grep '^  tatoeba' "$T/mini")"
ok

set +e; "$XS" run examples/xlmr-large-study.json --out "$T/r" --model "$T/nope" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts run: $T/nope: --model: not a folder (a model folder in Hugging Face layout)" "$T/err" \
  || fail "--model missing: $(cat "$T/err")"
ok

mkdir -p "$T/noweights"
for f in "$T/model"/*; do [ "${f##*/}" = model.safetensors ] || cp "$f" "$T/noweights/"; done
set +e; "$XS" run examples/xlmr-large-study.json --out "$T/r" --dry-run --model "$T/noweights" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts run: model: $T/noweights/model.safetensors: cannot open: No such file or directory" "$T/err" \
  || fail "model without weights: $(cat "$T/err")"
ok

# ---- --measure: the throughput measured with the real trainer, and said so ----
"$XS" run examples/xlmr-large-study.json --out "$T/run" --dry-run --measure >"$T/plan4" 2>"$T/err" || fail "--measure: $(cat "$T/err")"
grep -Eq '^throughput: [0-9]+ training tokens/s \(measured here: 2 updates of 4 x 256 tokens, [0-9.]+ s each;' "$T/plan4" \
  || fail "--measure: $(grep throughput "$T/plan4")"
grep -q '^throughput: 1000 training tokens/s (assumed, not measured' "$T/plan2" || fail "the default throughput is not said to be assumed"
ok

# ---- conventions: help, usage errors ----
"$XS" run --help >"$T/a"; "$XS" help run >"$T/b"; cmp -s "$T/a" "$T/b" || fail "help run differs from run --help"
grep -q '^usage: xstilts run CONFIG --out RUN' "$T/a" || fail "usage line"
set +e; "$XS" run >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts run: expected a CONFIG file (see xstilts run --help)" "$T/err" || fail "no args: $(cat "$T/err")"
set +e; "$XS" run examples/xlmr-large-study.json >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts run: --out RUN is required (see xstilts run --help)" "$T/err" || fail "no --out: $(cat "$T/err")"
set +e; "$XS" run examples/xlmr-large-study.json --out x --measure --throughput 5 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "exclude each other" "$T/err" || fail "--measure with --throughput: $(cat "$T/err")"
set +e; "$XS" run examples/xlmr-large-study.json --out x --frob 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts run: unknown option '--frob' (see xstilts run --help)" "$T/err" || fail "unknown option"
ok

echo "cli_run_plan: $checks groups of checks passed"

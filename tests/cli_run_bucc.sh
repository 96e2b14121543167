#!/usr/bin/env bash
# cli_run_bucc.sh — `xstilts run` scores BUCC targets as XTREME: a tiny random-init model (baseline row) and its
# phase-1 encoder (a HellaSwag row, 2 updates) embed both sides of each language's dev and test split (layer 0: the embedding output, mean
# pool), mine with the ratio margin, choose the threshold on the dev gold and apply it to test. Asserts, per row and
# language, against `xstilts encode` + `xstilts retrieve --mode margin` run directly on the same model: the same
# threshold (cell.json "thresholds", 9 significant digits as every real there), the same dev F1 / precision / recall, the same dev and test pairs
# (pred/ and submission/ files); test gold given for fr: its P/R/F1 equal a set count (comm) of the predicted pairs
# against the gold; the fixture is XTREME's layout (bucc2018/{lang}-en.dev.{lang,en,gold}).
set -eu
XS=${XS:-build/xstilts}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/xstilts-run-bucc-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
R=tests/fixtures/retrieval
F=tests/fixtures/data
"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$T/model" --seed 7 >/dev/null 2>&1 \
  || fail "init"
D=$T/data
mkdir -p "$D/bucc2018"
# the BUCC-like Tatoeba splits of tests/fixtures/retrieval (de: dev; fr: test with gold) in XTREME's layout
cp $R/bucc.dev.src "$D/bucc2018/de-en.dev.de"; cp $R/bucc.dev.trg "$D/bucc2018/de-en.dev.en"; cp $R/bucc.dev.gold "$D/bucc2018/de-en.dev.gold"
cp $R/bucc.test.src "$D/bucc2018/fr-en.dev.fr"; cp $R/bucc.test.trg "$D/bucc2018/fr-en.dev.en"; cp $R/bucc.test.gold "$D/bucc2018/fr-en.dev.gold"
cp $R/bucc.test.src "$D/bucc2018/de-en.test.de"; cp $R/bucc.test.trg "$D/bucc2018/de-en.test.en"
cp $R/bucc.test.src "$D/bucc2018/fr-en.test.fr"; cp $R/bucc.test.trg "$D/bucc2018/fr-en.test.en"; cp $R/bucc.test.gold "$D/bucc2018/fr-en.test.gold"
cp $F/hellaswag/hellaswag_train.jsonl "$D/hellaswag.jsonl"
cat > "$T/study.json" <<JSON
{
  "model": "$T/model", "data": "$D", "intermediate_data": "$D", "seeds": [1],
  "intermediate_hparams": {"max_steps": 2, "max_len": 48, "batch": 2, "accum": 1, "lr": 1e-3},
  "paths": {
    "hellaswag": {"train": "hellaswag.jsonl"},
    "bucc2018": {"test": {"de": ["bucc2018/de-en.test.de", "bucc2018/de-en.test.en"],
                          "fr": ["bucc2018/fr-en.test.fr", "bucc2018/fr-en.test.en", "bucc2018/fr-en.test.gold"]}}
  },
  "targets": [{"task": "bucc2018", "langs": ["de", "fr"], "hparams": {"max_len": 32, "layer": 0, "pool": "mean"}}],
  "rows": [{"name": "baseline", "intermediate": []}, {"name": "hellaswag", "intermediate": ["hellaswag"]}]
}
JSON
"$XS" run "$T/study.json" --out "$T/run" >"$T/run.out" 2>"$T/run.err" || fail "run: $(tail -5 "$T/run.err")"
num() {  # num FILE KEY...: a number of a JSON file by key path (cell.json is pretty-printed by jansson)
  tr -d ' \n' < "$1" | grep -o "\"$2\":{[^}]*}" | grep -o "\"$3\":[-0-9.eE+]*" | head -1 | cut -d: -f2
}
same() { awk -v a="$1" -v b="$2" -v tol="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= tol) }'; }
for row in baseline hellaswag; do
  M=$T/model; [ $row = baseline ] || M=$T/run/phase1/$row/seed-1
  C=$T/run/cells/$row/bucc2018/seed-1
  [ -s "$C/cell.json" ] || fail "$row: no cell.json"
  grep -q '"major_metric": "f1"' "$C/cell.json" || fail "$row: major metric"
  for l in de fr; do
    for s in dev test; do
      for side in $l en; do
        cut -f2 "$D/bucc2018/$l-en.$s.$side" | OMP_NUM_THREADS=1 "$XS" encode --model "$M" --layer 0 --pool mean --max-len 32 \
          --out "$T/$row.$l.$s.$side.npy" 2>/dev/null || fail "encode $row $l $s $side"
      done
    done
    ids() { echo "--src-ids $D/bucc2018/$l-en.$1.$l --tgt-ids $D/bucc2018/$l-en.$1.en"; }
    "$XS" retrieve --src "$T/$row.$l.dev.$l.npy" --tgt "$T/$row.$l.dev.en.npy" --mode margin $(ids dev) \
      --dev-gold "$D/bucc2018/$l-en.dev.gold" --out "$T/$row.$l.dev.pairs" >"$T/$row.$l.dev.json" 2>/dev/null || fail "retrieve dev"
    th=$(grep -o '"threshold": [-0-9.eE+]*' "$T/$row.$l.dev.json" | cut -d' ' -f2)
    th_run=$(tr -d ' \n' < "$C/cell.json" | grep -o '"thresholds":{[^}]*}' | grep -o "\"$l\":[-0-9.eE+]*" | cut -d: -f2)
    same "$th" "$th_run" 1e-8 || fail "$row $l: threshold $th_run in cell.json, retrieve chose $th"
    for m in f1 precision recall; do
      want=$(grep -o "\"$m\": [-0-9.eE+]*" "$T/$row.$l.dev.json" | cut -d' ' -f2)
      got=$(tr -d ' \n' < "$C/cell.json" | grep -o '"dev":{.*' | grep -o "\"$l\":{[^}]*}" | head -1 | grep -o "\"$m\":[-0-9.eE+]*" | cut -d: -f2)
      same "$want" "$got" 1e-4 || fail "$row $l dev $m: cell.json $got, retrieve $want"
    done
    cmp -s "$T/$row.$l.dev.pairs" "$C/pred/dev-$l.tsv" || fail "$row $l: dev pairs differ from retrieve's"
    "$XS" retrieve --src "$T/$row.$l.test.$l.npy" --tgt "$T/$row.$l.test.en.npy" --mode margin $(ids test) \
      --threshold "$th" --out "$T/$row.$l.test.pairs" >/dev/null 2>&1 || fail "retrieve test"
    cmp -s "$T/$row.$l.test.pairs" "$C/pred/test-$l.tsv" || fail "$row $l: test pairs differ from retrieve's at the dev threshold"
    cmp -s "$T/$row.$l.test.pairs" "$T/run/submission/$row/seed-1/bucc2018/test-$l.tsv" || fail "$row $l: submission file"
  done
  # de: no test gold (XTREME's is not public): dev only; fr: test scored at fr's dev threshold, by a set count
  tr -d ' \n' < "$C/cell.json" | grep -o '"test":{[^}]*}*' | grep -q '"de"' && fail "$row: de test scored without gold"
  np=$(wc -l < "$C/pred/test-fr.tsv"); ng=$(wc -l < "$D/bucc2018/fr-en.test.gold")
  nc=$(comm -12 <(sort "$C/pred/test-fr.tsv") <(sort "$D/bucc2018/fr-en.test.gold") | wc -l)
  [ "$nc" -gt 0 ] || fail "$row: no correct pair mined (the check would be vacuous)"
  f1=$(awk -v c=$nc -v p=$np -v g=$ng 'BEGIN { P = c / p; R = c / g; printf "%.10f", 100 * 2 * P * R / (P + R) }')
  got=$(tr -d ' \n' < "$C/cell.json" | grep -o '"test":{"fr":{[^}]*}' | grep -o '"f1":[-0-9.eE+]*' | cut -d: -f2)
  same "$f1" "$got" 1e-6 || fail "$row fr test f1: cell.json $got, set count $f1 ($nc of $np pairs, $ng gold)"
  echo "ok: $row: thresholds, dev F1/P/R and dev/test pairs as xstilts retrieve; fr test F1 $got = set count ($nc/$np/$ng)"
done
grep -q '"event":"cell_end","cell":"hellaswag/bucc2018/seed-1"' "$T/run/run.log" || fail "run.log"
[ -s "$T/run/results.csv" ] || fail "no results.csv"
# the hellaswag row embeds with its phase-1 encoder, not the model: its candidates differ from the baseline's
cmp -s "$T/run/cells/baseline/bucc2018/seed-1/pred/dev-fr.tsv" "$T/run/cells/hellaswag/bucc2018/seed-1/pred/dev-fr.tsv" \
  && cmp -s "$T/run/cells/baseline/bucc2018/seed-1/pred/test-fr.tsv" "$T/run/cells/hellaswag/bucc2018/seed-1/pred/test-fr.tsv" \
  && fail "the hellaswag row mined what the baseline did: phase-1 encoder not used?"
echo "ok: BUCC in xstilts run"

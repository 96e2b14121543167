#!/usr/bin/env bash
# cli_score.sh — `xstilts score` on bad input: every error exits 1 with a message naming what is
# wrong (file, line, ids); plus --help, --format text and --allow-missing. The numeric goldens
# against the official scripts are in tests/test_metrics.c.
set -eu
XS=${XS:-build/xstilts}
F=tests/fixtures/metrics
T=$(mktemp -d /tmp/xstilts-test-score-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

# expect_fail "what" "substring" cmd...   → exit code 1 and substring in stderr
expect_fail() {
  local what=$1 sub=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" -ne 1 ]; then echo "FAIL $what: exit $rc, want 1"; cat "$T/err"; fails=$((fails + 1)); return; fi
  if ! grep -qF -- "$sub" "$T/err"; then echo "FAIL $what: stderr lacks '$sub':"; cat "$T/err"; fails=$((fails + 1)); return; fi
  if [ -s "$T/out" ]; then echo "FAIL $what: printed to stdout on error"; fails=$((fails + 1)); return; fi
  echo "ok   $what: $(head -c 200 "$T/err")"
}

gold=$F/xquad/gold.de.json
# missing ids: error by default, listing the first ids; --allow-missing scores them 0 (the
# generator deleted every third of the 74 ids: 25; the scores are checked in test_metrics)
expect_fail "missing QA ids" "gold question(s) have no prediction (first: " \
  "$XS" score --task xquad --lang de --pred $F/xquad/pred.de.missing.json --gold $gold
"$XS" score --task xquad --lang de --pred $F/xquad/pred.de.missing.json --gold $gold --allow-missing >"$T/o" 2>"$T/e"
grep -q '"missing": 25' "$T/o" || { echo "FAIL allow-missing count"; cat "$T/o"; fails=$((fails + 1)); }
grep -q 'scored 0' "$T/e" || { echo "FAIL allow-missing warning"; fails=$((fails + 1)); }

# extra ids
python_free_extra=$(sed 's/^{/{"no-such-question": "x", /' $F/xquad/pred.de.perfect.json)
printf '%s' "$python_free_extra" >"$T/extra.json"
expect_fail "extra QA ids" "1 prediction id(s) are not questions of the gold file, e.g. no-such-question" \
  "$XS" score --task xquad --lang de --pred "$T/extra.json" --gold $gold

# bad JSON: jansson's line and column
printf '{\n  "a": "x",\n  "b": \n}\n' >"$T/bad.json"
expect_fail "bad JSON" "bad.json:4: invalid JSON at column" "$XS" score --task squad --pred "$T/bad.json" --gold $gold
printf '{"a": 3}' >"$T/num.json"
expect_fail "non-string answer" "prediction for a: expected a string" "$XS" score --task squad --pred "$T/num.json" --gold $gold
expect_fail "bad gold JSON" "expected {\"data\": [articles]}" "$XS" score --task squad --pred "$T/num.json" --gold "$T/num.json"
expect_fail "missing file" "$T/nope.json" "$XS" score --task squad --pred "$T/nope.json" --gold $gold

# unknown task / MLQA language / usage
expect_fail "unknown task" "unknown task 'xnlii'" "$XS" score --task xnlii --pred a --gold b
expect_fail "unknown MLQA language" "unknown MLQA language 'fr'" \
  "$XS" score --task mlqa --lang fr --pred $F/xquad/pred.de.perfect.json --gold $gold
expect_fail "mlqa without lang" "needs --lang" "$XS" score --task mlqa --pred $F/xquad/pred.de.perfect.json --gold $gold
expect_fail "missing --gold" "are required" "$XS" score --task xnli --pred a
expect_fail "unknown option" "unknown option '--bogus'" "$XS" score --bogus
expect_fail "allow-missing on xnli" "QA tasks only" \
  "$XS" score --task xnli --pred $F/xnli/pred.sw.perfect.txt --gold $F/xnli/gold.sw.txt --allow-missing

# squad2: a missing prediction is always an error (the v2 script crashes on it)
head -c 300 $F/squad2/pred.perfect.json | sed 's/, "[^"]*$/}/; s/, "[^"]*": "[^"]*$/}/' >"$T/v2.json"
expect_fail "squad2 missing" "have no prediction" "$XS" score --task squad2 --pred "$T/v2.json" --gold $F/squad2/gold.json

# wrong line count
head -n 299 $F/xnli/pred.sw.perfect.txt >"$T/short.txt"
expect_fail "xnli line count" "short.txt: expected 300 lines (as in $F/xnli/gold.sw.txt), found 299" \
  "$XS" score --task xnli --lang sw --pred "$T/short.txt" --gold $F/xnli/gold.sw.txt
expect_fail "xnli tsv needs lang" "needs --lang" \
  "$XS" score --task xnli --pred $F/xnli/pred.sw.perfect.txt --gold $F/xnli/xnli.dev.tsv

# tagging: sentence length mismatch names the line
awk 'NR==3{next}1' $F/panx/pred.de.perfect.tsv >"$T/tags.tsv"
expect_fail "tag sentence mismatch" "tags.tsv:1: sentence 1 has" \
  "$XS" score --task panx --lang de --pred "$T/tags.tsv" --gold $F/panx/gold.de.tsv

# tatoeba indices / BUCC pairs
sed '5s/.*/seven/' $F/tatoeba/pred.de.perfect.txt >"$T/tat.txt"
expect_fail "tatoeba non-index" "tat.txt:5: expected a sentence index (non-negative integer), found 'seven'" \
  "$XS" score --task tatoeba --pred "$T/tat.txt" --gold $F/tatoeba/gold.de.txt
sed '3s/\t/ /' $F/bucc2018/pred.de.perfect.tsv >"$T/bucc.tsv"
expect_fail "bucc malformed pair" "bucc.tsv:3: expected 'source_id<TAB>target_id'" \
  "$XS" score --task bucc2018 --pred "$T/bucc.tsv" --gold $F/bucc2018/gold.de.tsv

expect_fail "bad --gold-format" "--gold-format expects auto, lines, xnli-tsv or pawsx-tsv, got 'csv'" \
  "$XS" score --task xnli --lang sw --pred $F/xnli/pred.sw.perfect.txt --gold $F/xnli/gold.sw.txt --gold-format csv
expect_fail "gold-format on bucc2018" "applies to xnli/pawsx only" \
  "$XS" score --task bucc2018 --pred $F/bucc2018/pred.de.perfect.tsv --gold $F/bucc2018/gold.de.tsv --gold-format xnli-tsv
expect_fail "bad --format" "--format expects json or text, got 'yaml'" \
  "$XS" score --task xnli --pred $F/xnli/pred.sw.perfect.txt --gold $F/xnli/gold.sw.txt --format yaml
expect_fail "na-prob on v1.1" "--na-prob applies to squad2 only" \
  "$XS" score --task squad --pred $F/xquad/pred.de.perfect.json --gold $gold --na-prob $F/squad2/na.ties.json
printf '{"x": "1"}' >"$T/na.json"
expect_fail "na-prob not a number" "no-answer probability for x: expected a number" \
  "$XS" score --task squad2 --pred $F/squad2/pred.perfect.json --gold $F/squad2/gold.json --na-prob "$T/na.json"
printf '{"x": 0.5}' >"$T/na2.json"
expect_fail "na-prob lacks a gold id" "has no no-answer probability in the --na-prob file" \
  "$XS" score --task squad2 --pred $F/squad2/pred.perfect.json --gold $F/squad2/gold.json --na-prob "$T/na2.json"

# --help, --format text
"$XS" score --help | grep -q "usage: xstilts score" || { echo "FAIL --help"; fails=$((fails + 1)); }
"$XS" score --task pawsx --lang de --pred $F/pawsx/pred.de.perfect.txt --gold $F/pawsx/dev_2k.tsv --format text >"$T/o"
grep -q "^accuracy	100$" "$T/o" || { echo "FAIL --format text"; cat "$T/o"; fails=$((fails + 1)); }

# issue 12 items 3, 5: NaN is not a number; a full stdout is an error, not exit 0 with the output lost
expect_fail "na-prob-thresh nan" "--na-prob-thresh expects a finite number, found 'nan'" \
  "$XS" score --task squad2 --pred $F/squad2/pred.perfect.json --gold $F/squad2/gold.json --na-prob-thresh nan
rc=0
"$XS" score --task pawsx --lang de --pred $F/pawsx/pred.de.perfect.txt --gold $F/pawsx/dev_2k.tsv >/dev/full 2>"$T/err" || rc=$?
if [ $rc -eq 1 ] && grep -qF "<stdout>: write failed: No space left on device" "$T/err"; then echo "ok   stdout on /dev/full: $(cat "$T/err")"
else echo "FAIL stdout on /dev/full: exit $rc, $(cat "$T/err")"; fails=$((fails + 1)); fi

if [ $fails -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all score CLI checks passed"

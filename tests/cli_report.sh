#!/usr/bin/env bash
# cli_report.sh — `xstilts report` and `xstilts status` from the command line: a synthetic run folder
# (the generator of tests/test_report.c, `test_report --demo`) → every report file; report.html and every
# SVG well-formed XML, checked with a real parser (xmllint, Debian libxml2-utils), report.html as XHTML
# with no <script> and no external reference; usage and input errors exit 1 naming the file and field;
# status summarises a half-finished run. The numbers themselves are recomputed in tests/test_report.c.
set -eu
XS=${XS:-build/xstilts}
B=${B:-build}
GEN="$B/tests/test_report"
command -v xmllint >/dev/null 2>&1 || { echo "xmllint not installed (Debian libxml2-utils; make deps installs it)"; exit 77; }
[ -x "$GEN" ] || { echo "FAIL: $GEN not built (make $GEN)"; exit 1; }
T=$(mktemp -d /tmp/xstilts-test-report-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

expect_fail() { # what substring cmd...  → exit 1, substring on stderr, nothing on stdout
  local what=$1 sub=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" -ne 1 ]; then fail "$what: exit $rc, want 1"; cat "$T/err"; return; fi
  if ! grep -qF -- "$sub" "$T/err"; then fail "$what: stderr lacks '$sub':"; cat "$T/err"; return; fi
  [ -s "$T/out" ] && { fail "$what: printed to stdout on error"; return; }
  echo "ok   $what: $(head -c 200 "$T/err")"
}

"$GEN" --demo "$T/run"
"$XS" report "$T/run" 2>"$T/err" || { fail "report on the demo run"; cat "$T/err"; }
grep -q "126 cells" "$T/err" || fail "report: no cell count on stderr"
for f in results.json results.csv report.md report.html figures/heatmap-test.svg figures/heatmap-dev.svg \
         figures/curves-xnli.svg figures/curves-xquad.svg; do
  [ -s "$T/run/$f" ] || fail "missing $f"
done
[ -e "$T/run/figures/curves-tatoeba.svg" ] && fail "a curve for the retrieval target (it trains nothing)"

# well-formed XML, parsed for real
xmllint --noout "$T/run/report.html" || fail "report.html is not well-formed XML"
for s in "$T"/run/figures/*.svg; do xmllint --noout "$s" || fail "$(basename "$s") is not well-formed XML"; done
X="xmllint --xpath"
NS='declare namespace h="http://www.w3.org/1999/xhtml"; declare namespace s="http://www.w3.org/2000/svg";'
# XPath with namespaces: local-name() keeps it portable across xmllint versions
n_svg=$($X 'count(//*[local-name()="svg"])' "$T/run/report.html")
n_tab=$($X 'count(//*[local-name()="table"])' "$T/run/report.html")
n_script=$($X 'count(//*[local-name()="script"])' "$T/run/report.html")
root_ns=$($X 'namespace-uri(/*)' "$T/run/report.html")
echo "report.html: $n_svg svg, $n_tab tables, $n_script scripts, root namespace $root_ns"
[ "$root_ns" = "http://www.w3.org/1999/xhtml" ] || fail "report.html root is not XHTML"
[ "$n_svg" -eq 7 ] || fail "report.html: $n_svg inline SVGs, want 7 (2 heatmaps + 5 curve figures)"
[ "$n_tab" -ge 10 ] || fail "report.html: only $n_tab tables"
[ "$n_script" -eq 0 ] || fail "report.html has a script"
# self-contained: no http(s) reference except the XML namespaces
if grep -o 'https\?://[^"]*' "$T/run/report.html" | grep -v '^http://www.w3.org/' | grep -q .; then fail "report.html references the network"; fi
grep -q '<link\|<img\|@import\|src=' "$T/run/report.html" && fail "report.html loads something"
# heatmap: one labelled cell per (intermediate row, column): 6 rows x (6 targets + XTREME) on test
n_cells=$($X 'count(//*[local-name()="text"][@class="v"])' "$T/run/figures/heatmap-test.svg")
[ "$n_cells" -eq 42 ] || fail "heatmap-test.svg: $n_cells labelled cells, want 42"
echo "ok   report files well-formed"

# rebuilding is idempotent
cp "$T/run/results.csv" "$T/a.csv"
"$XS" report "$T/run" 2>/dev/null
cmp -s "$T/a.csv" "$T/run/results.csv" || fail "second report differs"

# usage and input errors
expect_fail "no run folder" "expected a run folder" "$XS" report
expect_fail "two run folders" "expected one run folder" "$XS" report "$T/run" "$T/run"
expect_fail "unknown option" "unknown option '--nope'" "$XS" report --nope "$T/run"
expect_fail "missing folder" "$T/none: expected a run folder" "$XS" report "$T/none"
mkdir -p "$T/empty/cells"
expect_fail "no cells" "no cell.json" "$XS" report "$T/empty"
c="$T/run/cells/mnli/xnli/seed-2/cell.json"
cp "$c" "$T/keep.json"
sed -i 's/"status": "done"/"status": "running"/' "$c"
rm -f "$T/run/report.html"
expect_fail "hand-edited cell" "cells/mnli/xnli/seed-2/cell.json: its content does not match its \"sha256\" seal" "$XS" report "$T/run"
"$GEN" --seal "$c"
expect_fail "cell not done" "cells/mnli/xnli/seed-2/cell.json: field \"status\": expected \"done\"" "$XS" report "$T/run"
[ -e "$T/run/report.html" ] && fail "report.html written despite the error"
printf '{\n  "format": "xstilts-cell",\n  "version": 1 2\n}\n' >"$c"
expect_fail "bad JSON" "cells/mnli/xnli/seed-2/cell.json:3: column" "$XS" report "$T/run"
cp "$T/keep.json" "$c"
printf '{"rows": [' >"$T/run/run.json"
expect_fail "truncated run.json" "run.json: truncated" "$XS" report "$T/run"
printf '{"rows": [\n' >"$T/run/run.json"
expect_fail "bad run.json" "run.json:2: column" "$XS" report "$T/run"
rm "$T/run/run.json"

# status: a half-done run
rm "$T/run/cells/squad/xquad/seed-3/cell.json"
mkdir -p "$T/run/cells/squad/xquad/seed-3/ckpt" "$T/run/phase1/squad/seed-3"
printf '{"rows": ["baseline", "mnli", "squad"], "targets": ["xquad", "udpos"], "seeds": [1, 2, 3, 4]}\n' >"$T/run/run.json"
"$GEN" --seal "$T/run/run.json"
printf '{"t": 1800000000, "event": "phase2", "cell": "squad/xquad/seed-3", "step": 250, "loss": 0.7}\n' >"$T/run/run.log"
"$XS" status "$T/run" >"$T/st" 2>"$T/err" || fail "status exit $?"
cat "$T/st"
grep -q "125 cell(s) done, 1 running or stopped, 6 left (of 24 planned in run.json)" "$T/st" || fail "status counts"
grep -q "squad/xquad/seed-3, last logged step 250 (2027-01-15 08:00:00 UTC)" "$T/st" || fail "status running cell"
grep -q "phase 1: squad/seed-3 in progress" "$T/st" || fail "status phase 1"
"$XS" status "$T/run" --json >"$T/st.json" || fail "status --json"
xmllint --version >/dev/null 2>&1
grep -q '"left": 6' "$T/st.json" || fail "status --json left"
expect_fail "status without folder" "expected a run folder" "$XS" status
expect_fail "status of a file" "expected a run folder" "$XS" status "$T/keep.json"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "cli_report: all ok"

#!/usr/bin/env bash
# cli_run_state.sh — crash safety of `xstilts run`'s folder (docs/RUN.md "Crash safety", docs/RELIABILITY.md §9) on a
# tiny study (a random-init tiny model, a baseline and a HellaSwag row, PAWS-X and Tatoeba targets, fixture slices:
# 1 phase-1 job, 4 cells). Asserts, each against the uninterrupted run's results.csv and cell.json files (wall_s and
# seal aside):
#  - a flipped byte in a finished cell.json and a truncated phase1.json: `report` refuses naming the file, `status`
#    lists it, `run` says so on stderr and in run.log, keeps the damaged files as *.corrupt, redoes the job and the
#    cell from their checkpoints and ends with the same results;
#  - a flipped byte in the phase-1 model (model.safetensors, checked against phase1.json's manifest) while a cell still
#    needs it: named, the job redone, same results;
#  - a damaged started.json (the folder's config unknown): refused naming it, nothing changed; --force redoes it;
#  - a damaged line of steps.tsv: refused naming file:line; a torn last line (a kill mid-write) is cut and the run
#    finishes with the same results;
#  - a damaged run.json: `report` refuses naming it; `run` warns and writes it again;
#  - a full disk: every file capped by RLIMIT_FSIZE below the model's size, and (as root) the run folder on a small
#    tmpfs in a private mount namespace, at sizes that run out in phase 1, in phase 2 and in phase 3: the run exits 1
#    naming the file and the reason, leaves no staging file, every cell finished before stays byte-identical; with
#    room again the same command finishes with the same results.
set -eu
XS=${XS:-build/xstilts}
case $XS in /*) ;; *) XS=$PWD/$XS ;; esac
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/xstilts-run-state-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
F=tests/fixtures/data

"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$T/model" --seed 3 >/dev/null 2>&1 \
  || fail "init"
D=$T/data
mkdir -p "$D"
cp $F/hellaswag/hellaswag_train.jsonl "$D/hellaswag.jsonl"
head -n 25 $F/pawsx/x-final/de/dev_2k.tsv > "$D/pawsx_train.tsv"
{ head -n 1 $F/pawsx/x-final/de/dev_2k.tsv; sed -n 26,37p $F/pawsx/x-final/de/dev_2k.tsv; } > "$D/pawsx_dev.tsv"
head -n 12 tests/fixtures/tatoeba/tatoeba.deu-eng.deu > "$D/tatoeba.deu-eng.deu"
head -n 12 tests/fixtures/tatoeba/tatoeba.deu-eng.eng > "$D/tatoeba.deu-eng.eng"
cat > "$T/study.json" <<EOF
{
  "title": "run state test",
  "model": "$T/model",
  "data": "$D",
  "intermediate_data": "$D",
  "seeds": [1],
  "hparams": {"max_len": 32, "batch": 4, "accum": 1, "lr": 1e-3, "eval_every": 2, "eval_examples": 12, "patience": 5,
              "max_steps": 4},
  "intermediate_hparams": {"max_steps": 3, "max_len": 48},
  "paths": {
    "hellaswag": {"train": "hellaswag.jsonl"},
    "pawsx": {"format": "pawsx", "train": "pawsx_train.tsv", "dev": "pawsx_dev.tsv", "eval_dev": {"de": "pawsx_dev.tsv"},
              "test": null},
    "tatoeba": {"test": {"de": ["tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng"]}}
  },
  "targets": [{"task": "pawsx", "langs": ["de"]}, {"task": "tatoeba", "langs": ["de"], "hparams": {"max_len": 32}}],
  "rows": [{"name": "baseline", "intermediate": []}, {"name": "hellaswag", "intermediate": ["hellaswag"]}]
}
EOF
S=$T/study.json
cells() { for f in $(cd "$1" && find cells -name cell.json | sort); do echo "== $f"; sed 's/"wall_s": [0-9.e+-]*/"wall_s": X/; s/"sha256": "[0-9a-f]*"/"sha256": X/' "$1/$f"; done; }
same_as_a() {  # same_as_a RUN WHAT: results.csv and every cell.json as the uninterrupted run's
  cmp -s "$T/a/results.csv" "$1/results.csv" || fail "$2: results.csv differs: $(diff "$T/a/results.csv" "$1/results.csv" | head -5)"
  cells "$1" > "$T/c.now"
  cmp -s "$T/ca" "$T/c.now" || fail "$2: cell.json files differ: $(diff "$T/ca" "$T/c.now" | head -10)"
}
run_ok() {  # run_ok RUN WHAT [args]: the study runs to the end
  local r=$1 w=$2; shift 2
  "$XS" run "$S" --out "$r" "$@" >/dev/null 2>"$T/err" || fail "$w: exit $?: $(tail -3 "$T/err")"
}
run_fails() {  # run_fails RUN WHAT SUBSTRING: exit 1, the substring on stderr
  local r=$1 w=$2 sub=$3 rc=0
  "$XS" run "$S" --out "$r" >/dev/null 2>"$T/err" || rc=$?
  [ $rc -eq 1 ] && grep -qF -- "$sub" "$T/err" || fail "$w: exit $rc, want 1 with '$sub': $(tail -3 "$T/err")"
}
flip() {  # flip FILE OFFSET: XOR 0x01 into one byte
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
mid() { echo $(( $(stat -c %s "$1") / 2 )); }
snap() { (cd "$1" && find . -type f ! -name run.log ! -name .lock ! -name '*.corrupt*' | sort | xargs sha256sum); }
no_tmp() { [ -z "$(find "$1" -name '*.tmp.*')" ] || fail "$2: staging files left: $(find "$1" -name '*.tmp.*' | head -3)"; }

# ---- the reference: uninterrupted ----
run_ok "$T/a" "uninterrupted"
[ "$(find "$T/a/cells" -name cell.json | wc -l)" -eq 4 ] || fail "4 cells expected"
cells "$T/a" > "$T/ca"
grep -q '"files": {' "$T/a/phase1/hellaswag/seed-1/phase1.json" && grep -q '"model.safetensors": {' "$T/a/phase1/hellaswag/seed-1/phase1.json" \
  || fail "phase1.json has no manifest of the model"
for f in run.json phase1/hellaswag/seed-1/phase1.json phase1/hellaswag/seed-1/started.json cells/baseline/pawsx/seed-1/cell.json \
         cells/baseline/pawsx/seed-1/started.json cells/baseline/pawsx/seed-1/model/curve.json; do
  grep -q '^  "sha256": "[0-9a-f]\{64\}"$' "$T/a/$f" || fail "$f is not sealed"
done
head -1 "$T/a/cells/baseline/pawsx/seed-1/steps.tsv" | grep -q $'^1\t[0-9]*\t[^\t]*\t[^\t]*\t[0-9a-f]\{16\}$' || fail "steps.tsv lines carry no checksum"
echo "ok: uninterrupted run; every state file sealed"

# ---- a damaged cell.json and phase1.json: named, set aside, redone, same results ----
cp -a "$T/a" "$T/b"
C=$T/b/cells/hellaswag/pawsx/seed-1/cell.json
flip "$C" "$(mid "$C")"
P=$T/b/phase1/hellaswag/seed-1/phase1.json
truncate -s $(( $(stat -c %s "$P") / 2 )) "$P"
rc=0; "$XS" report "$T/b" >/dev/null 2>"$T/err" || rc=$?
[ $rc -eq 1 ] && grep -qF "$C:" "$T/err" && grep -q "corrupt" "$T/err" || fail "report on a damaged cell: $rc $(cat "$T/err")"
"$XS" status "$T/b" >"$T/st" 2>&1 || fail "status"
grep -qF "problem: $C" "$T/st" && grep -qF "problem: $P: truncated" "$T/st" || fail "status lists no problem: $(cat "$T/st")"
run_ok "$T/b" "damaged cell.json + phase1.json"
grep -qF "WARNING: $C" "$T/err" && grep -qF "WARNING: $P: truncated" "$T/err" || fail "no warning naming the files: $(cat "$T/err")"
[ "$(grep -c '"event":"state_corrupt"' "$T/b/run.log")" -eq 2 ] || fail "run.log: no state_corrupt events"
[ -f "$C.corrupt" ] && [ -f "$P.corrupt" ] || fail "the damaged files were not kept"
grep -q "done: 1 phase-1 job(s) and 1 cell(s) run" "$T/err" || fail "redid more than the damaged: $(grep done: "$T/err")"
same_as_a "$T/b" "after a damaged cell.json and phase1.json"
rm -rf "$T/b"
echo "ok: damaged cell.json and phase1.json: refused by report, listed by status, kept as .corrupt, redone, same results"

# ---- a damaged phase-1 model while a cell needs it ----
cp -a "$T/a" "$T/m"
rm "$T/m/cells/hellaswag/tatoeba/seed-1/cell.json"
M=$T/m/phase1/hellaswag/seed-1/model.safetensors
flip "$M" $(( $(stat -c %s "$M") - 100 ))
run_ok "$T/m" "damaged phase-1 model"
grep -qF "WARNING: $M: sha256" "$T/err" || fail "no warning naming model.safetensors: $(cat "$T/err")"
grep -q "done: 1 phase-1 job(s) and 1 cell(s) run" "$T/err" || fail "damaged model: $(grep done: "$T/err")"
same_as_a "$T/m" "after a damaged phase-1 model"
rm -rf "$T/m"
echo "ok: a damaged phase-1 model is found before a cell uses it; the job is redone; same results"

# ---- a damaged started.json: the folder's config is unknown: refused, then --force ----
cp -a "$T/a" "$T/s"
rm "$T/s/cells/baseline/pawsx/seed-1/cell.json"
ST=$T/s/cells/baseline/pawsx/seed-1/started.json
flip "$ST" 20
snap "$T/s" > "$T/s1"
run_fails "$T/s" "damaged started.json" "have damaged state files"
grep -qF "$ST:" "$T/err" && grep -q -- "--force" "$T/err" || fail "started.json not named: $(cat "$T/err")"
snap "$T/s" > "$T/s2"
cmp -s "$T/s1" "$T/s2" || fail "a refused run changed files"
run_ok "$T/s" "--force over a damaged started.json" --force
same_as_a "$T/s" "after --force"
rm -rf "$T/s"
echo "ok: a damaged started.json is refused naming it (nothing changed); --force redoes the cell; same results"

# ---- steps.tsv: a damaged line is refused; a torn last line is cut ----
cp -a "$T/a" "$T/t"
rm "$T/t/cells/baseline/pawsx/seed-1/cell.json"
L=$T/t/cells/baseline/pawsx/seed-1/steps.tsv
cp "$L" "$T/steps.keep"
flip "$L" $(( $(head -1 "$L" | wc -c) + 2 ))
run_fails "$T/t" "damaged steps.tsv" "$L:2: damaged record"
cp "$T/steps.keep" "$L"
printf '3\t41' >> "$L"
run_ok "$T/t" "torn steps.tsv"
same_as_a "$T/t" "after a torn steps.tsv"
rm -rf "$T/t"
echo "ok: steps.tsv: a damaged line refused naming file:line; a torn last line cut; same results"

# ---- run.json ----
cp -a "$T/a" "$T/r"
flip "$T/r/run.json" 30
rc=0; "$XS" report "$T/r" >/dev/null 2>"$T/err" || rc=$?
[ $rc -eq 1 ] && grep -qF "$T/r/run.json" "$T/err" || fail "report on a damaged run.json: $rc $(cat "$T/err")"
run_ok "$T/r" "damaged run.json"
grep -qF "warning: $T/r/run.json" "$T/err" && grep -q "written again" "$T/err" || fail "run.json warning: $(cat "$T/err")"
"$XS" report "$T/r" >/dev/null 2>&1 || fail "report after run.json was written again"
rm -rf "$T/r"
echo "ok: a damaged run.json: refused by report, written again by run"

# ---- a full disk (RLIMIT_FSIZE): below the model's size, with the baseline done ----
msize=$(stat -c %s "$T/a/phase1/hellaswag/seed-1/model.safetensors")
cp -a "$T/a" "$T/f"
rm -r "$T/f/cells/hellaswag" "$T/f/phase1" "$T/f/results.csv"
snap "$T/f/cells" > "$T/f1"
rc=0; (trap '' XFSZ; ulimit -f $(( msize / 2048 )); exec "$XS" run "$S" --out "$T/f") >/dev/null 2>"$T/err" || rc=$?
[ $rc -eq 1 ] && grep -q "File too large" "$T/err" || fail "RLIMIT_FSIZE: exit $rc: $(tail -3 "$T/err")"
grep -q '"event":"run_failed"' "$T/f/run.log" || fail "run.log: no run_failed"
echo "   $(grep -m1 'File too large' "$T/err")"
no_tmp "$T/f" "RLIMIT_FSIZE"
snap "$T/f/cells" | grep -v '/hellaswag/' > "$T/f2"
cmp -s "$T/f1" "$T/f2" || fail "RLIMIT_FSIZE: finished cells changed: $(diff "$T/f1" "$T/f2" | head -5)"
run_ok "$T/f" "after RLIMIT_FSIZE"
same_as_a "$T/f" "after RLIMIT_FSIZE"
rm -rf "$T/f"
echo "ok: RLIMIT_FSIZE below the model's size: exit 1 naming the file, no staging file, finished cells intact; rerun: same results"

# ---- a full disk (tmpfs in a private mount namespace; root only): out of space in each phase ----
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! unshare -m --propagation private true 2>/dev/null; then
  echo "skip: tmpfs full-disk trials need root and unshare (RLIMIT_FSIZE above still ran)"
  exit 0
fi
p1=$(du -sk "$T/a/phase1" | cut -f1)
tot=$(du -sk --exclude=run.log "$T/a" | cut -f1)
trials=0
# sizes in KiB from phase 1 to just short of the whole folder (its peak may stay under du's figure: a size where the
# study fits is said and not counted; at least 3 must run out of room)
fit=0
for kb in $(( p1 / 3 )) $(( p1 + (tot - p1) / 4 )) $(( p1 + (tot - p1) / 2 )) $(( p1 + 3 * (tot - p1) / 4 )) $(( tot - 4096 )); do
  W=$T/fs$kb
  mkdir -p "$W"
  rc=0
  unshare -m --propagation private bash -c '
    set -eu
    W=$1; XS=$2; S=$3; kb=$4
    mount -t tmpfs -o size=${kb}k tmpfs "$W"
    rc=0; "$XS" run "$S" --out "$W/run" >/dev/null 2>"$W.err1" || rc=$?
    echo $rc > "$W.rc1"
    (cd "$W/run" && find . -name "*.tmp.*") > "$W.tmp" || true
    (cd "$W/run" && find cells -name cell.json 2>/dev/null | sort | xargs -r sha256sum) > "$W.cells1" || true
    mount -o remount,size=$5k "$W"
    "$XS" run "$S" --out "$W/run" >/dev/null 2>"$W.err2"
    (cd "$W/run" && find cells -name cell.json | sort | xargs -r sha256sum) > "$W.cells2"
    cp -a "$W/run" "$W.run"
  ' _ "$W" "$XS" "$S" "$kb" $((tot * 4)) || rc=$?
  [ $rc -eq 0 ] || fail "tmpfs ${kb}k: the rerun with room failed: $(tail -3 "$W.err2" 2>/dev/null)"
  if [ "$(cat "$W.rc1")" = 0 ]; then echo "   tmpfs ${kb} KiB: the study fits"; fit=$((fit + 1)); rm -rf "$W.run"; continue; fi
  [ "$(cat "$W.rc1")" = 1 ] || fail "tmpfs ${kb}k: the run on a full disk exited $(cat "$W.rc1"): $(tail -3 "$W.err1")"
  grep -q "No space left on device" "$W.err1" || fail "tmpfs ${kb}k: no 'No space left on device': $(tail -3 "$W.err1")"
  [ ! -s "$W.tmp" ] || fail "tmpfs ${kb}k: staging files left: $(head -3 "$W.tmp")"
  # every cell finished before the disk filled is unchanged by the rerun
  while read -r h f; do grep -qF "$h  $f" "$W.cells2" || fail "tmpfs ${kb}k: $f changed after the rerun"; done < "$W.cells1"
  same_as_a "$W.run" "tmpfs ${kb}k"
  echo "   tmpfs ${kb} KiB: $(wc -l < "$W.cells1") cell(s) done before: $(grep -m1 'No space left' "$W.err1" | cut -c1-160)"
  trials=$((trials + 1))
  rm -rf "$W.run"
done
[ $trials -ge 3 ] || fail "only $trials tmpfs sizes ran out of room ($fit fit)"
echo "ok: full tmpfs in $trials places: exit 1 naming the file, no staging file, finished cells intact; with room: same results"

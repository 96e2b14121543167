#!/usr/bin/env bash
# cli_conventions.sh — the conventions every command follows (issue 12 items 8, 9): `xstilts help CMD`
# prints what `xstilts CMD --help` prints; --version; a usage error exits 1 with one line
# "xstilts CMD: what (see xstilts CMD --help)" and no usage text; bad input exits 1 with "xstilts CMD: ";
# --opt=value is --opt value; a missing output folder is named, not the temporary file.
set -eu
XS=${XS:-build/xstilts}
T=$(mktemp -d /tmp/xstilts-cli-conv-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
checks=0
ok() { checks=$((checks + 1)); }

CMDS="tokenize convert init encode score retrieve aggregate predict"
for c in $CMDS; do
  "$XS" "$c" --help >"$T/a" || fail "$c --help exits non-zero"
  "$XS" help "$c" >"$T/b" || fail "help $c exits non-zero"
  cmp -s "$T/a" "$T/b" || fail "xstilts help $c differs from xstilts $c --help"
  grep -q "^usage: xstilts $c" "$T/a" || fail "$c --help has no usage line"
  ok
  # a usage error: exit 1, one line, the command named, a pointer to --help, no usage dump
  set +e; "$XS" "$c" --no-such-option >"$T/out" 2>"$T/err"; rc=$?; set -e
  [ $rc -eq 1 ] || fail "$c --no-such-option: exit $rc, want 1"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$c: usage error is not one line: $(cat "$T/err")"
  grep -qx "xstilts $c: unknown option '--no-such-option' (see xstilts $c --help)" "$T/err" || fail "$c: $(cat "$T/err")"
  [ ! -s "$T/out" ] || fail "$c: printed to stdout on a usage error"
  ok
  # missing required options: the same form
  set +e; "$XS" "$c" </dev/null >"$T/out" 2>"$T/err"; rc=$?; set -e
  [ $rc -eq 1 ] || fail "$c without options: exit $rc, want 1"
  grep -q "^xstilts $c: .*(see xstilts $c --help)$" "$T/err" || fail "$c without options: $(cat "$T/err")"
  grep -q "usage:" "$T/err" && fail "$c: usage text printed on an error"
  ok
done

"$XS" --version | grep -Eq '^xstilts [0-9]+\.[0-9]+' || fail "--version"
"$XS" help | grep -q "^usage: xstilts COMMAND" || fail "help"
ok
set +e; "$XS" frobnicate 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^xstilts: unknown command 'frobnicate' (see xstilts --help)" "$T/err" || fail "unknown command: $rc $(cat "$T/err")"
set +e; "$XS" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] || fail "no command: exit $rc"
set +e; "$XS" help frobnicate 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "unknown command 'frobnicate'" "$T/err" || fail "help frobnicate: $rc $(cat "$T/err")"
ok

# bad input (not usage): exit 1, "xstilts CMD: file: what"
set +e; "$XS" aggregate --in "$T/nope.json" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts aggregate: $T/nope.json: cannot open: No such file or directory" "$T/err" || fail "aggregate missing file: $(cat "$T/err")"
set +e; "$XS" retrieve --src "$T" --tgt "$T" --mode knn --out "$T/o" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "xstilts retrieve: $T: is a directory; expected a file" "$T/err" || fail "retrieve folder: $(cat "$T/err")"
set +e; "$XS" init --arch bert --size tiny --tokenizer tests/fixtures/tok/bert-uncased-vocab.txt --out "$T/no/such/dir" 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "xstilts init: $T/no/such/dir: cannot create the folder: its parent folder does not exist" "$T/err" || fail "init missing parent: $(cat "$T/err")"
grep -q "tmp\." "$T/err" && fail "the error names the temporary folder: $(cat "$T/err")"
ok

# --opt=value: the same as --opt value; a flag given a value is an error
"$XS" score --task=tatoeba --pred=/dev/null --gold=/dev/null >"$T/a" 2>&1 || true
"$XS" score --task tatoeba --pred /dev/null --gold /dev/null >"$T/b" 2>&1 || true
cmp -s "$T/a" "$T/b" || fail "--opt=value differs: $(cat "$T/a") vs $(cat "$T/b")"
set +e; "$XS" encode --normalize=yes 2>"$T/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "unknown option '--normalize=yes'" "$T/err" || fail "--flag=value: $(cat "$T/err")"
ok
echo "cli_conventions: $checks groups of checks passed"

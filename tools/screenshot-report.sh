#!/usr/bin/env bash
# screenshot-report.sh — renders a run's report.html to a PNG with headless Chromium (Debian's
# `chromium`, installed here with apt-get when missing: a tools/ helper, not a test dependency).
#   tools/screenshot-report.sh RUN/report.html OUT.png [WIDTH] [HEIGHT]
#   tools/screenshot-report.sh --demo OUT.png [WIDTH] [HEIGHT]
# --demo builds a synthetic run folder with the test generator (build/tests/test_report --demo; numbers
# are made-up test data), runs `xstilts report` on it and renders that. B= picks the build folder
# (default build). The page needs no network and no scripts; Chromium runs with both off.
set -eu
B=${B:-build}
if [ $# -lt 2 ]; then
  echo "usage: $0 RUN/report.html|--demo OUT.png [WIDTH] [HEIGHT]" >&2
  exit 1
fi
IN=$1 OUT=$2 W=${3:-1280} H=${4:-1700}
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "screenshot-report: installing Debian's chromium" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  CHROME=$(command -v chromium)
fi
TMP=$(mktemp -d /tmp/xstilts-screenshot-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if [ "$IN" = "--demo" ]; then
  make -s "$B/xstilts" "$B/tests/test_report"
  "$B/tests/test_report" --demo "$TMP/run"
  "$B/xstilts" report "$TMP/run"
  IN="$TMP/run/report.html"
fi
[ -f "$IN" ] || { echo "screenshot-report: no such file: $IN" >&2; exit 1; }
case "$IN" in /*) URL="file://$IN" ;; *) URL="file://$PWD/$IN" ;; esac
case "$OUT" in /*) PNG="$OUT" ;; *) PNG="$PWD/$OUT" ;; esac
"$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-javascript \
  --no-first-run --user-data-dir="$TMP/profile" --force-device-scale-factor=1 \
  --window-size="$W,$H" --screenshot="$PNG" "$URL" >"$TMP/log" 2>&1 \
  || { cat "$TMP/log" >&2; exit 1; }
[ -s "$PNG" ] || { cat "$TMP/log" >&2; echo "screenshot-report: no PNG written" >&2; exit 1; }
echo "screenshot-report: $PNG (${W}x${H})" >&2

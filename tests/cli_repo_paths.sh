#!/usr/bin/env bash
# cli_repo_paths.sh — no absolute path of a particular machine in the repository (issue 12 item 10):
# sources, tests, tools, bench, docs and fixtures' text files name folders relative to the repository,
# or take them as arguments / environment variables (XSTILTS_DATA: the real-data folder, default data/).
set -eu
cd "$(dirname "$0")/.."
# the patterns are assembled so that this file does not match itself
pat="/(wo""rk|ho""me|ro""ot|mn""t|Us""ers)/[A-Za-z0-9._+-]"
# the repository's own files (git's list when there is one, else the tree without build outputs)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files() { git ls-files -z --cached --others --exclude-standard; }
else
  files() { find . \( -name .git -o -name build -o -name .venv -o -name __pycache__ \) -prune -o -type f -print0; }
fi
hits=$(files | xargs -0 grep -InE "$pat" 2>/dev/null || true)
if [ -n "$hits" ]; then
  echo "FAIL: absolute machine paths in the repository (take them as arguments or \$XSTILTS_DATA):"
  echo "$hits" | head -40
  exit 1
fi
n=$(files | xargs -0 grep -IlE . 2>/dev/null | wc -l)
echo "cli_repo_paths: $n text files, no machine-specific absolute path"

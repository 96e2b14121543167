#!/usr/bin/env bash
# Creates tools/.venv with the Python references the fixture generators use (PyPI). Never needed to
# build or test xstilts: the fixtures they write are committed.
set -eu
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt

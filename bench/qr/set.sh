#!/usr/bin/env bash
# Makes the damaged-image set (once) in WORK_DIR/set, with the Python it needs in WORK_DIR/venv.
#
#   bench/qr/set.sh [WORK_DIR]      (default target/qrbench)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-target/qrbench}
mkdir -p "$work"
if ! "$work/venv/bin/python" -c 'import zxingcpp, segno, cv2, numpy' >/dev/null 2>&1; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q zxing-cpp segno opencv-python-headless numpy
fi
[ -f "$work/set/manifest.csv" ] || "$work/venv/bin/python" bench/qr/make_set.py "$work/set"

#!/usr/bin/env bash
# The real-photo table of the README: venuecode's scanner, zxing-cpp and zbar on the BoofCV set
# (536 phone photos, 1,232 labelled codes), scored by the labelled corners, per folder, with each
# decoder's seconds (image loading included, one core). Needs the set: ../shared/datasets/
# qr-photos-boofcv or $QR_PHOTOS. Not part of CI (minutes).
#
#   bench/qr/real.sh [WORK_DIR]      (default target/qrbench)
set -euo pipefail
cd "$(dirname "$0")/../.."
set_dir=${QR_PHOTOS:-../shared/datasets/qr-photos-boofcv}
[ -f "$set_dir/manifest.json" ] || { echo "no photo set at $set_dir (set QR_PHOTOS)" >&2; exit 2; }
work=${1:-target/qrbench}
mkdir -p "$work/real"
py="$work/venv/bin/python"
if ! "$py" -c 'import zxingcpp, cv2, pyzbar' >/dev/null 2>&1; then
  [ -x "$py" ] || python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q zxing-cpp opencv-python-headless numpy pyzbar
fi
dpkg -s libzbar0 >/dev/null 2>&1 || { sudo -n true 2>/dev/null && s=sudo || s=; $s apt-get install -y -q libzbar0 >/dev/null; }
cargo build --quiet --release --locked -p venuecode-examples --example scan_real
target/release/examples/scan_real "$set_dir" "$work/real/venuecode.json"
"$py" bench/qr/real_peers.py "$set_dir" "$work/real"
"$py" bench/qr/real_score.py "$set_dir" "$work/real/venuecode.json" "$work/real/zxing.json" $( [ -f "$work/real/zbar.json" ] && echo "$work/real/zbar.json" )

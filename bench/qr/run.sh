#!/usr/bin/env bash
# Reproduces the README's QR scanner table: makes the damaged-image set, runs venuecode's
# scanner, plain rqrr 0.11.0 and zxing-cpp on it (image loading included for all), and prints
# the table. About two minutes on a 2-core machine, most of it the first pip install.
#
#   bench/qr/run.sh [WORK_DIR]      (default target/qrbench)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-target/qrbench}
mkdir -p "$work/results"
bench/qr/set.sh "$work"
py="$work/venv/bin/python"
cargo build --quiet --release --locked -p venuecode-examples --example scan_set
target/release/examples/scan_set "$work/set" "$work/results"
"$py" bench/qr/zxing_run.py "$work/set" "$work/results/zxing.json"
"$py" bench/qr/compare.py "$work/set" "$work/results"

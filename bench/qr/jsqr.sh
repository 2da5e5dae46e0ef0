#!/usr/bin/env bash
# The WASM scanner against jsQR on the damaged-image set, in Node (needs the package built by
# scripts/wasm). Prints the table; fails if the WASM scanner decodes fewer images than jsQR.
#
#   bench/qr/jsqr.sh [WORK_DIR]      (default target/qrbench)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-target/qrbench}
bench/qr/set.sh "$work"
node bench/qr/jsqr.mjs "$work/set"

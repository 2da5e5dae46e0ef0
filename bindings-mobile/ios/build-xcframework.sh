#!/usr/bin/env bash
# Builds VenueCodeFFI.xcframework for Package.swift beside this script: the Rust library as a
# static library for iOS devices, the iOS simulator (Apple silicon and Intel, joined with lipo)
# and macOS, with the generated C header and module map (Sources/VenueCode links to the generated
# Swift). Needs macOS with Xcode and rustup (it adds the targets it needs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
generated=$root/bindings-mobile/generated/swift
lib=libvenuecode_mobile.a
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin)

rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  (cd "$root" && cargo build --release --locked -p venuecode-mobile --target "$t")
done

work=$(mktemp -d)
headers=$work/headers
mkdir -p "$headers" "$work/sim"
cp "$generated/VenueCodeFFI.h" "$headers/"
# The name Xcode looks for in a framework's headers.
cp "$generated/VenueCodeFFI.modulemap" "$headers/module.modulemap"
lipo -create "$root/target/aarch64-apple-ios-sim/release/$lib" "$root/target/x86_64-apple-ios/release/$lib" \
  -output "$work/sim/$lib"

rm -rf "$here/VenueCodeFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$root/target/aarch64-apple-ios/release/$lib" -headers "$headers" \
  -library "$work/sim/$lib" -headers "$headers" \
  -library "$root/target/aarch64-apple-darwin/release/$lib" -headers "$headers" \
  -output "$here/VenueCodeFFI.xcframework"
echo "built $here/VenueCodeFFI.xcframework"

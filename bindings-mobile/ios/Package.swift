// swift-tools-version:5.9
// VenueCode for iOS (and macOS): the uniffi-generated Swift over the Rust library, shipped as an
// XCFramework. Build the framework first with ./build-xcframework.sh (on macOS with Xcode), then
// add this folder as a local package.
import PackageDescription

let package = Package(
    name: "VenueCode",
    platforms: [.iOS(.v13), .macOS(.v11)],
    products: [
        .library(name: "VenueCode", targets: ["VenueCode"]),
    ],
    targets: [
        // The C interface (header and module map VenueCodeFFI) and the static libraries.
        .binaryTarget(name: "VenueCodeFFI", path: "VenueCodeFFI.xcframework"),
        // The generated Swift (a link to ../generated/swift/VenueCode.swift).
        .target(name: "VenueCode", dependencies: ["VenueCodeFFI"], path: "Sources/VenueCode"),
    ]
)

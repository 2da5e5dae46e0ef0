// The venuecode Android library (an AAR): the generated Kotlin (../generated/kotlin) and the
// Rust library built for each ABI by cargo-ndk. Build: ./gradlew assembleRelease (needs the
// Android SDK with NDK r28 or later, rustup's Android targets and `cargo install cargo-ndk`).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "venuecode"

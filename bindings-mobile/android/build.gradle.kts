plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

// The ABIs shipped: phones (arm64-v8a, armeabi-v7a) and emulators (x86_64).
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
val rustLibs = layout.buildDirectory.dir("rustJniLibs")
val workspace = rootDir.resolve("../..")

android {
    namespace = "org.venuecode"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        // Keeps JNA and the generated bindings whole in apps that minify with R8.
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += abis }
    }
    sourceSets["main"].java.srcDirs(workspace.resolve("bindings-mobile/generated/kotlin"))
    sourceSets["main"].jniLibs.srcDirs(rustLibs)
    packaging {
        // Stored uncompressed and page-aligned in the APK, so that 16 KB-page devices map them.
        jniLibs.useLegacyPackaging = false
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    // 5.17.0: jnidispatch loads and calls on 16 KB-page devices (5.16.0 loaded, 5.17.0 fixed the
    // calls); Google Play requires 16 KB support for apps targeting Android 15 and later.
    api("net.java.dev.jna:jna:5.17.0@aar")
}

// libvenuecode_mobile.so for each ABI, linked for 16 KB pages (.cargo/config.toml; NDK r28 and
// later align so by default too).
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = workspace
    val targets = abis.flatMap { listOf("-t", it) }
    commandLine(listOf("cargo", "ndk") + targets +
        listOf("-o", rustLibs.get().asFile.path, "build", "--release", "--locked", "-p", "venuecode-mobile"))
}
tasks.named("preBuild") { dependsOn(cargoNdk) }

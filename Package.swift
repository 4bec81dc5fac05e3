// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "verifyd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "verifyctl", targets: ["verifyctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C libraries, through pkg-config. Only constants live in the shims.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Pure logic: manifests, sampling, checking, verdicts. No I/O.
        .target(
            name: "VerifyCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Safe Swift over libarchive and zlib. No C type leaves this module.
        .target(
            name: "ArchiveReading",
            dependencies: ["CArchive", "CZlib", "VerifyCore"]
        ),
        // verifyctl's commands, one file each.
        .target(
            name: "VerifyCLI",
            dependencies: [
                "VerifyCore", "ArchiveReading",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "verifyctl", dependencies: ["VerifyCLI"]),

        .target(
            name: "VerifyTestSupport",
            dependencies: ["VerifyCore"],
            path: "Tests/VerifyTestSupport"
        ),
        .testTarget(name: "VerifyCoreTests", dependencies: ["VerifyCore", "VerifyTestSupport"]),
        .testTarget(name: "ArchiveReadingTests", dependencies: ["ArchiveReading", "VerifyCore", "VerifyTestSupport"]),
        .testTarget(name: "VerifyCLITests", dependencies: ["VerifyCLI", "VerifyCore", "VerifyTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "verifyd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "verifyctl", targets: ["verifyctl"]),
        .executable(name: "verifyd", targets: ["verifyd"]),
        .executable(name: "verifyd-hooks", targets: ["verifyd-hooks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
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
        .systemLibrary(
            name: "CIsal",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // liblzma, for zip members compressed with LZMA (method 14) that libarchive cannot read.
        .systemLibrary(
            name: "CLzma",
            pkgConfig: "liblzma",
            providers: [.apt(["liblzma-dev"])]
        ),
        // Pure logic: manifests, sampling, checking, verdicts. No I/O.
        .target(
            name: "VerifyCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Safe Swift over libarchive and zlib. No C type leaves this module.
        .target(
            name: "ArchiveReading",
            dependencies: [
                "CArchive", "CZlib", "CIsal", "CZstd", "CLzma", "VerifyCore", "ProcessSpawning",
                // age: X25519, ChaCha20-Poly1305, HKDF, HMAC (Crypto) and scrypt (_CryptoExtras).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // verifyctl's commands, one file each.
        .target(
            name: "VerifyCLI",
            dependencies: [
                "VerifyCore", "ArchiveReading", "VerifyClient", "VerifyProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "verifyctl", dependencies: ["VerifyCLI"]),
        // Run history in SQLite (GRDB): runs, failures, migrations.
        .target(
            name: "VerifyStore",
            dependencies: ["VerifyCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The wire contract of the control socket: JSON lines, shared by daemon and clients.
        .target(name: "VerifyProtocol", dependencies: ["VerifyCore"]),
        // The control-socket client used by verifyctl.
        .target(name: "VerifyClient", dependencies: ["VerifyProtocol"]),
        // Linux calls that need _GNU_SOURCE (accept4, pipe2, SO_PEERCRED, prctl).
        .target(name: "CDaemonSupport"),
        // The one spawner (ChildProcess: workers, hooks, gpg), errno text. No Foundation, so that
        // the engine (ArchiveReading, for gpg) and VerifySystem can both build on it.
        .target(name: "ProcessSpawning", dependencies: ["CDaemonSupport"]),
        // What verifyd and verifyd-hooks share, without libarchive or GRDB: the configuration
        // and its loader, logging to the journal, the version; it re-exports ProcessSpawning.
        .target(
            name: "VerifySystem",
            dependencies: [
                "VerifyCore", "VerifyProtocol", "ProcessSpawning",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The daemon: configuration, scanning, scheduling, workers, control socket, systemd.
        .target(
            name: "VerifyDaemon",
            dependencies: [
                "VerifyCore", "ArchiveReading", "VerifyStore", "VerifyProtocol", "VerifySystem", "CDaemonSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The hook runner: follows the alert log, runs hook scripts with flood control. It links
        // neither libarchive, GRDB nor the daemon (VerifySystem has what it shares with verifyd).
        .target(
            name: "VerifyHooks",
            dependencies: [
                "VerifySystem", "VerifyClient", "VerifyProtocol", "CDaemonSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "verifyd-hooks", dependencies: ["VerifyHooks"]),
        // verifyd is also verifyctl and verifyd-hooks when run under those names: the package
        // installs this one binary and links the other two names to it (each static Swift binary
        // carries its own copy of Foundation's ICU data, docs/install.md). The separate
        // verifyctl and verifyd-hooks stay for the tests and `make demo`.
        .executableTarget(
            name: "verifyd",
            dependencies: [
                "VerifyDaemon", "VerifyCLI", "VerifyHooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(
            name: "VerifyTestSupport",
            dependencies: ["VerifyCore", "VerifySystem"],
            path: "Tests/VerifyTestSupport"
        ),
        .testTarget(name: "VerifyCoreTests", dependencies: ["VerifyCore", "VerifyTestSupport"]),
        .testTarget(name: "ArchiveReadingTests", dependencies: ["ArchiveReading", "VerifyCore", "VerifyTestSupport"]),
        .testTarget(name: "VerifyCLITests", dependencies: ["VerifyCLI", "VerifyCore", "VerifyTestSupport"]),
        .testTarget(name: "VerifyStoreTests", dependencies: ["VerifyStore", "VerifyCore", "VerifyTestSupport"]),
        .testTarget(name: "VerifyProtocolTests", dependencies: ["VerifyProtocol", "VerifyCore"]),
        .testTarget(
            name: "VerifyHooksTests",
            dependencies: [
                "VerifyHooks", "VerifyProtocol", "VerifyClient", "VerifySystem", "VerifyTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "VerifyDaemonTests", dependencies: ["VerifyDaemon", "VerifyProtocol", "VerifyClient", "VerifyCore", "VerifyStore", "VerifySystem", "VerifyTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

import Foundation

/// Debian's `chromium`, headless, in a network namespace of its own (`unshare -n`: no network
/// at all, so a page that needs one shows it, and no traffic can leave the machine). Each call
/// is bounded: the browser runs in its own process group (setsid), killed whole on time-out,
/// because a child started by the tests cannot be ended by SIGTERM (it is inherited blocked).
public enum HeadlessChromium {
    public static var isInstalled: Bool { Tool.exists("chromium") && Tool.exists("unshare") && Tool.exists("setsid") }

    /// The DOM after load (`--dump-dom`), with file URLs allowed to read each other (for a page
    /// that measures another in an iframe).
    public static func dumpDOM(_ file: String, width: Int = 1280, height: Int = 900, profile: String, seconds: Double = 90) throws -> String {
        try run(["--allow-file-access-from-files", "--window-size=\(width),\(height)", "--dump-dom", URL(fileURLWithPath: file).absoluteString],
                profile: profile, seconds: seconds)
    }

    /// A PNG screenshot of `file` at `width` × `height`.
    public static func screenshot(_ file: String, to png: String, width: Int, height: Int, profile: String, seconds: Double = 90) throws {
        _ = try run(["--window-size=\(width),\(height)", "--hide-scrollbars", "--screenshot=\(png)", URL(fileURLWithPath: file).absoluteString],
                    profile: profile, seconds: seconds)
        guard FileManager.default.fileExists(atPath: png) else { throw ToolError(description: "chromium wrote no screenshot \(png)") }
    }

    /// Width and height from a PNG's header.
    public static func pngSize(_ png: String) -> (width: Int, height: Int)? {
        guard let data = FileManager.default.contents(atPath: png), data.count >= 24, data.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]) else { return nil }
        let bytes = [UInt8](data.prefix(24))
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    static func run(_ arguments: [String], profile: String, seconds: Double) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["setsid", "unshare", "-n", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
                             "--user-data-dir=\(profile)"] + arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let ended = waitUntil(seconds: seconds, every: 0.2) { !process.isRunning }
        if !ended { kill(-process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // Helpers (zygote, renderer) left behind by the browser go with its group.
        kill(-process.processIdentifier, SIGKILL)
        try handle.close()
        guard ended else { throw ToolError(description: "chromium did not finish within \(Int(seconds)) s: killed") }
        return String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self)
    }
}

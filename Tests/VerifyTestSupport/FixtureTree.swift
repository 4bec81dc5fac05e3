import Foundation
import VerifyCore

/// A tree of files made from a seed: content is reproducible, and the same tree is archived by
/// every tool under test.
public struct FixtureTree {
    public let root: String
    /// Relative names of the regular files, with their content.
    public private(set) var files: [String: [UInt8]] = [:]

    public init(root: String) {
        self.root = root
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// Deterministic bytes: text-like when `compressible`, otherwise noise.
    public static func content(size: Int, seed: UInt64, compressible: Bool = true) -> [UInt8] {
        var state = seed &+ 0x9e37_79b9_7f4a_7c15
        var out = [UInt8]()
        out.reserveCapacity(size)
        let words = ["backup", "verify", "archive", "entry", "manifest", "the", "of", "data", "\n", "disk"].map { Array($0.utf8) }
        while out.count < size {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            if compressible {
                out += words[Int(state >> 60) % words.count]
                out.append(0x20)
            } else {
                withUnsafeBytes(of: state) { out += $0 }
            }
        }
        return Array(out.prefix(size))
    }

    /// Writes a file (folders made as needed).
    public mutating func add(_ name: String, _ content: [UInt8]) throws {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(content)) else {
            throw ToolError(description: "cannot write \(path)")
        }
        files[name] = content
    }

    public mutating func add(_ name: String, size: Int, seed: UInt64, compressible: Bool = true) throws {
        try add(name, FixtureTree.content(size: size, seed: seed, compressible: compressible))
    }

    public func symlink(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
    }

    public mutating func hardlink(_ name: String, to existing: String) throws {
        try FileManager.default.linkItem(atPath: root + "/" + existing, toPath: root + "/" + name)
        files[name] = files[existing]
    }

    /// A sha256sum manifest of the files, as verifyd's writer makes it.
    public func sha256Manifest() -> [UInt8] {
        let entries = files.map { name, content in
            var hasher = ContentHasher(algorithms: [.sha256])
            content.withUnsafeBytes { hasher.update($0) }
            return ManifestEntry(path: EntryPath(name), type: .file, digests: hasher.finalize())
        }
        return ManifestWriter(format: .sha256sum, algorithm: .sha256).write(entries)
    }

    /// A standard tree: small and large files, text and noise, nested folders, a space in a name.
    public static func standard(at root: String, seed: UInt64 = 1) throws -> FixtureTree {
        var tree = FixtureTree(root: root)
        try tree.add("etc/hosts", size: 300, seed: seed)
        try tree.add("etc/app/config.toml", size: 2_000, seed: seed + 1)
        try tree.add("home/user/notes with space.txt", size: 10_000, seed: seed + 2)
        try tree.add("home/user/photo.raw", size: 300_000, seed: seed + 3, compressible: false)
        try tree.add("var/log/big.log", size: 1_500_000, seed: seed + 4)
        try tree.add("empty.txt", [])
        for index in 0..<20 {
            try tree.add("data/part-\(index).bin", size: 1_000 + index * 517, seed: seed + 10 + UInt64(index), compressible: index % 2 == 0)
        }
        return tree
    }
}

/// Damage as it happens to real files: bits flipped, ends cut off.
public enum Corruption {
    /// XORs the byte at `offset` (negative: from the end) with `mask`.
    public static func flipByte(_ path: String, at offset: Int, mask: UInt8 = 0x01) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let index = offset >= 0 ? offset : bytes.count + offset
        bytes[index] ^= mask
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Keeps only the first `length` bytes.
    public static func truncate(_ path: String, to length: Int) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
    }

    /// Where `needle` first occurs in the file.
    public static func offset(of needle: [UInt8], in path: String) throws -> Int? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if Array(bytes[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}

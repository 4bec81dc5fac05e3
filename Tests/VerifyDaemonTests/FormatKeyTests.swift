import Foundation
import Testing
import VerifyCore
@testable import VerifyDaemon

/// The destination key `format` (auto or raw) and the worker request that carries it.
struct FormatKeyTests {
    static let destination = "[[destination]]\nname = \"db\"\npath = \"/srv/db\"\narchives = [\"*.sql\"]\n"

    @Test func formatIsAutoUnlessRawIsSaid() throws {
        #expect(try ConfigurationLoader.parse(Self.destination, file: "t.toml").destinations[0].format == .auto)
        let raw = try ConfigurationLoader.parse(Self.destination + "format = \"raw\"\n", file: "t.toml")
        #expect(raw.destinations[0].format == .raw)
    }

    @Test func anUnknownFormatIsAnErrorNamingTheKeyAndTheValue() {
        do {
            _ = try ConfigurationLoader.parse(Self.destination + "format = \"tar\"\n", file: "t.toml")
            Issue.record("accepted format = \"tar\"")
        } catch {
            let text = "\(error)"
            #expect(text.contains("format") && text.contains("\"tar\"") && text.contains("auto, raw"), "\(text)")
        }
    }

    @Test func theWorkerRequestCarriesItAsATypedValue() throws {
        var request = WorkerRequest(
            archivePath: "/srv/db/a.sql", manifestPath: nil, manifestEntry: nil, manifestFormat: nil, archiveDigestPath: nil,
            stripComponents: 0, strict: false, sample: .all, seed: 1, stallTimeout: 10, memoryLimit: 1 << 30)
        request.formatPolicy = .raw
        let encoded = try JSONEncoder().encode(request)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"formatPolicy\":\"raw\""))
        #expect(try JSONDecoder().decode(WorkerRequest.self, from: encoded).formatPolicy == .raw)
    }
}

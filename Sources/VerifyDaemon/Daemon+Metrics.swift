import Foundation
import VerifyProtocol

extension Daemon {
    /// Metrics are written at most this often while nothing changes (a run that ends or a
    /// destination that changes state writes them within `metricsGap`).
    static let metricsInterval: Double = 30
    /// Seconds of real time between two writes of a changed metrics file: at 60 runs a second,
    /// writing the whole host's metrics at each start and end of a run was two whole-host
    /// statuses per run (a scrape comes every 15 s or more).
    static let metricsGap: Double = 1

    /// Writes the metrics file when something changed (at most every `metricsGap` seconds) or
    /// `metricsInterval` has passed.
    func writeMetricsIfDue(at now: Double) async {
        guard configuration.metricsFile != nil else { return }
        guard metricsDirty ? metricsGapLeft() == 0 : now - metricsWritten >= Self.metricsInterval else { return }
        await writeMetrics(up: true)
    }

    /// Real seconds until a changed metrics file may be written again (0: now, or nothing to write).
    func metricsGapLeft() -> Double {
        guard configuration.metricsFile != nil, metricsDirty, let last = metricsWrittenInstant else { return 0 }
        let elapsed = last.duration(to: .now)
        return max(Self.metricsGap - (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18), 0)
    }

    /// Writes `metrics_file` whole, through a temporary file renamed over it, so that the
    /// textfile collector never reads half a file. `up: false` is the file left at a stop.
    func writeMetrics(up: Bool) async {
        guard let path = configuration.metricsFile else { return }
        metricsWritten = clock()
        metricsWrittenInstant = .now
        metricsDirty = false
        guard let status = try? await status(StatusArguments(destination: nil)) else { return }
        let temporary = path + ".tmp"
        var problem: String?
        if !FileManager.default.createFile(atPath: temporary, contents: Data(MetricsText.render(status, up: up).utf8), attributes: [.posixPermissions: 0o644]) {
            problem = "cannot write \(temporary): \(errnoText())"
        } else if rename(temporary, path) != 0 {
            problem = "cannot rename \(temporary) to \(path): \(errnoText())"
            unlink(temporary)
        }
        if problem != metricsError {
            if let problem {
                logger.warning("cannot write the metrics file", metadata: ["error": "\(problem)"])
            } else if metricsError != nil {
                logger.info("metrics file written again", metadata: ["path": "\(path)"])
            }
            metricsError = problem
        }
    }
}

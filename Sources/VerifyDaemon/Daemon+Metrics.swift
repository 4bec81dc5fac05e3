import Foundation
import VerifyProtocol

extension Daemon {
    /// Metrics are written at most this often while nothing changes (a run that ends or a
    /// destination that changes state writes them at once).
    static let metricsInterval: Double = 30

    /// Writes the metrics file when something changed or `metricsInterval` has passed.
    func writeMetricsIfDue(at now: Double) async {
        guard configuration.metricsFile != nil, metricsDirty || now - metricsWritten >= Self.metricsInterval else { return }
        await writeMetrics(up: true)
    }

    /// Writes `metrics_file` whole, through a temporary file renamed over it, so that the
    /// textfile collector never reads half a file. `up: false` is the file left at a stop.
    func writeMetrics(up: Bool) async {
        guard let path = configuration.metricsFile else { return }
        metricsWritten = clock()
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

import ArchiveReading
import Foundation
import Logging

extension Daemon {
    /// Prefix of a scratch folder moved aside for removal.
    static let leftoverScratchPrefix = "scratch.old-"

    /// Restore folders of runs a previous daemon did not finish: the scratch folder is renamed
    /// aside at once (so that new runs start in an empty one), and what was in it is removed on
    /// a thread of its own. A large restored tree never delays the start; a removal cut short
    /// by a stop is taken up again at the next start.
    func removeLeftoverScratch() {
        let state = configuration.stateDirectory
        var leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [])
            .filter { $0.hasPrefix(Self.leftoverScratchPrefix) }.map { state + "/" + $0 }
        let scratch = state + "/scratch"
        if DestinationFile.kind(of: scratch) == .directory {
            let aside = state + "/" + Self.leftoverScratchPrefix + "\(getpid())-\(Int(clock()))"
            if rename(scratch, aside) == 0 {
                leftovers.append(aside)
            } else {
                logger.error("cannot move the old restore scratch folder aside", metadata: ["folder": "\(scratch)", "error": "\(errnoText())"])
            }
        }
        guard !leftovers.isEmpty else { return }
        let logger = self.logger
        let folders = leftovers
        let thread = Thread {
            for folder in folders {
                let left = Self.removeScratchFolder(folder)
                if left > 0 {
                    logger.warning("restore scratch folder not wholly removed", metadata: ["folder": "\(folder)", "items.left": "\(left)"])
                } else {
                    logger.debug("restore scratch folder of an unfinished run removed", metadata: ["folder": "\(folder)"])
                }
            }
        }
        thread.name = "verifyd-scratch"
        thread.start()
    }

    /// Removes one run's restore folder, off the daemon's actor: a restored tree may be large.
    nonisolated func removeRunScratch(_ folder: String) async {
        let logger = self.logger
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                let left = Self.removeScratchFolder(folder)
                if left > 0 { logger.warning("restore folder not wholly removed", metadata: ["folder": "\(folder)", "items.left": "\(left)"]) }
                done.resume()
            }
            thread.name = "verifyd-scratch"
            thread.start()
        }
    }

    /// Empties a scratch folder at any depth and removes it; returns the items left.
    nonisolated static func removeScratchFolder(_ folder: String) -> Int {
        let left = RestoreFolder.empty(folder)
        return rmdir(folder) == 0 || errno == ENOENT ? left : left + 1
    }
}

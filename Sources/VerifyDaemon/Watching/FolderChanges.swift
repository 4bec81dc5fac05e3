/// What changed in the destinations since the daemon's loop last looked, as inotify (or a run
/// that found its archive changing) reported it: folders, whole destinations, or possibly
/// anything (inotify's queue overflowed). Taken by the loop, which scans again only the
/// destinations these name: an event in one folder of a host of 100 destinations costs one
/// scan, not 100. The periodic scan of every destination stays the safety net.
struct FolderChanges: Sendable, Equatable {
    var folders: Set<String> = []
    var destinations: Set<String> = []
    var everything = false

    var isEmpty: Bool { folders.isEmpty && destinations.isEmpty && !everything }

    mutating func note(_ change: InotifyWatcher.Change) {
        switch change {
        case .folders(let changed): folders.formUnion(changed)
        case .unknown: everything = true
        }
    }

    /// The destinations to scan again: those named, and those that own a changed folder.
    /// Nil: every destination.
    func destinations(owners: [String: Set<String>]) -> Set<String>? {
        guard !everything else { return nil }
        var names = destinations
        for folder in folders { names.formUnion(owners[folder] ?? []) }
        return names
    }

    /// Which destinations each folder belongs to (a folder may lie in two destinations), from
    /// the folders their last scans visited.
    static func owners(_ visited: [String: [String]]) -> [String: Set<String>] {
        var owners: [String: Set<String>] = [:]
        for (destination, folders) in visited {
            for folder in folders { owners[folder, default: []].insert(destination) }
        }
        return owners
    }
}

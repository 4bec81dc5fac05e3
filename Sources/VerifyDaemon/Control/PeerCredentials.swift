import CDaemonSupport

#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a control connection, from `SO_PEERCRED` (and `SO_PEERGROUPS`
/// for the supplementary groups), as the kernel recorded it at connect time.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32]) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Reads the credentials of a connected Unix stream socket.
    static func of(socket fd: Int32) -> PeerCredentials? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard verifyd_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return nil }
        var groups = [UInt32](repeating: 0, count: 256)
        var groupsLength = socklen_t(groups.count * MemoryLayout<UInt32>.size)
        let soPeerGroups: Int32 = 59
        if getsockopt(fd, SOL_SOCKET, soPeerGroups, &groups, &groupsLength) == 0 {
            groups = Array(groups.prefix(Int(groupsLength) / MemoryLayout<UInt32>.size))
        } else {
            groups = []
        }
        return PeerCredentials(pid: pid, uid: uid, gid: gid, groups: groups)
    }

    /// Root, the daemon's own user, or a member of the admin group.
    public func isAdmin(adminGroup: UInt32?, daemonUID: UInt32) -> Bool {
        if uid == 0 || uid == daemonUID { return true }
        guard let adminGroup else { return false }
        return gid == adminGroup || groups.contains(adminGroup)
    }
}

/// Group names and numbers.
enum GroupLookup {
    /// The gid of a group given by name or number.
    static func gid(_ group: String) -> UInt32? {
        if let number = UInt32(group) { return number }
        var entry = group_t()
        var result: UnsafeMutablePointer<group_t>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}

typealias group_t = group

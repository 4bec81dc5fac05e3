/// Who may open a control connection or subscribe, given what is open now: a pure decision,
/// tested without a socket. Peers outside the admin set (root, the daemon's user, members of
/// `admin_group`) share `shared` connections with at most `perUser` each, and at most
/// `subscribersPerUser` and `subscribers` subscriptions; the admin set may take up to
/// `shared + reserved` in all, so at least `reserved` are always theirs. So no user of `socket_group`, however greedy, can keep root's
/// `verifyctl status`, a reload or the hook runner's subscription out.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections anyone may take.
    public var shared = 64
    /// Connections beyond `shared` that only the admin set may take.
    public var reserved = 16
    /// Connections one uid outside the admin set may hold at once.
    public var perUser = 8
    /// Subscriptions one uid outside the admin set may hold at once.
    public var subscribersPerUser = 2
    /// Subscriptions held by uids outside the admin set, in all.
    public var subscribers = 16

    public private(set) var open = 0
    /// Connections of uids outside the admin set.
    public private(set) var openOutside = 0
    public private(set) var openByUser: [UInt32: Int] = [:]
    public private(set) var subscribing = 0
    public private(set) var subscribingByUser: [UInt32: Int] = [:]

    public init() {}

    /// Takes a connection slot for the peer, or says why not (the text of the `busy` error).
    public mutating func admit(uid: UInt32, admin: Bool) -> String? {
        if admin {
            guard open < shared + reserved else {
                return "all \(shared + reserved) connections are in use; try again"
            }
        } else {
            let mine = openByUser[uid, default: 0]
            guard mine < perUser else {
                return "uid \(uid) already holds \(mine) connections, the most a user outside admin_group may hold; close one"
            }
            guard openOutside < shared else {
                return "all \(shared) shared connections are in use (\(reserved) more are kept for root and admin_group); try again"
            }
            openByUser[uid] = mine + 1
            openOutside += 1
        }
        open += 1
        return nil
    }

    /// Gives back a slot taken by `admit`.
    public mutating func release(uid: UInt32, admin: Bool) {
        open = max(0, open - 1)
        guard !admin else { return }
        openOutside = max(0, openOutside - 1)
        let mine = openByUser[uid, default: 0] - 1
        openByUser[uid] = mine > 0 ? mine : nil
    }

    /// Turns an admitted connection into a subscription, or says why not.
    public mutating func admitSubscriber(uid: UInt32, admin: Bool) -> String? {
        guard !admin else { return nil }
        let mine = subscribingByUser[uid, default: 0]
        guard mine < subscribersPerUser else {
            return "uid \(uid) already holds \(mine) subscriptions, the most a user outside admin_group may hold"
        }
        guard subscribing < subscribers else {
            return "all \(subscribers) subscriptions for users outside admin_group are in use; try again"
        }
        subscribingByUser[uid] = mine + 1
        subscribing += 1
        return nil
    }

    /// Ends a subscription admitted by `admitSubscriber`.
    public mutating func releaseSubscriber(uid: UInt32, admin: Bool) {
        guard !admin else { return }
        subscribing = max(0, subscribing - 1)
        let mine = subscribingByUser[uid, default: 0] - 1
        subscribingByUser[uid] = mine > 0 ? mine : nil
    }
}

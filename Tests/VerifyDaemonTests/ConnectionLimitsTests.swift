import Testing
import VerifyDaemon

struct ConnectionLimitsTests {
    @Test func oneUserOutsideTheAdminSetIsCappedAndTheReservedSlotsAreKeptForAdmins() {
        var limits = ConnectionLimits()
        for _ in 0..<limits.perUser { #expect(limits.admit(uid: 1000, admin: false) == nil) }
        #expect(limits.admit(uid: 1000, admin: false)?.contains("uid 1000 already holds 8 connections") == true)
        // Other users fill the shared slots...
        var uid: UInt32 = 2000
        while limits.open < limits.shared {
            if limits.admit(uid: uid, admin: false) != nil { uid += 1 }
        }
        #expect(limits.admit(uid: 9999, admin: false)?.contains("shared connections are in use") == true)
        // ...and root still gets in, up to the reserved slots.
        for _ in 0..<limits.reserved { #expect(limits.admit(uid: 0, admin: true) == nil) }
        #expect(limits.admit(uid: 0, admin: true)?.contains("all 80 connections are in use") == true)
        // A slot given back is free again, and counted per user.
        limits.release(uid: 1000, admin: false)
        limits.release(uid: 0, admin: true)
        #expect(limits.openByUser[1000] == limits.perUser - 1)
        #expect(limits.admit(uid: 1000, admin: false) == nil, "a shared slot given back is shared again")
        #expect(limits.admit(uid: 1000, admin: false) != nil)
        #expect(limits.admit(uid: 0, admin: true) == nil)
        #expect(limits.admit(uid: 0, admin: true) != nil)
    }

    @Test func subscriptionsAreCappedPerUserAndInAllForNonAdminsOnly() {
        var limits = ConnectionLimits()
        #expect(limits.admitSubscriber(uid: 5, admin: false) == nil)
        #expect(limits.admitSubscriber(uid: 5, admin: false) == nil)
        #expect(limits.admitSubscriber(uid: 5, admin: false)?.contains("already holds 2 subscriptions") == true)
        for uid in UInt32(6)..<UInt32(6 + 7) {
            #expect(limits.admitSubscriber(uid: uid, admin: false) == nil)
            #expect(limits.admitSubscriber(uid: uid, admin: false) == nil)
        }
        #expect(limits.subscribing == limits.subscribers)
        #expect(limits.admitSubscriber(uid: 99, admin: false)?.contains("all 16 subscriptions") == true)
        #expect(limits.admitSubscriber(uid: 0, admin: true) == nil, "the hook runner as root or the daemon's user always subscribes")
        limits.releaseSubscriber(uid: 5, admin: false)
        #expect(limits.admitSubscriber(uid: 99, admin: false) == nil)
    }
}

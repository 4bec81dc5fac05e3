import Testing
@testable import VerifyCore

/// The free space a restore leaves on its file system, decided from what `statvfs` says.
struct RestoreReserveTests {
    let gib: Int64 = 1 << 30

    func space(free: Int64, total: Int64, inodesFree: Int64 = 1_000_000, inodes: Int64 = 1_000_000) -> RestoreReserve.FileSystemSpace {
        .init(availableBytes: free, totalBytes: total, availableInodes: inodesFree, totalInodes: inodes)
    }

    @Test func theDefaultIsFivePercentAtMostOneGiB() {
        #expect(RestoreReserve().reserveBytes(totalBytes: 10 * gib) == gib / 2)
        #expect(RestoreReserve().reserveBytes(totalBytes: 1000 * gib) == gib)
        #expect(RestoreReserve(bytes: 7).reserveBytes(totalBytes: 1000 * gib) == 7)
    }

    @Test func aRestoreStopsBeforeTheReserve() {
        let reserve = RestoreReserve(bytes: gib)
        #expect(reserve.shortage(space(free: 2 * gib, total: 100 * gib), nextBytes: gib / 2) == nil)
        #expect(reserve.shortage(space(free: 2 * gib, total: 100 * gib), nextBytes: gib) == nil, "exactly the reserve left")
        let short = reserve.shortage(space(free: 2 * gib, total: 100 * gib), nextBytes: gib + 1)
        #expect(short == "the file system of the restore folder has \(2 * gib) bytes free, and the restore must leave \(gib) bytes (restore_reserve)")
        #expect(RestoreReserve(bytes: 0).shortage(space(free: 0, total: 100 * gib)) == nil, "a zero reserve with nothing to write")
    }

    @Test func inodesAreReservedToo() {
        let reserve = RestoreReserve(bytes: 0)
        #expect(reserve.shortage(space(free: gib, total: gib, inodesFree: 10_001, inodes: 1_000_000)) == nil)
        #expect(reserve.shortage(space(free: gib, total: gib, inodesFree: 10_000, inodes: 1_000_000))?.contains("10000 inodes free") == true)
        #expect(reserve.shortage(space(free: gib, total: gib, inodesFree: 0, inodes: 0)) == nil, "btrfs reports no inode count")
        #expect(RestoreReserve.reserveInodes(totalInodes: 1000) == 50)
    }
}

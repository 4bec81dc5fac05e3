import Foundation
import Synchronization
import VerifyCore

/// How the first reader of a zip shares its members with other threads: it decides entry by
/// entry, in order, which to hand over, and collects their contents in that order.
protocol MemberSharing: AnyObject {
    /// Records what to do with the next entry; its number when another thread reads it.
    func decide(_ request: ContentRequest, _ header: EntryHeader) -> Int?
    /// The content read for a handed-over entry: nil while it is not known yet (unless `wait`).
    func content(of index: Int, wait: Bool) -> EntryContent??
    /// No more entries; then `join` waits for the other threads.
    func close()
    func join()
    /// Bytes the other threads read from the file.
    var bytesRead: Int64 { get }
}

extension MemberSplit: MemberSharing {}

/// Reads a zip's members on two threads with ISA-L while the first reader's libarchive walks
/// the headers and seeks past the data: libarchive inflates zip members with zlib, at half
/// ISA-L's speed, and cannot be handed another inflater.
///
/// Members are found in the central directory (`ZipCatalog`) by name. A member that is not
/// plain, or that any check doubts (`ZipMemberReading`), is read by libarchive after all: by a
/// second libarchive reader of the same file, started at the first such member, that walks the
/// headers forward and reads only the members asked of it. So damage is always worded by
/// libarchive, as with one thread.
final class ZipMemberPool: MemberSharing, @unchecked Sendable {
    private let catalog: ZipDirectory
    private let makeFallback: () -> MemberSplit?
    private let condition = NSCondition()
    // Under `condition`:
    private var jobs = FIFO<(index: Int, member: ZipMember, algorithms: [DigestAlgorithm])>()
    private var closed = false
    private var running: Int
    /// Bytes of members handed out that no worker has started: a budget stops the run before
    /// the next entry, so the first reader stays only a few members ahead of the workers (a
    /// member being read does not count, or one large member would leave the other worker idle).
    private var outstanding: Int64 = 0
    static let backlog: Int64 = 16 << 20
    /// Once the backlog is full the first reader waits until half of it is started: woken at
    /// every member started, it handed over one member and waited again, a context switch per
    /// member (14,500 for a zip of 16,000 files, a tenth of the run's CPU time in the kernel).
    private var readerWaiting = false
    /// Workers waiting for a job.
    private var idleWorkers = 0
    // The first reader's own:
    private var nextIndex = 0
    private var fallback: MemberSplit?
    private var fallbackFailed = false

    /// What a worker read: the content, or nil for "libarchive must read it" (with the request).
    private let results = Mailbox<(EntryContent?, ContentRequest, name: [UInt8])>()
    private let workerBytes = Atomic<Int64>(0)
    private let readDirectly = Atomic<Int>(0)
    /// Members the workers read and found good (the others were read by libarchive).
    var membersReadDirectly: Int { readDirectly.load(ordering: .relaxed) }
    /// Where the local headers of the members read directly are: each was compared with the
    /// central directory on the way (complete after `join`).
    private(set) var headersChecked = Set<Int64>()

    var bytesRead: Int64 { workerBytes.load(ordering: .relaxed) + (fallback?.bytesRead ?? 0) }

    /// - Parameter makeFallback: a second libarchive reader's split, made when first needed.
    init(catalog: ZipDirectory, fd: Int32, fileSize: Int64, progress: ReadProgress, threads: Int,
         makeFallback: @escaping () -> MemberSplit?) {
        self.catalog = catalog
        self.makeFallback = makeFallback
        running = threads
        for number in 0..<threads {
            let thread = Thread { [self] in
                work(ZipMemberReading(fd: fd, fileSize: fileSize, progress: progress))
            }
            thread.name = "verifyd-zip-\(number)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func decide(_ request: ContentRequest, _ header: EntryHeader) -> Int? {
        let index = nextIndex
        nextIndex += 1
        guard case .read(let algorithms) = request, header.type == .file, !header.isEncrypted,
              let member = catalog.plainMember(named: header.rawPath), header.size == nil || header.size == member.size else { return nil }
        condition.lock()
        if outstanding >= Self.backlog {
            readerWaiting = true
            while outstanding > Self.backlog / 2 { condition.wait() }
            readerWaiting = false
        }
        outstanding += max(member.size, 1)
        jobs.append((index, member, algorithms))
        if idleWorkers > 0 { condition.broadcast() }
        condition.unlock()
        return index
    }

    func content(of index: Int, wait: Bool) -> EntryContent?? {
        guard let (content, request, name) = results.take(index, wait: wait) else { return nil }
        if let content { return .some(content) }
        return .some(readByLibarchive(index, request, name: name))
    }

    /// The entry as libarchive reads it, by the second reader (walking forward to it).
    private func readByLibarchive(_ index: Int, _ request: ContentRequest, name: [UInt8]) -> EntryContent? {
        if fallback == nil, !fallbackFailed {
            fallback = makeFallback()
            fallbackFailed = fallback == nil
        }
        guard let fallback else {
            return EntryContent(digests: [], byteCount: 0, damage: "the zip member could not be read a second time")
        }
        fallback.decide(index, request, expecting: name)
        return fallback.content(of: index, wait: true) ?? nil
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func join() {
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
        fallback?.close()
        fallback?.join()
    }

    private func work(_ reading: ZipMemberReading) {
        var checked = [Int64]()
        while true {
            condition.lock()
            while jobs.isEmpty && !closed {
                idleWorkers += 1
                condition.wait()
                idleWorkers -= 1
            }
            guard let job = jobs.popFirst() else {
                headersChecked.formUnion(checked)
                running -= 1
                condition.broadcast()
                condition.unlock()
                workerBytes.add(reading.bytesRead, ordering: .relaxed)
                return
            }
            outstanding -= max(job.member.size, 1)
            if readerWaiting, outstanding <= Self.backlog / 2 { condition.broadcast() }
            condition.unlock()
            let content = reading.read(job.member, algorithms: job.algorithms)
            if content != nil {
                readDirectly.add(1, ordering: .relaxed)
                checked.append(job.member.localHeaderOffset)
            }
            results.post([(job.index, (content, ContentRequest.read(job.algorithms), job.member.name))])
        }
    }
}

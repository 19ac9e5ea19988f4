import ArgosyModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `status` file a workflow's steps share in its folder, read as it grows.
///
/// Every line is one event, appended in one write (so lines of concurrent writers never interleave; a line without
/// its "\n" is still being written): `POD claim` (the controller, before it starts the step: a controller that
/// restarts re-attaches to a claimed step instead of starting it twice), `POD supervisor PID`, `POD step PID` (its
/// process group), `POD exit {JSON}` (the exit record, written last and durably by the supervisor), and
/// `POD reset` (the controller forgets an attempt it runs again, on `retry`).
final class StatusLog: @unchecked Sendable {
    struct Entry {
        var supervisor: pid_t?
        var step: pid_t?
        /// The exit record's JSON.
        var exit: String?
    }

    let url: URL
    private let lock = NSLock()
    /// Bytes read so far, up to the end of the last complete line.
    private var offset = 0
    private var entries: [String: Entry] = [:]
    /// This log made the folder and the file, and nobody has made their entries durable yet (see `takeNewFolder`).
    private var newFolder = false

    init(folder: URL) {
        url = folder.appendingPathComponent("status")
    }

    /// True once after a claim made the folder and the log: the caller makes their entries durable, off the
    /// controller's path (the first step's supervisor fsyncs the folder with its exit record, `--sync-dir`), or
    /// with `syncFolder` when no supervisor started.
    func takeNewFolder() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        defer { newFolder = false }
        return newFolder
    }

    func syncFolder() {
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    /// What the log says of `pod` (nil: nothing, not even a claim).
    func entry(_ pod: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        readNewLines()
        return entries[pod]
    }

    /// Claims the attempt `pod`; false when it was claimed before. Makes the folder for the workflow's first step.
    ///
    /// Atomic across processes too (the file is locked from the look to the write): of two controllers that
    /// claim the same attempt at once (one taking over the other's lapsed lease), exactly one starts it.
    func claim(_ pod: String) throws(ArgosyError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let fd = try openForAppending()
        defer { close(fd) }
        while flock(fd, LOCK_EX) < 0, errno == EINTR {}
        readNewLines()
        if entries[pod] != nil { return false }
        try write("\(pod) claim\n", to: fd)
        entries[pod] = Entry()
        return true
    }

    /// Forgets the attempt `pod` here and for every later reader (it runs again). Written even when this reader
    /// dropped the attempt already (`forget`): a reader that starts from the beginning still has it.
    func reset(_ pod: String) {
        lock.lock()
        defer { lock.unlock() }
        try? append("\(pod) reset\n")
        entries[pod] = nil
    }

    /// Drops what is kept of a finished attempt (its lines were read already: it is not seen again).
    func forget(_ pod: String) {
        lock.lock()
        entries[pod] = nil
        lock.unlock()
    }

    private func append(_ line: String) throws(ArgosyError) {
        let fd = try openForAppending()
        defer { close(fd) }
        try write(line, to: fd)
    }

    /// The log opened for appending; made with the workflow's folder for its first step.
    private func openForAppending() throws(ArgosyError) -> Int32 {
        var fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        if fd < 0, errno == ENOENT {
            // The workflow's first step: its folder and log are made now (durable later, see `takeNewFolder`).
            let folder = url.deletingLastPathComponent()
            if mkdir(folder.path, 0o755) < 0, errno != EEXIST {
                do {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                } catch {
                    throw ArgosyError(.io, "cannot create \(folder.path): \(error)")
                }
            }
            fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if fd >= 0 { newFolder = true }
        }
        guard fd >= 0 else { throw ArgosyError(.io, "cannot open \(url.path): \(String(cString: strerror(errno)))") }
        return fd
    }

    private func write(_ line: String, to fd: Int32) throws(ArgosyError) {
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw ArgosyError(.io, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads the complete lines appended since the last call (the lock is held).
    private func readNewLines() {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) > offset else { return }
        var data = [UInt8](repeating: 0, count: Int(info.st_size) - offset)
        var count = 0
        while count < data.count {
            let n = data.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + count, $0.count - count, off_t(offset + count))
            }
            if n <= 0 { break }
            count += n
        }
        data.removeLast(data.count - count)
        guard let end = data.lastIndex(of: UInt8(ascii: "\n")) else { return }
        for line in data[...end].split(separator: UInt8(ascii: "\n")) {
            apply(String(decoding: line, as: UTF8.self))
        }
        offset += end + 1
    }

    private func apply(_ line: String) {
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2 else { return }
        let pod = String(parts[0])
        let value = parts.count == 3 ? String(parts[2]) : ""
        switch parts[1] {
        case "claim": entries[pod] = Entry()
        case "reset": entries[pod] = nil
        case "supervisor": entries[pod, default: Entry()].supervisor = pid_t(value)
        case "step": entries[pod, default: Entry()].step = pid_t(value)
        case "exit": entries[pod, default: Entry()].exit = value
        default: break
        }
    }
}

import ArgosyModel
import CArgosySupport
import Foundation

/// The per-home background controller process (`argosy controller`), found through a lock file.
enum BackgroundController {
    /// True when some process holds the controller lock.
    static func isRunning(lockPath: String) -> Bool {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    /// Takes the controller lock for this process; false when another controller holds it. The descriptor
    /// stays open (and locked) until the process exits.
    static func acquire(lockPath: String) -> Bool {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        close(fd)
        return false
    }

    static func spawn(_ args: [String]) throws {
        var cArgs = args.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var env = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        let pid = argosy_spawn(args[0], &cArgs, &env, 1)
        if pid <= 0 {
            throw ArgosyError(.io, "cannot start the background controller: \(String(cString: strerror(-pid)))")
        }
    }
}

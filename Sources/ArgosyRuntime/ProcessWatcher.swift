import CArgosySupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for many processes on one thread, using pidfds, without reaping anyone else's children.
///
/// Children of this process are reaped (waitpid on their pid only); other processes (steps re-attached after
/// a restart) are just observed.
public final class ProcessWatcher: @unchecked Sendable {
    private let lock = NSLock()
    /// By the descriptor watched: a pidfd, or the read end of a supervisor's done pipe (`reap` false).
    private var watched: [Int32: (pid: pid_t, reap: Bool, onExit: @Sendable (Int32?) -> Void)] = [:]
    /// epoll: what a wake costs does not grow with the number of steps running.
    private let epoll = argosy_watch_create()
    private var thread: Thread?

    public init() {
        let t = Thread { [weak self] in self?.loop() }
        t.name = "argosy-process-watcher"
        t.stackSize = 256 * 1024
        thread = t
        t.start()
    }

    /// Calls `onExit` once `pid` has exited, with its exit code when it was our child (nil otherwise).
    /// `pidfd`, when given, is a pidfd of it opened when it was known alive; otherwise one is opened now.
    /// `doneFD`, when given, is a pipe that the process closes when its work is done (a supervisor: once it has
    /// written its exit record); then `onExit` is called (with nil) at its end of file instead, which may come
    /// before the process exits. The watcher owns both descriptors from now on. Returns false when the process
    /// does not exist any more.
    @discardableResult
    public func watch(
        _ pid: pid_t, pidfd: Int32 = -1, doneFD: Int32 = -1, onExit: @escaping @Sendable (Int32?) -> Void
    ) -> Bool {
        if doneFD >= 0 {
            if pidfd >= 0 { close(pidfd) }
            add(doneFD, (pid, false, onExit))
            return true
        }
        let fd = pidfd >= 0 ? pidfd : argosy_pidfd_open(pid)
        guard fd >= 0 else {
            let code = argosy_try_reap(pid)
            onExit(code >= 0 ? code : nil)
            return false
        }
        add(fd, (pid, true, onExit))
        return true
    }

    private func add(_ fd: Int32, _ entry: (pid: pid_t, reap: Bool, onExit: @Sendable (Int32?) -> Void)) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        lock.lock()
        watched[fd] = entry
        lock.unlock()
        if argosy_watch_add(epoll, fd) < 0 {
            // Cannot be watched (no epoll): report it now rather than never; the caller reads what it can.
            finish(fd)
        }
    }

    private func loop() {
        var ready = [Int32](repeating: -1, count: 64)
        while true {
            let n = argosy_watch_wait(epoll, &ready, Int32(ready.count))
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            for i in 0..<Int(n) { finish(ready[i]) }
        }
    }

    /// `fd` reported the end: stops watching it and calls its `onExit`.
    private func finish(_ fd: Int32) {
        lock.lock()
        let entry = watched.removeValue(forKey: fd)
        lock.unlock()
        argosy_watch_remove(epoll, fd)
        close(fd)
        guard let entry else { return }
        guard entry.reap else {
            entry.onExit(nil)
            return
        }
        var code = argosy_try_reap(entry.pid)
        // A child can signal its pidfd an instant before waitpid sees it.
        var tries = 0
        while code == -1, tries < 1000 {
            usleep(100)
            code = argosy_try_reap(entry.pid)
            tries += 1
        }
        entry.onExit(code >= 0 ? code : nil)
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A lease owner's name, `HOST:PID:NONCE` (see ``WorkflowController/Options/owner``), and what this process can
/// tell about it: on this host, whether its process still exists; on another host, nothing (it may be gone).
struct LeaseOwner {
    let host: String?
    let pid: pid_t?

    init(_ owner: String) {
        let parts = owner.split(separator: ":")
        host = parts.count >= 3 ? String(parts[0]) : nil
        pid = parts.count >= 3 ? pid_t(parts[1]) : nil
    }

    /// The owner is a process of this host that is still running.
    var isAliveHere: Bool {
        guard host == ProcessInfo.processInfo.hostName, let pid else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

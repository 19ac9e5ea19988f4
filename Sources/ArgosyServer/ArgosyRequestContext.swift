import ArgosyModel
import Hummingbird

/// The context of one API request: Hummingbird's own, and what the caller's token lets it reach.
public struct ArgosyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``TokenAuthentication``; everything when the server takes no tokens.
    var access = Access.everything

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// What a caller may reach: every namespace and the cluster-scoped resources, or the namespaces its token names.
struct Access: Sendable {
    /// nil: every namespace.
    var namespaces: Set<String>?
    /// The token's name, for messages.
    var tokenName = ""

    static let everything = Access(namespaces: nil)

    func allows(namespace: String) -> Bool { namespaces?.contains(namespace) ?? true }

    /// Cluster-scoped resources (ClusterWorkflowTemplates) belong to no namespace: only a token that is not
    /// limited to namespaces reaches them.
    var allowsClusterScope: Bool { namespaces == nil }

    /// 403 unless the caller may use `namespace`.
    func check(namespace: String) throws {
        guard allows(namespace: namespace) else {
            throw APIError(.forbidden, "token '\(tokenName)' may not use namespace \(namespace)")
        }
    }

    /// 403 unless the caller may use cluster-scoped resources.
    func checkClusterScope(_ what: String) throws {
        guard allowsClusterScope else {
            throw APIError(
                .forbidden, "token '\(tokenName)' is limited to namespaces and may not use cluster-scoped \(what)")
        }
    }
}

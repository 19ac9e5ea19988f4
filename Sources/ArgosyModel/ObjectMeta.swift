import Foundation
import OrderedCollections

/// Kubernetes object metadata, as much of it as Argosy keeps.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var creationTimestamp: Date?
    public var resourceVersion: String?

    public init(name: String? = nil, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

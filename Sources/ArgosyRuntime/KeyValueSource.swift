import ArgosyModel
import Foundation

/// Where the runtime reads secrets and config maps for env vars and volumes (the store, in the controller).
public protocol KeyValueSource: Sendable {
    /// The object's keys and base64 values, or nil when it does not exist.
    func data(kind: String, namespace: String, name: String) throws -> [String: String]?
}

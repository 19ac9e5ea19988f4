import ArgosyModel
import Foundation

/// The kinds of key-value objects the store keeps for steps.
public enum ObjectKind: String, Sendable {
    case secret = "Secret"
    case configMap = "ConfigMap"
}

/// A secret or config map. `data` values are base64, as in Kubernetes. Secret values never leave the store
/// except into a step.
public struct KeyValueObject: Sendable, Hashable {
    public var kind: ObjectKind
    public var namespace: String
    public var name: String
    public var data: [String: String]
    public var createdAt: Date

    public init(kind: ObjectKind, namespace: String, name: String, data: [String: String], createdAt: Date) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.data = data
        self.createdAt = createdAt
    }
}

extension SQLiteStore {
    public func createObject(_ object: KeyValueObject) throws(ArgosyError) {
        try KubernetesName.checkLabel(object.namespace, field: "namespace")
        try KubernetesName.checkSubdomain(object.name, field: "name")
        do {
            try database.query(
                "INSERT INTO objects (kind, namespace, name, data, created_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(object.kind.rawValue), .text(object.namespace), .text(object.name),
                    .text(try Self.encode(object.data)), SQLValue(object.createdAt),
                ])
        } catch {
            if error.message.contains("UNIQUE") {
                let noun = object.kind == .secret ? "secrets" : "configmaps"
                throw ArgosyError(.alreadyExists, "\(noun) \"\(object.name)\" already exists")
            }
            throw error
        }
    }

    public func object(_ kind: ObjectKind, namespace: String, name: String) throws(ArgosyError) -> KeyValueObject? {
        guard
            let row = try database.query(
                "SELECT * FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
                [.text(kind.rawValue), .text(namespace), .text(name)]
            ).first
        else { return nil }
        return KeyValueObject(
            kind: kind, namespace: namespace, name: name,
            data: try Self.decode([String: String].self, row.string("data") ?? "{}"),
            createdAt: row.date("created_at") ?? Date())
    }

    public func objects(_ kind: ObjectKind, namespace: String?) throws(ArgosyError) -> [KeyValueObject] {
        let rows =
            namespace == nil
            ? try database.query(
                "SELECT * FROM objects WHERE kind = ? ORDER BY namespace, name", [.text(kind.rawValue)])
            : try database.query(
                "SELECT * FROM objects WHERE kind = ? AND namespace = ? ORDER BY name",
                [.text(kind.rawValue), .text(namespace!)])
        var out: [KeyValueObject] = []
        for row in rows {
            out.append(
                KeyValueObject(
                    kind: kind, namespace: row.string("namespace") ?? "", name: row.string("name") ?? "",
                    data: try Self.decode([String: String].self, row.string("data") ?? "{}"),
                    createdAt: row.date("created_at") ?? Date()))
        }
        return out
    }

    @discardableResult
    public func deleteObject(_ kind: ObjectKind, namespace: String, name: String) throws(ArgosyError) -> Bool {
        try database.update(
            "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
            [.text(kind.rawValue), .text(namespace), .text(name)]) > 0
    }
}

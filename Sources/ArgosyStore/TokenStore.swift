import ArgosyModel
import Foundation

/// An API token as the server knows it: only the SHA-256 of the secret is stored.
public struct APIToken: Sendable {
    public var name: String
    /// Namespaces the token may use; empty means all.
    public var namespaces: [String]
    public var createdAt: Date
    public var revoked: Bool
}

extension SQLiteStore {
    /// Issues a token: stores its hash and scope, returns the secret (shown once, never stored).
    public func issueToken(name: String, namespaces: [String], now: Date) throws(ArgosyError) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let secret =
            "argosy."
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        do {
            try database.query(
                "INSERT INTO tokens (hash, name, namespaces, created_at, revoked) VALUES (?, ?, ?, ?, 0)",
                [.text(Self.tokenHash(secret)), .text(name), .text(try Self.encode(namespaces)), SQLValue(now)])
        } catch {
            if error.message.contains("UNIQUE") {
                throw ArgosyError(.alreadyExists, "a token named '\(name)' exists already")
            }
            throw error
        }
        return secret
    }

    /// The live token a secret stands for, or nil (unknown, tampered or revoked).
    public func token(secret: String) throws(ArgosyError) -> APIToken? {
        guard
            let row = try database.query(
                "SELECT * FROM tokens WHERE hash = ? AND revoked = 0", [.text(Self.tokenHash(secret))]
            ).first
        else { return nil }
        return try Self.token(row)
    }

    public func tokens() throws(ArgosyError) -> [APIToken] {
        var out: [APIToken] = []
        for row in try database.query("SELECT * FROM tokens ORDER BY name") { out.append(try Self.token(row)) }
        return out
    }

    /// Revokes a token by name; false when there is none.
    @discardableResult
    public func revokeToken(name: String) throws(ArgosyError) -> Bool {
        try database.update("UPDATE tokens SET revoked = 1 WHERE name = ?", [.text(name)]) > 0
    }

    static func tokenHash(_ secret: String) -> String { Digest.hex(Digest.sha256(Array(secret.utf8))) }

    static func token(_ row: SQLRow) throws(ArgosyError) -> APIToken {
        APIToken(
            name: row.string("name") ?? "", namespaces: try decode([String].self, row.string("namespaces") ?? "[]"),
            createdAt: row.date("created_at") ?? Date(), revoked: row.int("revoked") == 1)
    }
}

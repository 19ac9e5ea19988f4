/// Kubernetes' `IntOrString`: fields such as `retryStrategy.limit` accept `3` or `"3"` (or an expression).
public enum IntOrString: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(JSONValue.self) {
            switch v {
            case .int(let i):
                self = .int(i)
                return
            case .double(let d) where d == d.rounded():
                self = .int(Int(d))
                return
            case .string(let s):
                self = .string(s)
                return
            default: break
            }
        }
        throw DecodingError.typeMismatch(
            IntOrString.self, .init(codingPath: decoder.codingPath, debugDescription: "expected an integer or a string")
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        }
    }
}

/// Kubernetes' `IntOrString`: fields such as `retryStrategy.limit` accept `3` or `"3"` (or an expression).
///
/// As in Kubernetes, the integer form is a 32-bit integer: a number outside that range, or with a fraction, is
/// refused with an error naming the field (it never reaches an integer conversion that could trap).
public enum IntOrString: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(JSONValue.self) {
            switch v {
            case .int(let i):
                guard Int32(exactly: i) != nil else { break }
                self = .int(i)
                return
            case .double(let d):
                guard let i = Int32(exactly: d) else { break }
                self = .int(Int(i))
                return
            case .string(let s):
                self = .string(s)
                return
            default: break
            }
        }
        throw DecodingError.typeMismatch(
            IntOrString.self,
            .init(codingPath: decoder.codingPath, debugDescription: "expected a 32-bit integer or a string")
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

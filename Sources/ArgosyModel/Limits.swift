/// How much one workflow, request or value may take before it is refused: what keeps a manifest, an API call or a
/// step's output from spending the controller's memory. Set under `limits:` in `$ARGOSY_HOME/config.yaml`; the
/// defaults are generous (a 100,000-item loop runs) and every refusal names the limit and its key.
public struct Limits: Sendable, Hashable {
    /// Items one loop (`withItems`, `withParam`, `withSequence`) expands to (`limits.loopItems`).
    public var loopItems = 100_000
    /// Nodes in one workflow, retries and loop children included (`limits.nodesPerWorkflow`).
    public var nodesPerWorkflow = 250_000
    /// Workflows one `submit` or API request creates (`limits.workflowsPerRequest`).
    public var workflowsPerRequest = 1_000
    /// Bytes of one parameter value: arguments, `-p`, inputs after substitution (`limits.parameterBytes`).
    public var parameterBytes = 1 << 20
    /// Bytes of one output parameter read from a step's file (`limits.outputBytes`).
    public var outputBytes = 1 << 20
    /// Bytes of one API request body (`limits.requestBytes`).
    public var requestBytes = 4 << 20

    public init() {}

    /// The keys of `limits:` in `config.yaml`, with the property each one sets.
    public static var keys: [(key: String, path: WritableKeyPath<Limits, Int>)] {
        [
            ("loopItems", \.loopItems), ("nodesPerWorkflow", \.nodesPerWorkflow),
            ("workflowsPerRequest", \.workflowsPerRequest), ("parameterBytes", \.parameterBytes),
            ("outputBytes", \.outputBytes), ("requestBytes", \.requestBytes),
        ]
    }

    /// Reads a `limits:` mapping; an unknown key or a value that is not a positive integer is an error naming it.
    public init(from value: JSONValue, at location: SourceLocation?) throws(ArgosyError) {
        guard case .object(let fields) = value else {
            throw ArgosyError(.invalid, "limits: expected a mapping", at: location)
        }
        for (key, v) in fields {
            guard let entry = Self.keys.first(where: { $0.key == key }) else {
                let known = Self.keys.map(\.key).joined(separator: ", ")
                throw ArgosyError(.invalid, "limits.\(key): unknown limit (known: \(known))", at: location)
            }
            guard case .int(let n) = v, n > 0 else {
                throw ArgosyError(
                    .invalid, "limits.\(key): expected a positive integer, found \(v.compactJSON)", at: location)
            }
            self[keyPath: entry.path] = n
        }
    }
}

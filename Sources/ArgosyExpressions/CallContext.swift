import ArgosyModel
import Foundation

/// A function call being evaluated: its name and arguments, with helpers that check them and build errors
/// pointing at the call.
struct CallContext {
    let name: String
    let args: [JSONValue]
    let node: ExprNode
    let source: String
    /// The instant `now()` returns; nil means the system clock.
    var currentTime: Date? = nil

    /// The current time, in UTC.
    var now: GoTime { GoTime(currentTime ?? Date()) }

    func error(_ message: String, code: ExpressionError.Code = .evaluation) -> ExpressionError {
        ExpressionError(expression: source, position: node.position, message: "\(name): \(message)", code: code)
    }

    func arity(_ range: ClosedRange<Int>) throws(ExpressionError) {
        guard range.contains(args.count) else {
            let expected =
                range.lowerBound == range.upperBound
                ? "\(range.lowerBound)"
                : range.upperBound == Int.max
                    ? "at least \(range.lowerBound)"
                    : "\(range.lowerBound) to \(range.upperBound)"
            throw error("invalid number of arguments (expected \(expected), got \(args.count))", code: .type)
        }
    }

    func arity(_ count: Int) throws(ExpressionError) { try arity(count...count) }

    func typeError(_ index: Int, expected: String) -> ExpressionError {
        error(
            "argument \(index + 1) must be \(expected), got \(ExprInterpreter.typeName(args[index]))", code: .type)
    }

    func string(_ index: Int) throws(ExpressionError) -> String {
        guard case .string(let s) = args[index] else { throw typeError(index, expected: "a string") }
        return s
    }

    func int(_ index: Int) throws(ExpressionError) -> Int {
        guard let i = ExprInterpreter.integer(args[index]) else { throw typeError(index, expected: "an integer") }
        return i
    }

    func number(_ index: Int) throws(ExpressionError) -> Double {
        guard let d = args[index].doubleValue else { throw typeError(index, expected: "a number") }
        return d
    }

    func array(_ index: Int) throws(ExpressionError) -> [JSONValue] {
        guard case .array(let a) = args[index] else { throw typeError(index, expected: "an array") }
        return a
    }

    /// The entries of a map argument, in stored order.
    func entries(_ index: Int) throws(ExpressionError) -> [(key: String, value: JSONValue)] {
        guard let o = args[index].objectValue else { throw typeError(index, expected: "a map") }
        return o.map { (key: $0.key, value: $0.value) }
    }

    /// Parses JSON text as Go's `json.Unmarshal` would accept it.
    func parseJSON(_ text: String) throws(ExpressionError) -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw self.error("invalid JSON: \(error.message) at offset \(error.offset)")
        }
    }
}

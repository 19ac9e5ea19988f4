/// An error that may be shown to a user: its message is safe to print (it never carries secret values).
public struct ArgosyError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; maps to an exit code and, in the server, to an HTTP status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalid, notFound, alreadyExists, conflict, failedPrecondition, io, `internal`
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input (manifest, parameter, flag) is wrong.
        public static let invalid = Code(.invalid)
        /// The named resource does not exist.
        public static let notFound = Code(.notFound)
        /// A resource with that name exists already.
        public static let alreadyExists = Code(.alreadyExists)
        /// Someone else changed or holds the resource.
        public static let conflict = Code(.conflict)
        /// The resource is not in a state that allows the request (e.g. resuming a finished workflow).
        public static let failedPrecondition = Code(.failedPrecondition)
        /// A file or database operation failed.
        public static let io = Code(.io)
        /// A bug in Argosy.
        public static let `internal` = Code(.internal)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var location: SourceLocation?

    public init(_ code: Code, _ message: String, at location: SourceLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}

/// A place in a source file: 1-based line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One finding of validation: an error stops a run, a warning does not.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var path: FieldPath
    public var message: String
    public var location: SourceLocation?

    public init(_ severity: Severity, _ path: FieldPath, _ message: String, at location: SourceLocation? = nil) {
        self.severity = severity
        self.path = path
        self.message = message
        self.location = location
    }

    public var description: String {
        let place = path.components.isEmpty ? "" : "\(path): "
        if let location { return "\(location): \(severity.rawValue): \(place)\(message)" }
        return "\(severity.rawValue): \(place)\(message)"
    }
}

import ArgumentParser
import Foundation
import Logging

/// `argosy`: run Argo Workflows on this machine.
public struct ArgosyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "argosy",
        abstract: "Run Argo Workflows YAML on one machine: steps as sandboxed local processes, state in SQLite.",
        discussion: "State lives in $ARGOSY_HOME (default ~/.argosy).",
        version: ArgosyVersion.text,
        subcommands: [
            SubmitCommand.self, LintCommand.self, ListCommand.self, GetCommand.self, LogsCommand.self,
            DeleteCommand.self, SuspendCommand.self, ResumeCommand.self, NodeCommand.self, StopCommand.self,
            TerminateCommand.self,
            RetryCommand.self, ResubmitCommand.self, TemplateCommand.self, ClusterTemplateCommand.self,
            CronCommand.self, ArchiveCommand.self, ServerCommand.self, AuthCommand.self,
            SecretCommand.self, ConfigMapCommand.self, VersionCommand.self,
            ControllerCommand.self, ArgosayCommand.self,
        ]
    )

    public init() {}
}

enum ArgosyVersion {
    static let number = "0.1.0"
    static var text: String { "argosy: v\(number)" }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    @Flag(help: "Print the version number only.") var short = false

    func run() {
        if short {
            print("v\(ArgosyVersion.number)")
            return
        }
        print(ArgosyVersion.text)
        print("  BuildDate: \(ArgosyVersion.number)")
        print("  Platform: linux/\(Self.arch)")
        print("  Runtime: local processes (argosy-exec), store: SQLite")
    }

    static var arch: String {
        #if arch(x86_64)
            "amd64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown"
        #endif
    }
}

extension ArgosyCommand {
    /// Diagnostics go to standard error (standard output carries what a command prints), at `ARGOSY_LOG_LEVEL`
    /// (trace, debug, info, notice, warning, error, critical; info by default).
    public static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["ARGOSY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level ?? .info
            return handler
        }
    }
}

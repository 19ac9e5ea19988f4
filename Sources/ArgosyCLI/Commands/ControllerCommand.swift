import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgumentParser
import Foundation
import ServiceLifecycle

struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Run the background controller: it runs every workflow no other argosy process is running.",
        discussion: "Started on demand by submit, resume, stop, terminate and retry; one per $ARGOSY_HOME.")

    @Option(name: .customLong("idle-exit"), help: "Exit after this many seconds with nothing to run (default: never).")
    var idleExit: Double?
    @Option(name: .customLong("log-file"), help: "Append diagnostics here instead of standard error.")
    var logFile: String?

    func run() async throws {
        let context = CLIContext()
        setsid()
        if let logFile, let handle = FileHandle(forWritingAtPath: logFile) ?? Self.create(logFile) {
            handle.seekToEndOfFile()
            dup2(handle.fileDescriptor, STDERR_FILENO)
        }
        try FileManager.default.createDirectory(at: context.home, withIntermediateDirectories: true)
        guard BackgroundController.acquire(lockPath: context.home.appendingPathComponent("controller.lock").path) else {
            return  // another controller serves this home
        }
        let pidFile = context.home.appendingPathComponent("controller.pid")
        try? Data("\(getpid())\n".utf8).write(to: pidFile)
        defer { try? FileManager.default.removeItem(at: pidFile) }
        let store = try context.openStore()
        let controller = WorkflowController(
            store: store, options: try context.controllerOptions(), scope: .all(idleExit: idleExit))
        try await ServiceGroup.runUntilSignalled(controller)
    }

    static func create(_ path: String) -> FileHandle? {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)
    }
}

/// Argo's test image `argoproj/argosay`, built in: `argosay [echo [TEXT [FILE]] | cat FILE | sleep D | exit N |
/// assert_contains FILE TEXT | sh FILE]`; with no sub-command it says "hello argo".
struct ArgosayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "argosay", abstract: "The built-in argoproj/argosay image.", shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough) var words: [String] = []

    func run() throws {
        let args = words
        switch args.first {
        case nil:
            print("hello argo")
        case "echo":
            switch args.count {
            case 1: print("hello argo")
            case 2: print(args[1])
            case 3:
                let url = URL(fileURLWithPath: args[2])
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data((args[1] + "\n").utf8).write(to: url)
            default: throw ExitCode(1)
            }
        case "cat":
            guard args.count >= 2, let data = FileManager.default.contents(atPath: args[1]) else {
                FileHandle.standardError.write(
                    Data("cat: \(args.dropFirst().first ?? ""): No such file or directory\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardOutput.write(data)
        case "sleep":
            guard args.count >= 2, let seconds = ArgoDuration.seconds(args[1]) else { throw ExitCode(1) }
            Thread.sleep(forTimeInterval: seconds)
        case "exit":
            let code = args.count >= 2 ? Int32(args[1]) ?? 1 : 0
            throw ExitCode(code)
        case "assert_contains":
            guard args.count >= 3, let text = try? String(contentsOfFile: args[1], encoding: .utf8),
                text.contains(args[2])
            else { throw ExitCode(1) }
            print(args[2])
        case "sh":
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = Array(args.dropFirst())
            try p.run()
            p.waitUntilExit()
            throw ExitCode(p.terminationStatus)
        default:
            throw ExitCode(1)
        }
    }
}

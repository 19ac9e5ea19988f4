import ArgosyTestSupport
import Foundation
import Testing

/// Scenarios written as scripts: the step supervisor's own suite, and the AWS scenario against a moto server.
@Suite("Scripted scenarios", .serialized)
struct ScriptedScenarioTests {
    static func run(_ program: String, _ args: [String], timeout: Double) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + args
        p.currentDirectoryURL = CLIRunner.repositoryRoot
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = OutputCollector(pipe.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (p.terminationStatus, output.text())
    }

    @Test func stepSupervisorSuitePasses() throws {
        let exec = CLIRunner.buildProducts.appendingPathComponent("argosy-exec").path
        let (status, output) = try Self.run("bash", ["Tests/exec/exec-tests.sh", exec], timeout: 240)
        #expect(status == 0, "\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }

    @Test func shutdownEC2StopsEveryInstanceInParallelAgainstMoto() throws {
        let argosy = CLIRunner.buildProducts.appendingPathComponent("argosy").path
        let (status, output) = try Self.run(
            "python3", ["Tests/scenarios/aws_shutdown_ec2.py", "--argosy", argosy], timeout: 400)
        #expect(status == 0, "\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }
}

/// Collects a pipe's output on a background thread.
final class OutputCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

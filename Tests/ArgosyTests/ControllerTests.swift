import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import ArgosyTestSupport
import Foundation
import Testing

/// The controller over its ports: a real SQLite store in a temporary home, steps in a scripted runtime.
@Suite("Controller with a scripted runtime")
struct ControllerTests {
    static let dag = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: fan}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
              tasks:
              - {name: a, template: say}
              - {name: b, template: say, dependencies: [a]}
              - {name: c, template: say, dependencies: [a]}
          - name: say
            container: {image: alpine, command: [echo, hi]}
        """

    static let slow = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: slow}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: wait, template: slow}
          - name: slow
            container: {image: alpine, command: [sleep, "600"]}
        """

    struct Home {
        let url: URL
        let store: WorkflowStore

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("argosy-ctl-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            store = try SQLiteStore(home: url)
        }

        var options: WorkflowController.Options {
            WorkflowController.Options(
                home: url, supervisor: "/nonexistent/argosy-exec", argosy: "/nonexistent/argosy",
                runtimeConfig: RuntimeConfig())
        }

        func controller(_ runtime: ScriptedRuntime, only uids: Set<String>, clock: ManualClock? = nil)
            -> WorkflowController
        {
            WorkflowController(
                store: store, options: options, scope: .only(uids), runtime: runtime, clock: clock ?? SystemClock())
        }

        func prepare(_ yaml: String) throws -> Workflow {
            let doc = try #require(try ManifestDocument.parseAll(yaml, file: "wf.yaml").first)
            guard case .workflow(let wf)? = ManifestLinter.lint(doc).0 else { throw ArgosyError(.invalid, "lint") }
            return try WorkflowPreparation.prepare(wf, options: WorkflowPreparation.Options(), now: Date())
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    @Test func aDAGRunsEachStepOnceThroughTheRuntime() async throws {
        let home = try Home()
        defer { home.remove() }
        let runtime = ScriptedRuntime { _ in .exit(0, stdout: "hi") }
        let wf = try home.prepare(Self.dag)
        let controller = home.controller(runtime, only: [uid(wf)])
        _ = try controller.submit(wf)
        try await controller.run()

        let stored = try #require(try home.store.get(uid: uid(wf)))
        #expect(stored.phase == .succeeded)
        let launched = runtime.launches.map(\.nodeName).sorted()
        #expect(launched == ["fan.a", "fan.b", "fan.c"])
        #expect(Set(runtime.launches.map(\.idempotencyKey)).count == 3)
        // b and c start only after a has ended.
        #expect(runtime.launches.first?.nodeName == "fan.a")
        #expect(runtime.running.isEmpty)
    }

    @Test func deletingARunningWorkflowKillsItsStepsThenRemovesTheirFiles() async throws {
        let home = try Home()
        defer { home.remove() }
        let runtime = ScriptedRuntime { _ in nil }  // every step runs until killed
        let wf = try home.prepare(Self.slow)
        let controller = home.controller(runtime, only: [uid(wf)])
        _ = try controller.submit(wf)
        let run = Task { try await controller.run() }
        try await Self.waitFor { runtime.running.count == 1 }

        // Another process sharing the home deletes it (its own connection, as `argosy delete` has).
        let other = try SQLiteStore(home: home.url)
        let stored = try #require(try other.get(uid: uid(wf)))
        let operations = WorkflowOperations(store: other) { uid in Issue.record("files of \(uid) removed early") }
        try operations.delete(stored)
        try await run.value

        #expect(runtime.kills.map(\.reason) == ["workflow deleted"])
        #expect(runtime.kills.first?.podName == runtime.launches.first?.podName)
        #expect(runtime.running.isEmpty)
        #expect(runtime.removed == [uid(wf)], "the step files go once the killed step has ended")
        #expect(try home.store.get(uid: uid(wf)) == nil)
    }

    @Test func operationsRefuseWhatArgoRefuses() throws {
        let home = try Home()
        defer { home.remove() }
        let wf = try home.prepare(Self.dag)
        try home.store.create(wf)
        let operations = WorkflowOperations(store: home.store) { _ in }
        let pending = try #require(try home.store.get(uid: uid(wf)))
        #expect(throws: ArgosyError.self) { try operations.retry(pending) }
        var done = pending
        done.phase = .succeeded
        for verb in ["suspend", "stop", "terminate"] {
            let error = #expect(throws: ArgosyError.self) {
                switch verb {
                case "suspend": try operations.suspend(done)
                case "stop": try operations.stop(done)
                default: try operations.terminate(done)
                }
            }
            #expect(error?.message == "cannot \(verb) fan: the workflow has already succeeded")
            #expect(error?.code == .failedPrecondition)
        }
    }

    @Test func aResubmissionKeepsLabelsAndAnnotationsButNotARunsOwn() throws {
        let home = try Home()
        defer { home.remove() }
        var wf = try home.prepare(Self.dag)
        wf.metadata.labels = [
            "team": "sre", "workflows.argoproj.io/phase": "Failed", "workflows.argoproj.io/creator": "someone",
        ]
        wf.metadata.annotations = ["ticket": "OPS-1"]
        try home.store.create(wf)
        let old = try #require(try home.store.get(uid: uid(wf)))
        let new = try WorkflowOperations(store: home.store) { _ in }
            .resubmission(of: old.workflow, options: WorkflowPreparation.Options(), now: Date())
        #expect(new.name.hasPrefix("fan-") && new.name != "fan")
        #expect(new.metadata.uid != wf.metadata.uid)
        #expect(
            new.metadata.labels == ["team": "sre", "workflows.argoproj.io/resubmitted-from-workflow": "fan"])
        #expect(new.metadata.annotations == ["ticket": "OPS-1"])
    }

    func uid(_ wf: Workflow) -> String { wf.metadata.uid ?? "" }

    static func waitFor(_ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            guard Date() < deadline else { throw ArgosyError(.io, "timed out") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

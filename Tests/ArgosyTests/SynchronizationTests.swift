import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

/// Mutexes and semaphores, in the engine (shared in-memory locks, manual clock) and end to end.
@Suite("Synchronization")
struct SynchronizationTests {
    static func workflow(_ name: String, templateSync: String? = nil, workflowSync: String? = nil) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: \(name)}
        spec:
          entrypoint: main
        \(workflowSync.map { "  synchronization: \($0)\n" } ?? "")  templates:
          - name: main
            steps:
            - - {name: prepare, template: work}
            - - {name: deploy, template: critical}
          - name: work
            container: {image: alpine, command: ["true"]}
          - name: critical
        \(templateSync.map { "    synchronization: \($0)\n" } ?? "")    container: {image: alpine, command: ["true"]}
        """
    }

    /// Runs harnesses side by side on one clock until all finish; returns each pod's [start, end) by workflow.
    static func runTogether(_ runs: inout [EngineHarness], maxSteps: Int = 10_000) throws {
        for _ in 0..<maxSteps {
            for i in runs.indices { runs[i].reconcile() }
            if runs.allSatisfy({ $0.phase?.isFinished == true }) { return }
            let next = runs.flatMap { r in r.running.values.compactMap(\.finishAt) + [r.wakeAt].compactMap { $0 } }
                .min()
            guard let next else { throw TestFailure("stuck") }
            for i in runs.indices { runs[i].now = max(runs[i].now, next) }
            for i in runs.indices { runs[i].advance(0) }
        }
        throw TestFailure("did not finish")
    }

    static func intervals(_ runs: [EngineHarness], template: String) -> [(Date, Date)] {
        runs.flatMap { r in
            r.state.nodes.values.filter { $0.type == .pod && $0.templateName == template }
                .compactMap { n in n.startedAt.flatMap { s in n.finishedAt.map { (s, $0) } } }
        }
    }

    static func maxOverlap(_ intervals: [(Date, Date)]) -> Int {
        var events: [(Date, Int)] = intervals.flatMap { [($0.0, 1), ($0.1, -1)] }
        events.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var current = 0
        var peak = 0
        for e in events {
            current += e.1
            peak = max(peak, current)
        }
        return peak
    }

    @Test func templateMutexKeepsCriticalStepsOfTwoWorkflowsApart() throws {
        let locks = MemoryLocks()
        var runs: [EngineHarness] = []
        for name in ["a", "b"] {
            var r = try EngineHarness(yaml: Self.workflow(name, templateSync: "{mutex: {name: deploy}}"))
            r.locks = locks
            r.script = { _ in .exit(0, after: 5) }
            runs.append(r)
        }
        try Self.runTogether(&runs)
        #expect(runs.allSatisfy { $0.phase == .succeeded })
        let critical = Self.intervals(runs, template: "critical")
        #expect(critical.count == 2)
        #expect(Self.maxOverlap(critical) == 1)
        #expect(Self.maxOverlap(Self.intervals(runs, template: "work")) == 2, "steps outside the mutex still overlap")
        #expect(locks.holding("default/Mutex/deploy").isEmpty, "released when done")
    }

    @Test func waitingNodeIsPendingWithArgosMessage() throws {
        let locks = MemoryLocks()
        _ = try locks.acquire(
            [.mutex(name: "deploy", namespace: nil)], holder: "someone-else", namespace: "default", priority: 0,
            now: Date())
        var run = try EngineHarness(yaml: Self.workflow("w", templateSync: "{mutex: {name: deploy}}"))
        run.locks = locks
        run.script = { _ in .exit(0, after: 1) }
        run.reconcile()
        run.advance(1)
        run.reconcile()
        let deploy = try #require(run.node("deploy"))
        #expect(deploy.phase == .pending)
        #expect(deploy.message == "Waiting for default/Mutex/deploy lock. Lock status: 0/1")
        try locks.release(holder: "someone-else")
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.node("deploy")?.phase == .succeeded)
    }

    @Test func workflowSemaphoreOfThreeOverTenWorkflows() throws {
        let locks = MemoryLocks(limits: ["default/ConfigMap/limits/deploys": 3])
        var runs: [EngineHarness] = []
        for i in 0..<10 {
            var r = try EngineHarness(
                yaml: Self.workflow(
                    "w\(i)", workflowSync: "{semaphore: {configMapKeyRef: {name: limits, key: deploys}}}"))
            r.locks = locks
            r.script = { _ in .exit(0, after: 3) }
            runs.append(r)
        }
        runs[0].reconcile()
        try Self.runTogether(&runs)
        #expect(runs.allSatisfy { $0.phase == .succeeded })
        let spans = runs.compactMap { r in r.state.startedAt.flatMap { s in r.state.finishedAt.map { (s, $0) } } }
        #expect(spans.count == 10)
        #expect(Self.maxOverlap(spans) == 3)
    }

    @Test func queuedWorkflowIsPendingWithItsReason() throws {
        let locks = MemoryLocks()
        var first = try EngineHarness(yaml: Self.workflow("first", workflowSync: "{mutex: {name: m}}"))
        first.locks = locks
        first.script = { _ in .hang }
        first.reconcile()
        var second = try EngineHarness(yaml: Self.workflow("second", workflowSync: "{mutex: {name: m}}"))
        second.locks = locks
        second.reconcile()
        #expect(second.phase == .pending)
        #expect(second.state.message == "Waiting for default/Mutex/m lock. Lock status: 0/1")
        #expect(second.launches.isEmpty)
    }
}

@Suite("Synchronization end to end", .serialized)
struct SynchronizationEndToEndTests {
    @Test func semaphoreOfThreeAndMutexAcrossWorkflowsOfOneHome() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        #expect(try cli.run(["configmap", "create", "limits", "--from-literal=deploys=3"]).status == 0)
        var docs: [String] = []
        for i in 0..<10 {
            docs.append(
                """
                apiVersion: argoproj.io/v1alpha1
                kind: Workflow
                metadata: {name: sem-\(i)}
                spec:
                  entrypoint: main
                  volumes: [{name: marks, hostPath: {path: \(marks.path)}}]
                  templates:
                  - name: main
                    steps:
                    - - {name: deploy, template: deploy}
                    - - {name: exclusive, template: exclusive}
                  - name: deploy
                    synchronization: {semaphore: {configMapKeyRef: {name: limits, key: deploys}}}
                    container:
                      image: alpine
                      command: [sh, -c, "echo start $(date +%s.%N) >> /marks/deploy; sleep 0.4; echo end $(date +%s.%N) >> /marks/deploy"]
                      volumeMounts: [{name: marks, mountPath: /marks}]
                  - name: exclusive
                    synchronization: {mutex: {name: db-migration}}
                    container:
                      image: alpine
                      command: [sh, -c, "echo start $(date +%s.%N) >> /marks/mutex; sleep 0.1; echo end $(date +%s.%N) >> /marks/mutex"]
                      volumeMounts: [{name: marks, mountPath: /marks}]
                """)
        }
        let file = try CLITests.write(docs.joined(separator: "\n---\n"), "sem.yaml", in: cli)
        let r = try cli.run(["submit", "--wait", file], timeout: 120)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        func peak(_ name: String) throws -> (peak: Int, count: Int) {
            let lines = try String(contentsOf: marks.appendingPathComponent(name), encoding: .utf8).split(
                separator: "\n")
            var events = lines.compactMap { line -> (Double, Int)? in
                let parts = line.split(separator: " ")
                guard parts.count == 2, let t = Double(parts[1]) else { return nil }
                return (t, parts[0] == "start" ? 1 : -1)
            }
            events.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            var current = 0
            var peak = 0
            for e in events {
                current += e.1
                peak = max(peak, current)
            }
            return (peak, events.count / 2)
        }
        let deploy = try peak("deploy")
        #expect(deploy.count == 10)
        #expect(deploy.peak <= 3, "the semaphore allows three at once")
        #expect(deploy.peak >= 2, "and they did run side by side")
        let exclusive = try peak("mutex")
        #expect(exclusive.count == 10)
        #expect(exclusive.peak == 1, "the mutex keeps them apart")
    }
}

import ArgosyEngine
import ArgosyModel
import Foundation
import Testing

/// The CronWorkflow scheduler's decisions under a manual clock.
@Suite("Cron planner")
struct CronPlannerTests {
    static func cron(_ extra: String = "", schedule: String = "* * * * *") throws -> CronWorkflow {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: CronWorkflow
            metadata: {name: tick, namespace: default}
            spec:
              schedule: "\(schedule)"
            \(extra)
              workflowSpec:
                entrypoint: main
                templates:
                - {name: main, container: {image: alpine, command: ["true"]}}
            """
        let doc = try #require(try ManifestDocument.parseAll(yaml, file: "c.yaml").first)
        guard case .cronWorkflow(let c)? = ManifestLinter.lint(doc).resource else {
            throw ArgosyError(.invalid, "no cron")
        }
        return c
    }

    /// 2027-01-15 08:00:00 UTC, a minute boundary.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 60))

    /// Steps a manual clock through `minutes` minutes, second by second where it matters, recording runs.
    static func simulate(
        _ planner: CronPlanner, minutes: Int, finishAfter: Double?, downFrom: Int? = nil, downFor: Int = 0
    )
        -> [(name: String, at: Date)]
    {
        var state = CronState()
        var active: [(String, Date)] = []
        var runs: [(String, Date)] = []
        var now = t0
        let end = t0.addingTimeInterval(Double(minutes * 60))
        while now <= end {
            let minute = Int(now.timeIntervalSince(t0) / 60)
            if let downFrom, minute >= downFrom, minute < downFrom + downFor {
                now = now.addingTimeInterval(1)
                continue
            }
            if let finishAfter { active.removeAll { now.timeIntervalSince($0.1) >= finishAfter } }
            let d = planner.decide(state: state, active: active.map(\.0), createdAt: t0, now: now)
            for r in d.replace { active.removeAll { $0.0 == r } }
            if let run = d.run {
                let name = CronPlanner.workflowName(cron: "tick", scheduledTime: run)
                runs.append((name, now))
                active.append((name, now))
            }
            state.lastScheduledTime = d.lastScheduledTime
            now = now.addingTimeInterval(1)
        }
        return runs
    }

    @Test func everyMinuteRunsOncePerMinuteUnderAllow() throws {
        let planner = try CronPlanner(try Self.cron())
        let runs = Self.simulate(planner, minutes: 5, finishAfter: 90)
        #expect(runs.count == 5)
        #expect(Set(runs.map(\.name)).count == 5)
        #expect(runs.first?.name == "tick-\(Int(Self.t0.timeIntervalSince1970) + 60)")
    }

    @Test func forbidSkipsWhileARunIsActive() throws {
        let planner = try CronPlanner(try Self.cron("  concurrencyPolicy: Forbid"))
        let runs = Self.simulate(planner, minutes: 6, finishAfter: 90)
        // Runs at minutes 1, 3, 5: each one is still active at the next minute.
        #expect(runs.count == 3)
    }

    @Test func replaceStopsTheActiveRun() throws {
        let planner = try CronPlanner(try Self.cron("  concurrencyPolicy: Replace"))
        var state = CronState()
        let first = planner.decide(state: state, active: [], createdAt: Self.t0, now: Self.t0.addingTimeInterval(60))
        #expect(first.run != nil)
        state.lastScheduledTime = first.lastScheduledTime
        let second = planner.decide(
            state: state, active: ["tick-1"], createdAt: Self.t0, now: Self.t0.addingTimeInterval(120))
        #expect(second.replace == ["tick-1"])
        #expect(second.run != nil)
    }

    @Test(arguments: [(900, 1), (300, 0)])
    func missedRunsAfterDowntimeRunOnceWithinTheDeadline(deadline: Int, expectedCatchUps: Int) throws {
        let planner = try CronPlanner(try Self.cron("  startingDeadlineSeconds: \(deadline)", schedule: "0 * * * *"))
        // Hourly at :00; the controller is down from 08:55 to 09:05 and comes back at 09:05:00 (or 09:10).
        var state = CronState(lastScheduledTime: Self.t0)
        let back = Self.t0.addingTimeInterval(deadline == 900 ? 65 * 60 : 70 * 60)
        let d = planner.decide(state: state, active: [], createdAt: Self.t0, now: back)
        #expect((d.run != nil ? 1 : 0) == expectedCatchUps)
        if expectedCatchUps == 1 { #expect(d.run == Self.t0.addingTimeInterval(3600)) }
        state.lastScheduledTime = d.lastScheduledTime
        // Nothing more until the next hour, whatever happened.
        let again = planner.decide(state: state, active: [], createdAt: Self.t0, now: back.addingTimeInterval(1))
        #expect(again.run == nil)
        #expect(again.wakeAt == Self.t0.addingTimeInterval(7200))
    }

    @Test func tenMinutesDownWithEveryMinuteRunsTheMissedRunOnce() throws {
        let planner = try CronPlanner(try Self.cron("  startingDeadlineSeconds: 900"))
        let runs = Self.simulate(planner, minutes: 20, finishAfter: 5, downFrom: 5, downFor: 10)
        // Minutes 1–4, one catch-up when the controller is back at minute 15, then 16–20.
        #expect(runs.count == 4 + 1 + 5)
        #expect(runs.contains { Int($0.at.timeIntervalSince(Self.t0)) == 15 * 60 })
    }

    @Test func suspendedAndStoppedCronsDoNotRun() throws {
        let suspended = try CronPlanner(try Self.cron("  suspend: true"))
        #expect(Self.simulate(suspended, minutes: 3, finishAfter: 1).isEmpty)
        let stopping = try CronPlanner(try Self.cron("  stopStrategy: {expression: \"cronworkflow.succeeded >= 2\"}"))
        var state = CronState(succeeded: 2)
        let d = stopping.decide(state: state, active: [], createdAt: Self.t0, now: Self.t0.addingTimeInterval(60))
        #expect(d.stop)
        #expect(d.run == nil)
        state.stopped = true
        #expect(
            stopping.decide(state: state, active: [], createdAt: Self.t0, now: Self.t0.addingTimeInterval(120)).run
                == nil)
    }

    @Test func whenDecidesEachActivation() throws {
        let planner = try CronPlanner(try Self.cron("  when: \"{{= cronworkflow.lastScheduledTime == nil}}\""))
        let runs = Self.simulate(planner, minutes: 3, finishAfter: 1)
        #expect(runs.count == 1)
    }

    @Test func runsAreNamedAndLabelledAsArgoDoes() throws {
        let planner = try CronPlanner(try Self.cron())
        let at = Self.t0.addingTimeInterval(60)
        let wf = planner.workflow(for: at)
        #expect(wf.metadata.name == "tick-\(Int(at.timeIntervalSince1970))")
        #expect(wf.metadata.labels?["workflows.argoproj.io/cron-workflow"] == "tick")
        #expect(wf.metadata.annotations?["workflows.argoproj.io/scheduled-time"] == Timestamp.format(at))
    }
}

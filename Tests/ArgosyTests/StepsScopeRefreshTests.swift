import ArgosyExpressions
import ArgosyModel
import Testing

@testable import ArgosyEngine

/// A steps template's cached scope of finished groups is brought up to date with its parent's on every pass.
@Suite("Steps: cached scope refresh")
struct StepsScopeRefreshTests {
    static let old: [String: JSONValue] = [
        "workflow.name": "wf", "workflow.duration": "1.000000", "inputs.parameters.x": "1", "steps.a.id": "wf-1",
    ]

    /// The cached scope: the parent's variables it was built on, and what the finished groups added.
    static var cached: VariableScope {
        var scope = VariableScope(old)
        scope["steps.b.id"] = "wf-2"
        return scope
    }

    @Test func changedAndRemovedNamesOfTheParentAreApplied() {
        var scope = Self.cached
        var parent = VariableScope(Self.old)
        parent["workflow.duration"] = "2.000000"
        parent["inputs.parameters.x"] = nil
        parent["workflow.status"] = "Running"
        #expect(Operation.refresh(&scope, builtOn: Self.old, to: parent))
        #expect(scope["workflow.duration"] == "2.000000")
        #expect(scope["inputs.parameters.x"] == nil)
        #expect(scope["workflow.status"] == "Running")
        #expect(scope["steps.b.id"] == "wf-2")
        #expect(scope["workflow.name"] == "wf")
    }

    @Test func anUnchangedParentLeavesTheScopeAsItIs() {
        var scope = Self.cached
        #expect(Operation.refresh(&scope, builtOn: Self.old, to: VariableScope(Self.old)))
        #expect(scope.values == Self.cached.values)
    }

    @Test func aChangedOrRemovedStepsNameCannotBeReused() {
        var scope = Self.cached
        var changed = VariableScope(Self.old)
        changed["steps.a.id"] = "wf-9"
        #expect(!Operation.refresh(&scope, builtOn: Self.old, to: changed))
        var removed = VariableScope(Self.old)
        removed["steps.a.id"] = nil
        scope = Self.cached
        #expect(!Operation.refresh(&scope, builtOn: Self.old, to: removed))
    }
}

import ArgosyModel
import Foundation

extension Reconciler {
    /// Prepares a finished workflow for `retry`: failed and errored steps, omitted tasks and exit handlers are
    /// removed (with everything under them), failed groups above them run again, succeeded work is kept.
    /// Returns the ids of the removed nodes.
    @discardableResult
    public func prepareRetry(_ state: inout RunState) -> [String] {
        cache.reset()
        var remove = Set<String>()
        func removeTree(_ id: String) {
            guard remove.insert(id).inserted, let n = state.node(id: id) else { return }
            // Only descend into what this node started: its boundary's children, not the next groups.
            for c in n.children ?? [] {
                guard let child = state.node(id: c) else { continue }
                if child.boundaryID == n.id || n.type == .retry || n.type == .taskGroup || child.name.hasPrefix(n.name)
                {
                    removeTree(c)
                }
            }
        }
        for node in state.nodes.values {
            let unsuccessfulLeaf =
                node.phase.isUnsuccessful && (node.type == .pod || node.type == .skipped || node.type == .suspend)
            if unsuccessfulLeaf || node.phase == .omitted || node.name.hasSuffix(".onExit") {
                removeTree(node.id)
            }
        }
        for id in remove { state.remove(id: id) }
        for var node in state.nodes.values {
            var changed = false
            if let children = node.children, children.contains(where: remove.contains) {
                node.children = children.filter { !remove.contains($0) }
                if node.children?.isEmpty == true { node.children = nil }
                changed = true
            }
            if let out = node.outboundNodes, out.contains(where: remove.contains) {
                node.outboundNodes = nil
                changed = true
            }
            if node.phase.isUnsuccessful {
                node.phase = .running
                node.message = nil
                node.finishedAt = nil
                node.outboundNodes = nil
                changed = true
            }
            if changed { state.set(node) }
        }
        // Pending, so the run takes its workflow-level locks again before it goes on.
        state.phase = .pending
        state.message = nil
        state.finishedAt = nil
        state.markHeaderChanged()
        return Array(remove)
    }
}

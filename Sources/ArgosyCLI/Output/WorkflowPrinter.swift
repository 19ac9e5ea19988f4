import ArgosyModel
import Foundation

/// `argosy get`'s text: the header block and the node tree, laid out as `argo get` lays them out.
struct WorkflowPrinter {
    var wide = false
    var now = Date()
    /// Say so when no controller runs an unfinished workflow (off right after submitting).
    var showsOrphans = true

    func render(_ view: WorkflowView) -> String {
        var out = ""
        func line(_ label: String, _ value: String) {
            out += label.padding(toLength: max(20, label.count), withPad: " ", startingAt: 0) + " " + value + "\n"
        }
        let wf = view.workflow
        line("Name:", wf.name)
        line("Namespace:", wf.namespace)
        line("ServiceAccount:", wf.spec.serviceAccountName ?? "unset (will run with the default ServiceAccount)")
        line("Status:", view.statusText)
        if let message = view.message, !message.isEmpty { line("Message:", message) }
        if showsOrphans, let note = view.orphanNote(now: now) { line("Controller:", note) }
        if let created = wf.metadata.creationTimestamp { line("Created:", Humanize.timestamp(created, now: now)) }
        if let started = view.startedAt { line("Started:", Humanize.timestamp(started, now: now)) }
        if let finished = view.finishedAt { line("Finished:", Humanize.timestamp(finished, now: now)) }
        if let started = view.startedAt {
            line("Duration:", Humanize.long((view.finishedAt ?? now).timeIntervalSince(started)))
        }
        line("Progress:", view.progress ?? "")
        let params = wf.spec.arguments?.parameters ?? []
        if !params.isEmpty {
            line("Parameters:", "")
            for p in params { if let v = p.value { line("  \(p.name):", v) } }
        }
        if !view.outputs.isEmpty {
            line("Output Parameters:", "")
            for (k, v) in view.outputs.sorted(by: { $0.key < $1.key }) { line("  \(k):", v) }
        }
        guard view.nodes[wf.name] != nil else { return out }
        out += "\n"
        var table = TextTable()
        table.add(
            wide
                ? ["STEP", "TEMPLATE", "PODNAME", "DURATION", "ARTIFACTS", "MESSAGE", "RESOURCESDURATION", "NODENAME"]
                : ["STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE"])
        let trees = RenderTree(nodes: view.nodes)
        if let root = trees.roots[wf.name] {
            render(root, trees, view, prefix: " ", childPrefix: " ", into: &table)
        }
        let onExitID = Workflow.nodeID(workflowName: wf.name, nodeName: "\(wf.name).onExit")
        if let exit = trees.roots[onExitID] {
            table.add(wide ? ["", "", "", "", "", "", "", ""] : ["", "", "", "", ""])
            render(exit, trees, view, prefix: " ", childPrefix: " ", into: &table)
        }
        out += table.render().split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .init(charactersIn: " ")) == "" ? "" : String($0)
        }.joined(separator: "\n")
        return out
    }

    /// Argo hides step groups (their children hang off the branch) and retry nodes with a single attempt.
    func filter(_ node: NodeStatus) -> (filtered: Bool, childIndent: Bool) {
        if node.type == .retry, (node.children ?? []).count == 1 { return (true, false) }
        if node.type == .stepGroup { return (true, true) }
        if node.type == .skipped, node.phase == .omitted { return (true, false) }
        return (false, false)
    }

    func render(
        _ id: String, _ trees: RenderTree, _ view: WorkflowView, prefix: String, childPrefix: String,
        into table: inout TextTable
    ) {
        guard let node = view.nodes[id] else { return }
        let (filtered, childIndent) = filter(node)
        if !filtered { table.add(cells(node, view, prefix: prefix)) }
        let children = trees.children[id] ?? []
        let last = children.count - 1
        for (i, child) in children.enumerated() {
            var part = ""
            var sub = ""
            if filtered, childIndent {
                if last == 0 {
                    (part, sub) = ("──", "  ")
                } else if i == 0 {
                    (part, sub) = ("┬─", "│ ")
                } else if i == last {
                    (part, sub) = ("└─", "  ")
                } else {
                    (part, sub) = ("├─", "│ ")
                }
            } else if !filtered {
                (part, sub) = i == last ? ("└─", "  ") : ("├─", "│ ")
            }
            let childNodePrefix: String
            if !filtered {
                childNodePrefix = childPrefix + part
            } else {
                childNodePrefix = (i == 0 ? prefix : childPrefix) + part
            }
            render(child, trees, view, prefix: childNodePrefix, childPrefix: childPrefix + sub, into: &table)
        }
    }

    func cells(_ node: NodeStatus, _ view: WorkflowView, prefix: String) -> [String] {
        var icon: String
        switch node.phase {
        case .pending: icon = Color.yellow.paint("◷")
        case .running: icon = Color.cyan.paint("●")
        case .succeeded: icon = Color.green.paint("✔")
        case .skipped, .omitted: icon = "○"
        case .failed: icon = Color.red.paint("✖")
        case .error: icon = Color.red.paint("⚠")
        }
        if node.type == .suspend, node.phase == .running { icon = Color.cyan.paint("ǁ") }
        let isPod = node.type == .pod
        let cells = [
            prefix + icon + " " + node.displayName,
            node.templateRef.map { "\($0.name)/\($0.template)" } ?? node.templateName ?? "",
            isPod ? (node.podName ?? "") : "",
            isPod ? Humanize.short(from: node.startedAt, to: node.finishedAt, now: now) : "",
        ]
        if wide { return cells + ["", node.message ?? "", "", ""] }
        return cells + [node.message ?? ""]
    }
}

/// Argo's render tree: boundary nodes (steps, DAG) contain the nodes of their boundary; step groups and
/// retries contain their children; siblings are ordered by start time, then by loop index or name.
struct RenderTree {
    var roots: [String: String] = [:]
    var children: [String: [String]] = [:]

    init(nodes: [String: NodeStatus]) {
        var parentOf: [String: String] = [:]
        for (id, n) in nodes where n.type == .stepGroup || n.type == .retry {
            for c in n.children ?? [] where nodes[c] != nil { parentOf[c] = id }
        }
        // Task groups are not drawn: loop items hang off the DAG itself.
        for (id, n) in nodes where n.type != .taskGroup {
            if let parent = parentOf[id] {
                children[parent, default: []].append(id)
            } else if let boundary = n.boundaryID, nodes[boundary] != nil {
                children[boundary, default: []].append(id)
            } else {
                roots[id] = id
            }
        }
        for key in children.keys {
            children[key]!.sort { a, b in
                let x = nodes[a]!
                let y = nodes[b]!
                // Argo's timestamps have whole seconds: nodes started in the same second tie.
                let tx = (x.startedAt ?? .distantFuture).timeIntervalSince1970.rounded(.down)
                let ty = (y.startedAt ?? .distantFuture).timeIntervalSince1970.rounded(.down)
                if tx != ty { return tx < ty }
                let ix = Self.loopIndex(x.displayName)
                let iy = Self.loopIndex(y.displayName)
                if let ix, let iy, ix != iy { return ix < iy }
                return x.displayName < y.displayName
            }
        }
    }

    /// `name(3:item)` or `name(3)` → 3.
    static func loopIndex(_ displayName: String) -> Int? {
        guard displayName.hasSuffix(")"), let open = displayName.lastIndex(of: "(") else { return nil }
        let inner = displayName[displayName.index(after: open)..<displayName.index(before: displayName.endIndex)]
        return Int(inner.prefix { $0 != ":" })
    }
}

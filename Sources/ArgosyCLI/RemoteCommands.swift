import ArgosyEngine
import ArgosyModel
import ArgumentParser
import Foundation

/// The commands that talk to `ARGO_SERVER` instead of the local store.
extension RemoteServer {
    static func path(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? s
    }

    func workflow(_ ns: String, _ name: String) throws -> WorkflowView {
        try Self.view(try call("GET", "/api/v1/workflows/\(Self.path(ns))/\(Self.path(name))"))
    }

    func list(_ ns: String) throws -> [WorkflowView] {
        // An empty namespace lists every namespace.
        let value = try call("GET", ns.isEmpty ? "/api/v1/workflows" : "/api/v1/workflows/\(Self.path(ns))")
        var views: [WorkflowView] = []
        for item in value["items"]?.arrayValue ?? [] { views.append(try Self.view(item)) }
        return views
    }

    /// Creates workflows (manifests with the submit options applied) and, when asked, follows them until done.
    /// With `dryRun` the server checks and prepares them without creating them, and they are printed.
    func submit(_ workflows: [Workflow], namespace: String, options: RunOptions, dryRun: Bool = false) throws -> Bool {
        var created: [JSONValue] = []
        for wf in workflows {
            var manifest = wf
            manifest.metadata.uid = nil
            manifest.metadata.creationTimestamp = nil
            let body: JSONValue = ["workflow": try JSONValue(encoding: manifest), "serverDryRun": .bool(dryRun)]
            created.append(try call("POST", "/api/v1/workflows/\(Self.path(namespace))", body: body))
        }
        return try finish(created, namespace: namespace, options: options, dryRun: dryRun)
    }

    /// Prints dry-run results, or follows the created workflows.
    private func finish(_ created: [JSONValue], namespace: String, options: RunOptions, dryRun: Bool) throws -> Bool {
        if dryRun {
            for wf in created { print(WorkflowOutput.format([try Self.view(wf)], as: options.output ?? "yaml")) }
            return true
        }
        let names = created.map { $0["metadata"]?["name"]?.stringValue ?? "" }
        return try follow(names, namespace: namespace, options: options)
    }

    /// Submits a stored WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow on the server (its `submit`
    /// endpoint), then follows the new workflow like `submit`.
    func submit(
        kind: String, name: String, namespace: String, options: WorkflowPreparation.Options, run: RunOptions,
        dryRun: Bool
    ) throws -> Bool {
        var submitOptions: [(String, JSONValue)] = [
            ("parameters", .array(options.parameters.map { .string("\($0.0)=\($0.1)") }))
        ]
        if let e = options.entrypoint { submitOptions.append(("entryPoint", .string(e))) }
        if let n = options.name { submitOptions.append(("name", .string(n))) }
        if let g = options.generateName { submitOptions.append(("generateName", .string(g))) }
        if let sa = options.serviceAccount { submitOptions.append(("serviceAccount", .string(sa))) }
        if dryRun { submitOptions.append(("dryRun", true)) }
        if !options.labels.isEmpty {
            submitOptions.append(("labels", .string(options.labels.map { "\($0.0)=\($0.1)" }.joined(separator: ","))))
        }
        let created = try call(
            "POST", "/api/v1/workflows/\(Self.path(namespace))/submit",
            body: [
                "resourceKind": .string(kind), "resourceName": .string(name),
                "submitOptions": JSONValue(members: submitOptions),
            ])
        return try finish([created], namespace: namespace, options: run, dryRun: dryRun)
    }

    /// Resubmits workflows on the server (`body` carries `parameters`) and follows the new ones like `submit`.
    func resubmit(_ ns: String, _ names: [String], body: JSONValue, options: RunOptions) throws -> Bool {
        var created: [String] = []
        for name in names {
            let wf = try call("PUT", "/api/v1/workflows/\(Self.path(ns))/\(Self.path(name))/resubmit", body: body)
            created.append(wf["metadata"]?["name"]?.stringValue ?? "")
        }
        return try follow(created, namespace: ns, options: options)
    }

    /// Prints the new workflows' names, or waits for them and prints what `options` asks for.
    func follow(_ names: [String], namespace: String, options: RunOptions) throws -> Bool {
        guard options.waits else {
            for name in names { print(options.output == "name" ? name : "Name: \(name)\nNamespace: \(namespace)") }
            return true
        }
        var finished: [WorkflowView] = []
        let repaint = options.watch && options.output == nil && isatty(STDOUT_FILENO) != 0
        for name in names {
            // With --log the log stream follows the workflow to its end, printing as steps write.
            if options.log { try printLogs(namespace, name, follow: true) }
            finished.append(try waitForEnd(namespace, name, repaint: repaint))
        }
        if repaint { FileHandle.standardOutput.write(Data("\u{1B}[H\u{1B}[2J".utf8)) }
        if let output = options.output {
            print(WorkflowOutput.format(finished, as: output))
        } else if options.watch {
            print(finished.map { WorkflowPrinter().render($0) }.joined(separator: "\n"))
        } else {
            for v in finished {
                print("\(v.name) \(v.phase?.rawValue ?? "Unknown") at \(v.finishedAt.map(Timestamp.format) ?? "")")
            }
        }
        return finished.allSatisfy { $0.phase == .succeeded }
    }

    /// Follows the workflow's events (the `workflow-events` stream) until it ends or is deleted, repainting its
    /// tree on a terminal as it changes; returns it as it ended.
    func waitForEnd(_ ns: String, _ name: String, repaint: Bool) throws -> WorkflowView {
        // A stream the server ended early (a restart, say) is followed again until the workflow has ended.
        while true {
            try followEvents(ns, name, repaint: repaint)
            let view = try workflow(ns, name)
            if view.phase?.isFinished == true { return view }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// Reads the workflow's events until it ends or is deleted (or the server ends the stream).
    private func followEvents(_ ns: String, _ name: String, repaint: Bool) throws {
        let selector = "metadata.name=\(name)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        try streamLines("/api/v1/workflow-events/\(Self.path(ns))?listOptions.fieldSelector=\(selector)") { line in
            guard let value = try? JSONValue.parse(line), let result = value["result"] else { return true }
            if result["type"]?.stringValue == "DELETED" { return false }
            guard let object = result["object"], let view = try? Self.view(object) else { return true }
            if repaint {
                FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + WorkflowPrinter().render(view)).utf8))
            }
            return view.phase?.isFinished != true
        }
    }

    /// Prints the workflow's step logs as `POD: LINE`, as they arrive; `pod` keeps one step's.
    func printLogs(_ ns: String, _ name: String, pod: String? = nil, follow: Bool = false) throws {
        var query = "?logOptions.follow=\(follow)"
        if let pod, let encoded = pod.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            query += "&podName=\(encoded)"
        }
        try streamLines("/api/v1/workflows/\(Self.path(ns))/\(Self.path(name))/log\(query)") { line in
            guard let value = try? JSONValue.parse(line), let result = value["result"] else { return true }
            // Unbuffered, so a follower sees each line as it comes.
            let text = "\(result["podName"]?.stringValue ?? ""): \(result["content"]?.stringValue ?? "")\n"
            FileHandle.standardOutput.write(Data(text.utf8))
            return true
        }
    }

    /// Archived workflows of `namespace` (every namespace when nil).
    func archived(_ namespace: String?) throws -> [WorkflowView] {
        let query = namespace.map {
            "?namespace=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)"
        }
        let list = try call("GET", "/api/v1/archived-workflows" + (query ?? ""))
        return try (list["items"]?.arrayValue ?? []).map(Self.view)
    }

    /// An archived workflow by uid, or by name in `namespace`.
    func archivedWorkflow(_ id: String, _ namespace: String) throws -> WorkflowView {
        if let match = try archived(namespace).first(where: { $0.workflow.metadata.uid == id || $0.name == id }) {
            return match
        }
        return try Self.view(try call("GET", "/api/v1/archived-workflows/\(Self.path(id))"))
    }

    /// `archive retry` or `archive resubmit` on the server; prints the workflow that runs or follows it.
    func archiveAction(_ action: String, _ id: String, _ namespace: String, options: RunOptions) throws -> Bool {
        do {
            let uid = try archivedWorkflow(id, namespace).workflow.metadata.uid ?? id
            let wf = try call("PUT", "/api/v1/archived-workflows/\(Self.path(uid))/\(action)")
            let name = wf["metadata"]?["name"]?.stringValue ?? ""
            if !options.waits {
                print(action == "retry" ? "workflow \(name) retried" : "Name: \(name)\nNamespace: \(namespace)")
                return true
            }
            return try follow(
                [name], namespace: wf["metadata"]?["namespace"]?.stringValue ?? namespace, options: options)
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    /// `suspend`, `resume`, `stop`, `terminate`, `retry`, `resubmit` through the API.
    func control(_ action: String, _ ns: String, _ names: [String], body: JSONValue = [:]) throws {
        for name in names {
            _ = try call("PUT", "/api/v1/workflows/\(Self.path(ns))/\(Self.path(name))/\(action)", body: body)
            print("workflow \(name) \(action == "stop" ? "stopped" : action + (action.hasSuffix("e") ? "d" : "ed"))")
        }
    }
}

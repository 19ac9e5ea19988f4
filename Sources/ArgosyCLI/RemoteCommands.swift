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
        let value = try call("GET", "/api/v1/workflows/\(Self.path(ns))")
        var views: [WorkflowView] = []
        for item in value["items"]?.arrayValue ?? [] { views.append(try Self.view(item)) }
        return views
    }

    /// Creates workflows (manifests with the submit options applied) and, when asked, follows them until done.
    func submit(_ workflows: [Workflow], namespace: String, options: RunOptions) throws -> Bool {
        var names: [String] = []
        for wf in workflows {
            var manifest = wf
            manifest.metadata.uid = nil
            manifest.metadata.creationTimestamp = nil
            let created = try call(
                "POST", "/api/v1/workflows/\(Self.path(namespace))",
                body: ["workflow": try JSONValue(encoding: manifest)])
            names.append(created["metadata"]?["name"]?.stringValue ?? "")
        }
        return try follow(names, namespace: namespace, options: options)
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
        for name in names {
            // With --log the log stream follows the workflow to its end, printing as steps write.
            if options.log { try printLogs(namespace, name, follow: true) }
            var view = try workflow(namespace, name)
            while view.phase?.isFinished != true {
                Thread.sleep(forTimeInterval: 0.5)
                view = try workflow(namespace, name)
            }
            finished.append(view)
        }
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

    /// Prints the workflow's step logs as `POD: LINE`, as they arrive; `pod` keeps one step's.
    func printLogs(_ ns: String, _ name: String, pod: String? = nil, follow: Bool = false) throws {
        var query = "?logOptions.follow=\(follow)"
        if let pod, let encoded = pod.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            query += "&podName=\(encoded)"
        }
        try streamLines("/api/v1/workflows/\(Self.path(ns))/\(Self.path(name))/log\(query)") { line in
            guard let value = try? JSONValue.parse(line), let result = value["result"] else { return }
            // Unbuffered, so a follower sees each line as it comes.
            let text = "\(result["podName"]?.stringValue ?? ""): \(result["content"]?.stringValue ?? "")\n"
            FileHandle.standardOutput.write(Data(text.utf8))
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

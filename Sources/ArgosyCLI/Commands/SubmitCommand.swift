import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// Options shared by commands that start workflows and may wait for them.
struct RunOptions: ParsableArguments {
    @Flag(help: "Watch the workflow until it completes, repainting its tree.") var watch = false
    @Flag(help: "Wait for the workflow to complete.") var wait = false
    @Flag(help: "Print the workflow's step logs as they run, until it completes.") var log = false
    @Option(name: [.short, .long], help: "Output: name, json, yaml or wide.") var output: String?

    var waits: Bool { watch || wait || log }
}

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit and run workflows (in this process with --watch, --wait or --log).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var run: RunOptions
    @Argument(help: "Workflow manifest files ('-' reads standard input).") var files: [String] = []
    @Option(
        name: .customLong("from"),
        help: "Submit from a stored resource: workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronwf/NAME.")
    var from: String?
    @Option(name: [.short, .customLong("parameter")], help: "A workflow parameter, NAME=VALUE (repeatable).")
    var parameters: [String] = []
    @Option(name: .customLong("parameter-file"), help: "A YAML or JSON file of parameter values.")
    var parameterFile: String?
    @Option(help: "Run this template instead of the workflow's entrypoint.") var entrypoint: String?
    @Option(help: "Name the workflow.") var name: String?
    @Option(name: .customLong("generate-name"), help: "Name the workflow with this prefix and a random suffix.")
    var generateName: String?
    @Option(name: .customLong("serviceaccount"), help: "Recorded as the workflow's service account.")
    var serviceAccount: String?
    @Option(name: [.short, .long], help: "Labels, KEY=VALUE[,KEY=VALUE…].") var labels: String?
    @Flag(name: .customLong("dry-run"), help: "Validate and print the workflow without running it.")
    var dryRun = false

    func run() async throws {
        let context = CLIContext()
        if files.isEmpty, from == nil { throw fail("give a workflow file, or --from KIND/NAME") }
        if !files.isEmpty, from != nil { throw fail("give either workflow files or --from, not both") }
        let limits = context.limits
        let manifests = ManifestFiles(paths: files, limits: limits)
        if manifests.report() { throw ExitCode(1) }
        if manifests.loaded.count > limits.workflowsPerRequest {
            throw fail(
                "\(manifests.loaded.count) workflows in one submit is more than the limit of \(limits.workflowsPerRequest) (limits.workflowsPerRequest)"
            )
        }
        var options = WorkflowPreparation.Options()
        options.limits = limits
        do {
            options.parameters = try Self.parseParameters(parameters, file: parameterFile)
            options.labels = try (labels ?? "").split(separator: ",").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else {
                    throw ArgosyError(.invalid, "--labels: expected KEY=VALUE, found '\(pair)'")
                }
                return (kv[0], kv[1])
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
        options.entrypoint = entrypoint
        options.name = name
        options.generateName = generateName
        options.serviceAccount = serviceAccount
        options.namespace = global.namespace ?? ProcessInfo.processInfo.environment["ARGO_NAMESPACE"]
        var sources: [(file: String, workflow: Workflow)] = []
        for item in manifests.loaded {
            guard case .workflow(let wf)? = item.resource else {
                throw fail(
                    "\(item.document.file): argosy submit runs kind Workflow, found \(item.resource?.kind ?? "nothing")"
                )
            }
            sources.append((item.document.file, wf))
        }
        let namespace = options.namespace ?? "default"
        if let remote = global.remote {
            do {
                if let from {
                    let (kind, name) = try Self.split(from: from)
                    if try !remote.submit(
                        kind: kind, name: name, namespace: namespace, options: options, run: run, dryRun: dryRun)
                    {
                        throw ExitCode(1)
                    }
                    return
                }
                // The server assigns names and checks arguments; the options are applied to the manifest here.
                let manifests = sources.map { WorkflowPreparation.applying(options, to: $0.workflow) }
                if try !remote.submit(manifests, namespace: namespace, options: run, dryRun: dryRun) {
                    throw ExitCode(1)
                }
                return
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
        let store: WorkflowStore
        do {
            store = try context.openStore()
            if let from { sources.append((from, try Self.workflow(from: from, namespace: namespace, store: store))) }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
        var workflows: [Workflow] = []
        var generated = Set<String>()
        for (file, source) in sources {
            do {
                var wf = source
                if wf.metadata.namespace == nil || options.namespace != nil { wf.metadata.namespace = namespace }
                var o = options
                o.namespace = wf.namespace
                let prepared = try WorkflowSubmission.prepare(wf, options: o, store: store)
                if name == nil, (source.metadata.name ?? "").isEmpty { generated.insert(prepared.metadata.uid ?? "") }
                workflows.append(prepared)
            } catch {
                throw fail("\(file): \(error.description)")
            }
        }
        if name != nil, workflows.count > 1 {
            throw fail("--name applies to one workflow, but \(workflows.count) were given")
        }
        if dryRun {
            for wf in workflows {
                print(WorkflowOutput.format([WorkflowView(wf, RunState())], as: run.output ?? "yaml"))
            }
            return
        }
        let ok = try await WorkflowRunner(context: context, options: run).start(workflows, generated: generated)
        if !ok { throw ExitCode(1) }
    }

    /// The workflow `--from KIND/NAME` stands for.
    static func workflow(from: String, namespace: String, store: WorkflowStore) throws(ArgosyError) -> Workflow {
        let (kind, name) = try split(from: from)
        return try SubmitSource.workflow(kind: kind, name: name, namespace: namespace, store: store)
    }

    /// `KIND/NAME` of `--from`.
    static func split(from: String) throws(ArgosyError) -> (String, String) {
        let parts = from.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ArgosyError(
                .invalid,
                "--from: expected KIND/NAME (workflowtemplate, clusterworkflowtemplate or cronwf), found '\(from)'")
        }
        return (parts[0], parts[1])
    }

    static func parseParameters(_ pairs: [String], file: String?) throws(ArgosyError) -> [(String, String)] {
        var out: [(String, String)] = []
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ArgosyError(.invalid, "--parameter-file: cannot read \(file)")
            }
            let docs = try ManifestDocument.parseAll(String(decoding: data, as: UTF8.self), file: file)
            guard case .object(let o)? = docs.first?.value else {
                throw ArgosyError(.invalid, "--parameter-file \(file): expected a mapping of parameter names to values")
            }
            for (k, v) in o { out.append((k, v.parameterString)) }
        }
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ArgosyError(.invalid, "-p: expected NAME=VALUE, found '\(pair)'")
            }
            out.append((String(pair[..<eq]), String(pair[pair.index(after: eq)...])))
        }
        return out
    }
}

import ArgosyExpressions
import ArgosyModel
import Foundation

extension Operation {
    /// A container or script template: one step process.
    func executePod(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        if let node = self.node(named: nodeName) { return watch(node) }
        if shutdownMessage != nil || workflow.spec.suspend == true { return nil }
        if let limit = workflow.spec.parallelism, activePods >= limit { return nil }

        let pod = podName(nodeName: nodeName, templateName: template.name)
        var podScope = scope
        podScope["pod.name"] = .string(pod)
        podScope["node.name"] = .string(nodeName)
        for p in template.outputs?.parameters ?? [] {
            if let path = p.valueFrom?.path, !path.contains("{{") {
                podScope["outputs.parameters.\(p.name).path"] = .string(path)
            }
        }
        do {
            let launch = try makeLaunch(nodeName: nodeName, podName: pod, template: template, scope: podScope)
            initializeNode(
                name: nodeName, displayName: displayName, type: .pod, templateName: template.name,
                boundaryID: boundaryID, phase: .running)
            state.update(named: nodeName) {
                $0.podName = pod
                $0.deadline = launch.deadline
                if inputs.parameters != nil { $0.inputs = inputs }
            }
            if let deadline = launch.deadline { outcome.wake(at: deadline) }
            outcome.actions.append(.launch(launch))
        } catch {
            initializeNode(
                name: nodeName, displayName: displayName, type: .pod, templateName: template.name,
                boundaryID: boundaryID, phase: .error, message: error.description)
        }
        return self.node(named: nodeName)
    }

    /// A step already started: only its deadline is left to watch.
    func watch(_ node: NodeStatus) -> NodeStatus? {
        if !node.phase.isFinished, let deadline = node.deadline {
            if now >= deadline {
                failRunningPod(node, message: "Pod was active on the node longer than the specified deadline")
                return self.node(named: node.name)
            }
            outcome.wake(at: deadline)
        }
        return node
    }

    func makeLaunch(nodeName: String, podName: String, template: Template, scope: VariableScope) throws(EngineError)
        -> StepLaunch
    {
        var container = template.container ?? template.script?.container ?? Container()
        func sub(_ text: String, _ what: String) throws(EngineError) -> String {
            try substitute(text, scope, what: "template '\(template.name)' \(what)")
        }
        container.image = try container.image.map { (t) throws(EngineError) in try sub(t, "image") }
        if let command = container.command {
            var out: [String] = []
            for (i, c) in command.enumerated() { out.append(try sub(c, "command[\(i)]")) }
            container.command = out
        }
        if let args = container.args {
            var out: [String] = []
            for (i, a) in args.enumerated() { out.append(try sub(a, "args[\(i)]")) }
            container.args = out
        }
        if let env = container.env {
            var out: [EnvVar] = []
            for var e in env {
                if let v = e.value { e.value = try sub(v, "env \(e.name)") }
                out.append(e)
            }
            container.env = out
        }
        container.workingDir = try container.workingDir.map { (t) throws(EngineError) in try sub(t, "workingDir") }
        let source = try template.script.map { (s) throws(EngineError) in try sub(s.source, "source") }

        var outputPaths: [String: String] = [:]
        for p in template.outputs?.parameters ?? [] {
            if let path = p.valueFrom?.path {
                outputPaths[p.name] = try sub(path, "outputs.parameters.\(p.name).valueFrom.path")
            }
        }
        var deadline: Date?
        if let ads = template.activeDeadlineSeconds {
            let text = try sub(ads.description, "activeDeadlineSeconds")
            guard let seconds = ArgoDuration.seconds(text) else {
                throw EngineError("template '\(template.name)' activeDeadlineSeconds: invalid value '\(text)'")
            }
            deadline = now.addingTimeInterval(seconds)
        }
        if let timeout = template.timeout {
            let text = try sub(timeout, "timeout")
            guard let seconds = ArgoDuration.seconds(text) else {
                throw EngineError("template '\(template.name)' timeout: invalid duration '\(text)'")
            }
            let t = now.addingTimeInterval(seconds)
            deadline = deadline.map { min($0, t) } ?? t
        }
        // Volume claim templates live as long as the workflow: claims named `<workflow>-<name>`.
        let claims = (workflow.spec.volumeClaimTemplates ?? []).compactMap { claim -> Volume? in
            guard let claimName = claim.metadata.name else { return nil }
            return Volume(name: claimName, claimName: "\(name)-\(claimName)")
        }
        var volumes = (workflow.spec.volumes ?? []) + claims + (template.volumes ?? [])
        // Names and paths may come from parameters, as in Argo's pod spec.
        for i in volumes.indices {
            let what = "volumes.\(volumes[i].name)"
            if let claim = volumes[i].persistentVolumeClaim?.claimName, claim.contains("{{") {
                volumes[i].persistentVolumeClaim?.claimName = try sub(claim, "\(what).persistentVolumeClaim.claimName")
            }
            if let secret = volumes[i].secret?.secretName, secret.contains("{{") {
                volumes[i].secret?.secretName = try sub(secret, "\(what).secret.secretName")
            }
            if let map = volumes[i].configMap?.name, map.contains("{{") {
                volumes[i].configMap?.name = try sub(map, "\(what).configMap.name")
            }
            if let path = volumes[i].hostPath?.path, path.contains("{{") {
                volumes[i].hostPath?.path = try sub(path, "\(what).hostPath.path")
            }
        }
        return StepLaunch(
            workflowUID: workflow.metadata.uid ?? "", namespace: workflow.namespace,
            nodeID: Workflow.nodeID(workflowName: name, nodeName: nodeName),
            nodeName: nodeName, podName: podName, templateName: template.name, container: container,
            scriptSource: source, volumes: volumes, outputPaths: outputPaths, deadline: deadline)
    }

    // MARK: - Results

    /// Records what the runtime observed. Results for nodes already finished (killed on stop) are ignored.
    func apply(_ results: [StepResult]) {
        for result in results {
            guard let node = self.node(id: result.nodeID), node.type == .pod else { continue }
            if node.phase.isFinished {
                // Killed by the engine: keep its phase and message, take the outputs the step produced.
                if node.outputs == nil, let exitCode = result.exitCode {
                    state.update(named: node.name) { $0.outputs = Outputs(exitCode: String(exitCode)) }
                }
                continue
            }
            let template = reconciler.template(for: node)
            var outputs = Outputs()
            if let stdout = result.stdout {
                outputs.result = String(stdout.reversed().drop(while: { $0 == "\n" || $0 == "\r" }).reversed())
            }
            if let code = result.exitCode { outputs.exitCode = String(code) }
            var phase: NodePhase
            var message: String?
            if let error = result.error {
                phase = .error
                message = error
            } else if let reason = result.killReason {
                phase = .failed
                message = reason
            } else if result.exitCode == 0 {
                phase = .succeeded
            } else {
                phase = .failed
                message = "Error (exit code \(result.exitCode ?? -1))"
            }
            var params: [Parameter] = []
            for declared in template?.outputs?.parameters ?? [] {
                var p = Parameter(name: declared.name)
                p.globalName = declared.globalName
                if let value = result.outputValues[declared.name] {
                    p.value = value
                } else if let fallback = declared.valueFrom?.default ?? declared.value {
                    p.value = fallback
                } else if declared.valueFrom?.path != nil {
                    if phase == .succeeded {
                        phase = .error
                        message =
                            "failed to read output parameter '\(declared.name)' from \(declared.valueFrom?.path ?? ""): no such file"
                    }
                    continue
                } else {
                    continue
                }
                if let global = declared.globalName, let v = p.value {
                    state.outputs[global] = v
                    state.markHeaderChanged()
                }
                params.append(p)
            }
            if !params.isEmpty { outputs.parameters = params }
            state.update(named: node.name) {
                $0.phase = phase
                $0.message = message
                $0.finishedAt = result.finishedAt
                $0.outputs = outputs.isEmpty ? nil : outputs
            }
        }
    }
}

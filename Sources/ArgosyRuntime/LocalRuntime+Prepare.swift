import ArgosyModel
import Foundation

extension LocalRuntime {
    /// The supervisor's command line and the step's environment.
    func prepare(_ launch: StepLaunch, _ dir: StepDirectory) throws(ArgosyError) -> ([String], [String]) {
        let c = launch.container
        var program: [String]
        if let command = c.command, !command.isEmpty {
            program = command
        } else if let image = c.image, let entry = EntryPoints.command(for: image, config: config, argosy: argosy) {
            program = entry
        } else {
            let image = c.image ?? "(none)"
            throw ArgosyError(
                .invalid,
                "image '\(image)' has no known entry point: give the container a command, or map the image in \(home.path)/config.yaml under images:"
            )
        }
        program += c.args ?? []
        if let source = launch.scriptSource {
            let scriptURL = dir.url.appendingPathComponent("script")
            try dir.makeOwnDirectory()
            do {
                try source.write(to: scriptURL, atomically: true, encoding: .utf8)
            } catch {
                throw ArgosyError(.io, "cannot write the script: \(error.localizedDescription)")
            }
            program.append(Self.scriptPath)
        }

        // Like a container, the step starts in `/` unless it names a working directory.
        // The step sees nothing of Argosy's home: not the store, not the logs, not other steps' files.
        var argv = [
            supervisor, "--dir", dir.folderPath, "--name", dir.name, "--sandbox", "--hide", hiddenHome,
            "--workdir", c.workingDir ?? "/",
        ]
        if program.first == argosy {
            // Built-in images run `argosy` itself, which may live where the sandbox hides it (under /tmp).
            argv += ["--bind", "\(argosy):\(Self.argosyPath):ro"]
            program[0] = Self.argosyPath
        }
        if launch.scriptSource != nil {
            argv += ["--bind", "\(dir.url.appendingPathComponent("script").path):\(Self.scriptPath):ro"]
        }
        for bind in try mounts(launch, dir) { argv += ["--bind", bind] }
        for (name, path) in launch.outputPaths.sorted(by: { $0.key < $1.key }) {
            argv += ["--output", "\(name)=\(path)"]
        }
        argv.append("--")
        argv += program
        return (argv, try environment(launch))
    }

    /// Where a script template's source appears inside the step (in its private /tmp).
    static let scriptPath = "/tmp/argosy/script"
    /// Where `argosy` appears inside a step of a built-in image.
    static let argosyPath = "/tmp/argosy/argosy"

    /// What every step's environment takes from the controller's, worked out once.
    struct StepHost {
        var path: String
        var home: String
        var lang: String
        /// `passEnv` variables the controller has.
        var passed: [(String, String)]

        init(_ host: [String: String], passEnv: [String]) {
            path = host["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/games"]
            where !path.split(separator: ":").contains(Substring(extra)) {
                path += ":" + extra
            }
            home = getuid() == 0 ? "/root" : (host["HOME"] ?? "/")
            lang = host["LANG"] ?? "C.UTF-8"
            passed = passEnv.compactMap { name in host[name].map { (name, $0) } }
        }
    }

    /// `NAME=value` pairs the step sees: the pod's variables, never the controller's (except `passEnv`).
    func environment(_ launch: StepLaunch) throws(ArgosyError) -> [String] {
        var env: [(String, String)] = []
        func set(_ k: String, _ v: String) {
            env.removeAll { $0.0 == k }
            env.append((k, v))
        }
        let host = stepHost
        env.reserveCapacity(9 + host.passed.count + (launch.container.env?.count ?? 0))
        env.append(("PATH", host.path))
        env.append(("HOME", host.home))
        env.append(("HOSTNAME", launch.podName))
        env.append(("LANG", host.lang))
        env.append(("ARGO_POD_NAME", launch.podName))
        env.append(("ARGO_NODE_ID", launch.nodeID))
        env.append(("ARGO_CONTAINER_NAME", "main"))
        env.append(("ARGO_TEMPLATE_NAME", launch.templateName))
        for (name, value) in host.passed { set(name, value) }

        let c = launch.container
        for (i, source) in (c.envFrom ?? []).enumerated() {
            let prefix = source.prefix ?? ""
            let (kind, ref) =
                source.secretRef.map { ("Secret", $0) } ?? source.configMapRef.map { ("ConfigMap", $0) } ?? ("", nil)
            guard let ref else { throw ArgosyError(.invalid, "envFrom[\(i)]: needs secretRef or configMapRef") }
            guard let data = try lookup(kind, launch.namespace, ref.name) else {
                if ref.optional == true { continue }
                throw ArgosyError(.notFound, "envFrom[\(i)]: \(kind.lowercased()) '\(ref.name)' not found")
            }
            for (k, v) in data.sorted(by: { $0.key < $1.key }) { set(prefix + k, Self.decode(v)) }
        }
        for e in c.env ?? [] {
            if let v = e.value {
                set(e.name, Self.expandReferences(v, env))
            } else if let from = e.valueFrom {
                if let ref = from.secretKeyRef ?? from.configMapKeyRef {
                    let kind = from.secretKeyRef != nil ? "Secret" : "ConfigMap"
                    guard let data = try lookup(kind, launch.namespace, ref.name) else {
                        if ref.optional == true { continue }
                        throw ArgosyError(.notFound, "env \(e.name): \(kind.lowercased()) '\(ref.name)' not found")
                    }
                    guard let v = data[ref.key] else {
                        if ref.optional == true { continue }
                        throw ArgosyError(
                            .notFound, "env \(e.name): key '\(ref.key)' not found in \(kind.lowercased()) '\(ref.name)'"
                        )
                    }
                    set(e.name, Self.decode(v))
                } else if let field = from.fieldRef {
                    switch field.fieldPath {
                    case "metadata.name": set(e.name, launch.podName)
                    case "metadata.namespace": set(e.name, launch.namespace)
                    case "metadata.uid": set(e.name, launch.nodeID)
                    case "spec.nodeName": set(e.name, ProcessInfo.processInfo.hostName)
                    case "status.podIP", "status.hostIP": set(e.name, "127.0.0.1")
                    default:
                        throw ArgosyError(.invalid, "env \(e.name): fieldRef '\(field.fieldPath)' is not supported")
                    }
                } else {
                    throw ArgosyError(
                        .invalid, "env \(e.name): valueFrom needs secretKeyRef, configMapKeyRef or fieldRef")
                }
            } else {
                set(e.name, "")
            }
        }
        return env.map { "\($0.0)=\($0.1)" }
    }

    /// Kubernetes' `$(VAR)` references to earlier variables in an env value.
    static func expandReferences(_ value: String, _ env: [(String, String)]) -> String {
        guard value.contains("$(") else { return value }
        var out = value
        for (k, v) in env { out = out.replacingOccurrences(of: "$(\(k))", with: v) }
        return out
    }

    static func decode(_ base64: String) -> String {
        guard let data = Data(base64Encoded: base64) else { return base64 }
        return String(decoding: data, as: UTF8.self)
    }

    func lookup(_ kind: String, _ namespace: String, _ name: String) throws(ArgosyError) -> [String: String]? {
        do {
            return try objects.data(kind: kind, namespace: namespace, name: name)
        } catch {
            throw ArgosyError(.io, "cannot read \(kind.lowercased()) '\(name)': \(error)")
        }
    }

    /// `--bind SRC:DST[:ro]` for each volume mount, materializing secrets and config maps as files.
    func mounts(_ launch: StepLaunch, _ dir: StepDirectory) throws(ArgosyError) -> [String] {
        let fm = FileManager.default
        var binds: [String] = []
        for m in launch.container.volumeMounts ?? [] {
            guard let volume = launch.volumes.last(where: { $0.name == m.name }) else {
                throw ArgosyError(.invalid, "volumeMounts: volume '\(m.name)' not found")
            }
            // Names become folder names under the home: checked here too, whatever lint let through (a name
            // that came from a variable, or a workflow stored before the check existed).
            try KubernetesName.checkLabel(volume.name, field: "volume name")
            try KubernetesName.checkLabel(launch.namespace, field: "namespace")
            if let claim = volume.persistentVolumeClaim {
                try KubernetesName.checkSubdomain(claim.claimName, field: "volume '\(m.name)': claimName")
            }
            var source: URL
            var readOnly = m.readOnly == true
            do {
                if volume.emptyDir != nil {
                    source = dir.url.appendingPathComponent("volumes").appendingPathComponent(m.name)
                    try fm.createDirectory(at: source, withIntermediateDirectories: true)
                } else if let secret = volume.secret {
                    source = dir.url.appendingPathComponent("secret-volumes").appendingPathComponent(m.name)
                    guard let data = try lookup("Secret", launch.namespace, secret.secretName) else {
                        if secret.optional == true { continue }
                        throw ArgosyError(.notFound, "volume '\(m.name)': secret '\(secret.secretName)' not found")
                    }
                    try writeFiles(
                        data, items: secret.items, mode: secret.defaultMode ?? 0o644, to: source,
                        what: "secret '\(secret.secretName)'")
                    readOnly = true
                } else if let map = volume.configMap {
                    source = dir.url.appendingPathComponent("configmap-volumes").appendingPathComponent(m.name)
                    guard let data = try lookup("ConfigMap", launch.namespace, map.name) else {
                        if map.optional == true { continue }
                        throw ArgosyError(.notFound, "volume '\(m.name)': configmap '\(map.name)' not found")
                    }
                    try writeFiles(
                        data, items: map.items, mode: map.defaultMode ?? 0o644, to: source,
                        what: "configmap '\(map.name)'")
                    readOnly = true
                } else if let hostPath = volume.hostPath {
                    source = URL(fileURLWithPath: hostPath.path)
                    if hostPath.type == "DirectoryOrCreate" {
                        try fm.createDirectory(at: source, withIntermediateDirectories: true)
                    } else if !fm.fileExists(atPath: source.path) {
                        throw ArgosyError(.notFound, "volume '\(m.name)': hostPath \(hostPath.path) does not exist")
                    }
                } else if let claim = volume.persistentVolumeClaim {
                    source = home.appendingPathComponent("volumes").appendingPathComponent(launch.namespace)
                        .appendingPathComponent(claim.claimName)
                    try fm.createDirectory(at: source, withIntermediateDirectories: true)
                    if claim.readOnly == true { readOnly = true }
                } else {
                    throw ArgosyError(
                        .invalid,
                        "volume '\(m.name)': only emptyDir, secret, configMap, hostPath and persistentVolumeClaim volumes are supported"
                    )
                }
            } catch let error as ArgosyError {
                throw error
            } catch {
                throw ArgosyError(.io, "volume '\(m.name)': \(error.localizedDescription)")
            }
            if let sub = m.subPath, !sub.isEmpty {
                if sub.split(separator: "/").contains("..") {
                    throw ArgosyError(.invalid, "volumeMounts \(m.name): subPath must not contain '..'")
                }
                source = source.appendingPathComponent(sub)
                if !fm.fileExists(atPath: source.path) {
                    try? fm.createDirectory(at: source, withIntermediateDirectories: true)
                }
            }
            if m.mountPath.contains(":") || source.path.contains(":") {
                throw ArgosyError(.invalid, "volumeMounts \(m.name): paths must not contain ':'")
            }
            binds.append("\(source.path):\(m.mountPath)\(readOnly ? ":ro" : "")")
        }
        return binds
    }

    func writeFiles(_ data: [String: String], items: [Volume.KeyToPath]?, mode: Int, to dir: URL, what: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let pairs: [(String, String, Int?)] =
            try items.map { list in
                try list.map { item in
                    guard data[item.key] != nil else {
                        throw ArgosyError(.notFound, "\(what) has no key '\(item.key)'")
                    }
                    return (item.key, item.path, item.mode)
                }
            } ?? data.keys.sorted().map { ($0, $0, nil) }
        for (key, path, itemMode) in pairs {
            if path.split(separator: "/").contains("..") {
                throw ArgosyError(.invalid, "\(what): item path must not contain '..'")
            }
            let target = dir.appendingPathComponent(path)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let bytes = Data(base64Encoded: data[key] ?? "") ?? Data((data[key] ?? "").utf8)
            try bytes.write(to: target)
            try fm.setAttributes([.posixPermissions: itemMode ?? mode], ofItemAtPath: target.path)
        }
    }
}

import ArgosyModel
import Foundation
import Yams

/// Settings of the local runtime, from `$ARGOSY_HOME/config.yaml`:
///
/// ```yaml
/// images:                 # entry points for images whose containers give no command
///   python: [python3]
///   my/tool:1.2: [/opt/tool/bin/tool, --quiet]
/// passEnv: [AWS_PROFILE]  # host variables steps may see
/// killGraceSeconds: 10    # SIGTERM to SIGKILL on stop, terminate and timeouts
/// limits: {loopItems: 100000}   # see ``Limits``
/// ```
public struct RuntimeConfig: Sendable {
    public var images: [String: [String]] = [:]
    public var passEnv: [String] = []
    public var killGraceSeconds: Double = 10
    public var limits = Limits()

    public init() {}

    /// Reads `config.yaml` in `home`; a missing file gives the defaults, a malformed one an error naming it.
    public static func load(home: URL) throws(ArgosyError) -> RuntimeConfig {
        let url = home.appendingPathComponent("config.yaml")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return RuntimeConfig() }
        let documents = try ManifestDocument.parseAll(text, file: url.path)
        var config = RuntimeConfig()
        guard let doc = documents.first else { return config }
        guard case .object(let root) = doc.value else {
            throw ArgosyError(.invalid, "\(url.path): expected a mapping")
        }
        for (key, value) in root {
            let at = doc.location(of: FieldPath().appending(key))
            switch key {
            case "images":
                guard case .object(let images) = value else {
                    throw ArgosyError(.invalid, "images: expected a mapping", at: at)
                }
                for (image, command) in images {
                    guard let list = command.arrayValue?.compactMap(\.stringValue), !list.isEmpty else {
                        throw ArgosyError(.invalid, "images.\(image): expected a list of strings (the command)", at: at)
                    }
                    config.images[image] = list
                }
            case "passEnv":
                guard let list = value.arrayValue?.compactMap(\.stringValue) else {
                    throw ArgosyError(.invalid, "passEnv: expected a list of variable names", at: at)
                }
                config.passEnv = list
            case "killGraceSeconds":
                guard let d = value.doubleValue, d >= 0, d <= 86_400 else {
                    throw ArgosyError(
                        .invalid, "killGraceSeconds: expected a number of seconds from 0 to 86400", at: at)
                }
                config.killGraceSeconds = d
            case "limits":
                config.limits = try Limits(from: value, at: at)
            default:
                throw ArgosyError(
                    .invalid, "unknown setting '\(key)' (known: images, passEnv, killGraceSeconds, limits)", at: at)
            }
        }
        return config
    }
}

/// What runs for an image whose container has no `command`.
public enum EntryPoints {
    /// Built-in entry points: Argo's test image (implemented inside `argosy`), whalesay and the AWS CLI.
    static func builtIn(_ image: String, argosy: String) -> [String]? {
        switch image {
        case "argoproj/argosay": [argosy, "argosay"]
        case "docker/whalesay": ["cowsay"]
        case "amazon/aws-cli": ["aws"]
        default: nil
        }
    }

    /// `docker.io/library/alpine:3.20@sha256:…` → `alpine`; `docker/whalesay:latest` → `docker/whalesay`.
    public static func repository(of image: String) -> String {
        var s = Substring(image)
        if let at = s.firstIndex(of: "@") { s = s[..<at] }
        if let colon = s.lastIndex(of: ":"), !s[colon...].contains("/") { s = s[..<colon] }
        for prefix in ["docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/"]
        where s.hasPrefix(prefix) {
            s = s.dropFirst(prefix.count)
        }
        if s.hasPrefix("library/") { s = s.dropFirst(8) }
        return String(s)
    }

    /// The entry point for `image`: the config's exact image, then its repository, then a built-in.
    public static func command(for image: String, config: RuntimeConfig, argosy: String) -> [String]? {
        if let c = config.images[image] { return c }
        let repo = repository(of: image)
        if let c = config.images[repo] { return c }
        // argosay v1 was cowsay; v2 and later are the sub-command tool built into argosy.
        if repo == "argoproj/argosay", image.hasSuffix(":v1") { return ["cowsay"] }
        return builtIn(repo, argosy: argosy)
    }
}

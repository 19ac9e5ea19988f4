/// The names Kubernetes allows, checked wherever a name reaches the store, a path or a file: DNS-1123 subdomains
/// for resource names (workflows, templates, secrets, claims), DNS-1123 labels for namespaces. A name that passes
/// has no `/`, no `..` and nothing but `a-z`, `0-9`, `-` (and `.` between labels), so it is safe as a file name.
public enum KubernetesName {
    /// The longest subdomain (a resource name).
    public static let maxSubdomain = 253
    /// The longest label (a namespace).
    public static let maxLabel = 63

    /// Throws an error naming `field` unless `name` is a DNS-1123 subdomain: dot-separated labels of lower-case
    /// letters, digits and `-`, each starting and ending with a letter or digit, 253 characters at most.
    public static func checkSubdomain(_ name: String, field: String) throws(ArgosyError) {
        let utf8 = Array(name.utf8)
        let labels = utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard !utf8.isEmpty, utf8.count <= maxSubdomain, labels.allSatisfy({ isLabel($0) }) else {
            throw ArgosyError(
                .invalid,
                "\(field) '\(shown(name))' is invalid: use at most \(maxSubdomain) lower-case letters, digits, '-' and '.', "
                    + "starting and ending with a letter or digit")
        }
    }

    /// Throws an error naming `field` unless `name` is a DNS-1123 label (a namespace): lower-case letters, digits
    /// and `-`, starting and ending with a letter or digit, 63 characters at most.
    public static func checkLabel(_ name: String, field: String) throws(ArgosyError) {
        let utf8 = Array(name.utf8)
        guard utf8.count <= maxLabel, isLabel(utf8[...]) else {
            throw ArgosyError(
                .invalid,
                "\(field) '\(shown(name))' is invalid: use at most \(maxLabel) lower-case letters, digits and '-', "
                    + "starting and ending with a letter or digit")
        }
    }

    public static func isSubdomain(_ name: String) -> Bool { (try? checkSubdomain(name, field: "")) != nil }
    public static func isLabel(_ name: String) -> Bool { (try? checkLabel(name, field: "")) != nil }

    private static func isLabel(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    /// The name as an error message shows it: control characters escaped, at most 80 characters.
    static func shown(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return name.unicodeScalars.count > 80 ? out + "…" : out
    }
}

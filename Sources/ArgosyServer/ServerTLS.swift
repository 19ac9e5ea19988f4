import ArgosyModel
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The certificate `argosy server --secure` serves: the files the user names, or (as argo-server does) a
/// self-signed one made at start-up.
public struct ServerTLS: Sendable {
    public let configuration: TLSConfiguration
    /// The served certificate in PEM, so that clients can be told to trust it.
    public let certificatePEM: String
    /// SHA-256 of the certificate's DER bytes, as `AB:CD:…`.
    public let fingerprint: String

    /// Reads a PEM certificate chain and its PEM private key.
    public static func files(certificate: String, key: String) throws -> ServerTLS {
        let pem: String
        do {
            pem = try String(contentsOfFile: certificate, encoding: .utf8)
        } catch {
            throw ArgosyError(.invalid, "--tls-cert \(certificate): cannot read: \(error.localizedDescription)")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        } catch {
            throw ArgosyError(.invalid, "--tls-cert \(certificate): not a PEM certificate (\(error))")
        }
        guard let first = chain.first else {
            throw ArgosyError(.invalid, "--tls-cert \(certificate): no certificate in the file")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ArgosyError(.invalid, "--tls-key \(key): not a readable PEM private key (\(error))")
        }
        return ServerTLS(
            configuration: .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey)),
            certificatePEM: pem, fingerprint: fingerprint(of: try first.toDERBytes()))
    }

    /// A new P-256 key and a certificate for it, signed by itself, valid for a year for `localhost`, the loopback
    /// addresses and `host`.
    public static func selfSigned(host: String) throws -> ServerTLS {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName("argosy-server")
            OrganizationName("Argosy (self-signed)")
        }
        var names: [GeneralName] = [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
        names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))))
        if let address = ipAddressBytes(host) {
            if !names.contains(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address)))) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
            }
        } else if host != "localhost" {
            names.append(.dnsName(host))
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        return ServerTLS(
            configuration: .makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: der, format: .der))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem))),
            certificatePEM: try certificate.serializeAsPEM().pemString + "\n", fingerprint: fingerprint(of: der))
    }

    static func fingerprint(of der: [UInt8]) -> String {
        SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}

/// The 4 or 16 bytes of a literal IPv4 or IPv6 address; nil for a host name.
private func ipAddressBytes(_ host: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}

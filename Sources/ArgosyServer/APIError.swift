import ArgosyModel
import Foundation
import Hummingbird

/// Argo's error body, `{"code": <gRPC code>, "message": "…"}`, with the HTTP status it maps to.
struct APIError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    /// An internal failure behind a 500 (a database or file error): logged, never shown to the client.
    var cause: ArgosyError?

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The one table from Argosy's error codes to HTTP statuses.
    init(_ error: ArgosyError) {
        switch error.code {
        case .invalid: self.init(.badRequest, error.description)
        case .notFound: self.init(.notFound, error.description)
        case .alreadyExists: self.init(.conflict, error.description)
        case .conflict: self.init(.conflict, error.description)
        case .failedPrecondition: self.init(.badRequest, error.description)
        default:  // .io, .internal
            self.init(.internalServerError, "internal error (the server's log has the details)")
            cause = error
        }
    }

    /// gRPC codes as grpc-gateway writes them in Argo's error bodies.
    var grpcCode: Int {
        switch status {
        case .badRequest: 3
        case .unauthorized: 16
        case .forbidden: 7
        case .notFound: 5
        case .conflict: 6
        case .contentTooLarge: 8
        default: 13
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = ["code": .int(grpcCode), "message": .string(message)]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.compactJSON)))
    }
}

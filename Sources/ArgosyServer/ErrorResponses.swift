import ArgosyModel
import Hummingbird
import Logging

/// The outermost middleware: whatever goes wrong reaches the client in Argo's error shape, `{"code", "message"}`.
/// Hummingbird's own errors (an unknown path answers 404) come without a body, and an error that is not an API
/// error is a bug: it is logged, and the client gets a 500 that shows no internal text; so does an internal failure
/// (a database or file error), whose cause goes to the log.
struct ErrorResponses<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if let cause = error.cause {
                context.logger.error(
                    "request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(cause.description)"])
            }
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, error.body ?? Self.text(for: error.status))
        } catch {
            context.logger.error(
                "request failed",
                metadata: ["http.path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            throw APIError(.internalServerError, "internal error (the server's log has the details)")
        }
    }

    static func text(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        default: status.reasonPhrase
        }
    }
}

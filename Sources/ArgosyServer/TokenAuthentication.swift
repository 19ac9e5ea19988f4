import ArgosyModel
import ArgosyStore
import Foundation
import Hummingbird

/// `--auth-mode client`: every API request carries `Authorization: Bearer <token>` issued by
/// `argosy auth token`; 401 without a valid one, 403 for a namespace outside the token's scope.
struct TokenAuthentication<Context: RequestContext>: RouterMiddleware {
    let store: WorkflowStore

    /// Resources whose path names a namespace right after them.
    static var namespaced: Set<String> { ["workflows", "workflow-templates", "cron-workflows", "workflow-events"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let parts = request.uri.path.split(separator: "/").map(String.init)
        guard parts.count >= 2, parts[0] == "api", parts[1] == "v1" else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "token not valid: send Authorization: Bearer <token> (argosy auth token)")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let token: APIToken?
        do {
            token = try store.token(secret: secret)
        } catch {
            throw APIError(error)
        }
        guard let token else { throw APIError(.unauthorized, "token not valid") }
        if !token.namespaces.isEmpty, parts.count >= 4, Self.namespaced.contains(parts[2]),
            !token.namespaces.contains(parts[3])
        {
            throw APIError(.forbidden, "token '\(token.name)' may not use namespace \(parts[3])")
        }
        return try await next(request, context)
    }
}

import ArgosyModel
import ArgosyStore
import Foundation
import Hummingbird

/// `--auth-mode client`: every API request carries `Authorization: Bearer <token>` issued by
/// `argosy auth token`; 401 without a valid one. What the token may reach goes into the request's context
/// (``Access``): handlers refuse other namespaces with 403 and leave them out of every listing and stream.
struct TokenAuthentication: RouterMiddleware {
    typealias Context = ArgosyRequestContext
    let store: WorkflowStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let parts = request.uri.path.split(separator: "/")
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
        var context = context
        context.access = Access(
            namespaces: token.namespaces.isEmpty ? nil : Set(token.namespaces), tokenName: token.name)
        return try await next(request, context)
    }
}

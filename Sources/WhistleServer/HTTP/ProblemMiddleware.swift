import Hummingbird
import Logging
import WhistleStore

/// Turns every error into a problem document, so clients never see an empty error body.
///
/// Unknown routes, wrong methods and Hummingbird's own errors become problems with their
/// status; store errors a client can cause map to 4xx; anything else is logged and becomes a 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                throw Problem.notFound(error.body ?? "没有这个地址:\(request.uri.path)")
            case .methodNotAllowed:
                throw Problem(.methodNotAllowed, type: Problem.base + "method-not-allowed", title: "不支持该请求方法", detail: error.body)
            default:
                throw Problem(
                    error.status, type: Problem.base + "http-\(error.status.code)", title: error.status.reasonPhrase, detail: error.body)
            }
        } catch let error as StoreError {
            switch error {
            case .tenantNotFound(let tenant):
                throw Problem.tenantNotFound(tenant)
            case .unreachable:
                context.logger.error("database unreachable", metadata: ["error": "\(error)"])
                throw Problem.unavailable("数据库暂时无法连接。")
            default:
                context.logger.error("store error", metadata: ["error": "\(error)"])
                throw Problem.internalError
            }
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(describeDatabaseError(error))"])
            throw Problem.internalError
        }
    }
}

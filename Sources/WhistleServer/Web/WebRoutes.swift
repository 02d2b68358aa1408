import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The server-rendered pages under `/web` (issue 7): sign-in and sign-out, the office's overview,
/// a department's inbox with its actions, an issue's page, the leader's page. They call the same
/// stores with the same `AccessPolicy` checks as the API, in Chinese, without JavaScript.
struct WebRoutes: Sendable {
    let routing: TenantRouting
    let issues: IssueStore
    let escalations: EscalationStore
    let credentials: CredentialStore
    let sessions: SessionStore
    let figures: FigureStore
    let campaigns: CampaignStore
    let clock: @Sendable () -> Date
    let maxPhotoBytes: Int

    init(_ context: WhistleApplicationContext, issues: IssueStore) {
        routing = context.routing
        self.issues = issues
        escalations = EscalationStore(database: context.database)
        credentials = CredentialStore(database: context.database)
        sessions = SessionStore(database: context.database)
        figures = FigureStore(database: context.database)
        campaigns = CampaignStore(database: context.database)
        clock = context.clock
        maxPhotoBytes = context.maxPhotoBytes
    }

    /// The photo upload reuses the API's checks (content sniffing, sizes, five at most).
    var photoRoutes: PhotoRoutes {
        PhotoRoutes(routing: routing, store: issues, clock: clock, maxPhotoBytes: maxPhotoBytes)
    }

    func add(to router: Router<WhistleRequestContext>) {
        addSignIn(to: router)
        let pages = router.group("/web/:tenant").add(
            middleware: WebSessionMiddleware(
                sessions: sessions, credentials: credentials, clock: clock,
                maxBodyBytes: PhotoRoutes.maxPhotosPerRequest * maxPhotoBytes + 64 * 1024))
        pages.get { _, context -> Response in
            HTML.redirect(WebSession.home(try context.caller()))
        }
        addOffice(to: pages)
        addInbox(to: pages)
        addIssue(to: pages)
        addLeader(to: pages)
    }

    /// A page for the signed-in principal.
    func page(_ title: String, _ request: Request, _ context: WhistleRequestContext, _ body: String) throws -> Response {
        HTML.response(HTML.page(title: title, principal: try context.caller(), csrf: WebSession.csrf(request), body: body))
    }

    /// The form of a POST, already collected and CSRF-checked by the middleware.
    func form(_ request: Request) async throws -> WebForm {
        let body = try await request.body.collect(upTo: PhotoRoutes.maxPhotosPerRequest * maxPhotoBytes + 64 * 1024)
        return WebForm.read(request, body: body)
    }

    /// A local path to go back to after a form (never another site).
    static func back(_ form: WebForm, fallback: String) -> String {
        guard let path = form["back"], isLocalPage(path) else { return fallback }
        return path
    }

    /// A path of our own pages that is safe in a Location header: no other host, no control characters.
    static func isLocalPage(_ path: String) -> Bool {
        path.hasPrefix("/web/") && !path.contains("//") && !path.contains("\\") && path.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    /// A compound by its name from the directory, with its code when unknown.
    static func compoundName(_ code: String, _ routing: TenantRouting.Tenant) -> String {
        HTML.escape(routing.directory.compounds.first { $0.compound.code == code }?.compound.name ?? code)
    }

    /// `?done=` after an action, shown once at the top of the page it returns to.
    static func withNotice(_ path: String, _ notice: String) -> String {
        let base = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        return base + "?done=" + HTML.urlComponent(notice)
    }

    static func notice(_ request: Request) -> String {
        guard let done = request.uri.queryParameters["done"].map(String.init), !done.isEmpty else { return "" }
        return #"<p class="notice" id="notice">\#(HTML.escape(done))</p>"#
    }
}

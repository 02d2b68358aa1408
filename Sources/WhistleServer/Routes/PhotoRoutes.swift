import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Photos: before-photos on an issue, after-photos on a task's rectification, and the photos themselves.
struct PhotoRoutes: Sendable {
    let routing: TenantRouting
    let store: IssueStore
    let clock: @Sendable () -> Date
    let maxPhotoBytes: Int
    /// Photos one request may carry.
    static let maxPhotosPerRequest = 5

    struct Added: ResponseEncodable {
        var issue: Int64
        var items: [IssueStore.PhotoRecord]
        var count: Int
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.post("issues/:id/photos") { request, context -> Added in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try IssueRoutes.id(context)
            guard principal.role != .leader else { throw Problem.forbidden("领导角色只能查看。") }
            guard let issue = try await store.issue(id, tenant: tenant, zone: routing.timeZone) else {
                throw Problem.notFound("没有编号为 \(id) 的问题。")
            }
            _ = try context.require(issue.readAccess)
            let photos = try await self.photos(request)
            let (issueID, records) = try await IssueRoutes.mapping {
                try await store.addPhotos(photos, issue: id, task: nil, tenant: tenant, now: clock(), actor: principal.actor)
            }
            return Added(issue: issueID, items: records, count: records.count)
        }
        tenants.post("tasks/:id/photos") { request, context -> Added in
            let principal = try context.caller()
            let (tenant, _) = try self.routing.tenant(context)
            let id = try TaskRoutes.id(context)
            let photos = try await self.photos(request)
            let (issueID, records) = try await IssueRoutes.mapping {
                try await store.addPhotos(photos, issue: nil, task: id, tenant: tenant, now: clock(), actor: principal.actor) { department in
                    guard let department, AccessPolicy.allows(principal, .task(.rectify, department: department)) else {
                        throw Problem.forbidden("只有任务所属部门可以上传整改照片。")
                    }
                }
            }
            return Added(issue: issueID, items: records, count: records.count)
        }
        tenants.get("photos/:sha256") { _, context -> Response in
            try await Self.photo(context, routing: routing, store: store)
        }
    }

    /// The photo of the path's `{sha256}`, to whoever may read one of the issues it is evidence of;
    /// the API and the web pages serve it alike.
    static func photo(_ context: WhistleRequestContext, routing: TenantRouting, store: IssueStore) async throws -> Response {
        let principal = try context.caller()
        let (tenant, routing) = try routing.tenant(context)
        let sha = context.parameters.get("sha256") ?? ""
        guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw Problem.invalidParameter("sha256", "须为 64 位小写十六进制")
        }
        guard let photo = try await store.photo(sha, tenant: tenant) else { throw Problem.notFound("没有这张照片。") }
        var allowed = false
        for issueID in photo.issues where !allowed {
            if let issue = try await store.issue(issueID, tenant: tenant, zone: routing.timeZone) {
                allowed = AccessPolicy.allows(principal, issue.readAccess)
            }
        }
        guard allowed else { throw Problem.forbidden("无权查看这张照片。") }
        return Response(
            status: .ok,
            headers: [.contentType: photo.contentType, .cacheControl: "private, max-age=31536000, immutable", .eTag: "\"\(sha)\""],
            body: .init(byteBuffer: photo.bytes))
    }

    /// The photos of a multipart body: every part is checked by its content; nothing is kept unless all are images.
    func photos(_ request: Request) async throws -> [IssueStore.Photo] {
        guard let contentType = request.headers[.contentType], let boundary = Multipart.boundary(contentType: contentType) else {
            throw Problem(.unsupportedMediaType, type: Problem.base + "unsupported-media-type", title: "请求格式不支持",
                detail: "请以 multipart/form-data 上传照片(字段名 photo)。")
        }
        let buffer = try await request.body.collect(upTo: Self.maxPhotosPerRequest * maxPhotoBytes + 64 * 1024)
        let parts: [Multipart.Part]
        do {
            parts = try Multipart.parse(Array(buffer.readableBytesView), boundary: boundary)
        } catch {
            throw Problem.invalidBody(error.description)
        }
        let files = parts.filter { $0.name == "photo" }
        guard !files.isEmpty else { throw Problem.unprocessable("photo", "没有名为 photo 的文件") }
        guard files.count <= Self.maxPhotosPerRequest else {
            throw Problem.unprocessable("photo", "一次最多上传 \(Self.maxPhotosPerRequest) 张")
        }
        var photos: [IssueStore.Photo] = []
        for (index, file) in files.enumerated() {
            let field = "photo[\(index + 1)]"
            let named = field + (file.filename.map { "(\($0))" } ?? "")
            guard file.data.count <= maxPhotoBytes else {
                throw Problem(
                    .contentTooLarge, type: Problem.base + "too-large", title: "照片过大",
                    detail: "\(named): \(file.data.count) 字节,超过上限 \(maxPhotoBytes) 字节", errors: [.init(field: field, reason: "超过大小上限")])
            }
            guard let kind = ImageKind.sniff(file.data) else {
                throw Problem(
                    .unsupportedMediaType, type: Problem.base + "not-an-image", title: "不是照片",
                    detail: "\(named): 内容不是 JPEG、PNG 或 WebP 图片", errors: [.init(field: field, reason: "不是 JPEG、PNG 或 WebP 图片")])
            }
            photos.append(IssueStore.Photo(kind: kind, bytes: file.data))
        }
        return photos
    }
}

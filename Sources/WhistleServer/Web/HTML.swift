import Foundation
import Hummingbird
import WhistleCore

/// The web pages' HTML: escaping, the page frame (Chinese, a viewport for phones, a little inline
/// CSS, no JavaScript) and the response. Every text from the database or the request goes through
/// `escape`, so a description with `<script>` shows as text.
enum HTML {
    /// Escapes `& < > " '` for text and attribute values alike.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Percent-encodes a path segment or query value.
    static func urlComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// `2026-11-09T09:00:00+08:00` (the API's moments, already in the tenant's zone) as
    /// `2026-11-09 09:00`; nil as a dash.
    static func moment(_ text: String?) -> String {
        guard let text else { return "—" }
        guard text.count >= 16, Array(text)[10] == "T" else { return escape(text) }
        return escape(String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)))
    }

    /// An event's actor without its credential number: `credential:12 张三(部门经办人)` → `张三(部门经办人)`.
    static func actor(_ text: String) -> String {
        guard text.hasPrefix("credential:"), let space = text.firstIndex(of: " ") else { return escape(text) }
        return escape(String(text[text.index(after: space)...]))
    }

    static let style = """
        body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f6f8;color:#222;font-size:16px}
        header{background:#b71c1c;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;gap:.8em;align-items:center}
        header a{color:#fff}header form{margin:0 0 0 auto}
        main{padding:.8em;max-width:960px;margin:auto}
        section{background:#fff;border-radius:6px;padding:.6em .9em;margin:.8em 0;box-shadow:0 1px 2px #0002}
        h1{font-size:1.3em}h2{font-size:1.1em;margin:.3em 0}
        table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border-bottom:1px solid #ddd;padding:.35em;text-align:left;vertical-align:top}
        .card{border:1px solid #ddd;border-radius:6px;padding:.6em;margin:.6em 0;background:#fff}
        .state{display:inline-block;padding:0 .4em;border-radius:4px;background:#e3f2fd}
        .overdue{color:#fff;background:#c62828;padding:0 .4em;border-radius:4px}
        .notice{background:#e8f5e9;padding:.5em;border-radius:4px}.error{background:#ffebee;padding:.5em;border-radius:4px}
        form.action{display:flex;flex-wrap:wrap;gap:.4em;margin:.4em 0;align-items:center}
        input,textarea,button{font-size:1em;padding:.4em}input[type=text],input[type=password],textarea{flex:1 1 12em;min-width:0}
        button{background:#1565c0;color:#fff;border:0;border-radius:4px;padding:.45em .9em}
        img.photo{max-width:100%;height:auto;max-height:240px;margin:.2em;border:1px solid #ccc}
        .muted{color:#666;font-size:.9em}
        """

    /// A whole page: `body` is already HTML. With a principal, the header names it and offers sign-out.
    static func page(title: String, principal: Principal?, csrf: String?, body: String) -> String {
        var header = "<header><strong>吹哨报到</strong>"
        if let principal {
            let t = urlComponent(principal.tenant)
            switch principal.role {
            case .admin, .office: header += #" <a href="/web/\#(t)/office">总览</a> <a href="/web/\#(t)/inbox">任务</a>"#
            case .leader: header += #" <a href="/web/\#(t)/leader">领导</a> <a href="/web/\#(t)/office">总览</a>"#
            case .handler, .departmentLeader, .scheduler: header += #" <a href="/web/\#(t)/inbox">本部门任务</a>"#
            case .reporter: break
            }
            header += " <span>\(escape(principal.name))(\(escape(principal.role.chineseName))\(principal.department.map { "·" + escape($0) } ?? ""))</span>"
            if let csrf {
                header += #"<form method="post" action="/web/signout">\#(csrfField(csrf))<button type="submit">退出</button></form>"#
            }
        }
        header += "</header>"
        return """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · 吹哨报到</title>
            <style>\(style)</style></head>
            <body>\(header)<main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    static func csrfField(_ csrf: String) -> String {
        #"<input type="hidden" name="csrf" value="\#(escape(csrf))">"#
    }

    /// An HTML response; pages are private to the signed-in person and never cached.
    static func response(_ html: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        // No scripts at all: the pages work without them, and injected ones would not run.
        fields[HTTPFields.Element.Name("Content-Security-Policy")!] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        fields[HTTPFields.Element.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other: after a form, the browser GETs `location`.
    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: fields)
    }

    /// A page that says what went wrong, with the status of the error.
    static func errorPage(status: HTTPResponse.Status, title: String, detail: String?, principal: Principal?, csrf: String?) -> Response {
        let body = """
            <section><p class="error">\(escape(detail ?? title))</p>
            <p><a href="\(principal.map { "/web/" + urlComponent($0.tenant) } ?? "/web/signin")">返回首页</a></p></section>
            """
        return response(page(title: title, principal: principal, csrf: csrf, body: body), status: status)
    }
}

import PostgresNIO

/// One readable line for a database error.
///
/// `PSQLError` hides the server's message from its `description` on purpose; an operator
/// needs it (which constraint, which column), so it is taken from the server fields.
public func describeDatabaseError(_ error: any Error) -> String {
    if let transaction = error as? PostgresTransactionError {
        if let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError {
            return describeDatabaseError(inner)
        }
    }
    if let psql = error as? PSQLError {
        if let info = psql.serverInfo {
            var parts: [String] = []
            if let message = info[.message] { parts.append(message) }
            if let detail = info[.detail] { parts.append(detail) }
            if let hint = info[.hint] { parts.append("hint: \(hint)") }
            if let code = info[.sqlState] { parts.append("(SQLSTATE \(code))") }
            return parts.joined(separator: " ")
        }
        if let underlying = psql.underlying {
            return "\(psql.code): \(underlying)"
        }
        return "\(psql.code)"
    }
    return String(describing: error)
}

/// The SQLSTATE of a server error, if the error came from the server.
public func sqlState(of error: any Error) -> String? {
    if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError ?? transaction.commitError {
        return sqlState(of: inner)
    }
    return (error as? PSQLError)?.serverInfo?[.sqlState]
}

import B00tCore

/// Which services k0mmand3r's services pane shows, and so which it asks about: every process datum (a running
/// one has a pid record; asking costs a file read) and whatever this session touched (`/up`, `/stop`, …).
///
/// Why ask only for these: the pane used to ask for every datum and filter afterwards, so an idle k0mmand3r
/// ran `docker inspect` for each container datum once a second — with the docker CLI installed and its engine
/// down, 11% of a core in k0mmand3r itself, forking (measured 2026-12-03, debug build).
public enum ServicePane {
    /// Whether to ask about `datum` at all.
    public static func asks(about datum: Datum, touched: Set<String>) -> Bool {
        datum.type == .process || isTouched(datum.id, touched)
    }

    /// Whether a status belongs in the pane: touched, or a process that is not stopped.
    public static func shows(_ status: ServiceStatus, touched: Set<String>) -> Bool {
        isTouched(status.id, touched) || (status.runtime == "process" && status.state != .stopped)
    }

    /// `name.type` or its bare `name` was touched.
    static func isTouched(_ id: String, _ touched: Set<String>) -> Bool {
        touched.contains(id) || touched.contains(String(id.split(separator: ".").first ?? ""))
    }
}

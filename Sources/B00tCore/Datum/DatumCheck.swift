import Foundation

/// What `b00t datum check` (and `b00t doctor`) report about a catalog: every file's own problems, plus what
/// `up` would refuse — a `depends_on`/`members` entry that names no datum, and dependency cycles. Built-in
/// datums resolve references as they do for `up`, but their own problems are not the user's to fix.
public struct DatumCheck: Sendable {
    public var datums: Int
    /// Syntax, type and key problems of the files themselves.
    public var fileDiagnostics: [DatumDiagnostic]
    /// Missing dependencies and cycles.
    public var graphDiagnostics: [DatumDiagnostic]

    public init(_ catalog: DatumCatalog) {
        datums = catalog.datums.count
        fileDiagnostics = catalog.diagnostics
        graphDiagnostics = DependencyGraph(catalog: BuiltinDatums.adding(to: catalog)).problems()
            .filter { problem in catalog.datums.values.contains { $0.source == problem.file } }
    }

    public var diagnostics: [DatumDiagnostic] { fileDiagnostics + graphDiagnostics }
    public var errors: Int { diagnostics.filter(\.isError).count }
    public var warnings: Int { diagnostics.count - errors }
    /// Graph problems that are cycles (the rest name a datum that is not there, or not uniquely).
    public var cycles: Int { graphDiagnostics.filter { $0.message.hasPrefix(Self.cyclePrefix) }.count }
    public var missingDependencies: Int { graphDiagnostics.count - cycles }

    static let cyclePrefix = String(OrchestratorError.cycle([]).description.prefix { $0 != ":" }) + ":"
}

import Foundation

extension DependencyGraph {
    /// Every `depends_on` / `members` entry that names no datum (or several), and every cycle, as datum
    /// diagnostics positioned at the key that asked: what `up` would refuse, found by `b00t datum check`
    /// before anyone runs `up`. Iterative over the whole catalog; each cycle is reported once.
    public func problems() -> [DatumDiagnostic] {
        var diagnostics: [DatumDiagnostic] = []
        var resolved: [String: [(datum: Datum, key: String)]] = [:]
        for datum in catalog.all {
            var targets: [(Datum, String)] = []
            for (index, edge) in edges(of: datum).enumerated() {
                let key = edge.key == "members" ? "b00t.members" : "b00t.depends_on"
                let position = index < datum.dependsOn.count ? index : index - datum.dependsOn.count
                do {
                    targets.append((try resolve(edge.reference, neededBy: "\(datum.id) \(edge.key)"), key))
                } catch {
                    diagnostics.append(diagnostic(for: datum, key: "\(key)[\(position)]", message: error.description))
                }
            }
            resolved[datum.id] = targets
        }
        // Colours: absent = unvisited, 1 = on the current path, 2 = finished.
        var colour: [String: Int] = [:]
        for start in catalog.all where colour[start.id] == nil {
            var path: [(datum: Datum, next: Int)] = [(start, 0)]
            colour[start.id] = 1
            while let top = path.last {
                let targets = resolved[top.datum.id] ?? []
                guard top.next < targets.count else {
                    colour[top.datum.id] = 2
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let (target, key) = targets[top.next]
                switch colour[target.id] {
                case nil:
                    colour[target.id] = 1
                    path.append((target, 0))
                case 1?:
                    let from = path.firstIndex { $0.datum.id == target.id } ?? 0
                    let cycle = path[from...].map(\.datum.id) + [target.id]
                    diagnostics.append(diagnostic(
                        for: top.datum, key: key,
                        message: OrchestratorError.cycle(cycle).description))
                default:
                    break
                }
            }
        }
        return diagnostics
    }

    private func diagnostic(for datum: Datum, key: String, message: String) -> DatumDiagnostic {
        let position = Self.position(of: key, in: datum.source)
        return DatumDiagnostic(severity: .error, file: datum.source ?? datum.id, line: position.line,
                               column: position.column, key: key, message: message)
    }

    /// Where `key` is written in `file` (read again only for datums with a problem).
    static func position(of key: String, in file: String?) -> TOMLPosition {
        guard let file, case .success(let text) = DatumFileReader.read(file),
              let document = try? TOMLDocument.parse(text)
        else { return TOMLPosition(line: 1, column: 1) }
        let path = key.split(separator: "[").first.map(String.init) ?? key
        return document.position(of: path)
    }
}

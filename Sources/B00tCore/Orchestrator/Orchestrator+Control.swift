import Foundation

extension Orchestrator {
    /// Every runnable datum (stacks excluded) with what its runtime sees, health probed once for running ones.
    /// `references` and what they need; else every datum with a runtime that `include` accepts (nothing more
    /// is asked: a container datum's status is a subprocess).
    func statusBlocking(_ references: [String]? = nil, include: (Datum) -> Bool = { _ in true }) throws -> [ServiceStatus] {
        let datums: [Datum]
        if let references {
            datums = try graph.order(references).filter { $0.type != .stack }
        } else {
            datums = catalog.all.filter { runtimes[$0.type] != nil && include($0) }
        }
        return datums.compactMap { datum in
            guard let runtime = runtimes[datum.type] else { return nil }
            let service = resolve(datum)
            var status = runtime.status(of: service)
            if status.state == .running, status.health == nil {
                status.health = service.health.map { health.check($0).healthy ? "healthy" : "unhealthy" } ?? "-"
            }
            return status
        }
    }

    /// Stops a service, or a stack's members in reverse dependency order. Refuses to stop what a running
    /// datum outside the request still depends on, unless `force`.
    @discardableResult
    func stopBlocking(_ reference: String, force: Bool = false) throws -> StopReport {
        let target = try graph.resolve(reference, neededBy: nil)
        let targets = (target.type == .stack ? try graph.order([target.id]) : [target])
            .filter { $0.type != .stack }.reversed()
        if target.type != .stack { _ = try runtime(for: target) }
        let stopping = Set(targets.map(\.id))
        var report = StopReport()
        for datum in targets {
            let runtime = try runtime(for: datum)
            let service = resolve(datum)
            // The same lock as `up`: a stop never races a start of the same datum in another process.
            let lock = try self.lock(service)
            defer { lock.release() }
            let state = runtime.status(of: service).state
            guard state != .stopped else { continue }
            let needers = graph.dependents(of: datum.id).filter { dependent in
                guard !stopping.contains(dependent.id) || report.kept[dependent.id] != nil,
                      let r = runtimes[dependent.type] else { return false }
                return r.status(of: resolve(dependent)).state == .running
            }.map(\.id)
            if !needers.isEmpty && !force {
                if target.type != .stack { throw OrchestratorError.stillNeeded(datum.id, dependents: needers) }
                report.kept[datum.id] = needers
                continue
            }
            try runtime.stop(service, grace: grace)
            observer?(.stopped(datum.id))
            report.stopped.append(datum.id)
        }
        return report
    }

    /// Stops and starts again; with `withDependents`, running dependents are stopped first and brought back after.
    @discardableResult
    func restartBlocking(_ reference: String, withDependents: Bool = false) throws -> EnsureReport {
        let target = try graph.resolve(reference, neededBy: nil)
        var dependents: [String] = []
        if withDependents {
            var queue = [target.id]
            var seen = Set(queue)
            while let next = queue.popLast() {
                for dependent in graph.dependents(of: next) where seen.insert(dependent.id).inserted {
                    guard let r = runtimes[dependent.type], r.status(of: resolve(dependent)).state == .running else { continue }
                    dependents.append(dependent.id)
                    queue.append(dependent.id)
                }
            }
            let order = try graph.order(dependents).map(\.id).filter { dependents.contains($0) }
            for id in order.reversed() { try stopBlocking(id, force: true) }
            dependents = order
        }
        try stopBlocking(target.id, force: true)
        return try ensureBlocking([target.id] + dependents)
    }

    /// Log tail, or the argv that follows the log, for `b00t logs`.
    func logsBlocking(_ reference: String, lines: Int = 100) throws -> (tail: String, follow: [String]) {
        let datum = try graph.resolve(reference, neededBy: nil)
        let runtime = try runtime(for: datum)
        let service = resolve(datum)
        return (runtime.logTail(service, lines: lines), runtime.followLogsCommand(service))
    }
}

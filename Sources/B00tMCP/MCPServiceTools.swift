import B00tCore
import Foundation
import MCP

/// Services through the orchestrator, as `b00t up` and `b00t ps` run them: the same locks, probes and health
/// waits, so an assistant asking for a service joins a start already under way instead of racing it.
public struct MCPServiceTools: MCPToolProvider {
    public init() {}

    public var tools: [MCPTool] { [serviceUp, servicePs] }

    var serviceUp: MCPTool {
        MCPTool(MCPToolSpec("service_up", "Make services (and everything they depend on) run and be healthy; what already runs is left alone.", [
            MCPArgumentSpec("names", .names(maxItems: 32), required: true, "datums to bring up: name.type or a unique name (stacks bring up their members)"),
        ])) { args, ctx in
            let names = args.strings("names") ?? []
            guard !names.isEmpty else { throw args.refuse("names", "argument 'names' is empty; name at least one datum, like redis.process") }
            let report = try await ctx.orchestrator().ensure(names)
            let line = TerminalText.line
            let lines = report.steps.map { step in
                String(format: "%@: %@ (ready in %.0f ms)", line(step.id), step.outcome.rawValue, step.probeMs + step.startMs + step.readyMs)
            }
            return MCPToolOutcome(lines.isEmpty ? "nothing to run" : lines.joined(separator: "\n"), [
                "steps": .array(report.steps.map { step in
                    ["id": .string(step.id), "outcome": .string(step.outcome.rawValue),
                     "ms": .double(step.probeMs + step.startMs + step.readyMs)]
                }),
                "started": MCPValue.strings(report.started),
            ])
        }
    }

    var servicePs: MCPTool {
        MCPTool(MCPToolSpec("service_ps", "Every service datum (or those named): state, health, pid or container, ports, uptime.", readOnly: true, [
            MCPArgumentSpec("names", .names(maxItems: 64), "only these datums (and what they need)"),
        ])) { args, ctx in
            let names = args.strings("names")
            let statuses = try await ctx.orchestrator().status(names?.isEmpty == false ? names : nil)
            let rows = statuses.map { s in
                [s.id, s.runtime, s.state.rawValue, s.health ?? "-", s.pid.map(String.init) ?? s.container ?? "-",
                 s.ports.isEmpty ? "-" : s.ports, s.uptime().map(formatUptime) ?? "-"]
            }
            let table = Table(headers: ["NAME", "RUNTIME", "STATE", "HEALTH", "PID/CONTAINER", "PORTS", "UPTIME"], rows: rows).render()
            return MCPToolOutcome(statuses.isEmpty ? "no service datums" : TerminalText.block(table),
                                  ["services": MCPValue.from(statuses)])
        }
    }
}

/// Datums as `b00t datum show` and `b00t datum query` print them.
public struct MCPDatumTools: MCPToolProvider {
    public init() {}

    public var tools: [MCPTool] { [datumShow, datumQuery] }

    var datumShow: MCPTool {
        MCPTool(MCPToolSpec("datum_show", "One datum (a _b00t_/<name>.<type>.toml file) as Markdown, with every field as structured content.", readOnly: true, [
            MCPArgumentSpec("name", .name, required: true, "name.type, or a name that is unique"),
        ])) { args, ctx in
            let name = try args.required("name")
            let datum = try await MCPBlocking.run { try ctx.catalog().lookup(name) }
            return MCPToolOutcome(datum.description, ["datum": MCPValue.from(datum)])
        }
    }

    var datumQuery: MCPTool {
        MCPTool(MCPToolSpec("datum_query", "Find datums by an expression ('type:agent and (skill:rust or skill:go)') and/or by type, skill and category.", readOnly: true, [
            MCPArgumentSpec("query", .text(maxBytes: 1024), "an expression over type:, skill:, category:, name: with and, or, not and parentheses"),
            MCPArgumentSpec("type", .name, "datum type (agent, process, docker, mcp, …)"),
            MCPArgumentSpec("skill", .name, "an agent skill"),
            MCPArgumentSpec("category", .name, "a category"),
        ])) { args, ctx in
            var query: DatumQuery? = nil
            func add(_ q: DatumQuery) { query = query.map { .and($0, q) } ?? q }
            if let expression = args.string("query"), !expression.trimmingCharacters(in: .whitespaces).isEmpty {
                do { add(try DatumQueryParser.parse(expression)) } catch {
                    throw args.refuse("query", "argument 'query': \(ErrorText.describe(error))")
                }
            }
            if let type = args.string("type") { add(.byType(DatumType(type))) }
            if let skill = args.string("skill") { add(.bySkill(skill)) }
            if let category = args.string("category") { add(.byCategory(category)) }
            let chosen = query ?? .all
            let found = try await MCPBlocking.run { ctx.catalog().query(chosen) }
            let line = TerminalText.line
            let text = found.isEmpty ? "no datum matches" : found.map { "\(line($0.id)) — \(line($0.hint))" }.joined(separator: "\n")
            return MCPToolOutcome(text, ["datums": .array(found.map { datum in
                ["id": .string(datum.id), "name": .string(datum.name), "type": .string(datum.type.rawValue), "hint": .string(datum.hint)]
            })])
        }
    }
}

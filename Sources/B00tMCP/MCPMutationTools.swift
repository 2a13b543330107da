import B00tCore
import Foundation
import MCP

/// `datum_mutate`: an assistant proposes a change to a datum the same way `b00t datum mutate` does — the exact
/// diff goes on the bus as a proposal in the assistant's own name, the crew the datum names votes, and whoever
/// sees the vote pass applies it in place and commits it. With `approval = "none"` it is applied at once.
public struct MCPMutationTools: MCPToolProvider {
    public init() {}

    public var tools: [MCPTool] { [datumMutate] }

    var datumMutate: MCPTool {
        MCPTool(MCPToolSpec("datum_mutate", "Propose a change to a datum (version, usage, learn text, dependencies, env): the crew its [b00t.self_mutate] names votes on the exact diff; once passed it is applied in place and committed.", [
            MCPArgumentSpec("name", .name, required: true, "the datum: name.type, or a name that is unique"),
            MCPArgumentSpec("set", .names(maxItems: 16), "KEY=VALUE pairs: desires (or version), install, docker_image/image, learn, env.NAME"),
            MCPArgumentSpec("add_usage", .names(maxItems: 8), "usage examples as \"command # description\""),
            MCPArgumentSpec("learn", .text(maxBytes: DatumEdit.maximumValueBytes), "new learn text (replaces it)"),
            MCPArgumentSpec("append_learn", .text(maxBytes: DatumEdit.maximumValueBytes), "text added at the end of the learn text"),
            MCPArgumentSpec("add_dep", .names(maxItems: 16), "dependencies to add to depends_on"),
            MCPArgumentSpec("remove_dep", .names(maxItems: 16), "dependencies to remove from depends_on"),
            MCPArgumentSpec("script", .name, "run this [b00t.scripts] entry on a copy of the datum's folder and propose what it changed (no other change with it)"),
            MCPArgumentSpec("crew", .name, "the crew that votes (must be the one the datum's approval names)"),
        ])) { args, ctx in
            let name = try args.required("name")
            var edits: [DatumEdit] = []
            do {
                for item in args.strings("set") ?? [] { edits.append(try DatumEdit.parseSet(item)) }
                for item in args.strings("add_usage") ?? [] { edits.append(try DatumEdit.parseUsage(item)) }
            } catch {
                throw args.refuse(nil, "\(error)")
            }
            if let text = args.string("learn") { edits.append(.setLearn(text)) }
            if let text = args.string("append_learn") { edits.append(.appendLearn(text)) }
            edits += (args.strings("add_dep") ?? []).map { .addDependency($0) } + (args.strings("remove_dep") ?? []).map { .removeDependency($0) }
            let script = args.string("script")
            if script != nil && !edits.isEmpty { throw args.refuse("script", "argument 'script' proposes what the script changed; give no other change with it") }
            let chosen = edits
            let (datum, plan) = try await MCPBlocking.run { () throws -> (Datum, MutationPlan) in
                let catalog = ctx.catalog()
                let datum = try catalog.lookup(name)
                if let script { return (datum, try MutationScript.run(script, of: datum, catalog: catalog).plan) }
                return (datum, try MutationPlanner.plan(chosen, for: datum, catalog: catalog))
            }
            let proposed = try await MutationProposer.submit(plan, datum: datum, as: ctx.agent, crew: args.string("crew"), on: ctx.bus)
            var lines = [proposed.passed
                ? "proposed \(proposed.proposal) (approval \"none\": passed at once): \(plan.mutation.summary)"
                : "proposed \(proposed.proposal) to \(plan.mutation.approval.crew.map { "crew \($0)" } ?? "everyone") (\(proposed.electorate.count) voters): \(plan.mutation.summary)"]
            lines += plan.mutation.diff.split(separator: "\n").map(String.init)
            var structured: [String: Value] = [
                "proposal": .string(proposed.proposal), "datum": .string(datum.id), "summary": .string(plan.mutation.summary),
                "diff": .string(plan.mutation.diff), "passed": .bool(proposed.passed), "electorate": MCPValue.strings(proposed.electorate),
            ]
            if proposed.passed {
                let outcome = await MutationApplier(bus: ctx.bus, catalog: { ctx.catalog() }).apply(proposed.proposal, as: ctx.agent)
                lines.append(outcome.line)
                structured["outcome"] = .string(outcome.line)
                if case .applied(let commit, _) = outcome.kind, let commit { structured["commit"] = .string(commit) }
            }
            return MCPToolOutcome(TerminalText.block(lines.joined(separator: "\n")), structured)
        }
    }
}

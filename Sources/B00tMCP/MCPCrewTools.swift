import B00tCore
import Foundation
import MCP

/// The crew's tools: every one submits a `BusCommand` as the server's agent (never anyone else) or reads the
/// folded state, so an assistant has exactly the rights and limits of an agent on the socket.
public struct MCPCrewTools: MCPToolProvider {
    public init() {}

    typealias Arg = MCPArgumentSpec
    static let text = Arg.Kind.text(maxBytes: Arg.textLimit)

    public var tools: [MCPTool] {
        [crewStatus, say, handshake, crewForm, propose, vote, ahoyPost, ahoyList, ahoyApply, ahoyAward, teach,
         learnRequest, share, skills, eventsSince]
    }

    // MARK: Reading

    var crewStatus: MCPTool {
        MCPTool(MCPToolSpec("crew_status", "Who is on the crew bus and what is open: agents (online or not, skills), crews, open ahoys, open proposals, and the handshakes and learning requests waiting for your answer.", readOnly: true)) { _, ctx in
            let state = try await ctx.bus.currentState()
            let me = ctx.agent
            let line = MCPCrewView.line
            let agents = state.agents.values.sorted { $0.id < $1.id }
            let crews = state.crews.values.sorted { $0.name < $1.name }
            let ahoys = state.listAhoys(.open)
            let proposals = state.proposals.values.filter { $0.status == .open }.sorted { $0.seq < $1.seq }
            let now = Date()
            let handshakes = state.handshakes.values
                .filter { $0.to == me && $0.isOpen && ($0.expiresAt.map { $0 > now } ?? true) }.sorted { $0.seq < $1.seq }
            let requests = state.learningRequests.values.filter { $0.teacher == me && $0.status == .pending }.sorted { $0.seq < $1.seq }
            var lines = ["you are \(line(me))\(state.agents[me] == nil ? " (not registered)" : "") — bus at event #\(state.lastSeq)"]
            lines.append("agents (\(agents.count)):")
            lines += agents.map { "  " + MCPCrewView.agentLine($0, online: state.isOnline($0.id)) }
            lines.append("crews (\(crews.count)):")
            lines += crews.map { "  " + MCPCrewView.crewLine($0) }
            lines.append("open ahoys (\(ahoys.count)):")
            lines += ahoys.map { "  " + MCPCrewView.ahoyLine($0) }
            lines.append("open proposals (\(proposals.count)):")
            lines += proposals.map { "  " + MCPCrewView.proposalLine($0, me: me) }
            lines.append("handshakes waiting for your answer (\(handshakes.count)):")
            lines += handshakes.map { "  \(line($0.id)) from \(line($0.from))" + ($0.proposal.isEmpty ? "" : ": “\(line($0.proposal))”") }
            if !requests.isEmpty {
                lines.append("asked to teach (\(requests.count)):")
                lines += requests.map { "  \(line($0.id)): \(line($0.learner)) wants \(line($0.skill))" }
            }
            return MCPToolOutcome(lines.joined(separator: "\n"), [
                "agent": .string(me), "last_seq": .int(Int(clamping: state.lastSeq)),
                "agents": .array(agents.map { MCPCrewView.agent($0, online: state.isOnline($0.id)) }),
                "crews": .array(crews.map(MCPCrewView.crew)),
                "open_ahoys": .array(ahoys.map(MCPCrewView.ahoy)),
                "open_proposals": .array(proposals.map { MCPCrewView.proposal($0, me: me) }),
                "pending_handshakes": .array(handshakes.map(MCPCrewView.handshake)),
                "learning_requests": .array(requests.map { request in
                    ["id": .string(request.id), "learner": .string(request.learner), "skill": .string(request.skill)]
                }),
            ])
        }
    }

    var ahoyList: MCPTool {
        MCPTool(MCPToolSpec("ahoy_list", "Ahoys (job announcements) with their budget and applicants.", readOnly: true, [
            Arg("filter", .choice(["open", "all", "awarded", "mine"]), "which ahoys: open (default), all, awarded, or mine (posted by or applied to by you)"),
            Arg("skill", .name, "only ahoys that require this skill"),
        ])) { args, ctx in
            let state = try await ctx.bus.currentState()
            let filter: AhoyFilter = switch args.string("filter") ?? "open" {
            case "all": .all
            case "awarded": .awarded
            case "mine": .mine(ctx.agent)
            default: .open
            }
            var ahoys = state.listAhoys(filter)
            if let skill = args.string("skill") { ahoys = ahoys.filter { $0.requiredSkills.contains(skill) } }
            let text = ahoys.isEmpty ? "no ahoys match" : ahoys.map(MCPCrewView.ahoyLine).joined(separator: "\n")
            return MCPToolOutcome(text, ["ahoys": .array(ahoys.map(MCPCrewView.ahoy))])
        }
    }

    var skills: MCPTool {
        MCPTool(MCPToolSpec("skills", "An agent's skills and proficiencies (0.0–1.0); yours by default.", readOnly: true, [
            Arg("agent", .name, "whose skills (default: you)"),
        ])) { args, ctx in
            let state = try await ctx.bus.currentState()
            let who = args.string("agent") ?? ctx.agent
            guard let agent = state.agents[who] else { throw BusError.unknownAgent(who) }
            let sorted = agent.skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            let text = "\(MCPCrewView.line(who)): " + (sorted.isEmpty ? "no skills yet"
                : sorted.map { "\(MCPCrewView.line($0.key)) \(String(format: "%.2f", $0.value))" }.joined(separator: ", "))
            return MCPToolOutcome(text, ["agent": .string(who), "skills": MCPValue.numbers(agent.skills),
                                         "teachable": MCPValue.strings(sorted.filter { agent.canTeach($0.key) }.map(\.key))])
        }
    }

    var eventsSince: MCPTool {
        MCPTool(MCPToolSpec("events_since", "The crew's events after a sequence number, oldest first (for clients that poll; pushed notifications carry the ones addressed to you). Pass the returned next_seq to continue.", readOnly: true, [
            Arg("seq", .integer(0...(1 << 53)), required: true, "return events after this sequence number (0: from the start)"),
            Arg("limit", .integer(1...500), "how many at most (default 100)"),
        ])) { args, ctx in
            let after = UInt64(args.int("seq") ?? 0)
            let events = try await ctx.bus.events(after: after, limit: args.int("limit") ?? 100)
            let next = events.last?.seq ?? after
            let text = events.isEmpty ? "no events after #\(after)" : events.map(BusEventFormatter.line).joined(separator: "\n")
            return MCPToolOutcome(text, ["events": .array(events.map(MCPCrewView.event)), "next_seq": .int(Int(clamping: next))])
        }
    }

    // MARK: Talking

    var say: MCPTool {
        MCPTool(MCPToolSpec("say", "Say something on the crew bus: to everyone, to one agent (to), or to a crew you are in (crew).", [
            Arg("text", Self.text, required: true, "what to say"),
            Arg("to", .name, "an agent to address"),
            Arg("crew", .name, "a crew to address (you must be a member)"),
        ])) { args, ctx in
            let events = try await ctx.bus.submit(.say(from: ctx.agent, crew: args.string("crew"), to: args.string("to"),
                                                       text: try args.required("text")))
            return Self.outcome(events, "said")
        }
    }

    var handshake: MCPTool {
        MCPTool(MCPToolSpec("handshake", "Ask an agent to work with you (to, proposal), or answer a handshake addressed to you (id, accept, reason). An agent that auto-accepts answers at once; otherwise its answer arrives as a notification.", [
            Arg("to", .name, "the agent to ask"),
            Arg("proposal", Self.text, "what you propose"),
            Arg("timeout_s", .integer(1...86_400), "seconds the other agent has to answer (default 300)"),
            Arg("id", .name, "a handshake addressed to you (hs-N) to answer"),
            Arg("accept", .boolean, "your answer to handshake id"),
            Arg("reason", Self.text, "why (with accept)"),
        ])) { args, ctx in
            if let id = args.string("id") {
                guard args.string("to") == nil else { throw args.refuse("to", "give either to (to ask) or id and accept (to answer), not both") }
                guard let accept = args.bool("accept") else {
                    throw args.refuse("accept", "missing argument 'accept': true or false, your answer to \(MCPCrewView.line(id))")
                }
                let events = try await ctx.bus.submit(.replyHandshake(from: ctx.agent, handshake: id, accept: accept,
                                                                      reason: args.string("reason")))
                return Self.outcome(events, "\(accept ? "accepted" : "declined") \(MCPCrewView.line(id))")
            }
            guard let to = args.string("to") else {
                throw args.refuse("to", "missing argument 'to': the agent to ask (or give id and accept to answer a handshake)")
            }
            let timeout = Double(args.int("timeout_s") ?? 300)
            let events = try await ctx.bus.submit(.handshake(from: ctx.agent, to: to, proposal: args.string("proposal") ?? "",
                                                             expiresAt: Date().addingTimeInterval(timeout)))
            guard case .handshakeRequested(let id, _, _, _) = events.first?.body else { throw BusError.storage("no handshake event") }
            var result = Self.outcome(events, "")
            result.structured["handshake"] = .string(id)
            let reply = events.dropFirst().first { if case .handshakeReplied = $0.body { true } else { false } }
            if let reply, case .handshakeReplied(_, let accept, let reason) = reply.body {
                result.structured["accepted"] = .bool(accept)
                result.text = "\(MCPCrewView.line(to)) \(accept ? "accepted" : "declined") \(id)" + (reason.map { " (\(MCPCrewView.line($0)))" } ?? "")
            } else {
                result.text = "asked \(MCPCrewView.line(to)) (\(id)); the answer comes as a notification, or see crew_status"
            }
            return result
        }
    }

    var crewForm: MCPTool {
        MCPTool(MCPToolSpec("crew_form", "Form a crew with other registered agents; you are its first member.", [
            Arg("name", .name, required: true, "the crew's name (unique among live crews)"),
            Arg("members", .names(maxItems: 64), required: true, "the other agents"),
            Arg("purpose", Self.text, "what the crew is for"),
        ])) { args, ctx in
            let events = try await ctx.bus.submit(.formCrew(from: ctx.agent, name: try args.required("name"),
                                                            members: args.strings("members") ?? [], purpose: args.string("purpose") ?? ""))
            return Self.outcome(events, "formed")
        }
    }

    var propose: MCPTool {
        MCPTool(MCPToolSpec("propose", "Put a proposal to a vote: of a crew you are in (crew), or of every registered agent.", [
            Arg("text", Self.text, required: true, "the proposal"),
            Arg("crew", .name, "the crew that votes (default: every registered agent)"),
            Arg("threshold", .number(0...1), "passes when yes votes exceed this share of the electorate (default 0.5: strict majority; below 1)"),
            Arg("quorum", .number(0...1), "share of the electorate that must vote before it can pass (default 0)"),
        ])) { args, ctx in
            let events = try await ctx.bus.submit(.propose(from: ctx.agent, text: try args.required("text"), crew: args.string("crew"),
                                                           threshold: args.double("threshold"), quorum: args.double("quorum")))
            var result = Self.outcome(events, "")
            if let id = events.first?.conversationID {
                result.structured["proposal"] = .string(id)
                result.text = "proposed \(id): " + (events.first.map(BusEventFormatter.summary) ?? "")
            }
            return result
        }
    }

    var vote: MCPTool {
        MCPTool(MCPToolSpec("vote", "Vote on an open proposal (one vote per voter).", [
            Arg("id", .name, required: true, "the proposal (prop-N)"),
            Arg("choice", .choice(VoteChoice.allCases.map(\.rawValue)), required: true, "yes, no or abstain"),
        ])) { args, ctx in
            let id = try args.required("id")
            let choice = VoteChoice(rawValue: try args.required("choice")) ?? .abstain
            let events = try await ctx.bus.submit(.vote(from: ctx.agent, proposal: id, choice: choice))
            var result = Self.outcome(events, "voted \(choice.rawValue) on \(MCPCrewView.line(id))")
            if let proposal = try await ctx.bus.currentState().proposals[id] {
                result.structured["proposal"] = MCPCrewView.proposal(proposal, me: ctx.agent)
                result.text = MCPCrewView.proposalLine(proposal, me: ctx.agent)
            }
            return result
        }
    }

    // MARK: Contract Net

    var ahoyPost: MCPTool {
        MCPTool(MCPToolSpec("ahoy_post", "Post an ahoy: a job announcement others apply to; you award it to one of them with its budget.", [
            Arg("role", .name, required: true, "the role wanted"),
            Arg("required_skills", .names(maxItems: 32), "skills the job needs"),
            Arg("budget", .integer(0...BusState.maximumBudget), "what the winner gets (whole units, default 0)"),
            Arg("description", Self.text, "the job"),
        ])) { args, ctx in
            let events = try await ctx.bus.submit(.postAhoy(from: ctx.agent, role: try args.required("role"),
                                                            description: args.string("description") ?? "",
                                                            requiredSkills: args.strings("required_skills") ?? [],
                                                            budget: args.int("budget") ?? 0, replyBy: nil))
            var result = Self.outcome(events, "")
            if let first = events.first, case .ahoyPosted(let id, _, _, _, let budget, _) = first.body {
                result.structured["ahoy"] = .string(id)
                result.structured["budget"] = .int(budget)
                result.text = "posted \(id) (budget \(budget)): " + BusEventFormatter.summary(first)
            }
            return result
        }
    }

    var ahoyApply: MCPTool {
        MCPTool(MCPToolSpec("ahoy_apply", "Apply to an open ahoy (one application per agent; not to your own).", [
            Arg("id", .name, required: true, "the ahoy (ahoy-N)"),
            Arg("pitch", Self.text, "why you"),
            Arg("relevant_skills", .names(maxItems: 32), "your skills that fit (default: the ahoy's required skills you have)"),
        ])) { args, ctx in
            let id = try args.required("id")
            var relevant = args.strings("relevant_skills")
            if relevant == nil {
                let state = try await ctx.bus.currentState()
                let mine = state.agents[ctx.agent]?.skills ?? [:]
                relevant = state.ahoys[id]?.requiredSkills.filter { (mine[$0] ?? 0) > 0 }
            }
            let events = try await ctx.bus.submit(.apply(from: ctx.agent, ahoy: id, pitch: args.string("pitch") ?? "",
                                                         relevantSkills: relevant ?? []))
            return Self.outcome(events, "applied to \(MCPCrewView.line(id))")
        }
    }

    var ahoyAward: MCPTool {
        MCPTool(MCPToolSpec("ahoy_award", "Award an ahoy you posted to one applicant; the others are told they were not chosen. The result carries the budget.", [
            Arg("id", .name, required: true, "the ahoy (ahoy-N)"),
            Arg("winner", .name, required: true, "the applicant who gets it"),
        ])) { args, ctx in
            let id = try args.required("id"), winner = try args.required("winner")
            let events = try await ctx.bus.submit(.award(from: ctx.agent, ahoy: id, winner: winner))
            guard case .ahoyAwarded(_, _, let budget)? = events.first?.body else { throw BusError.storage("no award event") }
            let rejected = events.compactMap { event -> String? in
                if case .applicationRejected(_, let agent) = event.body { return agent } else { return nil }
            }
            var result = Self.outcome(events, "awarded \(MCPCrewView.line(id)) to \(MCPCrewView.line(winner)) (budget \(budget))"
                + (rejected.isEmpty ? "" : "; not chosen: \(rejected.map(MCPCrewView.line).joined(separator: ", "))"))
            result.structured["ahoy"] = .string(id)
            result.structured["winner"] = .string(winner)
            result.structured["budget"] = .int(budget)
            result.structured["rejected"] = MCPValue.strings(rejected)
            return result
        }
    }

    // MARK: Skills

    var teach: MCPTool {
        MCPTool(MCPToolSpec("teach", "Teach an agent a skill you command (proficiency at least 0.70); the learner gains a share of your proficiency by method.", [
            Arg("to", .name, required: true, "the learner"),
            Arg("skill", .name, required: true, "the skill"),
            Arg("method", .choice(TeachingMethod.allCases.map(\.rawValue)), required: true,
                "pair (passes on 60%), demo (40%), doc (20%) or practice (10%)"),
        ])) { args, ctx in
            let method = TeachingMethod(rawValue: try args.required("method")) ?? .practice
            let events = try await ctx.bus.submit(.teach(from: ctx.agent, to: try args.required("to"), skill: try args.required("skill"),
                                                         method: method))
            var result = Self.outcome(events, "")
            for event in events {
                if case .skillLearned(let agent, let skill, let before, let after, _) = event.body {
                    result.text = String(format: "taught %@ %@ (%@): %.2f → %.2f", MCPCrewView.line(agent), MCPCrewView.line(skill),
                                         method.rawValue, before, after)
                    result.structured["before"] = .double(before)
                    result.structured["after"] = .double(after)
                }
            }
            return result
        }
    }

    var learnRequest: MCPTool {
        MCPTool(MCPToolSpec("learn_request", "Ask an agent to teach you a skill; its answer (teaching or a refusal) arrives as a notification.", [
            Arg("skill", .name, required: true, "the skill"),
            Arg("teacher", .name, required: true, "who should teach it"),
        ])) { args, ctx in
            let events = try await ctx.bus.submit(.requestLearning(from: ctx.agent, skill: try args.required("skill"),
                                                                   teacher: try args.required("teacher")))
            var result = Self.outcome(events, "")
            if let id = events.first?.conversationID { result.structured["request"] = .string(id) }
            return result
        }
    }

    var share: MCPTool {
        MCPTool(MCPToolSpec("share", "Share knowledge with a crew you are in; skill_impact raises every member's skills by the given amounts.", [
            Arg("crew", .name, required: true, "the crew"),
            Arg("topic", .name, required: true, "what it is about"),
            Arg("content", Self.text, required: true, "the knowledge"),
            Arg("skill_impact", .numberMap(0...1, maxItems: 32), "skill → gain (0.0–1.0) for each member"),
        ])) { args, ctx in
            let events = try await ctx.bus.submit(.share(from: ctx.agent, crew: try args.required("crew"), topic: try args.required("topic"),
                                                         content: try args.required("content"), skillImpact: args.numbers("skill_impact") ?? [:]))
            return Self.outcome(events, "shared")
        }
    }

    // MARK: Results

    /// The events a command became: their summaries as text (after `lead`), and as structured content.
    static func outcome(_ events: [BusEvent], _ lead: String) -> MCPToolOutcome {
        let summaries = events.map(BusEventFormatter.summary)
        let text = lead.isEmpty ? summaries.joined(separator: "\n") : ([lead] + summaries).joined(separator: "\n")
        return MCPToolOutcome(text, ["events": .array(events.map(MCPCrewView.event)),
                                     "seq": .int(Int(clamping: events.last?.seq ?? 0))])
    }
}

import Foundation

/// Builds `BusCommand`s straight from a request's JSON object (no re-encoding through `Codable`: this path
/// carries every message of a busy crew). Field names may be snake_case or camelCase; a missing or mistyped
/// field is reported by its wire name.
struct WireFields {
    let op: String
    let values: [String: Any]

    func value(_ name: String) -> Any? {
        if let v = values[name] { return v }
        let camel = WireProtocol.camel(name)
        return camel == name ? nil : values[camel]
    }

    func string(_ name: String) throws(BusError) -> String {
        guard let v = try optionalString(name) else { throw .invalid("\(op): missing field '\(name)'") }
        return v
    }

    func optionalString(_ name: String) throws(BusError) -> String? {
        guard let v = value(name), !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw .invalid("\(op): field '\(name)' must be a string") }
        return s
    }

    func strings(_ name: String) throws(BusError) -> [String] {
        guard let v = value(name), !(v is NSNull) else { return [] }
        guard let list = v as? [Any], let strings = list as? [String], strings.count == list.count else {
            throw .invalid("\(op): field '\(name)' must be an array of strings")
        }
        return strings
    }

    func number(_ name: String) throws(BusError) -> Double? {
        guard let v = value(name), !(v is NSNull) else { return nil }
        guard let n = v as? NSNumber, !Self.isBool(n) else { throw .invalid("\(op): field '\(name)' must be a number") }
        return n.doubleValue
    }

    func integer(_ name: String) throws(BusError) -> Int? {
        guard let d = try number(name) else { return nil }
        guard d == d.rounded() else { throw .invalid("\(op): field '\(name)' must be a whole number (got \(d))") }
        guard abs(d) <= 9_007_199_254_740_991 else {
            throw .invalid("\(op): field '\(name)' is too large (at most 9007199254740991, the largest whole number JSON carries exactly)")
        }
        return Int(d)
    }

    func bool(_ name: String) throws(BusError) -> Bool? {
        guard let v = value(name), !(v is NSNull) else { return nil }
        guard let n = v as? NSNumber, Self.isBool(n) else { throw .invalid("\(op): field '\(name)' must be true or false") }
        return n.boolValue
    }

    func proficiencies(_ name: String) throws(BusError) -> [String: Double] {
        guard let v = value(name), !(v is NSNull) else { return [:] }
        guard let table = v as? [String: Any] else { throw .invalid("\(op): field '\(name)' must be an object of name: number") }
        var result: [String: Double] = [:]
        for (key, item) in table {
            guard let n = item as? NSNumber, !Self.isBool(n) else { throw .invalid("\(op): field '\(name).\(key)' must be a number") }
            result[key] = n.doubleValue
        }
        return result
    }

    /// JSON `true`/`false` arrive as NSNumbers whose type is `char` (`1` and `true` both bridge to Bool).
    static func isBool(_ n: NSNumber) -> Bool { n.objCType.pointee == CChar(UInt8(ascii: "c")) }
}

extension WireProtocol {
    /// The command named by `op` (an alias already resolved to its case name), speaking as `from`.
    static func buildCommand(_ name: String, _ f: WireFields, from: String) throws(BusError) -> BusCommand {
        switch name {
        case "register":
            return .register(agent: BusAgent(
                id: from, role: try f.optionalString("role") ?? "member", skills: try f.proficiencies("skills"),
                personality: try f.optionalString("personality") ?? "",
                autoAcceptHandshakes: try f.bool("auto_accept_handshakes") ?? true))
        case "deregister": return .deregister(agent: from)
        case "handshake":
            var expiresAt = try f.integer("expires_at").map { BusTime.date(milliseconds: Int64($0)) }
            if let timeout = try f.integer("timeout_ms") {
                guard (1...86_400_000).contains(timeout) else { throw .invalid("handshake: timeout_ms must be 1–86400000 (one day)") }
                expiresAt = Date().addingTimeInterval(Double(timeout) / 1000)
            }
            return .handshake(from: from, to: try f.string("to"), proposal: try f.optionalString("proposal") ?? "", expiresAt: expiresAt)
        case "expire_handshake": return .expireHandshake(from: from, handshake: try f.string("handshake"))
        case "decline_learning":
            return .declineLearning(from: from, request: try f.string("request"), reason: try f.optionalString("reason") ?? "")
        case "reply_handshake":
            guard let accept = try f.bool("accept") else { throw .invalid("reply_handshake: missing field 'accept'") }
            return .replyHandshake(from: from, handshake: try f.string("handshake"), accept: accept, reason: try f.optionalString("reason"))
        case "form_crew":
            return .formCrew(from: from, name: try f.string("name"), members: try f.strings("members"),
                             purpose: try f.optionalString("purpose") ?? "")
        case "leave_crew": return .leaveCrew(from: from, crew: try f.string("crew"))
        case "disband_crew": return .disbandCrew(from: from, crew: try f.string("crew"))
        case "propose":
            return .propose(from: from, text: try f.string("text"), crew: try f.optionalString("crew"),
                            threshold: try f.number("threshold"), quorum: try f.number("quorum"))
        case "vote":
            let text = try f.string("choice")
            guard let choice = VoteChoice(rawValue: text) else { throw .invalid("vote: choice must be yes, no or abstain (got '\(text)')") }
            return .vote(from: from, proposal: try f.string("proposal"), choice: choice)
        case "withdraw_proposal": return .withdrawProposal(from: from, proposal: try f.string("proposal"))
        case "post_ahoy":
            let replyBy = try f.integer("reply_by").map { BusTime.date(milliseconds: Int64($0)) }
            return .postAhoy(from: from, role: try f.string("role"), description: try f.optionalString("description") ?? "",
                             requiredSkills: try f.strings("required_skills"), budget: try f.integer("budget") ?? 0, replyBy: replyBy)
        case "apply":
            return .apply(from: from, ahoy: try f.string("ahoy"), pitch: try f.optionalString("pitch") ?? "",
                          relevantSkills: try f.strings("relevant_skills"))
        case "award": return .award(from: from, ahoy: try f.string("ahoy"), winner: try f.string("winner"))
        case "withdraw_ahoy": return .withdrawAhoy(from: from, ahoy: try f.string("ahoy"))
        case "withdraw_application": return .withdrawApplication(from: from, ahoy: try f.string("ahoy"))
        case "teach":
            let text = try f.optionalString("method") ?? "demo"
            guard let method = TeachingMethod(parsing: text) else {
                throw .invalid("teach: method must be pair, demo, doc or practice (got '\(text)')")
            }
            return .teach(from: from, to: try f.string("to"), skill: try f.string("skill"), method: method)
        case "request_learning": return .requestLearning(from: from, skill: try f.string("skill"), teacher: try f.string("teacher"))
        case "share":
            return .share(from: from, crew: try f.string("crew"), topic: try f.string("topic"),
                          content: try f.optionalString("content") ?? "", skillImpact: try f.proficiencies("skill_impact"))
        case "say":
            return .say(from: from, crew: try f.optionalString("crew"), to: try f.optionalString("to"), text: try f.string("text"))
        case "join_crew": return .joinCrew(from: from, crew: try f.string("crew"))
        case "delegate":
            guard let budget = try f.integer("budget") else { throw .invalid("delegate: missing field 'budget'") }
            return .delegate(from: from, crew: try f.string("crew"), to: try f.string("to"), budget: budget)
        case "negotiate":
            guard let amount = try f.integer("amount") else { throw .invalid("negotiate: missing field 'amount'") }
            return .negotiate(from: from, crew: try f.optionalString("crew"), resource: try f.string("resource"), amount: amount,
                              reason: try f.string("reason"))
        case "status": return .announceStatus(from: from, note: try f.optionalString("note") ?? "")
        case "propose_mutation":
            let approvalText = try f.string("approval")
            guard let approval = MutationApproval(parsing: approvalText) else {
                throw .invalid("propose_mutation: approval must be crew:NAME, everyone or none (got '\(TerminalText.line(approvalText))')")
            }
            let mutation = DatumMutation(datum: try f.string("datum"), baseHash: try f.string("base_hash"), newHash: try f.string("new_hash"),
                                         diff: try f.string("diff"), summary: try f.string("summary"), approval: approval)
            return .proposeMutation(from: from, crew: try f.optionalString("crew"), mutation: mutation)
        case "claim_mutation":
            guard let until = try f.integer("lease_until") else { throw .invalid("claim_mutation: missing field 'lease_until' (ms since 1970)") }
            return .claimMutation(from: from, proposal: try f.string("proposal"), leaseUntil: BusTime.date(milliseconds: Int64(until)))
        case "complete_mutation":
            return .completeMutation(from: from, proposal: try f.string("proposal"), commit: try f.optionalString("commit"),
                                     note: try f.optionalString("note") ?? "")
        case "reject_mutation":
            return .rejectMutation(from: from, proposal: try f.string("proposal"), reason: try f.string("reason"))
        default:
            throw .invalid("unknown op '\(name)'")
        }
    }
}

extension WireProtocol {
    /// The other half of `buildCommand`: a command as the op and fields a client sends. The speaker it claims
    /// travels too (`from`, or `agent` for register/deregister), so the server refuses a caller that asks to
    /// speak as someone other than its connection instead of silently speaking as the connection. Round-trip
    /// tests hold `buildCommand(encode(c)) == c` for every case.
    public static func encode(_ command: BusCommand) throws(BusError) -> (op: String, fields: [String: Any]) {
        var (op, fields) = try encodeFields(command)
        switch command {
        case .register, .deregister: fields["agent"] = command.actor
        default: fields["from"] = command.actor
        }
        return (op, fields)
    }

    private static func encodeFields(_ command: BusCommand) throws(BusError) -> (op: String, fields: [String: Any]) {
        func ms(_ date: Date) -> Int64 { BusTime.milliseconds(date) }
        switch command {
        case .register(let agent):
            return ("register", ["role": agent.role, "skills": agent.skills, "personality": agent.personality,
                                 "auto_accept_handshakes": agent.autoAcceptHandshakes])
        case .deregister: return ("deregister", [:])
        case .handshake(_, let to, let proposal, let expiresAt):
            var fields: [String: Any] = ["to": to, "proposal": proposal]
            if let expiresAt { fields["expires_at"] = ms(expiresAt) }
            return ("handshake", fields)
        case .replyHandshake(_, let handshake, let accept, let reason):
            var fields: [String: Any] = ["handshake": handshake, "accept": accept]
            if let reason { fields["reason"] = reason }
            return ("reply_handshake", fields)
        case .expireHandshake(_, let handshake): return ("expire_handshake", ["handshake": handshake])
        case .formCrew(_, let name, let members, let purpose):
            return ("form_crew", ["name": name, "members": members, "purpose": purpose])
        case .leaveCrew(_, let crew): return ("leave_crew", ["crew": crew])
        case .disbandCrew(_, let crew): return ("disband_crew", ["crew": crew])
        case .propose(_, let text, let crew, let threshold, let quorum):
            var fields: [String: Any] = ["text": text]
            if let crew { fields["crew"] = crew }
            if let threshold { fields["threshold"] = threshold }
            if let quorum { fields["quorum"] = quorum }
            return ("propose", fields)
        case .vote(_, let proposal, let choice): return ("vote", ["proposal": proposal, "choice": choice.rawValue])
        case .withdrawProposal(_, let proposal): return ("withdraw_proposal", ["proposal": proposal])
        case .postAhoy(_, let role, let description, let skills, let budget, let replyBy):
            var fields: [String: Any] = ["role": role, "description": description, "required_skills": skills, "budget": budget]
            if let replyBy { fields["reply_by"] = ms(replyBy) }
            return ("post_ahoy", fields)
        case .apply(_, let ahoy, let pitch, let skills):
            return ("apply", ["ahoy": ahoy, "pitch": pitch, "relevant_skills": skills])
        case .award(_, let ahoy, let winner): return ("award", ["ahoy": ahoy, "winner": winner])
        case .withdrawAhoy(_, let ahoy): return ("withdraw_ahoy", ["ahoy": ahoy])
        case .withdrawApplication(_, let ahoy): return ("withdraw_application", ["ahoy": ahoy])
        case .teach(_, let to, let skill, let method): return ("teach", ["to": to, "skill": skill, "method": method.rawValue])
        case .requestLearning(_, let skill, let teacher): return ("request_learning", ["skill": skill, "teacher": teacher])
        case .declineLearning(_, let request, let reason): return ("decline_learning", ["request": request, "reason": reason])
        case .share(_, let crew, let topic, let content, let impact):
            return ("share", ["crew": crew, "topic": topic, "content": content, "skill_impact": impact])
        case .say(_, let crew, let to, let text):
            var fields: [String: Any] = ["text": text]
            if let crew { fields["crew"] = crew }
            if let to { fields["to"] = to }
            return ("say", fields)
        case .joinCrew(_, let crew): return ("join_crew", ["crew": crew])
        case .delegate(_, let crew, let to, let budget): return ("delegate", ["crew": crew, "to": to, "budget": budget])
        case .negotiate(_, let crew, let resource, let amount, let reason):
            var fields: [String: Any] = ["resource": resource, "amount": amount, "reason": reason]
            if let crew { fields["crew"] = crew }
            return ("negotiate", fields)
        case .announceStatus(_, let note): return ("status", ["note": note])
        case .proposeMutation(_, let crew, let m):
            var fields: [String: Any] = ["datum": m.datum, "base_hash": m.baseHash, "new_hash": m.newHash, "diff": m.diff,
                                         "summary": m.summary, "approval": m.approval.description]
            if let crew { fields["crew"] = crew }
            return ("propose_mutation", fields)
        case .claimMutation(_, let proposal, let leaseUntil):
            return ("claim_mutation", ["proposal": proposal, "lease_until": ms(leaseUntil)])
        case .completeMutation(_, let proposal, let commit, let note):
            var fields: [String: Any] = ["proposal": proposal, "note": note]
            if let commit { fields["commit"] = commit }
            return ("complete_mutation", fields)
        case .rejectMutation(_, let proposal, let reason):
            return ("reject_mutation", ["proposal": proposal, "reason": reason])
        case .presence:
            throw .invalid("presence is written by whoever hosts the connection (the daemon); a client cannot send it")
        }
    }
}

import Foundation

/// A hand-written JSON encoder for events, byte-for-byte the shape `Codable` produces (so any JSON decoder
/// reads it back), about five times faster than `JSONEncoder`: every event is encoded once per append on
/// the socket path, and fan-out to many subscribers depends on it.
public enum EventJSON {
    public static func encode(_ event: BusEvent) -> [UInt8] {
        var w = JSONWriter()
        w.open()
        w.key("seq"); w.number(event.seq)
        w.key("ts"); w.number(BusTime.milliseconds(event.timestamp))
        w.key("from"); w.string(event.from)
        w.key("conversation_id"); w.string(event.conversationID)
        if let reply = event.replyTo { w.key("reply_to"); w.number(reply) }
        w.key("body"); body(event.body, &w)
        w.close()
        return w.bytes
    }

    /// The body alone (what the SQLite log stores in its `body` column), same shape as `Codable`'s.
    public static func encodeBody(_ body: BusEventBody) -> [UInt8] {
        var w = JSONWriter()
        self.body(body, &w)
        return w.bytes
    }

    static func body(_ body: BusEventBody, _ w: inout JSONWriter) {
        w.open()
        switch body {
        case .agentRegistered(let agent):
            w.key("agentRegistered"); w.open(); w.key("agent"); self.agent(agent, &w); w.close()
        case .agentDeregistered(let id):
            w.key("agentDeregistered"); w.open(); w.key("id"); w.string(id); w.close()
        case .handshakeRequested(let id, let to, let proposal, let expiresAt):
            w.key("handshakeRequested"); w.open()
            w.key("id"); w.string(id); w.key("to"); w.string(to); w.key("proposal"); w.string(proposal)
            if let expiresAt { w.key("expiresAt"); w.number(BusTime.milliseconds(expiresAt)) }
            w.close()
        case .handshakeExpired(let id):
            w.key("handshakeExpired"); w.open(); w.key("id"); w.string(id); w.close()
        case .handshakeReplied(let id, let accept, let reason):
            w.key("handshakeReplied"); w.open()
            w.key("id"); w.string(id); w.key("accept"); w.bool(accept)
            if let reason { w.key("reason"); w.string(reason) }
            w.close()
        case .crewFormed(let name, let members, let purpose):
            w.key("crewFormed"); w.open()
            w.key("name"); w.string(name); w.key("members"); w.strings(members); w.key("purpose"); w.string(purpose)
            w.close()
        case .crewLeft(let crew, let agent):
            w.key("crewLeft"); w.open(); w.key("crew"); w.string(crew); w.key("agent"); w.string(agent); w.close()
        case .crewDisbanded(let crew):
            w.key("crewDisbanded"); w.open(); w.key("crew"); w.string(crew); w.close()
        case .proposalCreated(let id, let text, let crew, let electorate, let threshold, let quorum):
            w.key("proposalCreated"); w.open()
            w.key("id"); w.string(id); w.key("text"); w.string(text)
            if let crew { w.key("crew"); w.string(crew) }
            w.key("electorate"); w.strings(electorate)
            w.key("threshold"); w.double(threshold); w.key("quorum"); w.double(quorum)
            w.close()
        case .voteCast(let proposal, let choice):
            w.key("voteCast"); w.open(); w.key("proposal"); w.string(proposal); w.key("choice"); w.string(choice.rawValue); w.close()
        case .proposalClosed(let id, let outcome):
            w.key("proposalClosed"); w.open(); w.key("id"); w.string(id); w.key("outcome"); w.string(outcome.rawValue); w.close()
        case .ahoyPosted(let id, let role, let description, let skills, let budget, let replyBy):
            w.key("ahoyPosted"); w.open()
            w.key("id"); w.string(id); w.key("role"); w.string(role); w.key("description"); w.string(description)
            w.key("requiredSkills"); w.strings(skills); w.key("budget"); w.number(Int64(budget))
            if let replyBy { w.key("replyBy"); w.number(BusTime.milliseconds(replyBy)) }
            w.close()
        case .ahoyApplied(let ahoy, let pitch, let skills):
            w.key("ahoyApplied"); w.open()
            w.key("ahoy"); w.string(ahoy); w.key("pitch"); w.string(pitch); w.key("relevantSkills"); w.strings(skills)
            w.close()
        case .ahoyAwarded(let ahoy, let winner, let budget):
            w.key("ahoyAwarded"); w.open()
            w.key("ahoy"); w.string(ahoy); w.key("winner"); w.string(winner); w.key("budget"); w.number(Int64(budget))
            w.close()
        case .applicationRejected(let ahoy, let agent):
            w.key("applicationRejected"); w.open(); w.key("ahoy"); w.string(ahoy); w.key("agent"); w.string(agent); w.close()
        case .ahoyWithdrawn(let ahoy):
            w.key("ahoyWithdrawn"); w.open(); w.key("ahoy"); w.string(ahoy); w.close()
        case .applicationWithdrawn(let ahoy):
            w.key("applicationWithdrawn"); w.open(); w.key("ahoy"); w.string(ahoy); w.close()
        case .skillTaught(let to, let skill, let method, let level):
            w.key("skillTaught"); w.open()
            w.key("to"); w.string(to); w.key("skill"); w.string(skill); w.key("method"); w.string(method.rawValue)
            w.key("teacherProficiency"); w.double(level)
            w.close()
        case .skillLearned(let agent, let skill, let before, let after, let teacher):
            w.key("skillLearned"); w.open()
            w.key("agent"); w.string(agent); w.key("skill"); w.string(skill)
            w.key("before"); w.double(before); w.key("after"); w.double(after)
            if let teacher { w.key("teacher"); w.string(teacher) }
            w.close()
        case .learningRequested(let skill, let teacher):
            w.key("learningRequested"); w.open(); w.key("skill"); w.string(skill); w.key("teacher"); w.string(teacher); w.close()
        case .learningDeclined(let request, let reason):
            w.key("learningDeclined"); w.open(); w.key("request"); w.string(request); w.key("reason"); w.string(reason); w.close()
        case .agentJoined(let agent):
            w.key("agentJoined"); w.open(); w.key("agent"); w.string(agent); w.close()
        case .agentLeft(let agent, let reason):
            w.key("agentLeft"); w.open(); w.key("agent"); w.string(agent); w.key("reason"); w.string(reason); w.close()
        case .knowledgeShared(let crew, let topic, let content, let impact):
            w.key("knowledgeShared"); w.open()
            w.key("crew"); w.string(crew); w.key("topic"); w.string(topic); w.key("content"); w.string(content)
            w.key("skillImpact"); w.doubles(impact)
            w.close()
        case .crewJoined(let crew, let agent):
            w.key("crewJoined"); w.open(); w.key("crew"); w.string(crew); w.key("agent"); w.string(agent); w.close()
        case .captainDelegated(let crew, let to, let budget):
            w.key("captainDelegated"); w.open()
            w.key("crew"); w.string(crew); w.key("to"); w.string(to); w.key("budget"); w.number(Int64(budget))
            w.close()
        case .resourceNegotiated(let id, let crew, let resource, let amount, let reason):
            w.key("resourceNegotiated"); w.open()
            w.key("id"); w.string(id)
            if let crew { w.key("crew"); w.string(crew) }
            w.key("resource"); w.string(resource); w.key("amount"); w.number(Int64(amount)); w.key("reason"); w.string(reason)
            w.close()
        case .statusAnnounced(let role, let skills, let note):
            w.key("statusAnnounced"); w.open()
            w.key("role"); w.string(role); w.key("skills"); w.doubles(skills); w.key("note"); w.string(note)
            w.close()
        case .mutationProposed(let proposal, let m):
            w.key("mutationProposed"); w.open()
            w.key("proposal"); w.string(proposal)
            w.key("mutation"); w.open()
            w.key("datum"); w.string(m.datum); w.key("baseHash"); w.string(m.baseHash); w.key("newHash"); w.string(m.newHash)
            w.key("diff"); w.string(m.diff); w.key("summary"); w.string(m.summary); w.key("approval"); w.string(m.approval.description)
            w.close()
            w.close()
        case .mutationClaimed(let proposal, let leaseUntil):
            w.key("mutationClaimed"); w.open()
            w.key("proposal"); w.string(proposal); w.key("leaseUntil"); w.number(BusTime.milliseconds(leaseUntil))
            w.close()
        case .datumMutated(let proposal, let datum, let commit, let note):
            w.key("datumMutated"); w.open()
            w.key("proposal"); w.string(proposal); w.key("datum"); w.string(datum)
            if let commit { w.key("commit"); w.string(commit) }
            w.key("note"); w.string(note)
            w.close()
        case .mutationRejected(let proposal, let datum, let reason):
            w.key("mutationRejected"); w.open()
            w.key("proposal"); w.string(proposal); w.key("datum"); w.string(datum); w.key("reason"); w.string(reason)
            w.close()
        case .message(let crew, let to, let text):
            w.key("message"); w.open()
            if let crew { w.key("crew"); w.string(crew) }
            if let to { w.key("to"); w.string(to) }
            w.key("text"); w.string(text)
            w.close()
        }
        w.close()
    }

    static func agent(_ a: BusAgent, _ w: inout JSONWriter) {
        w.open()
        w.key("id"); w.string(a.id); w.key("role"); w.string(a.role); w.key("skills"); w.doubles(a.skills)
        w.key("personality"); w.string(a.personality); w.key("autoAcceptHandshakes"); w.bool(a.autoAcceptHandshakes)
        w.close()
    }
}

/// Appends JSON tokens to a byte buffer, inserting commas itself.
struct JSONWriter {
    var bytes: [UInt8] = []
    private var needsComma = false

    init() { bytes.reserveCapacity(256) }

    mutating func open() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func close() { bytes.append(UInt8(ascii: "}")); needsComma = true }

    mutating func key(_ k: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ s: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 10: bytes.append(contentsOf: [92, 110])
            case 13: bytes.append(contentsOf: [92, 114])
            case 9: bytes.append(contentsOf: [92, 116])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A key that is not known at compile time (request fields).
    mutating func key(_ k: String) {
        string(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A value of the untyped shapes a request's fields come in (what JSONSerialization accepts), nested at
    /// most `depth` deep. Writing it by hand is ~10× cheaper than JSONSerialization, which was most of a
    /// client's cost per request.
    mutating func value(_ value: Any, depth: Int = 32) throws(JSONWriterError) {
        guard depth > 0 else { throw .tooDeep }
        switch value {
        case let s as String: string(s)
        case is NSNull: separate(); bytes.append(contentsOf: "null".utf8); needsComma = true
        // Every number, Swift's or JSONSerialization's, as NSNumber: asking `as? Bool` first would turn a parsed
        // 1 into true, and `as? Int` a parsed true into 1.
        case let n as NSNumber:
            switch UInt8(bitPattern: n.objCType.pointee) {
            case UInt8(ascii: "c"), UInt8(ascii: "B"): bool(n.boolValue)
            case UInt8(ascii: "d"), UInt8(ascii: "f"):
                guard n.doubleValue.isFinite else { throw .unsupported("\(n.doubleValue)") }
                double(n.doubleValue)
            case UInt8(ascii: "Q"), UInt8(ascii: "L"), UInt8(ascii: "I"): number(n.uint64Value)
            default: number(n.int64Value)
            }
        case let list as [Any]:
            separate()
            bytes.append(UInt8(ascii: "["))
            needsComma = false
            for item in list { try self.value(item, depth: depth - 1) }
            bytes.append(UInt8(ascii: "]"))
            needsComma = true
        case let object as [String: Any]:
            open()
            for (k, v) in object {
                key(k)
                try self.value(v, depth: depth - 1)
            }
            close()
        default:
            throw .unsupported(String(describing: type(of: value)))
        }
    }

    mutating func number(_ n: some BinaryInteger) { separate(); bytes.append(contentsOf: String(n).utf8); needsComma = true }

    /// Shortest text that reads back as the same Double (Swift's `description` guarantees the round trip).
    mutating func double(_ d: Double) {
        separate()
        if d == d.rounded(), abs(d) < 1e15 { bytes.append(contentsOf: String(Int64(d)).utf8) } else { bytes.append(contentsOf: d.description.utf8) }
        needsComma = true
    }

    mutating func bool(_ b: Bool) { separate(); bytes.append(contentsOf: (b ? "true" : "false").utf8); needsComma = true }

    mutating func strings(_ list: [String]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for s in list { string(s) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func doubles(_ table: [String: Double]) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        for (k, v) in table.sorted(by: { $0.key < $1.key }) {
            string(k)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
            double(v)
        }
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = false
    }
}

/// Why a value could not be written as JSON.
enum JSONWriterError: Error, CustomStringConvertible {
    case tooDeep
    case unsupported(String)

    var description: String {
        switch self {
        case .tooDeep: return "nested more than 32 levels deep"
        case .unsupported(let what): return "\(what) cannot be sent as JSON"
        }
    }
}

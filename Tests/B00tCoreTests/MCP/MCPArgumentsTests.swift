import Foundation
import MCP
import Testing
@testable import B00tCore
@testable import B00tMCP

/// The argument check every tool call passes: each refusal names the argument and says what it should be.
@Suite struct MCPArgumentsTests {
    let toolbox = MCPToolbox()

    func spec(_ name: String) throws -> MCPToolSpec { try #require(toolbox.spec(name)) }

    func refusal(_ tool: String, _ arguments: [String: Value]?) throws -> MCPArgumentError {
        let spec = try spec(tool)
        do {
            _ = try MCPArguments(arguments, spec: spec)
        } catch {
            return error
        }
        Issue.record("\(tool) \(String(describing: arguments)) was accepted")
        return MCPArgumentError(tool: tool, argument: nil, message: "")
    }

    @Test func theToolsAreExactlyTheIssuesList() {
        #expect(toolbox.names == [
            "crew_status", "say", "handshake", "crew_form", "propose", "vote", "ahoy_post", "ahoy_list", "ahoy_apply",
            "ahoy_award", "teach", "learn_request", "share", "skills", "events_since", "service_up", "service_ps",
            "datum_show", "datum_query", "grok_ask", "grok_learn", "lfmf", "advice", "datum_mutate",
        ])
    }

    @Test func schemasAreObjectsWithRequiredListsAndLimits() throws {
        for tool in toolbox.tools {
            let schema = try #require(tool.spec.inputSchema.objectValue)
            #expect(schema["type"] == "object", "\(tool.spec.name)")
            #expect(schema["additionalProperties"] == false, "\(tool.spec.name)")
            let properties = try #require(schema["properties"]?.objectValue)
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                #expect(properties[name] != nil, "\(tool.spec.name) requires \(name) but does not describe it")
            }
            for (name, property) in properties {
                #expect(property.objectValue?["description"]?.stringValue?.isEmpty == false, "\(tool.spec.name).\(name) has no description")
            }
        }
        let post = try #require(spec("ahoy_post").inputSchema.objectValue)
        #expect(post["required"] == ["role"])
        let budget = try #require(post["properties"]?.objectValue?["budget"]?.objectValue)
        #expect(budget["type"] == "integer" && budget["minimum"] == 0 && budget["maximum"] == .int(BusState.maximumBudget))
        #expect(try spec("ahoy_apply").arguments.map(\.name) == ["id", "pitch", "relevant_skills"])
        #expect(try spec("ahoy_award").arguments.map(\.name) == ["id", "winner"])
        #expect(try spec("vote").arguments.map(\.name) == ["id", "choice"])
        #expect(try spec("teach").arguments.map(\.name) == ["to", "skill", "method"])
    }

    @Test func missingWrongTypeNegativeAndHugeAreRefusedByName() throws {
        var error = try refusal("ahoy_post", ["budget": 5])
        #expect(error.argument == "role")
        #expect(error.message.hasPrefix("missing required argument 'role'"))

        error = try refusal("ahoy_post", ["role": "dev", "budget": "ten"])
        #expect(error.message == "argument 'budget' must be an integer 0–1000000000000, got a string (\"ten\")")

        error = try refusal("ahoy_post", ["role": "dev", "budget": -1])
        #expect(error.message == "argument 'budget' must be 0–1000000000000, got -1")

        error = try refusal("ahoy_post", ["role": "dev", "budget": .double(2.5)])
        #expect(error.message == "argument 'budget' must be a whole number, got 2.5")

        let huge = String(repeating: "x", count: 1 << 20)
        error = try refusal("ahoy_apply", ["id": "ahoy-1", "pitch": .string(huge)])
        #expect(error.message == "argument 'pitch' is 1048576 bytes; the limit is 8192 bytes")
        #expect(error.description.count < 200, "the message never quotes the whole value")

        error = try refusal("say", ["text": .string(huge.prefix(10) + "\u{0}")])
        #expect(error.message == "argument 'text' contains a NUL character")

        error = try refusal("vote", ["id": "prop-1", "choice": "maybe"])
        #expect(error.message == "argument 'choice' must be one of yes, no, abstain, got 'maybe'")

        error = try refusal("crew_form", ["name": "api", "members": ["beta", 7]])
        #expect(error.message == "argument 'members'[1] must be a non-empty name, got an integer (7)")

        error = try refusal("share", ["crew": "api", "topic": "t", "content": "c", "skill_impact": ["rust": 1.5]])
        #expect(error.message == "argument 'skill_impact'.rust must be 0–1, got 1.5")

        error = try refusal("ahoy_post", ["role": "  "])
        #expect(error.message.hasPrefix("argument 'role' is empty"))
    }

    @Test func unknownArgumentsGetADidYouMean() throws {
        let error = try refusal("ahoy_post", ["role": "dev", "bugdet": 5])
        #expect(error.message == "unknown argument 'bugdet' (did you mean 'budget'?); it takes role, required_skills, budget, description")
        let none = try refusal("crew_status", ["verbose": true])
        #expect(none.message == "unknown argument 'verbose'; it takes no arguments")
    }

    @Test func goodArgumentsReadBackTyped() throws {
        let args = try MCPArguments(["role": "dev", "budget": .double(100), "required_skills": ["rust", "go"]], spec: try spec("ahoy_post"))
        #expect(args.string("role") == "dev")
        #expect(args.int("budget") == 100, "a whole number sent as 100.0 is still an integer")
        #expect(args.strings("required_skills") == ["rust", "go"])
        #expect(!args.has("description"))
        // The SDK decodes a string shaped like a data URL as `.data`; to a tool it stays the text it was.
        let url = "data:text/plain;base64,aGVsbG8="
        let decoded = try JSONDecoder().decode(Value.self, from: Data("\"\(url)\"".utf8))
        let said = try MCPArguments(["text": decoded], spec: try spec("say"))
        #expect(said.string("text") == url)
        let nulls = try MCPArguments(["text": "hi", "to": .null], spec: try spec("say"))
        #expect(!nulls.has("to"), "null means absent")
    }
}

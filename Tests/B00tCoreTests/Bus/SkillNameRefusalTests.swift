import Foundation
import Testing
@testable import B00tCore

/// Skill names reach every crew member's screen: control characters, bidi overrides and empty names are
/// refused at the bus boundary (an empty name used to be reported as a proficiency problem).
@Suite struct SkillNameRefusalTests {
    func refuses(_ bus: MessageBus, _ command: BusCommand, containing text: String,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await bus.events().count
        do {
            try await bus.submit(command)
            Issue.record("accepted \(command)", sourceLocation: sourceLocation)
        } catch let error as BusError {
            #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(try await bus.events().count == before, sourceLocation: sourceLocation)
    }

    @Test func registerShareAndTeachCheckSkillNames() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "alpha", skills: ["rust": 0.9]))
        try await bus.register(BusAgent(id: "beta"))
        try await refuses(bus, .register(agent: BusAgent(id: "x", skills: ["": 0.5])), containing: "skill '': a skill name cannot be empty")
        try await refuses(bus, .register(agent: BusAgent(id: "x", skills: ["a\u{1B}[2J": 0.5])), containing: "a skill name is")
        try await refuses(bus, .register(agent: BusAgent(id: "x", skills: ["rust\u{202E}": 0.5])), containing: "a skill name is")
        try await refuses(bus, .teach(from: "alpha", to: "beta", skill: "ru\nst", method: .pairProgramming), containing: "a skill name is")
        try await bus.submit(.formCrew(from: "alpha", name: "core", members: ["alpha", "beta"], purpose: ""))
        try await refuses(bus, .share(from: "alpha", crew: "core", topic: "t", content: "c", skillImpact: ["\u{7}": 0.1]),
                          containing: "a skill name is")
        try await bus.register(BusAgent(id: "gamma", skills: ["c++": 0.5, "ci/cd": 0.4, "machine learning": 0.3]))
    }
}

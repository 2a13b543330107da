import Foundation
import Testing
@testable import B00tCore

/// Every agent datum can run as a service (`agent-NAME.process`), generated, never shadowing a real datum.
@Suite struct AgentServiceDatumTests {
    @Test func agentDatumsGetAService() throws {
        let alpha = Datum(name: "alpha", type: .agent, agent: AgentSpec(), source: "/project/_b00t_/alpha.agent.toml")
        let mine = Datum(name: "agent-beta", type: .process, command: "my-own", source: "/x/agent-beta.process.toml")
        let beta = Datum(name: "beta", type: .agent, agent: AgentSpec())
        let odd = Datum(name: "bad name", type: .agent, agent: AgentSpec())
        let catalog = BuiltinDatums.adding(to: DatumCatalog(datums: [alpha, beta, mine, odd]))
        let service = try catalog.lookup("agent-alpha.process")
        #expect(service.command == "${B00T_BIN:-b00t}")
        #expect(service.args == ["agent", "run", "--datum", "alpha.agent", "--bus", "${B00T_AGENT_BUS:-socket}", "--path", "/project/_b00t_"])
        #expect(service.resources?.restartPolicy == .onFailure)
        #expect(try catalog.lookup("agent-beta.process").command == "my-own")  // a datum of that name wins
        #expect(catalog.datums["agent-bad name.process"] == nil)
        #expect(AgentServiceDatums.agent(ofService: "agent-alpha.process") == "alpha")
        #expect(AgentServiceDatums.agent(ofService: "redis.process") == nil)
        // Resolved, the variables are the orchestrator's.
        let resolved = ResolvedService(service, environment: ["B00T_BIN": "/bin/b00t", "B00T_AGENT_BUS": "sqlite:/tmp/bus.sqlite"])
        #expect(resolved.argv.first == "/bin/b00t" && resolved.argv.contains("sqlite:/tmp/bus.sqlite"))
    }
}

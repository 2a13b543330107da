import Testing
@testable import B00tCore

@Suite struct EnvExpansionTests {
    @Test func expandsVariablesAndDefaults() {
        let env = ["PORT": "7000", "EMPTY": ""]
        #expect(EnvExpansion.expand("--port ${PORT}", environment: env) == "--port 7000")
        #expect(EnvExpansion.expand("${MISSING:-6391}", environment: env) == "6391")
        #expect(EnvExpansion.expand("${EMPTY:-x}", environment: env) == "x")
        #expect(EnvExpansion.expand("${PORT:-1}", environment: env) == "7000")
        #expect(EnvExpansion.expand("cost $$5 $HOME ${", environment: env) == "cost $5 $HOME ${")
        #expect(EnvExpansion.expand("${MISSING}", environment: env) == "")
    }
}

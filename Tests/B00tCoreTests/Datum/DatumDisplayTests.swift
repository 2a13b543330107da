import Testing
@testable import B00tCore

@Suite struct DatumDisplayTests {
    @Test func cliDatumRendersMarkdown() {
        let datum = Datum(
            name: "rust", type: .cli, hint: "Systems programming language",
            install: "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh",
            usage: [UsageExample(description: "Build", command: "cargo build")])
        let text = "\(datum)"
        #expect(text.hasPrefix("# rust\n**Type**: cli\n**Hint**: Systems programming language\n"))
        #expect(text.contains("## Installation\n```bash\ncurl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh\n```\n"))
        #expect(text.contains("## Usage\n- **Build**: `cargo build`\n"))
    }

    @Test func agentDatumRendersCard() {
        let datum = Datum(
            name: "alpha", type: .agent,
            agent: AgentSpec(skills: ["rust": 0.9, "testing": 0.7], role: "Specialist", personality: "curious"))
        #expect("\(datum)" == """
        🤖 Agent: alpha
        Role: Specialist
        Skills: rust (0.90), testing (0.70)
        Personality: curious

        """)
    }
}

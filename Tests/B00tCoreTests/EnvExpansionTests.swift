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

@Suite struct EnvExpansionFormsTests {
    let env = ["A": "a", "EMPTY": "", "U": "u"]

    @Test func unsetOnlyDefaultAndNestedDefaults() {
        #expect(EnvExpansion.expand("${MISSING-x}", environment: env) == "x")
        #expect(EnvExpansion.expand("${EMPTY-x}", environment: env) == "")
        #expect(EnvExpansion.expand("${MISSING:-${A}}", environment: env) == "a")
        #expect(EnvExpansion.expand("${MISSING:-${NONE:-deep}}/x", environment: env) == "deep/x")
        #expect(EnvExpansion.expand("${U:-${A}}", environment: env) == "u")
        #expect(EnvExpansion.expand("${MISSING:-a}b}", environment: env) == "ab}")
    }

    /// Malformed references were silently empty; now the loader names them and expansion keeps them as written.
    @Test(arguments: [
        ("${}", "names no variable"), ("${A B}", "is not supported"), ("${A:?x}", "is not supported"),
        ("${", "never closed"), ("${A:-x", "never closed"), ("${1A}", "cannot start with a digit"),
        ("${-x}", "a variable name is"),
        (String(repeating: "${A:-", count: 20) + "x" + String(repeating: "}", count: 20), "nested more than 8"),
    ])
    func malformedReferencesAreProblemsNotEmptyText(text: String, expected: String) {
        let problem = EnvExpansion.problem(in: text)
        #expect(problem?.contains(expected) == true, "\(text): \(String(describing: problem))")
        if !expected.contains("nested") {
            #expect(EnvExpansion.expand("<\(text)>", environment: env).contains(text.prefix(2)))
        }
    }

    @Test func wellFormedTextHasNoProblem() {
        for text in ["plain", "$$", "$HOME", "${A}", "${A:-}", "${A-}", "x${A:-${B:-c}}y", "cost $5"] {
            #expect(EnvExpansion.problem(in: text) == nil, "\(text)")
        }
    }
}

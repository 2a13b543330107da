import Testing
@testable import B00tCore

@Suite struct DatumQueryTests {
    let catalog = DatumCatalog(datums: [
        Datum(name: "alpha", type: .agent, agent: AgentSpec(skills: ["rust": 0.9, "testing": 0.7])),
        Datum(name: "beta", type: .agent, agent: AgentSpec(skills: ["go": 0.6])),
        Datum(name: "gamma", type: .agent, agent: AgentSpec(skills: ["python": 0.8])),
        Datum(name: "rust", type: .cli, category: "language"),
        Datum(name: "qdrant", type: .docker, category: "database"),
    ])

    func names(_ query: DatumQuery) -> [String] { catalog.query(query).map(\.name) }

    @Test func combinatorsFromCode() {
        #expect(names(.byType(.agent)) == ["alpha", "beta", "gamma"])
        #expect(names(.bySkill("rust")) == ["alpha"])
        #expect(names(.byType(.agent) && (.bySkill("rust") || .bySkill("go"))) == ["alpha", "beta"])
        #expect(names(.byType(.agent) && !.bySkill("rust")) == ["beta", "gamma"])
        #expect(names(.byCategory("language") || .byCategory("database")) == ["qdrant", "rust"])
        #expect(names(.bySkill("rust", minimum: 0.95)) == [])
    }

    @Test func parsedExpressions() throws {
        #expect(names(try DatumQueryParser.parse("type:agent and (skill:rust or skill:go)")) == ["alpha", "beta"])
        #expect(names(try DatumQueryParser.parse("type:agent not skill:python")) == ["alpha", "beta"])
        #expect(names(try DatumQueryParser.parse("skill:rust>=0.8 or category:database")) == ["alpha", "qdrant"])
        #expect(names(try DatumQueryParser.parse("")) == catalog.all.map(\.name))
        // and binds tighter than or
        #expect(try DatumQueryParser.parse("type:cli or type:agent and skill:go")
                == .or(.byType(.cli), .and(.byType(.agent), .bySkill("go"))))
    }

    @Test func descriptionRoundTrips() throws {
        let query: DatumQuery = .byType(.agent) && !(.bySkill("rust", minimum: 0.5) || .byName("x"))
        #expect(try DatumQueryParser.parse(query.description) == query)
    }

    @Test func parseErrorsNameTheColumn() {
        #expect(throws: DatumQueryError.unclosedParenthesis(column: 12)) {
            try DatumQueryParser.parse("type:agent (skill:rust")
        }
        #expect(throws: DatumQueryError.unknownField("skil", column: 1)) { try DatumQueryParser.parse("skil:rust") }
        #expect(throws: DatumQueryError.missingField("rust", column: 16)) {
            try DatumQueryParser.parse("type:agent and rust")
        }
        #expect(throws: DatumQueryError.unexpectedEnd) { try DatumQueryParser.parse("type:agent and") }
        #expect("\(DatumQueryError.unknownField("skil", column: 1))".contains("did you mean 'skill:'"))
    }
}

@Suite struct DatumQueryBoundsTests {
    /// 30,000 nested parentheses overflowed the stack (also reachable from /query and replay files).
    @Test func deepNestingIsAClearError() {
        let deep = String(repeating: "(", count: 30_000) + "type:agent" + String(repeating: ")", count: 30_000)
        #expect(throws: DatumQueryError.tooDeep(column: 33)) { try DatumQueryParser.parse(deep) }
        let nots = String(repeating: "not ", count: 30_000) + "type:agent"
        #expect(throws: DatumQueryError.tooDeep(column: 129)) { try DatumQueryParser.parse(nots) }
        let fine = String(repeating: "(", count: 32) + "type:agent" + String(repeating: ")", count: 32)
        #expect((try? DatumQueryParser.parse(fine)) == .byType(.agent))
    }

    @Test func longChainsAreBounded() {
        let long = Array(repeating: "type:agent", count: 30_000).joined(separator: " and ")
        #expect(throws: DatumQueryError.tooManyTerms(column: 256 * 15 + 1)) { try DatumQueryParser.parse(long) }
        #expect(DatumQueryError.tooManyTerms(column: 1).description.contains("at most 256 terms"))
    }
}

import B00tCore
import Testing
@testable import K0mmand3rKit

@Suite struct ReplCommandTests {
    @Test func parsesTheGrammar() throws {
        #expect(try ReplCommand.parse("/help vote") == .help("vote"))
        #expect(try ReplCommand.parse("/as alpha") == .asAgent("alpha"))
        #expect(try ReplCommand.parse("/handshake beta let us pair") == .handshake(agent: "beta", text: "let us pair"))
        #expect(try ReplCommand.parse(#"/crew form api beta gamma --purpose "Build the API""#)
                == .crewForm(name: "api", members: ["beta", "gamma"], purpose: "Build the API"))
        #expect(try ReplCommand.parse("/vote prop-3 YES") == .vote(id: "prop-3", choice: .yes))
        #expect(try ReplCommand.parse("/ahoy backend --budget 5 -- --verbose is broken")
                == .ahoy(role: "backend", skills: [], budget: 5, text: "--verbose is broken"))
        #expect(try ReplCommand.parse("/pane Agents") == .pane("agents"))
        #expect(try ReplCommand.parse("/ahoy backend --skills rust,docker --budget 100 build it")
                == .ahoy(role: "backend", skills: ["rust", "docker"], budget: 100, text: "build it"))
        #expect(try ReplCommand.parse("/teach novice rust pair") == .teach(agent: "novice", skill: "rust", method: .pairProgramming))
        #expect(try ReplCommand.parse("/learn rust from expert") == .learn(skill: "rust", from: "expert"))
        #expect(try ReplCommand.parse("/share topic some text --impact rust:0.1")
                == .share(topic: "topic", text: "some text", impact: ["rust": 0.1]))
        #expect(try ReplCommand.parse("hello crew") == .say("hello crew"))
        #expect(try ReplCommand.parse("   ") == nil)
        #expect(try ReplCommand.parse("/query type:agent and skill:rust") == .query("type:agent and skill:rust"))
    }

    @Test func errorsNameTheProblem() {
        #expect(throws: ReplError.unknownCommand("/vot", suggestion: "/vote")) { try ReplCommand.parse("/vot p yes") }
        #expect(throws: ReplError.usage("vote yes, no or abstain (got 'maybe')")) { try ReplCommand.parse("/vote p maybe") }
        #expect(throws: ReplError.usage("usage: /award ID AGENT")) { try ReplCommand.parse("/award ahoy-1") }
        #expect(throws: ReplError.usage("--budget must be a whole number ≥ 0 (got 'lots')")) {
            try ReplCommand.parse("/ahoy dev --budget lots")
        }
        #expect(throws: ReplError.usage("unclosed \" quote")) { try ReplCommand.parse(#"/propose "unfinished"#) }
        // Walk-through: a typo'd option became the ahoy's text, a dangling comma a skill named "rust,".
        #expect(throws: ReplError.usage("/ahoy has no option --budegt — did you mean --budget? (it takes --skills, --budget; put text that starts with -- after a lone --)")) {
            try ReplCommand.parse("/ahoy dev --skills rust --budegt 100 fix it")
        }
        #expect(throws: ReplError.usage("/ahoy has no option --skill — did you mean --skills? (it takes --skills, --budget; put text that starts with -- after a lone --)")) {
            try ReplCommand.parse("/ahoy dev --skill rust fix it")
        }
        for bad in [",,,", "rust,", ",rust", "rust,,go"] {
            #expect(throws: ReplError.usage("--skills takes names separated by commas, like rust,testing (got '\(bad)')")) {
                try ReplCommand.parse("/ahoy dev --skills \(bad) fix it")
            }
        }
        #expect(throws: ReplError.usage("/stop has no option --force (it takes --yes; put text that starts with -- after a lone --)")) {
            try ReplCommand.parse("/stop --force b00t-bus.process")
        }
        #expect(throws: ReplError.usage("/as has no option --rol — did you mean --role? (it takes --role, --observer; put text that starts with -- after a lone --)")) {
            try ReplCommand.parse("/as alice --rol dev")
        }
        #expect(throws: ReplError.usage("no pane 'bogus' (the panes are services, agents and stream)")) { try ReplCommand.parse("/pane bogus") }
        #expect(throws: ReplError.usage("no pane 'agent' (the panes are services, agents and stream) — did you mean agents?")) {
            try ReplCommand.parse("/pane agent")
        }
        #expect(throws: ReplError.usage("method is pair, demo, doc or practice (got 'osmosis')")) {
            try ReplCommand.parse("/teach a rust osmosis")
        }
    }

    @Test func tokenizerQuotesAndEscapes() throws {
        #expect(try Tokenizer.split(#"a "b c" 'd e' f\ g"#) == ["a", "b c", "d e", "f g"])
        #expect(try Tokenizer.split("") == [])
    }
}

@Suite struct CompleterTests {
    let completer = Completer(context: .init(agents: ["alpha", "beta"], ahoys: ["ahoy-4", "ahoy-9"], proposals: ["prop-7"],
                                             skills: ["rust", "ruby"], datums: ["redis.process", "qdrant.docker"],
                                             themes: ["default", "mono"], crews: ["api"], me: "alpha",
                                             applicants: ["ahoy-4": ["beta"], "ahoy-9": []]))

    @Test func commandsThenArguments() {
        #expect(completer.complete("/he").line == "/help ")
        #expect(completer.candidates(for: "/a") == ["/advice", "/agent", "/agents", "/ahoy", "/ahoys", "/apply", "/as", "/award"])
        #expect(completer.complete("/as al").line == "/as alpha ")
        #expect(completer.complete("/award ").candidates == ["ahoy-4", "ahoy-9"])
        #expect(completer.complete("/award ahoy-").line == "/award ahoy-")
        #expect(completer.complete("/award ahoy-4 b").line == "/award ahoy-4 beta ")
        #expect(completer.complete("/vote prop-7 a").line == "/vote prop-7 abstain ")
        #expect(completer.complete("/teach beta ru").candidates == ["ruby", "rust"])
        #expect(completer.complete("/teach beta rust p").candidates == ["pair", "practice"])
        #expect(completer.complete("/up re").line == "/up redis.process ")
        #expect(completer.complete("/theme m").line == "/theme mono ")
        #expect(completer.complete("/crew use a").line == "/crew use api ")
        #expect(completer.complete("hello").candidates.isEmpty)
    }
}

@Suite struct LineEditorTests {
    func typed(_ text: String) -> LineEditor {
        var e = LineEditor()
        for c in text { e.handle(.character(c)) }
        return e
    }

    @Test func editingKeys() {
        var e = typed("hello world")
        e.handle(.wordLeft)
        #expect(e.cursor == 6)
        e.handle(.killToEnd)
        #expect(e.line == "hello ")
        e.handle(.home)
        e.handle(.delete)
        #expect(e.line == "ello ")
        e.handle(.end)
        e.handle(.deleteWordBack)
        #expect(e.line == "")
        e = typed("one two three")
        e.handle(.left); e.handle(.left)
        e.handle(.killToStart)
        #expect(e.line == "ee")
        #expect(e.cursor == 0)
        e.handle(.wordRight)
        #expect(e.cursor == 2)
        e.handle(.backspace)
        #expect(e.line == "e")
    }

    @Test func historyRecallAndSearch() {
        var e = LineEditor(history: ["/as alpha", "/ahoys open", "/vote prop-1 yes"])
        for c in "draft" { e.handle(.character(c)) }
        e.handle(.historyUp)
        #expect(e.line == "/vote prop-1 yes")
        e.handle(.historyUp)
        #expect(e.line == "/ahoys open")
        e.handle(.historyDown)
        e.handle(.historyDown)
        #expect(e.line == "draft")
        e.handle(.searchHistory)
        for c in "alp" { e.handle(.character(c)) }
        #expect(e.line == "/as alpha")
        e.handle(.end)
        #expect(e.search == nil)
        #expect(e.submit() == "/as alpha")
        #expect(e.history.last == "/as alpha")
        #expect(e.line == "")
    }

    @Test func wideCharacters() {
        var e = typed("日本")
        e.handle(.left)
        e.handle(.character("語"))
        #expect(e.line == "日語本")
    }
}

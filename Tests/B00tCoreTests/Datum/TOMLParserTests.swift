import Foundation
import Testing
@testable import B00tCore

@Suite struct TOMLParserTests {
    func parse(_ text: String) throws -> [String: DatumValue] { try TOMLDocument.parse(text).root }

    func failure(_ text: String) -> TOMLSyntaxError? {
        do {
            _ = try TOMLDocument.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func valuesOfEveryKind() throws {
        let root = try parse(#"""
        # comment
        s = "tab\there \"q\" \u00e9 \U0001F600"
        l = 'C:\path'
        ml = """
        one
        two \
            three"""
        ml2 = '''
        raw \n'''
        quotes = """a""""
        i = -17
        h = 0xff_ff
        o = 0o17
        b = 0b101
        big = 9223372036854775807
        f = 6.02e23
        g = -1_000.5
        pinf = +inf
        t = true
        d = 1979-05-27
        dt = 1979-05-27T07:32:00.5-07:00
        dts = 1979-05-27 07:32:00Z
        lt = 07:32:00
        arr = [ 1, "two", [3], { four = 4 }, ] # trailing comma
        multi = [
          1, # one
          2,
        ]
        inline = { a.b = 1, "c" = 'x' }
        dotted.key = 1
        "quoted key" = 2
        """#)
        #expect(root["s"] == .string("tab\there \"q\" é 😀"))
        #expect(root["l"] == .string("C:\\path"))
        #expect(root["ml"] == .string("one\ntwo three"))
        #expect(root["ml2"] == .string("raw \\n"))
        #expect(root["quotes"] == .string("a\""))
        #expect(root["i"] == .int(-17))
        #expect(root["h"] == .int(0xffff))
        #expect(root["o"] == .int(0o17))
        #expect(root["b"] == .int(5))
        #expect(root["big"] == .int(Int.max))
        #expect(root["f"] == .double(6.02e23))
        #expect(root["g"] == .double(-1000.5))
        #expect(root["pinf"] == .double(.infinity))
        #expect(root["t"] == .bool(true))
        #expect(root["d"] == .string("1979-05-27"))
        #expect(root["dt"] == .string("1979-05-27T07:32:00.5-07:00"))
        #expect(root["dts"] == .string("1979-05-27 07:32:00Z"))
        #expect(root["lt"] == .string("07:32:00"))
        #expect(root["arr"] == .array([.int(1), .string("two"), .array([.int(3)]), .table(["four": .int(4)])]))
        #expect(root["multi"] == .array([.int(1), .int(2)]))
        #expect(root["inline"] == .table(["a": .table(["b": .int(1)]), "c": .string("x")]))
        #expect(root["dotted"] == .table(["key": .int(1)]))
        #expect(root["quoted key"] == .int(2))
    }

    @Test func tablesAndArraysOfTables() throws {
        let root = try parse("""
        [a.b]
        x = 1
        [a]
        y = 2
        [[svc]]
        name = "one"
        [svc.env]
        K = "v"
        [[svc]]
        name = "two"
        [fruit]
        apple.color = "red"
        [fruit.apple.texture]
        smooth = true
        """)
        #expect(root["a"] == .table(["b": .table(["x": .int(1)]), "y": .int(2)]))
        #expect(root["svc"] == .array([.table(["name": .string("one"), "env": .table(["K": .string("v")])]),
                                       .table(["name": .string("two")])]))
        #expect(root["fruit"] == .table(["apple": .table(["color": .string("red"), "texture": .table(["smooth": .bool(true)])])]))
    }

    /// Inputs that abort toml++ (TOMLKit) with a C++ assertion: each is a positioned error here.
    @Test(arguments: [
        ("[[[", 1, 3), ("[=]", 1, 2), ("[[ =", 1, 4), ("[.a]", 1, 2), ("a = [}", 1, 6), ("a = [1, }", 1, 9),
        ("a = 1979-05-27T.7", 1, 5), ("a = { b = [1, 2.5, 1979-05-27T.7) ] }", 1, 20), ("[a.]", 1, 4),
    ])
    func inputsThatAbortTomlPlusPlusAreErrors(text: String, line: Int, column: Int) {
        let error = failure(text)
        #expect(error?.line == line, "\(text): \(String(describing: error))")
        #expect(error?.column == column, "\(text): \(String(describing: error))")
    }

    @Test func nulByteIsNamedNotEndOfFile() {
        let error = failure("[b00t]\nname = \"x\"\n\0\n")
        #expect(error?.line == 3)
        #expect(error?.column == 1)
        #expect(error?.message.contains("NUL byte (U+0000)") == true)
        let inString = failure("a = \"x\0y\"")
        #expect(inString?.message.contains("NUL byte") == true)
        #expect(inString?.column == 7)
    }

    @Test(arguments: [
        ("a = 1\na = 2", "duplicate key a (first defined at line 1)"),
        ("[a]\n[a]", "table [a] is defined twice"),
        ("a = 1\n[a]", "a already holds an integer"),
        ("[[a]]\n[a]", "a is an array of tables"),
        ("a = []\n[[a]]", "a already holds an array"),
        ("[a]\nb.c = 1\n[a.b]", "already defined by dotted keys"),
        ("[a.b]\n[a]\nb.c = 1", "dotted keys cannot add to it"),
        ("[a.b.c]\n[a]\nb.d = 1\n[a.b]", "already defined by dotted keys"),
        ("a = {b = 1}\n[a]", "a already holds a table"),
        ("a = {b = 1}\na.c = 2", "a already holds a table"),
        ("a = {b = 1,}", "trailing comma"),
        ("a = {b = 1\n}", "on the same line"),
        ("a = \"open", "never closed"),
        ("a = \"x\nb\"", "not closed on its line"),
        ("a = \"\\q\"", "invalid escape"),
        ("a = \"\\uD800\"", "not a Unicode scalar value"),
        ("a = 01", "leading zeros"),
        ("a = 1__0", "not a valid value"),
        ("a = 9223372036854775808", "does not fit in a 64-bit integer"),
        ("a = 1e999", "out of the range"),
        ("a = -0x1", "cannot have a sign"),
        ("a = 1979-02-30", "not a valid date"),
        ("a = 25:00:00", "not a valid date"),
        ("a = bare", "strings need quotes"),
        ("a = 1 2", "expected a newline after the value"),
        ("a\n= 1", "expected '='"),
        ("a = \"\"\"x\"\"\"\"\"\"", "at most two"),
        ("a = 1\r", "carriage return"),
        ("# bell \u{07}\n", "not allowed in a comment"),
    ])
    func invalidDocumentsSayWhy(text: String, expected: String) {
        let error = failure(text)
        #expect(error?.message.contains(expected) == true, "\(text.debugDescription): \(String(describing: error))")
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let header = "[" + Array(repeating: "a", count: 30_000).joined(separator: ".") + "]\n"
        #expect(failure(header)?.message.contains("more than 64") == true)
        let dotted = Array(repeating: "a", count: 30_000).joined(separator: ".") + " = 1\n"
        #expect(failure(dotted)?.message.contains("more than 64") == true)
        let arrays = "a = " + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000)
        #expect(failure(arrays)?.message.contains("nested more than 64") == true)
        let inline = "a = " + String(repeating: "{b=", count: 30_000) + "1" + String(repeating: "}", count: 30_000)
        #expect(failure(inline)?.message.contains("nested more than 64") == true)
        // Headers and dotted keys together count too.
        let split = "[" + Array(repeating: "h", count: 40).joined(separator: ".") + "]\n"
            + Array(repeating: "d", count: 40).joined(separator: ".") + " = 1\n"
        #expect(failure(split)?.message.contains("nested more than 64") == true)
        #expect((try? parse("[" + Array(repeating: "a", count: 60).joined(separator: ".") + "]")) != nil)
    }

    @Test func oversizedDocumentIsRefused() {
        let text = "a = \"" + String(repeating: "x", count: TOMLLimits.maximumBytes) + "\""
        #expect(failure(text)?.message.contains("limited to") == true)
    }

    @Test func positionsOfKeysEverywhere() throws {
        let document = try TOMLDocument.parse("""
        [b00t]
        name = "x"
          usage = [ { description = "d", command = "c" } ]
        [b00t.agent]
        skills = { rust = 0.9 }
        """)
        #expect(document.position(of: "b00t") == TOMLPosition(line: 1, column: 1))
        #expect(document.position(of: "b00t.usage") == TOMLPosition(line: 3, column: 3))
        #expect(document.position(of: "b00t.usage.command")  == TOMLPosition(line: 3, column: 34))
        #expect(document.position(of: "b00t.agent.skills.rust") == TOMLPosition(line: 5, column: 12))
        #expect(document.position(of: "b00t.agent.skills.go") == TOMLPosition(line: 5, column: 1))
        #expect(document.position(of: "nowhere") == TOMLPosition(line: 1, column: 1))
    }

    @Test func columnsCountCharactersNotBytes() {
        let error = failure("\"é\" = \"ü\" x")
        #expect(error?.column == 11)
    }

    @Test func crlfLineEndings() throws {
        let root = try parse("a = 1\r\n[t]\r\nb = \"\"\"x\r\ny\"\"\"\r\n")
        #expect(root["t"] == .table(["b": .string("x\ny")]))
    }
}

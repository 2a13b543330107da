import Testing
@testable import B00tCore

@Suite struct DatumDecodingTests {
    @Test func everyFieldDecodes() throws {
        let text = """
        [b00t]
        name = "web"
        type = "process"
        hint = "a web server"
        desires = "3.11"
        category = "server"
        install = "apt-get install python3"
        learn = "read the docs"
        usage = [{ description = "Fetch", command = "curl localhost:8000" }, "plain command"]
        depends_on = ["redis.process"]
        members = []
        docker_image = "python:3.11"
        docker_args = ["-v", "data:/data"]
        ports = [8000, "9000:9001", "127.0.0.1:7000:7001"]
        command = "python3"
        args = ["-m", "http.server"]
        working_dir = "/tmp"
        role = "server"
        personality = "calm"
        skills = { http = 0.9 }
        policy = { vote = "yes" }

        [b00t.env]
        PYTHONUNBUFFERED = "1"

        [b00t.health_check]
        http_url = "http://127.0.0.1:8000/"
        tcp = "127.0.0.1:8000"
        exec = ["true"]
        expected_status = 204
        interval_ms = 10
        timeout_ms = 500
        retry_count = 7
        start_period_ms = 100

        [b00t.resources]
        memory_limit = "256m"
        cpu_limit = 1.5
        restart_policy = "on-failure"
        """
        let (datum, diagnostics) = decode(text, file: "web.process.toml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let d = try #require(datum)
        #expect(d.id == "web.process")
        #expect(d.hint == "a web server")
        #expect(d.desires == "3.11")
        #expect(d.category == "server")
        #expect(d.install == "apt-get install python3")
        #expect(d.learn == "read the docs")
        #expect(d.usage == [UsageExample(description: "Fetch", command: "curl localhost:8000"),
                            UsageExample(description: "", command: "plain command")])
        #expect(d.dependsOn == ["redis.process"])
        #expect(d.dockerImage == "python:3.11")
        #expect(d.dockerArgs == ["-v", "data:/data"])
        #expect(d.ports == ["8000", "9000:9001", "127.0.0.1:7000:7001"])
        #expect(d.command == "python3")
        #expect(d.args == ["-m", "http.server"])
        #expect(d.workingDir == "/tmp")
        #expect(d.env == ["PYTHONUNBUFFERED": "1"])
        #expect(d.healthCheck == HealthCheck(
            httpURL: "http://127.0.0.1:8000/", tcp: "127.0.0.1:8000", exec: ["true"], expectedStatus: 204,
            intervalMs: 10, timeoutMs: 500, retryCount: 7, startPeriodMs: 100))
        #expect(d.resources == Resources(memoryLimit: "256m", cpuLimit: 1.5, restartPolicy: .onFailure))
        #expect(d.agent?.role == "server")
        #expect(d.agent?.personality == "calm")
        #expect(d.agent?.skills == ["http": 0.9])
        #expect(d.agent?.policies["policy"] == .table(["vote": .string("yes")]))
    }

    @Test func commandMayBeAnArgvArray() throws {
        let (datum, diagnostics) = decode("""
        [b00t]
        name = "x"
        command = ["redis-server", "--port", "1"]
        args = ["--save", ""]
        """)
        #expect(diagnostics.isEmpty)
        #expect(datum?.command == "redis-server")
        #expect(datum?.args == ["--port", "1", "--save", ""])
    }

    @Test func originalToolAgentFormatLoads() throws {
        let (datum, diagnostics) = decode("""
        [b00t]
        name = "gamma"
        type = "agent"
        hint = "from the Rust tool"

        [b00t.agent]
        skills = ["rust", "go"]
        personality = "terse"
        role = "captain"
        model = "m1"

        [b00t.agent.ipc]
        socket = "/tmp/x.sock"
        pubsub = true
        protocol = "json"

        [b00t.agent.crew]
        role = "lead"
        captain = true

        [[b00t.agent.inherits]]
        from = "alpha"

        [b00t.agent.bouncer]
        deny = ["rm -rf"]
        """, file: "gamma.agent.toml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let agent = try #require(datum?.agent)
        #expect(agent.skills == ["rust": 0.5, "go": 0.5])
        #expect(agent.role == "captain")
        #expect(agent.model == "m1")
        #expect(agent.crewRole == "lead")
        #expect(agent.captain == true)
        #expect(agent.inherits == ["alpha"])
        #expect(agent.ipc["socket"] == .string("/tmp/x.sock"))
        #expect(agent.policies["bouncer"] == .table(["deny": .array([.string("rm -rf")])]))
    }

    @Test func originalToolDockerFormatLoads() throws {
        let (datum, diagnostics) = decode("""
        [b00t]
        name = "qdrant"
        type = "docker"
        hint = "vector db"
        image = "qdrant/qdrant"
        docker_args = ["-p", "6333:6333", "-v", "q:/qdrant/storage"]
        desires = "1.0"
        [b00t.env]
        QDRANT__LOG_LEVEL = "INFO"
        """, file: "qdrant.docker.toml")
        #expect(diagnostics.isEmpty)
        #expect(datum?.dockerImage == "qdrant/qdrant")
        #expect(datum?.env["QDRANT__LOG_LEVEL"] == "INFO")
    }

    @Test func syntaxErrorNamesFileLineAndColumn() {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\nhint = \"unterminated\n", file: "bad.cli.toml")
        #expect(datum == nil)
        let d = diagnostics.first
        #expect(d?.isError == true)
        #expect(d?.file == "bad.cli.toml")
        #expect(d?.line == 3)
        #expect(d?.description.contains("bad.cli.toml:3:") == true)
        #expect(d?.message.contains("syntax") == true)
    }

    @Test func nearMissKeyIsAnErrorWithSuggestion() {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\n\ndepends_onn = [\"a\"]\n")
        #expect(datum == nil)
        let d = diagnostics.first { $0.isError }
        #expect(d?.key == "b00t.depends_onn")
        #expect(d?.line == 4)
        #expect(d?.hint?.contains("did you mean 'depends_on'") == true)
    }

    @Test func otherUnknownKeyIsAWarningAndTheDatumLoads() {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\nlfmf_lessons = [\"a\"]\n")
        #expect(datum != nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].severity == .warning)
        #expect(diagnostics[0].key == "b00t.lfmf_lessons")
        #expect(diagnostics[0].line == 3)
    }

    @Test func wrongTypeNamesKeyLineAndExpectedType() {
        let (datum, diagnostics) = decode("""
        [b00t]
        name = "x"

        [b00t.health_check]
        timeout_ms = "fast"
        """)
        #expect(datum == nil)
        let d = diagnostics.first
        #expect(d?.key == "b00t.health_check.timeout_ms")
        #expect(d?.line == 5)
        #expect(d?.message == "expected an integer, found a string")
    }

    @Test func wrongTypeInsideArrayNamesTheElement() {
        let (_, diagnostics) = decode("[b00t]\nname = \"x\"\ndepends_on = [\"a\", 3]\n")
        #expect(diagnostics.first?.key == "b00t.depends_on[1]")
        #expect(diagnostics.first?.line == 3)
    }

    @Test func missingNameIsAnError() {
        let (datum, diagnostics) = decode("[b00t]\nhint = \"h\"\n", file: "noname.cli.toml")
        #expect(datum == nil)
        #expect(diagnostics.first?.key == "b00t.name")
        #expect(diagnostics.first?.message == "missing required key")
        #expect(diagnostics.first?.file == "noname.cli.toml")
    }

    @Test func misspelledTypeIsAnErrorWithSuggestion() {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\ntype = \"dokcer\"\n", file: "x.dokcer.toml")
        #expect(datum == nil)
        let d = diagnostics.first { $0.isError }
        #expect(d?.key == "b00t.type")
        #expect(d?.line == 3)
        #expect(d?.hint?.contains("'docker'") == true)
    }

    @Test func foreignTypeIsAWarningAndStillLoads() {
        let (datum, diagnostics) = decode("[b00t]\nname = \"lfmf\"\ntype = \"hive\"\n", file: "lfmf.hive.toml")
        #expect(datum?.type == DatumType("hive"))
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.first?.key == "b00t.type")
    }

    @Test func typeMustMatchFileName() {
        let (_, diagnostics) = decode("[b00t]\nname = \"x\"\ntype = \"docker\"\n", file: "x.process.toml")
        #expect(diagnostics.contains { $0.isError && $0.key == "b00t.type" })
    }

    @Test func missingB00tTableIsAnError() {
        let (datum, diagnostics) = decode("name = \"x\"\n")
        #expect(datum == nil)
        #expect(diagnostics.first?.message == "no [b00t] table")
    }

    @Test func proficiencyOutOfRangeIsAnError() {
        let (_, diagnostics) = decode("[b00t]\nname = \"a\"\n[b00t.agent]\nskills = { rust = 1.5 }\n", file: "a.agent.toml")
        #expect(diagnostics.first?.key == "b00t.agent.skills.rust")
        #expect(diagnostics.first?.line == 4)
    }

    @Test func badRestartPolicyListsTheChoices() {
        let (_, diagnostics) = decode("[b00t]\nname = \"x\"\n[b00t.resources]\nrestart_policy = \"sometimes\"\n")
        #expect(diagnostics.first?.hint?.contains("unless-stopped") == true)
    }

    @Test func variablesInPortsAndTcpValidateOnTheirDefaults() {
        let ok = decode("[b00t]\nname = \"x\"\nports = [\"${P:-6391}\"]\n[b00t.health_check]\ntcp = \"127.0.0.1:${P:-6391}\"\n")
        #expect(ok.diagnostics.isEmpty)
        let bad = decode("[b00t]\nname = \"x\"\nports = [\"${P:-99999}\"]\n")
        #expect(bad.diagnostics.first?.key == "b00t.ports[0]")
    }
}

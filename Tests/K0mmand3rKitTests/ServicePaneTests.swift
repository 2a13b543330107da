import B00tCore
import Testing
@testable import K0mmand3rKit

/// Which services the pane asks about and shows: process datums and what the session touched, nothing else.
@Suite struct ServicePaneTests {
    @Test func asksAboutProcessesAndWhatWasTouched() {
        let bus = Datum(name: "b00t-bus", type: .process), ollama = Datum(name: "ollama", type: .docker)
        #expect(ServicePane.asks(about: bus, touched: []))
        #expect(!ServicePane.asks(about: ollama, touched: []), "an untouched container datum is not asked about")
        #expect(ServicePane.asks(about: ollama, touched: ["ollama"]))
        #expect(ServicePane.asks(about: ollama, touched: ["ollama.docker"]))
        #expect(!ServicePane.asks(about: ollama, touched: ["olla"]))
    }

    @Test func showsRunningProcessesAndWhatWasTouched() {
        #expect(ServicePane.shows(ServiceStatus(id: "b00t-bus.process", runtime: "process", state: .running), touched: []))
        #expect(!ServicePane.shows(ServiceStatus(id: "b00t-bus.process", runtime: "process", state: .stopped), touched: []))
        #expect(ServicePane.shows(ServiceStatus(id: "ollama.docker", runtime: "docker", state: .stopped), touched: ["ollama"]))
        #expect(!ServicePane.shows(ServiceStatus(id: "ollama.docker", runtime: "docker", state: .running), touched: []))
    }
}

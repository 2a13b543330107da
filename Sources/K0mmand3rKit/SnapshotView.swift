import B00tCore

/// What a bus snapshot changes on screen (the agents pane, the status bar), compared before and after one
/// arrives: the watcher hands over a snapshot every 150 ms, changed or not, and only a change redraws.
public struct SnapshotView: Equatable {
    var agents: [BusAgent], online: Set<String>, openAhoys: Int, managed: Set<String>
    var connection: String?, agent: String, crew: String?, recording: Bool

    public init(_ state: ScreenState) {
        agents = state.agents.sorted { $0.id < $1.id }  // from a dictionary: its order is not stable
        online = state.online
        openAhoys = state.openAhoys
        managed = state.managed
        connection = state.connection
        agent = state.agent
        crew = state.crew
        recording = state.recording
    }
}

/// Datums b00t needs even when no folder on the search path has them. `_b00t_/` ships the same text so
/// users can read and override it (a datum on the search path wins).
public enum BuiltinDatums {
    public static let busDaemonFile = "b00t-bus.process.toml"

    public static let busDaemon = """
    [b00t]
    name = "b00t-bus"
    type = "process"
    hint = "The crew bus daemon: b00t bus serve on a private Unix socket, embedded SQLite log"
    category = "b00t"
    command = "${B00T_BIN:-b00t}"
    args = ["bus", "serve", "--socket", "${B00T_BUS_SOCKET}", "--store", "sqlite"]
    usage = [
      { description = "Follow the crew's events", command = "b00t bus tail" },
      { description = "Talk to it by hand", command = "socat - UNIX-CONNECT:$B00T_BUS_SOCKET" },
    ]

    [b00t.health_check]
    unix = "${B00T_BUS_SOCKET}"
    interval_ms = 20
    retry_count = 250

    [b00t.resources]
    restart_policy = "on-failure"

    """

    /// The catalog plus every built-in datum it does not already define, and a service for each agent datum
    /// (`agent-NAME.process`, see `AgentServiceDatums`).
    public static func adding(to catalog: DatumCatalog) -> DatumCatalog {
        var result = catalog
        for agent in catalog.datums.values where agent.type == .agent {
            if let service = AgentServiceDatums.service(for: agent), catalog.datums[service.id] == nil { result.insert(service) }
        }
        let (name, type) = DatumLoader.nameAndType(ofFile: busDaemonFile)
        if catalog.datums["\(name).\(type ?? "")"] == nil,
           let datum = DatumDecoder.decode(source: busDaemon, file: "<built-in \(busDaemonFile)>", fileName: name, fileType: type).datum {
            result.insert(datum)
        }
        return result
    }
}

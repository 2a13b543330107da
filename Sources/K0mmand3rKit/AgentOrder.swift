import B00tCore

/// The order agents are listed in (the agents pane, `/agents`): online first, then by id.
public enum AgentOrder {
    public static func sorted(_ agents: [BusAgent], online: Set<String>) -> [BusAgent] {
        agents.sorted { a, b in
            let ao = online.contains(a.id), bo = online.contains(b.id)
            return ao != bo ? ao : a.id < b.id
        }
    }
}

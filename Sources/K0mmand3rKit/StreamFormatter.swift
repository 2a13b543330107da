import B00tCore

/// How bus events appear in the crew stream: time, a summary, coloured by kind, replies indented under
/// the conversation they answer (see `StreamFeed` for a reader's view: privacy, dates, mentions).
public enum StreamFormatter {
    public static func line(_ event: BusEvent) -> StyledText { StreamFeed.line(event) }

    /// The event's line and the lines under it (a mutation proposal's diff).
    public static func lines(_ event: BusEvent) -> [StyledText] { [line(event)] + StreamFeed.detailLines(event) }
}

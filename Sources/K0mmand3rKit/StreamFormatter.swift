import B00tCore

/// How bus events appear in the crew stream: time, a summary, coloured by kind, replies indented under
/// the conversation they answer.
public enum StreamFormatter {
    public static func line(_ event: BusEvent) -> StyledText {
        StyledText("\(BusEventFormatter.clock(event.timestamp).prefix(8)) \(BusEventFormatter.summary(event))",
                        role: "event.\(event.body.kind)", indent: event.replyTo == nil ? 0 : 2)
    }

    /// The event's line, and for a mutation proposal the diff it carries (`diff.add`/`diff.remove` lines), so
    /// the crew sees exactly what it votes on.
    public static func lines(_ event: BusEvent) -> [StyledText] {
        guard case .mutationProposed(_, let mutation) = event.body else { return [line(event)] }
        return [line(event)] + DiffLines.styled(mutation.diff, indent: 4)
    }
}

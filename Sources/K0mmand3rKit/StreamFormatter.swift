import B00tCore

/// How bus events appear in the crew stream: time, a summary, coloured by kind, replies indented under
/// the conversation they answer.
public enum StreamFormatter {
    public static func line(_ event: BusEvent) -> StyledText {
        StyledText("\(BusEventFormatter.clock(event.timestamp).prefix(8)) \(BusEventFormatter.summary(event))",
                        role: "event.\(event.body.kind)", indent: event.replyTo == nil ? 0 : 2)
    }
}

import B00tCore
import Foundation

extension Session {
    /// Routes a parsed command to its handler: the crew (bus), services and datums, the screen, or grok.
    func execute(_ command: ReplCommand) async throws -> CommandOutcome {
        switch command.group {
        case .crew: return try await runCrewCommand(command)
        case .services: return try await runServiceCommand(command)
        case .screen: return try await runScreenCommand(command)
        case .grok(let request): return try await executeGrok(request)
        case .mutation: return try await runMutationCommand(command)
        }
    }

    /// `██████░░░░` for a proficiency.
    static func bar(_ level: Double, width: Int) -> String {
        let filled = Int((level * Double(width)).rounded())
        return String(repeating: "█", count: max(0, min(width, filled))) + String(repeating: "░", count: max(0, width - filled))
    }
}

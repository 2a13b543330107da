import TOMLKit

/// Turns TOMLKit's reference-typed tree into plain `DatumValue`s once, so decoding works on Sendable values
/// and never touches the C++ parser again.
public enum TOMLConversion {
    static func value(_ node: TOMLValueConvertible) -> DatumValue {
        switch node.type {
        case .table: return .table(table(node.table ?? TOMLTable()))
        case .array:
            guard let array = node.array else { return .array([]) }
            return .array(array.map { value($0) })
        case .string: return .string(node.string ?? "")
        case .int: return .int(node.int ?? 0)
        case .double: return .double(node.double ?? 0)
        case .bool: return .bool(node.bool ?? false)
        default: return .string(node.debugDescription)
        }
    }

    public static func table(_ table: TOMLTable) -> [String: DatumValue] {
        var result: [String: DatumValue] = [:]
        for (key, node) in table { result[key] = value(node) }
        return result
    }
}

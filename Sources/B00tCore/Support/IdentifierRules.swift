/// The character sets of names that travel: datum names and types become file names under the state
/// directory (`services/NAME.TYPE.json`), container names and terminal output; skill names cross the bus and
/// reach every crew member's screen. Each rule returns nil for a good name, else a sentence saying what is
/// allowed (used in errors as is).
public enum IdentifierRules {
    public static let maximumDatumNameLength = 64
    public static let maximumTypeLength = 32
    public static let maximumSkillLength = 64

    /// Datum names: 1–64 ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit, never `..`.
    public static func datumNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return "a datum name cannot be empty" }
        let allowed = bytes.allSatisfy { isASCIIAlphanumeric($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
        guard allowed, isASCIIAlphanumeric(first), bytes.count <= maximumDatumNameLength, !name.contains("..") else {
            return "a datum name is 1–\(maximumDatumNameLength) ASCII letters, digits, '-', '_' or '.', "
                + "starting with a letter or digit, without '..'"
        }
        return nil
    }

    /// Datum types: 1–32 ASCII letters, digits, `-` and `_`, starting with a letter (`process`, `k8s`).
    public static func datumTypeProblem(_ type: String) -> String? {
        let bytes = Array(type.utf8)
        guard let first = bytes.first, bytes.count <= maximumTypeLength, isASCIILetter(first),
              bytes.allSatisfy({ isASCIIAlphanumeric($0) || $0 == 0x2D || $0 == 0x5F })
        else {
            return "a datum type is 1–\(maximumTypeLength) ASCII letters, digits, '-' or '_', starting with a letter"
        }
        return nil
    }

    /// Skill names: 1–64 characters that are letters or digits of any script (with their combining marks),
    /// or one of ` -_.+#/` (`c++`, `c#`, `ci/cd`, `machine learning`); no leading or trailing space. Control,
    /// format and bidi characters are never part of a skill.
    public static func skillNameProblem(_ skill: String) -> String? {
        let rule = "a skill name is 1–\(maximumSkillLength) letters, digits, spaces or '-', '_', '.', '+', '#', '/'"
        guard !skill.isEmpty else { return "a skill name cannot be empty (\(rule))" }
        guard skill.count <= maximumSkillLength, skill.first != " ", skill.last != " ",
              skill.unicodeScalars.allSatisfy(isSkillScalar)
        else { return rule }
        return nil
    }

    static func isSkillScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let b = UInt8(scalar.value)
            return isASCIIAlphanumeric(b) || [0x20, 0x2D, 0x5F, 0x2E, 0x2B, 0x23, 0x2F].contains(b)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark:
            return true
        default:
            return false
        }
    }

    static func isASCIILetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    static func isASCIIAlphanumeric(_ b: UInt8) -> Bool { isASCIILetter(b) || (b >= 0x30 && b <= 0x39) }
}

/// Which parts of a datum a change touches, and which `[b00t.self_mutate]` flag each part needs. Computed
/// from the parsed file before and after — never from what a proposal says about itself — by the proposer (to
/// refuse early), by the applier (the last word) and by agents reviewing a proposal.
public enum MutationScope {
    /// Key paths whose value differs between the two documents (`b00t.desires`, `b00t.env.LOG`; arrays as a
    /// whole: `b00t.usage`).
    public static func changedKeys(from old: TOMLDocument, to new: TOMLDocument) -> [String] {
        var changed: [String] = []
        compare(.table(old.root), .table(new.root), path: [], depth: 0, into: &changed)
        return changed.sorted()
    }

    private static func compare(_ a: DatumValue?, _ b: DatumValue?, path: [String], depth: Int, into changed: inout [String]) {
        if a == b { return }
        // Tables are compared key by key (bounded: TOML nesting is limited by the parser); anything else whole.
        if case .table(let ta)? = a, case .table(let tb)? = b, depth < TOMLLimits.maximumDepth {
            for key in Set(ta.keys).union(tb.keys) {
                compare(ta[key], tb[key], path: path + [key], depth: depth + 1, into: &changed)
            }
            return
        }
        changed.append(path.joined(separator: "."))
    }

    /// The flag `key` needs, or why no flag can allow it.
    public static func flag(for key: String) -> Result<MutationFlag, MutationError> {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "b00t", parts.count >= 2 else {
            return .failure(MutationError(.notAllowed, "\(key) is outside [b00t]; mutations change only datum keys"))
        }
        switch parts[1] {
        case "desires", "install", "docker_image", "image", "env": return .success(.install)
        case "learn": return .success(.learn)
        case "usage": return .success(.usage)
        case "depends_on", "members": return .success(.dependency)
        case "self_mutate", "scripts":
            return .failure(MutationError(.notAllowed, "\(key): a mutation cannot change [b00t.\(parts[1])]; its owner edits that by hand"))
        default:
            return .failure(MutationError(.notAllowed, "\(key) is not something mutations may change (they change desires, install, "
                                          + "the image, env, learn, usage and depends_on); edit it by hand"))
        }
    }

    /// nil when `spec` allows every changed key; else the first refusal, naming the flag that would allow it.
    public static func refusal(changed: [String], datum: String, spec: SelfMutateSpec?) -> MutationError? {
        guard let spec else {
            return MutationError(.notAllowed, "\(datum) takes no mutations: it has no [b00t.self_mutate] table "
                                 + "(add one with allow_install_updates, allow_learn_updates, allow_usage_updates or allow_dependency_updates = true)")
        }
        for key in changed {
            switch flag(for: key) {
            case .failure(let error): return error
            case .success(let flag) where !spec.allows(flag):
                return MutationError(.notAllowed, "\(datum) does not allow changing \(key): set \(flag.rawValue) = true in its [b00t.self_mutate]")
            case .success: continue
            }
        }
        return nil
    }
}

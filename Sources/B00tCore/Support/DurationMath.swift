#if canImport(Glibc)
import Glibc
#endif

/// One place for turning a `Duration` into the numbers the system and people use (it was done by hand in a
/// dozen places, with three different rounding habits).
extension Duration {
    /// Seconds, fractional.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Milliseconds, fractional (timings in reports and benches).
    public var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }

    /// Whole milliseconds, rounded down, saturating instead of overflowing (timeouts handed to C APIs, TTLs).
    public var wholeMilliseconds: Int64 {
        let (ms, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return components.seconds < 0 ? .min : .max }
        let (total, overflow2) = ms.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        return overflow2 ? .max : total
    }

    /// As a `timeval` (socket timeouts).
    public var timeval: timeval {
        Glibc.timeval(tv_sec: Int(components.seconds), tv_usec: Int(components.attoseconds / 1_000_000_000_000))
    }
}

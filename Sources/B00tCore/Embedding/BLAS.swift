#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS
import Foundation

/// OpenBLAS, opened at first use. Debian's OpenBLAS 0.3.21 does not recognise newer AMD cores and falls back to
/// its AVX2 (Haswell) kernels; where the CPU has AVX-512 (F, BW, DQ, VL) we ask for its SkylakeX kernels through
/// `OPENBLAS_CORETYPE`, which the library reads only while it initialises, hence `dlopen` instead of linking.
/// Measured here (Zen 4, 2 cores): 1.37× the batched embedding rate. A caller's own `OPENBLAS_CORETYPE` wins
/// (this project's machines export `OPENBLAS_CORETYPE=Haswell`, so there it stays on AVX2 unless unset).
/// Threads: `$B00T_BLAS_THREADS`, else every core.
final class BLAS: Sendable {
    let sgemm: b00t_sgemm_fn
    let sgemv: b00t_sgemv_fn
    /// The kernel set OpenBLAS chose ("SkylakeX", "Haswell", …), for `grok stats` and the bench.
    let coreName: String

    private init(sgemm: @escaping b00t_sgemm_fn, sgemv: @escaping b00t_sgemv_fn, coreName: String) {
        self.sgemm = sgemm
        self.sgemv = sgemv
        self.coreName = coreName
    }

    /// The library, or why it could not be opened (then grok works on words alone).
    static let shared: Result<BLAS, EmbeddingError> = load()

    static func get() throws(EmbeddingError) -> BLAS { try shared.get() }

    private static func load() -> Result<BLAS, EmbeddingError> {
        let environment = ProcessInfo.processInfo.environment
        if environment["OPENBLAS_CORETYPE"] == nil, cpuHasAVX512() { setenv("OPENBLAS_CORETYPE", "SkylakeX", 0) }
        var handle: UnsafeMutableRawPointer? = nil
        for name in ["libopenblas.so.0", "libopenblas.so"] {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
        }
        guard let handle else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(.unreadable(path: "libopenblas.so.0", reason: "\(reason); install Debian's libopenblas-dev (`make deps`)"))
        }
        guard let gemm = dlsym(handle, "cblas_sgemm"), let gemv = dlsym(handle, "cblas_sgemv") else {
            return .failure(.unreadable(path: "libopenblas.so.0", reason: "lacks cblas_sgemm/cblas_sgemv"))
        }
        if let setThreads = dlsym(handle, "openblas_set_num_threads") {
            let requested = environment["B00T_BLAS_THREADS"].flatMap(Int32.init) ?? Int32(ProcessInfo.processInfo.activeProcessorCount)
            unsafeBitCast(setThreads, to: b00t_set_threads_fn.self)(max(1, min(requested, 64)))
        }
        var core = "unknown"
        if let name = dlsym(handle, "openblas_get_corename"), let text = unsafeBitCast(name, to: b00t_corename_fn.self)() {
            core = String(cString: text)
        }
        return .success(BLAS(sgemm: unsafeBitCast(gemm, to: b00t_sgemm_fn.self),
                             sgemv: unsafeBitCast(gemv, to: b00t_sgemv_fn.self), coreName: core))
    }

    /// Whether /proc/cpuinfo lists the AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    static func cpuHasAVX512() -> Bool {
        // /proc files report a size of 0: read to the end instead of trusting the size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/cpuinfo") else { return false }
        defer { try? handle.close() }
        let info = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        guard let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(set.contains)
    }
}

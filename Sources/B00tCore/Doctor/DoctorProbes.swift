import Foundation

extension Doctor {
    /// Every check `b00t doctor` runs, for this user's paths and environment, in the order they are shown.
    /// `thorough` hashes grok's model even when grok's stamp vouches for it.
    public static func standardProbes(
        paths: B00tPaths = .standard(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        searchPath: DatumSearchPath = .standard(),
        thorough: Bool = false
    ) -> [any DoctorProbe] {
        let catalog = BuiltinDatums.adding(to: DatumLoader(searchPath: searchPath).load())
        return [
            PackagesProbe(),
            DirectoriesProbe(paths: paths),
            BusDaemonProbe(paths: paths, environment: environment),
            BusDatabaseProbe(path: BusDatabaseProbe.standardPath(paths: paths, environment: environment)),
            BusURLProbe(environment: environment),
            ModelProbe(directory: ModelManifest.standardDirectory(environment: environment), thorough: thorough),
            ContainerEngineProbe(),
            DatumsProbe(searchPath: searchPath),
            ServiceRecordsProbe(paths: paths, known: Set(catalog.datums.keys)),
        ]
    }
}

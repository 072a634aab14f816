import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Raises the process's open-file limit to its hard maximum: thousands of jobs in flight mean
/// thousands of sockets.
enum OpenFileLimit {
    static func raise(logger: Logger) {
        #if canImport(Glibc)
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
            guard limit.rlim_cur < limit.rlim_max else { return }
            let before = limit.rlim_cur
            limit.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
                logger.debug("raised the open-file limit", metadata: ["from": "\(before)", "to": "\(limit.rlim_max)"])
            }
        #endif
    }
}

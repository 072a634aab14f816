import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts the rig's programs (brokers, workers, validators) with `posix_spawn(3)` and reaps them
/// with `waitpid(2)`, instead of Foundation's `Process`: tests start many of them at once, from
/// many threads, and this keeps that path to a few system calls with no shared state in the test
/// process.
///
/// Guarantees: the child gets the default signal mask and handlers, the given file (or
/// `/dev/null`) as standard input, one file for both standard output and error, and none of the
/// test process's other descriptors (a listening socket or a pipe held open by a child would
/// keep a port bound or a reader waiting).
enum Spawn {
    /// Starts `executable` with `arguments` and `environment`; returns its PID.
    static func start(
        _ executable: String, arguments: [String], environment: [String: String], input: String = "/dev/null", output: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw RigError("cannot start \(executable): \(String(cString: strerror(result)))") }
        return pid
    }

    /// The exit status of `pid` (its exit code, or the number of the signal that ended it), or
    /// `nil` while it runs; with `wait`, blocks until it ends. Reaps the child: ask once.
    static func exitStatus(_ pid: pid_t, wait: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, wait ? 0 : WNOHANG)
            if result == pid { break }
            if result == -1, errno == EINTR { continue }
            return result == 0 ? nil : -1
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : signal
    }

    /// Closes every descriptor above 2 in the child: with glibc's
    /// `posix_spawn_file_actions_addclosefrom_np` (2.34+, not in Swift's Glibc module, so looked
    /// up at run time), else one close action per descriptor open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}

import ArgumentParser
import Foundation
import Jobs
import Logging
import Observability

/// What every subcommand shares: logging set-up and config loading with clear errors.
enum CommandSupport {
    /// Sends logs to stderr at `level` (default `info`, or `$UNDERSTUDY_LOG_LEVEL`), as text.
    static func bootstrapLogging(level: String?) -> Logger {
        bootstrap(level: level ?? ProcessInfo.processInfo.environment["UNDERSTUDY_LOG_LEVEL"] ?? "info", format: .text)
    }

    /// Sends logs to stderr for `understudy run`: JSON lines or text (`$LOG_FORMAT`, else
    /// `worker.log_format`), at the level of `--log-level`, else `$LOG_LEVEL`, else
    /// `$UNDERSTUDY_LOG_LEVEL`, else `worker.log_level`.
    static func bootstrapWorkerLogging(flag: String?, config: WorkerConfig) -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let level = flag ?? environment["LOG_LEVEL"] ?? environment["UNDERSTUDY_LOG_LEVEL"] ?? config.logLevel
        let format = environment["LOG_FORMAT"].flatMap { WorkerConfig.LogFormat(rawValue: $0.lowercased()) } ?? config.logFormat
        return bootstrap(level: level, format: format)
    }

    /// Bootstraps swift-log once for the process: every handler writes to stderr in `format` at
    /// `name`'s level (`info` when it names none).
    private static func bootstrap(level name: String, format: WorkerConfig.LogFormat) -> Logger {
        let level = Logger.Level(rawValue: name.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: "understudy")
        logger.logLevel = level
        return logger
    }

    /// Loads the config; on error prints the key path and message and exits with status 2.
    static func loadConfig(_ path: String) throws -> UnderstudyConfig {
        do {
            return try UnderstudyConfig.load(path: path, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("config error in \(path): \(error.message)")
            throw ExitCode(2)
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `30m`, `24h`, `7d`, `90s` as a duration, `nil` for anything else or more than 365 days.
    static func duration(_ text: String) -> Duration? {
        guard let unit = text.last, let amount = Int(text.dropLast()), amount > 0 else { return nil }
        let seconds: Int
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        default: return nil
        }
        guard amount <= 365 * 86_400 / seconds else { return nil }
        return .seconds(amount * seconds)
    }

    /// The workload `--workload` names, `nil` without the flag; an unknown name stops the command
    /// with the config's workloads listed.
    static func workloadFilter(_ name: String?, in config: UnderstudyConfig) throws -> WorkloadConfig? {
        guard let name else { return nil }
        guard let found = config.workloads[name] else {
            printError(
                "--workload: \(name) is not a workload of the config (its workloads: \(config.workloads.keys.sorted().joined(separator: ", ")))")
            throw ExitCode(2)
        }
        return found
    }
}

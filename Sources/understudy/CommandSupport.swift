import ArgumentParser
import Foundation
import Jobs
import Logging

/// What every subcommand shares: logging set-up and config loading with clear errors.
enum CommandSupport {
    /// Sends logs to stderr at `level` (default `info`, or `$UNDERSTUDY_LOG_LEVEL`).
    static func bootstrapLogging(level: String?) -> Logger {
        let name = level ?? ProcessInfo.processInfo.environment["UNDERSTUDY_LOG_LEVEL"] ?? "info"
        let parsed = Logger.Level(rawValue: name) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
        var logger = Logger(label: "understudy")
        logger.logLevel = parsed
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
}

import ArgumentParser
import CoreMetrics
import Foundation
import Jobs
import Logging
import Observability
import Prometheus
import ServiceLifecycle
import Tracing
import UnixSignals
import Worker

/// `understudy run --config FILE`: the worker, until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker: consume jobs, fail over between routes, publish results and telemetry."
    )

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(
        name: .customLong("drill-fatal-error-after"),
        help: ArgumentHelp("Seconds after readiness to raise a fatal Kafka error (a drill of the fatal path).", visibility: .hidden))
    var drillFatalErrorAfter: Double?

    func validate() throws {
        if let seconds = drillFatalErrorAfter, !(seconds.isFinite && (0...86_400).contains(seconds)) {
            throw ValidationError("--drill-fatal-error-after: expected seconds from 0 to 86400")
        }
    }

    func run() async throws {
        let config = try CommandSupport.loadConfig(config)
        let logger = CommandSupport.bootstrapWorkerLogging(flag: logLevel, config: config.worker)
        let catalog: ProviderCatalog
        do {
            catalog = try ProviderCatalog(config: config, environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch {
            CommandSupport.printError("config error: \(error)")
            throw ExitCode(2)
        }
        // Metrics are kept only when something serves them (`worker.http_listen`).
        var metrics: WorkerMetrics?
        let registry = PrometheusCollectorRegistry()
        if config.worker.httpListen != nil {
            let factory = MetricsExport.factory(registry: registry)
            MetricsSystem.bootstrap(factory)
            metrics = WorkerMetrics(factory: factory)
        }
        // Spans only when the config names a collector (`worker.tracing`).
        var spanExport: (tracer: any Tracer, service: any Service)?
        if let tracing = config.worker.tracing {
            do {
                let instance = WorkerKafkaSettings(config: config).instanceID
                spanExport = try SpanExport.backend(config: tracing, instance: instance, logger: logger)
            } catch {
                CommandSupport.printError("config error: \(error)")
                await catalog.shutdown()
                throw ExitCode(2)
            }
        }
        let worker = Worker(config: config, providers: catalog.providers, logger: logger, metrics: metrics, tracer: spanExport?.tracer)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
        ]
        if let seconds = drillFatalErrorAfter {
            services.append(.init(service: FatalErrorDrill(worker: worker, seconds: seconds), successTerminationBehavior: .ignore))
        }
        if let spanExport {
            // Started before the worker and stopped after it (the group stops services in reverse order),
            // so the last spans are flushed.
            // A failing exporter loses spans, never the worker.
            services.insert(.init(service: spanExport.service, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore), at: 0)
        }
        if let listen = config.worker.httpListen {
            let server = StatusServer(host: listen.host, port: listen.port, worker: worker, registry: registry, logger: logger)
            // The status server stops with the worker; if it cannot listen, the worker stops too.
            services.append(.init(service: server, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.error("worker failed", metadata: ["error": "\(error)"])
            await catalog.shutdown()
            throw ExitCode(1)
        }
        await catalog.shutdown()
    }
}

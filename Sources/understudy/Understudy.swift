import ArgumentParser
import Worker

/// The `understudy` command line: thin subcommands over the Worker, Jobs, Kafka and Simulator
/// modules, one file each.
@main
struct Understudy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract: "Keeps batch LLM work running when a provider fails.",
        version: UnderstudyVersion.current,
        subcommands: [
            RunCommand.self, EnqueueCommand.self, CheckConfigCommand.self, RedriveCommand.self, SimulateCommand.self,
            DemoCommand.self, CompareCommand.self, ReportCommand.self, DashboardCommand.self,
        ]
    )
}

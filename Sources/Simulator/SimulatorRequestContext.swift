import Hummingbird
import NIOCore

/// The simulator's request context: Hummingbird's basic context plus the connection's channel,
/// so a blackholed or dripping request notices when its client has given up and ends.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

import Foundation
import Kafka

/// Job messages for tests, in the wire format of `schemas/job.v1.json`.
package enum JobFactory {
    package static let sampleTicket = """
        The customer reports that invoices exported on Monday show the wrong currency. \
        They use the EU billing profile. Support reproduced it with two accounts. \
        Engineering found that the exporter reads the locale from the browser instead of the profile. \
        A fix is planned for the next release; a workaround is to set the profile currency explicitly.
        """

    /// The system prompt of ``json(id:workload:routes:system:extra:)`` by default.
    package static let defaultSystem = "Summarize the ticket in 3 bullets."

    /// One job as JSON text.
    package static func json(
        id: String, workload: String = "support-summaries", routes: [(String, String)]? = nil, system: String = defaultSystem, extra: String = ""
    ) -> String {
        var routing = ""
        if let routes {
            let list = routes.map { "{\"provider\":\"\($0.0)\",\"model\":\"\($0.1)\"}" }.joined(separator: ",")
            routing = ",\"routing\":{\"routes\":[\(list)]}"
        }
        let content = sampleTicket.replacingOccurrences(of: "\"", with: "\\\"")
        return """
            {"id":"\(id)","workload":"\(workload)","input":{"system":"\(system.replacingOccurrences(of: "\"", with: "\\\""))","messages":[{"role":"user","content":"\(content) Ticket \(id)."}],"max_tokens":200}\(routing),"metadata":{"tenant":"acme"}\(extra)}
            """
    }

    /// Records for jobs `prefix-0` ... `prefix-(count-1)` on `topic`, keyed by id.
    package static func records(count: Int, prefix: String = "job", topic: String, system: String = defaultSystem) -> [KafkaRecord] {
        (0..<count).map { index in
            let id = "\(prefix)-\(index)"
            return KafkaRecord(topic: topic, key: Array(id.utf8), value: Array(json(id: id, system: system).utf8))
        }
    }

    /// Produces `records` and fails the test run on any delivery error.
    package static func produce(_ records: [KafkaRecord], bootstrapServers: String) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: bootstrapServers)), logger: Rig.logger
        )
        for result in await producer.send(records) { _ = try result.get() }
        await producer.close(timeout: .seconds(10))
    }
}

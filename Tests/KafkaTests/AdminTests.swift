import Kafka
import Testing
import UnderstudyTesting

/// Topic administration against Tansu.
@Suite(.timeLimit(.minutes(2)))
struct AdminTests {
    @Test("createTopics is idempotent, honours partitions and configs; describeTopics reports them and flags unknown topics")
    func createAndDescribe() async throws {
        try await withTansu { broker in
            let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), logger: Rig.logger)
            defer { admin.close() }
            let jobs = KafkaTopicSpec(name: Rig.unique("jobs"), partitions: 6)
            let compacted = KafkaTopicSpec(name: Rig.unique("state"), partitions: 2, configs: ["cleanup.policy": "compact"])

            let created = try await admin.createTopics([jobs, compacted], timeout: .seconds(10))
            #expect(Set(created) == [jobs.name, compacted.name])
            let again = try await admin.createTopics([jobs, compacted], timeout: .seconds(10))
            #expect(again == [], "a second call succeeds and creates nothing")
            // Reported, not altered: asking for more partitions of an existing topic is not an error.
            let more = try await admin.createTopics([KafkaTopicSpec(name: jobs.name, partitions: 12)], timeout: .seconds(10))
            #expect(more == [])

            let unknown = Rig.unique("missing")
            let described = try await admin.describeTopics([jobs.name, compacted.name, unknown], timeout: .seconds(10))
            try #require(described.count == 3)
            #expect(described[0].error == nil)
            #expect(described[0].partitions.map(\.id) == Array(0..<6))
            #expect(described[1].error == nil)
            #expect(described[1].partitions.count == 2)
            #expect(described[2].error != nil, "an unknown topic comes back with an error code")
            #expect(described[2].partitions.isEmpty)

            let configs = try await admin.describeTopicConfigs(compacted.name, timeout: .seconds(10))
            #expect(configs["cleanup.policy"] == "compact", "\(configs)")
        }
    }

    @Test("an invalid topic spec is a clear error, not a crash")
    func invalidSpec() async throws {
        try await withTansu { broker in
            let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), logger: Rig.logger)
            defer { admin.close() }
            await #expect(throws: KafkaError.self) {
                try await admin.createTopics([KafkaTopicSpec(name: Rig.unique("bad"), partitions: -5)], timeout: .seconds(5))
            }
        }
    }
}

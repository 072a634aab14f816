import Kafka
import Testing
import UnderstudyTesting

/// Bad configuration gives a clear error naming the property or the address: never a crash,
/// never a hang past the stated timeout. No broker is needed.
@Suite(.timeLimit(.minutes(1)))
struct ConfigurationTests {
    static let nowhere = "127.0.0.1:1"

    static func producerError(_ properties: [String: String]) -> KafkaError? {
        do {
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: nowhere, properties: properties)),
                logger: Rig.logger
            )
            _ = producer
            return nil
        } catch {
            return error
        }
    }

    static func consumerError(_ properties: [String: String]) -> KafkaError? {
        do {
            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: nowhere, groupID: "g", properties: properties),
                topics: ["t"], logger: Rig.logger
            )
            _ = consumer
            return nil
        } catch {
            return error
        }
    }

    static func adminError(_ properties: [String: String]) -> KafkaError? {
        do {
            let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: nowhere, properties: properties), logger: Rig.logger)
            admin.close()
            return nil
        } catch {
            return error
        }
    }

    @Test("an unknown property is refused by name, with librdkafka's text")
    func unknownProperty() throws {
        for error in [
            Self.producerError(["no.such.property": "1"]), Self.consumerError(["no.such.property": "1"]), Self.adminError(["no.such.property": "1"]),
        ] {
            let error = try #require(error)
            #expect(error.property == "no.such.property")
            #expect(error.message.contains("No such configuration property"), "\(error)")
            #expect("\(error)".contains("no.such.property"))
        }
    }

    @Test(
        "an invalid value is refused by name, with librdkafka's text",
        arguments: [
            ("acks", "banana"), ("linger.ms", "-5"), ("compression.type", "brotli"), ("security.protocol", "carrier-pigeon"),
        ])
    func invalidValue(property: String, value: String) throws {
        let error = try #require(Self.producerError([property: value]))
        #expect(error.property == property, "\(error)")
        #expect(!error.message.isEmpty)
    }

    @Test("an invalid consumer value is refused by name")
    func invalidConsumerValue() throws {
        let error = try #require(Self.consumerError(["partition.assignment.strategy": "telepathy"]))
        #expect(error.property != nil || error.message.contains("telepathy"), "\(error)")
    }

    @Test(
        "properties that would break the delivery guarantees are a start-up error naming them",
        arguments: ["enable.auto.commit", "enable.auto.offset.store"])
    func forbiddenProperty(name: String) throws {
        for value in ["true", "false"] {
            for error in [Self.producerError([name: value]), Self.consumerError([name: value]), Self.adminError([name: value])] {
                let error = try #require(error)
                #expect(error.property == name)
                #expect(error.code == .configuration)
                #expect("\(error)".contains(name))
            }
        }
    }

    @Test("security, SASL and TLS properties pass through")
    func securityPropertiesPassThrough() {
        let properties = [
            "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u", "sasl.password": "p",
            "ssl.endpoint.identification.algorithm": "https",
        ]
        #expect(Self.producerError(properties) == nil)
        #expect(Self.consumerError(properties) == nil)
        #expect(Self.adminError(properties) == nil)
    }

    @Test("an unreachable broker: metadata fails within its timeout, naming the address")
    func unreachableBroker() async throws {
        let port = try FreePort.next()
        let address = "127.0.0.1:\(port)"
        let clock = ContinuousClock()

        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: address), logger: Rig.logger)
        var adminFailure: KafkaError?
        let adminElapsed = await clock.measure {
            do throws(KafkaError) { _ = try await admin.metadata(timeout: .seconds(2)) } catch { adminFailure = error }
        }
        admin.close()
        let adminError = try #require(adminFailure)
        #expect(adminError.message.contains(address), "\(adminError)")
        #expect(adminElapsed < .seconds(5), "bounded by the 2 s timeout (took \(adminElapsed))")

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: address), deliveryTimeout: .seconds(2)),
            logger: Rig.logger
        )
        var producerFailure: KafkaError?
        let producerElapsed = await clock.measure {
            do throws(KafkaError) { _ = try await producer.metadata(timeout: .seconds(2)) } catch { producerFailure = error }
        }
        let producerError = try #require(producerFailure)
        #expect(producerError.message.contains(address), "\(producerError)")
        #expect(producerElapsed < .seconds(5))

        // A send to nowhere fails with librdkafka's timeout once delivery.timeout.ms passes.
        var sendFailure: KafkaError?
        let sendElapsed = await clock.measure {
            do throws(KafkaError) { _ = try await producer.send(KafkaRecord(topic: "t", key: nil, value: [1])) } catch { sendFailure = error }
        }
        #expect(sendFailure?.code == .messageTimedOut, "\(String(describing: sendFailure))")
        #expect(sendElapsed < .seconds(6))
        await producer.close(timeout: .seconds(1))
    }
}

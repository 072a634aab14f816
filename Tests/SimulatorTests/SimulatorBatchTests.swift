import Completions
import Foundation
import NIOHTTP1
import Providers
import Simulator
import Synchronization
import Testing

/// Anthropic's Message Batches, the real adapter against the simulator over HTTP: a batch runs,
/// ends and gives the same answers realtime calls get; scripted errors, expiry, a batch that
/// never ends until cancelled, and a refused create.
@Suite struct SimulatorBatchTests {
    private func requests(_ count: Int) -> [BatchRequest] {
        (0..<count).map { BatchRequest(customID: "job-\($0)", request: sampleRequest) }
    }

    private func provider(_ baseURL: String, _ client: ProviderHTTPClient) throws -> any BatchCompletionProvider {
        try #require(try Target.anthropic.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
    }

    @Test("a batch ends after its processing time; its results are the realtime answers, and the scripted requests error or expire")
    func runsAndEnds() async throws {
        try await withSimulator { simulator, baseURL, client in
            let provider = try provider(baseURL, client)
            // A batch that has not ended (this one never does on its own) has no results yet.
            simulator.setBatchScript(BatchScript(processingMs: nil))
            let running = try await provider.submitBatch(requests(2), model: "claude-sonnet-4-5", timeout: .seconds(5))
            await #expect(throws: ProviderFailure.self, "no results while it runs") {
                _ = try await provider.batchResults(
                    of: ProviderBatch(id: running.id, phase: .ended, results: "\(baseURL)/v1/messages/batches/\(running.id)/results"),
                    timeout: .seconds(5))
            }

            simulator.setBatchScript(BatchScript(processingMs: 100, erroredIDs: ["job-1"], expiredIDs: ["job-2"]))
            let submitted = try await provider.submitBatch(requests(4), model: "claude-sonnet-4-5", timeout: .seconds(5))
            #expect(submitted.phase == .inProgress && submitted.counts.processing == 4, "as created, before any time has passed")
            var batch = submitted
            for _ in 0..<400 where batch.phase != .ended {
                try await Task.sleep(for: .milliseconds(50))
                batch = try await provider.batch(submitted.id, timeout: .seconds(5))
            }
            #expect(batch.phase == .ended)
            #expect(batch.counts == .init(succeeded: 2, errored: 1, expired: 1))
            let results = try await provider.batchResults(of: batch, timeout: .seconds(5))
            #expect(results.map(\.customID) == ["job-0", "job-1", "job-2", "job-3"])
            let realtime = ExtractiveProvider().answer(sampleRequest)
            guard case .succeeded(let answer) = results[0].outcome, case .errored(let failure) = results[1].outcome else {
                Issue.record("job-0 should succeed and job-1 error: \(results)")
                return
            }
            #expect(answer.text == realtime.text && answer.usage.inputTokens == realtime.usage.inputTokens)
            #expect(failure.outcome == .overloaded)
            #expect(results[2].outcome == .expired)
        }
    }

    @Test("a batch that never ends on its own is cancelled: every request comes back canceled")
    func cancelled() async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(processingMs: nil))
            let provider = try provider(baseURL, client)
            let batch = try await provider.submitBatch(requests(3), model: "m", timeout: .seconds(5))
            #expect(try await provider.batch(batch.id, timeout: .seconds(5)).phase == .inProgress)
            #expect(try await provider.cancelBatch(batch.id, timeout: .seconds(5)).phase == .canceling)
            let ended = try await provider.batch(batch.id, timeout: .seconds(5))
            #expect(ended.phase == .ended && ended.counts.canceled == 3)
            let results = try await provider.batchResults(of: ended, timeout: .seconds(5))
            #expect(results.count == 3 && results.allSatisfy { $0.outcome == .canceled })
        }
    }

    @Test(
        "OpenAI and Azure OpenAI: an uploaded JSONL file becomes a batch; output and error files give answers, errors and expiries",
        arguments: [Target.openai, .azureDeployments, .azureV1])
    func openAIBatches(_ target: Target) async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(processingMs: 100, erroredIDs: ["job-1"], expiredIDs: ["job-2"]))
            let provider = try #require(try target.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
            let submitted = try await provider.submitBatch(requests(4), model: "gpt-4o", timeout: .seconds(5))
            #expect(submitted.phase == .inProgress && submitted.counts.processing == 4)
            var batch = submitted
            for _ in 0..<400 where batch.phase != .ended {
                try await Task.sleep(for: .milliseconds(50))
                batch = try await provider.batch(submitted.id, timeout: .seconds(5))
            }
            #expect(batch.phase == .ended && batch.results != nil && batch.errors != nil)
            let results = try await provider.batchResults(of: batch, timeout: .seconds(5))
            #expect(Set(results.map(\.customID)) == ["job-0", "job-1", "job-2", "job-3"])
            let byID = Dictionary(results.map { ($0.customID, $0.outcome) }, uniquingKeysWith: { first, _ in first })
            guard case .succeeded(let answer) = byID["job-0"], case .errored(let failure) = byID["job-1"] else {
                Issue.record("job-0 should succeed and job-1 error: \(results)")
                return
            }
            #expect(answer.text == ExtractiveProvider().answer(sampleRequest).text)
            #expect(failure.outcome == .serverError)
            #expect(byID["job-2"] == .expired)

            // A batch the script refuses comes back failed, with the provider's words.
            simulator.setBatchScript(BatchScript(refuseStatus: 400))
            let refused = try await provider.submitBatch(requests(1), model: "gpt-4o", timeout: .seconds(5))
            #expect(refused.phase == .failed && refused.failureMessage?.contains("refused") == true)

            // Cancelled while it runs: every request comes back cancelled, from the error file.
            simulator.setBatchScript(BatchScript(processingMs: nil))
            let running = try await provider.submitBatch(requests(2), model: "gpt-4o", timeout: .seconds(5))
            #expect(try await provider.cancelBatch(running.id, timeout: .seconds(5)).phase == .canceling)
            let cancelled = try await provider.batch(running.id, timeout: .seconds(5))
            #expect(cancelled.phase == .ended && cancelled.counts.canceled == 2 && cancelled.results == nil)
            let leftovers = try await provider.batchResults(of: cancelled, timeout: .seconds(5))
            #expect(leftovers.count == 2 && leftovers.allSatisfy { $0.outcome == .canceled })
        }
    }

    @Test(
        "results stream in deliveries of at most 64; a read reset part-way hands over what arrived, fails as a connection error, and the next read is whole",
        arguments: [Target.anthropic, .openai])
    func resultsStreamAndACutReadIsReadAgain(_ target: Target) async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(processingMs: 0, cutResultsAfterLines: 100))
            let provider = try #require(try target.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
            let submitted = try await provider.submitBatch(requests(150), model: "m", timeout: .seconds(5))
            let batch = try await provider.batch(submitted.id, timeout: .seconds(5))
            try #require(batch.phase == .ended)
            let firstRead = Deliveries()
            do {
                try await provider.batchResults(of: batch, timeout: .seconds(5)) { firstRead.add($0) }
                Issue.record("a read reset part-way must fail")
            } catch let failure as ProviderFailure {
                #expect(failure.outcome == .connection)
            }
            // 100 lines came before the reset: one full delivery of 64, the rest lost with the read.
            #expect(firstRead.sizes == [64])
            let secondRead = Deliveries()
            try await provider.batchResults(of: batch, timeout: .seconds(5)) { secondRead.add($0) }
            #expect(secondRead.sizes == [64, 64, 22])
            #expect(Set(secondRead.ids) == Set((0..<150).map { "job-\($0)" }))
            #expect(simulator.batchTally.cutReads == 1)
        }
    }

    @Test("both list endpoints page newest first: limit, has_more, first and last ids, and the cursor after the last")
    func listsPage() async throws {
        for (target, path, cursor) in [(Target.anthropic, "/v1/messages/batches", "after_id"), (.openai, "/v1/batches", "after")] {
            try await withSimulator { simulator, baseURL, client in
                simulator.setBatchScript(BatchScript(processingMs: nil))
                let provider = try #require(try target.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
                var ids: [String] = []
                for _ in 0..<3 { ids.append(try await provider.submitBatch(requests(1), model: "m", timeout: .seconds(5)).id) }
                let first = try JSONParser.parse(Data(try await control(client, .GET, "\(baseURL)\(path)?limit=2").body.utf8))
                let page = first["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                #expect(page == [ids[2], ids[1]], "newest first")
                #expect(first["has_more"] == .bool(true) && first["last_id"]?.stringValue == ids[1])
                let next = try JSONParser.parse(Data(try await control(client, .GET, "\(baseURL)\(path)?limit=2&\(cursor)=\(ids[1])").body.utf8))
                #expect(next["data"]?.arrayValue?.first?["id"]?.stringValue == ids[0])
                #expect(next["has_more"] == .bool(false))
                #expect(try await control(client, .GET, "\(baseURL)\(path)?limit=0").status == 400)
            }
        }
    }

    @Test("a batch scripted to fail as a whole: OpenAI's reports failed with no files; Anthropic's ends with every request errored")
    func wholeBatchFails() async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(processingMs: 0, failBatch: true))
            let openai = try #require(try Target.openai.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
            let submitted = try await openai.submitBatch(requests(3), model: "gpt-4o", timeout: .seconds(5))
            let failed = try await openai.batch(submitted.id, timeout: .seconds(5))
            #expect(failed.phase == .failed && failed.results == nil && failed.failureMessage?.contains("failed") == true)

            let anthropic = try provider(baseURL, client)
            let batch = try await anthropic.batch(
                try await anthropic.submitBatch(requests(3), model: "m", timeout: .seconds(5)).id, timeout: .seconds(5))
            #expect(batch.phase == .ended && batch.counts.errored == 3)
            let results = try await anthropic.batchResults(of: batch, timeout: .seconds(5))
            #expect(results.count == 3 && results.allSatisfy { if case .errored = $0.outcome { true } else { false } })
        }
    }

    @Test(
        "Azure OpenAI: an uploaded file still pending is looked up until processed, then the batch is created; still pending at the call's end, no batch is created and the failure says so"
    )
    func pendingFileIsWaitedFor() async throws {
        try await withSimulator { simulator, baseURL, client in
            // The simulator refuses a create over a pending file, as Azure does: a create that
            // came at once would fail.
            simulator.setBatchScript(BatchScript(processingMs: nil, filePendingMs: 700))
            let provider = try #require(try Target.azureDeployments.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
            let submitted = try await provider.submitBatch(requests(2), model: "gpt-4o", timeout: .seconds(10))
            #expect(submitted.phase == .inProgress && submitted.counts.processing == 2)

            simulator.setBatchScript(BatchScript(processingMs: nil, filePendingMs: 60_000))
            do {
                // Long enough that every lookup (after 0.25, 0.5 and 1 s) answers on a loaded
                // machine; the next wait (2 s) would pass the deadline.
                _ = try await provider.submitBatch(requests(2), model: "gpt-4o", timeout: .seconds(3))
                Issue.record("a batch was created over a file still pending")
            } catch let notCreated as BatchNotCreated {
                let failure = notCreated.failure
                #expect(failure.outcome == .serverError, "\(failure.outcome): \(failure.message)")
                #expect(failure.httpStatus == 200 && failure.message.contains("still pending"), "\(failure.message)")
            }
            #expect(simulator.batchTally.filesHeld == 1 && simulator.batchTally.filesDeleted == 1, "the unused file is deleted")
        }
    }

    @Test(
        "a file the provider refused is a client error that names the refusal, with the provider's words scrubbed of the key; no batch is created"
    )
    func refusedFileIsAClientError() async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(processingMs: nil, fileError: "line 1 is invalid (request sent with key sim-test-key-123)"))
            let provider = try #require(try Target.azureDeployments.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
            do {
                _ = try await provider.submitBatch(requests(2), model: "gpt-4o", timeout: .seconds(10))
                Issue.record("a batch was created over a refused file")
            } catch let notCreated as BatchNotCreated {
                let failure = notCreated.failure
                #expect(failure.outcome == .clientError, "\(failure.outcome): \(failure.message)")
                #expect(failure.message.contains("refused the uploaded batch file") && failure.message.contains("line 1 is invalid"))
                #expect(!failure.message.contains("sim-test-key-123"), "\(failure.message)")
            }
            #expect(simulator.batchTally.batches == 0)
            #expect(simulator.batchTally.filesHeld == 0, "the refused file is deleted")
        }
    }

    @Test(
        "discarding a closed OpenAI batch deletes its input, output and error files (reads of them are then 404) and a second discard deletes nothing; Anthropic keeps no files",
        arguments: [Target.openai, .azureDeployments, .azureV1])
    func discardDeletesTheFiles(_ target: Target) async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(processingMs: 0, erroredIDs: ["job-1"]))
            let provider = try #require(try target.provider(baseURL: baseURL, client: client) as? any BatchCompletionProvider)
            let submitted = try await provider.submitBatch(requests(3), model: "gpt-4o", timeout: .seconds(5))
            let batch = try await provider.batch(submitted.id, timeout: .seconds(5))
            #expect(batch.phase == .ended && batch.input != nil && batch.results != nil && batch.errors != nil)
            #expect(try await provider.batchResults(of: batch, timeout: .seconds(5)).count == 3)
            #expect(simulator.batchTally.filesHeld == 1)

            #expect(try await provider.discardFiles(of: submitted.id, timeout: .seconds(5)) == 3)
            #expect(simulator.batchTally.filesHeld == 0 && simulator.batchTally.filesDeleted == 3)
            do {
                _ = try await provider.batchResults(of: batch, timeout: .seconds(5))
                Issue.record("a deleted output file was read")
            } catch let failure as ProviderFailure {
                #expect(failure.httpStatus == 404)
            }
            #expect(try await provider.discardFiles(of: submitted.id, timeout: .seconds(5)) == 0, "already gone is not a failure")

            let anthropic = try self.provider(baseURL, client)
            let other = try await anthropic.submitBatch(requests(1), model: "m", timeout: .seconds(5))
            #expect(try await anthropic.discardFiles(of: other.id, timeout: .seconds(5)) == 0)
        }
    }

    @Test("a refused create is a classified failure, and an unknown batch is not found")
    func refusedAndUnknown() async throws {
        try await withSimulator { simulator, baseURL, client in
            simulator.setBatchScript(BatchScript(refuseStatus: 529))
            let provider = try provider(baseURL, client)
            do {
                _ = try await provider.submitBatch(requests(1), model: "m", timeout: .seconds(5))
                Issue.record("a refused batch was accepted")
            } catch let failure as ProviderFailure {
                #expect(failure.outcome == .overloaded)
            }
            do {
                _ = try await provider.batch("msgbatch_unknown", timeout: .seconds(5))
                Issue.record("an unknown batch was found")
            } catch let failure as ProviderFailure {
                #expect(failure.outcome == .clientError && failure.httpStatus == 404)
            }
        }
    }
}

/// What a streamed results read handed over, delivery by delivery.
private final class Deliveries: Sendable {
    private let state = Mutex<[[BatchItemResult]]>([])
    func add(_ results: [BatchItemResult]) { state.withLock { $0.append(results) } }
    var sizes: [Int] { state.withLock { $0.map(\.count) } }
    var ids: [String] { state.withLock { $0.flatMap { $0.map(\.customID) } } }
}

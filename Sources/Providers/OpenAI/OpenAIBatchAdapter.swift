import Completions
import Foundation

/// The batches of the Chat Completions adapters (`openai`, `azure-openai`): OpenAI's Batch API
/// and Azure OpenAI's global batch, through the same HTTP call (authorization, secret
/// scrubbing) as realtime attempts. An OpenAI-compatible server without the Batch API answers
/// the upload with its own error, classified like any other.
protocol OpenAIBatchAdapter: BatchCompletionProvider {
    var codec: OpenAICodec { get }
    var call: HTTPCall { get }
}

extension OpenAIBatchAdapter {
    /// OpenAI's limits (Azure takes twice the requests; the smaller bound holds for both).
    package var batchLimits: BatchLimits { .openAI }

    private var batchCodec: OpenAIBatchCodec { OpenAIBatchCodec(chat: codec) }

    package func submitBatch(_ requests: [BatchRequest], model: String, timeout: Duration) async throws -> ProviderBatch {
        let codec = batchCodec
        // Nothing creates a batch before the create below: whatever goes wrong until then, even
        // with no answer, no batch exists. A file uploaded for a batch that was not created is
        // deleted (best effort): it would count against the provider's file limits for nothing.
        let deadline = ContinuousClock.now + timeout
        let uploaded: OpenAIBatchCodec.UploadedFile
        do {
            uploaded = try await upload(requests, model: model, timeout: timeout)
        } catch let failure as ProviderFailure {
            throw BatchNotCreated(failure)
        }
        let fileID: String
        do {
            fileID = try await processed(uploaded, before: deadline, of: timeout)
        } catch let failure as ProviderFailure {
            await deleteUnused(uploaded.id, timeout: timeout)
            throw BatchNotCreated(failure)
        }
        // The create, which leaves a batch in doubt when it has no answer, keeps a whole
        // timeout of its own.
        do {
            let batch = try await call.exchange(try codec.create(inputFileID: fileID), timeout: timeout) {
                response throws(ProviderFailure) in try codec.decodeBatch(response, now: Date())
            }
            return call.redacted(batch)
        } catch let failure as ProviderFailure where failure.httpStatus.map({ (400..<500).contains($0) }) == true {
            // Refused: the provider did not take the batch, and nothing will read the file. (A
            // 5xx may come from a gateway in front of a batch that was created, and a 2xx that
            // could not be read is a batch created: their file stays.)
            await deleteUnused(fileID, timeout: timeout)
            throw failure
        }
    }

    /// Deletes an uploaded file no batch uses; a failure leaves it (nothing depends on it).
    private func deleteUnused(_ fileID: String, timeout: Duration) async {
        _ = try? await deleteFile(fileID, timeout: min(timeout, .seconds(30)))
    }

    /// Deletes one file: `true` when it was deleted now, `false` when it was already gone.
    private func deleteFile(_ fileID: String, timeout: Duration) async throws -> Bool {
        let codec = batchCodec
        return try await call.exchange(try codec.deleteFile(fileID), timeout: timeout) { response throws(ProviderFailure) in
            try codec.decodeDeleted(response, now: Date())
        }
    }

    /// Uploads the batch's input file (not yet known to be processed).
    private func upload(_ requests: [BatchRequest], model: String, timeout: Duration) async throws -> OpenAIBatchCodec.UploadedFile {
        try batchLimits.check(requestCount: requests.count)
        let codec = batchCodec
        let file = try codec.inputFile(requests, model: model)
        guard file.count <= batchLimits.maxBytes else {
            throw ProviderFailure(
                outcome: .clientError, message: "a batch file of \(file.count) bytes is over the \(batchLimits.maxBytes) the API takes",
                isRouteSpecific: true)
        }
        return try await call.exchange(codec.upload(file), timeout: timeout, maxRequestBytes: batchLimits.maxBytes + 4_096) {
            response throws(ProviderFailure) in try codec.decodeFile(response, now: Date())
        }
    }

    /// Waits until an uploaded file can carry a batch (Azure OpenAI processes a file before it
    /// takes a batch over it), looking again after 0.25 s, doubling to at most 5 s, until
    /// `deadline` (the end of the submission's `timeout`). Throws a client error (for good) when the provider refused the file, and a
    /// server error with the last lookup's status (the batch was not created; try later) when
    /// it was still pending at the end.
    private func processed(
        _ file: OpenAIBatchCodec.UploadedFile, before deadline: ContinuousClock.Instant, of timeout: Duration
    ) async throws -> String {
        let codec = batchCodec
        var file = file
        var wait = Duration.milliseconds(250)
        var lastStatus = 200
        while true {
            switch file.state {
            case .ready:
                return file.id
            case .failed(let details):
                // The provider's words, scrubbed of secrets like every failure of a call.
                throw call.redacted(
                    ProviderFailure(
                        outcome: .clientError, httpStatus: lastStatus,
                        message: "the provider refused the uploaded batch file" + (details.map { ": \($0)" } ?? ""), isRouteSpecific: true))
            case .pending:
                guard ContinuousClock.now + wait < deadline else {
                    throw ProviderFailure(
                        outcome: .serverError, httpStatus: lastStatus,
                        message: "the uploaded batch file was still pending after \(timeout); no batch was created", isRouteSpecific: true)
                }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
                let left = max(deadline - ContinuousClock.now, .milliseconds(1))
                do {
                    file = try await call.exchange(try codec.file(file.id), timeout: left) { response throws(ProviderFailure) in
                        lastStatus = response.status
                        return try codec.decodeFile(response, now: Date())
                    }
                } catch let failure as ProviderFailure where failure.httpStatus == nil {
                    throw ProviderFailure(
                        outcome: failure.outcome,
                        message: "looking up the uploaded batch file failed (\(failure.message)); no batch was created", isRouteSpecific: true)
                }
            }
        }
    }

    package func batch(_ id: String, timeout: Duration) async throws -> ProviderBatch {
        let codec = batchCodec
        let batch = try await call.exchange(try codec.retrieve(id), timeout: timeout) { response throws(ProviderFailure) in
            try codec.decodeBatch(response, now: Date())
        }
        return call.redacted(batch)
    }

    package func cancelBatch(_ id: String, timeout: Duration) async throws -> ProviderBatch {
        let codec = batchCodec
        let batch = try await call.exchange(try codec.cancel(id), timeout: timeout) { response throws(ProviderFailure) in
            try codec.decodeBatch(response, now: Date())
        }
        return call.redacted(batch)
    }

    /// The input, output and error files of the batch `id`, each deleted (OpenAI keeps them
    /// until deleted and counts them against the organization's storage; Azure OpenAI holds a
    /// resource's batch files to a few hundred), once the batch has finished (`nil` before).
    /// Every file is tried; the first failure is thrown after the others were. A batch the
    /// provider no longer knows has nothing to delete.
    package func discardFiles(of id: String, timeout: Duration) async throws -> Int? {
        let codec = batchCodec
        let batch: ProviderBatch
        do {
            batch = try await call.exchange(try codec.retrieve(id), timeout: timeout) { response throws(ProviderFailure) in
                try codec.decodeBatch(response, now: Date())
            }
        } catch let failure as ProviderFailure where failure.httpStatus == 404 {
            return 0  // The provider no longer knows the batch: nothing of it to find.
        }
        // Running or cancelling: its output and error files may not exist yet.
        guard batch.phase == .ended || batch.phase == .failed else { return nil }
        var deleted = 0
        var firstFailure: (any Error)?
        for fileID in Set([batch.input, batch.results, batch.errors].compactMap { $0 }).sorted() {
            do {
                if try await deleteFile(fileID, timeout: timeout) { deleted += 1 }
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
        return deleted
    }

    /// The output file, then the error file, each streamed a delivery of lines at a time (each
    /// at most twice the batch limit).
    package func batchResults(
        of batch: ProviderBatch, timeout: Duration, receive: @escaping @Sendable ([BatchItemResult]) async throws -> Void
    ) async throws {
        let codec = batchCodec
        let call = self.call
        for fileID in [batch.results, batch.errors].compactMap({ $0 }) {
            try await call.streamLines(
                try codec.download(fileID), timeout: timeout, maxBytes: 2 * batchLimits.maxBytes,
                failure: { codec.chat.failure(for: $0, now: Date()) },
                receive: { lines in try await receive(call.results(lines, batchID: batch.id) { codec.result(json: $0, now: Date()) }) })
        }
    }
}

extension OpenAIProvider: OpenAIBatchAdapter {}
extension AzureOpenAIProvider: OpenAIBatchAdapter {}

/// How the simulator's provider batches behave (`PUT /_sim/batches`): how long a batch runs,
/// which requests fail or expire inside it, whether the whole batch fails, whether a create is
/// refused, whether reading its results is cut short once, and how uploaded files fare.
package struct BatchScript: Codable, Sendable, Hashable {
    /// How long a batch runs before it ends, in milliseconds; `nil`: it runs until cancelled
    /// (a provider that is late past the jobs' deadlines).
    package var processingMs: Int?
    /// Custom ids whose requests end `errored` (`overloaded_error`) inside the batch.
    package var erroredIDs: [String]
    /// Custom ids whose requests end `expired`.
    package var expiredIDs: [String]
    /// Refuse every create with this HTTP status (a whole batch the provider will not take).
    package var refuseStatus: Int?
    /// The whole batch fails when its processing time is over: OpenAI's reports status
    /// `failed` (no output file); Anthropic's, which has no such status, ends with every request
    /// `errored`.
    package var failBatch: Bool
    /// Cut the first read of each results file after this many lines (the connection is reset
    /// mid-file); later reads are whole.
    package var cutResultsAfterLines: Int?
    /// How long an uploaded file stays `pending` before it is `processed`, in milliseconds (as
    /// on Azure OpenAI, whose global batch refuses a create over a file not yet processed).
    package var filePendingMs: Int
    /// Every uploaded file ends in status `error` with these `status_details` (a file the
    /// provider refused) once it is no longer pending; at most 1,000 characters are kept.
    package var fileError: String?
    /// The next this many uploads (OpenAI's Files API) get no answer: the connection is closed
    /// at once and the file is not kept.
    package var dropUploads: Int
    /// How long a cancelled batch stays `cancelling` before it ends, in milliseconds (OpenAI
    /// takes up to ten minutes; its files exist only once it ended).
    package var cancellingMs: Int

    enum CodingKeys: String, CodingKey {
        case processingMs = "processing_ms"
        case erroredIDs = "errored_ids"
        case expiredIDs = "expired_ids"
        case refuseStatus = "refuse_status"
        case cutResultsAfterLines = "cut_results_after_lines"
        case failBatch = "fail_batch"
        case filePendingMs = "file_pending_ms"
        case fileError = "file_error"
        case dropUploads = "drop_uploads"
        case cancellingMs = "cancelling_ms"
    }

    package init(
        processingMs: Int? = 0, erroredIDs: [String] = [], expiredIDs: [String] = [], refuseStatus: Int? = nil,
        cutResultsAfterLines: Int? = nil, failBatch: Bool = false, filePendingMs: Int = 0, fileError: String? = nil, dropUploads: Int = 0,
        cancellingMs: Int = 0
    ) {
        self.cancellingMs = min(max(0, cancellingMs), 3_600_000)
        self.dropUploads = min(max(0, dropUploads), 1_000)
        self.fileError = fileError.map { String($0.prefix(1_000)) }
        self.failBatch = failBatch
        self.filePendingMs = filePendingMs
        self.processingMs = processingMs
        self.erroredIDs = erroredIDs
        self.expiredIDs = expiredIDs
        self.refuseStatus = refuseStatus
        self.cutResultsAfterLines = cutResultsAfterLines
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        processingMs = try container.decodeIfPresent(Int.self, forKey: .processingMs)
        erroredIDs = try container.decodeIfPresent([String].self, forKey: .erroredIDs) ?? []
        expiredIDs = try container.decodeIfPresent([String].self, forKey: .expiredIDs) ?? []
        refuseStatus = try container.decodeIfPresent(Int.self, forKey: .refuseStatus)
        cutResultsAfterLines = try container.decodeIfPresent(Int.self, forKey: .cutResultsAfterLines)
        failBatch = try container.decodeIfPresent(Bool.self, forKey: .failBatch) ?? false
        filePendingMs = min(max(0, try container.decodeIfPresent(Int.self, forKey: .filePendingMs) ?? 0), 3_600_000)
        fileError = try container.decodeIfPresent(String.self, forKey: .fileError).map { String($0.prefix(1_000)) }
        dropUploads = min(max(0, try container.decodeIfPresent(Int.self, forKey: .dropUploads) ?? 0), 1_000)
        cancellingMs = min(max(0, try container.decodeIfPresent(Int.self, forKey: .cancellingMs) ?? 0), 3_600_000)
    }
}

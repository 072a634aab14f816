import Completions

/// Ids a provider's batch API gave (a batch, a file), checked before they go into a URL path.
enum BatchID {
    /// `id` when it has the documented shape (``BatchLimits/isValidProviderID(_:)``), else an
    /// `invalid_output` failure naming `provider`: an answer cannot steer a request elsewhere.
    static func checked(_ id: String, provider: String) throws(ProviderFailure) -> String {
        guard BatchLimits.isValidProviderID(id) else {
            throw ProviderFailure(outcome: .invalidOutput, message: "\(provider) batch or file id is not of the documented shape")
        }
        return id
    }
}

import Completions

/// The Gemini API `generateContent` bodies, as far as understudy uses them.
package enum GeminiWire {
    package struct Part: Codable, Sendable, Hashable {
        package var text: String?

        package init(text: String?) { self.text = text }
    }

    package struct Content: Codable, Sendable, Hashable {
        package var role: String?
        package var parts: [Part]?

        package init(role: String?, parts: [Part]) {
            self.role = role
            self.parts = parts
        }
    }

    package struct GenerationConfig: Codable, Sendable, Hashable {
        package var maxOutputTokens: Int?
        package var temperature: Double?
        package var stopSequences: [String]?
        package var responseMimeType: String?
        package var responseJsonSchema: JSONValue?

        package init(
            maxOutputTokens: Int?,
            temperature: Double?,
            stopSequences: [String]?,
            responseMimeType: String?,
            responseJsonSchema: JSONValue?
        ) {
            self.maxOutputTokens = maxOutputTokens
            self.temperature = temperature
            self.stopSequences = stopSequences
            self.responseMimeType = responseMimeType
            self.responseJsonSchema = responseJsonSchema
        }
    }

    package struct Request: Codable, Sendable, Hashable {
        package var contents: [Content]
        package var systemInstruction: Content?
        package var generationConfig: GenerationConfig?

        package init(contents: [Content], systemInstruction: Content?, generationConfig: GenerationConfig?) {
            self.contents = contents
            self.systemInstruction = systemInstruction
            self.generationConfig = generationConfig
        }
    }

    package struct Candidate: Codable, Sendable, Hashable {
        package var content: Content?
        package var finishReason: String?

        package init(content: Content?, finishReason: String?) {
            self.content = content
            self.finishReason = finishReason
        }
    }

    package struct UsageMetadata: Codable, Sendable, Hashable {
        package var promptTokenCount: Int?
        package var candidatesTokenCount: Int?
        package var totalTokenCount: Int?
        /// The part of `promptTokenCount` read from the (implicit or explicit) context cache.
        package var cachedContentTokenCount: Int?

        package init(promptTokenCount: Int?, candidatesTokenCount: Int?) {
            self.promptTokenCount = promptTokenCount
            self.candidatesTokenCount = candidatesTokenCount
            self.totalTokenCount = (promptTokenCount ?? 0) + (candidatesTokenCount ?? 0)
        }
    }

    package struct PromptFeedback: Codable, Sendable, Hashable {
        package var blockReason: String?
    }

    package struct Response: Codable, Sendable, Hashable {
        package var candidates: [Candidate]?
        package var usageMetadata: UsageMetadata?
        package var promptFeedback: PromptFeedback?
        package var modelVersion: String?
        package var responseId: String?

        package init(candidates: [Candidate], usageMetadata: UsageMetadata?, modelVersion: String?, responseId: String?) {
            self.candidates = candidates
            self.usageMetadata = usageMetadata
            self.promptFeedback = nil
            self.modelVersion = modelVersion
            self.responseId = responseId
        }
    }

    /// `{"error":{"code":429,"message":...,"status":"RESOURCE_EXHAUSTED","details":[...]}}`.
    package struct ErrorBody: Codable, Sendable, Hashable {
        package struct Detail: Codable, Sendable, Hashable {
            package var code: Int?
            package var message: String?
            package var status: String?
            package var details: [JSONValue]?
        }

        package var error: Detail
    }
}

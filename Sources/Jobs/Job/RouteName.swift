import Completions

/// A route as jobs and the config name it: a provider defined under the config's `providers` and a
/// model of that provider. It never carries a URL, a key or a header.
public struct RouteName: Sendable, Hashable, CustomStringConvertible {
    /// The provider's name in the config (`claude-direct`), not its type.
    public var provider: String
    /// The model as the provider names it (`claude-sonnet-4-5`).
    public var model: String

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// `provider/model`: the key of circuit events and the form logs use.
    public var description: String { "\(provider)/\(model)" }
}

extension RouteName {
    /// Reads a route object strictly: `provider` and `model`, both non-empty strings, nothing else.
    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> RouteName {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["provider", "model"])
        return RouteName(
            provider: try object.required("provider", Read.nonEmptyString),
            model: try object.required("model", Read.nonEmptyString)
        )
    }

    /// Reads a list of at least one route, none listed twice.
    static func readList(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> [RouteName] {
        let routes = try Read.array(minItems: 1, RouteName.read)(value, path)
        var seen: Set<RouteName> = []
        for (index, route) in routes.enumerated() where !seen.insert(route).inserted {
            throw .invalid(path.appending(index: index), "route \(route) is listed twice")
        }
        return routes
    }
}

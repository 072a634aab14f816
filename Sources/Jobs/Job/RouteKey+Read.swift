import Completions
import Failover

/// A route as jobs and the config name it: a provider defined under the config's `providers` (its
/// name there, not its type) and a model of that provider. It never carries a URL, a key or a header.
extension RouteKey {
    /// Reads a route object strictly: `provider` and `model`, both non-empty strings, nothing else.
    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> RouteKey {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["provider", "model"])
        return RouteKey(
            provider: try object.required("provider", Read.nonEmptyString),
            model: try object.required("model", Read.nonEmptyString)
        )
    }

    /// Reads a list of at least one route, none listed twice.
    static func readList(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> [RouteKey] {
        let routes = try Read.array(minItems: 1, RouteKey.read)(value, path)
        var seen: Set<RouteKey> = []
        for (index, route) in routes.enumerated() where !seen.insert(route).inserted {
            throw .invalid(path.appending(index: index), "route \(route) is listed twice")
        }
        return routes
    }
}

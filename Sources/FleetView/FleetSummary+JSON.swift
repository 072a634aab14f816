import Completions
import Failover
import Jobs

/// The summary as one JSON document, members in this order (times RFC 3339, latencies in whole
/// milliseconds, shares in 0...1 to 4 decimals, costs in US dollars to 6 decimals, `null` where
/// there is nothing to measure):
///
/// ```
/// {"since", "until", "minutes",            // minutes counted
///  "latency_error_bound",                  // relative bound of every percentile (0.0625)
///  "fleet": ROW, "workloads": [ROW], "routes": [ROW],
///  "dead_letters": {"total", "by_class": [{"class", "count"}]},
///  "dropped": {"too_old", "too_new", "bad_time", "breaker_routes", "folded"}}
///
/// ROW: {"name", "kind" (fleet|workload|route|none|other), "provider", "model" (null unless a route),
///  "jobs", "jobs_succeeded", "jobs_failed", "job_success_share",
///  "attempts", "attempts_ok", "attempts_failed", "attempts_cancelled", "skipped", "success_share",
///  "outcomes": {OUTCOME: count, ...},     // every outcome of telemetry.v1, in schema order
///  "retries", "hedges", "gave_up", "failovers_out", "failovers_in",
///  "attempt_p50_ms", "attempt_p95_ms", "job_p50_ms", "job_p95_ms",
///  "cost_usd", "input_tokens", "output_tokens",
///  "breaker_trips", "breaker_state"}        // route rows with a breaker history only
/// ```
extension FleetSummary: JSONWritable {
    /// The document's bytes (UTF-8, one line).
    package func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 4_096)
        write(to: &writer)
        return writer.bytes
    }

    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("since", RFC3339.string(from: since))
        writer.member("until", RFC3339.string(from: until))
        writer.member("minutes", minutes?.count ?? 0)
        writer.member("latency_error_bound", LatencyHistogram.relativeErrorBound)
        writer.key("fleet")
        Self.write(name: "fleet", kind: "fleet", route: nil, totals: fleet, trips: nil, state: nil, to: &writer)
        writer.key("workloads")
        writer.beginArray()
        for row in workloads { Self.write(row, to: &writer) }
        writer.endArray()
        writer.key("routes")
        writer.beginArray()
        for row in routes { Self.write(row, to: &writer) }
        writer.endArray()
        writer.key("dead_letters")
        writer.beginObject()
        writer.member("total", deadLetterTotal)
        FleetSummary.DeadLetterCount.write(deadLetters, to: &writer)
        writer.endObject()
        writer.key("dropped")
        drops.write(to: &writer)
        writer.endObject()
    }

    private static func write(_ row: Row, to writer: inout JSONWriter) {
        write(
            name: row.name, kind: row.kind.rawValue, route: row.route, totals: row.totals, trips: row.breakerTrips,
            state: row.breakerState, to: &writer)
    }

    private static func write(
        name: String, kind: String, route: RouteKey?, totals: FleetTotals, trips: Int?, state: CircuitState?, to writer: inout JSONWriter
    ) {
        let counts = totals.counts
        writer.beginObject()
        writer.member("name", name)
        writer.member("kind", kind)
        writer.member("provider", orNull: route?.provider)
        writer.member("model", orNull: route?.model)
        writer.member("jobs", counts.jobs)
        writer.member("jobs_succeeded", counts.jobsSucceeded)
        writer.member("jobs_failed", counts.jobsFailed)
        writeShare("job_success_share", counts.jobSuccessShare, to: &writer)
        writer.member("attempts", counts.attempts)
        writer.member("attempts_ok", counts.okAttempts)
        writer.member("attempts_failed", counts.failedAttempts)
        writer.member("attempts_cancelled", counts.cancelledAttempts)
        writer.member("skipped", counts.skippedAttempts)
        writeShare("success_share", counts.successShare, to: &writer)
        writer.key("outcomes")
        writer.beginObject()
        for outcome in Outcome.allCases {
            writer.key(outcome.rawValue)
            writer.value(counts.count(outcome))
        }
        writer.endObject()
        writer.member("retries", counts.retries)
        writer.member("hedges", counts.hedges)
        writer.member("gave_up", counts.gaveUp)
        writer.member("failovers_out", counts.failoversOut)
        writer.member("failovers_in", counts.failoversIn)
        writeMilliseconds("attempt_p50_ms", totals.attemptLatency.p50, to: &writer)
        writeMilliseconds("attempt_p95_ms", totals.attemptLatency.p95, to: &writer)
        writeMilliseconds("job_p50_ms", totals.jobLatency.p50, to: &writer)
        writeMilliseconds("job_p95_ms", totals.jobLatency.p95, to: &writer)
        writer.member("cost_usd", SafeNumber.rounded(counts.costUSD, decimals: 6))
        writer.member("input_tokens", counts.inputTokens)
        writer.member("output_tokens", counts.outputTokens)
        if let trips { writer.member("breaker_trips", trips) }
        if let state { writer.member("breaker_state", state.rawValue) }
        writer.endObject()
    }

    /// `"name": share` to 4 decimals, or `null`.
    static func writeShare(_ name: StaticString, _ share: Double?, to writer: inout JSONWriter) {
        writer.key(name)
        if let share, share.isFinite { writer.value(SafeNumber.rounded(share, decimals: 4)) } else { writer.null() }
    }

    /// `"name": whole milliseconds`, or `null`.
    static func writeMilliseconds(_ name: StaticString, _ value: Double?, to writer: inout JSONWriter) {
        writer.key(name)
        if let value { writer.value(SafeNumber.rounded(value, clampedTo: 0...Int.max)) } else { writer.null() }
    }
}

extension FleetSummary.DeadLetterCount {
    /// `"by_class": [{"class", "count"}, ...]`, as the report and the snapshot both write it.
    static func write(_ counts: [Self], to writer: inout JSONWriter) {
        writer.key("by_class")
        writer.beginArray()
        for letter in counts {
            writer.beginObject()
            writer.member("class", letter.errorClass)
            writer.member("count", letter.count)
            writer.endObject()
        }
        writer.endArray()
    }
}

extension FleetWindow.Drops {
    /// `{"too_old", "too_new", "bad_time", "breaker_routes", "folded"}`: what the window left out.
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("too_old", tooOld)
        writer.member("too_new", tooNew)
        writer.member("bad_time", badTime)
        writer.member("breaker_routes", breakerRoutes)
        writer.member("folded", folded)
        writer.endObject()
    }
}

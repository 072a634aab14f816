/// The live dashboard: one self-contained HTML page (inline CSS and script; no script, font,
/// stylesheet or image from anywhere else, so it works offline) that listens to `/events` with
/// `EventSource` and redraws on every `snapshot` event, whose data is a ``DashboardSnapshot``.
///
/// What it shows: a header with the window, the snapshot's time and the connection; a breaker
/// panel with each route and its state; per route, with every workload added up and then per
/// workload, five charts drawn as inline SVG by the page: jobs per minute, success share of
/// calls, failovers out per minute, call latency p50 (solid) and p95 (dashed), cost per minute;
/// and the dead letters.
///
/// The DOM contract (for a headless-browser test):
/// - each chart is an `svg` with `data-chart` = `jobs`, `success_share`, `failovers`, `latency`
///   or `cost`, `data-scope` = `fleet` or `workload` (then also `data-workload`), and holds one
///   `path` per series with `data-series` = the route as the snapshot names it (`provider/model`,
///   `(no route)`, `(other)`), `data-line` = the snapshot member drawn and `data-points` = how
///   many minutes had a value (the latency chart has two per series: `p50_ms` and `p95_ms`);
/// - each breaker is an element with `data-breaker` = `provider/model` and `data-state` =
///   `open`, `half_open` or `closed` (a route with traffic but no breaker change is `closed`);
/// - `document.body.dataset.events` is the number of snapshots drawn, set after each redraw.
///
/// Guarantees: text from a snapshot reaches the page only through `textContent` and
/// `setAttribute`, never as markup, so a hostile route or workload name cannot inject anything;
/// a snapshot that does not parse is skipped and said so in the header.
package enum DashboardPage {
    /// The page.
    package static let html: String = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>understudy fleet</title>
        <style>
        :root{--bg:#f4f5f7;--card:#ffffff;--ink:#1b1b1b;--muted:#66707a;--line:#e1e4e8}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
        header{display:flex;flex-wrap:wrap;gap:6px 22px;align-items:baseline;padding:12px 20px;background:var(--card);
          border-bottom:1px solid var(--line);position:sticky;top:0;z-index:1}
        header h1{font-size:18px;margin:0}
        header span{color:var(--muted)}
        #status.live{color:#2e8b57}#status.down{color:#d62728}
        main{padding:8px 20px 24px;max-width:1600px}
        h2{font-size:15px;margin:20px 0 6px}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px 6px}
        .card h3{font-size:13px;font-weight:600;margin:0 0 2px;color:#333}
        .card svg{display:block;width:100%;height:auto}
        .card svg text{font-size:10px;fill:var(--muted)}
        .legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:#333;margin:0 0 8px}
        .swatch{display:inline-block;width:14px;height:4px;border-radius:2px;vertical-align:middle;margin-right:5px}
        .breakers{display:flex;flex-wrap:wrap;gap:8px}
        .breaker{display:flex;gap:8px;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px 10px}
        .breaker small{color:var(--muted)}
        .badge{display:inline-block;min-width:64px;text-align:center;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
        .badge.closed{background:#2e8b57}.badge.open{background:#d62728}.badge.half_open{background:#d98e00}
        .empty{color:var(--muted)}
        </style>
        </head>
        <body data-events="0">
        <header>
        <h1>understudy fleet</h1>
        <span id="window">waiting for the first snapshot</span>
        <span id="updated"></span>
        <span id="status">connecting</span>
        </header>
        <main>
        <h2>Breakers</h2>
        <div id="breakers" class="breakers"><span class="empty">No routes yet.</span></div>
        <h2>Every workload, per route</h2>
        <div id="fleet-legend" class="legend"></div>
        <div id="fleet" class="grid"></div>
        <div id="workloads"></div>
        <h2>Dead letters</h2>
        <p id="dead-letters" class="empty">None.</p>
        </main>
        <script>
        "use strict";
        (function () {
          const SVG = "http://www.w3.org/2000/svg";
          const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#eeca3b", "#ff9da6", "#79706e"];
          const CHARTS = [
            {name: "jobs", title: "Jobs per minute", lines: [{key: "jobs"}], format: v => v.toFixed(0)},
            {name: "success_share", title: "Success share of calls", lines: [{key: "success_share"}], max: 1,
              format: v => (v * 100).toFixed(0) + "%"},
            {name: "failovers", title: "Failovers out per minute", lines: [{key: "failovers_out"}], format: v => v.toFixed(0)},
            {name: "latency", title: "Call latency p50 / p95 (ms, p95 dashed)",
              lines: [{key: "p50_ms", label: "p50"}, {key: "p95_ms", label: "p95", dash: "5 3"}], format: v => v.toFixed(0)},
            {name: "cost", title: "Cost per minute (USD)", lines: [{key: "cost_usd"}], format: v => "$" + v.toFixed(v < 1 ? 4 : 2)},
          ];
          const W = 360, H = 150, LEFT = 48, RIGHT = 10, TOP = 8, BOTTOM = 20;
          let received = 0;
          const colours = new Map();

          function element(name, attributes, text) {
            const node = document.createElement(name);
            for (const key in attributes || {}) node.setAttribute(key, String(attributes[key]));
            if (text !== undefined) node.textContent = text;
            return node;
          }

          function svgElement(name, attributes, text) {
            const node = document.createElementNS(SVG, name);
            for (const key in attributes || {}) node.setAttribute(key, String(attributes[key]));
            if (text !== undefined) node.textContent = text;
            return node;
          }

          function colour(route) {
            if (!colours.has(route)) colours.set(route, PALETTE[colours.size % PALETTE.length]);
            return colours.get(route);
          }

          function isNumber(value) {
            return typeof value === "number" && isFinite(value);
          }

          function chart(definition, series, labels, scope, workload) {
            const card = element("div", {class: "card"});
            card.appendChild(element("h3", {}, definition.title));
            const svg = svgElement("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "data-chart": definition.name, "data-scope": scope});
            if (workload !== undefined) svg.setAttribute("data-workload", workload);
            let top = definition.max || 0;
            if (!definition.max) {
              for (const one of series) {
                for (const line of definition.lines) {
                  for (const value of one[line.key] || []) if (isNumber(value) && value > top) top = value;
                }
              }
            }
            if (!(top > 0)) top = 1;
            const count = labels.length;
            const x = index => LEFT + (count <= 1 ? (W - LEFT - RIGHT) / 2 : index * (W - LEFT - RIGHT) / (count - 1));
            const y = value => TOP + (H - TOP - BOTTOM) * (1 - Math.min(Math.max(value / top, 0), 1));
            for (const fraction of [0, 0.5, 1]) {
              const level = y(top * fraction);
              svg.appendChild(svgElement("line", {x1: LEFT, x2: W - RIGHT, y1: level, y2: level, stroke: "#e6e8eb"}));
              svg.appendChild(svgElement("text", {x: LEFT - 4, y: level + 3, "text-anchor": "end"}, definition.format(top * fraction)));
            }
            const ticks = count > 2 ? [0, Math.floor((count - 1) / 2), count - 1] : [...Array(count).keys()];
            for (const index of ticks) {
              const anchor = count > 1 && index === 0 ? "start" : count > 1 && index === count - 1 ? "end" : "middle";
              svg.appendChild(svgElement("text", {x: x(index), y: H - 5, "text-anchor": anchor}, labels[index]));
            }
            for (const one of series) {
              for (const line of definition.lines) {
                let path = "";
                let drawing = false;
                let points = 0;
                const values = Array.isArray(one[line.key]) ? one[line.key] : [];
                values.forEach((value, index) => {
                  if (!isNumber(value)) {
                    drawing = false;
                    return;
                  }
                  const left = x(index), level = y(value).toFixed(1);
                  if (!isNumber(values[index - 1]) && !isNumber(values[index + 1])) {
                    // A minute with no neighbour: a small ring, so it shows.
                    path += "M" + (left - 2.5).toFixed(1) + "," + level + " a2.5,2.5 0 1,0 5,0 a2.5,2.5 0 1,0 -5,0 ";
                  } else {
                    path += (drawing ? "L" : "M") + left.toFixed(1) + "," + level + " ";
                  }
                  drawing = true;
                  points += 1;
                });
                const drawn = svgElement("path", {
                  d: path.trim(), fill: "none", stroke: colour(one.route), "stroke-width": 1.8, "stroke-linecap": "round",
                  "stroke-linejoin": "round", "data-series": one.route, "data-line": line.key, "data-points": points,
                });
                if (line.dash) drawn.setAttribute("stroke-dasharray", line.dash);
                drawn.appendChild(svgElement("title", {}, one.route + (line.label ? " " + line.label : "")));
                svg.appendChild(drawn);
              }
            }
            card.appendChild(svg);
            return card;
          }

          function legend(series) {
            const box = element("div", {class: "legend"});
            for (const one of series) {
              const item = element("span");
              item.appendChild(element("span", {class: "swatch", style: "background:" + colour(one.route)}));
              item.appendChild(document.createTextNode(one.route));
              box.appendChild(item);
            }
            return box;
          }

          function charts(container, series, labels, scope, workload) {
            container.replaceChildren();
            if (series.length === 0) {
              container.appendChild(element("p", {class: "empty"}, "No traffic in the window."));
              return;
            }
            for (const definition of CHARTS) container.appendChild(chart(definition, series, labels, scope, workload));
          }

          function breakers(snapshot) {
            const box = document.getElementById("breakers");
            box.replaceChildren();
            const states = new Map();
            for (const breaker of snapshot.breakers || []) states.set(breaker.route, breaker);
            for (const one of snapshot.routes || []) {
              if (one.kind === "route" && !states.has(one.route)) states.set(one.route, {route: one.route, state: "closed"});
            }
            const routes = [...states.keys()].sort();
            if (routes.length === 0) box.appendChild(element("span", {class: "empty"}, "No routes yet."));
            for (const route of routes) {
              const breaker = states.get(route);
              const state = ["open", "half_open", "closed"].includes(breaker.state) ? breaker.state : "closed";
              const item = element("div", {class: "breaker", "data-breaker": route, "data-state": state});
              item.appendChild(element("span", {class: "badge " + state}, state.replace("_", "-")));
              item.appendChild(element("span", {}, route));
              const details = [];
              if (breaker.since) details.push("since " + new Date(breaker.since).toISOString().slice(11, 19) + " UTC");
              if (isNumber(breaker.trips)) details.push(breaker.trips + (breaker.trips === 1 ? " trip" : " trips") + " in window");
              if (details.length === 0) details.push("no change seen");
              item.appendChild(element("small", {}, details.join(", ")));
              box.appendChild(item);
            }
          }

          function draw(snapshot) {
            const labels = Array.isArray(snapshot.labels) ? snapshot.labels : [];
            const routes = Array.isArray(snapshot.routes) ? snapshot.routes : [];
            const windowInfo = snapshot.window || {};
            const since = String(windowInfo.since || "");
            const until = String(windowInfo.until || "");
            document.getElementById("window").textContent = since.length >= 16 && until.length >= 16
              ? "window " + since.slice(0, 10) + " " + since.slice(11, 16) + " to " + until.slice(11, 16) + " UTC (" +
                (windowInfo.minutes || 0) + " min)"
              : "window unknown";
            document.getElementById("updated").textContent =
              "snapshot " + (snapshot.generated_at || "?") + ", drawn " + new Date().toLocaleTimeString();
            for (const one of routes) colour(one.route);
            breakers(snapshot);
            const fleetLegend = document.getElementById("fleet-legend");
            fleetLegend.replaceWith(Object.assign(legend(routes), {id: "fleet-legend"}));
            charts(document.getElementById("fleet"), routes, labels, "fleet");
            const workloads = document.getElementById("workloads");
            workloads.replaceChildren();
            for (const workload of snapshot.workloads || []) {
              const series = Array.isArray(workload.routes) ? workload.routes : [];
              workloads.appendChild(element("h2", {}, "Workload " + workload.workload));
              workloads.appendChild(legend(series));
              const grid = element("div", {class: "grid", "data-workload": workload.workload});
              charts(grid, series, labels, "workload", workload.workload);
              workloads.appendChild(grid);
            }
            const letters = snapshot.dead_letters || {};
            const classes = (letters.by_class || []).map(one => one.class + " " + one.count).join(", ");
            document.getElementById("dead-letters").textContent =
              letters.total ? letters.total + " in the window: " + classes : "None in the window.";
          }

          const status = document.getElementById("status");
          const source = new EventSource("/events");
          source.addEventListener("open", () => {
            status.textContent = "live";
            status.className = "live";
          });
          source.addEventListener("error", () => {
            status.textContent = "reconnecting";
            status.className = "down";
          });
          source.addEventListener("snapshot", event => {
            let snapshot;
            try {
              snapshot = JSON.parse(event.data);
            } catch (error) {
              status.textContent = "skipped a snapshot that did not parse";
              status.className = "down";
              return;
            }
            draw(snapshot);
            received += 1;
            document.body.dataset.events = String(received);
          });
        })();
        </script>
        </body>
        </html>

        """#
}

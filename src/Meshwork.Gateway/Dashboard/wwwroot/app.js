// Meshwork dashboard: renders the snapshots and events pushed over server-sent events (no framework, no build step).
"use strict";
(function () {
  const history = new Map();     // method key -> {rate: [], p99: []}, the last HISTORY snapshots, for the charts
  const HISTORY = 60;
  const MAX_EVENTS = 200;
  const $ = (id) => document.getElementById(id);

  function text(tag, content, cls) {
    const e = document.createElement(tag);
    if (content !== undefined && content !== null) e.textContent = content;
    if (cls) e.className = cls;
    return e;
  }

  function renderMembers(snapshot) {
    $("node-name").textContent = snapshot.node ? "node " + snapshot.node : "no node";
    const alive = snapshot.members.filter((m) => m.status === "alive").length;
    $("member-count").textContent = snapshot.members.length + " members, " + alive + " alive";
    const body = $("members").tBodies[0];
    body.replaceChildren();
    for (const m of snapshot.members) {
      const row = document.createElement("tr");
      row.dataset.member = m.name;
      row.dataset.state = m.status;
      row.append(text("td", m.name + (m.self ? " (this node)" : "")), text("td", m.address), text("td", m.status, "state state-" + m.status));
      const tags = document.createElement("td");
      for (const [k, v] of Object.entries(m.tags)) tags.append(text("span", k + "=" + v, "tag"));
      row.append(tags, text("td", m.rttMs === null ? "-" : m.rttMs.toFixed(2) + " ms", "rtt"));
      body.append(row);
    }
  }

  function renderMap(snapshot) {
    const canvas = $("map");
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const points = snapshot.members.filter((m) => m.coord && m.status !== "left");
    canvas.dataset.points = String(points.length);
    if (points.length === 0) return;
    const xs = points.map((p) => p.coord.x), ys = points.map((p) => p.coord.y);
    const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
    const span = Math.max(maxX - minX, maxY - minY, 0.001);
    const pad = 40, labelRoom = 110, w = canvas.width - pad - labelRoom, h = canvas.height - 2 * pad;
    const px = (x) => pad + ((x - minX) / span) * w;
    const py = (y) => pad + ((y - minY) / span) * h;
    ctx.strokeStyle = "#2a3440";
    ctx.strokeRect(pad, pad, w, h);
    ctx.fillStyle = "#7d8a99";
    ctx.font = "11px system-ui";
    ctx.fillText("scale: " + span.toFixed(3) + " ms across", pad, canvas.height - 12);
    for (const p of points) {
      const x = px(p.coord.x), y = py(p.coord.y);
      ctx.beginPath();
      ctx.arc(x, y, p.self ? 7 : 5, 0, 2 * Math.PI);
      ctx.fillStyle = p.status === "alive" ? "#3fb950" : p.status === "failed" ? "#f85149" : "#d29922";
      ctx.fill();
      ctx.fillStyle = "#d8dee6";
      ctx.fillText(p.name, x + 9, y + 4);
    }
  }

  function renderServices(snapshot) {
    const root = $("services");
    if (snapshot.services.length === 0) return;
    root.replaceChildren();
    for (const s of snapshot.services) {
      const block = text("div", null, "service");
      block.dataset.service = s.name;
      block.append(text("h3", s.name + " (" + s.instances.length + (s.instances.length === 1 ? " instance)" : " instances)")));
      if (s.error) block.append(text("p", s.error, "state-failed"));
      const table = document.createElement("table");
      table.append(Object.assign(document.createElement("thead"), { innerHTML: "<tr><th>Instance</th><th>Version</th><th>Health</th><th>Breaker</th><th>In flight</th><th>Latency</th></tr>" }));
      const body = document.createElement("tbody");
      for (const i of s.instances) {
        const row = document.createElement("tr");
        row.dataset.instance = i.id;
        row.append(text("td", i.address), text("td", i.version), text("td", i.health), text("td", i.breaker, "breaker breaker-" + i.breaker),
          text("td", i.outstanding === undefined ? "-" : String(i.outstanding)), text("td", i.latencyMs === undefined ? "-" : i.latencyMs.toFixed(2) + " ms"));
        body.append(row);
      }
      table.append(body);
      block.append(table);
      root.append(block);
    }
  }

  function spark(values, color) {
    const c = document.createElement("canvas");
    c.className = "spark";
    c.width = 120;
    c.height = 24;
    const ctx = c.getContext("2d");
    const max = Math.max(...values, 0.000001);
    ctx.strokeStyle = color;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (i / Math.max(HISTORY - 1, 1)) * c.width, y = c.height - 2 - (v / max) * (c.height - 4);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
    return c;
  }

  function renderMethods(snapshot) {
    const body = $("methods").tBodies[0];
    body.replaceChildren();
    for (const m of snapshot.methods) {
      const key = m.side + " " + m.service + "/" + m.method;
      const h = history.get(key) || { rate: [], p99: [] };
      h.rate.push(m.rate); h.p99.push(m.p99Ms);
      if (h.rate.length > HISTORY) { h.rate.shift(); h.p99.shift(); }
      history.set(key, h);
      const row = document.createElement("tr");
      row.dataset.method = m.service + "/" + m.method;
      row.dataset.side = m.side;
      row.append(text("td", m.side), text("td", m.service + "/" + m.method), text("td", m.rate.toFixed(1) + "/s", "rate"),
        text("td", (m.errorRate * 100).toFixed(1) + " %", m.errorRate > 0 ? "state-failed" : ""),
        text("td", m.p50Ms.toFixed(2) + " ms"), text("td", m.p90Ms.toFixed(2) + " ms"), text("td", m.p99Ms.toFixed(2) + " ms"));
      const rateCell = document.createElement("td"); rateCell.append(spark(h.rate, "#58a6ff"));
      const p99Cell = document.createElement("td"); p99Cell.append(spark(h.p99, "#d29922"));
      row.append(rateCell, p99Cell);
      body.append(row);
    }
  }

  function addEvent(e) {
    const list = $("events");
    const item = document.createElement("li");
    item.dataset.kind = e.kind;
    item.append(text("span", new Date(e.time).toLocaleTimeString() + " "), text("span", e.kind, "kind kind-" + e.kind), text("span", " " + e.text));
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  }

  function render(snapshot) {
    renderMembers(snapshot);
    renderMap(snapshot);
    renderServices(snapshot);
    renderMethods(snapshot);
    document.body.dataset.updated = snapshot.time;
  }

  function connect() {
    const source = new EventSource("api/events");
    source.addEventListener("open", () => { $("connection").textContent = "live"; $("connection").className = "pill on"; });
    source.addEventListener("error", () => { $("connection").textContent = "reconnecting"; $("connection").className = "pill off"; });
    source.addEventListener("snapshot", (m) => render(JSON.parse(m.data)));
    source.addEventListener("event", (m) => addEvent(JSON.parse(m.data)));
  }

  connect();
})();

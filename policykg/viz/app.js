/* policykg responsibility network: draws the embedded data with vis-network.
 * Every value from the data reaches the document through textContent or as
 * vis-network labels drawn on a canvas; nothing is parsed as HTML.
 * window.policykg exposes the DataSets, the network and the highlight state
 * for tests and for anyone scripting the page. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("pkg-data").textContent);
  var meta = data.meta, text = data.text, styles = data.styles;
  var FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', " +
    "'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif";
  var DIM = { background: "#eceff1", border: "#cfd8dc" };
  var DIM_FONT = "#b0bec5";
  var ROLES = { lead: true, responsible: true, support: true };

  var state = {
    startedAt: performance.now(), data: data, nodes: null, edges: null, network: null,
    stabilized: false, stabilizedAt: null, selected: null,
    highlight: { selected: null, direct: [], member: [], neighbour: [] }
  };
  window.policykg = state;

  function el(tag, className, content) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (content !== undefined && content !== null) { e.textContent = String(content); }
    return e;
  }

  function format(template, n) {
    return String(template).split("{n}").join(String(n));
  }

  // A tooltip as DOM built with textContent: vis-network shows an Element as it is.
  function tipElement(tip) {
    var box = el("div", "pkg-tip");
    box.appendChild(el("div", "pkg-tip-title", tip.title));
    (tip.sub || []).forEach(function (line) { box.appendChild(el("div", "pkg-tip-sub", line)); });
    if (tip.rows && tip.rows.length) {
      var dl = el("dl", "pkg-tip-rows");
      tip.rows.forEach(function (row) {
        dl.appendChild(el("dt", null, row[0]));
        var dd = el("dd");
        row[1].forEach(function (value) { dd.appendChild(el("div", null, value)); });
        dl.appendChild(dd);
      });
      box.appendChild(dl);
    }
    return box;
  }

  function nodeStyle(n) {
    if (n.kind === "measure") {
      var colour = (styles.sectors[n.sector] || {}).color || "#e0e0e0";
      return {
        shape: "circle", margin: 4, borderWidth: 1,
        color: { background: colour, border: "#546e7a",
                 highlight: { background: colour, border: "#000000" },
                 hover: { background: colour, border: "#000000" } },
        font: { face: FONT, size: 18, color: "#212121" }
      };
    }
    if (n.kind === "agency") {
      var kind = styles.agencyKinds[n.agencyKind] || { shape: "dot", color: "#616161" };
      var style = {
        shape: kind.shape, value: Math.max(1, n.load || 0), borderWidth: 1.5,
        color: { background: kind.color, border: "#ffffff",
                 highlight: { background: kind.color, border: "#000000" },
                 hover: { background: kind.color, border: "#000000" } },
        font: { face: FONT, color: "#1a1a1a", strokeWidth: 4, strokeColor: "#ffffff" }
      };
      if (meta.lang === "en") { style.widthConstraint = { maximum: 170 }; }
      return style;
    }
    var box = n.kind === "plan" ? styles.plan : styles.document;
    return {
      shape: "box", margin: 6, borderWidth: 1,
      color: { background: box.color, border: box.border,
               highlight: { background: box.color, border: "#000000" },
               hover: { background: box.color, border: "#000000" } },
      font: { face: FONT, size: 16, color: n.kind === "plan" ? "#ffffff" : "#3e2723" },
      widthConstraint: { maximum: 200 }
    };
  }

  function edgeStyle(e) {
    var r = styles.relations[e.rel] || { color: "#9e9e9e", width: 1, dashes: false, arrow: false };
    var style = {
      color: { color: r.color, highlight: r.color, hover: r.color, opacity: 0.8 },
      width: r.width, dashes: r.dashes,
      arrows: { to: { enabled: !!r.arrow, scaleFactor: 0.5 } }
    };
    if (e.rel === "shares") {
      style.value = e.weight;
      style.color.opacity = Math.min(0.9, 0.25 + 0.12 * e.weight);
    }
    return style;
  }

  var visNodes = data.nodes.map(function (n) {
    var node = nodeStyle(n);
    node.id = n.id;
    node.label = n.label;
    node.title = tipElement(n.tip);
    node.x = n.x;
    node.y = n.y;
    node.kind = n.kind;
    node.state = "";
    return node;
  });
  var visEdges = data.edges.map(function (e) {
    var edge = edgeStyle(e);
    edge.id = e.id;
    edge.from = e.from;
    edge.to = e.to;
    edge.rel = e.rel;
    edge.title = tipElement(e.tip);
    edge.state = "";
    return edge;
  });
  var base = {};
  visNodes.forEach(function (n) { base[n.id] = { color: n.color, font: n.font, borderWidth: n.borderWidth }; });
  var baseEdge = {};
  visEdges.forEach(function (e) { baseEdge[e.id] = { color: e.color }; });
  var info = {};
  data.nodes.forEach(function (n) { info[n.id] = n; });
  // the size vis-network gives a node of this load (options.nodes.scaling), for fitting labels in view
  var maxLoad = Math.max.apply(null, [1].concat(data.nodes.map(function (n) { return n.load || 0; })));
  var minLoad = Math.min.apply(null, [maxLoad].concat(data.nodes.filter(function (n) { return n.kind === "agency"; })
    .map(function (n) { return Math.max(1, n.load || 0); })));
  var nodeSize = {};
  data.nodes.forEach(function (n) {
    if (n.kind === "agency") {
      nodeSize[n.id] = maxLoad === minLoad ? 23 : 10 + 26 * (Math.max(1, n.load) - minLoad) / (maxLoad - minLoad);
    }
  });

  // ---------------------------------------------------------------- page text

  document.getElementById("pkg-summary").textContent = [
    format(text.count_measures, meta.counts.measure),
    format(text.count_agencies, meta.counts.agency),
    meta.view === "agencies" ? format(text.count_pairs, meta.counts.pairs) : format(text.count_documents, meta.counts.document)
  ].join(" · ") + " — " + text.help;
  document.getElementById("pkg-agency-label").textContent = text.select;
  document.getElementById("pkg-clear").textContent = text.clear;
  document.getElementById("pkg-legend-title").textContent = text.legend;
  var status = document.getElementById("pkg-status");
  status.textContent = data.nodes.length ? text.loading : text.empty;

  var select = document.getElementById("pkg-agency");
  var none = el("option", null, text.none);
  none.value = "";
  select.appendChild(none);
  data.nodes.filter(function (n) { return n.kind === "agency"; })
    .sort(function (a, b) { return (b.load - a.load) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0); })
    .forEach(function (n) {
      var option = el("option", null, n.label + " (" + n.load + ")");
      option.value = n.id;
      select.appendChild(option);
    });

  // ---------------------------------------------------------------- legend

  var SVG = "http://www.w3.org/2000/svg";
  function svg(width, height) {
    var s = document.createElementNS(SVG, "svg");
    s.setAttribute("width", String(width));
    s.setAttribute("height", String(height));
    s.setAttribute("viewBox", "0 0 " + width + " " + height);
    s.setAttribute("aria-hidden", "true");
    return s;
  }
  function shapePoints(shape) {
    switch (shape) {
      case "diamond": return "8,1 15,8 8,15 1,8";
      case "triangle": return "8,1 15,14 1,14";
      case "triangleDown": return "1,2 15,2 8,15";
      case "square": return "2,2 14,2 14,14 2,14";
      case "hexagon": return "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8";
      case "star": return "8,0.5 10,6 15.5,6 11,9.5 12.8,15 8,11.6 3.2,15 5,9.5 0.5,6 6,6";
      default: return null;
    }
  }
  function glyph(shape, fill, stroke) {
    var s = svg(16, 16);
    var points = shapePoints(shape);
    var g;
    if (shape === "box") {
      g = document.createElementNS(SVG, "rect");
      g.setAttribute("x", "1"); g.setAttribute("y", "3"); g.setAttribute("width", "14");
      g.setAttribute("height", "10"); g.setAttribute("rx", "2");
    } else if (points) {
      g = document.createElementNS(SVG, "polygon");
      g.setAttribute("points", points);
    } else {
      g = document.createElementNS(SVG, "circle");
      g.setAttribute("cx", "8"); g.setAttribute("cy", "8"); g.setAttribute("r", "6.5");
    }
    g.setAttribute("fill", fill);
    g.setAttribute("stroke", stroke || "#546e7a");
    g.setAttribute("stroke-width", "1");
    s.appendChild(g);
    return s;
  }
  function lineGlyph(r) {
    var s = svg(34, 12);
    var line = document.createElementNS(SVG, "line");
    line.setAttribute("x1", "1"); line.setAttribute("y1", "6");
    line.setAttribute("x2", r.arrow ? "27" : "33"); line.setAttribute("y2", "6");
    line.setAttribute("stroke", r.color);
    line.setAttribute("stroke-width", String(Math.max(1, r.width)));
    if (r.dashes && r.dashes.join) { line.setAttribute("stroke-dasharray", r.dashes.join(" ")); }
    s.appendChild(line);
    if (r.arrow) {
      var head = document.createElementNS(SVG, "polygon");
      head.setAttribute("points", "26,2 33,6 26,10");
      head.setAttribute("fill", r.color);
      s.appendChild(head);
    }
    return s;
  }
  function legendSection(title, items) {
    if (!items.length) { return; }
    var section = el("section", "pkg-legend-section");
    section.appendChild(el("h2", null, title));
    var list = el("ul");
    items.forEach(function (item) {
      var li = el("li");
      li.appendChild(item[0]);
      li.appendChild(el("span", null, item[1]));
      list.appendChild(li);
    });
    section.appendChild(list);
    legendBody.appendChild(section);
  }
  var legendBody = document.getElementById("pkg-legend-body");
  legendSection(text.measures, Object.keys(styles.sectors).map(function (k) {
    return [glyph("circle", styles.sectors[k].color), styles.sectors[k].label];
  }));
  var kindItems = Object.keys(styles.agencyKinds).map(function (k) {
    var s = styles.agencyKinds[k];
    return [glyph(s.shape, s.color, "#ffffff"), s.label];
  });
  legendSection(text.agencies, kindItems);
  var boxes = [];
  if (meta.counts.document) { boxes.push([glyph("box", styles.document.color, styles.document.border), styles.document.label]); }
  if (data.nodes.some(function (n) { return n.kind === "plan"; })) {
    boxes.push([glyph("box", styles.plan.color, styles.plan.border), styles.plan.label]);
  }
  legendSection(text.documents, boxes);
  legendSection(text.edges, Object.keys(styles.relations).map(function (k) {
    return [lineGlyph(styles.relations[k]), styles.relations[k].label];
  }));
  legendBody.appendChild(el("p", "pkg-legend-note", meta.view === "agencies" ? text.size + "; " + text.width : text.size));

  // ---------------------------------------------------------------- network

  var options = {
    autoResize: true,
    layout: { randomSeed: meta.seed, improvedLayout: true },
    physics: {
      enabled: true,
      solver: "forceAtlas2Based",
      forceAtlas2Based: meta.view === "agencies"
        ? { gravitationalConstant: -160, centralGravity: 0.02, springLength: 170, springConstant: 0.02,
            damping: 0.6, avoidOverlap: 0.8 }
        : { gravitationalConstant: -70, centralGravity: 0.012, springLength: 70, springConstant: 0.05,
            damping: 0.6, avoidOverlap: 0.6 },
      maxVelocity: 60, minVelocity: 1, timestep: 0.45,
      stabilization: { enabled: true, iterations: 200, updateInterval: 50, fit: true }
    },
    interaction: { hover: true, tooltipDelay: 80, navigationButtons: false, keyboard: false, multiselect: false },
    nodes: { font: { face: FONT }, scaling: { min: 10, max: 36, label: { enabled: true, min: 17, max: 30, drawThreshold: 4 } } },
    edges: { smooth: false, selectionWidth: 1, hoverWidth: 0.5, scaling: { min: 1, max: 10 } }
  };

  var nodes = new vis.DataSet(visNodes);
  var edges = new vis.DataSet(visEdges);
  var container = document.getElementById("pkg-network");
  var network = new vis.Network(container, {}, options);
  state.nodes = nodes;
  state.edges = edges;
  state.network = network;

  // Pieces not joined to the largest one (the plan with the documents it repeals
  // or is based on) are pushed away by physics; set them in a column beside it.
  function gatherPieces() {
    var links = {};
    data.nodes.forEach(function (n) { links[n.id] = []; });
    data.edges.forEach(function (e) { links[e.from].push(e.to); links[e.to].push(e.from); });
    var seen = {}, pieces = [];
    data.nodes.forEach(function (n) {
      if (seen[n.id]) { return; }
      var piece = [], todo = [n.id];
      seen[n.id] = true;
      while (todo.length) {
        var id = todo.pop();
        piece.push(id);
        links[id].forEach(function (other) { if (!seen[other]) { seen[other] = true; todo.push(other); } });
      }
      pieces.push(piece);
    });
    if (pieces.length < 2) { return; }
    pieces.sort(function (a, b) { return b.length - a.length; });
    var all = network.getPositions();
    function bounds(ids) {
      var xs = ids.map(function (id) { return all[id].x; }), ys = ids.map(function (id) { return all[id].y; });
      return { left: Math.min.apply(null, xs), right: Math.max.apply(null, xs),
               top: Math.min.apply(null, ys), bottom: Math.max.apply(null, ys) };
    }
    var main = bounds(pieces[0]);
    var y = main.top;
    pieces.slice(1).forEach(function (piece) {
      var b = bounds(piece);
      var dx = main.right + 160 - b.left, dy = y - b.top;
      piece.forEach(function (id) { network.moveNode(id, all[id].x + dx, all[id].y + dy); });
      y += (b.bottom - b.top) + 80;
    });
  }

  // Fit the drawing into the part of the window the header and legend leave free.
  function fitFree() {
    var all = network.getPositions();
    var ids = Object.keys(all);
    if (!ids.length) { return; }
    // node positions, with room for the shapes and the labels drawn below them
    var box = { left: Infinity, right: -Infinity, top: Infinity, bottom: -Infinity };
    ids.forEach(function (id) {
      box.left = Math.min(box.left, all[id].x - 70);
      box.right = Math.max(box.right, all[id].x + 70);
      box.top = Math.min(box.top, all[id].y - 40);
      box.bottom = Math.max(box.bottom, all[id].y + (info[id].kind === "agency" ? 30 + 1.6 * (nodeSize[id] || 10) : 40));
    });
    var width = container.clientWidth, height = container.clientHeight;
    var left = document.getElementById("pkg-legend").offsetWidth + 16;
    var top = document.getElementById("pkg-header").offsetHeight + 16;
    if (width - left < width * 0.6) { left = 0; }
    if (height - top < height * 0.6) { top = 0; }
    var scale = Math.min((width - left - 16) / (box.right - box.left),
                         (height - top - 16) / (box.bottom - box.top), 1);
    network.moveTo({
      position: { x: (box.left + box.right) / 2 - left / (2 * scale), y: (box.top + box.bottom) / 2 - top / (2 * scale) },
      scale: scale, animation: false
    });
  }
  state.fit = fitFree;

  function settled() {
    if (state.stabilized) { return; }
    network.setOptions({ physics: { enabled: false } });
    gatherPieces();
    fitFree();
    state.stabilized = true;
    state.stabilizedAt = performance.now();
    document.body.setAttribute("data-stable", "true");
    if (data.nodes.length) { status.textContent = ""; }
  }
  network.once("stabilizationIterationsDone", settled);
  network.setData({ nodes: nodes, edges: edges });
  if (!data.nodes.length) { settled(); }

  // ---------------------------------------------------------------- highlight

  // vis-network resets a node's size to the default when its colour or font is
  // updated; a circle (sized by its label) must be given its measured size again.
  var circleSize = {};
  function measureCircles() {
    data.nodes.forEach(function (n) {
      var drawn = network.body && network.body.nodes[n.id];
      if (n.kind === "measure" && drawn && drawn.shape && drawn.shape.radius) { circleSize[n.id] = drawn.shape.radius; }
    });
  }

  function nodeLook(id, st) {
    var b = base[id];
    if (st === "dim") {
      return { color: { background: DIM.background, border: DIM.border }, font: { color: DIM_FONT }, borderWidth: 1,
               shapeProperties: { borderDashes: false } };
    }
    var look = { color: b.color, font: { color: b.font.color }, borderWidth: b.borderWidth,
                 shapeProperties: { borderDashes: false } };
    if (st === "selected" || st === "direct" || st === "member") {
      var ring = st === "selected" ? "#000000" : st === "direct" ? "#c62828" : "#f08c00";
      look.color = { background: b.color.background, border: ring,
                     highlight: { background: b.color.background, border: ring },
                     hover: { background: b.color.background, border: ring } };
      look.borderWidth = st === "selected" ? 4 : 3;
      if (st === "member") { look.shapeProperties = { borderDashes: [4, 3] }; }
    }
    return look;
  }

  function highlight(agencyId) {
    if (agencyId && !info[agencyId]) { agencyId = null; }
    var direct = {}, member = {}, neighbour = {}, context = {};
    if (agencyId) {
      var collectives = {};
      (info[agencyId].memberOf || []).forEach(function (c) { collectives[c] = true; });
      data.edges.forEach(function (e) {
        if (ROLES[e.rel]) {
          if (e.to === agencyId) { direct[e.from] = true; }
          else if (collectives[e.to]) { member[e.from] = true; }
        } else if (e.rel === "shares") {
          if (e.from === agencyId) { neighbour[e.to] = true; }
          if (e.to === agencyId) { neighbour[e.from] = true; }
        }
      });
      Object.keys(direct).forEach(function (m) { delete member[m]; });
      data.edges.forEach(function (e) {
        if (direct[e.from] || member[e.from]) { context[e.to] = true; }
      });
      Object.keys(collectives).forEach(function (c) { context[c] = true; });
    }
    var stateOf = {};
    if (!Object.keys(circleSize).length) { measureCircles(); }
    var nodeUpdates = data.nodes.map(function (n) {
      var st = !agencyId ? "" : n.id === agencyId ? "selected" : direct[n.id] ? "direct" : member[n.id] ? "member"
        : neighbour[n.id] ? "neighbour" : context[n.id] ? "context" : "dim";
      stateOf[n.id] = st;
      var look = nodeLook(n.id, st);
      if (circleSize[n.id]) { look.size = circleSize[n.id]; }
      look.id = n.id;
      look.state = st;
      return look;
    });
    var edgeUpdates = data.edges.map(function (e) {
      var dim = agencyId && (stateOf[e.from] === "dim" || stateOf[e.to] === "dim" ||
        (e.rel === "shares" && e.from !== agencyId && e.to !== agencyId));
      return { id: e.id, state: dim ? "dim" : "", color: dim ? { color: DIM.border, highlight: DIM.border, hover: DIM.border, opacity: 0.5 }
        : baseEdge[e.id].color };
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    state.selected = agencyId || null;
    state.highlight = {
      selected: agencyId || null,
      direct: Object.keys(direct).sort(),
      member: Object.keys(member).sort(),
      neighbour: Object.keys(neighbour).sort()
    };
    document.body.setAttribute("data-selected", agencyId || "");
    select.value = agencyId || "";
  }
  state.highlightAgency = highlight;

  select.addEventListener("change", function () { highlight(select.value || null); });
  document.getElementById("pkg-clear").addEventListener("click", function () { highlight(null); });
  network.on("click", function (params) {
    if (params.nodes.length) {
      var n = info[params.nodes[0]];
      if (n && n.kind === "agency") { highlight(n.id); }
    } else if (!params.edges.length) {
      highlight(null);
    }
  });
  if (meta.focus) { highlight(meta.focus); }
}());

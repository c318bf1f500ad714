/* OneMap 导出地图: the current map view as a PNG with a title line and the legend of the visible
 * layers (clientside callback "onemap_export.exportMap").
 *
 * The map (tiles that loaded, admin outlines, hexagon canvases, markers, analysis layers, scale)
 * is drawn by the vendored html-to-image (assets/vendor/html-to-image.js, MIT), offline: tiles
 * that failed to load are left out, resources that cannot be fetched become a transparent
 * placeholder. The legend blocks are copies of the left panel's legends (the layers switched
 * on), the analysis result's legend and the boundary lines; they are laid out in an off-screen
 * sheet (title, note, map image, legend strip) that is drawn once more and downloaded as
 * onemap_<unit or region>_<YYYYMMDD-HHMM>.png. Texts come from the page (map-export-config) and
 * are set with textContent only.
 */
(function () {
  "use strict";

  const BLANK = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
  const LEGEND_WIDTH = 250;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function colon(cfg) { return cfg.lang === "en" ? ": " : "："; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function stamp(d) {
    return d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()) + "-" + pad(d.getHours()) + pad(d.getMinutes());
  }

  function when(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  /* a file-name part: no path separators, reserved characters or spaces */
  function safe(text) {
    return String(text || "").trim().replace(/[\\/:*?"<>|\s]+/g, "_").slice(0, 60) || "map";
  }

  /* map nodes left out of the image: controls one clicks, tiles that never loaded */
  function keep(node) {
    const cls = node.classList;
    if (!cls) { return true; }
    if (cls.contains("leaflet-control-zoom") || cls.contains("leaflet-draw") || cls.contains("om-export")) {
      return false;
    }
    return !(node.tagName === "IMG" && cls.contains("leaflet-tile") && !cls.contains("leaflet-tile-loaded"));
  }

  /* the left panel's layers that are switched on: {layer, title, legend (a copy)} */
  function visibleLayers(minClass) {
    const out = [];
    document.querySelectorAll(".om-left .om-layer").forEach(function (row) {
      const box = row.querySelector(".om-toggle input");
      if (!box || !box.checked) { return; }
      const layer = row.id.replace(/^map-layer-/, "");
      const label = row.querySelector(".om-toggle label");
      const legend = row.querySelector(".om-legend");
      const copy = legend ? legend.cloneNode(true) : null;
      if (copy && minClass[layer] !== undefined) {  // hazard classes below the threshold are not drawn
        copy.querySelectorAll(".om-legend-row").forEach(function (r, k) {
          if (k < minClass[layer]) { r.classList.add("om-export-dim"); }
        });
      }
      out.push({ layer: layer, title: (label ? label.textContent : layer).trim(), legend: copy });
    });
    return out;
  }

  /* the analysis result on the map, if any: {title, legend (a copy or null)} */
  function analysisShown() {
    const result = document.querySelector("#ana-result .om-ana-result");
    if (!result) { return null; }
    const head = result.querySelector("h4");
    // one titled block per layer the result draws (mapapp.map_legend): hexagons, choropleth, marks
    const blocks = result.querySelectorAll(".om-legend-block");
    let legend = null;
    if (blocks.length) {
      legend = el("div", "om-legend");
      blocks.forEach(function (b) { legend.appendChild(b.cloneNode(true)); });
    }
    return { title: head ? head.textContent.trim() : "", legend: legend };
  }

  function boundaryLegend(cfg, zoom, unit) {
    const box = el("div", "om-legend");
    (cfg.boundaries || []).forEach(function (b) {
      if ((zoom || 0) < (b.minZoom || 0)) { return; }
      const row = el("div", "om-legend-row");
      const line = el("span", "om-export-line");
      line.style.borderTopColor = b.color;
      line.style.borderTopWidth = Math.max(1, Math.round(b.weight)) + "px";
      if (b.dashArray) { line.style.borderTopStyle = "dashed"; }
      row.appendChild(line);
      row.appendChild(el("span", null, b.label));
      box.appendChild(row);
    });
    if (unit) {
      const row = el("div", "om-legend-row");
      const line = el("span", "om-export-line");
      line.style.borderTopColor = "#d7301f";
      line.style.borderTopWidth = "3px";
      row.appendChild(line);
      row.appendChild(el("span", null, cfg.text.selected + colon(cfg) + unit.name));
      box.appendChild(row);
    }
    return box;
  }

  /* the off-screen sheet: title, sub line, synthetic note, then the map image and the legend */
  function sheet(cfg, mapUrl, w, h, layers, analysis, zoom, unit, now) {
    const text = cfg.text;
    const root = el("div", "om-export-sheet");
    root.style.position = "fixed";
    root.style.left = "-100000px";
    root.style.top = "0";
    root.style.width = (w + LEGEND_WIDTH) + "px";
    const head = el("div", "om-export-head");
    head.appendChild(el("div", "om-export-title", (unit ? unit.name + " · " : "") + text.title));
    head.appendChild(el("div", "om-export-sub", cfg.region + " · " + text.date + " " + when(now)));
    const synthetic = cfg.synthetic || [];
    const fake = layers.filter(function (l) { return synthetic.indexOf(l.layer) >= 0; }).map(function (l) { return l.title; });
    if (analysis && synthetic.indexOf("analysis") >= 0) { fake.push(text.analysis); }
    if (fake.length) {
      head.appendChild(el("div", "om-export-note", text.synthetic.replace("{layers}", fake.join(cfg.lang === "en" ? ", " : "、"))));
    }
    root.appendChild(head);
    const body = el("div", "om-export-body");
    const img = el("img", "om-export-map");
    img.src = mapUrl;
    img.style.width = w + "px";
    img.style.height = h + "px";
    img.style.display = "block";
    body.appendChild(img);
    const legend = el("div", "om-export-legend");
    legend.appendChild(el("h4", null, text.legend));
    if (analysis) {
      legend.appendChild(el("h5", null, text.analysis + colon(cfg) + analysis.title));
      if (analysis.legend) { legend.appendChild(analysis.legend); }
    }
    layers.forEach(function (l) {
      legend.appendChild(el("h5", null, l.title));
      if (l.legend) { legend.appendChild(l.legend); }
    });
    legend.appendChild(el("h5", null, text.boundaries));
    legend.appendChild(boundaryLegend(cfg, zoom, unit));
    body.appendChild(legend);
    root.appendChild(body);
    return root;
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }

  function toBlob(canvas) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (b) { return b ? resolve(b) : reject(new Error("empty image")); }, "image/png");
    });
  }

  async function exportMap(nClicks, cfg, unit, zoom, minClasses, minIds) {
    const nu = window.dash_clientside.no_update;
    if (!nClicks || !cfg) { return nu; }
    const text = cfg.text;
    const lib = window.htmlToImage;
    const mapEl = document.getElementById("map-leaflet");
    const button = document.getElementById("map-export-go");
    if (!lib || !mapEl || !mapEl.clientWidth) { return text.failed.replace("{detail}", text.no_map); }
    const minClass = {};
    (minIds || []).forEach(function (id, i) { minClass[id.layer] = Number(minClasses[i] || 0); });
    const ratio = Math.min(2, Math.max(1, window.devicePixelRatio || 1));
    const common = { pixelRatio: ratio, skipFonts: true, imagePlaceholder: BLANK, cacheBust: false };
    let host = null;
    if (button) { button.disabled = true; }
    if (window.dash_clientside.set_props) { window.dash_clientside.set_props("map-export-status", { children: text.running }); }
    try {
      const now = new Date();
      const w = mapEl.clientWidth, h = mapEl.clientHeight;
      const bg = getComputedStyle(mapEl).backgroundColor || "#f4f1ea";
      const mapCanvas = await lib.toCanvas(mapEl, Object.assign({ width: w, height: h, filter: keep, backgroundColor: bg }, common));
      const layers = visibleLayers(minClass);
      const analysis = analysisShown();
      host = sheet(cfg, mapCanvas.toDataURL("image/png"), w, h, layers, analysis, zoom, unit, now);
      document.body.appendChild(host);
      const img = host.querySelector("img.om-export-map");
      if (img.decode) { await img.decode(); }
      const width = host.offsetWidth, height = host.offsetHeight;
      const canvas = await lib.toCanvas(host, Object.assign({
        width: width, height: height, backgroundColor: "#ffffff",
        style: { position: "static", left: "0", top: "0" },
      }, common));
      const name = "onemap_" + safe(unit ? unit.name : cfg.region) + "_" + stamp(now) + ".png";
      const box = img.getBoundingClientRect(), root = host.getBoundingClientRect();
      window.onemap = Object.assign(window.onemap || {}, { lastExport: {
        name: name, ratio: ratio, width: width, height: height, layers: layers.map(function (l) { return l.layer; }),
        analysis: analysis ? analysis.title : null, note: (host.querySelector(".om-export-note") || {}).textContent || null,
        map: { x: box.left - root.left, y: box.top - root.top, width: w, height: h },
      } });
      download(await toBlob(canvas), name);
      return text.done.replace("{name}", name);
    } catch (err) {
      return text.failed.replace("{detail}", (err && err.message) || String(err));
    } finally {
      if (host) { host.remove(); }
      if (button) { button.disabled = false; }
    }
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, { onemap_export: { exportMap: exportMap } });
})();

/* OneMap client side: map style/point functions (read through dash-leaflet Namespace
 * "onemap.map") and clientside callbacks ("onemap.cb").
 *
 * Hexagons arrive as compact parallel arrays (H3 ids, classes, values) and become polygons
 * here with the vendored h3-js (assets/vendor). Names from data files are only ever set with
 * textContent, never as HTML. GeoJSON is [lng, lat]; Leaflet is [lat, lng].
 */
(function () {
  "use strict";

  function textIcon(text, className, size) {
    const el = document.createElement("div");
    el.className = className;
    el.textContent = text;
    return L.divIcon({ html: el, className: "om-divicon", iconSize: size || null });
  }

  function svgMarker(shape, fill, stroke, px) {
    const s = px;
    const h = s / 2;
    let body;
    if (shape === "star" || shape === "star-open") {
      const pts = [];
      for (let i = 0; i < 10; i++) {
        const r = i % 2 === 0 ? h - 1 : h * 0.45;
        const a = (Math.PI / 5) * i - Math.PI / 2;
        pts.push((h + r * Math.cos(a)).toFixed(1) + "," + (h + r * Math.sin(a)).toFixed(1));
      }
      const f = shape === "star" ? fill : "#ffffff";
      body = '<polygon points="' + pts.join(" ") + '" fill="' + f + '" stroke="' + (shape === "star" ? stroke : fill) + '" stroke-width="' + (shape === "star" ? 1 : 2) + '"/>';
    } else if (shape === "diamond") {
      body = '<polygon points="' + h + ",1 " + (s - 1) + "," + h + " " + h + "," + (s - 1) + " 1," + h + '" fill="' + fill + '" stroke="' + stroke + '" stroke-width="1"/>';
    } else if (shape === "square") {
      body = '<rect x="1.5" y="1.5" width="' + (s - 3) + '" height="' + (s - 3) + '" fill="' + fill + '" stroke="' + stroke + '" stroke-width="1.5"/>';
    } else {
      body = '<circle cx="' + h + '" cy="' + h + '" r="' + (h - 1.5) + '" fill="' + fill + '" stroke="' + stroke + '" stroke-width="1.5"/>';
    }
    // colours and shapes come from mapapp/style.py (never from data files)
    return L.divIcon({
      html: '<svg width="' + s + '" height="' + s + '" viewBox="0 0 ' + s + " " + s + '">' + body + "</svg>",
      className: "om-symbol", iconSize: [s, s], iconAnchor: [h, h],
    });
  }

  function tooltipEl(text) {
    const el = document.createElement("span");
    el.textContent = text;
    return el;
  }

  /* the analysis overlay's colours: mapapp.map_legend.OVERLAY_COLOURS, through the hideout */
  function overlayColours(ctx) {
    return (ctx && ctx.hideout && ctx.hideout.colours) || {};
  }

  function opacityOf(ctx) {
    const o = ctx && ctx.hideout && ctx.hideout.opacity;
    return typeof o === "number" ? o : 1;
  }

  /* drawn shapes <-> the draw= value of the link (format and limits: mapapp/drawstate.py) */
  const DRAW_MAX_CHARS = 1500;
  function drawNum(x) { return String(Number(Number(x).toFixed(4))); }
  function encodeDrawn(geojson) {
    const items = [];
    ((geojson && geojson.features) || []).forEach(function (f) {
      const g = f && f.geometry;
      if (!g) { return; }
      let kind = null, pts = null;
      if (g.type === "LineString") { kind = "l"; pts = g.coordinates; }
      if (g.type === "Polygon" && g.coordinates && g.coordinates[0]) {
        kind = "p";
        pts = g.coordinates[0].slice(0, -1);  /* the closing vertex is implied */
      }
      if (!kind || !pts || !pts.length) { return; }
      items.push(kind + pts.map(function (p) { return drawNum(p[0]) + "," + drawNum(p[1]); }).join(","));
    });
    return items.join("~");
  }
  /* leaflet-draw's own look of a new shape, so a restored one looks the same */
  const DRAW_STYLE = { color: "#3388ff", weight: 4, opacity: 0.5 };

  const map = {
    /* the drawing toolbar is ready: put back the shapes of the link (the server decoded and
     * checked them into the store map-draw-init); dash-leaflet then reads the toolbar's layer
     * into the EditControl's geojson, so the read-out and the event polygon follow */
    drawMounted: function (e) {
      const group = e && e.instance && e.instance.options && e.instance.options.edit
        && e.instance.options.edit.featureGroup;
      const api = window.dash_component_api;
      const init = api && api.getLayout ? api.getLayout("map-draw-init") : null;
      const shapes = (init && init.props && init.props.data) || [];
      if (!group || !window.L) { return; }
      shapes.forEach(function (s) {
        const layer = s.kind === "line" ? L.polyline(s.points, Object.assign({ fill: false }, DRAW_STYLE))
          : L.polygon(s.points, Object.assign({ fill: true, fillOpacity: 0.2 }, DRAW_STYLE));
        group.addLayer(layer);
      });
    },
    hexStyle: function (feature, context) {
      const hide = context.hideout || {};
      const palette = hide.palette || ["#cccccc"];
      const cls = Math.min(feature.properties.c, palette.length - 1);
      const op = opacityOf(context);
      if (hide.mode === "outline") {  // a second or later hazard: its class as a coloured outline
        return { fill: false, stroke: true, color: palette[cls], weight: 1.6, opacity: Math.max(op, 0.9) };
      }
      // a hairline in the fill colour closes the anti-aliasing seams between neighbouring hexagons
      return { fillColor: palette[cls], fillOpacity: op, stroke: true, color: palette[cls], weight: 1, opacity: op };
    },
    boundaryStyle: function (feature, context) {
      const hide = context.hideout || {};
      const base = (hide.styles || {})[feature.properties.level] || { color: "#666", weight: 1 };
      const selected = hide.selected && hide.selected === feature.properties.adcode;
      const minZoom = (hide.minZoom || {})[feature.properties.level] || 0;
      const visible = (hide.zoom || 0) >= minZoom;
      return {
        color: selected ? "#d7301f" : base.color,
        weight: selected ? 3.5 : visible ? base.weight : 0,
        dashArray: selected ? null : base.dashArray || null,
        fill: false, opacity: visible || selected ? 1 : 0,
      };
    },
    labelFilter: function (feature, context) {
      const hide = context.hideout || {};
      const range = (hide.zoomRange || {})[feature.properties.level] || [0, 99];
      const z = hide.zoom || 0;
      return z >= range[0] && z < range[1];
    },
    labelPoint: function (feature, latlng) {
      // in the labels' own pane (mapapp/pages/map.py), above the facility markers and hexagons
      return L.marker(latlng, {
        icon: textIcon(feature.properties.name, "om-label om-label-" + feature.properties.level),
        interactive: false, keyboard: false, pane: "om-labels",
      });
    },
    parkPoint: function (feature, latlng, context) {
      const hide = context.hideout || {};
      const p = feature.properties;
      const shape = (hide.shapes || {})[p.level] || "circle";
      const fill = (hide.roles || {})[p.role] || "#555555";
      const m = L.marker(latlng, { icon: svgMarker(shape, fill, "#222222", 20), opacity: opacityOf(context) });
      m.bindTooltip(tooltipEl(p.name));
      return m;
    },
    reservePoint: function (feature, latlng, context) {
      const hide = context.hideout || {};
      const p = feature.properties;
      const fill = (hide.tiers || {})[p.tier] || "#555555";
      const size = { national: 16, provincial: 14, municipal: 12 }[p.tier] || 10;
      const m = L.marker(latlng, { icon: svgMarker("square", fill, "#ffffff", size), opacity: opacityOf(context) });
      m.bindTooltip(tooltipEl(p.name));
      return m;
    },
    enterprisePoint: function (feature, latlng, context) {
      const hide = context.hideout || {};
      const p = feature.properties;
      const op = opacityOf(context);
      if (p.agg) {  // a hexagon's count at low zoom
        // two or more (an enterprise alone in its hexagon comes as itself: drawn below)
        const n = p.count;
        // small and neutral, so labels and hazard colours stay readable beneath
        const px = Math.round(13 + 7 * Math.log10(n));
        const el = document.createElement("div");
        el.className = "om-agg";
        el.style.width = el.style.height = el.style.lineHeight = px + "px";
        el.style.opacity = op;
        el.textContent = n >= 1000 ? (n / 1000).toFixed(1) + "k" : String(n);
        return L.marker(latlng, { icon: L.divIcon({ html: el, className: "om-divicon", iconSize: [px, px] }) });
      }
      const colour = (hide.chains || {})[(p.chains || [])[0]] || "#8C8C8C";
      const m = L.circleMarker(latlng, {
        radius: p.leading ? 7 : p.above_size ? 5 : 3.5, color: p.leading ? "#000000" : "#ffffff",
        weight: p.leading ? 2 : 0.8, fillColor: colour, fillOpacity: 0.9 * op, opacity: op,
        bubblingMouseEvents: false,
      });
      m.bindTooltip(tooltipEl(p.name));
      return m;
    },
    /* analysis choropleth: units shaded by class c of the run's palette */
    choroStyle: function (feature, context) {
      const hide = context.hideout || {};
      const palette = hide.palette || ["#cccccc"];
      const cls = Math.min(feature.properties.c || 0, palette.length - 1);
      return { fillColor: palette[cls], fillOpacity: opacityOf(context), color: "#555555", weight: 0.6 };
    },
    /* analysis overlay: dispatch lines (green: meets its standard), event areas, sites */
    analysisStyle: function (feature, context) {
      const p = feature.properties || {};
      const col = overlayColours(context);
      if (feature.geometry && feature.geometry.type === "LineString") {
        const ok = p.meets_standard;
        return { color: ok === false ? col.line_late : ok === true ? col.line_ok : col.line,
                 weight: p.kind === "reserve" ? 2.5 : 1.5, opacity: 0.85, dashArray: p.kind === "reserve" ? null : "4 4" };
      }
      return { color: col.area, weight: 2, fillOpacity: 0.08, dashArray: "6 4" };
    },
    analysisPoint: function (feature, latlng, context) {
      const p = feature.properties || {};
      const col = overlayColours(context);
      let m;
      if (p.kind === "site" || p.kind === "epicentre" || p.kind === "event") {
        const el = document.createElement("div");
        el.className = "om-site-marker" + (p.kind === "site" ? "" : " om-event-marker");
        el.style.background = p.kind === "site" ? col.site : col.event;
        el.textContent = p.kind === "site" ? String(p.order || "") : "✱";
        m = L.marker(latlng, { icon: L.divIcon({ html: el, className: "om-divicon", iconSize: [24, 24], iconAnchor: [12, 12] }) });
      } else {
        m = L.circleMarker(latlng, { radius: 5, color: "#ffffff", weight: 1, fillColor: p.kind === "reserve" ? col.reserve : col.enterprise, fillOpacity: 0.95 });
      }
      const text = (p.name || "") + (typeof p.hours === "number" ? " · " + p.hours.toFixed(1) + " h" : "");
      m.bindTooltip(tooltipEl(text), { permanent: p.kind === "site" || (p.label === true), direction: "right", className: "om-ana-tip" });
      return m;
    },
    clusterIcon: function (feature, latlng, index, context) {
      const n = feature.properties.point_count;
      const px = Math.round(20 + 8 * Math.log10(Math.max(n, 1)));
      const el = document.createElement("div");
      el.className = "om-agg";
      el.style.width = el.style.height = el.style.lineHeight = px + "px";
      el.textContent = String(n);
      return L.marker(latlng, { icon: L.divIcon({ html: el, className: "om-divicon", iconSize: [px, px] }) });
    },
  };

  /* hexagons as GeoJSON; ``scale`` < 1 shrinks each towards its centre (an outlined hazard:
   * separate rings read as a texture over the filled hazard instead of a second lattice) */
  function hexFeatures(payload, scale) {
    const features = [];
    if (!payload || !payload.cells || !window.h3) { return features; }
    const cells = payload.cells, cls = payload.cls, val = payload.value;
    const k = scale || 1;
    for (let i = 0; i < cells.length; i++) {
      let ring = window.h3.cellToBoundary(cells[i], true);
      if (k !== 1) {
        const c = window.h3.cellToLatLng(cells[i]);
        ring = ring.map(function (p) { return [c[1] + k * (p[0] - c[1]), c[0] + k * (p[1] - c[0])]; });
      }
      features.push({
        type: "Feature", id: cells[i],
        geometry: { type: "Polygon", coordinates: [ring] },
        properties: { c: cls[i], v: val[i] },
      });
    }
    return features;
  }
  const OUTLINE_SCALE = 0.62;

  /* the open card's target into the link (a shared link and a language switch reopen it) */
  function withCardInUrl(target) {
    const q = new URLSearchParams(window.location.search);
    q.set("card", target);
    const url = window.location.pathname + "?" + q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
    window.history.replaceState(window.history.state, "", url);
    return target;
  }

  function currentQuery(state) {
    const q = new URLSearchParams();
    if (state.center && state.zoom !== undefined && state.zoom !== null) {
      q.set("lat", Number(state.center.lat !== undefined ? state.center.lat : state.center[0]).toFixed(5));
      q.set("lng", Number(state.center.lng !== undefined ? state.center.lng : state.center[1]).toFixed(5));
      q.set("z", String(state.zoom));
    }
    q.set("layers", state.layers.join(","));
    q.set("hz", state.hazards.join(","));
    if (state.opacity.length) { q.set("op", state.opacity.join(",")); }
    if (state.chains && state.chains.length) { q.set("chains", state.chains.join(",")); }
    if (state.levels && state.levels.length) { q.set("levels", state.levels.join(",")); }
    if (state.tiers && state.tiers.length) { q.set("tiers", state.tiers.join(",")); }
    if (state.flags && state.flags.indexOf("above") >= 0) { q.set("above", "1"); }
    if (state.flags && state.flags.indexOf("leading") >= 0) { q.set("leading", "1"); }
    if (state.minc.length) { q.set("minc", state.minc.join(",")); }
    if (state.unit) { q.set("unit", state.unit); }
    if (state.basemap && state.basemap !== "offline") { q.set("base", state.basemap); }
    const card = new URLSearchParams(window.location.search).get("card");  /* set by cardTarget */
    if (card) { q.set("card", card); }
    const drawn = new URLSearchParams(window.location.search).get("draw");  /* set by drawToUrl */
    if (drawn) { q.set("draw", drawn); }
    q.set("lang", state.lang);
    return q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
  }

  const cb = {
    /* compact hexagons + opacity -> GeoJSON data and hideout of one hazard layer */
    hexLayers: function (payloads, opacities, toggles, hideouts, layerIds, payloadIds, opacityIds, toggleIds) {
      // every hazard layer at once: the first hazard on (the tree's order) is filled, later ones
      // drawn as rings (mapapp.map_legend.hazard_draw_modes); features are rebuilt only for a
      // layer whose hexagons arrived or whose mode changed
      const on = (toggleIds || []).filter(function (id, i) { return toggles[i] && toggles[i].length; })
        .map(function (id) { return id.layer; });
      const byLayer = function (ids, values) {
        const out = {};
        (ids || []).forEach(function (id, i) { out[id.layer] = values[i]; });
        return out;
      };
      const payload = byLayer(payloadIds, payloads), opacity = byLayer(opacityIds, opacities);
      const arrived = {};
      window.dash_clientside.callback_context.triggered.forEach(function (tr) {
        const id = tr.prop_id.slice(0, tr.prop_id.lastIndexOf("."));
        if (id.charAt(0) === "{" && id.indexOf('"map-hex"') >= 0) {
          try { arrived[JSON.parse(id).layer] = true; } catch (err) { /* not an id */ }
        }
      });
      const data = [], hides = [];
      const keep = window.dash_clientside.no_update;
      (layerIds || []).forEach(function (id, i) {
        const old = hideouts[i] || {};
        const mode = on.indexOf(id.layer) > 0 ? "outline" : "fill";
        const op = opacity[id.layer];
        const rebuild = arrived[id.layer] || old.mode !== mode;
        data.push(rebuild ? { type: "FeatureCollection",
          features: hexFeatures(payload[id.layer], mode === "outline" ? OUTLINE_SCALE : 1) } : keep);
        hides.push(old.mode === mode && old.opacity === op ? keep : Object.assign({}, old, { opacity: op, mode: mode }));
      });
      return [data, hides];
    },
    /* analysis result (hexagons + palette) + opacity -> the analysis hexagon layer */
    analysisLayer: function (payload, opacity, hideout) {
      const hide = Object.assign({}, hideout || {}, { opacity: opacity, palette: (payload && payload.palette) || [] });
      const ctx = window.dash_clientside.callback_context;
      const onlyOpacity = ctx.triggered.length === 1 && ctx.triggered[0].prop_id.indexOf("opacity") >= 0;
      if (onlyOpacity) { return [window.dash_clientside.no_update, hide]; }
      return [{ type: "FeatureCollection", features: hexFeatures(payload) }, hide];
    },
    /* opacity slider -> a point layer's hideout */
    pointOpacity: function (opacity, hideout) {
      return Object.assign({}, hideout || {}, { opacity: opacity });
    },
    /* map zoom -> boundary and label hideouts (what shows at which zoom) */
    basemapZoom: function (zoom, unit, bHide, lHide) {
      return [Object.assign({}, bHide || {}, { zoom: zoom, selected: unit || null }),
              Object.assign({}, lHide || {}, { zoom: zoom })];
    },
    /* the whole view -> the address bar (replaceState: no reload, no history spam) */
    writeUrl: function (center, zoom, toggles, opacities, chains, levels, tiers, flags, mincs, unit,
                        basemap, toggleIds, opacityIds, mincIds, config) {
      if (!config) { return window.dash_clientside.no_update; }
      const layers = [], hazards = [], opacity = [];
      toggleIds.forEach(function (id, i) {
        if (toggles[i] && toggles[i].length) {
          (id.kind === "hazard" ? hazards : layers).push(id.layer);
        }
      });
      opacityIds.forEach(function (id, i) {
        const byDefault = (config.opacityDefault || {})[id.kind];
        if (opacities[i] !== null && opacities[i] !== undefined && opacities[i] !== byDefault) {
          opacity.push(id.layer + ":" + opacities[i]);
        }
      });
      const minc = [];
      mincIds.forEach(function (id, i) {
        if (mincs[i] !== null && mincs[i] !== undefined && mincs[i] !== config.minClassDefault) {
          minc.push(id.layer + ":" + mincs[i]);
        }
      });
      const query = currentQuery({
        center: center, zoom: zoom, layers: layers, hazards: hazards, opacity: opacity,
        chains: chains, levels: levels, tiers: tiers, flags: flags, minc: minc, unit: unit,
        basemap: basemap, lang: config.lang,
      });
      const url = window.location.pathname + "?" + query;
      if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", url);
      }
      return query;
    },
    /* language buttons: reload the same view in the other language */
    switchLang: function (nZh, nEn, target) {
      const ctx = window.dash_clientside.callback_context;
      if (!ctx.triggered.length || !ctx.triggered[0].value) { return window.dash_clientside.no_update; }
      const lang = ctx.triggered[0].prop_id.indexOf("en") >= 0 ? "en" : "zh";
      const q = new URLSearchParams(window.location.search);
      if (q.get("lang") === lang) { return window.dash_clientside.no_update; }
      q.set("lang", lang);
      if (target) { q.set("card", target); } else { q.delete("card"); }  /* mapapp/cardstate.py */
      window.location.assign(window.location.pathname + "?" + q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":"));
      return lang;
    },
    /* what the open card shows, as the card= value of the URL (mapapp/cardstate.py) */
    cardTarget: function (cell, parks, reserves, enterprises) {
      const ctx = window.dash_clientside.callback_context;
      const nu = window.dash_clientside.no_update;
      if (!ctx.triggered.length) { return nu; }
      const id = ctx.triggered[0].prop_id.split(".")[0];
      if (id === "map-cell") { return cell ? withCardInUrl("cell:" + cell) : nu; }
      const click = { "map-points-parks": parks, "map-points-reserves": reserves,
                      "map-points-enterprises": enterprises }[id];
      const props = (click && click.properties) || {};
      if (props.agg || props.id === undefined || props.id === null) { return nu; }
      return withCardInUrl(id.replace("map-points-", "") + ":" + props.id);
    },
    /* the drawn shapes -> draw= of the link; beyond the limit the link keeps none and says why */
    drawToUrl: function (geojson, config) {
      const value = encodeDrawn(geojson);
      const q = new URLSearchParams(window.location.search);
      const fits = value.length <= ((config && config.drawMaxChars) || DRAW_MAX_CHARS);
      if (value && fits) { q.set("draw", value); } else { q.delete("draw"); }
      const url = window.location.pathname + "?" + q.toString().replace(/%2C/g, ",").replace(/%3A/g, ":")
        .replace(/%7E/g, "~");
      if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", url);
      }
      if (fits) { return ""; }
      /* the message's text comes from mapapp/map_text.py (draw.too_long) through map-config */
      return ((config && config.drawTooLong) || "").replace("{n}", value.length.toLocaleString("en-US"));
    },
    /* the selected cell's outline */
    cellOutline: function (cell) {
      if (!cell || !window.h3) { return { type: "FeatureCollection", features: [] }; }
      return { type: "FeatureCollection", features: [{ type: "Feature", properties: {},
        geometry: { type: "Polygon", coordinates: [window.h3.cellToBoundary(cell, true)] } }] };
    },
  };

  window.onemap = Object.assign(window.onemap || {}, { map: map });
  window.dash_clientside = Object.assign({}, window.dash_clientside, { onemap: cb });
})();

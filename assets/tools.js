/* OneMap map tools and floating panels (loaded after map.js):
 * - onemap.cb.panels: open/close the floating panels (mapapp/panels.py);
 * - onemap.map.mouseMove: the coordinate readout, WGS-84 and GCJ-02 (for AMap users);
 * - onemap.gcj02: WGS-84 -> GCJ-02 (the same formula as etl/crs.py, tested against it);
 * - the loading indicator: shown while a Dash callback is pending;
 * - Chinese texts of the drawing toolbar (leaflet-draw's L.drawLocal) in Chinese mode.
 */
(function () {
  "use strict";

  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  const CHINA = [72.004, 0.8293, 137.8347, 55.8271];

  function gcj02(lon, lat) {
    if (!(lon >= CHINA[0] && lon <= CHINA[2] && lat >= CHINA[1] && lat <= CHINA[3])) { return [lon, lat]; }
    const x = lon - 105.0, y = lat - 35.0, pi = Math.PI;
    const sq = Math.sqrt(Math.abs(x));
    const common = (20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0 / 3.0;
    let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq + common
      + (20.0 * Math.sin(y * pi) + 40.0 * Math.sin(y / 3.0 * pi)) * 2.0 / 3.0
      + (160.0 * Math.sin(y / 12.0 * pi) + 320.0 * Math.sin(y * pi / 30.0)) * 2.0 / 3.0;
    let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq + common
      + (20.0 * Math.sin(x * pi) + 40.0 * Math.sin(x / 3.0 * pi)) * 2.0 / 3.0
      + (150.0 * Math.sin(x / 12.0 * pi) + 300.0 * Math.sin(x / 30.0 * pi)) * 2.0 / 3.0;
    const rad = lat / 180.0 * pi;
    const magic = 1.0 - EE * Math.sin(rad) * Math.sin(rad);
    const sm = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sm) * pi);
    dlon = (dlon * 180.0) / (A / sm * Math.cos(rad) * pi);
    return [lon + dlon, lat + dlat];
  }

  function fmt(v) { return v.toFixed(5); }

  function mouseMove(e) {
    const out = document.getElementById("map-coords");
    if (!out || !e || !e.latlng) { return; }
    const lat = e.latlng.lat, lng = ((e.latlng.lng + 540) % 360) - 180;
    const g = gcj02(lng, lat);
    const zh = !document.querySelector(".om-lang-en");
    out.textContent = (zh ? "经度 " : "Lon ") + fmt(lng) + (zh ? "，纬度 " : ", lat ") + fmt(lat)
      + " (WGS-84) · GCJ-02: " + fmt(g[0]) + (zh ? "，" : ", ") + fmt(g[1]);
  }

  function parseTrigger(propId) {
    const id = propId.slice(0, propId.lastIndexOf("."));
    if (id.charAt(0) === "{") {
      try { return JSON.parse(id); } catch (err) { return null; }
    }
    return id;
  }

  function shown(name, cls) {
    if (cls.indexOf("om-open") >= 0) { return true; }
    if (cls.indexOf("om-closed") >= 0) { return false; }
    const el = document.querySelector('[data-panel="' + name + '"]');
    return !!el && window.getComputedStyle(el).display !== "none";
  }

  /* toggles, close buttons, openers (a new card, unit or result) -> every panel's className */
  function panels() {
    const args = Array.prototype.slice.call(arguments);
    const classes = args[args.length - 1] || [];
    const ids = args[args.length - 2] || [];
    const ctx = window.dash_clientside.callback_context;
    const trig = ctx.triggered.length ? parseTrigger(ctx.triggered[0].prop_id) : null;
    let target = null, open = null;
    if (trig && typeof trig === "object") {
      target = trig.panel;
      const i = ids.findIndex(function (id) { return id.panel === target; });
      open = trig.type === "map-panel-close" ? false : !(i >= 0 && shown(target, classes[i] || ""));
    } else if (trig && ctx.triggered[0].value && navigator.userActivation && navigator.userActivation.hasBeenActive) {
      // a card, unit or result the user asked for (not the one a shared link restores on load)
      target = "results";
      open = true;
    }
    if (target === null) { return window.dash_clientside.no_update; }
    const narrow = window.innerWidth < 700;
    return ids.map(function (id, i) {
      const base = (classes[i] || "").split(" ").filter(function (c) {
        return c && c !== "om-open" && c !== "om-closed" && c !== "om-panel-auto";
      });
      let state;
      if (id.panel === target) { state = open ? "om-open" : "om-closed"; }
      else if (narrow && open) { state = "om-closed"; }  // one bottom sheet at a time on a phone
      else { state = shown(id.panel, classes[i] || "") ? "om-open" : "om-closed"; }
      return base.concat([state]).join(" ");
    });
  }

  /* Chinese texts of leaflet-draw's toolbar (its own are English): its table, for what it
   * builds later, and the titles of the buttons it has built already */
  let drawLocalised = false;
  const DRAW_TITLES = {
    "leaflet-draw-draw-polygon": "测量面积或圈定事件范围：绘制多边形",
    "leaflet-draw-draw-rectangle": "测量面积或圈定事件范围：绘制矩形",
    "leaflet-draw-draw-polyline": "测量距离：绘制折线", "leaflet-draw-draw-circle": "绘制圆",
    "leaflet-draw-draw-marker": "放置标记", "leaflet-draw-edit-edit": "编辑图形",
    "leaflet-draw-edit-remove": "删除图形", "leaflet-control-zoom-in": "放大", "leaflet-control-zoom-out": "缩小",
  };
  function localiseDraw() {
    if (document.querySelector(".om-lang-en") || !document.querySelector(".om-page")) { return; }
    Object.keys(DRAW_TITLES).forEach(function (cls) {
      document.querySelectorAll("a." + cls).forEach(function (a) {
        if (a.title !== DRAW_TITLES[cls]) { a.title = DRAW_TITLES[cls]; }
        if (a.textContent && /[A-Za-z]/.test(a.textContent)) { a.textContent = ""; }
      });
    });
    document.querySelectorAll(".leaflet-draw-actions a").forEach(function (a) {
      const zh = { Cancel: "取消", Finish: "完成", "Delete last point": "撤销", Save: "保存", "Clear All": "清除全部" };
      if (zh[a.textContent]) { a.title = zh[a.textContent]; a.textContent = zh[a.textContent]; }
    });
    if (drawLocalised || !window.L || !L.drawLocal) { return; }
    drawLocalised = true;
    const d = L.drawLocal.draw, e = L.drawLocal.edit;
    d.toolbar.actions = { title: "取消绘制", text: "取消" };
    d.toolbar.finish = { title: "完成绘制", text: "完成" };
    d.toolbar.undo = { title: "删除最后一个点", text: "撤销" };
    d.toolbar.buttons = { polygon: "绘制多边形", polyline: "绘制折线", rectangle: "绘制矩形", circle: "绘制圆",
      marker: "放置标记", circlemarker: "放置圆点" };
    d.handlers.polygon.tooltip = { start: "点击开始绘制", cont: "点击继续绘制", end: "点击第一个点结束" };
    d.handlers.rectangle.tooltip = { start: "按住并拖动绘制矩形" };
    d.handlers.simpleshape.tooltip = { end: "松开鼠标完成" };
    d.handlers.polyline.error = "错误：边不能相交";
    d.handlers.polyline.tooltip = { start: "点击开始画线", cont: "点击继续画线", end: "点击最后一个点结束" };
    e.toolbar.actions = { save: { title: "保存修改", text: "保存" }, cancel: { title: "取消修改", text: "取消" },
      clearAll: { title: "清除全部", text: "清除全部" } };
    e.toolbar.buttons = { edit: "编辑图形", editDisabled: "没有可编辑的图形", remove: "删除图形",
      removeDisabled: "没有可删除的图形" };
    e.handlers.remove.tooltip = { text: "点击要删除的图形" };
  }

  /* the loading indicator: Dash has a callback pending (hexagons, points, analyses) */
  function watchLoading() {
    const el = document.getElementById("map-loading");
    const store = window.store;
    if (el && store && store.getState) {
      const s = store.getState();
      const queues = Object.assign({}, s.callbacks || {});
      delete queues.stored;
      delete queues.completed;
      const busy = Object.values(queues).some(function (q) { return q && q.length > 0; });
      el.classList.toggle("om-busy", busy);
    }
  }

  /* 清除测量: the drawing toolbar's own 删除 then 清除全部 (leaflet-draw removes every shape and
   * fires draw:deleted, so the EditControl's geojson, the read-out and the event polygon clear) */
  function clearDrawn(n) {
    const remove = document.querySelector("a.leaflet-draw-edit-remove");
    if (n && remove && !remove.classList.contains("leaflet-disabled")) {
      remove.click();
      window.setTimeout(function () {
        const all = Array.prototype.slice.call(document.querySelectorAll(".leaflet-draw-actions a"))
          .find(function (a) { return a.offsetParent !== null && /^(清除全部|Clear All)$/.test(a.textContent); });
        if (all) { all.click(); }
      }, 30);
    }
    return window.dash_clientside.no_update;
  }

  /* whether a drawing or deleting mode of the toolbar is on, told to the server as the
   * EditControl's ``action`` (its own events never fire: leaflet-draw's names are lower-case),
   * so a click that places a vertex opens no hexagon card (map_callbacks.show_card) */
  let drawing = false, drawActions = 0;
  function drawState(on) {
    if (on === drawing || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    drawing = on;
    drawActions += 1;
    window.dash_clientside.set_props("ana-draw", { action: {
      layer_type: "", type: on ? "draw:drawstart" : "draw:drawstop", n_actions: drawActions } });
  }
  document.addEventListener("click", function (e) {
    const a = e.target && e.target.closest && e.target.closest("a[class*='leaflet-draw-draw-'], a.leaflet-draw-edit-remove");
    if (a && !a.classList.contains("leaflet-disabled")) { drawState(true); }
  }, true);

  window.setInterval(function () {
    watchLoading();
    localiseDraw();
    if (drawing && !document.querySelector(".leaflet-draw-toolbar-button-enabled")) { drawState(false); }
  }, 200);

  window.onemap = Object.assign(window.onemap || {}, { gcj02: gcj02 });
  window.onemap.map = Object.assign(window.onemap.map || {}, { mouseMove: mouseMove });
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.onemap = Object.assign(window.dash_clientside.onemap || {}, { panels: panels,
    clearDrawn: clearDrawn });
})();

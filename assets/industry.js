/* 产业监测 layers on the map (mapapp/industry_view.py): projects and leads as circle markers
   coloured by stage; names are set as text, never as HTML. */
(function () {
  "use strict";
  function tip(text) {
    const el = document.createElement("div");
    el.textContent = text;
    return el;
  }
  const industry = {
    point: function (feature, latlng, context) {
      const p = feature.properties;
      const colours = (context.hideout || {}).colours || {};
      const m = L.circleMarker(latlng, {
        radius: p.key ? 8 : 6, color: "#333333", weight: p.key ? 2 : 1,
        fillColor: colours[p.stage] || "#777777", fillOpacity: 0.9,
      });
      m.bindTooltip(tip(p.label));
      return m;
    },
  };
  window.onemap = Object.assign(window.onemap || {}, { industry: industry });
})();

// The grid map: the SVG drawn by the demo API from the database; hover names the unit, a click shares the spot.
import { get } from "./api.js";
import { el } from "./render.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const STATUS_COLOURS = {
  unrouted: "#e67e22", dispatched: "#3a7bd5", accepted: "#f0a020", resolved: "#27a17a",
  rework: "#d64561", returned: "#8e44ad", suspended: "#7f8c8d",
};

let svg = null;
let proj = null;
let picked = null;
let handlers = {};
let labels = { outside: "" };

export async function loadMap(wrap, options) {
  handlers = options;
  labels = options.labels;
  const text = await (await fetch("/demo/api/map")).text();
  wrap.innerHTML = text;
  svg = wrap.querySelector("svg");
  const d = svg.dataset;
  proj = { west: +d.west, north: +d.north, px: +d.pxPerLon, py: +d.pxPerLat };
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  svg.addEventListener("mousemove", (event) => hover(event.target));
  svg.addEventListener("mouseleave", () => hover(null));
  svg.addEventListener("click", click);
  document.getElementById("map-popup-cancel").addEventListener("click", closePopup);
  document.getElementById("map-popup-send").addEventListener("click", () => {
    if (picked) handlers.onShare(picked.lat, picked.lon, picked.name);
    closePopup();
  });
}

const toLonLat = (x, y) => ({ lon: proj.west + x / proj.px, lat: proj.north - y / proj.py });
export const toXY = (lat, lon) => ({ x: (lon - proj.west) * proj.px, y: (proj.north - lat) * proj.py });

function unitPath(unit) {
  return unit ? `${unit.dataset.street} › ${unit.dataset.community} › ${unit.dataset.name.split("-").pop()}` : labels.outside;
}

function hover(target) {
  const unit = target?.classList?.contains("unit") ? target : null;
  const box = document.getElementById("map-hover");
  box.replaceChildren();
  if (!unit) { box.innerHTML = "&nbsp;"; return; }
  box.append(el("b", null, unit.dataset.name));
  box.title = unitPath(unit);
}

function svgPoint(event) {
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  return point.matrixTransform(svg.getScreenCTM().inverse());
}

function click(event) {
  const { x, y } = svgPoint(event);
  const { lat, lon } = toLonLat(x, y);
  const unit = event.target.classList?.contains("unit") ? event.target : null;
  picked = { lat: +lat.toFixed(6), lon: +lon.toFixed(6), name: unit?.dataset.name || "" };
  drawPicked(x, y);
  const panel = document.getElementById("map-panel").getBoundingClientRect();
  const popup = document.getElementById("map-popup");
  popup.style.left = `${event.clientX - panel.left}px`;
  popup.style.top = `${event.clientY - panel.top}px`;
  document.getElementById("map-popup-name").textContent = unit ? unit.dataset.name : labels.outside;
  document.getElementById("map-popup-coords").textContent = `${picked.lat.toFixed(5)}, ${picked.lon.toFixed(5)}`;
  popup.hidden = !handlers.canShare();
}

function drawPicked(x, y) {
  svg.querySelector(".picked")?.remove();
  const dot = document.createElementNS(SVG_NS, "circle");
  dot.setAttribute("class", "picked");
  dot.setAttribute("cx", x);
  dot.setAttribute("cy", y);
  dot.setAttribute("r", 9);
  svg.querySelector(".pins").after(dot);
}

export function closePopup() {
  document.getElementById("map-popup").hidden = true;
  svg?.querySelector(".picked")?.remove();
  picked = null;
}

/** The grid unit path under a WGS-84 point, or null outside every unit. */
export function unitAt(lat, lon) {
  if (!svg) return null;
  const { x, y } = toXY(lat, lon);
  const point = svg.createSVGPoint();
  point.x = x;
  point.y = y;
  return [...svg.querySelectorAll(".unit")].find((path) => path.isPointInFill(point)) || null;
}

/** Open cases as coloured dots. */
export async function refreshPins() {
  if (!svg) return;
  const pins = await get("/demo/api/pins");
  const layer = svg.querySelector(".pins");
  layer.replaceChildren();
  for (const pin of pins) {
    const { x, y } = toXY(pin.lat, pin.lon);
    const dot = document.createElementNS(SVG_NS, "circle");
    dot.setAttribute("cx", x.toFixed(1));
    dot.setAttribute("cy", y.toFixed(1));
    dot.setAttribute("r", 7);
    dot.setAttribute("fill", STATUS_COLOURS[pin.status] || "#555");
    dot.dataset.case = pin.id;
    layer.append(dot);
  }
}

/** A location message as a card: a crop of the grid map around the point, the unit's name and coordinates. */
export function locationCard(location, venue) {
  const card = el("div", "location-card");
  const mini = document.createElementNS(SVG_NS, "svg");
  if (svg) {
    const { x, y } = toXY(location.latitude, location.longitude);
    mini.setAttribute("viewBox", `${x - 150} ${y - 80} 300 160`);
    for (const layer of svg.querySelectorAll(".units, .community-border, .street-border")) mini.append(layer.cloneNode(true));
    for (const path of mini.querySelectorAll(".unit")) {
      path.setAttribute("class", "mini-unit");  // a picture: not a target for hovers, clicks or selectors
      for (const key of Object.keys(path.dataset)) delete path.dataset[key];
    }
    mini.setAttribute("class", "grid-map");
    const pin = document.createElementNS(SVG_NS, "path");
    pin.setAttribute("d", `M${x} ${y} c-4 -9 -13 -14 -13 -24 a13 13 0 0 1 26 0 c0 10 -9 15 -13 24z`);
    pin.setAttribute("fill", "#e53935");
    pin.setAttribute("stroke", "#fff");
    pin.setAttribute("stroke-width", "2.5");
    mini.append(pin);
  }
  card.append(mini);
  const place = el("div", "place");
  const unit = unitAt(location.latitude, location.longitude);
  place.append(el("b", null, venue?.title || (unit ? unit.dataset.name : labels.outside)));
  place.append(el("small", null, `${venue?.address ? venue.address + " · " : ""}${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`));
  card.append(place);
  return card;
}

export function setPicking(on) {
  document.getElementById("map-panel").classList.toggle("picking", on);
}

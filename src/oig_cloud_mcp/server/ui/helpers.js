/* ==== helpers.js: small helpers shared by every view (inlined after bridge.js) ================
   $(id), DASH for an unknown value, f1() to one decimal, pct() and kwh(), svg() to draw, the
   status line (#status), the data of a tool result and its fields, and the Table button
   (#toggle shows #table instead of #figure). */
const DASH = "\u2014";
const $ = (id) => document.getElementById(id);
const f1 = (v) => Math.round(v * 10) / 10;
const pct = (p) => (p === null ? DASH : `${Number.isInteger(p) ? p : p.toFixed(1)} %`);
const kwh = (k) => (k === null ? DASH : `${k} kWh`);

// a new SVG element with these attributes, appended to parent (an SVG element)
function svg(tag, attrs, parent) {
  const e = document.createElementNS(parent.namespaceURI, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  parent.appendChild(e);
  return e;
}

function setStatus(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
  sizeSoon();
}

// a CallToolResult's structuredContent, or null once the status line says why there is none
function resultData(result) {
  result = result || {};
  const text = (Array.isArray(result.content) ? result.content : [])
    .filter((c) => c && c.type === "text")
    .map((c) => c.text)
    .join("\n");
  if (result.isError) {
    setStatus(text || "The tool reported an error.", true);
    return null;
  }
  const d = result.structuredContent;
  if (!d || typeof d !== "object") {
    setStatus(text || "The result carried no data.", true);
    return null;
  }
  return d;
}

// A field of a tool result's data by its path in the tool's output schema ("battery.soc_pct";
// an item of a list by the path within the item). A view's read(d) takes every field through
// these, each with one literal path: tests/test_view_fields.py checks the paths against the
// schema. A missing field is unknown (undefined, null or []), never 0.
const field = (o, path) =>
  path.split(".").reduce((v, k) => (v !== null && typeof v === "object" ? v[k] : undefined), o);
const numberAt = (o, path) => {
  const v = field(o, path);
  return typeof v === "number" && Number.isFinite(v) ? v : null;
};
const textAt = (o, path) => {
  const v = field(o, path);
  return typeof v === "string" && v ? v : null;
};
const listAt = (o, path) => {
  const v = field(o, path);
  return Array.isArray(v) ? v : [];
};

function toggleTable() {
  const btn = $("toggle"),
    on = btn.getAttribute("aria-pressed") !== "true";
  btn.setAttribute("aria-pressed", String(on));
  $("figure").hidden = on;
  $("table").hidden = !on;
  sizeSoon();
}

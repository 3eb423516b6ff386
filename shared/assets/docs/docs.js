// Minimal OpenAPI 3.1 viewer: no dependencies, no inline script (CSP-safe).
"use strict";
(function () {
  const el = (tag, attrs, ...kids) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    for (const k of kids) n.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return n;
  };
  let spec = null;
  const resolve = (obj, depth = 0) => {
    if (!obj || typeof obj !== "object" || depth > 8) return obj;
    if (obj.$ref && obj.$ref.startsWith("#/")) {
      const target = obj.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k] : undefined), spec);
      return resolve(target, depth + 1);
    }
    if (Array.isArray(obj)) return obj.map((x) => resolve(x, depth + 1));
    const out = {};
    for (const [k, v] of Object.entries(obj)) out[k] = resolve(v, depth + 1);
    return out;
  };
  const schemaBlock = (content) => {
    if (!content) return null;
    const [type, media] = Object.entries(content)[0] || [];
    if (!media) return null;
    const body = media.example !== undefined ? media.example : resolve(media.schema);
    return el("div", {}, el("div", { class: "s" }, type), el("pre", {}, JSON.stringify(body, null, 2)));
  };
  const render = (filter) => {
    const main = document.getElementById("ops");
    main.replaceChildren();
    const byTag = {};
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const [method, op] of Object.entries(item)) {
        if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
        const tag = (op.tags && op.tags[0]) || "default";
        const text = `${method} ${path} ${tag} ${op.summary || ""}`.toLowerCase();
        if (filter && !text.includes(filter)) continue;
        (byTag[tag] = byTag[tag] || []).push({ path, method, op });
      }
    }
    const tags = Object.keys(byTag).sort();
    if (!tags.length) main.append(el("p", {}, "No operation matches."));
    for (const tag of tags) {
      main.append(el("h2", {}, tag));
      for (const { path, method, op } of byTag[tag]) {
        const body = el("div", { class: "body" });
        if (op.description) body.append(el("p", {}, op.description));
        const params = (op.parameters || []).map((p) => resolve(p));
        if (params.length) {
          const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "required"), el("th", {}, "description")));
          for (const p of params) t.append(el("tr", {}, el("td", { class: "p" }, p.name), el("td", {}, p.in), el("td", {}, p.required ? "yes" : "no"), el("td", {}, p.description || "")));
          body.append(t);
        }
        if (op.requestBody) {
          body.append(el("h4", {}, "Request body"));
          const b = schemaBlock(resolve(op.requestBody).content);
          if (b) body.append(b);
        }
        body.append(el("h4", {}, "Responses"));
        for (const [code, r] of Object.entries(op.responses || {})) {
          const resp = resolve(r);
          body.append(el("div", {}, el("strong", {}, code), " ", resp.description || ""));
          const b = schemaBlock(resp.content);
          if (b) body.append(b);
        }
        const secured = (op.security || spec.security || []).length > 0;
        main.append(el("details", {}, el("summary", {}, el("span", { class: `m ${method}` }, method.toUpperCase()), el("span", { class: "p" }, path), el("span", { class: "s" }, op.summary || ""), secured ? el("span", { class: "lock" }, "auth") : ""), body));
      }
    }
  };
  document.addEventListener("DOMContentLoaded", async () => {
    try {
      const r = await fetch("/api/v1/openapi.json", { headers: { Accept: "application/json" } });
      spec = await r.json();
      render("");
      document.getElementById("filter").addEventListener("input", (e) => render(e.target.value.trim().toLowerCase()));
    } catch (e) {
      document.getElementById("ops").replaceChildren(el("p", {}, "Could not load the OpenAPI document: " + e));
    }
  });
})();

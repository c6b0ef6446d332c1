// Building DOM from data without innerHTML: every string becomes a text node.

export const SVG_NS = "http://www.w3.org/2000/svg";

function set(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("p", { class: "x" }, "text", h("b", {}, "bold")). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  set(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, same shape as h(). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  set(el, attrs);
  append(el, children);
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A card section with a heading; returns { section, body }. */
export function card(id, title, ...extra) {
  const body = h("div", { class: "card-body" });
  const heading = h("h2", { id: id + "-title" }, title);
  const section = h("section", { class: "card", id, "aria-labelledby": id + "-title" },
    h("div", { class: "card-head" }, heading, ...extra), body);
  return { section, body };
}

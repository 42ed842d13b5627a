// Small DOM helpers shared by the pages' modules.

// $ finds an element by id.
export const $ = (id) => document.getElementById(id);

// el builds an element: el('p', {class: 'x'}, 'text', child...).
export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}

// en is English text beside the zh-TW; bi is both.
export const en = (s) => el('span', { class: 'en', lang: 'en' }, s);
export const bi = (zh, eng) => [zh, ' ', en(eng)];

// A tiny element builder. Text always goes in as text nodes (never as HTML), so nothing the API
// returns can become markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function ago(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.round((now - ms) / 1000);
  const abs = Math.abs(s);
  const t =
    abs >= 86400
      ? `${Math.floor(abs / 86400)} d`
      : abs >= 3600
        ? `${Math.floor(abs / 3600)} h`
        : abs >= 60
          ? `${Math.floor(abs / 60)} min`
          : `${abs} s`;
  return s >= 0 ? `${t} ago` : `in ${t}`;
}

export function time(ms) {
  if (ms === null || ms === undefined) return '–';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

export function table(head, rows, empty = 'nothing to show') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

export function card(title, ...body) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...body);
}

export function kv(pairs) {
  return h(
    'dl',
    { class: 'kv' },
    pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '–' : v)]),
  );
}

// The live page. Plain browser JavaScript, served by `lab run --watch` next to live.html: reads
// the run from /events (server-sent events: a snapshot, then deltas; shapes in live-wire.ts) and
// draws one lane per connection as DOM elements, so every port and count is text in the page.
// Positions are CSS variables (--from, --to against the root's --span and --now): a frame sets
// two variables, not one style per bar.
(() => {
  /** Lanes drawn per link; past this the link says how many more it has. */
  const MAX_LANES = 300;
  const GLYPH = { idle: '▼', reset: '✕', eof: '◆', close: '■' };
  const root = document.documentElement;
  const $ = (id) => document.getElementById(id);
  const links = $('links');

  const state = {
    mode: 'live',
    phase: 'waiting',
    run: null,
    base: { now: 0, at: performance.now() },
    end: null,
    span: 1000,
    replay: null,
    lanes: new Map(),
    linkEls: [],
  };
  // Tests and the curious read this: what the page drew, as numbers.
  window.labLive = state;

  const secs = (ms) => `${(ms / 1000).toFixed(2)}s`;
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  function speed() {
    return state.replay ? state.replay.speed : 1;
  }

  /** The run's clock as the page estimates it between messages (they come every 100 ms or so). */
  function now() {
    if (state.phase !== 'running' || state.replay?.paused) return state.base.now;
    const ahead = (performance.now() - state.base.at) * speed();
    return state.base.now + Math.min(ahead, 1000 * speed());
  }

  function setPhase(phase, verdict, error) {
    state.phase = phase;
    const p = $('phase');
    p.dataset.phase = phase;
    if (phase === 'waiting') p.textContent = 'waiting for a run';
    else if (phase === 'running') p.textContent = state.replay?.paused ? 'paused' : state.mode === 'replay' ? 'replaying' : 'running';
    else if (phase === 'done') p.textContent = `done: ${verdict || ''}`;
    else if (phase === 'failed') p.textContent = `failed: ${error || ''}`;
    else p.textContent = phase;
  }

  function linkEl(k) {
    const existing = state.linkEls[k];
    if (existing) return existing;
    const info = state.run ? state.run.links[k] : null;
    const sec = el('section', 'link');
    sec.dataset.link = String(k);
    sec.dataset.roles = info ? info.roles.join(' ') : '';
    const h = el('h2');
    h.append(el('span', 'link-label', info ? `${info.label} connections` : `link ${k}`), ' ', el('span', 'link-count', ''));
    const lanes = el('div', 'lanes');
    const more = el('div', 'more', '');
    sec.append(h, lanes, more);
    links.append(sec);
    const entry = { sec: sec, count: h.lastChild, lanes: lanes, more: more, drawn: 0, total: 0 };
    state.linkEls[k] = entry;
    return entry;
  }

  function laneText(l) {
    const who = l.conn === null ? `→ ${l.server}` : `→ ${l.server} #${l.conn}`;
    const close = l.closed === null ? 'open' : `${GLYPH[l.mark] || ''} ${secs(l.closed)} ${l.reason} (${l.closedBy})`;
    return { port: l.port === null ? '?' : String(l.port), who: who, n: `· ${l.n} req`, close: close };
  }

  function drawLane(l) {
    let entry = state.lanes.get(l.i);
    if (!entry) {
      const link = linkEl(l.link);
      link.total++;
      if (link.drawn >= MAX_LANES) {
        state.lanes.set(l.i, { data: l, node: null });
        link.more.textContent = `+${link.total - link.drawn} more connections on this link, not drawn`;
        return;
      }
      link.drawn++;
      const node = el('div', 'lane');
      node.dataset.lane = String(l.i);
      const label = el('div', 'lane-label');
      label.append(el('span', 'port'), ' ', el('span', 'who'), ' ', el('span', 'n'));
      const track = el('div', 'track');
      const close = el('div', 'close');
      node.append(label, track, close);
      link.lanes.append(node);
      entry = { data: l, node: node, label: label, track: track, close: close };
      state.lanes.set(l.i, entry);
    }
    entry.data = l;
    if (!entry.node) return;
    const t = laneText(l);
    const spans = entry.label.children;
    spans[0].textContent = t.port;
    spans[1].textContent = t.who;
    spans[2].textContent = t.n;
    entry.close.textContent = t.close;
    entry.label.title = `${t.port} ${t.who} ${t.n}`;
    entry.close.title = t.close;
    entry.node.dataset.port = t.port;
    entry.node.dataset.opened = String(l.opened);
    entry.node.dataset.closed = l.closed === null ? '' : String(l.closed);
    entry.node.dataset.mark = l.mark || '';
    const end = l.closed === null ? 'var(--now)' : String(l.closed);
    const parts = [`<div class="life" style="--from:${l.opened};--to:${end}"></div>`];
    for (const b of l.bars) {
      const cls = `bar${b.to === null ? ' open' : ''}${b.failed > 0 ? ' failed' : ''}`;
      const to = b.to === null ? end : String(b.to);
      parts.push(`<div class="${cls}" data-id="${esc(b.id)}" data-n="${b.n}" data-i="${l.i}" style="--from:${b.from};--to:${to}"></div>`);
    }
    if (l.closed !== null) {
      const title = `${l.reason} by ${l.closedBy} at ${secs(l.closed)}`;
      parts.push(`<span class="mark ${l.mark}" style="--at:${l.closed}" title="${esc(title)}">${GLYPH[l.mark] || ''}</span>`);
    }
    entry.track.innerHTML = parts.join('');
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function drawCounters(c) {
    const box = $('counters');
    const items = [
      ['done', `${c.done}`, state.run ? ` / ${state.run.total}` : ''],
      ['ok', `${c.ok}`, ''],
      [
        'failed',
        `${c.failed}`,
        Object.keys(c.failures).length
          ? ` (${Object.entries(c.failures)
              .map((e) => `${e[1]}×${e[0]}`)
              .join(' ')})`
          : '',
      ],
      ['in flight', `${c.inFlight}`, ''],
      ['idle closes', `${c.idleCloses}`, ''],
    ];
    (state.run ? state.run.links : []).forEach((info, k) => {
      items.push([`${info.label}`, `${c.open[k] || 0}`, ` open / ${c.opened[k] || 0} opened`]);
      const entry = state.linkEls[k];
      if (entry) entry.count.textContent = `${c.open[k] || 0} open · ${c.opened[k] || 0} opened`;
    });
    for (const r of Object.keys(c.closes)) items.push([`closed ${r}`, `${c.closes[r]}`, '']);
    box.replaceChildren(
      ...items.map((it) => {
        const s = el('span', 'counter');
        s.dataset.counter = it[0];
        s.append(`${it[0]} `, el('b', '', it[1]), it[2]);
        return s;
      }),
    );
    state.counters = c;
  }

  function addLog(lines) {
    const log = $('log');
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    for (const line of lines) log.append(el('li', '', line));
    while (log.children.length > 200) log.firstChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function common(m) {
    state.base = { now: m.now, at: performance.now() };
    state.end = m.end;
    state.replay = m.replay;
    $('controls').hidden = !m.replay;
    if (m.replay) {
      $('pause').textContent = m.replay.paused ? 'resume' : 'pause';
      const select = $('speed');
      const value = String(m.replay.speed);
      // A --speed the list lacks (3, 50) joins it, so the list shows what plays.
      if (![...select.options].some((o) => o.value === value)) select.append(new Option(value, value));
      select.value = value;
    }
    setPhase(m.phase, m.verdict, m.error);
    $('waiting-for').textContent = m.waitingFor ? `waiting for ${m.waitingFor}` : '';
    for (const l of m.lanes) drawLane(l);
    drawCounters(m.counters);
  }

  function snapshot(m) {
    state.mode = m.mode;
    state.run = m.run;
    state.lanes = new Map();
    state.linkEls = [];
    state.span = 1000;
    links.replaceChildren();
    $('log').replaceChildren();
    const r = m.run;
    $('title').textContent = r ? `${r.scenario}${r.variant ? ` [${r.variant}]` : ''} · ${r.title}` : 'keepalive-lab · live';
    document.title = r ? `${r.scenario} · keepalive-lab live` : 'keepalive-lab · live';
    $('story').innerHTML = r ? r.storyHtml : '';
    if (r) for (let k = 0; k < r.links.length; k++) linkEl(k);
    common(m);
    addLog(m.log);
  }

  function delta(m) {
    common(m);
    addLog(m.log);
  }

  // The port chain of the request under the cursor: every bar of that id, one per link, in link order.
  links.addEventListener('mouseover', (ev) => {
    const bar = ev.target.closest ? ev.target.closest('.bar') : null;
    for (const old of links.querySelectorAll('.bar.hl')) old.classList.remove('hl');
    if (!bar) return;
    const lane = state.lanes.get(Number(bar.dataset.i));
    if (!lane) return;
    if (bar.dataset.n !== '1') {
      const b = lane.data.bars.find((x) => x.id === bar.dataset.id);
      $('chain').textContent =
        `${bar.dataset.n} requests from ${bar.dataset.id} on port ${lane.data.port} → ${lane.data.server}` +
        (b ? `\n${secs(b.from)} – ${b.to === null ? '…' : secs(b.to)}, ${b.failed} failed` : '');
      return;
    }
    const same = [...links.querySelectorAll(`.bar[data-n="1"][data-id="${CSS.escape(bar.dataset.id)}"]`)];
    for (const x of same) x.classList.add('hl');
    const hops = same
      .map((x) => state.lanes.get(Number(x.dataset.i)))
      .filter(Boolean)
      .map((x) => x.data)
      .sort((a, c) => a.link - c.link);
    const chain = hops.map((h) => `${h.port} → ${h.server}${h.conn === null ? '' : ` #${h.conn}`}`).join('  ⇒  ');
    const mine = lane.data.bars.find((x) => x.id === bar.dataset.id);
    const when = mine ? `${secs(mine.from)} – ${mine.to === null ? 'in flight' : secs(mine.to)}${mine.st ? ` · ${mine.st}` : ''}` : '';
    $('chain').textContent = `${bar.dataset.id}  ${when}\n${chain}`;
  });

  function control(action, value) {
    fetch('/control', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: action, value: value }),
    });
  }
  $('pause').addEventListener('click', () => control(state.replay?.paused ? 'resume' : 'pause'));
  $('speed').addEventListener('change', (ev) => control('speed', Number(ev.target.value)));
  $('restart').addEventListener('click', () => control('restart'));
  document.addEventListener('keydown', (ev) => {
    if (ev.key === ' ' && state.replay && ev.target === document.body) {
      ev.preventDefault();
      control(state.replay.paused ? 'resume' : 'pause');
    }
  });

  let axisAt = -1;
  function drawAxis() {
    const span = state.span;
    if (Math.abs(span - axisAt) < span * 0.05) return;
    axisAt = span;
    const steps = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000];
    const step = steps.find((s) => span / s <= 10) || 600000;
    const marks = [];
    for (let at = 0; at <= span; at += step) marks.push(`<span style="--at:${at}">${at >= 1000 ? `${at / 1000}s` : `${at}ms`}</span>`);
    $('axis').innerHTML = marks.join('');
  }

  // One frame: the clock, the scale, and every bar in flight grows (through --now).
  function frame() {
    const t = now();
    const end = state.end;
    const want = end !== null ? Math.max(end, 1) * 1.02 : Math.max(1000, t * 1.15);
    state.span = end !== null ? want : Math.max(state.span, want);
    root.style.setProperty('--now', String(t));
    root.style.setProperty('--span', String(state.span));
    $('clock').textContent = secs(t);
    drawAxis();
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);

  const source = new EventSource('/events');
  source.addEventListener('snapshot', (ev) => snapshot(JSON.parse(ev.data)));
  source.addEventListener('delta', (ev) => delta(JSON.parse(ev.data)));
  // The lab stopped (Ctrl-C, --watch-exit): the page keeps what it drew, and says so.
  source.addEventListener('bye', () => {
    source.close();
    const p = $('phase');
    p.dataset.served = 'no';
    p.textContent = `${p.textContent} · no longer served`;
  });
})();

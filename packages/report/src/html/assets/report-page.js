// The report page's charts. Plain browser JavaScript, inlined after Chart.js:
// reads the JSON in #lab-data and draws every canvas at load, so a printed
// page or a headless screenshot shows every chart.
/* global Chart */
(() => {
  var data = JSON.parse(document.getElementById('lab-data').textContent);
  var palette = data.palette;
  var byId = {};
  data.views.forEach((v) => {
    byId[v.id] = v;
  });
  // What was drawn, per view: read by tests and the bench.
  var state = { charts: 0, total: 0, firstRenderMs: null, allDrawnMs: null, marks: {} };
  window.labReport = state;

  function barColour(c, i) {
    if (c.f[i] >= 0) return palette.failures[c.f[i]];
    return c.k[i] < 0 ? palette.unknown : palette.connections[c.k[i] % palette.connections.length];
  }

  function describe(c, i) {
    var kind = c.f[i] >= 0 ? ` (${palette.failureLabels[c.f[i]]})` : '';
    var queued = c.q[i] > c.s[i] ? ` · queued ${c.s[i]}–${c.q[i]} ms` : '';
    return `ports ${c.cp[i]} → ${c.op[i]}${queued} · on its connection ${c.q[i]}–${c.e[i]} ms (${(c.e[i] - c.s[i]).toFixed(1)} ms in all) · ${c.st[i]}${kind}`;
  }

  /**
   * What bars cannot show: the queued span of each request, a thin grey line
   * under its row (it overlaps the request ahead of it on that connection),
   * and a dashed line at each completion wave.
   */
  function waterfallMarks(view) {
    var c = view.chart;
    return {
      id: 'labWaterfallMarks',
      afterDatasetsDraw: (chart) => {
        var ctx = chart.ctx;
        var area = chart.chartArea;
        var xs = chart.scales.x;
        var ys = chart.scales.y;
        var rowH = (area.bottom - area.top) / Math.max(1, c.rows.length);
        var queued = 0;
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();
        ctx.fillStyle = palette.queued;
        for (let i = 0; i < c.s.length; i++) {
          if (!(c.q[i] > c.s[i])) continue;
          const x1 = Math.round(xs.getPixelForValue(c.s[i]));
          const x2 = Math.round(xs.getPixelForValue(c.q[i]));
          const y = Math.round(ys.getPixelForValue(c.r[i]) + rowH * 0.32);
          ctx.fillRect(x1, y, Math.max(1, x2 - x1), Math.max(2, Math.round(rowH * 0.14)));
          queued++;
        }
        ctx.restore();
        var waves = c.waveLines ? c.waves : [];
        ctx.save();
        ctx.strokeStyle = palette.mark;
        ctx.fillStyle = palette.mark;
        ctx.globalAlpha = 0.7;
        ctx.setLineDash([4, 3]);
        ctx.font = '10px system-ui, sans-serif';
        ctx.textAlign = 'center';
        waves.forEach((w) => {
          const x = Math.round(xs.getPixelForValue(w[0])) + 0.5;
          ctx.beginPath();
          ctx.moveTo(x, area.top);
          ctx.lineTo(x, area.bottom);
          ctx.stroke();
          ctx.fillText(`×${w[1]}`, x, area.top - 4);
        });
        ctx.restore();
        state.marks[view.id] = { queued: queued, waves: waves.length };
      },
    };
  }

  function waterfall(canvas, v) {
    var c = v.chart;
    var bars = new Array(c.s.length);
    var colours = new Array(c.s.length);
    var outlines = new Array(c.s.length);
    // A failure is outlined too, for readers who cannot tell the colours apart; not a bar too thin to show its colour inside the line.
    var pxPerMs = (canvas.parentElement?.clientWidth ?? 800) / Math.max(1, c.tEnd);
    for (let i = 0; i < c.s.length; i++) {
      bars[i] = { x: [c.q[i], c.e[i]], y: c.rows[c.r[i]] };
      colours[i] = barColour(c, i);
      outlines[i] = c.f[i] >= 0 && (c.e[i] - c.q[i]) * pxPerMs > 10 ? 1 : 0;
    }
    var idle = c.idle.map((p) => ({ x: p[0], y: p[1] >= 0 ? c.rows[p[1]] : c.rows[0] }));
    return new Chart(canvas, {
      type: 'bar',
      plugins: [waterfallMarks(v)],
      data: {
        labels: c.rows,
        datasets: [
          {
            type: 'bar',
            label: 'request on its connection',
            data: bars,
            backgroundColor: colours,
            borderColor: '#000',
            borderWidth: outlines,
            borderSkipped: false,
            minBarLength: 3,
            grouped: false,
            barPercentage: 0.6,
            categoryPercentage: 1,
            order: 2,
          },
          {
            type: 'scatter',
            label: 'origin idle close',
            data: idle,
            pointStyle: 'triangle',
            rotation: 180,
            radius: 6,
            backgroundColor: palette.mark,
            borderColor: palette.mark,
            order: 1,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        layout: { padding: { top: 14 } },
        scales: {
          x: { type: 'linear', min: 0, max: c.tEnd, title: { display: true, text: 'ms since the run started' } },
          y: { type: 'category', labels: c.rows, ticks: { autoSkip: c.rows.length > 60, font: { size: 10 } } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                var i = ctx.dataIndex;
                if (ctx.datasetIndex === 1) return `origin closed an idle connection at ${c.idle[i][0]} ms`;
                return describe(c, i);
              },
            },
          },
        },
      },
    });
  }

  function ports(canvas, v) {
    var pairs = v.chart.pairs;
    var max = 1;
    pairs.forEach((p) => {
      if (p[2] > max) max = p[2];
    });
    var cps = v.chart.clientPorts;
    var ops = v.chart.originPorts;
    var points = pairs.map((p) => ({ x: p[0], y: p[1], r: 3 + 7 * Math.sqrt(p[2] / max), n: p[2] }));
    function portTicks(list) {
      return { precision: 0, callback: (i) => (Number.isInteger(i) && list[i] !== undefined ? String(list[i]) : '') };
    }
    return new Chart(canvas, {
      type: 'bubble',
      data: { datasets: [{ label: 'client port → origin port', data: points, backgroundColor: 'rgba(33, 110, 200, 0.55)' }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: {
            min: -0.5,
            max: cps.length - 0.5,
            title: { display: true, text: `${cps.length} client ports, in order of first use` },
            ticks: portTicks(cps),
          },
          y: { min: -0.5, max: ops.length - 0.5, title: { display: true, text: `${ops.length} origin ports` }, ticks: portTicks(ops) },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                var p = ctx.raw;
                return `${cps[p.x]} → ${ops[p.y]} · ${p.n} request(s)`;
              },
            },
          },
        },
      },
    });
  }

  function comparePorts(canvas) {
    var cmp = data.comparison;
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: cmp.labels,
        datasets: [
          { label: 'client ports', data: cmp.client, backgroundColor: '#216ec8' },
          { label: 'upstream ports', data: cmp.upstream, backgroundColor: '#8e44ad' },
          { label: 'origin ports', data: cmp.origin, backgroundColor: '#e67e22' },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function draw(canvas) {
    if (canvas.dataset.drawn) return;
    canvas.dataset.drawn = '1';
    var kind = canvas.dataset.chart;
    var v = byId[canvas.dataset.view];
    try {
      if (kind === 'waterfall') waterfall(canvas, v);
      else if (kind === 'ports') ports(canvas, v);
      else if (kind === 'compare-ports') comparePorts(canvas);
      state.charts++;
    } catch (err) {
      // One chart that cannot draw must not leave the others blank.
      console.error(`chart ${kind} ${canvas.dataset.view ?? ''}: ${err?.message}`);
    }
  }

  var canvases = [...document.querySelectorAll('canvas[data-chart]')];
  state.total = canvases.length;
  var barsOf = (c) => (c.dataset.chart === 'waterfall' ? byId[c.dataset.view].chart.s.length : 100);
  var onScreen = (c) => c.getBoundingClientRect().top < window.innerHeight;
  // Every chart at load, not as it scrolls into view: a screenshot or a print shows them all. Only a page past
  // BAR_BUDGET bars (ten 10,000-request results) draws what is on screen first and the rest right after, a chart a task.
  var BAR_BUDGET = 30000;
  var now = canvases.reduce((n, c) => n + barsOf(c), 0) <= BAR_BUDGET ? canvases : canvases.filter(onScreen);
  now.forEach(draw);
  state.firstRenderMs = performance.now();
  performance.mark('lab-first-render');
  var rest = canvases.filter((c) => !c.dataset.drawn);
  (function next() {
    var c = rest.shift();
    if (c === undefined) {
      state.allDrawnMs = performance.now();
      return;
    }
    draw(c);
    setTimeout(next, 0);
  })();
  state.drawAll = () => {
    canvases.forEach(draw);
    return state.charts;
  };
  window.addEventListener('beforeprint', state.drawAll);
})();

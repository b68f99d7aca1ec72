// The report page's charts. Plain browser JavaScript, inlined after Chart.js:
// reads the JSON in #lab-data and draws each canvas when it scrolls into view,
// so a page of 10 × 10,000 requests draws only what is on screen at first.
/* global Chart */
(() => {
  var data = JSON.parse(document.getElementById('lab-data').textContent);
  var byId = {};
  data.views.forEach((v) => {
    byId[v.id] = v;
  });
  var state = { charts: 0, total: 0, firstRenderMs: null };
  window.labReport = state;

  // Origin connection k → a colour; neighbours differ by the golden angle so 20 connections stay distinct.
  function colour(k) {
    if (k < 0) return '#9aa3ad';
    return `hsl(${((200 + k * 137.508) % 360).toFixed(1)} 65% 48%)`;
  }

  function waterfall(canvas, v) {
    var c = v.chart;
    var bars = new Array(c.s.length);
    var colours = new Array(c.s.length);
    var queued = [];
    for (let i = 0; i < c.s.length; i++) {
      if (c.q[i] > c.s[i]) queued.push({ x: [c.s[i], c.q[i]], y: c.rows[c.r[i]] });
      bars[i] = { x: [c.q[i], c.e[i]], y: c.rows[c.r[i]] };
      const failed = typeof c.st[i] !== 'number' || c.st[i] >= 400;
      colours[i] = failed ? '#c62828' : colour(c.k[i]);
    }
    var idle = c.idle.map((p) => ({ x: p[0], y: p[1] >= 0 ? c.rows[p[1]] : c.rows[0] }));
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: c.rows,
        datasets: [
          {
            type: 'bar',
            label: 'queued in the client pool',
            data: queued,
            backgroundColor: 'rgba(150, 160, 170, 0.25)',
            borderWidth: 0,
            grouped: false,
            barPercentage: 0.35,
            categoryPercentage: 1,
            order: 3,
          },
          {
            type: 'bar',
            label: 'request on its connection',
            data: bars,
            backgroundColor: colours,
            borderWidth: 0,
            minBarLength: 2,
            grouped: false,
            barPercentage: 0.75,
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
            backgroundColor: '#111',
            borderColor: '#111',
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
                if (ctx.datasetIndex === 0) return 'queued in the client pool';
                if (ctx.datasetIndex === 2) return `origin closed an idle connection at ${c.idle[i][0]} ms`;
                return `ports ${c.cp[i]} → ${c.op[i]} · ${c.s[i]}–${c.e[i]} ms (${(c.e[i] - c.s[i]).toFixed(1)} ms) · ${c.st[i]}`;
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
    if (kind === 'waterfall') waterfall(canvas, v);
    else if (kind === 'ports') ports(canvas, v);
    else if (kind === 'compare-ports') comparePorts(canvas);
    state.charts++;
  }

  var canvases = document.querySelectorAll('canvas[data-chart]');
  state.total = canvases.length;
  var first = true;
  var observer = new IntersectionObserver(
    (entries) => {
      entries.forEach((e) => {
        if (e.isIntersecting) {
          draw(e.target);
          observer.unobserve(e.target);
        }
      });
      if (first) {
        first = false;
        state.firstRenderMs = performance.now();
        performance.mark('lab-first-render');
      }
    },
    { rootMargin: '400px 0px' },
  );
  canvases.forEach((c) => {
    observer.observe(c);
  });
  // For tests and printing: draw everything now.
  state.drawAll = () => {
    canvases.forEach(draw);
    return state.charts;
  };
  window.addEventListener('beforeprint', state.drawAll);
})();

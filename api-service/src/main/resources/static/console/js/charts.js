// Charts drawn with uPlot (the webjar under /webjars/uplot): stacked bars over time or over named categories, each
// with the same numbers as a table beside it for screen readers and exact values.

import uPlot from '/webjars/uplot/dist/uPlot.esm.js';
import {h, table, number} from './dom.js';

export const PALETTE = ['#1f5fbf', '#d9822b', '#1b7f3b', '#8e44ad', '#b3261e', '#138a8a', '#7a6a00', '#c2185b', '#5d6d7e', '#2e4053'];

/**
 * Stacked bars. xs: unix seconds (time: true) or category indices with labels; series: [{label, values, color}],
 * one value per x. Returns an element holding the chart and a table of its numbers.
 */
export function stackedBars({title, xs, labels, time, series, yLabel, format, xFormat, height}) {
  const shown = format || ((v) => number(v));
  const figure = h('figure', {class: 'chart-figure'});
  const plot = h('div', {class: 'chart', role: 'img', 'aria-label': `${title}: a chart; the same numbers are in the table below it.`});
  figure.appendChild(h('figcaption', {class: 'small muted'}, title));
  figure.appendChild(plot);

  if (xs.length === 0 || series.length === 0) {
    plot.removeAttribute('role');
    plot.removeAttribute('aria-label');
    plot.appendChild(h('p', {class: 'muted'}, 'No data in this period.'));
    return figure;
  }

  const totals = [];
  let sum = xs.map(() => 0);
  for (const s of series) {
    sum = sum.map((v, i) => v + (s.values[i] || 0));
    totals.push(sum);
  }
  // The tallest stack is drawn first, each shorter one over it: stacked bars without uPlot's band machinery.
  const order = series.map((_, i) => i).reverse();
  const data = [xs, ...order.map((i) => totals[i])];
  const raw = [null, ...order.map((i) => series[i].values)];
  const bars = uPlot.paths.bars({size: [0.75, 48], align: 0});
  const xText = (v) => (time ? (xFormat ? xFormat(v) : new Date(v * 1000).toLocaleString()) : labels[Math.round(v)] ?? '');

  const options = {
    width: 600,
    height: height || 220,
    legend: {live: true},
    cursor: {drag: {x: false, y: false}},
    scales: {
      x: time ? {time: true} : {time: false, range: [-0.5, xs.length - 0.5]},
      y: {range: (u, min, max) => [0, Math.max(1, max * 1.1)]},
    },
    axes: [
      time
        ? {}
        : {splits: () => xs, values: (u, splits) => splits.map((v) => labels[Math.round(v)] ?? ''), grid: {show: false}},
      {label: yLabel, size: 60, values: (u, splits) => splits.map((v) => number(v, 1))},
    ],
    series: [
      {label: time ? 'When' : 'Name', value: (u, v) => (v === null || v === undefined ? '—' : xText(v))},
      ...order.map((i, n) => ({
        label: series[i].label,
        stroke: series[i].color || PALETTE[i % PALETTE.length],
        fill: series[i].color || PALETTE[i % PALETTE.length],
        width: 0,
        paths: bars,
        points: {show: false},
        value: (u, v, si, idx) => (idx === null || idx === undefined ? '—' : shown(raw[n + 1][idx] || 0)),
      })),
    ],
  };
  // uPlot measures its container: it is drawn once the figure is in the page.
  queueMicrotask(() => {
    options.width = Math.max(320, plot.clientWidth || 600);
    const chart = new uPlot(options, data, plot);
    const resize = () => {
      if (!plot.isConnected) {
        window.removeEventListener('resize', resize);
        chart.destroy();
        return;
      }
      chart.setSize({width: Math.max(320, plot.clientWidth), height: options.height});
    };
    window.addEventListener('resize', resize);
  });

  const rows = xs.map((x, i) => ({x, i}));
  figure.appendChild(h('details', {},
    h('summary', {}, 'Show the numbers'),
    table([
      {label: time ? 'When' : 'Name', cell: (r) => xText(r.x)},
      ...series.map((s) => ({label: s.label, num: true, cell: (r) => shown(s.values[r.i] || 0)})),
    ], rows.filter((r) => series.some((s) => s.values[r.i])), {caption: title, empty: 'All zero.'})));
  return figure;
}

// Charts drawn by Dala as SVG, each paired with the numbers it shows: a
// chart is never the only way to read a figure (the tables beside them are
// what screen readers and printouts use).

import {h, s} from './dom.js';
import {formatNumber, formatPercent} from './i18n.js';

// Vertical columns over time: [{label, value}] in order, with the first,
// middle and last labels under the axis. Columns are narrow when there are
// many; when there are few, each is given room enough that the labels
// under it are neither cut off at the edge nor written over each other
// (one day of fieldwork is one column and a whole date).
export function columnChart(rows, {title} = {}) {
  const top = Math.max(...rows.map((r) => r.value), 1);
  const height = 120;
  const left = Math.max(38, Math.ceil(labelWidth(formatNumber(top))) + 6);
  const marks = rows.length > 2 ? [0, Math.floor(rows.length / 2), rows.length - 1] : rows.map((r, i) => i);
  const widths = marks.map((i) => labelWidth(rows[i].label));
  const gap = 8;
  let slot = Math.max(6, Math.min(28, Math.floor(600 / Math.max(rows.length, 1))));
  if (marks.length === 1) slot = Math.max(slot, Math.ceil(widths[0] + gap));
  for (let k = 1; k < marks.length; ++k) {
    // The first label runs right from its column's middle, the last runs
    // left from its own, a middle one is centred.
    const fromPrevious = k === 1 ? widths[0] : widths[k - 1] / 2;
    const toNext = k === marks.length - 1 ? widths[k] : widths[k] / 2;
    slot = Math.max(slot, Math.ceil((fromPrevious + toNext + gap) / (marks[k] - marks[k - 1])));
  }
  const bar = Math.min(slot - 2, 28);
  const width = left + rows.length * slot + 2;
  const anchor = (i) => (marks.length === 1 ? 'middle' : i === 0 ? 'start' : i === rows.length - 1 ? 'end' : 'middle');
  return s('svg', {'class': 'chart columns', 'viewBox': `0 0 ${width} ${height + 18}`, 'role': 'img',
    'aria-label': title || '', 'preserveAspectRatio': 'xMinYMin meet'},
  s('text', {x: 0, y: 10, class: 'axis'}, formatNumber(top)),
  s('line', {x1: left - 2, x2: width, y1: height, y2: height, class: 'axis'}),
  rows.map((r, i) => {
    const tall = Math.round((height - 14) * (r.value / top));
    return s('rect', {x: left + i * slot + (slot - bar) / 2, y: height - tall, width: bar, height: tall, class: 'bar'},
        s('title', null, `${r.label}: ${formatNumber(r.value)}`));
  }),
  marks.map((i) => s('text', {'x': left + i * slot + slot / 2, 'y': height + 14, 'class': 'axis',
    'text-anchor': anchor(i)}, rows[i].label)));
}

// A label's width in the chart's units, over-estimated (11px text, about
// 0.6em a character) so that the room made for it is never too little.
function labelWidth(text) {
  return String(text).length * 6.6;
}

// A histogram: [{from, to, count}].
export function histogram(bins, {title} = {}) {
  // A bin of one value (every answer the same) is that value, not "19–19".
  const label = (b) => (b.from === b.to ? formatNumber(b.from) : `${formatNumber(b.from)}–${formatNumber(b.to)}`);
  return columnChart(bins.map((b) => ({label: label(b), value: b.count})), {title});
}

// A table of figures: columns [{key, label, align?, format?}], rows of objects.
export function figureTable(columns, rows, {caption, className} = {}) {
  return h('table', {class: ['figures', className]},
      caption ? h('caption', null, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', {scope: 'col', class: c.align}, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', {class: r.className},
          columns.map((c, i) => (i === 0 ? h('th', {scope: 'row', class: c.align}, fmt(c, r)) :
            h('td', {class: c.align}, fmt(c, r))))))));
}

function fmt(column, row) {
  const v = row[column.key];
  if (column.format) return column.format(v, row);
  if (typeof v === 'number') return formatNumber(v);
  return v === undefined || v === null ? '' : String(v);
}

// A bar inside a table cell: `value` against `scale` (a target, or the
// largest value), with the share written beside it unless `showShare` is
// false (when the table has its own column for it).
export function meter(value, scale, showShare = true) {
  const fraction = scale > 0 ? Math.min(value / scale, 1) : 0;
  return h('span', {class: ['meter', value === 0 ? 'none' : fraction >= 1 && showShare ? 'full' : '']},
      s('svg', {'viewBox': '0 0 100 10', 'aria-hidden': 'true', 'preserveAspectRatio': 'none'},
          s('rect', {x: 0, y: 0, width: 100, height: 10, class: 'track'}),
          s('rect', {x: 0, y: 0, width: Math.round(fraction * 100), height: 10, class: 'fill'})),
      showShare && scale > 0 ? h('span', null, formatPercent(value / scale)) : null);
}

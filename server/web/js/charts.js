// Charts drawn by Dala as SVG, each paired with the numbers it shows: a
// chart is never the only way to read a figure (the tables beside them are
// what screen readers and printouts use).

import {h, s} from './dom.js';
import {formatNumber, formatPercent} from './i18n.js';

// Vertical columns over time: [{label, value}] in order, with the first,
// middle and last labels under the axis.
export function columnChart(rows, {title} = {}) {
  const top = Math.max(...rows.map((r) => r.value), 1);
  const height = 120;
  const col = Math.max(6, Math.min(28, Math.floor(600 / Math.max(rows.length, 1))));
  const width = rows.length * col + 40;
  const marks = rows.length > 2 ? [0, Math.floor(rows.length / 2), rows.length - 1] : rows.map((r, i) => i);
  return s('svg', {'class': 'chart columns', 'viewBox': `0 0 ${width} ${height + 18}`, 'role': 'img',
    'aria-label': title || '', 'preserveAspectRatio': 'xMinYMin meet'},
  s('text', {x: 0, y: 10, class: 'axis'}, formatNumber(top)),
  s('line', {x1: 36, x2: width, y1: height, y2: height, class: 'axis'}),
  rows.map((r, i) => {
    const bar = Math.round((height - 14) * (r.value / top));
    return s('rect', {x: 38 + i * col, y: height - bar, width: col - 2, height: bar, class: 'bar'},
        s('title', null, `${r.label}: ${formatNumber(r.value)}`));
  }),
  marks.map((i) => s('text', {'x': 38 + i * col + (col - 2) / 2, 'y': height + 14, 'class': 'axis',
    'text-anchor': i === 0 ? 'start' : i === rows.length - 1 ? 'end' : 'middle'}, rows[i].label)));
}

// A histogram: [{from, to, count}].
export function histogram(bins, {title} = {}) {
  return columnChart(bins.map((b) => ({label: `${formatNumber(b.from)}–${formatNumber(b.to)}`, value: b.count})),
      {title});
}

// A table of figures: columns [{key, label, align?, format?}], rows of objects.
export function figureTable(columns, rows, {caption} = {}) {
  return h('table', {class: 'figures'},
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

/* Comuni aperti: progressive enhancements. No dependencies, no inline code:
   load as <script src="…/js/site.js" defer></script> (works under CSP script-src 'self').
   Without JS every table is complete (just unsorted) and the navigation is always shown. */
(function () {
  'use strict';

  var collator = new Intl.Collator('it', { numeric: true, sensitivity: 'base' });

  /* "1.234,5" / "-12,3 %" / "€ 1.000" -> number; null if the text is not a number */
  function parseItNumber(s) {
    var t = s.replace(/[\s\u00a0\u202f€%]/g, '').replace(/\u2212/g, '-');
    if (!/^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$/.test(t)) return null;
    return parseFloat(t.replace(/\./g, '').replace(',', '.'));
  }

  /* cell of row `tr` that covers column `col` (colspans counted) */
  function cellAt(tr, col) {
    for (var i = 0, c = 0; i < tr.cells.length; i++) {
      c += tr.cells[i].colSpan || 1;
      if (c > col) return tr.cells[i];
    }
    return null;
  }

  /* sort key: {e: empty, n: number|null, s: string} */
  function keyOf(cell, numCol) {
    if (!cell) return { e: true };
    var raw = cell.getAttribute('data-sort'), v;
    if (raw !== null) {
      v = raw.trim();
      if (v === '') return { e: true };
      var n = Number(v);
      return isFinite(n) ? { n: n } : { s: v };
    }
    v = cell.textContent.replace(/\s+/g, ' ').trim();
    if (v === '' || v === '\u2013' || v === '\u2014' || v === '-') return { e: true };
    if (numCol || cell.classList.contains('num')) {
      var p = parseItNumber(v);
      if (p !== null) return { n: p };
    }
    return { s: v };
  }

  function compareKeys(a, b) {
    if (a.n !== undefined && b.n !== undefined) return a.n - b.n;
    if (a.n !== undefined) return -1;          /* numbers before text */
    if (b.n !== undefined) return 1;
    return collator.compare(a.s, b.s);
  }

  function sortTable(table, th, col, dir, live) {
    var numCol = th.classList.contains('num');
    var sign = dir === 'ascending' ? 1 : -1;
    Array.prototype.forEach.call(table.tBodies, function (tbody) {
      var rows = Array.prototype.map.call(tbody.rows, function (tr, i) {
        return { tr: tr, i: i, k: keyOf(cellAt(tr, col), numCol) };
      });
      rows.sort(function (a, b) {
        if (a.k.e || b.k.e) return a.k.e && b.k.e ? a.i - b.i : (a.k.e ? 1 : -1); /* empty last */
        return sign * compareKeys(a.k, b.k) || a.i - b.i;
      });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r.tr); });
      tbody.appendChild(frag);
    });
    var ths = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(ths, function (h) {
      if (h !== th && h.hasAttribute('aria-sort')) h.removeAttribute('aria-sort');
    });
    th.setAttribute('aria-sort', dir);
    if (live) {
      live.textContent = 'Tabella ordinata per \u00ab' + th.textContent.trim() + '\u00bb, ordine ' +
        (dir === 'ascending' ? 'crescente' : 'decrescente') + '.';
    }
  }

  function initSortable(table) {
    if (!table.tHead || !table.tHead.rows.length || !table.tBodies.length) return;
    var headRow = table.tHead.rows[table.tHead.rows.length - 1];
    var live = document.createElement('span');
    live.className = 'visually-hidden';
    live.setAttribute('aria-live', 'polite');
    table.parentNode.insertBefore(live, table.nextSibling);
    var col = 0;
    Array.prototype.forEach.call(headRow.cells, function (th) {
      var myCol = col;
      col += th.colSpan || 1;
      if (th.colSpan > 1 || th.classList.contains('no-sort') || th.getAttribute('data-sort') === 'none') return;
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'sort';
      while (th.firstChild) btn.appendChild(th.firstChild);
      th.appendChild(btn);
      btn.addEventListener('click', function () {
        var cur = th.getAttribute('aria-sort');
        var dir = cur === 'ascending' ? 'descending'
          : cur === 'descending' ? 'ascending'
          : (th.getAttribute('data-sort-default') === 'descending' ? 'descending' : 'ascending');
        sortTable(table, th, myCol, dir, live);
      });
    });
  }

  function initNavToggle(btn) {
    var target = document.getElementById(btn.getAttribute('aria-controls') || '');
    if (!target) return;
    function set(open) {
      btn.setAttribute('aria-expanded', open ? 'true' : 'false');
      target.classList.toggle('is-collapsed', !open);
    }
    target.classList.add('nav-collapsible');
    set(false);
    btn.hidden = false;
    btn.addEventListener('click', function () {
      set(btn.getAttribute('aria-expanded') !== 'true');
    });
    function onKey(e) {
      if ((e.key === 'Escape' || e.key === 'Esc') && btn.getAttribute('aria-expanded') === 'true') {
        set(false);
        btn.focus();
      }
    }
    btn.addEventListener('keydown', onKey);
    target.addEventListener('keydown', onKey);
  }

  function init() {
    document.documentElement.classList.add('js');
    Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), initSortable);
    Array.prototype.forEach.call(document.querySelectorAll('button.nav-toggle[aria-controls]'), initNavToggle);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();

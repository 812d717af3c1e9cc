/* Comuni aperti: compare any two comuni (/confronta/). Loaded only by the comparison pages as
   <script src="/static/js/compare.js" defer></script>; no inline code, no innerHTML.
   Without JS the page still works: the pages of neighbouring comuni are built in full
   (/confronta/<a>-<b>/), and /confronta/ explains where to find them.
   With JS, a form picks two comuni from the A-Z list (/confronta/comuni.json, fetched when
   the form is first used) and the comparison is drawn from the two pages' JSON twins
   (/comuni/<istat>/index.json): the same table and sentences as the built pages. The pair
   is read from ?a=&b= or from a path /confronta/<a>-<b>/ that has no page of its own
   (netlify.toml rewrites it to /confronta/). */
(function () {
  'use strict';

  var root = document.querySelector('[data-compare]');
  if (!root) return;
  var title = root.querySelector('[data-compare-title]');
  var result = root.querySelector('[data-compare-result]');
  var CODE = /^\d{6}$/;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  /* it-IT with a thousands dot from 1.000 on (as the built pages: formatting.num) */
  function num(n) {
    if (n === null || n === undefined) return '\u2013';
    return String(Math.round(Number(n))).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  }

  /* ---------- the pair asked for ---------- */
  function requested() {
    var q = new URLSearchParams(window.location.search);
    var a = q.get('a'), b = q.get('b');
    var m = window.location.pathname.match(/^\/confronta\/(\d{6})-(\d{6})\/?$/);
    if (m && !root.getAttribute('data-a')) { a = m[1]; b = m[2]; }
    return { a: CODE.test(a || '') ? a : root.getAttribute('data-a'),
             b: CODE.test(b || '') ? b : root.getAttribute('data-b') };
  }

  /* ---------- the form ---------- */
  var comuni = null;          /* [[istat, name, sigla]] */
  var byLabel = {};

  function label(c) { return c[1] + ' (' + c[2] + ')'; }

  function loadComuni() {
    if (!comuni) {
      comuni = fetch('/confronta/comuni.json').then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).then(function (list) {
        var dl = document.getElementById('compare-comuni');
        var frag = document.createDocumentFragment();
        list.forEach(function (c) {
          byLabel[label(c).toLocaleLowerCase('it')] = c[0];
          frag.appendChild(el('option', { value: label(c) }));
        });
        dl.appendChild(frag);
        return list;
      });
      comuni.catch(function () { comuni = null; });
    }
    return comuni;
  }

  function codeOf(value) {
    var v = String(value || '').trim();
    if (CODE.test(v)) return v;
    return byLabel[v.toLocaleLowerCase('it')] || null;
  }

  var form = el('form', { 'class': 'compare-form', action: '/confronta/', method: 'get' });
  var status = el('p', { 'class': 'search-status', role: 'status', 'aria-live': 'polite' });
  var inputs = ['a', 'b'].map(function (k, i) {
    var id = 'compare-' + k;
    var wrap = el('div', { 'class': 'compare-field' });
    wrap.appendChild(el('label', { 'for': id }, i === 0 ? 'Primo comune' : 'Secondo comune'));
    var input = el('input', { id: id, name: k, type: 'text', list: 'compare-comuni',
                              autocomplete: 'off', spellcheck: 'false',
                              'aria-describedby': 'compare-hint' });
    input.addEventListener('focus', function () { loadComuni().catch(function () {}); });
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  });
  form.appendChild(el('datalist', { id: 'compare-comuni' }));
  form.appendChild(el('button', { type: 'submit', 'class': 'btn btn-primary' }, 'Confronta'));
  form.appendChild(el('p', { id: 'compare-hint', 'class': 'search-hint' },
    'Scrivi il nome e scegli il comune dall\u2019elenco (oppure il codice ISTAT).'));
  root.insertBefore(form, result);
  root.insertBefore(status, result);

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    loadComuni().then(function () {
      var a = codeOf(inputs[0].value), b = codeOf(inputs[1].value);
      if (!a || !b) {
        status.textContent = 'Scegli due comuni dall\u2019elenco.';
        (a ? inputs[1] : inputs[0]).focus();
        return;
      }
      if (window.history && window.history.pushState) {
        window.history.pushState(null, '', '/confronta/?a=' + a + '&b=' + b);
      }
      show(a, b);
    }).catch(function () {
      status.textContent = 'L\u2019elenco dei comuni non \u00e8 disponibile in questo momento.';
    });
  });

  /* ---------- the comparison, from the two JSON twins ---------- */
  function twin(code) {
    return fetch('/comuni/' + code + '/index.json').then(function (r) {
      if (!r.ok) throw new Error(code);
      return r.json();
    });
  }

  function rowsOf(a, b) {
    var rows = [
      ['Provincia', a.province.name + ' (' + a.province.sigla + ')', b.province.name + ' (' + b.province.sigla + ')'],
      ['Regione', a.region, b.region],
      ['Popolazione (ISTAT 2023)', num(a.population), num(b.population)],
      ['Bambini 0-6 anni', num(a.population_0_6), num(b.population_0_6)]
    ];
    var keys = [], items = { a: {}, b: {} };
    [['a', a], ['b', b]].forEach(function (p) {
      (p[1].summary || []).forEach(function (s) {
        if (s.via) return;
        items[p[0]][s.key] = s;
        if (keys.indexOf(s.key) === -1) keys.push(s.key);
      });
    });
    var sections = [];
    var RANKS = { rank_province: 'posizione in provincia', rank_region: 'posizione in regione' };
    keys.forEach(function (k) {
      var ia = items.a[k], ib = items.b[k], any = ia || ib;
      ['value', 'per', 'rank_province', 'rank_region'].forEach(function (w) {
        var fa = ia && ia.figures && ia.figures[w], fb = ib && ib.figures && ib.figures[w];
        if (fa || fb) {
          rows.push([any.title + ': ' + ((fa || fb).label || RANKS[w]),
                     fa ? fa.text : '\u2013', fb ? fb.text : '\u2013']);
        }
      });
      sections.push({ title: any.title, url: any.url,
                      a: ia ? ia.text : a.name + ' non compare.',
                      b: ib ? ib.text : b.name + ' non compare.' });
    });
    return { rows: rows, sections: sections };
  }

  function draw(a, b) {
    var data = rowsOf(a, b);
    title.textContent = '';
    title.appendChild(el('a', { href: a.urls.html }, a.name));
    title.appendChild(document.createTextNode(' e '));
    title.appendChild(el('a', { href: b.urls.html }, b.name));
    title.appendChild(document.createTextNode(' a confronto'));
    document.title = a.name + ' e ' + b.name + ' a confronto \u00b7 Comuni aperti';
    result.textContent = '';
    var wrap = el('div', { 'class': 'table-wrap', tabindex: '0', role: 'region',
                           'aria-label': 'Cifre a confronto' });
    var table = el('table', { 'class': 'data compact' });
    table.appendChild(el('caption', null, 'Cifre a confronto'));
    var head = el('tr');
    head.appendChild(el('th', { scope: 'col' }, 'Voce'));
    head.appendChild(el('th', { scope: 'col', 'class': 'num' }, a.name));
    head.appendChild(el('th', { scope: 'col', 'class': 'num' }, b.name));
    table.appendChild(el('thead')).appendChild(head);
    var body = el('tbody');
    data.rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('th', { scope: 'row' }, r[0]));
      tr.appendChild(el('td', { 'class': 'num' }, r[1]));
      tr.appendChild(el('td', { 'class': 'num' }, r[2]));
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    result.appendChild(wrap);
    data.sections.forEach(function (s) {
      var h = el('h2');
      h.appendChild(el('a', { href: s.url }, s.title));
      result.appendChild(h);
      var ul = el('ul', { 'class': 'glance-list' });
      ul.appendChild(el('li', null, s.a));
      ul.appendChild(el('li', null, s.b));
      result.appendChild(ul);
    });
    var p = el('p', { 'class': 'provenance' }, 'Le fonti di ogni cifra sono nelle pagine dei due comuni: ');
    p.appendChild(el('a', { href: a.urls.html }, a.name));
    p.appendChild(document.createTextNode(', '));
    p.appendChild(el('a', { href: b.urls.html }, b.name));
    p.appendChild(document.createTextNode('.'));
    result.appendChild(p);
  }

  function show(a, b) {
    status.textContent = 'Caricamento\u2026';
    root.setAttribute('aria-busy', 'true');
    return Promise.all([twin(a), twin(b)]).then(function (t) {
      inputs[0].value = t[0].name + ' (' + t[0].province.sigla + ')';
      inputs[1].value = t[1].name + ' (' + t[1].province.sigla + ')';
      draw(t[0], t[1]);
      status.textContent = 'Confronto tra ' + t[0].name + ' e ' + t[1].name + '.';
    }).catch(function () {
      status.textContent = 'Uno dei due comuni non \u00e8 stato trovato.';
    }).then(function () { root.removeAttribute('aria-busy'); });
  }

  var want = requested();
  if (want.a && want.b && (want.a !== root.getAttribute('data-a') || want.b !== root.getAttribute('data-b'))) {
    show(want.a, want.b);
  } else if (want.a && want.b) {
    /* a built page: fill the form only */
    inputs[0].value = root.getAttribute('data-a-label') || want.a;
    inputs[1].value = root.getAttribute('data-b-label') || want.b;
    byLabel[inputs[0].value.toLocaleLowerCase('it')] = want.a;
    byLabel[inputs[1].value.toLocaleLowerCase('it')] = want.b;
  } else if (want.a) {
    twin(want.a).then(function (t) {
      inputs[0].value = t.name + ' (' + t.province.sigla + ')';
      inputs[1].focus();
    }).catch(function () {});
  }
  window.addEventListener('popstate', function () {
    var w = requested();
    if (w.a && w.b) show(w.a, w.b);
  });

  window.comuniApertiCompare = { rowsOf: rowsOf };
})();

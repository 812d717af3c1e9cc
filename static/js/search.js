/* Comuni aperti: search page (/cerca/) on top of Pagefind's JS API.
   Loaded only by /cerca/ as <script src="/static/js/search.js" defer></script>; no inline code,
   no innerHTML: every node is built with the DOM API (works under CSP script-src 'self'
   'wasm-unsafe-eval'). /pagefind/pagefind.js is loaded with a dynamic import() the first time
   a query is run, and fetches only the index chunks that query needs.
   Mount point: <div id="search" data-search></div>. Without JS that div stays empty and the
   page's own text links to the A–Z index. */
(function () {
  'use strict';

  var root = document.querySelector('[data-search]');
  if (!root) return;

  var PAGE_SIZE = 10;
  var RERANK = 20;
  var DEBOUNCE_MS = 250;
  var BUNDLE = '/pagefind/pagefind.js';
  var APOSTROPHES = '\'\u2019\u02bc\u0060\u00b4\u2018';
  var KINDS = [
    ['/comuni/', 'Comune'],
    ['/programmi/', 'Programma'],
    ['/documenti/', 'Atto']
  ];

  /* ---------- query normalisation ----------
     Pagefind (1.5, the version we build with) lower-cases, drops punctuation and folds
     diacritics in both the index and the query, so "Fenegrò", "fenegro" and "FENEGRÒ" meet;
     we keep the accents (Pagefind ranks an exact accent match a little higher). What it does
     badly is apostrophes, which it deletes:
       "FENEGRO'"       -> "fenegro"         (apostrophe typed instead of an accent)
       "Sant'Angelo"    -> "sant angelo"     (elision: two words, as the page text is indexed)
       "Cassano d’Adda" -> "cassano d adda"                                                 */
  var APOS = '[' + APOSTROPHES + ']';
  var ELISION = new RegExp('([\\p{L}\\p{N}])' + APOS + '+(?=[\\p{L}\\p{N}])', 'gu');
  var ANY_APOS = new RegExp(APOS, 'g');

  function normaliseQuery(q) {
    return String(q || '').normalize('NFC').toLocaleLowerCase('it')
      .replace(ELISION, '$1 ')
      .replace(ANY_APOS, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  }

  /* comparison key for re-ranking: normalised and without diacritics */
  function foldKey(s) {
    return normaliseQuery(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/\s*\([^)]*\)$/, '');
  }

  /* ---------- safe excerpt: text + <mark> only ----------
     Pagefind returns the excerpt as an HTML string whose only tags are <mark>…</mark> around
     the matched words (the rest is page text, HTML-escaped). We never parse it as HTML: split
     on the two mark tags, drop anything else that looks like a tag, decode character
     references, and build text nodes and <mark> elements. */
  var NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'', nbsp: '\u00a0', '#39': '\'' };

  function decodeEntities(s) {
    return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+|#39);/gi, function (m, e) {
      var low = e.toLowerCase();
      if (Object.prototype.hasOwnProperty.call(NAMED, low)) return NAMED[low];
      var cp = NaN;
      if (low.charAt(0) === '#') {
        cp = low.charAt(1) === 'x' ? parseInt(low.slice(2), 16) : parseInt(low.slice(1), 10);
      }
      if (!isFinite(cp) || cp < 1 || cp > 0x10ffff) return m;
      try { return String.fromCodePoint(cp); } catch (err) { return m; }
    });
  }

  function excerptNodes(html) {
    var frag = document.createDocumentFragment();
    var parts = String(html || '').split(/(<\/?mark>)/i);
    var inMark = false;
    parts.forEach(function (p) {
      if (/^<mark>$/i.test(p)) { inMark = true; return; }
      if (/^<\/mark>$/i.test(p)) { inMark = false; return; }
      var text = decodeEntities(p.replace(/<[^>]*>/g, ''));
      if (!text) return;
      if (inMark) {
        var m = document.createElement('mark');
        m.textContent = text;
        frag.appendChild(m);
      } else {
        frag.appendChild(document.createTextNode(text));
      }
    });
    return frag;
  }

  /* ---------- DOM ---------- */
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  var form = el('form', { 'class': 'search-box', action: '/cerca/', method: 'get', role: 'search' });
  var label = el('label', { 'for': 'search-q' }, 'Cerca un comune, un programma o un atto');
  var row = el('div', { 'class': 'search-row' });
  var input = el('input', {
    id: 'search-q', name: 'q', type: 'search', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', enterkeyhint: 'search', 'aria-describedby': 'search-hint',
    'aria-controls': 'search-results'
  });
  var button = el('button', { type: 'submit', 'class': 'btn btn-primary' }, 'Cerca');
  var hint = el('p', { id: 'search-hint', 'class': 'search-hint' },
    'Maiuscole, accenti e apostrofi non contano: \u00abfenegro\u00bb trova Fenegr\u00f2.');
  row.appendChild(input);
  row.appendChild(button);
  form.appendChild(label);
  form.appendChild(row);
  form.appendChild(hint);

  /* ---------- filters (Pagefind filters set by each page: partials/search-facets.html) ----
     One <select> per filter; the options (with their page counts) come from the index the
     first time Pagefind loads. A filter alone, with no words, lists every page it keeps. */
  var FILTERS = [['tipo', 'Tipo di pagina', 'Tutti'], ['regione', 'Regione', 'Tutte'],
                 ['provincia', 'Provincia', 'Tutte'], ['programma', 'Programma', 'Tutti']];
  var filterBox = el('fieldset', { 'class': 'search-filters' });
  filterBox.appendChild(el('legend', null, 'Filtra i risultati'));
  var selects = {};
  var initialParams = new URLSearchParams(window.location.search);
  FILTERS.forEach(function (f) {
    var id = 'filtro-' + f[0];
    var wrap = el('div', { 'class': 'search-filter' });
    wrap.appendChild(el('label', { 'for': id }, f[1]));
    var sel = el('select', { id: id, name: f[0] });
    sel.appendChild(el('option', { value: '' }, f[2]));
    var want = initialParams.get(f[0]);
    if (want) {                      /* keep the asked value until the options arrive */
      var o = el('option', { value: want }, want);
      o.selected = true;
      sel.appendChild(o);
    }
    sel.addEventListener('change', function () { run(input.value); });
    sel.addEventListener('focus', function () { loadFilters(); }, { once: true });
    wrap.appendChild(sel);
    filterBox.appendChild(wrap);
    selects[f[0]] = sel;
  });
  form.appendChild(filterBox);

  function chosenFilters() {
    var out = {}, any = false;
    FILTERS.forEach(function (f) {
      var v = selects[f[0]].value;
      if (v) { out[f[0]] = v; any = true; }
    });
    return any ? out : null;
  }

  var filtersLoaded = null;
  function loadFilters() {
    if (!filtersLoaded) {
      filtersLoaded = loadPagefind().then(function (pf) { return pf.filters(); }).then(function (all) {
        FILTERS.forEach(function (f) {
          var sel = selects[f[0]], keep = sel.value, values = (all && all[f[0]]) || {};
          while (sel.options.length > 1) sel.remove(1);
          Object.keys(values).sort(function (a, b) { return a.localeCompare(b, 'it'); })
            .forEach(function (v) {
              var o = el('option', { value: v }, v + ' (' + values[v].toLocaleString('it-IT') + ')');
              if (v === keep) o.selected = true;
              sel.appendChild(o);
            });
        });
      });
      filtersLoaded.catch(function () { filtersLoaded = null; });
    }
    return filtersLoaded;
  }

  var status = el('p', { id: 'search-status', 'class': 'search-status', role: 'status',
                         'aria-live': 'polite', 'aria-atomic': 'true' });
  var list = el('ol', { id: 'search-results', 'class': 'search-results',
                        'aria-labelledby': 'search-status' });
  var more = el('button', { type: 'button', 'class': 'btn btn-outline-primary search-more' },
    'Mostra altri risultati');
  more.hidden = true;

  root.appendChild(form);
  root.appendChild(status);
  root.appendChild(list);
  root.appendChild(more);
  root.classList.add('search-ready');

  /* ---------- Pagefind ---------- */
  var pagefindPromise = null;

  function loadPagefind() {
    if (!pagefindPromise) {
      pagefindPromise = import(BUNDLE).then(function (pf) {
        return Promise.resolve(pf.options({ excerptLength: 24 })).then(function () {
          return Promise.resolve(pf.init && pf.init());
        }).then(function () { return pf; });
      });
      pagefindPromise.catch(function () { pagefindPromise = null; });
    }
    return pagefindPromise;
  }

  function kindOf(url) {
    for (var i = 0; i < KINDS.length; i++) {
      if (url.indexOf(KINDS[i][0]) === 0) return KINDS[i][1];
    }
    return '';
  }

  /* Pagefind URLs end in "/index.html" only when pages were indexed without clean URLs. */
  function cleanUrl(url) {
    return String(url || '').replace(/\/index\.html(?=$|[?#])/, '/');
  }

  function titleOf(data) {
    return (data.meta && data.meta.title) || cleanUrl(data.url);
  }

  /* Pagefind ranks by stems: "crema" scores Cremasco, Cremia and Crema alike. Among the first
     RERANK results (their fragments are needed anyway to show them), put first the page whose
     title IS the query, then titles starting with it, then titles containing every word of
     it; otherwise keep Pagefind's order. */
  var WORD_SPLIT = /[^\p{L}\p{N}]+/u;

  function tier(data, key, words) {
    var t = foldKey(titleOf(data));
    if (t === key) return 0;
    if (t.indexOf(key + ' ') === 0) return 1;
    var have = t.split(WORD_SPLIT);
    if (words.length && words.every(function (w) { return have.indexOf(w) !== -1; })) return 2;
    return 3;
  }

  function renderResult(data) {
    var url = cleanUrl(data.url);
    var li = el('li', { 'class': 'search-result' });
    var h = el('h2', { 'class': 'search-result-title' });
    h.appendChild(el('a', { href: url }, titleOf(data)));
    li.appendChild(h);
    /* the page says what it is (data-pagefind-meta="tipo:..."); the URL is the fallback */
    var kind = (data.meta && data.meta.tipo) || kindOf(url);
    var info = el('p', { 'class': 'search-result-url' });
    /* optional meta from the page: data-pagefind-meta="provincia" (e.g. "Como (CO)") */
    var where = data.meta && data.meta.provincia;
    if (kind) info.appendChild(el('span', { 'class': 'search-result-kind' }, kind));
    info.appendChild(document.createTextNode(
      (kind ? ' \u00b7 ' : '') + (where ? 'provincia di ' + where + ' \u00b7 ' : '') + url));
    li.appendChild(info);
    if (data.excerpt) {
      var p = el('p', { 'class': 'search-result-excerpt' });
      p.appendChild(excerptNodes(data.excerpt));
      li.appendChild(p);
    }
    return li;
  }

  function plural(n, one, many) {
    return n.toLocaleString('it-IT') + ' ' + (n === 1 ? one : many);
  }

  var seq = 0;            /* id of the latest query: stale answers are ignored */
  var current = null;     /* { items: [{r, d}], shown, seq } */

  function dataOf(item) {
    if (!item.p) item.p = item.d ? Promise.resolve(item.d) : item.r.data();
    return item.p;
  }

  function showMore() {
    var state = current;
    if (!state) return Promise.resolve(null);
    var batch = state.items.slice(state.shown, state.shown + PAGE_SIZE);
    more.disabled = true;
    return Promise.all(batch.map(dataOf)).then(function (datas) {
      if (state.seq !== seq) return null;
      var firstNew = null;
      datas.forEach(function (d) {
        var li = renderResult(d);
        if (!firstNew) firstNew = li;
        list.appendChild(li);
      });
      state.shown += batch.length;
      more.hidden = state.shown >= state.items.length;
      more.disabled = false;
      return firstNew;
    });
  }

  function setUrl(q) {
    if (!window.history || !window.history.replaceState) return;
    var url = new URL(window.location.href);
    if (q) url.searchParams.set('q', q); else url.searchParams.delete('q');
    FILTERS.forEach(function (f) {
      var v = selects[f[0]].value;
      if (v) url.searchParams.set(f[0], v); else url.searchParams.delete(f[0]);
    });
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }

  function clear() {
    seq++;
    current = null;
    list.textContent = '';
    more.hidden = true;
    status.textContent = '';
    root.removeAttribute('aria-busy');
  }

  function run(raw) {
    var shown = String(raw || '').trim();
    var q = normaliseQuery(raw);
    var filters = chosenFilters();
    setUrl(shown);
    if (!q && !filters) { clear(); return Promise.resolve(); }
    var mySeq = ++seq;
    var key = foldKey(q);
    var words = key.split(WORD_SPLIT).filter(Boolean);
    root.setAttribute('aria-busy', 'true');
    return loadPagefind().then(function (pf) {
      loadFilters();
      return filters ? pf.search(q || null, { filters: filters }) : pf.search(q);
    }).then(function (search) {
      if (mySeq !== seq) return null;
      var items = ((search && search.results) || []).map(function (r) { return { r: r }; });
      var head = items.slice(0, RERANK);
      return Promise.all(head.map(dataOf)).then(function (datas) {
        if (mySeq !== seq) return null;
        var ranked = head.map(function (item, i) {
          item.d = datas[i];
          return { item: item, i: i, t: tier(datas[i], key, words) };
        });
        ranked.sort(function (a, b) { return a.t - b.t || a.i - b.i; });
        current = { items: ranked.map(function (x) { return x.item; }).concat(items.slice(RERANK)),
                    shown: 0, seq: mySeq };
        list.textContent = '';
        more.hidden = true;
        return showMore();
      }).then(function () {
        if (mySeq !== seq) return;
        var n = current.items.length;
        root.removeAttribute('aria-busy');
        var what = (shown ? ' per \u00ab' + shown + '\u00bb' : '') +
          (filters ? ' (' + Object.keys(filters).map(function (k) { return filters[k]; }).join(', ') + ')' : '');
        status.textContent = n
          ? plural(n, 'risultato', 'risultati') + what
          : 'Nessun risultato' + what + '. Prova l\u2019indice A\u2013Z dei comuni.';
      });
    }).catch(function (err) {
      if (mySeq !== seq) return;
      root.removeAttribute('aria-busy');
      list.textContent = '';
      more.hidden = true;
      status.textContent = 'La ricerca non \u00e8 disponibile in questo momento: usa l\u2019indice A\u2013Z dei comuni.';
      if (window.console && console.warn) console.warn('search:', err);
    });
  }

  var timer = null;
  input.addEventListener('input', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { run(input.value); }, DEBOUNCE_MS);
  });
  /* on focus: start fetching the bundle + WASM before the first keystroke */
  input.addEventListener('focus', function () { loadFilters().catch(function () {}); }, { once: true });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    window.clearTimeout(timer);
    run(input.value);
  });
  more.addEventListener('click', function () {
    showMore().then(function (firstNew) {
      var a = firstNew && firstNew.querySelector('a');
      if (a) a.focus();
    });
  });

  var initial = initialParams.get('q');
  if (initial || chosenFilters()) {
    input.value = initial || '';
    run(initial || '');
  }

  /* exposed for tests and the browser console */
  window.comuniApertiSearch = { normaliseQuery: normaliseQuery, foldKey: foldKey,
                                 excerptNodes: excerptNodes };
})();

"""axe-core (vendored, tests/browser/vendor/) on the four page kinds + the search page:
0 violations of the WCAG 2.0/2.1 A and AA rules.

Known violations (reported for the templates/CSS owners) are listed in KNOWN by page and rule;
a page whose ONLY violations are known ones is an expected failure (strict): any new rule
still fails the test, and fixing them makes the test XPASS, i.e. fail until KNOWN is updated.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import PAGES, SEARCH_PAGE, VENDOR, KnownIssue

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ALL_PAGES = {**PAGES, "search": SEARCH_PAGE}

# page id -> {rule id: short description of the fix}; keep in sync with the report.
KNOWN: dict[str, dict[str, str]] = {}

# Long data tables repeat one row template: axe checks their first 50 body rows (the
# programme page has ~19 000 cells, which would take axe most of a minute on a busy core).
EXCLUDE = [".table-wrap > table.data > tbody > tr:nth-child(n+51)"]

RUN_AXE = """
var done = arguments[arguments.length - 1];
var context = {exclude: arguments[1].map(function (s) { return [s]; })};
axe.run(context, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(function (r) {
    done({version: axe.version, violations: r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help, tags: v.tags,
              nodes: v.nodes.map(function (n) {
                return {target: n.target.join(' '), html: n.html.slice(0, 200),
                        summary: (n.failureSummary || '').slice(0, 400)};
              })};
    })});
  }, function (e) { done({error: String(e)}); });
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def run_axe(drv, axe_source: str) -> dict:
    drv.execute_script(axe_source)
    drv.set_script_timeout(180)
    try:
        res = drv.execute_async_script(RUN_AXE, WCAG_TAGS, EXCLUDE)
    finally:
        drv.set_script_timeout(30)
    assert "error" not in res, res
    return res


def describe(violations) -> str:
    out = []
    for v in violations:
        out.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes)")
        for n in v["nodes"][:5]:
            out.append(f"    {n['target']}\n      {n['html']}\n      {n['summary']}")
    return "\n".join(out)


def _params():
    for key, path in ALL_PAGES.items():
        marks = []
        if KNOWN.get(key):
            marks.append(
                pytest.mark.xfail(
                    raises=KnownIssue,
                    strict=True,
                    reason="known axe violations: "
                    + "; ".join(f"{rule} ({fix})" for rule, fix in KNOWN[key].items()),
                )
            )
        yield pytest.param(key, path, id=key, marks=marks)


@pytest.mark.parametrize("key, path", list(_params()))
def test_axe_wcag21_aa(browser, server, axe_source, key, path):
    browser.get(server.url(path))
    if path.startswith("/cerca/"):
        WebDriverWait(browser, 20).until(
            lambda d: d.execute_script(
                "var s = document.getElementById('search-status');"
                "return !!(s && s.textContent.trim()) && !document.querySelector('[aria-busy]');"
            )
        )
    res = run_axe(browser, axe_source)
    violations = res["violations"]
    known = KNOWN.get(key, {})
    unknown = [v for v in violations if v["id"] not in known]
    assert unknown == [], f"axe-core {res['version']} on {path}:\n" + describe(unknown)
    if violations:
        raise KnownIssue("known violations: " + ", ".join(v["id"] for v in violations))


def test_axe_harness_reports_violations(browser, server, axe_source):
    """Guard against a silently passing harness: a planted image without alt is reported."""
    browser.get(server.url("/"))
    browser.execute_script(
        "var i = document.createElement('img'); i.src = '/static/maps/province/CR.svg';"
        "i.width = 10; i.height = 10; document.querySelector('main').appendChild(i);"
    )
    ids = {v["id"] for v in run_axe(browser, axe_source)["violations"]}
    assert "image-alt" in ids

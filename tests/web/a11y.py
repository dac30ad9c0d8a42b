"""Accessibility checks of a page in the browser tests: axe-core (npm, pinned in
tests/support/node/package-lock.json and installed with it) run in the page for the rules of
WCAG 2.0/2.1 levels A and AA, as the Danish web accessibility act asks. The page's context must
be made with ``bypass_csp=True`` (the site's Content-Security-Policy refuses injected scripts)."""

from __future__ import annotations

from tests.support import oidc

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[str]:
    """The axe-core violations of WCAG 2.1 A/AA on ``page`` (rule id, impact, first targets)."""
    oidc.install()
    page.add_script_tag(path=str(oidc.FOLDER / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        if (r.passes.length < 10) throw new Error(`axe checked only ${r.passes.length} rules`);
        return r.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
    }""", WCAG_AA)
    return list(result)


def overflows_horizontally(page) -> bool:
    """Must the reader scroll sideways (WCAG 1.4.10 reflow at 320-390 px)?"""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")

"""axe-core (node_modules/axe-core, from the npm registry) run in the page: WCAG 2 A and AA
rules, failing on serious or critical violations with a list a person can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}


def new_axe_context(browser: Any, **options: Any) -> Any:
    """A browser context whose pages accept the injected axe script. The app's pages send a
    strict Content-Security-Policy; `bypass_csp` is for this audit context only, so every other
    browser test still runs under the policy users get."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `npm ci` (make install)")
    options.setdefault("viewport", {"width": 1280, "height": 860})
    return browser.new_context(bypass_csp=True, **options)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2 A/AA violations axe finds in the page as it is now."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """async (tags) => await window.axe.run(document, {
            runOnly: { type: "tag", values: tags },
            resultTypes: ["violations"],
        })""",
        WCAG_TAGS,
    )
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per rule: what is wrong, how to fix it, and where (CSS selectors)."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            target = json.dumps(node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str) -> None:
    """Fail with a readable list when the page has serious or critical violations."""
    violations = serious_violations(page)
    assert not violations, f"axe found problems on {where} ({page.url}):\n{describe(violations)}"

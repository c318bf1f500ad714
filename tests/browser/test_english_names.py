"""English mode shows no Chinese (issue 15): the 产业监测 page on every tab (place names in
pinyin, chain links from the link vocabulary) and the analysis panel's gaps and supply results.
Scanned with ``tests.language.problems``."""

from __future__ import annotations

import pytest

from tests.language import problems

TABS = ("enterprises", "products", "projects", "leads", "tasks", "atlas", "funnel")
#: Visible text: the page's own text and the SVG text of its charts (Plotly draws in SVG).
VISIBLE_JS = ("() => document.body.innerText + ' ' + Array.from(document.querySelectorAll('svg text'))"
              ".map(e => e.textContent).join(' ')")


@pytest.mark.parametrize("tab", TABS)
def test_brw330_industry_page_in_english_has_no_chinese(page, app_server, wait_for_callbacks, shot, tab):
    page.goto(app_server + f"/industry?tab={tab}&lang=en")
    wait_for_callbacks(page)
    text = page.evaluate(VISIBLE_JS).replace("中文", "")  # the switch back names its language in it
    assert len(text) > 200
    assert problems(text, "en") == [], problems(text, "en")[:20]
    if tab == "atlas":
        shot(page, "15-industry-en-atlas")

"""The data of a coverage-gap report: ``Report`` (everything a report shows, computed once by
``layers.report.build.build_report``), ``Finding`` and ``ReportError``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


class ReportError(ValueError):
    """A report parameter that cannot be used (names the key, what was found, what is expected)."""


@dataclass(frozen=True)
class Finding:
    """One plain-language finding derived from the report's figures by a rule.

    ``key`` names the rule, ``severity`` is high / medium / info / ok, ``zh`` and ``en`` are the
    sentence, ``values`` the figures it states (unrounded), ``hazard`` and ``adcode`` what it is
    about (None: every hazard, the report's unit).
    """

    key: str
    severity: str
    zh: str
    en: str
    hazard: str | None = None
    adcode: str | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang``."""
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Report:
    """Everything a coverage-gap report shows, computed once (treat the frames as read-only).

    Attributes
    ----------
    cover
        JSON-ready dict: ``title_zh``/``title_en``, ``unit`` (adcode, name, level, parents),
        ``hazards`` (name, threshold), ``date``, ``build_id``, ``region``, ``provenance``
        (note, sources, precision, hazard layers, exposure), ``standards``, ``parameters``,
        ``methods``.
    headline
        One row per hazard: at-risk area and population, gap area and share, share covered
        per tier, worst and p90 hours, depot counts, missing chains.
    findings
        ``Finding`` sentences in Chinese and English, worst first.
    tables
        ``units``, ``worst_cells``, ``depots``, ``chains``, ``chain_matrix``,
        ``siting_summary``, ``siting`` (DataFrames; columns named in ``labels.COLUMNS``).
    charts
        ``coverage_by_tier``, ``hours_histogram`` (and the chain heatmap is
        ``tables["chain_matrix"]``).
    maps
        ``cells`` (at-risk cells with an H3 ``cell`` string and their attributes),
        ``facilities`` (points with ``lon``/``lat``), ``hazard_cells`` (every cell of the unit
        with data for a chosen hazard and its class) and ``outlines`` (the unit and its
        children: simplified GeoJSON ``geometry``, ``lon``/``lat`` label points).
    """

    cover: dict[str, Any]
    headline: pd.DataFrame
    findings: list[Finding]
    tables: dict[str, pd.DataFrame]
    charts: dict[str, pd.DataFrame]
    maps: dict[str, pd.DataFrame]

    @property
    def adcode(self) -> str:
        return self.cover["unit"]["adcode"]

    @property
    def name(self) -> str:
        return self.cover["unit"]["name"]

    @property
    def level(self) -> str:
        return self.cover["unit"]["level"]

    @property
    def hazards(self) -> list[str]:
        return [h["hazard"] for h in self.cover["hazards"]]

    @property
    def empty(self) -> bool:
        """True when the unit has no at-risk cell for any of the hazards (a short report)."""
        return bool((self.headline["at_risk_cells"] == 0).all())

    @property
    def basename(self) -> str:
        """File stem: ``<adcode>_<hazard>`` (``all`` for every hazard of the store)."""
        return f"{self.adcode}_{self.cover['hazard_tag']}"

    def findings_table(self) -> pd.DataFrame:
        """The findings as a table: severity, hazard, adcode, key, finding_zh, finding_en."""
        return pd.DataFrame({"severity": [f.severity for f in self.findings],
                             "hazard": [f.hazard for f in self.findings],
                             "adcode": [f.adcode for f in self.findings],
                             "key": [f.key for f in self.findings],
                             "finding_zh": [f.zh for f in self.findings],
                             "finding_en": [f.en for f in self.findings]},
                            columns=["severity", "hazard", "adcode", "key", "finding_zh", "finding_en"])

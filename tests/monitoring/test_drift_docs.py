"""docs/drift.md's table is the code's: each signal's statistics are the ones its MON401 finding carries.

The monitor runs on the example workspace (every signal present) and the ``details`` keys of each
finding are mapped to the statistic names the doc uses; a signal the doc says is not judged has no
finding. The bin counts and the ``drift.*`` keys the doc names are checked against the code too.
"""

from __future__ import annotations

import dataclasses
import re

from mlops.contract.signals import HISTOGRAMS, Signals
from mlops.monitoring.config import DriftConfig
from tests.conftest import ROOT, report
from tests.monitoring.conftest import RunMonitor

DOC = (ROOT / "docs" / "drift.md").read_text(encoding="utf-8")
STATISTIC = {"psi": "PSI", "js": "JS", "ks_d": "KS", "ks_p": "KS", "chi2": "chi-square", "chi2_p": "chi-square"}


def table() -> dict[str, list[str]]:
    """The signal table's rows by signal name: [what is compared, statistics, warning when, error when]."""
    rows = {}
    for line in DOC.splitlines():
        if match := re.fullmatch(r"\| `(\w+)` \|(.*)\|", line):
            cells = [cell.strip() for cell in match[2].split("|")]
            if len(cells) == 4:
                rows[match[1]] = cells
    return rows


def test_the_table_lists_every_signal_of_the_contract() -> None:
    assert set(table()) == {*HISTOGRAMS, "classes", "empty_images", "latency_ms"}
    assert set(table()) == set(Signals().to_dict()) - {"images"}


def test_each_signal_carries_the_statistics_the_doc_names(monitor: RunMonitor) -> None:
    findings = report(monitor("--format", "json", "--select", "MON401"))["findings"]
    computed = {f["subject"]: sorted({STATISTIC[key] for key in f["details"]}) for f in findings}
    documented = {name: sorted(cells[1].split(", ")) for name, cells in table().items() if cells[1] != "none"}
    assert computed == documented
    assert table()["latency_ms"][1:] == ["none", "never", "never"]


def test_ks_decides_only_where_it_is_computed() -> None:
    for name, (_, statistics, warning, error) in table().items():
        assert ("KS" in warning) == ("KS" in statistics.split(", ")), name
        assert ("chi-square" in warning) == ("chi-square" in statistics), name
        assert "KS" not in error and "chi-square" not in error, name


def test_bin_counts_and_config_keys_are_the_codes() -> None:
    signals = Signals().to_dict()
    for name in HISTOGRAMS:
        bins = re.search(r"\((\d+) bins", table()[name][0])
        assert bins and int(bins[1]) == len(signals[name]["counts"]), name
    keys = {field.name for field in dataclasses.fields(DriftConfig)}
    assert set(re.findall(r"`drift\.(\w+)`", DOC)) <= keys

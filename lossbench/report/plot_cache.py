"""Plots drawn once per report: a report written again with the same content (a finished sweep resumed, the same
`lossbench report` twice) reads back the PNGs it wrote last time instead of drawing them (matplotlib's import
and drawing cost seconds).

A plot is a function of the report alone (``plots.make_plots``), so the key is a digest of the report (its time of
writing aside), of the plotting code and of matplotlib's version; ``plots/plots.json`` holds the key and each plot's
name, section, title and the SHA-256 of its PNG. Anything that does not match (another report, a file changed or
missing, an unreadable manifest) draws every plot again."""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lossbench.report.builder import SweepReport
    from lossbench.report.plots import Plot

MANIFEST = "plots.json"


def plot_key(report: SweepReport) -> str | None:
    """What the plots depend on, as a digest; None where the report cannot be digested (it then draws)."""
    import lossbench.convergence
    from lossbench.decisions import verdict
    from lossbench.report import fmt, plots

    try:
        digest = hashlib.sha256(pickle.dumps(replace(report, generated=""), protocol=5))
        for module in (plots, fmt, lossbench.convergence, verdict):  # verdict: which kinds are decided
            digest.update(Path(module.__file__).read_bytes())
        digest.update(metadata.version("matplotlib").encode())
    except Exception:  # a report holding something pickle cannot write: draw
        return None
    return digest.hexdigest()


def stored_plots(folder: Path, key: str | None) -> list[Plot] | None:
    """The plots written into ``folder`` for a report of this ``key``, or None."""
    from lossbench.report.plots import Plot

    if key is None:
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("key") != key:
            return None
        found = []
        for entry in manifest["plots"]:
            png = (folder / f"{entry['name']}.png").read_bytes()
            if hashlib.sha256(png).hexdigest() != entry["sha256"]:
                return None
            found.append(Plot(entry["name"], entry["section"], entry["title"], png))
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # a manifest of another shape: draw again
        return None


def manifest(key: str | None, plots: list[Plot]) -> str | None:
    """The manifest to write beside freshly drawn ``plots`` (None without a key)."""
    if key is None:
        return None
    return json.dumps({"key": key, "plots": [{"name": p.name, "section": p.section, "title": p.title,
                                              "sha256": hashlib.sha256(p.png).hexdigest()} for p in plots]}, indent=1)

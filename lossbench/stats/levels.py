"""The levels every decision of lossbench is made at: the sweep's racing and the report use the same ones."""

from __future__ import annotations

ALPHA = 0.05  # significance level (after Holm's correction where several tests are made): the usual convention
LEVEL = 0.95  # intervals: the counterpart of ALPHA (a 95% interval excludes what a test at 5% rejects)
POWER = 0.8  # the power a seed count is sized for (Cohen's convention)

"""F61 on a real PostgreSQL server (docs/failures.md): a sweep resumed after each fault of test_failures_resume.py
(SIGINT, a worker's SIGKILL, a time budget running out, each mid-trial) gives the numbers of an uninterrupted run
on the journal. A file of its own so that the two test processes share the F61 runs."""

from __future__ import annotations

import pytest

from postgres import find_binaries
from test_failures_resume import FAULTS, numbers, plugins, reference, retried  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


@pytest.mark.skipif(find_binaries() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")
@pytest.mark.parametrize("case", list(FAULTS))
def test_F61_a_resumed_sweep_gives_the_same_numbers_on_postgresql(cli, cli_process, plugins, reference, tmp_path,
                                                                  postgres_url, case):
    folder, run = tmp_path / case, FAULTS[case]
    if case == "sigint":
        run(cli, cli_process, plugins, folder, case, postgres_url)
    else:
        run(cli, plugins, folder, case, postgres_url)
    assert retried(folder, case, postgres_url), (case, "the fault ended no trial: nothing was tested")
    assert numbers(folder / "results" / case) == reference, case

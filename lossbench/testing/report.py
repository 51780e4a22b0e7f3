"""What a conformance check returns: one line per check, and a report that can fail a test."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from lossbench.errors import one_line


class CheckResult(NamedTuple):
    """One check of one component. ``message`` is one line: what is wrong and what was expected (a failure),
    a remark that does not fail the component (a note), or empty (passed)."""

    component: str
    check: str
    passed: bool
    message: str

    @property
    def is_note(self) -> bool:
        return self.passed and bool(self.message)


class ConformanceError(AssertionError):
    """Raised by :meth:`Report.raise_on_failure` and :func:`lossbench.testing.assert_conforms`."""


class Report:
    """The results of one or more checks, in the order they ran; iterate it for ``CheckResult`` tuples."""

    def __init__(self, results: Iterable[CheckResult] = ()):
        self.results: list[CheckResult] = list(results)

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> CheckResult:
        return self.results[index]

    def extend(self, other: Iterable[CheckResult]) -> Report:
        self.results.extend(other)
        return self

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    @property
    def notes(self) -> list[CheckResult]:
        return [r for r in self.results if r.is_note]

    @property
    def passed(self) -> bool:
        return not self.failures

    def failed(self, component: str | None = None, check: str | None = None) -> list[CheckResult]:
        """The failures, optionally only those of one component (``"loss ce"``) and/or one check."""
        return [r for r in self.failures if (component is None or r.component == component)
                and (check is None or r.check == check)]

    def raise_on_failure(self) -> None:
        """Raise :class:`ConformanceError` listing every failed check, one per line."""
        failures = self.failures
        if failures:
            lines = [f"{len(failures)} of {len(self.results)} conformance checks failed:"]
            lines += [f"  - {r.message} [{r.check}]" for r in failures]
            raise ConformanceError("\n".join(lines))

    def summary(self) -> str:
        """Every check, one per line: PASS, NOTE or FAIL."""
        lines = []
        for r in self.results:
            status = "FAIL" if not r.passed else "NOTE" if r.is_note else "PASS"
            lines.append(f"{status} {r.component} [{r.check}]" + (f": {r.message}" if r.message else ""))
        failed = len(self.failures)
        lines.append(f"{len(self.results) - failed} passed, {failed} failed, {len(self.notes)} notes")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return f"<Report {len(self.results)} checks, {len(self.failures)} failed>"


class CheckFailed(Exception):
    """Raised inside a check: the one-line reason (without the component's name, which is added)."""


class Note(Exception):
    """Raised inside a check that passes with a remark (for instance a missing ``weight_hh*`` parameter)."""


def fail(message: str) -> None:
    raise CheckFailed(message)


class Checks:
    """Runs the checks of one component, each isolated: an exception becomes a failed check, not a crash."""

    def __init__(self, component: str):
        self.component = component
        self.report = Report()

    def run(self, check: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """(passed, value returned) of ``function(*args, **kwargs)``, recorded under ``check``. A change the
        plugin's code made to torch's global state (default dtype, grad mode) fails the check, and is undone."""
        from lossbench.registry.guard import torch_state

        before = torch_state()
        try:
            value = function(*args, **kwargs)
        except Note as note:
            return self._after(check, before, True, f"{self.component}: note: {note}"), None
        except CheckFailed as error:
            self._after(check, before, False, f"{self.component}: {error}")
            return False, None
        except Exception as error:  # the plugin's own code raised
            self._after(check, before, False, f"{self.component}: {check} raised {one_line(error)}")
            return False, None
        passed = self._after(check, before, True, "")
        return passed, value if passed else None

    def _after(self, check: str, before: Any, passed: bool, message: str) -> bool:
        """Record the check, failed instead when the state changed (the first cause, one line)."""
        from lossbench.registry.guard import undo_state_change

        changed = undo_state_change(before)
        if changed and passed:
            passed, message = False, f"{self.component}: {check} {changed}"
        self._add(check, passed, message)
        return passed

    def failed(self, check: str, message: str) -> None:
        self._add(check, False, f"{self.component}: {message}")

    def note(self, check: str, message: str) -> None:
        self._add(check, True, f"{self.component}: note: {message}")

    def _add(self, check: str, passed: bool, message: str) -> None:
        self.report.results.append(CheckResult(self.component, check, passed, message))


def begin(spec: Any, spec_type: type, entry: str, expected: str, params: Any) -> tuple[Checks, Any]:
    """The first two checks of every component: ``spec`` is a ``spec_type`` whose ``entry`` (``build``,
    ``load``) is callable (``expected`` says how it is called), and ``params`` resolve against its defaults.
    Returns the checks and the resolved parameters, ``None`` when either check failed."""
    checks = Checks(f"{spec_type.kind} {getattr(spec, 'name', spec)}")

    def is_spec() -> None:
        if not isinstance(spec, spec_type):
            fail(f"is a {type(spec).__name__}; expected a lossbench.{spec_type.__name__}")
        if not callable(getattr(spec, entry, None)):
            fail(f"{entry} is not callable; expected {expected}")

    if not checks.run("spec", is_spec)[0]:
        return checks, None
    ok, resolved = checks.run("defaults", spec.resolve, params)
    return checks, resolved if ok else None

"""Which lines of a journal Optuna cannot read, and whether setting them aside would renumber anything.

Optuna's journal identifies studies and trials by the order of their creation lines (a trial's id is the number of
trial-creation lines before it), so only two kinds of damage can be mended without renumbering a trial:
- a damaged tail: lines after the last entry (a write cut off by a full disk, text appended); nothing follows them;
- a joined line: a torn write with a whole entry appended right after it (a start before lossbench mended tails).
  No reader ever applied the torn part (a line without its newline is never read), so keeping the entry in its
  place and setting the torn part aside is the journal every writer saw.
Any other damaged line (bytes changed in the middle, text inserted) is ``broken``: lossbench neither drops it nor
reads past it. Pure: reads bytes, writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

OP_START = b'{"op_code"'  # how every line Optuna writes begins
# the keys Optuna's replay reads from each operation (optuna/storages/journal/_storage.py): a line without them
# is valid JSON that would still stop every reader with a KeyError
REQUIRED = {0: ("study_name", "directions"), 1: ("study_id",), 2: ("study_id", "user_attr"),
            3: ("study_id", "system_attr"), 4: ("study_id", "datetime_start"),
            5: ("trial_id", "param_name", "param_value_internal", "distribution"), 6: ("trial_id", "state", "values"),
            7: ("trial_id", "step", "intermediate_value"), 8: ("trial_id", "user_attr"),
            9: ("trial_id", "system_attr"), 10: ()}


def split_lines(data: bytes) -> list[bytes]:
    """The lines as Optuna reads them: split after each b"\\n" only (never at \\r), each with its newline."""
    lines, start = [], 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        lines.append(data[start:end])
        start = end
    return lines


def problem(line: bytes) -> str | None:
    """Why Optuna could not read ``line`` as one operation, or None."""
    if not line.endswith(b"\n"):
        return "a write cut off (no newline at its end)"
    try:
        entry = json.loads(line)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except json.JSONDecodeError as error:
        return f"not JSON: {error.msg} at column {error.colno}"
    return entry_problem(entry)


def entry_problem(entry: object) -> str | None:
    """Why a parsed line is not one operation Optuna's replay can apply, or None."""
    if not isinstance(entry, dict) or entry.get("op_code") not in REQUIRED or "worker_id" not in entry:
        return "not a journal entry (no op_code or worker_id)"
    missing = [key for key in REQUIRED[entry["op_code"]] if key not in entry]
    return f"a journal entry without {', '.join(missing)}" if missing else None


def _entry_after_torn_write(line: bytes) -> int | None:
    """Where the whole entry at the end of ``line`` starts, when what comes before it is a torn write (a prefix of
    an entry, never a whole one: a whole entry joined to the next by a changed newline is not torn)."""
    at = line.rfind(OP_START, 1)
    if at <= 0 or problem(line[at:]) is not None:
        return None
    try:
        json.JSONDecoder().raw_decode(line[:at].decode("utf-8"))
    except ValueError:  # cut short (or not text): a torn write
        return at
    return None


@dataclass
class Scan:
    """A journal's lines and what is wrong with them (indices from 0; ``number`` gives the line number shown)."""

    lines: list[bytes]
    bad: dict[int, str] = field(default_factory=dict)  # index -> why Optuna cannot read it
    joined: dict[int, int] = field(default_factory=dict)  # index -> where the whole entry after its torn write starts

    @property
    def last_entry(self) -> int:
        """The index of the last line that holds an entry (-1 without any)."""
        return max((i for i in range(len(self.lines)) if i not in self.bad or i in self.joined), default=-1)

    @property
    def tail(self) -> list[int]:
        """Damaged lines after the last entry: setting them aside renumbers nothing."""
        return [i for i in sorted(self.bad) if i > self.last_entry]

    @property
    def broken(self) -> list[int]:
        """Damaged lines with entries after them that are not joined lines: they cannot be set aside."""
        return [i for i in sorted(self.bad) if i < self.last_entry and i not in self.joined]

    @property
    def whole(self) -> bool:
        return not self.bad

    def offset(self, index: int) -> int:
        return sum(map(len, self.lines[:index]))

    @staticmethod
    def number(index: int) -> int:
        return index + 1

    def mended(self) -> bytes:
        """The journal with its tail set aside and each joined line's torn write taken out (nothing broken)."""
        assert not self.broken
        kept = [line[self.joined[i]:] if i in self.joined else line
                for i, line in enumerate(self.lines) if i not in self.bad or i in self.joined]
        return b"".join(kept)

    def set_aside(self, name: str) -> bytes:
        """What mending takes out, each part after a line saying where it was: the side file's content."""
        parts = []
        for i in sorted(self.bad):
            if i in self.broken:
                continue
            raw = self.lines[i][:self.joined[i]] if i in self.joined else self.lines[i]
            why = ("a torn write, joined to the whole entry after it (kept in its place)" if i in self.joined
                   else self.bad[i])
            parts.append(f"# line {self.number(i)} of {name}, from byte {self.offset(i)}: {why}\n".encode()
                         + raw + (b"" if raw.endswith(b"\n") else b"\n"))
        return b"".join(parts)

    def broken_message(self, journal: object, lead: str | None = None, outcome: str = "nothing was changed") -> str:
        """One line: which lines are broken, why lossbench stops there, how to restore them."""
        first = self.broken[0]
        lines = ", ".join(str(self.number(i)) for i in self.broken[:5]) + (" ..." if len(self.broken) > 5 else "")
        after = len(self.lines) - 1 - first
        return (f"{lead or f'the journal {journal} is damaged'} at line {lines} ({self.bad[first]}; {after} line(s) "
                f"follow it): Optuna numbers trials by the order of the journal's lines, so lossbench neither drops "
                f"it nor reads past it (every later trial would be renumbered); restore {journal} from a backup, or "
                f"mend line {self.number(first)} by hand (one JSON entry per line; delete it only if it was added by "
                f"hand), then run the same command again; {outcome}")


def last_line(path: Path, chunk: int = 65536) -> bytes:
    """The last line of the file at ``path`` (with its newline, if it has one), read from its end."""
    with open(path, "rb") as file:
        end = file.seek(0, 2)
        tail, at = b"", end
        while at > 0:
            at = max(0, at - chunk)
            file.seek(at)
            tail = file.read(min(chunk, end - at)) + tail
            if tail.find(b"\n", 0, len(tail) - 1) >= 0:
                break
    return tail[tail.rfind(b"\n", 0, len(tail) - 1) + 1:]


def scan(data: bytes) -> Scan:
    lines = split_lines(data)
    bad = {i: why for i, line in enumerate(lines) if (why := problem(line)) is not None}
    joined = {i: at for i in bad if (at := _entry_after_torn_write(lines[i])) is not None}
    return Scan(lines, bad, joined)

"""The answer first: at most ``MAX_SENTENCES`` sentences and ``MAX_WORDS`` words, written from the decisions
(the family's verdicts), that a reader can use without the rest of the report.

In order: a preset's claim verdicts; the top tier (``report.tiers``: arms in one tier are not yet separated, never
called equal); what is decided, by how much (the mean paired difference and its interval at Holm's level), the
losses and remedies a sweep exists to compare before the cells (whose gaps are the obvious ones); the ties; the
pairs not training at this budget; what is open and what would decide it (seeds or epochs, and minutes at the
measured time per run); last, where room is left, which of two arms accuracy does not separate trains decidedly
faster (the speed verdicts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from lossbench.report import fmt

if TYPE_CHECKING:
    from lossbench.decisions import Verdict
    from lossbench.report.claim_verdicts import ClaimVerdict
    from lossbench.report.summary import ArmSummary

MAX_SENTENCES = 5
MAX_WORDS = 120
# what a sweep exists to compare comes first: the losses and remedies, then pairs of several factors, then the cells
# (a GRU far above a tanh RNN is the obvious finding, not the question)
FIRST = {"loss": 0, "remedies": 0, "arms": 1, "cell": 2}
EXAMPLES = 2  # decided comparisons named in full; the rest are counted (the decision table lists every one)


class Given(NamedTuple):
    """What the answer reads of the evidence."""

    arms: list[ArmSummary]  # leaderboard order
    decisions: list[Verdict]
    tiers: dict[str, int]
    claims: list[ClaimVerdict]
    speed: list[Verdict]
    advice: str | None = None  # the command that would decide the rest on this sweep (report.advice)
    unfinished: tuple[str, ...] = ()  # arms whose phases this sweep has not finished


def answer(arms: list[ArmSummary], decisions: list[Verdict], tiers: dict[str, int], claims: list[ClaimVerdict],
           speed: list[Verdict], advice: str | None = None, unfinished: list[str] | None = None) -> list[str]:
    """The answer's sentences, from the arms (leaderboard order), the family's verdicts, the tiers, the claims'
    verdicts and the speed verdicts, and ``advice``, the command that decides the rest (said with what is open, or
    with the arms ``unfinished``); as many examples as fit within the word limit."""
    given = Given(arms, decisions, tiers, claims, speed, advice, tuple(unfinished or ()))
    for examples in range(EXAMPLES, -1, -1):
        sentences = _sentences(given, examples)[:MAX_SENTENCES]
        if sum(len(s.split()) for s in sentences) <= MAX_WORDS:
            return sentences
    return sentences


def _sentences(given: Given, examples: int) -> list[str]:
    out = []
    if given.claims:
        out.append(_claims(given))
    measured = [a for a in given.arms if a.acc_mean is not None]
    if len(measured) < 2:
        out.append("Nothing is compared: " + ("no arm has" if not measured else "only one arm has")
                   + " final-phase test results.")
        return out + _unfinished(given)
    decided = sorted([d for d in given.decisions if d.kind in ("better", "worse")],
                     key=lambda d: (FIRST.get(d.factor, 1), -abs(d.difference or 0.0)))
    ties = sorted([d for d in given.decisions if d.kind == "equivalent"], key=lambda d: FIRST.get(d.factor, 1))
    open_ = [d for d in given.decisions if d.kind == "open"]
    idle = [d for d in given.decisions if d.kind == "not training" and d.scope == "arms"]
    out.append(_top(given, bool(decided)))
    if decided:
        out.append(_decided(given, decided, examples))
    if ties:
        out.append(f"Tied within ±{_margin()} (both plateaued, or the one still improving unable to gain enough to leave "
                   f"the margin): " + _list(
            [f"{d.arm} and {d.other}" for d in ties[:max(1, examples)]],
            len(ties)) + ".")
    if idle:
        out.append("Not training at this budget (both at chance: no number of seeds compares them): " + _list(
            [f"{d.arm} and {d.other}" for d in idle[:max(1, examples)]], len(idle)) + ".")
    if open_:
        out.append(_open(open_, given.advice))
    else:
        out += _unfinished(given)
    if faster := _faster(given):
        out.append(faster)
    return out


def _unfinished(given: Given) -> list[str]:
    """The sentence for arms not finished (a time budget ran out), with the command that goes on, if any."""
    if not (given.advice and given.unfinished):
        return []
    return [f"Unfinished: {fmt.plural(len(given.unfinished), 'arm')}; `{given.advice}` goes on with this sweep."]


def _claims(given: Given) -> str:
    if len(given.claims) == 1:
        c = given.claims[0]
        setup = f": {c.departures[0]}" if c.departures and c.verdict.startswith("not supported with") else ""
        return f"The preset's claim, {_quote(c.claim)}, is {c.verdict} by this run{_margin_words(c)}{setup}."
    verdicts = [c.verdict for c in given.claims]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
    return f"The preset's {len(given.claims)} claims, checked on this run: {counts}."


def _top(given: Given, any_decided: bool) -> str:
    top = [a for a in given.arms if given.tiers.get(a.key) == 1]
    best = top[0]
    if not any_decided:
        measured = [a for a in given.arms if a.acc_mean is not None]
        worst = measured[-1]
        return (f"No arm is yet separated from another: no comparison is decided, so the {len(measured)} arms' means "
                f"(from {worst.key}'s {fmt.num(worst.acc_mean, 3)} to {best.key}'s {fmt.num(best.acc_mean, 3)}) rank "
                f"nothing yet.")
    if len(top) == 1:
        return f"Top tier: {best.key} alone, at mean test accuracy {fmt.num(best.acc_mean, 3)}."
    return (f"Top tier ({len(top)} arms not yet separated from each other, which is not a tie): "
            + _list([f"{a.key} {fmt.num(a.acc_mean, 3)}" for a in top[:3]], len(top)) + ".")


def _decided(given: Given, decided: list[Verdict], examples: int) -> str:
    if not examples:
        return f"Decided: {fmt.plural(len(decided), 'comparison')} (the decision table lists them)."
    parts = []
    for d in decided[:examples]:
        winner, loser = (d.arm, d.other) if d.kind == "better" else (d.other, d.arm)
        gap = abs(d.difference or 0.0)
        low, high = sorted(abs(v) for v in d.interval) if d.interval else (None, None)
        text = (f"{winner} beats {loser} by {fmt.num(gap, 3)} test accuracy ({_level(d)} interval "
                f"{fmt.num(low, 3)} to {fmt.num(high, 3)})")
        parts.append(text)
    rest = len(decided) - len(parts)
    return "Decided: " + "; ".join(parts) + (f"; and {rest} more in the decision table" if rest else "") + "."


def _faster(given: Given) -> str:
    """Where accuracy does not separate two plateaued arms: the one that trains decidedly faster, by how much."""
    faster = sorted((d for d in given.speed if d.decided and d.interval), key=lambda d: -abs(d.difference or 0.0))
    if not faster:
        return ""
    d = faster[0]
    winner, loser = (d.arm, d.other) if d.kind == "better" else (d.other, d.arm)
    low, high = sorted(abs(v) for v in d.interval)
    rest = f" ({len(faster) - 1} more in the decision table)" if len(faster) > 1 else ""
    return (f"Faster, where accuracy does not separate them: {winner} trains in {fmt.num(abs(d.difference), 1)} "
            f"fewer epochs than {loser} to the same validation accuracy ({_level(d)} interval {fmt.num(low, 1)} to "
            f"{fmt.num(high, 1)}){rest}.")


def _open(open_: list[Verdict], advice: str | None = None) -> str:
    """What would decide the open pairs: seeds (up to ``SEEDS_WORTH`` each: a pair needing more is within the
    noise, and neither its time nor the advised command counts it), training longer, or neither."""
    from lossbench.decisions import ARMS, SEEDS_WORTH

    sized = [d for d in open_ if d.needs_epochs is None and d.needs_seeds is not None]
    seeds = [d for d in sized if d.needs_seeds <= SEEDS_WORTH]
    noise = [d for d in sized if d.needs_seeds > SEEDS_WORTH]
    epochs = [d for d in open_ if d.needs_epochs is not None]
    parts = []
    if seeds:
        nearest = min(seeds, key=lambda d: d.needs_seeds)
        minutes = _minutes([d.minutes for d in seeds])
        parts.append(f"more seeds would decide {len(seeds)} (the nearest, {nearest.arm} against "
                     f"{nearest.other}, at about {nearest.needs_seeds}{_each_minutes(nearest)})"
                     + (f", {minutes} for all" if minutes and len(seeds) > 1 else ""))
    if epochs:
        minutes = _minutes([d.minutes for d in epochs])
        parts.append(f"training longer first for {len(epochs)} (to about {max(d.needs_epochs for d in epochs)} epochs"
                     + (f", {minutes}" if minutes else "") + ")")
    if noise:
        parts.append(f"{len(noise)} within the noise (each would need more than {SEEDS_WORTH} seeds; the nearest "
                     f"about {min(d.needs_seeds for d in noise)})")
    rest = len(open_) - len(sized) - len(epochs)
    if rest:
        parts.append(f"{rest} cannot be sized from these runs (see the decision table)")
    if advice:  # the command decides pairs of arms (advice.command): a factor's levels follow its arms
        reach = sum(1 for d in [*seeds, *epochs] if d.scope == ARMS)
        if reach == len(open_):
            whom = "them" if reach > 1 else "it"
        elif reach == len(seeds) + len(epochs):
            whom = f"the {reach} within reach"
        else:
            whom = f"the {reach} pairs of arms within reach"
        parts.append(f"to decide {whom} on this sweep: `{advice}`")
    return f"Open: {fmt.plural(len(open_), 'comparison')}; " + "; ".join(parts) + "."


def _each_minutes(d: Verdict) -> str:
    return f" seeds, {fmt.duration(d.minutes)}" if d.minutes is not None else " seeds"


def _minutes(values: list[float | None]) -> str:
    kept = [v for v in values if v is not None]
    return f"{fmt.duration(sum(kept))} on this machine" if kept else ""




def _level(d: Verdict) -> str:
    return fmt.level(d.level, "95%")


def _margin() -> str:
    from lossbench.decisions import MARGIN

    return f"{MARGIN:g}"


def _list(items: list[str], total: int) -> str:
    shown = ", ".join(items)
    return shown + (f" and {total - len(items)} more" if total > len(items) else "")


def _margin_words(claim: object) -> str:
    """An equivalence claim's margin, and a decided difference within it: both true at once."""
    margins = [c.check.margin for c in claim.checks if c.check.kind == "matches" and c.check.margin]
    if not margins:
        return ""
    if claim.verdict != "supported":
        return f" (its margin: ±{margins[0]:g})"
    ahead = next((c.ahead for c in claim.checks if getattr(c, "ahead", "")), "")
    return f" (within ±{margins[0]:g}" + (f"; {ahead}" if ahead else "") + ")"


def _quote(text: str) -> str:
    return f"\u201c{text.rstrip('.')}\u201d"

"""Citation markers in LLM text arriving in pieces: keep valid ones, renumber, drop the rest (pure)."""

from __future__ import annotations

import re

from assistant import prompts

#: ``[3]``, ``[1, 2]``, ``[1; 4]``, ``[2-4]``; three digits at most, so "[2024]" stays text.
_NUMBERS = r"\d{1,3}(?:\s*[-–]\s*\d{1,3})?(?:\s*[,;]\s*\d{1,3}(?:\s*[-–]\s*\d{1,3})?)*"
_MARKER = re.compile(rf"([ \t]*)\[\s*({_NUMBERS})\s*\]")
#: An opening bracket that may still become a marker once more text arrives.
_PARTIAL = re.compile(r"\[[\d\s,;\-–]{0,24}")


class CitationFilter:
    """Rewrite citation markers in text that arrives in pieces.

    A marker's numbers that name no source are dropped (with the space before the marker when
    nothing is left of it) and recorded in ``invalid``; valid ones are renumbered 1..n in order
    of first appearance (``numbers`` maps prompt number to shown number). Output is held back
    only while it could still be a marker, the NO_ANSWER sentinel, or a ``<think>`` preamble,
    so the pieces returned by ``feed`` and ``close`` join to ``text``.
    """

    def __init__(self, n_sources: int) -> None:
        self.n_sources = n_sources
        self.numbers: dict[int, int] = {}
        self.invalid: list[int] = []
        self.markers = 0
        self.valid = 0
        self.no_answer = False
        self.text = ""
        self._pending = ""
        self._started = False

    def feed(self, piece: str) -> str:
        self._pending += piece
        return self._release(final=False)

    def close(self) -> str:
        return self._release(final=True)

    def _release(self, *, final: bool) -> str:
        if self.no_answer:
            self._pending = ""
            return ""
        if not self._started and not self._start(final=final):
            return ""
        text = self._pending.rstrip() if final else self._pending
        cut = len(text)
        if not final:
            bracket = text.rfind("[")
            if bracket != -1 and _PARTIAL.fullmatch(text, bracket):
                cut = bracket
            # Spaces before a marker leave with it, so hold them until the next word shows.
            cut = len(text[:cut].rstrip(" \t"))
        ready, self._pending = text[:cut], text[cut:]
        out = _MARKER.sub(self._renumber, ready)
        self.text += out
        return out

    def _start(self, *, final: bool) -> bool:
        """Decide how the reply begins: a reasoning preamble, the sentinel, or the answer."""
        lead = self._pending.lstrip()
        if lead.startswith("<think>"):
            end = lead.find("</think>")
            if end == -1:
                return False
            self._pending = lead[end + len("</think>"):]
            return self._start(final=final)
        if lead.startswith(prompts.NO_ANSWER_SENTINEL):
            self.no_answer = True
            self._pending = ""
            return False
        if not final and (prompts.NO_ANSWER_SENTINEL.startswith(lead) or "<think>".startswith(lead)):
            return False
        self._started = True
        self._pending = lead
        return True

    def _renumber(self, match: re.Match) -> str:
        kept: list[int] = []
        for k in _expand(match.group(2)):
            self.markers += 1
            if 1 <= k <= self.n_sources:
                self.valid += 1
                kept.append(self.numbers.setdefault(k, len(self.numbers) + 1))
            else:
                self.invalid.append(k)
        if not kept:
            return ""
        return f"{match.group(1)}[{', '.join(str(n) for n in sorted(set(kept)))}]"


def _expand(numbers: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", numbers.strip()):
        low, _, high = re.sub(r"\s", "", part).replace("–", "-").partition("-")
        if high and int(low) <= int(high) <= int(low) + 20:
            out.extend(range(int(low), int(high) + 1))
        else:
            out.append(int(low))
            if high:
                out.append(int(high))
    return out

"""Progress lines for commands that work through many messages."""

from __future__ import annotations

from typing import Any


class Progress:
    """Prints "[done/total] text" for each step, so a long run shows where it is."""

    def __init__(self, out: Any, total: int, label: str) -> None:
        self.out, self.total, self.done = out, total, 0
        if total > 1:
            out.write(f"{label}: {total}")

    def step(self, text: str) -> None:
        self.done += 1
        width = len(str(self.total))
        self.out.write(f"[{self.done:>{width}}/{self.total}] {text}")

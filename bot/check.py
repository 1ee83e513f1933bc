"""One line of `doctor`'s report: passed (✔), failed (✘), or passed with something to know (!)."""

from __future__ import annotations

from dataclasses import dataclass

# Lines beneath a check (the access policy's rules in words) are indented past its mark.
DETAIL_INDENT = "    "


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report. A warning passes (the exit status stays 0) but is marked `!`:
    something works less than it could, and the text says what would fix it."""

    ok: bool
    text: str
    warning: bool = False
    details: tuple[str, ...] = ()  # printed beneath it, indented, one per line

    @classmethod
    def warn(cls, text: str) -> Check:
        """A `!` line: not a failure, but something the operator should know."""
        return cls(True, text, warning=True)

    @property
    def mark(self) -> str:
        """`✔`, `✘` or `!`."""
        return "✘" if not self.ok else "!" if self.warning else "✔"

    def lines(self) -> list[str]:
        """`✔ text`, `✘ text` or `! text`, then each detail, indented."""
        return [f"{self.mark} {self.text}", *(DETAIL_INDENT + detail for detail in self.details)]

    def render(self) -> str:
        """The check's lines as one text."""
        return "\n".join(self.lines())

"""A user object that records being summarized, so "no user object was touched" is observed.

Context collection and prefill describe the user's variables through `repr`; a test puts a
`Canary` in the namespace and asserts `touched` stayed empty while nothing should look.
"""

from __future__ import annotations


class Canary:
    """Records each `repr` of it in `touched`."""

    def __init__(self) -> None:
        self.touched: list[str] = []

    def __repr__(self) -> str:
        self.touched.append("repr")
        return "canary"

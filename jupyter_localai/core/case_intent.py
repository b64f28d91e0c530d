"""Letter case asked to be ignored, and code that never folds it: tags counted as written
where the request says "treat tags that differ only in case as the same (use lowercase)".

`#Running` and `#running` count apart unless the code folds their case; it runs, so no
rehearsal shows it. When the request says in so many words that case does not matter
("case-insensitive", "ignoring case", "differ only in letter case", "in lowercase") and
the code folds case nowhere (no `lower`/`casefold`/`upper`, no `re.IGNORECASE`/`re.I`, no
`case=False`), the checks say so (kind `case_fold`). Nothing is rewritten: where to fold
(the text, the key, the pattern) is the model's to choose.
"""

from __future__ import annotations

import ast
import re

_ASKS_FOLD = re.compile(
    r"\bcase[\s-]+insensitive(?:ly)?\b|\bignor(?:e|es|ing)\s+(?:the\s+)?(?:letter\s+)?case\b|"
    r"\bregardless\s+of\s+(?:the\s+)?(?:letter\s+)?case\b|\bdiffer\w*\s+only\s+(?:in|by)\s+"
    r"(?:the\s+)?(?:letter\s+)?(?:case|capitali[sz]ation)\b|"
    r"\b(?:in|to|use|as|all)\s+lower[\s-]?case\b|"
    r"\blower[\s-]?cased\b|\bcase\s+(?:does\s+not|doesn't|should\s+not)\s+matter\b",
    re.IGNORECASE)
_FOLDS = frozenset({"lower", "casefold", "upper", "IGNORECASE", "I", "swapcase"})


def _folds_case(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _FOLDS:
            return True
        if isinstance(node, ast.keyword) and node.arg == "case" and isinstance(
                node.value, ast.Constant) and node.value.value is False:
            return True
        if isinstance(node, ast.Constant) and str(node.value).startswith("(?i)"):
            return True  # an inline flag in a pattern
    return False


def case_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of code that keeps letter case where the request ignores it."""
    if not _ASKS_FOLD.search(request_text) or _folds_case(tree):
        return []
    return [("The request treats text that differs only in letter case as the same, and the "
             "code keeps case as written: fold it before comparing or counting (`.lower()` on "
             "each text or key, `.str.lower()` for a column, `re.IGNORECASE` for a pattern).")]

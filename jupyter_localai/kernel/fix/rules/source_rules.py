"""Rule for data read again from a file that is not there: the variable already holds it.

A small model asked about a live DataFrame often starts its answer with
`df = pd.read_csv('df.csv')`, a file it invented; the notebook's variable already holds the
data. Where the failing statement only rebinds a live pandas or numpy variable from a file
that does not exist, the edit removes that statement, so the rest of the answer runs on the
variable as it is.
"""

from __future__ import annotations

import ast

from ..failure import MISSING, Failure, pandas_kind, show
from ..hint import Hint, segment
from . import rule


@rule(FileNotFoundError)
def reread_rule(f: Failure) -> list[str]:
    missing = f.exc.filename if type(getattr(f.exc, "filename", None)) is str else None
    for node in f.line_nodes:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)):
            continue
        name = node.targets[0].id
        value = f.user_ns.get(name, MISSING)
        kind = pandas_kind(value) or ("array" if type(value).__module__ == "numpy" else None)
        paths = [a.value for a in node.value.args if isinstance(a, ast.Constant)
                 and type(a.value) is str]
        old = segment(f, node)
        if kind is None or missing is None or missing not in paths or old is None:
            continue
        text = (f"{show(missing)} does not exist, and `{name}` already holds the notebook's "
                f"{kind}: use `{name}` as it is instead of reading it again (drop `{old}`).")
        return [Hint(text, edit=(old, f"# {name}: the notebook's own {kind}, as it is"))]
    return []

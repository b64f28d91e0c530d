"""Python's "Did you mean" hint applied token by token, never as a blind text replace."""

from __future__ import annotations

from jupyter_localai.core.context import ErrorInfo
from jupyter_localai.core.quickfix import hinted_fixes


def error(exc_type: str, message: str, *suggestions: str) -> ErrorInfo:
    return ErrorInfo(source="", exc_type=exc_type, message=message, suggestions=list(suggestions))


def test_key_typo_replaces_only_the_string_literal() -> None:
    source = 'regoin = 1\nsales.groupby("regoin")["units"].sum()  # regoin'
    fixes = hinted_fixes(error("KeyError", "'regoin'", "Did you mean: 'region'?"), source)
    assert [f.code for f in fixes] == [
        'regoin = 1\nsales.groupby("region")["units"].sum()  # regoin']


def test_attribute_typo_replaces_attributes_not_names() -> None:
    source = "shapee = df.shapee\n"
    fixes = hinted_fixes(error("AttributeError", "'DataFrame' object has no attribute 'shapee'",
                               "Did you mean: 'shape'?"), source)
    assert fixes[0].code == "shapee = df.shape\n"


def test_name_typo_replaces_names_not_attributes() -> None:
    source = "print(x.totl, totl)"
    fixes = hinted_fixes(error("NameError", "name 'totl' is not defined",
                               "Did you mean: 'total'?"), source)
    assert fixes[0].code == "print(x.totl, total)"


def test_forgotten_import_is_added() -> None:
    fixes = hinted_fixes(error("NameError", "name 'np' is not defined",
                               "Did you forget to import it? `import numpy as np`"), "np.ones(3)")
    assert fixes[0].code == "import numpy as np\nnp.ones(3)"


def test_no_hint_no_fix() -> None:
    assert hinted_fixes(error("KeyError", "'regoin'"), 'df["regoin"]') == []
    assert hinted_fixes(None, "x") == []


def test_unparseable_source_gives_no_fix() -> None:
    assert hinted_fixes(error("KeyError", "'a'", "Did you mean: 'b'?"), 'x = "a\n') == []


def edits_error(*edits: tuple[str, str]) -> ErrorInfo:
    return ErrorInfo(source="", exc_type="AttributeError", message="",
                     edits=[[old, new] for old, new in edits])


def test_all_hinted_edits_together_come_first() -> None:
    source = "total = orders.quantity * orders.ppu\n"
    fixes = hinted_fixes(edits_error(("orders.quantity", "orders.qty"),
                                     ("orders.ppu", "orders['price per unit']")), source)
    assert fixes[0].code == "total = orders.qty * orders['price per unit']\n"
    assert [f.code for f in fixes[1:]] == ["total = orders.qty * orders.ppu\n",
                                           "total = orders.quantity * orders['price per unit']\n"]


def test_an_edit_replaces_whole_expressions_only() -> None:
    source = "a = df.qty + df.qty_sold + mydf.qty\n"
    fixes = hinted_fixes(edits_error(("df.qty", "df.quantity")), source)
    assert [f.code for f in fixes] == ["a = df.quantity + df.qty_sold + mydf.qty\n"]


def test_an_import_goes_after_a_cell_magic_and_future_imports() -> None:
    hint = "Did you forget to import it? `import math`"
    source = "%%time\nfrom __future__ import annotations\nroot = math.sqrt(2)\n"
    fixes = hinted_fixes(error("NameError", "name 'math' is not defined", hint), source)
    assert fixes[0].code == ("%%time\nfrom __future__ import annotations\nimport math\n"
                             "root = math.sqrt(2)\n")
    docstring = '"""Roots."""\nroot = math.sqrt(2)'
    fixes = hinted_fixes(error("NameError", "name 'math' is not defined", hint), docstring)
    assert fixes[0].code == '"""Roots."""\nimport math\nroot = math.sqrt(2)'

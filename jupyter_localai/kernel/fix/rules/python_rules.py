"""Rules for plain-Python mistakes a small model fixes wrongly without the fact behind them:
a container changed while looping over it, `join` of numbers, `for i in len(xs)`, a list or
str indexed by a name, a str assigned into, a list multiplied by a float.

Each hint names the cell's own variable; the loop and `join` fixes are exact edits.
"""

from __future__ import annotations

import ast
import builtins
import csv
import re

from ..failure import MISSING, SAMPLE, Failure, constant, line_calls, show
from ..hint import COMPREHENSIONS, Hint, code, operand, segment, unique_replace
from . import rule


def _loop_iters(f: Failure) -> list[tuple[ast.AST, ast.expr]]:
    """(loop or comprehension, its iterable) for the iterables on the failing line, in order."""
    if f.tree is None:
        return []
    on_line = {id(node) for node in f.line_nodes}
    found: list[tuple[ast.AST, ast.expr]] = []
    for node in ast.walk(f.tree):
        if isinstance(node, ast.For | ast.AsyncFor):
            found.append((node, node.iter))
        elif isinstance(node, COMPREHENSIONS):
            found += [(node, loop.iter) for loop in node.generators]
    return [(owner, node) for owner, node in found if id(node) in on_line]


# A dict or set changed while a loop iterates over it ----------------------------------------

_CHANGED = re.compile(r"^(dictionary|Set|set) changed size during iteration")
_VIEWS = {"keys", "items", "values"}


def _container(node: ast.expr) -> ast.expr:
    """`d` of `d`, `d.keys()`, `d.items()`, `d.values()`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _VIEWS
        and not node.args
        and not node.keywords
    ):
        return node.func.value
    return node


@rule(RuntimeError)
def mutation_rule(f: Failure) -> list[str]:
    match = _CHANGED.match(f.message)
    if not match:
        return []
    kind = "dict" if match.group(1) == "dictionary" else "set"
    for loop, node in _loop_iters(f):
        if not isinstance(_container(node), ast.Name | ast.Attribute | ast.Subscript):
            continue
        text = code(f, node)
        return [
            Hint(
                f"The loop over `{text}` adds or removes items of that {kind} while iterating "
                f"it: iterate over a copy, `for ... in list({text}):`, or collect the changes "
                f"and apply them after the loop.",
                edit=unique_replace(f, node, f"list({text})", loop),
            )
        ]
    return []


# `sep.join` of values that are not str ------------------------------------------------------

_JOIN_ITEM = re.compile(r"^sequence item (\d+): expected str instance, (\w+) found")


@rule(TypeError)
def join_rule(f: Failure) -> list[str]:
    match = _JOIN_ITEM.match(f.message)
    if not match:
        return []
    joins = [
        call for call in line_calls(f)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "join"
        and len(call.args) == 1 and not call.keywords
        and (type(constant(call.func.value)) is str or type(f.resolve(call.func.value)) is str)
    ]  # fmt: skip
    if not joins:
        return []
    item, kind = match.groups()
    arg = joins[0].args[0]
    text = code(f, arg)
    generated = isinstance(arg, ast.GeneratorExp)
    fixed = f"map(str, {text})" if not generated else f"str({ast.unparse(arg.elt)}) for ..."
    edit = unique_replace(f, arg, fixed, joins[0]) if len(joins) == 1 and not generated else None
    return [
        Hint(
            f"`join` takes str items only, and item {item} of `{text}` is {kind}: convert each "
            f"item, `{fixed}`.",
            edit=edit,
        )
    ]


# `for i in len(xs)` -------------------------------------------------------------------------


@rule(TypeError)
def len_loop_rule(f: Failure) -> list[str]:
    if f.message != "'int' object is not iterable":
        return []
    if f.lookup("len") not in (MISSING, builtins.len):
        return []
    for loop, node in _loop_iters(f):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and len(node.args) == 1
        ):
            text = code(f, node)
            return [
                Hint(
                    f"`{text}` is a number, not something to loop over: loop over the "
                    f"positions, `range({text})`, or over the items themselves.",
                    edit=unique_replace(f, node, f"range({text})", loop),
                )
            ]
    return []


# A list or str indexed with a str -----------------------------------------------------------

_STR_INDEX = re.compile(r"^(list|string) indices must be integers")


def _str_subscripts(f: Failure, kind: type) -> list[tuple[ast.Subscript, object]]:
    """(node, value) of `x[key]` on the line where x holds a `kind` and key is a str."""
    found = []
    for node in f.line_nodes:
        if not isinstance(node, ast.Subscript) or isinstance(node.slice, ast.Slice):
            continue
        value = f.resolve(node.value)
        key = constant(node.slice)
        key = f.resolve(node.slice) if key is MISSING else key
        if type(value) is kind and type(key) is str:
            found.append((node, value))
    return found


@rule(TypeError)
def str_index_rule(f: Failure) -> list[str]:
    match = _STR_INDEX.match(f.message)
    if not match:
        return []
    kind = list if match.group(1) == "list" else str
    found = _str_subscripts(f, kind)
    if not found:
        return []
    node, value = found[0]
    name, key = code(f, node.value), code(f, node.slice)
    if kind is str:
        return [
            (
                f"`{name}` is a str ({show(value)}), not a dict or row: a string is indexed by "
                f"position only. If it came from looping over a dict, that gives its keys; use "
                f"`for key, value in d.items()`; if it is JSON text, parse it with `json.loads`."
            )
        ]
    items = value[:20]  # type: ignore[index]
    if items and all(type(item) is dict for item in items):
        return [
            (
                f"`{name}` is a list of {len(value)} dicts (records), indexed by position: pick "  # type: ignore[arg-type]
                f"one first, `{name}[0][{key}]`, or take the field from each, "
                f"`[row[{key}] for row in {name}]` (or `pd.DataFrame({name})[{key}]`)."
            )
        ]
    header = _csv_header_reader(f, value, constant(node.slice))
    if header is not None:
        module = code(f, header.func.value)  # type: ignore[attr-defined]
        text = (f"`csv.reader` gives each row as a list (and the header line as the first "
                f"row, here {str(value[:8])[:80]}); `{module}.DictReader` reads the header and gives "
                f"each row as a dict keyed by it, so `{name}[{key}]` works.")
        return [Hint(text, edit=unique_replace(f, header.func, f"{module}.DictReader", header))]
    return [
        (
            f"`{name}` is a list ({len(value)} items), indexed by position (`{name}[0]`), not by "  # type: ignore[arg-type]
            f"name: to look values up by {key}, keep them in a dict instead."
        )
    ]


def _csv_header_reader(f: Failure, row: object, key: object) -> ast.Call | None:
    """The cell's one `csv.reader(...)` call, where the row indexed by name is the file's
    header (it holds the name): the rows were meant to be read as dicts."""
    if type(key) is not str or type(row) is not list or key not in row:
        return None
    if not all(type(cell) is str for cell in row):
        return None
    calls = [node for node in ast.walk(f.tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "reader"
             and isinstance(node.func.value, ast.Name)
             and f.lookup(node.func.value.id) is csv] if f.tree is not None else []
    return calls[0] if len(calls) == 1 else None


# Item assignment into a str -----------------------------------------------------------------


@rule(TypeError)
def str_assign_rule(f: Failure) -> list[str]:
    if f.message != "'str' object does not support item assignment":
        return []
    for node in f.line_nodes:
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets = [node.target] if isinstance(node, ast.AugAssign) else targets
        for target in targets:
            if isinstance(target, ast.Subscript) and type(f.resolve(target.value)) is str:
                name, at = code(f, target.value), code(f, target.slice)
                return [
                    (
                        f"`{name}` is a str, and strings cannot be changed in place: build a new "
                        f"one, e.g. `{name} = {name}[:{at}] + new + {name}[{at} + 1:]` or "
                        f"`{name} = {name}.replace(old, new)` (for many changes, edit "
                        f"`list({name})` and `''.join(...)` it back)."
                    )
                ]
    return [
        (
            "Strings cannot be changed in place: build a new one, e.g. `s = s[:i] + c + s[i+1:]` "
            "or `s = s.replace(old, new)`."
        )
    ]


# A sequence multiplied by a float -----------------------------------------------------------

_SEQUENCE_TIMES = re.compile(r"^can't multiply sequence by non-int of type '(\w+)'")


@rule(TypeError)
def sequence_times_rule(f: Failure) -> list[str]:
    match = _SEQUENCE_TIMES.match(f.message)
    if not match:
        return []
    for node in f.line_nodes:
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
            continue
        for side, other in ((node.left, node.right), (node.right, node.left)):
            value = f.resolve(side) if not isinstance(side, ast.List) else []
            name = operand(f, side)
            plain = isinstance(other, ast.Constant | ast.Name | ast.Attribute)
            by = code(f, other) if plain else operand(f, other)
            if type(value) is str:
                return [
                    (
                        f"`{name}` is a str ({show(value)}), and `*` repeats a str: convert it to a "
                        f"number first, `float({segment(f, side) or name}) * {by}`."
                    )
                ]
            if type(value) in (list, tuple):
                return [
                    (
                        f"`{name}` is a {type(value).__name__}, and `*` repeats it rather than "
                        f"scaling its numbers: `[x * {by} for x in {name}]`, or make it a numpy "
                        f"array, `np.array({name}) * {by}`."
                    )
                ]
    return [
        (
            f"`*` of a list or str by a {match.group(1)} is not defined (by an int it repeats): for "
            f"numbers use a comprehension, `[x * f for x in xs]`, or a numpy array."
        )
    ]


# A dict entry updated before it exists ----------------------------------------------------

_START_VALUES = {int: "0", float: "0", str: "''", list: "[]"}


# What a container method grows from, where a dict's entry for it is missing.
_EMPTY_FOR_METHOD = {"append": "[]", "extend": "[]", "insert": "[]", "add": "set()"}


@rule(KeyError)
def missing_entry_rule(f: Failure) -> list[str]:
    """`counts[w] += 1` on a dict without `w` yet: start the entry at the operand's zero;
    `groups[k].append(x)`: start it empty, `groups.setdefault(k, []).append(x)`."""
    if len(f.exc.args) != 1:
        return []
    grown = _grown_entry(f)
    if grown is not None:
        return [grown]
    for node in f.line_nodes:
        if not (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript)):
            continue
        owner = f.resolve(node.target.value)
        if type(owner) is not dict or f.exc.args[0] in owner:
            continue
        operand_value = constant(node.value)
        if operand_value is MISSING:
            operand_value = f.resolve(node.value)
        start = _START_VALUES.get(type(operand_value))
        old = segment(f, node)
        if start is None or old is None or "\n" in old:
            continue
        target, key = code(f, node.target.value), code(f, node.target.slice)
        symbol = _AUG_SYMBOLS.get(type(node.op))
        if symbol is None:
            continue
        value = code(f, node.value) if isinstance(node.value, ast.Constant) else operand(f, node.value)
        new = f"{target}[{key}] = {target}.get({key}, {start}) {symbol} {value}"
        text = (f"`{target}` has no entry {show(f.exc.args[0])} yet, so `{old}` cannot read it: "
                f"start it at {start}, `{new}` (or use `collections.Counter`).")
        return [Hint(text, edit=(old, new))]
    return []


_AUG_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


def _grown_entry(f: Failure) -> Hint | None:
    """The hint for `d[k].append(x)` (or extend / insert / add) on a dict without `k`: the
    entry made by `setdefault`, empty as the dict's other entries are (a list, a set)."""
    for node in f.line_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _EMPTY_FOR_METHOD
                and isinstance(node.func.value, ast.Subscript)):
            continue
        entry = node.func.value
        owner = f.resolve(entry.value)
        if type(owner) is not dict or f.exc.args[0] in owner:
            continue
        kinds = {type(value) for value in list(owner.values())[:SAMPLE]}
        if not kinds:
            empty = _EMPTY_FOR_METHOD[node.func.attr]
        elif kinds in ({list}, {set}):
            empty = "[]" if kinds == {list} else "set()"
        else:
            continue
        target, key = code(f, entry.value), code(f, entry.slice)
        start = f"{target}.setdefault({key}, {empty})"
        text = (f"`{target}` has no entry {show(f.exc.args[0])} yet, so `{target}[{key}]` cannot "
                f"be read to {node.func.attr} to: start it empty, `{start}.{node.func.attr}(...)` "
                "(or make it a `collections.defaultdict`).")
        return Hint(text, edit=unique_replace(f, entry, start, node))
    return None


# A number looked up among text keys, or the reverse ---------------------------------------


@rule(KeyError)
def key_type_rule(f: Failure) -> list[str]:
    """`scores[101]` where `scores` holds `'101'` (a JSON round trip makes every key text),
    or `ages['7']` where it holds `7`: the key converted where it is looked up."""
    if len(f.exc.args) != 1 or type(f.exc.args[0]) not in (int, str):
        return []
    key = f.exc.args[0]
    other: int | str | None = str(key) if type(key) is int else (
        int(key.strip()) if key.strip().lstrip("-").isdigit() else None)
    if other is None:
        return []
    for node in f.line_nodes:
        if not isinstance(node, ast.Subscript) or isinstance(node.ctx, ast.Store):
            continue
        owner = f.resolve(node.value)
        if type(owner) is not dict or key in owner or other not in owner:
            continue
        name, index = code(f, node.value), code(f, node.slice)
        convert = "str" if type(other) is str else "int"
        text = (f"`{name}` has the key {other!r}, not {key!r}: its keys are "
                f"{'text' if convert == 'str' else 'numbers'} (a JSON round trip makes every key "
                f"text). Convert the key where it is looked up, `{name}[{convert}({index})]`.")
        return [Hint(text, edit=unique_replace(f, node.slice, f"{convert}({index})", node))]
    return []


# Two loop variables over a dict -------------------------------------------------------------

_UNPACK = re.compile(r"^(too many|not enough) values to unpack \(expected 2")


@rule(ValueError)
def dict_pairs_rule(f: Failure) -> list[str]:
    """`for name, amount in prices:` over a dict: a dict iterates its keys, `.items()` its
    pairs (each key is then unpacked into two and fails, or worse, a 2-letter key fits)."""
    if not _UNPACK.match(f.message):
        return []
    for loop, node in _loop_iters(f):
        target = loop.target if isinstance(loop, ast.For | ast.AsyncFor) else next(
            (g.target for g in loop.generators if g.iter is node), None)  # type: ignore[attr-defined]
        if not (isinstance(target, ast.Tuple) and len(target.elts) == 2):
            continue
        if type(f.resolve(node)) is not dict:
            continue
        text = operand(f, node)
        return [
            Hint(
                f"`{code(f, node)}` is a dict, and looping over a dict gives its keys only: "
                f"loop over its (key, value) pairs, `{text}.items()`.",
                edit=unique_replace(f, node, f"{text}.items()", loop),
            )
        ]
    return []


# A float where an index or slice bound goes --------------------------------------------------

_FLOAT_INDEX = re.compile(r"^(slice indices must be integers|list indices must be integers or "
                          r"slices, not float|only integers, slices)")


def _float_bounds(node: ast.Subscript) -> list[ast.expr]:
    """The positions of a subscript that must be integers: a slice's bounds, or the index."""
    if isinstance(node.slice, ast.Slice):
        return [b for b in (node.slice.lower, node.slice.upper, node.slice.step) if b is not None]
    return [node.slice]


def _bound_targets(node: ast.AST) -> list[ast.expr]:
    """What a statement binds: an assignment's targets, a loop's target."""
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For):
        return [node.target]
    return []


def _single_assignment(f: Failure, name: str) -> ast.Assign | None:
    """The one statement of the cell that binds `name`, when it is a plain `name = ...`."""
    if f.tree is None:
        return None
    binds = [node for node in ast.walk(f.tree) if any(
        isinstance(t, ast.Name) and t.id == name
        for target in _bound_targets(node) for t in ast.walk(target))]
    single = binds[0] if len(binds) == 1 else None
    plain = isinstance(single, ast.Assign) and len(single.targets) == 1 and isinstance(
        single.targets[0], ast.Name)
    return single if plain else None  # type: ignore[return-value]


@rule(TypeError, IndexError)
def float_index_rule(f: Failure) -> list[str]:
    """`xs[:len(xs) * 0.8]`: a product or quotient is a float even when it is whole, and
    positions must be ints; `int(...)` where the float is made (the name's assignment, so
    every use is fixed), else around the bound itself."""
    if not _FLOAT_INDEX.match(f.message):
        return []
    for node in f.line_nodes:
        if not isinstance(node, ast.Subscript):
            continue
        for bound in _float_bounds(node):
            value = f.resolve(bound) if isinstance(bound, ast.Name) else MISSING
            if isinstance(bound, ast.Name):
                assign = _single_assignment(f, bound.id)
                if not isinstance(value, float) or assign is None:
                    continue
                made = code(f, assign.value)
                return [Hint(f"`{bound.id}` is a float ({show(value)}), and positions must be "
                             f"ints: make it one where it is computed, `int({made})`.",
                             edit=unique_replace(f, assign.value, f"int({made})", assign))]
            if isinstance(bound, ast.BinOp) and isinstance(bound.op, ast.Div | ast.Mult):
                text = code(f, bound)
                return [Hint(f"`{text}` is a float, and positions must be ints: `int({text})`.",
                             edit=unique_replace(f, bound, f"int({text})", node))]
    return []


# Records sorted without a key ---------------------------------------------------------------

_ORDER_DICTS = re.compile(r"^'[<>]=?' not supported between instances of 'dict' and 'dict'")
_ORDERING = frozenset({"sorted", "max", "min"})


def _numeric_fields(records: list[dict]) -> list[str]:
    """Keys every record has with an int or float value (not a bool): what an order can use."""
    if not records or not all(type(r) is dict for r in records):
        return []
    shared = set(records[0]).intersection(*records[1:])
    return sorted(k for k in shared if type(k) is str
                  and all(type(r[k]) in (int, float) for r in records))


def _ordering_calls(f: Failure) -> list[tuple[ast.Call, ast.expr]]:
    """(call, the sequence it orders) for `sorted(xs)`, `max(xs)`, `min(xs)`, `xs.sort()`
    on the failing line, without a `key=` already."""
    found = []
    for call in line_calls(f):
        if any(k.arg == "key" for k in call.keywords):
            continue
        if isinstance(call.func, ast.Name) and call.func.id in _ORDERING and len(call.args) == 1:
            found.append((call, call.args[0]))
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "sort" and not call.args:
            found.append((call, call.func.value))
    return found


def _words(source: str) -> str:
    """The cell's comments and text, where it says what it orders by ("highest score
    first"): its code lines' field subscripts (`p["name"]`) are left out, they say what is
    shown, not the order."""
    return re.sub(r"\[\s*['\"][^'\"]*['\"]\s*\]", " ", source)


@rule(TypeError)
def record_order_rule(f: Failure) -> list[str]:
    """`sorted(players)` of dicts: dicts have no order; `key=` names the field to order by,
    given as an edit when exactly one field is a number in every record, or when the cell's
    own words (a comment, "highest score first") name exactly one of those that are."""
    if not _ORDER_DICTS.match(f.message):
        return []
    for call, sequence in _ordering_calls(f):
        records = f.resolve(sequence)
        if type(records) not in (list, tuple):
            continue
        fields = _numeric_fields(list(records[:SAMPLE]))
        named = [k for k in fields if re.search(rf"\b{re.escape(k)}\b", _words(f.source))]
        fields = named if len(fields) > 1 and len(named) == 1 else fields
        name = code(f, sequence)
        if len(fields) != 1:
            listed = ", ".join(f"`{k}`" for k in fields) or "a field"
            return [(f"`{name}` holds dicts, which have no order: say which field to order "
                     f"by, `key=lambda row: row[...]` ({listed}).")]
        key = f"key=lambda row: row[{fields[0]!r}]"
        parts = [code(f, part) for part in [*call.args, *call.keywords]]
        if isinstance(call.func, ast.Name):
            new = f"{code(f, call.func)}({', '.join([parts[0], key, *parts[1:]])})"
        else:
            new = f"{code(f, call.func)}({', '.join([key, *parts])})"
        return [Hint(f"`{name}` holds dicts, which have no order: order them by their number "
                     f"field, `{key}`.", edit=unique_replace(f, call, new))]
    return []

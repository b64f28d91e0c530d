"""Rules for numpy shape errors: a 1-D array meant per row of a 2-D one, a reshape whose
shape does not multiply out to the array's size, and a 1-D array joined to a 2-D one as a
new row or column.

numpy's messages give the shapes but not which variable has which, nor what would fit; these
hints name the operand and list the shapes that do.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import types
from tokenize import COMMENT
from typing import Any

from ....core.axis_intent import wanted_axis
from ..failure import MISSING, Failure, constant, is_safe, line_calls
from ..hint import Edit, Hint, code, operand, rewrite, segment, unique_replace
from . import rule

# A 1-D array that does not broadcast against a 2-D one --------------------------------------

_BROADCAST = re.compile(r"^operands could not be broadcast together with shapes \((\d+),(\d+)\) \((\d+),\)\s*$|"
                        r"^operands could not be broadcast together with shapes \((\d+),\) \((\d+),(\d+)\)\s*$")  # fmt: skip


_REDUCTIONS = {"sum", "mean", "max", "min", "std", "var", "prod", "median", "ptp"}


def _reduced(node: ast.expr) -> tuple[ast.expr, int] | None:
    """(array, axis) of `a.sum(axis=1)`, `a.mean(1)` or `np.sum(a, axis=1)`: a reduction
    whose shape follows from its array's without running it."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    if node.func.attr not in _REDUCTIONS:
        return None
    module = isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy")
    args = list(node.args[1:] if module else node.args)
    array = node.args[0] if module and node.args else node.func.value
    axes = [k.value for k in node.keywords if k.arg == "axis"]
    if any(k.arg not in ("axis", "dtype") for k in node.keywords) or len(args) + len(axes) != 1:
        return None
    axis = constant(axes[0] if axes else args[0])
    return (array, axis) if type(axis) is int else None


def _shape(f: Failure, node: ast.expr) -> tuple[int, ...] | None:
    """The shape of the numpy array `node` names, or of a reduction of one along an axis."""
    np = sys.modules.get("numpy")
    reduction = _reduced(node)
    if reduction is not None:
        whole = _shape(f, reduction[0])
        axis = reduction[1]
        if whole is None or not -len(whole) <= axis < len(whole):
            return None
        return tuple(n for i, n in enumerate(whole) if i != axis % len(whole))
    value: Any = f.resolve(node)
    if np is None or value is MISSING or type(value) is not np.ndarray:
        return None
    return tuple(value.shape)


def _operand_pairs(f: Failure) -> list[tuple[ast.AST, ast.expr, ast.expr, bool]]:
    """(operation, left, right, left may be rewritten) of the operations on the failing line."""
    pairs: list[tuple[ast.AST, ast.expr, ast.expr, bool]] = []
    for node in f.line_nodes:
        if isinstance(node, ast.BinOp):
            pairs.append((node, node.left, node.right, True))
        elif isinstance(node, ast.AugAssign):
            pairs.append((node, node.target, node.value, False))
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
            pairs.append((node, node.left, node.comparators[0], True))
    return pairs


@rule(ValueError)
def broadcast_rule(f: Failure) -> list[str]:
    match = _BROADCAST.match(f.message)
    if not match:
        return []
    numbers = [int(g) for g in match.groups() if g is not None]
    rows, columns, length = numbers if match.group(1) else [numbers[1], numbers[2], numbers[0]]
    for operation, left, right, left_free in _operand_pairs(f):
        shapes = (_shape(f, left), _shape(f, right))
        if shapes == ((rows, columns), (length,)):
            vector, matrix, editable = right, left, True
        elif shapes == ((length,), (rows, columns)):
            vector, matrix, editable = left, right, left_free
        else:
            continue
        v, m = operand(f, vector), operand(f, matrix)
        per_column = f"A 1-D array of length {columns} already broadcasts per column of `{m}`."
        if length != rows:
            return [
                (
                    f"`{m}` has shape ({rows}, {columns}) and `{v}` length {length}, which fits "
                    f"neither its {rows} rows nor its {columns} columns. {per_column}"
                )
            ]
        per_feature = _per_column_edit(f, matrix)
        if per_feature is not None:
            return [Hint(f"The cell asks for each column of `{m}`, and `{v}` reduced each row "
                         f"({length} values): reduce over `axis=0`, one value per column, which "
                         f"broadcasts over the rows of `{m}`.", edit=per_feature)]
        return [
            Hint(
                f"`{m}` has shape ({rows}, {columns}) and `{v}` one value per row ({length}): "
                f"numpy lines a 1-D array up with the columns, so make it a column, "
                f"`{v}[:, None]`. {per_column}",
                edit=unique_replace(f, vector, f"{v}[:, None]", operation) if editable else None,
            )
        ]
    return []


def _per_column_edit(f: Failure, matrix: ast.expr) -> Edit | None:
    """Where the cell's comments ask for each column (feature) of `matrix` and its
    reductions of `matrix` say `axis=1`: those reductions with `axis=0`, in one edit."""
    comments = " ".join(token.string for token in _tokens(f.source) if token.type == COMMENT)
    if f.tree is None or wanted_axis(comments) != 0:
        return None
    calls = [node for node in ast.walk(f.tree) if isinstance(node, ast.Call)
             and (found := _reduced(node)) is not None and found[1] == 1
             and code(f, found[0]) == code(f, matrix)
             and any(k.arg == "axis" and constant(k.value) == 1 for k in node.keywords)]
    if not calls:
        return None
    first, last = min(calls, key=_start), max(calls, key=_end)
    span = types.SimpleNamespace(lineno=first.lineno, col_offset=first.col_offset,
                                 end_lineno=last.end_lineno, end_col_offset=last.end_col_offset)
    old = ast.get_source_segment(f.source, span)
    texts = [segment(f, call) for call in calls]
    if old is None or None in texts or f.source.count(old) != 1:
        return None
    new = old
    for text in dict.fromkeys(texts):
        new = new.replace(text, re.sub(r"\baxis\s*=\s*1\b", "axis=0", text))  # type: ignore[arg-type]
    return (old, new) if new != old else None


def _start(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def _end(node: ast.AST) -> tuple[int, int]:
    return node.end_lineno or 0, node.end_col_offset or 0  # type: ignore[attr-defined]


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []


# A reshape to a shape of another size -------------------------------------------------------

_RESHAPE = re.compile(r"^cannot reshape array of size (\d+) into shape \(([-\d, ]*)\)")
_MAX_SIZE = 10**12  # factor pairs are found by trial division up to the square root
_PAIRS = 6


def _factor_pairs(size: int) -> list[tuple[int, int]]:
    pairs = []
    for a in range(1, int(size**0.5) + 1):
        if size % a == 0:
            pairs += [(a, size // a), (size // a, a)]
    return list(dict.fromkeys(pairs))


@rule(ValueError)
def reshape_rule(f: Failure) -> list[str]:
    match = _RESHAPE.match(f.message)
    if not match:
        return []
    size = int(match.group(1))
    wanted = [int(n) for n in match.group(2).replace(" ", "").split(",") if n]
    if not 1 < size <= _MAX_SIZE:
        return []
    shape = "(" + ", ".join(map(str, wanted)) + ")"
    if len(wanted) == 2:
        a, b = wanted
        near = sorted(_factor_pairs(size), key=lambda p: abs(p[0] - a) + abs(p[1] - b))
    else:
        near = _factor_pairs(size)
    shown = " = ".join(f"{x} x {y}" for x, y in near[:_PAIRS] if x > 1 and y > 1)
    if not shown:
        return [(f"The array has {size} values, a prime number: it only reshapes to "
                f"(1, {size}) or ({size}, 1), so check where its values come from.")]  # fmt: skip
    fits = [n for n in wanted if n > 0 and size % n == 0]
    minus_one = (
        f" Or give one dimension and `-1` for the other, which numpy computes: e.g. "
        f"`reshape(-1, {fits[-1]})`." if fits else
        " `-1` lets numpy compute one dimension, but the other must divide the size."
    )  # fmt: skip
    product = 1
    for n in wanted:
        product *= n
    needs = f" needs {product}" if product > 0 else " does not fit"
    text = (f"The array has {size} values but shape {shape}{needs}: shapes that fit are "
            f"{size} = {shown}.")
    edit = _one_free_dimension(f, size, wanted)
    if edit is None:
        return [text + minus_one]
    return [Hint(f"{text} Only `{edit[0]}` does not divide the size: give it as `-1` and numpy "
                 f"computes it: `{edit[1]}`.", edit=edit[2])]


def _one_free_dimension(f: Failure, size: int, wanted: list[int]) -> tuple[str, str, Edit] | None:
    """(the dimension written, the reshape with it as -1, the edit) where exactly one of the
    cell's literal dimensions is what keeps the shape from fitting: the others divide the
    size, so it is the one to compute (7 days of 24 hours given 6 days of values)."""
    free = []
    for position in range(len(wanted)):
        rest = 1
        for other, n in enumerate(wanted):
            rest *= n if other != position else 1
        if rest > 0 and size % rest == 0 and wanted[position] > 0:
            free.append(position)
    if len(free) != 1:
        return None
    for call in line_calls(f):
        dimensions = _literal_shape(call)
        if dimensions is None or [constant(d) for d in dimensions] != wanted:
            continue
        node = dimensions[free[0]]
        new_call = rewrite(f, call, node, "-1")
        if new_call is None:
            continue
        return code(f, node), new_call[1], unique_replace(f, call, new_call[1])
    return None


def _literal_shape(call: ast.Call) -> list[ast.expr] | None:
    """The int literals of `a.reshape(7, 24)`, `a.reshape((7, 24))` or `np.reshape(a, (7, 24))`."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "reshape"):
        return None
    args = call.args
    if isinstance(call.func.value, ast.Name) and call.func.value.id in ("np", "numpy"):
        args = args[1:]
    if len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
        args = list(args[0].elts)
    return list(args) if args and all(type(constant(a)) is int for a in args) else None


# A 1-D array joined to a 2-D one ---------------------------------------------------------------

_DIMENSIONS = re.compile(r"^all the input arrays must have same number of dimensions, but the "
                         r"array at index \d+ has \d+ dimension\(s\) and the array at index \d+ "
                         r"has \d+ dimension\(s\)")
_JOINS = {"concatenate": 0, "append": None}  # numpy function: its default axis (None: flat)


@rule(ValueError)
def new_row_rule(f: Failure) -> list[str]:
    """`np.concatenate([block, row])` of a 2-D and a 1-D array: the 1-D one is a new row
    (`np.vstack`) where its length is the row length, a new column (`np.column_stack`)
    where it is the column length and `axis=1` was given."""
    if not _DIMENSIONS.match(f.message):
        return []
    for call in line_calls(f):
        joined = _joined_arrays(call)
        if joined is None:
            continue
        module, arrays, axis = joined
        shapes = [_shape(f, a) for a in arrays]
        if any(s is None or len(s) not in (1, 2) for s in shapes):
            continue
        blocks = [s for s in shapes if s is not None and len(s) == 2]
        if not blocks or len({b[1 if axis == 0 else 0] for b in blocks}) != 1:
            continue
        across = blocks[0][1] if axis == 0 else blocks[0][0]
        if any(s is not None and len(s) == 1 and s[0] != across for s in shapes):
            continue
        function, part = ("vstack", "row") if axis == 0 else ("column_stack", "column")
        new = f"{module}.{function}([{', '.join(code(f, a) for a in arrays)}])"
        hint = (f"The 1-D array is one {part} of the 2-D one, and `{code(f, call.func)}` joins "
                f"arrays of the same number of dimensions only: `{new}` adds it as a {part}.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


def _joined_arrays(call: ast.Call) -> tuple[str, list[ast.expr], int] | None:
    """(module name, arrays, axis) of `np.concatenate([a, b], axis=k)` or
    `np.append(a, b, axis=k)` with axis 0 or 1."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _JOINS
            and isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy")):
        return None
    axis: object = _JOINS[func.attr]
    keywords = {k.arg: k.value for k in call.keywords}
    if set(keywords) - {"axis"}:
        return None
    if func.attr == "concatenate":
        if len(call.args) not in (1, 2) or not isinstance(call.args[0], ast.List | ast.Tuple):
            return None
        arrays = list(call.args[0].elts)
        positional_axis = call.args[1:]
    else:
        if len(call.args) not in (2, 3):
            return None
        arrays, positional_axis = list(call.args[:2]), call.args[2:]
    if positional_axis:
        axis = constant(positional_axis[0])
    elif "axis" in keywords:
        axis = constant(keywords["axis"])
    if axis not in (0, 1) or type(axis) is not int or len(arrays) < 2:
        return None
    return func.value.id, arrays, axis


# Arithmetic on a structured array's whole records ---------------------------------------------

def _structured_arrays(f: Failure) -> list[tuple[ast.expr, Any]]:
    """(node, array) of the structured numpy arrays the failing line reads, in order."""
    np = sys.modules.get("numpy")
    if np is None:
        return []
    found: list[tuple[ast.expr, Any]] = []
    for node in f.line_nodes:
        if not isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            continue
        value = f.resolve(node)
        if (type(value) is np.ndarray and value.dtype.names
                and all(v is not value for _, v in found)):
            found.append((node, value))
    return found


_REDUCTIONS = frozenset({"mean", "sum", "std", "var", "min", "max", "median", "prod"})


def _reduction_of(f: Failure, array_node: ast.expr) -> tuple[ast.Call, str] | None:
    """The call on the failing line that reduces the array `array_node` names as a whole
    (`data.mean()`, `np.sum(data)`), with the reduction's name; else None."""
    text = code(f, array_node)
    for node in f.line_nodes:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name not in _REDUCTIONS or node.keywords:
            continue
        if not node.args and code(f, node.func.value) == text:
            return node, name
        owner = f.lookup(node.func.value.id) if isinstance(node.func.value, ast.Name) else None
        if (len(node.args) == 1 and code(f, node.args[0]) == text
                and getattr(owner, "__name__", "") == "numpy"):
            return node, name
    return None


@rule(TypeError)
def structured_array_rule(f: Failure) -> list[str]:
    """`data.mean()`, `np.sum(data)` or `data + 1` on an array of records (a structured
    dtype): numpy has no arithmetic on whole records; a field is an ordinary array. A
    reduction of the whole array is rewritten as the same reduction of each numeric field
    (`{'age': data['age'].mean(), ...}`), what "the mean of the records" can mean."""
    # numpy's no-loop error keeps the ufunc and dtypes in its args, so `f.message` (plain
    # args only) is empty: that numpy raised it, with records on the line, is what counts.
    if not (is_safe(f.exc) and type(f.exc).__module__.startswith("numpy")):
        return []
    hints: list[str] = []
    for node, array in _structured_arrays(f):
        name = operand(f, node)
        fields = list(array.dtype.names)
        numeric = [field for field in fields if array.dtype[field].kind in "biuf"]
        if not numeric:
            continue
        text = (
            f"`{name}` is a structured array of records with fields "
            f"{', '.join(repr(field) for field in fields)}: numpy cannot add or average whole "
            f"records. Take one numeric field, an ordinary array: `{name}[{numeric[0]!r}]` "
            f"(e.g. `{name}[{numeric[0]!r}].mean()`); `{name}.shape` is still the records' shape."
        )
        reduction = _reduction_of(f, node)
        edit = None
        if reduction is not None:
            call, method = reduction
            per_field = (f"{{field: {name}[field].{method}() for field in "
                         f"{tuple(numeric)!r}}}")
            edit = unique_replace(f, call, per_field)
        hints.append(Hint(text, edit=edit) if edit is not None else text)
    return hints[:1]


# A flat position unpacked as a row and a column -------------------------------------------

_UNPACK_SCALAR = re.compile(r"cannot unpack non-iterable numpy\.(?:int|intp|int64|int32)\w* object")
_FLAT_POSITIONS = frozenset({"argmin", "argmax", "nanargmin", "nanargmax"})


@rule(TypeError)
def flat_position_rule(f: Failure) -> list[str]:
    """`i, j = np.argmin(m)`: argmin/argmax of a whole array give one position in the
    flattened array, not a row and a column."""
    if not _UNPACK_SCALAR.search(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Tuple) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        array = _flat_position_of(call)
        if array is None:
            continue
        shape = _shape(f, array)
        if shape is None or len(shape) != len(node.targets[0].elts):
            continue
        written = segment(f, call) or ast.unparse(call)
        module = "np" if f.lookup("np") is sys.modules.get("numpy") else "numpy"
        new = f"{module}.unravel_index({written}, {operand(f, array)}.shape)"
        text = (f"`{written}` is one position in the flattened {len(shape)}-D array, so it "
                f"cannot be unpacked; `{new}` gives it as one index per dimension.")
        return [Hint(text, edit=unique_replace(f, call, new, node))]
    return []


def _flat_position_of(call: ast.Call) -> ast.expr | None:
    """The array of `np.argmin(a)` / `a.argmax()` called without an axis; else None."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in _FLAT_POSITIONS:
        return None
    if any(k.arg == "axis" for k in call.keywords):
        return None
    if isinstance(call.func.value, ast.Name) and call.func.value.id in ("np", "numpy"):
        return call.args[0] if len(call.args) == 1 else None
    return None if call.args else call.func.value


# A float result written in place into an integer array -------------------------------------

_CAST = re.compile(r"Cannot cast ufunc '\w+' output from dtype\('(float\d*|complex\d*)'\) to "
                   r"dtype\('(u?int\d*)'\)")


@rule(TypeError)
def int_in_place_rule(f: Failure) -> list[str]:
    """`readings -= readings.mean(axis=0)` where `readings` holds integers: numpy writes the
    result into the integer array itself, which cannot hold the fractions."""
    match = _CAST.search(f.message)
    if not match:
        return []
    for node in f.line_nodes:
        if not isinstance(node, ast.AugAssign):
            continue
        base = node.target
        while isinstance(base, ast.Subscript | ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name) or _shape(f, base) is None:
            continue
        kind = "float" if match.group(1).startswith("float") else "complex"
        written = segment(f, node)
        if written is None:
            return []
        converted = f"{base.id} = {base.id}.astype({kind})"
        new = f"{converted}\n{' ' * node.col_offset}{written}"
        text = (f"`{base.id}` holds {match.group(2)}s, and `{written}` writes a {kind} result "
                f"into it in place, which an integer array cannot hold: convert it first, "
                f"`{converted}`.")
        return [Hint(text, edit=unique_replace(f, node, new))]
    return []


# Two lists of positions meant as a block of rows and columns --------------------------------

_UNBROADCAST = re.compile(r"shape mismatch: indexing arrays could not be broadcast together")


@rule(IndexError)
def position_block_rule(f: Failure) -> list[str]:
    """`a[rows, cols]` with two lists of positions of different lengths: numpy pairs them
    up one by one; the block of those rows and columns is `a[np.ix_(rows, cols)]`."""
    if not _UNBROADCAST.search(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple)
                and len(node.slice.elts) == 2 and _shape(f, node.value) is not None):
            continue
        parts = [_literal(part) if isinstance(part, ast.List | ast.Tuple) else f.resolve(part)
                 for part in node.slice.elts]
        if not all(_positions(part) for part in parts):
            continue
        written = [segment(f, part) for part in node.slice.elts]
        if None in written:
            continue
        module = "np" if f.lookup("np") is sys.modules.get("numpy") else "numpy"
        new = f"{module}.ix_({written[0]}, {written[1]})"
        hint = (f"Two lists of positions index element by element, in pairs; the block of "
                f"those rows and those columns is `[{new}]`.")
        return [Hint(hint, edit=unique_replace(f, node.slice, new, node))]
    return []


def _literal(node: ast.expr) -> Any:
    """A list of numbers written in the cell, or MISSING."""
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError):
        return MISSING


def _positions(value: Any) -> bool:
    """Whether `value` is a 1-D list or array of integer positions."""
    np = sys.modules.get("numpy")
    if isinstance(value, list | tuple):
        return bool(value) and all(type(v) is int for v in value)
    return (np is not None and type(value) is np.ndarray and value.ndim == 1
            and value.dtype.kind in "iu")

"""The variable a generate request asks the code to assign, in the ways people phrase it.

"into a variable called total", "make a list evens holding ...", "... and keep it as
summary", "report should hold ...", "put the result in best", "call it clean_names",
"a DataFrame named sales", "I need a dict lookup of ...", "... into a list codes",
"`total = ...`". The check then requires that name at the top
level of the answer, so a model that computes the right value but leaves it in `result`
is told to assign it. Each pattern reads the grammar around the name (a naming verb, a
storing verb and its preposition, a container noun, a subject of "should hold"); words that
these places also hold in ordinary English ("save it to disk", "store the dates as
datetime", "a column named total") are not taken. A name in backticks or quotes is taken
first, since it is unambiguous.
"""

from __future__ import annotations

import re

_Q = r"(?P<q>[`'\"]?)"
_NAME = r"(?P<name>[A-Za-z_]\w*)(?P=q)"
_CONTAINER = (r"(?:list|dict|dictionary|set|tuple|data ?frame|frame|series|array|variable|"
              r"string|number|mapping|table|counter|matrix|object|function|class|lambda|"
              r"generator|value|integer|float|boolean|text)")
_STORE_VERBS = r"(?:store|save|assign|put|place|stash|capture|bind|write|return|collect)"
# After a name that follows its container noun: the end, punctuation, or a word that starts
# what the container holds ("a list evens holding ...", "an array grid of shape ...").
_NAME_ENDS = (r"(?=\s*(?:$|[,.;:=(]|\s(?:holding|with|from|of|that|which|containing|where|for|"
              r"listing|mapping|counting|and|to|by|using|whose|having|giving|in|keyed|indexed|"
              r"sorted|ordered|grouped|per)\b))")
_PATTERNS = [
    # a DataFrame named sales / a list called evens / a function called f ("titled" names a
    # title: "a histogram titled Durations")
    re.compile(rf"\b(?P<kind>[\w-]+)\s+(?:called|named)\s+{_Q}{_NAME}", re.IGNORECASE),
    # call it X / name the result X / naming it X
    re.compile(rf"\b(?:call|name)(?:ing)?\s+(?:it|this|that|them|the\s+(?P<kind>[\w-]+))\s+"
               rf"{_Q}{_NAME}", re.IGNORECASE),
    # store/save/put/assign ... in/into/to/as X (also "in a new variable X"); an "in" with an
    # "into" after it in the sentence says where the input is ("put each word in words into")
    re.compile(rf"\b{_STORE_VERBS}\w*\b[^.\n;]{{0,60}}?\b(?:in(?![^.\n;]*\binto\b)|into|to|as|"
               rf"under)\s+"
               rf"(?:a\s+(?:new\s+)?variable\s+(?:named\s+|called\s+)?)?{_Q}{_NAME}",
               re.IGNORECASE),
    # keep it as X / keep the result in a variable X ("keep rows in df" keeps rows, not df)
    re.compile(rf"\bkeep\w*\b[^.\n;]{{0,60}}?\b(?:as|in\s+a\s+(?:new\s+)?variable(?:\s+named|"
               rf"\s+called)?)\s+{_Q}{_NAME}", re.IGNORECASE),
    # a variable X / variable `X`
    re.compile(rf"\bvariable\s+(?:named\s+|called\s+)?{_Q}{_NAME}", re.IGNORECASE),
    # the answer goes into X / ends up in X
    re.compile(rf"\b(?:goes|go|ends?\s+up|lands?|belongs?)\s+(?:in|into)\s+{_Q}{_NAME}",
               re.IGNORECASE),
    # make a list X holding ... / create a DataFrame X from ... / I need a dict X of ...
    re.compile(rf"\b(?:make|create|build|define|compute|construct|generate|produce|write|get|"
               rf"prepare|need|want|like|give\s+me)\s+"
               rf"(?:a|an|the|one)\s+(?:new\s+)?(?:\w+\s+)?{_CONTAINER}\s+{_Q}{_NAME}"
               rf"{_NAME_ENDS}", re.IGNORECASE),
    # ... into a list X / ... as a Series X / ... in an array X of shape ... ("a": "in the
    # table header" names a part of something, not a new variable)
    re.compile(rf"\b(?:into|in|as)\s+(?:a|an)\s+(?:new\s+)?(?:[\w-]+\s+){{0,2}}{_CONTAINER}\s+"
               rf"{_Q}{_NAME}{_NAME_ENDS}", re.IGNORECASE),
    # X should hold / X must contain ... (the subject of a clause)
    re.compile(rf"(?:^|[.;:!?,]\s*|\band\s+|\bso\s+(?:that\s+)?){_Q}{_NAME}\s+(?:should|must|"
               rf"will|shall)\s+(?:hold|contain|store|keep|have|end\s+up|be\s+set\s+to|equal|"
               rf"be\s+(?:a|an|the)\s)", re.IGNORECASE),
    # set X to ... / and then set X to ... (an imperative that binds X)
    re.compile(rf"(?:^|[.;:!?,]\s*|\band\s+|\bthen\s+)set\s+{_Q}{_NAME}\s+(?:to|equal\s+to)\s",
               re.IGNORECASE),
    # total = ... (at the start of a sentence or inside backticks)
    re.compile(rf"(?:^|[.;:!?]\s+|`){_NAME.replace('(?P=q)', '')}\s*=(?!=)", re.MULTILINE),
]
# Build dist, the n-by-n array ... / ... and closest_pair, a tuple (i, j): a name set off by a
# comma and described by its container noun (an appositive), after a verb that makes it.
_MAKING = (r"(?:make|create|build|compute|construct|produce|prepare|return|give\s+me|find|get|"
           r"define|work\s+out)")
_DESCRIBED = rf",\s+(?:a|an|the)\s+(?:[\w()-]+\s+){{0,3}}?{_CONTAINER}\b"
_PATTERNS.append(re.compile(rf"\b{_MAKING}\s+{_Q}{_NAME}{_DESCRIBED}", re.IGNORECASE))
_PATTERNS.append(re.compile(rf"\b{_MAKING}\s[^.;\n]{{0,160}}?\band\s+{_Q}{_NAME}{_DESCRIBED}",
                            re.IGNORECASE))
# ... as top_scorer mapping team to player / as lookup keyed by id (a name the participle
# describes)
_PATTERNS.append(re.compile(rf"\bas\s+{_Q}{_NAME}\s+(?:mapping|keyed|holding|listing|counting|"
                            r"containing|indexed)\b", re.IGNORECASE))
# Give me top_tags: the three ... (a snake_case name the colon defines)
_PATTERNS.append(re.compile(rf"\b{_MAKING}\s+(?P<q>`?)(?P<name>[A-Za-z]\w*_\w*)(?P=q)\s*:\s",
                            re.IGNORECASE))
# ... into `X` / ... as `X`: a quoted name after the preposition.
_QUOTED_AFTER = re.compile(r"\b(?:into|as)\s+`(?P<name>[A-Za-z_]\w*)`", re.IGNORECASE)
_PATTERNS.append(_QUOTED_AFTER)
# "a column named total", "name the file out": those name things that are not variables.
_NOT_VARIABLE_KINDS = frozenset({
    "column", "columns", "col", "file", "key", "field", "index", "parameter", "argument", "arg",
    "sheet", "table", "attribute", "method", "label", "title", "axis", "row", "level", "plot",
    "chart", "figure", "legend", "header", "folder", "directory", "package", "module", "tab",
    "person", "user", "customer", "city", "country", "product", "company", "entry", "item",
})
# Words that sit where a name would, in ordinary requests ("save it to disk", "as well").
_NOT_NAMES = frozenset({
    "a", "an", "the", "it", "its", "this", "that", "these", "those", "them", "one", "each",
    "all", "some", "any", "every", "new", "my", "our", "your", "their", "his", "her", "and",
    "or", "of", "from", "with", "by", "for", "to", "in", "on", "at", "as", "into", "is", "be",
    "variable", "variables", "list", "dict", "dictionary", "dataframe", "frame", "series",
    "array", "tuple", "set", "column", "columns", "row", "rows", "index", "memory", "place",
    "order", "disk", "file", "files", "folder", "csv", "json", "excel", "xlsx", "parquet",
    "pickle", "html", "png", "pdf", "svg", "jpg", "sql", "database", "clipboard", "text",
    "int", "integer", "integers", "float", "floats", "str", "string", "strings", "bool",
    "boolean", "datetime", "date", "dates", "category", "numeric", "number", "numbers",
    "percent", "percentage", "well", "needed", "before", "usual", "follows", "follow",
    "shown", "such", "possible", "above", "below", "comprehension", "literal", "copy", "view",
    "version", "instance", "way", "format", "lowercase", "uppercase", "descending",
    "ascending", "front", "end", "values", "value", "plot", "chart", "figure", "table",
    "function", "class", "method", "object", "default", "none", "true", "false", "called",
    "named",
})

# Types, quoted or not: "store the dates as `int`" converts, it names no variable.
_TYPES = frozenset({
    "int", "float", "str", "bool", "bytes", "complex", "list", "dict", "tuple", "set",
    "frozenset", "object", "datetime", "date", "category", "string", "int8", "int16", "int32",
    "int64", "uint8", "float32", "float64", "datetime64", "timedelta", "decimal", "none",
})


# "the same shape as X", "such as X", "as well as X" compare or list; they store nothing.
_COMPARISON = re.compile(r"\b(?:same\s+(?:[\w-]+\s+){0,2}?|such\s+|well\s+)as\s+[`'\"]?\w+",
                         re.IGNORECASE)
# "make a table called wide": a table the code makes is a variable ("a SQL table" is not).
_MAKES_TABLE = re.compile(rf"\b{_MAKING}\s+(?:a|an|the|one)\s+(?:new\s+)?table\s+(?:called|named)"
                          r"\s+\S+$", re.IGNORECASE)
_NOT_A_FRAME = re.compile(r"\b(?:sql|database|html|markdown|latex|db)\b", re.IGNORECASE)


def asked_names(request: str) -> list[str]:
    """Variable names the request asks the code to assign, quoted ones first, else in order."""
    found: list[tuple[bool, int, str]] = []
    request = unwrapped(request)
    text = _COMPARISON.sub(lambda m: " " * len(m.group()), request)
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            name = groups["name"]
            start = match.start("name")
            quoted = bool(groups.get("q")) or start > 0 and request[start - 1] == "`"
            kind = (groups.get("kind") or "").lower()
            if kind in _NOT_VARIABLE_KINDS and not (
                    kind == "table" and _MAKES_TABLE.search(text[:match.end("name")])
                    and not _NOT_A_FRAME.search(request)):
                continue
            if name.lower() in _TYPES or not quoted and name.lower() in _NOT_NAMES:
                continue
            if not name.isidentifier() or name.lower() in ("a", "an", "the", "it"):
                continue
            found.append((not quoted, match.start("name"), name))
    names: list[str] = []
    for _, _, name in sorted(found):
        if name not in names:
            names.append(name)
    return names


_SENTENCE = re.compile(r"(?:[^.;!?\n(]|\([^)]*\)|\()+")  # a parenthesis may hold a "."


_SOFT_WRAP = re.compile(r"\n(?=[ \t]*[a-z`'\"(])")


def unwrapped(request: str) -> str:
    """`request` with the line breaks that wrap a sentence (the next line goes on in lower
    case) read as spaces, position for position: "store the\nlist in `names`" is one
    sentence, as typed in a cell; a line that starts a list item or a sentence stays."""
    return _SOFT_WRAP.sub(" ", request)


def name_pattern(name: str) -> str:
    """Regex text for `name` standing as a whole word in a request, backticked or not."""
    return rf"(?<![\w`])`?{re.escape(name)}`?(?![\w`])"


def sentences_naming(request: str, name: str) -> list[str]:
    """The sentences of `request` that name `name`: what the request says of a name is
    read from its own sentence, not from one about another name."""
    named = re.compile(name_pattern(name))
    return [s.group() for s in _SENTENCE.finditer(unwrapped(request)) if named.search(s.group())]

"""Each `%ai` verb's own arguments: an option a verb does not take is refused by name.

One namespace for every verb let `%ai explain --verify` or `%ai chat --insert` pass and do
nothing. Here each verb has its own parser (IPython's `MagicArgumentParser`, so a bad
argument is a `UsageError`, shown as one line, not a traceback), built from one table of
options, and `%ai VERB --help` / `%ai help VERB` show that verb's options.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser
from IPython.utils.text import dedent


@dataclass(frozen=True)
class Option:
    """One option of the magic: its flags and argparse's keywords."""

    flags: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flags[-1].lstrip("-").replace("-", "_")

    @property
    def takes_value(self) -> bool:
        return self.kwargs.get("action") not in ("store_true", "store_false")

    @property
    def label(self) -> str:
        return "/".join(self.flags)


OPTIONS: tuple[Option, ...] = (
    Option(("-f", "--format"), {"choices": ["code", "markdown", "text"], "default": None,
                                "help": "Answer as code (default for generate/fix), markdown "
                                        "or text."}),
    Option(("-m", "--model"), {"default": None, "help": "Model for this call: a registry "
                                                        "name, an alias, a GGUF path."}),
    Option(("--max-tokens",), {"type": int, "default": None,
                               "help": "Cap on the answer's tokens."}),
    Option(("--temperature",), {"type": float, "default": None,
                                "help": "Sampling temperature (0 = greedy)."}),
    Option(("--seed",), {"type": int, "default": None, "help": "Sampling seed."}),
    Option(("--context-tokens",), {"type": int, "default": None,
                                   "help": "Token budget for notebook context in the prompt."}),
    Option(("--no-context",), {"action": "store_true",
                               "help": "Send only the request: no cells, no variables (fix "
                                       "still sends its error)."}),
    Option(("--retries",), {"type": int, "default": None,
                            "help": "Extra attempts when the code fails its checks (or, with "
                                    "--verify, its run)."}),
    Option(("--insert",), {"action": "store_true",
                           "help": "Put the proposed code into a new cell below (it is not "
                                   "run)."}),
    Option(("--verify",), {"action": "store_true",
                           "help": "Run each candidate in a guarded, forked copy of the kernel "
                                   "(writing files, network, processes refused there) and keep "
                                   "the first that runs to its end (strict: a refused action "
                                   "or the time limit fails a candidate). Without it, "
                                   "candidates are rehearsed there by default "
                                   "(LocalAI.rehearse)."}),
    Option(("--no-verify",), {"action": "store_true",
                              "help": "Do not rehearse the candidates in a copy of the kernel "
                                      "(for this call; `%%config LocalAI.rehearse = False` for "
                                      "all)."}),
)
AGENT_OPTIONS = (
    Option(("--step-timeout",), {"type": float, "default": None,
                                 "help": "Seconds one attempt of an agent step may run in the "
                                         "copy before it is killed (default: "
                                         "LocalAI.rehearse_timeout)."}),
)
OPTIONS = OPTIONS + AGENT_OPTIONS
HELP = Option(("-h", "--help"), {"action": "store_true", "help": "Show this verb's options."})
_BY_DEST = {option.dest: option for option in OPTIONS}

# The options of each verb. Explain and chat answer in prose: no code to check, retry,
# verify or insert.
_ASK = ("format", "model", "max_tokens", "temperature", "seed", "context_tokens", "no_context")
_CODE = (*_ASK, "retries", "insert", "verify", "no_verify")
VERB_OPTIONS: dict[str, tuple[str, ...]] = {
    "generate": _CODE, "fix": _CODE, "explain": _ASK, "chat": _ASK,
    "status": (), "models": (), "help": (), "reset": (),
    "agent": ("model", "max_tokens", "temperature", "seed", "context_tokens", "retries",
              "step_timeout"),
}
# What follows each verb on its line (the cell body takes its place in `%%ai`), and what
# the verb does.
VERB_USAGE = {
    "generate": ("REQUEST", ("Generate code for the request (`%%ai` with the request in the "
                             "cell body is the same).")),
    "explain": ("[N | In[N]] [QUESTION]",
                "Explain the previous cell (or cell N), its output or error."),
    "fix": ("[NOTE]", "Repair the most recent failing cell."),
    "chat": ("MESSAGE", "A conversation that remembers earlier turns."),
    "status": ("", "Which model, where it runs, load time, backend, restarts."),
    "models": ("", "Available models and how to pick one."),
    "help": ("[VERB]", "The commands, or one verb's options."),
    "reset": ("", "Forget the chat conversation."),
    "agent": ("GOAL | accept N|all | reject [N] | show",
              ("Plan a few steps for the goal and rehearse each step's cell in a guarded copy "
              "of the kernel; nothing changes until you accept.")),
}
COMMANDS = tuple(VERB_OPTIONS)
# Options that take a value, so the value is not mistaken for the command or the prompt.
VALUE_OPTIONS = frozenset(flag for option in OPTIONS if option.takes_value
                          for flag in option.flags)


def verb_label(verb: str, cell: bool) -> str:
    """How the user wrote the verb: `%ai explain`, `%%ai explain`, or `%%ai` for generate."""
    if cell:
        return "%%ai" if verb == "generate" else f"%%ai {verb}"
    return f"%ai {verb}"


def _parser(verb: str, cell: bool) -> MagicArgumentParser:
    words, summary = VERB_USAGE[verb]
    usage = "%(prog)s [options]" + (f" {words}" if words and not cell else "")
    parser = MagicArgumentParser(prog=verb_label(verb, cell), usage=usage, description=summary,
                                 formatter_class=argparse.HelpFormatter)
    for dest in VERB_OPTIONS[verb]:
        option = _BY_DEST[dest]
        parser.add_argument(*option.flags, **option.kwargs)
    parser.add_argument(*HELP.flags, **HELP.kwargs)
    return parser


def _names(verbs: list[str]) -> list[str]:
    """The verbs as typed; generate is also the bare `%%ai` cell."""
    return (["%%ai"] if "generate" in verbs else []) + [f"%ai {verb}" for verb in verbs]


def _takers(dest: str) -> str:
    """The verbs that take an option, as the user would type them."""
    names = [f"`{name}`" for name in
             _names([verb for verb, dests in VERB_OPTIONS.items() if dest in dests])]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _known_option(token: str) -> Option | None:
    """The option `token` names, for any verb (`--flag=value` and unique prefixes too)."""
    flag = token.split("=", 1)[0]
    for option in OPTIONS:
        if flag in option.flags:
            return option
    if flag.startswith("--"):
        matches = [o for o in OPTIONS if any(f.startswith(flag) for f in o.flags if f[:2] == "--")]
        if len(matches) == 1:
            return matches[0]
    return None


def _refusal(verb: str, cell: bool, token: str) -> str:
    name = verb_label(verb, cell)
    takes = ", ".join(_BY_DEST[dest].label for dest in VERB_OPTIONS[verb])
    accepted = (f"`{name}` takes {takes} (`%ai help {verb}` explains them)" if takes
                else f"`{name}` takes no options")
    option = _known_option(token)
    if option is not None:
        first = f"`{option.flags[-1]}` applies to {_takers(option.dest)} only"
    else:
        first = f"`{token}` is not an option of `{name}`"
    return f"{first}; {accepted}."


def parse_verb_options(verb: str, options: str, *, cell: bool = False) -> argparse.Namespace:
    """Parse `options` for `verb`; every option of the magic is on the result, with its
    default where the verb does not take it, so the caller reads one shape."""
    parser = _parser(verb, cell)
    args, extra = parser.parse_known_args(options.split())
    if extra:
        offending = next((t for t in extra if t.startswith("-") and len(t) > 1), extra[0])
        raise UsageError(_refusal(verb, cell, offending))
    for option in OPTIONS:
        if not hasattr(args, option.dest):
            default = None if option.takes_value else False
            setattr(args, option.dest, option.kwargs.get("default", default))
    return args


def verb_help(verb: str, cell: bool = False) -> str:
    """One verb's usage and options (`%ai VERB --help`, `%ai help VERB`)."""
    return _parser(verb, cell).format_help().rstrip()


def options_by_verb() -> str:
    """Which options each verb takes, then what each option does: the end of `%ai?`."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for verb, dests in VERB_OPTIONS.items():
        groups.setdefault(dests, []).append(verb)
    lines = [("Options (each verb takes only its own; `%ai help VERB` or "
              "`%ai VERB --help` shows one verb's):")]
    for dests, verbs in groups.items():
        names = ", ".join(_names(verbs))
        taken = " ".join(_BY_DEST[dest].flags[-1] for dest in dests) or "no options"
        lines.append(f"  {names}: {taken}")
    lines.append("")
    for option in OPTIONS:
        metavar = f" {option.dest.upper()}" if option.takes_value else ""
        if "choices" in option.kwargs:
            metavar = " {" + ",".join(option.kwargs["choices"]) + "}"
        described = option.kwargs["help"].replace("%%", "%")  # argparse's escape of %
        lines.append(f"  {option.label}{metavar}\n      {described}")
    return "\n".join(lines)


def verb_arguments(magic: Callable[..., Any]) -> Callable[..., Any]:
    """Append every verb's options to the magic's docstring, as `@magic_arguments()` does
    for a single parser, so `%ai?` shows them."""
    magic.__doc__ = dedent(magic.__doc__ or "").rstrip() + "\n\n" + options_by_verb() + "\n"
    return magic

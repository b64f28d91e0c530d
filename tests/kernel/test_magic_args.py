"""Each `%ai` verb takes its own options: one it does not take is refused by name, before
anything runs (no context read, no model started, no answer), and help is per verb."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.kernel_driver import KernelDriver

from jupyter_localai.kernel.magic_args import VERB_OPTIONS, parse_verb_options
from jupyter_localai.kernel.magic_line import split_line

ASSISTANT = "get_ipython().magics_manager.registry['LocalAIMagics'].assistant"


def parse(line: str, cell: bool = False) -> Any:
    split = split_line(line)
    return parse_verb_options(split.command or "generate", split.options, cell=cell)


@pytest.mark.parametrize(("line", "cell", "refused", "verb", "takers"), [
    ("explain --verify", False, "`--verify`", "`%ai explain` takes", "`%ai fix`"),
    ("chat --insert tell me more", False, "`--insert`", "`%ai chat` takes", "`%ai generate`"),
    ("--retries 2 explain", False, "`--retries`", "`%ai explain` takes", "`%%ai`"),
    ("explain --insert", True, "`--insert`", "`%%ai explain` takes", "`%ai fix`"),
    ("status --model big", False, "`--model`", "`%ai status` takes no options", "`%ai chat`"),
    ("reset --no-context", False, "`--no-context`", "`%ai reset` takes no options",
     "`%ai explain`"),
    ("models -f text", False, "`--format`", "`%ai models` takes no options", "`%ai fix`"),
    ("help --verify", False, "`--verify`", "`%ai help` takes no options", "`%ai fix`"),
])
def test_an_option_of_another_verb_is_refused_by_name(
    line: str, cell: bool, refused: str, verb: str, takers: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line, cell)
    message = str(caught.value)
    assert message.startswith(f"{refused} applies to ")
    assert takers in message.split(" only;")[0]
    assert verb in message


def test_the_refusal_lists_the_options_the_verb_takes() -> None:
    with pytest.raises(UsageError) as caught:
        parse("explain --verify")
    message = str(caught.value)
    taken = message.split("takes ", 1)[1]
    for flag in ("--format", "--model", "--max-tokens", "--temperature", "--seed",
                 "--context-tokens", "--no-context"):
        assert flag in taken
    for flag in ("--verify", "--insert", "--retries"):
        assert flag not in taken
    assert "`%ai help explain`" in message


def test_an_unknown_option_is_named_too() -> None:
    with pytest.raises(UsageError, match=r"`--bogus` is not an option of `%ai fix`"):
        parse("fix --bogus")
    with pytest.raises(UsageError, match=r"`--bogus` is not an option of `%%ai`"):
        parse("--bogus", cell=True)


@pytest.mark.parametrize("line", [
    ("--verify --insert --retries 1 --max-tokens 8 -f code -m big --seed 1 --temperature 0.2 "
     "--context-tokens 100 --no-context"),
    "generate --verify --insert make a frame",
    "fix --verify --retries 0 --max-tokens=96",
    "explain --max-tokens 96 -f text --no-context 3",
    "--no-context chat hello",
    "chat --model=big --temperature 0.5 why?",
    "status", "models", "reset", "help explain",
])
def test_each_verb_takes_its_own_options(line: str) -> None:
    args = parse(line, cell=line.startswith("--verify"))
    # Every option of the magic is on the result, defaults where the verb has none.
    for name in ("format", "model", "max_tokens", "temperature", "seed", "context_tokens",
                 "no_context", "retries", "insert", "verify", "help"):
        assert hasattr(args, name), name


def test_options_not_taken_read_as_their_defaults() -> None:
    args = parse("chat --max-tokens 8 hi")
    assert (args.max_tokens, args.verify, args.insert, args.retries) == (8, False, False, None)
    assert parse("fix --verify").verify is True


def test_verbs_agree_with_the_line_splitter() -> None:
    assert set(VERB_OPTIONS) == {"generate", "explain", "fix", "chat", "status", "models",
                                 "help", "reset", "agent"}


@pytest.fixture
def localai_shell(ipython_shell: Any) -> Iterator[Any]:
    ipython_shell.run_line_magic("load_ext", "jupyter_localai")
    yield ipython_shell
    ipython_shell.run_line_magic("unload_ext", "jupyter_localai")


def _run(shell: Any, cell: str) -> tuple[Any, str]:
    with capture_output() as captured:
        result = shell.run_cell(cell)
    shown = captured.stdout + captured.stderr + "".join(
        str(output.data) for output in captured.outputs)
    return result, shown


def test_a_refused_option_stops_the_magic_before_anything_runs(localai_shell: Any) -> None:
    assistant = localai_shell.magics_manager.registry["LocalAIMagics"].assistant
    localai_shell.run_cell("1 / 0", store_history=True)  # something a fix or explain would read
    for cell in ("%ai explain --verify", "%ai chat --insert hello", "%%ai explain --retries 2\nx = 1",
                 "%ai status --model big", "%ai fix --bogus"):
        result, shown = _run(localai_shell, cell)
        assert isinstance(result.error_in_exec, UsageError), cell
        assert "applies to" in str(result.error_in_exec) or "is not an option" in str(
            result.error_in_exec)
        assert "Traceback" not in shown and "Thinking" not in shown, shown
        assert assistant.last_reply is None
        assert assistant.engine_statuses() == {}  # no model asked for, none started
        assert assistant.chat_history == []


def test_help_is_per_verb(localai_shell: Any) -> None:
    result, explain = _run(localai_shell, "%ai help explain")
    assert result.error_in_exec is None
    assert "usage: %ai explain [options] [N | In[N]]" in explain
    assert "--no-context" in explain and "--verify" not in explain
    _, fix = _run(localai_shell, "%ai fix --help")
    assert "usage: %ai fix [options]" in fix and "--verify" in fix and "--insert" in fix
    _, cell = _run(localai_shell, "%%ai --help\nignored")
    assert "usage: %%ai [options]" in cell and "--verify" in cell
    _, status = _run(localai_shell, "%ai status -h")
    assert "usage: %ai status [options]" in status and "--model" not in status
    _, overview = _run(localai_shell, "%ai help")
    assert "%ai explain [N | In[N]]" in overview
    assert "%ai explain, %ai chat: --format" in overview  # which verb takes which options


def test_the_magics_docstring_shows_each_verbs_options(localai_shell: Any) -> None:
    doc = localai_shell.magics_manager.magics["line"]["ai"].__doc__  # what `%ai?` shows
    assert "%%ai, %ai generate, %ai fix: --format" in doc
    assert "%ai status, %ai models, %ai help, %ai reset: no options" in doc
    assert "--verify\n      Run each candidate in a guarded, forked copy" in doc


@pytest.fixture
def kernel() -> Iterator[KernelDriver]:
    env = dict(os.environ)
    env.pop("JUPYTER_LOCALAI_SERVER_URL", None)  # nothing to reach: nothing should be asked
    driver = KernelDriver(env=env)
    yield driver
    driver.shutdown()


def test_explain_verify_in_a_real_kernel_is_one_clear_error(kernel: KernelDriver) -> None:
    assert kernel.execute("%load_ext jupyter_localai\nprecious = 42").status == "ok"
    assert kernel.execute("top = sorted([3, 1, 2])").status == "ok"

    run = kernel.execute("%ai explain --verify\nprecious = 0")
    assert run.status == "error"
    assert run.reply["ename"] == "UsageError"
    assert run.stderr.strip() == (
        "UsageError: `--verify` applies to `%%ai`, `%ai generate` and `%ai fix` only; "
        "`%ai explain` takes -f/--format, -m/--model, --max-tokens, --temperature, --seed, "
        "--context-tokens, --no-context (`%ai help explain` explains them).")
    assert run.stdout == ""
    assert run.of_type("display_data", "update_display_data", "execute_result") == []
    # Nothing else happened: the rest of the cell did not run, no answer, no model.
    assert kernel.value("precious") == 42
    assert kernel.value("__import__('jupyter_localai').last_reply() is None") is True
    assert kernel.value(f"{ASSISTANT}.engine_statuses()") == {}
    assert kernel.execute("%ai help explain").status == "ok"

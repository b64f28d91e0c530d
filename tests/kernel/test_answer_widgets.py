"""kernel/widgets.py in real kernels: the `%ai models` picker and the buttons under a code
answer, clicked as a frontend clicks them (a comm message, outside any execution), and the
text fallbacks where widgets cannot show."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.kernel_driver import CellRun, KernelDriver, assistant_kernel

from jupyter_localai.config import SERVER_URL_ENV
from jupyter_localai.core.reply import Reply
from jupyter_localai.kernel import widgets
from jupyter_localai.kernel.assistant import KernelAssistant

WIDGET_MIME = widgets.WIDGET_MIME
ANSWER_CODE = 'totals = {"north": 15}\nprint(totals)'


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path) as driver:
        yield driver


def widget_ids(run: CellRun) -> list[str]:
    """The model ids of the widgets a cell displayed, and that each has a text fallback."""
    ids = []
    for message in run.of_type("display_data"):
        data = message["content"]["data"]
        if WIDGET_MIME in data:
            assert data.get("text/plain", "").strip(), "a widget without a text fallback"
            ids.append(data[WIDGET_MIME]["model_id"])
    return ids


def send_to_widget(kernel: KernelDriver, model_id: str, data: dict[str, Any]) -> None:
    """What the frontend's widget manager sends: a comm message on the shell channel."""
    message = kernel.client.session.msg("comm_msg", {"comm_id": model_id, "data": data})
    kernel.client.shell_channel.send(message)


def click(kernel: KernelDriver, model_id: str) -> None:
    send_to_widget(kernel, model_id, {"method": "custom", "content": {"event": "click"}})


def widget_value(kernel: KernelDriver, expression: str, box_id: str) -> Any:
    """`expression` evaluated with `box` bound to the widget `box_id` in the kernel."""
    return kernel.value(
        f"(lambda box: {expression})(__import__('ipywidgets').widgets.widget._instances"
        f"[{box_id!r}])"
    )


def wait_for(kernel: KernelDriver, expression: str, box_id: str, expected: Any) -> Any:
    """Comm messages are handled in arrival order, but give a loaded machine time."""
    deadline = time.monotonic() + 30
    value = widget_value(kernel, expression, box_id)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = widget_value(kernel, expression, box_id)
    return value


def set_next_inputs(run: CellRun) -> list[dict[str, Any]]:
    return [p for p in run.reply.get("payload", []) if p.get("source") == "set_next_input"]


def test_models_picker_lists_loadable_models_and_switch_sets_the_setting(
    kernel: KernelDriver, make_gguf: Any, tmp_path: Path
) -> None:
    make_gguf("picker-test-model.gguf")
    broken = tmp_path / "broken-model.gguf"
    broken.write_bytes(b"not a gguf at all")
    assert kernel.execute(f"%config LocalAI.models_dir = {str(tmp_path)!r}").status == "ok"
    before = kernel.value("get_ipython().magics_manager.registry['LocalAIMagics']"
                          ".assistant.settings.model")

    run = kernel.execute("%ai models")
    assert run.status == "ok", run.error
    assert "Models (pick one" in run.stdout  # the text listing is still there, complete
    assert "broken-model.gguf" in run.stdout  # listed in the text with why it fails...
    (box_id,) = widget_ids(run)
    options = widget_value(kernel, "[list(o) for o in box.children[0].options]", box_id)
    names = [name for _label, name in options]
    assert "picker-test-model.gguf" in names
    assert "broken-model.gguf" not in names  # ...but cannot be picked
    assert widget_value(kernel, "box.children[1].description", box_id) == "Switch"

    # The frontend selects the test model (Dropdown syncs `index`) and clicks Switch.
    send_to_widget(kernel, widget_value(kernel, "box.children[0].model_id", box_id),
                   {"method": "update", "state": {"index": names.index("picker-test-model.gguf")},
                    "buffer_paths": []})
    click(kernel, widget_value(kernel, "box.children[1].model_id", box_id))
    assert wait_for(kernel, "get_ipython().magics_manager.registry['LocalAIMagics']"
                    ".assistant.settings.model", box_id,
                    "picker-test-model.gguf") == "picker-test-model.gguf"
    # The same setting `%config LocalAI.model` shows, and the label says what happens next.
    shown = kernel.execute("%config LocalAI.model")
    assert "picker-test-model.gguf" in shown.stdout + str(shown.of_type("execute_result"))
    assert "next request loads it" in widget_value(kernel, "box.children[2].value", box_id)
    # The listing now marks the picked model current, and a new picker starts on it.
    (again_id,) = widget_ids(kernel.execute("%ai models"))
    assert widget_value(kernel, "box.children[0].value", again_id) == "picker-test-model.gguf"
    restore = kernel.execute(f"%config LocalAI.model = {before!r}\n"
                             "%config LocalAI.models_dir = ''")
    assert restore.status == "ok", restore.error


def show_answer(kernel: KernelDriver) -> str:
    run = kernel.execute(
        "from jupyter_localai.core.reply import Reply\n"
        "from jupyter_localai.kernel.widgets import show_answer_actions\n"
        f"_actions = show_answer_actions(get_ipython(), Reply('generate', '', {ANSWER_CODE!r}, "
        "'test'), 'code')"
    )
    assert run.status == "ok", run.error
    (box_id,) = widget_ids(run)
    return box_id


def silent(kernel: KernelDriver, code: str) -> dict[str, Any]:
    """A frontend's own silent request (a variable viewer's): its reply's content."""
    msg_id = kernel.client.execute(code, silent=True)
    reply = kernel.client.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel.client.get_shell_msg(timeout=60)
    return reply["content"]


def test_insert_click_rides_on_the_next_run_cell_and_runs_nothing(kernel: KernelDriver) -> None:
    box_id = show_answer(kernel)
    assert widget_value(kernel, "box.children[0].description", box_id) == "Insert below next run"
    insert_id = widget_value(kernel, "box.children[0].model_id", box_id)
    click(kernel, insert_id)  # shell messages are handled in order: before what follows
    # A silent request of the frontend does not carry it off...
    assert [p for p in silent(kernel, "_ = 0").get("payload", [])
            if p.get("source") == "set_next_input"] == []
    # ...the next cell the user runs does.
    nxt = kernel.execute("x_after_click = 1")
    assert nxt.status == "ok", nxt.error
    assert set_next_inputs(nxt) == [{"source": "set_next_input", "text": ANSWER_CODE,
                                     "replace": False}]
    assert not kernel.value("'totals' in globals()")  # queued as text, never run
    assert "In[" in widget_value(kernel, "box.children[2].value", box_id)
    # Delivered once: the cell after that carries nothing.
    assert set_next_inputs(kernel.execute("x_after_click = 2")) == []


def test_cancel_takes_the_queued_code_back(kernel: KernelDriver) -> None:
    box_id = show_answer(kernel)
    insert_id = widget_value(kernel, "box.children[0].model_id", box_id)
    cancel_id = widget_value(kernel, "box.children[1].model_id", box_id)
    click(kernel, insert_id)
    click(kernel, cancel_id)
    assert set_next_inputs(kernel.execute("x_after_cancel = 1")) == []
    assert widget_value(kernel, "box.children[2].value", box_id) == "Cancelled."


def test_no_widgets_in_a_terminal_shell_text_only(ipython_shell: Any, capsys: Any) -> None:
    """IPython in a terminal (no frontend): `%ai models` prints its text, no widget."""
    assistant = KernelAssistant(ipython_shell)
    assert widgets.show_models(ipython_shell, assistant) is None
    assert "Models (pick one" in capsys.readouterr().out
    reply = Reply("generate", "", ANSWER_CODE, "test")
    assert widgets.show_answer_actions(ipython_shell, reply, "code") is None


class _FrontendShell:
    """Looks like a kernel's shell to `has_rich_frontend` (it has a kernel)."""

    kernel = object()


def test_no_widgets_without_ipywidgets_or_under_the_lab_extension(monkeypatch: Any) -> None:
    shell = _FrontendShell()
    reply = Reply("generate", "", ANSWER_CODE, "test")
    real_find_spec = widgets.importlib.util.find_spec
    monkeypatch.setattr(widgets.importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real_find_spec(name, *a))
    assert not widgets.widgets_available(shell)
    assert widgets.show_answer_actions(shell, reply, "code") is None
    monkeypatch.undo()
    assert widgets.widgets_available(shell)
    # Under a server with the extension the answer's own renderer has the buttons.
    monkeypatch.setenv(SERVER_URL_ENV, "http://127.0.0.1:8888/")
    assert widgets.show_answer_actions(shell, reply, "code") is None
    # Prose answers get no insert buttons.
    monkeypatch.delenv(SERVER_URL_ENV)
    assert widgets.show_answer_actions(shell, Reply("chat", "hi", "", "test"), "markdown") is None


def test_picker_choices_keep_only_loadable_rows() -> None:
    rows = [
        {"name": "qwen2.5-coder-0.5b", "available": True},
        {"name": "qwen2.5-coder-1.5b", "available": False},
        {"name": "hf:a/b/c.gguf", "available": True, "source": "huggingface"},
        {"name": "bad.gguf", "available": False, "source": "models_dir"},
    ]
    assert widgets.picker_choices(rows) == [
        ("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b"),
        ("hf:a/b/c.gguf (huggingface)", "hf:a/b/c.gguf"),
    ]


@pytest.mark.model
def test_a_real_answer_gets_the_insert_bar(kernel: KernelDriver) -> None:
    run = kernel.execute("%%ai --max-tokens 48 --no-verify\n"
                         "Make a list called squares of the squares of 1 to 5")
    assert run.status == "ok", run.error
    code = kernel.value("__import__('jupyter_localai').last_reply().code")
    assert code.strip()
    (box_id,) = widget_ids(run)
    assert widget_value(kernel, "box.children[0].description", box_id) == "Insert below next run"
    click(kernel, widget_value(kernel, "box.children[0].model_id", box_id))
    assert set_next_inputs(kernel.execute("pass")) == [
        {"source": "set_next_input", "text": code, "replace": False}]


def test_no_picker_where_the_kernel_setting_does_not_pick_the_model(
    ipython_shell: Any, monkeypatch: Any, capsys: Any
) -> None:
    """Under a remote URL or the server's resident model, `LocalAI.model` would switch
    nothing: the picker is left out and `%ai models` says why."""
    from jupyter_localai.config import SERVER_SECRET_ENV

    assistant = KernelAssistant(ipython_shell)
    assert widgets.picker_unavailable_reason(assistant) is None
    assistant.settings.remote_url = "http://127.0.0.1:9/v1"
    assert "remote_url" in (widgets.picker_unavailable_reason(assistant) or "")
    assistant.settings.remote_url = ""
    monkeypatch.setenv(SERVER_SECRET_ENV, "s" * 32)
    assistant.settings.server_url = "http://127.0.0.1:8888/"
    assert "resident model" in (widgets.picker_unavailable_reason(assistant) or "")
    # In a frontend with widgets, `%ai models` prints the reason after the list, no picker.
    monkeypatch.setattr(widgets, "has_rich_frontend", lambda shell: True)
    assert widgets.show_models(ipython_shell, assistant) is None
    out = capsys.readouterr().out
    assert "Models (pick one" in out and "resident model" in out

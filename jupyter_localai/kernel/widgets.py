"""ipywidgets in the cell output, for frontends without the lab extension.

VS Code, Notebook 7 and JupyterLab without this package's lab extension render an answer as
Markdown only, and `%ai models` as a list to copy names from. Two small widgets help there:

- `ModelPicker` (`%ai models`): a dropdown of the models this kernel can load and a Switch
  button that sets `LocalAI.model`, exactly what `%config LocalAI.model = NAME` does (the
  next request loads it; nothing is loaded on the click).
- `AnswerActions` (under a code answer): "Insert below next run". A kernel cannot edit the
  notebook document. Its one standard way to put code into a cell is the `set_next_input`
  payload, which travels on the reply to an *execution*; a widget's click arrives as a comm
  message, outside any execution. So the click queues the code, the payload is written
  when the next cell the user runs starts and rides on that cell's reply: the frontend puts
  the code into a new cell below that cell (JupyterLab and Notebook 7 do; `replace` would
  overwrite whichever cell runs next, so no Replace button is offered). Nothing is run.

Without ipywidgets, in a terminal, or where the frontend has no widget manager (nbconvert,
GitHub's viewer) the output is today's text: every widget bundle carries a `text/plain`
saying what the widget would have done and the command that does it.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from ..config import SERVER_URL_ENV
from ..core.reply import Reply
from .assistant import KernelAssistant
from .display import has_rich_frontend

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def widgets_available(shell: Any) -> bool:
    """True when a widget can be shown: a Jupyter frontend and ipywidgets installed (found
    without importing it, so a kernel without it pays nothing)."""
    return has_rich_frontend(shell) and importlib.util.find_spec("ipywidgets") is not None


def lab_extension_likely() -> bool:
    """True when a Jupyter server running this package's extension started the kernel: its
    frontend then has the lab extension, whose answer renderer already has Insert / Replace
    buttons that edit the document directly (the same package ships both)."""
    return bool(os.environ.get(SERVER_URL_ENV))


def _show(widget: Any, plain: str) -> None:
    """Display `widget` with `plain` as the text a frontend without widgets shows."""
    from IPython.display import display

    bundle = widget._repr_mimebundle_()
    display({WIDGET_MIME: bundle[WIDGET_MIME], "text/plain": plain}, raw=True)


# -- %ai models -------------------------------------------------------------------------


def picker_choices(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(label, name) of every listed model that can be loaded: installed registry models and
    found GGUF files whose header passes (a failing file is listed in the text, not here)."""
    choices = []
    for row in rows:
        if not row.get("available"):
            continue
        name = str(row["name"])
        source = row.get("source", "registry")
        choices.append((name if source == "registry" else f"{name} ({source})", name))
    return choices


def picker_unavailable_reason(assistant: KernelAssistant) -> str | None:
    """Why this kernel's `LocalAI.model` does not pick the model that answers, if so."""
    from .server_client import engine_for_kernel

    if assistant.settings.remote_url:
        return ("LocalAI.remote_url is set: the remote server's model answers "
                "(`%config LocalAI.remote_url = ''` to use a local model).")
    if engine_for_kernel(assistant.settings) is not None:
        return ("This kernel asks the Jupyter server's resident model, which is switched "
                "from the panel's model picker (a kernel may not switch it for every notebook).")
    return None


class ModelPicker:
    """A dropdown of loadable models and a Switch button setting `LocalAI.model`."""

    def __init__(self, assistant: KernelAssistant, choices: list[tuple[str, str]],
                 current: str | None) -> None:
        import ipywidgets

        self.assistant = assistant
        names = [name for _label, name in choices]
        self.dropdown = ipywidgets.Dropdown(
            options=choices,
            value=current if current in names else (names[0] if names else None),
            description="Model",
        )
        self.button = ipywidgets.Button(
            description="Switch", button_style="primary",
            tooltip="Set LocalAI.model (as %config LocalAI.model = NAME does)",
            disabled=not names,
        )
        self.status = ipywidgets.Label(value=f"Current: {assistant.settings.model}")
        self.button.on_click(self._switch)
        self.box = ipywidgets.HBox([self.dropdown, self.button, self.status])

    def _switch(self, _button: Any = None) -> None:
        from traitlets import TraitError

        name = self.dropdown.value
        if not name:
            return
        try:
            self.assistant.settings.model = name
        except TraitError as error:
            self.status.value = f"Not switched: {error}"
            return
        self.status.value = (f"LocalAI.model = {name!r} (as %config does): the next "
                             "request loads it.")


def show_models(shell: Any, assistant: KernelAssistant) -> ModelPicker | None:
    """`%ai models`: the text listing, then a picker where widgets work and the kernel's
    `LocalAI.model` decides which model answers. Returns the picker (tests click it)."""
    from ..models import model_listing
    from .reports import models_report

    print(models_report(assistant))
    if not widgets_available(shell):
        return None
    reason = picker_unavailable_reason(assistant)
    if reason is not None:
        print(reason)
        return None
    rows = model_listing(assistant.settings.models_dir, assistant.resolve_alias(None))
    current = next((str(row["name"]) for row in rows if row.get("current")), None)
    picker = ModelPicker(assistant, picker_choices(rows), current)
    _show(picker.box, "(A model picker shows here in frontends with ipywidgets; "
                      "`%config LocalAI.model = NAME` does the same.)")
    return picker


# -- code answers -----------------------------------------------------------------------


class AnswerActions:
    """"Insert below next run" / "Cancel" under a code answer (see the module docstring).

    The payload is written when the next cell the user runs starts (`pre_run_cell`, which
    silent executions never trigger), not on the click: a frontend's own silent requests (a
    variable viewer's, a panel's context call) would otherwise carry it off unseen.
    """

    def __init__(self, shell: Any, code: str) -> None:
        import ipywidgets

        self.shell = shell
        self.code = code
        self.insert_button = ipywidgets.Button(
            description="Insert below next run", icon="plus",
            tooltip="Queue this code: the next cell you run gets it in a new cell below "
                    "(nothing is run)",
        )
        self.cancel_button = ipywidgets.Button(description="Cancel", disabled=True)
        self.status = ipywidgets.Label(value="")
        self.insert_button.on_click(self._queue)
        self.cancel_button.on_click(self._cancel)
        self.box = ipywidgets.HBox([self.insert_button, self.cancel_button, self.status])

    def _queue(self, _button: Any = None) -> None:
        self._unregister()  # a second click queues once
        self.shell.events.register("pre_run_cell", self._attach)
        self.shell.events.register("post_run_cell", self._delivered)
        self.insert_button.disabled = True
        self.cancel_button.disabled = False
        self.status.value = ("Queued: run any cell and this code appears in a new cell "
                             "below it (not run).")

    def _cancel(self, _button: Any = None) -> None:
        self._unregister()
        self.insert_button.disabled = False
        self.cancel_button.disabled = True
        self.status.value = "Cancelled."

    def _attach(self, _info: Any) -> None:
        self.shell.set_next_input(self.code, replace=False)

    def _delivered(self, result: Any) -> None:
        """The cell ran: its reply carries the payload (sent just after this), unless the
        cell set one of its own (`--insert`), which takes its place."""
        self._unregister()
        self.cancel_button.disabled = True
        self.insert_button.disabled = False
        sent = [p for p in self.shell.payload_manager.read_payload()
                if p.get("source") == "set_next_input"]
        if sent and sent[-1].get("text") == self.code:
            self.status.value = (f"Sent with In[{result.execution_count}]'s reply: the "
                                 "frontend inserts it below that cell.")
        else:
            self.status.value = "That cell inserted code of its own; click again to queue."

    def _unregister(self) -> None:
        for event, callback in (("pre_run_cell", self._attach),
                                ("post_run_cell", self._delivered)):
            if callback in self.shell.events.callbacks[event]:
                self.shell.events.unregister(event, callback)


def show_answer_actions(shell: Any, reply: Reply, fmt: str) -> AnswerActions | None:
    """Buttons under a code answer where widgets work and the lab extension's own buttons
    are not there. Returns the widget (tests click it), or None when not shown."""
    if fmt != "code" or not reply.code or not widgets_available(shell):
        return None
    if lab_extension_likely():
        return None
    actions = AnswerActions(shell, reply.code)
    _show(actions.box, "(Insert buttons show here in frontends with ipywidgets; "
                       "`--insert` puts the code in a new cell below.)")
    return actions

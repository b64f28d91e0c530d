"""The `%ai` / `%%ai` magics: a thin face over the core tasks.

Parsing, context collection, the task and the rendering each live elsewhere; this module
wires them together for one cell and turns errors into readable messages.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

from ..core.context import NotebookContext
from ..core.reply import Reply
from ..core.tasks import TaskRequest, run_task
from ..errors import LocalAIError
from .assistant import KernelAssistant
from .context.namespace import KernelNamespace
from .display import StreamingDisplay
from .magic_args import COMMANDS, parse_verb_options, verb_arguments, verb_help
from .magic_line import split_line
from .reports import help_text, status_report
from .widgets import show_answer_actions, show_models

log = logging.getLogger(__name__)


@magics_class
class LocalAIMagics(Magics):
    """Magics of jupyter-localai; the assistant they share is `self.assistant`."""

    def __init__(self, shell: Any, assistant: KernelAssistant) -> None:
        super().__init__(shell)
        self.assistant = assistant

    # IPython would expand `{...}` and `$name` in the line itself (evaluating them, secrets
    # and all) before the magic sees it; interpolation is ours, brace-safe and redacted.
    @no_var_expand
    @verb_arguments  # each verb's own options, appended to this docstring (`%ai?`)
    @line_cell_magic("localai")  # the same magic, a name jupyter-ai's `%ai` cannot take
    @line_cell_magic
    def ai(self, line: str, cell: str | None = None) -> None:
        """Ask the local model. Commands:

          %%ai [options]            generate code for the request in the cell body
          %ai generate REQUEST      the same, on one line
          %ai explain [N | In[N]]   explain the previous cell (or cell N), its output or error
          %ai fix [NOTE]            repair the most recent failing cell
          %ai chat MESSAGE          a conversation that remembers earlier turns
          %%ai agent                plan and rehearse a multi-step goal in a copy of the
                                    kernel; `%ai agent accept N|all` / `reject` after it
          %ai status | models | reset
          %ai help [VERB]           these commands, or one verb's options (`%ai VERB --help`)

        `%localai` / `%%localai` is the same magic under a name of its own: with jupyter-ai
        also loaded, `%ai` belongs to whichever extension loaded last.

        `{name}` in a request inserts a summary of the variable `name`; other braces stay as
        typed. Answers stream into the output; generated code is never run in this kernel
        for you (`--insert` puts it in a new cell below). Code answers are first rehearsed
        in a guarded, forked copy of the kernel, which is thrown away (`--no-verify` or
        `%config LocalAI.rehearse = False` skips that). The last answer is available as
        `jupyter_localai.last_reply()`.
        """
        split = split_line(line)
        command = split.command or "generate"
        # A UsageError (an option this verb does not take) shows as one line, no traceback.
        args = parse_verb_options(command, split.options, cell=cell is not None)
        text = split.text if cell is None else f"{split.text}\n{cell}".strip()
        if args.help:
            print(verb_help(command, cell=cell is not None))
            return
        if command == "help":
            verb = text.split()[0] if text.split() else ""
            print(verb_help(verb) if verb in COMMANDS else help_text(self.ai.__doc__ or ""))
            return
        if command == "status":
            print(status_report(self.assistant))
            return
        if command == "models":
            show_models(self.shell, self.assistant)  # the text, and a picker where widgets work
            return
        if command == "reset":
            self.assistant.chat_history.clear()
            print("Conversation cleared.")
            return
        if command == "agent":
            from .agent.face import face_of

            try:
                face_of(self).command(text, args, cell_given=cell is not None)
            except LocalAIError as error:
                print(f"jupyter-localai: {error}")
            return
        self._ask(command, text, args, cell_given=cell is not None)

    def _ask(self, command: str, text: str, args: Any, cell_given: bool) -> None:
        from .fix.rehearse import mark_reply, rehearsal_mode, rehearsal_verifier, verify_choice

        fmt = args.format or ("code" if command in ("generate", "fix") else "markdown")
        try:
            verify = verify_choice(args.verify, args.no_verify)
        except ValueError as error:
            raise UsageError(str(error)) from error
        # Only generate and fix take the options; they are rehearsed by default.
        mode = rehearsal_mode(command, verify, self.assistant.settings)
        try:
            request = self._build_request(command, text, args, fmt, cell_given, mode)
        except LocalAIError as error:
            print(f"jupyter-localai: {error}")
            return
        display = StreamingDisplay(self.shell, status_line="Thinking…")
        verifier = rehearsal_verifier(self.shell, request, mode, self.assistant.settings)
        try:
            engine = self.assistant.engine(args.model)
            reply = run_task(
                engine,
                request,
                namespace=None if args.no_context else KernelNamespace(self.shell.user_ns),
                listener=display,
                verifier=verifier,
                failure_of=verifier.failure_of if verifier is not None else None,
            )
            # How the rehearsal went, and what the copy re-ran or refused, under the answer.
            mark_reply(reply, mode, verifier)
        except LocalAIError as error:
            display.fail(str(error))
            return
        except KeyboardInterrupt:
            display.fail("Stopped before the model answered.")
            return
        self.assistant.last_reply = reply
        if command == "chat" and reply.finish_reason != "cancelled":
            self.assistant.chat_history += [{"role": "user", "content": text},
                                            {"role": "assistant", "content": reply.text}]
        display.finish(reply, fmt)
        if args.insert and reply.code:
            self.shell.set_next_input(reply.code, replace=False)
        elif reply.finish_reason != "cancelled":
            show_answer_actions(self.shell, reply, fmt)

    def _build_request(self, command: str, text: str, args: Any, fmt: str,
                       cell_given: bool, rehearsal: str | None) -> TaskRequest:
        from .context.collect import collect_context
        from .context.interpolate import interpolate

        settings = self.assistant.settings
        prompt = text
        if command in ("generate", "chat") and text:
            prompt, _names = interpolate(text, self.shell.user_ns)
        target_source: str | None = None
        target_output = ""
        if command == "explain":
            target_source, target_output, prompt = self._explain_target(text, cell_given)
        context: NotebookContext | None = None
        if not args.no_context or command == "fix":
            context = collect_context(self.shell, prompt)
            self.assistant.context_asked = not args.no_context  # arms the cell prefill
            if args.no_context:  # fix needs its error, nothing else
                context = NotebookContext(last_error=context.last_error)
        if command == "fix" and (context is None or context.last_error is None):
            raise LocalAIError(
                "No failing cell found in this kernel session. Run the cell that fails, "
                "then `%ai fix`."
            )
        return TaskRequest(
            task=command,
            prompt=prompt,
            context=context,
            target_source=target_source,
            target_output=target_output,
            history=list(self.assistant.chat_history) if command == "chat" else [],
            format=fmt,
            max_tokens=args.max_tokens or settings.max_tokens,
            temperature=settings.temperature if args.temperature is None else args.temperature,
            seed=settings.seed if args.seed is None else args.seed,
            model=args.model,
            session_id=self._session_id(),
            context_tokens=args.context_tokens or settings.context_tokens,
            retries=_retries(args, settings, rehearsal is not None),
            candidates=settings.candidates,
        )

    def _explain_target(self, text: str, cell_given: bool) -> tuple[str, str, str]:
        """(source, output or error, extra question) of the cell to explain."""
        from .context.history import cell_output_text

        if cell_given:
            first, _, rest = text.partition("\n")
            return (rest if rest.strip() else first), "", (first if rest.strip() else "")
        inputs = self.shell.user_ns.get("In", [])
        match = re.match(r"^\s*(?:In\[)?(\d+)\]?\s*(.*)$", text, flags=re.DOTALL)
        if match:
            number, question = int(match.group(1)), match.group(2)
        else:
            number, question = self._previous_cell_number(inputs), text
        if not 0 < number < len(inputs):
            raise LocalAIError(f"There is no cell In[{number}] to explain in this session.")
        return inputs[number], cell_output_text(self.shell, number), question

    def _previous_cell_number(self, inputs: list[str]) -> int:
        number = len(inputs) - 2  # In[-1] is this magic's own cell
        while number > 0 and _is_own_magic(inputs[number]):
            number -= 1
        return number

    def _session_id(self) -> str | None:
        kernel = getattr(self.shell, "kernel", None)
        session = getattr(kernel, "session", None)
        return getattr(session, "session", None) or None


def _retries(args: Any, settings: Any, rehearsed: bool) -> int:
    """Extra attempts: as asked, else more when candidates are rehearsed, where a failed
    run in the copy is fed back with its error (checks alone give the model less to act
    on)."""
    if args.retries is not None:
        return int(args.retries)
    return int(settings.verify_retries if rehearsed else settings.retries)


def _is_own_magic(source: str) -> bool:
    stripped = source.lstrip()
    return stripped.startswith(("%ai", "%%ai", "get_ipython().run_line_magic('ai'",
                                "get_ipython().run_cell_magic('ai'"))


def last_reply_of(shell: Any) -> Reply | None:
    """The last answer in `shell`, found through its registered magics (no globals)."""
    magics = shell.magics_manager.registry.get(LocalAIMagics.__name__) if shell else None
    return magics.assistant.last_reply if magics is not None else None

"""Chat and explain answers: which code blocks are checked, the retry, and the marks.

A scripted engine stands in for the model; the namespace is either the context's
summaries (what the server has) or a live pandas namespace (what the kernel has).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from jupyter_localai.core.block_checks import check_blocks, marked_text
from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.reply import Reply
from jupyter_localai.core.summary_namespace import SummaryNamespace, frame_columns
from jupyter_localai.core.tasks import CancelScope, TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace
from jupyter_localai.kernel.context.summaries import summarize_variable
from jupyter_localai.server.class_members import class_members

FRAME = pd.DataFrame({"price": [2.0, 3.5], "qty": [1, 4]})
MISSING = "```python\ndf['total'] = df['price'] * df['quantity']\n```"
MISSING_ATTRIBUTE = "```python\ndf['total'] = df.price * df.quantity\n```"
RIGHT = "```python\ndf['total'] = df['price'] * df['qty']\n```"


def scripted(*answers: str) -> FakeEngine:
    queue: Iterator[str] = iter(answers)
    return FakeEngine(lambda request: next(queue))


def notebook() -> NotebookContext:
    """What the panel sends: the kernel's own summary of `df`, and its cells."""
    summary = summarize_variable("df", FRAME)
    assert summary is not None
    return NotebookContext(
        cells=[CellRecord(1, "import pandas as pd"),
               CellRecord(2, "df['total'] = df.price * df.quantity", error="AttributeError")],
        variables=[summary],
        imports=["pd = pandas (2.2.3)"],
    )


class Recorder:
    def __init__(self) -> None:
        self.attempts: list[tuple[int, str]] = []

    def on_attempt(self, attempt: int, reason: str) -> None:
        self.attempts.append((attempt, reason))

    def on_token(self, text: str) -> None:
        pass


def test_the_kernels_summary_reads_back_as_the_frames_columns() -> None:
    summary = summarize_variable("df", FRAME)
    assert summary is not None and frame_columns(summary) == (["price", "qty"], [])
    dated = FRAME.set_index(pd.Index(["a", "b"], name="when"))
    dated_summary = summarize_variable("d", dated)
    assert dated_summary is not None and frame_columns(dated_summary) == (["price", "qty"], ["when"])


def test_a_summary_that_lists_only_some_columns_is_unknown() -> None:
    wide = pd.DataFrame({f"c{i}": [i] for i in range(30)})
    summary = summarize_variable("wide", wide)
    assert summary is not None and frame_columns(summary) is None
    namespace = SummaryNamespace(NotebookContext(variables=[summary]))
    assert namespace.has("wide") and namespace.column_names("wide") is None


def test_chat_code_naming_a_missing_column_is_retried_with_the_reason() -> None:
    engine = scripted(MISSING, "Use qty:\n" + RIGHT)
    recorder = Recorder()
    request = TaskRequest("chat", "add a column total = price x qty", context=notebook())
    reply = run_task(engine, request, namespace=SummaryNamespace(request.context, class_members),
                     listener=recorder)
    assert reply.attempts == 2
    assert [b.issues for b in reply.blocks] == [[]] and reply.blocks[0].checked
    assert "'qty'" in reply.blocks[0].code
    feedback = engine.requests[1].messages[-1]["content"]
    assert "'quantity'" in feedback and "'qty'" in feedback  # the reason, with the real columns
    assert recorder.attempts[1][0] == 2 and "quantity" in recorder.attempts[1][1]


def test_an_attribute_that_is_no_column_is_caught_from_the_summary() -> None:
    engine = scripted(MISSING_ATTRIBUTE, MISSING_ATTRIBUTE, MISSING_ATTRIBUTE)
    request = TaskRequest("chat", "add a column total", context=notebook(), retries=2)
    reply = run_task(engine, request, namespace=SummaryNamespace(request.context, class_members))
    assert reply.attempts == 3
    (block,) = reply.blocks
    assert block.failed and any("quantity" in issue for issue in block.issues)
    assert reply.warnings == []  # the mark is on the block, not a loose warning
    back = Reply.from_json(reply.to_json())
    assert back.blocks == reply.blocks and back.blocks[0].failed


def test_the_live_namespace_catches_it_too() -> None:
    engine = scripted(MISSING, MISSING, RIGHT)
    request = TaskRequest("chat", "add a column total", context=notebook())
    reply = run_task(engine, request, namespace=KernelNamespace({"df": FRAME, "pd": pd}))
    assert reply.attempts == 3 and not reply.blocks[0].failed


def test_the_best_attempt_is_kept_and_marked() -> None:
    broken = "```python\ndf['total'] = (\n```"
    engine = scripted(broken, MISSING, broken)
    request = TaskRequest("chat", "add total", context=notebook(), retries=2)
    reply = run_task(engine, request, namespace=KernelNamespace({"df": FRAME}))
    assert "quantity" in reply.blocks[0].code and reply.blocks[0].failed


def test_blocks_that_are_not_python_are_not_checked_and_ask_no_retry() -> None:
    text = ("Install it:\n```bash\npip install pandas\n```\nor\n```\n$ conda install pandas\n```\n"
            "with\n```json\n{\"a\": 1}\n```\n")
    engine = scripted(text)
    reply = run_task(engine, TaskRequest("chat", "how do I install pandas?", context=notebook()))
    assert reply.attempts == 1 and len(engine.requests) == 1
    assert [b.checked for b in reply.blocks] == [False, False, False]
    assert [b.note for b in reply.blocks] == ["not Python (bash)", "not Python code",
                                              "not Python (json)"]


def test_an_untagged_python_block_is_checked() -> None:
    checks, issues = check_blocks("```\nprint(df['quantity'])\n```",
                                  KernelNamespace({"df": FRAME}))
    assert checks[0].checked and checks[0].failed and issues


def test_a_later_block_may_use_what_an_earlier_one_defines() -> None:
    text = "```python\nimport numpy as np\nscale = 2\n```\n```python\nprint(np.ones(3) * scale)\n```"
    checks, issues = check_blocks(text, KernelNamespace({}))
    assert issues == [] and [b.checked for b in checks] == [True, True]


def test_a_quoted_notebook_cell_is_marked_but_not_retried() -> None:
    text = ("Your cell\n```python\ndf['total'] = df.price * df.quantity\n```\n"
            "fails because `df` has no `quantity` column.")
    engine = scripted(text)
    request = TaskRequest("explain", target_source="df['total'] = df.price * df.quantity",
                          context=notebook())
    reply = run_task(engine, request, namespace=KernelNamespace({"df": FRAME}))
    assert reply.attempts == 1
    (block,) = reply.blocks
    assert block.quoted and block.failed


def test_a_stopped_answer_is_checked_but_not_retried() -> None:
    cancel = CancelScope()

    class StopAtTheColumn(Recorder):
        text = ""

        def on_token(self, text: str) -> None:
            self.text += text
            if "quantity" in self.text:
                cancel.cancel()

    engine = FakeEngine(MISSING + "\nThat adds the column, and more words follow here.")
    request = TaskRequest("chat", "add total", context=notebook())
    reply = run_task(engine, request, namespace=KernelNamespace({"df": FRAME}), cancel=cancel,
                     listener=StopAtTheColumn())
    assert reply.finish_reason == "cancelled" and len(engine.requests) == 1
    assert "more words" not in reply.text
    assert reply.blocks and reply.blocks[0].checked and reply.blocks[0].failed


def test_a_failed_block_is_marked_right_below_it() -> None:
    text = f"First\n{RIGHT}\nthen\n{MISSING}\nend"
    checks, _ = check_blocks(text, KernelNamespace({"df": FRAME}))
    marked = marked_text(text, checks)
    after_missing = marked.split("df['quantity']\n```", 1)[1]
    assert after_missing.lstrip().startswith("> ⚠ Failed the checks:")
    assert marked.count("Failed the checks") == 1 and marked.endswith("end")


def test_generate_keeps_its_own_path() -> None:
    engine = scripted("```python\ntotal = df['price'].sum()\n```")
    request = TaskRequest("generate", "sum price into total", context=notebook())
    reply = run_task(engine, request, namespace=KernelNamespace({"df": FRAME}))
    assert reply.blocks == [] and reply.code == "total = df['price'].sum()"


def test_a_chat_without_code_is_answered_once() -> None:
    engine = scripted("Pandas is a data library.")
    reply = run_task(engine, TaskRequest("chat", "what is pandas?", context=notebook()))
    assert reply.blocks == [] and len(engine.requests) == 1


def test_variable_summary_type_names_other_than_frames_are_not_read() -> None:
    summary = VariableSummary("s", "Series", "DataFrame, 2 rows x 1 columns\ncolumns: a (int64)")
    assert frame_columns(summary) is None


def test_chat_handing_back_the_failing_cell_is_retried() -> None:
    context = notebook()
    failing = context.cells[1].source
    engine = scripted(f"```python\n{failing}\n```", RIGHT)
    reply = run_task(engine, TaskRequest("chat", "add total", context=context),
                     namespace=KernelNamespace({"df": FRAME}))
    assert reply.attempts == 2 and not reply.blocks[0].failed


def test_a_session_block_is_checked_without_its_prompts_and_keeps_them_for_the_panel() -> None:
    checks, issues = check_blocks("```pycon\n>>> df['quantity']\n```", KernelNamespace({"df": FRAME}))
    assert checks[0].code == ">>> df['quantity']" and checks[0].failed and issues


def test_a_block_replaying_the_notebook_is_checked_on_what_it_adds() -> None:
    """The data cell replayed with its `# In[n]:` marker would make `df` the block's own;
    the line after it still reads a column the real `df` lacks, and is marked."""
    setup = "import pandas as pd\ndf = pd.DataFrame({'price': [2.5, 4.0], 'qty': [3, 1]})"
    text = ("```python\n# In[2]:\n" + setup + "\n\n# In[3]:\n"
            "df['total'] = df['price'] * df['quantity']\n```")
    namespace = SummaryNamespace(notebook(), class_members)
    checks, retry = check_blocks(text, namespace, known_sources=[setup])
    assert checks[0].checked and any("quantity" in issue for issue in checks[0].issues)
    assert retry

"""`%ai chat` on the real model in a real kernel: the answer's code blocks are checked
against the live namespace, a failure is retried with a visible notice, and a block that
still names a column the DataFrame lacks carries the failed-check mark in the cell's output
(beside the block in the Markdown, and in the bundle the lab extension's buttons read).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.column_oracle import python_blocks, unmarked_missing
from support.kernel_driver import KernelDriver, own_worker_env

from jupyter_localai.kernel.display import REPLY_MIME

pytestmark = pytest.mark.model

SETUP = "import pandas as pd\ndf = pd.DataFrame({'price': [2.5, 4.0, 1.25], 'qty': [3, 1, 8]})"
FAILING = "df['total'] = df.price * df.quantity"


@pytest.fixture
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    driver = KernelDriver(env=own_worker_env(default_model_path))
    yield driver
    driver.shutdown()


def test_ai_chat_never_offers_a_missing_column_unmarked(kernel: KernelDriver) -> None:
    for cell in ("%load_ext jupyter_localai", SETUP, FAILING):
        kernel.execute(cell, timeout=120)
    run = kernel.execute("%ai chat --max-tokens 160 add a column total = price x qty",
                         timeout=900)
    assert run.status == "ok", run.error
    bundle = run.final_bundle_with(REPLY_MIME)
    reply = bundle[REPLY_MIME]
    attempts = kernel.value("__import__('jupyter_localai').last_reply().attempts")
    # text/plain: the Markdown escapes the notice's punctuation ("&#40;attempt").
    shown = [m["content"]["data"].get("text/plain", "") for m in
             run.of_type("display_data", "update_display_data")]
    notices = {text.split("\n", 1)[0] for text in shown if "Retrying (attempt" in text}
    # Each retry was shown while it ran (the notice names the attempt).
    assert len(notices) == attempts - 1, (attempts, notices)
    assert python_blocks(reply["text"]), f"no code block to judge:\n{reply['text']}"
    assert any(block["checked"] for block in reply["blocks"]), reply["blocks"]
    problems = unmarked_missing(reply, "df", {"price", "qty"})
    assert problems == [], "\n".join(problems)
    failed = [block for block in reply["blocks"] if block["checked"] and block["issues"]]
    # The Markdown every frontend shows has one mark per failed block, and none without.
    assert bundle["text/markdown"].count("Failed the checks") == len(failed)
    print(f"attempts={attempts} marked={[b['issues'] for b in failed]}\n{reply['text']}")

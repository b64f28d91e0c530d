"""Secrets never reach a prompt, a log or an error echo: every prompt is captured and searched.

Secrets are planted where users keep them (variables, nested configs, the environment the
kernel inherits, cell sources, printed outputs, an exception message, the `%%ai` request),
then every face asks: `%%ai`, `%ai explain`, `%ai fix`, `%ai chat`, the panel's path
(silent `context_json` in the kernel, then `ask` with that context) and the OpenAI route.
The recording engine writes each prompt it receives to a file; the server runs with DEBUG
logging and kernels log to it too. Values are random per run, in real providers' shapes.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator

import pytest
import requests
from support.jupyter_process import JupyterServer, ServerKernel, sse_lines
from support.recording_engine import PREFILLS_FILE

from jupyter_localai.kernel.context.redact import REDACTED


def _token(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits


@pytest.fixture(scope="module")
def planted() -> dict[str, str]:
    """Secret values, fresh each run (nothing secret-shaped is committed)."""
    pem_body = "\n".join(_token(ALNUM + "+/", 64) for _ in range(4))
    return {
        "openai_env": "sk-proj-" + _token(ALNUM, 48),
        "github_var": "ghp_" + _token(ALNUM, 36),
        "aws_in_note": "AKIA" + _token(UPPER, 16),
        "nested_password": "pw-" + _token(ALNUM, 14),
        "env_token_plain": _token(ALNUM, 26),
        "slack_in_error": "xoxb-" + _token(string.digits, 10) + "-" + _token(ALNUM, 24),
        "hf_in_source": "hf_" + _token(ALNUM, 34),
        "private_key": "-----BEGIN RSA PRIVATE KEY-----\n" + pem_body
        + "\n-----END RSA PRIVATE KEY-----",
    }


def _cells(planted: dict[str, str]) -> list[str]:
    return [
        f"github_client_token = {planted['github_var']!r}",
        f"config = {{'db': {{'host': 'db.internal', 'password': {planted['nested_password']!r}}}}}",
        f"note = 'remember {planted['aws_in_note']}'",
        f"os.environ['OPENAI_API_KEY'] = {planted['openai_env']!r}",
        f"os.environ['SERVICE_TOKEN'] = {planted['env_token_plain']!r}",
        "print(os.environ['OPENAI_API_KEY'], os.environ['SERVICE_TOKEN'])",
        f"hub_login = {planted['hf_in_source']!r}\nprint('logged in with', hub_login)",
        f"print({planted['private_key']!r})",
        "rows = [1, 2, 3]\nprint(sum(rows))",
    ]


def _fragments(value: str) -> list[str]:
    """The value and distinctive pieces of it: a secret cut in two must not leak either."""
    body = value.split("\n")[1] if value.startswith("-----BEGIN") else value
    return [body, body[: len(body) // 2 + 4], body[len(body) // 2 - 4 :]]


@pytest.fixture(scope="module")
def kernel(recording_server: JupyterServer, planted: dict[str, str]) -> Iterator[ServerKernel]:
    driver = recording_server.start_kernel()
    assert driver.execute("%load_ext jupyter_localai\nimport os").status == "ok"
    for cell in _cells(planted):
        run = driver.execute(cell)
        assert run.status == "ok", run.error
    yield driver
    driver.shutdown()


def _ask_like_the_panel(server: JupyterServer, secret: str, context: dict, prompt: str) -> None:
    response = requests.post(
        server.url + "api/localai/ask",
        data=json.dumps({"task": "chat", "prompt": prompt, "context": context}),
        headers={"Authorization": f"LocalAI {secret}"},
        stream=True,
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert list(sse_lines(response))[-1]["type"] == "done"


def test_no_face_carries_a_secret_into_a_prompt_a_log_or_an_echo(
    recording_server: JupyterServer,
    kernel: ServerKernel,
    planted: dict[str, str],
    prompt_log,
    assistant_secret_of,
    reliability_report,
) -> None:
    mark = prompt_log.mark()
    faces = {
        "%%ai": "%%ai\nsummarise {note}, {config} and {github_client_token} for rows",
        "%ai explain": "%ai explain",
        "%ai chat": "%ai chat what does {hub_login} hold, and what did the cells print",
    }
    for face, cell in faces.items():
        run = kernel.execute(cell)
        assert run.status == "ok", (face, run.error)
    failing = kernel.execute(f"raise ValueError('slack refused {planted['slack_in_error']}')")
    assert failing.error is not None
    run = kernel.execute("%ai fix")
    assert run.status == "ok", run.error

    # The panel: a silent context call in the kernel, then `ask` with that context.
    shown = kernel.execute(
        '__import__("jupyter_localai.kernel.context", fromlist=["_"])'
        '.context_json(get_ipython(), "what is in config and note?")'
    )
    context = json.loads(shown.stdout.strip().splitlines()[-1])
    secret = assistant_secret_of(kernel)
    _ask_like_the_panel(recording_server, secret, context, "what is in config and note?")

    # The OpenAI route: requests it refuses must not echo what they carried.
    echoes = []
    for body in (
        {"messages": [{"role": "intruder", "content": planted["openai_env"]}]},
        {"messages": planted["github_var"]},
        {"messages": [{"role": "user", "content": planted["hf_in_source"]}], "n": 2},
        {"messages": [{"role": "user", "content": "hi"}], "stop": {planted["aws_in_note"]: 1}},
    ):
        response = requests.post(
            recording_server.url + "api/localai/v1/chat/completions",
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert response.status_code == 400, response.text
        echoes.append(response.text)

    prompts = prompt_log.since(mark)
    assert len(prompts) == len(faces) + 2  # each face reached the engine once
    everything = "\n".join(prompts)
    # The context did arrive, with the secrets cut out of it.
    for visible in ("config", "note", "hub_login", "ValueError", "slack refused", "sum(rows)"):
        assert visible in everything, visible
    assert REDACTED in everything
    log = recording_server.log_path.read_text(errors="replace")
    assert "api/localai/ask" in log and "[D " in log  # the verbose log, with these requests
    places = {"prompts": everything, "server and kernel log": log, "OpenAI echoes": "\n".join(echoes)}
    prefills = prompt_log.folder / PREFILLS_FILE  # what the kernel prefilled after each cell
    places["prefills"] = prefills.read_text() if prefills.exists() else ""
    for name, value in planted.items():
        for fragment in _fragments(value):
            for place, text in places.items():
                assert fragment not in text, f"{name} leaked into the {place}"
    assert secret not in log  # nor the assistant's own credential
    reliability_report.add(
        "secrets",
        f"{len(planted)} planted secrets (variables, nested config, env, sources, outputs, "
        "an error); faces: %%ai, explain, chat, fix, panel ask, OpenAI errors",
        f"0 found in {len(prompts)} prompts, the DEBUG server log, {len(echoes)} error echoes",
        "kernel variables intact",
    )
    assert kernel.value("config['db']['host']") == "db.internal"


# Issue 16, item 2: the panel sends the document's cells as the user sees them (sources,
# outputs, the error and its traceback), never through the kernel's redaction. The bodies
# below have the exact shape labextension/src/model.ts and context.ts build.


@pytest.fixture(scope="module")
def panel_secrets() -> dict[str, str]:
    """An OpenAI-style key, an AWS key id and a DSN's all-letter password, fresh per run."""
    return {
        "openai_key": "sk-proj-" + _token(ALNUM, 48),
        "aws_key_id": "AKIA" + _token(UPPER, 16),
        "dsn_password": _token(string.ascii_lowercase, 12),
        "aws_secret": _token(ALNUM, 18) + "/" + _token(ALNUM, 11) + "+" + _token(ALNUM, 9),
    }


def _panel_context(found: dict[str, str]) -> dict:
    """`mergeContexts(cellsFromDocument(...), null)`: cells and their error from the document."""
    key, key_id, password = found["openai_key"], found["aws_key_id"], found["dsn_password"]
    failing = f"client = OpenAI(api_key={key!r})\nclient.models.list(timeout=-1)"
    traceback = (
        "---------------------------------------------------------------------------\n"
        "ValueError                                Traceback (most recent call last)\n"
        f"Cell In[3], line 2\n      1 client = OpenAI(api_key={key!r})\n"
        "----> 2 client.models.list(timeout=-1)\n\n"
        f"ValueError: timeout must be positive (key {key})"
    )
    return {
        "cells": [
            {"number": 1, "source": "import boto3\nsession = boto3.Session()",
             "output": "", "error": ""},
            {"number": 2, "source": "print(session.get_credentials().access_key)",
             "output": f"{key_id}\n", "error": ""},
            {"number": 3, "source": failing, "output": "",
             "error": f"ValueError: timeout must be positive (key {key})"},
            {"number": 4, "source": "engine = create_engine("
             f"'postgres://etl:{password}@warehouse.internal/dw')\nengine.url",
             "output": f"postgres://etl:{password}@warehouse.internal/dw", "error": ""},
        ],
        "variables": [],
        "last_error": {
            "source": failing,
            "exc_type": "ValueError",
            "message": f"timeout must be positive (key {key})",
            "traceback": traceback,
            "cell_number": 3,
            "suggestions": [],
        },
        "imports": [],
    }


def _leaks(found: dict[str, str], text: str) -> list[str]:
    return [
        name
        for name, value in found.items()
        for fragment in (value, value[: len(value) // 2 + 4], value[len(value) // 2 - 4 :])
        if fragment in text
    ]


def test_the_panels_own_bodies_reach_no_engine_with_a_secret(
    recording_server: JupyterServer,
    panel_secrets: dict[str, str],
    prompt_log,
    reliability_report,
) -> None:
    found = panel_secrets
    context = _panel_context(found)
    history = [
        {"role": "user", "content": f"my AWS secret is {found['aws_secret']}, is that ok?"},
        {"role": "assistant", "content": "Keep it out of notebooks."},
    ]
    bodies = [
        {"task": "chat", "prompt": "what do these cells do?", "context": context,
         "history": history, "session_id": "work/etl.ipynb", "request_id": "panel-aaaa1111"},
        {"task": "fix", "prompt": "", "context": context, "history": [],
         "session_id": "work/etl.ipynb", "request_id": "panel-bbbb2222",
         "target_source": context["cells"][2]["source"],
         "target_output": context["last_error"]["traceback"]},
        {"task": "explain", "prompt": f"why is {found['aws_key_id']} printed?",
         "context": context, "history": [], "session_id": "work/etl.ipynb",
         "request_id": "panel-cccc3333", "target_source": context["cells"][3]["source"],
         "target_output": context["cells"][3]["output"]},
    ]
    mark = prompt_log.mark()
    for body in bodies:  # as api.ts sends it: the Jupyter token (ServerConnection)
        response = recording_server.post("api/localai/ask", body, stream=True, timeout=60)
        assert response.status_code == 200, response.text
        assert list(sse_lines(response))[-1]["type"] == "done"

    # The same secrets through the OpenAI route, as any client (or a kernel) sends them.
    chat = {"model": "any", "messages": [
        {"role": "system", "content": "You help with notebooks."},
        {"role": "user", "content": json.dumps(context["cells"])},
        {"role": "user", "content": [{"type": "text", "text": f"key {found['openai_key']}"}]},
    ]}  # fmt: skip
    response = recording_server.post("api/localai/v1/chat/completions", chat, timeout=60)
    assert response.status_code == 200, response.text
    prompts = prompt_log.since(mark)
    assert len(prompts) == len(bodies) + 1

    # prefill: the panel's context after a cell ran (the engine runs since the asks above).
    prefills = prompt_log.folder / PREFILLS_FILE
    before = prefills.read_text().count("\n") if prefills.exists() else 0
    response = recording_server.post(
        "api/localai/prefill", {"context": context, "session_id": "work/etl.ipynb"}, timeout=30
    )
    assert response.status_code == 200 and response.json() == {"sent": True}, response.text
    prefilled = [
        "\n".join(m["content"] for m in json.loads(line)["messages"])
        for line in prefills.read_text().splitlines()[before:]
    ]
    assert len(prefilled) == 1

    everything = "\n".join([*prompts, *prefilled])
    # The context arrived, with the secrets cut out of it.
    for visible in ("boto3.Session()", "warehouse.internal", "timeout must be positive",
                    "client.models.list", "Keep it out of notebooks."):  # fmt: skip
        assert visible in everything, visible
    places = {"ask": "\n".join(prompts[:3]), "chat": prompts[3], "prefill": prefilled[0]}
    leaked = {place: sorted(set(_leaks(found, text))) for place, text in places.items()}
    assert leaked == {"ask": [], "chat": [], "prefill": []}, f"reached the engine: {leaked}"
    assert REDACTED in prefilled[0] and REDACTED in prompts[3]
    reliability_report.add(
        "secrets in the panel's cells (issue 16)",
        "an OpenAI-style key, an AWS key id and secret, a DSN's all-letter password in the "
        "document's cell sources, outputs, error, traceback, history and prompt, sent as the "
        "panel sends them to `ask` (chat, fix, explain), to `v1/chat/completions` and `prefill`",
        f"none found (nor half of one) in the {len(prompts)} prompts and "
        f"{len(prefilled)} prefill the engine received",
        "server serving throughout",
    )

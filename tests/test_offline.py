"""The test session is offline by construction: only loopback connections get through."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_non_loopback_connect_is_blocked() -> None:
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("203.0.113.7", 443), timeout=1)


def test_loopback_connect_is_allowed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass

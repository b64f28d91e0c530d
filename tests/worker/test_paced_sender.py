"""The paced sender: the first piece at once, later ones joined per interval, nothing lost."""

from jupyter_localai.worker.paced_sender import PacedSender


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_first_piece_goes_out_at_once_and_later_ones_are_joined_per_interval() -> None:
    sent: list[str] = []
    clock = Clock()
    sender = PacedSender(sent.append, 0.05, clock)
    sender.add("def")
    assert sent == ["def"]
    for piece in (" f", "(x", "):"):
        clock.now += 0.01
        sender.add(piece)
    assert sent == ["def"]
    clock.now += 0.03  # 0.06 s after the first send
    sender.add("\n")
    assert sent == ["def", " f(x):\n"]


def test_flush_sends_what_is_queued_and_empty_pieces_send_nothing() -> None:
    sent: list[str] = []
    clock = Clock()
    sender = PacedSender(sent.append, 0.05, clock)
    sender.add("")
    assert sent == []
    sender.add("a")
    sender.add("b")
    sender.flush()
    sender.flush()
    assert sent == ["a", "b"]
    assert "".join(sent) == "ab"


def test_zero_interval_sends_every_piece() -> None:
    sent: list[str] = []
    sender = PacedSender(sent.append, 0.0, Clock())
    for piece in ("x", "y", "z"):
        sender.add(piece)
    assert sent == ["x", "y", "z"]

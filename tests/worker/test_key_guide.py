"""Live-object-aware decoding (`worker/key_guide.py`) on made-up logits: where a frame's
key begins, which tokens stay on a column, and when the model's own token is kept."""

from __future__ import annotations

import numpy as np

from jupyter_localai.worker.key_guide import MARGIN, KeyGuide, key_site, on_track

KEYS = {"sales": ["unit_price", "qty_sold", "region"]}
# A toy vocabulary: token id -> text.
VOCAB = ['"', "'", "unit", "_price", '_price"', "qty", "_sold", '"]', "total", "amount",
         "region", "df", "[", '"]\n', "_quantity", "_", "price"]
IDS = {text: token for token, text in enumerate(VOCAB)}


def guide(line: str, keys: dict[str, list[str]] | None = None) -> KeyGuide:
    return KeyGuide(KEYS if keys is None else keys, line, IDS.get)


def logits(scores: dict[str, float] | None = None, **named: float) -> np.ndarray:
    """Logits 0 but for the tokens given by text (`scores`) or as keywords."""
    out = np.zeros(len(VOCAB), dtype=np.float32)
    for text, score in {**(scores or {}), **named}.items():
        out[IDS[text]] = score
    return out


def test_key_sites_of_live_frames_only():
    assert key_site('x = sales["', KEYS).rests == ['unit_price"', 'qty_sold"', 'region"']
    assert key_site('x = sales["q', KEYS).rests == ['ty_sold"']
    assert key_site("sales.groupby(", KEYS).quoted is False
    assert key_site("sales[['region', ", KEYS) is not None
    assert key_site('sales.groupby("region")["', KEYS) is not None
    for text in ('other["', "sales[mask", 'sales["region"', 'sales["zzz', "sales.head("):
        assert key_site(text, KEYS) is None, text


def test_a_read_is_held_to_the_columns_a_possible_new_column_is_not():
    assert key_site('x = sales["', KEYS).margin == float("inf")
    assert key_site('sales["', KEYS).margin == MARGIN  # df["new"] = ... may follow
    assert key_site('sales.mean()["', KEYS).margin == MARGIN  # a chain's columns may differ


def test_on_track_accepts_a_token_that_ends_the_key_and_goes_on():
    assert on_track("unit", ['unit_price"']) and on_track('"]', ['"'])
    assert not on_track("amount", ['unit_price"']) and not on_track("", ['"'])


def test_an_invented_column_is_replaced_by_the_best_real_one():
    g = guide('total = sales["')
    choice = g.choose("", logits(amount=9.0, qty=5.0, unit=4.0), VOCAB.__getitem__)
    assert VOCAB[choice] == "qty" and g.steered == 1


def test_the_models_own_token_is_kept_when_it_stays_on_a_column():
    g = guide('total = sales["')
    assert VOCAB[g.choose("", logits(unit=9.0, qty=8.0), VOCAB.__getitem__)] == "unit"
    assert VOCAB[g.choose("unit_price", logits({'"': 1.0}), VOCAB.__getitem__)] == '"'
    assert VOCAB[g.choose("unit_price", logits({'"]': 3.0}), VOCAB.__getitem__)] == '"]'
    assert g.steered == 0


def test_a_committed_prefix_is_finished_as_a_real_column():
    g = guide('x = sales["')
    choice = g.choose("unit_", logits(_quantity=12.0, price=2.0), VOCAB.__getitem__)
    assert VOCAB[choice] == "price"


def test_a_new_column_at_a_statements_start_is_left_alone_when_the_model_insists():
    g = guide('sales["')
    assert VOCAB[g.choose("", logits(total=MARGIN + 5.0, unit=1.0), VOCAB.__getitem__)] == "total"
    assert VOCAB[g.choose("", logits(total=3.0, unit=1.0), VOCAB.__getitem__)] == "unit"


def test_no_quote_yet_nothing_is_forced():
    g = guide("x = sales[")
    assert VOCAB[g.choose("", logits(df=9.0), VOCAB.__getitem__)] == "df"
    assert g.steered == 0


def test_outside_key_sites_the_guide_stays_out():
    g = guide("x = other[")
    assert g.choose('"', logits(amount=9.0), VOCAB.__getitem__) is None
    assert guide("x = ", {}).choose("", logits(), VOCAB.__getitem__) is None


def test_column_keywords_of_a_frames_method_and_the_column_part_of_loc_are_key_sites():
    for text in ('sales.plot(x="', 'sales.plot(kind="bar", y=["qty_sold", "',
                 'sales.drop(columns=["', 'sales.boxplot(column="',
                 'sales.loc[sales["region"] == "x", "', 'sales.loc[:, ["region", "'):
        site = key_site(text, KEYS)
        assert site is not None and site.quoted and site.margin == float("inf"), text
    assert key_site('sales.drop(columns=["q', KEYS).rests == ['ty_sold"']
    assert key_site("sales.merge(other, on=", KEYS).quoted is False
    # After a chain the columns may differ; a row label, another frame, a name: no site.
    assert key_site('sales.groupby("region").sum().plot(y="', KEYS).margin == MARGIN
    for text in ('sales.loc["', 'pd.merge(a, b, on="', 'other.plot(x="', "sales.plot(x=size",
                 'sales.plot(xx="', 'sales.plot(x="a").set_title("'):
        assert key_site(text, KEYS) is None, text


def test_an_invented_column_in_a_keyword_argument_is_replaced():
    g = guide('sales.plot(x="')
    assert VOCAB[g.choose("", logits(amount=9.0, region=4.0), VOCAB.__getitem__)] == "region"

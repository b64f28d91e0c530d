"""Whether a word of a request names a field of the data: "keyed by customer" names a
column `customer_name`, "spread the regions into columns" names a key `region`.

People name a field by its singular or plural, and often drop a `_name` or `_id` suffix
the data carries; both the key checks (`key_intent`) and the wide-table checks
(`wide_table_intent`) match request words to fields by this one rule.
"""

from __future__ import annotations

_ENDINGS = ("", "s", "es", "_name", "_id", "name")


def word_names_field(word: str, field: str) -> bool:
    """Whether the (lower-case) request `word` names the data's `field`."""
    word, field = word.lower(), field.lower()
    return any(word == field + end or field == word + end for end in _ENDINGS)

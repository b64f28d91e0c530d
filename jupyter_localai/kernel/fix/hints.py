"""Computed hints for common Python, pandas and numpy errors, for the fix prompt.

A 0.5B-1.5B model asked to fix `s.lower()` on a Series, `float('1,204')` or a `strptime`
format mismatch rarely knows the `.str` accessor, the `thousands=` option or which format
the data is really in. suggest.py adds Python's "Did you mean" hints for typos; these cover
wrong-type and wrong-format mistakes. Each hint is computed from the live exception, the
cell's source and the namespace, so it states a fact about this failure (the format the value
parses with, the type that has the method) instead of a list of generic advice. Where the
rewrite is unambiguous the hint is a `Hint` carrying it as an exact edit (see hint.py).

No user-defined code runs (see failure.py); each module of rules/ holds one family of
mistakes, and each rule declares the exceptions it handles (`@rule(KeyError)`): it is called
for those only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .failure import Failure
from .hint import Hint, hint_edits
from .rules import Rule
from .rules.aggregation_rules import agg_renamer_rule
from .rules.apply_rules import apply_axis_rule
from .rules.argument_count_rules import stack_generator_rule, values_list_rule
from .rules.argument_value_rules import (
    dict_of_rows_rule,
    empty_extreme_rule,
    lone_percent_rule,
    quantile_percent_rule,
)
from .rules.array_rules import (
    broadcast_rule,
    flat_position_rule,
    int_in_place_rule,
    new_row_rule,
    position_block_rule,
    reshape_rule,
    structured_array_rule,
)
from .rules.attribute_rules import attribute_rule
from .rules.axes_rules import (
    axes_grid_rule,
    drawing_as_axes_rule,
    drawing_label_rule,
    labels_without_ticks_rule,
    plot_length_rule,
    tick_labels_rule,
)
from .rules.bin_rules import bin_labels_rule
from .rules.bytes_rules import bytes_as_text_rule
from .rules.call_form_rules import (
    bar_heights_rule,
    path_plus_text_rule,
    rename_list_rule,
    series_to_scalar_function_rule,
    shape_arguments_rule,
    where_otherwise_rule,
)
from .rules.column_rules import column_name_rule
from .rules.combine_rules import (
    merge_dtype_rule,
    merge_key_rule,
    merge_suffix_rule,
    sequence_rule,
)
from .rules.date_kind_rules import assemble_without_day_rule, datetime_date_rule
from .rules.date_rules import calendar_timedelta_rule, date_rule, time_index_rule
from .rules.format_rules import format_code_on_text_rule, format_mapping_rule
from .rules.frame_rules import (
    fillna_method_rule,
    frame_reduction_rule,
    int_dates_rule,
    tz_compare_rule,
    tz_method_rule,
)
from .rules.header_rules import header_line_rule
from .rules.holder_rules import int_column_write_rule, json_numbers_rule
from .rules.indexer_rules import loc_columns_rule, query_spaces_rule
from .rules.label_rules import drop_rule, iloc_label_rule
from .rules.message_rules import replacement_rule
from .rules.missing_value_rules import none_in_numbers_rule
from .rules.month_rules import month_step_rule
from .rules.pandas_rules import (
    ambiguous_rule,
    axis_rule,
    column_tuple_rule,
    index_rule,
    key_rule,
    lost_label_rule,
    pivot_rule,
    precedence_rule,
    row_of_parts_rule,
    series_format_rule,
    str_accessor_rule,
    weights_rows_rule,
)
from .rules.python_rules import (
    dict_pairs_rule,
    float_index_rule,
    join_rule,
    key_type_rule,
    len_loop_rule,
    missing_entry_rule,
    mutation_rule,
    record_order_rule,
    sequence_times_rule,
    str_assign_rule,
    str_index_rule,
)
from .rules.range_rules import range_end_rule
from .rules.regex_rules import match_anchor_rule, no_match_rule
from .rules.row_value_rules import value_as_column_rule
from .rules.scope_rules import unbound_local_rule
from .rules.setter_rules import setter_rule
from .rules.source_rules import reread_rule
from .rules.split_rules import missing_separator_rule, split_columns_rule
from .rules.tuple_rules import namedtuple_field_rule, tuple_item_rule
from .rules.type_rules import callable_rule, none_rule, unhashable_rule
from .rules.value_rules import (
    amounts_reduction_rule,
    nan_int_rule,
    number_rule,
    number_strings_rule,
    string_arithmetic_rule,
    zero_rule,
)
from .rules.variable_key_rules import variable_as_column_rule

__all__ = ["MAX_HINTS", "MAX_HINT_CHARS", "Hint", "error_hints", "hint_edits"]

logger = logging.getLogger(__name__)

MAX_HINTS = 3
MAX_HINT_CHARS = 300

_RULES: list[Rule] = [
    attribute_rule, axes_grid_rule, key_rule, column_name_rule, replacement_rule, number_rule, header_line_rule, date_rule, pivot_rule, zero_rule, axis_rule,
    number_strings_rule, string_arithmetic_rule, none_rule, callable_rule, series_to_scalar_function_rule, ambiguous_rule, precedence_rule, unhashable_rule,
    nan_int_rule, range_end_rule, index_rule, iloc_label_rule, drop_rule, merge_key_rule, merge_dtype_rule, sequence_rule,
    mutation_rule, join_rule, setter_rule, broadcast_rule, reshape_rule, tz_compare_rule, tz_method_rule,
    int_dates_rule, time_index_rule, frame_reduction_rule, len_loop_rule, str_index_rule, str_assign_rule,
    sequence_times_rule, fillna_method_rule, missing_entry_rule, key_type_rule, lost_label_rule,
    reread_rule, structured_array_rule, flat_position_rule, int_in_place_rule, unbound_local_rule, variable_as_column_rule,
    position_block_rule, empty_extreme_rule, lone_percent_rule, quantile_percent_rule, dict_of_rows_rule, bytes_as_text_rule,
    assemble_without_day_rule, datetime_date_rule, loc_columns_rule, query_spaces_rule, str_accessor_rule, row_of_parts_rule, tick_labels_rule,
    dict_pairs_rule, float_index_rule, record_order_rule, merge_suffix_rule,
    series_format_rule, column_tuple_rule, calendar_timedelta_rule, plot_length_rule,
    drawing_label_rule, json_numbers_rule, int_column_write_rule, amounts_reduction_rule,
    weights_rows_rule, match_anchor_rule, drawing_as_axes_rule, shape_arguments_rule, where_otherwise_rule,
    rename_list_rule, path_plus_text_rule, bar_heights_rule,
    format_code_on_text_rule, format_mapping_rule, month_step_rule, tuple_item_rule,
    none_in_numbers_rule, namedtuple_field_rule, values_list_rule, split_columns_rule,
    labels_without_ticks_rule, no_match_rule, bin_labels_rule, missing_separator_rule,
    stack_generator_rule, agg_renamer_rule, apply_axis_rule, new_row_rule, value_as_column_rule,
]  # fmt: skip


def error_hints(exc: BaseException, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    """At most MAX_HINTS short hints for `exc` raised by the cell `source`; [] if none apply.

    Hints that know their rewrite are `Hint`s: `hint_edits(hints)` gives the edits.
    """
    failure = Failure(exc, source, user_ns)
    hints: list[str] = []
    for rule in _RULES:
        if not rule.applies_to(exc):
            continue
        try:
            found = rule.check(failure)
        except Exception:  # any failure: a hint is optional, so that rule gives none
            logger.debug("error hint rule %s failed", rule.name, exc_info=True)
            continue
        for hint in found:
            hint = hint if len(hint) <= MAX_HINT_CHARS else _shortened(hint)
            if hint not in hints:
                hints.append(hint)
        if len(hints) >= MAX_HINTS:
            break
    return hints[:MAX_HINTS]


def _shortened(hint: str) -> str:
    """The text cut to MAX_HINT_CHARS; the edit, if any, whole (a cut edit would not apply)."""
    text = hint[: MAX_HINT_CHARS - 3] + "..."
    return Hint(text, edit=hint.edit) if isinstance(hint, Hint) else text

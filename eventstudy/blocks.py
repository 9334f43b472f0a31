"""Consecutive blocks of rows of a bounded number of values.

A computation over a (rows x columns) array whose rows are independent (a pair's fit, a pair's
standardised residuals, a value's quadratic form) runs a block of rows at a time, so its work
arrays stay the size of one block (and in the CPU caches) instead of the whole array's.
"""

from __future__ import annotations


def row_blocks(n_rows: int, row_values: int, block_values: int) -> list[slice]:
    """Consecutive slices covering ``range(n_rows)``, each of ``block_values // row_values`` rows
    (at least one; the last may be shorter); one empty slice when there are no rows.

    Parameters
    ----------
    n_rows
        Rows to cover.
    row_values
        Values in one row (a row of no values counts as one).
    block_values
        Values a block should hold at most (a single row may hold more).
    """
    step = max(1, block_values // max(row_values, 1))
    return [slice(start, min(start + step, n_rows)) for start in range(0, max(n_rows, 1), step)]

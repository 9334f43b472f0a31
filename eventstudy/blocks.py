"""Consecutive blocks of rows of a bounded number of values, small matrix products by blocks of
columns, and a window's columns as a slice.

A computation over a (rows x columns) array whose rows are independent (a pair's fit, a pair's
standardised residuals, a value's quadratic form) runs a block of rows at a time, so its work
arrays stay the size of one block (and in the CPU caches) instead of the whole array's. A product
of two wide, short arrays (:func:`single_thread_product`) runs a block of columns at a time.
"""

from __future__ import annotations

import numpy as np


def mask_as_slice(mask: np.ndarray) -> slice | np.ndarray:
    """The columns a (L,) boolean ``mask`` selects, as a slice when they are consecutive (a tau
    range's: indexing by it gives a view, not a copy), else ``mask`` itself.

    Both select the same columns in the same order, so a result computed through either is the
    same bit for bit; only the copy differs.
    """
    columns = np.flatnonzero(mask)
    if columns.size and columns[-1] - columns[0] + 1 == columns.size:
        return slice(int(columns[0]), int(columns[-1]) + 1)
    return mask


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


SINGLE_THREAD_MNK = 1 << 17
"""Largest m·n·k of one matrix product in :func:`single_thread_product`. OpenBLAS runs products
above about 2**18 multiply-adds on several threads; for these small ones that costs more than it
gains, and on a machine whose cores are busy the threads wait for each other (a 32 x 547 x 32
product took 7.6x as long as on one thread)."""


def single_thread_product(left: np.ndarray, right: np.ndarray, out: np.ndarray) -> None:
    """``out = left @ right.T`` for (m, d) and (n, d) arrays with few rows, summed over blocks of
    the d columns small enough for OpenBLAS to use one thread (:data:`SINGLE_THREAD_MNK`). Each
    block's operands stay in the CPU cache, so the cost is linear in d however wide the arrays."""
    step = max(1, SINGLE_THREAD_MNK // max(left.shape[0] * right.shape[0], 1))
    np.matmul(left[:, :step], right[:, :step].T, out=out)
    for begin in range(step, left.shape[1], step):
        out += left[:, begin : begin + step] @ right[:, begin : begin + step].T

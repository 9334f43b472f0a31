"""Plain Python values for numpy scalars and lists given to a configuration in Python.

A configuration built in Python (:class:`~eventstudy.config.StudyConfig`,
:class:`~eventstudy.backtest.rules.BacktestConfig`, :class:`~eventstudy.config.ShareCaveat`)
may be given values taken from a DataFrame, such as ``np.int64(5)``, ``np.float32(0.5)`` or
``np.str_("SPY")``, or lists where it documents tuples. The dataclasses store them as the plain
Python values they equal. Then the configuration can be hashed, equals the configuration read
back from ``manifest.json``, and is written there as JSON numbers and text. ``json.dumps(...,
default=str)`` had written ``np.int64(0)`` as ``"0"``, which nothing could load again.

Nothing here changes a value's meaning. A float stays a float, so a field of whole numbers
refuses ``5.0`` as the TOML loader does. A bool is not a number. Any other value is returned
unchanged, for the field's check to refuse.

Module-level imports are the standard library only. numpy is imported only when a value is a
numpy object, and then numpy is already loaded.
"""

from __future__ import annotations

import numbers
import operator

_PLAIN: tuple[type, ...] = (bool, int, float, str, type(None))


def plain(value: object, depth: int = 0) -> object:
    """``value`` as plain Python, when that keeps its meaning; otherwise ``value`` unchanged.

    A numpy bool, integer, floating or text scalar becomes ``bool``, ``int``, ``float`` or ``str``
    (``np.int64(5)`` -> ``5``). A subclass of ``str``, ``int`` or ``float`` becomes the base type.
    A list or tuple becomes a tuple of plain values, down to ``depth`` levels of nesting:
    ``plain([[0, 0]], 2) == ((0, 0),)``. A list deeper than ``depth`` is returned unchanged, and
    so is any other object.
    """
    if isinstance(value, list | tuple):
        return tuple(plain(item, depth - 1) for item in value) if depth > 0 else value
    if type(value) in _PLAIN:
        return value
    if isinstance(value, str):
        return str.__str__(value)  # np.str_, a str subclass: the plain text
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return operator.index(value)  # np.int64, np.uint8, an int subclass
    if isinstance(value, float):
        return float(value)  # np.float64, a float subclass
    if type(value).__module__ == "numpy":
        import numpy as np  # loaded already: value is a numpy object

        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.floating):
            return float(value)  # np.float32, np.float16, np.longdouble
    return value


def plain_real(value: object) -> object:
    """:func:`plain` of a field that holds a real number, as a ``float`` (``3`` -> ``3.0``).

    A bool is returned unchanged, and so is a number too large for a float (``10**400``), or any
    object that is not a real number. The field's check then refuses it.
    """
    value = plain(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            return float(value)
        except (OverflowError, ValueError):
            return value
    return value

"""Other libraries' loggers silenced for a block and restored after (eventstudy.logs)."""

from __future__ import annotations

import logging

import pytest

from eventstudy.logs import quieted


def test_quieted_silences_the_loggers_and_their_children_and_restores_them_after_an_error(caplog) -> None:
    parent, own = logging.getLogger("lib_under_test"), logging.getLogger("lib_under_test.own")
    parent.setLevel(logging.INFO)
    own.setLevel(logging.WARNING)
    own.disabled = False
    def fail_in_the_block() -> None:
        with quieted([parent, own]):
            logging.getLogger("lib_under_test.new").error("a child made during the block")
            own.critical("the library's own handler")
            assert (parent.level, own.level) == (logging.CRITICAL + 1, logging.CRITICAL + 1)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_in_the_block()
    assert caplog.records == []
    assert (parent.level, parent.disabled) == (logging.INFO, False)
    assert (own.level, own.disabled) == (logging.WARNING, False)
    own.warning("heard again")
    assert [record.getMessage() for record in caplog.records] == ["heard again"]

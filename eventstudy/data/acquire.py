"""Bring prices, share counts and earnings dates into the cache from the online source, robustly.

The fetchers are injectable (``fetch_prices(symbol, start, end) -> frame``) so tests never
touch the network. Every request goes through :func:`call_with_retries`, which sorts each
failure into one of four kinds (by exception class names, anywhere in the class hierarchy or
the ``__cause__``/``__context__`` chain, so that neither requests, curl_cffi nor yfinance must
be imported):

* **No network** (:func:`is_unreachable`): the host name does not resolve or no connection can
  be made -- curl_cffi's ``DNSError`` (curl error 6) or a curl error 5 or 7, urllib3's
  ``NameResolutionError``/``NewConnectionError``, ``socket.gaierror``,
  ``ConnectionRefusedError``, ``ENETUNREACH``/``EHOSTUNREACH``. Not retried: a
  :class:`NetworkUnreachableError` at once, one line saying the network is unreachable and
  pointing to ``--offline`` and ``eventstudy cache import``. :func:`fetch_symbols` stops at
  the first one (every other symbol would fail the same way).
* **Certificate** (:func:`is_certificate_failure`): the source's TLS certificate could not be
  verified (:data:`CERTIFICATE_CURL_CODES`, ``ssl.SSLCertVerificationError``): a proxy that intercepts TLS,
  missing CA certificates or a wrong clock. Not retried (curl_cffi's error is a
  ``ConnectionError``): a :class:`NetworkUnreachableError` at once saying so.
* **Not found** (:func:`is_not_found`): yfinance's ``YFTickerMissingError`` family
  (``YFTzMissingError`` "possibly delisted; no timezone found", ``YFPricesMissingError``
  with Yahoo's "No data found, symbol may be delisted"), an HTTP 404, or an empty answer. Not
  retried: a :class:`SymbolNotFoundError` saying the symbol was not found (or, for an answer
  without rows, that the source returned no rows for these dates), with Yahoo's reason.
* **Transient** (:func:`is_transient`): timeouts, connection resets, rate limiting
  (``YFRateLimitError``, HTTP 429), the source down (a 502/503/504, or as the real yfinance
  reports one: :func:`is_outage`). Retried with exponential backoff: ``RetryPolicy()`` makes 4
  attempts, sleeping 2, 4 and 8 s between them (``sleep`` is injectable). After the last
  attempt a :class:`~eventstudy.errors.DataUnavailableError` says how many attempts were made
  and what the last failure was.
* **Anything else** (a frame without the needed columns, duplicate dates): not retried.

yfinance is called with its exceptions raised rather than logged, and with its logger and
Python warnings silenced (:mod:`eventstudy.data.yahoo`), so nothing of yfinance's reaches
the terminal on any path (``run``, ``backtest``, ``fetch``).

Further guarantees:

* **The cache keeps what it had**: nothing is written unless a complete, checked history came
  back, and the write itself is atomic (:mod:`eventstudy.data.store`).
* **Partial histories are kept and recorded**, not retried: a history that starts more than
  :data:`PARTIAL_SLACK_DAYS` calendar days after the requested start, or ends that long before
  the requested end (or today), is written with ``received`` (its actual first..last date)
  and a ``partial_history`` note in the file's provenance. An IPO or a delisting looks exactly
  like this, so it is not an error; ``eventstudy validate`` reports it against the market's
  calendar.
* **Upstream restatements are never mixed with old rows.** Re-fetching a cached symbol
  (``refresh=True``, ``eventstudy fetch --refresh``) compares the prices and the volume on
  the dates both histories hold. If any differs by more than :data:`RESTATEMENT_TOLERANCE`
  relative (a new split or dividend restates ``adj_close`` of every earlier day), the file is
  replaced by the new history alone and a record is appended to the provenance's
  ``restatements`` list: the dates changed, the largest relative change, the rows dropped and
  the content hashes of the old and new values. The manifest of a study carries each price
  file's provenance, so restatements reach ``manifest.json``. If nothing changed, new dates
  are appended to the cached rows (the file is not rewritten when there are none); cached days
  inside the new history's span that it no longer has are kept and recorded (``vanished``). A
  restatement that multiplies every restated close by one split factor (0.5 for a 2-for-1
  split) is recorded as a split (:func:`~eventstudy.data.restatements.compare_histories`), and
  the study withholds the market values of the share counts dated before it.

Each read-modify-write of a symbol holds that symbol's cache lock, so concurrent fetches of
one symbol run one after the other (the second finds the first's file: ``cached``). The first
file of a new symbol is checked again and written under the cache's identifier lock as well
(:meth:`PriceStore.catalog_lock`: only tried while the file's lock is held, and waited for
with the file's lock let go, as an import takes the files' locks under it): an import or fetch
of a case twin (``nvda`` beside ``NVDA``) or of the symbol's returns that ran during the
download is seen, and nothing is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from eventstudy.config import FIRST_DATE, LAST_DATE
from eventstudy.data import yahoo
from eventstudy.data.restatements import REFETCH_COLUMNS, compare_histories, largest_change_text
from eventstudy.data.restatements import RESTATEMENT_TOLERANCE as RESTATEMENT_TOLERANCE
from eventstudy.data.shares import CONFLICTING_COUNTS, share_count_jump
from eventstudy.data.store import (
    LOCK_TIMEOUT,
    PRICE_COLUMNS,
    SERIES_KINDS,
    SHARES_COLUMNS,
    CacheBusyError,
    CacheCorruptError,
    PriceStore,
    cached,
    not_numbers,
)
from eventstudy.errors import DataUnavailableError, ImplausibleDataError, InputError
from eventstudy.text import listing

PriceFetcher = Callable[[str, dt.date, dt.date], pd.DataFrame]
SharesFetcher = Callable[[str, dt.date, dt.date], pd.DataFrame]
T = TypeVar("T")

PARTIAL_SLACK_DAYS = 7
"""Calendar days a history may start after (or end before) the requested range without being
called partial: weekends plus the longest run of US market holidays."""
IMPORT_KEYS = ("source", "source_file", "source_sha256", "imported_at")
"""The provenance of rows imported from a file (:mod:`eventstudy.data.importer`), kept as
``earlier_rows`` when Yahoo's rows extend them, or in the restatement record when Yahoo's replace
them."""

LOG = logging.getLogger("eventstudy")
"""Where a fetch that fails without stopping the study says so (a share count or an earnings
calendar: the study goes on without it). ``eventstudy`` prints its warnings as
``eventstudy: warning: ...`` lines; in a notebook Python's logging shows them."""

TRANSIENT_ERRORS: frozenset[str] = frozenset(
    {
        "TimeoutError",
        "Timeout",
        "ReadTimeout",
        "ConnectTimeout",
        "ConnectionError",
        "ConnectionResetError",
        "RemoteDisconnected",
        "IncompleteRead",
        "ChunkedEncodingError",
        "YFRateLimitError",
        "TooManyRequests",
    }
)
"""Exception class names (anywhere in the class hierarchy or the ``__cause__`` chain) that are
retried. Matched by name so that neither requests, curl_cffi nor yfinance must be imported."""
TRANSIENT_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})
"""HTTP statuses retried: too many requests, and a gateway's or the service's "try again later"
(RFC 9110 15.6.3-15.6.5). A 500 is the server's own error for this request, not retried."""
UNREACHABLE_ERRORS: frozenset[str] = frozenset(
    {"DNSError", "gaierror", "NameResolutionError", "NewConnectionError", "ConnectionRefusedError"}
)
"""Exception class names that mean the network (or the host) cannot be reached at all."""
UNREACHABLE_CURL_CODES: frozenset[int] = frozenset({5, 6, 7})
"""curl error codes of the same: cannot resolve proxy (5), cannot resolve host (6), cannot
connect (7); curl_cffi raises them as ``DNSError``/``ProxyError``/``ConnectionError``."""
UNREACHABLE_ERRNOS: frozenset[int] = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED})
IMPORT_OFFLINE = "import prices with: eventstudy cache import PATH, and work offline (run --offline)"
"""What to do when the source cannot be reached at all."""
CERTIFICATE_ERRORS: frozenset[str] = frozenset({"CertificateVerifyError", "SSLCertVerificationError"})
"""Exception class names of a TLS certificate that could not be verified: curl_cffi's (an
``SSLError``, itself a ``ConnectionError``) and Python's ``ssl`` module's (under requests' and
urllib3's ``SSLError``). A proxy that intercepts TLS, missing CA certificates or a wrong clock
do not heal within a retry's backoff, and fail every request to the source."""
CERTIFICATE_CURL_CODES: frozenset[int] = frozenset({60, 77, 83, 90, 91})
"""curl's error codes of the same: the peer's certificate failed verification (60), the CA
certificates cannot be read (77), the issuer check failed (83), the pinned public key does not
match (90), the certificate's status is invalid (91)."""
_CURL_ERRORS = frozenset({"CurlError"})
EMPTY_ANSWERS: frozenset[str] = frozenset({"YFPricesMissingError", "EmptyHistoryError", "EmptyAnswerError"})
"""Of :data:`NOT_FOUND_ERRORS`, the answers without rows: Yahoo says so of a known symbol asked for
a range without a finished session (a holiday, today) as of an unknown one."""

NOT_FOUND_ERRORS: frozenset[str] = frozenset(
    {
        "YFTickerMissingError",
        "YFTzMissingError",
        "YFPricesMissingError",
        "EmptyHistoryError",
        "EmptyAnswerError",
    }
)
"""Exception class names that mean the source has no such symbol (or no data for it)."""


class EmptyHistoryError(DataUnavailableError):
    """The source answered with no rows (not retried: yfinance raises on rate limits)."""


class SymbolNotFoundError(DataUnavailableError):
    """The source does not know the symbol (or has no data for it in the range)."""


class NetworkUnreachableError(DataUnavailableError):
    """No connection to the source could be made: no network, or the host does not resolve."""


class RateLimitedError(DataUnavailableError):
    """The source refused the requests as too many through every retry."""


RATE_LIMITS: frozenset[str] = frozenset({"YFRateLimitError", "TooManyRequests"})
"""Exception class names of a rate limit (as is an HTTP 429)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff.

    ``attempts`` requests at most; the wait before attempt ``k + 1`` (``k >= 1``) is
    ``min(base_delay * factor ** (k - 1), max_delay)`` seconds: 2, 4, 8 by default.
    """

    attempts: int = 4
    base_delay: float = 2.0
    factor: float = 2.0
    max_delay: float = 30.0

    def delays(self) -> list[float]:
        """The waits between consecutive attempts."""
        return [min(self.base_delay * self.factor**k, self.max_delay) for k in range(self.attempts - 1)]


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one symbol.

    Attributes
    ----------
    symbol
        The symbol.
    status
        ``cached`` (already in the cache, not fetched), ``fetched`` (new file), ``unchanged``
        (re-fetched, identical), ``extended`` (re-fetched, new dates appended) or ``restated``
        (re-fetched, history changed upstream: file replaced, restatement recorded).
    rows
        Rows in the cache file afterwards.
    attempts
        Requests made (0 when cached).
    received
        First and last date the source returned, ``YYYY-MM-DD`` (empty when cached).
    partial
        The ``partial_history`` note, empty when the history covers the request.
    restatement
        The restatement record appended to the provenance, if any.
    vanished
        The record of cached days the re-fetched history no longer has, kept in the file and
        appended to the provenance's ``vanished`` list, if any.
    replaced_damaged
        What was wrong with the damaged cache file the fetch replaced (``kind: reason``), if any.
    unfetched
        Of a cached symbol not fetched: its cached span and the span asked, ``YYYY-MM-DD`` each,
        when the asked span reaches more than :data:`PARTIAL_SLACK_DAYS` days outside it, or
        outside the span a fetch of it asked for (empty otherwise).
    """

    symbol: str
    status: str
    rows: int
    attempts: int = 0
    received: tuple[str, ...] = ()
    partial: str = ""
    restatement: dict[str, Any] | None = None
    vanished: dict[str, Any] | None = None
    replaced_damaged: str = ""
    unfetched: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"{self.symbol}: {self.status}, {self.rows} rows"
        if self.unfetched:  # --start 2015-01-01 on a series cached from 2023 was accepted unsaid
            first, last, start, end = self.unfetched
            text += (
                f" ({first}..{last}; not fetched: {start}..{end} asked reaches outside it, which "
                f"eventstudy fetch --refresh {self.symbol} fetches)"
            )
        if self.received:
            text += f" (source {self.received[0]}..{self.received[1]}, {self.attempts} request(s))"
        if self.partial:
            text += f"; partial history: {self.partial}"
        if self.replaced_damaged:  # a first fetch's line said nothing of the file it replaced
            text += f"; replaced a damaged cache file ({self.replaced_damaged})"
        if self.restatement:
            r = self.restatement
            source = r.get("replaced_rows_from", {}).get("source_file")
            what = "upstream restated"
            if source:
                what = f"Yahoo's prices differ from the cached ones (with rows imported from {source}) on"
            text += (
                f"; {what} {r['n_dates']} day(s) {r['dates'][0]}..{r['dates'][1]} "
                f"({largest_change_text(r)}): file replaced"
            )
            if r.get("dropped_rows"):
                days = "..".join(r.get("dropped_dates", []))
                text += f", without {r['dropped_rows']} cached day(s) {days} the source no longer has"
            if r.get("split"):
                text += f"; every restated close x{r['close_factor']:g}: a {r['split']} split?"
        if self.vanished:
            first, last = self.vanished["dates"]
            text += (
                f"; {self.vanished['n_dates']} cached day(s) {first}..{last} the source no longer has: "
                "kept, recorded in the file's provenance (vanished)"
            )
        return text


@dataclass
class FetchReport:
    """Outcomes of :func:`fetch_symbols`: one per symbol fetched, and the failures."""

    outcomes: list[FetchOutcome] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception in its ``__cause__``/``__context__`` chain, once each."""
    seen: set[int] = set()
    chain = []
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _named(exc: BaseException, names: frozenset[str]) -> bool:
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means the network is unreachable.

    True for a class name in :data:`UNREACHABLE_ERRORS`, a curl error code (attribute ``code``)
    in :data:`UNREACHABLE_CURL_CODES`, or an ``OSError`` whose errno is in
    :data:`UNREACHABLE_ERRNOS`.
    """
    for current in _chain(exc):
        if _named(current, UNREACHABLE_ERRORS):
            return True
        code = getattr(current, "code", None)
        if _named(current, _CURL_ERRORS) and isinstance(code, int) and code in UNREACHABLE_CURL_CODES:
            return True
        if isinstance(current, OSError) and current.errno in UNREACHABLE_ERRNOS:
            return True
    return False


def is_certificate_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a TLS certificate that could not
    be verified: a class name in :data:`CERTIFICATE_ERRORS` or a curl error code in
    :data:`CERTIFICATE_CURL_CODES`."""
    for current in _chain(exc):
        code = getattr(current, "code", None)
        if _named(current, CERTIFICATE_ERRORS) or (
            _named(current, _CURL_ERRORS) and isinstance(code, int) and code in CERTIFICATE_CURL_CODES
        ):
            return True
    return False


NO_DATA_REASONS: tuple[str, ...] = ("No data found", "Data doesn't exist")
"""How Yahoo's own reasons for an answer without rows begin (``"No data found, symbol may be
delisted"``, ``"Data doesn't exist for startDate = ..., endDate = ..."``); yfinance raises any
reason Yahoo gives as ``YFPricesMissingError(yahoo_reason=...)``, an outage's too."""
REFUSED_REASONS: tuple[str, ...] = ("Invalid input",)
"""How Yahoo's reason begins when it refuses the request itself (a 400 or 422): not retried."""
_SERVER_STATUS = re.compile(r"status_code = 5\d\d")
_PRICES_MISSING = frozenset({"YFPricesMissingError"})


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is the source being down as the real
    yfinance reports it: it never raises a 502/503 as an HTTP error (its requests raise only on
    429, and ``history`` checks no status) but parses the body, so an outage comes as a
    ``YFPricesMissingError`` with a reason other than Yahoo's no-data ones
    (:data:`NO_DATA_REASONS`: "Service Unavailable") or a ``Yahoo status_code = 5xx`` in its
    request text, a ``JSONDecodeError`` (an error page in HTML), or yfinance's
    ``YFDataException`` "YAHOO! FINANCE IS CURRENTLY DOWN!" (its "Will be right back" page), or,
    for share counts, ``KeyError('timeseries')`` (``get_shares_full`` reads the answer's
    ``timeseries`` without looking for Yahoo's ``finance.error`` other than "Bad Request").
    An outage before yfinance knows the symbol's time zone comes as ``YFTzMissingError``, which
    it also raises for an unknown symbol: that one cannot be told apart (not found).
    """
    for current in _chain(exc):
        if _named(current, frozenset({"JSONDecodeError"})):
            return True
        if _named(current, frozenset({"YFDataException"})) and "CURRENTLY DOWN" in str(current):
            return True
        if isinstance(current, KeyError) and current.args == ("timeseries",):
            return True
        request = str(getattr(current, "debug_info", ""))
        if _named(current, _PRICES_MISSING) and _SERVER_STATUS.search(request):
            return True
    return any(not reason.startswith((*NO_DATA_REASONS, *REFUSED_REASONS)) for reason in _yahoo_reasons(exc))


def _yahoo_reasons(exc: BaseException) -> list[str]:
    """The reasons Yahoo gave, in the ``yahoo_reason`` of the ``YFPricesMissingError`` of the
    chain of ``exc``."""
    missing = (current for current in _chain(exc) if _named(current, _PRICES_MISSING))
    reasons = (getattr(current, "yahoo_reason", None) for current in missing)
    return [str(reason) for reason in reasons if reason is not None]


def _refused(exc: BaseException) -> bool:
    """Whether Yahoo refused the request itself (:data:`REFUSED_REASONS`)."""
    return any(reason.startswith(REFUSED_REASONS) for reason in _yahoo_reasons(exc))


def is_not_found(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) says the symbol is not found.

    True for a class name in :data:`NOT_FOUND_ERRORS` (yfinance's ``YFTickerMissingError``
    family, an empty answer) or an HTTP error of status 404 (:func:`_http_status`), unless it
    is an outage (:func:`is_outage`).
    """
    if is_outage(exc) or _refused(exc):
        return False
    for current in _chain(exc):
        if isinstance(current, SymbolNotFoundError) or _named(current, NOT_FOUND_ERRORS):
            return True
        if _named(current, frozenset({"HTTPError"})) and _http_status(current) == 404:
            return True
    return False


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is worth retrying.

    True when a class name in :data:`TRANSIENT_ERRORS` appears in the class hierarchy of the
    exception or of any exception in its ``__cause__``/``__context__`` chain, or an HTTP error
    has a status of :data:`TRANSIENT_STATUSES` -- unless the failure is :func:`is_unreachable`
    , :func:`is_certificate_failure` or :func:`is_not_found`.
    """
    if is_unreachable(exc) or is_certificate_failure(exc) or is_not_found(exc):
        return False
    if is_outage(exc):
        return True
    for current in _chain(exc):
        if _named(current, TRANSIENT_ERRORS):
            return True
        if _named(current, frozenset({"HTTPError"})) and _http_status(current) in TRANSIENT_STATUSES:
            return True
    return False


def _rate_limited(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a rate limit: :data:`RATE_LIMITS`
    or an HTTP 429."""
    http = frozenset({"HTTPError"})
    return any(_named(c, RATE_LIMITS) or (_named(c, http) and _http_status(c) == 429) for c in _chain(exc))


def _http_status(exc: BaseException) -> object:
    """The HTTP status of an HTTPError: its response's (requests, curl_cffi) or its own (urllib)."""
    response = getattr(exc, "response", None)
    return getattr(exc, "status", None) if response is None else getattr(response, "status_code", None)


def _root_cause(exc: BaseException) -> BaseException:
    """The deepest exception of the chain that is not one of ours (the library's own error)."""
    chain = _chain(exc)
    foreign = [e for e in chain if not isinstance(e, DataUnavailableError)]
    return foreign[0] if foreign else chain[-1]


def call_with_retries(
    request: Callable[[], T],
    what: str,
    *,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    instead: str = "import its prices with: eventstudy cache import PATH",
) -> tuple[T, int]:
    """Call ``request`` until it succeeds or a non-transient error or the last attempt fails.
    ``instead`` ends the message of a symbol not found: what to import instead.

    Returns
    -------
    (result, attempts)

    Raises
    ------
    NetworkUnreachableError
        At once when the network cannot be reached (:func:`is_unreachable`).
    SymbolNotFoundError
        At once when the source does not know ``what`` (:func:`is_not_found`).
    DataUnavailableError
        After ``retry.attempts`` transient failures (naming ``what``, the attempts and the last
        error), or at once for any other failure.
    """
    delays = retry.delays()
    for attempt in range(1, retry.attempts + 1):
        try:
            return request(), attempt
        except Exception as exc:
            if is_unreachable(exc):
                raise NetworkUnreachableError(
                    f"fetching {what}: the network is unreachable ({_one_line(_root_cause(exc), 160)}); "
                    + IMPORT_OFFLINE
                ) from exc
            if is_certificate_failure(exc):
                raise NetworkUnreachableError(
                    f"fetching {what}: the source's TLS certificate could not be verified "
                    f"({_one_line(_root_cause(exc), 160)}); a proxy that intercepts TLS, missing CA "
                    f"certificates or a wrong system clock cause this; or {IMPORT_OFFLINE}"
                ) from exc
            if is_not_found(exc):
                said, check = "the symbol was not found at the source", "the symbol"
                if any(_named(cause, EMPTY_ANSWERS) for cause in _chain(exc)):  # known, no rows in range
                    said = "the source returned no rows for these dates"
                    check = "the dates and symbol"
                raise SymbolNotFoundError(
                    f"fetching {what}: {said} ({_one_line(_root_cause(exc), 200)}); check {check} (Yahoo "
                    f"spells them e.g. BRK-B, ^GSPC, 7203.T), or {instead}"
                ) from exc
            if not is_transient(exc):
                if isinstance(exc, DataUnavailableError):
                    raise
                raise DataUnavailableError(f"fetching {what} failed: {_one_line(exc)}") from exc
            if attempt == retry.attempts:
                waited = sum(delays)
                raise (RateLimitedError if _rate_limited(exc) else DataUnavailableError)(
                    f"fetching {what} failed {attempt} times over {waited:g} s of backoff; "
                    f"last error: {_one_line(exc)}; the cache keeps what it had"
                ) from exc
            sleep(delays[attempt - 1])
    raise AssertionError("unreachable")  # pragma: no cover


def _unfetched(
    old: pd.DataFrame, provenance: Mapping[str, Any], start: dt.date, end: dt.date, today: dt.date | None
) -> tuple[str, ...]:
    """:attr:`FetchOutcome.unfetched` of a cached series ``old`` asked for ``start..end``: its
    span, or the span a fetch of it already asked for (``requested`` in its ``provenance``: a
    listing after the asked start, a weekend start), reached by more than
    :data:`PARTIAL_SLACK_DAYS` on either side (the slack of a fetch's ``partial_history``)."""
    if not len(old):
        return ()
    first, last = _as_date(old["date"].iloc[0]), _as_date(old["date"].iloc[-1])
    known_first, known_last = first, last
    asked = str(provenance.get("requested", ""))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}", asked):
        with contextlib.suppress(ValueError):  # a provenance edited to no date: the cached span
            requested = [dt.date.fromisoformat(day) for day in asked.split("..")]
            # an end past the day it was fetched asked for days that had not happened yet
            fetched = dt.date.fromisoformat(str(provenance.get("fetched_at", ""))[:10])
            known_first, known_last = min(first, requested[0]), max(last, min(requested[1], fetched))
    end = min(end, today or dt.date.today())
    slack = dt.timedelta(days=PARTIAL_SLACK_DAYS)
    if start >= known_first - slack and end <= known_last + slack:
        return ()
    return (_iso(first), _iso(last), _iso(start), _iso(end))


def fetch_symbol(
    store: PriceStore,
    symbol: str,
    start: dt.date,
    end: dt.date,
    *,
    refresh: bool = False,
    fetch_prices: PriceFetcher = yahoo.fetch_prices,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    today: dt.date | None = None,
) -> FetchOutcome:
    """Fetch one symbol's daily prices into the cache (see the module docstring).

    Raises
    ------
    DataUnavailableError
        When no usable history came back, or the symbol is cached as a returns series or differs
        only in case from a cached identifier (nothing is fetched); the cache file is unchanged.
    CacheWriteError
        When the file cannot be written; the previous file is unchanged.
        So too when a new symbol's file cannot be written for the cache's locks (a read-only
        cache, or other writers holding them past :data:`LOCK_TIMEOUT`): see :func:`_write_new`.
    """
    path = store.price_path(symbol)
    _check_identifier(store, symbol, path)

    def download(first: dt.date, last: dt.date) -> tuple[pd.DataFrame, int]:
        def request() -> pd.DataFrame:
            frame = fetch_prices(symbol, first, last)
            if frame is None or len(frame) == 0:
                raise EmptyHistoryError(f"the source returned no rows for {symbol!r} {first}..{last}")
            return frame

        raw, attempts = call_with_retries(request, f"{symbol!r} {first}..{last}", retry=retry, sleep=sleep)
        return _checked_history(raw, symbol), attempts

    # A symbol with no file yet is downloaded and its answer checked before its lock is taken: a
    # download that fails or is refused leaves no lock file behind (a folder of the user's named
    # as the cache stays as it was).
    ahead = None if path.exists() or path.is_symlink() else download(start, end)
    with contextlib.ExitStack() as held:
        held.enter_context(store.locked(path))
        old: pd.DataFrame | None = None
        old_provenance: dict[str, Any] = {}
        replaced_damaged = ""
        if path.is_file():
            try:
                old = store.read_prices(symbol)
                old_provenance = store.provenance(path)
            except CacheCorruptError as exc:
                replaced_damaged = f"{exc.kind}: {exc.reason}"
        if old is not None and not refresh:
            unfetched = _unfetched(old, old_provenance, start, end, today)
            return FetchOutcome(symbol, "cached", len(old), unfetched=unfetched)
        asked = start, end
        if old is not None and len(old):  # the whole cached span too: a restatement replaces the file
            start = min(start, _as_date(old["date"].iloc[0]))
            end = max(end, _as_date(old["date"].iloc[-1]))
        # Rows imported from a file keep their record when Yahoo's rows join them.
        imported = {k: v for k, v in old_provenance.items() if k in IMPORT_KEYS}
        if old_provenance.get("source") == "yahoo":
            imported = dict(old_provenance.get("earlier_rows", {}))

        if ahead is None or old is not None or replaced_damaged:  # or another writer's file came meanwhile
            ahead = download(start, end)
        new, attempts = ahead
        received = (_iso(new["date"].iloc[0]), _iso(new["date"].iloc[-1]))
        asked_end = min(asked[1], today or dt.date.today())
        partial = _partial_note(new, asked[0], asked_end)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        provenance: dict[str, Any] = {
            **{k: v for k, v in old_provenance.items() if k in CARRIED},
            **yahoo.price_provenance(symbol),
            "fetched_at": now,
            "requested": f"{start}..{end}",
            "received": f"{received[0]}..{received[1]}",
        }
        if partial:
            provenance["partial_history"] = partial
        if replaced_damaged:
            provenance["replaced_damaged_file"] = replaced_damaged

        outcome = FetchOutcome(
            symbol, "fetched", len(new), attempts, received, partial, replaced_damaged=replaced_damaged
        )
        if old is None and not replaced_damaged:  # a new identifier
            return _write_new(store, symbol, new, provenance, outcome, held)
        if old is None:  # a damaged file replaced: the identifier is the cache's already
            store.write_prices(symbol, new, provenance)
            return outcome

        if len(old) and not new["date"].isin(old["date"]).any():
            raise DataUnavailableError(
                f"Yahoo's history of {symbol!r} ({received[0]}..{received[1]}) shares no day with the cached "
                f"one ({_iso(old['date'].iloc[0])}..{_iso(old['date'].iloc[-1])}), so their adjusted closes "
                "cannot be compared or joined: nothing is written (move the cache file away to fetch afresh)"
            )
        restatement = compare_histories(old, new, REFETCH_COLUMNS)
        if restatement is not None:
            restatement["detected_at"] = now
            if imported:
                restatement["replaced_rows_from"] = imported
            provenance["restatements"] = [*old_provenance.get("restatements", []), restatement]
            store.write_prices(symbol, new, provenance)
            return FetchOutcome(symbol, "restated", len(new), attempts, received, partial, restatement)

        extra = new.loc[~new["date"].isin(old["date"])]
        vanished = _vanished(old, new, now, old_provenance.get("vanished", []))
        if vanished is not None:  # kept, as every cached row the source still agrees with, and said
            provenance["vanished"] = [*old_provenance.get("vanished", []), vanished]
        if extra.empty and vanished is None:
            return FetchOutcome(symbol, "unchanged", len(old), attempts, received, partial)
        merged = pd.concat([old, extra], ignore_index=True).sort_values("date", kind="stable")
        first, last = _iso(merged["date"].iloc[0]), _iso(merged["date"].iloc[-1])
        provenance["received"] = f"{first}..{last} (merged with the cached rows)"
        partial = _partial_note(merged, asked[0], asked_end)  # the file's span, not the answer's
        provenance.pop("partial_history", None)
        if partial:
            provenance["partial_history"] = partial
        if imported:
            provenance["earlier_rows"] = imported
        store.write_prices(symbol, merged.reset_index(drop=True), provenance)
        status = "extended" if len(extra) else "unchanged"
        return FetchOutcome(symbol, status, len(merged), attempts, received, partial, vanished=vanished)


def _vanished(
    old: pd.DataFrame, new: pd.DataFrame, now: str, recorded: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The record of the cached days inside the span of Yahoo's new history that it no longer
    has: a refresh keeps them, since every value both hold agrees, and says so. None when there
    are none, or when the last record (of ``recorded``, the provenance's) already says the same."""
    inside = old["date"].between(new["date"].iloc[0], new["date"].iloc[-1]) & ~old["date"].isin(new["date"])
    if not inside.any():
        return None
    days = old.loc[inside, "date"]
    said = {"dates": [_iso(days.min()), _iso(days.max())], "n_dates": int(inside.sum())}
    last = recorded[-1] if recorded and isinstance(recorded[-1], dict) else {}
    if all(last.get(key) == value for key, value in said.items()):
        return None
    return {"detected_at": now, **said}


CARRIED = ("restatements", "replacements", "vanished")
"""Records of a cached price file's provenance that a re-fetch keeps: what earlier changes of its
rows replaced or dropped, and cached days the source no longer had (they reach every later
``manifest.json``)."""


def _write_new(
    store: PriceStore,
    symbol: str,
    new: pd.DataFrame,
    provenance: dict[str, Any],
    outcome: FetchOutcome,
    held: contextlib.ExitStack,
) -> FetchOutcome:
    """Write the first price file of ``symbol`` (whose file lock ``held`` holds): checked again
    under the cache's identifier lock too (:func:`_lock_new_file`), so that an import or a fetch
    of a case twin or of the symbol's returns that ran since the first check is seen. A file of
    this symbol that another writer made since then stands (``cached``).

    Raises
    ------
    DataUnavailableError
        When the locks cannot be had within :data:`LOCK_TIMEOUT` or cannot be made (a read-only
        cache): the download is not written, and the other symbols of a fetch go on.
    """
    path = store.price_path(symbol)
    with contextlib.ExitStack() as locks:
        try:
            ready = _lock_new_file(store, path, held, locks)
        except InputError as exc:  # the locks' errors (a CacheWriteError is one too)
            raise DataUnavailableError(f"{symbol!r} was downloaded but not written: {exc}") from None
        _check_identifier(store, symbol, path)
        if ready and not path.is_file():
            store.write_prices(symbol, new, provenance)
            return outcome
    return FetchOutcome(symbol, "cached", len(store.read_prices(symbol)))


def _lock_new_file(
    store: PriceStore, path: Path, held: contextlib.ExitStack, locks: contextlib.ExitStack
) -> bool:
    """Hold the cache's identifier lock (in ``locks``) and the file's (in ``held`` or ``locks``):
    True; or find the file written by another fetch of the symbol while waiting: False.

    No lock is waited for while the other is held: the identifier lock is tried with the file's
    held; when another writer has it, the file's lock is let go and the identifier lock waited
    for, then the file's tried under it; when that is busy (another fetch of the symbol), the
    identifier lock is let go and the file's waited for. The waits end within
    :data:`LOCK_TIMEOUT` in all (:class:`InputError` then)."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    if locks.enter_context(store.catalog_lock_if_free(done="written")):
        return True
    locks.close()
    held.close()  # an import holding the identifier lock may need this file's lock
    while (remaining := deadline - time.monotonic()) > 0:
        locks.enter_context(store.catalog_lock(remaining, done="written"))
        try:
            locks.enter_context(store.locked(path, timeout=0.0))
            return True
        except CacheBusyError:
            locks.close()  # another fetch of the symbol holds the file: waited for alone
        with store.locked(path, timeout=max(deadline - time.monotonic(), 0.0)):
            if path.is_file():
                return False
    waited = f"other writers held the cache's locks for more than {LOCK_TIMEOUT:g} s"
    raise InputError(str(store.root), waited)


def _check_identifier(store: PriceStore, symbol: str, path: Path) -> None:
    """Refuse to fetch ``symbol`` into ``path`` (its price file) over a file the package did
    not write, beside its returns series, or as a new case twin of a cached identifier."""
    what = store.not_ours(path)
    if what:
        raise DataUnavailableError(
            f"{path} {what}; nothing is fetched: move that file away to fetch the symbol"
        )
    if store.has_returns(symbol):
        raise DataUnavailableError(
            f"{symbol!r} is cached as a returns series ({store.returns_path(symbol)}); an identifier has one "
            "series, so no prices are fetched for it"
        )
    if not path.is_file():
        refuse_case_twin(store, symbol, SERIES_KINDS, "nothing is fetched")


IMPORT_COUNTS = (
    f"import counts you trust with: eventstudy cache import FILE.csv (columns {','.join(SHARES_COLUMNS)})"
)
"""What to do instead of fetching a ticker's share counts."""
UNTRUSTED_COUNTS = f"none of them was stored: {IMPORT_COUNTS}"
"""What a run says when a source's share counts of a ticker cannot be right."""

TICKER_FILES = {"shares": "no share counts are fetched", "earnings": "no earnings dates are fetched"}
"""The per-ticker files a run fetches, and what a case twin of a cached one stops."""


def refuse_case_twins(store: PriceStore, symbols: Iterable[str], tickers: Iterable[str]) -> None:
    """Before a run fetches anything: a DataUnavailableError at the first of ``symbols`` without
    a series, or of ``tickers`` without share counts or earnings dates, that differs only in case
    from a cached identifier of that kind, so the cache stays as it was."""
    for symbol in symbols:
        if not store.has_series(symbol):
            refuse_case_twin(store, symbol, SERIES_KINDS, "nothing is fetched")
    for ticker in tickers:
        for kind, outcome in TICKER_FILES.items():
            if not cached(store.path(ticker, kind)):  # a folder or link there: refused, not replaced
                refuse_case_twin(store, ticker, (kind,), outcome)


def refuse_case_twin(store: PriceStore, symbol: str, kinds: tuple[str, ...], outcome: str) -> None:
    """A DataUnavailableError when a cached identifier of ``kinds`` differs from ``symbol`` only
    in case: the two would share one file on a case-insensitive file system."""
    variant = store.case_variant(symbol, kinds)
    if variant is not None:
        raise DataUnavailableError(
            f"{symbol!r} differs only in case from the cached {variant[0]!r} ({variant[1]}); identifiers "
            f"must stay distinct once case is folded, so {outcome}"
        )


def fetch_symbols(
    store: PriceStore,
    symbols: Iterable[str],
    start: dt.date,
    end: dt.date,
    *,
    refresh: bool = False,
    fetch_prices: PriceFetcher = yahoo.fetch_prices,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    on_outcome: Callable[[FetchOutcome], None] | None = None,
) -> FetchReport:
    """:func:`fetch_symbol` for each symbol; a failure is recorded and the others go on.
    ``on_outcome`` is called with each symbol's outcome as it comes (the command prints it, so
    what was written is said even when the network is lost at a later symbol).

    Raises
    ------
    NetworkUnreachableError
        At the first symbol that finds the network unreachable. A rate limit that outlasts a
        symbol's retries (:class:`RateLimitedError`) ends the batch too, the symbols after it
        recorded as not tried.
    InputError
        ``start`` or ``end`` outside :data:`~eventstudy.config.FIRST_DATE` ..
        :data:`~eventstudy.config.LAST_DATE`, before any request.
    """
    for name, day in (("start", start), ("end", end)):
        if not FIRST_DATE <= day <= LAST_DATE:
            raise InputError(name, f"{day} is not a date between {FIRST_DATE} and {LAST_DATE}")
    report = FetchReport()
    asked = list(dict.fromkeys(symbols))
    for index, symbol in enumerate(asked):
        try:
            outcome = fetch_symbol(
                store, symbol, start, end, refresh=refresh, fetch_prices=fetch_prices, retry=retry,
                sleep=sleep,
            )  # fmt: skip
            report.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
        except NetworkUnreachableError:
            raise  # every other symbol would fail the same way
        except RateLimitedError as exc:  # each further request would prolong the block
            report.failures[symbol] = str(exc)
            said = f"not tried: the source refused {symbol}'s requests as too many after every retry"
            report.failures.update(dict.fromkeys(asked[index + 1 :], f"{said}; fetch again later"))
            break
        except DataUnavailableError as exc:
            report.failures[symbol] = str(exc)
    return report


def fetch_missing(
    store: PriceStore,
    symbols: Iterable[str],
    start: dt.date,
    end: dt.date,
    *,
    fetch_prices: PriceFetcher = yahoo.fetch_prices,
    fetch_shares: SharesFetcher | None = yahoo.fetch_shares,
    tickers_with_shares: Iterable[str] = (),
    check_shares: Callable[[str, pd.DataFrame], str | None] | None = None,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    today: dt.date | None = None,
) -> list[str]:
    """Fetch every symbol without a cached price file (or returns series), and share counts
    where none are cached.

    The counts are asked for from ``start`` up to the day the ticker's closes were fetched
    (``today`` for those fetched now), not to ``end``: Yahoo's closes are split-adjusted up to that
    day, so a split after ``end`` must show in the counts for the split rule of
    :mod:`eventstudy.valuation` to see it (counts up to ``end`` times closes adjusted for a later
    10-for-1 split gave a tenth of the market value, unnoted), and a split after it must not
    (counts up to today for closes cached before a split made the rule multiply earlier counts for
    closes never adjusted: ten times the market value). Closes imported from a file are taken as
    adjusted up to their last day (when the file was downloaded is not recorded).

    ``check_shares(ticker, counts)`` says what is wrong with a ticker's fetched counts (None when
    nothing is): a study passes its own check of a count against the ticker's trading
    (:func:`~eventstudy.valuation.implausible_count`, which the data layer cannot import), so a
    count it would refuse is never stored.

    Returns
    -------
    list of str
        The symbols whose prices were fetched.

    Raises
    ------
    DataUnavailableError
        When the source has no usable prices for a symbol (the cache keeps what it had).
    ImplausibleDataError
        When one of a ticker's share counts from the source is more than
        :data:`~eventstudy.data.shares.MAX_SHARE_COUNT_RATIO` times (or less than its inverse) the
        previous one (a unit slip), or ``check_shares`` finds one wrong: none of them is stored, as
        :func:`~eventstudy.data.importer.import_paths` refuses such a file.
    """
    fetched = []
    for symbol in symbols:
        if store.has_series(symbol):
            continue
        outcome = fetch_symbol(store, symbol, start, end, fetch_prices=fetch_prices, retry=retry, sleep=sleep)
        if outcome.status != "cached":
            fetched.append(symbol)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    asked = list(dict.fromkeys(tickers_with_shares)) if fetch_shares else []
    for index, ticker in enumerate(asked):
        assert fetch_shares is not None  # the loop runs only with a fetcher
        path = store.shares_path(ticker)
        if cached(path):
            continue
        refuse_case_twin(store, ticker, ("shares",), TICKER_FILES["shares"])
        counts_end = max(end, today or dt.date.today())
        if ticker not in fetched:  # closes cached before: as far as they are split-adjusted
            counts_end = max(start, min(counts_end, _closes_adjusted_through(store, ticker, counts_end)))
        try:
            shares, _ = call_with_retries(
                partial(fetch_shares, ticker, start, counts_end),
                f"share counts of {ticker!r}",
                retry=retry,
                sleep=sleep,
                instead=IMPORT_COUNTS,
            )
        except NetworkUnreachableError:
            raise
        except ImplausibleDataError as exc:  # one bad count: the others are not stored without it
            raise ImplausibleDataError(f"{exc}; {UNTRUSTED_COUNTS}") from None
        except RateLimitedError as exc:  # each further request would prolong the block
            left = _not_asked(asked[index + 1 :])
            LOG.warning("%s; %s's%s market values stay empty (a later run asks again)", exc, ticker, left)
            break
        except DataUnavailableError as exc:  # market values stay empty, with a note
            LOG.warning("%s; %s's market values stay empty (a later run asks again)", exc, ticker)
            continue
        jump = share_count_jump(shares)
        if jump is not None:
            raise ImplausibleDataError(
                f"Yahoo's share counts of {ticker!r} ({start}..{counts_end}), as of {jump.as_of:%Y-%m-%d}: "
                f"{jump.describe()}; {UNTRUSTED_COUNTS}"
            )
        problem = None if check_shares is None else check_shares(ticker, shares)
        if problem is not None:  # a study's own check: stored, the count stopped every later run
            raise ImplausibleDataError(
                f"Yahoo's share counts of {ticker!r} ({start}..{counts_end}): {problem}; {UNTRUSTED_COUNTS}"
            )
        conflicting = list(shares.attrs.get(CONFLICTING_COUNTS, []))
        if conflicting:  # yfinance issue #1954: two counts for one date; the last is kept, and said
            first = conflicting[0]
            LOG.warning(
                "Yahoo gives %s several share counts on %d date(s), first %s (%s): %s, the last it gave, "
                "is kept (provenance %s)",
                ticker,
                len(conflicting),
                first["as_of"],
                " and ".join(f"{count:,.0f}" for count in first["counts"]),
                f"{first['kept']:,.0f}",
                CONFLICTING_COUNTS,
            )
        with store.locked(path):
            if not cached(path):
                store.write_shares(
                    ticker,
                    shares,
                    {
                        **yahoo.price_provenance(ticker),
                        "fetched_at": now,
                        "adjustment": "none: shares outstanding as reported",
                        **({CONFLICTING_COUNTS: conflicting} if conflicting else {}),
                    },
                )
    return fetched


def _not_asked(tickers: list[str]) -> str:
    """``" (and BBB, CCC: not asked)"`` (empty without any): a rate limit that outlasts one
    ticker's retries ends the requests (a run online under a lasting limit made 40 share-count and
    40 earnings requests, 280 s of backoff)."""
    return f" (and {listing(tickers)}: not asked)" if tickers else ""


def _closes_adjusted_through(store: PriceStore, ticker: str, today: dt.date) -> dt.date:
    """The last day a cached ticker's closes are split-adjusted for: the day they were fetched
    (provenance ``fetched_at``), or for closes imported from a file their last day; ``today`` for
    a returns series (no closes)."""
    if store.series_kind(ticker) != "prices":
        return today
    fetched_at = store.provenance(store.price_path(ticker)).get("fetched_at")
    if isinstance(fetched_at, str):
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(fetched_at).date()
    dates = store.read_prices(ticker)["date"]
    return pd.Timestamp(dates.max()).date() if len(dates) else today


EarningsFetcher = Callable[[str, dt.date, dt.date], pd.DataFrame]


def fetch_missing_earnings(
    store: PriceStore,
    tickers: Iterable[str],
    start: dt.date,
    end: dt.date,
    *,
    fetch_earnings: EarningsFetcher = yahoo.fetch_earnings,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Fetch the earnings dates of every ticker without a cached earnings file.

    A ticker the source has no earnings dates for (an ETF, an index, or Yahoo's empty answer)
    gets a file with no rows whose provenance says so (``no_dates``), so the runs of the next
    :data:`NO_DATES_RETRY_DAYS` days do not ask again and the confounder screen can say the
    ticker was not screened; after that it is asked again (an empty answer can be an error page).
    A transient failure after the retries leaves the ticker without a file (asked again next
    run), and an expired record as it was.

    Returns
    -------
    dict
        Ticker -> rows written, for the tickers fetched.

    Raises
    ------
    NetworkUnreachableError
        At the first ticker that finds the network unreachable.
    """
    written: dict[str, int] = {}
    asked = list(dict.fromkeys(tickers))
    for index, ticker in enumerate(asked):
        path = store.earnings_path(ticker)
        if cached(path) and not _no_dates_expired(store, path):
            continue
        if not cached(path):
            refuse_case_twin(store, ticker, ("earnings",), TICKER_FILES["earnings"])
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        provenance: dict[str, Any] = {
            **yahoo.earnings_provenance(ticker),
            "fetched_at": now,
            "requested": f"{start}..{end}",
        }
        try:
            frame, _ = call_with_retries(
                partial(fetch_earnings, ticker, start, end),
                f"earnings dates of {ticker!r}",
                retry=retry,
                sleep=sleep,
            )
        except NetworkUnreachableError:
            raise
        except SymbolNotFoundError as exc:
            frame = store.read_earnings(ticker).iloc[:0]
            provenance["no_dates"] = _one_line(exc, 200)
        except RateLimitedError as exc:  # each further request would prolong the block
            left = _not_asked(asked[index + 1 :])
            LOG.warning("%s; %s%s is not screened for earnings (a later run asks again)", exc, ticker, left)
            break
        except DataUnavailableError as exc:
            if "no earnings date" not in str(exc):  # transient or malformed: no file
                LOG.warning("%s; %s is not screened for earnings (a later run asks again)", exc, ticker)
                continue
            frame = store.read_earnings(ticker).iloc[:0]
            provenance["no_dates"] = _one_line(exc, 200)
        with store.locked(path):
            if not cached(path) or _no_dates_expired(store, path):
                store.write_earnings(ticker, frame, provenance)
                written[ticker] = len(frame)
    return written


NO_DATES_RETRY_DAYS = 30
"""Age after which a record of "no earnings dates" is asked for again. yfinance returns the same
None for an ETF's page, which has no calendar, and for an error page of Yahoo's (it raises only
on HTTP 429): a company's calendar lost to one bad answer comes back within a month, and an ETF
costs one request a month."""


def _no_dates_expired(store: PriceStore, path: Path) -> bool:
    """Whether the cached earnings file at ``path`` records no dates (``no_dates``) and was
    fetched more than :data:`NO_DATES_RETRY_DAYS` ago (an imported file never expires)."""
    try:
        record = store.provenance(path)
        fetched = dt.datetime.fromisoformat(str(record["fetched_at"]))
    except (FileNotFoundError, KeyError, ValueError, CacheCorruptError):
        return False
    if "no_dates" not in record:
        return False
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC) - fetched > dt.timedelta(days=NO_DATES_RETRY_DAYS)


def _checked_history(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The fetched frame in cache schema, refusing what an import of the same rows refuses:
    missing columns, a row without a date or one outside FIRST_DATE..LAST_DATE, repeated dates,
    an infinite number (a blank, NaN, is a missing value: the validation masks it)."""
    missing = [name for name in PRICE_COLUMNS if name not in frame.columns]
    if missing:
        raise DataUnavailableError(f"the source's frame for {symbol!r} lacks column(s) {', '.join(missing)}")
    out = frame.loc[:, list(PRICE_COLUMNS)].copy()
    for name in PRICE_COLUMNS[1:]:
        kind = not_numbers(out[name])
        if kind:
            raise DataUnavailableError(f"the source's {name} for {symbol!r} holds {kind}, not numbers")
    try:
        out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
        for name in PRICE_COLUMNS[1:]:
            out[name] = out[name].astype("float64")
    except (TypeError, ValueError) as exc:
        raise DataUnavailableError(
            f"the source's frame for {symbol!r} is malformed: {_one_line(exc)}"
        ) from exc
    if out["date"].isna().any():
        raise DataUnavailableError(f"the source's frame for {symbol!r} has a row without a date")
    outside = (out["date"] < pd.Timestamp(FIRST_DATE)) | (out["date"] > pd.Timestamp(LAST_DATE))
    if outside.any():
        raise DataUnavailableError(
            f"the source's frame for {symbol!r} has the date {_iso(out.loc[outside, 'date'].iloc[0])}, "
            f"outside {FIRST_DATE.year}..{LAST_DATE.year}"
        )
    out = out.sort_values("date", kind="stable").reset_index(drop=True)
    repeated = out["date"].duplicated()
    if repeated.any():
        raise DataUnavailableError(
            f"the source returned date {_iso(out.loc[repeated, 'date'].iloc[0])} twice for {symbol!r}"
        )
    values = out.loc[:, list(PRICE_COLUMNS[1:])].to_numpy()
    row, column = np.nonzero(np.isinf(values))
    if row.size:
        raise DataUnavailableError(
            f"the source's {PRICE_COLUMNS[1 + int(column[0])]} of {_iso(out['date'].iloc[int(row[0])])} for "
            f"{symbol!r} is {values[row[0], column[0]]:g}, not a finite number"
        )
    return out


def _partial_note(frame: pd.DataFrame, start: dt.date, end: dt.date) -> str:
    first, last = frame["date"].iloc[0].date(), frame["date"].iloc[-1].date()
    notes = []
    if (first - start).days > PARTIAL_SLACK_DAYS:
        notes.append(f"starts {first}, {(first - start).days} days after the requested {start}")
    if (end - last).days > PARTIAL_SLACK_DAYS:
        notes.append(f"ends {last}, {(end - last).days} days before the requested {end}")
    return "; ".join(notes)


def _iso(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _as_date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

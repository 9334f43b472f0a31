"""Yahoo's exchange suffixes, and the currencies their prices are quoted in.

A Yahoo symbol of a listing outside the US ends in its exchange's suffix: ``7203.T`` (Tokyo),
``RELIANCE.NS`` (the National Stock Exchange of India), ``ASML.AS`` (Euronext Amsterdam),
``2330.TW`` (Taiwan). Its prices are in the exchange's currency -- yen, rupees, euros, Taiwan
dollars -- and some in a currency's hundredth (London in pence, Johannesburg in cents, Tel Aviv
in agorot). A close times a share count is then a market value in that unit, not in US dollars:
7203.T's is about 150 times its dollar value, 2330.TW's about 30 times. The study's dollar
columns (``mcap_prev_usd``, ``abnormal_value_usd``, ``value_to_deal``, the dollar tests and
totals, the backtest's value weights) are therefore not computed from such prices
(:func:`quote_currency`); abnormal returns, being ratios, are.

The table lists the suffixes of Yahoo's exchange list ("Exchanges and data providers on Yahoo
Finance") with the currency of most of their listings; a suffix not in it (``HDFC.Bank``, a label
of the R package eventstudies' data) is taken as a US listing. A few listings quote in another
currency than their exchange's (London's US-dollar lines): their dollar values are withheld too,
the safe side. Import such a series under a name without the suffix to have it taken as US
dollars. Returns series carry their own market values (``market_cap`` in the file's currency, as
the user gives them) and are not affected.
"""

from __future__ import annotations

__all__ = [
    "NEW_YORK_HOURS",
    "SUFFIX_CURRENCY",
    "names_no_exchange",
    "quote_currency",
    "same_exchange",
    "trades_on_new_york_hours",
]

SUFFIX_CURRENCY: dict[str, tuple[str, str]] = {
    "AS": ("EUR", "Euronext Amsterdam"),
    "AT": ("EUR", "Athens"),
    "AE": ("AED", "Dubai Financial Market"),
    "AQ": ("GBp", "Aquis, in pence"),
    "AX": ("AUD", "ASX"),
    "BA": ("ARS", "Buenos Aires"),
    "BD": ("HUF", "Budapest"),
    "BE": ("EUR", "Berlin"),
    "BK": ("THB", "Stock Exchange of Thailand"),
    "BM": ("EUR", "Bremen"),
    "BO": ("INR", "BSE India"),
    "BR": ("EUR", "Euronext Brussels"),
    "CA": ("EGP", "Egyptian Exchange"),
    "CL": ("COP", "Colombia"),
    "CN": ("CAD", "Canadian Securities Exchange"),
    "CO": ("DKK", "Nasdaq Copenhagen"),
    "CR": ("VES", "Caracas"),
    "DE": ("EUR", "XETRA"),
    "DU": ("EUR", "Düsseldorf"),
    "F": ("EUR", "Frankfurt"),
    "HA": ("EUR", "Hanover"),
    "HE": ("EUR", "Nasdaq Helsinki"),
    "HK": ("HKD", "Hong Kong"),
    "HM": ("EUR", "Hamburg"),
    "IC": ("ISK", "Nasdaq Iceland"),
    "IL": ("USD or another currency", "London International Order Book"),
    "IR": ("EUR", "Euronext Dublin"),
    "IS": ("TRY", "Borsa Istanbul"),
    "JK": ("IDR", "Indonesia"),
    "JO": ("ZAc", "Johannesburg, in cents"),
    "KL": ("MYR", "Bursa Malaysia"),
    "KQ": ("KRW", "KOSDAQ"),
    "KS": ("KRW", "Korea Exchange"),
    "KW": ("KWF", "Kuwait, in fils"),
    "L": ("GBp", "London, in pence"),
    "LS": ("EUR", "Euronext Lisbon"),
    "MC": ("EUR", "Madrid"),
    "ME": ("RUB", "Moscow"),
    "MI": ("EUR", "Milan"),
    "MU": ("EUR", "Munich"),
    "MX": ("MXN", "Mexico"),
    "NE": ("CAD", "Cboe Canada"),
    "NS": ("INR", "National Stock Exchange of India"),
    "NX": ("EUR", "Euronext"),
    "NZ": ("NZD", "NZX"),
    "OL": ("NOK", "Oslo"),
    "PA": ("EUR", "Euronext Paris"),
    "PR": ("CZK", "Prague"),
    "PS": ("PHP", "Philippine Stock Exchange"),
    "QA": ("QAR", "Qatar"),
    "RO": ("RON", "Bucharest"),
    "RG": ("EUR", "Nasdaq Riga"),
    "SA": ("BRL", "B3 São Paulo"),
    "SAU": ("SAR", "Saudi Exchange (Tadawul)"),  # as Yahoo's exchange list spells it
    "SG": ("EUR", "Stuttgart"),
    "SI": ("SGD", "Singapore"),
    "SN": ("CLP", "Santiago"),
    "SR": ("SAR", "Saudi Exchange (Tadawul)"),  # as Yahoo's symbols end: 2222.SR
    "SS": ("CNY", "Shanghai"),
    "ST": ("SEK", "Nasdaq Stockholm"),
    "SW": ("CHF", "SIX Swiss Exchange"),
    "SZ": ("CNY", "Shenzhen"),
    "T": ("JPY", "Tokyo"),
    "TA": ("ILA", "Tel Aviv, in agorot"),
    "TI": ("EUR", "EuroTLX"),
    "TL": ("EUR", "Nasdaq Tallinn"),
    "TO": ("CAD", "Toronto"),
    "TW": ("TWD", "Taiwan"),
    "TWO": ("TWD", "Taipei Exchange"),
    "V": ("CAD", "TSX Venture"),
    "VN": ("VND", "Ho Chi Minh City"),
    "VI": ("EUR", "Vienna"),
    "VS": ("EUR", "Nasdaq Vilnius"),
    "WA": ("PLN", "Warsaw"),
    "XA": ("AUD", "Cboe Australia"),
    "XC": ("GBp", "Cboe UK, in pence"),
    "XD": ("EUR or another currency", "Cboe Europe"),
}
"""Yahoo exchange suffix (after the symbol's last dot) -> (currency of its prices, exchange): every
equity suffix of yfinance's ``_MIC_TO_YAHOO_SUFFIX`` (yfinance 1.x, ``const.py``; its US futures
exchanges' aside) and ``SAU``, the Saudi suffix of Yahoo's exchange list. Two venues quote each
line in its own currency (London's International Order Book, mostly US dollars; Cboe Europe):
their dollar values are withheld, the safe side, and their calendar is not New York's."""


def quote_currency(symbol: str) -> tuple[str, str] | None:
    """The currency and exchange of a Yahoo symbol listed outside the US, or None.

    Examples
    --------
    >>> quote_currency("7203.T")
    ('JPY', 'Tokyo')
    >>> quote_currency("NVDA") is None, quote_currency("HDFC.Bank") is None, quote_currency("^N225")
    (True, True, None)
    """
    if symbol.startswith("^") or "." not in symbol:
        return None  # an index's level has no currency of market value; no suffix: a US listing
    return SUFFIX_CURRENCY.get(symbol.rsplit(".", 1)[1])


CRYPTO_QUOTES = frozenset({"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "HKD", "KRW", "INR"})
"""Currencies after the hyphen of Yahoo's crypto-currency pairs (``BTC-USD``, ``ETH-EUR``); a
US share class has one or two letters there (``BRK-B``, ``BAC-PL``)."""


def names_no_exchange(symbol: str) -> bool:
    """Whether ``symbol`` is no listing of an exchange: an index (``^N225``), a currency pair
    (``EURUSD=X``), a future (``ES=F``) or a crypto-currency (``BTC-USD``). Such a series may
    have a row on any exchange's holiday, or lack one on a day the exchange traded.

    Examples
    --------
    >>> [names_no_exchange(s) for s in ("^GSPC", "EURUSD=X", "ES=F", "BTC-USD", "BRK-B", "VOD.L")]
    [True, True, True, True, False, False]
    """
    crypto = "-" in symbol and symbol.rsplit("-", 1)[1] in CRYPTO_QUOTES
    return symbol.startswith("^") or symbol.endswith(("=X", "=F")) or crypto


def same_exchange(symbol: str, market: str) -> bool:
    """Whether ``symbol`` is listed on the exchange of the listing ``market`` (same Yahoo suffix,
    or neither has one). An index, currency pair, future or crypto-currency
    (:func:`names_no_exchange`) names no exchange, as market or symbol: ``BTC-USD`` trades on
    New York's holidays, and an index's missing weekdays cannot be told from its holidays.

    Examples
    --------
    >>> same_exchange("NVDA", "SPY"), same_exchange("VOD.L", "SPY"), same_exchange("NVDA", "^N225")
    (True, False, False)
    >>> same_exchange("BTC-USD", "SPY"), same_exchange("EURUSD=X", "SPY"), same_exchange("BRK-B", "SPY")
    (False, False, True)
    """
    if names_no_exchange(symbol) or names_no_exchange(market):
        return False
    return quote_currency(symbol) == quote_currency(market)


NEW_YORK_HOURS = frozenset({"CN", "NE", "TO", "V"})
"""Suffixes of exchanges in New York's time zone with its regular session, 09:30-16:00 (the
Canadian exchanges): a New York time of day says when their listings' news came."""


def trades_on_new_york_hours(symbol: str) -> bool:
    """Whether a New York time of day places ``symbol``'s news before, during or after its own
    session: a US listing (no known suffix) or one of :data:`NEW_YORK_HOURS`.

    Yahoo gives earnings times in New York time, to the hour: 7203.T's 15:30 Tokyo release after
    Tokyo's close reads 1 AM, before New York's open. Such a time says nothing of the listing's
    own session (:func:`eventstudy.data.earnings.normalise_earnings` takes it as unknown).

    Examples
    --------
    >>> [trades_on_new_york_hours(s) for s in ("AMZN", "SHOP.TO", "7203.T")]
    [True, True, False]
    """
    listed = quote_currency(symbol)
    return listed is None or symbol.rsplit(".", 1)[1] in NEW_YORK_HOURS

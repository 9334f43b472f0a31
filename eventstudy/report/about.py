"""Where the numbers come from: the Data, Methods and Reproducibility sections.

**Data** lists each input of the run (the events file, prices, share counts, earnings dates,
factor files, a news file) with its source, the source files and their SHA-256, when it was
imported or fetched (the provenance records of ``manifest.json``), the dates it covers in the
study, and the share-count caveats, each counted once instead of once per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventstudy.config import window_label
from eventstudy.inference import STATISTICS
from eventstudy.report import fmt
from eventstudy.report.document import Section, Table, cell
from eventstudy.report.flags import caveats_on_rows, dated_note_counts, vendor_share_pairs
from eventstudy.report.windows import n_params
from eventstudy.text import shell_line
from eventstudy.timeline.confounders import DOMINANT_SHARE, DOMINANT_T


def _records(inputs: Mapping[str, Any], kind: str) -> dict[str, Mapping[str, Any]]:
    value = inputs.get(kind) or {}
    return {str(k): v for k, v in value.items() if isinstance(v, Mapping)}


def _summary(records: Mapping[str, Mapping[str, Any]]) -> tuple[str, str]:
    """(sources, provenance) of a kind's cache files: distinct sources, source files and times."""
    provenance = [dict(r.get("provenance") or {}) for r in records.values()]
    sources = sorted({str(p.get("source", "?")) for p in provenance})
    files = sorted(
        {
            f"{p['source_file']} (SHA-256 {str(p.get('source_sha256', '?'))[:12]}…)"
            for p in provenance
            if p.get("source_file")
        }
    )
    times = sorted(
        {
            str(p.get("imported_at") or p.get("fetched_at"))
            for p in provenance
            if p.get("imported_at") or p.get("fetched_at")
        }
    )
    methods = sorted({str(p["method"]) for p in provenance if p.get("method")})
    parts = []
    if files:
        parts.append(
            "from " + ", ".join(files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
        )
    if methods:
        parts.append("via " + ", ".join(methods))
    if times:
        parts.append(f"imported/fetched {times[0]}" + (f" to {times[-1]}" if times[-1] != times[0] else ""))
    return ", ".join(sources) or "?", "; ".join(parts) or "no provenance recorded"


def inputs_table(manifest: Mapping[str, Any], events: pd.DataFrame, ar: pd.DataFrame) -> Table:
    """One row per input kind of the run."""
    inputs = manifest.get("inputs", {})
    rows = []
    event_file = inputs.get("events", {})
    announced = pd.to_datetime(events["announced"])
    span = f"{fmt.date(announced.min())} to {fmt.date(announced.max())}" if len(events) else "—"
    rows.append(
        (
            cell("events"),
            cell(
                f"{fmt.counted(events['event_id'].nunique(), 'announcement')}, "
                f"{fmt.counted(len(events), 'row')}"
            ),
            cell("the study's events file"),
            cell(f"{event_file.get('path', '?')} (SHA-256 {str(event_file.get('sha256', '?'))[:12]}…)"),
            cell(f"announced {span}"),
        )
    )
    dates = (
        pd.to_datetime(ar["date"]) if "date" in ar.columns and len(ar) else pd.Series(dtype="datetime64[ns]")
    )
    used = f"event windows {fmt.date(dates.min())} to {fmt.date(dates.max())}" if len(dates.dropna()) else "—"
    for kind, what in (
        ("prices", "daily prices"),
        ("shares", "shares outstanding"),
        ("earnings", "earnings dates"),
        ("factors", "factor returns"),
    ):
        records = _records(inputs, kind)
        if not records:
            if kind == "earnings":
                rows.append(
                    (
                        cell(kind),
                        cell("none recorded"),
                        cell("—"),
                        cell("windows screened only against the events file and a news file"),
                        cell("—"),
                    )
                )
            continue
        sources, provenance = _summary(records)
        coverage = used if kind == "prices" else "—"
        rows.append(
            (
                cell(kind),
                cell(f"{what} of {len(records)} symbols: {', '.join(sorted(records))}"),
                cell(sources),
                cell(provenance),
                cell(coverage),
            )
        )
    news = manifest.get("config", {}).get("news_file")
    if news:
        record = inputs.get("news", {})
        rows.append(
            (
                cell("news"),
                cell("the user's news file"),
                cell("news_file"),
                cell(f"{news} (SHA-256 {str(record.get('sha256', '?'))[:12]}…)"),
                cell("—"),
            )
        )
    return Table(
        "inputs",
        ("input", "what", "source", "provenance", "dates"),
        "lllll",
        tuple(rows),
        caption="Every input's content hash and full provenance record are in manifest.json (inputs).",
    )


MAX_NOTE_BULLETS = 20
"""Row notes the Data section lists, most frequent first: many are about one pair (a ticker
without a share count before a date), and a study of 600 pairs had a thousand of them."""


def data_section(exports: Any) -> Section:
    """Sources, dates and provenance of every input, and the share-count caveats."""
    manifest, car = exports.manifest, exports.car
    table = inputs_table(manifest, exports.events, exports.ar)
    listed = car[car["role"] != "peer"]
    first = listed.drop_duplicates(["event_id", "ticker"])
    n_pairs = len(first)
    market = fmt.md(manifest["config"].get("market", "?"))
    bullets = [f"Market proxy and trading calendar: {market}; its sessions define trading days and day 0."]
    vendor, _ = vendor_share_pairs(car)
    if vendor:
        bullets.append(
            f"Share counts behind the parties' market values: those of {vendor} of {n_pairs} (event, party) "
            "pairs are vendor figures, not filing cover counts, in at least one window (each row's "
            "note in car.parquet says which; shares_filing is the figure before the window)."
        )
    counted = dated_note_counts(listed)
    for note, count in counted[:MAX_NOTE_BULLETS]:
        pairs = fmt.counted(n_pairs, "(event, party) pair")
        bullets.append(f"Note on rows: {fmt.md(note)} ({count} of {pairs}).")
    if len(counted) > MAX_NOTE_BULLETS:
        rest = len(counted) - MAX_NOTE_BULLETS
        bullets.append(
            f"Note on rows: {rest:,} other notes, each on fewer pairs (the note column of car.parquet "
            "holds every row's notes)."
        )
    for caveat in caveats_on_rows(manifest["config"], car)[1]:
        bullets.append(
            f"Share-count caveat (config) for {fmt.md(caveat.get('ticker'))} from "
            f"{fmt.md(caveat.get('from'))}: {fmt.md(caveat.get('note'))} (no row of the study is "
            "affected)."
        )
    issues = (manifest.get("validation") or {}).get("issues") or {}
    for ticker, found in sorted(issues.items()):
        for issue in found:
            detail = fmt.md(issue.get("detail", issue.get("kind", "?")))
            bullets.append(f"Price check, {fmt.md(ticker)}: {detail}.")
    return Section("data", "Data", tables=(table,), bullets=tuple(bullets))


def estimation_text(config: Mapping[str, Any]) -> str:
    """The estimation window of a manifest's config in words: ``τ ∈ [-260, -11] (250 trading
    days)``, or every session of the data up to a τ (``["all", end]``, or ``"all"`` with its gap)."""
    window = config["estimation_window"]
    if window == "all":
        first = min(int(w[0]) for w in config["event_windows"])
        end = first - int(config.get("estimation_gap") or 0) - 1
        return f'every session of the data up to τ = {end} (estimation_window = "all")'
    start, end = window
    if start == "all":
        return f"every session of the data up to τ = {int(end)}"
    return f"τ ∈ [{int(start)}, {int(end)}] ({int(end) - int(start) + 1} trading days)"


DAY0_RULE_TEXT = {
    "next": "the next session",
    "previous": "the last session before the date (day0_rule = previous)",
    "skip": "no day 0: the row's outcome is day0_not_a_session (day0_rule = skip)",
    "error": "an error naming the events row (day0_rule = error)",
}
"""What ``day0_rule`` does with an announcement date that is not a session, for the methods."""


def returns_text(manifest: Mapping[str, Any]) -> str:
    """How the study's returns were obtained: from prices, from imported returns series, or both."""
    config = manifest["config"]
    inputs = manifest.get("inputs", {})
    definition = config.get("returns", "simple")
    kind = "log" if definition == "log" else "simple"
    parts = []
    if inputs.get("prices") or not inputs.get("returns"):
        parts.append(
            f"{kind} daily returns of Yahoo Adj Close between consecutive sessions of the market proxy's "
            "calendar; a missing price gives a missing return, never a multi-day return"
        )
    if inputs.get("returns"):
        names = ", ".join(sorted(map(str, inputs["returns"])))
        parts.append(
            f"{kind} returns of the imported returns series ({names}), placed on the market proxy's "
            "calendar: a missing return removes that day only, a return dated on another day is compounded "
            "into the next session's (withheld instead where a series of the exchange of a returns-series "
            "market has a row on a weekday the market lacks: a gap in its file), and a series of the other "
            "definition is converted"
        )
    return "Returns: " + "; ".join(parts) + "."


def estimation_lengths(car: pd.DataFrame, config: Mapping[str, Any]) -> str:
    """The numbers of returns the estimated (event, party) pairs of ``car.parquet`` had
    (``n_est`` of rows with outcome ``ok``) in words: ``; the estimated pairs have 113 to 250
    valid returns in it (...)``, "" without an estimated row."""
    ok = car[car["outcome"] == "ok"].drop_duplicates(["event_id", "ticker"])
    n_est = pd.to_numeric(ok["n_est"], errors="coerce").dropna()
    if n_est.empty:
        return ""
    low, high = int(n_est.min()), int(n_est.max())
    counted = f"{low:,} valid returns" if low == high else f"{low:,} to {high:,} valid returns"
    subject = "the estimated pair has" if len(n_est) == 1 else "the estimated pairs have"
    window = config.get("estimation_window")
    from_start = window == "all" or (isinstance(window, list | tuple) and window[0] == "all")
    cut = "" if from_start else " or the window starts before the data"
    return f"; {subject} {counted} in it (car.parquet n_est: fewer where returns are missing{cut})"


VARIANCE_MODELS: dict[str, str] = {
    "garch": "GARCH(1,1) (Bollerslev 1986)",
    "gjr": "GJR-GARCH(1,1) (Glosten, Jagannathan & Runkle 1993)",
    "egarch": "EGARCH(1,1) (Nelson 1991)",
}
"""The conditional-variance model of each ``variance`` setting but ``constant``, as Methods names it."""


def _variance_text(
    variance: str, statistics: Sequence[str] | None = None, garch: pd.DataFrame | None = None
) -> tuple[str, ...]:
    """The Methods bullet of a study's ``variance`` setting (none for ``constant``), naming the
    registered tests that standardise by the conditional variance (``requires`` it, as the
    config's check of ``statistics`` finds them) among its ``statistics`` (None: every one), and
    how many of ``garch``'s pairs (garch.parquet) have no fit, by why."""
    if variance not in VARIANCE_MODELS:
        return ()
    left_out = ""
    if garch is not None and {"event_id", "ticker", "note"} <= set(garch.columns):
        pairs = garch.drop_duplicates(["event_id", "ticker"])
        notes = pairs["note"].fillna("").astype(str)
        reasons = notes[notes != ""].str.split(r" \(|:", n=1, regex=True).str[0].value_counts()
        if len(reasons):
            why = "; ".join(f"{reason}: {count}" for reason, count in reasons.items())
            left_out = (
                f" {int(reasons.sum())} of {len(pairs)} pairs have no fit and are left out of those tests "
                f"({why}; garch.parquet's note)."
            )
    garch_tests = [name for name, s in STATISTICS.items() if s.requires == "conditional_variance"]
    tests = [name for name in garch_tests if statistics is None or name in statistics]
    verb = "standardises" if len(tests) == 1 else "standardise"
    use = (
        f"{' and '.join(tests)} {verb} each abnormal return by its one-step-ahead conditional variance "
        "(Savickas 2003)"
        if tests
        else f"no test of this study's statistics uses it ({' and '.join(garch_tests)} would)"
    )
    return (
        f"Variance: a zero-mean {VARIANCE_MODELS[variance]} fitted by maximum likelihood to each pair's "
        f"estimation residuals (variance = {variance}); {use}, and garch.parquet holds each fit and its "
        "note." + left_out,
    )


def methods_section(
    manifest: Mapping[str, Any],
    day0: str | None,
    main: str,
    benchmarks: tuple[str, ...] = (),
    car: pd.DataFrame | None = None,
    garch: pd.DataFrame | None = None,
) -> Section:
    """The methods as run: returns, day-0 rule, model and estimation window (with the numbers of
    returns the rows of ``car`` had), windows, missing returns, (``benchmarks``) the per-event
    markets of the events file's ``market`` column, and (``garch``, garch.parquet) the pairs
    without a GARCH fit."""
    config = manifest["config"]
    windows = ", ".join(window_label((int(a), int(b))) for a, b in config["event_windows"])
    model = manifest.get("model", {}).get("description", config["model"])
    estimator = manifest.get("model", {}).get("estimator", "OLS")
    day0_text = (
        f"day-0 columns from the {day0} window"
        if day0 is not None and day0 != main
        else "no separate day-0 columns (no [0,0] window is configured)"
        if day0 is None
        else "[0,0] is the only window"
    )
    k = n_params(manifest)
    min_t = config.get("dominant_day_t", DOMINANT_T)
    share = config.get("dominant_day_share", DOMINANT_SHARE)
    rule = DAY0_RULE_TEXT.get(str(config.get("day0_rule", "next")), str(config.get("day0_rule")))
    shift = config.get("day0_max_shift")
    bound = "" if shift is None else f"; a day 0 more than {int(shift)} calendar day(s) away is not used"
    missing = (
        " Missing returns: a missing abnormal return anywhere in the event span leaves the row out of every "
        "window and τ (missing_returns = drop_event)."
        if config.get("missing_returns") == "drop_event"
        else ""
    )
    day0_rule = (
        "otherwise (after the close, weekend, holiday) the next session"
        if rule == DAY0_RULE_TEXT["next"] and not bound
        else f"after the close, the next session; on a weekend or holiday, {rule}{bound}"
    )
    bullets = (
        fmt.md(returns_text(manifest)),
        "Day 0: the announcement date when it is a trading day and timing is pre-market, intraday or "
        f"unknown; {day0_rule} (car.parquet day0_shift).",
        f"Model: {fmt.md(model)}"
        + (
            " (rows with a market in events.csv use their own benchmark instead: "
            f"{fmt.md(', '.join(benchmarks))})"
            if benchmarks
            else ""
        )
        + (", estimated over " if k else ", no parameter to estimate; σ² over ")
        + estimation_text(config)
        + (estimation_lengths(car, config) if car is not None else "")
        + f"; at least {config['min_estimation_obs']} valid returns, else outcome "
        "insufficient_estimation.",
        f"Windows: CAR = Σ AR over {windows}. The report leads with {main}, and has {day0_text}.{missing}",
        (
            "Per-party test: Var(CAR) = σ²(L + s'(X'X)⁻¹s) (Campbell, Lo & MacKinlay 1997, ch. 4), t with "
            "M−k degrees of freedom"
            if k and estimator == "OLS"
            else f"Per-party test: Var(CAR) = σ²(L + s'WW's), W the {estimator} estimator's weights "
            "((α̂, β̂)' = W·y given the market series: W W' in place of OLS's (X'X)⁻¹; Campbell, Lo & "
            "MacKinlay 1997, ch. 4), t with M−k degrees of freedom"
            if k
            else "Per-party test: Var(CAR) = σ²L, σ² the mean square of the estimation window's abnormal "
            "returns (the model estimates no parameter: k = 0), t with M degrees of freedom"
        )
        + "; cross-event tests: the battery of stats.parquet (README: formulas and references).",
        *_variance_text(str(config.get("variance", "constant")), config.get("statistics"), garch),
        "Market value: Close on τ−1 × the latest share count dated on or before τ−1 (none from a count "
        "dated before a split, the closes being split-adjusted); abnormal dollar value = "
        "Σ_τ AR_τ × MarketCap_{τ−1}; value per deal dollar = that value ÷ the disclosed deal size.",
        "Other news (⚑): an earnings release whose reaction session (the release date for pre-market and "
        "intraday releases on a session, else the next session, whatever the study's day-0 rule; that day or "
        "the next for a release of unknown time) falls in the window"
        + (
            " (not the event's own: the events are earnings releases, and a release within one session of an "
            "event's day 0 is the event)"
            if config.get("events_are_earnings") is True
            else ""
        )
        + ", another event of the same firm whose "
        "day 0 falls in it, or a news-file line (McWilliams & Siegel 1997). A window is also flagged when "
        f"its day other than day 0 with the largest |t| has |t| ≥ {min_t:g}, carries at least {share:.0%} of "
        "the CAR and moves more than day 0 (only that day is tested).",
        "Ecosystem peers (role peer): estimated like parties; never in a value-per-deal table.",
        "Software: " + fmt.md(", ".join(f"{k} {v}" for k, v in sorted(manifest["versions"].items()))) + ".",
    )
    return Section("methods", "Methods", bullets=bullets)


def _command_text(command: object) -> str:
    """The report's command line: the ``eventstudy`` command as typed, or that the study ran from
    Python (a folder of an older version recorded a script's or a notebook kernel's arguments)."""
    if isinstance(command, list) and command and command[0] != "eventstudy":
        return f"Command: none (run from Python, in {fmt.code(str(command[0]))})"
    return "Command: " + (fmt.code(shell_line(command)) if isinstance(command, list) else fmt.md(command))


def _origin_text(origin: Mapping[str, Any]) -> str:
    """Where results saved again came from: the folder they were loaded from and the run that
    computed them (its command and commit)."""
    commit = origin.get("git_commit")
    computed = _command_text(origin.get("command")).removeprefix("Command: ")
    first = origin.get("first_loaded_from")
    changed = origin.get("changed_in_python")
    return (
        f"Results loaded from {fmt.code(str(origin.get('folder', '?')))}"
        + (f" (first loaded from {fmt.code(str(first))})" if first and first != origin.get("folder") else "")
        + f" and saved again, not computed here; computed by: {computed}"
        + (f", project commit {fmt.md(str(commit))}" if commit else "")
        + (" with uncommitted changes" if commit and origin.get("git_dirty") else "")
        + (
            f"; then changed in Python ({fmt.md(', '.join(map(str, changed)))}): not the tables that run "
            "computed"
            if isinstance(changed, list) and changed
            else ""
        )
    )


def reproducibility_section(manifest: Mapping[str, Any]) -> Section:
    command = manifest.get("command")
    commit = manifest.get("git_commit")
    dirty = manifest.get("git_dirty")
    events = manifest["inputs"].get("events", {})
    peers = manifest.get("peers", [])
    bullets = [
        _command_text(command),
        "Project commit: "
        + (
            fmt.md(commit) + (" with uncommitted changes" if dirty else "")
            if commit
            else "not a git checkout"
        ),
        (
            f"Events file: {fmt.md(events.get('path', '?'))} (SHA-256 {fmt.md(events.get('sha256', '?'))})"
            if "path" in events
            else f"Events: a DataFrame (content SHA-256 {fmt.md(events['content_sha256'])}; "
            "verify with --events FILE)"
        ),
        f"Peers: {fmt.md(', '.join(map(str, peers))) or 'none'}",
        "Re-run and compare: eventstudy verify DIR (DIR = this folder; exit 0 when identical)",
    ]
    origin = manifest.get("loaded_from")
    if isinstance(origin, dict):  # results loaded from a folder and saved again: who computed them
        bullets.insert(1, _origin_text(origin))
    engine = manifest.get("engine")
    if isinstance(engine, dict):  # a study run on Dask (eventstudy.distributed)
        bullets.insert(
            1,
            f"Engine: {fmt.md(str(engine.get('name')))}, pairs partitioned by ticker (at most "
            f"{fmt.md(str(engine.get('rows_per_partition')))} a partition); statistics from sums merged in "
            "a fixed order, equal to an in-memory run's to about 1e-15 (verify re-runs it partitioned)",
        )
    return Section(
        "reproducibility",
        "Reproducibility",
        paragraphs=("Every input's hash, the configuration and the package versions are in manifest.json.",),
        bullets=tuple(bullets),
    )

"""Multiple testing in the report's stars: the paper tables and the findings mark a test that stays
significant after the Benjamini-Hochberg adjustment (stats.parquet's p_bh) with a dagger, next to
the conventional stars of its own p; on a synthetic stats frame where the two disagree."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from eventstudy.multiple_testing import adjusted_p_values
from eventstudy.report import fmt, sections
from eventstudy.report.findings import Stats, group_table, headline
from eventstudy.report.tables import (
    TESTS,
    bh_family,
    legend,
    paper_tables,
    recorded_p_sources,
    to_latex,
    to_markdown,
)

WINDOWS = ["[0,0]", "[-1,+1]"]
# (window, statistic) -> (value, raw p). The families of group g: each of the five paper-table tests
# and the two dollar tests over the two windows (2 tests each); caar repeats cross_sectional_t's p,
# dollar_abnormal_value kp_adjusted_dollar_t's.
RAW = {
    ("[0,0]", "kp_adjusted_bmp_t"): (1.20, 0.23),
    ("[-1,+1]", "kp_adjusted_bmp_t"): (2.17, 0.03),  # ** but not after the adjustment: q = 2 x 0.03
    ("[0,0]", "cross_sectional_t"): (2.95, 0.004),  # *** and stays: ***†
    ("[-1,+1]", "cross_sectional_t"): (1.10, 0.28),
    ("[0,0]", "kp_adjusted_dollar_t"): (2.60, 0.009),
    ("[-1,+1]", "kp_adjusted_dollar_t"): (1.80, 0.07),  # * only
}


def synthetic_stats() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for window in WINDOWS:
        for statistic, _, _ in TESTS:
            value, p = RAW.get((window, statistic), (float(rng.normal()), float(rng.uniform(0.3, 0.9))))
            rows.append((window, statistic, value, p))
        cs_p = RAW[(window, "cross_sectional_t")][1]
        rows.append((window, "caar", 0.012 if window == "[0,0]" else 0.004, cs_p))
        t, p = RAW[(window, "kp_adjusted_dollar_t")]
        rows += [(window, "kp_adjusted_dollar_t", t, p), (window, "dollar_abnormal_value", 5e9, p)]
        rows.append((window, "dollar_z", 3 * t, p / 10))  # Patell-like: larger, a test of its own
        rows.append((window, "kp_average_correlation", 0.05, np.nan))  # descriptive: no test
    frame = pd.DataFrame(rows, columns=["window", "statistic", "value", "p"])
    frame.insert(0, "group", "g")
    return frame.assign(n=8, reference="synthetic")


def synthetic_car() -> pd.DataFrame:
    cars = [0.02, -0.01, 0.015, 0.03, 0.005, 0.01, -0.002, 0.012]
    return pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(8)] * 2,
            "ticker": [f"T{i}" for i in range(8)] * 2,
            "role": "supplier",
            "group": "g",
            "window": np.repeat(WINDOWS, 8),
            "outcome": "ok",
            "car": cars + [c * 2 for c in cars],
        }
    )


def test_daggers_follow_the_bh_adjusted_p_not_the_raw_p() -> None:
    stats = adjusted_p_values(synthetic_stats())
    family = stats[stats["p"].notna() & ~stats["statistic"].isin(["caar", "dollar_abnormal_value"])]
    assert bh_family(stats, "g") == 2 and len(family) == 14
    for _, tests in family.groupby("statistic"):  # each test over its windows
        oracle = multipletests(tests["p"].to_numpy(), method="fdr_bh")[1]
        np.testing.assert_allclose(tests["p_bh"].to_numpy(), oracle, rtol=1e-12)
    q = stats.set_index(["window", "statistic"])["p_bh"]
    assert q[("[-1,+1]", "kp_adjusted_bmp_t")] == pytest.approx(0.06)  # > 0.05 > its raw p, 0.03
    assert q[("[0,0]", "cross_sectional_t")] == pytest.approx(0.008)

    (table,) = paper_tables(stats, synthetic_car(), WINDOWS)
    assert table.family == 2 and table.family_note == "BH family: each test over its 2 windows"
    columns = {header: i + 5 for i, (_, header, _) in enumerate(TESTS)}
    day0, three = table.cells()
    assert day0[columns["KP-BMP t"]] == "+1.20"
    assert three[columns["KP-BMP t"]] == "+2.17**"  # raw stars, no dagger: not significant after BH
    assert day0[columns["CS t"]] == "+2.95***†" and three[columns["CS t"]] == "+1.10"
    assert not any(fmt.BH_MARK in c for c in three)

    text = legend()
    assert "† significant at 5% also after the Benjamini–Hochberg (1995) adjustment" in text
    assert "over the test's family: its windows in the group (manifest.json's p_family)" in text
    assert fmt.STARS_NOTE in text
    markdown = to_markdown([table], "t")
    assert f" {fmt.md('+2.95***†')} | " in markdown and f" {fmt.md('+2.17**')} | " in markdown
    assert "BH family: each test over its 2 windows; GRANK over-rejects with fewer than 50 pairs" in markdown
    assert "Benjamini–Hochberg" in markdown
    latex = to_latex([table], "t")
    assert r"+2.95$^{***\dagger}$" in latex and r"+2.17$^{**}$" in latex
    assert r"$^{\dagger}$ significant at 5\% also after the Benjamini--Hochberg" in latex
    section = sections.tests_section([table])
    assert section.tables[0].caption.startswith("**g** (BH family: each test over its 2 windows; GRANK over")
    assert any("A star without a dagger is weaker evidence" in p for p in section.paragraphs)


def test_findings_mark_the_adjusted_significance_and_quote_bh_q() -> None:
    stats = Stats(adjusted_p_values(synthetic_stats()))
    q = stats.row("g", "[-1,+1]", "kp_adjusted_bmp_t")["p_bh"]
    for window, robust, value in (("[0,0]", "+1.20", "+$5.0B***†"), ("[-1,+1]", "+2.17**", "+$5.0B*")):
        row = group_table(stats, window, twins=False).rows[0]
        assert [c.text for c in row[3:5]] == [robust, value], window
    assert "Benjamini–Hochberg" in group_table(stats, "[0,0]", twins=False).footnote
    parties = synthetic_car().assign(
        abnormal_value_usd=1e9, t=2.0, p=0.05, value_to_deal=np.nan, deal_usd=np.nan
    )
    main = parties[parties["window"] == "[-1,+1]"]
    sentences = headline(main, stats, "[-1,+1]", twins=False, excluded=False)
    verdict = next(s for s in sentences if s.startswith("Under the Kolari"))
    assert f"g (+0.40%, t = {fmt.md('+2.17**')}, BH q = {fmt.probability(q)})" in verdict
    assert fmt.probability(q) == f"{q:.3f}" and q > 0.05


def test_a_group_significant_under_kp_bmp_with_repeat_firms_is_told_the_two_way_clustered_t() -> None:
    """openai-compute's 12 rows are 7 firms' (ORCL and NVDA three times each): the headline said
    KP-BMP t = 2.51, significant, where the README's own simulation gives KP-BMP 14.8% at 5% when
    a firm's announcements move it alike, and the two-way clustered t, which holds there, had
    p = 0.13 (a referee)."""
    two_way = pd.DataFrame(
        {"group": "g", "window": WINDOWS, "statistic": "cluster_two_way_t", "value": [2.9, 1.31]}
    ).assign(p=[0.02, 0.23]).assign(n=8, reference="Cameron, Gelbach & Miller (2011)")
    stats = Stats(adjusted_p_values(pd.concat([synthetic_stats(), two_way], ignore_index=True)))
    parties = synthetic_car().assign(abnormal_value_usd=1e9, t=2.0, p=0.05, value_to_deal=np.nan)
    main = parties[parties["window"] == "[-1,+1]"]

    def verdict(rows: pd.DataFrame) -> str:
        return next(s for s in headline(rows, stats, "[-1,+1]", twins=False, excluded=False) if "Kolari" in s)

    assert "firm" not in verdict(main)  # eight firms, one event each
    repeated = main.assign(ticker=["T0", "T0", "T0", "T1", "T1", "T2", "T3", "T4"])
    said = verdict(repeated)
    assert (
        "BH q = 0.060; its 8 rows are of 5 firms, where KP-BMP over-rejects: the two-way clustered t is "
        f"{fmt.md('+1.31')}, p = 0.230)"
    ) in said, said
    # ... and the verdict is not "significant at 5%" on the test the sentence says over-rejects (a
    # referee): the two-way clustered t, which holds there, is not
    assert "is significant for no group once repeated firms are allowed for: " in said
    assert "KP-BMP's p, not the two-way clustered t's, is below 5% for g (+0.40%, t = " in said
    assert "significant at 5%" not in said
    both = pd.concat([synthetic_stats(), two_way.assign(p=0.01)], ignore_index=True)
    sentences = headline(repeated, Stats(adjusted_p_values(both)), "[-1,+1]", twins=False, excluded=False)
    assert "CAAR[-1,+1] is significant at 5% for g (+0.40%" in next(s for s in sentences if "Kolari" in s)
    failed = repeated.assign(outcome=["ok"] * 7 + ["failed"])  # rows without a CAR are no firm's
    assert "its 7 rows are of 4 firms," in verdict(failed)
    assert "its 8 rows are of 1 firm," in verdict(repeated.assign(ticker="T0"))
    stats = Stats(adjusted_p_values(synthetic_stats()))  # no clustered t among the statistics
    alike = "rows are of 5 firms, where KP-BMP over-rejects (cluster_two_way_t, which holds there, is not "
    assert alike in verdict(repeated)
    # without that t, the verdict says it rests on KP-BMP alone, not "significant at 5%" (a finder)
    assert "CAAR[-1,+1] is significant at 5% on KP-BMP alone for g (+0.40%" in verdict(repeated)
    # exclude_confounded: the test left out the windows holding other news, and so does the count
    undefined = Stats(adjusted_p_values(pd.concat([synthetic_stats(), two_way.assign(p=np.nan)])))
    sentences = headline(repeated, undefined, "[-1,+1]", twins=False, excluded=False)
    said = next(s for s in sentences if "Kolari" in s)
    assert "over-rejects (the two-way clustered t, which holds there, is not computable: too few" in said
    flags = pd.array([True, False, False, True] + [False] * 4, dtype="boolean")
    flagged = repeated.assign(confounded=flags, confounders="earnings")
    excluded = headline(flagged, stats, "[-1,+1]", twins=False, excluded=True)
    said = next(s for s in excluded if "Kolari" in s)
    assert "its 6 rows are of 5 firms, where KP-BMP over-rejects (cluster_two_way_t" in said
    # Peers are measured on every event: the group's rows repeat its firms (it was never said, its
    # rows being no party's).
    stats = Stats(adjusted_p_values(pd.concat([synthetic_stats(), synthetic_stats().assign(group="peers")])))
    peers = main.assign(role="peer", group="peers", ticker=["P0", "P1"] * 4)
    sentences = headline(main, stats, "[-1,+1]", twins=False, excluded=False, peers=peers)
    said = next(s for s in sentences if "Kolari" in s)
    assert said.count("rows are of") == 1 and "peers (+0.40%, t = " in said
    assert "its 8 rows are of 2 firms," in said
    # one group held, one refuted by the two-way clustered t: each its own verdict (a finder: the
    # refuted one followed "significant at 5% for ..." with no verdict of its own)
    held, refuted = two_way.assign(p=[0.01, 0.01]), two_way.assign(group="peers")
    groups = [synthetic_stats(), synthetic_stats().assign(group="peers"), held, refuted]
    mixed = Stats(adjusted_p_values(pd.concat(groups, ignore_index=True)))
    sentences = headline(repeated, mixed, "[-1,+1]", twins=False, excluded=False, peers=peers)
    said = next(s for s in sentences if "Kolari" in s)
    assert "days), CAAR[-1,+1] is significant at 5% for g (+0.40%" in said, said
    assert "; not significant once repeated firms are allowed for (KP-BMP's p below 5%, not the " in said
    assert "two-way clustered t's) for peers (+0.40%" in said


def test_a_leader_whose_window_holds_other_news_is_followed_by_the_leader_without_such_windows() -> None:
    """The report led "Most significant" with ORCL's earnings-day window (t = 7.57, ⚑) and named
    no unflagged row; AMD's +24.84% (t = 6.24) leads without such windows (a referee)."""
    stats = Stats(adjusted_p_values(synthetic_stats()))
    main = synthetic_car().assign(value_to_deal=np.nan, p=0.01)
    main = main[main["window"] == "[-1,+1]"].assign(
        t=[7.57, 6.24, -1.0, 0.9, 0.5, 1.0, 2.0, 3.0],
        abnormal_value_usd=[1e9, 2e9, 3e9, 50e9, 4e9, 5e9, 6e9, 7e9],
        confounded=pd.array([True, False, False, True, None, False, False, False], dtype="boolean"),
        confounders="earnings τ0",
    )
    sentences = headline(main, stats, "[-1,+1]", twins=False, excluded=False)
    largest = next(s for s in sentences if s.startswith("Largest dollar move"))
    assert largest.startswith("Largest dollar move: **T3**")
    assert "Without other news: **T7**" in largest
    strongest = next(s for s in sentences if s.startswith("Most significant"))
    assert strongest.startswith("Most significant: **T0**")
    assert "τ0. Without other news: **T1** on e1, CAR[-1,+1] -2.00% (t = +6.24" in strongest
    undefined = main.assign(t=[7.57, np.nan, -1.0, 0.9, 0.5, 1.0, 2.0, 3.0])  # a NaN t leads nothing
    sentences = headline(undefined, stats, "[-1,+1]", twins=False, excluded=False)
    strongest = next(s for s in sentences if "Most" in s)
    assert "Without other news: **T7**" in strongest
    plain = headline(main.assign(confounded=False), stats, "[-1,+1]", twins=False, excluded=False)
    assert not any("Without other news" in s for s in plain)
    # exclude_confounded: the lead opened on ORCL's window that every statistic left out (a referee)
    kept = headline(main, stats, "[-1,+1]", twins=False, excluded=True)
    assert kept[0].startswith("Largest dollar move: **T7**") and not any("other news" in s for s in kept[:2])
    assert kept[1].startswith("Most significant: **T1** on e1, CAR[-1,+1] -2.00% (t = +6.24")
    alone = main.assign(confounded=True)
    assert headline(alone, stats, "[-1,+1]", twins=False, excluded=True)[0] == (
        "No (event, party) without other news has an estimated CAR over [-1,+1]."
    )


def test_the_dollar_stars_and_limitations_name_the_p_the_folder_holds() -> None:
    """A folder of an older version, re-rendered, said its dollar stars came from
    kp_adjusted_dollar_t while its cells held dollar_z's p (shock -$613.6B***); Limitations told
    a study without a value created what its value carried, and one that computed only the
    KP-adjusted dollar t that it had no Kolari-Pynnönen test (a finder)."""
    from eventstudy.report.findings import limitations_section

    stats = Stats(adjusted_p_values(synthetic_stats()))
    assert "stars from `kp_adjusted_dollar_t`" in group_table(stats, "[0,0]", twins=False).footnote
    older = synthetic_stats()
    older = older[older["statistic"] != "kp_adjusted_dollar_t"].copy()
    z = older["statistic"] == "dollar_z"
    older.loc[z, "p"] = older.loc[older["statistic"] == "dollar_abnormal_value", "p"].to_numpy()
    recorded = {"dollar_abnormal_value": "dollar_z"}
    for record in (recorded, None):  # the manifest's record, or none (older still)
        looked_up = Stats(older, recorded_p_sources(older, record))
        assert "stars from `dollar_z`" in group_table(looked_up, "[0,0]", twins=False).footnote
    car = synthetic_car().assign(ticker=["T0", "T0", "T1", "T2", "T3", "T4", "T5", "T6"] * 2)

    def small_samples(frame: pd.DataFrame, record: dict[str, str] | None = None) -> str:
        sources = recorded_p_sources(frame, record)
        section = limitations_section(car, frame, "[-1,+1]", "market", p_sources=sources)
        return section.bullets[0]

    kp = "(the value created carries the p of the KP-adjusted dollar t)."
    assert kp in small_samples(synthetic_stats())
    absent = "two-way clustered t (cluster_two_way_t, not among this study's statistics) does."
    assert absent in small_samples(synthetic_stats())
    assert "the value created carries the dollar Z's p: this folder is an older version's" in small_samples(
        older, recorded
    )
    caar_only = synthetic_stats()[lambda f: f["statistic"] == "caar"]
    said = small_samples(caar_only)
    assert "value created" not in said and "add kp_adjusted_bmp_t to statistics" in said
    dollars = ["dollar_abnormal_value", "kp_adjusted_dollar_t"]
    dollar_t = synthetic_stats()[lambda f: f["statistic"].isin(dollars)]
    said = small_samples(dollar_t)
    assert "none among this study's statistics" not in said and kp in said, said


def test_folders_without_adjusted_p_values_get_no_daggers() -> None:
    stats = synthetic_stats()  # written before p_bh existed
    (table,) = paper_tables(stats, synthetic_car(), WINDOWS)
    assert table.family == 0 and bh_family(stats, "g") == 0
    assert not any(fmt.BH_MARK in c for row in table.cells() for c in row)
    assert "Benjamini" not in to_markdown([table], "t") and "dagger" not in to_latex([table], "t")
    assert legend(adjusted=False).endswith("(two-sided).")
    assert "Benjamini" not in group_table(Stats(stats), "[0,0]", twins=False).footnote


def test_a_study_choosing_its_statistics_gets_their_columns_only() -> None:
    """statistics = [kp_adjusted_bmp_t, patell_z, dollar_abnormal_value, kp_average_correlation]:
    the tables kept the five standard columns (four empty) and had no patell_z column; the
    dollar row (repeating kp_adjusted_dollar_t's p) and the descriptive correlation (no p) are no tests."""
    stats = synthetic_stats()
    patell = pd.DataFrame(
        {"group": "g", "window": WINDOWS, "statistic": "patell_z", "value": [4.1, -0.2], "p": [4e-5, 0.84]}
    ).assign(n=8, reference="Patell (1976)")
    stats = adjusted_p_values(pd.concat([stats, patell], ignore_index=True))
    chosen = ["kp_adjusted_bmp_t", "patell_z", "dollar_abnormal_value", "kp_average_correlation"]
    (table,) = paper_tables(stats, synthetic_car(), WINDOWS, chosen=chosen)
    assert table.columns == ("Window", "CAAR", "Median", "% positive", "N", "KP-BMP t", "patell_z")
    day0, three = table.cells()
    assert day0[5:] == ["+1.20", "+4.10***†"] and three[5:] == ["+2.17**", "-0.20"]
    assert day0[1] == fmt.percent(0.012)  # CAAR stays: its column is not a test's
    markdown = to_markdown([table], "t")
    assert "| Window | CAAR | Median | % positive | N | KP-BMP t | patell_z |" in markdown
    told = "KP-BMP t: BMP t adjusted for cross-correlation (Kolari & Pynnönen 2010); patell_z: Patell (1976)."
    assert told in legend(table.tests)
    assert "CS t" not in markdown and "GRANK" not in markdown  # nor its small-sample note
    latex = to_latex([table], "t")
    assert r"\begin{tabular}{lrrrrrr}" in latex and r"N & KP-BMP t & patell\_z \\" in latex
    section = sections.tests_section([table])
    assert section.tables[0].columns == table.columns
    assert [c.text for c in section.tables[0].rows[0]][5:] == ["+1.20", "+4.10***†"]
    # it told every study that parties share a day, as if each announcement had several (a finder)
    assert section.paragraphs[0].startswith(
        "Which test to read: pairs whose windows share calendar days (the parties of one announcement, "
        "its peers, announcements days apart) are not independent, so the tests that assume independence "
        "(CS t, BMP t, generalized sign) overstate significance when they do; "
    )
    # Without a choice (the default battery) the five standard tests, whatever else stats holds.
    assert paper_tables(stats, synthetic_car(), WINDOWS)[0].tests == TESTS


@pytest.mark.parametrize("name", ["n", "window", "caar", "lambda", "bmp_t_p", "p"])
def test_a_chosen_tests_name_never_takes_another_cells_place(name: str) -> None:
    """A registered statistic named ``n`` showed its value as every window's N, ``window`` as the
    window, ``bmp_t_p`` (value 0.0001) gave BMP t the stars of a p it is not, and ``lambda``
    stopped the save (AttributeError): the table's row kept every test under its own name beside
    the fixed columns and read them back by attribute."""
    stats = synthetic_stats()
    mine = pd.DataFrame(
        {"group": "g", "window": WINDOWS, "statistic": name, "value": [123.0, 0.0001], "p": [0.5, 0.9]}
    ).assign(n=8, reference="mine (2026)")
    if name == "caar":
        stats = stats[stats["statistic"] != "caar"]
    stats = pd.concat([stats, mine], ignore_index=True)
    (table,) = paper_tables(stats, synthetic_car(), WINDOWS, chosen=["bmp_t", name])
    day0, three = table.cells()
    assert day0[0] == "[0,0]" and day0[4] == "8" and three[0] == "[-1,+1]"
    bmp = {w: stats[(stats.window == w) & (stats.statistic == "bmp_t")].iloc[0] for w in WINDOWS}
    assert day0[5] == fmt.starred(bmp["[0,0]"].value, bmp["[0,0]"].p)
    if name != "caar":  # caar is the CAAR column, never a test's
        # a name a column already has is told apart (two "N" columns read alike)
        header = f"{name} (test)" if name in ("n", "window") else name
        assert day0[6] == "+123.00" and table.columns[-1] == header
        assert len(set(map(str.casefold, table.columns))) == len(table.columns)
    assert f"| {fmt.md(table.columns[-1])} |" in to_markdown([table], "t") or name == "caar"


def test_twin_groups_show_the_tests_they_computed_and_the_legend_every_reference() -> None:
    """An unconfounded twin computes some tests only: its table had a column of dashes for each
    other chosen test, without a word why; the legend quoted one row's reference for a test of
    two (wilcoxon_w: exact p up to 50 pairs, normal beyond); and a study choosing no test got a
    legend of the five standard tests and the stars note."""
    stats = synthetic_stats()
    wilcoxon = pd.DataFrame(
        {"group": ["g", "g", "big", "big"], "window": WINDOWS * 2, "statistic": "wilcoxon_w",
         "value": [30.0, 28.0, 900.0, 880.0], "p": [0.04, 0.2, 0.3, 0.5],
         "reference": ["exact (n <= 50)", "exact (n <= 50)", "normal (n > 50)", "normal (n > 50)"]}
    ).assign(n=8)
    twin = stats[stats["statistic"].isin(["caar", "kp_adjusted_bmp_t"])].assign(group="g (unconfounded)")
    stats = pd.concat([stats, wilcoxon, twin], ignore_index=True)
    tables = paper_tables(stats, synthetic_car(), WINDOWS, chosen=["caar", "kp_adjusted_bmp_t", "wilcoxon_w"])
    by_group = {t.group: t for t in tables}
    assert by_group["g"].columns[5:] == ("KP-BMP t", "wilcoxon_w")
    assert by_group["g (unconfounded)"].columns[5:] == ("KP-BMP t",)
    assert by_group["big"].columns[5:] == ("wilcoxon_w",)
    text = legend(tuple(dict.fromkeys(t for table in tables for t in table.tests)))
    assert "wilcoxon_w: exact (n <= 50) / normal (n > 50)" in text
    assert "| Window | CAAR | Median | % positive | N | KP-BMP t |\n" in to_markdown(tables, "t")
    # No test chosen: CAAR tables, a legend of the columns shown, no stars note.
    only, *others = paper_tables(stats, synthetic_car(), WINDOWS, chosen=["caar", "dollar_abnormal_value"])
    assert only.columns == ("Window", "CAAR", "Median", "% positive", "N")
    assert all(t.columns == only.columns for t in others)
    markdown = to_markdown([only], "t")
    assert "CS t" not in markdown and fmt.STARS_NOTE not in markdown and "GRANK" not in markdown
    assert fmt.STARS_NOTE not in to_latex([only], "t").replace("\\", "")
    assert "CS t" not in to_markdown([], "t")


def test_a_caption_gives_the_family_sizes_of_the_tests_its_table_shows() -> None:
    """A chosen clustered t without a p over [-1,+1] has a family of one window, the other tests
    two: "1 to 2 windows"; a test of the group the table does not show is not counted (a referee:
    shock's caption said 3 to 4 windows over five tests of 4)."""
    cluster = pd.DataFrame(
        {"group": "g", "window": WINDOWS, "statistic": "cluster_date_t", "value": [2.5, np.nan]}
    ).assign(p=[0.01, np.nan], n=8, reference="Petersen (2009)")
    stats = adjusted_p_values(pd.concat([synthetic_stats(), cluster], ignore_index=True))
    (table,) = paper_tables(stats, synthetic_car(), WINDOWS, chosen=["kp_adjusted_bmp_t", "cluster_date_t"])
    assert (table.smallest_family, table.family) == (1, 2)
    assert table.family_note == "BH family: each test over its 1 to 2 windows"
    (shown,) = paper_tables(stats, synthetic_car(), WINDOWS)  # the five standard tests: 2 windows each
    assert shown.family_note == "BH family: each test over its 2 windows"
    said = sections.tests_section([shown]).paragraphs[1]
    assert said.startswith("Multiple testing: a group tested over several windows shows some stars")
    one = synthetic_stats()[lambda f: f["window"] == "[0,0]"]
    (alone,) = paper_tables(adjusted_p_values(one), synthetic_car(), ["[0,0]"])
    said = sections.tests_section([alone]).paragraphs[1]  # it opened "a group tested over several windows"
    assert said.startswith("Multiple testing: with one window, each test is its own family. Stars are")


def test_a_family_of_one_test_is_singular() -> None:
    """A group tested over one window read "BH family: 1 tests" (a finder)."""
    (table,) = paper_tables(adjusted_p_values(synthetic_stats()), synthetic_car(), WINDOWS)
    alone = "BH family: each test alone (one window: † is p < 0.05)"
    assert dataclasses.replace(table, family=1).family_note == alone
    # tests with p's in fewer windows (a clustered t without a [0,0]) are said, not the largest alone
    assert dataclasses.replace(table, family=4, smallest_family=3).family_note == (
        "BH family: each test over its 3 to 4 windows"
    )
    older = dataclasses.replace(table, family=1, per_statistic=False)  # a folder written before
    assert older.family_note == "BH family: 1 test, every window and test of the group"
    assert dataclasses.replace(table, family=0).family_note == ""


def test_no_group_total_is_said_to_stay_when_there_is_none() -> None:
    """With log returns every dollar total is NaN: Findings said "Without them, no group total
    changes" beside CAARs that did change (a finder). A total that is there and stays is said."""
    from eventstudy.report.findings import Stats, _without_sentence

    values = (("caar", 0.01), ("dollar_abnormal_value", np.nan), ("value_per_deal_dollar", np.nan))
    groups = ("g", "g (unconfounded)")
    rows = [(group, "[-1,+1]", statistic, value) for group in groups for statistic, value in values]
    frame = pd.DataFrame(rows, columns=["group", "window", "statistic", "value"])
    parties = pd.DataFrame(columns=["event_id", "ticker", "value_to_deal", "clean"])
    said = _without_sentence(Stats(frame), "[-1,+1]", parties, "2 of 5 windows hold other news")
    assert said == "2 of 5 windows hold other news."
    frame.loc[frame["statistic"] == "dollar_abnormal_value", "value"] = 5e9
    said = _without_sentence(Stats(frame), "[-1,+1]", parties, "2 of 5 windows hold other news")
    assert said == "2 of 5 windows hold other news. Without them, no group total changes."


def test_the_advice_to_read_kp_says_when_the_study_did_not_compute_it() -> None:
    """statistics = ["patell_z"]: the report told the reader to read KP-BMP t, which it never
    computed (a finder); it says so now, and how to add it."""
    from eventstudy.report import findings

    stats = adjusted_p_values(synthetic_stats())
    chosen = stats[stats["statistic"].isin(["caar", "patell_z"])]
    (table,) = paper_tables(chosen, synthetic_car(), WINDOWS, chosen=["caar", "patell_z"])
    said = sections.tests_section([table]).paragraphs[0]
    assert "(KP-BMP t) corrects for that cross-correlation and for event-induced variance (not among " in said
    (full,) = paper_tables(stats, synthetic_car(), WINDOWS)
    assert "not among this study's statistics" not in sections.tests_section([full]).paragraphs[0]
    car = synthetic_car()
    kp = stats["statistic"] == "kp_adjusted_bmp_t"  # another KP test alone: it is there to read
    patell = pd.concat([chosen, stats[kp].assign(statistic="kp_adjusted_patell_z")])
    for frame, missing in ((chosen, True), (stats, False), (patell, False)):
        small = findings.limitations_section(car, frame, "[0,0]", "market").bullets[0]
        assert ("add kp_adjusted_bmp_t to statistics" in small) is missing, small
    # a study of earnings releases says the screen took each event's own release for it (a referee)
    said = " ".join(findings.limitations_section(car, stats, "[0,0]", "market").bullets)
    taken = "The events are taken for earnings releases (events_are_earnings): a release of an event's own"
    assert taken not in said
    earnings = findings.limitations_section(car, stats, "[0,0]", "market", events_are_earnings=True)
    assert taken in " ".join(earnings.bullets)
    # a referee's missing limitations: the market proxy may hold the parties, and deal sizes are
    # headline amounts; the proxy's sentence only where the model has a market proxy
    proxy = "If the market proxy (SPY), or another benchmark of the model (a row's own market, a sector fund)"
    assert proxy not in said and "over deal sizes as announced (headline amounts, often 'up to'" in said
    with_proxy = findings.limitations_section(car, stats, "[0,0]", "market", market="SPY")
    assert proxy in " ".join(with_proxy.bullets)
    # the sources of other news the study had: it named an earnings calendar and a news file that
    # a study had not (a finder)
    assert "is in the events file, the earnings calendar or the news file; the dominant-day" in said
    alone = findings.limitations_section(car, stats, "[0,0]", "market", news_sources=["the events file"])
    assert (
        "is in the events file (the cache held no earnings calendar of the study's tickers: no release was "
        "looked for); the dominant-day"
    ) in " ".join(alone.bullets)
    both = findings.limitations_section(car, stats, "[0,0]", "market", news_sources=findings.NEWS_SOURCES[:2])
    assert "is in the events file or the earnings calendar; the dominant-day" in " ".join(both.bullets)
    from eventstudy.report.build import _model_market

    assert _model_market({"model": {"settings": {"market": "SPY"}}}) == "SPY"
    assert [_model_market(m) for m in ({}, {"model": "market"}, {"model": {"settings": None}})] == [None] * 3

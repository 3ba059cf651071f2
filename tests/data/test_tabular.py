"""reading tables, task detection, one-hot encoding and the missing-value policy."""

import numpy as np
import pandas as pd
import pytest

from reglab.data import DataError, detect_task, encode, prepare, read_table


def test_read_csv_and_parquet_roundtrip(tmp_path):
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "g": ["a", "b", "a"], "y": [0.5, 1.5, 2.0]})
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet")
    for name in ("d.csv", "d.parquet"):
        pd.testing.assert_frame_equal(read_table(tmp_path / name), df)


@pytest.mark.parametrize(("content", "match"), [
    ("", "is empty"),
    ("a,b\n", "no data rows"),
    ("\n\n", "no columns"),
])
def test_read_bad_files(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(DataError, match=match):
        read_table(p)


def test_read_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found: .*nope.csv"):
        read_table(tmp_path / "nope.csv")


@pytest.mark.parametrize(("values", "task"), [
    ([0, 1, 1, 0], "binary"),
    ([0, 3, 1, 7], "counts"),
    ([0.5, 3.0, 1.2], "positive"),
    ([-0.5, 3.0, 1.2], "continuous"),
    (["a", "b", "a"], "binary"),
    (["a", "b", "c"], "multiclass"),
    ([True, False, True], "binary"),
])
def test_detect_task(values, task):
    assert detect_task(pd.Series(values)) == task


def test_detect_task_mostly_numeric_with_a_typo_names_the_row():
    with pytest.raises(DataError, match=r"target column 'y' is not numeric: row 2 has 'abc'"):
        detect_task(pd.Series(["1.5", "2.0", "abc", "3.1"]), "y")


def test_prepare_one_hot_with_note_and_baseline():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": ["b", "a", "c", "a"],
                       "y": [1.0, 2.0, 3.5, 4.0]})
    p = prepare(df, "y")
    assert p.feature_names == ["x", "g[b]", "g[c]"]
    np.testing.assert_array_equal(p.X[:, 1:], [[1, 0], [0, 0], [0, 1], [0, 0]])
    assert any("one-hot encoded 'g'" in n and "baseline 'a'" in n for n in p.notes)
    assert p.task == "positive"


def test_encode_reproduces_training_columns_for_one_row():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "g": ["b", "a", "c"], "y": [1.0, -2.0, 3.0]})
    p = prepare(df, "y")
    X1, names = encode(df.iloc[[2]], p.schema)
    assert names == p.feature_names
    np.testing.assert_array_equal(X1, p.X[[2]])
    with pytest.raises(DataError, match="level 'z' in row 0 that was not in the training"):
        encode(pd.DataFrame({"x": [1.0], "g": ["z"]}), p.schema)
    with pytest.raises(DataError, match="column 'g' is missing"):
        encode(pd.DataFrame({"x": [1.0]}), p.schema)


def test_missing_values_error_names_columns_and_drop_policy():
    df = pd.DataFrame({"x1": [1.0, np.nan, 3.0, 4.0], "x2": [1.0, 2.0, np.nan, np.nan],
                       "y": [1.0, 2.0, -3.0, 4.0]})
    with pytest.raises(DataError, match=r"3 of 4 rows have missing values in columns x1 \(1, "
                                        r"first in row 1\), x2 \(2, first in row 2\); pass "
                                        r"--drop-missing"):
        prepare(df, "y")
    p = prepare(df.assign(x2=[1.0, 2.0, 3.0, np.nan]), "y", drop_missing=True)
    assert p.X.shape == (2, 2)
    assert "dropped 2 of 4 rows" in p.notes[0]


@pytest.mark.parametrize(("df", "kwargs", "match"), [
    (pd.DataFrame({"x": [1, 2], "y": [1, 2]}), {"target": "z"},
     "target column 'z' not found; columns are: x, y"),
    (pd.DataFrame({"x": [1.0, 2.0], "y": [np.nan, np.nan]}), {"target": "y"},
     "no values at all .*: y"),
    (pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "a", "a"]}), {"target": "y"},
     "single class 'a'"),
    (pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]}),
     {"target": "y", "task": "continuous"}, "must be numeric for continuous regression: row 0"),
    (pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, -1.0, 2.0]}),
     {"target": "y", "task": "counts"}, "non-negative integer .* row 1 has -1"),
    (pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 2.0, 2.0]}), {"target": "y"},
     "constant"),
    (pd.DataFrame({"x": ["1", "2", "q"], "y": [1.0, 2.0, 3.0]}), {"target": "y"},
     None),
])
def test_prepare_errors(df, kwargs, match):
    if match is None:  # a text feature column is one-hot encoded, not an error
        assert prepare(df, **kwargs).X.shape == (3, 2)
        return
    with pytest.raises(DataError, match=match):
        prepare(df, **kwargs)


def test_formula_design_and_prediction_rows():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": ["a", "b", "a", "b"],
                       "y": [1.0, 4.1, 8.9, 16.2]})
    p = prepare(df, None, formula="y ~ x + I(x**2) + g")
    assert p.target == "y"
    np.testing.assert_array_equal(p.X[:, 1], df["x"] ** 2)
    X1, _ = encode(df.iloc[[0]], p.schema)  # one row with level 'a' still gets the g column
    np.testing.assert_array_equal(X1, p.X[[0]])
    with pytest.raises(DataError, match="differs from the target"):
        prepare(df, "x", formula="y ~ x")


@pytest.mark.parametrize("y,hint", [
    ([0, 1, 2, 2, 1, 0], True),        # class codes 0..2 or small counts: say so
    ([1, 2, 3, 4, 1, 2], True),        # 1..4
    ([0, 1, 2, 5, 1, 0], False),       # a gap: counts
    ([0, 3, 7, 12, 40, 2], False),     # many levels spread out: counts
    (list(range(12)) * 1, False),      # more than 10 levels: counts
])
def test_small_integer_targets_note_that_they_may_be_class_codes(y, hint):
    df = pd.DataFrame({"x": np.arange(len(y), dtype=float), "y": y})
    p = prepare(df, "y")
    assert p.task == "counts"
    assert any("if they are class codes" in n for n in p.notes) is hint
    # a task given explicitly gets no hint
    assert not any("class codes" in n for n in prepare(df, "y", task="counts").notes)


def test_identifier_and_date_columns_are_refused_with_what_to_do():
    n = 60
    df = pd.DataFrame({"id": [f"S{i}" for i in range(n)], "x": np.arange(n, dtype=float),
                       "y": np.arange(n, dtype=float) % 7})
    with pytest.raises(DataError) as err:
        prepare(df, "y")
    assert str(err.value) == ("feature column 'id' has 60 distinct text values in 60 rows (e.g. "
                              "'S0'); too many to one-hot encode: leave it out (--drop id) or "
                              "choose the features (--features A,B)")
    days = pd.date_range("2025-01-01", periods=n).strftime("%Y-%m-%d")
    with pytest.raises(DataError) as err:
        prepare(df.assign(id=days), "y")  # one column: the single-column wording
    assert str(err.value) == ("feature column 'id' looks like dates (e.g. '2025-01-01'): convert "
                              "them to a number (e.g. days since the first) or leave it out "
                              "(--drop id) or choose the features (--features A,B)")
    # the library's way out: exclude= or features=
    assert prepare(df, "y", exclude=["id"]).feature_names == ["x"]
    assert prepare(df, "y", features=["x"]).feature_names == ["x"]


def _small(**columns):
    """40 rows (review 6's mixed.csv/units.csv size): x, y and the given text columns."""
    rng = np.random.default_rng(6)
    return pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40), **columns})


def test_small_tables_refuse_identifiers_dates_and_numbers_with_units():
    # review 6 finding 4: each was one-hot encoded (39-40 dummies in 40 rows) without a word
    ids = [f"P{i:04d}" for i in range(40)]
    with pytest.raises(DataError) as err:
        prepare(_small(id=ids), "y")
    assert str(err.value) == ("feature column 'id' has 40 distinct text values in 40 rows (e.g. "
                              "'P0000'); too many to one-hot encode: leave it out (--drop id) or "
                              "choose the features (--features A,B)")
    # 21 values in 40 rows is over half: an identifier; 20 (two rows a level) is a factor
    with pytest.raises(DataError, match="has 21 distinct text values in 40 rows"):
        prepare(_small(id=[f"P{i % 21}" for i in range(40)]), "y")
    assert len(prepare(_small(g=[f"P{i % 20}" for i in range(40)]), "y").feature_names) == 20
    # dates beyond a small factor's levels (13 visit days); 3 visit days are a factor
    visits = [f"2024-01-{1 + i % 13:02d}" for i in range(40)]
    with pytest.raises(DataError) as err:
        prepare(_small(visit=visits), "y")
    assert str(err.value) == ("feature column 'visit' looks like dates (e.g. '2024-01-01'): "
                              "convert them to a number (e.g. days since the first) or leave it "
                              "out (--drop visit) or choose the features (--features A,B)")
    weights = [f"{60 + 0.1 * i:.1f} kg" for i in range(40)]
    with pytest.raises(DataError) as err:
        prepare(_small(weight=weights), "y")
    assert str(err.value) == ("feature column 'weight' looks like numbers with the unit 'kg' "
                              "(e.g. '60.0 kg'): strip the unit so that they read as numbers, or "
                              "leave it out (--drop weight) or choose the features (--features "
                              "A,B)")
    dose = [f"{5 * (1 + i % 13)}mg" for i in range(40)]
    with pytest.raises(DataError) as err:  # several: one message naming them all
        prepare(_small(id=ids, visit=visits, dose=dose), "y")
    assert str(err.value) == ("feature columns 'id' (40 distinct values in 40 rows, e.g. "
                              "'P0000'), 'visit' (dates, e.g. '2024-01-01'), 'dose' (numbers "
                              "with the unit 'mg', e.g. '5mg') cannot be one-hot encoded: convert "
                              "dates to a number (e.g. days since the first), strip units, or "
                              "leave them out (--drop id,visit,dose) or choose the features "
                              "(--features A,B)")


@pytest.mark.parametrize("levels", [
    ["a", "b", "c"],                      # a genuine 3-level factor in 40 rows still encodes
    ["Jan", "March", "May"],              # month names: pandas reads them as dates of year 1
    ["1-2", "3-4", "5-6"],                # ranges, e.g. age groups
    ["1st", "2nd", "3rd"],                # different suffixes: not a unit
    ["group 1", "group 2", "group 3"],    # the number comes last
    ["2WD", "4WD", "6WD"],                # a few values with a unit: a factor (R, sklearn)
    ["16GB", "32GB", "64GB"],
    ["2020Q1", "2020Q2", "2020Q3"],       # a few dates: a seasonal factor
    ["2024-01-15", "2024-02-15", "2024-03-15"],
])
def test_small_factors_still_encode(levels):
    p = prepare(_small(g=[levels[i % 3] for i in range(40)]), "y")
    assert p.feature_names == ["x", f"g[{levels[1]}]", f"g[{levels[2]}]"]
    assert f"one-hot encoded 'g' (3 levels; baseline {levels[0]!r})" in p.notes


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("semi.csv", "x;y;g\n1,5;2;a\n-0,25;3;b\n", {"x": [1.5, -0.25], "y": [2, 3], "g": ["a", "b"]}),
    ("semi_points.csv", "x;y\n1.5;2\n2.5;3\n", {"x": [1.5, 2.5], "y": [2, 3]}),
    ("tab.csv", "x\ty\n1.5\t2\n2.5\t3\n", {"x": [1.5, 2.5], "y": [2, 3]}),
    ("pipe.txt", "x|y\n1.5|2\n2.5|3\n", {"x": [1.5, 2.5], "y": [2, 3]}),
    ("space.txt", "x  y\n1.5 2\n2.5   3\n", {"x": [1.5, 2.5], "y": [2, 3]}),
    # quoted separators of another kind do not fool it
    ("quoted.csv", 'name,y\n"a;b;c",1\n"d;e;f",2\n', {"name": ["a;b;c", "d;e;f"], "y": [1, 2]}),
    ("one_column.csv", "y\n1\n2\n", {"y": [1, 2]}),
    # thousands marks: "1.234,5" (continental Europe) and quoted "1,234.5" (English)
    ("eu_thousands.csv", "year;sales;x\n2024;1.234,5;0,5\n2025;12.000;1\n2026;-987,25;2\n",
     {"year": [2024, 2025, 2026], "sales": [1234.5, 12000.0, -987.25], "x": [0.5, 1.0, 2.0]}),
    ("en_thousands.csv", 'id,sales\n1,"1,234.5"\n2,"12,000"\n3,5.5\n',
     {"id": [1, 2, 3], "sales": [1234.5, 12000.0, 5.5]}),
    # "1.234" alone is a decimal point; "1,5" in a tab file a decimal comma
    ("ambiguous.csv", "x;y\n1.234;2\n2.5;3\n", {"x": [1.234, 2.5], "y": [2, 3]}),
    ("tab_comma.txt", "x\ty\n1,5\t2\n2,25\t3\n", {"x": [1.5, 2.25], "y": [2, 3]}),
    ("decimal.tsv", "x\ty\n1,5\t2\n2,25\t3\n", {"x": [1.5, 2.25], "y": [2, 3]}),
    # only ";" makes "12,500" a decimal comma; a tab file reads it as English thousands
    ("tab_thousands.txt", "sales\tunits\n1,234\t5\n12,500\t6\n",
     {"sales": [1234, 12500], "units": [5, 6]}),
    ("semi_three.csv", "sales;units\n1,234;5\n12,500;6\n",
     {"sales": [1.234, 12.5], "units": [5, 6]}),
    ("en_half.csv", 'x,y\n"1,234.5",1\n.5,2\n', {"x": [1234.5, 0.5], "y": [1, 2]}),
    # digits grouped by spaces: French "1 234,5" (also no-break and narrow no-break spaces),
    # SI "1 234.5"; a unit ("12 kg") stays text
    ("fr_spaces.csv", "ventes;x\n1 234,5;0,5\n12 000;1\n-1 000 000,25;2\n",
     {"ventes": [1234.5, 12000.0, -1000000.25], "x": [0.5, 1.0, 2.0]}),
    ("fr_nbsp.csv", "ventes;x\n1\u00a0234,5;0,5\n12\u00a0000;1\n",
     {"ventes": [1234.5, 12000.0], "x": [0.5, 1.0]}),
    ("fr_narrow.csv", "ventes;x\n1\u202f234,5;0,5\n-12\u202f000;1\n",
     {"ventes": [1234.5, -12000.0], "x": [0.5, 1.0]}),
    ("si_spaces.csv", 'id,sales\n1,1 234.5\n2,12 000\n3,5.5\n',
     {"id": [1, 2, 3], "sales": [1234.5, 12000.0, 5.5]}),
    ("units.csv", "w;y\n12 kg;1\n3 kg;2\n", {"w": ["12 kg", "3 kg"], "y": [1, 2]}),
    # text and dates are not numbers and do not sway the choice
    ("dates.csv", "day;v\n2025-01-02;1,5\n2025-01-03;2,5\n",
     {"day": ["2025-01-02", "2025-01-03"], "v": [1.5, 2.5]}),
])
def test_read_table_finds_the_separator_and_number_marks(tmp_path, name, text, expected):
    p = tmp_path / name
    p.write_text(text)
    pd.testing.assert_frame_equal(read_table(p), pd.DataFrame(expected))


def test_read_table_takes_a_byte_order_mark_and_falls_back_to_windows_1252(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfx,y\n1,2\n2,3\n3,5\n")
    df = read_table(bom)
    assert df.columns.tolist() == ["x", "y"] and not df.attrs.get("reglab_notes")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Température;ventes\n1,5;3\n2,5;4\n3,0;6\n".encode("cp1252"))
    df = read_table(latin)
    assert df.columns.tolist() == ["Température", "ventes"]
    np.testing.assert_array_equal(df["Température"].to_numpy(), [1.5, 2.5, 3.0])
    note = "latin.csv is not UTF-8 (invalid continuation byte at byte 4); read it as Windows-1252"
    assert df.attrs["reglab_notes"] == [note]
    assert prepare(df, "ventes").notes[0] == note


@pytest.mark.parametrize("big", [1e10, 3e8])
def test_class_code_hint_never_allocates_the_value_range(big):
    # review 6 finding 1: {0, 1, 1e10} allocated np.arange(0, 1e10 + 1) (74.5 GiB) and crashed
    import time

    df = pd.DataFrame({"x": np.arange(6, dtype=float), "k": [0, 1, big, 1, 0, big]})
    start = time.perf_counter()
    p = prepare(df, "k")
    assert time.perf_counter() - start < 0.5
    assert p.task == "counts"
    assert not any("class codes" in n for n in p.notes)  # 0, 1, big: not consecutive


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".xlsm", ".ods", ".XLSX"])
def test_spreadsheets_are_refused_with_what_to_do(tmp_path, suffix):
    # review 6 finding 7: 'PK\x03\x04garbage' in fake.xlsx was "a header but no data rows"
    p = tmp_path / f"book{suffix}"
    p.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(DataError) as err:
        read_table(p)
    assert str(err.value) == (f"{p} is an Excel/ODS spreadsheet, which reglab does not read: "
                              "export the sheet as CSV (or Parquet) and pass that file")


def test_binary_and_utf16_files_are_not_read_as_text(tmp_path):
    import zipfile

    z = tmp_path / "packed.csv"  # a zip whatever its name: NUL bytes in its header
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("a.xml", "x" * 2000)
    with pytest.raises(DataError) as err:
        read_table(z)
    assert str(err.value) == (f"{z} does not look like delimited text (byte 5 is a NUL, as in "
                              "binary files): reglab reads delimited text (CSV, TSV) and Parquet "
                              "files")
    odd = tmp_path / "odd.dat"  # no NUL, but 0x81 is neither UTF-8 nor Windows-1252
    odd.write_bytes(b"x,y\n1,2\n\x98\x81,3\n")
    with pytest.raises(DataError) as err:
        read_table(odd)
    assert str(err.value) == (f"{odd} does not look like delimited text (byte 9, 0x81, is "
                              "neither UTF-8 nor Windows-1252): reglab reads delimited text "
                              "(CSV, TSV) and Parquet files")
    u16 = tmp_path / "unicode.txt"
    u16.write_bytes("x\ty\n1\t2\n".encode("utf-16"))
    with pytest.raises(DataError) as err:
        read_table(u16)
    assert str(err.value) == (f"{u16} is UTF-16 text (Excel's 'Unicode text'); save it as CSV "
                              "UTF-8: reglab reads delimited text (CSV, TSV) and Parquet files")


def test_windows_1252_note_names_the_byte_of_the_file_not_of_a_parser_chunk(tmp_path):
    p = tmp_path / "late.csv"  # pandas decodes in 256 KiB chunks: its offset was 0 here
    p.write_bytes(b"x,y\n" + b"1,2\n" * 250_000 + "\u00e9,3\n".encode("cp1252"))
    df = read_table(p)
    assert df.attrs["reglab_notes"] == ["late.csv is not UTF-8 (invalid continuation byte at "
                                        "byte 1000004); read it as Windows-1252"]
    assert df["x"].iloc[-1] == "\u00e9"


def test_quoted_header_with_spaces_around_the_separator(tmp_path):
    # review 6 item 11: the header read as ['id ', ' "income " ', 'x '] with the quotes kept
    p = tmp_path / "quoted.csv"
    p.write_text('"id" , "income " ,"x ",g\n0,"19,461",63.08, a\n1,"18,069",64.92, b\n'
                 '2, "1,000", 1.5,"  c"\n')
    df = read_table(p)
    assert df.columns.tolist() == ["id", "income", "x", "g"]
    np.testing.assert_array_equal(df["income"], [19461, 18069, 1000])
    np.testing.assert_array_equal(df["x"], [63.08, 64.92, 1.5])
    assert df["g"].tolist() == ["a", "b", "  c"]  # spaces inside quotes are data


@pytest.mark.parametrize(("header", "message"), [
    ("x,x,y", "columns 1 and 2 both named 'x'"),
    ("x,y,x ,z,z,z", "columns 1 and 3 both named 'x'; columns 4, 5 and 6 all named 'z'"),
])
def test_duplicated_column_names_are_refused_naming_them(tmp_path, header, message):
    # review 6 finding 9: 'x,x,y' was fitted as 'x' and 'x.1' without a word
    p = tmp_path / "dup.csv"
    width = len(header.split(","))
    p.write_text(header + "\n" + ",".join(["1"] * width) + "\n" + ",".join(["2"] * width) + "\n")
    with pytest.raises(DataError) as err:
        read_table(p)
    assert str(err.value) == (f"{p} has duplicated column names: {message}; give each column its "
                              "own name")
    # pandas' own 'x.1' in a header is a name like any other
    p.write_text("x,x.1,y\n1,2,3\n2,3,5\n")
    assert read_table(p).columns.tolist() == ["x", "x.1", "y"]


def test_errors_name_the_line_of_the_file_as_well_as_the_row(tmp_path):
    # review 6 finding 10: "row 9" counts data rows from 0; an editor shows that row on line 11
    p = tmp_path / "t.csv"
    p.write_text("\nx,g,y\n1.0,a,1\n2.0,b,oops\n\n  \n3.0,a,2\n4.0,,3\n5.0,b,-1\n")
    df = read_table(p)  # blank lines (1, 5, 6) are skipped: rows 0..4 are on lines 3 4 7 8 9
    with pytest.raises(DataError) as err:
        prepare(df, "y")
    assert str(err.value) == ("1 of 5 rows have missing values in columns g (1, first in row 3, "
                              "line 8); pass --drop-missing to drop them")
    with pytest.raises(DataError) as err:
        prepare(df, "y", drop_missing=True)
    assert str(err.value) == "target column 'y' is not numeric: row 1 (line 4) has 'oops'"
    df = df[df["y"] != "oops"]
    with pytest.raises(DataError) as err:
        prepare(df, "y", task="counts", drop_missing=True)
    assert str(err.value) == ("target column 'y' must be a non-negative integer for task counts: "
                              "row 4 (line 9) has -1")
    schema = prepare(df, "y", drop_missing=True).schema
    new = tmp_path / "new.csv"
    new.write_text("x,g\n1.0,a\n2.0,c\n")
    with pytest.raises(DataError) as err:
        encode(read_table(new), schema)
    assert str(err.value) == ("column 'g' has level 'c' in row 1 (line 3) that was not in the "
                              "training data (levels: a, b)")
    new.write_text("x,g\n1.0,a\nabc,b\n")
    with pytest.raises(DataError) as err:
        encode(read_table(new), schema)
    assert str(err.value) == "column 'x' must be numeric: row 1 (line 3) has 'abc'"


def test_rows_without_a_line_where_lines_and_rows_do_not_pair_up(tmp_path):
    p = tmp_path / "multiline.csv"  # a quoted field over two lines: rows and lines differ
    p.write_text('note,y\n"two\nlines",1\nok,x\n')
    with pytest.raises(DataError) as err:
        prepare(read_table(p), "y", task="continuous")
    assert str(err.value) == ("target column 'y' must be numeric for continuous regression: "
                              "row 1 has 'x'")
    # a DataFrame built in Python, and Parquet, have no lines
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["1", "2", "z"]})
    df.to_parquet(tmp_path / "d.parquet")
    for frame in (df, read_table(tmp_path / "d.parquet")):
        with pytest.raises(DataError) as err:
            prepare(frame, "y")
        assert str(err.value) == "target column 'y' is not numeric: row 2 has 'z'"


@pytest.mark.parametrize(("data", "rows", "expected"), [
    (b"x,y\n1,2\n3,4\n", 2, [[0, 2]]),
    (b"x,y\r\n1,2\r\n\r\n3,4", 2, [[0, 2], [1, 4]]),             # CRLF, no final newline
    (b"\n \nx,y\n1,2\n\n\t\n3,4\n\n5,6\n\n", 3, [[0, 4], [1, 7], [2, 9], [3, 11]]),
    (b'x,y\n"a\nb",2\n', 1, None),                                # a field over two lines
])
def test_row_lines_maps_rows_to_lines_skipping_blank_ones(data, rows, expected):
    from reglab.data._errors import row_lines

    assert row_lines(data, rows) == expected


def test_read_table_as_text_keeps_every_cell_as_written(tmp_path):
    """What predict copies through: the same rows and columns as the parsed table, each cell the
    text the file holds (leading zeros, TRUE, decimal commas; an empty cell is '')."""
    p = tmp_path / "t.csv"
    p.write_text("id;flag;x\n007;TRUE;1,5\n010;;2 500,25\n")
    raw = read_table(p, as_text=True)
    assert raw.to_dict("list") == {"id": ["007", "010"], "flag": ["TRUE", ""],
                                   "x": ["1,5", "2 500,25"]}
    parsed = read_table(p)
    assert parsed.shape == raw.shape and parsed["x"].tolist() == [1.5, 2500.25]

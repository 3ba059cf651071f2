"""CSV upload and drawn points: parsing, rescaling, class detection, errors naming row/column."""

from __future__ import annotations

import numpy as np
import pytest

from reglab.playground.protocol import ProtocolError
from reglab.playground.userdata import parse_csv, parse_points


def test_csv_with_header_and_word_labels():
    text = "height,weight,kind\n1,10,cat\n2,30,dog\n3,20,cat\n5,40,dog\n"
    d = parse_csv(text)
    assert d.problem == "binary" and d.n_classes == 2 and d.class_names == ("cat", "dog")
    np.testing.assert_array_equal(d.y, [0, 1, 0, 1])
    # Linear rescaling of each feature onto [-5, 5].
    np.testing.assert_allclose(d.X[:, 0], [-5, -2.5, 0, 5])
    np.testing.assert_allclose(d.X[:, 1], [-5, 5 / 3, -5 / 3, 5])
    assert d.columns == ("height", "weight", "kind")


def test_csv_without_header_integer_classes_and_regression():
    d = parse_csv("0,0,0\n1,0,1\n0,1,2\n1,1,0\n0.5,0.5,1\n")
    assert d.problem == "multiclass" and d.n_classes == 3
    r = parse_csv("0,0,0.5\n1,0,1.5\n0,1,2.5\n1,1,-0.5\n")
    assert r.problem == "regression"
    np.testing.assert_allclose(r.y, [-1 / 3, 1 / 3, 1, -1])


def test_many_distinct_integers_are_a_regression_target():
    rows = "\n".join(f"{i},{i % 3},{i}" for i in range(12))
    d = parse_csv(rows)
    assert d.problem == "regression" and d.target_range == (0.0, 11.0)
    # the page says how the labels were read (a student with 10 digit classes gets no surprise)
    assert d.notice == ("column 'y' has 12 distinct integers: read as a numeric target "
                        "(regression); at most 8 integers are classes, or write the labels as "
                        "words")


def test_real_target_keeps_its_range_and_classes_have_none():
    d = parse_csv("x,y,price\n0,0,10.5\n1,0,99.9\n0,1,50\n1,1,20\n")
    assert d.target_range == (10.5, 99.9) and d.notice == ""
    # -1 and +1 on the page are the CSV's smallest and largest price
    np.testing.assert_allclose(d.y[[0, 1]], [-1.0, 1.0], rtol=0, atol=1e-15)
    assert parse_csv("0,0,a\n1,0,b\n0,1,a\n1,1,b\n").target_range is None


@pytest.mark.parametrize("sep", ["\n", "\r\n"])
def test_csv_error_lines_count_blank_lines(sep):
    """Blank (and whitespace-only) lines are skipped by the reader but still counted: the
    error names the line in the file as an editor shows it."""
    text = sep.join(["a,b,c", "1,2,0", "", "   ", "3,oops,1", "4,5,0", "6,7,1", ""])
    with pytest.raises(ProtocolError) as info:
        parse_csv(text)
    assert str(info.value) == "CSV line 5, column 'b': 'oops' is not a finite number"
    with pytest.raises(ProtocolError) as info:
        parse_csv("\n1,2,0\n3,4,1\n\n5,6,0\n7,8,\n")
    assert str(info.value) == "CSV line 6, column 'y' is empty"


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("a,b\n1,2\n", "3 columns"),
    ("x,y,l\n1,2,0\n3,abc,1\n4,5,0\n6,7,1\n", "line 3, column 'y': 'abc'"),
    ("x,y,l\n1,2,0\n3,inf,1\n4,5,0\n6,7,1\n", "line 3, column 'y'"),
    ("x,y,l\n1,2,0\n3,4,\n4,5,0\n6,7,1\n", "line 3, column 'l' is empty"),
    ("x,y,l\n1,2,0\n1,4,1\n1,5,0\n1,7,1\n", "column 'x' is constant"),
    ("x,y,l\n1,2,0\n3,4,0\n5,5,0\n6,7,0\n", "1 classes"),
    ("x,y,l\n1,2,0\n3,4,1\n", "2 data rows"),
    ("1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,nan\n", "not finite"),
])
def test_csv_errors_name_line_and_column(text, needle):
    with pytest.raises(ProtocolError, match=None) as info:
        parse_csv(text)
    assert needle in str(info.value)
    assert info.value.field == "csv"


def test_csv_row_cap():
    text = "\n".join(f"{i},{i * 2 % 7},{i % 2}" for i in range(2001))
    with pytest.raises(ProtocolError, match="2001 data rows"):
        parse_csv(text)


def test_drawn_points():
    pts = [[1, 1, 0], [2, 2, 1], [-1, 3, 0], [4, -4, 1]]
    d = parse_points(pts, "binary")
    assert d.problem == "binary" and d.X.shape == (4, 2)
    np.testing.assert_array_equal(d.y, [0, 1, 0, 1])
    m = parse_points([[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 2]], "multiclass")
    assert m.n_classes == 3
    r = parse_points([[0, 0, -1], [1, 1, 0.5], [2, 2, 1], [3, 3, 0]], "regression")
    assert r.problem == "regression"


@pytest.mark.parametrize("points, problem, needle", [
    ([[0, 0, 0]] * 4, "binary", "at least two classes"),
    ([[0, 0, 0], [1, 1, 2], [0, 1, 0], [1, 0, 1]], "binary", "classes 0 and 1"),
    ([[0, 0, 0], [1, 1, 1.5], [0, 1, 0], [1, 0, 1]], "multiclass", "points[1]: class 1.5"),
    ([[0, 0, 0], [7, 1, 1], [0, 1, 0], [1, 0, 1]], "binary", "points[1]=(7, 1)"),
    ([[0, 0, 0], [1, 1], [0, 1, 0], [1, 0, 1]], "binary", "points[1] must be"),
    ([[0, 0, 0], [1, "a", 1], [0, 1, 0], [1, 0, 1]], "binary", "'a'"),
    ([[0, 0, 0], [1, 1, 2], [0, 1, 0], [1, 0, 1]], "regression", "points[1]: target 2"),
    ([[0, 0, 0]], "binary", "got 1"),
    ("nope", "binary", "got str"),
    ([[0, 0, 0]] * 4, "ordinal", "problem='ordinal'"),
])
def test_drawn_point_errors(points, problem, needle):
    with pytest.raises(ProtocolError) as info:
        parse_points(points, problem)
    assert needle in str(info.value)

from fs_model import score


def test_score_combines_the_features() -> None:
    assert score([1.0, 3.0], [1.0, 0.0]) == [-0.9, 2.0]


def test_score_of_no_rows() -> None:
    assert score([], []) == []

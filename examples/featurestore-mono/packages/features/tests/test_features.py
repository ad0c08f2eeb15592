from fs_features import ratio, zscores


def test_zscores_center_and_scale() -> None:
    assert zscores([1.0, 3.0]) == [-1.0, 1.0]
    assert zscores([2.0, 2.0]) == [0.0, 0.0]
    assert zscores([]) == []


def test_ratio_is_clipped() -> None:
    assert ratio(1.0, 4.0) == 0.25
    assert ratio(100.0, 1.0) == 10.0
    assert ratio(-1.0, 0.0) == -10.0
    assert ratio(1.0, 0.0) == 10.0

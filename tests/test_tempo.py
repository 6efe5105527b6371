"""Tempo maps: hand-computed times for each feature, and identities on random maps."""
from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drumtabber.errors import AlignmentError
from drumtabber.score import Bar, Meter
from drumtabber.tempo import TempoMap, qpm_of


def bars(*meters):
    return [Bar(i, Meter(*m), i + 1) for i, m in enumerate(meters)]


FOUR = bars(*[(4, 4)] * 8)


def test_constant_tempo_with_reference():
    m = TempoMap(FOUR, qpm=F(120), reference=(F(0), F(1)))
    assert m.beats_to_seconds(1, 1) == F(7, 2)              # 1 s + 5 quarters x 0.5 s
    assert m.seconds_to_beats(F(7, 2)) == (1, 1)
    assert m.beats_to_seconds(0, -1) == F(1, 2)             # before the reference


def test_beat_unit_changes_what_bpm_means():
    assert qpm_of(120, F(1, 8)) == 60                       # 120 eighths = 60 quarters
    assert qpm_of(60, F(3, 8)) == 90                        # 6/8 at 60 dotted quarters
    m = TempoMap(bars((6, 8), (6, 8)), qpm=qpm_of(60, F(3, 8)))
    assert m.beats_to_seconds(1, 0) == 2                    # a 6/8 bar is 2 dotted quarters
    assert m.beats_to_seconds(0, 1) == F(1, 3)              # an eighth at 180 eighths/min


def test_meter_changes_shift_bar_starts():
    m = TempoMap(bars((4, 4), (7, 8), (5, 4)), qpm=F(60))
    assert [m.beats_to_seconds(i, 0) for i in range(3)] == [0, 4, F(15, 2)]
    assert m.beats_to_seconds(1, 3) == F(11, 2)             # 3 eighths into the 7/8 bar


def test_sudden_changes():
    m = TempoMap(FOUR, qpm=F(120), changes=[(F(4), F(60)), (F(8), F(240))])
    assert m.quarters_to_seconds(F(4)) == 2
    assert m.quarters_to_seconds(F(8)) == 6
    assert m.quarters_to_seconds(F(10)) == F(13, 2)


def test_linear_ramp_integrates_to_a_logarithm():
    m = TempoMap(FOUR, qpm=F(120), ramps=[(F(4), F(8), F(120), F(60))])
    # 120 -> 60 quarters/min over 4 quarters: slope -15/quarter; t = 60/k ln(r(q)/r0)
    assert float(m.quarters_to_seconds(F(8))) == pytest.approx(2 + 4 * math.log(2), abs=1e-12)
    assert float(m.quarters_to_seconds(F(6))) == pytest.approx(2 - 4 * math.log(0.75), abs=1e-12)
    assert float(m.quarters_to_seconds(F(10))) == pytest.approx(4 + 4 * math.log(2), abs=1e-12)
    assert m.seconds_to_quarters(m.quarters_to_seconds(F(13, 2))) == pytest.approx(6.5, abs=1e-12)


def test_anchors_interpolate_and_extrapolate():
    m = TempoMap(FOUR, qpm=None, anchors=[(F(4), F(3)), (F(8), F(5)), (F(12), F(8))])
    assert m.quarters_to_seconds(F(0)) == 1                 # first pair's tempo backwards
    assert m.quarters_to_seconds(F(6)) == 4
    assert m.quarters_to_seconds(F(10)) == F(13, 2)
    assert m.quarters_to_seconds(F(16)) == 11               # last pair's tempo forwards
    assert m.seconds_to_quarters(F(10)) == F(44, 3)


def test_ramp_then_anchors_keeps_the_ramp_shape_stretched_to_the_anchors():
    # 120 qpm, ramp 120 -> 60 over quarters 4-8, first note at 0 s, anchors at q12 = 10 s and
    # q16 = 12 s: between 0 and q12 the tempo-map time (6 + 4 ln 2 s) is stretched to 10 s.
    m = TempoMap(FOUR, qpm=F(120), ramps=[(F(4), F(8), F(120), F(60))],
                 anchors=[(F(0), F(0)), (F(12), F(10)), (F(16), F(12))])
    assert float(m.quarters_to_seconds(F(4))) == pytest.approx(20 / (6 + 4 * math.log(2)))
    assert m.quarters_to_seconds(F(14)) == 11
    assert float(m.quarters_to_seconds(F(20))) == pytest.approx(16)


def test_offset_is_added_last():
    m = TempoMap(FOUR, qpm=F(120), offset_s=F(-1, 4))
    assert m.quarters_to_seconds(F(2)) == F(3, 4)
    assert m.seconds_to_quarters(F(3, 4)) == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(qpm=None), "no tempo"),
    (dict(qpm=F(120), anchors=[(F(4), F(2)), (F(8), F(1))]), "anchors must increase"),
    (dict(qpm=F(120), ramps=[(F(4), F(8), F(120), F(0))]), "ramp reaches 0 BPM"),
    (dict(qpm=F(120), changes=[(F(4), F(0))]), "above 0 BPM"),
    (dict(qpm=F(120), ramps=[(F(4), F(8), F(120), F(60))], changes=[(F(6), F(90))]),
     "inside a ramp"),
])
def test_bad_tempo_maps_are_errors(kwargs, message):
    with pytest.raises(AlignmentError, match=message):
        TempoMap(FOUR, **kwargs)


@st.composite
def tempo_maps(draw):
    meters = draw(st.lists(st.sampled_from([(4, 4), (3, 4), (7, 8), (6, 8), (5, 4)]),
                           min_size=2, max_size=10))
    bs = bars(*meters)
    m0 = TempoMap(bs, qpm=F(60))
    end = m0.bar_quarters[-1]
    qpm = F(draw(st.integers(40, 240)))
    points = sorted(set(draw(st.lists(st.integers(1, int(end) - 1), max_size=4))))
    changes = [(F(p), F(draw(st.integers(40, 240)))) for p in points]
    ramps = []
    if draw(st.booleans()) and end >= 3:
        ramps = [(end - 2, end - 1, F(draw(st.integers(40, 240))), F(draw(st.integers(40, 240))))]
        changes = [c for c in changes if c[0] < end - 2 or c[0] >= end - 1]
    anchors = []
    if draw(st.booleans()):
        qs = sorted(set(draw(st.lists(st.integers(0, int(end)), min_size=2, max_size=4))))
        t, anchors = F(draw(st.integers(0, 5))), []
        for q in qs:
            t += F(draw(st.integers(1, 400)), 100)
            anchors.append((F(q), t))
    return TempoMap(bs, qpm=qpm, changes=changes, ramps=ramps, anchors=anchors,
                    reference=(F(0), F(draw(st.integers(0, 10)))),
                    offset_s=F(draw(st.integers(-100, 100)), 100)), bool(ramps)


@settings(max_examples=200, deadline=None)
@given(tempo_maps(), st.data())
def test_beats_to_seconds_to_beats_is_the_identity_and_time_increases(pair, data):
    m, has_ramp = pair
    end = m.bar_quarters[-1]
    qs = sorted(data.draw(st.lists(st.fractions(min_value=-4, max_value=end + 4,
                                                max_denominator=12), min_size=2, max_size=8)))
    times = [m.quarters_to_seconds(q) for q in qs]
    assert all(b >= a for a, b in zip(times, times[1:]))
    for q, t in zip(qs, times):
        back = m.seconds_to_quarters(t)
        if has_ramp:
            assert float(back) == pytest.approx(float(q), abs=1e-9)
        else:
            assert back == q                                  # exact: no float anywhere
        bar, beat = m.quarters_to_position(q)
        assert m.position_to_quarters(bar, beat) == q if 0 <= q < end else True

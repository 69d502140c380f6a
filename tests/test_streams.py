"""Random streams: where each draw comes from (docs/engine.md, "Random numbers").

A stream's first eight draws are its first BLAKE2b block, one uniform per 64-bit word, through the
distribution's inverse CDF; later draws come in batches from a PCG64 seeded with its second block.
A unit's member group draws three numbers per member, member after member, from one stream, and
its re-page numbers from a fixed offset of the same stream, so a member's numbers depend on its
place in its unit alone.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import mobilising
from numpy.random import PCG64, Generator

from nukesim.scenario.distributions import LogNormal
from nukesim.sim.plan import compile_plan
from nukesim.sim.streams import Streams, _StreamSeed, block, replication_key, uniforms, unit
from nukesim.sim.team import REPAGE_OFFSET, member_draws

DIST = LogNormal(dist="lognormal", median=10, p90=30)


def test_a_stream_is_its_first_block_then_a_generator_seeded_with_its_second():
    key = replication_key(4, 2)
    draw = Streams(4, 2).sampler("handling:office:h0", DIST)
    got = [draw() for _ in range(8 + 16 + 3)]
    first = uniforms(block(key, "handling:office:h0"))
    assert got[:8] == [DIST.scalar_ppf()(u) for u in first]
    later = Generator(PCG64(_StreamSeed(block(key, "handling:office:h0", 1))))
    expected = DIST.ppf(later.random(16)).tolist() + DIST.ppf(later.random(32))[:3].tolist()
    assert got[8:] == pytest.approx(expected, rel=1e-12)


def test_streams_differ_by_name_replication_and_seed_and_repeat_exactly():
    def first(seed: int, replication: int, name: str) -> list[float]:
        draw = Streams(seed, replication).sampler(name, None)
        return [draw() for _ in range(12)]

    a = first(7, 0, "transit")
    assert a == first(7, 0, "transit")
    assert len({tuple(a), tuple(first(7, 1, "transit")), tuple(first(8, 0, "transit")),
                tuple(first(7, 0, "vehicles"))}) == 4
    assert all(0 < u < 1 for u in a)


def test_uniforms_never_reach_zero_or_one():
    assert unit(0) == 2.0**-54
    assert unit(2**64 - 1) == 1 - 2.0**-54
    assert DIST.scalar_ppf()(unit(0)) > 0  # the inverse CDF is finite at every uniform a stream gives


def _draws(size: int, repages: int = 0):
    team = {"units": {"a": {"size": 4}, "b": {"size": size}},
            "members": {"near": {"share": 0.5, "acknowledge": {"dist": "exponential", "mean": 5}},
                        "far": {"share": 0.5, "travel": {"dist": "lognormal", "median": 30, "p90": 60}}}}
    s = mobilising(team)
    return compile_plan(s).team, member_draws(compile_plan(s).team, s.team, Streams(3, 1), repages)


def test_a_member_keeps_its_numbers_when_its_unit_is_resized():
    small_plan, small = _draws(4, repages=2)
    big_plan, big = _draws(9, repages=2)
    for part, _g, start, stop in small_plan.unit_groups:
        other = next(p for p in big_plan.unit_groups if p[0] == part)
        for arr_small, arr_big in zip(small, big, strict=True):
            kept = min(stop - start, other[3] - other[2])
            assert np.array_equal(arr_small[start:start + kept], arr_big[other[2]:other[2] + kept]), part


def test_member_streams_are_three_numbers_per_member_then_repages_at_the_offset():
    plan, (reach, ack, travel, again) = _draws(3, repages=2)
    s = mobilising({"units": {"a": {"size": 4}, "b": {"size": 3}},
                    "members": {"near": {"share": 0.5, "acknowledge": {"dist": "exponential", "mean": 5}},
                                "far": {"share": 0.5}}})
    key = replication_key(3, 1)
    part, g, start, stop = plan.unit_groups[0]
    rng = Generator(PCG64(_StreamSeed(block(key, f"members:{part}"))))
    block3 = rng.random((stop - start, 3))
    assert np.array_equal(reach[start:stop], block3[:, 0])
    assert np.allclose(ack[start:stop], s.team.members[plan.groups[g]].acknowledge.ppf(block3[:, 1]))
    rng.bit_generator.advance(REPAGE_OFFSET - 3 * (stop - start))
    assert np.array_equal(again[start:stop], rng.random((stop - start, 2)))
    _, (reach0, ack0, travel0, none) = _draws(3)
    assert none is None
    assert np.array_equal(reach0, reach) and np.array_equal(travel0, travel), "re-pages move no other draw"

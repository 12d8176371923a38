"""A mapping's peak timeline: the time each new concurrency level was first reached."""

import unittest

from lanes_esm.stats import MappingStats


class PeakTimelineTest(unittest.TestCase):
    def test_each_new_level_is_recorded_once(self):
        stats = MappingStats("m-1")
        stats.invocation_started()
        stats.invocation_started()
        stats.invocation_ended()
        stats.invocation_started()  # back to 2: not a new peak
        stats.invocation_started()
        levels = [level for _, level in stats.as_json()["peakTimeline"]]
        self.assertEqual(levels, [1, 2, 3])
        times = [t for t, _ in stats.as_json()["peakTimeline"]]
        self.assertEqual(times, sorted(times))

    def test_a_reset_starts_the_timeline_at_the_invocations_in_flight(self):
        stats = MappingStats("m-1")
        for _ in range(3):
            stats.invocation_started()
        stats.reset()
        self.assertEqual(stats.as_json()["peakTimeline"], [[0.0, 3]])
        stats.invocation_started()
        self.assertEqual([level for _, level in stats.as_json()["peakTimeline"]], [3, 4])


if __name__ == "__main__":
    unittest.main()

"""Unit tests of the scaling rules (no LocalStack needed beyond the import of lanes_esm.settings)."""

import unittest

from lanes_esm.scaling import MODE_PROVISIONED, MODE_STANDARD, Scaler, policy_for
from lanes_esm.settings import EsmSettings, SettingsError


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class PolicyForTest(unittest.TestCase):
    def test_standard_mode_starts_at_five_and_is_capped_by_maximum_concurrency(self):
        policy = policy_for({"ScalingConfig": {"MaximumConcurrency": 50}}, EsmSettings())
        self.assertEqual(
            (policy.mode, policy.initial, policy.floor, policy.ceiling, policy.scale_up_per_minute),
            (MODE_STANDARD, 5, 5, 50, 300),
        )

    def test_a_cap_below_five_is_also_the_start(self):
        policy = policy_for({"ScalingConfig": {"MaximumConcurrency": 3}}, EsmSettings())
        self.assertEqual((policy.initial, policy.ceiling), (3, 3))

    def test_without_maximum_concurrency_the_mapping_limit_applies(self):
        self.assertEqual(policy_for({}, EsmSettings()).ceiling, 1000)

    def test_provisioned_mode_drives_ten_invocations_per_poller(self):
        policy = policy_for(
            {"ProvisionedPollerConfig": {"MinimumPollers": 2, "MaximumPollers": 5}}, EsmSettings()
        )
        self.assertEqual(
            (policy.mode, policy.floor, policy.ceiling, policy.scale_up_per_minute),
            (MODE_PROVISIONED, 20, 50, 1000),
        )

    def test_provisioned_defaults_are_two_and_two_hundred_pollers(self):
        policy = policy_for({"ProvisionedPollerConfig": {}}, EsmSettings())
        # An empty config is no provisioned mode (AWS needs at least one field).
        self.assertEqual(policy.mode, MODE_STANDARD)
        policy = policy_for({"ProvisionedPollerConfig": {"MinimumPollers": 3}}, EsmSettings())
        self.assertEqual((policy.floor, policy.ceiling), (30, 2000))

    def test_the_tag_overrides_the_rate_of_one_mapping(self):
        policy = policy_for({}, EsmSettings(), {"lanes:scale-up-per-minute": "1200"})
        self.assertEqual(policy.scale_up_per_minute, 1200)

    def test_an_unreadable_tag_keeps_the_default(self):
        policy = policy_for({}, EsmSettings(), {"lanes:scale-up-per-minute": "fast"})
        self.assertEqual(policy.scale_up_per_minute, 300)


class ScalerTest(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()
        self.policy = policy_for({"ScalingConfig": {"MaximumConcurrency": 100}}, EsmSettings())
        self.scaler = Scaler(self.policy, clock=self.clock)

    def advance(self, seconds, step=0.25):
        for _ in range(int(seconds / step)):
            self.clock.now += step
            self.scaler.tick()

    def test_adds_300_per_minute_while_receives_come_back_full(self):
        self.scaler.observe_receive(10, 10)
        self.advance(6)
        self.assertEqual(self.scaler.target, 5 + 30)

    def test_does_not_grow_without_backlog(self):
        self.scaler.observe_receive(3, 10)
        self.advance(6)
        self.assertEqual(self.scaler.target, 5)

    def test_stops_at_the_ceiling(self):
        self.scaler.observe_receive(10, 10)
        self.advance(60)
        self.assertEqual(self.scaler.target, 100)

    def test_each_empty_receive_gives_one_batch_back_down_to_the_floor(self):
        self.scaler.observe_receive(10, 10)
        self.advance(2)
        self.assertEqual(self.scaler.target, 15)
        for _ in range(3):
            self.scaler.observe_receive(0, 10)
        self.assertEqual(self.scaler.target, 12)
        for _ in range(50):
            self.scaler.observe_receive(0, 10)
        self.assertEqual(self.scaler.target, 5)

    def test_a_throttle_stops_growth_and_gives_one_back(self):
        self.scaler.observe_receive(10, 10)
        self.advance(2)
        self.scaler.observe_throttle()
        self.assertEqual(self.scaler.target, 14)
        self.advance(2)
        self.assertEqual(self.scaler.target, 14)


class SettingsTest(unittest.TestCase):
    def test_defaults_are_the_aws_numbers(self):
        settings = EsmSettings.from_environment({})
        self.assertEqual(
            (settings.initial_concurrency, settings.scale_up_per_minute, settings.concurrency_limit),
            (5, 300, 1000),
        )

    def test_reads_the_environment(self):
        settings = EsmSettings.from_environment({"LANES_ESM_SCALE_UP_PER_MINUTE": "1200"})
        self.assertEqual(settings.scale_up_per_minute, 1200)

    def test_names_the_variable_of_a_bad_value(self):
        with self.assertRaisesRegex(SettingsError, "LANES_ESM_INITIAL_CONCURRENCY.*'five'"):
            EsmSettings.from_environment({"LANES_ESM_INITIAL_CONCURRENCY": "five"})


if __name__ == "__main__":
    unittest.main()

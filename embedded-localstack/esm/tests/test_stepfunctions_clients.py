"""Step Functions tasks share one assumed-role client factory per role instead of one per task."""

import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.credentials import (
    StateCredentials,
)
from localstack.services.stepfunctions.asl.utils import boto_client

from lanes_esm.stepfunctions_clients import AssumedRoleFactoryCache, stepfunctions_client_patches

ROLE = "arn:aws:iam::000000000000:role/workflow"


class FakeFactory:
    def __init__(self, credentials):
        self.credentials = credentials

    def get_client(self, service):
        return (service, self.credentials)


class FakeConnect:
    """Counts the roles assumed, as LocalStack's connect_to would with an STS call each."""

    def __init__(self):
        self.assumed = []
        self.lock = threading.Lock()

    def with_assumed_role(self, *, role_arn, **kwargs):
        with self.lock:
            self.assumed.append((role_arn, kwargs.get("session_name")))
            return FakeFactory(f"credentials-{len(self.assumed)}")


class AssumedRoleFactoryCacheTest(unittest.TestCase):
    def test_tasks_of_one_role_share_a_factory_even_when_they_start_together(self):
        fake = FakeConnect()
        patches = stepfunctions_client_patches()
        patches.apply()
        try:
            boto_client.connect_to = AssumedRoleFactoryCache(fake)
            start = threading.Barrier(8)

            def client(_):
                start.wait()
                return boto_client.boto_client_for("lambda", "us-east-1", StateCredentials(role_arn=ROLE))

            with ThreadPoolExecutor(8) as pool:
                clients = list(pool.map(client, range(8)))
            other = boto_client.boto_client_for("lambda", "us-east-1", StateCredentials(role_arn=f"{ROLE}-2"))
            elsewhere = boto_client.boto_client_for("lambda", "eu-west-1", StateCredentials(role_arn=ROLE))
        finally:
            patches.undo()
        self.assertEqual(clients, [("lambda", "credentials-1")] * 8)
        self.assertEqual(other, ("lambda", "credentials-2"))
        self.assertEqual(elsewhere, ("lambda", "credentials-3"))
        self.assertEqual(len(fake.assumed), 3)

    def test_a_kept_factory_is_replaced_after_its_time_and_a_named_session_is_never_kept(self):
        fake = FakeConnect()
        now = [0.0]
        connect = AssumedRoleFactoryCache(fake, ttl_seconds=900, clock=lambda: now[0])
        first = connect.with_assumed_role(role_arn=ROLE, region_name="us-east-1")
        now[0] = 899.0
        self.assertIs(connect.with_assumed_role(role_arn=ROLE, region_name="us-east-1"), first)
        now[0] = 900.0
        self.assertIsNot(connect.with_assumed_role(role_arn=ROLE, region_name="us-east-1"), first)
        connect.with_assumed_role(role_arn=ROLE, region_name="us-east-1", session_name="mine")
        connect.with_assumed_role(role_arn=ROLE, region_name="us-east-1", session_name="mine")
        self.assertEqual([name for _, name in fake.assumed], [None, None, "mine", "mine"])

    def test_the_patch_is_undone(self):
        original = boto_client.connect_to
        patches = stepfunctions_client_patches()
        patches.apply()
        self.assertIsInstance(boto_client.connect_to, AssumedRoleFactoryCache)
        patches.undo()
        self.assertIs(boto_client.connect_to, original)


if __name__ == "__main__":
    unittest.main()

"""DynamoDB Local's command carries the JVM options of LANES_DYNAMODB_JVM_OPTIONS."""

import os
import unittest
from unittest import mock

from localstack.services.dynamodb.server import DynamodbServer

from lanes_esm import dynamodb_local


class DynamoDbLocalOptionsTest(unittest.TestCase):
    def test_the_options_are_split_like_a_shell_would(self):
        environ = {"LANES_DYNAMODB_JVM_OPTIONS": "-XX:+UseParallelGC  -Dname='a b'"}
        self.assertEqual(
            dynamodb_local.extra_options(environ), ["-XX:+UseParallelGC", "-Dname=a b"]
        )
        self.assertEqual(dynamodb_local.extra_options({}), [])

    def test_the_command_before_the_jar_has_them(self):
        patches = dynamodb_local.dynamodb_local_patches()
        patches.apply()
        try:
            server = DynamodbServer(port=4567, db_path="/unused")
            server.heap_size = "1g"
            with mock.patch.dict(os.environ, {"LANES_DYNAMODB_JVM_OPTIONS": "-XX:+UseParallelGC"}):
                with mock.patch(
                    "localstack.services.dynamodb.server.dynamodblocal_package"
                ) as package:
                    package.get_installed_dir.return_value = "/ddb"
                    package.get_installer.return_value.get_ddb_agent_jar_path.return_value = "/a.jar"
                    command = server._create_shell_command()
        finally:
            patches.undo()
        self.assertLess(command.index("-XX:+UseParallelGC"), command.index("-jar"))
        self.assertIn("-Xmx1g", command)


if __name__ == "__main__":
    unittest.main()

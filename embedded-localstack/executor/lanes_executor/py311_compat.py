"""Python 3.11 compatibility shim for localstack-core 4.13.1, loaded at interpreter start.

localstack-core 4.13.1 declares Python >= 3.10, but ``localstack/packages/api.py`` evaluates the
annotation ``Lock | None`` at import time with ``from threading import Lock``. Before Python 3.13
``threading.Lock`` is a factory function, so the union raises ``TypeError`` and every LocalStack
package installer (DynamoDB Local, Lambda) fails to import. We replace ``threading.Lock`` with a
class whose instances are the same primitive locks, which makes the annotation valid and changes
nothing else (``Lock()`` still returns a ``_thread.lock``).
"""

import _thread
import sys
import threading

if sys.version_info < (3, 13) and not isinstance(threading.Lock, type):

    class Lock:  # noqa: D401 - mirrors threading.Lock
        """Drop-in for ``threading.Lock`` that is a type, so ``Lock | None`` is valid."""

        def __new__(cls, *args, **kwargs):
            return _thread.allocate_lock()

    threading.Lock = Lock

# ``localstack/services/kms/models.py`` (``generate_key_material_id``) calls
# ``uuid.uuid5(namespace, key_material)`` with ``bytes``, which ``uuid5`` accepts from Python 3.12
# on; on 3.11 every KMS CreateKey fails with "encoding without a string argument". This wrapper
# gives 3.11 the 3.12 behaviour (bytes are hashed as they are) and leaves str names untouched.
import uuid

if sys.version_info < (3, 12) and not getattr(uuid.uuid5, "_lanes_accepts_bytes", False):
    _uuid5 = uuid.uuid5

    def uuid5(namespace, name):
        if isinstance(name, (bytes, bytearray)):
            from hashlib import sha1

            digest = sha1(namespace.bytes + bytes(name)).digest()
            return uuid.UUID(bytes=digest[:16], version=5)
        return _uuid5(namespace, name)

    uuid5._lanes_accepts_bytes = True
    uuid.uuid5 = uuid5

# ``ast.parse`` on CPython before 3.13 keeps the depth counter of its C-to-Python AST conversion in
# interpreter-wide state; two threads converting at once (werkzeug compiles its URL rules with
# ``ast.parse``, and LocalStack serves requests, and its own in-memory calls, on many threads) can
# fail with "SystemError: AST constructor recursion depth mismatch". Seen under load as a failed
# Step Functions ``lambda.Invoke``. Parsing one tree at a time costs nothing measurable here.
import ast

if sys.version_info < (3, 13) and not getattr(ast.parse, "_lanes_serialised", False):
    _ast_parse = ast.parse
    _ast_lock = threading.RLock()

    def parse(*args, **kwargs):
        with _ast_lock:
            return _ast_parse(*args, **kwargs)

    parse._lanes_serialised = True
    ast.parse = parse

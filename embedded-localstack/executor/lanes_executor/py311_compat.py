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

"""A jupyter_client kernel manager for a kernel the worker did not start (the kernel server did).

Imported by the workers only (it imports jupyter_client).
"""

from __future__ import annotations

import contextlib
import os
import signal

from jupyter_client.manager import AsyncKernelManager


class ServedKernelManager(AsyncKernelManager):
    """A kernel manager for a running kernel handed out by the kernel server.

    nbclient uses it as it would use its own: ``client()``, ``is_alive()`` and
    ``interrupt_kernel()`` (SIGINT, for the time limit); shutting down kills the process.

    Parameters
    ----------
    record : dict
        The server's record of the kernel: ``pid`` and ``connection_file``.
    """

    def __init__(self, record: dict, **kw):
        super().__init__(**kw)
        self.load_connection_file(record["connection_file"])
        self.served = record

    @property
    def has_kernel(self) -> bool:
        """True: the kernel is running before this manager exists."""
        return self.served is not None

    @property
    def owns_kernel(self) -> bool:
        """False: the kernel server owns it."""
        return False

    async def is_alive(self) -> bool:  # type: ignore[override]
        """Whether the kernel's process runs (not a zombie)."""
        pid = self.served["pid"]
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                return fh.read().split(") ", 1)[1][:1] not in ("Z", "X")
        except FileNotFoundError:
            return False
        except OSError:  # no /proc: signal 0 says whether the pid exists
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            return True

    async def interrupt_kernel(self) -> None:  # type: ignore[override]
        """Interrupt the running cell (SIGINT: a KeyboardInterrupt in the kernel)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.served["pid"], signal.SIGINT)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        """Kill the kernel (it is never reused)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.served["pid"], signal.SIGKILL)

    async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        """Remove the connection file (the server removes the kernel's folder)."""
        self.cleanup_connection_file()

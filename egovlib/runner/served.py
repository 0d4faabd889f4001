"""Kernel manager and client for a kernel the worker did not start (the kernel server did).

Imported by the workers only (it imports jupyter_client).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

#: How long IOPub may stay silent while a kernel_info request is answered before the client
#: takes the channel for not yet connected and asks again (jupyter_client's own wait).
IOPUB_CHECK_S = 0.2


class ServedKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, ready as soon as the kernel answers.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been silent for 0.2 s,
    so every notebook waited 0.2 s for nothing (17 s of the 84 notebooks of ``--all-years``).
    This one checks the same things (the kernel answers kernel_info on the shell channel, and
    IOPub is connected) and is done when the kernel reports itself idle after that request:
    the kernel's last IOPub message for it, so nothing of the handshake is left to read.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Wait until the kernel answers kernel_info and its IOPub messages have arrived."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                if await self._idle_after(reply["parent_header"]["msg_id"]):
                    self._handle_kernel_info_reply(reply)  # jupyter_client's protocol check
                    return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    async def _idle_after(self, msg_id: str) -> bool:
        """Read IOPub up to the kernel's idle status for ``msg_id``; False if IOPub is silent."""
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=IOPUB_CHECK_S)
            except Empty:
                return False  # not connected yet (or the messages were lost): ask again
            if (
                msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
                and msg["parent_header"].get("msg_id") == msg_id
            ):
                return True


class ServedKernelManager(AsyncKernelManager):
    """A kernel manager for a running kernel handed out by the kernel server.

    nbclient uses it as it would use its own: ``client()``, ``is_alive()`` and
    ``interrupt_kernel()`` (SIGINT, for the time limit); shutting down kills the process.

    Parameters
    ----------
    record : dict
        The server's record of the kernel: ``pid`` and ``connection_file``.
    """

    client_class = DottedObjectName("egovlib.runner.served.ServedKernelClient")
    client_factory = Type(ServedKernelClient, klass=AsyncKernelClient)

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

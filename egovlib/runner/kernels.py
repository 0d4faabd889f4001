"""Kernels for `egov run`: a new kernel for every notebook, started ahead and pre-warmed.

A *kernel server* process (one per batch) does the heavy imports once, loads every reader's
table into memory, and then starts kernels ahead of demand: by default it ``fork()`` s itself,
so a new kernel is ready in a fraction of a second with the imports and tables already there,
shared copy-on-write; with ``--kernels spawn`` (or where fork is unsafe) each kernel is a new
Python process that does the same imports itself. Either way a kernel runs exactly one notebook
and is then killed, so nothing one notebook does (a changed library setting, a registered
group, an option) can reach another. No code is injected into the notebook's kernel.

Children never outlive `egov run`: every process the runner starts asks the Linux kernel to
kill it when its parent dies (``prctl(PR_SET_PDEATHSIG)``; on other systems a watchdog thread
polls the parent's pid), so ``kill -9`` of `egov run` takes the workers, the kernel server and
its kernels with it; the server, told by a SIGTERM, also removes the run's temporary folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import importlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

#: Heavy libraries imported before a notebook is assigned (in addition to the modules every
#: notebook of the batch imports itself). Their imports set no option a notebook could see
#: (rcParams, pandas options); they only register their own warning filters and loggers.
PREIMPORTS = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "pandera.pandas",
    "scipy.stats",
    "statsmodels.api",
    "matplotlib.pyplot",
    "seaborn",
    "pandas.io.formats.style",  # egovlib.report's tables (and their jinja2 templates)
    "pyarrow.dataset",  # the parquet cache's reader
    "linearmodels",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Modules a kernel imports while it starts (`IPKernelApp.initialize`): its shell, its debugger
#: (debugpy and its vendored pydevd: ~0.1 s of each kernel's start), the in-memory history's
#: sqlite3. Imported by the server before it forks, they cost each kernel nothing; none of them
#: starts a thread (a test checks the server still forks).
KERNEL_APP_IMPORTS = (
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.history",
    "IPython.extensions",
    "tornado.queues",
    "tornado.platform.asyncio",
    "sqlite3",
    "pdb",
    "faulthandler",
)
_PR_SET_PDEATHSIG = 1


# ------------------------------------------------------------------ process helpers
def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> str:
    """Make this process receive ``sig`` when its parent (``parent_pid``) dies.

    Linux: ``prctl(PR_SET_PDEATHSIG)``, delivered by the kernel at once, even after
    ``kill -9`` of the parent. Elsewhere: a daemon thread checks the parent pid every 0.5 s.
    Returns which mechanism is used.
    """
    if os.getppid() != parent_pid:  # the parent died before we could ask
        os._exit(1)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # died between the check and the prctl
                    os._exit(1)
                return "prctl"
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os.kill(os.getpid(), sig)

    threading.Thread(target=watch, name="egov-parent-watch", daemon=True).start()
    return "watchdog"


def kill_with_parent() -> None:
    """``preexec_fn``: the child is killed when the process that started it dies (Linux).

    For a child with a session of its own (Chromium printing a PDF), out of the runner's group.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing `rfc3987_syntax` (~2 s of grammar building per process).

    nbformat validates notebooks with jsonschema, which imports that optional package only to
    check the ``iri`` string format, which notebook schemas do not use. Called by the kernel
    server, its kernels and the workers only, never on import of egovlib.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def fork_is_safe() -> bool:
    """Whether kernels may be forked from a pre-warmed server.

    Linux only: on macOS, system frameworks used by numpy and matplotlib are not fork-safe.
    """
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def preimport(modules) -> list[str]:
    """Import ``modules``; returns the ones imported.

    Names that are not modules (``from a import func`` gives ``a.func``) are skipped.
    """
    done = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name) and exc.name != name.split(".")[0]:
                continue  # `egovlib.report.show_table`: an attribute, not a module
            if exc.name == name:
                continue
            raise
        done.append(name)
    return done


def _seed_global_rngs() -> None:
    # Unseeded draws (e.g. seaborn's strip-plot jitter) repeat from run to run; analysis seeds
    # remain notebook parameters.
    import random

    random.seed(0)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(0)


def run_kernel_app(connection_file: str, access_log: str) -> None:
    """Become an IPython kernel on ``connection_file`` (never returns).

    The data files the notebook reads are appended to ``access_log`` by
    `egovlib.sources.verified_path` (``$EGOV_ACCESS_LOG``).
    """
    from ..sources import ACCESS_LOG_ENV

    os.environ[ACCESS_LOG_ENV] = access_log
    _seed_global_rngs()
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [sys.argv[0], "-f", connection_file]
    app = IPKernelApp.instance()
    # History in memory (as nbclient asks of kernels it starts): no shared sqlite file.
    app.initialize(["-f", connection_file, "--HistoryManager.hist_file=:memory:"])
    app.start()
    os._exit(0)


# ------------------------------------------------------------------ the kernel server
class KernelServer:
    """Starts kernels ahead of demand and hands each one out once (runs in its own process)."""

    def __init__(self, run_dir: Path, mode: str, ready: int, total: int, preimports: list[str]):
        self.run_dir = run_dir
        self.mode = mode
        self.target_ready = max(1, ready)
        self.remaining = total  # kernels still to hand out in this batch
        self.preimports = preimports
        self.ready: list[dict] = []
        self.live: dict[int, dict] = {}  # pid -> kernel record (ready or handed out)
        self.procs: dict[int, subprocess.Popen] = {}
        self.count = 0
        self.info: dict = {}
        self.sock: socket.socket | None = None
        self.conn: socket.socket | None = None  # the request being answered (closed in children)

    # -- warm-up
    def warm_up(self) -> dict:
        """Do the imports and load the tables (fork mode) or fill the parquet cache (spawn).

        Returns time and memory.
        """
        t0 = time.monotonic()
        skip_slow_optional_imports()
        import ipykernel.kernelapp  # noqa: F401
        import jupyter_client.connect  # noqa: F401

        if self.mode == "fork":
            # debugpy warns on import that frozen stdlib modules may hide breakpoints: nobody
            # debugs a batch kernel, so its file check is off (its documented switch).
            os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
            preimport([*KERNEL_APP_IMPORTS, *self.preimports])
            # The kernels inherit the tables in memory (each notebook read them from the parquet
            # cache otherwise: ~0.15 s a kernel). Nothing a notebook could see changes:
            # `load_table` hands out copies, and still verifies and logs every file a notebook
            # reads; the server's own record of files read is emptied.
            _prefetch_tables()
            from ..report import warm_glossary

            warm_glossary()  # every report's end matter matches the glossary's terms
            gc.collect()
            gc.freeze()  # keep the warm objects out of the children's garbage collection
        else:
            _prefetch_tables()  # fill the parquet cache once, before the kernels read it
        return {"warm_up_s": round(time.monotonic() - t0, 2), "rss_mb": rss_mb(os.getpid())}

    # -- kernels
    def start_kernel(self) -> dict:
        """Start one kernel on Unix sockets in a folder of its own; returns its record."""
        from jupyter_client.connect import write_connection_file

        self.count += 1
        kdir = self.run_dir / f"k{self.count}"
        kdir.mkdir()
        conn = str(kdir / "connection.json")
        # Unix sockets in a private folder: parallel kernels never race for TCP ports.
        write_connection_file(
            conn,
            transport="ipc",
            ip=str(kdir / "s"),
            key=secrets.token_hex(16).encode(),
            shell_port=1,
            iopub_port=2,
            stdin_port=3,
            control_port=4,
            hb_port=5,
        )
        log = str(kdir / "access.log")
        if self.mode == "fork" and threading.active_count() == 1:
            pid = self._fork(conn, log)
        else:
            pid = self._spawn(conn, log)
        rec = {"pid": pid, "connection_file": conn, "access_log": log, "dir": str(kdir)}
        rec["mode"] = self.mode
        self.live[pid] = rec
        return rec

    def _fork(self, conn: str, log: str) -> int:
        server = os.getpid()
        pid = os.fork()
        if pid:
            return pid
        try:  # the child: becomes the kernel
            for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)  # interrupts a cell
            for s in (self.sock, self.conn):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()
            die_with_parent(server, signal.SIGKILL)
            name_process("egov-kernel")
            os.environ["JPY_PARENT_PID"] = str(server)
            run_kernel_app(conn, log)
        finally:
            os._exit(1)
        return 0  # not reached

    def _spawn(self, conn: str, log: str) -> int:
        cfg = {
            "connection_file": conn,
            "access_log": log,
            "preimport": self.preimports,
            "parent": os.getpid(),
        }
        cmd = [sys.executable, "-m", "egovlib.runner.kernels", "kernel", json.dumps(cfg)]
        env = {**os.environ, "JPY_PARENT_PID": str(os.getpid())}
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
        self.procs[proc.pid] = proc
        return proc.pid

    def top_up(self) -> None:
        """Start kernels until as many are ready as there are workers (or left to run)."""
        while len(self.ready) < min(self.target_ready, self.remaining):
            self.ready.append(self.start_kernel())

    def release(self, pid: int) -> None:
        """Kill a kernel that has run its notebook and remove its folder."""
        rec = self.live.pop(pid, None)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.reap()
        if rec:
            shutil.rmtree(rec["dir"], ignore_errors=True)

    def reap(self) -> None:
        """Collect the exit status of every kernel that ended (no zombies)."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.procs.pop(pid, None)

    def stop(self) -> None:
        """Kill every kernel of the server."""
        for pid in list(self.live):
            self.release(pid)

    # -- requests
    def serve(self, sock_path: str) -> None:
        """Answer requests (kernel, release, info, stop) on a Unix socket until stopped."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(sock_path)
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.top_up()
        while True:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                self.reap()
                continue
            self.conn = conn
            with conn:
                conn.settimeout(30)
                request = json.loads(_recv_line(conn) or "{}")
                op = request.get("op")
                if op == "kernel":
                    rec = self.ready.pop(0) if self.ready else self.start_kernel()
                    self.remaining = max(0, self.remaining - 1)
                    answer = rec
                elif op == "release":
                    self.release(int(request["pid"]))
                    answer = {}
                elif op == "info":
                    answer = {**self.info, "kernels_started": self.count}
                elif op == "stop":
                    self.stop()
                    answer = {}
                else:
                    answer = {"error": f"unknown request {op!r}"}
                with contextlib.suppress(OSError):
                    conn.sendall((json.dumps(answer) + "\n").encode())
            self.conn = None
            if op == "stop":
                return
            self.top_up()


def _recv_line(conn: socket.socket) -> str:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode()


def _prefetch_tables() -> None:
    """Load every reader's table once: raw files are parsed into the parquet cache once.

    Otherwise several kernels could parse the same file at the same time; forked kernels also
    inherit the tables held in memory.

    Errors are left for the notebooks that need the table: they show them where they occur.
    """
    from ..errors import EgovError
    from ..readers import forget_derived, load_table, readers
    from ..sources import forget_files_read

    for name in sorted(readers()):
        with contextlib.suppress(EgovError, OSError):
            load_table(name)
    # The server read them, not a notebook: no record of files read, and nothing built from the
    # tables (a parse may build the country table) that a kernel would use without reading.
    forget_files_read()
    forget_derived()


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """Resident memory of a process in MB (``VmRSS``, or ``VmHWM`` for its peak); Linux only."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, seconds; Linux only."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def server_main(cfg: dict) -> int:
    """Entry of the kernel server process (``python -m egovlib.runner.kernels server JSON``).

    ``cfg``: ``socket``, ``run_dir``, ``mode`` (fork or spawn), ``ready`` (kernels kept
    started ahead), ``total`` (kernels the batch needs), ``preimport`` (module names),
    ``parent`` (pid of `egov run`) and ``log`` (file for the output of the server and kernels).
    """
    run_dir = Path(cfg["run_dir"])
    # Kernels inherit stdout/stderr: a file, never a pipe nobody reads (a full pipe blocks).
    log_fd = os.open(cfg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)

    def on_term(signum, frame):
        # Our parent died (PR_SET_PDEATHSIG) or we were told to stop: the kernels die with us
        # (their own death signal); the run's temporary folder goes too.
        shutil.rmtree(run_dir, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by `egov run` alone
    die_with_parent(int(cfg["parent"]), signal.SIGTERM)
    name_process("egov-kernels")
    # Kernels are the server's own children: the matplotlib backend a new kernel would set.
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    mode = cfg.get("mode", "fork")
    if mode == "fork" and not fork_is_safe():
        mode = "spawn"
    server = KernelServer(
        run_dir, mode, int(cfg.get("ready", 1)), int(cfg.get("total", 1)), cfg["preimport"]
    )
    server.info = {"mode": mode, **server.warm_up(), "pid": os.getpid()}
    try:
        server.serve(cfg["socket"])
    finally:
        server.stop()
    return 0


def kernel_main(cfg: dict) -> int:
    """Entry of a spawned kernel (``python -m egovlib.runner.kernels kernel JSON``).

    ``cfg`` holds ``connection_file``, ``access_log``, ``preimport`` and ``parent``.
    """
    die_with_parent(int(cfg["parent"]), signal.SIGKILL)
    name_process("egov-kernel")
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    skip_slow_optional_imports()
    preimport(cfg["preimport"])
    run_kernel_app(cfg["connection_file"], cfg["access_log"])
    return 0


def name_process(name: str) -> None:
    """Name this process (``ps -o comm``, ``top``) so that its role is plain (Linux only)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


# ------------------------------------------------------------------ the client side
def request(sock_path: str, op: str, **fields) -> dict:
    """Send one request to the kernel server and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(120)
        s.connect(sock_path)
        s.sendall((json.dumps({"op": op, **fields}) + "\n").encode())
        return json.loads(_recv_line(s) or "{}")


def main(argv: list[str] | None = None) -> int:
    """``python -m egovlib.runner.kernels {server|kernel} JSON`` (started by the runner only)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 2 and argv[0] in ("server", "kernel"):
        cfg = json.loads(argv[1])
        return server_main(cfg) if argv[0] == "server" else kernel_main(cfg)
    print("usage: python -m egovlib.runner.kernels {server|kernel} JSON", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

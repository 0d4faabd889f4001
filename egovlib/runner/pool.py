"""The processes of a batch: one kernel server and N workers, all in one process group.

`egov run` (the parent) starts them, hands out notebooks longest first, and collects results.
Clean-up, on every path out:

- normal end, error, Ctrl-C or SIGTERM: the whole process group is killed at once
  (``killpg(SIGKILL)``), the children are reaped and the run's temporary folder is removed;
- ``kill -9`` of the parent: every child dies by its parent-death signal
  (``prctl(PR_SET_PDEATHSIG)``, see `kernels.die_with_parent`), the kernel server removes the
  temporary folder, and the next `egov run` removes any folder whose owner is gone (its
  ``alive.lock`` is no longer locked: a kernel-held lock, not a guess from a process id).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import EgovError
from . import kernels
from .execute import NotebookJob, NotebookResult

RUN_DIR_PREFIX = "egov-run-"
#: Memory one notebook (kernel + worker) needs when no earlier run has measured it, in MB
#: (the largest peak measured on the six notebooks of 2024, rounded up; see docs/runner.md).
DEFAULT_JOB_MB = 800
#: Memory of the kernel server (its imports, shared by every kernel it forks) when no earlier
#: run has measured it, in MB (about 270-310 MB measured in 2024, rounded up).
DEFAULT_SERVER_MB = 400
#: Longest Unix-socket path (sun_path is 108 bytes on Linux, 104 on macOS).
_SOCKET_PATH_MAX = 103
#: What the run adds to the temporary folder's path for its longest socket
#: (``/egov-run-XXXXXXXX/k1234/s-5``).
_SOCKET_SUFFIX = 30


class Interrupted(BaseException):
    """The run was stopped by Ctrl-C or SIGTERM."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def interruptible():
    """Turn SIGTERM (and SIGINT) into `Interrupted`, so every clean-up path runs."""

    def handler(signum, frame):
        raise Interrupted(signum)

    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for s in old:
            signal.signal(s, handler)
    except ValueError:  # not the main thread (e.g. a test runner thread): leave them be
        old = {}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM back for a short critical section (swapping report sets).

    They are delivered, and stop the run, right after it.
    """
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# ------------------------------------------------------------------ the temporary folder
def make_run_dir() -> tuple[Path, int]:
    """A private temporary folder for this run, with a lock held for the run's lifetime."""
    base = Path(tempfile.gettempdir())
    if len(str(base)) > _SOCKET_PATH_MAX - _SOCKET_SUFFIX:  # kernel sockets must fit
        base = Path("/tmp")
    sweep_run_dirs(base)
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir=base))
    fd = os.open(run_dir / "alive.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return run_dir, fd


def sweep_run_dirs(base: Path) -> list[Path]:
    """Remove temporary folders of runs that are gone (their ``alive.lock`` can be taken)."""
    removed = []
    for d in base.glob(RUN_DIR_PREFIX + "*"):
        lock = d / "alive.lock"
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue  # being created, or not ours
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # its run is alive
        shutil.rmtree(d, ignore_errors=True)
        os.close(fd)
        removed.append(d)
    return removed


# ------------------------------------------------------------------ memory and jobs
def memory_available_mb() -> float | None:
    """Memory this process may still use: MemAvailable, or the cgroup's limit if lower."""
    avail = None
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) / 1024
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            free = (int(limit) - used) / 2**20
            avail = free if avail is None else min(avail, free)
    return avail


@dataclass(frozen=True)
class JobPlan:
    """How many workers to start, and why."""

    jobs: int
    per_job_mb: float
    available_mb: float | None
    note: str = ""


def plan_jobs(
    requested: int | None,
    n_work: int,
    per_job_mb: float | None,
    cpus: int | None = None,
    server_mb: float | None = None,
) -> JobPlan:
    """Workers for ``n_work`` notebooks: the CPUs (or ``requested``), capped by memory.

    Each worker needs ``per_job_mb`` (its kernel's measured growth plus the worker; the
    largest value recorded by earlier runs, else `DEFAULT_JOB_MB`), and the kernel server needs
    ``server_mb`` once (else `DEFAULT_SERVER_MB`). The cap keeps 20 % of the available memory
    free, so `--all-years` never runs the machine out of memory; when it lowers the number of
    workers (asked for or the default), the plan's note says why.
    """
    cpus = cpus or os.cpu_count() or 1
    per_job = float(per_job_mb or DEFAULT_JOB_MB)
    server = float(DEFAULT_SERVER_MB if server_mb is None else server_mb)
    avail = memory_available_mb()
    cap = max(1, math.floor((0.8 * avail - server) / per_job)) if avail else cpus
    want = requested or cpus
    jobs = max(1, min(want, cap, max(1, n_work)))
    note = ""
    if want > cap and n_work > cap:
        asked = f"--jobs {requested}" if requested else f"one notebook per CPU ({cpus})"
        note = (
            f"{asked} lowered to {jobs}: each notebook needs about {per_job:.0f} MB, the kernel "
            f"server {server:.0f} MB, and {avail:.0f} MB are available"
        )
    return JobPlan(jobs, per_job, avail, note)


# ------------------------------------------------------------------ the pool
class Pool:
    """The kernel server and the workers of one batch (use as a context manager)."""

    def __init__(
        self,
        *,
        jobs: int,
        total: int,
        notebooks_dir: Path,
        preimports: Iterable[str],
        mode: str,
        export_imports: Iterable[str] = (),
    ):
        self.jobs, self.total, self.mode = jobs, total, mode
        self.export_imports = list(export_imports)
        self.notebooks_dir = notebooks_dir
        self.preimports = list(preimports)
        self.run_dir: Path = Path()  # made on entering (make_run_dir)
        self.lock_fd: int | None = None
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.pgid: int | None = None
        self.server_info: dict = {}

    def __enter__(self) -> Pool:
        self.run_dir, self.lock_fd = make_run_dir()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def socket_path(self) -> str:
        """The kernel server's Unix socket."""
        return str(self.run_dir / "server.sock")

    def _env(self) -> dict:
        env = dict(os.environ)
        env["PYTHONHASHSEED"] = "0"  # kernels inherit it: stable set and dict order
        env.setdefault("MPLBACKEND", kernels.INLINE_BACKEND)
        return env

    def _start(self) -> None:
        env = self._env()
        log = self.run_dir / "kernels.log"
        server_cfg = {
            "socket": self.socket_path,
            "run_dir": str(self.run_dir),
            "mode": self.mode,
            "ready": self.jobs,
            "total": self.total,
            "preimport": self.preimports,
            "parent": os.getpid(),
            "log": str(log),
        }
        self.server = subprocess.Popen(
            [sys.executable, "-m", "egovlib.runner.kernels", "server", json.dumps(server_cfg)],
            cwd=self.notebooks_dir,  # kernels start where their notebooks are
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,  # a group of its own: the terminal's Ctrl-C reaches `egov run` only
        )
        self.pgid = self.server.pid
        for i in range(self.jobs):
            errlog = open(self.run_dir / f"worker-{i}.log", "wb")  # noqa: SIM115
            try:
                worker_cfg = {
                    "parent": os.getpid(),
                    "socket": self.socket_path,
                    "export_imports": self.export_imports,
                }
                w = subprocess.Popen(
                    [sys.executable, "-m", "egovlib.runner.worker", json.dumps(worker_cfg)],
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errlog,
                    process_group=self.pgid,
                    text=True,
                    bufsize=1,
                )
            finally:
                errlog.close()
            w.log = self.run_dir / f"worker-{i}.log"  # type: ignore[attr-defined]
            self.workers.append(w)

    def run(
        self,
        jobs: list[NotebookJob],
        on_result: Callable[[NotebookJob, NotebookResult], None],
    ) -> None:
        """Execute ``jobs`` (in this order of priority) on the workers.

        ``on_result(job, result)`` is called in the parent as each one finishes.
        """
        self._queue = list(jobs)
        self._busy: dict[subprocess.Popen, NotebookJob] = {}
        sel = selectors.DefaultSelector()
        for w in self.workers:
            assert w.stdout is not None  # workers are started with stdout=PIPE
            sel.register(w.stdout, selectors.EVENT_READ, w)
            self._assign(w)
        while self._busy:
            events = sel.select(timeout=1.0)
            if not events:
                self._check_alive()
            for key, _ in events:
                w = key.data
                line = w.stdout.readline()
                job = self._busy.pop(w, None)
                if line and job is not None:
                    on_result(job, NotebookResult.from_json(json.loads(line)))
                    self._assign(w)
                    continue
                sel.unregister(w.stdout)  # the worker died
                if job is not None:
                    on_result(job, self._crashed(w, job))
                self._check_alive()

    def _assign(self, w: subprocess.Popen) -> None:
        """Give worker ``w`` the next notebook, if any is left."""
        if self._queue:
            job = self._queue.pop(0)
            self._busy[w] = job
            assert w.stdin is not None  # workers are started with stdin=PIPE
            w.stdin.write(json.dumps(job.to_json()) + "\n")
            w.stdin.flush()

    def _check_alive(self) -> None:
        """Stop with a clear error when no worker or no kernel server is left for the work."""
        if self._queue and not any(w.poll() is None for w in self.workers):
            log = self.workers[0].log  # type: ignore[attr-defined]
            raise EgovError(f"every worker of egov run died; see {log} for the reason")
        server = self.server
        if server is not None and server.poll() is not None and (self._busy or self._queue):
            raise EgovError(
                f"the kernel server stopped (exit code {server.returncode}): "
                f"{_tail(self.run_dir / 'kernels.log')}"
            )
        for w in self.workers:  # a live idle worker takes what a dead one left
            if w not in self._busy and w.poll() is None:
                self._assign(w)

    def _crashed(self, w: subprocess.Popen, job: NotebookJob) -> NotebookResult:
        code = w.wait(timeout=5)
        return NotebookResult(
            job.source.stem,
            job.year,
            "failed",
            0.0,
            job.parameters,
            f"its worker process died (exit code {code}): {_tail(w.log)}",  # type: ignore[attr-defined]
            set_name=job.set_name,
        )

    def info(self) -> dict:
        """The kernel server's facts (mode, warm-up time, memory), asked before closing."""
        with contextlib.suppress(OSError, ValueError):
            self.server_info = kernels.request(self.socket_path, "info")
        return self.server_info

    def close(self) -> None:
        """Kill every process of the batch at once, reap them, remove the temporary folder."""
        if self.pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, signal.SIGKILL)
        for p in [self.server, *self.workers]:
            if p is None:
                continue
            with contextlib.suppress(Exception):
                p.kill()
            with contextlib.suppress(Exception):
                p.wait(timeout=10)
            for stream in (p.stdin, p.stdout):
                with contextlib.suppress(Exception):
                    if stream is not None:
                        stream.close()
        self.pgid = None
        if self.run_dir != Path():
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = Path()
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None


def _tail(path: Path, n: int = 3) -> str:
    try:
        lines = [ln for ln in Path(path).read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "(no log)"
    return " | ".join(lines[-n:]) or "(empty log)"

"""Shared helpers for the real-agent benchmarks: free ports, agent processes (serf or the native meshwork binary)."""
import os, shutil, signal, socket, subprocess, tempfile, threading, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NATIVE = os.path.join(ROOT, "bench", "agents", "out", "meshwork")


def publish_native():
    """Publishes the NativeAOT meshwork binary once (the documented command), unless it is already there."""
    if not os.path.exists(NATIVE):
        subprocess.run(["dotnet", "publish", "src/Meshwork.Cli", "-c", "Release", "-r", "linux-x64", "-o", os.path.dirname(NATIVE), "-nologo", "-v", "q"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return NATIVE


def free_port():
    """A port free for TCP and UDP on 127.0.0.1."""
    while True:
        t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port)); return port
        except OSError:
            continue
        finally:
            t.close(); u.close()


def _default_signals():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Agent:
    """One agent process; kind is 'serf' or 'meshwork'."""

    def __init__(self, kind, name, join=None, handler=None, workdir=None, on_line=None):
        """on_line(agent, arrival_ns, line), if given, is called from a reader thread for every output line as it
        arrives (the line is also written to the log file); timestamps on arrival do not depend on the agent's clock."""
        self.kind, self.name = kind, name
        self.port, self.rpc = free_port(), free_port()
        self.log = open(os.path.join(workdir or tempfile.gettempdir(), f"{name}.log"), "w")
        if kind == "serf":
            args = ["serf", "agent", f"-node={name}", f"-bind=127.0.0.1:{self.port}", f"-rpc-addr=127.0.0.1:{self.rpc}"]
            args += [f"-join={join}"] if join else []
            args += [f"-event-handler={handler}"] if handler else []
        else:
            args = [NATIVE, "agent", "--node", name, "--bind", f"127.0.0.1:{self.port}", "--rpc-addr", f"127.0.0.1:{self.rpc}"]
            args += ["--join", join] if join else []
            args += ["--event-handler", handler] if handler else []
        self.started = time.monotonic()
        if on_line is None:
            self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_default_signals)
        else:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_default_signals, bufsize=0)
            threading.Thread(target=self._pump, args=(on_line,), daemon=True).start()

    def _pump(self, on_line):
        for raw in iter(self.proc.stdout.readline, b""):
            now = time.time_ns()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            on_line(self, now, line)
            try:
                self.log.write(line + "\n")
            except ValueError:  # log closed after a kill
                return

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))

    def members(self):
        out = subprocess.run(["serf", "members", f"-rpc-addr=127.0.0.1:{self.rpc}"], capture_output=True, text=True).stdout
        return {l.split()[0]: l.split()[2] for l in out.splitlines() if l.strip()}

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited")
            try:
                socket.create_connection(("127.0.0.1", self.rpc), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise TimeoutError(f"{self.name} not ready")

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

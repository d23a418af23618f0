"""The installed `ftscope` script as a user meets it: no tracebacks, clear exits, a usable prompt.

Every test here runs the real console script in a process of its own (a clean working folder,
no `.env`), because what they guard against (a traceback, a stuck terminal, a slow start) only
shows there.
"""

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme-ticket-routing.json"
# Variables that would change what these commands do if the machine running the tests had them
SCRUBBED = ("DATABASE_URL", "ANTHROPIC_API_KEY", "FTSCOPE_TODAY", "XDG_STATE_HOME")


def ftscope() -> str:
    script = shutil.which("ftscope", path=str(Path(sys.executable).parent))
    assert script, "the ftscope console script is not installed beside this Python"
    return script


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SCRUBBED}
    return {**env, "XDG_STATE_HOME": str(tmp_path / "state"), **extra}


def console(tmp_path, *argv, stdin=None, **extra):
    return subprocess.run(
        [ftscope(), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=environment(tmp_path, **extra),
        cwd=tmp_path,
    )


def test_ftscope_alone_prints_the_help_and_exits_0(tmp_path):
    done = console(tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: ftscope")
    for command in ("decide", "prices", "digest", "db", "doctor", "serve", "chat", "eval"):
        assert f"    {command} " in done.stdout


def test_doctor_names_a_database_url_it_cannot_use(tmp_path):
    done = console(tmp_path, "doctor", DATABASE_URL="bogus://sales:hunter2@db.internal/x")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "DATABASE_URL: unsupported database 'bogus': use sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST/DB (got 'bogus://sales:***@db.internal/x')"
    ]


def test_doctor_names_a_database_url_that_is_not_a_url(tmp_path):
    done = console(tmp_path, "doctor", DATABASE_URL="postgres//sales:hunter2@db.internal")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("DATABASE_URL: not a database URL: use sqlite:///PATH or ")
    assert line.endswith("(got 'postgres//sales:***@db.internal')")


def test_chat_names_a_database_it_cannot_use(tmp_path):
    done = console(tmp_path, "chat", "--database", "bogus://sales:hunter2@x", stdin="hello\n")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "--database: unsupported database 'bogus': use sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST/DB (got 'bogus://sales:***@x')"
    ]


def test_chat_takes_fly_s_postgres_scheme_like_database_url(tmp_path):
    """`--database postgres://...` is normalised as DATABASE_URL is: the error is the
    connection's (nothing listens on port 1), not an unknown scheme."""
    done = console(tmp_path, "chat", "--database", "postgres://u:hunter2@127.0.0.1:1/x")
    assert done.returncode == 2
    # bot.runtime.open_store's message; the driver's adds lines of its own
    assert done.stderr.startswith("DATABASE_URL: can't connect (OperationalError")
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr


def interrupted(tmp_path, argv, ready: str) -> subprocess.CompletedProcess:
    """Run `ftscope argv` with stdin left open, wait until stdout shows `ready` (the command
    is waiting for input), then send SIGINT as Ctrl-C does."""
    process = subprocess.Popen(
        [ftscope(), *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(tmp_path, PYTHONUNBUFFERED="1"),
        cwd=tmp_path,
    )
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while ready.encode() not in seen:
            assert time.monotonic() < deadline, f"never printed {ready!r}: {seen!r}"
            if select.select([process.stdout], [], [], 0.5)[0]:
                chunk = os.read(process.stdout.fileno(), 65536)
                assert chunk, f"exited before {ready!r}: {seen!r}"
                seen += chunk
        time.sleep(0.2)  # from printing to reading stdin
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(argv, process.returncode, seen + out, err)


def test_ctrl_c_in_chat_exits_130_quietly(tmp_path):
    done = interrupted(tmp_path, ["chat"], ready="Set the key for the full bot.")
    assert done.returncode == 130
    assert done.stderr == b"\n"  # the shell's prompt on a line of its own, no traceback


class Terminal:
    """`ftscope chat` at a pseudo-terminal: what a person types, and what they see."""

    def __init__(self, tmp_path):
        leader, follower = pty.openpty()
        self.leader = leader
        self.process = subprocess.Popen(
            [ftscope(), "chat"],
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=environment(tmp_path, TERM="xterm"),
            cwd=tmp_path,
        )
        os.close(follower)
        self.seen = b""

    def wait_for(self, text: bytes, after: int = 0) -> None:
        deadline = time.monotonic() + 60
        while text not in self.seen[after:]:
            assert time.monotonic() < deadline, f"never showed {text!r}: {self.seen!r}"
            if select.select([self.leader], [], [], 0.5)[0]:
                try:
                    chunk = os.read(self.leader, 65536)
                except OSError:  # the process ended: its side of the terminal closed
                    chunk = b""
                assert chunk, f"ended before showing {text!r}: {self.seen!r}"
                self.seen += chunk

    def type(self, keys: bytes) -> int:
        mark = len(self.seen)
        os.write(self.leader, keys)
        return mark

    def close(self) -> tuple[int, bytes]:
        try:
            _, err = self.process.communicate(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            os.close(self.leader)
        return self.process.returncode, err


def test_chat_at_a_terminal_edits_lines_and_keeps_a_history(tmp_path):
    terminal = Terminal(tmp_path)
    try:
        terminal.wait_for(b"you> ")
        mark = terminal.type(b"they want it to sound like our brand\r")
        terminal.wait_for(b"you> ", after=mark)
        # Up recalls the last message; without readline the terminal would echo ^[[A
        mark = terminal.type(b"\x1b[A")
        terminal.wait_for(b"sound like our brand", after=mark)
        terminal.type(b"\x15quit\r")  # Ctrl-U clears the recalled line
    finally:
        code, err = terminal.close()
    assert (code, err) == (0, b"")
    assert b"^[[A" not in terminal.seen
    assert b"Prompt: brand voice is a prompt job" in terminal.seen
    history = tmp_path / "state" / "ftscope" / "chat_history"
    assert "they want it to sound like our brand" in history.read_text()
    assert history.stat().st_mode & 0o077 == 0  # it holds client details: the user's only


def test_ctrl_c_at_the_chat_prompt_exits_130_and_keeps_the_history(tmp_path):
    terminal = Terminal(tmp_path)
    try:
        terminal.wait_for(b"you> ")
        mark = terminal.type(b"hello\r")
        terminal.wait_for(b"you> ", after=mark)
        time.sleep(0.2)
        terminal.process.send_signal(signal.SIGINT)
    finally:
        code, err = terminal.close()
    assert (code, err) == (130, b"\n")
    assert "hello" in (tmp_path / "state" / "ftscope" / "chat_history").read_text()


def test_chat_reads_a_piped_script_without_a_prompt(tmp_path):
    done = console(tmp_path, "chat", stdin="they want it to sound like our brand\n")
    assert done.returncode == 0, done.stderr
    assert "you> " not in done.stdout
    assert "Prompt: brand voice is a prompt job" in done.stdout
    assert not (tmp_path / "state").exists()  # no terminal, no history


@pytest.mark.parametrize("calls", ["1.5e7", "15000000.0", "1.5E+7"])
def test_decide_takes_a_whole_number_in_exponent_form(tmp_path, calls):
    facts = ACME.read_text().replace("15000000", calls)
    assert calls in facts
    done = console(tmp_path, "decide", "-", "--today", "2026-12-06", stdin=facts)
    assert done.returncode == 0, done.stderr
    expected = console(tmp_path, "decide", str(ACME), "--today", "2026-12-06")
    assert json.loads(done.stdout) == json.loads(expected.stdout)


@pytest.mark.parametrize(("calls", "shown"), [("1.5e-3", "0.0015"), ("15000000.5", "15000000.5")])
def test_decide_refuses_a_fraction_in_a_count(tmp_path, calls, shown):
    done = console(tmp_path, "decide", "-", stdin=f'{{"monthly_calls": {calls}}}')
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"monthly_calls: must be a whole number, got {shown}\n"


def test_commands_that_never_talk_to_claude_never_import_its_sdk(tmp_path):
    """The Anthropic SDK costs about a second of start-up: `--help`, `decide`, `prices
    history` and `digest --dry-run` don't load it (bench_cli_start.py has the times)."""
    probe = (
        "import contextlib, io, sys\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"    codes = [main(['decide', {str(ACME)!r}]), main(['prices', 'history']),\n"
        "             main(['digest', '--dry-run'])]\n"
        "print(codes, sorted(m for m in ('anthropic', 'uvicorn') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'ftscope.db'}"),
        cwd=tmp_path,
    )
    assert done.stdout == "[0, 0, 0] []\n", done.stderr

# cliserver.py SCRIPT SOCKET: the aws CLI with its modules imported once
# (e2e/framework/cliserver.go says why). SCRIPT is the aws CLI's own
# script (#!python, `import awscli.clidriver; sys.exit(main())`); every
# call forks a process from this one that runs SCRIPT as __main__ with the
# caller's argv, environment, working directory and stdin/stdout/stderr.
#
# A request is a 4-byte big-endian length, then JSON {"argv", "env",
# "cwd"}, sent with the caller's three descriptors (SCM_RIGHTS); the answer
# is the exit code and a newline. Closing the connection before the answer
# kills the call (a caller's timeout).
import gc
import importlib
import json
import os
import runpy
import select
import shutil
import signal
import socket
import struct
import sys

script, sock_path = sys.argv[1], sys.argv[2]

# What SCRIPT imports: the cost every fresh `aws` pays before main().
import awscli  # noqa: E402
import awscli.clidriver  # noqa: E402,F401


def warm():
    """Does here, once, the work every call repeats identically before it
    reads its own arguments: main() loads the CLI's plugins, which import
    awscli.handlers and with it every customization module (~250 modules,
    ~0.2 s of CPU a call on CI's cores), and builds a session. Each call
    still builds its own driver and session from its own environment; what
    it finds already done is the import, as a second `import` in one
    process would. A CLI without these (another version) just skips it."""
    try:
        import awscli.handlers  # noqa: F401
        awscli.clidriver.create_clidriver()
    except Exception as e:  # the calls then do it themselves, as before
        print("cliserver: warming up:", e, file=sys.stderr)


warm()


def read_request(conn):
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
        more = conn.recv(1 << 16)
        if not more:
            raise EOFError("short request")
        data += more
    (n,) = struct.unpack("!I", data[:4])
    return json.loads(data[4:4 + n]), fds


def run_cli(req, fds):
    """In the call's process: becomes a fresh `aws` run and exits."""
    for i, fd in enumerate(fds):
        if fd != i:
            os.dup2(fd, i)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    # awscli/__init__.py reads AWS_DATA_PATH when imported: run it again
    # with the caller's environment, as a fresh import would.
    importlib.reload(awscli)
    sys.argv = [script] + req["argv"]
    sys.path[0] = os.path.dirname(script)  # as when Python runs the script
    # Raises SystemExit(main()): the interpreter exits as a fresh run's
    # does (atexit handlers, flushed stdout and stderr).
    runpy.run_path(script, run_name="__main__")
    sys.exit(0)


def supervise(conn, req, fds):
    """In a process of its own per call: starts the call, answers its exit
    code, and kills it if the caller hangs up first."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a new process
    pid = os.fork()
    if pid == 0:
        conn.close()
        run_cli(req, fds)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    while True:
        ready, _, _ = select.select([conn, pidfd], [], [])
        if pidfd in ready:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            if code < 0:  # killed by a signal, as a shell reports it
                code = 128 - code
            try:
                conn.sendall(b"%d\n" % code)
            except OSError:
                pass
            os._exit(0)
        if conn in ready and not conn.recv(1):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os._exit(0)


def stop(*_):
    raise SystemExit(0)


def main():
    signal.signal(signal.SIGTERM, stop)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    # stdin is a pipe the test binary never writes: its end (EOF) is the
    # test binary's, however it ended (a timeout's panic skips its
    # cleanup), and this server's too.
    parent = os.dup(0)
    # Everything imported so far lives as long as this server, in every
    # call's process too: frozen, the calls' garbage collections skip it
    # instead of walking it, which writes to (so copies) every page of the
    # server's heap in each call's process — ~0.06 s of CPU a call.
    gc.collect()
    gc.freeze()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    while True:
        # Finished supervisors are reaped here rather than ignored
        # (SIGCHLD SIG_IGN), so their CPU — and their calls' — is counted in
        # this process's children's rusage, as a new process's would be
        # in the test's.
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        ready, _, _ = select.select([listener, parent], [], [])
        if parent in ready:
            return
        conn, _ = listener.accept()
        try:
            req, fds = read_request(conn)
        except Exception as e:  # a broken caller: drop it, keep serving
            print("cliserver: bad request:", e, file=sys.stderr)
            conn.close()
            continue
        if len(fds) != 3:
            print("cliserver: want 3 descriptors, got", len(fds), file=sys.stderr)
            for fd in fds:
                os.close(fd)
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            os.close(parent)
            supervise(conn, req, fds)
            os._exit(0)
        for fd in fds:
            os.close(fd)
        conn.close()


zygote = os.getpid()
try:
    main()
finally:
    if os.getpid() == zygote:
        # SIGTERM or the test binary gone: reap every call, so all of
        # their CPU is in the test's rusage.
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
        shutil.rmtree(os.path.dirname(sock_path), ignore_errors=True)

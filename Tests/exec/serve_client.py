"""The controller's side of `argosy-exec --serve`, for the tests in exec-tests.sh.

A request is three native uint32 (argc, envc, payload bytes) and argc + envc NUL-terminated strings; the reply an
int32 (the supervisor's pid, or -errno) with, as SCM_RIGHTS, a pidfd of the supervisor and the read end of its done
pipe.
"""
import os
import socket
import struct
import subprocess
import time


class Server:
    def __init__(self, binary):
        self.sock, theirs = socket.socketpair()
        self.process = subprocess.Popen([binary, "--serve"], stdin=theirs, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, close_fds=True)
        theirs.close()

    def request(self, argv, env, keep_fds=False):
        """The reply (None if the server closed the socket); with keep_fds, (reply, the descriptors passed)."""
        payload = b"".join(s.encode() + b"\0" for s in argv + env)
        self.sock.sendall(struct.pack("=III", len(argv), len(env), len(payload)) + payload)
        reply, passed = b"", []
        while len(reply) < 4:
            chunk, fds, _, _ = socket.recv_fds(self.sock, 4 - len(reply), 2)
            passed += fds
            if not chunk:
                break
            reply += chunk
        pid = struct.unpack("=i", reply)[0] if len(reply) == 4 else None
        if keep_fds:
            return pid, passed
        for fd in passed:
            os.close(fd)
        return pid

    def close(self, timeout=5):
        """Closes the socket, which ends the server; returns its exit status."""
        self.sock.close()
        return self.process.wait(timeout=timeout)

    def children(self):
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []


def exit_record(step, name="", seconds=10):
    """The exit record in STEP/status (of step NAME under --name), once written."""
    prefix = (name + " " if name else "") + "exit "
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(step + "/status") as f:
                for line in f.read().split("\n")[:-1]:
                    if line.startswith(prefix):
                        return line[len(prefix):]
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    return "<no exit record>"


def stdout_of(step):
    try:
        with open(step + "/stdout") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""

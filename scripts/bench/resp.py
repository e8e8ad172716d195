"""A minimal, binary-safe RESP2 client over a raw socket (Python standard library only).

Used by the benchmark helpers for pipelined commands: write many commands with send(), then read
their replies with read_reply() in the same order. Keys and values are bytes throughout.
"""

import socket


class RespError(Exception):
    """An error reply (-ERR ...). Returned, not raised, by read_reply() so pipelines can go on."""


def encode(*args):
    """Encodes one command as a RESP array of bulk strings; str and int arguments become bytes."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Connection:
    def __init__(self, host, port, timeout=120.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def close(self):
        self.sock.close()

    # -- writing --------------------------------------------------------------------------------

    def send(self, *commands):
        """Sends already encoded commands (bytes from encode()) in one write."""
        self.sock.sendall(b"".join(commands))

    def call(self, *args):
        """Sends one command and returns its reply; raises RespError on an error reply."""
        self.send(encode(*args))
        reply = self.read_reply()
        if isinstance(reply, RespError):
            raise reply
        return reply

    # -- reading --------------------------------------------------------------------------------

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed by server")
        if self.pos:
            self.buf = self.buf[self.pos:] + chunk
            self.pos = 0
        else:
            self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end]
                self.pos = end + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = self.buf[self.pos:self.pos + n]
        self.pos += n + 2
        return data

    def read_reply(self):
        """Reads one reply: bytes, int, None, list, or a RespError instance."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        raise ConnectionError("unexpected RESP reply: %r" % line[:80])

    def read_replies(self, n):
        return [self.read_reply() for _ in range(n)]


def scan_pages(conn, count=1000):
    """Yields the key lists of SCAN 0.. COUNT count pages until the cursor returns to 0."""
    cursor = b"0"
    while True:
        cursor, keys = conn.call("SCAN", cursor, "COUNT", count)
        if keys:
            yield keys
        if cursor == b"0":
            return

"""A local mail sink (aiosmtpd): the demo's SMTP server, and the real SMTP server of tests.

    python -m notifications.mailsink --port 1025 --dir var/mail

accepts every message and writes it to ``<dir>/<n>.eml`` (and prints its subject line);
in tests, :class:`MailSink` runs in-process on a free port and keeps the messages.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.smtp import SMTP


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        hook = self.sink.before_accept
        if hook is not None:
            await asyncio.get_running_loop().run_in_executor(None, hook, envelope)
        self.sink.store(envelope.content)
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server in a background thread. ``port`` 0 takes a free one (read ``.port``).

    ``before_accept(envelope)``: called (in a thread) before a message is accepted — tests
    use it to hold a sender mid-transfer. ``directory``: also write each message there.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        directory: Path | None = None,
        before_accept: Callable | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.directory = directory
        self.before_accept = before_accept
        self.raw: list[bytes] = []
        self._parsed: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server = None

    def store(self, raw: bytes) -> None:
        with self._lock:
            self.raw.append(raw)
            n = len(self.raw)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{int(time.time() * 1000)}-{n}.eml").write_bytes(raw)
            message = email.message_from_bytes(raw, policy=email.policy.default)
            print(f"mail {n}: to {message['To']}: {message['Subject']}", flush=True)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """The messages received so far, parsed (parsing waits until they are read)."""
        with self._lock:
            raw = list(self.raw)
        for data in raw[len(self._parsed) :]:
            self._parsed.append(email.message_from_bytes(data, policy=email.policy.default))
        return list(self._parsed[: len(raw)])

    def clear(self) -> None:
        with self._lock:
            self.raw.clear()
            self._parsed.clear()

    def count(self) -> int:
        with self._lock:
            return len(self.raw)

    def start(self) -> MailSink:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                self._loop.create_server(
                    lambda: SMTP(_Handler(self), hostname="icare-mailsink"), self.host, self.port
                )
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="mailsink", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.count() < count:
            time.sleep(0.02)
        return self.messages


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SMTP mail sink for the demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    sink = MailSink(args.host, args.port, directory=args.dir).start()
    print(f"mail sink on smtp://{args.host}:{sink.port}, messages in {args.dir}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()

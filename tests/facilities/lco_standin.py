"""A local HTTP server answering like the LCO observation portal and archive (responses
written here in the shape of LCO's API: request groups, requests, observations, frames)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

REQUEST_GROUP_ID = 1_834_001
REQUEST_ID = 3_412_907
FRAME_ID = 61_203_770
FRAME_BYTES = b"SIMPLE  =                    T" + b" " * 2850


class LCOStandIn:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.state = "PENDING"
        self.submit_error: dict | None = None
        self.delay_s = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self, body=None) -> None:
                owner.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "body": body,
                        "authorization": self.headers.get("Authorization"),
                    }
                )

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                self._record(body)
                if owner.delay_s:
                    time.sleep(owner.delay_s)
                path = urlsplit(self.path).path
                if path == "/api/requestgroups/":
                    if owner.submit_error is not None:
                        return self._answer(400, owner.submit_error)
                    return self._answer(201, owner.request_group(body))
                if path == f"/api/requestgroups/{REQUEST_GROUP_ID}/cancel/":
                    owner.state = "CANCELED"
                    return self._answer(200, {"id": REQUEST_GROUP_ID, "state": "CANCELED"})
                return self._answer(404, {"detail": "Not found."})

            def do_GET(self):
                self._record()
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path == f"/api/requests/{REQUEST_ID}":
                    return self._answer(
                        200,
                        {
                            "id": REQUEST_ID,
                            "state": owner.state,
                            "modified": "2026-12-02T01:00:00Z",
                        },
                    )
                if parts.path == f"/api/requests/{REQUEST_ID}/observations/":
                    block_state = "COMPLETED" if owner.state == "COMPLETED" else "PENDING"
                    return self._answer(
                        200,
                        [
                            {
                                "id": 88_123_456,
                                "state": block_state,
                                "start": "2026-12-02T02:10:00Z",
                                "end": "2026-12-02T02:25:00Z",
                                "site": "cpt",
                                "telescope": "1m0a",
                            }
                        ],
                    )
                if parts.path == "/api/requestgroups/" and query.get("request_id"):
                    return self._answer(
                        200,
                        {
                            "count": 1,
                            "next": None,
                            "previous": None,
                            "results": [{"id": REQUEST_GROUP_ID}],
                        },
                    )
                if parts.path == "/frames/" and query.get("REQNUM") == [str(REQUEST_ID)]:
                    return self._answer(
                        200,
                        {"count": 1, "next": None, "previous": None, "results": [owner.frame()]},
                    )
                if parts.path == f"/download/{FRAME_ID}":
                    return self._answer(200, FRAME_BYTES)
                return self._answer(404, {"detail": "Not found."})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def request_group(self, body: dict) -> dict:
        return {
            "id": REQUEST_GROUP_ID,
            "submitter": "grandma",
            "proposal": body.get("proposal"),
            "name": body.get("name"),
            "observation_type": "NORMAL",
            "operator": "SINGLE",
            "ipp_value": body.get("ipp_value"),
            "state": "PENDING",
            "created": "2026-12-02T00:00:00Z",
            "modified": "2026-12-02T00:00:00Z",
            "requests": [
                {
                    "id": REQUEST_ID,
                    "state": "PENDING",
                    "acceptability_threshold": 90,
                    "configurations": body["requests"][0]["configurations"],
                    "windows": body["requests"][0]["windows"],
                    "location": body["requests"][0]["location"],
                }
            ],
        }

    def frame(self) -> dict:
        return {
            "id": FRAME_ID,
            "basename": "cpt1m010-fa16-20261202-0101-e91",
            "filename": "cpt1m010-fa16-20261202-0101-e91.fits.fz",
            "DATE_OBS": "2026-12-02T02:12:03.123000Z",
            "REQNUM": REQUEST_ID,
            "PROPID": "GRANDMA2026B-001",
            "FILTER": "rp",
            "url": f"{self.url}/download/{FRAME_ID}",
        }

    def start(self) -> LCOStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

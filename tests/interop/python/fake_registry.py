#!/usr/bin/env python3
"""fake_registry.py — the two Schema Registry endpoints esc uses, in memory,
for tests where no real registry (Karapace, Confluent) is installed:
POST /subjects/<subject>/versions and GET /schemas/ids/<id>.

  fake_registry.py PORTFILE   listens on 127.0.0.1, a free port, written to PORTFILE
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

schemas = {}  # id -> schema text
ids = {}      # schema text -> id


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if not re.fullmatch(r"/subjects/[^/]+/versions", self.path):
            return self.reply(404, {"error_code": 404, "message": "not found"})
        n = int(self.headers.get("Content-Length", "0"))
        try:
            text = json.loads(self.rfile.read(n))["schema"]
            json.loads(text)
        except (ValueError, KeyError):
            return self.reply(422, {"error_code": 42201, "message": "Invalid schema"})
        if text not in ids:
            ids[text] = len(ids) + 1
            schemas[ids[text]] = text
        self.reply(200, {"id": ids[text]})

    def do_GET(self):
        m = re.fullmatch(r"/schemas/ids/(\d+)", self.path)
        if not m or int(m.group(1)) not in schemas:
            return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
        self.reply(200, {"schema": schemas[int(m.group(1))]})

    def log_message(self, *args):
        pass


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""fake_apis.py — local stand-ins for Slack, Linear and PagerDuty, for the
actions worker's integration tests. One http.server on 127.0.0.1 (a free
port, written to --port-file) answers:

  POST /api/conversations.create   Slack: {"ok":true,"channel":{"id","name"}}
  POST /api/conversations.invite   Slack: {"ok":true,"channel":{...}}
  POST /api/chat.postMessage       Slack: {"ok":true,"channel","ts"}
  POST /graphql                    Linear issueCreate: {"data":{"issueCreate":{...}}}
                                   (a repeated input.id is refused), issue(id:) lookup
  POST /v2/enqueue                 PagerDuty Events API v2: 202 {"status":"success",...}

Faults: --slack-429-once answers the first conversations.create 429 with
Retry-After: 1; --slack-name-taken-once answers the next one
{"ok":false,"error":"name_taken"}; --pagerduty-503 N answers the first N
PagerDuty events 503; --linear-error answers issueCreate 400 with a GraphQL
error; --slack-error E answers chat.postMessage {"ok":false,"error":E}. Every request is appended to --record as
one JSON line: time, path, authorization header, parsed body, status sent.
Stop it with SIGTERM."""
import argparse
import itertools
import os
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--record", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--slack-429-once", action="store_true")
ap.add_argument("--slack-name-taken-once", action="store_true")
ap.add_argument("--pagerduty-503", type=int, default=0,
                help="answer the first N PagerDuty events 503")
ap.add_argument("--linear-error", action="store_true",
                help="answer issueCreate 400 with a GraphQL error")
ap.add_argument("--slack-error", default="",
                help="answer chat.postMessage ok:false with this error")
args = ap.parse_args()

lock = threading.Lock()
faults = {"429": args.slack_429_once, "name_taken": args.slack_name_taken_once,
          "pd503": args.pagerduty_503}
ids = itertools.count(1)
issues = {}  # Linear issues by id


def take_fault(name):
    with lock:
        if faults[name]:
            faults[name] = int(faults[name]) - 1
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        return status

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        status = self.route(self.path, body)
        with lock, open(args.record, "a") as f:
            f.write(json.dumps({"t": time.time(), "path": self.path,
                                "authorization": self.headers.get("Authorization"),
                                "content_type": self.headers.get("Content-Type"),
                                "body": body, "status": status}) + "\n")

    def route(self, path, body):
        if path == "/api/conversations.create":
            if take_fault("429"):
                return self.answer(429, {"ok": False, "error": "ratelimited"},
                                   {"Retry-After": "1"})
            if take_fault("name_taken"):
                return self.answer(200, {"ok": False, "error": "name_taken"})
            return self.answer(200, {"ok": True, "channel": {
                "id": "C%06d" % next(ids), "name": body.get("name"), "is_channel": True}})
        if path == "/api/conversations.invite":
            return self.answer(200, {"ok": True, "channel": {"id": body.get("channel")}})
        if path == "/api/chat.postMessage":
            if args.slack_error:
                return self.answer(200, {"ok": False, "error": args.slack_error})
            return self.answer(200, {"ok": True, "channel": body.get("channel"),
                                     "ts": "%.6f" % time.time()})
        if path == "/graphql":
            if args.linear_error and "issueCreate" in body.get("query", ""):
                return self.answer(400, {"errors": [{"message": "Argument Validation Error",
                                                     "extensions": {"code": "INVALID_INPUT"}}]})
            var = body.get("variables") or {}
            if "issueCreate" not in body.get("query", ""):
                return self.answer(200, {"data": {"issue": issues.get(var.get("id"))}})
            inp = var.get("input") or {}
            with lock:
                if inp.get("id") in issues:
                    return self.answer(200, {"data": None, "errors": [
                        {"message": "Entity already exists",
                         "extensions": {"code": "INVALID_INPUT"}}]})
                k = next(ids)
                issue = {"id": inp.get("id") or "issue-%d" % k, "identifier": "ENG-%d" % k,
                         "url": "https://linear.example/esc/issue/ENG-%d" % k}
                issues[issue["id"]] = issue
            return self.answer(200, {"data": {"issueCreate": {"success": True, "issue": issue}}})
        if path == "/v2/enqueue":
            if take_fault("pd503"):
                return self.answer(503, {"status": "unavailable"})
            return self.answer(202, {"status": "success", "message": "Event processed",
                                     "dedup_key": body.get("dedup_key")})
        return self.answer(404, {"ok": False, "error": "unknown_method"})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
sys.exit(0)

#!/usr/bin/env python3
"""fake_apis.py — local stand-ins for Slack, Zendesk, Linear and PagerDuty,
for the actions worker's integration tests and the demo. One http.server on
127.0.0.1 (a free port, written to --port-file) answers as the documented
APIs do and keeps what it was told, so a test or a newcomer can see what
each system received:

  Slack Web API (POST /api/<method>, JSON; {"ok":true,...} or
  {"ok":false,"error":...}):
    conversations.create    {name, is_private}; name_taken for a name in use
    conversations.invite    {channel, users}; already_in_channel,
                            user_not_found (ids not starting with "U"),
                            channel_not_found
    conversations.setTopic  {channel, topic}
    conversations.archive   already_archived;  conversations.unarchive: not_archived
    conversations.list      every channel made (id, name, is_private, is_archived,
                            creator, topic)
    auth.test               {"user_id"}: the bot user of the Bearer token; the
                            creator of the channels that token makes
    conversations.history   GET ?channel=&include_all_metadata= (or a JSON body):
                            its messages, newest first, metadata when asked
    chat.postMessage        {channel, text, metadata, blocks}; ts unique per message
    views.open              {trigger_id, view}: the modal, kept in order
  Zendesk Support API v2:
    PUT /api/v2/tickets/{id}.json    {"ticket":{"comment":{"body","public"},
                                     "status", "custom_fields":[{id,value}],
                                     "metadata":{...}}} → 200 {"ticket":{...},
                                     "audit":{..., "metadata":{"custom":{...}}}}
    GET /api/v2/tickets/{id}/comments.json → {"comments":[...]}
    GET /api/v2/tickets/{id}/audits.json   → {"audits":[...]} with metadata
  Linear GraphQL (POST /graphql): issueCreate (a repeated input.id is
    refused, "Entity already exists"), issueUpdate(id, input), commentCreate
    (a repeated input.id is refused too), issue(id:) and comment(id:) lookups.
  PagerDuty Events API v2 (POST /v2/enqueue): trigger (payload.summary,
    source and severity required, else 400 "invalid event"), acknowledge,
    resolve; 202 {"status":"success","message":"Event processed","dedup_key"}.
  Slack response_url (POST /commands/... or /actions/..., as on
    hooks.slack.com): 200 {"ok":true}, kept in order.
  GET /_state: everything held (channels with members, topic, archived and
    messages; tickets with comments, status and custom fields; Linear issues
    with children, comments, assignee, priority, state; PagerDuty incidents
    by dedup_key with status; response_url posts; modals opened). tests/fakes/show_state.py
    prints it.

Faults: --slack-429-once answers the first conversations.create 429 with
Retry-After; --slack-name-taken-once answers the next one
{"ok":false,"error":"name_taken"}; --slack-error E answers chat.postMessage
{"ok":false,"error":E}; --slack-fail METHOD:ERROR:N answers METHOD's first N
calls {"ok":false,"error":ERROR} (ERROR ratelimited: HTTP 429 with
Retry-After, as Slack does); --pagerduty-503 N answers the first N
PagerDuty events 503; --pagerduty-429-once (429 "throttle event" with
Retry-After); --pagerduty-400 N answers the first N PagerDuty events 400
{"status":"invalid event","message":"Event object is invalid","errors":[...]};
--linear-error answers issueCreate 400 with a GraphQL error; --zendesk-422 N
answers the first N ticket updates 422 RecordInvalid; --zendesk-429-once
(429 TooManyRequests with Retry-After); --zendesk-503-for S answers every
Zendesk request 503 for the first S seconds. --retry-after S is the
Retry-After (seconds) every 429 carries, 1 by default.
POST /_fault arms faults while running: {"zendesk_503": true|false} turns
the Zendesk outage on and off (a body with none of the keys below turns it
off too); {"zendesk_422": N}, {"zendesk_429": N}, {"pagerduty_429": N},
{"pagerduty_400": N}, {"pagerduty_503": N} answer the next N such requests
as the flags above; {"slack_fail": "METHOD:ERROR:N"} as --slack-fail;
{"retry_after": S} as --retry-after. Every request is appended to --record
as one JSON line: time, method, path, authorization header, content type,
parsed body, status sent. Stop it with SIGTERM."""
import argparse
import itertools
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--record", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--slack-429-once", action="store_true")
ap.add_argument("--slack-name-taken-once", action="store_true")
ap.add_argument("--slack-error", default="",
                help="answer chat.postMessage ok:false with this error")
ap.add_argument("--slack-fail", action="append", default=[],
                help="METHOD:ERROR:N — answer METHOD's first N calls ok:false with ERROR")
ap.add_argument("--pagerduty-503", type=int, default=0,
                help="answer the first N PagerDuty events 503")
ap.add_argument("--pagerduty-429-once", action="store_true")
ap.add_argument("--pagerduty-400", type=int, default=0,
                help="answer the first N PagerDuty events 400 invalid event")
ap.add_argument("--linear-error", action="store_true",
                help="answer issueCreate 400 with a GraphQL error")
ap.add_argument("--zendesk-422", type=int, default=0,
                help="answer the first N ticket updates 422 RecordInvalid")
ap.add_argument("--zendesk-429-once", action="store_true")
ap.add_argument("--zendesk-503-for", type=float, default=0,
                help="answer every Zendesk request 503 for the first S seconds")
ap.add_argument("--retry-after", type=int, default=1,
                help="the Retry-After (seconds) every 429 carries")
args = ap.parse_args()

lock = threading.Lock()
faults = {"429": args.slack_429_once, "name_taken": args.slack_name_taken_once,
          "pd503": args.pagerduty_503, "pd429": args.pagerduty_429_once,
          "zd422": args.zendesk_422, "zd429": args.zendesk_429_once,
          "pd400": args.pagerduty_400, "retry_after": args.retry_after}
# POST /_fault keys that arm a counted fault, and the fault each arms.
ARMABLE = {"zendesk_422": "zd422", "zendesk_429": "zd429", "pagerduty_429": "pd429",
           "pagerduty_400": "pd400", "pagerduty_503": "pd503"}
for spec in args.slack_fail:
    method, error, n = spec.rsplit(":", 2)
    faults["slack:" + method] = (error, int(n))
ids = itertools.count(1)
started = time.time()
channels = {}   # Slack channels by id
issues = {}     # Linear issues by id
comments = {}   # Linear comments by id
tickets = {}    # Zendesk tickets by id
pages = {}      # PagerDuty incidents by dedup_key
responses = []  # what was POSTed to a response_url (/commands/..., /actions/...)
views = []      # modals opened (views.open), in order


def take_fault(name):
    with lock:
        if faults.get(name):
            faults[name] = int(faults[name]) - 1
            return True
    return False


def retry_after():
    with lock:
        return {"Retry-After": str(faults["retry_after"])}


def take_slack_fault(method):
    with lock:
        f = faults.get("slack:" + method)
        if f and f[1] > 0:
            faults["slack:" + method] = (f[0], f[1] - 1)
            return f[0]
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits
    # for the client's delayed ACK (40 ms on Linux) on a keep-alive socket.
    disable_nagle_algorithm = True

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

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        status = self.route(method, self.path, body)
        if self.path in ("/_state", "/_fault"):
            return
        with lock, open(args.record, "a") as f:
            f.write(json.dumps({"t": time.time(), "method": method, "path": self.path,
                                "authorization": self.headers.get("Authorization"),
                                "content_type": self.headers.get("Content-Type"),
                                "body": body, "status": status}) + "\n")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_GET(self):
        self.handle_any("GET")

    def route(self, method, path, body):
        if path == "/_fault":
            keys = set(ARMABLE) | {"slack_fail", "retry_after"}
            with lock:
                if "zendesk_503" in body or not keys & set(body):
                    faults["zd503_on"] = bool(body.get("zendesk_503"))
                for k, name in ARMABLE.items():
                    if k in body:
                        faults[name] = int(body[k])
                if "retry_after" in body:
                    faults["retry_after"] = int(body["retry_after"])
                if "slack_fail" in body:
                    method, error, n = str(body["slack_fail"]).rsplit(":", 2)
                    faults["slack:" + method] = (error, int(n))
            return self.answer(200, {"ok": True})
        if path == "/_state":
            with lock:
                return self.answer(200, {"slack": list(channels.values()),
                                         "responses": list(responses),
                                         "views": list(views),
                                         "zendesk": list(tickets.values()),
                                         "linear": list(issues.values()),
                                         "pagerduty": list(pages.values())})
        if path.startswith("/api/v2/tickets/"):
            return self.zendesk(method, path.split("?")[0], body)
        if path.startswith("/api/"):
            m, _, query = path[len("/api/"):].partition("?")
            for k, v in urllib.parse.parse_qsl(query):
                body.setdefault(k, True if v == "true" else v)
            return self.slack(m, body)
        if path == "/graphql":
            return self.linear(body)
        if path == "/v2/enqueue":
            return self.pagerduty(body)
        if path.startswith(("/commands/", "/actions/")):
            # a slash command's or an interaction's response_url (hooks.slack.com)
            with lock:
                responses.append({"url": path, "body": body})
            return self.answer(200, {"ok": True})
        return self.answer(404, {"ok": False, "error": "unknown_method"})

    # ---- Slack ------------------------------------------------------------

    def bot_user(self):
        """A user id per Bearer token, as Slack's bot users are."""
        token = (self.headers.get("Authorization") or "").partition(" ")[2]
        return "UB%08X" % zlib.crc32(token.encode())

    def slack(self, m, body):
        ok = lambda **kw: self.answer(200, dict(ok=True, **kw))
        err = lambda e: self.answer(200, {"ok": False, "error": e})
        e = take_slack_fault(m)
        if e == "ratelimited":
            return self.answer(429, {"ok": False, "error": e}, retry_after())
        if e:
            return err(e)
        ch = channels.get(body.get("channel"))
        if m == "auth.test":
            return ok(user_id=self.bot_user(), team_id="T0ESC")
        if m == "views.open":
            view = body.get("view")
            if not body.get("trigger_id") or not isinstance(view, dict):
                return err("invalid_arguments")
            with lock:
                views.append({"trigger_id": body["trigger_id"], "view": view})
            return ok(view=dict(view, id="V%06d" % next(ids)))
        if m == "conversations.create":
            if take_fault("429"):
                return self.answer(429, {"ok": False, "error": "ratelimited"},
                                   retry_after())
            if take_fault("name_taken"):
                return err("name_taken")
            with lock:
                if any(c["name"] == body.get("name") for c in channels.values()):
                    return err("name_taken")
                c = {"id": "C%06d" % next(ids), "name": body.get("name"), "is_channel": True,
                     "is_private": bool(body.get("is_private")), "is_archived": False,
                     "creator": self.bot_user(), "topic": "", "members": [], "messages": []}
                channels[c["id"]] = c
            return ok(channel={k: c[k] for k in ("id", "name", "is_channel", "is_private")})
        if m == "conversations.list":
            with lock:
                return ok(channels=[dict({k: c[k] for k in ("id", "name", "is_private",
                                                            "is_archived", "creator")},
                                         topic={"value": c["topic"]})
                                    for c in channels.values()],
                          response_metadata={"next_cursor": ""})
        if ch is None:
            if m == "conversations.invite" and body.get("channel") and not channels:
                # Tests that post to channels this fake never made (C1).
                return ok(channel={"id": body.get("channel")})
            if m == "chat.postMessage" and not args.slack_error:
                return ok(channel=body.get("channel"), ts="%.6f" % time.time())
            if m == "chat.postMessage":
                return err(args.slack_error)
            return err("channel_not_found")
        if m == "conversations.invite":
            users = [u for u in str(body.get("users", "")).split(",") if u]
            if any(not u.startswith("U") for u in users):
                return err("user_not_found")
            with lock:
                if all(u in ch["members"] for u in users):
                    return err("already_in_channel")
                ch["members"] += [u for u in users if u not in ch["members"]]
            return ok(channel={"id": ch["id"]})
        if m == "conversations.setTopic":
            ch["topic"] = body.get("topic", "")
            return ok(channel={"id": ch["id"], "topic": {"value": ch["topic"]}})
        if m in ("conversations.archive", "conversations.unarchive"):
            archive = m.endswith(".archive")
            if ch["is_archived"] == archive:
                return err("already_archived" if archive else "not_archived")
            ch["is_archived"] = archive
            return ok()
        if m == "conversations.history":
            msgs = sorted(ch["messages"], key=lambda x: x["ts"], reverse=True)
            if not body.get("include_all_metadata"):
                msgs = [{k: v for k, v in x.items() if k != "metadata"} for x in msgs]
            return ok(messages=msgs, has_more=False)
        if m == "chat.postMessage":
            if args.slack_error:
                return err(args.slack_error)
            if ch["is_archived"]:
                return err("is_archived")
            with lock:
                msg = {"ts": "%d.%06d" % (time.time(), next(ids)), "text": body.get("text", ""),
                       "metadata": body.get("metadata")}
                if body.get("blocks") is not None:
                    msg["blocks"] = body["blocks"]
                ch["messages"].append(msg)
            return ok(channel=ch["id"], ts=msg["ts"])
        return err("unknown_method")

    # ---- Zendesk ----------------------------------------------------------

    def zendesk(self, method, path, body):
        if faults.get("zd503_on") or time.time() - started < args.zendesk_503_for:
            return self.answer(503, {"error": "ServiceUnavailable"})
        m = re.match(r"^/api/v2/tickets/([^/]+?)(\.json|/comments\.json|/audits\.json)$", path)
        if not m:
            return self.answer(404, {"error": "InvalidEndpoint", "description": "Not found"})
        tid, what = m.group(1), m.group(2)
        with lock:
            t = tickets.setdefault(tid, {"id": tid, "status": "open", "comments": [],
                                         "custom_fields": {}, "audits": []})
        if method == "GET" and what == "/comments.json":
            return self.answer(200, {"comments": t["comments"], "next_page": None})
        if method == "GET" and what == "/audits.json":
            return self.answer(200, {"audits": t["audits"][::-1], "next_page": None})
        if method != "PUT" or what != ".json":
            return self.answer(405, {"error": "MethodNotAllowed"})
        if take_fault("zd429"):
            return self.answer(429, {"error": "TooManyRequests"}, retry_after())
        if take_fault("zd422"):
            return self.answer(422, {"error": "RecordInvalid",
                                     "description": "Record validation errors",
                                     "details": {"base": [{"description": "Status: closed "
                                                           "prevents ticket update"}]}})
        tk = body.get("ticket")
        if not isinstance(tk, dict):
            return self.answer(400, {"error": "InvalidValue",
                                     "description": "ticket is required"})
        events = []
        with lock:
            c = tk.get("comment")
            if c:
                cm = {"id": next(ids), "body": c.get("body") or c.get("html_body", ""),
                      "public": c.get("public", True), "author_id": 1,
                      "metadata": c.get("metadata", {})}
                t["comments"].append(cm)
                events.append({"type": "Comment", "id": cm["id"], "public": cm["public"]})
            if tk.get("status"):
                t["status"] = tk["status"]
                events.append({"type": "Change", "field_name": "status", "value": t["status"]})
            for f in tk.get("custom_fields") or []:
                t["custom_fields"][str(f.get("id"))] = f.get("value")
            audit = {"id": next(ids), "ticket_id": tid, "events": events,
                     "metadata": {"custom": tk.get("metadata") or {}, "system": {}}}
            t["audits"].append(audit)
        return self.answer(200, {"ticket": {"id": tid, "status": t["status"]}, "audit": audit})

    # ---- Linear -----------------------------------------------------------

    def linear(self, body):
        q = body.get("query", "")
        var = body.get("variables") or {}
        if args.linear_error and "issueCreate" in q:
            return self.answer(400, {"errors": [{"message": "Argument Validation Error",
                                                 "extensions": {"code": "INVALID_INPUT"}}]})
        gql_err = lambda msg: self.answer(200, {"data": None, "errors": [
            {"message": msg, "extensions": {"code": "INVALID_INPUT"}}]})
        public = lambda i: {k: i[k] for k in ("id", "identifier", "url")}
        if "issueCreate" in q:
            inp = var.get("input") or {}
            with lock:
                if inp.get("id") in issues:
                    return gql_err("Entity already exists")
                k = next(ids)
                issue = {"id": inp.get("id") or "issue-%d" % k, "identifier": "ENG-%d" % k,
                         "url": "https://linear.example/esc/issue/ENG-%d" % k,
                         "title": inp.get("title"), "description": inp.get("description"),
                         "assigneeId": inp.get("assigneeId"), "priority": inp.get("priority", 0),
                         "parentId": inp.get("parentId"), "dueDate": inp.get("dueDate"),
                         "stateId": inp.get("stateId"), "comments": []}
                issues[issue["id"]] = issue
            return self.answer(200, {"data": {"issueCreate": {"success": True,
                                                              "issue": public(issue)}}})
        if "issueUpdate" in q:
            with lock:
                issue = issues.get(var.get("id"))
                if not issue:
                    return gql_err("Entity not found: Issue")
                issue.update({k: v for k, v in (var.get("input") or {}).items()})
            return self.answer(200, {"data": {"issueUpdate": {"success": True}}})
        if "commentCreate" in q:
            inp = var.get("input") or {}
            with lock:
                issue = issues.get(inp.get("issueId"))
                if not issue:
                    return gql_err("Entity not found: Issue")
                if inp.get("id") and inp["id"] in comments:
                    return gql_err("Entity already exists")
                c = {"id": inp.get("id") or "comment-%d" % next(ids), "body": inp.get("body", "")}
                comments[c["id"]] = c
                issue["comments"].append(c)
            return self.answer(200, {"data": {"commentCreate": {"success": True,
                                                                "comment": {"id": c["id"]}}}})
        if "comment(" in q:
            c = comments.get(var.get("id"))
            return self.answer(200, {"data": {"comment": {"id": c["id"]} if c else None}})
        issue = issues.get(var.get("id"))
        return self.answer(200, {"data": {"issue": public(issue) if issue else None}})

    # ---- PagerDuty --------------------------------------------------------

    def pagerduty(self, body):
        if take_fault("pd503"):
            return self.answer(503, {"status": "unavailable"})
        if take_fault("pd429"):
            return self.answer(429, {"status": "throttle event", "message": "Requests for this "
                                     "service are arriving too quickly"}, retry_after())
        if take_fault("pd400"):
            return self.answer(400, {"status": "invalid event", "message": "Event object is "
                                     "invalid", "errors": ["Length of 'routing_key' is incorrect "
                                                           "(should be 32 characters)"]})
        action = body.get("event_action")
        key = body.get("dedup_key")
        if action not in ("trigger", "acknowledge", "resolve") or not body.get("routing_key"):
            return self.answer(400, {"status": "invalid event", "message": "Event object is "
                                     "invalid", "errors": ["'event_action' or 'routing_key' is "
                                                           "missing or invalid"]})
        if action == "trigger":
            p = body.get("payload") or {}
            missing = [k for k in ("summary", "source", "severity") if not p.get(k)]
            if missing:
                return self.answer(400, {"status": "invalid event", "message": "Event object is "
                                         "invalid", "errors": ["'payload.%s' is missing" % k
                                                               for k in missing]})
            key = key or "dedup-%d" % next(ids)
            with lock:
                pages[key] = {"dedup_key": key, "status": "triggered",
                              "routing_key": body["routing_key"], "summary": p["summary"]}
        elif key in pages:
            with lock:
                pages[key]["status"] = "resolved" if action == "resolve" else "acknowledged"
        return self.answer(202, {"status": "success", "message": "Event processed",
                                 "dedup_key": key})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
sys.exit(0)

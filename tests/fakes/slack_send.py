#!/usr/bin/env python3
"""slack_send.py — sends esc webhook what Slack would, signed as Slack signs
(X-Slack-Signature: v0= + hex HMAC-SHA256 of "v0:<timestamp>:<body>" with the
app's signing secret), and prints "<HTTP status> <body>".

  slack_send.py command USER TEXT [CHANNEL] [TS_OFFSET] [SECRET]
      a slash command `/esc TEXT` typed by USER (to $WURL)
  slack_send.py click USER VALUE [ACTION]
      a click on a button (default esc_approve_override) carrying VALUE,
      with a response_url on the fake ($FAKE/actions/T0ACME/USER/...) (to $IURL)
  slack_send.py submit USER VIEW_JSON VALUES_JSON
      a view_submission of the modal VIEW with state VALUES (to $IURL)

Env: SIGNING (the signing secret), CHAN (the channel), WURL, IURL, FAKE;
NO_SIG=1 leaves the signature header out."""
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def send(url, fields, offset=0, secret=None):
    body = urllib.parse.urlencode(fields).encode()
    ts = str(int(time.time()) + offset)
    key = (secret if secret is not None else os.environ["SIGNING"]).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": "v0=" + hmac.new(key, b"v0:" + ts.encode() + b":" + body,
                                                     hashlib.sha256).hexdigest()}
    if os.environ.get("NO_SIG"):
        del headers["X-Slack-Signature"]
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers),
                                    timeout=10) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode())


def trigger(user):
    return "%d.%s" % (time.time_ns(), user)


def main(kind, user, *rest):
    if kind == "command":
        text = rest[0]
        channel = rest[1] if len(rest) > 1 and rest[1] else os.environ["CHAN"]
        offset = int(rest[2]) if len(rest) > 2 and rest[2] else 0
        secret = rest[3] if len(rest) > 3 else None
        send(os.environ["WURL"], {
            "token": "legacy-verification-token", "team_id": "T0ACME", "team_domain": "acme",
            "channel_id": channel, "channel_name": "esc-acme", "user_id": user,
            "user_name": user.lower(), "command": "/esc", "text": text, "api_app_id": "A0ESC",
            "response_url": "https://hooks.slack.com/commands/T0ACME/1/x",
            "trigger_id": trigger(user)}, offset, secret)
    elif kind == "click":
        action = rest[1] if len(rest) > 1 else "esc_approve_override"
        payload = {"type": "block_actions", "user": {"id": user, "username": user.lower()},
                   "team": {"id": "T0ACME"},
                   "channel": {"id": os.environ["CHAN"], "name": "esc-acme"},
                   "trigger_id": trigger(user),
                   "response_url": "%s/actions/T0ACME/%s/%d" % (os.environ["FAKE"], user,
                                                                time.time_ns()),
                   "actions": [{"type": "button", "action_id": action, "value": rest[0],
                                "block_id": "b1", "action_ts": str(time.time())}]}
        send(os.environ["IURL"], {"payload": json.dumps(payload)})
    elif kind == "submit":
        view = dict(json.loads(rest[0]), id="V1", state={"values": json.loads(rest[1])})
        payload = {"type": "view_submission", "user": {"id": user}, "team": {"id": "T0ACME"},
                   "trigger_id": trigger(user) + ".view", "view": view}
        send(os.environ["IURL"], {"payload": json.dumps(payload)})
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])

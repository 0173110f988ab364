#!/usr/bin/env python3
"""show_state.py URL — prints what the local fakes of Slack, Zendesk, Linear
and PagerDuty (fake_apis.py, GET URL/_state) received, system by system:
each channel with its members and posts, each ticket's public replies and
internal notes, each Linear issue with its comments and child issues, each
page. The demo ends with it."""
import json
import sys
import textwrap
import urllib.request


def short(text, width=96):
    lines = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    return ("\n" + " " * 8).join(lines[:4]) + (" …" if len(lines) > 4 else "")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: show_state.py URL   (the fake's base URL, e.g. http://127.0.0.1:8080)")
    with urllib.request.urlopen(sys.argv[1].rstrip("/") + "/_state", timeout=10) as r:
        st = json.load(r)

    print("Slack")
    for c in st["slack"]:
        flags = ", ".join(f for f, on in (("private", c["is_private"]),
                                          ("archived", c["is_archived"])) if on)
        print("  #%s (%s%s)" % (c["name"], c["id"], ", " + flags if flags else ""))
        print("    members: %s" % (", ".join(c["members"]) or "-"))
        for m in c["messages"]:
            print("    - " + short(m["text"]))
    if not st["slack"]:
        print("  (no channel)")

    print("Zendesk")
    for t in st["zendesk"]:
        fields = ", ".join("%s=%s" % kv for kv in t["custom_fields"].items())
        print("  ticket %s: status %s%s" % (t["id"], t["status"],
                                            ", fields " + fields if fields else ""))
        for c in t["comments"]:
            print("    %s %s" % ("public reply: " if c["public"] else "internal note:",
                                 short(c["body"])))
    if not st["zendesk"]:
        print("  (no ticket updated)")

    print("Linear")
    issues = st["linear"]
    for i in [i for i in issues if not i.get("parentId")]:
        print("  %s %s (priority %s, assignee %s)" % (i["identifier"], i["title"],
                                                     i.get("priority"), i.get("assigneeId") or "-"))
        for c in i["comments"]:
            print("    comment: " + short(c["body"]))
        for k in [k for k in issues if k.get("parentId") == i["id"]]:
            print("    child %s %s (assignee %s, due %s)" % (k["identifier"], k["title"],
                                                            k.get("assigneeId") or "-",
                                                            k.get("dueDate") or "-"))
    if not issues:
        print("  (no issue)")

    print("PagerDuty")
    for p in st["pagerduty"]:
        print("  %s: %s — %s" % (p["dedup_key"], p["status"], short(p["summary"])))
    if not st["pagerduty"]:
        print("  (no page)")


if __name__ == "__main__":
    main()

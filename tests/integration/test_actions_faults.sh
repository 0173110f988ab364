#!/usr/bin/env bash
# test_actions_faults.sh — `esc worker actions` (with the real ledger and,
# for the manager page, timers workers on the dev stack's Kafka) against
# tests/fakes/fake_apis.py answering with faults, asserted on the fake's
# request log and GET /_state (DESIGN §9 "Outbound", the outbox): a Zendesk
# update refused 422 is final, recorded back as failed, and later updates
# still go through; a Zendesk 429 waits out its Retry-After and delivers
# once; a PagerDuty 429 is retried into one accepted trigger, a PagerDuty
# 400 is final and logged; a Slack user_not_found invite is not retried and
# is told in the channel; a Slack ratelimited post waits out its
# Retry-After and is posted once; an incident nobody owns past its response
# SLA pages the CS manager and the channel hears it; a Zendesk outage holds
# only Zendesk's queue (Slack and Linear keep flowing) and, once it is over,
# every held update arrives exactly once.
set -euo pipefail
ACT_NAME=actfaults
source "$ESC_SOURCE_DIR/tests/integration/actions_lib.sh"

# Armed at start: the first ticket update of the test (the Zendesk-opened
# incident's first note) is refused 422. Every 429 says Retry-After: 2,
# longer than the worker's own first backoff (1 s + jitter), so honouring
# it shows. The other faults are armed when their step begins.
RA=2
act_start_fake --zendesk-422 1 --retry-after "$RA"


# The shipped policy without its rotations (nobody is on call, so an
# incident stays unowned until assigned; carol is the CS manager to page),
# and a CSM, erin, whose Slack id the workspace does not know (the fake
# answers user_not_found for ids not starting with "U").
sed -e '/slack_user_id: U0BOB0001/a\  - {id: erin, name: Erin Example, role: csm, slack_user_id: W0ERIN001}' \
        -e '/^rotations:/,$d' "$ESC_SOURCE_DIR/config/policy.yaml" >"$WORK/policy.yaml"
grep -q "W0ERIN001" "$WORK/policy.yaml" && grep -q "cs_manager: carol" "$WORK/policy.yaml" &&
        ! grep -q "^rotations:" "$WORK/policy.yaml" ||
        fail "could not derive the test policy from config/policy.yaml"
# One try per call: the outbox's queues retry (honouring Retry-After,
# backing off on 5xx), so a failing target holds only its own queue.
act_write_config "$WORK/policy.yaml"

ZD="ZD-${$}1"
act_wait_topics "$ZD"
act_start_ledger
act_start_actions

# The checks, over the fake's request log, its /_state and the timelines.
export REC="$WORK/requests.jsonl" FAKE CFG="$cfg" RA
cat >"$WORK/check.py" <<'PY'
import json, os, re, subprocess, sys, urllib.request

RA = float(os.environ["RA"])


def reqs():
    try:
        return [json.loads(l) for l in open(os.environ["REC"])]
    except FileNotFoundError:
        return []


def state():
    return json.load(urllib.request.urlopen(os.environ["FAKE"] + "/_state"))


def timeline(inc):
    out = subprocess.run([os.environ["ESC_BIN"], "--config", os.environ["CFG"], "timeline", inc,
                          "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["events"]


def count(inc, etype, word=""):
    return sum(1 for e in timeline(inc) if e["type"] == etype and word in e["summary"])


def outbound(inc):
    """{key: [status, ...]} of the incident's OutboundRecorded events."""
    got = {}
    for e in timeline(inc):
        if e["type"] == "OutboundRecorded":
            m = re.match(r"^(\S+) (\S+): (\S+)", e["summary"])
            assert m, e
            got.setdefault(m.group(2), []).append(m.group(3))
    return got


def puts(ticket):
    return [r for r in reqs() if r["method"] == "PUT"
            and r["path"] == "/api/v2/tickets/%s.json" % ticket]


def zkey(r):
    return ((r["body"].get("ticket") or {}).get("metadata") or {}).get("esc_key")


def comment(r):
    return ((r["body"].get("ticket") or {}).get("comment") or {}).get("body", "")


def ticket_comments(ticket):
    t = [t for t in state()["zendesk"] if t["id"] == ticket]
    return [c["body"] for c in t[0]["comments"]] if t else []


def pd(dedup, action="trigger"):
    return [r for r in reqs() if r["path"] == "/v2/enqueue" and r["body"].get("dedup_key") == dedup
            and r["body"].get("event_action") == action]


def channel(prefix):
    c = [c for c in state()["slack"] if c["name"].startswith(prefix)]
    assert len(c) == 1, ("want one channel named %s*" % prefix, [x["name"] for x in state()["slack"]])
    return c[0]


def posts(text=None):
    return [r for r in reqs() if r["path"] == "/api/chat.postMessage"
            and (text is None or text in r["body"].get("text", ""))]


def waited(first, then):
    gap = then["t"] - first["t"]
    assert gap >= RA - 0.1, "retried %.2f s after a 429 with Retry-After: %g" % (gap, RA)


checks = {}


def check(f):
    checks[f.__name__] = f
    return f


@check
def zd_first_put(ticket):
    assert puts(ticket), "no update of ticket %s yet" % ticket


@check
def zd_422(ticket, zd, later_text):
    p = puts(ticket)
    assert p and p[0]["status"] == 422, ("the first update was not refused 422", p[:1])
    k = zkey(p[0])
    assert k and k.startswith("zendesk:ticket:"), p[0]
    assert [r["status"] for r in p if zkey(r) == k] == [422], \
        ("the refused update was tried again", [r for r in p if zkey(r) == k])
    later = [r for r in p if comment(r) == later_text]
    assert [r["status"] for r in later] == [200], ("the later update", later)
    ob = outbound(zd)
    assert ob.get(k) == ["failed"], ("want the 422 recorded as failed", k, ob)
    assert ob.get(zkey(later[0])) == ["done"], ("the later update is not recorded done", ob)
    c = ticket_comments(ticket)
    assert c.count(later_text) == 1 and not any("Escalated as Sev" in x for x in c), c


@check
def zd_429(ticket, zd, text):
    p = [r for r in puts(ticket) if comment(r) == text]
    assert [r["status"] for r in p] == [429, 200], ("want 429 then 200", p)
    waited(p[0], p[1])
    assert outbound(zd).get(zkey(p[1])) == ["done"], outbound(zd)
    assert ticket_comments(ticket).count(text) == 1, ticket_comments(ticket)


@check
def pd_logged(inc):
    assert pd(inc), "no PagerDuty event for %s yet" % inc


@check
def pd_faults(inc400, inc429, rk):
    bad = [r for r in reqs() if r["path"] == "/v2/enqueue" and r["body"].get("dedup_key") == inc400]
    assert [r["status"] for r in bad] == [400], ("a 400 is final: want one request", bad)
    good = pd(inc429)
    assert [r["status"] for r in good] == [429, 202], ("want 429 then 202", good)
    waited(good[0], good[1])
    assert good[1]["body"]["routing_key"] == rk and good[1]["body"]["payload"]["severity"] == \
        "critical", good[1]
    assert count(inc429, "PageSent") == 1, timeline(inc429)
    assert count(inc400, "PageSent") == 0, timeline(inc400)
    held = {p["dedup_key"]: p["status"] for p in state()["pagerduty"]}
    assert held.get(inc429) == "triggered" and inc400 not in held, held


@check
def pd_refusal_recorded(inc400):
    ob = {k: v for k, v in outbound(inc400).items() if k.startswith("pagerduty:page:")}
    assert list(ob.values()) == [["failed"]], ("want the refused page recorded failed once", ob)


@check
def pd_refusal_kept(inc400, inc_after):
    assert [r["status"] for r in pd(inc_after)] == [202], ("the later page", pd(inc_after))
    bad = [r for r in reqs() if r["path"] == "/v2/enqueue" and r["body"].get("dedup_key") == inc400]
    assert [r["status"] for r in bad] == [400], ("the refused page was sent again", bad)


@check
def slack_kickoff(prefix, inc):
    ch = channel(prefix)
    assert any(("escalation " + inc) in m["text"] for m in ch["messages"]), ch["messages"]


@check
def slack_invite_warned(prefix):
    ch = channel(prefix)
    w = [m["text"] for m in ch["messages"] if "Could not invite erin" in m["text"]]
    assert len(w) == 1, ch["messages"]
    assert "W0ERIN001" in w[0] and "user_not_found" in w[0], w


@check
def slack_faults(prefix, rl_text):
    ch = channel(prefix)
    inv = [r for r in reqs() if r["path"] == "/api/conversations.invite"
           and r["body"].get("users") == "W0ERIN001"]
    assert len(inv) == 1, ("user_not_found is final: want one invite", inv)
    assert "U0CAROL01" in ch["members"], ("the other invites still go out", ch)
    p = posts(rl_text)
    assert [r["status"] for r in p] == [429, 200], ("want 429 then 200", p)
    assert p[0]["body"] == p[1]["body"], p
    waited(p[0], p[1])
    assert sum(rl_text in m["text"] for m in ch["messages"]) == 1, ch["messages"]


@check
def manager_paged(inc, prefix, rk_mgr, rk):
    assert count(inc, "UnownedEscalated", "paged carol") == 1, timeline(inc)
    mp = pd(inc + ":manager")
    assert [r["status"] for r in mp] == [202], ("want one manager page", mp)
    b = mp[0]["body"]
    assert b["routing_key"] == rk_mgr, "not sent to pagerduty.manager_routing_key"
    assert b["payload"]["summary"].startswith(inc + " needs an owner or is past its response SLA"), b
    assert b["payload"].get("component") == "cs_manager", b
    assert [r["body"]["routing_key"] for r in pd(inc)] == [rk], pd(inc)
    assert count(inc, "PageSent") == 2, timeline(inc)
    ch = channel(prefix)
    sos = [m["text"] for m in ch["messages"] if "Still unowned past its response SLA" in m["text"]]
    assert len(sos) == 1 and "paging carol" in sos[0], ch["messages"]


@check
def outage_flowing(ticket, t_on, *texts):
    """During the Zendesk outage: every Slack post and Linear comment of
    the events arrived; Zendesk answered only 503 and was retried."""
    t_on = float(t_on)
    for t in texts:
        p = [r for r in posts(t) if r["status"] == 200 and r["t"] > t_on]
        assert len(p) == 1, ("Slack post held by the Zendesk outage", t, p)
    for t in texts:
        c = [r for r in reqs() if r["path"] == "/graphql" and "commentCreate" in
             r["body"].get("query", "") and t in json.dumps(r["body"])]
        assert len(c) == 1, ("Linear comment held by the Zendesk outage", t, c)
    down = [r for r in puts(ticket) if r["t"] > t_on]
    assert down and all(r["status"] == 503 for r in down), down


@check
def outage_retried(ticket, t_on, t_off):
    down = [r for r in puts(ticket) if float(t_on) < r["t"] < float(t_off)]
    assert len(down) >= 2 and all(r["status"] == 503 for r in down), \
        ("the held Zendesk update was not retried during the outage",
         [(round(r["t"] - float(t_on), 2), zkey(r), r["status"]) for r in down])


@check
def outage_delivered(ticket, zd, t_on, *texts):
    t_on = float(t_on)
    p = [r for r in puts(ticket) if r["t"] > t_on]
    ok = [r for r in p if r["status"] == 200]
    assert [comment(r) for r in ok] == list(texts), \
        ("want each held update delivered once, in order",
         [(round(r["t"] - t_on, 2), zkey(r), r["status"], comment(r)) for r in p])
    assert len({zkey(r) for r in ok}) == len(texts), ok
    c = ticket_comments(ticket)
    assert all(c.count(t) == 1 for t in texts), c
    ob = outbound(zd)
    assert all(ob.get(zkey(r)) == ["done"] for r in ok), ob
    assert not any("failed" in v for k, v in ob.items() if k in {zkey(r) for r in p}), ob


sys.exit(checks[sys.argv[1]](*sys.argv[2:]))
PY
check() { python3 "$WORK/check.py" "$@"; }
# eventually SECS CMD...: runs CMD (quietly) until it succeeds, for at most
# SECS seconds; then once more, showing why, with its status.
eventually() {
        local end=$((SECONDS + $1))
        shift
        while [ "$SECONDS" -lt "$end" ]; do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.5
        done
        "$@"
}

AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
DAY=$(echo "$AT" | cut -c1-10 | tr -d -)
NEXT=$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:%SZ)

# 1. Zendesk 422 — the opened ticket's first note is refused (fake
# --zendesk-422 1): final, recorded back as failed, and the later updates
# still go through.
TICKET="${ZD#ZD-}"
printf '{"type":"zen:event-type:ticket.created","id":"%s-e1","time":"%s","detail":{"id":"%s","subject":"Reports time out","priority":"HIGH","status":"NEW","organization_id":"360009","created_at":"%s"}}\n' \
        "$TICKET" "$AT" "$TICKET" "$AT" >"$WORK/zd.ndjson"
esc ingest "$WORK/zd.ndjson" --format zendesk --no-progress 2>"$WORK/zd.err" ||
        fail "zendesk ingest: $(cat "$WORK/zd.err")"
eventually 60 check zd_first_put "$TICKET" || fail "the ticket heard nothing"
esc ack "$ZD" --by alice --message "ack-after-422" --next-update "$NEXT" >/dev/null || fail "ack $ZD"
eventually 30 check zd_422 "$TICKET" "$ZD" "ack-after-422" ||
        fail "a 422 is not final, not recorded as failed, or stops the later updates"
grep "action failed for good" "$WORK/actions.log" | grep -q "action=ticket.*HTTP 422" ||
        fail "the 422 is not logged as a final failure"
echo "ok: a Zendesk update refused 422 is tried once, recorded back as failed, and later updates go through"

# 2. Zendesk 429 with Retry-After: waited out, then delivered once.
act_fault '{"zendesk_429": 1}'
esc update "$ZD" --by alice --audience external --body "update-after-429" --next-update "$NEXT" \
        >/dev/null || fail "update $ZD"
eventually 30 check zd_429 "$TICKET" "$ZD" "update-after-429" ||
        fail "a Zendesk 429 is not waited out for its Retry-After, or not delivered once"
echo "ok: a Zendesk 429 is retried after its Retry-After ($RA s) and delivered once"

# 3. PagerDuty: a Sev 1's trigger answered 400 is final (one request,
# logged); a Sev 1 paged into a 429 is retried after Retry-After into one
# accepted trigger with dedup_key = incident id. The PagerDuty queue is in
# log order, so the second page coming through means the first was done
# with. (Both are opened seconds after the worker started, past its
# start-up reconciliation, which gives every unpaged Sev 1 its page.)
INC_PD400="INC-FLT-PD400-$$"
act_fault '{"pagerduty_400": 1}'
esc open --incident "$INC_PD400" --account acme --impact production_down --title "Checkout down" \
        --product-area billing --paying yes >"$WORK/open.out" || fail "open: $(cat "$WORK/open.out")"
grep -q "sev.*1" "$WORK/open.out" || fail "not a Sev 1: $(cat "$WORK/open.out")"
eventually 30 check pd_logged "$INC_PD400" || fail "$INC_PD400 was never paged"
INC_PD="INC-FLT-PD-$$"
act_fault '{"pagerduty_429": 1}'
esc open --incident "$INC_PD" --account globex --impact production_down --title "Payments down" \
        --product-area billing --paying yes >/dev/null || fail "open $INC_PD"
eventually 30 check pd_faults "$INC_PD400" "$INC_PD" "$RK_BILLING" ||
        fail "PagerDuty 400 / 429 not handled as final / retried"
grep "action failed for good" "$WORK/actions.log" | grep "incident=$INC_PD400" | grep "action=page" |
        grep -q "HTTP 400.*Event object is invalid" || fail "the PagerDuty 400 is not logged with its message"
grep "will retry" "$WORK/actions.log" | grep -q "incident=$INC_PD400" &&
        fail "the PagerDuty 400 was taken for a transient failure"
echo "ok: a PagerDuty 400 is final and logged; a 429 is retried after Retry-After into one trigger, dedup_key = incident id"

# 4. Slack: the CSM's invite is refused user_not_found (final, told in the
# channel, the other invites go out); a post answered 429 ratelimited is
# posted once after its Retry-After.
INC_SLK="INC-FLT-SLK-$$"
esc open --incident "$INC_SLK" --account umbrella --impact major_feature_broken --title "Exports broken" \
        --product-area billing --paying yes --csm erin >/dev/null || fail "open $INC_SLK"
eventually 30 check slack_kickoff "esc-umbrella-$DAY" "$INC_SLK" || fail "no kickoff in $INC_SLK's channel"
eventually 30 check slack_invite_warned "esc-umbrella-$DAY" ||
        fail "the failed invite was not told in the channel"
act_fault '{"slack_fail": "chat.postMessage:ratelimited:1"}'
esc ack "$INC_SLK" --by alice --message "rl-ack" --next-update "$NEXT" >/dev/null || fail "ack $INC_SLK"
eventually 30 check slack_faults "esc-umbrella-$DAY" "Acknowledged by alice: rl-ack" ||
        fail "user_not_found retried, or a ratelimited post not waited out / not posted once"
echo "ok: a Slack user_not_found invite is not retried and is told in the channel; a ratelimited post waits out Retry-After and is posted once"

# 5. The manager page: a Sev 1 opened 30 minutes ago (response SLA 15m),
# nobody owns it; the timers worker records UnownedEscalated, the actions
# worker pages the CS manager and tells the channel.
act_start_timers
INC_MGR="INC-FLT-MGR-$$"
AGO=$(date -u -d '-30 minutes' +%Y-%m-%dT%H:%M:%SZ)
esc open --incident "$INC_MGR" --account hooli --impact production_down --title "Login down" \
        --product-area billing --paying yes --at "$AGO" >/dev/null || fail "open $INC_MGR"
eventually 60 check manager_paged "$INC_MGR" "esc-hooli-$(echo "$AGO" | cut -c1-10 | tr -d -)" \
        "$RK_MANAGER" "$RK_BILLING" ||
        fail "the unowned incident did not page the CS manager once, or the channel did not hear it"
kill -TERM "$timers_pid"
wait "$timers_pid" || fail "the timers worker did not exit 0 on SIGTERM"
timers_pid=
echo "ok: unowned past its response SLA: UnownedEscalated, the CS manager paged once (manager routing key), the channel told"

# 6. A Zendesk outage holds only Zendesk's queue: while it answers 503, the
# events of the Zendesk-opened incident and of a CLI incident reach Slack
# and Linear; once it is over, every held ticket update arrives exactly
# once, in order (the worker backs off 1 s doubling to 60 s with jitter).
INC_OUT="INC-FLT-OUT-$$"
esc open --incident "$INC_OUT" --account soylent --impact major_feature_broken --title "Search slow" \
        --product-area billing --paying yes >/dev/null || fail "open $INC_OUT"
eventually 30 check slack_kickoff "esc-soylent-$DAY" "$INC_OUT" || fail "no kickoff in $INC_OUT's channel"
act_fault '{"zendesk_503": true}'
T_ON=$(date +%s.%N)
esc update "$ZD" --by alice --audience external --body "zd-held-1" --next-update "$NEXT" >/dev/null ||
        fail "update $ZD"
esc update "$INC_OUT" --by alice --audience internal --body "cli-note-while-zd-down" >/dev/null ||
        fail "update $INC_OUT"
esc update "$ZD" --by alice --audience internal --body "zd-held-2" >/dev/null || fail "update $ZD"
esc ack "$INC_OUT" --by alice --message "cli-ack-while-zd-down" --next-update "$NEXT" >/dev/null ||
        fail "ack $INC_OUT"
esc update "$ZD" --by alice --audience external --body "zd-held-3" --next-update "$NEXT" >/dev/null ||
        fail "update $ZD"
eventually 30 check outage_flowing "$TICKET" "$T_ON" "zd-held-1" "cli-note-while-zd-down" "zd-held-2" \
        "cli-ack-while-zd-down" "zd-held-3" || fail "Slack or Linear held by the Zendesk outage"
# The outage lasts 20 s in all (not an assertion: the fault's length).
while python3 -c "import sys, time; sys.exit(time.time() - $T_ON >= 20)"; do sleep 0.5; done
act_fault '{"zendesk_503": false}'
T_OFF=$(date +%s.%N)
echo "ok: during a Zendesk outage the Slack posts and Linear comments keep flowing"
eventually 90 check outage_delivered "$TICKET" "$ZD" "$T_ON" "zd-held-1" "zd-held-2" "zd-held-3" ||
        fail "after the outage the held Zendesk updates did not all arrive exactly once"
grep "action failed, will retry" "$WORK/actions.log" | grep -q "action=ticket.*HTTP 503" ||
        fail "the 503s are not logged as transient"
check outage_retried "$TICKET" "$T_ON" "$T_OFF" || fail "the held Zendesk update was not retried during the outage"
echo "ok: after the outage every held Zendesk update arrives exactly once, in order"

# 7. What was refused for good stays refused across a restart: the page
# PagerDuty answered 400 in 3. is recorded as failed, so the restarted
# worker's reconciliation (every open incident lacking a page gets one)
# does not send it again. A Sev 1 opened after the restart is paged behind
# the reconciliation on the same PagerDuty queue, so its page arriving
# means a second request for the refused one would have arrived first.
eventually 30 check pd_refusal_recorded "$INC_PD400" || fail "the refused page is not recorded as failed"
kill -TERM "$actions_pid"
wait "$actions_pid" || fail "the actions worker did not exit 0 on SIGTERM"
act_start_actions actions2.log
eventually 60 grep -q "reconciling replayed incidents" "$WORK/actions2.log" ||
        fail "the restarted worker did not reconcile"
INC_PD2="INC-FLT-PD2-$$"
esc open --incident "$INC_PD2" --account acme --impact production_down --title "Checkout down again" \
        --product-area billing --paying yes >/dev/null || fail "open $INC_PD2"
eventually 30 check pd_refusal_kept "$INC_PD400" "$INC_PD2" ||
        fail "the restart sent the refused page again, or did not page $INC_PD2"
echo "ok: a page refused for good is recorded as failed and not sent again after a restart"

act_no_secrets_logged
act_stop
echo "PASS"

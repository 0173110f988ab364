#!/usr/bin/env python3
"""interop.py — proves that the Python Kafka/Avro ecosystem reads and writes
esc's events using nothing but schemas/*.avsc (DESIGN section 8).

confluent-kafka talks to the broker, fastavro does Avro. Framing: Avro
single-object encoding (C3 01 + CRC-64-AVRO fingerprint, little-endian) is
checked against the fingerprint fastavro computes from the .avsc; Confluent
framing (00 + big-endian id) is resolved through the registry's REST API.

  interop.py canonical --schemas FILE.avsc
      prints fastavro's Parsing Canonical Form, to compare with esc's.
  interop.py create-topic --brokers B --topic T
  interop.py consume --brokers B --topic T --tag X --schemas DIR
                     [--registry URL] [--dump FILE]
      reads every record keyed X, decodes it, checks the fields esc's
      prog_codec_produce wrote (one event of every type, seq 1..N, non-ASCII
      strings), and writes each raw value as a hex line to FILE for the Java
      reader.
  interop.py produce --brokers B --topic T --tag X --schemas DIR
      writes events with fastavro in single-object encoding, for esc to read.
"""
import argparse
import datetime
import io
import json
import struct
import sys
import urllib.request

import fastavro
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from fastavro.schema import fingerprint, to_parsing_canonical_form

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


def load_schema(path):
    with open(path, encoding="utf-8") as f:
        return fastavro.parse_schema(json.load(f))


def crc64_fingerprint(parsed):
    # fastavro spells the fingerprint as its 8 bytes little-endian, in hex.
    return int.from_bytes(bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO")), "little")


class Decoder:
    def __init__(self, schema_path, registry):
        self.schema = load_schema(schema_path)
        self.fp = crc64_fingerprint(self.schema)
        self.registry = registry
        self.by_id = {}

    def decode(self, value):
        if value[:2] == b"\xc3\x01":
            (fp,) = struct.unpack("<Q", value[2:10])
            if fp != self.fp:
                raise ValueError("single-object fingerprint %016x is not the .avsc's %016x" % (fp, self.fp))
            schema, body = self.schema, value[10:]
        elif value[:1] == b"\x00":
            (sid,) = struct.unpack(">I", value[1:5])
            schema, body = self.schema_for_id(sid), value[5:]
        else:
            raise ValueError("unknown framing byte 0x%02x" % value[0])
        return fastavro.schemaless_reader(io.BytesIO(body), schema, return_record_name=True)

    def schema_for_id(self, sid):
        if sid not in self.by_id:
            if not self.registry:
                raise ValueError("Confluent frame with id %d but no --registry" % sid)
            with urllib.request.urlopen("%s/schemas/ids/%d" % (self.registry, sid), timeout=10) as r:
                text = json.load(r)["schema"]
            self.by_id[sid] = fastavro.parse_schema(json.loads(text))
        return self.by_id[sid]


def cmd_create_topic(a):
    admin = AdminClient({"bootstrap.servers": a.brokers})
    fut = admin.create_topics([NewTopic(a.topic, num_partitions=1, replication_factor=1)])[a.topic]
    try:
        fut.result(30)
    except Exception as e:  # already exists is fine: the test reuses it with a fresh tag
        if "TOPIC_ALREADY_EXISTS" not in str(e) and "already exists" not in str(e):
            raise
    print("topic %s ready" % a.topic)


def read_records(a, want):
    c = Consumer({"bootstrap.servers": a.brokers, "group.id": "esc-interop-" + a.tag,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    md = c.list_topics(a.topic, timeout=10)
    parts = [TopicPartition(a.topic, p, 0) for p in md.topics[a.topic].partitions]
    c.assign(parts)
    out = []
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
    while len(out) < want and datetime.datetime.now() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        if m.key() == a.tag.encode():
            out.append(m.value())
    c.close()
    return out


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def cmd_consume(a):
    dec = Decoder("%s/esc.v1.Event.avsc" % a.schemas, a.registry)
    ev_schema = json.load(open("%s/esc.v1.Event.avsc" % a.schemas, encoding="utf-8"))
    symbols = [f for f in ev_schema["fields"] if f["name"] == "type"][0]["type"]["symbols"]
    values = read_records(a, len(symbols))
    check(len(values) == len(symbols), "got %d records keyed %s, want %d" % (len(values), a.tag, len(symbols)))
    seen = set()
    for v in values:
        e = dec.decode(v)
        name, payload = e["payload"]
        check(name == "esc.v1." + e["type"], "type %s but payload branch %s" % (e["type"], name))
        check(e["incident_id"] == a.tag, "incident_id %r" % e["incident_id"])
        check(e["actor"] == "jürgen", "actor %r" % e["actor"])
        check(len(e["hash"]) == 32 and len(e["prev_hash"]) == 32, "hash lengths")
        check(e["source"][1]["system"] == "zendesk", "source %r" % (e["source"],))
        check(e["seq"] == symbols.index(e["type"]) + 1, "seq %d for %s" % (e["seq"], e["type"]))
        check(isinstance(e["occurred_at"], datetime.datetime), "occurred_at is a timestamp")
        check(e["recorded_at"] - e["occurred_at"] == datetime.timedelta(microseconds=1234), "micros kept")
        if e["type"] == "EscalationOpened":
            check(payload["title"] == "請求書の生成が失敗する — invoices fail", "title %r" % payload["title"])
            acct = payload["account"]
            check(acct["tier"] == "strategic" and acct["health_score"] == 55, "account %r" % acct)
            check(acct["renewal_date"] == datetime.date(1970, 1, 1) + datetime.timedelta(days=20600), "date")
            check(payload["impact"] == "production_down", "impact")
        if e["type"] == "CustomerUpdatePosted":
            check("🔍" in payload["body"] and payload["audience"] == "external", "update %r" % payload)
        if e["type"] == "SeverityAssigned":
            check(payload["bump_reasons"] == ["tier == strategic", "health_score 55 < 60"], "bump reasons")
        seen.add(e["type"])
    check(seen == set(symbols), "types missing: %s" % sorted(set(symbols) - seen))
    if a.dump:
        with open(a.dump, "w") as f:
            for v in values:
                f.write(v.hex() + "\n")
    print("python decoded %d events of %d types (%s framing)" %
          (len(values), len(seen), "Confluent" if values[0][:1] == b"\x00" else "single-object"))


def envelope(tag, seq, etype, payload_name, payload):
    return {
        "event_id": "00000000-0000-5000-8000-%012d" % seq, "incident_id": tag, "seq": seq,
        "type": etype, "occurred_at": T0 + datetime.timedelta(minutes=seq),
        "recorded_at": T0 + datetime.timedelta(minutes=seq, microseconds=7),
        "actor": "søren", "source": None, "command_id": "py-cmd-%d" % seq,
        "command_partition": 0, "command_offset": seq, "policy_version": "py-1",
        "prev_hash": bytes(32), "hash": bytes(range(32)),
        "payload": ("esc.v1." + payload_name, payload),
    }


def python_events(tag):
    acct = {"id": "acct-py", "name": None, "tier": "growth", "health_score": None,
            "paying": True, "renewal_date": datetime.date(2026, 6, 30)}
    return [
        envelope(tag, 1, "EscalationOpened", "EscalationOpened", {
            "account": acct, "product_area": "api", "title": "Übertragung schlägt fehl",
            "description": None, "impact": "data_loss", "detected_at": T0}),
        envelope(tag, 2, "SeverityAssigned", "SeverityAssigned", {
            "sev": 1, "matrix_sev": 1, "bumped": False, "bump_reasons": [],
            "response_due_at": T0 + datetime.timedelta(minutes=15),
            "next_update_due_at": T0 + datetime.timedelta(minutes=30), "resolution_due_at": None}),
        envelope(tag, 3, "CustomerUpdatePosted", "CustomerUpdatePosted", {
            "by": "søren", "audience": "internal", "body": "数据正在恢复", "next_update_at": None}),
        envelope(tag, 4, "ReviewCompleted", "ReviewCompleted", {
            "root_cause": "no alert on replication lag", "five_whys": ["a", "b", "c"]}),
        envelope(tag, 5, "CommandRejected", "CommandRejected", {
            "command_type": "close", "code": "close_requires_confirmation", "message": "ask first"}),
        envelope(tag, 6, "OutboundRecorded", "OutboundRecorded", {
            "target": "zendesk", "key": "zendesk:reply:4", "external_id": None, "status": "failed"}),
    ]


def cmd_produce(a):
    schema = load_schema("%s/esc.v1.Event.avsc" % a.schemas)
    header = b"\xc3\x01" + struct.pack("<Q", crc64_fingerprint(schema))
    p = Producer({"bootstrap.servers": a.brokers, "acks": "all", "partitioner": "murmur2_random"})
    errors = []
    for e in python_events(a.tag):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, schema, e)
        p.produce(a.topic, key=a.tag, value=header + buf.getvalue(),
                  on_delivery=lambda err, m: err and errors.append(err))
    p.flush(60)
    check(not errors, "delivery errors: %s" % errors)
    print("python produced %d events (single-object)" % len(python_events(a.tag)))


def cmd_canonical(a):
    """Prints fastavro's Parsing Canonical Form of one .avsc (--schemas FILE)."""
    print(to_parsing_canonical_form(load_schema(a.schemas)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["create-topic", "consume", "produce", "canonical"])
    ap.add_argument("--brokers")
    ap.add_argument("--topic")
    ap.add_argument("--tag", default="interop")
    ap.add_argument("--schemas")
    ap.add_argument("--registry")
    ap.add_argument("--dump")
    a = ap.parse_args()
    {"create-topic": cmd_create_topic, "consume": cmd_consume, "produce": cmd_produce,
     "canonical": cmd_canonical}[a.cmd](a)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, ValueError) as e:
        print("interop.py: FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)

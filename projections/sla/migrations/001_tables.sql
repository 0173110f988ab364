-- 001_tables.sql — the SLA projection's tables (DESIGN §6).
-- Names are unqualified on purpose: the migration runner sets search_path to
-- the target schema (esc, or esc_rebuild during `esc worker sla --rebuild`),
-- so the same files build both. Never edit this file once applied anywhere;
-- add a new NNN_*.sql instead (the runner refuses a changed checksum).

-- One row per incident: its current state folded from the log.
CREATE TABLE incidents (
        incident_id          text PRIMARY KEY,
        account_id           text,
        account_tier         text CHECK (account_tier IN ('standard', 'growth', 'strategic')),
        health_score         integer,
        product_area         text,
        title                text,
        sev                  smallint,
        matrix_sev           smallint,
        bumped               boolean NOT NULL DEFAULT false,
        status               text NOT NULL CHECK (status IN ('open', 'acknowledged', 'mitigated',
                                                            'resolved', 'confirmed', 'closed')),
        owner                text,
        csm                  text,
        cs_manager           text,
        slack_channel        text,
        tracking_url         text,
        opened_at            timestamptz NOT NULL,
        acknowledged_at      timestamptz,
        mitigated_at         timestamptz,
        resolved_at          timestamptz,
        confirmed_at         timestamptz,
        closed_at            timestamptz,
        response_due_at      timestamptz,
        next_update_due_at   timestamptz,
        resolution_due_at    timestamptz,
        tta_seconds          double precision,
        ttr_seconds          double precision,
        response_breached    boolean NOT NULL DEFAULT false,
        resolution_breached  boolean NOT NULL DEFAULT false,
        last_seq             bigint NOT NULL
);
CREATE INDEX incidents_account_idx ON incidents (account_id, product_area);
CREATE INDEX incidents_opened_idx ON incidents (opened_at);

-- The log, flattened: one row per event, payload as JSON.
CREATE TABLE events (
        incident_id      text NOT NULL,
        seq              bigint NOT NULL,
        event_id         text NOT NULL,
        type             text NOT NULL,
        occurred_at      timestamptz NOT NULL,
        recorded_at      timestamptz,
        actor            text,
        payload          jsonb NOT NULL,
        kafka_partition  integer NOT NULL,
        kafka_offset     bigint NOT NULL,
        PRIMARY KEY (incident_id, seq)
);

CREATE TABLE severity_changes (
        incident_id     text NOT NULL,
        seq             bigint NOT NULL,
        at              timestamptz NOT NULL,
        kind            text NOT NULL CHECK (kind IN ('assigned', 'overridden')),
        from_sev        smallint,
        to_sev          smallint NOT NULL,
        "by"            text,
        reason          text,
        policy_version  text,
        PRIMARY KEY (incident_id, seq)
);

CREATE TABLE customer_updates (
        incident_id   text NOT NULL,
        seq           bigint NOT NULL,
        at            timestamptz NOT NULL,
        "by"          text,
        audience      text NOT NULL CHECK (audience IN ('external', 'internal')),
        next_update_at timestamptz,
        due_at        timestamptz,
        late_seconds  double precision,
        PRIMARY KEY (incident_id, seq)
);

CREATE TABLE sla_breaches (
        incident_id   text NOT NULL,
        seq           bigint NOT NULL,
        at            timestamptz NOT NULL,
        clock         text NOT NULL CHECK (clock IN ('response', 'resolution', 'update', 'review')),
        due_at        timestamptz,
        PRIMARY KEY (incident_id, seq)
);

CREATE TABLE reviews (
        incident_id    text PRIMARY KEY,
        seq            bigint NOT NULL,
        opened_at      timestamptz NOT NULL,
        due_at         timestamptz,
        tracker_url    text,
        completed_seq  bigint,
        completed_at   timestamptz,
        root_cause     text,
        five_whys      jsonb
);

CREATE TABLE corrective_actions (
        incident_id  text NOT NULL,
        action_id    text NOT NULL,
        seq          bigint NOT NULL,
        added_at     timestamptz NOT NULL,
        title        text,
        owner        text,
        due_date     date,
        tracker_url  text,
        PRIMARY KEY (incident_id, action_id)
);

CREATE TABLE rejections (
        incident_id   text NOT NULL,
        seq           bigint NOT NULL,
        at            timestamptz NOT NULL,
        actor         text,
        command_type  text,
        code          text NOT NULL,
        message       text,
        PRIMARY KEY (incident_id, seq)
);

-- Where the projection stands in each partition, written in the same
-- transaction as the rows (DESIGN §1): the next offset to apply.
CREATE TABLE projection_offsets (
        projection   text NOT NULL,
        topic        text NOT NULL,
        "partition"  integer NOT NULL,
        next_offset  bigint NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, topic, "partition")
);

-- 004: clinical safety - risk rules (data, edited by admins), escalations,
-- and the staff-notification outbox.

CREATE TABLE risk_rules (
    id          bigserial PRIMARY KEY,
    -- one category, or (negator and unless rules) a comma list or '*';
    -- the rule compiler (cc_risk) checks the names
    category    text NOT NULL CHECK (category ~ '^(\*|[a-z_]+(,[a-z_]+)*)$'
                                     AND length(category) <= 200),
    lang        text NOT NULL CHECK (lang IN ('en', 'es', 'fr', '*')),
    kind        text NOT NULL CHECK (kind IN ('word', 'phrase', 'negator',
                'unless')),
    pattern     text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 200),
    enabled     boolean NOT NULL DEFAULT true,
    note        text NOT NULL DEFAULT '',
    updated_by  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row; version moves with every rule change (hosts recompile).
CREATE TABLE safety_state (
    id          integer PRIMARY KEY CHECK (id = 1),
    version     bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO safety_state (id, version) VALUES (1, 1);

CREATE TABLE escalations (
    id              bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id),
    message_id      bigint REFERENCES messages (id),
    priority        smallint NOT NULL CHECK (priority IN (1, 2)),  -- 1 emergency
    categories      text[] NOT NULL,
    matches         jsonb NOT NULL DEFAULT '[]',
    source          text NOT NULL DEFAULT 'message'
                    CHECK (source IN ('message', 'reply')),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'claimed', 'resolved')),
    assigned_to     text,
    outcome         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    resolved_at     timestamptz,
    resolved_by     text
);
CREATE INDEX escalations_queue ON escalations (status, priority, created_at);
CREATE INDEX escalations_conversation ON escalations (conversation_id);

CREATE TABLE notification_outbox (
    id            bigserial PRIMARY KEY,
    escalation_id bigint REFERENCES escalations (id),
    channel       text NOT NULL CHECK (channel IN ('webhook', 'email')),
    event         text NOT NULL,
    payload       jsonb NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    last_error    text,
    delivered_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_at)
    WHERE delivered_at IS NULL;

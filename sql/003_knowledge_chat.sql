-- 003: knowledge documents, the knowledge version every host follows, and
-- conversations with their messages (the chat log).

CREATE TABLE knowledge_documents (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    format      text NOT NULL CHECK (format IN ('markdown', 'text')),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT ''
);

-- One row.  version moves on every knowledge change, in the same
-- transaction; every host compares it with the generation it serves.
CREATE TABLE knowledge_state (
    id          integer PRIMARY KEY CHECK (id = 1),
    version     bigint NOT NULL,
    synonyms    text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO knowledge_state (id, version) VALUES (1, 1);

CREATE TABLE conversations (
    id              bigserial PRIMARY KEY,
    -- SHA-256 (hex) of the patient's session token; the token itself is
    -- never stored.
    session_hash    char(64) NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'escalated', 'closed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_message_at timestamptz NOT NULL DEFAULT now(),
    messages        integer NOT NULL DEFAULT 0,
    last_status     text
);
CREATE INDEX conversations_last ON conversations (last_message_at DESC);

CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id),
    role            text NOT NULL CHECK (role IN ('patient', 'bot', 'staff')),
    body            text NOT NULL,
    -- bot replies: answered | no_answer | escalated | emergency
    status          text,
    mode            text CHECK (mode IN ('llm', 'extractive', 'none')),
    sources         jsonb NOT NULL DEFAULT '[]',
    timing          jsonb NOT NULL DEFAULT '{}',
    request_id      text NOT NULL DEFAULT '',
    author          text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_status_time ON messages (status, created_at);

/**
 * The shared state's schema, as numbered migrations applied in order at
 * start (under an advisory lock, so servers starting together apply each
 * once). A migration is never edited after it shipped: changes are new
 * entries. Every table is keyed by broker.
 *
 *  - bybit_mcp_ledger: append-only (a trigger refuses UPDATE, DELETE and
 *    TRUNCATE). record_line is the record exactly as audit.jsonl would hold
 *    it, chain_line as audit_chain.jsonl would: `audit export` writes them
 *    out byte for byte, and the chain is Vibe-Trading's (seq,
 *    prev_record_hash, record_hash over the record).
 *  - bybit_mcp_counter: trades per broker and UTC day.
 *  - bybit_mcp_journal: write-ahead entries, committed before the send.
 *  - bybit_mcp_approvals: one row per request, the request's JSON.
 *  - bybit_mcp_mandates: versioned; the highest version is in force.
 *  - bybit_mcp_halt: one row per tripped switch ("global" or the broker),
 *    the body Vibe-Trading's HALT file holds.
 * Changes to halt and mandates NOTIFY bybit_mcp_state, so every host's last
 * check before the wire knows at once.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "shared state: ledger, counter, journal, approvals, mandates, halt",
    sql: `
CREATE TABLE bybit_mcp_ledger (
  broker text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  prev_record_hash text NOT NULL,
  record_hash text NOT NULL,
  audit_id text NOT NULL,
  decision_id text,
  kind text NOT NULL,
  record_line text NOT NULL,
  chain_line text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (broker, seq)
);
CREATE INDEX bybit_mcp_ledger_decision ON bybit_mcp_ledger (broker, decision_id) WHERE decision_id IS NOT NULL;

CREATE FUNCTION bybit_mcp_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'bybit_mcp_ledger is append-only';
END $$;
CREATE TRIGGER bybit_mcp_ledger_no_change BEFORE UPDATE OR DELETE ON bybit_mcp_ledger
  FOR EACH ROW EXECUTE FUNCTION bybit_mcp_ledger_append_only();
CREATE TRIGGER bybit_mcp_ledger_no_truncate BEFORE TRUNCATE ON bybit_mcp_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION bybit_mcp_ledger_append_only();

CREATE TABLE bybit_mcp_counter (
  broker text NOT NULL,
  day date NOT NULL,
  trades integer NOT NULL CHECK (trades >= 0),
  PRIMARY KEY (broker, day)
);

CREATE TABLE bybit_mcp_journal (
  broker text NOT NULL,
  decision_id text NOT NULL,
  order_link_id text NOT NULL,
  ts_ms bigint NOT NULL,
  open_line text NOT NULL,
  close_line text,
  PRIMARY KEY (broker, decision_id)
);
CREATE INDEX bybit_mcp_journal_link ON bybit_mcp_journal (broker, order_link_id);
CREATE INDEX bybit_mcp_journal_open ON bybit_mcp_journal (broker) WHERE close_line IS NULL;

CREATE TABLE bybit_mcp_approvals (
  broker text NOT NULL,
  id text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (broker, id)
);

CREATE TABLE bybit_mcp_mandates (
  broker text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  mandate_id text,
  body text NOT NULL,
  sha256 text NOT NULL,
  consent_record text,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (broker, version)
);

CREATE TABLE bybit_mcp_halt (
  scope text PRIMARY KEY,
  body text NOT NULL,
  tripped_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION bybit_mcp_notify_halt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('bybit_mcp_state', json_build_object('t', 'halt', 'scope', OLD.scope, 'present', false)::text);
  ELSE
    PERFORM pg_notify('bybit_mcp_state', json_build_object('t', 'halt', 'scope', NEW.scope, 'present', true, 'body', NEW.body)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER bybit_mcp_halt_notify AFTER INSERT OR UPDATE OR DELETE ON bybit_mcp_halt
  FOR EACH ROW EXECUTE FUNCTION bybit_mcp_notify_halt();

CREATE FUNCTION bybit_mcp_notify_mandate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bybit_mcp_state', json_build_object('t', 'mandate', 'broker', NEW.broker, 'version', NEW.version, 'sha256', NEW.sha256)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER bybit_mcp_mandate_notify AFTER INSERT ON bybit_mcp_mandates
  FOR EACH ROW EXECUTE FUNCTION bybit_mcp_notify_mandate();
`,
  },
];

/** Advisory lock keys: (namespace, hashtext(broker)). */
export const LOCK = { migrate: 0x62796d00, order: 0x62796d01, ledger: 0x62796d02 } as const;

// The server's database, dala-server.db: its tables are documented, with
// every column, in server/DATABASE.md.
#include "migrations.h"

namespace dala::server {

// Migrations are append-only: a shipped migration is never edited, because
// running servers have already applied it.

const std::vector<std::string_view>& ServerMigrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: the first schema.
      R"sql(
CREATE TABLE projects (
  name       TEXT PRIMARY KEY,
  title      TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('volunteer', 'coordinator', 'auditor', 'admin')),
  password_hash TEXT NOT NULL DEFAULT '',
  created_ms    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  csrf_token TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);

CREATE TABLE enroll_codes (
  code_hash  TEXT PRIMARY KEY,
  volunteer  TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms    INTEGER
);

CREATE TABLE devices (
  key           BLOB PRIMARY KEY CHECK (length(key) = 32),
  volunteer     TEXT NOT NULL,
  label         TEXT NOT NULL,
  enrolled_ms   INTEGER NOT NULL,
  enrolled_by   TEXT NOT NULL,
  revoked_ms    INTEGER NOT NULL DEFAULT 0,
  revoked_by    TEXT NOT NULL DEFAULT '',
  revoke_reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE forms (
  hash         TEXT PRIMARY KEY CHECK (length(hash) = 64),
  form_id      TEXT NOT NULL,
  version      TEXT NOT NULL,
  project      TEXT NOT NULL,
  document     BLOB NOT NULL,
  published_ms INTEGER NOT NULL,
  publish_seq  INTEGER NOT NULL UNIQUE,
  UNIQUE (form_id, version)
);

CREATE TABLE envelopes (
  id          BLOB PRIMARY KEY CHECK (length(id) = 32),
  log_index   INTEGER NOT NULL UNIQUE,
  leaf_hash   BLOB NOT NULL CHECK (length(leaf_hash) = 32),
  bytes       BLOB NOT NULL,
  kind        INTEGER NOT NULL,
  submission  BLOB NOT NULL,
  author      BLOB NOT NULL,
  sequence    INTEGER NOT NULL,
  hlc         INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL,
  UNIQUE (author, sequence)
);
CREATE INDEX envelopes_by_submission ON envelopes (submission, log_index);

CREATE TABLE submissions (
  id                   BLOB PRIMARY KEY CHECK (length(id) = 16),
  form_id              TEXT NOT NULL,
  form_version         TEXT NOT NULL,
  form_hash            TEXT NOT NULL,
  volunteer            TEXT NOT NULL,
  centre               TEXT NOT NULL,
  region               TEXT NOT NULL,
  visit_date           TEXT NOT NULL,
  duplicate_key        TEXT NOT NULL,
  created_ms           INTEGER NOT NULL,
  updated_ms           INTEGER NOT NULL,
  answers              TEXT NOT NULL,
  heads                INTEGER NOT NULL,
  conflicts            INTEGER NOT NULL,
  review_state         TEXT NOT NULL,
  review_by            TEXT NOT NULL,
  review_comment       TEXT NOT NULL,
  changed_since_review INTEGER NOT NULL,
  duplicate_group      TEXT NOT NULL,
  merged_into          TEXT NOT NULL,
  last_log_index       INTEGER NOT NULL
);
CREATE INDEX submissions_by_form ON submissions (form_id, created_ms);
CREATE INDEX submissions_by_volunteer ON submissions (volunteer);
CREATE INDEX submissions_by_key ON submissions (duplicate_key) WHERE duplicate_key != '';

CREATE TABLE outbox (
  id        INTEGER PRIMARY KEY,
  volunteer TEXT NOT NULL,
  log_index INTEGER NOT NULL
);
CREATE INDEX outbox_by_volunteer ON outbox (volunteer, id);

CREATE TABLE checkpoints (
  size      INTEGER PRIMARY KEY,
  note      TEXT NOT NULL
);
)sql",
      // 2: duplicate detection reads only index entries. Every record of a
      // form shares the same few keys in busy centres, and walking the
      // table rows past their answers cost more than the rest of a refresh.
      R"sql(
DROP INDEX submissions_by_key;
CREATE INDEX submissions_by_key ON submissions (duplicate_key, form_id, volunteer, id, duplicate_group, merged_into)
  WHERE duplicate_key != '';
)sql",
      // 3: "not a duplicate" holds between two records, not for one record
      // against everyone: a third volunteer's record at the same centre
      // and day must still be flagged. The pairs a submission was declared
      // distinct from go with it; the old all-or-nothing marker "-" is
      // replaced when the server next starts (RecordService::Load).
      R"sql(
ALTER TABLE submissions ADD COLUMN distinct_from TEXT NOT NULL DEFAULT '';
DROP INDEX submissions_by_key;
CREATE INDEX submissions_by_key ON submissions (duplicate_key, form_id, volunteer, id, duplicate_group, merged_into,
  distinct_from) WHERE duplicate_key != '';
CREATE INDEX submissions_legacy_distinct ON submissions (id) WHERE duplicate_group = '-';
)sql",
      // 4: a volunteer's records follow them to each of their laptops, so
      // the outbox carries laptops' envelopes too; a laptop is not sent
      // back what it signed itself. Earlier rows are all the server's.
      R"sql(
ALTER TABLE outbox ADD COLUMN author BLOB NOT NULL DEFAULT x'';
DROP INDEX outbox_by_volunteer;
CREATE INDEX outbox_by_volunteer ON outbox (volunteer, id, author);
CREATE INDEX outbox_by_log_index ON outbox (volunteer, log_index);
)sql",
      // 5: the dashboard. People keep their language; laptops the time of
      // their last sync; the submissions list and the overview filter and
      // count by review state and region without reading every row.
      R"sql(
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN last_sync_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX submissions_by_state ON submissions (form_id, review_state);
CREATE INDEX submissions_by_region ON submissions (form_id, region, centre);
)sql",
      // 6: administration. Retired forms are no longer sent to laptops or
      // taken for new records (existing records keep their form).
      R"sql(
ALTER TABLE forms ADD COLUMN retired_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE forms ADD COLUMN retired_by TEXT NOT NULL DEFAULT '';
)sql",
      // 7: people's keys, which sign their decisions, and the one-time
      // codes with which an admin confirms their enrolment.
      R"sql(
CREATE TABLE person_key_codes (
  code_hash  TEXT PRIMARY KEY,
  person     TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms    INTEGER
);
CREATE TABLE person_keys (
  key           BLOB PRIMARY KEY CHECK (length(key) = 32),
  person        TEXT NOT NULL,
  role          TEXT NOT NULL,
  label         TEXT NOT NULL,
  enrolled_ms   INTEGER NOT NULL,
  enrolled_by   TEXT NOT NULL,
  revoked_ms    INTEGER NOT NULL DEFAULT 0,
  revoked_by    TEXT NOT NULL DEFAULT '',
  revoke_reason TEXT NOT NULL DEFAULT '',
  enrolled_index INTEGER NOT NULL
);
CREATE INDEX person_keys_by_person ON person_keys (person, enrolled_ms);
)sql",
      // 8: the dashboard at 100,000 records. The list's usual filters
      // (form, region, state; newest first) and the overview's counts read
      // index entries only, never rows with their answers. Indicators
      // read counts kept as records are written (SqliteStore::
      // PutSubmission), not every record's answers; they are filled from
      // the records already stored when the server next opens the
      // database (the pending row).
      R"sql(
CREATE INDEX submissions_by_region_state ON submissions (form_id, region, review_state, updated_ms, id);
CREATE INDEX submissions_dashboard ON submissions (form_id, region, centre, review_state, merged_into, conflicts,
  changed_since_review, duplicate_group, visit_date, created_ms);
CREATE TABLE indicator_counts (
  form_id TEXT NOT NULL,
  region  TEXT NOT NULL,
  centre  TEXT NOT NULL,
  path    TEXT NOT NULL,
  kind    INTEGER NOT NULL,
  value   TEXT NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (form_id, region, centre, path, kind, value)
) WITHOUT ROWID;
CREATE TABLE indicator_counts_pending (since INTEGER NOT NULL);
INSERT INTO indicator_counts_pending VALUES (8);
)sql",
      // 9: the submissions list without a form chosen, in time order (the
      // API's default, and what coordinators open first), reads 50 index
      // entries instead of sorting every row with its answers, which held
      // the store for tens of milliseconds per list while syncs waited.
      R"sql(
CREATE INDEX submissions_by_created ON submissions (created_ms, id);
CREATE INDEX submissions_by_updated ON submissions (updated_ms, id);
)sql",
      // 10: request nonces kept in the store, for deployments where
      // several nodes share it (PostgreSQL); SQLite keeps the table so that
      // both stores answer the same tests, and one node its nonces in memory.
      R"sql(
CREATE TABLE request_nonces (
  device     BLOB NOT NULL,
  nonce      TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY (device, nonce)
) WITHOUT ROWID;
CREATE INDEX request_nonces_by_expiry ON request_nonces (expires_ms);
)sql",
      // 11: failed logins, from which each node's login throttle replays
      // its delays, so that guesses spread over several nodes count as one
      // stream (auth_throttle.h). Forgotten a window after.
      R"sql(
CREATE TABLE login_failures (
  id      INTEGER PRIMARY KEY,
  user    TEXT NOT NULL,
  address TEXT NOT NULL,
  at_ms   INTEGER NOT NULL
);
CREATE INDEX login_failures_by_pair ON login_failures (user, address, at_ms);
CREATE INDEX login_failures_by_address ON login_failures (address, at_ms);
CREATE INDEX login_failures_by_time ON login_failures (at_ms);
)sql",
      // 12: submissions_by_region (form_id, region, centre) is the start of
      // submissions_dashboard, which answers every query it did; each
      // record written kept a ninth index of submissions up to date for
      // nothing.
      R"sql(
DROP INDEX submissions_by_region;
)sql",
      // 13: only what the indicators read is counted: at the paths of
      // choice and number questions (CountPlan, indicator_counts.h), not
      // every text, date and time answer as a possible choice. The counts
      // are made again when the server next opens the database.
      R"sql(
INSERT INTO indicator_counts_pending VALUES (13);
)sql",
      // 14: a record's only head and its clock, so that an edit naming it
      // is merged from the row alone, without reading and parsing every
      // envelope of the record (RecordService::RefreshSubmission). Rows
      // written before have none, and take the full merge on their next
      // edit, which fills them.
      R"sql(
ALTER TABLE submissions ADD COLUMN only_head TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN only_head_hlc INTEGER NOT NULL DEFAULT 0;
)sql",
  };
  return kMigrations;
}

}  // namespace dala::server

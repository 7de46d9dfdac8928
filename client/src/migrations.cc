// The laptop's database, dala.db: its tables are documented, with every
// column, in client/DATABASE.md.
#include "migrations.h"

namespace dala::client {

// Migrations are append-only: a shipped migration is never edited, because
// laptops in the field have already applied it.

const std::vector<std::string_view>& ClientMigrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: the first schema.
      R"sql(
CREATE TABLE profile (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE forms (
  hash     TEXT PRIMARY KEY CHECK (length(hash) = 64),
  form_id  TEXT NOT NULL,
  version  TEXT NOT NULL,
  document BLOB NOT NULL,
  source   TEXT NOT NULL CHECK (source IN ('local', 'server')),
  added_ms INTEGER NOT NULL,
  UNIQUE (form_id, version)
);

CREATE TABLE envelopes (
  id            BLOB PRIMARY KEY CHECK (length(id) = 32),
  bytes         BLOB NOT NULL,
  kind          INTEGER NOT NULL CHECK (kind IN (1, 2)),
  submission    BLOB NOT NULL CHECK (length(submission) = 16),
  author        BLOB NOT NULL CHECK (length(author) = 32),
  sequence      INTEGER NOT NULL CHECK (sequence >= 1),
  hlc           INTEGER NOT NULL,
  own           INTEGER NOT NULL CHECK (own IN (0, 1)),
  upload        TEXT NOT NULL CHECK (upload IN ('pending', 'accepted', 'rejected', 'received')),
  reject_reason TEXT NOT NULL DEFAULT '',
  stored_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX envelopes_own_sequence ON envelopes (sequence) WHERE own = 1;
CREATE INDEX envelopes_by_submission ON envelopes (submission);
CREATE INDEX envelopes_pending ON envelopes (sequence) WHERE upload = 'pending';

CREATE TABLE submissions (
  id             BLOB PRIMARY KEY CHECK (length(id) = 16),
  form_id        TEXT NOT NULL,
  form_hash      TEXT NOT NULL,
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL,
  answers        TEXT NOT NULL,
  heads          INTEGER NOT NULL,
  conflicts      INTEGER NOT NULL,
  review_state   TEXT NOT NULL,
  review_by      TEXT NOT NULL DEFAULT '',
  review_comment TEXT NOT NULL DEFAULT '',
  changed_since_review INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE drafts (
  id         INTEGER PRIMARY KEY,
  form_hash  TEXT NOT NULL REFERENCES forms (hash),
  submission BLOB,
  answers    TEXT NOT NULL,
  language   TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE receipts (
  id          INTEGER PRIMARY KEY,
  envelope    BLOB NOT NULL CHECK (length(envelope) = 32),
  sequence    INTEGER NOT NULL,
  leaf_index  INTEGER NOT NULL,
  tree_size   INTEGER NOT NULL,
  proof       BLOB NOT NULL,
  checkpoint  TEXT NOT NULL,
  received_ms INTEGER NOT NULL
);
)sql",
      // 2: a record the server refused for good comes back as a draft, with
      // the server's reason shown beside it.
      R"sql(
ALTER TABLE drafts ADD COLUMN note TEXT NOT NULL DEFAULT '';
)sql",
      // 3: the volunteer's other laptops, whose revisions this laptop takes
      // in, each with the server-signed enrolment event that vouches for it.
      R"sql(
CREATE TABLE volunteer_laptops (
  key   BLOB PRIMARY KEY CHECK (length(key) = 32),
  label TEXT NOT NULL,
  event BLOB NOT NULL
);
)sql",
      // 4: every `dala sync` counts the records sent back; without an index
      // that read every record (30 ms of a no-op sync at 100,000).
      R"sql(
CREATE INDEX submissions_by_review_state ON submissions (review_state);
)sql",
      // 5: a revoked laptop's revisions after its revocation are not taken
      // in; updates that could not be taken in yet wait for what they lack.
      R"sql(
ALTER TABLE volunteer_laptops ADD COLUMN revoked_through INTEGER;
ALTER TABLE volunteer_laptops ADD COLUMN revoke_event BLOB;
CREATE TABLE set_aside_updates (
  id        BLOB PRIMARY KEY CHECK (length(id) = 32),
  bytes     BLOB NOT NULL,
  form_hash TEXT NOT NULL,
  stored_ms INTEGER NOT NULL
);
)sql",
      // 6: `dala ui` reopens a draft at the step it showed last, even one
      // the volunteer went back to, not only at the first unanswered one.
      R"sql(
ALTER TABLE drafts ADD COLUMN position TEXT NOT NULL DEFAULT '';
)sql",
      // 7: what the server said of each of this laptop's envelopes, in a
      // table of its own, so that envelopes rows, which hold the signed
      // bytes, are written once. Marking 1,000 envelopes accepted rewrote
      // 1,000 rows of ~900 bytes (about half the laptop's CPU in a sync);
      // here it rewrites 1,000 rows of a few bytes.
      R"sql(
CREATE TABLE uploads (
  sequence      INTEGER PRIMARY KEY CHECK (sequence >= 1),
  envelope      BLOB NOT NULL UNIQUE REFERENCES envelopes (id) ON DELETE CASCADE,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  reject_reason TEXT NOT NULL DEFAULT ''
);
INSERT INTO uploads (sequence, envelope, state, reject_reason)
  SELECT sequence, id, upload, reject_reason FROM envelopes WHERE own = 1 AND upload != 'received';
CREATE INDEX uploads_pending ON uploads (sequence) WHERE state = 'pending';
-- Every envelope this laptop signs starts pending, in the statement that
-- stores it.
CREATE TRIGGER own_envelopes_start_pending AFTER INSERT ON envelopes WHEN NEW.own = 1
BEGIN
  INSERT INTO uploads (sequence, envelope, state) VALUES (NEW.sequence, NEW.id, 'pending');
END;
DROP INDEX envelopes_pending;
ALTER TABLE envelopes DROP COLUMN upload;
ALTER TABLE envelopes DROP COLUMN reject_reason;
)sql",
  };
  return kMigrations;
}

}  // namespace dala::client

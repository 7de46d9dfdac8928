// The audit bundle's schema: its tables, and the conditions a verifier
// checks of them, are documented in sync/BUNDLE.md.
#include "bundle_migrations.h"

namespace dala::sync {

// Migrations are append-only: a shipped migration is never edited, because
// bundles already handed to auditors have already applied it.

const std::vector<std::string_view>& BundleMigrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: dala-bundle-1. The CHECKs hold only what the writer guarantees;
      // a verifier re-checks every row anyway, since whoever hands over a
      // bundle also chooses its schema.
      R"sql(
CREATE TABLE bundle_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE projects (
  name       TEXT PRIMARY KEY,
  title      TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);

CREATE TABLE forms (
  hash         TEXT PRIMARY KEY CHECK (length(hash) = 64),
  form_id      TEXT NOT NULL,
  version      TEXT NOT NULL,
  project      TEXT NOT NULL,
  document     BLOB NOT NULL,
  published_ms INTEGER NOT NULL
);

CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL
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

CREATE TABLE log (
  idx      INTEGER PRIMARY KEY,
  envelope BLOB NOT NULL
);

CREATE TABLE checkpoints (
  size INTEGER PRIMARY KEY,
  note TEXT NOT NULL
);

CREATE TABLE submissions (
  id           BLOB PRIMARY KEY CHECK (length(id) = 16),
  form_id      TEXT NOT NULL,
  answers      TEXT NOT NULL,
  heads        TEXT NOT NULL,
  conflicts    INTEGER NOT NULL,
  review_state TEXT NOT NULL
);
)sql",
  };
  return kMigrations;
}

}  // namespace dala::sync

// Signed checkpoints: the log's tree head as a C2SP signed note
// (c2sp.org/tlog-checkpoint over c2sp.org/signed-note, Ed25519 only), so
// that the server's claims can be checked by standard tooling as well as by
// Dala's own auditor. MERKLE.md lists the format and what is refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"

namespace dala::sync {

struct Checkpoint {
  std::string origin;  // the log's identity, e.g. "dala.example.org/log"
  uint64_t size = 0;
  Hash root{};

  bool operator==(const Checkpoint&) const = default;
};

// "<origin>\n<size>\n<base64 root>\n": the text the signature covers.
[[nodiscard]] std::string CheckpointBody(const Checkpoint& checkpoint);

// Non-empty, valid UTF-8, no Unicode space, no '+' (the signed-note rules).
[[nodiscard]] bool IsValidNoteKeyName(std::string_view name);

// The signed note: body, blank line, one signature line by `key`.
// Preconditions: IsValidNoteKeyName(key_name), and the origin non-empty
// with no control character; a note that breaks them would not verify.
[[nodiscard]] std::string SignCheckpoint(const Checkpoint& checkpoint, std::string_view key_name,
                                         const SigningKey& key);

// Parses `note` strictly and accepts it only if it carries a valid signature
// by (key_name, key) and its origin is expected_origin. Signatures by other
// keys are ignored. InvalidArgument for a malformed note or body;
// Unauthenticated if no signature of ours verifies, if one of ours fails,
// or for another origin. Extension lines are accepted and dropped.
[[nodiscard]] Result<Checkpoint> VerifyCheckpoint(std::string_view note, std::string_view key_name,
                                                  const PublicKey& key, std::string_view expected_origin);

// The first four bytes, big-endian, of
// SHA-256(key_name || 0x0A || 0x01 || key): names a key in signature lines.
[[nodiscard]] uint32_t NoteKeyHash(std::string_view key_name, const PublicKey& key);

// "<name>+<8 hex digits of NoteKeyHash>+<base64(0x01 || key)>": the one line
// that tells an auditor, or any signed-note tool, which key signs the log.
[[nodiscard]] std::string VerifierKeyString(std::string_view key_name, const PublicKey& key);

// The inverse; InvalidArgument unless the name is valid, the algorithm byte
// is 0x01 (Ed25519), the key is 32 bytes and the key hash matches.
Result<std::pair<std::string, PublicKey>> ParseVerifierKey(std::string_view verifier_key);

}  // namespace dala::sync

// Checkpoints as C2SP signed notes. The parser follows the reference
// implementation (golang.org/x/mod/sumdb/note) in what it refuses, so that a
// note Dala accepts is one any other verifier would accept too, and the
// reverse: the text is split from the signatures at the last blank line, a
// single malformed signature line spoils the whole note, and a failed
// signature by the key we trust rejects the note even if another copy of it
// verifies.

#include "dala/sync/checkpoint.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <vector>

#include "dala/base/utf8.h"

namespace dala::sync {

namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr uint8_t kEd25519Type = 0x01;
constexpr size_t kKeyHashSize = 4;
// The reference implementation's limit; the spec asks for at least 16.
constexpr size_t kMaxSignatures = 100;
// Far above any real checkpoint (a few hundred bytes plus cosignatures), and
// low enough that a hostile note cannot make the verifier do much work.
constexpr size_t kMaxNoteSize = 1 << 20;

// Decodes one code point of valid UTF-8 at s[*i] and advances *i.
char32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(*i);
  if (b0 < 0x80) {
    *i += 1;
    return b0;
  }
  int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : 1;
  char32_t c = b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) c = (c << 6) | (byte(*i + k) & 0x3F);
  *i += extra + 1;
  return c;
}

// Go's unicode.IsSpace, which the reference implementation uses for names.
bool IsUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool HasControlCharacterOtherThanNewline(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n') return true;
  }
  return false;
}

std::string KeyHashBytes(uint32_t key_hash) {
  std::string out(kKeyHashSize, '\0');
  for (size_t i = 0; i < kKeyHashSize; ++i) {
    out[i] = static_cast<char>(key_hash >> (8 * (kKeyHashSize - 1 - i)));
  }
  return out;
}

uint32_t KeyHashFromBytes(std::string_view bytes) {
  uint32_t h = 0;
  for (size_t i = 0; i < kKeyHashSize; ++i) h = (h << 8) | static_cast<unsigned char>(bytes[i]);
  return h;
}

// libsodium 1.0.18 (Debian 12) decodes every byte from 0x80 up as if it
// were '/', so "é" would pass for "//". Base64 in a note must be plain
// RFC 4648, so the alphabet is checked before decoding.
Result<std::string> DecodeBase64Strictly(std::string_view text) {
  for (char c : text) {
    const bool in_alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    if (!in_alphabet) return Status::InvalidArgument("not valid base64");
  }
  return FromBase64(text);
}

struct SignatureLine {
  std::string_view name;
  uint32_t key_hash = 0;
  std::string signature;  // what follows the key hash
};

Result<SignatureLine> ParseSignatureLine(std::string_view line, size_t number) {
  const std::string where = "signature line " + std::to_string(number) + ": ";
  if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return Status::InvalidArgument(where + "does not start with an em dash and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return Status::InvalidArgument(where + "has no space between key name and signature");
  }
  SignatureLine parsed;
  parsed.name = line.substr(0, space);
  if (!IsValidNoteKeyName(parsed.name)) {
    return Status::InvalidArgument(where + "key name is empty or has a space or '+'");
  }
  auto decoded = DecodeBase64Strictly(line.substr(space + 1));
  if (!decoded.ok() || decoded->size() <= kKeyHashSize) {
    return Status::InvalidArgument(where + "signature is not base64 of a key hash and signature");
  }
  parsed.key_hash = KeyHashFromBytes(*decoded);
  parsed.signature = decoded->substr(kKeyHashSize);
  return parsed;
}

Result<uint64_t> ParseTreeSize(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("checkpoint tree size is empty");
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("checkpoint tree size is not a decimal number");
    }
  }
  if (text.size() > 1 && text[0] == '0') {
    return Status::InvalidArgument("checkpoint tree size has a leading zero");
  }
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("checkpoint tree size does not fit in 64 bits");
  }
  return value;
}

// The body is "<origin>\n<size>\n<root>\n" then optional non-empty
// extension lines, each ending in a newline.
Result<Checkpoint> ParseCheckpointBody(std::string_view body) {
  std::vector<std::string_view> lines;
  while (!body.empty()) {
    const size_t newline = body.find('\n');
    if (newline == std::string_view::npos) {
      return Status::InvalidArgument("checkpoint body does not end with a newline");
    }
    lines.push_back(body.substr(0, newline));
    body.remove_prefix(newline + 1);
  }
  if (lines.size() < 3) {
    return Status::InvalidArgument("checkpoint body needs origin, tree size and root hash lines");
  }
  for (std::string_view line : lines) {
    if (line.empty()) return Status::InvalidArgument("checkpoint body has an empty line");
  }
  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  DALA_ASSIGN_OR_RETURN(checkpoint.size, ParseTreeSize(lines[1]));
  auto root = DecodeBase64Strictly(lines[2]);
  if (!root.ok() || root->size() != checkpoint.root.size()) {
    return Status::InvalidArgument("checkpoint root hash is not base64 of 32 bytes");
  }
  std::copy(root->begin(), root->end(), checkpoint.root.begin());
  return checkpoint;
}

}  // namespace

std::string CheckpointBody(const Checkpoint& checkpoint) {
  std::string body = checkpoint.origin;
  body += '\n';
  body += std::to_string(checkpoint.size);
  body += '\n';
  body += ToBase64(AsBytes(checkpoint.root));
  body += '\n';
  return body;
}

bool IsValidNoteKeyName(std::string_view name) {
  if (name.empty() || !utf8::IsValid(name)) return false;
  for (size_t i = 0; i < name.size();) {
    const char32_t c = NextCodePoint(name, &i);
    if (c == U'+' || IsUnicodeSpace(c)) return false;
  }
  return true;
}

uint32_t NoteKeyHash(std::string_view key_name, const PublicKey& key) {
  const uint8_t separator_and_type[2] = {'\n', kEd25519Type};
  Hash h = Sha256Builder()
               .Add(key_name)
               .Add(separator_and_type, sizeof separator_and_type)
               .Add(key.data(), key.size())
               .Finish();
  return KeyHashFromBytes(AsBytes(h));
}

std::string SignCheckpoint(const Checkpoint& checkpoint, std::string_view key_name,
                           const SigningKey& key) {
  assert(IsValidNoteKeyName(key_name));
  assert(!checkpoint.origin.empty() && !HasControlCharacterOtherThanNewline(checkpoint.origin) &&
         checkpoint.origin.find('\n') == std::string::npos);
  std::string note = CheckpointBody(checkpoint);
  // An empty domain makes Sign a plain Ed25519 signature over the body, as
  // the signed-note spec requires.
  const Signature signature = key.Sign("", note);
  std::string blob = KeyHashBytes(NoteKeyHash(key_name, key.public_key()));
  blob.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  note += '\n';
  note += kSignaturePrefix;
  note += key_name;
  note += ' ';
  note += ToBase64(blob);
  note += '\n';
  return note;
}

Result<Checkpoint> VerifyCheckpoint(std::string_view note, std::string_view key_name,
                                    const PublicKey& key, std::string_view expected_origin) {
  if (!IsValidNoteKeyName(key_name)) {
    return Status::InvalidArgument("key name is empty or has a space or '+'");
  }
  if (note.empty()) return Status::InvalidArgument("note is empty");
  if (note.size() > kMaxNoteSize) return Status::ResourceExhausted("note is too large");
  if (!utf8::IsValid(note)) return Status::InvalidArgument("note is not valid UTF-8");
  if (HasControlCharacterOtherThanNewline(note)) {
    return Status::InvalidArgument(
        "note has a control character (CR, tab, ...) other than newline");
  }
  // The text keeps its final newline; the blank line after it is the last
  // "\n\n" in the note, since signature lines are never empty.
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("note has no blank line between text and signatures");
  }
  const std::string_view text = note.substr(0, split + 1);
  std::string_view signatures = note.substr(split + 2);
  if (signatures.empty()) return Status::InvalidArgument("note has no signature lines");
  if (signatures.back() != '\n') {
    return Status::InvalidArgument("note does not end with a newline: truncated?");
  }

  std::vector<SignatureLine> lines;
  while (!signatures.empty()) {
    if (lines.size() == kMaxSignatures) {
      return Status::ResourceExhausted("note has more than " + std::to_string(kMaxSignatures) +
                                       " signatures");
    }
    const size_t newline = signatures.find('\n');
    DALA_ASSIGN_OR_RETURN(SignatureLine line,
                          ParseSignatureLine(signatures.substr(0, newline), lines.size() + 1));
    lines.push_back(std::move(line));
    signatures.remove_prefix(newline + 1);
  }

  const uint32_t our_hash = NoteKeyHash(key_name, key);
  bool verified = false;
  for (const SignatureLine& line : lines) {
    // A line naming another key, even by name alone or hash alone, is
    // someone else's (a witness, a rotated key) and is not ours to judge.
    if (line.name != key_name || line.key_hash != our_hash) continue;
    if (!VerifyRaw(key, text, line.signature)) {
      return Status::Unauthenticated("checkpoint signature by " + std::string(key_name) +
                                     " does not verify");
    }
    verified = true;
  }
  if (!verified) {
    return Status::Unauthenticated("checkpoint is not signed by " +
                                   VerifierKeyString(key_name, key));
  }

  DALA_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpointBody(text));
  if (checkpoint.origin != expected_origin) {
    return Status::Unauthenticated("checkpoint is for log \"" + checkpoint.origin + "\", not \"" +
                                   std::string(expected_origin) + "\"");
  }
  return checkpoint;
}

std::string VerifierKeyString(std::string_view key_name, const PublicKey& key) {
  std::string typed_key(1, static_cast<char>(kEd25519Type));
  typed_key.append(reinterpret_cast<const char*>(key.data()), key.size());
  std::string out(key_name);
  out += '+';
  out += ToHex(KeyHashBytes(NoteKeyHash(key_name, key)));
  out += '+';
  out += ToBase64(typed_key);
  return out;
}

Result<std::pair<std::string, PublicKey>> ParseVerifierKey(std::string_view verifier_key) {
  // Names cannot hold '+', but base64 can, so only the first two split.
  const size_t first = verifier_key.find('+');
  const size_t second = first == std::string_view::npos ? first : verifier_key.find('+', first + 1);
  if (second == std::string_view::npos) {
    return Status::InvalidArgument("verifier key is not <name>+<key hash>+<key>");
  }
  const std::string_view name = verifier_key.substr(0, first);
  const std::string_view hash_hex = verifier_key.substr(first + 1, second - first - 1);
  const std::string_view key_base64 = verifier_key.substr(second + 1);
  if (!IsValidNoteKeyName(name)) {
    return Status::InvalidArgument("verifier key name is empty or has a space or '+'");
  }
  std::array<uint8_t, kKeyHashSize> hash_bytes{};
  if (!FromHex(hash_hex, &hash_bytes)) {
    return Status::InvalidArgument("verifier key hash is not 8 hex digits");
  }
  auto typed_key = DecodeBase64Strictly(key_base64);
  PublicKey key{};
  if (!typed_key.ok() || typed_key->size() != 1 + key.size()) {
    return Status::InvalidArgument("verifier key is not base64 of a type byte and 32 bytes");
  }
  if (static_cast<uint8_t>((*typed_key)[0]) != kEd25519Type) {
    return Status::InvalidArgument("verifier key is not an Ed25519 key");
  }
  std::copy(typed_key->begin() + 1, typed_key->end(), key.begin());
  const std::string_view hash_view(reinterpret_cast<const char*>(hash_bytes.data()),
                                   hash_bytes.size());
  if (KeyHashFromBytes(hash_view) != NoteKeyHash(name, key)) {
    return Status::InvalidArgument("verifier key hash does not match its name and key");
  }
  return std::pair<std::string, PublicKey>(std::string(name), key);
}

}  // namespace dala::sync

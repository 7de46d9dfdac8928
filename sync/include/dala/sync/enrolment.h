// Enrolment codes and the proof of key possession a device sends with one
// (POST /api/v1/enroll, server/API.md). Both sides of the wire use these,
// so the laptop and the server can never disagree on what was signed.
#pragma once

#include <string>
#include <string_view>

#include "dala/sync/crypto.h"

namespace dala::sync {

// 12 characters of this alphabet (no 0/O, 1/I/L), shown in groups of four:
// "K7MX-Q4TR-P2NW". About 59 bits.
inline constexpr std::string_view kEnrollCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

// The code as typed (any case, with or without dashes or spaces) in its
// canonical form: 12 upper-case characters without dashes. Empty when the
// text cannot be a code.
[[nodiscard]] std::string NormalizeEnrollCode(std::string_view typed);

// The message a device signs under kEnrollProofDomain:
// NORMALIZED_CODE "\n" lower-case hex of the public key.
[[nodiscard]] std::string EnrollProofMessage(std::string_view normalized_code, const PublicKey& key);
[[nodiscard]] Signature SignEnrollProof(const SigningKey& key, std::string_view normalized_code);
[[nodiscard]] bool VerifyEnrollProof(const PublicKey& key, std::string_view normalized_code,
                                     const Signature& proof);

// The same proof for a person's key (a coordinator's or an admin's, which
// signs their decisions), under kPersonKeyProofDomain: the same message, so
// a browser builds it as easily, but never interchangeable with a device's.
[[nodiscard]] Signature SignPersonKeyProof(const SigningKey& key, std::string_view normalized_code);
[[nodiscard]] bool VerifyPersonKeyProof(const PublicKey& key, std::string_view normalized_code,
                                        const Signature& proof);

}  // namespace dala::sync

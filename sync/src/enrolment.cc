#include "dala/sync/enrolment.h"

#include "dala/sync/signature_domains.h"

namespace dala::sync {

std::string NormalizeEnrollCode(std::string_view typed) {
  if (typed.size() > 64) return std::string();
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (kEnrollCodeAlphabet.find(c) == std::string_view::npos) return std::string();
    out.push_back(c);
  }
  return out.size() == 12 ? out : std::string();
}

std::string EnrollProofMessage(std::string_view normalized_code, const PublicKey& key) {
  return std::string(normalized_code) + "\n" + ToHex(key);
}

Signature SignEnrollProof(const SigningKey& key, std::string_view normalized_code) {
  return key.Sign(kEnrollProofDomain, EnrollProofMessage(normalized_code, key.public_key()));
}

bool VerifyEnrollProof(const PublicKey& key, std::string_view normalized_code, const Signature& proof) {
  return VerifySignature(key, kEnrollProofDomain, EnrollProofMessage(normalized_code, key), proof);
}

Signature SignPersonKeyProof(const SigningKey& key, std::string_view normalized_code) {
  return key.Sign(kPersonKeyProofDomain, EnrollProofMessage(normalized_code, key.public_key()));
}

bool VerifyPersonKeyProof(const PublicKey& key, std::string_view normalized_code, const Signature& proof) {
  return VerifySignature(key, kPersonKeyProofDomain, EnrollProofMessage(normalized_code, key), proof);
}

}  // namespace dala::sync

// The transparency log's Merkle tree, as RFC 6962 / RFC 9162 define it, and
// the verifiers that let an auditor or a laptop check what the server says
// about it. The essay at the top of merkle.cc explains the shape of the tree
// and how the proofs work; MERKLE.md gives the formats.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"

namespace dala::sync {

// SHA-256(0x00 || leaf_data). The prefix keeps a leaf from ever being taken
// for an interior node (RFC 6962 section 2.1, second-preimage resistance).
[[nodiscard]] Hash LeafHash(std::string_view leaf_data);

// SHA-256(0x01 || left || right).
[[nodiscard]] Hash NodeHash(const Hash& left, const Hash& right);

// The root of the tree with no leaves: SHA-256 of the empty string.
[[nodiscard]] Hash EmptyRoot();

// An append-only tree held in memory. It keeps the hash of every complete,
// aligned subtree: level k holds the hashes of leaves [i*2^k, (i+1)*2^k) for
// every i whose range is complete. Appending costs one hash amortised, and a
// root or proof for any size up to size() is O(log n) lookups plus at most
// one hash per level, with no leaf ever rehashed.
//
// Memory: level k holds n/2^k hashes, so the whole tree is about 2n hashes,
// 64 bytes per leaf (64 MiB for a million records), plus up to as much
// again transiently while a level's vector grows.
//
// Not thread-safe: the server serialises appends and proof requests.
class MerkleTree {
 public:
  MerkleTree() = default;

  void AppendLeafHash(const Hash& leaf_hash);

  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // The root at the current size (EmptyRoot() for an empty tree).
  [[nodiscard]] Hash Root() const;

  // The root the tree had when it held `size` leaves.
  // InvalidArgument if size > size().
  Result<Hash> RootAt(uint64_t size) const;

  // RFC 9162 section 2.1.3.1: the audit path for leaf `index` in the tree of
  // `size` leaves, nearest the leaf first. InvalidArgument unless
  // index < size <= size().
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) const;

  // RFC 9162 section 2.1.4.1: proof that the tree of size2 leaves extends
  // the tree of size1 leaves. InvalidArgument if size1 == 0 (nothing to
  // prove), size1 > size2 or size2 > size(); empty when size1 == size2.
  Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2) const;

  // Precondition: index < size().
  [[nodiscard]] const Hash& LeafHashAt(uint64_t index) const;

 private:
  // MTH of leaves [begin, end), where [begin, end) is a node of some tree
  // containing it: begin is a multiple of a power of two >= end - begin.
  Hash SubtreeHash(uint64_t begin, uint64_t end) const;

  std::vector<std::vector<Hash>> levels_;
};

// The root of the tree over `leaf_hashes`, for an auditor holding every leaf.
[[nodiscard]] Hash RootOfLeafHashes(const std::vector<Hash>& leaf_hashes);

// RFC 9162 section 2.1.3.2. InvalidArgument if leaf_index >= tree_size;
// Corruption if the proof has the wrong number of hashes or does not lead
// from leaf_hash to root.
[[nodiscard]] Status VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                                     const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 section 2.1.4.2. InvalidArgument if size1 == 0 or size1 > size2;
// when size1 == size2 the proof must be empty and the roots equal; otherwise
// Corruption if the proof has the wrong number of hashes or does not lead to
// both roots.
[[nodiscard]] Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                                       const std::vector<Hash>& proof);

}  // namespace dala::sync

/*
** The Merkle tree of the transparency log (RFC 6962, RFC 9162 section 2.1).
**
** HASHES. A leaf is hashed as SHA-256(0x00 || data) and an interior node as
** SHA-256(0x01 || left || right). The two prefixes keep anyone from passing
** off an interior node as a leaf, or the reverse.
**
** SHAPE. The tree over n leaves has, for n > 1, a left subtree over the
** first k leaves and a right subtree over the remaining n - k, where k is the
** largest power of two strictly less than n. The left subtree is therefore
** always perfect, and the right one is built the same way again. Unrolled,
** the tree is the row of perfect subtrees whose sizes are the set bits of n,
** largest first, joined from the right: for n = 7 = 4 + 2 + 1 the root is
** H(T4, H(T2, T1)). A node that would have no sibling is not duplicated (as
** Bitcoin does); it is promoted unchanged to the level above. Appending a
** leaf never changes a perfect subtree, only the right edge above it.
**
** STORAGE. Every perfect subtree in every tree of size <= n covers an
** aligned range [i*2^k, (i+1)*2^k), and once complete it never changes. So
** MerkleTree keeps levels_[k][i] = hash of that range, for every complete
** one. The nodes on the right edge of a tree that are not perfect are never
** stored: they are recomputed from the set bits of their width, which costs
** at most one hash per level.
**
** INCLUSION PROOF. The hashes of the siblings on the path from a leaf to the
** root, nearest the leaf first. The verifier climbs with two counters: fn,
** the position of the current node in its level, and sn, the position in
** that level of the last leaf's ancestor. If fn is odd the sibling is on the
** left. If fn is even and fn < sn it is on the right. If fn == sn the node is
** the last of its level and has no sibling there: it is promoted, so the
** verifier shifts both counters until the node becomes a right child (or
** the root), and the proof hash is then its left sibling. The proof is good
** when it runs out exactly as sn reaches 0 (the root level) and the hash
** built up equals the root. The number of hashes is fixed by the index and
** size: one per level below the point where the leaf's path joins the last
** leaf's path (bit_width(index ^ (size - 1)) of them), then one for each set
** bit of the index above that point, where the path runs along the right
** edge and only left siblings exist.
**
** CONSISTENCY PROOF. It shows that the tree of size2 leaves begins with the
** tree of size1 leaves: it gives the verifier just the hashes from which it
** can compute both roots at once. It starts with the largest perfect
** subtree that ends the old tree (2^t leaves, where 2^t is the lowest set
** bit of size1), and then lists the siblings on that subtree's path up the
** new tree, exactly as an inclusion proof would. A sibling on the left lies
** wholly inside the old tree, so it goes into both roots; a sibling on the
** right is new, so it goes only into the new root. If size1 is itself a
** power of two, the starting subtree is the whole old tree, whose hash the
** verifier already has (root1), so the proof leaves it out.
**
** A WORKED EXAMPLE: seven leaves with leaf hashes a to g.
**
**                      r7 = H(k, n)
**                 /                  \
**            k = H(i, j)            n = H(m, g)
**            /        \             /        \
**       i = H(a,b)  j = H(c,d)   m = H(e,f)    g      (g is promoted)
**        /    \      /    \       /    \
**       a      b    c      d     e      f
**
** levels_ holds a..g, then i j m, then k; n and r7 are recomputed.
**
** Inclusion of leaf 5 (f) in size 7: the proof is [e, g, k].
**     fn=5 sn=6 r=f
**     e: fn odd             r = H(e, f) = m    fn=2 sn=3
**     g: fn even, fn < sn   r = H(m, g) = n    fn=1 sn=1
**     k: fn odd             r = H(k, n) = r7   fn=0 sn=0
** sn is 0 when the proof runs out and r = r7: verified. (For leaf 6, g, the
** proof is [m, k]: g is last at level 0 with no sibling, so fn = sn = 6; it
** is promoted, m is its left sibling one level up, r = H(m, g) = n, and the
** counters shift twice, 6 to 3 to 1, before k is applied.)
**
** Consistency of size 3 (r3 = H(i, c)) with size 7: the proof is
** [c, d, i, n]. 3 is not a power of two, so both roots start from c.
**     fn=2 sn=6 fr=sr=c
**     d: fn even, fn < sn                     sr = H(c, d) = j    fn=1 sn=3
**     i: fn odd             fr = H(i, c) = r3, sr = H(i, j) = k    fn=0 sn=1
**     n: fn even, fn < sn                     sr = H(k, n) = r7   fn=0 sn=0
** fr = r3, sr = r7, sn = 0: verified. From size 4 the proof is only [n]:
** the starting subtree is k = r4 itself.
*/

#include "dala/sync/merkle.h"

#include <array>
#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

namespace dala::sync {

namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The largest power of two strictly below n; n must be at least 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// x >> n, but 0 for n == 64 (where the shift itself is undefined).
uint64_t ShiftRight(uint64_t x, int n) { return n >= 64 ? 0 : x >> n; }

// Valid for index < size.
size_t InclusionProofLength(uint64_t index, uint64_t size) {
  const int inner = std::bit_width(index ^ (size - 1));
  return static_cast<size_t>(inner + std::popcount(ShiftRight(index, inner)));
}

// Valid for 0 < size1 < size2.
size_t ConsistencyProofLength(uint64_t size1, uint64_t size2) {
  const int inner = std::bit_width((size1 - 1) ^ (size2 - 1));
  const int border = std::popcount(ShiftRight(size1 - 1, inner));
  const int shift = std::countr_zero(size1);
  const int seed = std::has_single_bit(size1) ? 0 : 1;
  return static_cast<size_t>(seed + inner - shift + border);
}

std::string ProofLengthMessage(const char* what, size_t got, size_t want) {
  return std::string(what) + " has " + std::to_string(got) + " hashes where " +
         std::to_string(want) + " are needed";
}

}  // namespace

Hash LeafHash(std::string_view leaf_data) {
  return Sha256Builder().Add(&kLeafPrefix, 1).Add(leaf_data).Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // One call on one buffer: a tree of n leaves hashes n - 1 nodes.
  std::array<uint8_t, 1 + 2 * sizeof(Hash)> node;
  node[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), node.begin() + 1);
  std::copy(right.begin(), right.end(), node.begin() + 1 + left.size());
  return Sha256(std::string_view(reinterpret_cast<const char*>(node.data()), node.size()));
}

Hash EmptyRoot() { return Sha256(""); }

// --- MerkleTree -------------------------------------------------------------

void MerkleTree::AppendLeafHash(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each even count at a level completes a pair, whose parent is then
  // complete too; carry upwards like a binary counter.
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    const std::vector<Hash>& row = levels_[level];
    Hash parent = NodeHash(row[row.size() - 2], row[row.size() - 1]);
    if (levels_.size() == level + 1) levels_.emplace_back();
    levels_[level + 1].push_back(parent);
  }
}

Hash MerkleTree::SubtreeHash(uint64_t begin, uint64_t end) const {
  assert(begin < end && end <= size());
  // The range splits into perfect subtrees along the set bits of its width,
  // largest first; fold them from the right, smallest first.
  uint64_t cursor = end;
  Hash acc{};
  bool have_right = false;
  while (cursor > begin) {
    const uint64_t width = cursor - begin;
    const uint64_t piece = width & (~width + 1);  // lowest set bit
    const int level = std::countr_zero(piece);
    cursor -= piece;
    const Hash& left = levels_[level][cursor >> level];
    acc = have_right ? NodeHash(left, acc) : left;
    have_right = true;
  }
  return acc;
}

Hash MerkleTree::Root() const { return size() == 0 ? EmptyRoot() : SubtreeHash(0, size()); }

Result<Hash> MerkleTree::RootAt(uint64_t size) const {
  if (size > this->size()) {
    return Status::InvalidArgument("no root for size " + std::to_string(size) + ": the tree has " +
                                   std::to_string(this->size()) + " leaves");
  }
  return size == 0 ? EmptyRoot() : SubtreeHash(0, size);
}

Result<std::vector<Hash>> MerkleTree::InclusionProof(uint64_t index, uint64_t size) const {
  if (size > this->size()) {
    return Status::InvalidArgument("no inclusion proof in a tree of " + std::to_string(size) +
                                   " leaves: the log has " + std::to_string(this->size()));
  }
  if (index >= size) {
    return Status::InvalidArgument("leaf " + std::to_string(index) + " is not in a tree of " +
                                   std::to_string(size) + " leaves");
  }
  // Descend from the root, taking the sibling of the half that holds the
  // leaf; the RFC lists them from the leaf up, so reverse at the end.
  std::vector<Hash> proof;
  proof.reserve(InclusionProofLength(index, size));
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (index < mid) {
      proof.push_back(SubtreeHash(mid, end));
      end = mid;
    } else {
      proof.push_back(SubtreeHash(begin, mid));
      begin = mid;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Result<std::vector<Hash>> MerkleTree::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  if (size2 > this->size()) {
    return Status::InvalidArgument("no consistency proof to size " + std::to_string(size2) +
                                   ": the log has " + std::to_string(this->size()) + " leaves");
  }
  if (size1 == 0) {
    return Status::InvalidArgument("no consistency proof from the empty tree: it proves nothing");
  }
  if (size1 > size2) {
    return Status::InvalidArgument("no consistency proof from size " + std::to_string(size1) +
                                   " down to " + std::to_string(size2));
  }
  std::vector<Hash> proof;
  if (size1 == size2) return proof;
  proof.reserve(ConsistencyProofLength(size1, size2));
  // RFC 9162 SUBPROOF(m, D[n], b), unrolled: [begin, end) is the current
  // node, and whole_old_tree stays true while the node's left edge is 0, so
  // that reaching the old tree exactly means the verifier already has it.
  uint64_t begin = 0;
  uint64_t end = size2;
  bool whole_old_tree = true;
  while (size1 != end) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (size1 <= mid) {
      proof.push_back(SubtreeHash(mid, end));
      end = mid;
    } else {
      proof.push_back(SubtreeHash(begin, mid));
      begin = mid;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) proof.push_back(SubtreeHash(begin, end));
  std::reverse(proof.begin(), proof.end());
  return proof;
}

const Hash& MerkleTree::LeafHashAt(uint64_t index) const {
  assert(index < size());
  return levels_[0][index];
}

Hash RootOfLeafHashes(const std::vector<Hash>& leaf_hashes) {
  MerkleTree tree;
  for (const Hash& h : leaf_hashes) tree.AppendLeafHash(h);
  return tree.Root();
}

// --- verifiers --------------------------------------------------------------

Status VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                       const std::vector<Hash>& proof, const Hash& root) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("leaf " + std::to_string(leaf_index) +
                                   " cannot be in a tree of " + std::to_string(tree_size) +
                                   " leaves");
  }
  // Checked before hashing so that the message says what is wrong; the
  // loop below would reject a proof of the wrong length anyway.
  const size_t want = InclusionProofLength(leaf_index, tree_size);
  if (proof.size() != want) {
    return Status::Corruption(ProofLengthMessage("inclusion proof", proof.size(), want));
  }
  uint64_t fn = leaf_index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Status::Corruption("inclusion proof is longer than the path to the root");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Corruption("inclusion proof stops short of the root");
  if (r != root) {
    return Status::Corruption(
        "inclusion proof leads to a different root: wrong root, leaf or proof");
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         const std::vector<Hash>& proof) {
  if (size1 == 0) {
    return Status::InvalidArgument("consistency with the empty tree proves nothing");
  }
  if (size1 > size2) {
    return Status::InvalidArgument("tree of size " + std::to_string(size1) +
                                   " cannot be a prefix of one of size " + std::to_string(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return Status::Corruption("trees of equal size need an empty consistency proof, not " +
                                std::to_string(proof.size()) + " hashes");
    }
    if (root1 != root2) return Status::Corruption("trees of equal size have different roots");
    return Status::Ok();
  }
  const size_t want = ConsistencyProofLength(size1, size2);
  if (proof.size() != want) {
    return Status::Corruption(ProofLengthMessage("consistency proof", proof.size(), want));
  }

  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  // RFC 9162 prepends root1 to the proof when size1 is a power of two;
  // starting from it here avoids copying the proof.
  size_t next = 0;
  Hash fr = root1;
  if (!std::has_single_bit(size1)) fr = proof[next++];
  Hash sr = fr;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return Status::Corruption("consistency proof is longer than the path to the root");
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Corruption("consistency proof stops short of the root");
  if (fr != root1) {
    return Status::Corruption("consistency proof does not lead to the first root");
  }
  if (sr != root2) {
    return Status::Corruption("consistency proof does not lead to the second root");
  }
  return Status::Ok();
}

}  // namespace dala::sync

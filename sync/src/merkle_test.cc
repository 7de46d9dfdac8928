#include "dala/sync/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dala::sync {
namespace {

class MerkleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

// Distinct leaves, so that no two proof hashes coincide by accident.
Hash TestLeaf(uint64_t i) { return LeafHash("dala test leaf " + std::to_string(i)); }

MerkleTree TreeOf(uint64_t n) {
  MerkleTree tree;
  for (uint64_t i = 0; i < n; ++i) tree.AppendLeafHash(TestLeaf(i));
  return tree;
}

std::vector<Hash> ProofOrDie(const Result<std::vector<Hash>>& proof) {
  EXPECT_TRUE(proof.ok()) << proof.status().ToString();
  return proof.ok() ? *proof : std::vector<Hash>();
}

Hash RootOrDie(const Result<Hash>& root) {
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  return root.ok() ? *root : Hash{};
}

void FlipBit(uint8_t* bytes, size_t bit) {
  bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
}

// One bit of each of a hash's 32 bytes, at every position in turn: a
// flip anywhere must be refused, and all 256 of every proof hash, for every
// pair of sizes, took most of this suite's time under the sanitizers.
std::array<size_t, 32> OneBitOfEachByte() {
  std::array<size_t, 32> bits{};
  for (size_t byte = 0; byte < bits.size(); ++byte) bits[byte] = byte * 8 + byte % 8;
  return bits;
}

// RFC 6962 section 2.1, written as the RFC writes it: the reference the
// tree's stored levels are checked against.
Hash NaiveMth(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  if (end == begin) return Sha256("");
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(NaiveMth(leaves, begin, begin + k), NaiveMth(leaves, begin + k, end));
}

// RFC 9162 PATH(m, D[n]), recursively.
std::vector<Hash> NaivePath(const std::vector<Hash>& leaves, size_t m, size_t begin, size_t end) {
  if (end - begin == 1) return {};
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  std::vector<Hash> path;
  if (m < k) {
    path = NaivePath(leaves, m, begin, begin + k);
    path.push_back(NaiveMth(leaves, begin + k, end));
  } else {
    path = NaivePath(leaves, m - k, begin + k, end);
    path.push_back(NaiveMth(leaves, begin, begin + k));
  }
  return path;
}

// RFC 9162 SUBPROOF(m, D[n], b), recursively.
std::vector<Hash> NaiveSubproof(const std::vector<Hash>& leaves, size_t m, size_t begin, size_t end,
                                bool b) {
  if (m == end - begin) {
    if (b) return {};
    return {NaiveMth(leaves, begin, end)};
  }
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  std::vector<Hash> proof;
  if (m <= k) {
    proof = NaiveSubproof(leaves, m, begin, begin + k, b);
    proof.push_back(NaiveMth(leaves, begin + k, end));
  } else {
    proof = NaiveSubproof(leaves, m - k, begin + k, end, false);
    proof.push_back(NaiveMth(leaves, begin, begin + k));
  }
  return proof;
}

// Which side each inclusion-proof hash sits on, nearest the leaf first,
// from the RFC's recursive definition. An inclusion proof does not name its
// tree size: the verifier only learns the size from the sides it implies.
// So a proof verifies against the same root under another (index, size)
// exactly when that pair gives the same sides, and the mutation tests below
// predict the verdict from this, not from the verifier's own arithmetic.
std::vector<bool> InclusionSides(uint64_t index, uint64_t size) {
  std::vector<bool> left_sibling;
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + std::bit_floor(end - begin - 1);
    left_sibling.push_back(index >= mid);
    (index < mid ? end : begin) = mid;
  }
  std::reverse(left_sibling.begin(), left_sibling.end());
  return left_sibling;
}

// The same for a consistency proof: whether the proof carries its own
// starting hash, and for each later hash whether it is a left sibling (in
// both trees) or a right one (in the new tree only). "=" marks equal sizes.
std::string ConsistencyShape(uint64_t size1, uint64_t size2) {
  if (size1 == size2) return "=";
  std::string ops;
  uint64_t begin = 0;
  uint64_t end = size2;
  bool whole_old_tree = true;
  while (size1 != end) {
    const uint64_t mid = begin + std::bit_floor(end - begin - 1);
    if (size1 <= mid) {
      ops += 'R';
      end = mid;
    } else {
      ops += 'L';
      begin = mid;
      whole_old_tree = false;
    }
  }
  std::reverse(ops.begin(), ops.end());
  return (whole_old_tree ? "root1:" : "seed:") + ops;
}

// --- hashing --------------------------------------------------------------

TEST_F(MerkleTest, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(MerkleTree().Root(), EmptyRoot());
  EXPECT_EQ(RootOfLeafHashes({}), EmptyRoot());
  EXPECT_EQ(RootOrDie(MerkleTree().RootAt(0)), EmptyRoot());
}

TEST_F(MerkleTest, EmptyLeafHashMatchesRfc6962KnownAnswer) {
  EXPECT_EQ(ToHex(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST_F(MerkleTest, LeafAndNodeHashesCannotBeConfused) {
  const Hash a = TestLeaf(0);
  const Hash b = TestLeaf(1);
  std::string as_leaf(AsBytes(a));
  as_leaf += AsBytes(b);
  EXPECT_NE(NodeHash(a, b), LeafHash(as_leaf));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

// The eight-leaf reference tree of RFC 6962's reference implementation;
// the same roots appear in the transparency-dev vectors.
TEST_F(MerkleTest, Rfc6962ReferenceTreeRootsMatchKnownAnswers) {
  const std::vector<std::string> data = {
      "",
      std::string("\x00", 1),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
  };
  const char* roots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  MerkleTree tree;
  for (size_t i = 0; i < data.size(); ++i) {
    tree.AppendLeafHash(LeafHash(data[i]));
    EXPECT_EQ(ToHex(tree.Root()), roots[i]) << "size " << i + 1;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(ToHex(RootOrDie(tree.RootAt(i + 1))), roots[i]) << "size " << i + 1;
  }
}

// --- the tree -------------------------------------------------------------

TEST_F(MerkleTest, RootAtMatchesNaiveRecursiveMthForAllSizesUpTo130) {
  std::vector<Hash> leaves;
  MerkleTree tree;
  for (uint64_t n = 0; n <= 130; ++n) {
    EXPECT_EQ(tree.Root(), NaiveMth(leaves, 0, leaves.size())) << "size " << n;
    leaves.push_back(TestLeaf(n));
    tree.AppendLeafHash(leaves.back());
  }
  for (uint64_t n = 0; n <= 130; ++n) {
    EXPECT_EQ(RootOrDie(tree.RootAt(n)), NaiveMth(leaves, 0, n)) << "size " << n;
  }
  EXPECT_EQ(RootOfLeafHashes(leaves), tree.Root());
  for (uint64_t i = 0; i < tree.size(); ++i) EXPECT_EQ(tree.LeafHashAt(i), leaves[i]);
}

TEST_F(MerkleTest, GeneratedProofsMatchTheRfcRecursiveDefinitions) {
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 40; ++i) leaves.push_back(TestLeaf(i));
  const MerkleTree tree = TreeOf(40);
  for (uint64_t size = 1; size <= 40; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      EXPECT_EQ(ProofOrDie(tree.InclusionProof(index, size)), NaivePath(leaves, index, 0, size))
          << index << " in " << size;
    }
    for (uint64_t size1 = 1; size1 <= size; ++size1) {
      std::vector<Hash> want =
          size1 == size ? std::vector<Hash>() : NaiveSubproof(leaves, size1, 0, size, true);
      EXPECT_EQ(ProofOrDie(tree.ConsistencyProof(size1, size)), want) << size1 << " to " << size;
    }
  }
}

// The example in the essay at the top of merkle.cc, so it cannot go stale.
TEST_F(MerkleTest, WorkedExampleInMerkleCcHolds) {
  const MerkleTree tree = TreeOf(7);
  const Hash a = TestLeaf(0), b = TestLeaf(1), c = TestLeaf(2), d = TestLeaf(3);
  const Hash e = TestLeaf(4), f = TestLeaf(5), g = TestLeaf(6);
  const Hash i = NodeHash(a, b), j = NodeHash(c, d), m = NodeHash(e, f);
  const Hash k = NodeHash(i, j), n = NodeHash(m, g);
  const Hash r7 = NodeHash(k, n);
  EXPECT_EQ(tree.Root(), r7);
  EXPECT_EQ(RootOrDie(tree.RootAt(3)), NodeHash(i, c));
  EXPECT_EQ(ProofOrDie(tree.InclusionProof(5, 7)), (std::vector<Hash>{e, g, k}));
  EXPECT_EQ(ProofOrDie(tree.InclusionProof(6, 7)), (std::vector<Hash>{m, k}));
  EXPECT_EQ(ProofOrDie(tree.ConsistencyProof(3, 7)), (std::vector<Hash>{c, d, i, n}));
  EXPECT_EQ(ProofOrDie(tree.ConsistencyProof(4, 7)), (std::vector<Hash>{n}));
  EXPECT_TRUE(VerifyInclusion(5, 7, f, {e, g, k}, r7).ok());
  EXPECT_TRUE(VerifyConsistency(3, 7, NodeHash(i, c), r7, {c, d, i, n}).ok());
}

TEST_F(MerkleTest, MillionLeafTreeBuildsAndAnswersProofs) {
  constexpr uint64_t kLeaves = (1u << 20) + 37;
  std::vector<Hash> leaves(kLeaves);
  for (uint64_t i = 0; i < kLeaves; ++i) {
    for (size_t byte = 0; byte < 8; ++byte) leaves[i][byte] = static_cast<uint8_t>(i >> (8 * byte));
  }
  const auto start = std::chrono::steady_clock::now();
  MerkleTree tree;
  for (const Hash& h : leaves) tree.AppendLeafHash(h);
  const Hash root = tree.Root();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Printed, not asserted: sanitizer builds are several times slower.
  std::cout << "built " << kLeaves << " leaves in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  ASSERT_EQ(tree.size(), kLeaves);
  for (uint64_t index : {uint64_t{0}, uint64_t{1} << 19, kLeaves - 1, uint64_t{123457}}) {
    auto proof = tree.InclusionProof(index, kLeaves);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyInclusion(index, kLeaves, leaves[index], *proof, root).ok()) << index;
  }
  for (uint64_t size1 : {uint64_t{1}, uint64_t{1} << 20, uint64_t{999999}}) {
    auto proof = tree.ConsistencyProof(size1, kLeaves);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyConsistency(size1, kLeaves, RootOrDie(tree.RootAt(size1)), root, *proof).ok())
        << size1;
  }
}

TEST_F(MerkleTest, TreeRefusesRootBeyondItsSize) {
  const MerkleTree tree = TreeOf(5);
  EXPECT_EQ(tree.RootAt(6).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(MerkleTree().RootAt(1).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, TreeRefusesInclusionProofForLeafOutsideTheSize) {
  const MerkleTree tree = TreeOf(5);
  EXPECT_EQ(tree.InclusionProof(5, 5).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(3, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(0, 0).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(0, 6).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(UINT64_MAX, UINT64_MAX).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, TreeRefusesConsistencyProofFromEmptyTree) {
  EXPECT_EQ(TreeOf(5).ConsistencyProof(0, 5).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(TreeOf(5).ConsistencyProof(0, 0).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, TreeRefusesConsistencyProofThatShrinksOrOutgrowsTheLog) {
  const MerkleTree tree = TreeOf(5);
  EXPECT_EQ(tree.ConsistencyProof(4, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(3, 6).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(6, 6).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, TreeGivesEmptyConsistencyProofForEqualSizes) {
  const MerkleTree tree = TreeOf(5);
  for (uint64_t n = 1; n <= 5; ++n) EXPECT_TRUE(ProofOrDie(tree.ConsistencyProof(n, n)).empty());
}

// --- generated proofs, and every single-bit mutation of them ----------------

constexpr uint64_t kMaxProvedSize = 70;

// Every proof for every (index, size) up to kMaxProvedSize verifies, and
// flipping any one bit of a proof hash, the leaf hash or the root makes it
// fail. Flipping a bit of the index or size fails too, except where the new
// pair gives the proof the very same shape (see InclusionSides): then the
// verifier cannot tell, by design, and the test predicts exactly which.
TEST_F(MerkleTest, InclusionProofsVerifyAndBitFlipsAreRefused) {
  const MerkleTree tree = TreeOf(kMaxProvedSize);
  uint64_t size_changes_accepted = 0;
  for (uint64_t size = 1; size <= kMaxProvedSize; ++size) {
    const Hash root = RootOrDie(tree.RootAt(size));
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("leaf " + std::to_string(index) + " of " + std::to_string(size));
      std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(index, size));
      Hash leaf = tree.LeafHashAt(index);
      Hash claimed_root = root;
      ASSERT_TRUE(VerifyInclusion(index, size, leaf, proof, root).ok());

      for (size_t p = 0; p < proof.size(); ++p) {
        for (size_t bit : OneBitOfEachByte()) {
          FlipBit(proof[p].data(), bit);
          ASSERT_EQ(VerifyInclusion(index, size, leaf, proof, root).code(),
                    Status::Code::kCorruption)
              << "proof hash " << p << " bit " << bit;
          FlipBit(proof[p].data(), bit);
        }
      }
      for (size_t bit : OneBitOfEachByte()) {
        FlipBit(leaf.data(), bit);
        ASSERT_FALSE(VerifyInclusion(index, size, leaf, proof, root).ok()) << "leaf bit " << bit;
        FlipBit(leaf.data(), bit);
        FlipBit(claimed_root.data(), bit);
        ASSERT_FALSE(VerifyInclusion(index, size, leaf, proof, claimed_root).ok())
            << "root bit " << bit;
        FlipBit(claimed_root.data(), bit);
      }
      const std::vector<bool> sides = InclusionSides(index, size);
      for (int bit = 0; bit < 64; ++bit) {
        const uint64_t other_index = index ^ (uint64_t{1} << bit);
        const bool index_ok = VerifyInclusion(other_index, size, leaf, proof, root).ok();
        EXPECT_EQ(index_ok, other_index < size && InclusionSides(other_index, size) == sides)
            << "index bit " << bit;
        EXPECT_FALSE(index_ok) << "index bit " << bit;

        const uint64_t other_size = size ^ (uint64_t{1} << bit);
        const bool size_ok = VerifyInclusion(index, other_size, leaf, proof, root).ok();
        EXPECT_EQ(size_ok, index < other_size && InclusionSides(index, other_size) == sides)
            << "size bit " << bit;
        size_changes_accepted += size_ok;
      }
    }
  }
  // Some are: see InclusionProofDoesNotBindTreeSizeWithoutTheCheckpoint.
  EXPECT_GT(size_changes_accepted, 0u);
}

// The same for every (size1, size2) up to kMaxProvedSize, with the shape of
// a consistency proof (ConsistencyShape) deciding the verdict on sizes.
TEST_F(MerkleTest, ConsistencyProofsVerifyAndBitFlipsAreRefused) {
  const MerkleTree tree = TreeOf(kMaxProvedSize);
  uint64_t size_changes_accepted = 0;
  for (uint64_t size2 = 1; size2 <= kMaxProvedSize; ++size2) {
    const Hash root2 = RootOrDie(tree.RootAt(size2));
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      SCOPED_TRACE(std::to_string(size1) + " to " + std::to_string(size2));
      Hash root1 = RootOrDie(tree.RootAt(size1));
      Hash claimed_root2 = root2;
      std::vector<Hash> proof = ProofOrDie(tree.ConsistencyProof(size1, size2));
      ASSERT_TRUE(VerifyConsistency(size1, size2, root1, root2, proof).ok());

      for (size_t p = 0; p < proof.size(); ++p) {
        for (size_t bit : OneBitOfEachByte()) {
          FlipBit(proof[p].data(), bit);
          ASSERT_EQ(VerifyConsistency(size1, size2, root1, root2, proof).code(),
                    Status::Code::kCorruption)
              << "proof hash " << p << " bit " << bit;
          FlipBit(proof[p].data(), bit);
        }
      }
      for (size_t bit : OneBitOfEachByte()) {
        FlipBit(root1.data(), bit);
        ASSERT_FALSE(VerifyConsistency(size1, size2, root1, root2, proof).ok())
            << "root1 bit " << bit;
        FlipBit(root1.data(), bit);
        FlipBit(claimed_root2.data(), bit);
        ASSERT_FALSE(VerifyConsistency(size1, size2, root1, claimed_root2, proof).ok())
            << "root2 bit " << bit;
        FlipBit(claimed_root2.data(), bit);
      }
      const std::string shape = ConsistencyShape(size1, size2);
      const auto expect_verdict = [&](uint64_t s1, uint64_t s2, const char* which, int bit) {
        const bool ok = VerifyConsistency(s1, s2, root1, root2, proof).ok();
        const bool predicted = s1 > 0 && s1 <= s2 && ConsistencyShape(s1, s2) == shape;
        EXPECT_EQ(ok, predicted) << which << " bit " << bit;
        return ok;
      };
      for (int bit = 0; bit < 64; ++bit) {
        size_changes_accepted += expect_verdict(size1 ^ (uint64_t{1} << bit), size2, "size1", bit);
        size_changes_accepted += expect_verdict(size1, size2 ^ (uint64_t{1} << bit), "size2", bit);
      }
    }
  }
  // As for inclusion: the proof alone does not fix the sizes (4 to 5 and
  // 4 to 7 give the same proof shape); the signed checkpoints do.
  EXPECT_GT(size_changes_accepted, 0u);
}

// An inclusion proof lists hashes, not the tree size, and for leaf 0 the
// trees of 5 and 7 leaves give proofs of the same shape. So the proof for
// size 5 checks out "in a tree of 7" against the size-5 root. That is why
// a root is only ever trusted together with its size, from a signed
// checkpoint, and never paired with a size from elsewhere.
TEST_F(MerkleTest, InclusionProofDoesNotBindTreeSizeWithoutTheCheckpoint) {
  const MerkleTree tree = TreeOf(7);
  const Hash root5 = RootOrDie(tree.RootAt(5));
  const std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(0, 5));
  EXPECT_TRUE(VerifyInclusion(0, 7, TestLeaf(0), proof, root5).ok());
  EXPECT_FALSE(VerifyInclusion(0, 7, TestLeaf(0), proof, tree.Root()).ok());
}

// --- the verifiers on hand-made bad input -----------------------------------

TEST_F(MerkleTest, InclusionRefusesLeafIndexAtOrBeyondTreeSize) {
  const MerkleTree tree = TreeOf(4);
  const Hash root = tree.Root();
  EXPECT_EQ(VerifyInclusion(4, 4, TestLeaf(0), {}, root).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(9, 4, TestLeaf(0), {}, root).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(0, 0, TestLeaf(0), {}, EmptyRoot()).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(UINT64_MAX, UINT64_MAX, TestLeaf(0), {}, root).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, InclusionRefusesProofWithAnExtraHash) {
  const MerkleTree tree = TreeOf(6);
  for (uint64_t index = 0; index < 6; ++index) {
    std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(index, 6));
    std::vector<Hash> longer = proof;
    longer.push_back(tree.Root());
    Status s = VerifyInclusion(index, 6, tree.LeafHashAt(index), longer, tree.Root());
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << index;
    EXPECT_NE(s.message().find("hashes where"), std::string::npos) << s.message();
    longer = proof;
    longer.insert(longer.begin(), tree.LeafHashAt(index));
    EXPECT_FALSE(VerifyInclusion(index, 6, tree.LeafHashAt(index), longer, tree.Root()).ok());
  }
}

TEST_F(MerkleTest, InclusionRefusesProofWithAMissingHash) {
  const MerkleTree tree = TreeOf(6);
  for (uint64_t index = 0; index < 6; ++index) {
    const std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(index, 6));
    for (size_t drop = 0; drop < proof.size(); ++drop) {
      std::vector<Hash> shorter = proof;
      shorter.erase(shorter.begin() + static_cast<ptrdiff_t>(drop));
      EXPECT_EQ(VerifyInclusion(index, 6, tree.LeafHashAt(index), shorter, tree.Root()).code(),
                Status::Code::kCorruption)
          << index << " without " << drop;
    }
  }
}

TEST_F(MerkleTest, InclusionRefusesProofAgainstWrongRootSayingSo) {
  const MerkleTree tree = TreeOf(6);
  const std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(2, 6));
  Status s = VerifyInclusion(2, 6, tree.LeafHashAt(2), proof, RootOrDie(tree.RootAt(5)));
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("different root"), std::string::npos) << s.message();
}

TEST_F(MerkleTest, InclusionRefusesProofWithHashesInTheWrongOrder) {
  const MerkleTree tree = TreeOf(8);
  std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(3, 8));
  std::reverse(proof.begin(), proof.end());
  EXPECT_EQ(VerifyInclusion(3, 8, tree.LeafHashAt(3), proof, tree.Root()).code(),
            Status::Code::kCorruption);
}

TEST_F(MerkleTest, InclusionRefusesAnotherLeafsHash) {
  const MerkleTree tree = TreeOf(8);
  const std::vector<Hash> proof = ProofOrDie(tree.InclusionProof(3, 8));
  EXPECT_FALSE(VerifyInclusion(3, 8, tree.LeafHashAt(2), proof, tree.Root()).ok());
  // The node hash over leaves 2 and 3 is not a leaf, even at the right place.
  EXPECT_FALSE(VerifyInclusion(1, 4, NodeHash(tree.LeafHashAt(2), tree.LeafHashAt(3)),
                               {NodeHash(tree.LeafHashAt(0), tree.LeafHashAt(1))},
                               RootOrDie(tree.RootAt(4)))
                   .ok());
}

TEST_F(MerkleTest, ConsistencyRefusesEmptyFirstTreeEvenWithEmptyProofAndEqualRoots) {
  EXPECT_EQ(VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {}).code(),
            Status::Code::kInvalidArgument);
  const MerkleTree tree = TreeOf(3);
  EXPECT_EQ(VerifyConsistency(0, 3, EmptyRoot(), tree.Root(), {}).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, ConsistencyRefusesFirstTreeLargerThanSecond) {
  const MerkleTree tree = TreeOf(5);
  Hash r4 = RootOrDie(tree.RootAt(4));
  Hash r5 = tree.Root();
  EXPECT_EQ(VerifyConsistency(5, 4, r5, r4, {}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(5, 4, r5, r4, ProofOrDie(tree.ConsistencyProof(4, 5))).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(MerkleTest, ConsistencyRefusesNonEmptyProofForEqualSizes) {
  const MerkleTree tree = TreeOf(5);
  Status s = VerifyConsistency(5, 5, tree.Root(), tree.Root(), {tree.Root()});
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("empty"), std::string::npos) << s.message();
}

TEST_F(MerkleTest, ConsistencyRefusesDifferentRootsForEqualSizes) {
  const MerkleTree tree = TreeOf(5);
  Status s = VerifyConsistency(5, 5, tree.Root(), RootOrDie(tree.RootAt(4)), {});
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("different roots"), std::string::npos) << s.message();
}

TEST_F(MerkleTest, ConsistencyRefusesEmptyProofForDifferentSizes) {
  const MerkleTree tree = TreeOf(8);
  for (uint64_t size1 = 1; size1 < 8; ++size1) {
    EXPECT_EQ(VerifyConsistency(size1, 8, RootOrDie(tree.RootAt(size1)), tree.Root(), {}).code(),
              Status::Code::kCorruption)
        << size1;
  }
}

TEST_F(MerkleTest, ConsistencyRefusesProofWithAnExtraOrMissingHash) {
  const MerkleTree tree = TreeOf(13);
  for (uint64_t size1 = 1; size1 < 13; ++size1) {
    const Hash root1 = RootOrDie(tree.RootAt(size1));
    const std::vector<Hash> proof = ProofOrDie(tree.ConsistencyProof(size1, 13));
    std::vector<Hash> longer = proof;
    longer.push_back(root1);
    EXPECT_EQ(VerifyConsistency(size1, 13, root1, tree.Root(), longer).code(),
              Status::Code::kCorruption);
    longer = proof;
    longer.insert(longer.begin(), root1);
    EXPECT_EQ(VerifyConsistency(size1, 13, root1, tree.Root(), longer).code(),
              Status::Code::kCorruption);
    std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
    EXPECT_EQ(VerifyConsistency(size1, 13, root1, tree.Root(), shorter).code(),
              Status::Code::kCorruption);
  }
}

TEST_F(MerkleTest, ConsistencyRefusesWrongRootsNamingWhichOne) {
  const MerkleTree tree = TreeOf(7);
  const Hash r3 = RootOrDie(tree.RootAt(3));
  const std::vector<Hash> proof = ProofOrDie(tree.ConsistencyProof(3, 7));
  Status first = VerifyConsistency(3, 7, RootOrDie(tree.RootAt(2)), tree.Root(), proof);
  EXPECT_EQ(first.code(), Status::Code::kCorruption);
  EXPECT_NE(first.message().find("first root"), std::string::npos) << first.message();
  Status second = VerifyConsistency(3, 7, r3, RootOrDie(tree.RootAt(6)), proof);
  EXPECT_EQ(second.code(), Status::Code::kCorruption);
  EXPECT_NE(second.message().find("second root"), std::string::npos) << second.message();
}

TEST_F(MerkleTest, ConsistencyRefusesSwappedRoots) {
  const MerkleTree tree = TreeOf(7);
  const Hash r3 = RootOrDie(tree.RootAt(3));
  EXPECT_FALSE(
      VerifyConsistency(3, 7, tree.Root(), r3, ProofOrDie(tree.ConsistencyProof(3, 7))).ok());
}

TEST_F(MerkleTest, ConsistencyRefusesForkedLog) {
  // Same first three leaves, a different fourth: a log that rewrote history.
  MerkleTree honest = TreeOf(4);
  MerkleTree forked = TreeOf(3);
  forked.AppendLeafHash(TestLeaf(99));
  for (uint64_t n = 4; n < 9; ++n) {
    honest.AppendLeafHash(TestLeaf(n));
    forked.AppendLeafHash(TestLeaf(n));
  }
  const Hash r4 = RootOrDie(honest.RootAt(4));
  EXPECT_FALSE(
      VerifyConsistency(4, 9, r4, forked.Root(), ProofOrDie(forked.ConsistencyProof(4, 9))).ok());
  EXPECT_FALSE(
      VerifyConsistency(4, 9, r4, forked.Root(), ProofOrDie(honest.ConsistencyProof(4, 9))).ok());
  EXPECT_TRUE(VerifyConsistency(3, 9, RootOrDie(honest.RootAt(3)), forked.Root(),
                                ProofOrDie(forked.ConsistencyProof(3, 9)))
                  .ok());
}

// --- external vectors: transparency-dev/merkle testdata ---------------------

// A hash field from the vectors. Hashes the verifiers take are exactly 32
// bytes, so anything else is refused here (the verdict is "error").
bool DecodeHash(const nlohmann::json& field, Hash* out) {
  auto bytes = FromBase64(field.get<std::string>());
  if (!bytes.ok() || bytes->size() != out->size()) return false;
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return true;
}

bool DecodeProof(const nlohmann::json& field, std::vector<Hash>* out) {
  if (field.is_null()) return true;  // the vectors write an empty proof as null
  for (const auto& element : field) {
    Hash h{};
    if (!DecodeHash(element, &h)) return false;
    out->push_back(h);
  }
  return true;
}

// The one place the typed API and the vectors disagree on representation:
// the consistency vectors compare roots as byte strings, and one of them
// (sizes-are-equal-one-and-proof-is-empty) expects two equal 12-byte roots
// to pass. A root of another length is mapped into a 32-byte value that
// keeps equality (equal strings map equally, different ones differently)
// and that no real tree can have as a root (it is not a node hash), so the
// typed verifier's verdict on the mapped value is the byte verifier's.
Hash ConsistencyRootFromVector(const nlohmann::json& field, bool* decodable) {
  auto bytes = FromBase64(field.get<std::string>());
  *decodable = bytes.ok();
  Hash h{};
  if (!bytes.ok()) return h;
  if (bytes->size() == h.size()) {
    std::copy(bytes->begin(), bytes->end(), h.begin());
    return h;
  }
  return Sha256("dala merkle_test: a root that is not 32 bytes\n" + *bytes);
}

TEST_F(MerkleTest, TransparencyDevVectorsGiveExpectedVerdicts) {
  namespace fs = std::filesystem;
  // The vectors are part of the repository (tests/vectors/merkle/README.md):
  // a missing folder fails the test rather than skipping it.
  const fs::path root = fs::path(DALA_SOURCE_DIR) / "tests/vectors/merkle";
  for (const char* kind : {"inclusion", "consistency"})
    ASSERT_TRUE(fs::is_directory(root / kind))
        << (root / kind) << " is missing: the vectors must be in the checkout";
  int inclusion_files = 0;
  int consistency_files = 0;
  int passing_cases = 0;
  for (const char* kind : {"inclusion", "consistency"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / kind)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
      SCOPED_TRACE(entry.path().string());
      std::ifstream in(entry.path());
      ASSERT_TRUE(in);
      const nlohmann::json v = nlohmann::json::parse(in);
      const bool want_err = v.at("wantErr").get<bool>();
      passing_cases += !want_err;
      std::vector<Hash> proof;
      const bool proof_ok = DecodeProof(v.at("proof"), &proof);
      Status verdict;
      if (std::string(kind) == "inclusion") {
        ++inclusion_files;
        Hash root_hash{}, leaf{};
        if (!proof_ok || !DecodeHash(v.at("root"), &root_hash) ||
            !DecodeHash(v.at("leafHash"), &leaf)) {
          verdict = Status::InvalidArgument("malformed hash in vector");
        } else {
          verdict = VerifyInclusion(v.at("leafIdx").get<uint64_t>(),
                                    v.at("treeSize").get<uint64_t>(), leaf, proof, root_hash);
        }
      } else {
        ++consistency_files;
        bool root1_ok = false, root2_ok = false;
        const Hash root1 = ConsistencyRootFromVector(v.at("root1"), &root1_ok);
        const Hash root2 = ConsistencyRootFromVector(v.at("root2"), &root2_ok);
        if (!proof_ok || !root1_ok || !root2_ok) {
          verdict = Status::InvalidArgument("malformed hash in vector");
        } else {
          verdict = VerifyConsistency(v.at("size1").get<uint64_t>(), v.at("size2").get<uint64_t>(),
                                      root1, root2, proof);
        }
      }
      EXPECT_EQ(!verdict.ok(), want_err)
          << entry.path().string() << " (" << v.value("desc", "") << "): " << verdict.ToString();
    }
  }
  EXPECT_GE(inclusion_files, 90);
  EXPECT_GE(consistency_files, 90);
  EXPECT_GT(inclusion_files + consistency_files, 100);
  EXPECT_GE(passing_cases, 10);
}

}  // namespace
}  // namespace dala::sync

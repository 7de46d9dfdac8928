#include "dala/sync/receipt_file.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace dala::sync {
namespace {

using nlohmann::json;

TEST(ReceiptFileTest, WrittenReceiptReadsBackTheSame) {
  ReceiptInput r;
  r.device.fill(1);
  r.sequence = 5;
  r.envelope_id.fill(2);
  r.leaf_index = 812;
  r.tree_size = 900;
  r.proof = {Sha256("x"), Sha256("y")};
  r.checkpoint_note = "dala.test/log\n900\nAAAA\n\n— x y\n";
  auto back = ParseReceiptJson(ReceiptJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->device, r.device);
  EXPECT_EQ(back->sequence, 5u);
  EXPECT_EQ(back->envelope_id, r.envelope_id);
  EXPECT_EQ(back->leaf_index, 812u);
  EXPECT_EQ(back->tree_size, 900u);
  EXPECT_EQ(back->proof, r.proof);
  EXPECT_EQ(back->checkpoint_note, r.checkpoint_note);
}

TEST(ReceiptFileTest, MalformedReceiptsAreRefused) {
  ReceiptInput r;
  r.sequence = 1;
  r.tree_size = 1;
  json good = json::parse(ReceiptJson(r));
  auto with = [&](const char* key, json value) {
    json j = good;
    if (value.is_discarded())
      j.erase(key);
    else
      j[key] = value;
    return ParseReceiptJson(j.dump());
  };
  EXPECT_TRUE(ParseReceiptJson(good.dump()).ok());
  EXPECT_FALSE(ParseReceiptJson("not json").ok());
  EXPECT_FALSE(ParseReceiptJson("[]").ok());
  EXPECT_FALSE(with("device", "abc").ok());
  EXPECT_FALSE(with("device", json::value_t::discarded).ok());
  EXPECT_FALSE(with("envelope", 5).ok());
  EXPECT_FALSE(with("sequence", -1).ok());
  EXPECT_FALSE(with("sequence", 0).ok());
  EXPECT_FALSE(with("leaf_index", "3").ok());
  EXPECT_FALSE(with("tree_size", 1.5).ok());
  EXPECT_FALSE(with("proof", "AAAA").ok());
  EXPECT_FALSE(with("proof", json::array({"AAAA"})).ok());  // 3 bytes, not 32
  EXPECT_FALSE(with("proof", json::array({7})).ok());
  EXPECT_FALSE(with("checkpoint", json::value_t::discarded).ok());
}

// A laptop that exported receipts names the file, not the JSON: where a
// receipt came from is the reader's to say.
TEST(ReceiptFileTest, SourceIsNotWrittenIntoTheFile) {
  ReceiptInput r;
  r.sequence = 1;
  r.tree_size = 1;
  r.source = "laptop-7/receipt-1.json";
  std::string text = ReceiptJson(r);
  EXPECT_EQ(text.find("laptop-7"), std::string::npos) << text;
  auto back = ParseReceiptJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->source.empty());
}

// The first leaf of a one-leaf tree has an empty proof: empty is a proof,
// not a missing one.
TEST(ReceiptFileTest, EmptyProofOfASingleLeafTreeIsAccepted) {
  ReceiptInput r;
  r.sequence = 1;
  r.tree_size = 1;
  auto back = ParseReceiptJson(ReceiptJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->proof.empty());
}

// Someone fixing a receipt by hand needs to know which field is wrong.
TEST(ReceiptFileTest, RefusalNamesTheFieldAtFault) {
  ReceiptInput r;
  r.sequence = 1;
  r.tree_size = 1;
  json j = json::parse(ReceiptJson(r));
  for (const char* field : {"device", "envelope", "sequence", "leaf_index", "tree_size", "proof", "checkpoint"}) {
    json broken = j;
    broken[field] = json::object();
    auto parsed = ParseReceiptJson(broken.dump());
    ASSERT_FALSE(parsed.ok()) << field;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(std::string("\"") + field + "\""), std::string::npos)
        << parsed.status().message();
  }
}

TEST(ReceiptFileTest, ReceiptThatIsNotAnObjectIsRefused) {
  for (const char* text : {"", "null", "5", "\"receipt\"", "[{}]", "{\"device\":"}) {
    auto parsed = ParseReceiptJson(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace dala::sync

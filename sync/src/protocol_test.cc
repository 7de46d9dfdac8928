#include "dala/sync/protocol.h"

#include <gtest/gtest.h>

namespace dala::sync {
namespace {

SyncResponse SampleResponse() {
  SyncResponse r;
  r.accepted_through = 42;
  r.rejected.push_back({43, Sha256("x"), "invalid_answers", "queue_length: Введите целое число."});
  r.server_time_ms = 1795755600000;
  r.checkpoint = "dala.local/log\n44\nAAAA\n\n— dala.local/log abcd\n";
  r.consistency = {Sha256("a"), Sha256("b")};
  r.receipt = SyncReceipt{42, Sha256("e"), 40, {Sha256("p1"), Sha256("p2")}};
  r.cursor = "7.2";
  r.more = true;
  r.envelopes = {"env-one", std::string("\0\1\2", 3)};
  r.forms = {"{\"id\":\"f\"}"};
  return r;
}

TEST(ProtocolTest, RequestRoundTrips) {
  SyncRequest q;
  q.cursor = "12.3";
  q.checkpoint_size = 99;
  q.envelopes = {"a", std::string(5000, 'b'), ""};
  q.forms_wanted = {Sha256("form")};
  auto body = EncodeSyncRequest(q);
  ASSERT_TRUE(body.ok());
  auto back = DecodeSyncRequest(*body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->cursor, "12.3");
  EXPECT_EQ(back->checkpoint_size, 99u);
  EXPECT_EQ(back->envelopes, q.envelopes);
  EXPECT_EQ(back->forms_wanted, q.forms_wanted);
}

// What a laptop does while the server answers the previous exchange:
// deflate the next envelopes first, the header later.
TEST(ProtocolTest, RequestWhoseEnvelopesWereDeflatedApartRoundTrips) {
  std::vector<std::string> envelopes;
  std::string noise;
  for (int i = 0; i < 300; ++i) {
    noise.clear();
    for (int j = 0; j < 900; ++j) noise.push_back(static_cast<char>((i * 7919 + j * 104729) % 251));
    envelopes.push_back(noise);
  }
  auto deflated = DeflateRequestEnvelopes(envelopes, 6);
  ASSERT_TRUE(deflated.ok()) << deflated.status().ToString();
  EXPECT_EQ(deflated->count, 300u);
  SyncRequest q;
  q.cursor = "12.3";
  q.checkpoint_size = 99;
  q.receipted_through = 7;
  q.forms_wanted = {Sha256("form")};
  auto body = EncodeSyncRequest(q, *deflated, 6);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  auto back = DecodeSyncRequest(*body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->cursor, "12.3");
  EXPECT_EQ(back->checkpoint_size, 99u);
  EXPECT_EQ(back->receipted_through, 7u);
  EXPECT_EQ(back->forms_wanted, q.forms_wanted);
  EXPECT_EQ(back->envelopes, envelopes);
}

// The levels are libdeflate's: zlib's 1-9 and three slower ones beyond.
TEST(ProtocolTest, GzipAndRequestsAtEachLevelInflateBackWithZlib) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "queue_length=" + std::to_string(i % 97) + ";";
  for (int level : {0, 1, 6, 9, 12}) {
    auto zipped = Gzip(text, level);
    ASSERT_TRUE(zipped.ok()) << level << ": " << zipped.status().ToString();
    auto back = Gunzip(*zipped, text.size());
    ASSERT_TRUE(back.ok()) << level << ": " << back.status().ToString();
    EXPECT_EQ(*back, text) << level;
    if (level > 0) {
      EXPECT_LT(zipped->size(), text.size() / 4) << level;
    }
    // A request's header is deflated by zlib, whose levels stop at 9.
    auto deflated = DeflateRequestEnvelopes({text, "b"}, level);
    ASSERT_TRUE(deflated.ok()) << level;
    SyncRequest q;
    q.cursor = "3.1";
    auto body = EncodeSyncRequest(q, *deflated, level);
    ASSERT_TRUE(body.ok()) << level << ": " << body.status().ToString();
    auto request = DecodeSyncRequest(*body);
    ASSERT_TRUE(request.ok()) << level << ": " << request.status().ToString();
    EXPECT_EQ(request->envelopes, (std::vector<std::string>{text, "b"})) << level;
  }
}

TEST(ProtocolTest, CompressionLevelLibdeflateDoesNotHaveIsRefused) {
  for (int level : {-1, 13}) {
    auto zipped = Gzip("abc", level);
    ASSERT_FALSE(zipped.ok()) << level;
    EXPECT_EQ(zipped.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(zipped.status().message().find("compression level"), std::string::npos) << zipped.status().ToString();
    EXPECT_FALSE(DeflateRequestEnvelopes({"a"}, level).ok()) << level;
  }
}

TEST(ProtocolTest, EmptyBatchDeflatedApartRoundTrips) {
  auto deflated = DeflateRequestEnvelopes({}, 6);
  ASSERT_TRUE(deflated.ok());
  SyncRequest q;
  q.cursor = "1.0";
  auto back = DecodeSyncRequest(*EncodeSyncRequest(q, *deflated, 6));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->cursor, "1.0");
  EXPECT_TRUE(back->envelopes.empty());
}

TEST(ProtocolTest, RequestGivenEnvelopesBothInItAndDeflatedApartIsRefused) {
  auto deflated = DeflateRequestEnvelopes({"a"}, 6);
  ASSERT_TRUE(deflated.ok());
  SyncRequest q;
  q.envelopes = {"b"};
  auto body = EncodeSyncRequest(q, *deflated, 6);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), Status::Code::kInvalidArgument);
}

// The gzip trailer is computed over two streams deflated apart: a wrong
// CRC-32 or length there must be caught by the reader, not pass unseen.
TEST(ProtocolTest, SplicedRequestWithAWrongChecksumOrLengthIsRefused) {
  SyncRequest q;
  q.envelopes = {std::string(3000, 'e'), "f"};
  auto body = EncodeSyncRequest(q);
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE(DecodeSyncRequest(*body).ok());
  for (size_t back = 1; back <= 8; ++back) {
    std::string bad = *body;
    bad[bad.size() - back] = static_cast<char>(bad[bad.size() - back] ^ 0x01);
    EXPECT_FALSE(DecodeSyncRequest(bad).ok()) << "trailer byte " << back << " from the end was flipped";
  }
}

TEST(ProtocolTest, ResponseRoundTrips) {
  SyncResponse r = SampleResponse();
  auto body = EncodeSyncResponse(r);
  ASSERT_TRUE(body.ok());
  auto back = DecodeSyncResponse(*body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->accepted_through, 42u);
  ASSERT_EQ(back->rejected.size(), 1u);
  EXPECT_EQ(back->rejected[0].code, "invalid_answers");
  EXPECT_EQ(back->rejected[0].reason, r.rejected[0].reason);
  EXPECT_EQ(back->rejected[0].id, Sha256("x"));
  EXPECT_EQ(back->checkpoint, r.checkpoint);
  EXPECT_EQ(back->consistency, r.consistency);
  ASSERT_TRUE(back->receipt.has_value());
  EXPECT_EQ(back->receipt->leaf_index, 40u);
  EXPECT_EQ(back->receipt->proof, r.receipt->proof);
  EXPECT_EQ(back->cursor, "7.2");
  EXPECT_TRUE(back->more);
  EXPECT_EQ(back->envelopes, r.envelopes);
  EXPECT_EQ(back->forms, r.forms);
}

TEST(ProtocolTest, EveryTruncationOfTheInflatedBodyIsRefused) {
  auto body = EncodeSyncResponse(SampleResponse(), 1);
  ASSERT_TRUE(body.ok());
  auto raw = Gunzip(*body, 1 << 20);
  ASSERT_TRUE(raw.ok());
  for (size_t n = 0; n < raw->size(); ++n) {
    auto cut = Gzip(raw->substr(0, n), 1);
    ASSERT_TRUE(cut.ok());
    EXPECT_FALSE(DecodeSyncResponse(*cut).ok()) << "prefix of " << n << " bytes was accepted";
  }
}

TEST(ProtocolTest, EveryTruncationOfTheCompressedBodyIsRefused) {
  SyncRequest q;
  q.envelopes = {std::string(300, 'z')};
  auto body = EncodeSyncRequest(q);
  ASSERT_TRUE(body.ok());
  for (size_t n = 0; n < body->size(); ++n)
    EXPECT_FALSE(DecodeSyncRequest(body->substr(0, n)).ok()) << "cut at " << n;
}

TEST(ProtocolTest, TrailingBytesAreRefused) {
  auto raw = Gunzip(*EncodeSyncRequest(SyncRequest{}), 1 << 20);
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE(DecodeSyncRequest(*Gzip(*raw + "x", 1)).ok());
  auto body = EncodeSyncRequest(SyncRequest{});
  EXPECT_FALSE(DecodeSyncRequest(*body + "junk").ok());
}

TEST(ProtocolTest, BodyThatIsNotGzipIsRefused) {
  auto r = DecodeSyncRequest("this is not gzip");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("gzip"), std::string::npos);
  EXPECT_FALSE(DecodeSyncRequest("").ok());
}

TEST(ProtocolTest, WrongMagicIsRefused) {
  auto body = Gzip("DSR1" + std::string(8, '\0'), 1);
  auto r = DecodeSyncRequest(*body);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("DSQ1"), std::string::npos);
}

TEST(ProtocolTest, CompressionBombIsStoppedAtTheLimit) {
  std::string huge(10u << 20, 'a');  // 10 MiB of one byte compresses to ~10 KiB
  auto body = Gzip(huge, 9);
  ASSERT_TRUE(body.ok());
  EXPECT_LT(body->size(), 64u << 10);
  SyncLimits limits;
  limits.max_inflated_bytes = 1u << 20;
  auto r = DecodeSyncRequest(*body, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
}

TEST(ProtocolTest, TooManyEnvelopesAreRefused) {
  SyncRequest q;
  q.envelopes.assign(11, "e");
  SyncLimits limits;
  limits.max_envelopes = 10;
  auto r = DecodeSyncRequest(*EncodeSyncRequest(q), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
}

TEST(ProtocolTest, OversizedItemIsRefused) {
  SyncRequest q;
  q.envelopes = {std::string(2000, 'e')};
  SyncLimits limits;
  limits.max_item_bytes = 1000;
  EXPECT_FALSE(DecodeSyncRequest(*EncodeSyncRequest(q), limits).ok());
}

// A request body with `header` as it is, and no envelopes.
std::string RequestWithHeader(const std::string& header) {
  std::string raw = "DSQ1";
  uint32_t n = static_cast<uint32_t>(header.size());
  for (int i = 3; i >= 0; --i) raw.push_back(static_cast<char>(n >> (8 * i)));
  raw += header;
  raw += std::string(4, '\0');
  return *Gzip(raw, 1);
}

TEST(ProtocolTest, MalformedHeadersAreRefused) {
  auto frame = RequestWithHeader;
  EXPECT_TRUE(DecodeSyncRequest(frame(R"({"cursor":"","checkpoint_size":0})")).ok());
  for (const char* bad : {"", "[]", "{", R"({"cursor":1,"checkpoint_size":0})", R"({"cursor":""})",
                          R"({"cursor":"","checkpoint_size":-1})", R"({"cursor":"","checkpoint_size":"5"})"}) {
    EXPECT_FALSE(DecodeSyncRequest(frame(bad)).ok()) << bad;
  }
}

// docs/ARCHITECTURE.md: JSON with a repeated key is refused, so no two
// parsers can read one request two ways (nlohmann keeps the last copy).
TEST(ProtocolTest, HeaderWithARepeatedKeyIsRefused) {
  for (const char* bad : {R"({"cursor":"","checkpoint_size":0,"checkpoint_size":9})",
                          R"({"cursor":"","checkpoint_size":0,"cursor":"7.2"})",
                          R"({"cursor":"","checkpoint_size":0,"\u0063ursor":""})"}) {
    auto decoded = DecodeSyncRequest(RequestWithHeader(bad));
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_NE(decoded.status().message().find("twice"), std::string::npos) << decoded.status().message();
  }
}

TEST(ProtocolTest, FormsWantedThatAreNotFormHashesOrTooManyAreRefused) {
  auto frame = [](const std::string& wanted) {
    return RequestWithHeader(R"({"cursor":"","checkpoint_size":0,"forms_wanted":)" + wanted + "}");
  };
  const std::string hash = "\"" + std::string(64, 'a') + "\"";
  EXPECT_TRUE(DecodeSyncRequest(frame("[" + hash + "]")).ok());
  EXPECT_TRUE(DecodeSyncRequest(frame("[]")).ok());
  std::string too_many = "[" + hash;
  for (size_t i = 1; i <= kMaxFormsWanted; ++i) too_many += "," + hash;
  for (const std::string& bad : {std::string("\"") + std::string(64, 'a') + "\"", std::string("[1]"),
                                 std::string(R"(["abc"])"), "[\"" + std::string(64, 'g') + "\"]", too_many + "]",
                                 std::string("{}")}) {
    EXPECT_FALSE(DecodeSyncRequest(frame(bad)).ok()) << bad.substr(0, 80);
  }
}

TEST(ProtocolTest, MalformedResponseFieldsAreRefused) {
  SyncResponse r = SampleResponse();
  auto raw = Gunzip(*EncodeSyncResponse(r), 1 << 20);
  ASSERT_TRUE(raw.ok());
  std::string s = *raw;
  // A receipt proof element that is not 32 bytes.
  std::string good = ToBase64(AsBytes(Sha256("p1")));
  size_t at = s.find(good);
  ASSERT_NE(at, std::string::npos);
  std::string bad_b64 = ToBase64("short");
  std::string mutated = s;
  mutated.replace(at, good.size(), bad_b64 + std::string(good.size() - bad_b64.size(), ' '));
  EXPECT_FALSE(DecodeSyncResponse(*Gzip(mutated, 1)).ok());
}

}  // namespace
}  // namespace dala::sync

#include "etcdsnap/client/snapshot_message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace etcdsnap::client {
namespace {

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Tag(uint64_t field, uint32_t wire) { return Varint(field << 3 | wire); }
std::string BytesField(uint64_t field, const std::string& b) {
  return Tag(field, 2) + Varint(b.size()) + b;
}
std::string RemainingField(uint64_t v) { return Tag(2, 0) + Varint(v); }
// A ResponseHeader as etcd sends it: cluster_id, member_id, revision, raft_term.
std::string Header() {
  return BytesField(1, Tag(1, 0) + Varint(0xcafe) + Tag(2, 0) + Varint(0x2a) + Tag(3, 0) +
                           Varint(1234) + Tag(4, 0) + Varint(5));
}
std::string Blob(size_t n) {
  std::string b(n, '\0');
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<char>(i * 7 + 3);
  return b;
}

// The pieces point into `bytes`, which must outlive them (and the parsed message).
// `bytes` cut into pieces of `size` bytes (the last shorter), with an empty piece in between
// when `empties`, as gRPC's slice buffers may hold.
std::vector<Piece> Split(const std::string& bytes, size_t size, bool empties = false) {
  std::vector<Piece> out;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t at = 0; at < bytes.size(); at += size) {
    if (empties) out.emplace_back(p + at, 0);
    out.emplace_back(p + at, std::min(size, bytes.size() - at));
  }
  if (empties) out.emplace_back(p + bytes.size(), 0);
  return out;
}

std::string Joined(const SnapshotMessage& m) {
  std::string out;
  for (const Piece& p : m.blob) {
    EXPECT_FALSE(p.empty());
    out.append(reinterpret_cast<const char*>(p.data()), p.size());
  }
  EXPECT_EQ(out.size(), m.blob_size);
  return out;
}

Status Parse(const std::string& bytes, SnapshotMessage* m, size_t piece = SIZE_MAX) {
  return ParseSnapshotResponse(Split(bytes, std::max<size_t>(piece == SIZE_MAX ? bytes.size() : piece, 1)), m);
}

TEST(SnapshotMessageTest, EtcdsOrder) {
  const std::string blob = Blob(32768);
  SnapshotMessage m;
  const std::string msg = Header() + RemainingField(1 << 30) + BytesField(3, blob);
  ASSERT_TRUE(Parse(msg, &m).ok());
  EXPECT_EQ(m.remaining_bytes, uint64_t{1} << 30);
  EXPECT_EQ(Joined(m), blob);
  ASSERT_EQ(m.blob.size(), 1u);  // one slice in, one piece out: no copy, no split
}

TEST(SnapshotMessageTest, FieldsInAnyOrder) {
  const std::string blob = Blob(1000);
  SnapshotMessage m;
  const std::string msg = BytesField(3, blob) + RemainingField(77) + Header();
  ASSERT_TRUE(Parse(msg, &m).ok());
  EXPECT_EQ(m.remaining_bytes, 77u);
  EXPECT_EQ(Joined(m), blob);
}

TEST(SnapshotMessageTest, MissingFieldsAreZeroAndEmpty) {
  SnapshotMessage m;
  m.remaining_bytes = 9;
  ASSERT_TRUE(Parse("", &m).ok());
  EXPECT_EQ(m.remaining_bytes, 0u);
  EXPECT_TRUE(m.blob.empty());
  ASSERT_TRUE(Parse(Header() + BytesField(3, ""), &m).ok());
  EXPECT_TRUE(m.blob.empty());
  EXPECT_EQ(m.blob_size, 0u);
}

TEST(SnapshotMessageTest, LastOccurrenceWinsAsInProtobuf) {
  SnapshotMessage m;
  const std::string msg =
      BytesField(3, "first") + RemainingField(1) + BytesField(3, "second") + RemainingField(2);
  ASSERT_TRUE(Parse(msg, &m).ok());
  EXPECT_EQ(Joined(m), "second");
  EXPECT_EQ(m.remaining_bytes, 2u);
}

TEST(SnapshotMessageTest, UnknownFieldsOfEveryWireTypeAreSkipped) {
  const std::string blob = Blob(600);
  const std::string unknown = Tag(9, 0) + Varint(UINT64_MAX) + Tag(10, 1) + "12345678" +
                              Tag(11, 5) + "1234" + BytesField(12, Blob(300)) +
                              Tag(536870911, 0) + Varint(1);
  // A known field number with another wire type is an unknown field too (protobuf's rule).
  const std::string mistyped = Tag(3, 0) + Varint(5) + Tag(2, 2) + Varint(1) + "x";
  SnapshotMessage m;
  const std::string msg = unknown + RemainingField(5) + mistyped + BytesField(3, blob) + unknown;
  ASSERT_TRUE(Parse(msg, &m).ok());
  EXPECT_EQ(m.remaining_bytes, 5u);
  EXPECT_EQ(Joined(m), blob);
}

TEST(SnapshotMessageTest, BlobSplitOverManySlices) {
  const std::string blob = Blob(5000);
  const std::string msg = Header() + RemainingField(300000) + BytesField(3, blob) + Tag(15, 0) + Varint(1);
  for (size_t size : {1, 2, 3, 7, 100, 4096, 4999}) {
    for (bool empties : {false, true}) {
      SnapshotMessage m;
      ASSERT_TRUE(ParseSnapshotResponse(Split(msg, size, empties), &m).ok()) << size;
      EXPECT_EQ(m.remaining_bytes, 300000u) << size;
      EXPECT_EQ(Joined(m), blob) << size;
      // One piece per slice the blob touches: no copy, no piece cut further.
      const size_t at = msg.size() - blob.size() - 2;  // the blob's offset in the message
      EXPECT_EQ(m.blob.size(), (at + blob.size() - 1) / size - at / size + 1) << size;
    }
  }
}

TEST(SnapshotMessageTest, TruncatedMessagesAreErrors) {
  const std::string msg = Header() + RemainingField(300) + BytesField(3, Blob(100)) +
                          Tag(11, 5) + "1234" + Tag(10, 1) + "12345678";
  // Every proper prefix that ends inside a field is refused; a prefix ending between fields is
  // a valid shorter message.
  std::vector<size_t> field_ends;
  for (size_t n = 0; n < msg.size(); ++n) {
    SnapshotMessage m;
    Status s = Parse(msg.substr(0, n), &m, 3);
    if (s.ok()) {
      field_ends.push_back(n);
    } else {
      EXPECT_EQ(s.code(), Code::kCorruption) << n;
      EXPECT_NE(s.message().find("malformed SnapshotResponse"), std::string::npos) << s.message();
    }
  }
  const size_t h = Header().size(), r = RemainingField(300).size(), b = BytesField(3, Blob(100)).size();
  EXPECT_EQ(field_ends, (std::vector<size_t>{0, h, h + r, h + r + b, h + r + b + 5}));
}

TEST(SnapshotMessageTest, OverlongLengthsAreErrors) {
  SnapshotMessage m;
  // One byte more than is there, and lengths that would wrap a size_t or an offset.
  for (uint64_t n : {uint64_t{11}, uint64_t{1} << 32, UINT64_MAX, UINT64_MAX - 5}) {
    const std::string msg = Tag(3, 2) + Varint(n) + Blob(10);
    for (size_t piece : {size_t{1}, size_t{4}, msg.size()}) {
      Status s = Parse(msg, &m, piece);
      EXPECT_EQ(s.code(), Code::kCorruption) << n;
      EXPECT_NE(s.message().find("field 3 of " + std::to_string(n) + " bytes with 10 left"),
                std::string::npos)
          << s.message();
    }
  }
  EXPECT_EQ(Parse(BytesField(1, Blob(10)).substr(0, 8), &m).code(), Code::kCorruption);
}

TEST(SnapshotMessageTest, VarintOverflowIsAnError) {
  SnapshotMessage m;
  // Ten bytes whose last holds more than the 64th bit; eleven bytes; in a tag, a length, a value.
  const std::string over = std::string(9, '\xff') + '\x02';
  const std::string eleven = std::string(10, '\x80') + '\x01';
  for (const std::string& v : {over, eleven}) {
    Status s = Parse(Tag(2, 0) + v, &m, 1);
    EXPECT_EQ(s.code(), Code::kCorruption);
    EXPECT_NE(s.message().find("varint longer than 64 bits"), std::string::npos) << s.message();
    s = Parse(Tag(3, 2) + v + "abc", &m);
    EXPECT_NE(s.message().find("length longer than 64 bits"), std::string::npos) << s.message();
    s = Parse(v + "abc", &m);
    EXPECT_NE(s.message().find("tag longer than 64 bits"), std::string::npos) << s.message();
  }
  // The largest 64-bit value still reads.
  ASSERT_TRUE(Parse(RemainingField(UINT64_MAX), &m).ok());
  EXPECT_EQ(m.remaining_bytes, UINT64_MAX);
}

TEST(SnapshotMessageTest, BadTagsAreErrors) {
  SnapshotMessage m;
  for (const std::string& bad : {Tag(0, 0) + Varint(1), Tag(uint64_t{1} << 29, 0) + Varint(1),
                                 Tag(4, 3), Tag(4, 4), Tag(4, 6), Tag(4, 7)}) {
    Status s = Parse(RemainingField(1) + bad, &m);
    EXPECT_EQ(s.code(), Code::kCorruption);
    EXPECT_NE(s.message().find("at byte 2"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace etcdsnap::client

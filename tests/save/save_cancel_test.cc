// The save use case in-process against the fake Maintenance server: a cancellation (what the
// signal thread does on SIGINT/SIGTERM/SIGHUP) that arrives after the stream has ended still
// stops the save, up to the rename. The cancel is triggered by the log line Save() writes once
// the sha256 trailer is checked, so the moment is exact, with no timing involved.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <functional>
#include <mutex>

#include "etcdsnap/snapshot/save.h"
#include "etcdsnap/snapshot/verify.h"
#include "fake_maintenance_server.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

// Cancels `canceller` when a log line containing `trigger` is written.
class CancelOnLogLine : public spdlog::sinks::base_sink<std::mutex> {
 public:
  CancelOnLogLine(Canceller* canceller, std::string trigger)
      : canceller_(canceller), trigger_(std::move(trigger)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::string_view(msg.payload.data(), msg.payload.size()).find(trigger_) !=
        std::string_view::npos) {
      canceller_->Cancel("interrupted by TERM; nothing was saved");
    }
  }
  void flush_() override {}

 private:
  Canceller* canceller_;
  std::string trigger_;
};

class SaveCancelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  // Saves from the fake server, cancelling when `trigger` is logged.
  Result<snapshot::SaveResult> SaveCancelledAt(const std::string& trigger, bool verify) {
    snapshot::SaveOptions o;
    o.path = file_;
    o.verify = verify;
    auto ep = client::ParseEndpoint("http://" + server_.Endpoint(), false);
    EXPECT_TRUE(ep.ok());
    o.endpoints.push_back(*ep);
    Canceller canceller;
    auto sink = std::make_shared<CancelOnLogLine>(&canceller, trigger);
    spdlog::logger log("save", sink);
    log.set_level(spdlog::level::debug);
    return snapshot::Save(o, &canceller, log);
  }

  FakeMaintenanceServer server_{{}};
  TempDir dir_{"etcdsnap-cancel"};
  const std::string file_ = dir_.Join("snap.db");
};

TEST_F(SaveCancelTest, CancelAfterTheStreamEndedStopsTheSaveBeforeTheRename) {
  const auto r = SaveCancelledAt("sha256 trailer verified", /*verify=*/false);
  ASSERT_FALSE(r.ok()) << "saved although cancelled before the rename";
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().message();
  EXPECT_FALSE(PathExists(file_));
  EXPECT_FALSE(PathExists(file_ + ".part"));
}

// With --verify the cancel must not wait for (or be hidden by) the verification's verdict.
TEST_F(SaveCancelTest, CancelBeforeVerifyStopsTheSave) {
  const auto r = SaveCancelledAt("sha256 trailer verified", /*verify=*/true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().message();
  EXPECT_FALSE(PathExists(file_ + ".part"));
}

// Once the rename happened the save is done: a cancel then changes nothing.
TEST_F(SaveCancelTest, CancelAfterTheRenameKeepsTheSave) {
  const auto r = SaveCancelledAt("saved path=", /*verify=*/false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(ReadFileOrEmpty(file_) == server_.ExpectedFile());
}

// Calls `on_line` for every log line written.
class LogLineHook : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogLineHook(std::function<void(std::string_view)> on_line) : on_line_(std::move(on_line)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    on_line_(std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(std::string_view)> on_line_;
};

// A local disk slower than --idle-timeout: the write of one chunk blocks (here: the progress
// hook, which runs in the same place) until the save has reported the slow disk, which happens
// once the write has taken a whole idle timeout. The server is not blamed and the save completes.
TEST(SaveSlowDiskTest, SlowWriteIsReportedAndNotCountedAsAStall) {
  FakeMaintenanceServer server({});
  ASSERT_TRUE(server.Start());
  TempDir dir("etcdsnap-slowdisk");
  snapshot::SaveOptions o;
  o.path = dir.Join("snap.db");
  auto ep = client::ParseEndpoint("http://" + server.Endpoint(), false);
  ASSERT_TRUE(ep.ok());
  o.endpoints.push_back(*ep);
  o.stream.idle_timeout = std::chrono::milliseconds(300);
  std::mutex mu;
  std::condition_variable cv;
  bool reported = false;
  bool blocked_once = false;
  o.on_progress = [&](uint64_t, uint64_t) {
    if (blocked_once) return;
    blocked_once = true;
    std::unique_lock lock(mu);
    // Bounded, so that a save that never reports cannot hang the test: it then fails below.
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return reported; });
  };
  auto sink = std::make_shared<LogLineHook>([&](std::string_view line) {
    if (line.find("the local disk is slow") == std::string_view::npos) return;
    std::lock_guard lock(mu);
    reported = true;
    cv.notify_all();
  });
  spdlog::logger log("save", sink);
  const auto r = snapshot::Save(o, nullptr, log);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(reported);
  EXPECT_EQ(ReadFileOrEmpty(o.path), server.ExpectedFile());
}

TEST(VerifyCancelTest, SetFlagStopsVerification) {
  const std::atomic<bool> cancel{true};
  snapshot::VerifyOptions o{std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db"};
  o.cancel = &cancel;
  const auto r = snapshot::Verify(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled);
  o.cancel = nullptr;
  EXPECT_TRUE(snapshot::Verify(o).ok());
}

}  // namespace
}  // namespace etcdsnap::testing

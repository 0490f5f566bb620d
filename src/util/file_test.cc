#include "etcdsnap/util/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "etcdsnap/util/cancel.h"

#include "temp_dir.h"

namespace etcdsnap {
namespace {

namespace fs = std::filesystem;

using PartFileTest = testing::TempDirTest;

TEST_F(PartFileTest, CommitReplacesTargetWithMode0600) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target) << "old";
  auto pf = PartFile::Create(target);
  ASSERT_TRUE(pf.ok()) << pf.status().message();
  const uint8_t data[] = {'n', 'e', 'w'};
  ASSERT_TRUE(pf->Append(data).ok());
  EXPECT_EQ(Read(target), "old");
  ASSERT_TRUE(pf->Commit().ok());
  EXPECT_EQ(Read(target), "new");
  EXPECT_FALSE(fs::exists(target + ".part"));
  struct stat st {};
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A name known only once the data is written (a template with the revision): the .part is
// renamed onto it, in the same directory only, and never onto a directory or a device.
TEST_F(PartFileTest, SetTargetRenamesOntoTheNameGivenLast) {
  const std::string base = (dir_ / "etcd-{revision}.db").string();
  auto pf = PartFile::Create(base);
  ASSERT_TRUE(pf.ok()) << pf.status().message();
  const uint8_t data[] = {'n', 'e', 'w'};
  ASSERT_TRUE(pf->Append(data).ok());
  fs::create_directories(dir_ / "sub");
  EXPECT_EQ(pf->SetTarget((dir_ / "sub" / "x.db").string()).code(), Code::kInvalidArgument);
  EXPECT_EQ(pf->SetTarget((dir_ / "sub").string()).code(), Code::kInvalidArgument);
  ASSERT_TRUE(pf->SetTarget((dir_ / "etcd-42.db").string()).ok());
  ASSERT_TRUE(pf->Commit().ok());
  EXPECT_EQ(Read(dir_ / "etcd-42.db"), "new");
  EXPECT_FALSE(fs::exists(base));
  EXPECT_FALSE(fs::exists(base + ".part"));
}

TEST_F(PartFileTest, DestructionRemovesPartAndKeepsTarget) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target) << "old";
  {
    auto pf = PartFile::Create(target);
    ASSERT_TRUE(pf.ok());
    const uint8_t data[] = {'x'};
    ASSERT_TRUE(pf->Append(data).ok());
    EXPECT_TRUE(fs::exists(target + ".part"));
  }
  EXPECT_FALSE(fs::exists(target + ".part"));
  EXPECT_EQ(Read(target), "old");
}

TEST_F(PartFileTest, MissingDirectoryIsAClearError) {
  auto pf = PartFile::Create((dir_ / "nope" / "out.db").string());
  ASSERT_FALSE(pf.ok());
  EXPECT_NE(pf.status().message().find("nope"), std::string::npos);
}

TEST_F(PartFileTest, DirectoryTargetIsRefusedBeforeDownloading) {
  auto pf = PartFile::Create(dir_.string());
  ASSERT_FALSE(pf.ok());
  EXPECT_EQ(pf.status().code(), Code::kInvalidArgument);
}

TEST_F(PartFileTest, SecondWriterIsRefusedWhileFirstHoldsThePart) {
  const std::string target = (dir_ / "out.db").string();
  auto first = PartFile::Create(target);
  ASSERT_TRUE(first.ok());
  auto second = PartFile::Create(target);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().message().find("in progress"), std::string::npos);
  // The refused writer must not have removed the first one's file.
  EXPECT_TRUE(fs::exists(target + ".part"));
  const uint8_t data[] = {'a'};
  ASSERT_TRUE(first->Append(data).ok());
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_EQ(Read(target), "a");
}

// --lock-timeout: the second writer waits while the first holds the .part, and gets a fresh one
// once the first has renamed its file into place.
TEST_F(PartFileTest, WaitingWriterGetsAFreshPartOnceTheHolderCommits) {
  const std::string target = (dir_ / "out.db").string();
  auto first = PartFile::Create(target);
  ASSERT_TRUE(first.ok());
  std::promise<void> waiting;
  LockWait wait{.timeout = std::chrono::seconds(60),
                .on_wait = [&](const Status&) { waiting.set_value(); }};
  auto second = std::async(std::launch::async, [&] { return PartFile::Create(target, wait); });
  waiting.get_future().wait();
  const uint8_t a[] = {'a'};
  ASSERT_TRUE(first->Append(a).ok());
  ASSERT_TRUE(first->Commit().ok());
  auto got = second.get();
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->size(), 0u);
  EXPECT_EQ(Read(target), "a");  // the first one's result was not touched
  const uint8_t b[] = {'b'};
  ASSERT_TRUE(got->Append(b).ok());
  ASSERT_TRUE(got->Commit().ok());
  EXPECT_EQ(Read(target), "b");
}

// Review (issue #12): a template's expanded name is committed without replacing a file of that
// name: two runs in one second (or one day, for a daily template) must not overwrite each other.
TEST_F(PartFileTest, TargetSetWithoutReplaceNeverReplacesAnExistingFile) {
  const std::string tmpl = (dir_ / "e-%Y.db").string(), name = (dir_ / "e-2026.db").string();
  {
    std::ofstream(name) << "earlier";
  }
  auto part = PartFile::Create(tmpl);
  ASSERT_TRUE(part.ok());
  const uint8_t data[] = {'n', 'e', 'w'};
  ASSERT_TRUE(part->Append(data).ok());
  ASSERT_TRUE(part->SetTarget(name, /*replace=*/false).ok());
  const Status s = part->Commit();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), name + " already exists (an earlier run made that name) and is not "
                                "replaced; nothing was saved: make the names unique per run, "
                                "e.g. with %H%M%S or {revision}");
  part->Abandon();
  EXPECT_EQ(Read(name), "earlier");
  EXPECT_FALSE(fs::exists(tmpl + ".part"));
  // A name not taken yet is committed as before.
  auto next = PartFile::Create(tmpl);
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->Append(data).ok());
  ASSERT_TRUE(next->SetTarget((dir_ / "e-2027.db").string(), false).ok());
  ASSERT_TRUE(next->Commit().ok());
  EXPECT_EQ(Read((dir_ / "e-2027.db").string()), "new");
}

TEST_F(PartFileTest, LockFileIsExclusiveAndOutlivesItsHolder) {
  const std::string path = (dir_ / ".e.db.lock").string();
  auto first = LockFile(path, "busy, try later");
  ASSERT_TRUE(first.ok()) << first.status().message();
  // flock conflicts between open file descriptions, in one process as between two.
  auto second = LockFile(path, "busy, try later");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_EQ(second.status().message(), "busy, try later");
  first->Reset();
  auto third = LockFile(path, "busy, try later");
  EXPECT_TRUE(third.ok()) << third.status().message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(PartFileTest, LockFileThatIsNotARegularFileIsRefusedWithoutBlocking) {
  const std::string fifo = (dir_ / ".fifo.lock").string(), link = (dir_ / ".link.lock").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(::symlink((dir_ / "elsewhere").c_str(), link.c_str()), 0);
  for (const std::string& p : {fifo, link}) {
    auto r = LockFile(p, "busy");
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << p;
    EXPECT_NE(r.status().message().find(p + " is not a regular file"), std::string::npos)
        << r.status().message();
  }
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
}

TEST_F(PartFileTest, WaitForALockedPartEndsAtTheTimeout) {
  const std::string target = (dir_ / "out.db").string();
  auto first = PartFile::Create(target);
  ASSERT_TRUE(first.ok());
  auto second = PartFile::Create(target, LockWait{.timeout = std::chrono::milliseconds(30)});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().message().find("is in progress (" + target +
                                           ".part is locked); wait for it to finish or choose "
                                           "another file name (still, after waiting 30ms)"),
            std::string::npos)
      << second.status().message();
  EXPECT_TRUE(fs::exists(target + ".part"));
}

TEST_F(PartFileTest, CancelEndsTheWaitForALockedPart) {
  const std::string target = (dir_ / "out.db").string();
  auto first = PartFile::Create(target);
  ASSERT_TRUE(first.ok());
  Canceller canceller;
  LockWait wait{.timeout = std::chrono::hours(1),
                .canceller = &canceller,
                .on_wait = [&](const Status&) { canceller.Cancel("interrupted by SIGTERM"); }};
  auto second = PartFile::Create(target, wait);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kCancelled);
  EXPECT_TRUE(fs::exists(target + ".part"));
}

TEST_F(PartFileTest, WriteFileAtomicallyReplacesTheFileWithTheModeAsked) {
  const std::string path = (dir_ / "etcd.prom").string();
  std::ofstream(path) << "old";
  ASSERT_TRUE(WriteFileAtomically(path, "new content\n", 0644).ok());
  EXPECT_EQ(Read(path), "new content\n");
  EXPECT_FALSE(fs::exists(path + ".part"));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(PartFileTest, StaleLeftoverPartIsReusedAndTruncated) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target + ".part") << "stale bytes from a killed run";
  auto pf = PartFile::Create(target);
  ASSERT_TRUE(pf.ok()) << pf.status().message();
  const uint8_t data[] = {'o', 'k'};
  ASSERT_TRUE(pf->Append(data).ok());
  ASSERT_TRUE(pf->Commit().ok());
  EXPECT_EQ(Read(target), "ok");
}

TEST_F(PartFileTest, SymlinkAtPartPathIsNotFollowed) {
  const std::string target = (dir_ / "out.db").string();
  const std::string victim = (dir_ / "victim").string();
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, target + ".part");
  auto pf = PartFile::Create(target);
  ASSERT_FALSE(pf.ok());
  EXPECT_NE(pf.status().message().find(target + ".part is a symbolic link"), std::string::npos)
      << pf.status().message();
  EXPECT_EQ(Read(victim), "precious");
}

// Save A renames its .part onto the target (and closes it, releasing the lock) after save B
// opened the .part and before B locks it: B's lock then lands on the file that is now the
// target. B must notice, start over on a fresh .part, and leave A's result alone.
TEST_F(PartFileTest, PartRenamedBetweenOpenAndLockIsNotTruncated) {
  const std::string target = (dir_ / "out.db").string();
  auto a = PartFile::Create(target);
  ASSERT_TRUE(a.ok()) << a.status().message();
  const uint8_t a_data[] = {'s', 'a', 'v', 'e', 'd'};
  ASSERT_TRUE(a->Append(a_data).ok());

  struct CommitAFirst : FileHooks {
    PartFile* a = nullptr;
    int calls = 0;
    void BeforeLock(const std::string&) override {
      if (calls++ == 0) {
        EXPECT_TRUE(a->Commit().ok());
      }
    }
  } hooks;
  hooks.a = &*a;
  auto b = PartFile::Create(target, &hooks);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(hooks.calls, 2) << "B did not start over after A's rename";
  EXPECT_EQ(Read(target), "saved");
  const uint8_t b_data[] = {'b'};
  ASSERT_TRUE(b->Append(b_data).ok());
  EXPECT_EQ(Read(target), "saved");
  EXPECT_EQ(Read(target + ".part"), "b");
  b->Abandon();
  EXPECT_EQ(Read(target), "saved");
  EXPECT_FALSE(fs::exists(target + ".part"));
}

// The same with a .part that its owner removes (Abandon) in that window: B must not keep
// writing into an unlinked file that no rename can ever publish.
TEST_F(PartFileTest, PartRemovedBetweenOpenAndLockIsReplacedByAFreshOne) {
  const std::string target = (dir_ / "out.db").string();
  auto a = PartFile::Create(target);
  ASSERT_TRUE(a.ok());
  struct AbandonAFirst : FileHooks {
    PartFile* a = nullptr;
    int calls = 0;
    void BeforeLock(const std::string&) override {
      if (calls++ == 0) a->Abandon();
    }
  } hooks;
  hooks.a = &*a;
  auto b = PartFile::Create(target, &hooks);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(hooks.calls, 2);
  const uint8_t data[] = {'o', 'k'};
  ASSERT_TRUE(b->Append(data).ok());
  ASSERT_TRUE(b->Commit().ok());
  EXPECT_EQ(Read(target), "ok");
}

// A write that fails part-way (ENOSPC after half the block), then space comes back and the
// caller retries the block, as the O_DIRECT fallback does: the file holds the data once.
TEST_F(PartFileTest, RetryAfterAWriteThatFailedPartWayDoesNotDuplicateBytes) {
  struct FailHalfwayOnce : FileHooks {
    int calls = 0;
    ssize_t Pwrite(int fd, const void* buf, size_t n, off_t offset) override {
      if (calls++ == 1) {
        const ssize_t half = ::pwrite(fd, buf, n / 2, offset);
        EXPECT_EQ(half, static_cast<ssize_t>(n / 2));
        errno = ENOSPC;
        return -1;
      }
      return FileHooks::Pwrite(fd, buf, n, offset);
    }
  } hooks;
  const std::string target = (dir_ / "out.db").string();
  auto pf = PartFile::Create(target, &hooks);
  ASSERT_TRUE(pf.ok());
  const std::string first(4096, 'a'), second(8192, 'b');
  const auto bytes = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  ASSERT_TRUE(pf->Append(bytes(first)).ok());
  const Status failed = pf->Append(bytes(second));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("No space left"), std::string::npos) << failed.message();
  EXPECT_EQ(pf->size(), first.size());
  EXPECT_EQ(fs::file_size(target + ".part"), first.size()) << "partial bytes left behind";
  ASSERT_TRUE(pf->Append(bytes(second)).ok());
  ASSERT_TRUE(pf->Commit().ok());
  EXPECT_EQ(fs::file_size(target), first.size() + second.size());
  EXPECT_TRUE(Read(target) == first + second);
}

// Whatever grew the file behind the writer's back, a .part whose size on disk is not the bytes
// written is never renamed into place.
TEST_F(PartFileTest, CommitRefusesAFileWhoseSizeIsNotWhatWasWritten) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target) << "old";
  auto pf = PartFile::Create(target);
  ASSERT_TRUE(pf.ok());
  const uint8_t data[] = {'n', 'e', 'w'};
  ASSERT_TRUE(pf->Append(data).ok());
  {
    std::ofstream extra(target + ".part", std::ios::app);
    extra << "dup";
  }
  const Status s = pf->Commit();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kCorruption) << s.message();
  EXPECT_NE(s.message().find("6 bytes on disk but 3 were written"), std::string::npos)
      << s.message();
  pf->Abandon();
  EXPECT_EQ(Read(target), "old");
  EXPECT_FALSE(fs::exists(target + ".part"));
}

// After the rename the new file is in place: an error then must say so, not "nothing saved".
TEST_F(PartFileTest, DirectoryFsyncFailureAfterTheRenameSaysTheFileIsInPlace) {
  struct FailDirFsync : FileHooks {
    int Fsync(int fd) override {
      struct stat st {};
      if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
      }
      return FileHooks::Fsync(fd);
    }
  } hooks;
  const std::string target = (dir_ / "out.db").string();
  auto pf = PartFile::Create(target, &hooks);
  ASSERT_TRUE(pf.ok());
  const uint8_t data[] = {'n', 'e', 'w'};
  ASSERT_TRUE(pf->Append(data).ok());
  const Status s = pf->Commit();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "saved to " + target + " but could not fsync directory " +
                             dir_.string() + ": Input/output error; the file is in place but "
                             "may not survive a power loss (run sync, then check it with "
                             "etcdsnap snapshot verify)");
  EXPECT_EQ(Read(target), "new");
}

// Nothing but a regular file of ours with one link may receive the data; each refusal names
// the .part and leaves what is there untouched.
TEST_F(PartFileTest, PartThatIsNotAPrivateRegularFileIsRefused) {
  const std::string target = (dir_ / "out.db").string();
  const std::string part = target + ".part";
  const auto expect_refused = [&](const std::string& why) {
    auto pf = PartFile::Create(target);
    ASSERT_FALSE(pf.ok()) << why;
    EXPECT_EQ(pf.status().message().rfind(part + " " + why, 0), 0u) << pf.status().message();
    EXPECT_NE(pf.status().message().find("remove it"), std::string::npos);
    EXPECT_FALSE(fs::exists(target));
  };
  ASSERT_EQ(::mkfifo(part.c_str(), 0600), 0);
  expect_refused("is a FIFO");
  fs::remove(part);

  const std::string other = (dir_ / "elsewhere").string();
  std::ofstream(other) << "keep";
  ASSERT_EQ(::link(other.c_str(), part.c_str()), 0);
  expect_refused("has 2 hard links");
  EXPECT_EQ(Read(other), "keep");
  fs::remove(part);

  std::ofstream(part) << "theirs";
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(part.c_str(), 65534, 65534), 0);
    expect_refused("is owned by uid 65534, not by this user (uid 0)");
    EXPECT_EQ(Read(part), "theirs");
  }
}

TEST_F(PartFileTest, TargetThatIsNotARegularFileIsRefused) {
  const std::string fifo = (dir_ / "fifo.db").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto pf = PartFile::Create(fifo);
  ASSERT_FALSE(pf.ok());
  EXPECT_EQ(pf.status().message().rfind(fifo + " is a FIFO, not a regular file", 0), 0u)
      << pf.status().message();
  EXPECT_FALSE(fs::exists(fifo + ".part"));
  // A socket stands for /dev/null and other nodes a rename must never replace.
  const std::string sock = (dir_ / "sock.db").string();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof(addr.sun_path));
  sock.copy(addr.sun_path, sock.size());
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  auto on_socket = PartFile::Create(sock);
  ASSERT_FALSE(on_socket.ok());
  EXPECT_EQ(on_socket.status().message().rfind(sock + " is a socket", 0), 0u)
      << on_socket.status().message();
  EXPECT_FALSE(fs::exists(sock + ".part"));
}

// A .part whose mode someone widened is put back to 0600 before any data goes in.
TEST_F(PartFileTest, ReusedPartIsMadePrivate) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target + ".part") << "stale";
  ASSERT_EQ(::chmod((target + ".part").c_str(), 0666), 0);
  auto pf = PartFile::Create(target);
  ASSERT_TRUE(pf.ok());
  struct stat st {};
  ASSERT_EQ(::stat((target + ".part").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}


}  // namespace
}  // namespace etcdsnap

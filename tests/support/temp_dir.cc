#include "temp_dir.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace etcdsnap::testing {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                     prefix + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    std::perror(("mkdtemp " + tmpl).c_str());
    std::abort();
  }
  path_ = buf.data();
}

std::string TempDirTest::Read(const std::filesystem::path& p) { return ReadFileOrEmpty(p.string()); }

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFileOrDie(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

long long FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_size);
}

std::string TailOfFile(const std::string& path, int lines) {
  const std::string all = ReadFileOrEmpty(path);
  size_t start = all.size();
  // Skip a final newline, then walk back over `lines` line breaks.
  if (start > 0 && all[start - 1] == '\n') --start;
  for (int n = 0; n < lines; ++n) {
    const size_t nl = start == 0 ? std::string::npos : all.rfind('\n', start - 1);
    if (nl == std::string::npos) return all;
    start = nl;
  }
  return all.substr(start + 1);
}

}  // namespace etcdsnap::testing

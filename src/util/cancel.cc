#include "etcdsnap/util/cancel.h"

namespace etcdsnap {

void Canceller::Cancel(const std::string& reason) {
  std::lock_guard lock(mu_);
  if (!cancelled_.exchange(true)) reason_ = reason;
  for (auto& [id, hook] : hooks_) hook();
  cv_.notify_all();
}

std::string Canceller::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

Status Canceller::Check() const {
  if (!cancelled()) return Status::Ok();
  return Status::Cancelled(reason());
}

Status Canceller::Sleep(std::chrono::nanoseconds d) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return cancelled_.load(); });
  lock.unlock();
  return Check();
}

Canceller::Registration::Registration(Canceller* c, std::function<void()> on_cancel) : c_(c) {
  if (c_ == nullptr) return;
  std::lock_guard lock(c_->mu_);
  id_ = c_->next_id_++;
  if (c_->cancelled_) on_cancel();
  c_->hooks_.emplace(id_, std::move(on_cancel));
}

Canceller::Registration::~Registration() {
  if (c_ == nullptr) return;
  std::lock_guard lock(c_->mu_);
  c_->hooks_.erase(id_);
}

}  // namespace etcdsnap

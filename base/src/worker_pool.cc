#include "dala/base/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dala {

struct WorkerPool::Job::State {
  size_t n = 0;
  size_t grain = 1;
  size_t chunks = 0;
  std::function<void(size_t, size_t)> body;
  std::atomic<size_t> next_chunk{0};
  std::unique_ptr<std::atomic<bool>[]> done;
  std::atomic<size_t> finished{0};
  std::atomic<size_t> running{0};  // threads between a claim attempt and its end
  std::mutex mu;  // guards error; the condition variable's lock
  std::condition_variable cv;
  Status error;

  bool Exhausted() const { return next_chunk.load(std::memory_order_relaxed) >= chunks; }

  // Claims the next chunk and runs it; false once every chunk is claimed.
  bool RunOne() {
    running.fetch_add(1);
    size_t c = next_chunk.fetch_add(1);
    if (c >= chunks) {
      EndRun();
      return false;
    }
    size_t begin = c * grain;
    size_t end = std::min(n, begin + grain);
    Status failure;
    try {
      body(begin, end);
    } catch (const std::exception& e) {
      failure = Status::Internal(std::string("worker: ") + e.what());
    } catch (...) {
      failure = Status::Internal("worker: an exception that is not a std::exception");
    }
    {
      std::lock_guard<std::mutex> lk(mu);
      if (!failure.ok() && error.ok()) error = std::move(failure);
      done[c].store(true, std::memory_order_release);
      finished.fetch_add(1, std::memory_order_relaxed);
    }
    EndRun();
    return true;
  }

  void EndRun() {
    {
      std::lock_guard<std::mutex> lk(mu);
      running.fetch_sub(1);
    }
    cv.notify_all();
  }

  // No chunk starts after this returns, and none is still running.
  void Cancel() {
    next_chunk.store(chunks);
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return running.load() == 0; });
  }
};

struct WorkerPool::Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Job::State>> queue;
  bool stop = false;
  std::vector<std::thread> threads;

  void Loop() {
    for (;;) {
      std::shared_ptr<Job::State> job;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return stop || !queue.empty(); });
        if (stop) return;
        job = queue.front();
        if (job->Exhausted()) {
          queue.pop_front();
          continue;
        }
      }
      while (job->RunOne()) {
      }
    }
  }
};

WorkerPool::WorkerPool(unsigned threads) : shared_(std::make_shared<Shared>()) {
  for (unsigned i = 0; i < threads; ++i) shared_->threads.emplace_back([s = shared_.get()] { s->Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lk(shared_->mu);
    shared_->stop = true;
  }
  shared_->cv.notify_all();
  for (std::thread& t : shared_->threads) t.join();
}

unsigned WorkerPool::DefaultThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 0;
}

unsigned WorkerPool::threads() const { return static_cast<unsigned>(shared_->threads.size()); }

std::shared_ptr<WorkerPool::Job> WorkerPool::Start(size_t n, size_t grain,
                                                   std::function<void(size_t, size_t)> body) {
  auto state = std::make_shared<Job::State>();
  state->n = n;
  state->grain = std::max<size_t>(grain, 1);
  state->chunks = (n + state->grain - 1) / state->grain;
  state->body = std::move(body);
  state->done = std::make_unique<std::atomic<bool>[]>(state->chunks);
  for (size_t c = 0; c < state->chunks; ++c) state->done[c].store(false, std::memory_order_relaxed);
  if (state->chunks > 0 && !shared_->threads.empty()) {
    {
      std::lock_guard<std::mutex> lk(shared_->mu);
      shared_->queue.push_back(state);
    }
    shared_->cv.notify_all();
  }
  return std::shared_ptr<Job>(new Job(std::move(state)));
}

WorkerPool::Job::~Job() { state_->Cancel(); }

void WorkerPool::Job::WaitFor(size_t i) {
  State& s = *state_;
  size_t c = i / s.grain;
  if (c >= s.chunks) return;
  while (!s.done[c].load(std::memory_order_acquire)) {
    if (s.RunOne()) continue;
    std::unique_lock<std::mutex> lk(s.mu);
    s.cv.wait(lk, [&] { return s.done[c].load(std::memory_order_acquire); });
  }
}

Status WorkerPool::Job::Finish() {
  State& s = *state_;
  while (s.RunOne()) {
  }
  std::unique_lock<std::mutex> lk(s.mu);
  s.cv.wait(lk, [&] { return s.finished.load(std::memory_order_relaxed) == s.chunks; });
  return s.error;
}

}  // namespace dala

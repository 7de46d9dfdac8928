// One pool of worker threads for the whole process, shared by every job
// that can use more than one core (verifying a sync batch, auditing a
// bundle). A job is a loop over [0, n) cut into chunks; workers and the
// job's owner claim chunks with an atomic counter, so no thread waits for
// another to hand out work, and several jobs (two laptops syncing at once)
// share the same threads instead of each starting its own.
//
// Two ways to wait, for the two shapes of work:
//  - Finish(): the owner helps until every chunk is claimed, then waits
//    for the rest. For "do all of this, fast".
//  - WaitFor(i): blocks until index i is done, running its chunk itself
//    if no worker has claimed it yet. For a pipeline whose consumer takes
//    results in index order while later ones are still being computed.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "dala/base/status.h"

namespace dala {

class WorkerPool {
 public:
  class Job;

  // `threads` workers besides the callers' own threads; 0 means every job
  // runs entirely on its owner's thread.
  explicit WorkerPool(unsigned threads);
  // Workers finish the chunk they hold; jobs still queued are finished by
  // their owners (Finish/WaitFor run unclaimed chunks themselves).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // One worker per core but one: the caller's thread is the last core.
  static unsigned DefaultThreads();
  unsigned threads() const;

  // Queues body(begin, end) over [0, n) in chunks of `grain` and returns
  // at once. An exception thrown by the body is caught and reported by
  // Finish as an Internal failure.
  std::shared_ptr<Job> Start(size_t n, size_t grain, std::function<void(size_t begin, size_t end)> body);

  // The owner's handle. Destroying it cancels the chunks not yet started
  // and waits for those running, so a body that captures the owner's
  // locals never outlives them, even on an early return.
  class Job {
   public:
    ~Job();
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;
    // Blocks until index `i` (< n) has been processed.
    void WaitFor(size_t i);
    // Helps, then waits for every chunk; the first exception, if any.
    Status Finish();

   private:
    friend class WorkerPool;
    struct State;
    explicit Job(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace dala
